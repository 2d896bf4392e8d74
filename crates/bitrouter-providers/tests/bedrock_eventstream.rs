//! The `vnd.amazon.eventstream` decoder: frames built by an independent encoder, split at
//! every byte, and corrupted checksums rejected.

#![cfg(feature = "bedrock")]
#![allow(
    clippy::unwrap_used,
    reason = "test set-up fails the test on unexpected input"
)]

mod bedrock_fake;

use bedrock_fake::frames::{Value, event, frame};
use bitrouter_providers::{EventMessage, EventStreamDecoder, HeaderValue, crc32};

fn decode_all(chunks: &[&[u8]]) -> Vec<EventMessage> {
    let mut d = EventStreamDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        d.push(chunk);
        while let Some(m) = d.next_message().unwrap() {
            out.push(m);
        }
    }
    assert!(!d.has_partial(), "bytes left over");
    out
}

#[test]
fn the_empty_message_of_aws_test_suite() {
    // AWS's encoded "empty_message": total 16, no headers, prelude CRC 0x05c248eb,
    // message CRC 0x7d98c8ff.
    let bytes = [
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8,
        0xff,
    ];
    let messages = decode_all(&[&bytes]);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].headers.is_empty() && messages[0].payload.is_empty());
    assert_eq!(crc32(&bytes[..8]), 0x05c2_48eb);
}

#[test]
fn every_header_type_decodes() {
    let bytes = frame(
        &[
            ("flag", Value::True),
            ("n", Value::Int(-7)),
            ("big", Value::Long(1 << 40)),
            ("raw", Value::Bytes(&[1, 2, 3])),
            (":event-type", Value::Str("contentBlockDelta")),
            ("id", Value::Uuid([9; 16])),
        ],
        br#"{"p":"abc"}"#,
    );
    let m = decode_all(&[&bytes]).remove(0);
    assert_eq!(m.header_str(":event-type"), Some("contentBlockDelta"));
    assert_eq!(m.headers[0], ("flag".into(), HeaderValue::Bool(true)));
    assert_eq!(m.headers[1].1, HeaderValue::Int(-7));
    assert_eq!(m.headers[2].1, HeaderValue::Long(1 << 40));
    assert_eq!(
        m.headers[3].1,
        HeaderValue::Bytes(bytes::Bytes::from_static(&[1, 2, 3]))
    );
    assert_eq!(m.headers[5].1, HeaderValue::Uuid([9; 16]));
    assert_eq!(&m.payload[..], br#"{"p":"abc"}"#);
}

#[test]
fn split_at_every_byte() {
    let mut stream = Vec::new();
    stream.extend(event("messageStart", r#"{"role":"assistant"}"#));
    stream.extend(event(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Hello"}}"#,
    ));
    stream.extend(event("messageStop", r#"{"stopReason":"end_turn"}"#));
    let whole = decode_all(&[&stream]);
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[2].header_str(":event-type"), Some("messageStop"));
    for cut in 0..=stream.len() {
        let (a, b) = stream.split_at(cut);
        assert_eq!(decode_all(&[a, b]), whole, "split at {cut}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(decode_all(&bytes), whole);
}

#[test]
fn a_partial_message_waits_for_more() {
    let bytes = event("messageStart", r#"{"role":"assistant"}"#);
    let mut d = EventStreamDecoder::new();
    d.push(&bytes[..bytes.len() - 1]);
    assert_eq!(d.next_message().unwrap(), None);
    assert!(d.has_partial());
    d.push(&bytes[bytes.len() - 1..]);
    assert!(d.next_message().unwrap().is_some());
    assert!(!d.has_partial());
}

#[test]
fn corrupted_checksums_are_rejected() {
    let good = event("messageStop", r#"{"stopReason":"end_turn"}"#);

    let mut payload_flip = good.clone();
    let at = payload_flip.len() - 6;
    payload_flip[at] ^= 0x01;
    let mut d = EventStreamDecoder::new();
    d.push(&payload_flip);
    let e = d.next_message().unwrap_err();
    assert!(e.to_string().contains("message checksum"), "{e}");

    let mut length_flip = good.clone();
    length_flip[3] ^= 0x04;
    let mut d = EventStreamDecoder::new();
    d.push(&length_flip);
    let e = d.next_message().unwrap_err();
    assert!(e.to_string().contains("prelude checksum"), "{e}");

    let mut crc_flip = good;
    let last = crc_flip.len() - 1;
    crc_flip[last] ^= 0x80;
    let mut d = EventStreamDecoder::new();
    d.push(&crc_flip);
    assert!(d.next_message().is_err());
}
