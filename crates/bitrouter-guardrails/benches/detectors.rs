//! Run with: cargo bench -p bitrouter-guardrails --bench detectors
//!
//! All built-in detectors over a 100 KB prompt (prose and code with a few PII items), and the
//! stream guard fed the same text in 20-byte fragments.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::sync::Arc;

use bitrouter_core::{GuardContext, Guardrail, Protocol, StreamPart};
use bitrouter_guardrails::{
    Action, Builtin, DetectorConfig, DiscardFindings, GuardrailEngine, GuardrailsConfig,
    RuleConfig, RuleSet,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PROSE: &str = "The quarterly report covers revenue growth across three regions. \
Our team reviewed the onboarding flow, and the main drop-off happens at the payment step, \
where users hesitate before entering details. We propose a shorter form, clearer copy, and \
a progress indicator. Version 2.4.1 shipped on 2024-03-15 with 37 fixes.\n";

const CODE: &str = "fn handle(req: Request) -> Result<Response, Error> {\n    \
let body = serde_json::from_slice::<Value>(&req.body)?;\n    \
let id = body[\"id\"].as_u64().unwrap_or(0);\n    \
tracing::info!(id, elapsed_ms = 12, \"handled\");\n    Ok(Response::new(200))\n}\n";

const PII: [&str; 6] = [
    "Contact jane.doe@example.com or +44 20 7946 0958. ",
    "Card 4111 1111 1111 1111 expires soon. ",
    "Wire to DE89 3704 0044 0532 0130 00 today. ",
    "SSN 123-45-6789 on file. Host 10.0.0.12. ",
    "key AKIAIOSFODNN7EXAMPLE and sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z. ",
    "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P. ",
];

fn prompt() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 100 * 1024 {
        text.push_str(if i % 3 == 2 { CODE } else { PROSE });
        if i % 40 == 20 {
            text.push_str(PII[(i / 40) % PII.len()]);
        }
        i += 1;
    }
    text
}

fn all_builtins(action: Action) -> Vec<RuleConfig> {
    Builtin::ALL
        .iter()
        .map(|b| RuleConfig {
            name: b.as_str().into(),
            detector: DetectorConfig::Builtin(*b),
            direction: Default::default(),
            scope_in: vec![],
            action,
            placeholder: None,
            applies_to: Default::default(),
        })
        .collect()
}

fn detectors(c: &mut Criterion) {
    let text = prompt();
    let set = RuleSet::compile(&all_builtins(Action::Redact)).unwrap();
    assert!(set.scan(&text).len() >= 10);
    let mut group = c.benchmark_group("detectors");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("scan_100kb_all_builtins", |b| {
        b.iter(|| set.scan(black_box(&text)))
    });
    group.bench_function("redact_100kb_all_builtins", |b| {
        b.iter(|| set.redact(black_box(&text)))
    });
    let clean: String = text
        .lines()
        .filter(|l| !PII.iter().any(|p| l.contains(p.trim())))
        .collect::<Vec<_>>()
        .join("\n");
    group.bench_function("scan_100kb_clean", |b| {
        b.iter(|| set.scan(black_box(&clean)))
    });
    group.finish();
}

fn stream(c: &mut Criterion) {
    let text = prompt();
    let config = GuardrailsConfig {
        rules: all_builtins(Action::Redact),
    };
    let engine = GuardrailEngine::new(&config, Arc::new(DiscardFindings)).unwrap();
    let cx = GuardContext {
        request_id: "bench",
        model: "gpt-4o",
        inbound: Protocol::OpenaiChat,
        key: None,
        user: None,
    };
    let chunks: Vec<String> = text
        .as_bytes()
        .chunks(20)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut group = c.benchmark_group("stream_guard");
    group.throughput(Throughput::Elements(chunks.len() as u64));
    group.bench_function("100kb_in_20_byte_chunks", |b| {
        b.iter(|| {
            let mut guard = engine.stream_guard(cx).unwrap();
            let mut out = Vec::with_capacity(4);
            for chunk in &chunks {
                out.clear();
                guard.on_part(
                    StreamPart::TextDelta {
                        text: chunk.clone(),
                    },
                    &mut out,
                );
                black_box(&out);
            }
            guard.finish(&mut out);
        })
    });
    group.finish();
}

criterion_group!(benches, detectors, stream);
criterion_main!(benches);
