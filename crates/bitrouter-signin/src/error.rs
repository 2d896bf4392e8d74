//! The one error type of sign-in: what went wrong and what to do about it.

/// A sign-in, refresh or token-store operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigninError {
    /// The user (or the account's policy) refused the authorization (`access_denied`).
    #[error(
        "the authorization was denied at {provider}; run `bitrouter login {provider}` again and approve it"
    )]
    Denied {
        /// The provider id.
        provider: String,
    },
    /// The device code or authorization expired before the user finished (`expired_token`).
    #[error(
        "the {provider} sign-in code expired before it was approved; run `bitrouter login {provider}` again and finish within the time shown"
    )]
    Expired {
        /// The provider id.
        provider: String,
    },
    /// The authorization server answered with an OAuth error we cannot recover from.
    #[error("{provider} authorization server answered `{code}`{}; check the client id and endpoints (see `bitrouter providers list`)", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The provider id.
        provider: String,
        /// The `error` field.
        code: String,
        /// The `error_description` field, if any.
        description: Option<String>,
    },
    /// A refresh token was rejected: the sign-in is over.
    #[error("the {provider} sign-in has expired or was revoked; run `bitrouter login {provider}`")]
    NeedsLogin {
        /// The provider id.
        provider: String,
    },
    /// Nothing is stored for this provider.
    #[error("not signed in to {provider}; run `bitrouter login {provider}`")]
    NotSignedIn {
        /// The provider id.
        provider: String,
    },
    /// The network call failed or the server answered something unusable.
    #[error("{0}")]
    Http(String),
    /// The pasted redirect or the loopback callback was not usable.
    #[error("{0}")]
    Callback(String),
    /// The token file could not be read or written, or is unsafe.
    #[error("{0}")]
    Store(String),
    /// An unknown provider id or a bad setting.
    #[error("{0}")]
    Config(String),
}
