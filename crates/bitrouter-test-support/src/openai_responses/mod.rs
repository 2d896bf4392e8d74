//! The OpenAI Responses fake: `POST /v1/responses` (and `GET /v1/models`), with the request
//! rules, error objects, response objects and semantic stream events of the official API
//! reference (see `fixtures/README.md` for the pages followed).
//!
//! The fake keeps no state: `previous_response_id` is rejected as the real API rejects an id
//! it does not know, so clients must send the whole conversation in `input`.

mod input;
mod reply;
mod stream;
mod validate;

use http::{Method, StatusCode};
use serde_json::Value;

use crate::answer::Answer;
use crate::openai_chat::{MODELS, bearer, error, not_found};
use crate::protocol::{Call, Content, Head, ProtocolFake, Route};

/// The OpenAI Responses protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiResponses;

impl ProtocolFake for OpenAiResponses {
    fn route(&self, method: &Method, path: &str) -> Route {
        match (method, path) {
            (&Method::POST, "/v1/responses") => Route::Generate,
            (&Method::GET, "/v1/models") => Route::Models,
            _ => Route::Unknown,
        }
    }

    fn authorize(&self, head: &Head<'_>, api_key: &str) -> Result<(), Answer> {
        bearer(head.headers, api_key)
    }

    fn parse_call(&self, _head: &Head<'_>, json: Option<&Value>, seq: u64) -> Result<Call, Answer> {
        validate::validate(json, seq).map_err(|invalid| {
            error(
                StatusCode::BAD_REQUEST,
                &invalid.message,
                "invalid_request_error",
                invalid.param.as_deref(),
                invalid.code,
            )
        })
    }

    fn not_found(&self, method: &Method, path: &str) -> Answer {
        not_found(method, path)
    }

    fn models(&self) -> Answer {
        Answer::json(StatusCode::OK, MODELS)
    }

    fn reply(&self, call: &Call, content: Content<'_>) -> Answer {
        if call.stream {
            stream::events(call, content)
        } else {
            reply::response(call, content)
        }
    }

    fn malformed_json(&self, call: &Call) -> Answer {
        reply::truncated(call)
    }

    fn malformed_sse(&self, call: &Call) -> Answer {
        stream::malformed(call)
    }
}
