//! The client side of the conformance suite: requests written in each protocol, and answers
//! read back the way that protocol's SDK would, into one comparable shape.

#![allow(
    dead_code,
    reason = "each test file that includes this module uses a different subset"
)]

use bitrouter_core::Protocol;
use bitrouter_protocols::SseDecoder;
use serde_json::{Value, json};

pub const SYSTEM: &str = "You are terse.";
pub const USER: &str = "hello conformance";
pub const MODEL: &str = "test-model";

/// What a client made of an answer.
#[derive(Debug, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    pub calls: Vec<(String, Value)>,
    pub finish: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A schema as OpenAI and Anthropic clients write them, with keywords Gemini rejects
/// (`$schema`, `additionalProperties`, a nullable type array): a translation to Google must
/// clean them.
fn weather_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": ["string", "null"]}},
        "required": ["city"],
        "additionalProperties": false
    })
}

fn time_schema() -> Value {
    json!({"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]})
}

/// The path a client of `protocol` posts to.
pub fn path(protocol: Protocol, stream: bool) -> String {
    match protocol {
        Protocol::OpenaiChat => "/v1/chat/completions".into(),
        Protocol::OpenaiResponses => "/v1/responses".into(),
        Protocol::AnthropicMessages => "/v1/messages".into(),
        Protocol::GoogleGenerateContent if stream => {
            format!("/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
        }
        Protocol::GoogleGenerateContent => format!("/v1beta/models/{MODEL}:generateContent"),
    }
}

/// The first turn: a system prompt, a user message and two tools.
pub fn first_turn(protocol: Protocol, stream: bool) -> Value {
    let mut body = match protocol {
        Protocol::OpenaiChat => json!({
            "model": MODEL,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
            "tools": [
                {"type": "function", "function": {"name": "get_weather", "parameters": weather_schema()}},
                {"type": "function", "function": {"name": "get_time", "parameters": time_schema()}}
            ]
        }),
        Protocol::OpenaiResponses => json!({
            "model": MODEL,
            "instructions": SYSTEM,
            "input": [{"role": "user", "content": USER}],
            "tools": [
                {"type": "function", "name": "get_weather", "parameters": weather_schema()},
                {"type": "function", "name": "get_time", "parameters": time_schema()}
            ]
        }),
        Protocol::AnthropicMessages => json!({
            "model": MODEL,
            "max_tokens": 512,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": USER}],
            "tools": [
                {"name": "get_weather", "input_schema": weather_schema()},
                {"name": "get_time", "input_schema": time_schema()}
            ]
        }),
        Protocol::GoogleGenerateContent => json!({
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": USER}]}],
            "tools": [{"functionDeclarations": [
                {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
                {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {"tz": {"type": "STRING"}}, "required": ["tz"]}}
            ]}]
        }),
    };
    if stream {
        match protocol {
            Protocol::OpenaiChat => {
                body["stream"] = json!(true);
                body["stream_options"] = json!({"include_usage": true});
            }
            Protocol::GoogleGenerateContent => {}
            _ => body["stream"] = json!(true),
        }
    }
    body
}

/// The second turn: the first turn, the model's two parallel tool calls, and their results.
pub fn tool_result_turn(protocol: Protocol) -> Value {
    let mut body = first_turn(protocol, false);
    let w = r#"{"city":"Paris"}"#;
    let t = r#"{"tz":"UTC"}"#;
    match protocol {
        Protocol::OpenaiChat => {
            let m = body["messages"].as_array_mut().unwrap();
            m.push(json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": w}},
                {"id": "call_t", "type": "function", "function": {"name": "get_time", "arguments": t}}
            ]}));
            m.push(json!({"role": "tool", "tool_call_id": "call_w", "content": "{\"temp_c\":21}"}));
            m.push(json!({"role": "tool", "tool_call_id": "call_t", "content": "12:00"}));
        }
        Protocol::OpenaiResponses => {
            let m = body["input"].as_array_mut().unwrap();
            m.push(json!({"type": "function_call", "call_id": "call_w", "name": "get_weather", "arguments": w}));
            m.push(json!({"type": "function_call", "call_id": "call_t", "name": "get_time", "arguments": t}));
            m.push(json!({"type": "function_call_output", "call_id": "call_w", "output": "{\"temp_c\":21}"}));
            m.push(json!({"type": "function_call_output", "call_id": "call_t", "output": "12:00"}));
        }
        Protocol::AnthropicMessages => {
            let m = body["messages"].as_array_mut().unwrap();
            m.push(json!({"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_w", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_t", "name": "get_time", "input": {"tz": "UTC"}}
            ]}));
            m.push(json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_w", "content": "{\"temp_c\":21}"},
                {"type": "tool_result", "tool_use_id": "toolu_t", "content": "12:00"}
            ]}));
        }
        Protocol::GoogleGenerateContent => {
            let m = body["contents"].as_array_mut().unwrap();
            m.push(json!({"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "get_time", "args": {"tz": "UTC"}}}
            ]}));
            m.push(json!({"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}},
                {"functionResponse": {"name": "get_time", "response": {"result": "12:00"}}}
            ]}));
        }
    }
    body
}

