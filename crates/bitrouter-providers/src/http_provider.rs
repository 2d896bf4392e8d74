//! [`HttpProvider`]: a [`Provider`] that calls one upstream over HTTP.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bitrouter_core::{Provider, ProviderError, ProviderRequest, ProviderResponse};

use crate::accounts::{AccountPool, AccountStatus};
use crate::client::UpstreamClient;
use crate::settings::ProviderSettings;
use crate::{answer, outbound};

/// Calls one upstream (a built-in or configured provider) through the shared client, spreading
/// calls over its accounts and resting those that hit a limit.
#[derive(Debug, Clone)]
pub struct HttpProvider {
    settings: Arc<ProviderSettings>,
    client: UpstreamClient,
    accounts: Arc<AccountPool>,
}

impl HttpProvider {
    /// A provider for these settings. Settings with their own timeouts get a client of their
    /// own (the connect timeout lives in the connector); others share `client`'s pool.
    pub fn new(settings: ProviderSettings, client: UpstreamClient) -> Self {
        let client = match settings.timeouts {
            Some(t) if t != client.timeouts => UpstreamClient::new(t),
            _ => client,
        };
        let accounts = Arc::new(AccountPool::new(
            settings.accounts.clone(),
            settings.strategy,
        ));
        Self {
            settings: Arc::new(settings),
            client,
            accounts,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// Each account and whether it is cooling down.
    pub fn account_status(&self) -> Vec<AccountStatus> {
        self.accounts.status()
    }

    async fn send_with(
        &self,
        api_key: &str,
        request: &ProviderRequest,
        body: bytes::Bytes,
    ) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let timeouts = self.client.timeouts;
        let http_request = outbound::http_request(&self.settings, api_key, request, body)?;
        let response = self
            .client
            .send(http_request, &self.settings.api_base)
            .await?;
        tracing::debug!(
            provider = %self.settings.id,
            status = %response.status(),
            reason = answer::describe(response.status()),
            "upstream answered"
        );
        let total_left = timeouts.total.saturating_sub(started.elapsed());
        answer::read(
            response,
            request.target.protocol,
            request.stream,
            timeouts.idle,
            total_left,
        )
        .await
    }
}

#[async_trait]
impl Provider for HttpProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    async fn send(&self, mut request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        // Gateways that serve each model on one protocol (OpenCode) pick it here; the answer
        // carries that protocol, so the server translates it back for the client.
        request.target.protocol = self
            .settings
            .protocol_for(&request.target.model, request.target.protocol);
        let body = outbound::body(&request)?;
        let mut last_error = None;
        let mut soonest: Option<std::time::Duration> = None;
        for i in self.accounts.order() {
            if let Some(left) = self.accounts.cooling(i) {
                soonest = Some(soonest.map_or(left, |s| s.min(left)));
                continue;
            }
            let account = self.accounts.account(i);
            match self
                .send_with(&account.api_key, &request, body.clone())
                .await
            {
                Ok(response) => {
                    self.accounts.succeeded(i);
                    return Ok(response);
                }
                Err(e) if AccountPool::is_account_error(&e) => {
                    let rest = self.accounts.cool(i, &e);
                    tracing::warn!(
                        provider = %self.settings.id,
                        account = %account.name,
                        error = %e,
                        rest_secs = rest.as_secs(),
                        "account rests; trying the next one"
                    );
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| all_resting(&self.settings, &request, soonest)))
    }
}

/// Every account is cooling down: a 429 that says until when, so routing moves on.
fn all_resting(
    settings: &ProviderSettings,
    request: &ProviderRequest,
    soonest: Option<std::time::Duration>,
) -> ProviderError {
    let secs = soonest.map_or(1, |d| d.as_secs() + 1);
    let message = format!(
        "every account of provider `{}` is resting after rate limits or auth errors; the first is back in {secs} s",
        settings.id
    );
    let info = bitrouter_protocols::ErrorInfo {
        status: 429,
        message: &message,
        code: Some("accounts_cooling_down"),
    };
    ProviderError::Status {
        status: http::StatusCode::TOO_MANY_REQUESTS,
        body: bitrouter_protocols::error_body(request.target.protocol, &info).into(),
        protocol: request.target.protocol,
        retry_after: Some(std::time::Duration::from_secs(secs)),
    }
}
