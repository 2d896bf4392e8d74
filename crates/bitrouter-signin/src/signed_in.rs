//! [`SignedInProvider`]: a [`Provider`] that calls its upstream with the current sign-in
//! token, refreshing it shortly before it expires and, once, when the upstream answers 401.

use std::sync::Arc;

use async_trait::async_trait;
use bitrouter_core::{Protocol, Provider, ProviderError, ProviderRequest, ProviderResponse};
use bitrouter_providers::{AuthStyle, HttpProvider, ProviderSettings, UpstreamClient};
use http::{HeaderValue, StatusCode};

use crate::auth_client::AuthClient;
use crate::clock::{Clock, SystemClock};
use crate::definition::{SIGNIN_IDS, SigninDef};
use crate::error::SigninError;
use crate::store::{Credential, TokenStore};
use crate::tokens::refresh;

/// The beta flag Anthropic requires for OAuth (Bearer) tokens on the Messages API.
pub const ANTHROPIC_OAUTH_BETA: &str = "oauth-2025-04-20";

/// Refresh this many seconds before the token expires, unless told otherwise.
pub const DEFAULT_REFRESH_MARGIN: u64 = 120;

/// A sign-in provider ready to call its upstream.
#[derive(Debug)]
pub struct SignedInProvider {
    def: Arc<SigninDef>,
    store: TokenStore,
    auth: AuthClient,
    clock: Arc<dyn Clock>,
    upstream: UpstreamClient,
    margin: u64,
    current: tokio::sync::Mutex<Option<Current>>,
}

#[derive(Debug, Clone)]
struct Current {
    credential: Credential,
    inner: HttpProvider,
}

