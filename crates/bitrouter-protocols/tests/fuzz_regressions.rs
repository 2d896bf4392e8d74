//! Inputs the fuzz targets in `fuzz/` (run by `.ci/fuzz.sh`) found, kept as regression tests.

#![allow(
    clippy::unwrap_used,
    reason = "test set-up fails the test on unexpected input"
)]

use bitrouter_protocols::{peek_body, with_model};

/// `peek_body` accepts a number beyond f64's range (serde_json's raw values do, a `Value`
/// does not); splicing a model into such a body must keep it peekable with the new model.
/// Found by the `peek_body` target (whose own check was then narrowed to bodies that parse
/// as a `Value`).
#[test]
fn a_number_out_of_f64_range_survives_the_model_splice() {
    let body = b"\r\r{\r\r \"\" \t\t\r\r\r \r\r\r\r:{  \"\": 8e888  }\n}\n";
    let peek = peek_body(body).unwrap();
    assert_eq!(peek.model, None);
    let spliced = with_model(body, &peek, "gpt-4o");
    let again = peek_body(&spliced).unwrap();
    assert_eq!(again.model.as_deref(), Some("gpt-4o"));
    assert!(String::from_utf8_lossy(&spliced).contains("8e888"));
}
