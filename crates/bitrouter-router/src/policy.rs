//! [`PolicyRouter`]: the configured layer over the catalog — routing rules on the call's
//! shape, virtual models with their strategies, and the cost cap.
//!
//! Resolution: the first rule whose conditions all hold replaces the requested model by its
//! `route_to`; a virtual model expands to its targets (recursively), ordered by its strategy
//! and filtered by its cost cap; anything else goes to the [`CatalogRouter`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use bitrouter_config::pricing::{Price, PriceTable};
use bitrouter_config::{RouteRule, RouteStrategy, VirtualModel};
use bitrouter_core::{CallShape, RouteError, RoutePlan, RouteRequest, RouteStep, Router};

use crate::catalog_router::CatalogRouter;
use crate::health::HealthBook;

/// Output tokens assumed for a cost estimate when the client set no limit.
pub const ASSUMED_OUTPUT_TOKENS: u32 = 1000;

/// Virtual models and rules over a catalog router.
#[derive(Debug)]
pub struct PolicyRouter {
    catalog: CatalogRouter,
    models: HashMap<String, VirtualModel>,
    rules: Vec<RouteRule>,
    prices: PriceTable,
    health: Option<HealthBook>,
    turns: HashMap<String, AtomicUsize>,
}

impl PolicyRouter {
    /// A router with these virtual models, rules and prices over `catalog`. `health` feeds
    /// the `fastest` strategy.
    pub fn new(
        catalog: CatalogRouter,
        models: impl IntoIterator<Item = (String, VirtualModel)>,
        rules: Vec<RouteRule>,
        prices: PriceTable,
        health: Option<HealthBook>,
    ) -> Self {
        let models: HashMap<String, VirtualModel> = models.into_iter().collect();
        let turns = models
            .keys()
            .map(|k| (k.clone(), AtomicUsize::new(0)))
            .collect();
        Self {
            catalog,
            models,
            rules,
            prices,
            health,
            turns,
        }
    }

    /// The catalog router underneath.
    pub fn catalog(&self) -> &CatalogRouter {
        &self.catalog
    }

    /// The names of the virtual models.
    pub fn virtual_models(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// The price of a target, if known.
    pub fn price(&self, provider: &str, model: &str) -> Option<Price> {
        self.prices.price(provider, model)
    }

    /// The estimated cost of a call at a price: the prompt estimate at the input rate plus
    /// the output limit (or [`ASSUMED_OUTPUT_TOKENS`]) at the output rate.
    pub fn estimate(price: &Price, shape: &CallShape) -> f64 {
        let output = shape.max_output_tokens.unwrap_or(ASSUMED_OUTPUT_TOKENS);
        (shape.input_tokens as f64 * price.input + f64::from(output) * price.output) / 1_000_000.0
    }

    fn rule_for(&self, req: &RouteRequest<'_>) -> Option<(usize, &RouteRule)> {
        self.rules.iter().enumerate().find(|(_, r)| {
            let m = &r.when;
            m.model.as_ref().is_none_or(|g| g.matches(req.model))
                && m.has_tools.is_none_or(|v| v == req.shape.has_tools)
                && m.has_images.is_none_or(|v| v == req.shape.has_images)
                && m.min_input_tokens
                    .is_none_or(|n| req.shape.input_tokens >= n)
                && m.max_input_tokens
                    .is_none_or(|n| req.shape.input_tokens <= n)
                && m.header.iter().all(|(name, value)| {
                    req.headers
                        .get(name.as_str())
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v == value)
                })
        })
    }

