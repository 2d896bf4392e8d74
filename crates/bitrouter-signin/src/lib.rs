//! Sign-in providers for BitRouter: subscriptions reached with OAuth tokens instead of API
//! keys.
//!
//! - [`login`]: a whole headless login (the URL and code are printed, a browser is never
//!   required): the RFC 8628 device flow ([`request_device_code`], [`poll_device_token`]) for
//!   GitHub Copilot and BitRouter Cloud, the authorization-code flow with RFC 7636 PKCE
//!   ([`start_pkce`], [`Pkce`]) for ChatGPT Codex and Claude, taking the code from a
//!   [`Loopback`] redirect listener or a pasted URL.
//! - [`TokenStore`]: the tokens in `$BITROUTER_HOME/credentials.json`, mode 0600, written
//!   atomically; a file others can read is refused.
//! - [`SignedInProvider`]: a `Provider` that sends the current token, refreshes it before it
//!   expires and once after a 401; [`signed_in_providers`] builds the active ones.
//! - [`provider_states`]: every built-in provider's state for `bitrouter providers list`.
//! - [`SigninDef`]: the providers' endpoints, each overridable from the environment.
//!
//! The `test-util` feature adds [`test_util::LocalAuthServer`], an RFC 8628 and PKCE
//! authorization server on 127.0.0.1 for tests.

mod auth_client;
mod clock;
mod code_flow;
mod definition;
mod device;
mod error;
mod form;
mod login;
mod loopback;
mod pkce;
mod signed_in;
mod status;
mod store;
#[cfg(feature = "test-util")]
pub mod test_util;
mod tokens;

pub use auth_client::{AuthClient, BodyFormat, JsonAnswer};
pub use clock::{Clock, ManualClock, SystemClock};
pub use code_flow::{PendingLogin, start_pkce};
pub use definition::{DEFAULT_CLOUD_URL, Flow, SIGNIN_IDS, SigninDef};
pub use device::{DEVICE_GRANT, DeviceCode, poll_device_token, request_device_code};
pub use error::SigninError;
pub use login::{LoginOptions, Prompt, login};
pub use loopback::Loopback;
pub use pkce::{AuthorizeRequest, Pkce, code_from_paste, random_token, s256};
pub use signed_in::{
    ANTHROPIC_OAUTH_BETA, DEFAULT_REFRESH_MARGIN, SignedInProvider, signed_in_providers,
};
pub use status::{ProviderState, human, login_command, provider_states};
pub use store::{Credential, TokenStore};
pub use tokens::refresh;
