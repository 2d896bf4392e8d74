//! The OpenAI Responses codec against fixtures that follow the API reference
//! (see `fixtures/openai_responses/README.md`).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail loudly on bad fixtures"
)]

use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, ImageSource, Message, Parameters,
    Protocol, Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, StreamPart,
    ToolCall, ToolChoice, ToolDefinition, ToolResult, Usage,
};
use bitrouter_protocols::{
    DecodeError, ErrorInfo, RequestContext, SseDecoder, SseEvent, StreamOptions, decode_request,
    decode_response, encode_request, encode_response, error_message, stream_decoder,
    stream_encoder,
};
use serde_json::{Value, json};

const P: Protocol = Protocol::OpenaiResponses;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/openai_responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text(t: &str) -> ContentPart {
    ContentPart::Text { text: t.into() }
}

fn call(id: &str, name: &str, arguments: &str) -> ContentPart {
    ContentPart::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
        signature: None,
    })
}

fn sse_events(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        sse.push(chunk, &mut events).unwrap();
    }
    sse.finish(&mut events);
    events
}

/// Decodes a stream given in chunks; the error, if any, comes with the parts before it.
fn decode_stream(chunks: &[&[u8]]) -> (Vec<StreamPart>, Option<DecodeError>) {
    let mut decoder = stream_decoder(P);
    let mut parts = Vec::new();
    for event in sse_events(chunks) {
        if let Err(e) = decoder.decode(&event, &mut parts) {
            return (parts, Some(e));
        }
    }
    assert!(decoder.is_done(), "stream ended without a terminal event");
    (parts, None)
}

#[test]
fn plain_response() {
    let r = decode_response(P, &fixture("response_text.json")).unwrap();
    assert_eq!(
        r,
        ChatResponse {
            id: "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b".into(),
            model: "gpt-4.1-2025-04-14".into(),
            content: vec![text(
                "In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool."
            )],
            finish_reason: FinishReason::Stop,
            usage: Usage {
                input_tokens: 36,
                cached_input_tokens: 12,
                cache_write_tokens: 0,
                output_tokens: 87,
                reasoning_tokens: 0,
            },
            created: Some(1741476542),
        }
    );
}

#[test]
fn response_with_two_function_calls() {
    let r = decode_response(P, &fixture("response_function_calls.json")).unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        r.content,
        vec![
            call(
                "call_unLAR8MvFNptuiZK6K6HCy5k",
                "get_current_weather",
                r#"{"location":"Boston, MA","unit":"celsius"}"#
            ),
            call(
                "call_8vLmSJkXhTjHnX7b9vN0qW2e",
                "get_current_weather",
                r#"{"location":"Paris, France","unit":"celsius"}"#
            ),
        ]
    );
    assert_eq!(r.usage.total_tokens(), 337);
}

#[test]
fn response_with_encrypted_reasoning() {
    let r = decode_response(P, &fixture("response_reasoning.json")).unwrap();
    assert_eq!(
        r.content,
        vec![
            ContentPart::Reasoning(Reasoning {
                text: "**Planning the answer**\n\nThe user wants a short proof.\n\n\
                       **Checking the parity**\n\nBoth cases are even."
                    .into(),
                encrypted: Some("gAAAAABoISQ24OyVRYbkYfukCs3YHF5N2pcQQIdFLtXdOn2GBgQj".into()),
                id: Some("rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7".into()),
                ..Reasoning::default()
            }),
            text("n(n+1) is always even."),
        ]
    );
    assert_eq!(r.usage.reasoning_tokens, 832);
    assert_eq!(r.usage.output_tokens, 1035);
}

