//! Messages and their content: text, images, tool calls and results, reasoning.

use serde::{Deserialize, Serialize};

use crate::protocol::Protocol;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions from the application (OpenAI `system`/`developer`, Anthropic `system`,
    /// Gemini `systemInstruction`). May appear anywhere in the list; translators to protocols
    /// with a single system field hoist them.
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// Results of tool calls, sent back to the model.
    Tool,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What it holds, in order.
    pub content: Vec<ContentPart>,
}

impl Message {
    /// A message holding a single text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![ContentPart::Text { text: text.into() }],
        }
    }

    /// The concatenation of the message's text parts.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let ContentPart::Text { text } = part {
                out.push_str(text);
            }
        }
        out
    }
}

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    /// A URL the upstream fetches (`https://…`, or a `data:` URL).
    Url {
        /// The URL.
        url: String,
    },
    /// Inline bytes, base64-encoded.
    Base64 {
        /// The IANA media type, e.g. `image/png`.
        media_type: String,
        /// The base64 text, without a `data:` prefix.
        data: String,
    },
}

/// A piece of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// Where it comes from.
        source: ImageSource,
        /// OpenAI's `detail` hint (`low`, `high`, `auto`), when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// The model asking for a tool to be run.
    ToolCall(ToolCall),
    /// The result of running a tool, sent back to the model.
    ToolResult(ToolResult),
    /// The model's reasoning ("thinking"), with whatever the upstream needs to accept it back on
    /// the next turn.
    Reasoning(Reasoning),
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id; tool results refer to it. Translators mint one where the upstream sends none.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text (kept as text: streamed arguments arrive in fragments, and
    /// the model's exact bytes are what the next turn must repeat).
    pub arguments: String,
    /// An opaque signature the upstream attached to the call (Gemini `thoughtSignature`), with
    /// the protocol whose upstream made it: only that protocol's request encoder sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

/// The result of a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool's name, when the client gave it (Gemini requires it; translators recover it
    /// from the conversation otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the tool returned: text and images. Structured results are JSON text.
    pub content: Vec<ContentPart>,
    /// Whether the tool failed.
    #[serde(default)]
    pub is_error: bool,
}

/// Reasoning produced by the model.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reasoning {
    /// The readable reasoning text or summary (may be empty when only an opaque form exists).
    pub text: String,
    /// Anthropic's `signature` for a thinking block, or Gemini's `thoughtSignature`, with the
    /// protocol whose upstream made it: only that protocol's request encoder sends it, and
    /// reasoning whose only proof is a foreign signature is dropped rather than sent as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    /// Anthropic `redacted_thinking` data. Always of origin
    /// [`Protocol::AnthropicMessages`]: only the Anthropic request encoder sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
    /// OpenAI Responses `encrypted_content` of a reasoning item. Always of origin
    /// [`Protocol::OpenaiResponses`]: only the Responses request encoder sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// The id of the upstream reasoning item, when it has one (OpenAI Responses `rs_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// An opaque proof an upstream attached to reasoning or a tool call (Anthropic thinking
/// `signature`, Gemini `thoughtSignature`), and the protocol of the upstream that made it.
///
/// Only an upstream of the same protocol accepts the value back, so request encoders send a
/// signature only to its `origin`; answer encoders for clients of another protocol keep it in
/// a form the client echoes back unchanged, so that the next turn can restore it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// The protocol whose upstream produced the value.
    pub origin: Protocol,
    /// The value, exactly as the upstream sent it.
    pub value: String,
}

impl Signature {
    /// A signature of `origin`.
    pub fn new(origin: Protocol, value: impl Into<String>) -> Self {
        Self {
            origin,
            value: value.into(),
        }
    }

    /// The value, when the signature comes from `protocol`.
    pub fn value_for(&self, protocol: Protocol) -> Option<&str> {
        (self.origin == protocol).then_some(self.value.as_str())
    }
}
