//! Streamed answers: semantic events, each with its `sequence_number`, from
//! `response.created` to `response.completed` (no `[DONE]`).

use bytes::Bytes;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::openai_chat::reply::now;
use crate::openai_responses::reply::{
    function_call_id, function_call_item, message_id, message_item, output_text, reasoning_id,
    reasoning_item, response_value,
};
use crate::protocol::{Call, Content};
use crate::sse::named;
use crate::tokens::{ARGUMENT_PIECES, even_pieces, word_pieces};

struct Writer<'a> {
    call: &'a Call,
    created_at: u64,
    events: Vec<Bytes>,
}

impl<'a> Writer<'a> {
    fn new(call: &'a Call) -> Self {
        let mut writer = Self {
            call,
            created_at: now(),
            events: Vec::new(),
        };
        let response = response_value(call, writer.created_at, None);
        writer.push("response.created", json!({"response": response}));
        writer.push("response.in_progress", json!({"response": response}));
        writer
    }

    /// Add an event of `kind` whose data is `fields` plus `type` and `sequence_number`.
    fn push(&mut self, kind: &str, mut fields: Value) {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(self.events.len());
        self.events.push(named(kind, &fields));
    }

    fn reasoning(&mut self, output_index: usize) {
        let id = reasoning_id(self.call.seq);
        let mut added = reasoning_item(self.call);
        added["summary"] = json!([]);
        added
            .as_object_mut()
            .map(|item| item.remove("encrypted_content"));
        self.push(
            "response.output_item.added",
            json!({"output_index": output_index, "item": added}),
        );
        let at = json!({"item_id": id, "output_index": output_index, "summary_index": 0});
        let thought = self.call.thought();
        self.push(
            "response.reasoning_summary_part.added",
            with(&at, json!({"part": {"type": "summary_text", "text": ""}})),
        );
        for piece in word_pieces(&thought) {
            self.push(
                "response.reasoning_summary_text.delta",
                with(&at, json!({"delta": piece})),
            );
        }
        self.push(
            "response.reasoning_summary_text.done",
            with(&at, json!({"text": thought})),
        );
        self.push(
            "response.reasoning_summary_part.done",
            with(
                &at,
                json!({"part": {"type": "summary_text", "text": thought}}),
            ),
        );
        self.push(
            "response.output_item.done",
            json!({"output_index": output_index, "item": reasoning_item(self.call)}),
        );
    }

    fn message(&mut self, output_index: usize, text: &str) {
        let added = message_item(self.call, text, "in_progress");
        self.push(
            "response.output_item.added",
            json!({"output_index": output_index, "item": added}),
        );
        let at = json!({"item_id": message_id(self.call.seq), "output_index": output_index, "content_index": 0});
        self.push(
            "response.content_part.added",
            with(&at, json!({"part": output_text("")})),
        );
        for piece in word_pieces(text) {
            self.push(
                "response.output_text.delta",
                with(&at, json!({"delta": piece, "logprobs": []})),
            );
        }
        self.push(
            "response.output_text.done",
            with(&at, json!({"text": text, "logprobs": []})),
        );
        self.push(
            "response.content_part.done",
            with(&at, json!({"part": output_text(text)})),
        );
        let done = message_item(self.call, text, "completed");
        self.push(
            "response.output_item.done",
            json!({"output_index": output_index, "item": done}),
        );
    }

    fn function_call(&mut self, output_index: usize, position: usize, name: &str, arguments: &str) {
        let added = function_call_item(self.call, position, name, "", "in_progress");
        self.push(
            "response.output_item.added",
            json!({"output_index": output_index, "item": added}),
        );
        let at = json!({"item_id": function_call_id(self.call.seq, position), "output_index": output_index});
        for piece in even_pieces(arguments, ARGUMENT_PIECES) {
            self.push(
                "response.function_call_arguments.delta",
                with(&at, json!({"delta": piece})),
            );
        }
        self.push(
            "response.function_call_arguments.done",
            with(&at, json!({"name": name, "arguments": arguments})),
        );
        let done = function_call_item(self.call, position, name, arguments, "completed");
        self.push(
            "response.output_item.done",
            json!({"output_index": output_index, "item": done}),
        );
    }
}

/// `base`'s fields with `extra`'s added.
fn with(base: &Value, extra: Value) -> Value {
    let mut merged = base.clone();
    if let (Some(merged), Value::Object(extra)) = (merged.as_object_mut(), extra) {
        merged.extend(extra);
    }
    merged
}

/// A streamed answer to `call`.
pub(crate) fn events(call: &Call, content: Content<'_>) -> Answer {
    let mut writer = Writer::new(call);
    let mut output_index = 0;
    if call.reasoning {
        writer.reasoning(output_index);
        output_index += 1;
    }
    match content {
        Content::Text(text) => writer.message(output_index, text),
        Content::ToolCalls(calls) => {
            for (position, (name, arguments)) in calls.iter().enumerate() {
                writer.function_call(output_index + position, position, name, arguments);
            }
        }
    }
    let response = response_value(call, writer.created_at, Some(content));
    writer.push("response.completed", json!({"response": response}));
    Answer::events(writer.events, content.pieces())
}

/// A stream with valid `response.created` / `response.in_progress` events, then an event whose
/// data is cut-off JSON.
pub(crate) fn malformed(call: &Call) -> Answer {
    let mut writer = Writer::new(call);
    writer.events.push(Bytes::from_static(
        b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\
          \"delta\":\"trunc\n\n",
    ));
    Answer::events(writer.events, 1)
}
