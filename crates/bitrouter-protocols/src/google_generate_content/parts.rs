//! Gemini `Part`s to canonical content parts and back, shared by requests and answers.

use std::collections::{HashMap, VecDeque};

use bitrouter_core::{
    ContentPart, ImageSource, Protocol, Reasoning, Signature, ToolCall, ToolResult,
};
use serde_json::{Map, Value, json};

use super::field;
use crate::data_url;
use crate::error::{DecodeError, EncodeError};
use crate::signature_envelope::Sealed;

const GOOGLE: Protocol = Protocol::GoogleGenerateContent;

/// Who reads encoded parts: Gemini itself checks signatures, a client only echoes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// The upstream API: only Gemini's own signatures are sent; other reasoning is dropped.
    Upstream,
    /// A client: foreign proofs travel enveloped (base64) in `thoughtSignature`.
    Client,
}

/// Gives function calls ids where Gemini sent none (`call_<n>_<name>`), and pairs function
/// responses without ids with the oldest unanswered call of the same name.
#[derive(Debug, Default)]
pub(super) struct CallIds {
    minted: usize,
    open: HashMap<String, VecDeque<String>>,
}

impl CallIds {
    /// The id of a function call.
    pub(super) fn call(&mut self, id: Option<&str>, name: &str) -> String {
        let id = match id.filter(|id| !id.is_empty()) {
            Some(id) => id.to_owned(),
            None => self.mint(name),
        };
        self.open
            .entry(name.to_owned())
            .or_default()
            .push_back(id.clone());
        id
    }

    /// The call id a function response answers.
    pub(super) fn response(&mut self, id: Option<&str>, name: &str) -> String {
        let open = self.open.entry(name.to_owned()).or_default();
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            open.retain(|o| o != id);
            return id.to_owned();
        }
        match open.pop_front() {
            Some(id) => id,
            None => self.mint(name),
        }
    }

    fn mint(&mut self, name: &str) -> String {
        let id = format!("call_{}_{name}", self.minted);
        self.minted += 1;
        id
    }
}

/// Decodes one part at `path`, appending zero, one or two canonical parts. With `strict`
/// (a client's request) unknown part kinds are an error and a `thoughtSignature` may be an
/// envelope of a foreign proof; in an upstream's answer unknown parts are skipped (executable
/// code, grounding and the like have no canonical form) and signatures are Gemini's own.
pub(super) fn decode_part(
    part: &Value,
    path: &str,
    ids: &mut CallIds,
    strict: bool,
    out: &mut Vec<ContentPart>,
) -> Result<(), DecodeError> {
    let obj = part
        .as_object()
        .ok_or_else(|| DecodeError::new(format!("{path}: expected a part object")))?;
    let signature = field(obj, "thoughtSignature")
        .and_then(Value::as_str)
        .map(|value| {
            if strict {
                Sealed::from_client(value, GOOGLE)
            } else {
                Sealed::Reasoning(Signature::new(GOOGLE, value))
            }
        });
    let thought = field(obj, "thought").and_then(Value::as_bool) == Some(true);
    if let Some(text) = field(obj, "text") {
        let text = text
            .as_str()
            .ok_or_else(|| DecodeError::new(format!("{path}.text: expected a string")))?;
        if thought {
            out.push(reasoning(text, signature));
        } else {
            // A signature on a plain text part is kept on an empty reasoning part just before it.
            if signature.is_some() {
                out.push(reasoning("", signature));
            }
            if !text.is_empty() {
                out.push(ContentPart::Text { text: text.into() });
            }
        }
    } else if let Some(call) = field(obj, "functionCall") {
        let signature = match signature {
            Some(Sealed::Reasoning(s) | Sealed::Call(s)) => Some(s),
            // Redacted or encrypted reasoning enveloped on a call: kept just before it.
            Some(other) => {
                out.push(reasoning("", Some(other)));
                None
            }
            None => None,
        };
        out.push(ContentPart::ToolCall(function_call(
            call,
            &format!("{path}.functionCall"),
            ids,
            signature,
        )?));
    } else if let Some(response) = field(obj, "functionResponse") {
        out.push(ContentPart::ToolResult(function_response(
            response,
            &format!("{path}.functionResponse"),
            ids,
        )?));
    } else if let Some(inline) = field(obj, "inlineData") {
        let p = format!("{path}.inlineData");
        out.push(ContentPart::Image {
            source: ImageSource::Base64 {
                media_type: string(inline, "mimeType", &p)?.into(),
                data: string(inline, "data", &p)?.into(),
            },
            detail: None,
        });
    } else if let Some(file) = field(obj, "fileData") {
        let p = format!("{path}.fileData");
        out.push(ContentPart::Image {
            source: ImageSource::Url {
                url: string(file, "fileUri", &p)?.into(),
            },
            detail: None,
        });
    } else if signature.is_some() {
        out.push(reasoning("", signature));
    } else if strict {
        return Err(DecodeError::new(format!(
            "{path}: unsupported part; expected one of text, inlineData, fileData, \
             functionCall, functionResponse"
        )));
    }
    Ok(())
}

