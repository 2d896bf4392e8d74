//! The built-in price catalog and the cost of a call.
//!
//! Prices are USD per million tokens, standard (not batch) tier, short-prompt tier where a
//! vendor charges more for long prompts (not modelled: Anthropic's and Google's >200K-token
//! rates, Google's cache storage fee). Looked up on 2026-11-27 through the search tool:
//!
//! - Anthropic: the vendor's pricing page, <https://platform.claude.com/docs/en/about-claude/pricing>
//!   (rows for Opus 4.1/4, Opus 4.5, Sonnet 4; the page also gives cache hits at 0.1x and
//!   5-minute cache writes at 1.25x the input price). The Sonnet 4.5 and Haiku 4.5 rows were
//!   not in the stored copy: their input/output ($3/$15, $1/$5) come from secondary pages
//!   quoting it, the cache rates from the multipliers. Unconfirmed there.
//! - OpenAI: <https://developers.openai.com/api/docs/pricing>, seen only through pages quoting
//!   it. Input/output agree across them; cached-input figures marked "unconfirmed" below
//!   follow the published discount per family (GPT-5 90%, GPT-4.1 and o-series 75%, GPT-4o
//!   50%) and disagree between secondary pages.
//! - Google: <https://ai.google.dev/gemini-api/docs/pricing>, seen through pages quoting it.
//!   Thinking tokens are billed as output. The 2.5 Flash and Flash-Lite context-cache rates
//!   are unconfirmed (taken as 10% of input, as for 2.5 Pro).
//!
//! A config file's `pricing` section corrects any of these: see [`PriceTable::with_overrides`].

use bitrouter_core::Usage;

use crate::config::PriceConfig;
use crate::ordered_map::OrderedMap;

/// What one model costs, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Prompt tokens not read from or written to a cache.
    pub input: f64,
    /// Prompt tokens read from the cache.
    pub cached_input: f64,
    /// Prompt tokens written to the cache (Anthropic charges more; others the input rate).
    pub cache_write: f64,
    /// Generated tokens.
    pub output: f64,
    /// Generated reasoning tokens, when billed apart from output; `None` means the output rate.
    pub reasoning: Option<f64>,
}

impl Price {
    /// The cost of a call in USD. `usage.input_tokens` includes cached and cache-write tokens
    /// and `output_tokens` includes reasoning tokens (the canonical convention), so each part
    /// is billed once at its own rate.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let written = usage.cache_write_tokens.min(usage.input_tokens - cached);
        let fresh = usage.input_tokens - cached - written;
        let reasoning = usage.reasoning_tokens.min(usage.output_tokens);
        let plain_output = usage.output_tokens - reasoning;
        let micro = fresh as f64 * self.input
            + cached as f64 * self.cached_input
            + written as f64 * self.cache_write
            + plain_output as f64 * self.output
            + reasoning as f64 * self.reasoning.unwrap_or(self.output);
        micro / 1_000_000.0
    }
}

/// One row of the built-in catalog.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatalogEntry {
    /// The built-in provider id.
    pub provider: &'static str,
    /// The model name as the vendor's API takes it (undated alias).
    pub model: &'static str,
    /// Its price.
    pub price: Price,
}

const fn p(input: f64, cached_input: f64, cache_write: f64, output: f64) -> Price {
    Price {
        input,
        cached_input,
        cache_write,
        output,
        reasoning: None,
    }
}

const fn e(provider: &'static str, model: &'static str, price: Price) -> CatalogEntry {
    CatalogEntry {
        provider,
        model,
        price,
    }
}

