//! Translation cost: per request (decode the client's body, encode the upstream's), per
//! answer, and per stream chunk, for the heaviest pairs, against the pass-through path
//! (peek + model splice) as the baseline.
//!
//! Run with: cargo bench -p bitrouter-protocols --bench translate

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark on fixed fixtures fails loudly"
)]

use bitrouter_core::{Protocol, StreamPart};
use bitrouter_protocols::{
    RequestContext, SseDecoder, StreamOptions, decode_request, decode_response, encode_request,
    encode_response, peek_body, stream_decoder, stream_encoder, with_model,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const ANTHROPIC_REQUEST: &str =
    include_str!("../tests/fixtures/anthropic_messages/request_tools.json");
const OPENAI_REQUEST: &str = include_str!("../tests/fixtures/openai_chat/request.json");
const RESPONSES_REQUEST: &str =
    include_str!("../tests/fixtures/openai_responses/request_multi_turn.json");
const GOOGLE_REQUEST: &str = include_str!("../tests/fixtures/google_generate_content/request.json");
const OPENAI_ANSWER: &str =
    include_str!("../tests/fixtures/openai_chat/completion_tool_calls.json");
const OPENAI_STREAM: &str = include_str!("../tests/fixtures/openai_chat/stream_tool_calls.sse");
const ANTHROPIC_STREAM: &str =
    include_str!("../tests/fixtures/anthropic_messages/stream_thinking_tool.sse");

fn cx() -> RequestContext<'static> {
    RequestContext {
        path_model: Some("gemini-2.5-flash"),
        path_stream: false,
    }
}

fn requests(c: &mut Criterion) {
    let mut g = c.benchmark_group("request");
    let body = OPENAI_REQUEST.as_bytes();
    g.bench_function("passthrough openai_chat (peek + splice model)", |b| {
        b.iter(|| {
            let peek = peek_body(body).unwrap();
            with_model(body, &peek, "gpt-4o-mini")
        })
    });
    let pairs = [
        (
            Protocol::AnthropicMessages,
            ANTHROPIC_REQUEST,
            Protocol::OpenaiChat,
        ),
        (
            Protocol::OpenaiChat,
            OPENAI_REQUEST,
            Protocol::AnthropicMessages,
        ),
        (
            Protocol::OpenaiResponses,
            RESPONSES_REQUEST,
            Protocol::AnthropicMessages,
        ),
        (
            Protocol::OpenaiChat,
            OPENAI_REQUEST,
            Protocol::GoogleGenerateContent,
        ),
        (
            Protocol::GoogleGenerateContent,
            GOOGLE_REQUEST,
            Protocol::OpenaiResponses,
        ),
    ];
    for (from, body, to) in pairs {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(
            BenchmarkId::new(format!("{from} -> {to}"), body.len()),
            body,
            |b, body| {
                b.iter(|| {
                    let mut req = decode_request(from, body.as_bytes(), &cx()).unwrap();
                    req.model = "target-model".into();
                    encode_request(to, &req).unwrap()
                })
            },
        );
    }
    g.finish();
}

fn answers(c: &mut Criterion) {
    let mut g = c.benchmark_group("answer");
    for to in [
        Protocol::AnthropicMessages,
        Protocol::OpenaiResponses,
        Protocol::GoogleGenerateContent,
    ] {
        g.bench_function(format!("openai_chat -> {to}"), |b| {
            b.iter(|| {
                let answer =
                    decode_response(Protocol::OpenaiChat, OPENAI_ANSWER.as_bytes()).unwrap();
                encode_response(to, &answer).unwrap()
            })
        });
    }
    g.finish();
}

/// Decodes a whole fixture stream and re-encodes it, reporting the cost per upstream event.
fn streams(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    let cases = [
        (
            Protocol::OpenaiChat,
            OPENAI_STREAM,
            Protocol::AnthropicMessages,
        ),
        (
            Protocol::OpenaiChat,
            OPENAI_STREAM,
            Protocol::OpenaiResponses,
        ),
        (
            Protocol::AnthropicMessages,
            ANTHROPIC_STREAM,
            Protocol::OpenaiChat,
        ),
        (
            Protocol::AnthropicMessages,
            ANTHROPIC_STREAM,
            Protocol::GoogleGenerateContent,
        ),
    ];
    for (from, text, to) in cases {
        let mut events = Vec::new();
        let mut sse = SseDecoder::new();
        sse.push(text.as_bytes(), &mut events).unwrap();
        sse.finish(&mut events);
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function(format!("{from} -> {to} (per event)"), |b| {
            b.iter(|| {
                let mut decoder = stream_decoder(from);
                let mut encoder = stream_encoder(
                    to,
                    StreamOptions {
                        include_usage: true,
                    },
                );
                let mut parts: Vec<StreamPart> = Vec::new();
                let mut out = Vec::with_capacity(4096);
                for ev in &events {
                    parts.clear();
                    let _ = decoder.decode(ev, &mut parts);
                    for p in &parts {
                        encoder.encode(p, &mut out);
                    }
                }
                encoder.finish(&mut out);
                out
            })
        });
    }
    g.finish();
}

criterion_group!(benches, requests, answers, streams);
criterion_main!(benches);
