//! An upstream's event stream in any protocol, cut into chunks anywhere, through the SSE
//! decoder and the protocol's stream decoder: no panic, and the parts it yields are written
//! by every protocol's stream encoder as well-formed events whose data are JSON.
//!
//! Input: byte 0 picks the protocol (`% 4`, in `Protocol::ALL` order), byte 1 the chunk
//! size (1–256), the rest is the stream.

#![no_main]

use bitrouter_core::Protocol;
use bitrouter_protocols::{ErrorInfo, SseDecoder, StreamOptions, stream_decoder, stream_encoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, size, stream @ ..] = data else {
        return;
    };
    let protocol = Protocol::ALL[usize::from(selector % 4)];
    let mut sse = SseDecoder::new();
    let mut decoder = stream_decoder(protocol);
    let mut events = Vec::new();
    let mut parts = Vec::new();
    let mut failed = false;
    for chunk in stream.chunks(usize::from(*size) + 1) {
        if sse.push(chunk, &mut events).is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        sse.finish(&mut events);
    }
    for event in &events {
        if decoder.decode(event, &mut parts).is_err() {
            failed = true;
            break;
        }
    }
    let _ = decoder.is_done();
    for target in Protocol::ALL {
        let options = StreamOptions {
            include_usage: selector & 4 == 4,
        };
        let mut encoder = stream_encoder(target, options);
        let mut out = Vec::new();
        for part in &parts {
            encoder.encode(part, &mut out);
        }
        if failed {
            let error = ErrorInfo {
                status: 502,
                message: "fuzz",
                code: None,
            };
            encoder.error(&error, &mut out);
        } else {
            encoder.finish(&mut out);
        }
        let mut written = Vec::new();
        let mut reader = SseDecoder::new();
        assert!(reader.push(&out, &mut written).is_ok());
        reader.finish(&mut written);
        for event in &written {
            assert!(
                event.data == "[DONE]"
                    || serde_json::from_str::<serde_json::Value>(&event.data).is_ok(),
                "{target:?} stream encoder wrote an event that is not JSON: {:?}",
                event.data
            );
        }
    }
});
