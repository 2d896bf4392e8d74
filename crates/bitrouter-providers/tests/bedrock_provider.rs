//! BedrockProvider against a fake Bedrock runtime on 127.0.0.1: path, method, SigV4 or bearer
//! authentication (the fake recomputes the signature with the same secret), the Converse
//! body, and the decoded plain and streamed answers.

#![cfg(feature = "bedrock")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod bedrock_fake;

use bedrock_fake::frames::{event, exception};
use bedrock_fake::server::{Answer, FakeBedrock, Seen};
use bitrouter_core::{
    AnswerStream, ChatRequest, ContentPart, FinishReason, ImageSource, Message, Parameters,
    Protocol, Provider, ProviderError, ProviderRequest, ProviderResponse, ReasoningConfig,
    RequestBody, ResponseBody, Role, Signature, StreamPart, Target, ToolCall, ToolChoice,
    ToolDefinition, ToolResult, Usage, WireBody,
};
use bitrouter_providers::{
    AwsCredentials, BedrockAuth, BedrockProvider, BedrockSettings, SigV4Request, Timeouts,
    UpstreamClient, sign_v4,
};
use bytes::Bytes;
use futures::StreamExt;
use http::StatusCode;
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const MODEL_IN_PATH: &str = "anthropic.claude-3-7-sonnet-20250219-v1%3A0";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//session+token=";

fn sigv4_credentials(session: bool) -> AwsCredentials {
    AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: SECRET.into(),
        session_token: session.then(|| TOKEN.to_owned()),
    }
}

fn provider(base: &str, auth: BedrockAuth) -> BedrockProvider {
    let mut settings = BedrockSettings::new("bedrock", "us-east-1", auth);
    settings.api_base = base.to_owned();
    BedrockProvider::new(settings, UpstreamClient::new(Timeouts::default()))
}

fn canonical() -> ChatRequest {
    ChatRequest {
        model: "claude".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message {
                role: Role::User,
                content: vec![
                    ContentPart::Text {
                        text: "Weather in Paris? See the map.".into(),
                    },
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "data:image/png;base64,iVBORw0KGgo=".into(),
                        },
                        detail: None,
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentPart::Reasoning(bitrouter_core::Reasoning {
                        text: "Use the tool.".into(),
                        signature: Some(Signature::new(Protocol::AnthropicMessages, "sig-1")),
                        ..Default::default()
                    }),
                    ContentPart::ToolCall(ToolCall {
                        id: "tu_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                        signature: None,
                    }),
                ],
            },
            Message {
                role: Role::Tool,
                content: vec![ContentPart::ToolResult(ToolResult {
                    call_id: "tu_1".into(),
                    name: None,
                    content: vec![ContentPart::Text {
                        text: "18 C".into(),
                    }],
                    is_error: false,
                })],
            },
            Message::text(Role::User, "And tomorrow?"),
        ],
        tools: vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Current weather".into()),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            strict: None,
        }],
        tool_choice: Some(ToolChoice::Auto),
        params: Parameters {
            max_tokens: Some(4096),
            temperature: Some(1.0),
            stop: vec!["END".into()],
            ..Default::default()
        },
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(2048),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn expected_body() -> Value {
    json!({
        "messages": [
            {"role": "user", "content": [
                {"text": "Weather in Paris? See the map."},
                {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}
            ]},
            {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "Use the tool.", "signature": "sig-1"}}},
                {"toolUse": {"toolUseId": "tu_1", "name": "get_weather", "input": {"city": "Paris"}}}
            ]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "tu_1", "content": [{"text": "18 C"}], "status": "success"}},
                {"text": "And tomorrow?"}
            ]}
        ],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 4096, "temperature": 1.0, "stopSequences": ["END"]},
        "toolConfig": {
            "tools": [{"toolSpec": {
                "name": "get_weather",
                "description": "Current weather",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}
            }}],
            "toolChoice": {"auto": {}}
        },
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    })
}

fn call(body: RequestBody, stream: bool) -> ProviderRequest {
    ProviderRequest {
        request_id: "req-1".into(),
        target: Target {
            provider: "bedrock".into(),
            model: MODEL.into(),
            protocol: Protocol::OpenaiChat,
        },
        body,
        stream,
        headers: http::HeaderMap::new(),
    }
}

