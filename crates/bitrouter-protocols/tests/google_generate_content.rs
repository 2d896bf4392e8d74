//! The Gemini API codec through the public interface, against fixtures that follow the official
//! reference (see `fixtures/google_generate_content/README.md`).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail loudly too"
)]

use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, ImageSource, Message, Protocol,
    Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Signature, StreamPart,
    ToolCall, ToolChoice, ToolDefinition, ToolResult, Usage,
};
use bitrouter_protocols::{
    ErrorInfo, RequestContext, SseDecoder, StreamOptions, decode_request, decode_response,
    encode_request, encode_response, error_body, error_message, stream_decoder, stream_encoder,
};
use serde_json::{Value, json};

const G: Protocol = Protocol::GoogleGenerateContent;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/google_generate_content/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cx(model: &str, stream: bool) -> RequestContext<'_> {
    RequestContext {
        path_model: Some(model),
        path_stream: stream,
    }
}

fn text(t: &str) -> ContentPart {
    ContentPart::Text { text: t.into() }
}

fn call(id: &str, name: &str, args: &str, signature: Option<&str>) -> ContentPart {
    ContentPart::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.into(),
        signature: signature.map(|s| Signature::new(Protocol::GoogleGenerateContent, s)),
    })
}

fn result(call_id: &str, name: Option<&str>, body: &str, is_error: bool) -> ContentPart {
    ContentPart::ToolResult(ToolResult {
        call_id: call_id.into(),
        name: name.map(Into::into),
        content: vec![text(body)],
        is_error,
    })
}

fn reasoning(t: &str, signature: Option<&str>) -> ContentPart {
    ContentPart::Reasoning(Reasoning {
        text: t.into(),
        signature: signature.map(|s| Signature::new(Protocol::GoogleGenerateContent, s)),
        ..Reasoning::default()
    })
}

fn stream_parts(bytes: &[u8], splits: &[usize]) -> Result<Vec<StreamPart>, String> {
    let mut sse = SseDecoder::new();
    let mut decoder = stream_decoder(G);
    let mut events = Vec::new();
    let mut start = 0;
    for &end in splits.iter().chain(std::iter::once(&bytes.len())) {
        sse.push(&bytes[start..end], &mut events).unwrap();
        start = end;
    }
    sse.finish(&mut events);
    let mut parts = Vec::new();
    for event in &events {
        decoder
            .decode(event, &mut parts)
            .map_err(|e| e.message.clone())?;
    }
    assert!(decoder.is_done(), "the stream did not finish");
    Ok(parts)
}

#[test]
fn plain_answer() {
    let response = decode_response(G, &fixture("text.json")).unwrap();
    assert_eq!(
        response,
        ChatResponse {
            id: "mIQ6aJr5IYGvz7IPqaLTmQ4".into(),
            model: "gemini-2.5-flash".into(),
            content: vec![text("AI learns patterns from data to make predictions.")],
            finish_reason: FinishReason::Stop,
            usage: Usage {
                input_tokens: 8,
                output_tokens: 10,
                ..Usage::default()
            },
            created: None,
        }
    );
}

#[test]
fn parallel_function_calls_get_minted_ids() {
    let response = decode_response(G, &fixture("function_calls.json")).unwrap();
    assert_eq!(
        response.content,
        vec![
            call(
                "call_0_power_disco_ball",
                "power_disco_ball",
                r#"{"power":true}"#,
                None
            ),
            call(
                "call_1_start_music",
                "start_music",
                r#"{"energetic":true,"loud":true}"#,
                None
            ),
        ]
    );
    assert_eq!(response.finish_reason, FinishReason::ToolCalls);
    assert!(
        response.id.starts_with("gen-"),
        "minted id: {}",
        response.id
    );
    assert_eq!(response.usage.total_tokens(), 144);
}

#[test]
fn thinking_answer_keeps_signature_and_counts_thoughts_as_output() {
    let response = decode_response(G, &fixture("thinking.json")).unwrap();
    assert_eq!(
        response.content,
        vec![
            reasoning("**Checking the sum**\nTwo plus two is four.", None),
            reasoning("", Some("CiQB0e2Kb1Xq+signature==")),
            text("2 + 2 = 4."),
        ]
    );
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 40,
            cached_input_tokens: 32,
            cache_write_tokens: 0,
            output_tokens: 107,
            reasoning_tokens: 100,
        }
    );
    // Encoding puts the signature back on the text part and the counts back apart.
    let encoded: Value = serde_json::from_slice(&encode_response(G, &response).unwrap()).unwrap();
    let parts = encoded["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    // The unsigned thought summary is dropped (Gemini cannot take it back), the signed text kept.
    assert_eq!(
        parts,
        &vec![json!({"text": "2 + 2 = 4.", "thoughtSignature": "CiQB0e2Kb1Xq+signature=="})]
    );
    assert_eq!(
        encoded["usageMetadata"],
        json!({"promptTokenCount": 40, "candidatesTokenCount": 7, "totalTokenCount": 147,
               "cachedContentTokenCount": 32, "thoughtsTokenCount": 100})
    );
    assert_eq!(
        decode_response(G, &serde_json::to_vec(&encoded).unwrap())
            .unwrap()
            .usage,
        response.usage
    );
}

