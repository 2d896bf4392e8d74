//! A client's request body in any protocol: decoding never panics, and whatever decodes is
//! written in every protocol as JSON (or refused with an error), never a panic.
//!
//! Input: byte 0 picks the protocol (`% 4`, in `Protocol::ALL` order), byte 1 the Google
//! path flags, the rest is the body.

#![no_main]

use bitrouter_core::Protocol;
use bitrouter_protocols::{RequestContext, decode_request, encode_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, flags, body @ ..] = data else {
        return;
    };
    let protocol = Protocol::ALL[usize::from(selector % 4)];
    let cx = RequestContext {
        path_model: (flags & 1 == 1).then_some("gemini-2.5-flash"),
        path_stream: flags & 2 == 2,
    };
    let Ok(request) = decode_request(protocol, body, &cx) else {
        return;
    };
    for target in Protocol::ALL {
        if let Ok(encoded) = encode_request(target, &request) {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&encoded).is_ok(),
                "{target:?} request encoder wrote invalid JSON: {}",
                String::from_utf8_lossy(&encoded)
            );
        }
    }
});
