//! Responses request bodies: decoding, encoding, and the messages of rejected ones.

use super::*;

fn multi_turn_expected() -> ChatRequest {
    ChatRequest {
        model: "o4-mini".into(),
        messages: vec![
            Message::text(Role::System, "You are a weather bot."),
            Message::text(Role::System, "Answer in Celsius."),
            Message {
                role: Role::User,
                content: vec![
                    text("What is the weather in Paris and Boston? See my photo."),
                    ContentPart::Image {
                        source: ImageSource::Base64 {
                            media_type: "image/png".into(),
                            data: "iVBORw0KGgo=".into(),
                        },
                        detail: Some("low".into()),
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentPart::Reasoning(Reasoning {
                        text: "Two cities, two calls.".into(),
                        encrypted: Some("gAAAAABenc1".into()),
                        id: Some("rs_1".into()),
                        ..Reasoning::default()
                    }),
                    call("call_a", "get_weather", r#"{"city":"Paris"}"#),
                    call("call_b", "get_weather", r#"{"city":"Boston"}"#),
                ],
            },
            Message {
                role: Role::Tool,
                content: vec![
                    ContentPart::ToolResult(ToolResult {
                        call_id: "call_a".into(),
                        name: Some("get_weather".into()),
                        content: vec![text("18")],
                        is_error: false,
                    }),
                    ContentPart::ToolResult(ToolResult {
                        call_id: "call_b".into(),
                        name: Some("get_weather".into()),
                        content: vec![text("9")],
                        is_error: false,
                    }),
                ],
            },
            Message::text(Role::Assistant, "Paris 18, Boston 9."),
            Message::text(Role::User, "Thanks!"),
        ],
        tools: vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Weather for a city".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}},
                "required": ["city"], "additionalProperties": false}),
            strict: Some(true),
        }],
        tool_choice: Some(ToolChoice::Auto),
        params: Parameters {
            max_tokens: Some(2048),
            temperature: Some(0.5),
            top_p: Some(0.9),
            parallel_tool_calls: Some(true),
            user: Some("user-1234".into()),
            ..Parameters::default()
        },
        response_format: Some(ResponseFormat::JsonSchema {
            name: "weather".into(),
            schema: json!({"type": "object"}),
            strict: Some(true),
        }),
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::High),
            budget_tokens: None,
            include_thoughts: Some(true),
        }),
        stream: true,
    }
}

#[test]
fn multi_turn_request_decodes_and_round_trips() {
    let cx = RequestContext::default();
    let decoded = decode_request(P, &fixture("request_multi_turn.json"), &cx).unwrap();
    assert_eq!(decoded, multi_turn_expected());

    let encoded = encode_request(P, &decoded).unwrap();
    let body: Value = serde_json::from_slice(&encoded).unwrap();
    assert_eq!(
        body["instructions"],
        "You are a weather bot.\n\nAnswer in Celsius."
    );
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );
    let types: Vec<&str> = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "message",
            "reasoning",
            "function_call",
            "function_call",
            "function_call_output",
            "function_call_output",
            "message",
            "message"
        ]
    );
    assert_eq!(
        body["input"][1],
        json!({"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAAABenc1",
            "summary": [{"type": "summary_text", "text": "Two cities, two calls."}]})
    );
    assert_eq!(
        body["input"][0]["content"][1],
        json!({"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=",
            "detail": "low"})
    );

    // Back again: the same conversation, with both leading instructions hoisted into one.
    let again = decode_request(P, &encoded, &cx).unwrap();
    let mut expected = multi_turn_expected();
    expected.messages.splice(
        0..2,
        [Message::text(
            Role::System,
            "You are a weather bot.\n\nAnswer in Celsius.",
        )],
    );
    assert_eq!(again, expected);
}

#[test]
fn requests_from_other_protocols_encode() {
    let request = ChatRequest {
        model: "gpt-5".into(),
        messages: vec![
            Message::text(Role::User, "hi"),
            Message {
                role: Role::Assistant,
                content: vec![
                    // Anthropic thinking cannot be replayed to OpenAI.
                    ContentPart::Reasoning(Reasoning {
                        text: "hmm".into(),
                        signature: Some(bitrouter_core::Signature::new(
                            Protocol::AnthropicMessages,
                            "sig",
                        )),
                        ..Reasoning::default()
                    }),
                    text("hello"),
                ],
            },
            Message::text(Role::System, "Be brief from now on."),
            Message::text(Role::User, "again"),
        ],
        tools: vec![ToolDefinition {
            name: "f".into(),
            description: None,
            parameters: json!({"type": "object"}),
            strict: None,
        }],
        tool_choice: Some(ToolChoice::Tool { name: "f".into() }),
        params: Parameters {
            max_tokens: Some(5),
            stop: vec!["END".into()],
            ..Parameters::default()
        },
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(10000),
            ..ReasoningConfig::default()
        }),
        ..ChatRequest::default()
    };
    let body: Value = serde_json::from_slice(&encode_request(P, &request).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "model": "gpt-5",
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "message", "role": "assistant", "content": "hello"},
                {"type": "message", "role": "system",
                    "content": [{"type": "input_text", "text": "Be brief from now on."}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "again"}]},
            ],
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": false}],
            "tool_choice": {"type": "function", "name": "f"},
            "max_output_tokens": 16,
            "reasoning": {"effort": "medium"},
            "include": ["reasoning.encrypted_content"],
            "store": false,
        })
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let cx = RequestContext::default();
    let cases = [
        (json!({"input": "hi"}), "model: required"),
        (json!({"model": "m"}), "input: required"),
        (
            json!({"model": "m", "input": 3}),
            "input: expected a string or an array",
        ),
        (
            json!({"model": "m", "input": "hi", "previous_response_id": "resp_1"}),
            "previous_response_id: BitRouter does not keep conversation state",
        ),
        (
            json!({"model": "m", "input": "hi", "background": true}),
            "background: BitRouter answers while the request is open",
        ),
        (
            json!({"model": "m", "input": "hi", "prompt": {"id": "pmpt_1"}}),
            "prompt: prompt templates are stored at OpenAI",
        ),
        (
            json!({"model": "m", "input": "hi", "tools": [{"type": "web_search"}]}),
            "tools[0].type: `web_search` tools are not supported",
        ),
        (
            json!({"model": "m", "input": [{"role": "bot", "content": "x"}]}),
            "input[0].role: unknown role `bot`",
        ),
        (
            json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}),
            "input[0].content[0].type: `input_file` content is not supported",
        ),
        (
            json!({"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]}),
            "input[0].call_id: required",
        ),
        (
            json!({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}),
            "input[0]: item references point at state stored upstream",
        ),
        (
            json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]}),
            "input[0].content[0].file_id: files stored at OpenAI",
        ),
        (
            json!({"model": "m", "input": "x", "reasoning": {"effort": "extreme"}}),
            "reasoning.effort: unknown value `extreme`",
        ),
        (
            json!({"model": "m", "input": "x", "temperature": "hot"}),
            "temperature: expected a number",
        ),
    ];
    for (body, expected) in cases {
        let e = decode_request(P, body.to_string().as_bytes(), &cx).unwrap_err();
        assert!(
            e.message.starts_with(expected),
            "{body}: got `{}`, expected `{expected}…`",
            e.message
        );
    }
    let e = decode_request(P, b"{not json", &cx).unwrap_err();
    assert!(
        e.message.starts_with("request body is not valid JSON"),
        "{}",
        e.message
    );
}
