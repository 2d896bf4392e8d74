//! Whole logins, as `bitrouter login` runs them: device flow or PKCE, then Copilot's
//! exchange, then the token store.

use std::future::Future;

use crate::auth_client::AuthClient;
use crate::clock::Clock;
use crate::code_flow::start_pkce;
use crate::definition::{Flow, SigninDef};
use crate::device::{DeviceCode, poll_device_token, request_device_code};
use crate::error::SigninError;
use crate::store::{Credential, TokenStore};
use crate::tokens::{copilot_exchange, github_login};

/// What the user must do, for the caller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Device flow: open `uri` and enter `user_code`.
    Device {
        /// Where to enter the code.
        uri: String,
        /// The code.
        user_code: String,
        /// The URI with the code filled in, if offered.
        complete_uri: Option<String>,
        /// Seconds the code is valid.
        expires_in: u64,
    },
    /// PKCE: open `url`; the redirect comes back to the listener or is pasted.
    Browser {
        /// The authorization URL.
        url: String,
        /// Whether a loopback listener waits for the redirect.
        listening: bool,
    },
}

/// How a login runs.
#[derive(Debug)]
pub struct LoginOptions<'a> {
    /// The HTTP client for the authorization server.
    pub client: &'a AuthClient,
    /// The clock (device polling).
    pub clock: &'a dyn Clock,
    /// Listen on the loopback redirect URI (PKCE), if the provider's redirect is loopback.
    pub listen: bool,
}

/// Signs in to `def`, telling the user what to do through `prompt`, reading a pasted code from
/// `paste` (PKCE), and stores the result. Returns what was stored.
pub async fn login<P, F>(
    def: &SigninDef,
    store: &TokenStore,
    options: LoginOptions<'_>,
    prompt: impl FnOnce(&Prompt),
    paste: P,
) -> Result<Credential, SigninError>
where
    P: FnOnce() -> F,
    F: Future<Output = Option<String>>,
{
    let LoginOptions {
        client,
        clock,
        listen,
    } = options;
    let credential = match def.flow {
        Flow::Device => {
            let code: DeviceCode = request_device_code(def, client).await?;
            prompt(&Prompt::Device {
                uri: code.verification_uri.clone(),
                user_code: code.user_code.clone(),
                complete_uri: code.verification_uri_complete.clone(),
                expires_in: code.expires_in,
            });
            poll_device_token(def, client, clock, &code).await?
        }
        Flow::Pkce => {
            let pending = start_pkce(def, listen).await?;
            prompt(&Prompt::Browser {
                url: pending.url().to_owned(),
                listening: pending.is_listening(),
            });
            let code = pending.code(paste()).await?;
            pending.exchange(def, client, clock, &code).await?
        }
    };
    let credential = if def.exchange_url.is_some() {
        let account = github_login(def, client, &credential.access_token).await;
        let mut copilot =
            copilot_exchange(def, client, &credential.access_token, clock.now()).await?;
        copilot.account = account;
        copilot
    } else {
        credential
    };
    store.put(def.id, credential.clone())?;
    Ok(credential)
}
