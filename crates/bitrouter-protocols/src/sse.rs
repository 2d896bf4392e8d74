//! Server-sent events: an incremental decoder that accepts chunks split anywhere, and the
//! encoder's one-liner.

use bytes::{Buf, BytesMut};

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when present.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Decodes a byte stream of server-sent events, chunk by chunk.
///
/// Handles `\n`, `\r\n` and `\r` line ends, multi-line data, comments (`: ping`) and fields
/// it does not know (`id:`, `retry:`), following the WHATWG event-stream rules.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: BytesMut,
    event: Option<String>,
    data: String,
    has_data: bool,
}

/// The decoder's buffer grew past this without a line end: the upstream is not speaking SSE.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// A line longer than [`MAX_LINE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server-sent event line longer than {MAX_LINE} bytes")]
pub struct LineTooLong;

impl SseDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk and appends every event it completes to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), LineTooLong> {
        self.buf.extend_from_slice(chunk);
        while let Some(end) = memchr::memchr2(b'\n', b'\r', &self.buf) {
            // A '\r' at the very end may be the first half of "\r\n": wait for more.
            if self.buf[end] == b'\r' && end + 1 == self.buf.len() {
                break;
            }
            let line = self.buf.split_to(end);
            let skip = if self.buf[0] == b'\r' && self.buf.get(1) == Some(&b'\n') {
                2
            } else {
                1
            };
            self.buf.advance(skip);
            self.line(&line, out);
        }
        if self.buf.len() > MAX_LINE {
            return Err(LineTooLong);
        }
        Ok(())
    }

    /// The stream ended: completes a last event that lacked its blank line.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.line(&line, out);
        }
        self.dispatch(out);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = Some(value.into_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            out.push(SseEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.event = None;
        self.has_data = false;
    }
}

/// Appends one event to `out`: an optional `event:` line, the data, and the blank line.
/// `data` must not contain line breaks (JSON from serde never does).
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &str) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out).unwrap();
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn events_split_at_every_byte() {
        let text = b"event: message_start\ndata: {\"a\":1}\n\n: ping\n\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\n\n";
        let whole = decode_all(&[text]);
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    event: Some("message_start".into()),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "line1\nline2".into()
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into()
                },
            ]
        );
        for split in 1..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(decode_all(&[a, b]), whole, "split at {split}");
        }
    }

    #[test]
    fn last_event_without_blank_line_is_kept() {
        assert_eq!(
            decode_all(&[b"data: tail"]),
            vec![SseEvent {
                event: None,
                data: "tail".into()
            }]
        );
    }

    #[test]
    fn bare_carriage_returns_end_lines() {
        assert_eq!(decode_all(&[b"data: a\r\rdata: b\r\r"]).len(), 2);
    }

    #[test]
    fn write_then_read() {
        let mut buf = Vec::new();
        write_event(&mut buf, Some("ping"), "{}");
        write_event(&mut buf, None, "[DONE]");
        let events = decode_all(&[&buf]);
        assert_eq!(events[0].event.as_deref(), Some("ping"));
        assert_eq!(events[1].data, "[DONE]");
    }
}
