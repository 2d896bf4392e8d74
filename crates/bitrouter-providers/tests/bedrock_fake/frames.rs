//! A small event-stream encoder for the tests: the framing of AWS's "Event stream encoding"
//! pages, written independently of the decoder under test (CRC via its own bitwise loop).

/// A header value to encode.
#[allow(dead_code, reason = "each test binary uses a different subset")]
pub enum Value<'a> {
    True,
    Int(i32),
    Long(i64),
    Bytes(&'a [u8]),
    Str(&'a str),
    Uuid([u8; 16]),
}

/// The bitwise CRC-32 (gzip), slow and obviously right.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// One message with these headers and payload.
pub fn frame(headers: &[(&str, Value<'_>)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        match value {
            Value::True => h.push(0),
            Value::Int(v) => {
                h.push(4);
                h.extend_from_slice(&v.to_be_bytes());
            }
            Value::Long(v) => {
                h.push(5);
                h.extend_from_slice(&v.to_be_bytes());
            }
            Value::Bytes(v) => {
                h.push(6);
                h.extend_from_slice(&(v.len() as u16).to_be_bytes());
                h.extend_from_slice(v);
            }
            Value::Str(v) => {
                h.push(7);
                h.extend_from_slice(&(v.len() as u16).to_be_bytes());
                h.extend_from_slice(v.as_bytes());
            }
            Value::Uuid(v) => {
                h.push(9);
                h.extend_from_slice(v);
            }
        }
    }
    let total = (16 + h.len() + payload.len()) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(payload);
    let message_crc = crc32(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

/// A ConverseStream event as Bedrock sends it.
pub fn event(kind: &str, payload: &str) -> Vec<u8> {
    frame(
        &[
            (":event-type", Value::Str(kind)),
            (":content-type", Value::Str("application/json")),
            (":message-type", Value::Str("event")),
        ],
        payload.as_bytes(),
    )
}

/// A ConverseStream exception as Bedrock sends it.
#[allow(dead_code, reason = "each test binary uses a different subset")]
pub fn exception(kind: &str, message: &str) -> Vec<u8> {
    frame(
        &[
            (":exception-type", Value::Str(kind)),
            (":content-type", Value::Str("application/json")),
            (":message-type", Value::Str("exception")),
        ],
        format!(r#"{{"message":"{message}"}}"#).as_bytes(),
    )
}
