//! `bitrouter key create|sign|list|show|update|revoke|rotate`: virtual keys (`brvk_…`) in the
//! database, without the daemon. Secrets are printed once, at create and rotate.

use std::path::Path;
use std::process::ExitCode;

use bitrouter_storage::{Budget, BudgetPeriod, KeyLimits, KeyUpdate, NewKey};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::db::{describe, with_storage};
use crate::key_view::{print_key, print_keys, print_secret};
use crate::{JsonArg, time_args};

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Create a key for a user (created if new) and print its secret once.
    #[command(visible_alias = "sign")]
    Create(CreateArgs),
    /// List keys (never their secrets), newest first.
    List(ListArgs),
    /// Show one key.
    Show(KeyRef),
    /// Change a key's name or limits; `none` clears a limit.
    Update(UpdateArgs),
    /// Revoke a key: calls with it are refused from now on.
    Revoke(KeyRef),
    /// Replace a key's secret: a new key with the same settings, the old one revoked.
    Rotate(KeyRef),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The user the key belongs to (letters, digits and - _ . @ :).
    #[arg(long)]
    user: String,
    /// A label to tell keys apart.
    #[arg(long)]
    name: Option<String>,
    /// Model names or globs the key may call, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Spending cap in US dollars.
    #[arg(long, value_parser = usd)]
    budget_usd: Option<f64>,
    /// When the budget starts over: day, week, month or total (default month).
    #[arg(long, value_parser = period, requires = "budget_usd")]
    budget_period: Option<BudgetPeriod>,
    /// Requests per minute.
    #[arg(long)]
    rpm: Option<u64>,
    /// Tokens per minute.
    #[arg(long)]
    tpm: Option<u64>,
    /// Calls in flight at once.
    #[arg(long)]
    max_concurrency: Option<u64>,
    /// When the key stops working: a duration (30d, 12h, 90m), a date (2026-12-31, 00:00 UTC)
    /// or an RFC 3339 time.
    #[arg(long)]
    expires: Option<String>,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this user's keys.
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, Args)]
pub struct KeyRef {
    /// The key id (`key_…`) or the start of its secret (`brvk_ab12…`).
    key: String,
    #[command(flatten)]
    json: JsonArg,
}

/// For each limit, `none` removes it; an option left out keeps its value.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The key id (`key_…`) or the start of its secret (`brvk_ab12…`).
    key: String,
    /// New label (`""` removes it).
    #[arg(long)]
    name: Option<String>,
    /// New allow-list, comma-separated; `all` allows every model.
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// New spending cap in US dollars, or `none`.
    #[arg(long, value_parser = clearable_usd)]
    budget_usd: Option<Clearable<f64>>,
    /// New budget period (keeps the amount): day, week, month or total.
    #[arg(long, value_parser = period)]
    budget_period: Option<BudgetPeriod>,
    /// Requests per minute, or `none`.
    #[arg(long, value_parser = clearable_count)]
    rpm: Option<Clearable<u64>>,
    /// Tokens per minute, or `none`.
    #[arg(long, value_parser = clearable_count)]
    tpm: Option<Clearable<u64>>,
    /// Calls in flight at once, or `none`.
    #[arg(long, value_parser = clearable_count)]
    max_concurrency: Option<Clearable<u64>>,
    /// New expiry (duration, date or RFC 3339 time), or `none` for never.
    #[arg(long)]
    expires: Option<String>,
    #[command(flatten)]
    json: JsonArg,
}

/// A new value for a setting, or `none` to remove it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clearable<T> {
    Set(T),
    Clear,
}

impl<T> Clearable<T> {
    fn into_option(self) -> Option<T> {
        match self {
            Clearable::Set(v) => Some(v),
            Clearable::Clear => None,
        }
    }
}

pub fn run(config: Option<&Path>, action: KeyAction) -> Result<ExitCode, String> {
    let now = Utc::now();
    match action {
        KeyAction::Create(args) => create(config, args, now),
        KeyAction::List(args) => with_storage(config, |s| async move {
            let keys = s.list_keys(args.user.as_deref()).await.map_err(describe)?;
            print_keys(&s, &keys, now, args.json.json).await
        }),
        KeyAction::Show(args) => with_storage(config, |s| async move {
            let key = s.get_key(&args.key).await.map_err(describe)?;
            print_key(&s, &key, now, args.json.json).await
        }),
        KeyAction::Update(args) => {
            let json = args.json.json;
            let key = args.key.clone();
            with_storage(config, |s| async move {
                let current = s.get_key(&key).await.map_err(describe)?;
                let update = key_update(args, current.limits.budget, now)?;
                let key = s.update_key(&current.id, update).await.map_err(describe)?;
                print_key(&s, &key, now, json).await
            })
        }
        KeyAction::Revoke(args) => with_storage(config, |s| async move {
            let key = s.revoke_key(&args.key).await.map_err(describe)?;
            print_key(&s, &key, now, args.json.json).await
        }),
        KeyAction::Rotate(args) => with_storage(config, |s| async move {
            let (key, secret) = s.rotate_key(&args.key).await.map_err(describe)?;
            print_secret(&key, &secret, "rotated", args.json.json)
        }),
    }
}

