//! The Google Gemini fake: auth, validation (schemas especially), answers, streams in both
//! transports, function calls, thoughts and scripts.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test on an unexpected error"
)]

mod common;

use bitrouter_test_support::fixtures::google_generate_content as fixtures;
use bitrouter_test_support::{FakeProtocol, FakeUpstream, ReplyKind, Script};
use bytes::Bytes;
use common::*;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

const KEY: [(&str, &str); 1] = [("x-goog-api-key", "sk-test")];
const GENERATE: &str = "/v1beta/models/gemini-2.5-flash:generateContent";
const STREAM_SSE: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

async fn start() -> FakeUpstream {
    FakeUpstream::builder()
        .protocol(FakeProtocol::GoogleGenerateContent)
        .start()
        .await
        .unwrap()
}

async fn post(upstream: &FakeUpstream, path: &str, body: &Value) -> (StatusCode, HeaderMap, Bytes) {
    exchange(upstream, Method::POST, path, &KEY, &body.to_string()).await
}

fn hello() -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [{"role": "user", "parts": [{"text": "hello big world"}]}]
    })
}

/// The chunks of an `alt=sse` body, whose events end in CRLF CRLF.
fn sse_chunks(body: &Bytes) -> Vec<Value> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\r\n\r\n"), "events end with CRLF CRLF");
    text.split("\r\n\r\n")
        .filter(|event| !event.is_empty())
        .map(|event| serde_json::from_str(event.strip_prefix("data: ").unwrap()).unwrap())
        .collect()
}

fn error_of(body: &Bytes) -> (u64, String, String) {
    let error = json_of(body);
    (
        error["error"]["code"].as_u64().unwrap(),
        error["error"]["status"].as_str().unwrap().to_owned(),
        error["error"]["message"].as_str().unwrap().to_owned(),
    )
}

fn tool_with(parameters: Value) -> Value {
    let mut body = hello();
    body["tools"] =
        json!([{"functionDeclarations": [{"name": "get_weather", "parameters": parameters}]}]);
    body
}

