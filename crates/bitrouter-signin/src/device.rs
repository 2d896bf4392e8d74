//! The RFC 8628 device authorization grant: ask for a code, show it, poll until the user
//! approves, honouring `interval`, `authorization_pending`, `slow_down`, `expired_token` and
//! `access_denied`.

use std::time::Duration;

use serde_json::Value;

use crate::auth_client::{AuthClient, BodyFormat};
use crate::clock::Clock;
use crate::definition::SigninDef;
use crate::error::SigninError;
use crate::store::Credential;
use crate::tokens::{credential_from, oauth_error};

/// The grant type of device token requests (RFC 8628 §3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What the device authorization endpoint answered (RFC 8628 §3.2).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// The code the client polls with (secret).
    pub device_code: String,
    /// The code the user types.
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The same with the code filled in, when the server offers it.
    pub verification_uri_complete: Option<String>,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds to wait between polls (5 when the server does not say).
    pub interval: u64,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Step 1: asks the device authorization endpoint for a user code.
pub async fn request_device_code(
    def: &SigninDef,
    client: &AuthClient,
) -> Result<DeviceCode, SigninError> {
    let answer = client
        .post(
            &def.device_url,
            BodyFormat::Form,
            &[("client_id", &def.client_id), ("scope", &def.scope)],
            &[],
        )
        .await?;
    if let Some((code, description)) = oauth_error(&answer) {
        return Err(SigninError::OAuth {
            provider: def.id.to_owned(),
            code,
            description,
        });
    }
    let body = &answer.body;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let missing = |field: &str| {
        SigninError::Http(format!(
            "{} answered {} without `{field}`; is {} a device authorization endpoint?",
            def.id, answer.status, def.device_url
        ))
    };
    Ok(DeviceCode {
        device_code: text("device_code").ok_or_else(|| missing("device_code"))?,
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        // Some servers (Google) spell it `verification_url`.
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: body
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(900),
        interval: body
            .get("interval")
            .and_then(Value::as_u64)
            .unwrap_or(5)
            .max(1),
    })
}

/// Step 2: polls the token endpoint until the user approves, denies, or the code expires.
pub async fn poll_device_token(
    def: &SigninDef,
    client: &AuthClient,
    clock: &dyn Clock,
    code: &DeviceCode,
) -> Result<Credential, SigninError> {
    let deadline = clock.now().saturating_add(code.expires_in);
    let mut interval = code.interval;
    loop {
        clock.sleep(Duration::from_secs(interval)).await;
        if clock.now() > deadline {
            return Err(SigninError::Expired {
                provider: def.id.to_owned(),
            });
        }
        let answer = client
            .post(
                &def.token_url,
                BodyFormat::Form,
                &[
                    ("grant_type", DEVICE_GRANT),
                    ("device_code", &code.device_code),
                    ("client_id", &def.client_id),
                ],
                &[],
            )
            .await?;
        let Some((error, description)) = oauth_error(&answer) else {
            return credential_from(def, &answer, clock.now());
        };
        match error.as_str() {
            "authorization_pending" => {}
            "slow_down" => {
                // RFC 8628 §3.5: add 5 seconds to this and all later intervals. GitHub also
                // names the new interval; take whichever is longer.
                let named = answer.body.get("interval").and_then(Value::as_u64);
                interval = (interval + 5).max(named.unwrap_or(0));
            }
            "access_denied" => {
                return Err(SigninError::Denied {
                    provider: def.id.to_owned(),
                });
            }
            "expired_token" => {
                return Err(SigninError::Expired {
                    provider: def.id.to_owned(),
                });
            }
            _ => {
                return Err(SigninError::OAuth {
                    provider: def.id.to_owned(),
                    code: error,
                    description,
                });
            }
        }
    }
}
