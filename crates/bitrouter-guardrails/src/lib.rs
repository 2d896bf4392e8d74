//! BitRouter's guardrails: rules from the `guardrails:` section of `bitrouter.yaml` that look
//! for personal data, secrets and forbidden words in requests, answers and streams, and
//! inspect, redact or block them.
//!
//! - [`GuardrailsConfig`] and [`RuleConfig`]: the section's rules (see `docs/guardrails.md`).
//! - [`RuleSet`]: the rules compiled for one pass over a text (`RegexSet`, Aho-Corasick, then
//!   checksums such as Luhn and IBAN mod-97 on the hits).
//! - [`GuardrailEngine`]: implements [`bitrouter_core::Guardrail`] on canonical requests,
//!   answers and streams; [`GuardrailEngine::for_call`] binds it to a caller's key and user.
//! - [`GuardStream`]: the per-stream state, with a carry window so that matches split across
//!   fragments are caught.
//! - [`FindingSink`]: where findings go (rule, action, direction, place; never the match).
//!
//! ```
//! use std::sync::Arc;
//! use bitrouter_core::{ChatRequest, GuardContext, Guardrail, Message, Protocol, Role, Verdict};
//! use bitrouter_guardrails::{GuardrailEngine, GuardrailsConfig, MemoryFindings};
//!
//! let config: GuardrailsConfig = yaml_serde::from_str(
//!     "- name: cards\n  detector: {builtin: credit_card}\n  action: redact\n",
//! ).unwrap();
//! let findings = Arc::new(MemoryFindings::new());
//! let engine = GuardrailEngine::new(&config, findings.clone()).unwrap();
//! let mut request = ChatRequest {
//!     messages: vec![Message::text(Role::User, "card 4111 1111 1111 1111 please")],
//!     ..ChatRequest::default()
//! };
//! let cx = GuardContext { request_id: "r1", model: "gpt-4o", inbound: Protocol::OpenaiChat, key: None, user: None };
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! assert_eq!(engine.check_request(cx, &mut request).await, Verdict::Modified);
//! # });
//! assert_eq!(request.messages[0].joined_text(), "card [REDACTED:cards] please");
//! assert_eq!(findings.findings()[0].rule, "cards");
//! ```

mod builtin;
mod config;
mod engine;
mod error;
mod finding;
mod ruleset;
mod scope;
mod stream;
mod validate;

pub use config::{
    Action, AppliesTo, Builtin, DetectorConfig, Direction, GuardrailsConfig, Location, RuleConfig,
    Way,
};
pub use engine::{CallGuard, GuardrailEngine};
pub use error::GuardrailError;
pub use finding::{DiscardFindings, Finding, FindingSink, MemoryFindings};
pub use ruleset::{Match, RuleSet, STREAM_WINDOW_CAP};
pub use scope::Caller;
pub use stream::{GuardStream, HOLD_LIMIT};
