//! [`HttpProvider`]: a [`Provider`] that calls one upstream over HTTP.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bitrouter_core::{Provider, ProviderError, ProviderRequest, ProviderResponse, TimeoutPhase};

use crate::client::UpstreamClient;
use crate::settings::ProviderSettings;
use crate::{answer, outbound};

/// Calls one upstream (a built-in or configured provider) through the shared client.
#[derive(Debug, Clone)]
pub struct HttpProvider {
    settings: Arc<ProviderSettings>,
    client: UpstreamClient,
}

impl HttpProvider {
    /// A provider for these settings.
    pub fn new(settings: ProviderSettings, client: UpstreamClient) -> Self {
        Self {
            settings: Arc::new(settings),
            client,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }
}

#[async_trait]
impl Provider for HttpProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let timeouts = self.client.timeouts;
        let body = outbound::body(&request)?;
        let http_request = outbound::http_request(&self.settings, &request, body)?;
        let response =
            tokio::time::timeout(timeouts.first_byte, self.client.inner.request(http_request))
                .await
                .map_err(|_| ProviderError::Timeout {
                    phase: TimeoutPhase::FirstByte,
                    after: timeouts.first_byte,
                })?
                .map_err(|e| connect_error(&self.settings, &e))?;
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

fn connect_error(
    settings: &ProviderSettings,
    e: &hyper_util::client::legacy::Error,
) -> ProviderError {
    use std::error::Error as _;
    let mut message = format!("{} ({})", e, settings.api_base);
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ProviderError::Connect { message }
}