fn reasoning(text: &str, proof: Option<Sealed>) -> ContentPart {
    let text = text.to_owned();
    ContentPart::Reasoning(match proof.map(|p| p.into_reasoning(text.clone())) {
        Some(Ok(r)) => r,
        Some(Err(signature)) => Reasoning {
            text,
            signature: Some(signature),
            ..Reasoning::default()
        },
        None => Reasoning {
            text,
            ..Reasoning::default()
        },
    })
}

fn string<'a>(value: &'a Value, name: &str, path: &str) -> Result<&'a str, DecodeError> {
    value
        .as_object()
        .and_then(|o| field(o, name))
        .and_then(Value::as_str)
        .ok_or_else(|| DecodeError::new(format!("{path}.{name}: expected a string")))
}

fn function_call(
    call: &Value,
    path: &str,
    ids: &mut CallIds,
    signature: Option<Signature>,
) -> Result<ToolCall, DecodeError> {
    let name = string(call, "name", path)?;
    let obj = call.as_object().map(|o| (field(o, "id"), field(o, "args")));
    let (id, args) = obj.unwrap_or_default();
    let arguments = match args {
        None => "{}".to_owned(),
        Some(args @ Value::Object(_)) => args.to_string(),
        Some(_) => {
            return Err(DecodeError::new(format!("{path}.args: expected an object")));
        }
    };
    Ok(ToolCall {
        id: ids.call(id.and_then(Value::as_str), name),
        name: name.into(),
        arguments,
        signature,
    })
}

fn function_response(
    response: &Value,
    path: &str,
    ids: &mut CallIds,
) -> Result<ToolResult, DecodeError> {
    let name = string(response, "name", path)?;
    let obj = response
        .as_object()
        .map(|o| (field(o, "id"), field(o, "response")));
    let (id, body) = obj.unwrap_or_default();
    let body = match body {
        Some(body @ Value::Object(_)) => body,
        _ => {
            return Err(DecodeError::new(format!(
                "{path}.response: expected an object (e.g. {{\"output\": ...}})"
            )));
        }
    };
    // Google's convention: `output` for a result, `error` for a failure.
    let is_error = body.get("error").is_some() && body.get("output").is_none();
    Ok(ToolResult {
        call_id: ids.response(id.and_then(Value::as_str), name),
        name: Some(name.into()),
        content: vec![ContentPart::Text {
            text: body.to_string(),
        }],
        is_error,
    })
}

