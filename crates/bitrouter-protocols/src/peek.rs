//! A fast look at the top level of a JSON request body: the model, the stream flag, and where
//! each top-level value sits, so that a pass-through can splice a new model name or add a
//! field without re-serialising anything else.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::DecodeError;

/// The top level of a JSON object body.
#[derive(Debug, Clone)]
pub struct BodyPeek {
    /// The `model` field, when it is a string.
    pub model: Option<String>,
    /// The `stream` field (`false` when absent).
    pub stream: bool,
    /// Where the `model` value (quotes included) sits in the body.
    pub model_span: Option<Range<usize>>,
    /// Top-level keys in order, with the byte range of each value.
    pub fields: Vec<(String, Range<usize>)>,
    /// The offset of the closing `}`.
    pub close: usize,
}

impl BodyPeek {
    /// The byte range of a top-level field's value.
    pub fn span(&self, key: &str) -> Option<Range<usize>> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
    }
}

struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads the top level of `body`; fails with a message fit for a 400 when it is not a JSON
/// object.
pub fn peek_body(body: &[u8]) -> Result<BodyPeek, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError::new(format!("request body is not UTF-8: {e}")))?;
    let Fields(raw) = serde_json::from_str::<Fields<'_>>(text)
        .map_err(|e| DecodeError::new(format!("request body is not valid JSON: {e}")))?;
    let base = text.as_ptr() as usize;
    let mut peek = BodyPeek {
        model: None,
        stream: false,
        model_span: None,
        fields: Vec::with_capacity(raw.len()),
        close: text.trim_end().len().saturating_sub(1),
    };
    for (key, value) in raw {
        let start = value.get().as_ptr() as usize - base;
        let span = start..start + value.get().len();
        match key.as_ref() {
            "model" => {
                peek.model = serde_json::from_str::<String>(value.get()).ok();
                peek.model_span = Some(span.clone());
            }
            "stream" => peek.stream = value.get() == "true",
            _ => {}
        }
        peek.fields.push((key.into_owned(), span));
    }
    Ok(peek)
}

/// Replaces the bytes in `span` with `replacement`.
pub fn splice(body: &[u8], span: Range<usize>, replacement: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + replacement.len());
    out.extend_from_slice(&body[..span.start]);
    out.extend_from_slice(replacement);
    out.extend_from_slice(&body[span.end..]);
    out
}

/// `body` with its `model` value replaced by `model` (added when absent).
pub fn with_model(body: &[u8], peek: &BodyPeek, model: &str) -> Vec<u8> {
    let quoted = serde_json::Value::String(model.to_owned()).to_string();
    match &peek.model_span {
        Some(span) => splice(body, span.clone(), quoted.as_bytes()),
        None => with_field(body, peek, "model", quoted.as_bytes()),
    }
}

/// `body` with a top-level field added at the end (the caller checked it is absent).
pub fn with_field(body: &[u8], peek: &BodyPeek, key: &str, raw_value: &[u8]) -> Vec<u8> {
    let mut insert = Vec::with_capacity(key.len() + raw_value.len() + 4);
    if !peek.fields.is_empty() {
        insert.push(b',');
    }
    insert.push(b'"');
    insert.extend_from_slice(key.as_bytes());
    insert.extend_from_slice(b"\":");
    insert.extend_from_slice(raw_value);
    splice(body, peek.close..peek.close, &insert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_model_and_stream() {
        let body =
            br#"{ "model" : "openai:gpt-4o-mini", "stream": true, "x_unknown": {"a":[1,2]} }"#;
        let p = peek_body(body).unwrap();
        assert_eq!(p.model.as_deref(), Some("openai:gpt-4o-mini"));
        assert!(p.stream);
        let out = with_model(body, &p, "gpt-4o-mini");
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{ "model" : "gpt-4o-mini", "stream": true, "x_unknown": {"a":[1,2]} }"#
        );
    }

    #[test]
    fn escaped_model_and_added_fields() {
        let body = br#"{"messages":[],"model":"a\"b"}"#;
        let p = peek_body(body).unwrap();
        assert_eq!(p.model.as_deref(), Some("a\"b"));
        let out = with_field(body, &p, "stream_options", br#"{"include_usage":true}"#);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["model"], "a\"b");
    }

    #[test]
    fn add_model_to_empty_object() {
        let body = b"{}\n";
        let p = peek_body(body).unwrap();
        let out = with_model(body, &p, "m");
        assert_eq!(&out[..], b"{\"model\":\"m\"}\n");
    }

    #[test]
    fn rejects_non_objects_and_bad_json() {
        assert!(peek_body(b"[1]").is_err());
        assert!(peek_body(b"{\"model\": ").is_err());
        assert!(peek_body(b"{\"a\":1} trailing").is_err());
        assert!(peek_body(&[0xff, 0xfe]).is_err());
    }
}
