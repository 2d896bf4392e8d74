//! The tower layers of the stack, outermost first after request id and tracing.

pub mod auth;
pub mod body_limit;
pub mod dispatch;
pub mod guardrails;
pub mod routing;