#[test]
fn incomplete_failed_and_error_answers() {
    let incomplete = json!({"id": "resp_1", "object": "response", "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"}, "model": "m",
        "output": [{"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f",
            "arguments": "{\"a\":"}]});
    let r = decode_response(P, incomplete.to_string().as_bytes()).unwrap();
    assert_eq!(r.finish_reason, FinishReason::Length);

    let filtered = json!({"id": "resp_1", "status": "incomplete", "model": "m", "output": [],
        "incomplete_details": {"reason": "content_filter"}});
    let r = decode_response(P, filtered.to_string().as_bytes()).unwrap();
    assert_eq!(r.finish_reason, FinishReason::ContentFilter);

    let failed = json!({"id": "resp_1", "status": "failed", "model": "m", "output": [],
        "error": {"code": "server_error", "message": "The model crashed"}});
    let e = decode_response(P, failed.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.message, "The model crashed");

    let body = fixture("error.json");
    let e = decode_response(P, &body).unwrap_err();
    assert_eq!(
        e.message,
        "Invalid 'input[0].content': expected a string or an array."
    );
    assert_eq!(error_message(P, &body).as_deref(), Some(e.message.as_str()));
}

#[test]
fn streamed_text_answer() {
    let (parts, err) = decode_stream(&[&fixture("stream_text.sse")]);
    assert_eq!(err, None);
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654".into(),
                model: "gpt-4.1-2025-04-14".into(),
            },
            StreamPart::TextDelta { text: "Hi".into() },
            StreamPart::TextDelta {
                text: " there! How can I help?".into()
            },
            StreamPart::Usage(Usage {
                input_tokens: 37,
                output_tokens: 11,
                ..Usage::default()
            }),
            StreamPart::Finish {
                reason: FinishReason::Stop
            },
        ]
    );
}

#[test]
fn streamed_function_calls() {
    let (parts, err) = decode_stream(&[&fixture("stream_function_call.sse")]);
    assert_eq!(err, None);
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "resp_fc_stream".into(),
                model: "gpt-4.1-2025-04-14".into(),
            },
            StreamPart::ToolCallStart {
                index: 0,
                id: "call_12345xyz".into(),
                name: "get_weather".into(),
                signature: None,
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: "{\"location\":".into()
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: "\"Paris, France\"}".into()
            },
            StreamPart::ToolCallStart {
                index: 1,
                id: "call_67890abc".into(),
                name: "get_time".into(),
                signature: None,
            },
            // No deltas for this one: the arguments come whole with the `.done` event.
            StreamPart::ToolCallDelta {
                index: 1,
                arguments: "{\"tz\":\"Europe/Paris\"}".into()
            },
            StreamPart::Usage(Usage {
                input_tokens: 120,
                cached_input_tokens: 64,
                output_tokens: 40,
                ..Usage::default()
            }),
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
}

#[test]
fn streamed_reasoning_cut_short() {
    let (parts, err) = decode_stream(&[&fixture("stream_reasoning.sse")]);
    assert_eq!(err, None);
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "resp_rs_stream".into(),
                model: "o4-mini-2025-04-16".into(),
            },
            StreamPart::ReasoningDelta {
                text: "**Thinking**".into()
            },
            StreamPart::ReasoningDelta {
                text: "\n\n".into()
            },
            StreamPart::ReasoningDelta {
                text: "Done.".into()
            },
            StreamPart::ReasoningOpaque {
                redacted: None,
                encrypted: Some("gAAAAABenc".into()),
                id: Some("rs_abc".into()),
            },
            StreamPart::TextDelta { text: "42".into() },
            StreamPart::Usage(Usage {
                input_tokens: 10,
                output_tokens: 300,
                reasoning_tokens: 256,
                ..Usage::default()
            }),
            StreamPart::Finish {
                reason: FinishReason::Length
            },
        ]
    );
}

