//! How keys are printed: JSON objects and aligned tables, with the spend of the current budget
//! period. Secrets appear only in [`print_secret`].

use std::process::ExitCode;

use bitrouter_storage::{Budget, KeyRecord, KeyState, SpendScope, Storage};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::describe;
use crate::table::{Align, Table, cell, usd};
use crate::time_args;

const STORE_NOW: &str = "store the secret now: it cannot be shown again";

/// Prints a key just created or rotated, with its secret.
pub fn print_secret(
    key: &KeyRecord,
    secret: &str,
    verb: &str,
    json: bool,
) -> Result<ExitCode, String> {
    if json {
        let out = json!({
            "key": key_json(key, None, Utc::now()),
            "secret": secret,
            "note": STORE_NOW,
        });
        println!("{out}");
    } else {
        println!("{verb} key {} for user {}", key.id, key.user_id);
        if let Some(old) = &key.rotated_from {
            println!("replaces {old}, which is now revoked");
        }
        println!();
        println!("    {secret}");
        println!();
        println!("Store it now: it cannot be shown again.");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one key.
pub async fn print_key(
    storage: &Storage,
    key: &KeyRecord,
    now: DateTime<Utc>,
    json: bool,
) -> Result<ExitCode, String> {
    let spent = spent(storage, key, now).await?;
    if json {
        println!("{}", key_json(key, spent, now));
        return Ok(ExitCode::SUCCESS);
    }
    let limits = &key.limits;
    let lines = [
        ("id", key.id.clone()),
        ("prefix", key.display_prefix()),
        ("user", key.user_id.clone()),
        ("name", cell(key.name.as_deref())),
        ("state", state(key, now)),
        ("models", models(&limits.models)),
        ("budget", budget(limits.budget, spent)),
        ("rpm", cell(limits.rpm)),
        ("tpm", cell(limits.tpm)),
        ("max concurrency", cell(limits.max_concurrency)),
        ("expires", cell(limits.expires_at.map(time_args::human))),
        ("created", time_args::human(key.created_at)),
        ("revoked", cell(key.revoked_at.map(time_args::human))),
        ("rotated from", cell(key.rotated_from.as_deref())),
    ];
    for (label, value) in lines {
        println!("{label:<16} {value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a list of keys.
pub async fn print_keys(
    storage: &Storage,
    keys: &[KeyRecord],
    now: DateTime<Utc>,
    json: bool,
) -> Result<ExitCode, String> {
    let mut spends = Vec::with_capacity(keys.len());
    for key in keys {
        spends.push(spent(storage, key, now).await?);
    }
    if json {
        let list: Vec<Value> = keys
            .iter()
            .zip(&spends)
            .map(|(k, s)| key_json(k, *s, now))
            .collect();
        println!("{}", Value::Array(list));
        return Ok(ExitCode::SUCCESS);
    }
    if keys.is_empty() {
        println!("no keys yet: create one with `bitrouter key create --user <id>`");
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("PREFIX", Align::Left),
        ("USER", Align::Left),
        ("NAME", Align::Left),
        ("STATE", Align::Left),
        ("MODELS", Align::Left),
        ("BUDGET", Align::Right),
        ("RPM", Align::Right),
        ("TPM", Align::Right),
        ("CONC", Align::Right),
        ("EXPIRES", Align::Left),
        ("CREATED", Align::Left),
    ]);
    for (key, spent) in keys.iter().zip(&spends) {
        let l = &key.limits;
        table.row(vec![
            key.id.clone(),
            key.display_prefix(),
            key.user_id.clone(),
            cell(key.name.as_deref()),
            state(key, now),
            models(&l.models),
            budget(l.budget, *spent),
            cell(l.rpm),
            cell(l.tpm),
            cell(l.max_concurrency),
            cell(l.expires_at.map(time_args::human)),
            time_args::human(key.created_at),
        ]);
    }
    print!("{}", table.render());
    Ok(ExitCode::SUCCESS)
}

async fn spent(
    storage: &Storage,
    key: &KeyRecord,
    now: DateTime<Utc>,
) -> Result<Option<f64>, String> {
    match key.limits.budget {
        Some(b) => storage
            .spent(SpendScope::Key(&key.id), b.period.start(now))
            .await
            .map(Some)
            .map_err(describe),
        None => Ok(None),
    }
}

fn key_json(key: &KeyRecord, spent: Option<f64>, now: DateTime<Utc>) -> Value {
    let l = &key.limits;
    json!({
        "id": key.id,
        "user": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "state": state_name(key, now),
        "models": l.models,
        "budget": budget_json(l.budget, spent),
        "rpm": l.rpm,
        "tpm": l.tpm,
        "max_concurrency": l.max_concurrency,
        "expires_at": l.expires_at.map(time_args::json),
        "created_at": time_args::json(key.created_at),
        "revoked_at": key.revoked_at.map(time_args::json),
        "rotated_from": key.rotated_from,
    })
}

/// A budget as JSON: amount, period and (when known) the spend of the current period.
pub fn budget_json(budget: Option<Budget>, spent: Option<f64>) -> Value {
    budget.map_or(
        Value::Null,
        |b| json!({"usd": b.usd, "period": b.period.as_str(), "spent_usd": spent}),
    )
}

/// A budget as a cell: `$1.20/$10.00 month`, or `-`.
pub fn budget(budget: Option<Budget>, spent: Option<f64>) -> String {
    match (budget, spent) {
        (None, _) => "-".to_owned(),
        (Some(b), Some(s)) => format!("{}/{} {}", usd(s), usd(b.usd), b.period),
        (Some(b), None) => format!("{} {}", usd(b.usd), b.period),
    }
}

fn state_name(key: &KeyRecord, now: DateTime<Utc>) -> &'static str {
    match key.state(now) {
        KeyState::Active => "active",
        KeyState::Revoked(_) => "revoked",
        KeyState::Expired(_) => "expired",
    }
}

fn state(key: &KeyRecord, now: DateTime<Utc>) -> String {
    state_name(key, now).to_owned()
}

fn models(list: &[String]) -> String {
    if list.is_empty() {
        "all".to_owned()
    } else {
        list.join(",")
    }
}