#[test]
fn error_bodies() {
    let body = fixture("error.json");
    assert_eq!(
        error_message(G, &body).as_deref(),
        Some("API key not valid. Please pass a valid API key.")
    );
    let err = decode_response(G, &body).unwrap_err();
    assert_eq!(
        err.message,
        "INVALID_ARGUMENT: API key not valid. Please pass a valid API key."
    );
    let written: Value = serde_json::from_slice(&error_body(
        G,
        &ErrorInfo {
            status: 429,
            message: "slow down",
            code: None,
        },
    ))
    .unwrap();
    assert_eq!(
        written,
        json!({"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}})
    );
}

#[test]
fn streamed_text_and_byte_splits() {
    let bytes = fixture("stream_text.sse");
    let parts = stream_parts(&bytes, &[]).unwrap();
    let usage = |output_tokens| {
        StreamPart::Usage(Usage {
            input_tokens: 9,
            output_tokens,
            ..Usage::default()
        })
    };
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "stream-1".into(),
                model: "gemini-2.5-flash".into()
            },
            StreamPart::TextDelta { text: "The".into() },
            usage(0),
            StreamPart::TextDelta {
                text: " sky is".into()
            },
            usage(3),
            StreamPart::TextDelta {
                text: " blue.".into()
            },
            usage(5),
            StreamPart::Finish {
                reason: FinishReason::Stop
            },
        ]
    );
    for split in 1..bytes.len() {
        assert_eq!(
            stream_parts(&bytes, &[split]).unwrap(),
            parts,
            "split at {split}"
        );
    }
}

#[test]
fn streamed_function_call() {
    let parts = stream_parts(&fixture("stream_function_call.sse"), &[]).unwrap();
    let usage = StreamPart::Usage(Usage {
        input_tokens: 50,
        output_tokens: 32,
        reasoning_tokens: 20,
        ..Usage::default()
    });
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "stream-2".into(),
                model: "gemini-2.5-flash".into()
            },
            StreamPart::ToolCallStart {
                index: 0,
                id: "call_0_get_current_weather".into(),
                name: "get_current_weather".into(),
                signature: Some(Signature::new(
                    Protocol::GoogleGenerateContent,
                    "sig-weather"
                )),
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: r#"{"location":"Boston, MA"}"#.into()
            },
            usage.clone(),
            usage,
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
}

#[test]
fn error_in_stream_is_an_error() {
    let bytes = b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"}}]}\r\n\r\ndata: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n";
    assert_eq!(
        stream_parts(bytes, &[]).unwrap_err(),
        "UNAVAILABLE: The model is overloaded."
    );
}

fn fixture_request() -> ChatRequest {
    decode_request(G, &fixture("request.json"), &cx("gemini-2.5-flash", false)).unwrap()
}