    fn resolve(
        &self,
        name: &str,
        req: &RouteRequest<'_>,
        depth: usize,
    ) -> Result<Vec<RouteStep>, RouteError> {
        let Some(vm) = self.models.get(name).filter(|_| depth < 8) else {
            let inner = RouteRequest {
                model: name,
                ..*req
            };
            return self.catalog.route(&inner).map(|p| p.steps);
        };
        let mut steps = Vec::new();
        let mut errors = Vec::new();
        for entry in &vm.route {
            match self.resolve(entry, req, depth + 1) {
                Ok(found) => steps.extend(found.into_iter().map(|mut s| {
                    s.reason = format!("virtual model `{name}` -> {entry}: {}", s.reason);
                    s
                })),
                // A target whose provider is not active is left out; the rest still serve.
                Err(e) => errors.push(e),
            }
        }
        if steps.is_empty() {
            return Err(errors
                .into_iter()
                .next()
                .unwrap_or(RouteError::UnknownModel {
                    model: name.to_owned(),
                    active: self.catalog.active_providers(),
                }));
        }
        self.order(name, vm.strategy, &mut steps, &req.shape);
        if let Some(cap) = vm.max_cost_usd {
            self.cap(name, cap, &mut steps, &req.shape)?;
        }
        Ok(steps)
    }

    fn order(
        &self,
        name: &str,
        strategy: RouteStrategy,
        steps: &mut [RouteStep],
        shape: &CallShape,
    ) {
        match strategy {
            RouteStrategy::Fallback => {}
            RouteStrategy::RoundRobin => {
                let turn = self
                    .turns
                    .get(name)
                    .map_or(0, |t| t.fetch_add(1, Ordering::Relaxed));
                let n = steps.len();
                steps.rotate_left(turn % n);
                for s in steps.iter_mut() {
                    s.reason.push_str(" (round robin)");
                }
            }
            RouteStrategy::Cheapest => {
                let cost = |s: &RouteStep| {
                    self.price(&s.target.provider, &s.target.model)
                        .map_or(f64::INFINITY, |p| Self::estimate(&p, shape))
                };
                steps.sort_by(|a, b| cost(a).total_cmp(&cost(b)));
                for s in steps.iter_mut() {
                    let c = cost(s);
                    if c.is_finite() {
                        s.reason
                            .push_str(&format!(" (cheapest first: about ${c:.6})"));
                    } else {
                        s.reason
                            .push_str(" (cheapest first: price unknown, tried last)");
                    }
                }
            }
            RouteStrategy::Fastest => {
                // Unmeasured targets go first, so that they get measured.
                let latency = |s: &RouteStep| {
                    self.health
                        .as_ref()
                        .and_then(|h| h.latency(&s.target.provider))
                        .map_or(0, |d| d.as_micros())
                };
                steps.sort_by_key(|s| latency(s));
                for s in steps.iter_mut() {
                    let l = latency(s);
                    s.reason
                        .push_str(&format!(" (fastest first: {:.1} ms)", l as f64 / 1000.0));
                }
            }
        }
    }

    fn cap(
        &self,
        name: &str,
        cap: f64,
        steps: &mut Vec<RouteStep>,
        shape: &CallShape,
    ) -> Result<(), RouteError> {
        let mut cheapest: Option<f64> = None;
        steps.retain(|s| match self.price(&s.target.provider, &s.target.model) {
            // Unknown prices cannot be held against the cap.
            None => true,
            Some(p) => {
                let c = Self::estimate(&p, shape);
                cheapest = Some(cheapest.map_or(c, |m| m.min(c)));
                c <= cap
            }
        });
        if steps.is_empty() {
            return Err(RouteError::OverCostCap {
                model: name.to_owned(),
                message: format!(
                    "every target of `{name}` would cost more than its max_cost_usd of ${cap} for this request \
                     (the cheapest about ${:.4}); send a shorter prompt or a lower max_tokens, or raise the cap",
                    cheapest.unwrap_or(0.0)
                ),
            });
        }
        Ok(())
    }
}

impl Router for PolicyRouter {
    fn route(&self, req: &RouteRequest<'_>) -> Result<RoutePlan, RouteError> {
        let (model, rule) = match self.rule_for(req) {
            Some((i, r)) => (r.route_to.as_str(), Some(i)),
            None => (req.model, None),
        };
        let mut steps = self.resolve(model, req, 0)?;
        if let Some(i) = rule {
            for s in &mut steps {
                s.reason = format!(
                    "routing rule #{} matched `{}` -> `{model}`; {}",
                    i + 1,
                    req.model,
                    s.reason
                );
            }
        }
        Ok(RoutePlan {
            requested: req.model.to_owned(),
            steps,
        })
    }

    fn active_providers(&self) -> Vec<String> {
        self.catalog.active_providers()
    }
}
