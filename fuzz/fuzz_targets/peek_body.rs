//! The pass-through body peek and model splice: no panic on any body, and a body that peeks
//! as an object comes out of `with_model` still JSON, and peeks as naming the new model.
//!
//! Input: the request body.

#![no_main]

use bitrouter_protocols::{peek_body, with_model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(peek) = peek_body(body) else {
        return;
    };
    let spliced = with_model(body, &peek, "fuzz/model \"quoted\"");
    // The peek accepts what serde_json's raw values accept, numbers out of f64's range
    // included; only a body that parses as a `Value` must still parse after the splice.
    if let Ok(before) = serde_json::from_slice::<serde_json::Value>(body) {
        match serde_json::from_slice::<serde_json::Value>(&spliced) {
            Ok(after) => assert_eq!(after.is_object(), before.is_object()),
            Err(e) => panic!(
                "with_model wrote invalid JSON ({e}): {}",
                String::from_utf8_lossy(&spliced)
            ),
        }
    }
    let again = match peek_body(&spliced) {
        Ok(again) => again,
        Err(e) => panic!("the spliced body does not peek: {e}"),
    };
    assert_eq!(again.model.as_deref(), Some("fuzz/model \"quoted\""));
    assert_eq!(again.stream, peek.stream);
});