impl SignedInProvider {
    /// A provider for `def`, reading and refreshing its tokens in `store`.
    pub fn new(def: SigninDef, store: TokenStore, upstream: UpstreamClient) -> Self {
        Self {
            def: Arc::new(def),
            store,
            auth: AuthClient::new(),
            clock: Arc::new(SystemClock),
            upstream,
            margin: DEFAULT_REFRESH_MARGIN,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// Uses `clock` instead of the system clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Refreshes when the token has fewer than `seconds` left.
    pub fn with_refresh_margin(mut self, seconds: u64) -> Self {
        self.margin = seconds;
        self
    }

    /// The protocol its upstream speaks.
    pub fn protocol(&self) -> Protocol {
        self.def.protocol
    }

    /// Its definition.
    pub fn definition(&self) -> &SigninDef {
        &self.def
    }

    /// The token in use, refreshed first if it is about to expire.
    async fn usable(&self) -> Result<Current, SigninError> {
        let mut slot = self.current.lock().await;
        let now = self.clock.now();
        if let Some(c) = slot.as_ref() {
            if !c.credential.expires_within(now, self.margin) {
                return Ok(c.clone());
            }
        }
        // Another process (`bitrouter login`, another gateway) may hold a newer token.
        let stored = self
            .store
            .get(self.def.id)?
            .ok_or_else(|| SigninError::NotSignedIn {
                provider: self.def.id.to_owned(),
            })?;
        let credential = if stored.expires_within(now, self.margin) {
            self.refresh_and_store(&stored).await?
        } else {
            stored
        };
        let fresh = self.build(credential)?;
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// After a 401 with `rejected`: a new token, unless another call already got one.
    async fn after_unauthorized(&self, rejected: &str) -> Result<Current, SigninError> {
        let mut slot = self.current.lock().await;
        if let Some(c) = slot.as_ref() {
            if c.credential.access_token != rejected {
                return Ok(c.clone());
            }
        }
        // The rejected token's provider has rested its account; never reuse it.
        *slot = None;
        let stored = self
            .store
            .get(self.def.id)?
            .ok_or_else(|| SigninError::NotSignedIn {
                provider: self.def.id.to_owned(),
            })?;
        let credential = if stored.access_token != rejected {
            stored
        } else {
            self.refresh_and_store(&stored).await?
        };
        let fresh = self.build(credential);
        *slot = fresh.as_ref().ok().cloned();
        fresh
    }

    async fn refresh_and_store(&self, stored: &Credential) -> Result<Credential, SigninError> {
        let fresh = refresh(&self.def, &self.auth, stored, self.clock.now()).await?;
        self.store.put(self.def.id, fresh.clone())?;
        tracing::info!(provider = self.def.id, expires_at = ?fresh.expires_at, "sign-in token refreshed");
        Ok(fresh)
    }

    fn build(&self, credential: Credential) -> Result<Current, SigninError> {
        let api_base = match &credential.api_base {
            Some(base) if !self.def.api_base_overridden => base.as_str(),
            _ => self.def.api_base.as_str(),
        };
        let mut settings = ProviderSettings::single_key(
            self.def.id,
            self.def.protocol,
            api_base,
            AuthStyle::Bearer,
            &credential.access_token,
        );
        settings.extra_headers = self.def.headers.clone();
        if self.def.id == "codex" {
            if let Some(id) = &credential.account_id {
                settings
                    .extra_headers
                    .push(("chatgpt-account-id".to_owned(), id.clone()));
            }
        }
        settings.source = match &credential.account {
            Some(a) => format!("signed in as {a}"),
            None => "signed in".to_owned(),
        };
        let inner = HttpProvider::new(settings, self.upstream.clone());
        Ok(Current { credential, inner })
    }

    fn prepare(&self, request: &ProviderRequest) -> ProviderRequest {
        let mut headers = request.headers.clone();
        if self.def.protocol == Protocol::AnthropicMessages {
            let merged = match headers.get("anthropic-beta").and_then(|v| v.to_str().ok()) {
                Some(existing)
                    if existing
                        .split(',')
                        .any(|f| f.trim() == ANTHROPIC_OAUTH_BETA) =>
                {
                    existing.to_owned()
                }
                Some(existing) => format!("{existing},{ANTHROPIC_OAUTH_BETA}"),
                None => ANTHROPIC_OAUTH_BETA.to_owned(),
            };
            if let Ok(v) = HeaderValue::from_str(&merged) {
                headers.insert("anthropic-beta", v);
            }
        }
        ProviderRequest {
            request_id: request.request_id.clone(),
            target: request.target.clone(),
            body: request.body.clone(),
            stream: request.stream,
            headers,
        }
    }
}

fn provider_error(e: SigninError) -> ProviderError {
    match e {
        SigninError::Http(message) => ProviderError::Connect { message },
        // Not tried: fallback may move on to another provider.
        other => ProviderError::Unavailable {
            message: other.to_string(),
        },
    }
}

#[async_trait]
impl Provider for SignedInProvider {
    fn id(&self) -> &str {
        self.def.id
    }

    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let current = self.usable().await.map_err(provider_error)?;
        let first = current.inner.send(self.prepare(&request)).await;
        match first {
            Err(ProviderError::Status { status, .. }) if status == StatusCode::UNAUTHORIZED => {
                tracing::info!(
                    provider = self.def.id,
                    "upstream answered 401; refreshing the sign-in once"
                );
                let fresh = self
                    .after_unauthorized(&current.credential.access_token)
                    .await
                    .map_err(provider_error)?;
                fresh.inner.send(self.prepare(&request)).await
            }
            other => other,
        }
    }
}

/// The sign-in providers with a stored sign-in, ready to register with the gateway: each
/// one's [`Provider::id`] is its id and [`SignedInProvider::protocol`] its upstream protocol.
/// Endpoint overrides are read through `env` (see [`SigninDef::resolve`]).
pub fn signed_in_providers(
    store: &TokenStore,
    env: &dyn Fn(&str) -> Option<String>,
    upstream: &UpstreamClient,
) -> Result<Vec<SignedInProvider>, SigninError> {
    let stored = store.all()?;
    let mut out = Vec::new();
    for id in SIGNIN_IDS {
        let Some(credential) = stored.get(*id) else {
            continue;
        };
        // A token that expired with nothing to renew it is a sign-in that is over.
        if credential.refresh_token.is_none() && credential.expires_within(SystemClock.now(), 0) {
            continue;
        }
        let def = SigninDef::resolve(id, env)?;
        out.push(SignedInProvider::new(def, store.clone(), upstream.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use bitrouter_core::{RequestBody, Target, WireBody};
    use bitrouter_providers::Timeouts;

    use super::*;

    fn request(beta: Option<&str>) -> ProviderRequest {
        let mut headers = http::HeaderMap::new();
        if let Some(b) = beta {
            headers.insert("anthropic-beta", HeaderValue::from_str(b).unwrap());
        }
        ProviderRequest {
            request_id: "r".into(),
            target: Target {
                provider: "claude".into(),
                model: "claude-sonnet-4-5".into(),
                protocol: Protocol::AnthropicMessages,
            },
            body: RequestBody::Wire(WireBody {
                protocol: Protocol::AnthropicMessages,
                bytes: bytes::Bytes::from_static(b"{}"),
            }),
            stream: false,
            headers,
        }
    }

    #[test]
    fn claude_adds_the_oauth_beta_to_the_clients_betas() {
        let dir = tempfile::tempdir().unwrap();
        let p = SignedInProvider::new(
            SigninDef::claude(),
            TokenStore::in_home(dir.path()),
            UpstreamClient::new(Timeouts::default()),
        );
        let beta = |r: ProviderRequest| r.headers["anthropic-beta"].to_str().unwrap().to_owned();
        assert_eq!(beta(p.prepare(&request(None))), "oauth-2025-04-20");
        assert_eq!(
            beta(p.prepare(&request(Some("interleaved-thinking-2025-05-14")))),
            "interleaved-thinking-2025-05-14,oauth-2025-04-20"
        );
        assert_eq!(
            beta(p.prepare(&request(Some("oauth-2025-04-20")))),
            "oauth-2025-04-20"
        );
    }
}