#[test]
fn request_decodes_to_canonical() {
    let req = fixture_request();
    let expected = ChatRequest {
        model: "gemini-2.5-flash".into(),
        messages: vec![
            Message {
                role: Role::System,
                content: vec![text("You are a DJ."), text(" Keep it short.")],
            },
            Message::text(Role::User, "Turn this place into a party!"),
            Message {
                role: Role::Assistant,
                content: vec![
                    call(
                        "call_0_power_disco_ball",
                        "power_disco_ball",
                        r#"{"power":true}"#,
                        Some("sig-a"),
                    ),
                    call(
                        "call_1_start_music",
                        "start_music",
                        r#"{"energetic":true,"loud":true}"#,
                        None,
                    ),
                ],
            },
            Message {
                role: Role::Tool,
                content: vec![
                    result(
                        "call_0_power_disco_ball",
                        Some("power_disco_ball"),
                        r#"{"result":"ok"}"#,
                        false,
                    ),
                    result(
                        "call_1_start_music",
                        Some("start_music"),
                        r#"{"error":"no speakers"}"#,
                        true,
                    ),
                ],
            },
            Message {
                role: Role::User,
                content: vec![
                    text("How does it look?"),
                    ContentPart::Image {
                        source: ImageSource::Base64 {
                            media_type: "image/png".into(),
                            data: "iVBORw0KGgo=".into(),
                        },
                        detail: None,
                    },
                ],
            },
        ],
        tools: vec![
            ToolDefinition {
                name: "power_disco_ball".into(),
                description: Some("Powers the spinning disco ball.".into()),
                parameters: json!({"type": "object", "required": ["power"],
                    "properties": {"power": {"type": "boolean", "description": "On or off."}}}),
                strict: None,
            },
            ToolDefinition {
                name: "start_music".into(),
                description: Some("Play some music.".into()),
                parameters: json!({"type": "object", "properties": {
                    "energetic": {"type": "boolean"},
                    "loud": {"type": ["boolean", "null"]}}}),
                strict: None,
            },
        ],
        tool_choice: Some(ToolChoice::Tool {
            name: "start_music".into(),
        }),
        params: bitrouter_core::Parameters {
            max_tokens: Some(512),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop: vec!["END".into()],
            seed: Some(7),
            ..Default::default()
        },
        response_format: Some(ResponseFormat::JsonSchema {
            name: "response".into(),
            schema: json!({"type": "object", "properties": {
                "mood": {"type": "string", "enum": ["chill", "wild"], "format": "enum"}}}),
            strict: None,
        }),
        reasoning: Some(ReasoningConfig {
            effort: None,
            budget_tokens: Some(2048),
            include_thoughts: Some(true),
        }),
        stream: false,
    };
    assert_eq!(req, expected);
    let streamed = decode_request(
        G,
        &fixture("request.json"),
        &cx("models/gemini-2.5-flash", true),
    )
    .unwrap();
    assert!(streamed.stream);
    assert_eq!(streamed.model, "gemini-2.5-flash");
}

#[test]
fn request_round_trips_and_leaves_model_out() {
    let req = fixture_request();
    let body = encode_request(G, &req).unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert!(json.get("model").is_none() && json.get("stream").is_none());
    // Parallel results go back in one user content, with the ids the calls were given.
    assert_eq!(
        json["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"id": "call_0_power_disco_ball", "name": "power_disco_ball",
                                  "response": {"result": "ok"}}},
            {"functionResponse": {"id": "call_1_start_music", "name": "start_music",
                                  "response": {"error": "no speakers"}}}]})
    );
    assert_eq!(
        json["contents"][1]["parts"][0]["thoughtSignature"],
        json!("sig-a")
    );
    let again = decode_request(G, &body, &cx("gemini-2.5-flash", false)).unwrap();
    assert_eq!(again, req);
}

#[test]
fn request_from_another_protocol() {
    let req = ChatRequest {
        model: "gemini-2.5-pro".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, "Weather and time in Paris?"),
            Message {
                role: Role::Assistant,
                content: vec![
                    reasoning("thinking from another vendor", None),
                    call("call_abc", "get_weather", r#"{"city":"Paris"}"#, None),
                    call("call_def", "get_time", "", None),
                ],
            },
            Message {
                role: Role::Tool,
                content: vec![result("call_abc", None, "Sunny", false)],
            },
            Message {
                role: Role::Tool,
                content: vec![result("call_def", None, "clock broken", true)],
            },
            Message::text(Role::System, "Answer in French."),
            Message {
                role: Role::User,
                content: vec![
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "https://example.com/cat.PNG?size=2".into(),
                        },
                        detail: Some("high".into()),
                    },
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "data:image/gif;base64,R0lG".into(),
                        },
                        detail: None,
                    },
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "https://example.com/photo".into(),
                        },
                        detail: None,
                    },
                ],
            },
        ],
        tool_choice: Some(ToolChoice::Required),
        response_format: Some(ResponseFormat::JsonObject),
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::High),
            budget_tokens: None,
            include_thoughts: Some(true),
        }),
        stream: true,
        ..ChatRequest::default()
    };
    let json: Value = serde_json::from_slice(&encode_request(G, &req).unwrap()).unwrap();
    assert_eq!(
        json,
        json!({
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Weather and time in Paris?"}]},
                {"role": "model", "parts": [
                    {"functionCall": {"id": "call_abc", "name": "get_weather", "args": {"city": "Paris"}}},
                    {"functionCall": {"id": "call_def", "name": "get_time", "args": {}}}]},
                {"role": "user", "parts": [
                    {"functionResponse": {"id": "call_abc", "name": "get_weather",
                                          "response": {"result": "Sunny"}}},
                    {"functionResponse": {"id": "call_def", "name": "get_time",
                                          "response": {"error": "clock broken"}}}]},
                {"role": "user", "parts": [
                    {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/cat.PNG?size=2"}},
                    {"inlineData": {"mimeType": "image/gif", "data": "R0lG"}},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo"}}]}
            ],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
            "generationConfig": {
                "responseMimeType": "application/json",
                "thinkingConfig": {"thinkingBudget": 24576, "includeThoughts": true}
            }
        })
    );
}

#[test]
fn tool_result_without_a_name_or_call_is_refused() {
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![Message {
            role: Role::Tool,
            content: vec![result("call_x", None, "42", false)],
        }],
        ..ChatRequest::default()
    };
    let err = encode_request(G, &req).unwrap_err();
    assert!(
        err.message.contains("call_x") && err.message.contains("function name"),
        "{}",
        err.message
    );
}

