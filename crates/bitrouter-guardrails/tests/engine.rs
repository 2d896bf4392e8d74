//! The engine on canonical requests and answers: each action, each direction, `scope_in`,
//! `applies_to`, and the findings it reports.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::sync::Arc;

use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, GuardContext, Guardrail, Message, Protocol, Role,
    ToolCall, ToolResult, Verdict,
};
use bitrouter_guardrails::{
    Action, Finding, GuardrailEngine, GuardrailsConfig, Location, MemoryFindings, Way,
};

fn engine(yaml: &str) -> (GuardrailEngine, Arc<MemoryFindings>) {
    let config: GuardrailsConfig = yaml_serde::from_str(yaml).unwrap();
    let sink = Arc::new(MemoryFindings::new());
    (GuardrailEngine::new(&config, sink.clone()).unwrap(), sink)
}

fn cx(model: &str) -> GuardContext<'_> {
    GuardContext {
        request_id: "req-1",
        model,
        inbound: Protocol::OpenaiChat,
        key: None,
        user: None,
    }
}

const SSN: &str = "my ssn is 123-45-6789";

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o".into(),
        messages: vec![
            Message::text(Role::System, "system: 123-45-6789"),
            Message::text(Role::User, SSN),
            Message {
                role: Role::Assistant,
                content: vec![ContentPart::ToolCall(ToolCall {
                    id: "c1".into(),
                    name: "lookup".into(),
                    arguments: r#"{"ssn":"123-45-6789"}"#.into(),
                    signature: None,
                })],
            },
            Message {
                role: Role::Tool,
                content: vec![ContentPart::ToolResult(ToolResult {
                    call_id: "c1".into(),
                    name: None,
                    content: vec![ContentPart::Text {
                        text: "found 123-45-6789".into(),
                    }],
                    is_error: false,
                })],
            },
        ],
        ..ChatRequest::default()
    }
}

fn texts(r: &ChatRequest) -> Vec<String> {
    let mut out = Vec::new();
    for m in &r.messages {
        for p in &m.content {
            match p {
                ContentPart::Text { text } => out.push(text.clone()),
                ContentPart::ToolCall(c) => out.push(c.arguments.clone()),
                ContentPart::ToolResult(t) => out.push(
                    Message {
                        role: Role::Tool,
                        content: t.content.clone(),
                    }
                    .joined_text(),
                ),
                _ => {}
            }
        }
    }
    out
}

fn answer(text: &str) -> ChatResponse {
    ChatResponse {
        id: "a1".into(),
        model: "gpt-4o".into(),
        content: vec![ContentPart::Text { text: text.into() }],
        ..ChatResponse::default()
    }
}

#[tokio::test]
async fn redact_rewrites_every_place_of_the_request() {
    let (e, sink) = engine("- {name: ssn, detector: {builtin: us_ssn}, action: redact}");
    let mut r = request();
    assert_eq!(
        e.check_request(cx("gpt-4o"), &mut r).await,
        Verdict::Modified
    );
    assert_eq!(
        texts(&r),
        [
            "system: [REDACTED:ssn]",
            "my ssn is [REDACTED:ssn]",
            r#"{"ssn":"[REDACTED:ssn]"}"#,
            "found [REDACTED:ssn]",
        ]
    );
    let places: Vec<Location> = sink.findings().iter().map(|f| f.location).collect();
    assert_eq!(
        places,
        [
            Location::System,
            Location::Messages,
            Location::ToolArguments,
            Location::ToolResults
        ]
    );
    assert_eq!(
        sink.findings()[0],
        Finding {
            request_id: "req-1".into(),
            rule: "ssn".into(),
            detector: "us_ssn",
            action: Action::Redact,
            direction: Way::Request,
            location: Location::System,
        }
    );
}

#[tokio::test]
async fn scope_in_limits_where_a_rule_looks() {
    let (e, _) = engine(
        "- {name: ssn, detector: {builtin: us_ssn}, action: redact, scope_in: [tool_arguments, tool_results], placeholder: '***'}",
    );
    let mut r = request();
    assert_eq!(
        e.check_request(cx("gpt-4o"), &mut r).await,
        Verdict::Modified
    );
    assert_eq!(
        texts(&r),
        ["system: 123-45-6789", SSN, r#"{"ssn":"***"}"#, "found ***"]
    );
}

#[tokio::test]
async fn inspect_records_and_passes_unchanged() {
    let (e, sink) =
        engine("- {name: ssn, detector: {builtin: us_ssn}, action: inspect, scope_in: [messages]}");
    let mut r = request();
    assert_eq!(e.check_request(cx("gpt-4o"), &mut r).await, Verdict::Allow);
    assert_eq!(r, request());
    let f = sink.findings();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].action, f[0].location),
        (Action::Inspect, Location::Messages)
    );
    // The finding never carries the matched text.
    assert!(!format!("{f:?}").contains("6789"));
}

