//! The stream guard: matches split across fragments, the delay the carry window adds, blocks
//! mid-stream, tool-call arguments, and the order of parts.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::sync::Arc;

use bitrouter_core::{
    FinishReason, GuardContext, Guardrail, Protocol, StreamGuard, StreamPart, Usage, Verdict,
};
use bitrouter_guardrails::{Action, GuardrailEngine, GuardrailsConfig, MemoryFindings};

fn guard(yaml: &str) -> (Box<dyn StreamGuard>, Arc<MemoryFindings>) {
    let config: GuardrailsConfig = yaml_serde::from_str(yaml).unwrap();
    let sink = Arc::new(MemoryFindings::new());
    let engine = GuardrailEngine::new(&config, sink.clone()).unwrap();
    let cx = GuardContext {
        request_id: "req-s",
        model: "gpt-4o",
        inbound: Protocol::AnthropicMessages,
        key: None,
        user: None,
    };
    (engine.stream_guard(cx).unwrap(), sink)
}

const KEYS: &str = "- {name: keys, detector: {builtin: secrets}, action: redact}";

fn text(t: &str) -> StreamPart {
    StreamPart::TextDelta { text: t.into() }
}

/// Feeds the parts, then finishes; returns what the client gets and the last verdict.
fn run(g: &mut dyn StreamGuard, parts: Vec<StreamPart>) -> (Vec<StreamPart>, Verdict) {
    let mut out = Vec::new();
    for p in parts {
        let v = g.on_part(p, &mut out);
        if v != Verdict::Allow {
            return (out, v);
        }
    }
    let v = g.finish(&mut out);
    (out, v)
}

