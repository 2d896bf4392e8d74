//! An upstream's complete answer in any protocol: decoding never panics, and whatever
//! decodes is written for a client of every protocol as JSON (or refused with an error).
//!
//! Input: byte 0 picks the protocol (`% 4`, in `Protocol::ALL` order), the rest is the body.

#![no_main]

use bitrouter_core::Protocol;
use bitrouter_protocols::{decode_response, encode_response, error_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, body @ ..] = data else {
        return;
    };
    let protocol = Protocol::ALL[usize::from(selector % 4)];
    // Error bodies are read on the same path.
    let _ = error_message(protocol, body);
    let Ok(response) = decode_response(protocol, body) else {
        return;
    };
    for target in Protocol::ALL {
        if let Ok(encoded) = encode_response(target, &response) {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&encoded).is_ok(),
                "{target:?} answer encoder wrote invalid JSON: {}",
                String::from_utf8_lossy(&encoded)
            );
        }
    }
});
