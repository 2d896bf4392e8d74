//! Checks a parsed configuration for what parsing cannot see: unknown provider kinds,
//! unsafe or self-pointing upstreams, dangling or cyclic virtual models, bad prices.

use std::net::{IpAddr, SocketAddr};

use crate::config::Config;
use crate::error::{ConfigError, ErrorKind, did_you_mean};
use crate::locate::Seg;
use crate::pricing::{catalog_price, merge};
use crate::provider::{BUILTIN_KINDS, ProviderConfig, RESERVED_IDS};

/// One validation finding: the key it is about and the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The offending key, e.g. `providers.local.api_base`.
    pub path: Vec<Seg>,
    /// What is wrong and how to fix it (no position yet).
    pub error: ConfigError,
}

pub(crate) fn problem(path: Vec<Seg>, message: String, hint: impl Into<String>) -> Problem {
    Problem {
        path,
        error: ConfigError::new(ErrorKind::Invalid, message).with_hint(hint),
    }
}

pub(crate) fn keys(parts: &[&str]) -> Vec<Seg> {
    parts.iter().map(|p| Seg::key(p)).collect()
}

impl Config {
    /// Every problem found, in file order. `listen` is the address BitRouter will listen on.
    pub fn problems(&self, listen: SocketAddr) -> Vec<Problem> {
        let mut out = Vec::new();
        for (id, provider) in self.providers.iter() {
            check_provider(id, provider, listen, &mut out);
        }
        crate::routes::check_models(self, &mut out);
        crate::routes::check_rules(self, &mut out);
        check_pricing(self, &mut out);
        if self.circuit_breaker.failures == Some(0) {
            out.push(problem(
                keys(&["circuit_breaker", "failures"]),
                "`failures` must be at least 1".to_owned(),
                "the breaker opens after this many consecutive failures; leave it out for 5",
            ));
        }
        out
    }

    /// [`Config::problems`] without positions, for a configuration not read from a file.
    /// Files should use [`crate::ConfigFile::validate`], whose errors carry line numbers.
    pub fn validate(&self, listen: SocketAddr) -> Result<(), Vec<ConfigError>> {
        let problems = self.problems(listen);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.into_iter().map(|p| p.error).collect())
        }
    }
}

fn check_provider(id: &str, cfg: &ProviderConfig, listen: SocketAddr, out: &mut Vec<Problem>) {
    let at = |k: &str| keys(&["providers", id, k]);
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        out.push(problem(
            keys(&["providers", id]),
            format!("provider id `{id}` may only use letters, digits, `-`, `_` and `.`"),
            "the id is the part before `:` in `provider:model` names",
        ));
    }
    if RESERVED_IDS.contains(&id) {
        out.push(problem(
            keys(&["providers", id]),
            format!("provider id `{id}` is reserved for a built-in provider that needs sign-in"),
            "choose another id",
        ));
    }
    let builtin_id = BUILTIN_KINDS.contains(&id);
    match &cfg.kind {
        Some(kind) if !BUILTIN_KINDS.contains(&kind.as_str()) => {
            let mut msg = format!("unknown provider kind `{kind}`");
            if let Some(s) = did_you_mean(kind, BUILTIN_KINDS) {
                msg.push_str(&format!(": did you mean `{s}`?"));
            }
            out.push(problem(
                at("kind"),
                msg,
                format!(
                    "`kind` names a built-in provider: {}",
                    BUILTIN_KINDS.join(", ")
                ),
            ));
        }
        Some(kind) if builtin_id && kind != id => out.push(problem(
            at("kind"),
            format!("`{id}` is a built-in provider and cannot be of kind `{kind}`"),
            format!("remove `kind`, or rename this entry to configure a second `{kind}` provider"),
        )),
        _ => {}
    }
    if cfg.kind.is_none() && !builtin_id {
        let missing: Vec<&str> = [
            ("protocol", cfg.protocol.is_none()),
            ("api_base", cfg.api_base.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            out.push(problem(
                keys(&["providers", id]),
                format!("custom provider `{id}` needs {}", missing.join(" and ")),
                format!(
                    "give `protocol` and `api_base`, or `kind: <built-in>` to inherit them ({})",
                    BUILTIN_KINDS.join(", ")
                ),
            ));
        }
    }
    if let Some(base) = &cfg.api_base {
        if let Err((msg, hint)) = check_api_base(base, cfg.allow_http, listen) {
            out.push(problem(at("api_base"), msg, hint));
        }
    }
    match &cfg.accounts {
        Some(_) if cfg.api_key.is_some() => out.push(problem(
            at("accounts"),
            "`api_key` and `accounts` cannot both be given".to_owned(),
            "move the single key into `accounts` as `- api_key: ...`, or drop `accounts`",
        )),
        Some(accounts) if accounts.is_empty() => out.push(problem(
            at("accounts"),
            "`accounts` is empty".to_owned(),
            "list at least one `- api_key: ...`, or remove `accounts`",
        )),
        Some(accounts) => {
            for (i, a) in accounts.iter().enumerate() {
                let path = || {
                    let mut p = at("accounts");
                    p.push(Seg::Index(i));
                    p
                };
                if a.weight == Some(0) {
                    let mut p = path();
                    p.push(Seg::key("weight"));
                    out.push(problem(
                        p,
                        "account `weight` must be at least 1".to_owned(),
                        "remove the account instead of giving it weight 0",
                    ));
                }
                if let Some(name) = &a.name {
                    if accounts[..i].iter().any(|b| b.name.as_ref() == Some(name)) {
                        let mut p = path();
                        p.push(Seg::key("name"));
                        out.push(problem(
                            p,
                            format!("account name `{name}` is used twice"),
                            "names tell accounts apart in logs; make them unique",
                        ));
                    }
                }
            }
        }
        None => {}
    }
    for (name, value) in &cfg.headers {
        let bad_name = http::HeaderName::from_bytes(name.as_bytes()).is_err();
        let bad_value = http::HeaderValue::from_str(value).is_err();
        if bad_name || bad_value {
            let mut p = at("headers");
            p.push(Seg::key(name));
            let what = if bad_name { "name" } else { "value" };
            out.push(problem(
                p,
                format!("header `{name}` has an invalid {what}"),
                "header names are tokens like `x-team`; values are visible ASCII",
            ));
        }
    }
    let t = cfg.timeouts;
    if let Some(total) = t.total {
        for (key, part) in [("connect", t.connect), ("first_byte", t.first_byte)] {
            if part.is_some_and(|d| d > total) {
                let mut p = at("timeouts");
                p.push(Seg::key("total"));
                out.push(problem(
                    p,
                    format!("`total` ({total:?}) is shorter than `{key}`"),
                    "the total limit covers the whole call, so it must be the longest",
                ));
            }
        }
    }
    for (i, m) in cfg.models.iter().enumerate() {
        if m.trim().is_empty() || cfg.models[..i].contains(m) {
            let mut p = at("models");
            p.push(Seg::Index(i));
            out.push(problem(
                p,
                format!("model `{m}` is empty or listed twice"),
                "list each model name once",
            ));
        }
    }
}