/// The built-in catalog.
pub const CATALOG: &[CatalogEntry] = &[
    // OpenAI: no cache-write charge; reasoning tokens are billed as output.
    e("openai", "gpt-5", p(1.25, 0.125, 1.25, 10.0)), // cached: unconfirmed
    e("openai", "gpt-5-mini", p(0.25, 0.025, 0.25, 2.0)),
    e("openai", "gpt-5-nano", p(0.05, 0.005, 0.05, 0.40)), // cached: unconfirmed
    e("openai", "gpt-4.1", p(2.0, 0.50, 2.0, 8.0)),
    e("openai", "gpt-4.1-mini", p(0.40, 0.10, 0.40, 1.60)), // cached: unconfirmed
    e("openai", "gpt-4.1-nano", p(0.10, 0.025, 0.10, 0.40)), // cached: unconfirmed
    e("openai", "gpt-4o", p(2.50, 1.25, 2.50, 10.0)),
    e("openai", "gpt-4o-mini", p(0.15, 0.075, 0.15, 0.60)),
    e("openai", "o3", p(2.0, 0.50, 2.0, 8.0)), // cached: unconfirmed
    e("openai", "o4-mini", p(1.10, 0.275, 1.10, 4.40)), // cached: unconfirmed
    // Anthropic: cache hits 0.1x input, 5-minute cache writes 1.25x input.
    e("anthropic", "claude-opus-4-1", p(15.0, 1.50, 18.75, 75.0)),
    e("anthropic", "claude-opus-4-0", p(15.0, 1.50, 18.75, 75.0)),
    e("anthropic", "claude-opus-4-5", p(5.0, 0.50, 6.25, 25.0)),
    e("anthropic", "claude-sonnet-4-5", p(3.0, 0.30, 3.75, 15.0)), // from secondary pages
    e("anthropic", "claude-sonnet-4-0", p(3.0, 0.30, 3.75, 15.0)),
    e("anthropic", "claude-haiku-4-5", p(1.0, 0.10, 1.25, 5.0)), // from secondary pages
    // Google: thinking billed as output; no cache-write charge (storage is per hour).
    e("google", "gemini-2.5-pro", p(1.25, 0.125, 1.25, 10.0)),
    e("google", "gemini-2.5-flash", p(0.30, 0.03, 0.30, 2.50)), // cached: unconfirmed
    e("google", "gemini-2.5-flash-lite", p(0.10, 0.01, 0.10, 0.40)), // cached: unconfirmed
];

/// Whether `requested` is `base` or `base` with a date or version suffix
/// (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`, `…-latest`).
fn is_version_of(requested: &str, base: &str) -> bool {
    match requested.strip_prefix(base) {
        Some("") | Some("-latest") => true,
        Some(rest) => rest
            .strip_prefix('-')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())),
        None => false,
    }
}

/// The catalog price of `model` at `provider`, accepting dated names and aggregator names
/// such as `openai/gpt-4o` (priced as the vendor's own, which aggregators usually match).
pub fn catalog_price(provider: &str, model: &str) -> Option<Price> {
    let (vendor_hint, bare) = match model.split_once('/') {
        Some((v, m)) => (Some(v), m),
        None => (None, model),
    };
    let best = |candidates: &mut dyn Iterator<Item = &'static CatalogEntry>| {
        candidates
            .filter(|c| is_version_of(bare, c.model))
            .max_by_key(|c| c.model.len())
            .map(|c| c.price)
    };
    best(&mut CATALOG.iter().filter(|c| c.provider == provider))
        .or_else(|| best(&mut CATALOG.iter().filter(|c| Some(c.provider) == vendor_hint)))
        .or_else(|| best(&mut CATALOG.iter()))
}

/// The catalog with a config file's overrides merged over it.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    /// `(provider, model, price)`; a `None` provider applies to the model at any provider.
    overrides: Vec<(Option<String>, String, Price)>,
}

impl PriceTable {
    /// The built-in catalog alone.
    pub fn builtin() -> Self {
        PriceTable::default()
    }

    /// The catalog with `pricing` merged over it: a field left out keeps the catalog's
    /// figure; a model the catalog lacks needs `input` and `output` (cached input and cache
    /// writes then default to the input rate). Errors name the key and what is missing.
    pub fn with_overrides(
        pricing: &OrderedMap<PriceConfig>,
    ) -> Result<Self, Vec<(String, String)>> {
        let mut overrides = Vec::new();
        let mut errors = Vec::new();
        for (key, cfg) in pricing.iter() {
            let (provider, model) = match key.split_once(':') {
                Some((p, m)) => (Some(p.to_owned()), m.to_owned()),
                None => (None, key.to_owned()),
            };
            let base = catalog_price(provider.as_deref().unwrap_or(""), &model);
            match merge(base, cfg) {
                Ok(price) => overrides.push((provider, model, price)),
                Err(msg) => errors.push((key.to_owned(), msg)),
            }
        }
        if errors.is_empty() {
            Ok(PriceTable { overrides })
        } else {
            Err(errors)
        }
    }

    /// The price of `model` at `provider`: a `provider:model` override, else a bare `model`
    /// override, else the catalog.
    pub fn price(&self, provider: &str, model: &str) -> Option<Price> {
        let exact = self
            .overrides
            .iter()
            .find(|(p, m, _)| p.as_deref() == Some(provider) && m == model);
        let bare = || {
            self.overrides
                .iter()
                .find(|(p, m, _)| p.is_none() && m == model)
        };
        exact
            .or_else(bare)
            .map(|(_, _, price)| *price)
            .or_else(|| catalog_price(provider, model))
    }
}

