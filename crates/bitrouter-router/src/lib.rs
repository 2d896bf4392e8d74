//! Model-name resolution for BitRouter.
//!
//! [`CatalogRouter`] implements [`bitrouter_core::Router`]: a `provider:model` name goes to
//! that provider; a bare name (`gpt-4o-mini`, `claude-sonnet-4-5`) resolves through the
//! built-in [catalog](vendor_of) to the vendor's own provider when its key is present, with
//! aggregators such as OpenRouter appended as fallbacks.
//!
//! ```
//! use bitrouter_core::{Protocol, RouteRequest, Router};
//! use bitrouter_router::{CatalogRouter, ProviderEntry, ProviderRole, Vendor};
//!
//! let router = CatalogRouter::new(vec![
//!     ProviderEntry { id: "openai".into(), protocol: Protocol::OpenaiChat, more_protocols: vec![], role: ProviderRole::Vendor(Vendor::Openai) },
//!     ProviderEntry { id: "openrouter".into(), protocol: Protocol::OpenaiChat, more_protocols: vec![], role: ProviderRole::Aggregator },
//! ]);
//! let headers = http::HeaderMap::new();
//! let plan = router
//!     .route(&RouteRequest { model: "gpt-4o-mini", inbound: Protocol::OpenaiChat, stream: false, headers: &headers, shape: Default::default() })
//!     .unwrap();
//! let chain: Vec<_> = plan.steps.iter().map(|s| format!("{}:{}", s.target.provider, s.target.model)).collect();
//! assert_eq!(chain, ["openai:gpt-4o-mini", "openrouter:openai/gpt-4o-mini"]);
//! ```

mod catalog;
mod catalog_router;
mod health;
mod policy;

pub use catalog::{Vendor, vendor_of, well_known_models};
pub use catalog_router::{CatalogRouter, ProviderEntry, ProviderRole};
pub use health::{Admission, BreakerSettings, HealthBook, HealthStatus};
pub use policy::{ASSUMED_OUTPUT_TOKENS, PolicyRouter};
