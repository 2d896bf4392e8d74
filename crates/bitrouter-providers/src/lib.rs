//! Upstream providers for BitRouter.
//!
//! - [`BUILTINS`]: the providers BitRouter knows without configuration, and
//!   [`from_env`]: which of them the environment switches on (zero-config).
//! - [`discover_models`]: at start-up, the models of providers configured with
//!   `discover_models`, and the local servers (Ollama, LM Studio) that answer, in one
//!   bounded round.
//! - [`HttpProvider`]: a [`bitrouter_core::Provider`] that calls one upstream over the shared
//!   pooled [`UpstreamClient`], forwarding same-protocol bodies untouched but for the model
//!   name, and translating otherwise.
//! - `BedrockProvider` (feature `bedrock`, off by default): Amazon Bedrock's Converse API with
//!   AWS Signature V4 or a Bedrock API key, and `bedrock_settings` for zero-config.
//!
//! | feature   | what it adds                                                        |
//! |-----------|---------------------------------------------------------------------|
//! | `bedrock` | Amazon Bedrock (Converse, ConverseStream, SigV4, event streams)      |

mod accounts;
mod answer;
#[cfg(feature = "bedrock")]
mod bedrock;
mod builtin;
mod client;
mod discovery;
mod http_provider;
mod local;
mod outbound;
mod settings;

pub use accounts::{Account, AccountStatus, AccountStrategy};
#[cfg(feature = "bedrock")]
pub use bedrock::{
    AwsCredentials, BEDROCK_BASE_VAR, BedrockAuth, BedrockProvider, BedrockSettings, EventMessage,
    EventStreamDecoder, FrameError, HeaderValue, SigV4Request, SignedV4, amz_date,
    bedrock_settings, crc32, default_base, sha256_hex, sign_v4,
};
pub use builtin::{AuthStyle, BUILTINS, Builtin, ModelProtocol, RESERVED_IDS, builtin};
pub use client::{Timeouts, UpstreamClient};
pub use discovery::{DISCOVERY_TIMEOUT, ModelQuery, discover_models, list_models};
pub use http_provider::HttpProvider;
pub use local::{LOCAL_SERVERS, PROBE_TIMEOUT};
pub use settings::{
    CLIENT_SIDE_VARS, OPENROUTER_REFERER, OPENROUTER_TITLE, ProviderSettings, from_env,
};
