//! One ledger row per call, and the batched insert.

use bitrouter_core::Usage;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult, TransactionTrait};

use crate::StorageError;
use crate::keys::{invalid_statement, now_millis};
use crate::period::{from_millis, to_millis};
use crate::storage::{Storage, column, count_column, to_db_count};
use crate::tables::Requests as R;

pub(crate) const TABLE: &str = "requests";

/// What happened on one call through the gateway.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LedgerRecord {
    /// The gateway's request id (`x-request-id`).
    pub request_id: String,
    /// The virtual key used, if any.
    pub key_id: Option<String>,
    /// The key's user, if any.
    pub user_id: Option<String>,
    /// The model name the client asked for.
    pub requested_model: String,
    /// The provider that answered (or last failed).
    pub provider: Option<String>,
    /// The model name sent upstream.
    pub upstream_model: Option<String>,
    /// The protocol the client spoke (`openai_chat`, …).
    pub client_protocol: String,
    /// The protocol the upstream spoke.
    pub upstream_protocol: Option<String>,
    /// The HTTP status returned to the client.
    pub status: u16,
    /// The error message, for failed calls.
    pub error: Option<String>,
    /// All prompt tokens, cached and cache-write ones included.
    pub input_tokens: u64,
    /// Prompt tokens read from the upstream's cache.
    pub cached_input_tokens: u64,
    /// Prompt tokens written to the upstream's cache.
    pub cache_write_tokens: u64,
    /// All generated tokens, reasoning included.
    pub output_tokens: u64,
    /// Generated tokens spent on reasoning.
    pub reasoning_tokens: u64,
    /// What the call cost, in US dollars.
    pub cost_usd: f64,
    /// From request received to response complete, in milliseconds.
    pub latency_ms: u64,
    /// Time to the first streamed byte, in milliseconds (streams only).
    pub ttft_ms: Option<u64>,
    /// Whether the answer was streamed.
    pub streamed: bool,
    /// How many fallback targets were tried after the first.
    pub fallback_attempts: u32,
    /// When the call was received.
    pub created_at: DateTime<Utc>,
}

impl LedgerRecord {
    /// A record for a call received now; fill in the rest with struct update syntax.
    pub fn now(request_id: impl Into<String>, requested_model: impl Into<String>) -> LedgerRecord {
        LedgerRecord {
            request_id: request_id.into(),
            requested_model: requested_model.into(),
            created_at: now_millis(),
            ..LedgerRecord::default()
        }
    }

    /// Copies the token counts of a canonical [`Usage`].
    pub fn set_usage(&mut self, usage: &Usage) {
        self.input_tokens = usage.input_tokens;
        self.cached_input_tokens = usage.cached_input_tokens;
        self.cache_write_tokens = usage.cache_write_tokens;
        self.output_tokens = usage.output_tokens;
        self.reasoning_tokens = usage.reasoning_tokens;
    }
}

/// A record with the row id it is stored under. The id is minted when the record is queued, so
/// that retrying a batch whose commit outcome was unknown never writes a row twice.
#[derive(Debug, Clone)]
pub(crate) struct QueuedRecord {
    pub(crate) row_id: String,
    pub(crate) record: LedgerRecord,
}

const COLUMNS: [R; 23] = [
    R::Id,
    R::RequestId,
    R::KeyId,
    R::UserId,
    R::RequestedModel,
    R::Provider,
    R::UpstreamModel,
    R::ClientProtocol,
    R::UpstreamProtocol,
    R::Status,
    R::Error,
    R::InputTokens,
    R::CachedInputTokens,
    R::CacheWriteTokens,
    R::OutputTokens,
    R::ReasoningTokens,
    R::CostUsd,
    R::LatencyMs,
    R::TtftMs,
    R::Streamed,
    R::FallbackAttempts,
    R::Day,
    R::CreatedAt,
];

pub(crate) fn select_columns() -> [R; 22] {
    let mut out = [R::RequestId; 22];
    out.copy_from_slice(&COLUMNS[1..]);
    out
}

