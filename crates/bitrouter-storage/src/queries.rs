//! Read side of the ledger: usage totals, recent calls, and spend for budgets.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult};

use crate::StorageError;
use crate::ledger::{LedgerRecord, TABLE, record_from_row, select_columns};
use crate::period::to_millis;
use crate::storage::{Storage, column, count_column};
use crate::tables::Requests as R;

/// What `usage` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageGroup {
    /// Virtual key id.
    Key,
    /// User id.
    User,
    /// The model name the client asked for.
    Model,
    /// The provider that answered.
    Provider,
    /// UTC calendar day, `YYYY-MM-DD`.
    Day,
}

impl UsageGroup {
    fn column(self) -> R {
        match self {
            UsageGroup::Key => R::KeyId,
            UsageGroup::User => R::UserId,
            UsageGroup::Model => R::RequestedModel,
            UsageGroup::Provider => R::Provider,
            UsageGroup::Day => R::Day,
        }
    }
}

/// Totals for one group (or for everything).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageRow {
    /// The group's value; `None` for calls without one (e.g. no key).
    pub group: Option<String>,
    /// Calls.
    pub requests: u64,
    /// Prompt tokens, cached ones included.
    pub input_tokens: u64,
    /// Prompt tokens read from cache.
    pub cached_input_tokens: u64,
    /// Prompt tokens written to cache.
    pub cache_write_tokens: u64,
    /// Generated tokens, reasoning included.
    pub output_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
}

/// The answer to a usage query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageReport {
    /// One row per group, ordered by group.
    pub rows: Vec<UsageRow>,
    /// Everything in the period.
    pub totals: UsageRow,
}

/// Which calls `logs` returns.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// At most this many, newest first.
    pub limit: u64,
    /// Only calls made with this key id.
    pub key_id: Option<String>,
    /// Only calls made by this user.
    pub user_id: Option<String>,
    /// Only calls received at or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// Whose spend to sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendScope<'a> {
    /// One virtual key.
    Key(&'a str),
    /// All of a user's calls.
    User(&'a str),
}

const TOKEN_COLUMNS: [&str; 5] = [
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
];

impl Storage {
    /// Totals of calls received since `since`, grouped, with overall totals.
    pub async fn usage(
        &self,
        since: DateTime<Utc>,
        group_by: UsageGroup,
    ) -> Result<UsageReport, StorageError> {
        let mut grouped = self.aggregate(since);
        grouped
            .expr_as(Expr::col(group_by.column()), Alias::new("grp"))
            .group_by_col(group_by.column())
            .order_by(group_by.column(), Order::Asc);
        let rows = self.query_all(&grouped, "summing usage").await?;
        let rows = rows
            .iter()
            .map(|row| {
                let mut usage = usage_from_row(row)?;
                usage.group = column(row, TABLE, "grp")?;
                Ok(usage)
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let totals = self
            .query_all(&self.aggregate(since), "summing usage")
            .await?;
        let totals = match totals.first() {
            Some(row) => usage_from_row(row)?,
            None => UsageRow::default(),
        };
        Ok(UsageReport { rows, totals })
    }

    /// Recent calls, newest first.
    pub async fn logs(&self, query: &LogQuery) -> Result<Vec<LedgerRecord>, StorageError> {
        let mut statement = Query::select();
        statement
            .columns(select_columns())
            .from(R::Table)
            .order_by(R::CreatedAt, Order::Desc)
            .order_by(R::Id, Order::Desc)
            .limit(query.limit);
        if let Some(key) = &query.key_id {
            statement.and_where(Expr::col(R::KeyId).eq(key.as_str()));
        }
        if let Some(user) = &query.user_id {
            statement.and_where(Expr::col(R::UserId).eq(user.as_str()));
        }
        if let Some(since) = query.since {
            statement.and_where(Expr::col(R::CreatedAt).gte(to_millis(since)));
        }
        let rows = self.query_all(&statement, "reading the ledger").await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Dollars spent by a key or user on calls received since `since` (see
    /// [`BudgetPeriod::start`](crate::BudgetPeriod::start)). Only written records count: records
    /// still queued in a [`LedgerHandle`](crate::LedgerHandle) are not included.
    pub async fn spent(
        &self,
        scope: SpendScope<'_>,
        since: DateTime<Utc>,
    ) -> Result<f64, StorageError> {
        let condition = match scope {
            SpendScope::Key(id) => Expr::col(R::KeyId).eq(id),
            SpendScope::User(id) => Expr::col(R::UserId).eq(id),
        };
        let statement = Query::select()
            .expr_as(
                Expr::cust("COALESCE(SUM(cost_usd), 0.0)"),
                Alias::new("cost_usd"),
            )
            .from(R::Table)
            .and_where(condition)
            .and_where(Expr::col(R::CreatedAt).gte(to_millis(since)))
            .to_owned();
        let rows = self.query_all(&statement, "summing spend").await?;
        match rows.first() {
            Some(row) => Ok(column::<Option<f64>>(row, TABLE, "cost_usd")?.unwrap_or(0.0)),
            None => Ok(0.0),
        }
    }

    fn aggregate(&self, since: DateTime<Utc>) -> SelectStatement {
        let backend = self.db.get_database_backend();
        let mut statement = Query::select();
        statement
            .from(R::Table)
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("requests"))
            .expr_as(
                Expr::cust("COALESCE(SUM(cost_usd), 0.0)"),
                Alias::new("cost_usd"),
            )
            .and_where(Expr::col(R::CreatedAt).gte(to_millis(since)));
        for name in TOKEN_COLUMNS {
            statement.expr_as(integer_sum(backend, name), Alias::new(name));
        }
        statement
    }
}

/// `SUM` of a `BIGINT` column as a `BIGINT`: PostgreSQL returns `NUMERIC` and MySQL `DECIMAL`
/// for such sums, which have to be cast back to decode as integers.
fn integer_sum(backend: DatabaseBackend, name: &str) -> SimpleExpr {
    let ty = match backend {
        DatabaseBackend::MySql => "SIGNED",
        DatabaseBackend::Postgres => "BIGINT",
        DatabaseBackend::Sqlite => "INTEGER",
    };
    Expr::cust(format!("CAST(COALESCE(SUM({name}), 0) AS {ty})"))
}

fn usage_from_row(row: &QueryResult) -> Result<UsageRow, StorageError> {
    Ok(UsageRow {
        group: None,
        requests: count_column(row, TABLE, "requests")?,
        input_tokens: count_column(row, TABLE, "input_tokens")?,
        cached_input_tokens: count_column(row, TABLE, "cached_input_tokens")?,
        cache_write_tokens: count_column(row, TABLE, "cache_write_tokens")?,
        output_tokens: count_column(row, TABLE, "output_tokens")?,
        reasoning_tokens: count_column(row, TABLE, "reasoning_tokens")?,
        cost_usd: column::<Option<f64>>(row, TABLE, "cost_usd")?.unwrap_or(0.0),
    })
}
