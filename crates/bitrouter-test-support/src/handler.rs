//! One request through the fake: record it, route it, check auth, validate it, then play the
//! next script.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::header::{HeaderName, HeaderValue};
use http::{Request, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;

use crate::answer::{Answer, Pacing};
use crate::protocol::{Call, Content, Head, Route};
use crate::recording::RecordedRequest;
use crate::script::{ReplyKind, Script};
use crate::server::{HandlerResponse, Shared, lock, read_body};

pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> HandlerResponse {
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    let route = shared.protocol.route(&parts.method, parts.uri.path());
    let wants_json = matches!(route, Route::Generate | Route::CountTokens) || shared.record;
    let json: Option<Value> = if wants_json && !body.is_empty() {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    let api_key = Arc::clone(&*lock(&shared.api_key));
    let head = Head {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let mut authorized = shared.protocol.authorize(&head, &api_key);
    if authorized.is_err() {
        let more = lock(&shared.more_api_keys).clone();
        if more
            .iter()
            .any(|k| shared.protocol.authorize(&head, k).is_ok())
        {
            authorized = Ok(());
        }
    }
    let answer = match route {
        Route::Unknown => Err(shared.protocol.not_found(&parts.method, parts.uri.path())),
        Route::Models => authorized.map(|()| shared.protocol.models()),
        Route::CountTokens => {
            authorized.and_then(|()| shared.protocol.count_tokens(&head, json.as_ref()))
        }
        Route::Generate => {
            match authorized.and_then(|()| shared.protocol.parse_call(&head, json.as_ref(), seq)) {
                Ok(call) => {
                    let script = lock(&shared.scripts).next();
                    record(&shared, parts, body, json);
                    return play(&shared, &call, script).await;
                }
                Err(answer) => Err(answer),
            }
        }
    };
    record(&shared, parts, body, json);
    match answer {
        Ok(answer) | Err(answer) => answer.into_response(Pacing::default()).await,
    }
}

fn record(shared: &Shared, parts: http::request::Parts, body: bytes::Bytes, json: Option<Value>) {
    if !shared.record {
        return;
    }
    let recorded = RecordedRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        json,
    };
    lock(&shared.requests).push(recorded);
}

/// Answer a valid generation request as `script` says.
async fn play(shared: &Shared, call: &Call, mut script: Script) -> HandlerResponse {
    while let Script::Delay(delay, inner) = script {
        tokio::time::sleep(delay).await;
        script = *inner;
    }
    let protocol = shared.protocol;
    let token_pacing = Pacing {
        chunk_delay: shared.token_delay,
        cut_after: None,
    };
    let (answer, pacing) = match script {
        // `Delay` was unwrapped above; the arm only keeps the match exhaustive.
        Script::Echo | Script::Delay(..) => match &call.forced_tool {
            Some((name, schema)) => {
                let calls = [(name.clone(), crate::forced_tool::example_arguments(schema))];
                (
                    protocol.reply(call, Content::ToolCalls(&calls)),
                    token_pacing,
                )
            }
            None => {
                let text = format!("echo: {}", call.last_user_text);
                (protocol.reply(call, Content::Text(&text)), token_pacing)
            }
        },
        Script::Reply(ReplyKind::Text(text)) => {
            (protocol.reply(call, Content::Text(&text)), token_pacing)
        }
        Script::Reply(ReplyKind::ToolCalls(calls)) => (
            protocol.reply(call, Content::ToolCalls(&calls)),
            token_pacing,
        ),
        Script::Reply(ReplyKind::Fixture(body)) => (fixture(body), Pacing::default()),
        Script::Status {
            status,
            body,
            headers,
        } => (status_answer(status, body, &headers), Pacing::default()),
        Script::Hang => {
            let mut stopped = shared.stopped.subscribe();
            // Resolves only when the server stops (or is gone); the client sees no answer.
            let _stopped = stopped.wait_for(|stopped| *stopped).await;
            return http::Response::new(crate::answer::empty_body());
        }
        Script::DropMidStream { after_chunks } => {
            let text = format!("echo: {}", call.last_user_text);
            let pacing = Pacing {
                chunk_delay: shared.token_delay,
                cut_after: Some(after_chunks),
            };
            (protocol.reply(call, Content::Text(&text)), pacing)
        }
        Script::SlowStream {
            chunk_delay,
            chunks,
        } => {
            let text = (0..chunks)
                .map(|position| format!("tick{position}"))
                .collect::<Vec<_>>()
                .join(" ");
            let pacing = Pacing {
                chunk_delay,
                cut_after: None,
            };
            (protocol.reply(call, Content::Text(&text)), pacing)
        }
        Script::MalformedJson => (protocol.malformed_json(call), Pacing::default()),
        Script::MalformedSse => (protocol.malformed_sse(call), Pacing::default()),
    };
    answer.into_response(pacing).await
}

/// A fixture body sent verbatim: JSON when it starts with `{`, an event stream otherwise.
fn fixture(body: &'static str) -> Answer {
    if body.trim_start().starts_with('{') {
        Answer::json(StatusCode::OK, body)
    } else {
        let mut answer = Answer::json(StatusCode::OK, body);
        answer.content_type = crate::answer::EVENT_STREAM;
        answer
    }
}

fn status_answer(status: u16, body: String, headers: &[(String, String)]) -> Answer {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = Answer::json(status, body);
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        answer.headers.push((name, value));
    }
    answer
}