#[tokio::test]
async fn block_refuses_without_repeating_the_secret() {
    let (e, sink) = engine("- {name: no-ssn, detector: {builtin: us_ssn}, action: block}");
    let mut r = request();
    let Verdict::Block { reason } = e.check_request(cx("gpt-4o"), &mut r).await else {
        panic!("expected a block");
    };
    assert_eq!(
        reason,
        "guardrail rule `no-ssn` blocked the request: it found us_ssn in system"
    );
    assert_eq!(sink.findings().len(), 1);
}

#[tokio::test]
async fn directions() {
    let yaml = "
- {name: in, detector: {deny: [alpha]}, action: redact, direction: request}
- {name: out, detector: {deny: [omega]}, action: redact, direction: response}
- {name: both, detector: {deny: [delta]}, action: redact}
";
    let (e, _) = engine(yaml);
    let mut r = ChatRequest {
        messages: vec![Message::text(Role::User, "alpha omega delta")],
        ..ChatRequest::default()
    };
    e.check_request(cx("m"), &mut r).await;
    assert_eq!(
        r.messages[0].joined_text(),
        "[REDACTED:in] omega [REDACTED:both]"
    );
    let mut a = answer("alpha omega delta");
    assert_eq!(e.check_response(cx("m"), &mut a).await, Verdict::Modified);
    assert_eq!(
        a.content,
        answer("alpha [REDACTED:out] [REDACTED:both]").content
    );
}

#[tokio::test]
async fn response_tool_arguments_and_block() {
    let (e, _) =
        engine("- {name: keys, detector: {builtin: secrets}, action: block, direction: response}");
    let mut a = answer("fine");
    a.content.push(ContentPart::ToolCall(ToolCall {
        id: "c".into(),
        name: "deploy".into(),
        arguments: r#"{"key":"AKIAIOSFODNN7EXAMPLE"}"#.into(),
        signature: None,
    }));
    let verdict = e.check_response(cx("m"), &mut a).await;
    assert_eq!(
        verdict,
        Verdict::Block {
            reason: "guardrail rule `keys` blocked the answer: it found secrets/aws_access_key_id in tool_arguments".into()
        }
    );
    let mut clean = answer("all good");
    assert_eq!(e.check_response(cx("m"), &mut clean).await, Verdict::Allow);
}

#[tokio::test]
async fn applies_to_models_keys_and_users() {
    let yaml = "
- {name: claude-only, detector: {deny: [alpha]}, action: redact, applies_to: {models: ['claude-*']}}
- {name: team-a, detector: {deny: [beta]}, action: redact, applies_to: {keys: [key-a]}}
- {name: bob, detector: {deny: [gamma]}, action: redact, applies_to: {users: [bob]}}
";
    let (e, _) = engine(yaml);
    let run = |guard: Box<dyn Guardrail>, model: &'static str, user: Option<&str>| {
        let mut r = ChatRequest {
            messages: vec![Message::text(Role::User, "alpha beta gamma")],
            ..ChatRequest::default()
        };
        r.params.user = user.map(str::to_owned);
        async move {
            guard.check_request(cx(model), &mut r).await;
            r.messages[0].joined_text()
        }
    };
    assert_eq!(
        run(Box::new(e.clone()), "gpt-4o", None).await,
        "alpha beta gamma"
    );
    assert_eq!(
        run(Box::new(e.clone()), "claude-sonnet-4", None).await,
        "[REDACTED:claude-only] beta gamma"
    );
    assert_eq!(
        run(Box::new(e.for_call(Some("key-a"), None)), "gpt-4o", None).await,
        "alpha [REDACTED:team-a] gamma"
    );
    assert_eq!(
        run(
            Box::new(e.for_call(Some("key-b"), Some("bob"))),
            "gpt-4o",
            None
        )
        .await,
        "alpha beta [REDACTED:bob]"
    );
    // Without a bound user, the request's own `user` field names the end user.
    assert_eq!(
        run(Box::new(e.clone()), "gpt-4o", Some("bob")).await,
        "alpha beta [REDACTED:bob]"
    );
}

#[test]
fn config_rejects_unknown_fields_and_ambiguous_detectors() {
    let bad = "- {name: x, detector: {builtin: email}, action: redact, colour: red}";
    let err = yaml_serde::from_str::<GuardrailsConfig>(bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");
    let two = "- {name: x, detector: {builtin: email, regex: 'a'}, action: redact}";
    let err = yaml_serde::from_str::<GuardrailsConfig>(two)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exactly one of `builtin`, `regex` or `deny`"),
        "{err}"
    );
    let unknown = "- {name: x, detector: {builtin: passport}, action: redact}";
    assert!(yaml_serde::from_str::<GuardrailsConfig>(unknown).is_err());
}