fn values(queued: &QueuedRecord) -> Vec<SimpleExpr> {
    let r = &queued.record;
    vec![
        queued.row_id.clone().into(),
        r.request_id.clone().into(),
        r.key_id.clone().into(),
        r.user_id.clone().into(),
        r.requested_model.clone().into(),
        r.provider.clone().into(),
        r.upstream_model.clone().into(),
        r.client_protocol.clone().into(),
        r.upstream_protocol.clone().into(),
        i32::from(r.status).into(),
        r.error.clone().into(),
        to_db_count(r.input_tokens).into(),
        to_db_count(r.cached_input_tokens).into(),
        to_db_count(r.cache_write_tokens).into(),
        to_db_count(r.output_tokens).into(),
        to_db_count(r.reasoning_tokens).into(),
        r.cost_usd.into(),
        to_db_count(r.latency_ms).into(),
        r.ttft_ms.map(to_db_count).into(),
        r.streamed.into(),
        i32::try_from(r.fallback_attempts)
            .unwrap_or(i32::MAX)
            .into(),
        r.created_at.format("%Y-%m-%d").to_string().into(),
        to_millis(r.created_at).into(),
    ]
}

/// Rows per INSERT statement: well below the bound-parameter limits (SQLite 32766, PostgreSQL
/// 65535) at 23 columns.
const ROWS_PER_STATEMENT: usize = 500;

impl Storage {
    /// Writes records in one transaction with multi-row inserts; rows already present (same row
    /// id) are skipped, so a retried batch is written once.
    pub(crate) async fn insert_ledger_batch(
        &self,
        batch: &[QueuedRecord],
    ) -> Result<(), StorageError> {
        let txn = self
            .db
            .begin()
            .await
            .map_err(StorageError::query("starting a ledger batch"))?;
        if let Err(error) = insert_chunks(&txn, batch).await {
            // Give the connection back clean (and release locks) before the batch is retried.
            let _ = txn.rollback().await;
            return Err(error);
        }
        txn.commit()
            .await
            .map_err(StorageError::query("committing a ledger batch"))
    }
}

async fn insert_chunks(
    txn: &DatabaseTransaction,
    batch: &[QueuedRecord],
) -> Result<(), StorageError> {
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut statement = Query::insert();
        statement.into_table(R::Table).columns(COLUMNS);
        for queued in chunk {
            statement
                .values(values(queued))
                .map_err(invalid_statement)?;
        }
        statement.on_conflict(OnConflict::column(R::Id).do_nothing_on([R::Id]).to_owned());
        let built = txn.get_database_backend().build(&statement);
        txn.execute(built)
            .await
            .map_err(StorageError::query("writing ledger rows"))?;
    }
    Ok(())
}

/// Decodes a row selected with [`select_columns`].
pub(crate) fn record_from_row(row: &QueryResult) -> Result<LedgerRecord, StorageError> {
    let optional_count = |name: &str| -> Result<Option<u64>, StorageError> {
        let value: Option<i64> = column(row, TABLE, name)?;
        Ok(value.map(|v| u64::try_from(v).unwrap_or(0)))
    };
    let status: i32 = column(row, TABLE, "status")?;
    let attempts: i32 = column(row, TABLE, "fallback_attempts")?;
    Ok(LedgerRecord {
        request_id: column(row, TABLE, "request_id")?,
        key_id: column(row, TABLE, "key_id")?,
        user_id: column(row, TABLE, "user_id")?,
        requested_model: column(row, TABLE, "requested_model")?,
        provider: column(row, TABLE, "provider")?,
        upstream_model: column(row, TABLE, "upstream_model")?,
        client_protocol: column(row, TABLE, "client_protocol")?,
        upstream_protocol: column(row, TABLE, "upstream_protocol")?,
        status: u16::try_from(status).unwrap_or(0),
        error: column(row, TABLE, "error")?,
        input_tokens: count_column(row, TABLE, "input_tokens")?,
        cached_input_tokens: count_column(row, TABLE, "cached_input_tokens")?,
        cache_write_tokens: count_column(row, TABLE, "cache_write_tokens")?,
        output_tokens: count_column(row, TABLE, "output_tokens")?,
        reasoning_tokens: count_column(row, TABLE, "reasoning_tokens")?,
        cost_usd: column(row, TABLE, "cost_usd")?,
        latency_ms: count_column(row, TABLE, "latency_ms")?,
        ttft_ms: optional_count("ttft_ms")?,
        streamed: column(row, TABLE, "streamed")?,
        fallback_attempts: u32::try_from(attempts).unwrap_or(0),
        created_at: from_millis(column(row, TABLE, "created_at")?),
    })
}