fn json_answer(status: StatusCode, body: &[u8], extra: &[(&'static str, &str)]) -> Answer {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
    Answer {
        status,
        headers,
        body: Bytes::copy_from_slice(body),
    }
}

fn stream_answer(bytes: Vec<u8>) -> Answer {
    Answer {
        status: StatusCode::OK,
        headers: vec![
            ("content-type", "application/vnd.amazon.eventstream".into()),
            ("x-amzn-requestid", "stream-req-9".into()),
        ],
        body: Bytes::from(bytes),
    }
}

fn fixture_stream() -> Vec<u8> {
    let text = include_str!("fixtures/bedrock/converse_stream.jsonl");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        out.extend(event(v[0].as_str().unwrap(), &v[1].to_string()));
    }
    out
}

/// Checks the request's SigV4 signature the way Bedrock would: recompute it from what
/// arrived, with the same secret, and compare.
fn assert_signed(seen: &Seen, session: bool) {
    let header = |n: &str| seen.headers.get(n).map(|v| v.to_str().unwrap().to_owned());
    let amz_date = header("x-amz-date").unwrap();
    assert_eq!(amz_date.len(), 16, "{amz_date}");
    assert!(amz_date.ends_with('Z') && amz_date.as_bytes()[8] == b'T');
    assert_eq!(
        header("x-amz-security-token").as_deref(),
        session.then_some(TOKEN)
    );
    let authorization = header("authorization").unwrap();
    let signed_names = if session {
        "content-type;host;x-amz-date;x-amz-security-token"
    } else {
        "content-type;host;x-amz-date"
    };
    assert!(
        authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/bedrock/aws4_request, SignedHeaders={signed_names}, Signature=",
            &amz_date[..8]
        )),
        "{authorization}"
    );
    let host = header("host").unwrap();
    let content_type = header("content-type").unwrap();
    let mut signed = vec![
        ("content-type", content_type.as_str()),
        ("host", host.as_str()),
        ("x-amz-date", amz_date.as_str()),
    ];
    let token = header("x-amz-security-token");
    if let Some(t) = &token {
        signed.push(("x-amz-security-token", t.as_str()));
    }
    let expected = sign_v4(
        &SigV4Request {
            method: &seen.method,
            path: &seen.path,
            query: &[],
            headers: &signed,
            body: &seen.body,
            region: "us-east-1",
            service: "bedrock",
            amz_date: &amz_date,
        },
        &sigv4_credentials(session),
    );
    assert_eq!(authorization, expected.authorization);
    assert!(
        expected
            .canonical_request
            .contains(&format!("/model/{}/", MODEL_IN_PATH.replace('%', "%25"))),
        "{}",
        expected.canonical_request
    );
}

async fn collect(response: ProviderResponse) -> Vec<Result<StreamPart, ProviderError>> {
    let ProviderResponse::Stream(AnswerStream::Canonical(stream)) = response else {
        panic!("expected a canonical stream, got {response:?}");
    };
    stream.collect().await
}

#[tokio::test]
async fn converse_signed_with_a_session_token() {
    let fake = FakeBedrock::start(json_answer(
        StatusCode::OK,
        include_bytes!("fixtures/bedrock/converse_response.json"),
        &[("x-amzn-requestid", "c0ffee-1")],
    ))
    .await;
    let p = provider(&fake.base, BedrockAuth::SigV4(sigv4_credentials(true)));
    let response = p
        .send(call(RequestBody::Canonical(Box::new(canonical())), false))
        .await
        .unwrap();

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, format!("/model/{MODEL_IN_PATH}/converse"));
    assert_eq!(seen[0].headers["accept"], "application/json");
    assert_signed(&seen[0], true);
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body, expected_body());

    let ProviderResponse::Complete(ResponseBody::Canonical(answer)) = response else {
        panic!("expected a canonical answer, got {response:?}");
    };
    assert_eq!(answer.id, "c0ffee-1");
    assert_eq!(answer.model, MODEL);
    assert_eq!(answer.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        answer.usage,
        Usage {
            input_tokens: 1012,
            cached_input_tokens: 900,
            cache_write_tokens: 100,
            output_tokens: 40,
            reasoning_tokens: 0,
        }
    );
    assert_eq!(answer.content.len(), 3);
    let ContentPart::Reasoning(r) = &answer.content[0] else {
        panic!("{:?}", answer.content[0])
    };
    assert_eq!(r.text, "The user wants the weather; call the tool.");
    assert_eq!(
        r.signature,
        Some(Signature::new(
            Protocol::AnthropicMessages,
            "EqoBCkgIARABGAIiQL2"
        ))
    );
    assert_eq!(
        answer.content[1],
        ContentPart::Text {
            text: "Let me check the weather in Paris.".into()
        }
    );
    assert_eq!(
        answer.content[2],
        ContentPart::ToolCall(ToolCall {
            id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Paris"}"#.into(),
            signature: None,
        })
    );
}

fn expected_parts(id: &str) -> Vec<StreamPart> {
    vec![
        StreamPart::Start {
            id: id.into(),
            model: MODEL.into(),
        },
        StreamPart::ReasoningDelta {
            text: "Weather needs a tool.".into(),
        },
        StreamPart::ReasoningSignature {
            signature: Signature::new(Protocol::AnthropicMessages, "EqoBCkgIARAB"),
        },
        StreamPart::TextDelta {
            text: "Checking ".into(),
        },
        StreamPart::TextDelta {
            text: "Paris.".into(),
        },
        StreamPart::ToolCallStart {
            index: 0,
            id: "tooluse_abc".into(),
            name: "get_weather".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: r#"{"city":"#.into(),
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: r#""Paris"}"#.into(),
        },
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
        StreamPart::Usage(Usage {
            input_tokens: 20,
            output_tokens: 31,
            ..Usage::default()
        }),
    ]
}