/// Merges an override over a catalog price.
pub(crate) fn merge(base: Option<Price>, cfg: &PriceConfig) -> Result<Price, String> {
    let base = match base {
        Some(b) => b,
        None => {
            let (Some(input), Some(output)) = (cfg.input, cfg.output) else {
                return Err(
                    "the built-in catalog has no price for this model: give at least `input` and `output`"
                        .to_owned(),
                );
            };
            p(input, input, input, output)
        }
    };
    Ok(Price {
        input: cfg.input.unwrap_or(base.input),
        cached_input: cfg.cached_input.unwrap_or(base.cached_input),
        cache_write: cfg.cache_write.unwrap_or(base.cache_write),
        output: cfg.output.unwrap_or(base.output),
        reasoning: cfg.reasoning.or(base.reasoning),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, cached: u64, written: u64, output: u64, reasoning: u64) -> Usage {
        Usage {
            input_tokens: input,
            cached_input_tokens: cached,
            cache_write_tokens: written,
            output_tokens: output,
            reasoning_tokens: reasoning,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn cached_input_is_billed_at_the_cached_rate() {
        let price = catalog_price("openai", "gpt-4o").unwrap();
        // 1M prompt tokens of which 400k cached: 600k * 2.50 + 400k * 1.25 = 1.5 + 0.5.
        let cost = price.cost(&usage(1_000_000, 400_000, 0, 0, 0));
        assert!(close(cost, 2.0), "{cost}");
    }

    #[test]
    fn anthropic_cache_writes_and_reads() {
        let price = catalog_price("anthropic", "claude-sonnet-4-5-20250929").unwrap();
        // 10k fresh * 3 + 20k read * 0.30 + 30k written * 3.75 + 1k out * 15, per million.
        let cost = price.cost(&usage(60_000, 20_000, 30_000, 1_000, 0));
        assert!(
            close(cost, (30_000.0 + 6_000.0 + 112_500.0 + 15_000.0) / 1e6),
            "{cost}"
        );
    }

    #[test]
    fn reasoning_uses_its_own_rate_else_output() {
        let mut price = catalog_price("google", "gemini-2.5-pro").unwrap();
        let u = usage(0, 0, 0, 1_000_000, 600_000);
        assert!(close(price.cost(&u), 10.0));
        price.reasoning = Some(5.0);
        // 400k plain output * 10 + 600k reasoning * 5.
        assert!(close(price.cost(&u), 7.0));
    }

    #[test]
    fn inconsistent_usage_never_underflows() {
        let price = catalog_price("openai", "gpt-4o-mini").unwrap();
        let cost = price.cost(&usage(10, 50, 50, 5, 9));
        assert!(close(cost, (10.0 * 0.075 + 5.0 * 0.60) / 1e6), "{cost}");
    }

    #[test]
    fn lookup_by_dated_and_aggregator_names() {
        let mini = catalog_price("openai", "gpt-4o-mini").unwrap();
        assert_eq!(
            catalog_price("openai", "gpt-4o-mini-2024-07-18"),
            Some(mini)
        );
        assert_eq!(
            catalog_price("openrouter", "openai/gpt-4o-mini"),
            Some(mini)
        );
        assert_eq!(catalog_price("openai", "gpt-4o-audio-preview"), None);
        assert_eq!(catalog_price("openai", "llama3.2"), None);
    }

    #[test]
    fn overrides_merge_over_the_catalog() {
        let pricing: OrderedMap<PriceConfig> = [
            (
                "openai:gpt-4o".to_owned(),
                PriceConfig {
                    output: Some(8.0),
                    ..Default::default()
                },
            ),
            (
                "llama3.2".to_owned(),
                PriceConfig {
                    input: Some(0.1),
                    output: Some(0.2),
                    ..Default::default()
                },
            ),
        ]
        .into_iter()
        .collect();
        let table = PriceTable::with_overrides(&pricing).unwrap();
        let gpt = table.price("openai", "gpt-4o").unwrap();
        assert_eq!((gpt.input, gpt.cached_input, gpt.output), (2.50, 1.25, 8.0));
        assert_eq!(
            table.price("openrouter", "openai/gpt-4o").unwrap().output,
            10.0
        );
        let llama = table.price("local", "llama3.2").unwrap();
        assert_eq!(
            (llama.input, llama.cached_input, llama.output),
            (0.1, 0.1, 0.2)
        );

        let missing: OrderedMap<PriceConfig> = [(
            "mystery".to_owned(),
            PriceConfig {
                input: Some(1.0),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect();
        let errors = PriceTable::with_overrides(&missing).unwrap_err();
        assert_eq!(errors[0].0, "mystery");
        assert!(errors[0].1.contains("give at least `input` and `output`"));
    }
}