fn create(config: Option<&Path>, args: CreateArgs, now: DateTime<Utc>) -> Result<ExitCode, String> {
    let expires_at = args
        .expires
        .as_deref()
        .map(|e| future_instant(e, now))
        .transpose()?;
    let limits = KeyLimits {
        models: models(args.models),
        budget: args.budget_usd.map(|usd| Budget {
            usd,
            period: args.budget_period.unwrap_or(BudgetPeriod::Month),
        }),
        rpm: args.rpm,
        tpm: args.tpm,
        max_concurrency: args.max_concurrency,
        expires_at,
    };
    let new = NewKey {
        user_id: args.user,
        name: args.name.filter(|n| !n.is_empty()),
        limits,
    };
    with_storage(config, |s| async move {
        let (key, secret) = s.create_key(new).await.map_err(describe)?;
        print_secret(&key, &secret, "created", args.json.json)
    })
}

fn key_update(
    args: UpdateArgs,
    budget: Option<Budget>,
    now: DateTime<Utc>,
) -> Result<KeyUpdate, String> {
    let budget = match (args.budget_usd, args.budget_period) {
        (None, None) => None,
        (Some(Clearable::Clear), Some(_)) => {
            return Err(
                "--budget-period cannot be set while --budget-usd none removes the budget".into(),
            );
        }
        (Some(Clearable::Clear), None) => Some(None),
        (Some(Clearable::Set(usd)), period) => Some(Some(Budget {
            usd,
            period: period
                .or(budget.map(|b| b.period))
                .unwrap_or(BudgetPeriod::Month),
        })),
        (None, Some(period)) => match budget {
            Some(b) => Some(Some(Budget { usd: b.usd, period })),
            None => {
                return Err(
                    "the key has no budget to change the period of: give --budget-usd too".into(),
                );
            }
        },
    };
    let expires_at = match args.expires.as_deref() {
        None => None,
        Some("none" | "never") => Some(None),
        Some(text) => Some(Some(future_instant(text, now)?)),
    };
    Ok(KeyUpdate {
        name: args.name.map(|n| Some(n).filter(|n| !n.is_empty())),
        models: args.models.map(models),
        budget,
        rpm: args.rpm.map(Clearable::into_option),
        tpm: args.tpm.map(Clearable::into_option),
        max_concurrency: args.max_concurrency.map(Clearable::into_option),
        expires_at,
    })
}

/// The allow-list as stored: trimmed, empty entries dropped, `all` (or `*`) alone means every model.
fn models(list: Vec<String>) -> Vec<String> {
    let list: Vec<String> = list
        .into_iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if list.iter().all(|m| m == "all" || m == "*") {
        Vec::new()
    } else {
        list
    }
}

fn future_instant(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = time_args::instant_after(text, now).map_err(|e| format!("--expires: {e}"))?;
    if at <= now {
        return Err(format!(
            "--expires {text} is in the past ({}); give a later time",
            time_args::json(at)
        ));
    }
    Ok(at)
}

fn usd(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| format!("`{text}` is not an amount in US dollars (e.g. 25 or 2.50)"))?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("`{text}`: give an amount of 0 or more"))
    }
}

pub(crate) fn period(text: &str) -> Result<BudgetPeriod, String> {
    text.parse()
        .map_err(|e: bitrouter_storage::StorageError| e.to_string())
}

pub(crate) fn clearable_usd(text: &str) -> Result<Clearable<f64>, String> {
    if text == "none" {
        return Ok(Clearable::Clear);
    }
    usd(text).map(Clearable::Set)
}

fn clearable_count(text: &str) -> Result<Clearable<u64>, String> {
    if text == "none" {
        return Ok(Clearable::Clear);
    }
    text.parse()
        .map(Clearable::Set)
        .map_err(|_| format!("`{text}` is not a whole number (or `none` to remove the limit)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_trim_and_all_means_every_model() {
        assert_eq!(
            models(vec![" gpt-4o* ".into(), "".into(), "o3".into()]),
            vec!["gpt-4o*".to_owned(), "o3".to_owned()]
        );
        assert!(models(vec!["all".into()]).is_empty());
    }

    #[test]
    fn clearable_values() {
        assert_eq!(clearable_count("none").unwrap(), Clearable::Clear);
        assert_eq!(clearable_count("60").unwrap(), Clearable::Set(60));
        assert!(clearable_count("-1").unwrap_err().contains("whole number"));
        assert_eq!(clearable_usd("$2.5").unwrap(), Clearable::Set(2.5));
        assert!(usd("-3").is_err());
        assert!(usd("NaN").is_err());
    }

    #[test]
    fn past_expiry_is_refused() {
        let now = Utc::now();
        let err = future_instant("2001-01-01", now).unwrap_err();
        assert!(err.contains("in the past"), "{err}");
        assert!(future_instant("30d", now).unwrap() > now);
    }
}