#[tokio::test]
async fn auth_by_header_or_query_key() {
    let upstream = start().await;
    let body = hello().to_string();
    let (status, _, answer) = exchange(&upstream, Method::POST, GENERATE, &[], &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&answer).1, "PERMISSION_DENIED");
    let (status, _, answer) = exchange(
        &upstream,
        Method::POST,
        GENERATE,
        &[("x-goog-api-key", "bad")],
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (code, status_name, message) = error_of(&answer);
    assert_eq!((code, status_name.as_str()), (400, "INVALID_ARGUMENT"));
    assert!(message.contains("API key not valid"));
    let (status, _, _) = exchange(
        &upstream,
        Method::POST,
        GENERATE,
        &[("authorization", "Bearer sk-test")],
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Bearer auth is not Google's");
    let with_query = format!("{GENERATE}?key=sk-test");
    let (status, _, _) = exchange(&upstream, Method::POST, &with_query, &[], &body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = post(&upstream, GENERATE, &hello()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        upstream.last_request().unwrap().header("x-goog-api-key"),
        Some("sk-test")
    );
}

#[tokio::test]
async fn unclean_schemas_are_rejected() {
    let upstream = start().await;
    let clean = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City"},
            "unit": {"type": "STRING", "enum": ["c", "f"], "nullable": true},
            "days": {"type": "array", "items": {"type": "integer"}},
            "when": {"anyOf": [{"type": "string"}, {"type": "number"}]}
        },
        "required": ["city"]
    });
    let (status, _, answer) = post(&upstream, GENERATE, &tool_with(clean)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"type": "object", "additionalProperties": false}),
            "Unknown name \"additionalProperties\"",
        ),
        (
            json!({"type": "object", "$schema": "http://json-schema.org/draft-07/schema#"}),
            "Unknown name \"$schema\"",
        ),
        (
            json!({"type": "object", "$defs": {"a": {"type": "string"}}}),
            "Unknown name \"$defs\"",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}}),
            "Unknown name \"$ref\"",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}),
            "properties[a].value.type",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": ["STRING", "NULL"]}}}),
            "properties[a].value.type",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object", "additionalProperties": {}}}}}),
            "Unknown name \"additionalProperties\"",
        ),
        (
            json!({"type": "object", "properties": {"a": {"anyOf": [{"const": 1}]}}}),
            "Unknown name \"const\"",
        ),
        (json!({"type": "text"}), "parameters.type"),
    ];
    for (parameters, needle) in cases {
        let (status, _, answer) = post(&upstream, GENERATE, &tool_with(parameters.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{parameters}");
        let (code, name, message) = error_of(&answer);
        assert_eq!((code, name.as_str()), (400, "INVALID_ARGUMENT"));
        assert!(message.contains(needle), "{parameters}: {message}");
    }
    let mut body = hello();
    body["tools"] = json!([{"functionDeclarations": [{"name": "f", "parametersJsonSchema": {"type": "object", "additionalProperties": false}}]}]);
    let (status, _, _) = post(&upstream, GENERATE, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "parametersJsonSchema takes full JSON Schema"
    );
}

#[tokio::test]
async fn invalid_bodies_are_400_invalid_argument() {
    let upstream = start().await;
    let user = json!({"role": "user", "parts": [{"text": "hi"}]});
    let call = |name: &str| json!({"functionCall": {"name": name, "args": {}}});
    let response =
        |name: &str| json!({"functionResponse": {"name": name, "response": {"ok": true}}});
    let with = |contents: Value| json!({"contents": contents});
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "contents is not specified"),
        (with(json!([])), "contents is not specified"),
        (
            json!({"contents": [user], "messages": []}),
            "Unknown name \"messages\"",
        ),
        (
            json!({"contents": [user], "system_instruction": "Be brief."}),
            "system_instruction",
        ),
        (
            json!({"contents": [user], "systemInstruction": {"parts": []}}),
            "system_instruction.parts",
        ),
        (
            with(json!([{"role": "system", "parts": [{"text": "x"}]}])),
            "Please use a valid role: user, model.",
        ),
        (
            with(json!([user, {"role": "assistant", "parts": [{"text": "x"}]}])),
            "Please use a valid role: user, model.",
        ),
        (
            with(json!([{"role": "user", "parts": []}])),
            "contents[0].parts: contents.parts must not be empty",
        ),
        (
            with(json!([{"role": "user", "content": "hi"}])),
            "Unknown name \"content\"",
        ),
        (
            with(json!([{"role": "user", "parts": [{}]}])),
            "required oneof field 'data'",
        ),
        (
            with(
                json!([{"role": "user", "parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA"}}]}]),
            ),
            "Oneof field 'data' is already set",
        ),
        (
            with(json!([{"role": "user", "parts": [{"type": "text", "text": "a"}]}])),
            "Unknown name \"type\"",
        ),
        (
            with(json!([{"role": "user", "parts": [{"inlineData": {"data": "AA"}}]}])),
            "inline_data.mime_type",
        ),
        (
            with(
                json!([{"role": "user", "parts": [{"fileData": {"mimeType": "application/pdf"}}]}]),
            ),
            "file_data.file_uri",
        ),
        (
            with(json!([{"role": "user", "parts": [{"text": 5}]}])),
            "contents[0].parts[0].text",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [{"functionCall": {"name": "f", "args": "{}"}}]}]),
            ),
            "function_call.args",
        ),
        (
            with(json!([user, {"role": "model", "parts": [{"functionCall": {"args": {}}}]}])),
            "Name cannot be empty",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [call("f")]}, {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": "ok"}}]}]),
            ),
            "function_response.response",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [call("f")]}, {"role": "user", "parts": [response("g")]}]),
            ),
            "function response 'g' does not match a function call",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [{"text": "no call"}]}, {"role": "user", "parts": [response("f")]}]),
            ),
            "function response 'f' does not match",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [call("f"), call("g")]}, {"role": "user", "parts": [response("f")]}]),
            ),
            "number of function response parts is equal to the number of function call parts",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [call("f")]}, {"role": "user", "parts": [{"text": "forgot"}]}]),
            ),
            "number of function response parts",
        ),
        (
            with(json!([{"role": "model", "parts": [call("f")]}])),
            "function call turn comes immediately after a user turn",
        ),
        (
            with(
                json!([user, {"role": "model", "parts": [{"text": "x"}]}, {"role": "model", "parts": [call("f")]}]),
            ),
            "function call turn comes immediately after",
        ),
        (
            with(json!([{"role": "user", "parts": [call("f")]}])),
            "function_call parts can only be in 'model' turns",
        ),
        (
            with(json!([{"role": "user", "parts": [{"text": "a", "thought": "yes"}]}])),
            "thought",
        ),
        (
            json!({"contents": [user], "generationConfig": {"temperature": "0.5"}}),
            "generation_config.temperature",
        ),
        (
            json!({"contents": [user], "generationConfig": {"maxOutputTokens": 1.5}}),
            "generation_config.max_output_tokens",
        ),
        (
            json!({"contents": [user], "generationConfig": {"stopSequences": "END"}}),
            "generation_config.stop_sequences",
        ),
        (
            json!({"contents": [user], "generationConfig": {"max_tokens": 10}}),
            "Unknown name \"max_tokens\"",
        ),
        (
            json!({"contents": [user], "generationConfig": {"thinkingConfig": {"includeThoughts": "true"}}}),
            "thinking_config.include_thoughts",
        ),
        (
            json!({"contents": [user], "generationConfig": {"thinkingConfig": {"budget": 10}}}),
            "Unknown name \"budget\"",
        ),
        (
            json!({"contents": [user], "generationConfig": {"responseSchema": {"type": "object", "additionalProperties": false}}}),
            "Unknown name \"additionalProperties\"",
        ),
        (
            json!({"contents": [user], "tools": [{"functionDeclarations": [{"name": "get weather"}]}]}),
            "Invalid function name",
        ),
        (
            json!({"contents": [user], "tools": [{"functionDeclarations": [{"name": "f", "input_schema": {}}]}]}),
            "Unknown name \"input_schema\"",
        ),
    ];
    for (body, needle) in cases {
        let (status, _, answer) = post(&upstream, GENERATE, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (code, name, message) = error_of(&answer);
        assert_eq!((code, name.as_str()), (400, "INVALID_ARGUMENT"));
        assert!(
            message.contains(needle),
            "{body}\nexpected {needle:?} in {message:?}"
        );
    }
}