#[test]
fn function_responses_pair_with_minted_call_ids_in_order() {
    let body = json!({"contents": [
        {"role": "model", "parts": [
            {"functionCall": {"name": "f", "args": {"n": 1}}},
            {"functionCall": {"name": "f", "args": {"n": 2}}},
            {"functionCall": {"id": "given", "name": "g"}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "g", "response": {"ok": true}}},
            {"functionResponse": {"name": "f", "response": {"n": 1}}},
            {"functionResponse": {"name": "f", "response": {"n": 2}}}]}
    ]});
    let req = decode_request(G, body.to_string().as_bytes(), &cx("m", false)).unwrap();
    let ids = |m: &Message| -> Vec<String> {
        m.content
            .iter()
            .map(|p| match p {
                ContentPart::ToolCall(c) => c.id.clone(),
                ContentPart::ToolResult(r) => r.call_id.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    };
    assert_eq!(ids(&req.messages[0]), ["call_0_f", "call_1_f", "given"]);
    assert_eq!(ids(&req.messages[1]), ["given", "call_0_f", "call_1_f"]);
}

#[test]
fn schemas_are_cleaned_for_gemini() {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "city": {"type": ["string", "null"], "description": "City", "examples": ["Paris"]},
            "unit": {"const": "celsius"},
            "address": {"$ref": "#/$defs/Address", "description": "Where"},
            "tags": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "choice": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "kind": {"type": "STRING", "default": "a"},
            "node": {"$ref": "#/$defs/Node"}
        },
        "required": ["city", "ghost"],
        "$defs": {
            "Address": {"type": "object", "additionalProperties": false,
                        "patternProperties": {"^x": {}},
                        "properties": {"street": {"type": "string"}}},
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}
        }
    });
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![Message::text(Role::User, "hi")],
        tools: vec![ToolDefinition {
            name: "lookup".into(),
            description: None,
            parameters: schema.clone(),
            strict: Some(true),
        }],
        response_format: Some(ResponseFormat::JsonSchema {
            name: "out".into(),
            schema,
            strict: None,
        }),
        ..ChatRequest::default()
    };
    let json: Value = serde_json::from_slice(&encode_request(G, &req).unwrap()).unwrap();
    let params = &json["tools"][0]["functionDeclarations"][0]["parameters"];
    let mut node = json!({"type": "OBJECT"});
    for _ in 0..4 {
        node = json!({"type": "OBJECT", "properties": {"next": node}});
    }
    assert_eq!(
        params,
        &json!({
            "type": "OBJECT",
            "properties": {
                "city": {"type": "STRING", "nullable": true, "description": "City", "example": "Paris"},
                "unit": {"type": "STRING", "format": "enum", "enum": ["celsius"]},
                "address": {"type": "OBJECT", "description": "Where",
                            "properties": {"street": {"type": "STRING"}}},
                "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
                "choice": {"type": "INTEGER", "nullable": true},
                "kind": {"type": "STRING", "default": "a"},
                "node": node
            },
            "required": ["city"]
        })
    );
    assert_eq!(&json["generationConfig"]["responseSchema"], params);
    assert_eq!(
        json["generationConfig"]["responseMimeType"],
        "application/json"
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let bad = |body: Value, model: Option<&str>| {
        let cx = RequestContext {
            path_model: model,
            path_stream: false,
        };
        decode_request(G, body.to_string().as_bytes(), &cx)
            .unwrap_err()
            .message
    };
    let hi = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    assert!(bad(hi.clone(), None).contains("no model in the URL"));
    assert_eq!(
        bad(json!({}), Some("m")),
        "contents: required; give at least one content"
    );
    assert!(
        bad(
            json!({"contents": [{"role": "assistant", "parts": []}]}),
            Some("m")
        )
        .starts_with("contents[0].role: unknown role `assistant`")
    );
    assert_eq!(
        bad(
            json!({"contents": [{"role": "model", "parts": [{"functionCall": {"name": "f", "args": [1]}}]}]}),
            Some("m")
        ),
        "contents[0].parts[0].functionCall.args: expected an object"
    );
    assert!(
        bad(
            json!({"contents": [{"parts": [{"executableCode": {}}]}]}),
            Some("m")
        )
        .starts_with("contents[0].parts[0]: unsupported part")
    );
    let mut two = hi.clone();
    two["generationConfig"] = json!({"candidateCount": 2});
    assert!(bad(two, Some("m")).starts_with("generationConfig.candidateCount"));
    let mut cached = hi;
    cached["cachedContent"] = json!("cachedContents/abc");
    assert!(bad(cached, Some("m")).starts_with("cachedContent"));
}

