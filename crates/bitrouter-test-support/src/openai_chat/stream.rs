//! Streamed answers: `chat.completion.chunk` server-sent events ending in `data: [DONE]`.

use bytes::Bytes;
use serde::Serialize;

use crate::answer::Answer;
use crate::openai_chat::reply::{
    SERVICE_TIER, SYSTEM_FINGERPRINT, Usage, completion_id, now, serialise, tool_call_id,
};
use crate::protocol::{Call, Content};
use crate::tokens::{ARGUMENT_PIECES, even_pieces, word_pieces};

const DONE: &[u8] = b"data: [DONE]\n\n";

#[derive(Debug, Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    service_tier: &'static str,
    system_fingerprint: &'static str,
    choices: Vec<ChunkChoice<'a>>,
    /// Absent unless `stream_options.include_usage`; then `null` on every chunk but the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<Usage>>,
}

#[derive(Debug, Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallDelta<'a>; 1]>,
}

#[derive(Debug, Serialize)]
struct ToolCallDelta<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Debug, Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arguments: Option<&'a str>,
}

/// Writes the events of one streamed answer, all sharing id, created and model.
struct Writer<'a> {
    id: String,
    created: u64,
    call: &'a Call,
    events: Vec<Bytes>,
}

impl<'a> Writer<'a> {
    fn new(call: &'a Call) -> Self {
        Self {
            id: completion_id(call.seq),
            created: now(),
            call,
            events: Vec::new(),
        }
    }

    fn chunk(&mut self, delta: Delta<'_>, finish_reason: Option<&'static str>) {
        let choice = ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason,
        };
        let usage = self.call.include_usage.then_some(None);
        self.push(vec![choice], usage);
    }

    fn push(&mut self, choices: Vec<ChunkChoice<'_>>, usage: Option<Option<Usage>>) {
        let chunk = Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.call.model,
            service_tier: SERVICE_TIER,
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices,
            usage,
        };
        self.events.push(event(&serialise(&chunk)));
    }

    fn role(&mut self, content: Option<&str>) {
        let delta = Delta {
            role: Some("assistant"),
            content: Some(content),
            refusal: Some(None),
            ..Delta::default()
        };
        self.chunk(delta, None);
    }

    /// The finish chunk, the usage chunk when asked for, and `[DONE]`.
    fn close(mut self, finish_reason: &'static str, content: Content<'_>) -> Vec<Bytes> {
        self.chunk(Delta::default(), Some(finish_reason));
        if self.call.include_usage {
            let usage = Usage::of(self.call, content);
            self.push(Vec::new(), Some(Some(usage)));
        }
        self.events.push(Bytes::from_static(DONE));
        self.events
    }
}

fn event(data: &[u8]) -> Bytes {
    let mut event = Vec::with_capacity(data.len() + 8);
    event.extend_from_slice(b"data: ");
    event.extend_from_slice(data);
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

/// A streamed answer: role chunk, content or tool-call deltas, finish chunk, optional usage
/// chunk (`choices: []`), `[DONE]`.
pub(crate) fn chunks(call: &Call, content: Content<'_>) -> Answer {
    let mut writer = Writer::new(call);
    let finish_reason = match content {
        Content::Text(text) => {
            writer.role(Some(""));
            for piece in word_pieces(text) {
                let delta = Delta {
                    content: Some(Some(piece)),
                    ..Delta::default()
                };
                writer.chunk(delta, None);
            }
            "stop"
        }
        Content::ToolCalls(calls) => {
            writer.role(None);
            for (index, (name, arguments)) in calls.iter().enumerate() {
                let opening = ToolCallDelta {
                    index,
                    id: Some(tool_call_id(call.seq, index)),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(name),
                        arguments: Some(""),
                    },
                };
                writer.chunk(tool_delta(opening), None);
                for piece in even_pieces(arguments, ARGUMENT_PIECES) {
                    let more = ToolCallDelta {
                        index,
                        id: None,
                        kind: None,
                        function: FunctionDelta {
                            name: None,
                            arguments: Some(piece),
                        },
                    };
                    writer.chunk(tool_delta(more), None);
                }
            }
            "tool_calls"
        }
    };
    Answer::events(writer.close(finish_reason, content), content.pieces())
}

fn tool_delta(call: ToolCallDelta<'_>) -> Delta<'_> {
    Delta {
        tool_calls: Some([call]),
        ..Delta::default()
    }
}

/// A stream with a valid role chunk, then an event whose data is cut-off JSON, then `[DONE]`.
pub(crate) fn malformed(call: &Call) -> Answer {
    let mut writer = Writer::new(call);
    writer.role(Some(""));
    let broken = format!(
        "{{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\
         \"delta\":{{\"content\":\"trunc",
        writer.id
    );
    writer.events.push(event(broken.as_bytes()));
    writer.events.push(Bytes::from_static(DONE));
    Answer::events(writer.events, 1)
}
