//! Streamed answers: `message_start`, per block `content_block_start` / deltas /
//! `content_block_stop` (a `ping` after the first start), `message_delta` with the stop reason
//! and usage, `message_stop`.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::anthropic::reply::{
    message_id, output_tokens, signature, stop_reason, tool_use_id, usage,
};
use crate::protocol::{Call, Content};
use crate::sse::named;
use crate::tokens::{ARGUMENT_PIECES, even_pieces, word_pieces};

/// Collects the events of one stream, numbering content blocks.
struct Writer<'a> {
    call: &'a Call,
    events: Vec<Bytes>,
    blocks: usize,
}

impl<'a> Writer<'a> {
    fn new(call: &'a Call) -> Self {
        let mut writer = Self {
            call,
            events: Vec::new(),
            blocks: 0,
        };
        let start = json!({
            "type": "message_start",
            "message": {
                "id": message_id(call.seq),
                "type": "message",
                "role": "assistant",
                "model": call.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage(call, 1),
            },
        });
        writer.push(&start);
        writer
    }

    fn push(&mut self, data: &Value) {
        let name = data["type"].as_str().unwrap_or("message");
        self.events.push(named(name, data));
    }

    /// One content block: its start (a ping after the first), its deltas, its stop.
    fn block(&mut self, start: Value, deltas: Vec<Value>) {
        let index = self.blocks;
        self.blocks += 1;
        self.push(&json!({"type": "content_block_start", "index": index, "content_block": start}));
        if index == 0 {
            self.push(&json!({"type": "ping"}));
        }
        for delta in deltas {
            self.push(&json!({"type": "content_block_delta", "index": index, "delta": delta}));
        }
        self.push(&json!({"type": "content_block_stop", "index": index}));
    }

    fn close(mut self, content: Content<'_>) -> Vec<Bytes> {
        let output = output_tokens(self.call, content);
        self.push(&json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(content), "stop_sequence": null},
            "usage": usage(self.call, output),
        }));
        self.push(&json!({"type": "message_stop"}));
        self.events
    }
}

/// A streamed answer to `call`.
pub(crate) fn events(call: &Call, content: Content<'_>) -> Answer {
    let mut writer = Writer::new(call);
    if call.reasoning {
        let thought = call.thought();
        let mut deltas: Vec<Value> = word_pieces(&thought)
            .into_iter()
            .map(|piece| json!({"type": "thinking_delta", "thinking": piece}))
            .collect();
        deltas.push(json!({"type": "signature_delta", "signature": signature(call.seq)}));
        writer.block(
            json!({"type": "thinking", "thinking": "", "signature": ""}),
            deltas,
        );
    }
    match content {
        Content::Text(text) => {
            let deltas = word_pieces(text)
                .into_iter()
                .map(|piece| json!({"type": "text_delta", "text": piece}))
                .collect();
            writer.block(json!({"type": "text", "text": ""}), deltas);
        }
        Content::ToolCalls(calls) => {
            for (position, (name, arguments)) in calls.iter().enumerate() {
                let start = json!({
                    "type": "tool_use",
                    "id": tool_use_id(call.seq, position),
                    "name": name,
                    "input": {},
                });
                let deltas = even_pieces(arguments, ARGUMENT_PIECES)
                    .into_iter()
                    .map(|piece| json!({"type": "input_json_delta", "partial_json": piece}))
                    .collect();
                writer.block(start, deltas);
            }
        }
    }
    Answer::events(writer.close(content), content.pieces())
}

/// A stream with a valid `message_start`, then a delta event whose data is cut-off JSON, then
/// `message_stop`.
pub(crate) fn malformed(call: &Call) -> Answer {
    let mut writer = Writer::new(call);
    writer.events.push(Bytes::from_static(
        b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\
          \"delta\":{\"type\":\"text_delta\",\"text\":\"trunc\n\n",
    ));
    writer.push(&json!({"type": "message_stop"}));
    Answer::events(writer.events, 1)
}
