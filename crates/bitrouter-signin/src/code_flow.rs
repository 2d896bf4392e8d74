//! The authorization-code flow with PKCE, headless first: print the URL, then take the code
//! from the loopback redirect listener or from what the user pastes, whichever comes first.

use std::future::Future;

use crate::auth_client::{AuthClient, BodyFormat};
use crate::clock::Clock;
use crate::definition::SigninDef;
use crate::error::SigninError;
use crate::loopback::Loopback;
use crate::pkce::{AuthorizeRequest, Pkce, code_from_paste, random_token};
use crate::store::Credential;
use crate::tokens::credential_from;

/// A started PKCE login: the URL to open, and what is needed to finish it.
#[derive(Debug)]
pub struct PendingLogin {
    url: String,
    redirect_uri: String,
    state: String,
    pkce: Pkce,
    listener: Option<Loopback>,
}

/// Starts a login: a fresh verifier and state, and, when `listen` is set and the redirect
/// URI is a loopback `http://` address, a listener on its port (port 0: any free port, the
/// redirect URI then names the port chosen).
pub async fn start_pkce(def: &SigninDef, listen: bool) -> Result<PendingLogin, SigninError> {
    let pkce = Pkce::generate()?;
    let state = random_token(32)?;
    let mut redirect_uri = def.redirect_uri.clone();
    let mut listener = None;
    if listen {
        if let Some((host, port, path)) = loopback_parts(&def.redirect_uri) {
            let bound = Loopback::bind(port, &path).await?;
            let port = bound.addr()?.port();
            redirect_uri = format!("http://{host}:{port}{path}");
            listener = Some(bound);
        }
    }
    let extra: Vec<(&str, &str)> = def
        .authorize_extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = AuthorizeRequest {
        endpoint: &def.authorize_url,
        client_id: &def.client_id,
        redirect_uri: &redirect_uri,
        scope: &def.scope,
        challenge: &pkce.challenge,
        state: &state,
        extra: &extra,
    }
    .url();
    Ok(PendingLogin {
        url,
        redirect_uri,
        state,
        pkce,
        listener,
    })
}

/// `(host, port, path)` of an `http://localhost|127.0.0.1[:port]/path` URI.
fn loopback_parts(uri: &str) -> Option<(String, u16, String)> {
    let rest = uri.strip_prefix("http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    matches!(host, "localhost" | "127.0.0.1").then(|| (host.to_owned(), port, format!("/{path}")))
}

impl PendingLogin {
    /// The URL for the user to open.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect URI sent (with the listener's real port).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Whether a loopback listener waits for the redirect.
    pub fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    /// The authorization code: from the listener or `paste` (a line the user typed;
    /// `None` when input ended), whichever comes first.
    pub async fn code(
        &self,
        paste: impl Future<Output = Option<String>>,
    ) -> Result<String, SigninError> {
        let Some(listener) = &self.listener else {
            let pasted = paste.await.ok_or_else(|| {
                SigninError::Callback(
                    "no code was pasted (input ended); run the login again and paste the redirected URL".into(),
                )
            })?;
            return code_from_paste(&pasted, &self.state);
        };
        tokio::pin!(paste);
        let mut paste_open = true;
        loop {
            tokio::select! {
                code = listener.code(&self.state) => return code,
                pasted = &mut paste, if paste_open => match pasted {
                    Some(p) if !p.trim().is_empty() => return code_from_paste(&p, &self.state),
                    // Input closed or an empty line: keep waiting for the browser.
                    _ => paste_open = false,
                },
            }
        }
    }

    /// Exchanges the code for tokens (RFC 6749 §4.1.3 with the RFC 7636 verifier).
    pub async fn exchange(
        &self,
        def: &SigninDef,
        client: &AuthClient,
        clock: &dyn Clock,
        code: &str,
    ) -> Result<Credential, SigninError> {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", def.client_id.as_str()),
            ("code_verifier", self.pkce.verifier.as_str()),
        ];
        if def.token_format == BodyFormat::Json {
            // Anthropic's endpoint wants the state echoed.
            pairs.push(("state", self.state.as_str()));
        }
        let answer = client
            .post(&def.token_url, def.token_format, &pairs, &[])
            .await?;
        credential_from(def, &answer, clock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_uris() {
        assert_eq!(
            loopback_parts("http://localhost:1455/auth/callback"),
            Some(("localhost".into(), 1455, "/auth/callback".into()))
        );
        assert_eq!(
            loopback_parts("http://127.0.0.1:0/cb"),
            Some(("127.0.0.1".into(), 0, "/cb".into()))
        );
        assert_eq!(
            loopback_parts("https://console.anthropic.com/oauth/code/callback"),
            None
        );
    }
}
