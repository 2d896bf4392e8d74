//! RFC 7636 Proof Key for Code Exchange: the verifier, its S256 challenge, the state, the
//! authorization URL, and reading the code back from whatever the user pasted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::SigninError;
use crate::form;

/// A code verifier and its S256 challenge.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The secret, 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))` (RFC 7636 §4.2).
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl Pkce {
    /// A fresh pair: 48 bytes from the operating system's CSPRNG, base64url-encoded into a
    /// 64-character verifier.
    pub fn generate() -> Result<Self, SigninError> {
        Ok(Self::from_verifier(random_token(48)?))
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = s256(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `bytes` random bytes from the OS CSPRNG, base64url without padding.
pub fn random_token(bytes: usize) -> Result<String, SigninError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        SigninError::Config(format!("the operating system gave no random bytes: {e}"))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Everything the authorization URL carries.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    /// The authorization endpoint.
    pub endpoint: &'a str,
    /// The OAuth client id.
    pub client_id: &'a str,
    /// Where the browser is sent back.
    pub redirect_uri: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    /// The S256 challenge.
    pub challenge: &'a str,
    /// The anti-CSRF state.
    pub state: &'a str,
    /// Provider-specific parameters appended at the end.
    pub extra: &'a [(&'a str, &'a str)],
}

impl AuthorizeRequest<'_> {
    /// The URL to open in a browser.
    pub fn url(&self) -> String {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", self.scope),
            ("code_challenge", self.challenge),
            ("code_challenge_method", "S256"),
            ("state", self.state),
        ];
        pairs.extend_from_slice(self.extra);
        let sep = if self.endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{}", self.endpoint, form::encode_pairs(&pairs))
    }
}

/// Reads the authorization code from what the user pasted: the whole redirected URL
/// (`…?code=…&state=…`), `code#state` (the form Anthropic's callback page shows), or the bare
/// code. A state that is present must match `expected_state`.
pub fn code_from_paste(pasted: &str, expected_state: &str) -> Result<String, SigninError> {
    let pasted = pasted.trim();
    if pasted.is_empty() {
        return Err(SigninError::Callback(
            "nothing was pasted; paste the URL the browser was sent to, or the code it shows"
                .into(),
        ));
    }
    let (code, state) = if let Some((_, query)) = pasted.split_once('?') {
        let query = query.split('#').next().unwrap_or_default();
        let pairs = form::parse(query);
        if let Some(error) = form::get(&pairs, "error") {
            return Err(SigninError::Callback(format!(
                "the authorization server redirected with error `{error}`{}",
                form::get(&pairs, "error_description")
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )));
        }
        let code = form::get(&pairs, "code").ok_or_else(|| {
            SigninError::Callback(
                "the pasted URL has no `code` parameter; paste the address the browser ended on"
                    .into(),
            )
        })?;
        (
            code.to_owned(),
            form::get(&pairs, "state").map(str::to_owned),
        )
    } else if let Some((code, state)) = pasted.split_once('#') {
        (code.to_owned(), Some(state.to_owned()))
    } else {
        (pasted.to_owned(), None)
    };
    check_state(state.as_deref(), expected_state)?;
    Ok(code)
}

/// Fails unless a present `state` equals the one we sent.
pub(crate) fn check_state(state: Option<&str>, expected: &str) -> Result<(), SigninError> {
    match state {
        Some(s) if s != expected => Err(SigninError::Callback(
            "the state in the redirect does not match this login (an old or foreign link?); start `bitrouter login` again".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_ne!(a.verifier, b.verifier);
        assert!(
            (43..=128).contains(&a.verifier.len()),
            "{}",
            a.verifier.len()
        );
        assert!(
            a.verifier
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
        );
        assert_eq!(a.challenge, s256(&a.verifier));
        assert!(!format!("{a:?}").contains(&a.verifier));
    }

    #[test]
    fn authorize_url_carries_every_parameter() {
        let url = AuthorizeRequest {
            endpoint: "https://auth.example/oauth/authorize",
            client_id: "app_1",
            redirect_uri: "http://localhost:1455/auth/callback",
            scope: "openid offline_access",
            challenge: "abc",
            state: "st",
            extra: &[("code", "true")],
        }
        .url();
        assert_eq!(
            url,
            "https://auth.example/oauth/authorize?response_type=code&client_id=app_1\
             &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
             &scope=openid%20offline_access&code_challenge=abc&code_challenge_method=S256\
             &state=st&code=true"
        );
    }

    #[test]
    fn pasted_forms() {
        let url = "http://localhost:1455/auth/callback?code=c%2F1&state=st";
        assert_eq!(code_from_paste(url, "st").unwrap(), "c/1");
        assert_eq!(code_from_paste(" c2#st \n", "st").unwrap(), "c2");
        assert_eq!(code_from_paste("c3", "st").unwrap(), "c3");
        let e = code_from_paste("http://x/cb?code=c&state=other", "st").unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let e = code_from_paste("http://x/cb?error=access_denied", "st").unwrap_err();
        assert!(e.to_string().contains("access_denied"), "{e}");
        assert!(code_from_paste("  ", "st").is_err());
    }
}