#[tokio::test]
async fn a_full_function_calling_conversation_is_accepted_in_both_spellings() {
    let upstream = start().await;
    let body = json!({
        "system_instruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "weather?"}, {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}}]},
            {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
                {"function_call": {"name": "get_time"}}
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 20}}},
                {"function_response": {"name": "get_time", "response": {"time": "noon"}}}
            ]},
            {"role": "model", "parts": [{"text": "It is 20 degrees.", "thoughtSignature": "c2ln"}]},
            {"parts": [{"text": "thanks a lot"}]}
        ],
        "tools": [{"function_declarations": [{"name": "get_weather", "description": "d", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}, {"name": "get_time"}]}, {"googleSearch": {}}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generation_config": {"temperature": 0.2, "topK": 40, "max_output_tokens": 100, "stopSequences": ["END"], "thinking_config": {"thinking_budget": 1024}}
    });
    let (status, _, answer) = post(&upstream, GENERATE, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer = json_of(&answer);
    assert_eq!(
        answer["candidates"][0]["content"]["parts"][0]["text"],
        "echo: thanks a lot"
    );
}

#[tokio::test]
async fn gemini_3_needs_the_thought_signature_on_the_current_turn_calls() {
    let upstream = start().await;
    let conversation = |signed: bool| {
        let mut call = json!({"functionCall": {"name": "get_weather", "args": {}}});
        if signed {
            call["thoughtSignature"] = json!("c2ln");
        }
        json!({"contents": [
            {"role": "user", "parts": [{"text": "weather?"}]},
            {"role": "model", "parts": [call]},
            {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 1}}}]}
        ]})
    };
    let path = "/v1beta/models/gemini-3-pro-preview:generateContent";
    let (status, _, answer) = post(&upstream, path, &conversation(false)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&answer).2.contains("missing a thought_signature"));
    let (status, _, _) = post(&upstream, path, &conversation(true)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = post(&upstream, GENERATE, &conversation(false)).await;
    assert_eq!(status, StatusCode::OK, "Gemini 2.5 does not insist");
}

