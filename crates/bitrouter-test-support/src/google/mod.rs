//! The Google Gemini fake: `POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent` (server-sent events with `?alt=sse`, a JSON array of chunks
//! without), `GET /v1beta/models`, with the request rules, error objects and bodies of the
//! official API reference (see `fixtures/README.md` for the pages followed).

mod config;
mod contents;
mod reply;

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::protocol::{Call, Content, Head, ProtocolFake, Route};
use crate::sse::body;

const PREFIX: &str = "/v1beta/models/";

/// The `GET /v1beta/models` body.
const MODELS: &str = concat!(
    r#"{"models":["#,
    r#"{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","#,
    r#""description":"Stable version of Gemini 2.5 Flash","inputTokenLimit":1048576,"#,
    r#""outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","#,
    r#""createCachedContent","batchGenerateContent"],"temperature":1,"topP":0.95,"topK":64,"#,
    r#""maxTemperature":2,"thinking":true},"#,
    r#"{"name":"models/gemini-2.5-pro","version":"2.5","displayName":"Gemini 2.5 Pro","#,
    r#""description":"Stable release of Gemini 2.5 Pro","inputTokenLimit":1048576,"#,
    r#""outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens"],"#,
    r#""temperature":1,"topP":0.95,"topK":64,"maxTemperature":2,"thinking":true}"#,
    r#"]}"#
);

/// The Google generateContent protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GoogleGenerateContent;

/// The model and method a generation path names, e.g. `("gemini-2.5-flash", "generateContent")`.
fn target(path: &str) -> Option<(&str, &str)> {
    let (model, method) = path.strip_prefix(PREFIX)?.rsplit_once(':')?;
    let known = matches!(method, "generateContent" | "streamGenerateContent");
    (known && !model.is_empty()).then_some((model, method))
}

impl ProtocolFake for GoogleGenerateContent {
    fn route(&self, method: &Method, path: &str) -> Route {
        match (method, path) {
            (&Method::POST, path) if target(path).is_some() => Route::Generate,
            (&Method::GET, "/v1beta/models") => Route::Models,
            _ => Route::Unknown,
        }
    }

    fn authorize(&self, head: &Head<'_>, api_key: &str) -> Result<(), Answer> {
        let supplied = head
            .header("x-goog-api-key")
            .or_else(|| head.query_param("key"));
        match supplied {
            Some(key) if key == api_key => Ok(()),
            Some(key) if !key.is_empty() => Err(error(
                StatusCode::BAD_REQUEST,
                "API key not valid. Please pass a valid API key.",
            )),
            _ => Err(error(
                StatusCode::FORBIDDEN,
                "Method doesn't allow unregistered callers (callers without established \
                 identity). Please use API Key or other form of API consumer identity to call \
                 this API.",
            )),
        }
    }

    fn parse_call(&self, head: &Head<'_>, json: Option<&Value>, seq: u64) -> Result<Call, Answer> {
        let (model, method) = target(head.path).unwrap_or_default();
        let mut call = contents::validate(json, model, seq)
            .map_err(|message| error(StatusCode::BAD_REQUEST, &message))?;
        call.stream = method == "streamGenerateContent";
        call.json_array_stream = call.stream && head.query_param("alt") != Some("sse");
        Ok(call)
    }

    fn not_found(&self, method: &Method, path: &str) -> Answer {
        error(
            StatusCode::NOT_FOUND,
            &format!("The requested URL {method} {path} was not found on this server."),
        )
    }

    fn models(&self) -> Answer {
        Answer::json(StatusCode::OK, MODELS)
    }

    fn reply(&self, call: &Call, content: Content<'_>) -> Answer {
        reply::answer(call, content)
    }

    fn malformed_json(&self, call: &Call) -> Answer {
        reply::truncated(call)
    }

    fn malformed_sse(&self, call: &Call) -> Answer {
        reply::malformed(call)
    }
}

/// The `status` Google pairs with an HTTP status code.
fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

/// An answer with Google's error object: `{"error":{"code","message","status"}}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Answer {
    let error = json!({
        "error": {
            "code": status.as_u16(),
            "message": message,
            "status": status_name(status),
        }
    });
    Answer::json(status, body(&error))
}
