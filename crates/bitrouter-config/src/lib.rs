//! BitRouter's configuration file, `bitrouter.yaml`.
//!
//! [`discover`] finds the file (`-c <path>`, else `./bitrouter.yaml`, else
//! `$BITROUTER_HOME/bitrouter.yaml`, else none: zero-config), replaces `${VAR}` and
//! `${VAR:-default}` from the environment, and parses it into [`Config`]; unknown keys are
//! errors with a "did you mean". [`ConfigFile::validate`] then checks what parsing cannot
//! (unknown provider kinds, upstreams pointing at BitRouter itself, plain http to other
//! hosts, dangling or cyclic virtual models). Every [`ConfigError`] displays as
//! `path:line:column: message` with a fix hint. [`pricing`] holds the built-in price catalog,
//! [`json_schema`] the schema and [`init_template`] the file `bitrouter init` writes. The
//! keys are documented in `docs/config.md`.
//!
//! ```
//! use std::path::Path;
//!
//! let text = "providers:\n  local:\n    protocol: openai_chat\n    api_base: \"http://127.0.0.1:11434/v1\"\n    api_key: \"${LOCAL_KEY:-none}\"\n";
//! let file = bitrouter_config::parse(Path::new("bitrouter.yaml"), text, &|_| None).unwrap();
//! let local = file.config.providers.get("local").unwrap();
//! assert_eq!(local.api_key.as_ref().unwrap().expose(), "none");
//! assert!(file.validate("127.0.0.1:4356".parse().unwrap()).is_ok());
//! ```

mod config;
mod error;
mod glob;
mod init;
mod load;
mod locate;
mod ordered_map;
pub mod pricing;
mod provider;
mod routes;
mod schema;
mod substitute;
mod units;
mod validate;

pub use config::{
    AuthConfig, CircuitBreaker, Config, DEFAULT_BODY_LIMIT, DEFAULT_DRAIN_TIMEOUT, DEFAULT_LISTEN,
    DatabaseConfig, FailureMode, LimitsConfig, OtlpConfig, PriceConfig, RouteRule, RouteStrategy,
    Routing, RuleMatch, ServerConfig, TelemetryConfig, VirtualModel,
};
pub use error::{ConfigError, ErrorKind};
pub use glob::ModelGlob;
pub use init::{KEY_VARS, init_template};
pub use load::{
    ConfigFile, FILE_NAME, discover, discover_with, find_config_path, load, load_with, parse,
};
pub use locate::{Seg, dotted};
pub use ordered_map::OrderedMap;
pub use provider::{
    Account, AccountStrategy, BUILTIN_KINDS, ProviderConfig, RESERVED_IDS, Secret, Timeouts,
};
pub use schema::json_schema;
pub use substitute::substitute;
pub use units::{parse_byte_size, parse_duration};
pub use validate::Problem;
