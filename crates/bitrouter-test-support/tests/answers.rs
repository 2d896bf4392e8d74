//! The shape of the fake upstream's answers: JSON completions, SSE chunks, tool calls, fixtures.

mod common;

use bitrouter_test_support::fixtures::openai_chat as fixtures;
use bitrouter_test_support::{FakeUpstream, ReplyKind, Script};
use bytes::Bytes;
use common::*;
use http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn default_json_answer_echoes_the_last_user_text() {
    let upstream = FakeUpstream::start().await.unwrap();
    let (status, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    let answer = json_of(&body);
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "gpt-4o-mini");
    assert!(answer["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(answer["system_fingerprint"], "fp_fake_bitrouter");
    assert_eq!(answer["service_tier"], "default");
    let choice = &answer["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "echo: hello big world");
    assert_eq!(choice["message"]["refusal"], Value::Null);
    assert_eq!(answer["usage"]["prompt_tokens"], 5);
    assert_eq!(answer["usage"]["completion_tokens"], 4);
    assert_eq!(answer["usage"]["total_tokens"], 9);
    assert_eq!(answer["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

#[tokio::test]
async fn default_stream_has_role_deltas_finish_and_done_but_no_usage_unless_asked() {
    let upstream = FakeUpstream::start().await.unwrap();
    let (status, headers, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let chunks = chunks_until_done(&body);
    assert_eq!(chunks.len(), 6, "role + 4 words + finish");
    let id = chunks[0]["id"].clone();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["model"], "gpt-4o-mini");
        assert!(
            chunk.get("usage").is_none(),
            "no usage field without include_usage"
        );
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let pieces: Vec<&str> = chunks[1..5]
        .iter()
        .map(|chunk| chunk["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(pieces, ["echo:", " hello", " big", " world"]);
    assert!(
        chunks[..5]
            .iter()
            .all(|chunk| chunk["choices"][0]["finish_reason"].is_null())
    );
    assert_eq!(chunks[5]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn include_usage_adds_a_usage_chunk_with_no_choices_before_done() {
    let upstream = FakeUpstream::start().await.unwrap();
    let mut body = hello(true);
    body["stream_options"] = json!({"include_usage": true});
    let (_, _, answer) = chat(&upstream, &body).await;
    let chunks = chunks_until_done(&answer);
    let (usage_chunk, others) = chunks.split_last().unwrap();
    assert!(
        others
            .iter()
            .all(|chunk| chunk["usage"].is_null() && chunk.get("usage").is_some())
    );
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 5);
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 4);
    assert_eq!(usage_chunk["usage"]["total_tokens"], 9);
    assert_eq!(
        others.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );

    body["stream_options"] = json!({"include_usage": false});
    let (_, _, answer) = chat(&upstream, &body).await;
    assert!(
        chunks_until_done(&answer)
            .iter()
            .all(|chunk| chunk.get("usage").is_none())
    );
}

#[tokio::test]
async fn tool_calls_answer_as_json() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris"}"#),
        ("get_time", "{}"),
    ]));
    let (_, _, body) = chat(&upstream, &hello(false)).await;
    let answer = json_of(&body);
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let calls = choice["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(
        calls[0]["function"],
        json!({"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"})
    );
    assert_eq!(calls[1]["function"]["name"], "get_time");
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert!(calls[0]["id"].as_str().unwrap().starts_with("call_"));
}

#[tokio::test]
async fn tool_calls_stream_with_correct_indices() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris","unit":"celsius"}"#),
        ("get_time", r#"{"zone":"Europe/Rome"}"#),
    ]));
    let mut body = hello(true);
    body["stream_options"] = json!({"include_usage": true});
    let (_, _, answer) = chat(&upstream, &body).await;
    let chunks = chunks_until_done(&answer);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let calls = reassemble_tool_calls(&chunks);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, "get_weather");
    assert_eq!(calls[0].2, r#"{"city":"Paris","unit":"celsius"}"#);
    assert_eq!(calls[1].1, "get_time");
    assert_eq!(calls[1].2, r#"{"zone":"Europe/Rome"}"#);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[chunks.len() - 1]["choices"], json!([]));
    // Words: get_weather(1) + 1 argument word, get_time(1) + 1 argument word.
    assert_eq!(chunks[chunks.len() - 1]["usage"]["completion_tokens"], 4);
}

#[tokio::test]
async fn fixtures_are_well_formed_and_served_verbatim() {
    for fixture in [
        fixtures::CHAT_COMPLETION,
        fixtures::CHAT_COMPLETION_TOOL_CALLS,
        fixtures::ERROR_INVALID_REQUEST,
        fixtures::ERROR_RATE_LIMIT,
    ] {
        let _: Value = serde_json::from_str(fixture).unwrap();
    }
    let text = chunks_until_done(&Bytes::from_static(
        fixtures::CHAT_COMPLETION_STREAM.as_bytes(),
    ));
    assert_eq!(text.last().unwrap()["choices"], json!([]));
    let tools = chunks_until_done(&Bytes::from_static(
        fixtures::CHAT_COMPLETION_TOOL_CALLS_STREAM.as_bytes(),
    ));
    let calls = reassemble_tool_calls(&tools);
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].2,
        r#"{"location": "Paris, France", "unit": "celsius"}"#
    );
    let answer: Value = serde_json::from_str(fixtures::CHAT_COMPLETION_TOOL_CALLS).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["tool_calls"][1]["function"]["arguments"],
        calls[1].2
    );

    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::Reply(ReplyKind::Fixture(fixtures::CHAT_COMPLETION)));
    upstream.push(Script::Reply(ReplyKind::Fixture(
        fixtures::CHAT_COMPLETION_STREAM,
    )));
    let (_, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, fixtures::CHAT_COMPLETION.as_bytes());
    let (_, headers, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(body, fixtures::CHAT_COMPLETION_STREAM.as_bytes());
}