fn args(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            serde_json::from_str(s).unwrap_or_else(|e| panic!("arguments not JSON ({e}): {s}"))
        }
        other => other.clone(),
    }
}

/// Reads a complete answer as the protocol's SDK would.
pub fn read_answer(protocol: Protocol, v: &Value) -> Answer {
    let mut a = Answer::default();
    match protocol {
        Protocol::OpenaiChat => {
            let m = &v["choices"][0]["message"];
            a.text = m["content"].as_str().unwrap_or_default().to_owned();
            for c in m["tool_calls"].as_array().into_iter().flatten() {
                a.calls.push((
                    c["function"]["name"].as_str().unwrap().to_owned(),
                    args(&c["function"]["arguments"]),
                ));
            }
            a.finish = v["choices"][0]["finish_reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            a.input_tokens = v["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
            a.output_tokens = v["usage"]["completion_tokens"].as_u64().unwrap_or(0);
        }
        Protocol::OpenaiResponses => {
            for item in v["output"].as_array().into_iter().flatten() {
                match item["type"].as_str() {
                    Some("message") => {
                        for c in item["content"].as_array().into_iter().flatten() {
                            a.text.push_str(c["text"].as_str().unwrap_or_default());
                        }
                    }
                    Some("function_call") => a.calls.push((
                        item["name"].as_str().unwrap().to_owned(),
                        args(&item["arguments"]),
                    )),
                    _ => {}
                }
            }
            a.finish = v["status"].as_str().unwrap_or_default().to_owned();
            a.input_tokens = v["usage"]["input_tokens"].as_u64().unwrap_or(0);
            a.output_tokens = v["usage"]["output_tokens"].as_u64().unwrap_or(0);
        }
        Protocol::AnthropicMessages => {
            for b in v["content"].as_array().into_iter().flatten() {
                match b["type"].as_str() {
                    Some("text") => a.text.push_str(b["text"].as_str().unwrap_or_default()),
                    Some("tool_use") => a
                        .calls
                        .push((b["name"].as_str().unwrap().to_owned(), b["input"].clone())),
                    _ => {}
                }
            }
            a.finish = v["stop_reason"].as_str().unwrap_or_default().to_owned();
            a.input_tokens = v["usage"]["input_tokens"].as_u64().unwrap_or(0);
            a.output_tokens = v["usage"]["output_tokens"].as_u64().unwrap_or(0);
        }
        Protocol::GoogleGenerateContent => read_google_chunk(v, &mut a),
    }
    a
}

fn read_google_chunk(v: &Value, a: &mut Answer) {
    for p in v["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if p["thought"] == json!(true) {
            continue;
        }
        if let Some(t) = p["text"].as_str() {
            a.text.push_str(t);
        }
        if let Some(c) = p.get("functionCall") {
            a.calls
                .push((c["name"].as_str().unwrap().to_owned(), c["args"].clone()));
        }
    }
    if let Some(f) = v["candidates"][0]["finishReason"].as_str() {
        a.finish = f.to_owned();
    }
    if let Some(n) = v["usageMetadata"]["promptTokenCount"].as_u64() {
        a.input_tokens = n;
    }
    if let Some(n) = v["usageMetadata"]["candidatesTokenCount"].as_u64() {
        a.output_tokens = n;
    }
}

