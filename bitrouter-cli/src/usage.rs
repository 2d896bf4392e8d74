//! `bitrouter usage` and `bitrouter logs`: queries on the request ledger, read straight from the
//! database (the daemon need not run).

use std::path::Path;
use std::process::ExitCode;

use bitrouter_storage::{LedgerRecord, LogQuery, UsageGroup, UsageReport, UsageRow};
use chrono::Utc;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::db::{describe, with_storage};
use crate::table::{Align, Table, cell, usd};
use crate::{JsonArg, time_args};

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// How far back: a duration (24h, 7d, 90m), a date (2026-01-01) or an RFC 3339 time.
    #[arg(long, default_value = "24h")]
    since: String,
    /// What each row totals.
    #[arg(long, value_enum, default_value_t = By::Model)]
    by: By,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// How many calls, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u64,
    /// Only calls made with this key (id `key_…` or the start of its secret `brvk_…`).
    #[arg(long)]
    key: Option<String>,
    /// Only calls made by this user.
    #[arg(long)]
    user: Option<String>,
    /// Only calls since then: a duration (24h), a date or an RFC 3339 time.
    #[arg(long)]
    since: Option<String>,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum By {
    Key,
    User,
    Model,
    Provider,
    Day,
}

impl By {
    fn group(self) -> UsageGroup {
        match self {
            By::Key => UsageGroup::Key,
            By::User => UsageGroup::User,
            By::Model => UsageGroup::Model,
            By::Provider => UsageGroup::Provider,
            By::Day => UsageGroup::Day,
        }
    }

    fn name(self) -> &'static str {
        match self {
            By::Key => "key",
            By::User => "user",
            By::Model => "model",
            By::Provider => "provider",
            By::Day => "day",
        }
    }
}

pub fn usage(config: Option<&Path>, args: UsageArgs) -> Result<ExitCode, String> {
    let since =
        time_args::instant_before(&args.since, Utc::now()).map_err(|e| format!("--since: {e}"))?;
    with_storage(config, |s| async move {
        let report = s.usage(since, args.by.group()).await.map_err(describe)?;
        if args.json.json {
            let out = json!({
                "since": time_args::json(since),
                "by": args.by.name(),
                "rows": report.rows.iter().map(row_json).collect::<Vec<_>>(),
                "totals": row_json(&report.totals),
            });
            println!("{out}");
        } else {
            print_usage(&report, args.by, since);
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn row_json(row: &UsageRow) -> Value {
    json!({
        "group": row.group,
        "requests": row.requests,
        "input_tokens": row.input_tokens,
        "cached_input_tokens": row.cached_input_tokens,
        "cache_write_tokens": row.cache_write_tokens,
        "output_tokens": row.output_tokens,
        "reasoning_tokens": row.reasoning_tokens,
        "cost_usd": row.cost_usd,
    })
}

fn print_usage(report: &UsageReport, by: By, since: chrono::DateTime<Utc>) {
    println!("since {}", time_args::human(since));
    if report.rows.is_empty() {
        println!("no calls in this period");
        return;
    }
    let mut table = Table::new(&[
        (by_header(by), Align::Left),
        ("REQUESTS", Align::Right),
        ("INPUT", Align::Right),
        ("CACHED", Align::Right),
        ("OUTPUT", Align::Right),
        ("REASONING", Align::Right),
        ("COST", Align::Right),
    ]);
    let line = |label: String, r: &UsageRow| {
        vec![
            label,
            r.requests.to_string(),
            r.input_tokens.to_string(),
            r.cached_input_tokens.to_string(),
            r.output_tokens.to_string(),
            r.reasoning_tokens.to_string(),
            usd(r.cost_usd),
        ]
    };
    for row in &report.rows {
        let label = row.group.clone().unwrap_or_else(|| "(none)".to_owned());
        table.row(line(label, row));
    }
    table.row(line("TOTAL".to_owned(), &report.totals));
    print!("{}", table.render());
}

fn by_header(by: By) -> &'static str {
    match by {
        By::Key => "KEY",
        By::User => "USER",
        By::Model => "MODEL",
        By::Provider => "PROVIDER",
        By::Day => "DAY",
    }
}

pub fn logs(config: Option<&Path>, args: LogsArgs) -> Result<ExitCode, String> {
    let since = args
        .since
        .as_deref()
        .map(|s| time_args::instant_before(s, Utc::now()).map_err(|e| format!("--since: {e}")))
        .transpose()?;
    with_storage(config, |s| async move {
        let key_id = match &args.key {
            Some(k) => Some(s.get_key(k).await.map_err(describe)?.id),
            None => None,
        };
        let query = LogQuery {
            limit: args.limit,
            key_id,
            user_id: args.user,
            since,
        };
        let records = s.logs(&query).await.map_err(describe)?;
        if args.json.json {
            let list: Vec<Value> = records.iter().map(record_json).collect();
            println!("{}", Value::Array(list));
        } else {
            print_logs(&records);
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn record_json(r: &LedgerRecord) -> Value {
    json!({
        "request_id": r.request_id,
        "created_at": time_args::json(r.created_at),
        "key_id": r.key_id,
        "user_id": r.user_id,
        "requested_model": r.requested_model,
        "provider": r.provider,
        "upstream_model": r.upstream_model,
        "client_protocol": r.client_protocol,
        "upstream_protocol": r.upstream_protocol,
        "status": r.status,
        "error": r.error,
        "input_tokens": r.input_tokens,
        "cached_input_tokens": r.cached_input_tokens,
        "cache_write_tokens": r.cache_write_tokens,
        "output_tokens": r.output_tokens,
        "reasoning_tokens": r.reasoning_tokens,
        "cost_usd": r.cost_usd,
        "latency_ms": r.latency_ms,
        "ttft_ms": r.ttft_ms,
        "streamed": r.streamed,
        "fallback_attempts": r.fallback_attempts,
    })
}

fn print_logs(records: &[LedgerRecord]) {
    if records.is_empty() {
        println!("no calls recorded");
        return;
    }
    let mut table = Table::new(&[
        ("TIME", Align::Left),
        ("REQUEST", Align::Left),
        ("KEY", Align::Left),
        ("MODEL", Align::Left),
        ("PROVIDER", Align::Left),
        ("STATUS", Align::Right),
        ("IN", Align::Right),
        ("OUT", Align::Right),
        ("COST", Align::Right),
        ("LATENCY", Align::Right),
    ]);
    for r in records {
        table.row(vec![
            time_args::human(r.created_at),
            r.request_id.clone(),
            cell(r.key_id.as_deref()),
            r.requested_model.clone(),
            cell(r.provider.as_deref()),
            r.status.to_string(),
            r.input_tokens.to_string(),
            r.output_tokens.to_string(),
            usd(r.cost_usd),
            format!("{}ms", r.latency_ms),
        ]);
    }
    print!("{}", table.render());
}
