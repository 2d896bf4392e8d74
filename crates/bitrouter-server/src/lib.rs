//! BitRouter's HTTP proxy, built as a tower stack that an application can reuse piece by
//! piece or replace.
//!
//! ```text
//! HTTP segment:  request id → tracing → body limit → Endpoints
//! call segment:  auth → guardrails → routing with fallback → dispatch → Provider
//! ```
//!
//! [`Gateway::from_env`] assembles the zero-config proxy; [`Gateway::new`] takes explicit
//! providers and a router. [`Gateway::bind`] then [`BoundServer::run`] serve it; the layers
//! ([`layers`]) and [`Gateway::call_service`] can be composed into other stacks.

mod assemble;
mod body;
mod call;
mod config;
mod count_tokens;
mod endpoints;
mod error;
mod explain;
mod findings;
mod gateway;
mod keys;
pub mod layers;
mod ledger_sink;
mod listing;
mod live;
mod recent;
mod relay;
mod reply;
mod report;
mod serve;
mod shape;
mod stack;
mod status;

pub use assemble::{catalog_router, check_loops};
pub use body::Body;
pub use call::{CallReply, FailedAttempt, ModelCall, StreamGuards, TargetedCall};
pub use config::{DEFAULT_LISTEN, ServerConfig};
pub use endpoints::{Endpoints, REQUEST_ID_HEADER};
pub use error::GatewayError;
pub use explain::explain_route;
pub use findings::FindingsRecorder;
pub use gateway::{CallService, Gateway, GatewayInfo, ModelListing, StartError};
pub use keys::{Grant, GrantSlot, KeyAuthority};
pub use ledger_sink::LedgerSink;
pub use live::{Active, LiveGateway};
pub use recent::{RecentCalls, RecentTotals};
pub use relay::StreamOutcome;
pub use reply::{ATTEMPTS_HEADER, COST_HEADER, MODEL_HEADER, OVERHEAD_HEADER, PROVIDER_HEADER};
pub use report::Observers;
pub use serve::{BoundServer, shutdown_signal};
pub use stack::{HttpService, MakeBitrouterRequestId, http_service};
pub use status::status_json;