#[test]
fn streamed_error_is_an_error() {
    let (parts, err) = decode_stream(&[&fixture("stream_error.sse")]);
    assert_eq!(
        err.unwrap().message,
        "There was an issue with your request. Please check your inputs and try again"
    );
    assert_eq!(
        parts,
        vec![StreamPart::Start {
            id: "resp_err".into(),
            model: "gpt-4o-2024-08-06".into()
        }]
    );
    // The documented shape, with the fields at the top level, and `response.failed` alone.
    let documented = b"data: {\"type\":\"error\",\"code\":\"ERR_SOMETHING\",\"message\":\"Something went wrong\",\"param\":null,\"sequence_number\":1}\n\n";
    assert_eq!(
        decode_stream(&[documented]).1.unwrap().message,
        "Something went wrong"
    );
    let failed = b"event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":3,\"response\":{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"Too many tokens\"},\"output\":[]}}\n\n";
    assert_eq!(
        decode_stream(&[failed]).1.unwrap().message,
        "Too many tokens"
    );
}

#[test]
fn chunks_split_anywhere_decode_the_same() {
    for name in [
        "stream_text.sse",
        "stream_function_call.sse",
        "stream_reasoning.sse",
        "stream_error.sse",
    ] {
        let body = fixture(name);
        let whole = decode_stream(&[&body]);
        for split in (1..body.len()).step_by(7) {
            let (a, b) = body.split_at(split);
            assert_eq!(decode_stream(&[a, b]), whole, "{name} split at {split}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode_stream(&bytes), whole, "{name} byte by byte");
    }
}

#[test]
fn stream_without_item_events_uses_the_completed_response() {
    let body = b"data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_9\",\"model\":\"m\",\"status\":\"completed\",\"output\":[{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"f\",\"arguments\":\"{}\"}]}}\n\n";
    let (parts, err) = decode_stream(&[body]);
    assert_eq!(err, None);
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "resp_9".into(),
                model: "m".into()
            },
            StreamPart::ToolCallStart {
                index: 0,
                id: "c1".into(),
                name: "f".into(),
                signature: None
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: "{}".into()
            },
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
}

#[test]
fn encoded_response_round_trips() {
    let response = ChatResponse {
        id: "resp_abc".into(),
        model: "claude-sonnet".into(),
        content: vec![
            ContentPart::Reasoning(Reasoning {
                text: "thinking".into(),
                encrypted: Some("enc".into()),
                id: Some("rs_up".into()),
                ..Reasoning::default()
            }),
            text("Hello, "),
            text("world"),
            call("toolu_1", "lookup", r#"{"q":"x"}"#),
        ],
        finish_reason: FinishReason::ToolCalls,
        usage: Usage {
            input_tokens: 100,
            cached_input_tokens: 40,
            cache_write_tokens: 0,
            output_tokens: 20,
            reasoning_tokens: 5,
        },
        created: Some(1700000000),
    };
    let body: Value = serde_json::from_slice(&encode_response(P, &response).unwrap()).unwrap();
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(
        body["output"],
        json!([
            {"id": "rs_up", "type": "reasoning", "encrypted_content": "enc",
                "summary": [{"type": "summary_text", "text": "thinking"}]},
            {"id": "msg_abc_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello, world", "annotations": []}]},
            {"id": "fc_abc_2", "type": "function_call", "status": "completed",
                "call_id": "toolu_1", "name": "lookup", "arguments": "{\"q\":\"x\"}"},
        ])
    );
    assert_eq!(
        body["usage"],
        json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 40},
            "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5},
            "total_tokens": 120})
    );
    let mut expected = response.clone();
    expected.content.splice(1..3, [text("Hello, world")]);
    let back = decode_response(P, body.to_string().as_bytes()).unwrap();
    assert_eq!(back, expected);

    let cut = ChatResponse {
        finish_reason: FinishReason::Length,
        ..ChatResponse::default()
    };
    let body: Value = serde_json::from_slice(&encode_response(P, &cut).unwrap()).unwrap();
    assert_eq!(body["status"], "incomplete");
    assert_eq!(
        body["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert!(body["id"].as_str().unwrap().starts_with("resp_"));
}

#[path = "openai_responses/requests.rs"]
mod requests;
#[path = "openai_responses/stream_encoding.rs"]
mod stream_encoding;
