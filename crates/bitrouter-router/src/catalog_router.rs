//! [`CatalogRouter`]: `provider:model` names route directly; bare names resolve through the
//! built-in catalog to the vendor's own provider, then to aggregators as fallbacks.

use std::sync::Arc;

use bitrouter_core::{Protocol, RouteError, RoutePlan, RouteRequest, RouteStep, Router, Target};

use crate::catalog::{Vendor, vendor_of};

/// What the router knows of one active provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEntry {
    /// The provider's id.
    pub id: Arc<str>,
    /// The protocol its upstream speaks by default.
    pub protocol: Protocol,
    /// Other protocols the same upstream serves (OpenAI: Responses besides Chat Completions).
    /// A client speaking one of them is sent there in its own protocol, with no translation.
    pub more_protocols: Vec<Protocol>,
    /// How it serves models.
    pub role: ProviderRole,
}

/// How a provider serves models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderRole {
    /// A vendor's own API: serves that vendor's families under their own names.
    Vendor(Vendor),
    /// An aggregator (OpenRouter): serves every vendor as `vendor/model`, and any
    /// `org/model` name.
    Aggregator,
    /// Serves exactly the listed models (a custom or local provider).
    Listed(Vec<String>),
}

/// Routes with the built-in catalog over a fixed set of active providers.
#[derive(Debug, Clone, Default)]
pub struct CatalogRouter {
    providers: Vec<ProviderEntry>,
    /// Ids of built-in providers that exist but are not active (no key), to explain errors.
    known_inactive: Vec<String>,
}

impl CatalogRouter {
    /// A router over these providers, in priority order.
    pub fn new(providers: Vec<ProviderEntry>) -> Self {
        Self {
            providers,
            known_inactive: Vec::new(),
        }
    }

    /// Names of providers that are known but inactive, so that `inactive:model` gets a clear
    /// "not active" error instead of being read as a bare model name.
    pub fn with_known_inactive(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.known_inactive = ids.into_iter().collect();
        self
    }

    /// Adds a provider after the others (sign-in and feature-gated providers).
    pub fn push(&mut self, entry: ProviderEntry) {
        self.known_inactive
            .retain(|k| k.as_str() != entry.id.as_ref());
        self.providers.push(entry);
    }

    /// The active providers.
    pub fn providers(&self) -> &[ProviderEntry] {
        &self.providers
    }

    fn find(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id.as_ref() == id)
    }

    fn step(entry: &ProviderEntry, inbound: Protocol, model: &str, reason: String) -> RouteStep {
        let protocol = if entry.more_protocols.contains(&inbound) {
            inbound
        } else {
            entry.protocol
        };
        RouteStep {
            target: Target {
                provider: entry.id.clone(),
                model: model.to_owned(),
                protocol,
            },
            reason,
        }
    }

    fn bare(&self, model: &str, inbound: Protocol) -> Vec<RouteStep> {
        let mut steps = Vec::new();
        let vendor = vendor_of(model);
        for entry in &self.providers {
            match (&entry.role, vendor) {
                (ProviderRole::Listed(models), _) if models.iter().any(|m| m == model) => {
                    steps.push(Self::step(
                        entry,
                        inbound,
                        model,
                        format!("`{model}` is listed in provider `{}`'s models", entry.id),
                    ));
                }
                (ProviderRole::Vendor(v), Some((found, prefix))) if *v == found => {
                    steps.push(Self::step(
                        entry,
                        inbound,
                        model,
                        format!("catalog: `{prefix}*` models are made by {}", v.slug()),
                    ));
                }
                _ => {}
            }
        }
        // Aggregators come after first-hand providers: they are the fallback.
        for entry in &self.providers {
            if entry.role != ProviderRole::Aggregator {
                continue;
            }
            if let Some((v, _)) = vendor {
                let id = format!("{}/{model}", v.slug());
                let reason = if steps.is_empty() {
                    format!(
                        "catalog: {} model, served through aggregator `{}`",
                        v.slug(),
                        entry.id
                    )
                } else {
                    format!("fallback: the same model through aggregator `{}`", entry.id)
                };
                steps.push(Self::step(entry, inbound, &id, reason));
            } else if model.contains('/') {
                steps.push(Self::step(
                    entry,
                    inbound,
                    model,
                    format!("`org/model` names are served by aggregator `{}`", entry.id),
                ));
            }
        }
        steps
    }
}

impl Router for CatalogRouter {
    fn route(&self, request: &RouteRequest<'_>) -> Result<RoutePlan, RouteError> {
        let model = request.model.trim();
        if model.is_empty() {
            return Err(RouteError::MissingModel);
        }
        if let Some((provider, upstream_model)) = model.split_once(':') {
            if let Some(entry) = self.find(provider) {
                if upstream_model.is_empty() {
                    return Err(RouteError::UnknownModel {
                        model: model.to_owned(),
                        active: self.active_providers(),
                    });
                }
                return Ok(RoutePlan {
                    requested: model.to_owned(),
                    steps: vec![Self::step(
                        entry,
                        request.inbound,
                        upstream_model,
                        format!("`{provider}:` prefix names the provider directly"),
                    )],
                });
            }
            if self.known_inactive.iter().any(|k| k == provider) {
                return Err(RouteError::UnknownProvider {
                    provider: provider.to_owned(),
                    active: self.active_providers(),
                });
            }
            // Otherwise the colon is part of a model name (`llama3.2:1b`): resolve it bare.
        }
        let steps = self.bare(model, request.inbound);
        if steps.is_empty() {
            return Err(RouteError::UnknownModel {
                model: model.to_owned(),
                active: self.active_providers(),
            });
        }
        Ok(RoutePlan {
            requested: model.to_owned(),
            steps,
        })
    }

    fn active_providers(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.id.to_string()).collect()
    }
}
