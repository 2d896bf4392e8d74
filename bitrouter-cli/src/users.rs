//! `bitrouter user list` and `bitrouter user budget`: users group keys and can carry a budget of
//! their own, over all of their keys.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use bitrouter_storage::{Budget, BudgetPeriod, KeyState, SpendScope, Storage, User};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::db::{describe, with_storage};
use crate::key_view::{budget, budget_json};
use crate::keys::Clearable;
use crate::table::{Align, Table, cell};
use crate::{JsonArg, time_args};

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// List users with their key counts and budgets.
    List(JsonArg),
    /// Set or remove a user's own budget (the user is created if new).
    Budget(BudgetArgs),
}

#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// The user id.
    user: String,
    /// The cap in US dollars over all of the user's keys, or `none` to remove it.
    #[arg(long, value_parser = crate::keys::clearable_usd)]
    budget_usd: Clearable<f64>,
    /// When the budget starts over: day, week, month or total (default month).
    #[arg(long, value_parser = crate::keys::period)]
    budget_period: Option<BudgetPeriod>,
    #[command(flatten)]
    json: JsonArg,
}

pub fn run(config: Option<&Path>, action: UserAction) -> Result<ExitCode, String> {
    let now = Utc::now();
    match action {
        UserAction::List(args) => with_storage(config, |s| async move {
            let users = s.list_users().await.map_err(describe)?;
            let mut active: HashMap<String, usize> = HashMap::new();
            for key in s.list_keys(None).await.map_err(describe)? {
                if key.state(now) == KeyState::Active {
                    *active.entry(key.user_id).or_default() += 1;
                }
            }
            let mut rows = Vec::with_capacity(users.len());
            for user in users {
                let spent = spent(&s, &user, now).await?;
                let keys = active.get(&user.id).copied().unwrap_or(0);
                rows.push((user, keys, spent));
            }
            print_users(&rows, args.json)
        }),
        UserAction::Budget(args) => {
            let budget = match (args.budget_usd, args.budget_period) {
                (Clearable::Clear, Some(_)) => {
                    return Err(
                        "--budget-period cannot be set while --budget-usd none removes the budget"
                            .into(),
                    );
                }
                (Clearable::Clear, None) => None,
                (Clearable::Set(usd), period) => Some(Budget {
                    usd,
                    period: period.unwrap_or(BudgetPeriod::Month),
                }),
            };
            with_storage(config, |s| async move {
                s.ensure_user(&args.user, None).await.map_err(describe)?;
                let user = s
                    .set_user_budget(&args.user, budget)
                    .await
                    .map_err(describe)?;
                let spent = spent(&s, &user, now).await?;
                if args.json.json {
                    println!("{}", user_json(&user, None, spent));
                } else {
                    println!(
                        "user {}: budget {}",
                        user.id,
                        self::budget(user.budget, spent)
                    );
                }
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}

async fn spent(storage: &Storage, user: &User, now: DateTime<Utc>) -> Result<Option<f64>, String> {
    match user.budget {
        Some(b) => storage
            .spent(SpendScope::User(&user.id), b.period.start(now))
            .await
            .map(Some)
            .map_err(describe),
        None => Ok(None),
    }
}

fn user_json(user: &User, active_keys: Option<usize>, spent: Option<f64>) -> Value {
    let mut out = json!({
        "id": user.id,
        "name": user.name,
        "budget": budget_json(user.budget, spent),
        "created_at": time_args::json(user.created_at),
    });
    if let (Some(n), Some(map)) = (active_keys, out.as_object_mut()) {
        map.insert("active_keys".into(), n.into());
    }
    out
}

fn print_users(rows: &[(User, usize, Option<f64>)], json: bool) -> Result<ExitCode, String> {
    if json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(u, n, s)| user_json(u, Some(*n), *s))
            .collect();
        println!("{}", Value::Array(list));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no users yet: `bitrouter key create --user <id>` creates one with its first key");
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("NAME", Align::Left),
        ("ACTIVE KEYS", Align::Right),
        ("BUDGET", Align::Right),
        ("CREATED", Align::Left),
    ]);
    for (user, keys, spent) in rows {
        table.row(vec![
            user.id.clone(),
            cell(user.name.as_deref()),
            keys.to_string(),
            budget(user.budget, *spent),
            time_args::human(user.created_at),
        ]);
    }
    print!("{}", table.render());
    Ok(ExitCode::SUCCESS)
}
