//! The Responses stream encoder: its events read back through the decoder.

use super::*;

fn encode(parts: &[StreamPart]) -> Vec<u8> {
    let mut encoder = stream_encoder(P, StreamOptions::default());
    let mut out = Vec::new();
    for part in parts {
        encoder.encode(part, &mut out);
    }
    encoder.finish(&mut out);
    out
}

fn payloads(body: &[u8]) -> Vec<Value> {
    sse_events(&[body])
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(
                e.event.as_deref(),
                v["type"].as_str(),
                "event name matches type"
            );
            v
        })
        .collect()
}

fn start() -> StreamPart {
    StreamPart::Start {
        id: "resp_x".into(),
        model: "gpt-5".into(),
    }
}

#[test]
fn encoded_stream_decodes_to_the_same_parts() {
    let usage = Usage {
        input_tokens: 50,
        cached_input_tokens: 10,
        cache_write_tokens: 0,
        output_tokens: 30,
        reasoning_tokens: 8,
    };
    let d = |index: u32, a: &str| StreamPart::ToolCallDelta {
        index,
        arguments: a.into(),
    };
    let s = |index: u32, id: &str, name: &str| StreamPart::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
        signature: None,
    };
    let parts = vec![
        start(),
        StreamPart::ReasoningDelta { text: "a".into() },
        StreamPart::ReasoningDelta { text: "b".into() },
        StreamPart::ReasoningOpaque {
            redacted: None,
            encrypted: Some("enc".into()),
            id: Some("rs_up".into()),
        },
        StreamPart::TextDelta { text: "Hel".into() },
        StreamPart::TextDelta { text: "lo".into() },
        s(0, "call_0", "f"),
        s(1, "call_1", "g"),
        d(1, "{\"b\""),
        d(0, "{}"),
        d(1, ":1}"),
        // Usage after Finish, as some upstreams send it.
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
        StreamPart::Usage(usage),
    ];
    let body = encode(&parts);
    let (decoded, err) = decode_stream(&[&body]);
    assert_eq!(err, None);
    let mut expected = parts.clone();
    // The reasoning item keeps the id it was announced with.
    expected[3] = StreamPart::ReasoningOpaque {
        redacted: None,
        encrypted: Some("enc".into()),
        id: Some("rs_x_0".into()),
    };
    expected.swap(11, 12);
    assert_eq!(decoded, expected);

    let events = payloads(&body);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e["sequence_number"], n, "{e}");
    }
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[13]["text"], "Hello");
    assert_eq!(events[21]["arguments"], "{}");
    assert_eq!(events[21]["output_index"], 2);
    assert_eq!(events[23]["arguments"], "{\"b\":1}");
    assert_eq!(events[23]["item_id"], "fc_x_3");
    let done = &events[25]["response"];
    assert_eq!(done["id"], "resp_x");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["usage"]["total_tokens"], 80);
    assert_eq!(done["usage"]["input_tokens_details"]["cached_tokens"], 10);
    assert_eq!(
        done["output"],
        json!([
            {"id": "rs_x_0", "type": "reasoning", "encrypted_content": "enc",
                "summary": [{"type": "summary_text", "text": "ab"}]},
            {"id": "msg_x_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello", "annotations": []}]},
            {"id": "fc_x_2", "type": "function_call", "status": "completed",
                "call_id": "call_0", "name": "f", "arguments": "{}"},
            {"id": "fc_x_3", "type": "function_call", "status": "completed",
                "call_id": "call_1", "name": "g", "arguments": "{\"b\":1}"},
        ])
    );
    // The final response decodes like a complete answer.
    let answer = decode_response(P, done.to_string().as_bytes()).unwrap();
    assert_eq!(answer.usage, usage);
    assert_eq!(answer.finish_reason, FinishReason::ToolCalls);
}

#[test]
fn length_finish_ends_incomplete_and_start_is_synthesised() {
    let body = encode(&[
        StreamPart::TextDelta { text: "cut".into() },
        StreamPart::Finish {
            reason: FinishReason::Length,
        },
    ]);
    let events = payloads(&body);
    assert_eq!(events[0]["type"], "response.created");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    let (parts, err) = decode_stream(&[&body]);
    assert_eq!(err, None);
    assert_eq!(parts[1], StreamPart::TextDelta { text: "cut".into() });
    assert_eq!(
        parts.last(),
        Some(&StreamPart::Finish {
            reason: FinishReason::Length
        })
    );
}

#[test]
fn error_ends_the_stream() {
    let mut encoder = stream_encoder(P, StreamOptions::default());
    let mut out = Vec::new();
    encoder.encode(&start(), &mut out);
    encoder.encode(&StreamPart::TextDelta { text: "par".into() }, &mut out);
    encoder.error(
        &ErrorInfo {
            status: 502,
            message: "upstream went away",
            code: None,
        },
        &mut out,
    );
    encoder.finish(&mut out);
    let events = payloads(&out);
    let n = events.len();
    assert_eq!(events[n - 2]["type"], "error");
    assert_eq!(events[n - 2]["message"], "upstream went away");
    assert_eq!(events[n - 2]["error"]["message"], "upstream went away");
    assert_eq!(events[n - 1]["type"], "response.failed");
    assert_eq!(events[n - 1]["response"]["status"], "failed");
    let (parts, err) = decode_stream(&[&out]);
    assert_eq!(err.unwrap().message, "upstream went away");
    assert_eq!(parts.len(), 2);
}
