//! Upstream providers for BitRouter.
//!
//! - [`BUILTINS`]: the providers BitRouter knows without configuration, and
//!   [`from_env`]: which of them the environment switches on (zero-config).
//! - [`HttpProvider`]: a [`bitrouter_core::Provider`] that calls one upstream over the shared
//!   pooled [`UpstreamClient`], forwarding same-protocol bodies untouched but for the model
//!   name, and translating otherwise.

mod accounts;
mod answer;
mod builtin;
mod client;
mod http_provider;
mod outbound;
mod settings;

pub use accounts::{Account, AccountStatus, AccountStrategy};
pub use builtin::{AuthStyle, BUILTINS, Builtin, RESERVED_IDS, builtin};
pub use client::{Timeouts, UpstreamClient};
pub use http_provider::HttpProvider;
pub use settings::{CLIENT_SIDE_VARS, ProviderSettings, from_env};
