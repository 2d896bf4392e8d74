//! The built-in catalog: which vendor makes a model family, and a few well-known models per
//! vendor for listings.

/// A model vendor, as the catalog knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// OpenAI: `gpt-*`, `o1*`, `o3*`, `o4*`, `chatgpt-*`, `codex-*`.
    Openai,
    /// Anthropic: `claude-*`.
    Anthropic,
    /// Google: `gemini-*`, `gemma-*`.
    Google,
}

impl Vendor {
    /// The id of the built-in provider that serves this vendor's models first-hand.
    pub const fn provider_id(self) -> &'static str {
        match self {
            Vendor::Openai => "openai",
            Vendor::Anthropic => "anthropic",
            Vendor::Google => "google",
        }
    }

    /// The vendor's prefix in aggregator model ids (`openai/gpt-4o-mini` on OpenRouter).
    pub const fn slug(self) -> &'static str {
        match self {
            Vendor::Openai => "openai",
            Vendor::Anthropic => "anthropic",
            Vendor::Google => "google",
        }
    }

    /// Every vendor.
    pub const ALL: [Vendor; 3] = [Vendor::Openai, Vendor::Anthropic, Vendor::Google];
}

const FAMILIES: &[(&str, Vendor)] = &[
    ("gpt-", Vendor::Openai),
    ("chatgpt-", Vendor::Openai),
    ("codex-", Vendor::Openai),
    ("o1", Vendor::Openai),
    ("o3", Vendor::Openai),
    ("o4", Vendor::Openai),
    ("claude-", Vendor::Anthropic),
    ("gemini-", Vendor::Google),
    ("gemma-", Vendor::Google),
];

/// The vendor of a bare model name, by family prefix.
pub fn vendor_of(model: &str) -> Option<(Vendor, &'static str)> {
    FAMILIES.iter().find_map(|(prefix, vendor)| {
        let rest = model.strip_prefix(prefix)?;
        // `o1`, `o3`, `o4` must be the whole name or followed by `-`: `o3-mini`, not `o3x`.
        let family_ok = prefix.ends_with('-') || rest.is_empty() || rest.starts_with('-');
        family_ok.then_some((*vendor, *prefix))
    })
}

/// A few current models per vendor, for `GET /v1/models`. Any other model of a known family
/// routes as well; this list only feeds listings.
pub fn well_known_models(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Openai => &[
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-5",
            "gpt-5-mini",
            "o3",
            "o4-mini",
        ],
        Vendor::Anthropic => &["claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5"],
        Vendor::Google => &[
            "gemini-2.5-pro",
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(vendor_of("gpt-4o-mini").map(|v| v.0), Some(Vendor::Openai));
        assert_eq!(vendor_of("o3").map(|v| v.0), Some(Vendor::Openai));
        assert_eq!(vendor_of("o4-mini").map(|v| v.0), Some(Vendor::Openai));
        assert_eq!(vendor_of("o3x"), None);
        assert_eq!(
            vendor_of("claude-sonnet-4-5").map(|v| v.0),
            Some(Vendor::Anthropic)
        );
        assert_eq!(
            vendor_of("gemini-2.5-pro").map(|v| v.0),
            Some(Vendor::Google)
        );
        assert_eq!(vendor_of("llama3.2"), None);
        assert_eq!(vendor_of("ogpt-4"), None);
    }
}
