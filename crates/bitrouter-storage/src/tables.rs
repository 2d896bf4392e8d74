//! Table and column names, shared by the migrations and the queries.
//!
//! Times are stored as milliseconds since the Unix epoch (`BIGINT`) on every backend so that
//! comparisons and sums behave the same on SQLite, PostgreSQL and MySQL.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Name,
    BudgetUsd,
    BudgetPeriod,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum VirtualKeys {
    Table,
    Id,
    UserId,
    Name,
    KeyHash,
    Prefix,
    Models,
    BudgetUsd,
    BudgetPeriod,
    Rpm,
    Tpm,
    MaxConcurrency,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
    RotatedFrom,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Requests {
    Table,
    Id,
    RequestId,
    KeyId,
    UserId,
    RequestedModel,
    Provider,
    UpstreamModel,
    ClientProtocol,
    UpstreamProtocol,
    Status,
    Error,
    InputTokens,
    CachedInputTokens,
    CacheWriteTokens,
    OutputTokens,
    ReasoningTokens,
    CostUsd,
    LatencyMs,
    TtftMs,
    Streamed,
    FallbackAttempts,
    Day,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum GuardrailFindings {
    Table,
    Id,
    RequestId,
    Rule,
    Action,
    Direction,
    CreatedAt,
}
