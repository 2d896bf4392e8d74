//! The OpenAI Chat Completions fake: `POST /v1/chat/completions` and `GET /v1/models`, with the
//! request rules, error objects, bodies and chunks of the official API reference
//! (see `fixtures/README.md` for the pages followed).

pub(crate) mod reply;
mod stream;
mod validate;

pub(crate) use validate::Invalid;

use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::answer::Answer;
use crate::protocol::{Call, Content, Head, ProtocolFake, Route};

/// The `GET /v1/models` body, serialised once.
pub(crate) const MODELS: &str = concat!(
    r#"{"object":"list","data":["#,
    r#"{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},"#,
    r#"{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},"#,
    r#"{"id":"fake-model","object":"model","created":1700000000,"owned_by":"bitrouter"}"#,
    r#"]}"#
);

/// The OpenAI Chat Completions protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiChat;

impl ProtocolFake for OpenAiChat {
    fn route(&self, method: &Method, path: &str) -> Route {
        match (method, path) {
            (&Method::POST, "/v1/chat/completions") => Route::Generate,
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
            stream::chunks(call, content)
        } else {
            reply::completion(call, content)
        }
    }

    fn malformed_json(&self, call: &Call) -> Answer {
        reply::truncated(call)
    }

    fn malformed_sse(&self, call: &Call) -> Answer {
        stream::malformed(call)
    }
}

/// OpenAI's 404 for an unknown route, shared with the Responses fake.
pub(crate) fn not_found(method: &Method, path: &str) -> Answer {
    error(
        StatusCode::NOT_FOUND,
        &format!("Invalid URL ({method} {path})"),
        "invalid_request_error",
        None,
        None,
    )
}

/// Check `Authorization: Bearer <api_key>` the way OpenAI does (shared with the Responses fake).
pub(crate) fn bearer(headers: &HeaderMap, api_key: &str) -> Result<(), Answer> {
    let supplied = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match supplied {
        Some(key) if key == api_key => Ok(()),
        Some(key) if !key.is_empty() => Err(unauthorized(format!(
            "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
            mask(key)
        ))),
        _ => Err(unauthorized(
            "You didn't provide an API key. You need to provide your API key in an \
                 Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                .to_owned(),
        )),
    }
}

/// An answer with the OpenAI error object: `{"error":{"message","type","param","code"}}`.
pub(crate) fn error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Answer {
    let body = ErrorBody {
        error: ErrorObject {
            message,
            kind,
            param,
            code,
        },
    };
    Answer::json(status, reply::serialise(&body))
}

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorObject<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

fn unauthorized(message: String) -> Answer {
    error(
        StatusCode::UNAUTHORIZED,
        &message,
        "invalid_request_error",
        None,
        Some("invalid_api_key"),
    )
}

/// Show a key the way the real API does: its first three and last four characters.
fn mask(key: &str) -> String {
    let characters: Vec<char> = key.chars().collect();
    if characters.len() <= 8 {
        return "*".repeat(characters.len());
    }
    let head: String = characters.iter().take(3).collect();
    let tail: String = characters.iter().skip(characters.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(characters.len() - 7))
}