fn encode_stream(parts: &[StreamPart]) -> Vec<u8> {
    let mut encoder = stream_encoder(G, StreamOptions::default());
    let mut out = Vec::new();
    for p in parts {
        encoder.encode(p, &mut out);
    }
    encoder.finish(&mut out);
    out
}

#[test]
fn stream_encoder_output_decodes_back() {
    let usage = Usage {
        input_tokens: 30,
        cached_input_tokens: 10,
        output_tokens: 25,
        reasoning_tokens: 5,
        ..Usage::default()
    };
    let delta = |index, arguments: &str| StreamPart::ToolCallDelta {
        index,
        arguments: arguments.into(),
    };
    let start = |index, id: &str, name: &str| StreamPart::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
        signature: None,
    };
    let input = vec![
        StreamPart::Start {
            id: "chatcmpl-1".into(),
            model: "gpt-x".into(),
        },
        StreamPart::ReasoningDelta { text: "hm".into() },
        StreamPart::ReasoningSignature {
            signature: Signature::new(Protocol::GoogleGenerateContent, "sig"),
        },
        StreamPart::TextDelta {
            text: "Hello".into(),
        },
        start(0, "call_a", "get_weather"),
        start(1, "call_b", "get_time"),
        delta(0, r#"{"city":"#),
        delta(1, "{}"),
        delta(0, r#""Paris"}"#),
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
        StreamPart::Usage(usage),
    ];
    let bytes = encode_stream(&input);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.ends_with("}\r\n\r\n"), "{text}");
    assert_eq!(text.matches("data: ").count(), 5, "{text}");
    let parts = stream_parts(&bytes, &[]).unwrap();
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "chatcmpl-1".into(),
                model: "gpt-x".into()
            },
            StreamPart::ReasoningDelta { text: "hm".into() },
            StreamPart::ReasoningSignature {
                signature: Signature::new(Protocol::GoogleGenerateContent, "sig")
            },
            StreamPart::TextDelta {
                text: "Hello".into()
            },
            start(0, "call_a", "get_weather"),
            delta(0, r#"{"city":"Paris"}"#),
            start(1, "call_b", "get_time"),
            delta(1, "{}"),
            StreamPart::Usage(usage),
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
}

#[test]
fn stream_encoder_error_event() {
    let mut encoder = stream_encoder(G, StreamOptions::default());
    let mut out = Vec::new();
    encoder.encode(
        &StreamPart::TextDelta {
            text: "partial".into(),
        },
        &mut out,
    );
    encoder.error(
        &ErrorInfo {
            status: 503,
            message: "upstream overloaded",
            code: None,
        },
        &mut out,
    );
    encoder.finish(&mut out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.ends_with(
        "data: {\"error\":{\"code\":503,\"message\":\"upstream overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n"
    ));
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    sse.push(&out, &mut events).unwrap();
    let mut decoder = stream_decoder(G);
    let mut parts = Vec::new();
    decoder.decode(&events[0], &mut parts).unwrap();
    assert_eq!(
        decoder.decode(&events[1], &mut parts).unwrap_err().message,
        "UNAVAILABLE: upstream overloaded"
    );
}

#[test]
fn answer_round_trip_with_calls() {
    let response = ChatResponse {
        id: "msg_1".into(),
        model: "claude-x".into(),
        content: vec![
            reasoning("secret thoughts", Some("anthropic-sig")),
            text("Let me check."),
            call("toolu_1", "get_weather", r#"{"city":"Paris"}"#, None),
        ],
        finish_reason: FinishReason::ToolCalls,
        usage: Usage {
            input_tokens: 10,
            output_tokens: 5,
            ..Usage::default()
        },
        created: None,
    };
    let body = encode_response(G, &response).unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["candidates"][0]["finishReason"], "STOP");
    assert_eq!(json["responseId"], "msg_1");
    assert_eq!(decode_response(G, &body).unwrap(), response);
}
