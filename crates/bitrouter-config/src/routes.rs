//! Validation of virtual models and routing rules: every target resolves, no cycles.

use crate::config::Config;
use crate::error::did_you_mean;
use crate::locate::Seg;
use crate::provider::{BUILTIN_KINDS, RESERVED_IDS};
use crate::validate::{Problem, keys, problem};

/// Checks one route target: `provider:model` with a known provider, or a virtual model.
fn check_target(cfg: &Config, target: &str) -> Result<(), (String, String)> {
    if let Some((provider, model)) = target.split_once(':') {
        if provider.is_empty() || model.is_empty() {
            return Err((
                format!("`{target}` is not `provider:model`"),
                "write e.g. `openai:gpt-4o-mini`".to_owned(),
            ));
        }
        if cfg.providers.contains_key(provider) || BUILTIN_KINDS.contains(&provider) {
            return Ok(());
        }
        if RESERVED_IDS.contains(&provider) {
            return Err((
                format!("provider `{provider}` in `{target}` is not available yet"),
                "use a provider from `providers` or a built-in one".to_owned(),
            ));
        }
        let known: Vec<&str> = cfg
            .providers
            .keys()
            .chain(BUILTIN_KINDS.iter().copied())
            .collect();
        let mut msg = format!("`{target}` names an unknown provider `{provider}`");
        if let Some(s) = did_you_mean(provider, &known) {
            msg.push_str(&format!(": did you mean `{s}`?"));
        }
        return Err((msg, format!("known providers: {}", known.join(", "))));
    }
    if cfg.models.contains_key(target) {
        return Ok(());
    }
    let virtuals: Vec<&str> = cfg.models.keys().collect();
    let mut msg = format!("`{target}` is neither `provider:model` nor a virtual model");
    if let Some(s) = did_you_mean(target, &virtuals) {
        msg.push_str(&format!(": did you mean `{s}`?"));
    }
    Err((msg, "write `provider:model` for a concrete model (e.g. `openai:gpt-4o-mini`), or the name of an entry under `models`".to_owned()))
}

fn route_path(name: &str, i: usize) -> Vec<Seg> {
    let mut p = keys(&["models", name, "route"]);
    p.push(Seg::Index(i));
    p
}

pub(crate) fn check_models(cfg: &Config, out: &mut Vec<Problem>) {
    for (name, model) in cfg.models.iter() {
        if name.is_empty() || name.contains(':') {
            out.push(problem(
                keys(&["models", name]),
                format!("virtual model name `{name}` may not contain `:`"),
                "`:` separates provider and model; choose a plain name",
            ));
        }
        if model.route.is_empty() {
            out.push(problem(
                keys(&["models", name, "route"]),
                format!("virtual model `{name}` has an empty route"),
                "list at least one `provider:model`",
            ));
        }
        for (i, target) in model.route.iter().enumerate() {
            if let Err((msg, hint)) = check_target(cfg, target) {
                out.push(problem(route_path(name, i), msg, hint));
            }
        }
        if model
            .max_cost_usd
            .is_some_and(|c| !c.is_finite() || c <= 0.0)
        {
            out.push(problem(
                keys(&["models", name, "max_cost_usd"]),
                "`max_cost_usd` must be a positive number".to_owned(),
                "the largest estimated cost in USD a call may have, e.g. `0.05`",
            ));
        }
    }
    check_cycles(cfg, out);
}

/// Depth-first search over virtual-to-virtual edges; each cycle is reported once, at the
/// route entry that closes it.
fn check_cycles(cfg: &Config, out: &mut Vec<Problem>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let names: Vec<&str> = cfg.models.keys().collect();
    let index = |n: &str| names.iter().position(|m| *m == n);
    let mut marks = vec![Mark::New; names.len()];
    for start in 0..names.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Stack of (model, next route entry to look at).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let route = cfg
                .models
                .get(names[node])
                .map(|m| m.route.as_slice())
                .unwrap_or(&[]);
            let Some(target) = route.get(*next) else {
                marks[node] = Mark::Done;
                stack.pop();
                continue;
            };
            let entry = *next;
            *next += 1;
            let Some(t) = (!target.contains(':')).then(|| index(target)).flatten() else {
                continue;
            };
            match marks[t] {
                Mark::New => {
                    marks[t] = Mark::Open;
                    stack.push((t, 0));
                }
                Mark::Open => {
                    let from = stack.iter().position(|(n, _)| *n == t).unwrap_or(0);
                    let mut chain: Vec<&str> =
                        stack[from..].iter().map(|(n, _)| names[*n]).collect();
                    chain.push(names[t]);
                    out.push(problem(
                        route_path(names[node], entry),
                        format!("virtual models form a cycle: {}", chain.join(" -> ")),
                        "a virtual model may route to other virtual models, but never back to itself",
                    ));
                }
                Mark::Done => {}
            }
        }
    }
}

pub(crate) fn check_rules(cfg: &Config, out: &mut Vec<Problem>) {
    for (i, rule) in cfg.routing.rules.iter().enumerate() {
        let at = |k: &str| {
            let mut p = keys(&["routing", "rules"]);
            p.push(Seg::Index(i));
            p.push(Seg::key(k));
            p
        };
        if let Err((msg, hint)) = check_target(cfg, &rule.route_to) {
            out.push(problem(at("route_to"), msg, hint));
        }
        let m = &rule.when;
        if let (Some(min), Some(max)) = (m.min_input_tokens, m.max_input_tokens) {
            if min > max {
                let mut p = at("match");
                p.push(Seg::key("min_input_tokens"));
                out.push(problem(
                    p,
                    format!("`min_input_tokens` ({min}) is larger than `max_input_tokens` ({max})"),
                    "no call could match; swap or fix the bounds",
                ));
            }
        }
        for name in m.header.keys() {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                let mut p = at("match");
                p.push(Seg::key("header"));
                p.push(Seg::key(name));
                out.push(problem(
                    p,
                    format!("`{name}` is not a valid header name"),
                    "header names are tokens like `x-bitrouter-task`",
                ));
            }
        }
    }
}