#[tokio::test]
async fn converse_stream_signed_without_a_session_token() {
    let fake = FakeBedrock::start(stream_answer(fixture_stream())).await;
    let p = provider(&fake.base, BedrockAuth::SigV4(sigv4_credentials(false)));
    let response = p
        .send(call(RequestBody::Canonical(Box::new(canonical())), true))
        .await
        .unwrap();
    let parts: Vec<StreamPart> = collect(response)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(parts, expected_parts("stream-req-9"));

    let seen = &fake.seen()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, format!("/model/{MODEL_IN_PATH}/converse-stream"));
    assert_eq!(seen.headers["accept"], "application/vnd.amazon.eventstream");
    assert_signed(seen, false);
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body, expected_body());
}

#[tokio::test]
async fn bearer_token_for_plain_and_streamed_calls() {
    let plain = FakeBedrock::start(json_answer(
        StatusCode::OK,
        include_bytes!("fixtures/bedrock/converse_response.json"),
        &[],
    ))
    .await;
    let p = provider(&plain.base, BedrockAuth::Bearer("ABSKbedrockkey".into()));
    // A wire body in a client protocol is decoded first.
    let wire = RequestBody::Wire(WireBody {
        protocol: Protocol::OpenaiChat,
        bytes: Bytes::from_static(
            br#"{"model":"x","max_tokens":64,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#,
        ),
    });
    let response = p.send(call(wire, false)).await.unwrap();
    let ProviderResponse::Complete(ResponseBody::Canonical(answer)) = response else {
        panic!("{response:?}")
    };
    assert_eq!(answer.id, "bedrock-req-1");
    let seen = &plain.seen()[0];
    assert_eq!(seen.path, format!("/model/{MODEL_IN_PATH}/converse"));
    assert_eq!(seen.headers["authorization"], "Bearer ABSKbedrockkey");
    assert!(seen.headers.get("x-amz-date").is_none());
    assert!(seen.headers.get("x-amz-security-token").is_none());
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(
        body,
        json!({
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 64}
        })
    );

    let streamed = FakeBedrock::start(stream_answer(fixture_stream())).await;
    let p = provider(&streamed.base, BedrockAuth::Bearer("ABSKbedrockkey".into()));
    let response = p
        .send(call(RequestBody::Canonical(Box::new(canonical())), true))
        .await
        .unwrap();
    let parts: Vec<StreamPart> = collect(response)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(parts, expected_parts("stream-req-9"));
    let seen = &streamed.seen()[0];
    assert_eq!(seen.path, format!("/model/{MODEL_IN_PATH}/converse-stream"));
    assert_eq!(seen.headers["authorization"], "Bearer ABSKbedrockkey");
}

#[tokio::test]
async fn throttling_is_a_retryable_429() {
    let fake = FakeBedrock::start(json_answer(
        StatusCode::TOO_MANY_REQUESTS,
        br#"{"message":"Too many requests, please wait before trying again."}"#,
        &[(
            "x-amzn-ErrorType",
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
        )],
    ))
    .await;
    let p = provider(&fake.base, BedrockAuth::Bearer("k".into()));
    let e = p
        .send(call(RequestBody::Canonical(Box::new(canonical())), false))
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    let ProviderError::Status { status, body, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS);
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        body["error"]["message"],
        "Bedrock ThrottlingException: Too many requests, please wait before trying again."
    );
}

#[tokio::test]
async fn a_stream_exception_ends_the_stream_with_its_message() {
    let mut bytes = event("messageStart", r#"{"role":"assistant"}"#);
    bytes.extend(event(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#,
    ));
    bytes.extend(exception(
        "modelStreamErrorException",
        "The model stopped unexpectedly",
    ));
    let fake = FakeBedrock::start(stream_answer(bytes)).await;
    let p = provider(&fake.base, BedrockAuth::Bearer("k".into()));
    let items = collect(
        p.send(call(RequestBody::Canonical(Box::new(canonical())), true))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(
        items[1].as_ref().unwrap(),
        &StreamPart::TextDelta { text: "Hel".into() }
    );
    let Err(ProviderError::Stream { message }) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert_eq!(
        message,
        "Bedrock modelStreamErrorException: The model stopped unexpectedly"
    );
}

#[tokio::test]
async fn a_stream_cut_before_message_stop_is_an_error() {
    let bytes = event("messageStart", r#"{"role":"assistant"}"#);
    let fake = FakeBedrock::start(stream_answer(bytes)).await;
    let p = provider(&fake.base, BedrockAuth::Bearer("k".into()));
    let items = collect(
        p.send(call(RequestBody::Canonical(Box::new(canonical())), true))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(items[0], Ok(StreamPart::Start { .. })));
    assert!(
        matches!(&items[1], Err(ProviderError::Stream { message }) if message.contains("messageStop")),
        "{items:?}"
    );
}
