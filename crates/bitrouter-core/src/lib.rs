//! The core of BitRouter, an LLM router for AI agents: the canonical form of a model call and
//! the three traits everything else plugs into.
//!
//! - [`ChatRequest`], [`ChatResponse`], [`StreamPart`] and [`Usage`]: a model call in a form
//!   every wire protocol (OpenAI Chat Completions and Responses, Anthropic Messages, Google
//!   generateContent) translates into and out of.
//! - [`Provider`]: performs one call against one upstream target.
//! - [`Router`]: turns a requested model name into an ordered chain of targets.
//! - [`Guardrail`]: inspects, rewrites or blocks requests, answers and stream parts.
//!
//! The crate is deliberately light (no HTTP client or server, no database) so that an
//! application can depend on it to embed routing or to write its own providers, routers and
//! guardrails, and compose them with BitRouter's tower layers from `bitrouter-server`.

mod call;
mod error;
mod guardrail;
mod message;
mod outcome;
mod protocol;
mod provider;
mod request;
mod response;
mod router;
mod stream;

pub use call::{
    AnswerStream, ByteStream, ProviderRequest, ProviderResponse, RequestBody, ResponseBody,
    WireBody,
};
pub use error::{ProviderError, RouteError, TimeoutPhase};
pub use guardrail::{GuardContext, Guardrail, StreamGuard, Verdict};
pub use message::{
    ContentPart, ImageSource, Message, Reasoning, Role, Signature, ToolCall, ToolResult,
};
pub use outcome::{CallOutcome, Outcome, OutcomeSink};
pub use protocol::{Protocol, UnknownProtocol};
pub use provider::Provider;
pub use request::{
    ChatRequest, Parameters, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice,
    ToolDefinition,
};
pub use response::{ChatResponse, FinishReason, Usage};
pub use router::{CallShape, RoutePlan, RouteRequest, RouteStep, Router, Target};
pub use stream::{PartStream, StreamPart};