/// Encodes canonical parts as Gemini parts. `names` maps tool call ids to function names, for
/// results that do not carry their name. Reasoning survives only with a proof: for the
/// upstream only a Gemini signature, for a client any proof (foreign ones enveloped). An empty
/// reasoning part with a Gemini signature followed by text puts its signature on that text part.
pub(super) fn encode_parts(
    parts: &[ContentPart],
    names: &HashMap<&str, &str>,
    reader: Reader,
    out: &mut Vec<Value>,
) -> Result<(), EncodeError> {
    let mut pending_signature: Option<&str> = None;
    for part in parts {
        let signature = pending_signature.take();
        if let ContentPart::Text { text } = part {
            let mut p = Map::new();
            p.insert("text".into(), Value::String(text.clone()));
            if let Some(sig) = signature {
                p.insert("thoughtSignature".into(), Value::String(sig.into()));
            }
            out.push(Value::Object(p));
            continue;
        }
        if let Some(sig) = signature {
            out.push(json!({"text": "", "thoughtSignature": sig}));
        }
        match part {
            ContentPart::Text { .. } => {}
            ContentPart::Reasoning(r) => {
                if let Some(sig) = r.signature.as_ref().and_then(|s| s.value_for(GOOGLE)) {
                    if r.text.is_empty() {
                        pending_signature = Some(sig);
                    } else {
                        out.push(json!({"text": r.text, "thought": true, "thoughtSignature": sig}));
                    }
                } else if let (Reader::Client, Some(proof)) = (reader, Sealed::of_reasoning(r)) {
                    let token = proof.token_for(GOOGLE);
                    out.push(json!({"text": r.text, "thought": true, "thoughtSignature": token}));
                }
            }
            ContentPart::Image { source, .. } => out.push(image(source)),
            ContentPart::ToolCall(call) => out.push(encode_call(call, reader)?),
            ContentPart::ToolResult(result) => out.push(encode_result(result, names)?),
        }
    }
    if let Some(sig) = pending_signature {
        out.push(json!({"text": "", "thoughtSignature": sig}));
    }
    Ok(())
}

fn image(source: &ImageSource) -> Value {
    match source {
        ImageSource::Base64 { media_type, data } => {
            json!({"inlineData": {"mimeType": media_type, "data": data}})
        }
        ImageSource::Url { url } => match data_url::parse(url) {
            Some((media_type, data)) => {
                json!({"inlineData": {"mimeType": media_type, "data": data}})
            }
            None => json!({"fileData": {"mimeType": guess_mime(url), "fileUri": url}}),
        },
    }
}

/// The media type of an image URL from its extension; `image/jpeg` when unknown.
fn guess_mime(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        _ => "image/jpeg",
    }
}

fn encode_call(call: &ToolCall, reader: Reader) -> Result<Value, EncodeError> {
    let args = if call.arguments.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str::<Value>(&call.arguments).map_err(|e| {
            EncodeError::new(format!(
                "tool call `{}` ({}): arguments are not valid JSON: {e}",
                call.name, call.id
            ))
        })?
    };
    if !args.is_object() {
        return Err(EncodeError::new(format!(
            "tool call `{}` ({}): Gemini needs the arguments to be a JSON object",
            call.name, call.id
        )));
    }
    let mut part = Map::new();
    part.insert(
        "functionCall".into(),
        json!({"id": call.id, "name": call.name, "args": args}),
    );
    if let Some(token) = call_signature(call.signature.as_ref(), reader) {
        part.insert("thoughtSignature".into(), Value::String(token));
    }
    Ok(Value::Object(part))
}

/// A function call's `thoughtSignature`: Gemini's own only for the upstream; for a client,
/// Gemini's own bare and foreign ones enveloped.
pub(super) fn call_signature(signature: Option<&Signature>, reader: Reader) -> Option<String> {
    let signature = signature?;
    match reader {
        Reader::Upstream => signature.value_for(GOOGLE).map(str::to_owned),
        Reader::Client => Some(Sealed::Call(signature.clone()).token_for(GOOGLE)),
    }
}

fn encode_result(result: &ToolResult, names: &HashMap<&str, &str>) -> Result<Value, EncodeError> {
    let name = match &result.name {
        Some(name) => name.as_str(),
        None => names.get(result.call_id.as_str()).copied().ok_or_else(|| {
            EncodeError::new(format!(
                "tool result for call `{}`: Gemini needs the function name, and no earlier \
                 tool call has that id",
                result.call_id
            ))
        })?,
    };
    let mut text = String::new();
    for part in &result.content {
        if let ContentPart::Text { text: t } = part {
            text.push_str(t);
        }
    }
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(obj @ Value::Object(_)) => obj,
        _ if result.is_error => json!({ "error": text }),
        _ => json!({ "result": text }),
    };
    Ok(json!({"functionResponse": {"id": result.call_id, "name": name, "response": response}}))
}
