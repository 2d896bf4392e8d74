//! The SSE decoder on any bytes: no panic, and the events do not depend on where the
//! stream is cut into chunks.
//!
//! Input: byte 0 is the chunk size (1–256), the rest is the stream.

#![no_main]

use bitrouter_protocols::{SseDecoder, SseEvent};
use libfuzzer_sys::fuzz_target;

fn decode<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Option<Vec<SseEvent>> {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.push(chunk, &mut events).ok()?;
    }
    decoder.finish(&mut events);
    Some(events)
}

fuzz_target!(|data: &[u8]| {
    let [size, stream @ ..] = data else {
        return;
    };
    let whole = decode(std::iter::once(stream));
    let chunked = decode(stream.chunks(usize::from(*size) + 1));
    let bytewise = decode(stream.chunks(1));
    assert_eq!(whole, chunked, "chunks of {} bytes", usize::from(*size) + 1);
    assert_eq!(whole, bytewise, "one byte at a time");
});
