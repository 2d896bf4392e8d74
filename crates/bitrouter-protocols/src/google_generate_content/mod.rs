//! Google's Gemini API `generateContent` and `streamGenerateContent` (with `alt=sse`).
//!
//! The model and the stream flag live in the URL (`models/{model}:generateContent`), so the
//! request decoder takes them from the [`RequestContext`](crate::RequestContext) and the
//! encoder leaves them out of the body. Gemini sends function calls without ids; the decoders
//! mint `call_<n>_<name>` ids and pair function responses with the calls by name, and the
//! request encoder recovers a result's function name from the call with the same id.
//!
//! Decoders accept the REST API's camelCase field names and their snake_case spellings
//! (`system_instruction`, `inline_data`), as Google's own examples use both.

mod config;
mod error;
mod parts;
mod request;
mod response;
mod schema;
mod stream;

use serde_json::{Map, Value};

pub(crate) use error::{error_body, error_message};
pub(crate) use request::{decode_request, encode_request};
pub(crate) use response::{decode_response, encode_response};
pub(crate) use stream::{Decoder, Encoder};

/// A field by its camelCase name, or its snake_case spelling; `null` counts as absent.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let value = match obj.get(name) {
        Some(v) => Some(v),
        None => {
            let mut snake = String::with_capacity(name.len() + 4);
            for c in name.chars() {
                if c.is_ascii_uppercase() {
                    snake.push('_');
                    snake.push(c.to_ascii_lowercase());
                } else {
                    snake.push(c);
                }
            }
            obj.get(&snake)
        }
    };
    value.filter(|v| !v.is_null())
}
