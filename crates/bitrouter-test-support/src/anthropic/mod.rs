//! The Anthropic Messages fake: `POST /v1/messages`, `POST /v1/messages/count_tokens` and
//! `GET /v1/models`, with the headers, request rules, error objects, messages and stream
//! events of the official API reference (see `fixtures/README.md` for the pages followed).

mod messages;
mod reply;
mod stream;
mod validate;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::protocol::{Call, Content, Head, ProtocolFake, Route};
use crate::sse::body;
use validate::Endpoint;

/// The `GET /v1/models` body: Anthropic's paginated list of `ModelInfo` objects.
const MODELS: &str = concat!(
    r#"{"data":["#,
    r#"{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},"#,
    r#"{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"},"#,
    r#"{"type":"model","id":"fake-model","display_name":"Fake Model","created_at":"2023-11-14T00:00:00Z"}"#,
    r#"],"has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"fake-model"}"#
);

/// The Anthropic Messages protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnthropicMessages;

impl ProtocolFake for AnthropicMessages {
    fn route(&self, method: &Method, path: &str) -> Route {
        match (method, path) {
            (&Method::POST, "/v1/messages") => Route::Generate,
            (&Method::POST, "/v1/messages/count_tokens") => Route::CountTokens,
            (&Method::GET, "/v1/models") => Route::Models,
            _ => Route::Unknown,
        }
    }

    fn authorize(&self, head: &Head<'_>, api_key: &str) -> Result<(), Answer> {
        match head.header("x-api-key") {
            Some(key) if key == api_key => {}
            Some(key) if !key.is_empty() => {
                return Err(error(
                    StatusCode::UNAUTHORIZED,
                    "authentication_error",
                    "invalid x-api-key",
                ));
            }
            _ => {
                return Err(error(
                    StatusCode::UNAUTHORIZED,
                    "authentication_error",
                    "x-api-key header is required",
                ));
            }
        }
        match head.header("anthropic-version") {
            Some(version) if !version.is_empty() => Ok(()),
            _ => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "anthropic-version: header is required (e.g. anthropic-version: 2023-06-01)",
            )),
        }
    }

    fn parse_call(&self, _head: &Head<'_>, json: Option<&Value>, seq: u64) -> Result<Call, Answer> {
        validate::validate(json, seq, Endpoint::Messages).map_err(invalid)
    }

    fn count_tokens(&self, _head: &Head<'_>, json: Option<&Value>) -> Result<Answer, Answer> {
        let call = validate::validate(json, 0, Endpoint::CountTokens).map_err(invalid)?;
        let count = json!({ "input_tokens": call.prompt_tokens });
        Ok(Answer::json(StatusCode::OK, body(&count)))
    }

    fn not_found(&self, _method: &Method, _path: &str) -> Answer {
        error(StatusCode::NOT_FOUND, "not_found_error", "Not found")
    }

    fn models(&self) -> Answer {
        Answer::json(StatusCode::OK, MODELS)
    }

    fn reply(&self, call: &Call, content: Content<'_>) -> Answer {
        if call.stream {
            stream::events(call, content)
        } else {
            reply::message(call, content)
        }
    }

    fn malformed_json(&self, call: &Call) -> Answer {
        reply::truncated(call)
    }

    fn malformed_sse(&self, call: &Call) -> Answer {
        stream::malformed(call)
    }
}

/// An answer with Anthropic's error object:
/// `{"type":"error","error":{"type","message"},"request_id"}`.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str) -> Answer {
    let error = json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_fake_bitrouter",
    });
    Answer::json(status, body(&error))
}

fn invalid(invalid: validate::Invalid) -> Answer {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", &invalid.0)
}