/// Whether `host` (as in a URL, IPv6 without brackets) is this machine.
fn is_local(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// Checks an upstream base: a URL, not BitRouter itself, https unless loopback or allowed.
pub(crate) fn check_api_base(
    base: &str,
    allow_http: bool,
    listen: SocketAddr,
) -> Result<(), (String, String)> {
    let example = "write e.g. `https://api.example.com/v1`".to_owned();
    let uri: http::Uri = base.parse().map_err(|e| {
        (
            format!("api_base `{base}` is not a URL: {e}"),
            example.clone(),
        )
    })?;
    let scheme = uri.scheme_str().unwrap_or("");
    let Some(host) = uri.host() else {
        return Err((format!("api_base `{base}` has no host"), example));
    };
    if scheme != "http" && scheme != "https" {
        return Err((
            format!("api_base `{base}` must start with https:// or http://"),
            example,
        ));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let same_ip = host.parse::<IpAddr>().is_ok_and(|ip| ip == listen.ip());
    if port == listen.port() && (is_local(host) || same_ip) {
        return Err((
            format!("api_base `{base}` points at BitRouter itself (it listens on {listen})"),
            "give the upstream's own address; OPENAI_BASE_URL-style variables point agents at BitRouter, not upstreams at it".to_owned(),
        ));
    }
    if scheme == "http" && !allow_http && !is_local(host) {
        return Err((
            format!(
                "api_base `{base}` uses plain http to `{host}`, which is not this machine: keys and prompts would cross the network unencrypted"
            ),
            "use https, or set `allow_http: true` on this provider if the network is trusted"
                .to_owned(),
        ));
    }
    Ok(())
}

fn check_pricing(cfg: &Config, out: &mut Vec<Problem>) {
    for (key, price) in cfg.pricing.iter() {
        let at = || keys(&["pricing", key]);
        let (provider, model) = match key.split_once(':') {
            Some((p, m)) => (Some(p), m),
            None => (None, key),
        };
        if model.is_empty() || provider == Some("") {
            out.push(problem(
                at(),
                format!("price key `{key}` needs a model name"),
                "write `provider:model` or a bare `model`",
            ));
            continue;
        }
        if let Some(p) = provider {
            if !cfg.providers.contains_key(p) && !BUILTIN_KINDS.contains(&p) {
                out.push(problem(
                    at(),
                    format!("price key `{key}` names an unknown provider `{p}`"),
                    "use a provider from `providers` or a built-in one",
                ));
                continue;
            }
        }
        let fields = [
            ("input", price.input),
            ("cached_input", price.cached_input),
            ("cache_write", price.cache_write),
            ("output", price.output),
            ("reasoning", price.reasoning),
        ];
        for (name, value) in fields {
            if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                let mut p = at();
                p.push(Seg::key(name));
                out.push(problem(
                    p,
                    format!("price `{name}` must be a non-negative number"),
                    "prices are USD per million tokens, e.g. `2.5`",
                ));
            }
        }
        if let Err(msg) = merge(catalog_price(provider.unwrap_or(""), model), price) {
            out.push(problem(
                at(),
                format!("price for `{key}`: {msg}"),
                "prices are USD per million tokens",
            ));
        }
    }
}
