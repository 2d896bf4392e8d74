//! Writing server-sent events and JSON values for the protocols whose answers are built as
//! `serde_json::Value`s (Anthropic, Responses, Gemini).

use bytes::Bytes;
use serde_json::Value;

/// A named event, `event: <name>\ndata: <json>\n\n`, as Anthropic and the Responses API send.
pub(crate) fn named(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// An unnamed event whose lines end in CRLF, `data: <json>\r\n\r\n`, as Gemini sends.
pub(crate) fn crlf(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\r\n\r\n"))
}

/// A JSON value as body bytes (`Value`'s `Display` cannot fail).
pub(crate) fn body(value: &Value) -> Bytes {
    Bytes::from(value.to_string())
}

/// The JSON type of `value` in the words error messages use.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Tool-call arguments (JSON text) as the object Anthropic `input` and Gemini `args` carry;
/// an empty or non-object text becomes `{}`.
pub(crate) fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ => Value::Object(serde_json::Map::new()),
    }
}
