//! Which providers are active and why: API-key providers from the environment, sign-in
//! providers from the token store, and the reserved ids that nothing switches on yet.

use bitrouter_providers::{BUILTINS, RESERVED_IDS, from_env};
use serde::Serialize;

use crate::definition::{SIGNIN_IDS, SigninDef};
use crate::store::TokenStore;

/// One provider's state, as `bitrouter providers list --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderState {
    /// The provider id.
    pub id: String,
    /// `api_key`, `sign_in` or `reserved`.
    pub kind: &'static str,
    /// `active`, `expired` (the token lapsed but a refresh token renews it on the next call,
    /// so it is still served), `needs_login`, `inactive` or `error`.
    pub state: &'static str,
    /// Whether the gateway serves it.
    pub active: bool,
    /// Why, or what would switch it on.
    pub reason: String,
    /// The upstream protocol, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
    /// Who is signed in, for sign-in providers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Seconds until the access token expires (negative: expired), for sign-in providers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_secs: Option<i64>,
}

/// Every built-in and reserved provider's state at `now` (seconds since the epoch).
pub fn provider_states(
    env: &dyn Fn(&str) -> Option<String>,
    store: &TokenStore,
    now: u64,
) -> Vec<ProviderState> {
    let from_env = from_env(env);
    let mut out = Vec::new();
    for b in BUILTINS {
        let found = from_env.iter().find(|s| &*s.id == b.id);
        out.push(ProviderState {
            id: b.id.to_owned(),
            kind: "api_key",
            state: if found.is_some() {
                "active"
            } else {
                "inactive"
            },
            active: found.is_some(),
            reason: match found {
                Some(s) => s.source.clone(),
                None => format!("set {} to switch it on", b.key_vars.join(" or ")),
            },
            protocol: Some(b.protocol.as_str()),
            account: None,
            expires_in_secs: None,
        });
    }
    let stored = store.all();
    for id in RESERVED_IDS {
        if !SIGNIN_IDS.contains(id) {
            out.push(ProviderState {
                id: (*id).to_owned(),
                kind: "reserved",
                state: "inactive",
                active: false,
                reason: "reserved for a later release; not available yet".to_owned(),
                protocol: None,
                account: None,
                expires_in_secs: None,
            });
            continue;
        }
        let def = SigninDef::resolve(id, env).ok();
        let mut state = ProviderState {
            id: (*id).to_owned(),
            kind: "sign_in",
            state: "inactive",
            active: false,
            reason: format!("run `{}` to sign in", login_command(id)),
            protocol: def.as_ref().map(|d| d.protocol.as_str()),
            account: None,
            expires_in_secs: None,
        };
        let credential = match &stored {
            Err(e) => {
                state.state = "error";
                state.reason = e.to_string();
                out.push(state);
                continue;
            }
            Ok(all) => all.get(*id),
        };
        if let Some(c) = credential {
            let who = match &c.account {
                Some(a) => format!("signed in as {a}"),
                None => "signed in".to_owned(),
            };
            state.account = c.account.clone();
            let left = c
                .expires_at
                .map(|at| i64::try_from(at).unwrap_or(i64::MAX) - i64::try_from(now).unwrap_or(0));
            state.expires_in_secs = left;
            (state.state, state.active, state.reason) = match left {
                None => ("active", true, format!("{who}, token without expiry")),
                Some(l) if l > 0 => (
                    "active",
                    true,
                    format!("{who}, token expires in {}", human(l.unsigned_abs())),
                ),
                Some(l) if c.refresh_token.is_some() => (
                    "expired",
                    true,
                    format!(
                        "{who}, token expired {} ago; it is refreshed on the next call",
                        human(l.unsigned_abs())
                    ),
                ),
                Some(l) => (
                    "needs_login",
                    false,
                    format!(
                        "{who}, token expired {} ago and cannot be refreshed; run `{}`",
                        human(l.unsigned_abs()),
                        login_command(id)
                    ),
                ),
            };
        }
        out.push(state);
    }
    out
}

/// The command that signs in to `id`.
pub fn login_command(id: &str) -> String {
    if id == "bitrouter" {
        "bitrouter auth login".to_owned()
    } else {
        format!("bitrouter login {id}")
    }
}

/// `2 h 5 min`, `42 min`, `30 s`.
pub fn human(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human(30), "30 s");
        assert_eq!(human(125), "2 min");
        assert_eq!(human(7500), "2 h 5 min");
        assert_eq!(human(90_000), "1 d 1 h");
    }
}