/// Reads a streamed answer event by event, as the protocol's SDK would accumulate it, and
/// checks the stream is well-formed (its final event arrived, no error event).
pub fn read_stream(protocol: Protocol, body: &[u8]) -> Answer {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    decoder.push(body, &mut events).unwrap();
    decoder.finish(&mut events);
    let mut a = Answer::default();
    let mut args_text: Vec<String> = Vec::new();
    let mut ended = false;
    for ev in &events {
        if protocol == Protocol::OpenaiChat && ev.data == "[DONE]" {
            ended = true;
            continue;
        }
        let v: Value = serde_json::from_str(&ev.data)
            .unwrap_or_else(|e| panic!("event not JSON ({e}): {}", ev.data));
        assert!(
            v.get("error").is_none()
                || protocol == Protocol::OpenaiResponses && v["type"] != "error",
            "error event: {v}"
        );
        match protocol {
            Protocol::OpenaiChat => {
                let d = &v["choices"][0]["delta"];
                a.text.push_str(d["content"].as_str().unwrap_or_default());
                for c in d["tool_calls"].as_array().into_iter().flatten() {
                    let i = c["index"].as_u64().unwrap() as usize;
                    if let Some(name) = c["function"]["name"].as_str() {
                        assert_eq!(i, a.calls.len(), "tool call indices in order: {v}");
                        a.calls.push((name.to_owned(), Value::Null));
                        args_text.push(String::new());
                    }
                    args_text[i].push_str(c["function"]["arguments"].as_str().unwrap_or_default());
                }
                if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
                    a.finish = f.to_owned();
                }
                if let Some(n) = v["usage"]["prompt_tokens"].as_u64() {
                    a.input_tokens = n;
                    a.output_tokens = v["usage"]["completion_tokens"].as_u64().unwrap_or(0);
                }
            }
            Protocol::OpenaiResponses => match v["type"].as_str().unwrap_or_default() {
                "response.output_text.delta" => a.text.push_str(v["delta"].as_str().unwrap()),
                "response.output_item.added" if v["item"]["type"] == "function_call" => {
                    a.calls
                        .push((v["item"]["name"].as_str().unwrap().to_owned(), Value::Null));
                    args_text.push(String::new());
                }
                "response.function_call_arguments.delta" => {
                    let i = args_text.len() - 1;
                    args_text[i].push_str(v["delta"].as_str().unwrap());
                }
                "response.completed" | "response.incomplete" => {
                    ended = true;
                    a.finish = v["response"]["status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    a.input_tokens = v["response"]["usage"]["input_tokens"].as_u64().unwrap_or(0);
                    a.output_tokens = v["response"]["usage"]["output_tokens"]
                        .as_u64()
                        .unwrap_or(0);
                }
                "error" | "response.failed" => panic!("error event: {v}"),
                _ => {}
            },
            Protocol::AnthropicMessages => match ev.event.as_deref().unwrap_or_default() {
                "message_start" => {
                    a.input_tokens = v["message"]["usage"]["input_tokens"].as_u64().unwrap_or(0)
                }
                "content_block_start" if v["content_block"]["type"] == "tool_use" => {
                    a.calls.push((
                        v["content_block"]["name"].as_str().unwrap().to_owned(),
                        Value::Null,
                    ));
                    args_text.push(String::new());
                }
                "content_block_delta" => match v["delta"]["type"].as_str() {
                    Some("text_delta") => a.text.push_str(v["delta"]["text"].as_str().unwrap()),
                    Some("input_json_delta") => {
                        let i = args_text.len() - 1;
                        args_text[i].push_str(v["delta"]["partial_json"].as_str().unwrap());
                    }
                    _ => {}
                },
                "message_delta" => {
                    a.finish = v["delta"]["stop_reason"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    if let Some(n) = v["usage"]["input_tokens"].as_u64() {
                        a.input_tokens = a.input_tokens.max(n);
                    }
                    a.output_tokens = v["usage"]["output_tokens"].as_u64().unwrap_or(0);
                }
                "message_stop" => ended = true,
                "error" => panic!("error event: {v}"),
                _ => {}
            },
            Protocol::GoogleGenerateContent => {
                read_google_chunk(&v, &mut a);
                if !a.finish.is_empty() {
                    ended = true;
                }
            }
        }
    }
    assert!(
        ended,
        "the stream ended without its final event: {events:?}"
    );
    for (call, text) in a.calls.iter_mut().zip(args_text) {
        call.1 = if text.is_empty() {
            serde_json::json!({})
        } else {
            args(&Value::String(text))
        };
    }
    a
}

/// Whether a finish reason means "tool calls" in the client's protocol.
pub fn finish_is_tool_calls(protocol: Protocol, finish: &str) -> bool {
    match protocol {
        Protocol::OpenaiChat => finish == "tool_calls",
        Protocol::OpenaiResponses => finish == "completed",
        Protocol::AnthropicMessages => finish == "tool_use",
        Protocol::GoogleGenerateContent => finish == "STOP",
    }
}

/// Whether a finish reason means a natural stop in the client's protocol.
pub fn finish_is_stop(protocol: Protocol, finish: &str) -> bool {
    match protocol {
        Protocol::OpenaiChat => finish == "stop",
        Protocol::OpenaiResponses => finish == "completed",
        Protocol::AnthropicMessages => finish == "end_turn",
        Protocol::GoogleGenerateContent => finish == "STOP",
    }
}