#[tokio::test]
async fn default_json_answer_field_by_field() {
    let upstream = start().await;
    let (status, headers, body) = post(&upstream, GENERATE, &hello()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let answer = json_of(&body);
    let candidate = &answer["candidates"][0];
    assert_eq!(
        candidate["content"],
        json!({"parts": [{"text": "echo: hello big world"}], "role": "model"})
    );
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(candidate["index"], 0);
    let usage = &answer["usageMetadata"];
    assert_eq!(usage["promptTokenCount"], 5);
    assert_eq!(usage["candidatesTokenCount"], 4);
    assert_eq!(usage["totalTokenCount"], 9);
    assert!(usage.get("thoughtsTokenCount").is_none());
    assert_eq!(answer["modelVersion"], "gemini-2.5-flash");
    assert!(
        answer["responseId"]
            .as_str()
            .unwrap()
            .starts_with("fake-response-")
    );
}

#[tokio::test]
async fn sse_stream_splits_text_and_puts_usage_last() {
    let upstream = start().await;
    let (status, headers, body) = post(&upstream, STREAM_SSE, &hello()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let chunks = sse_chunks(&body);
    assert_eq!(chunks.len(), 4);
    let text: String = chunks
        .iter()
        .map(|chunk| {
            chunk["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(text, "echo: hello big world");
    for chunk in &chunks[..3] {
        assert!(chunk.get("usageMetadata").is_none());
        assert!(chunk["candidates"][0].get("finishReason").is_none());
        assert_eq!(chunk["candidates"][0]["content"]["role"], "model");
    }
    let last = &chunks[3];
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["totalTokenCount"], 9);
    assert_eq!(last["responseId"], chunks[0]["responseId"]);
}

#[tokio::test]
async fn stream_without_alt_sse_is_a_json_array_of_the_same_chunks() {
    let upstream = start().await;
    let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
    let (status, headers, body) = post(&upstream, path, &hello()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let chunks = json_of(&body);
    let chunks = chunks.as_array().unwrap();
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[3]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        chunks[0]["candidates"][0]["content"]["parts"][0]["text"],
        "echo:"
    );
}

#[tokio::test]
async fn function_calls_have_no_ids_and_stream_whole() {
    let upstream = start().await;
    let calls = [("get_weather", r#"{"city":"Paris"}"#), ("get_time", "")];
    upstream.push(Script::tool_calls(calls));
    let (_, _, body) = post(&upstream, GENERATE, &hello()).await;
    let answer = json_of(&body);
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(
        parts[0],
        json!({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}})
    );
    assert_eq!(
        parts[1],
        json!({"functionCall": {"name": "get_time", "args": {}}})
    );
    assert_eq!(answer["candidates"][0]["finishReason"], "STOP");

    upstream.push(Script::tool_calls(calls));
    let (_, _, body) = post(&upstream, STREAM_SSE, &hello()).await;
    let chunks = sse_chunks(&body);
    assert_eq!(chunks.len(), 1, "function calls arrive whole in one chunk");
    let parts = chunks[0]["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 2);
    assert!(
        parts
            .iter()
            .all(|part| part["functionCall"].get("id").is_none())
    );
    assert_eq!(chunks[0]["usageMetadata"]["promptTokenCount"], 5);
}

#[tokio::test]
async fn include_thoughts_adds_a_signed_thought_part() {
    let upstream = start().await;
    let mut body = hello();
    body["generationConfig"] =
        json!({"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 1024}});
    let (_, _, answer) = post(&upstream, GENERATE, &body).await;
    let answer = json_of(&answer);
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["thought"], true);
    assert_eq!(parts[0]["text"], "thinking about: hello big world");
    assert!(
        parts[0]["thoughtSignature"]
            .as_str()
            .unwrap()
            .starts_with("sig-")
    );
    assert_eq!(parts[1], json!({"text": "echo: hello big world"}));
    let usage = &answer["usageMetadata"];
    assert_eq!(usage["thoughtsTokenCount"], 5);
    assert_eq!(
        usage["candidatesTokenCount"], 4,
        "thoughts are not candidate tokens"
    );
    assert_eq!(usage["totalTokenCount"], 5 + 4 + 5);

    let (_, _, stream) = post(&upstream, STREAM_SSE, &body).await;
    let chunks = sse_chunks(&stream);
    assert_eq!(
        chunks[0]["candidates"][0]["content"]["parts"][0]["thought"],
        true
    );
    assert_eq!(chunks.len(), 5);

    upstream.push(Script::tool_calls([("f", "{}"), ("g", "{}")]));
    let (_, _, answer) = post(&upstream, GENERATE, &body).await;
    let answer = json_of(&answer);
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["thought"], true);
    assert!(parts[0].get("thoughtSignature").is_none());
    assert!(
        parts[1]["thoughtSignature"]
            .as_str()
            .unwrap()
            .starts_with("sig-"),
        "on the first call"
    );
    assert!(parts[2].get("thoughtSignature").is_none());
}

#[tokio::test]
async fn models_unknown_routes_and_scripts() {
    let upstream = start().await;
    let (status, _, body) = exchange(&upstream, Method::GET, "/v1beta/models", &KEY, "").await;
    assert_eq!(status, StatusCode::OK);
    let models = json_of(&body);
    assert!(
        models["models"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("models/")
    );
    assert!(
        models["models"][0]["supportedGenerationMethods"]
            .as_array()
            .unwrap()
            .contains(&json!("generateContent"))
    );
    let (status, _, body) = exchange(
        &upstream,
        Method::POST,
        "/v1beta/models/x:embed",
        &KEY,
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body).1, "NOT_FOUND");

    upstream.push(Script::status(429, fixtures::ERROR_RESOURCE_EXHAUSTED));
    let (status, _, body) = post(&upstream, GENERATE, &hello()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(&body).1, "RESOURCE_EXHAUSTED");

    upstream.push(Script::DropMidStream { after_chunks: 2 });
    let response = open(
        &upstream,
        Method::POST,
        STREAM_SSE,
        &KEY,
        &hello().to_string(),
    )
    .await;
    let (data, failed) = read_until_end(response).await;
    assert!(failed);
    let text = String::from_utf8(data).unwrap();
    assert_eq!(text.matches("data: ").count(), 2);
    assert!(!text.contains("STOP"));

    upstream.push(Script::MalformedSse);
    let (_, _, body) = post(&upstream, STREAM_SSE, &hello()).await;
    let text = std::str::from_utf8(&body).unwrap();
    let second = text.split("\r\n\r\n").nth(1).unwrap();
    assert!(serde_json::from_str::<Value>(second.strip_prefix("data: ").unwrap()).is_err());

    upstream.push(Script::Reply(ReplyKind::Fixture(fixtures::STREAM)));
    let (_, _, body) = post(&upstream, STREAM_SSE, &hello()).await;
    let chunks = sse_chunks(&body);
    assert_eq!(
        chunks.last().unwrap()["usageMetadata"]["totalTokenCount"],
        19
    );
    for fixture in [
        fixtures::GENERATE_CONTENT,
        fixtures::GENERATE_CONTENT_FUNCTION_CALL,
    ] {
        let value: Value = serde_json::from_str(fixture).unwrap();
        assert_eq!(value["candidates"][0]["finishReason"], "STOP");
    }
    for fixture in [
        fixtures::ERROR_INVALID_ARGUMENT,
        fixtures::ERROR_UNAVAILABLE,
    ] {
        let value: Value = serde_json::from_str(fixture).unwrap();
        assert!(value["error"]["code"].is_u64());
    }
}

#[tokio::test]
async fn the_binary_speaks_google_when_asked() {
    let (_child, url) = spawn_binary(&["--protocol", "google_generate_content"]).await;
    let (status, body) = post_url(
        &format!("{url}{GENERATE}?key=sk-test"),
        &[],
        &hello().to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["candidates"][0]["finishReason"], "STOP");
}
