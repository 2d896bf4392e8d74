//! A protocol-neutral description of a response and its conversion to a hyper response,
//! with pacing (delays between chunks) and abrupt cuts applied.

use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;

/// The response body type every route returns.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, ConnectionCut>;

pub(crate) const JSON: &str = "application/json";
pub(crate) const EVENT_STREAM: &str = "text/event-stream";

/// How many pieces a whole body is split into when it is cut mid-way.
const CUT_PIECES: usize = 8;

/// The pause between the last chunk of a cut answer and the cut.
const FLUSH_PAUSE: Duration = Duration::from_millis(5);

/// The body error that makes hyper close the connection without finishing the response.
#[derive(Debug)]
pub(crate) struct ConnectionCut;

impl std::fmt::Display for ConnectionCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the fake upstream cut the connection on purpose (Script::DropMidStream)")
    }
}

impl std::error::Error for ConnectionCut {}

/// A response as a protocol renders it, before pacing is applied.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: AnswerBody,
    /// How many generated content pieces the answer holds; a whole (non-streamed) answer with a
    /// token delay waits `pieces × delay` before it is sent.
    pub(crate) pieces: usize,
}

/// The body of an [`Answer`].
#[derive(Debug)]
pub(crate) enum AnswerBody {
    /// One body sent at once with a `content-length`.
    Whole(Bytes),
    /// Server-sent events, each a complete event including its blank line, sent as one frame.
    Events(Vec<Bytes>),
}

/// Timing and truncation applied to an answer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pacing {
    /// The pause before each event after the first (and, for a whole body, per piece).
    pub(crate) chunk_delay: Duration,
    /// Cut the connection after this many chunks.
    pub(crate) cut_after: Option<usize>,
}

impl Answer {
    /// A whole JSON body.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: JSON,
            headers: Vec::new(),
            body: AnswerBody::Whole(body.into()),
            pieces: 1,
        }
    }

    /// A successful event stream.
    pub(crate) fn events(events: Vec<Bytes>, pieces: usize) -> Self {
        Self {
            status: StatusCode::OK,
            content_type: EVENT_STREAM,
            headers: Vec::new(),
            body: AnswerBody::Events(events),
            pieces,
        }
    }

    /// Turn the answer into a hyper response. A whole body waits for its pacing before the
    /// headers go out; events are paced one by one.
    pub(crate) async fn into_response(self, pacing: Pacing) -> Response<ResponseBody> {
        let body = match self.body {
            AnswerBody::Whole(bytes) => match pacing.cut_after {
                None => {
                    let wait = pacing
                        .chunk_delay
                        .saturating_mul(saturating_u32(self.pieces));
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    let length = HeaderValue::from(bytes.len());
                    let mut response = head(self.status, self.content_type, self.headers);
                    response.headers_mut().insert(CONTENT_LENGTH, length);
                    return response.map(|()| {
                        Full::new(bytes)
                            .map_err(|never| match never {})
                            .boxed_unsync()
                    });
                }
                Some(cut) => paced(split_pieces(&bytes, CUT_PIECES), Duration::ZERO, Some(cut)),
            },
            AnswerBody::Events(events) => paced(events, pacing.chunk_delay, pacing.cut_after),
        };
        head(self.status, self.content_type, self.headers).map(|()| body)
    }
}

fn head(
    status: StatusCode,
    content_type: &'static str,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response<()> {
    let mut response = Response::new(());
    *response.status_mut() = status;
    let map = response.headers_mut();
    map.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers {
        map.insert(name, value);
    }
    response
}

/// A body sending `chunks` one frame at a time, pausing `delay` before each frame after the
/// first, and failing (which makes hyper drop the connection) after `cut_after` frames.
fn paced(chunks: Vec<Bytes>, delay: Duration, cut_after: Option<usize>) -> ResponseBody {
    let keep = cut_after.map_or(chunks.len(), |cut| cut.min(chunks.len()));
    let cut = cut_after.is_some();
    let frames = stream::iter(chunks.into_iter().take(keep).enumerate()).then(
        move |(position, chunk)| async move {
            if position > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok(Frame::data(chunk))
        },
    );
    // Pause before failing so hyper flushes what was sent; an error in the same poll as the
    // data would drop the buffered head and chunks along with the connection.
    let ending = stream::iter(cut.then_some(())).then(|()| async {
        tokio::time::sleep(FLUSH_PAUSE).await;
        Err(ConnectionCut)
    });
    StreamBody::new(frames.chain(ending)).boxed_unsync()
}

/// Split `bytes` into at most `count` pieces of about equal length.
fn split_pieces(bytes: &Bytes, count: usize) -> Vec<Bytes> {
    let size = bytes.len().div_ceil(count.max(1)).max(1);
    (0..bytes.len())
        .step_by(size)
        .map(|start| bytes.slice(start..(start + size).min(bytes.len())))
        .collect()
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// An empty body, for a response that is never really sent.
pub(crate) fn empty_body() -> ResponseBody {
    http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}
