//! The `application/vnd.amazon.eventstream` binary framing of ConverseStream answers.
//!
//! Each message is a prelude (total length, headers length, both big-endian `u32`, then the
//! CRC32 of those 8 bytes), the headers, the payload, and the CRC32 of everything before it
//! (the layout of AWS's "Event stream encoding" pages). [`EventStreamDecoder`] is incremental:
//! bytes may be fed split anywhere, and both checksums are verified.

use bytes::{Buf, Bytes, BytesMut};

/// Prelude (12 bytes) plus the message CRC (4 bytes).
const OVERHEAD: usize = 16;
/// The largest message accepted (AWS's limit is 16 MiB of payload; allow headroom).
const MAX_MESSAGE: usize = 24 * 1024 * 1024;

/// A header value, by the type byte that precedes it on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Types 0 and 1.
    Bool(bool),
    /// Type 2.
    Byte(i8),
    /// Type 3.
    Short(i16),
    /// Type 4.
    Int(i32),
    /// Type 5.
    Long(i64),
    /// Type 6, with a `u16` length.
    Bytes(Bytes),
    /// Type 7, with a `u16` length.
    String(String),
    /// Type 8, milliseconds since the epoch.
    Timestamp(i64),
    /// Type 9.
    Uuid([u8; 16]),
}

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMessage {
    /// Its headers, in wire order.
    pub headers: Vec<(String, HeaderValue)>,
    /// Its payload (JSON for Bedrock).
    pub payload: Bytes,
}

impl EventMessage {
    /// The value of a string header such as `:event-type`.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            HeaderValue::String(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }
}

/// A malformed or corrupted message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event-stream message: {0}")]
pub struct FrameError(pub String);

/// Splits a byte stream into [`EventMessage`]s.
#[derive(Debug, Default)]
pub struct EventStreamDecoder {
    buffer: BytesMut,
}

impl EventStreamDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<EventMessage>, FrameError> {
        if self.buffer.len() < 12 {
            return Ok(None);
        }
        let total = be_u32(&self.buffer[0..4]) as usize;
        let headers_len = be_u32(&self.buffer[4..8]) as usize;
        let prelude_crc = be_u32(&self.buffer[8..12]);
        if crc32(&self.buffer[0..8]) != prelude_crc {
            return Err(FrameError(
                "the prelude checksum does not match (corrupted length fields)".into(),
            ));
        }
        if !(OVERHEAD..=MAX_MESSAGE).contains(&total) || headers_len > total - OVERHEAD {
            return Err(FrameError(format!(
                "lengths out of range: total {total}, headers {headers_len}"
            )));
        }
        if self.buffer.len() < total {
            return Ok(None);
        }
        let frame = self.buffer.split_to(total).freeze();
        let message_crc = be_u32(&frame[total - 4..]);
        if crc32(&frame[..total - 4]) != message_crc {
            return Err(FrameError("the message checksum does not match".into()));
        }
        let headers = parse_headers(frame.slice(12..12 + headers_len))?;
        let payload = frame.slice(12 + headers_len..total - 4);
        Ok(Some(EventMessage { headers, payload }))
    }

    /// Whether bytes of an unfinished message are left over.
    pub fn has_partial(&self) -> bool {
        !self.buffer.is_empty()
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn parse_headers(mut b: Bytes) -> Result<Vec<(String, HeaderValue)>, FrameError> {
    let short = || FrameError("a header runs past the headers section".into());
    let mut out = Vec::new();
    while b.has_remaining() {
        let name_len = usize::from(b.get_u8());
        if b.remaining() < name_len + 1 {
            return Err(short());
        }
        let name = String::from_utf8(b.split_to(name_len).to_vec())
            .map_err(|_| FrameError("a header name is not UTF-8".into()))?;
        let kind = b.get_u8();
        let fixed = |n: usize, b: &Bytes| {
            if b.remaining() < n {
                Err(short())
            } else {
                Ok(())
            }
        };
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => {
                fixed(1, &b)?;
                HeaderValue::Byte(b.get_i8())
            }
            3 => {
                fixed(2, &b)?;
                HeaderValue::Short(b.get_i16())
            }
            4 => {
                fixed(4, &b)?;
                HeaderValue::Int(b.get_i32())
            }
            5 | 8 => {
                fixed(8, &b)?;
                let v = b.get_i64();
                if kind == 5 {
                    HeaderValue::Long(v)
                } else {
                    HeaderValue::Timestamp(v)
                }
            }
            6 | 7 => {
                fixed(2, &b)?;
                let len = usize::from(b.get_u16());
                fixed(len, &b)?;
                let raw = b.split_to(len);
                if kind == 6 {
                    HeaderValue::Bytes(raw)
                } else {
                    HeaderValue::String(
                        String::from_utf8(raw.to_vec())
                            .map_err(|_| FrameError(format!("header `{name}` is not UTF-8")))?,
                    )
                }
            }
            9 => {
                fixed(16, &b)?;
                let mut id = [0u8; 16];
                b.copy_to_slice(&mut id);
                HeaderValue::Uuid(id)
            }
            other => {
                return Err(FrameError(format!(
                    "header `{name}` has unknown value type {other}"
                )));
            }
        };
        out.push((name, value));
    }
    Ok(out)
}

/// The CRC-32 of ISO-HDLC / gzip (reflected polynomial `0xEDB88320`), as event streams use.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc = CRC_TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
