//! The canonical stream of answer parts.

use std::pin::Pin;

use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::message::Signature;
use crate::response::{FinishReason, Usage};

/// A boxed stream of canonical parts, as providers return them and guardrails see them.
pub type PartStream = Pin<Box<dyn Stream<Item = Result<StreamPart, ProviderError>> + Send>>;

/// One increment of a streamed answer.
///
/// A well-formed stream is `Start`, then any deltas, then `Finish`, with `Usage` anywhere
/// after `Start` (usually last). Tool calls are numbered by `index` in the order they start,
/// from 0, and their argument fragments concatenate to the JSON text of the arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamPart {
    /// The answer began.
    Start {
        /// The upstream's id for the answer.
        id: String,
        /// The model that answers.
        model: String,
    },
    /// More answer text.
    TextDelta {
        /// The fragment.
        text: String,
    },
    /// More reasoning text.
    ReasoningDelta {
        /// The fragment.
        text: String,
    },
    /// The signature closing the current reasoning block (Anthropic `signature_delta`, Gemini
    /// `thoughtSignature`).
    ReasoningSignature {
        /// The signature and the protocol that made it.
        signature: Signature,
    },
    /// A reasoning block that arrives whole and opaque (Anthropic `redacted_thinking`, Responses
    /// `encrypted_content`).
    ReasoningOpaque {
        /// Anthropic redacted data (always of origin Anthropic Messages).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redacted: Option<String>,
        /// Responses encrypted content (always of origin OpenAI Responses).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted: Option<String>,
        /// The reasoning item's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// A tool call began.
    ToolCallStart {
        /// Its position among this answer's tool calls.
        index: u32,
        /// Its id.
        id: String,
        /// The tool's name.
        name: String,
        /// Gemini `thoughtSignature`, when attached, with the protocol that made it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<Signature>,
    },
    /// More of a tool call's argument text.
    ToolCallDelta {
        /// Which call.
        index: u32,
        /// The fragment.
        arguments: String,
    },
    /// Token counts so far (cumulative; the last one wins).
    Usage(Usage),
    /// Generation ended.
    Finish {
        /// Why.
        reason: FinishReason,
    },
}
