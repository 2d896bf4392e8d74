//! The `Guardrail` trait: inspect, rewrite or block a call on its way out and its answer on
//! its way back, including each part of a stream while it flows.

use async_trait::async_trait;

use crate::protocol::Protocol;
use crate::request::ChatRequest;
use crate::response::ChatResponse;
use crate::stream::StreamPart;

/// What a guardrail decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let it pass unchanged.
    Allow,
    /// Let it pass; the guardrail changed it in place.
    Modified,
    /// Refuse it. For a request the client gets an error; for a stream, the stream ends with
    /// the protocol's error event.
    Block {
        /// Why, shown to the client (must not repeat the matched secret).
        reason: String,
    },
}

/// What a guardrail knows of the call it is checking.
#[derive(Debug, Clone, Copy)]
pub struct GuardContext<'a> {
    /// BitRouter's id of the request.
    pub request_id: &'a str,
    /// The model the client asked for.
    pub model: &'a str,
    /// The protocol the client speaks.
    pub inbound: Protocol,
    /// The virtual key's id, when the call carries one (rules may apply to some keys only).
    pub key: Option<&'a str>,
    /// The key's user, when known.
    pub user: Option<&'a str>,
}

/// Per-stream state of a guardrail, created for each streamed answer.
///
/// It sees each part before the client does and pushes what should go on instead into `out`:
/// the part itself, a rewritten part, nothing yet (held back, e.g. while a match may continue
/// in the next chunk), or several held parts at once.
pub trait StreamGuard: Send {
    /// One part arrived.
    fn on_part(&mut self, part: StreamPart, out: &mut Vec<StreamPart>) -> Verdict;

    /// The stream ended: release anything held back.
    fn finish(&mut self, out: &mut Vec<StreamPart>) -> Verdict;
}

/// Sees a request before it leaves, the answer, and each stream part.
///
/// Every method has an allowing default, so a guardrail implements only what it checks.
///
/// ```
/// use async_trait::async_trait;
/// use bitrouter_core::*;
///
/// /// Refuses any request that mentions a forbidden word.
/// struct NoSecrets;
///
/// #[async_trait]
/// impl Guardrail for NoSecrets {
///     fn name(&self) -> &str {
///         "no-secrets"
///     }
///
///     async fn check_request(&self, _cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
///         if request.messages.iter().any(|m| m.joined_text().contains("hunter2")) {
///             Verdict::Block { reason: "the prompt contains a password".into() }
///         } else {
///             Verdict::Allow
///         }
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cx = GuardContext { request_id: "r1", model: "gpt-4o-mini", inbound: Protocol::OpenaiChat, key: None, user: None };
/// let mut request = ChatRequest {
///     messages: vec![Message::text(Role::User, "my password is hunter2")],
///     ..ChatRequest::default()
/// };
/// assert!(matches!(NoSecrets.check_request(cx, &mut request).await, Verdict::Block { .. }));
/// # });
/// ```
#[async_trait]
pub trait Guardrail: Send + Sync {
    /// The guardrail's name, for logs, metrics and block messages.
    fn name(&self) -> &str;

    /// Checks (and may rewrite) a request before it goes upstream.
    async fn check_request(&self, cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
        let _ = (cx, request);
        Verdict::Allow
    }

    /// Checks (and may rewrite) a complete answer before the client sees it.
    async fn check_response(&self, cx: GuardContext<'_>, response: &mut ChatResponse) -> Verdict {
        let _ = (cx, response);
        Verdict::Allow
    }

    /// State for checking one streamed answer, or `None` when this guardrail does not look at
    /// streams.
    fn stream_guard(&self, cx: GuardContext<'_>) -> Option<Box<dyn StreamGuard>> {
        let _ = cx;
        None
    }
}
