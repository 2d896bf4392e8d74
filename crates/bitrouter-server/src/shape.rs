//! A call's shape from its raw body, without decoding it: whether it offers tools or carries
//! images, how long its prompt is, and its output limit. Routing rules and cost estimates use
//! it; being a scan rather than a parse, it costs little on the pass-through path.

use bitrouter_core::CallShape;
use bitrouter_protocols::BodyPeek;
use memchr::memmem;

/// Markers of an image part in any of the four protocols.
const IMAGE_MARKERS: &[&[u8]] = &[
    b"\"image_url\"",
    b"\"input_image\"",
    b"\"inlineData\"",
    b"\"inline_data\"",
    b"\"fileData\"",
    b"\"type\":\"image\"",
    b"\"type\": \"image\"",
];

/// Top-level fields that hold the output limit, by protocol.
const LIMIT_FIELDS: &[&str] = &["max_completion_tokens", "max_tokens", "max_output_tokens"];

pub(crate) fn of(body: &[u8], peek: &BodyPeek) -> CallShape {
    let has_tools = peek.span("tools").is_some_and(|span| {
        body[span]
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .count()
            > 2
    });
    let has_images = IMAGE_MARKERS
        .iter()
        .any(|m| memmem::find(body, m).is_some());
    let max_output_tokens = LIMIT_FIELDS.iter().find_map(|f| {
        let span = peek.span(f)?;
        std::str::from_utf8(&body[span])
            .ok()?
            .trim()
            .parse::<u32>()
            .ok()
    });
    CallShape {
        has_tools,
        has_images,
        input_tokens: (body.len() as u64).div_ceil(4),
        max_output_tokens,
    }
}

#[cfg(test)]
mod tests {
    use bitrouter_protocols::peek_body;

    use super::*;

    fn shape(body: &str) -> CallShape {
        of(body.as_bytes(), &peek_body(body.as_bytes()).unwrap())
    }

    #[test]
    fn tools_images_and_limits() {
        let s = shape(
            r#"{"model":"m","max_tokens":300,"tools":[{"type":"function"}],"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#,
        );
        assert!(s.has_tools && s.has_images);
        assert_eq!(s.max_output_tokens, Some(300));
        let plain =
            shape(r#"{"model":"m","tools":[ ],"messages":[{"role":"user","content":"hi"}]}"#);
        assert!(!plain.has_tools && !plain.has_images);
        assert_eq!(plain.max_output_tokens, None);
        assert_eq!(plain.input_tokens, 18);
        assert!(
            shape(
                r#"{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA"}}]}]}"#
            )
            .has_images
        );
    }
}
