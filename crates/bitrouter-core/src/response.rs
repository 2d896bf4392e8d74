//! The canonical model response and token usage.

use serde::{Deserialize, Serialize};

use crate::message::ContentPart;

/// A complete (non-streamed) answer in canonical form.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The upstream's id for the answer.
    pub id: String,
    /// The model that answered, as the upstream named it.
    pub model: String,
    /// What the model produced: text, tool calls, reasoning.
    pub content: Vec<ContentPart>,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
    /// Token counts.
    #[serde(default)]
    pub usage: Usage,
    /// Unix seconds when the answer was created, when the upstream said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end or a stop sequence.
    #[default]
    Stop,
    /// The token limit.
    Length,
    /// The model wants tools run.
    ToolCalls,
    /// A content filter stopped it.
    ContentFilter,
    /// Paused by the upstream (Anthropic `pause_turn`) or refused (`refusal`): the turn is over
    /// without an error.
    Other,
}

/// Token counts of one call.
///
/// `input_tokens` counts every prompt token, cached or not (OpenAI's convention); the cached
/// and cache-write counts are the parts of it billed differently. `output_tokens` includes
/// `reasoning_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// All prompt tokens.
    pub input_tokens: u64,
    /// Prompt tokens read from the upstream's cache.
    #[serde(default)]
    pub cached_input_tokens: u64,
    /// Prompt tokens written to the upstream's cache (Anthropic).
    #[serde(default)]
    pub cache_write_tokens: u64,
    /// All generated tokens, reasoning included.
    pub output_tokens: u64,
    /// Generated tokens spent on reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Input plus output.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// Adds another report of the same call, keeping the larger count of each field (upstreams
    /// repeat cumulative counts across stream events).
    pub fn merge_max(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.max(other.input_tokens);
        self.cached_input_tokens = self.cached_input_tokens.max(other.cached_input_tokens);
        self.cache_write_tokens = self.cache_write_tokens.max(other.cache_write_tokens);
        self.output_tokens = self.output_tokens.max(other.output_tokens);
        self.reasoning_tokens = self.reasoning_tokens.max(other.reasoning_tokens);
    }
}