fn joined(parts: &[StreamPart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn arguments(parts: &[StreamPart], index: u32) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::ToolCallDelta {
                index: i,
                arguments,
            } if *i == index => Some(arguments.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_secret_split_across_two_deltas_is_redacted() {
    let (mut g, sink) = guard(KEYS);
    let (out, v) = run(
        g.as_mut(),
        vec![text("the key is AKIAIOSF"), text("ODNN7EXAMPLE, keep it")],
    );
    assert_eq!(v, Verdict::Allow);
    assert_eq!(joined(&out), "the key is [REDACTED:keys], keep it");
    assert_eq!(sink.findings().len(), 1);
    assert_eq!(sink.findings()[0].detector, "secrets/aws_access_key_id");
}

#[test]
fn a_secret_split_across_three_deltas_is_redacted() {
    let (mut g, _) = guard(KEYS);
    let (out, _) = run(
        g.as_mut(),
        vec![
            text("token: sk-ant-api03-Zx9Yw8"),
            text("Vu7Ts6Rq5Po4Nm3"),
            text("Lk2Jh1Gf0EdCbA\nbye"),
        ],
    );
    assert_eq!(joined(&out), "token: [REDACTED:keys]\nbye");
    assert!(
        out.iter()
            .all(|p| !joined(std::slice::from_ref(p)).contains("sk-"))
    );
}

#[test]
fn text_before_a_match_waits_no_longer_than_the_window() {
    // An SSN is at most 11 bytes: the guard holds 12.
    let (mut g, _) = guard("- {name: ssn, detector: {builtin: us_ssn}, action: redact}");
    let mut out = Vec::new();
    let clean = "x".repeat(100);
    assert_eq!(g.on_part(text(&clean), &mut out), Verdict::Allow);
    assert_eq!(joined(&out).len(), 100 - 12);
    // The secrets detector has unbounded regexes: capped at 256, so it holds 257.
    let (mut g, _) = guard(KEYS);
    let mut out = Vec::new();
    g.on_part(text(&"y".repeat(1000)), &mut out);
    assert_eq!(joined(&out).len(), 1000 - 257);
    g.finish(&mut out);
    assert_eq!(joined(&out).len(), 1000);
}

#[test]
fn a_block_mid_stream_stops_once_the_match_is_complete() {
    let (mut g, sink) = guard("- {name: no-ssn, detector: {builtin: us_ssn}, action: block}");
    let mut out = Vec::new();
    assert_eq!(
        g.on_part(text("fine so far. ssn 123-45-"), &mut out),
        Verdict::Allow
    );
    let v = g.on_part(text("6789 and more"), &mut out);
    assert_eq!(
        v,
        Verdict::Block {
            reason: "guardrail rule `no-ssn` blocked the answer: it found us_ssn in messages"
                .into()
        }
    );
    assert_eq!(joined(&out), "fine so far.");
    assert_eq!(sink.findings()[0].action, Action::Block);
}

#[test]
fn a_block_at_the_very_end_is_caught_on_finish() {
    let (mut g, _) = guard("- {name: no-ssn, detector: {builtin: us_ssn}, action: block}");
    let (out, v) = run(g.as_mut(), vec![text("ssn 123-45"), text("-6789")]);
    assert!(matches!(v, Verdict::Block { .. }));
    assert!(!joined(&out).contains("6789"));
}

#[test]
fn tool_call_arguments_split_across_deltas_are_redacted_in_order() {
    let (mut g, _) = guard(KEYS);
    let start = StreamPart::Start {
        id: "a".into(),
        model: "m".into(),
    };
    let call = StreamPart::ToolCallStart {
        index: 0,
        id: "c0".into(),
        name: "deploy".into(),
        signature: None,
    };
    let finish = StreamPart::Finish {
        reason: FinishReason::ToolCalls,
    };
    let usage = StreamPart::Usage(Usage {
        input_tokens: 3,
        output_tokens: 4,
        ..Usage::default()
    });
    let (out, v) = run(
        g.as_mut(),
        vec![
            start.clone(),
            text("calling now"),
            call.clone(),
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: r#"{"key":"AKIAIOSF"#.into(),
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: r#"ODNN7EXAMPLE"}"#.into(),
            },
            finish.clone(),
            usage.clone(),
        ],
    );
    assert_eq!(v, Verdict::Allow);
    assert_eq!(arguments(&out, 0), r#"{"key":"[REDACTED:keys]"}"#);
    // Held text goes out before the part that follows it.
    assert_eq!(out[0], start);
    assert_eq!(out[1], text("calling now"));
    assert_eq!(out[2], call);
    assert_eq!(out[out.len() - 2], finish);
    assert_eq!(out[out.len() - 1], usage);
}

#[test]
fn a_streamed_private_key_block_is_held_and_redacted_whole() {
    let (mut g, _) = guard(KEYS);
    let body = "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n".repeat(12);
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----");
    let full = format!("here:\n{pem}\ndone");
    let chunks: Vec<StreamPart> = full
        .as_bytes()
        .chunks(40)
        .map(|c| text(std::str::from_utf8(c).unwrap()))
        .collect();
    let (out, _) = run(g.as_mut(), chunks);
    assert_eq!(joined(&out), "here:\n[REDACTED:keys]\ndone");
}

#[test]
fn inspect_passes_the_stream_unchanged_and_records() {
    let (mut g, sink) = guard("- {name: mail, detector: {builtin: email}, action: inspect}");
    let (out, v) = run(
        g.as_mut(),
        vec![text("mail jane@exa"), text("mple.com now")],
    );
    assert_eq!(v, Verdict::Allow);
    assert_eq!(joined(&out), "mail jane@example.com now");
    assert_eq!(sink.findings().len(), 1);
}

#[test]
fn multibyte_text_is_cut_on_character_boundaries() {
    let (mut g, _) = guard("- {name: ssn, detector: {builtin: us_ssn}, action: redact}");
    let (out, _) = run(
        g.as_mut(),
        vec![text("héllo wörld ✓✓✓✓✓✓ 123-45-"), text("6789 ünïcode ✓")],
    );
    assert_eq!(joined(&out), "héllo wörld ✓✓✓✓✓✓ [REDACTED:ssn] ünïcode ✓");
}

#[test]
fn no_stream_guard_without_answer_rules() {
    let config: GuardrailsConfig = yaml_serde::from_str(
        "- {name: r, detector: {builtin: email}, action: redact, direction: request}",
    )
    .unwrap();
    let engine = GuardrailEngine::new(&config, Arc::new(MemoryFindings::new())).unwrap();
    let cx = GuardContext {
        request_id: "r",
        model: "m",
        inbound: Protocol::OpenaiChat,
        key: None,
        user: None,
    };
    assert!(engine.stream_guard(cx).is_none());
}
