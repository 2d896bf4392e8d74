//! `data:` URLs, which OpenAI clients use for inline images and other protocols spell as a
//! media type plus base64 data.

/// Splits `data:image/png;base64,AAAA` into `("image/png", "AAAA")`; `None` for anything
/// else (including non-base64 data URLs, which no upstream accepts as images).
pub(crate) fn parse(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    Some((media_type, data))
}

/// Builds a base64 `data:` URL.
pub(crate) fn build(media_type: &str, data: &str) -> String {
    format!("data:{media_type};base64,{data}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse_and_build() {
        assert_eq!(
            super::parse("data:image/png;base64,AAAA"),
            Some(("image/png", "AAAA"))
        );
        assert_eq!(super::parse("https://x/y.png"), None);
        assert_eq!(super::parse("data:text/plain,hello"), None);
        assert_eq!(
            super::build("image/jpeg", "QQ=="),
            "data:image/jpeg;base64,QQ=="
        );
    }
}
