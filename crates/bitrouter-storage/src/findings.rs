//! Guardrail findings: what a guardrail flagged on a call (filled in by a later issue).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order, Query};

use crate::StorageError;
use crate::keys::invalid_statement;
use crate::period::{from_millis, to_millis};
use crate::storage::{Storage, column};
use crate::tables::GuardrailFindings as G;

const TABLE: &str = "guardrail_findings";

/// One rule that fired on one call.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailFinding {
    /// The call's request id.
    pub request_id: String,
    /// The rule's name.
    pub rule: String,
    /// What was done: `block`, `redact`, `log`.
    pub action: String,
    /// `request` or `response`.
    pub direction: String,
    /// When it fired.
    pub created_at: DateTime<Utc>,
}

impl Storage {
    /// Stores findings in one statement.
    pub async fn record_findings(&self, findings: &[GuardrailFinding]) -> Result<(), StorageError> {
        if findings.is_empty() {
            return Ok(());
        }
        let mut statement = Query::insert();
        statement.into_table(G::Table).columns([
            G::RequestId,
            G::Rule,
            G::Action,
            G::Direction,
            G::CreatedAt,
        ]);
        for f in findings {
            statement
                .values([
                    f.request_id.clone().into(),
                    f.rule.clone().into(),
                    f.action.clone().into(),
                    f.direction.clone().into(),
                    to_millis(f.created_at).into(),
                ])
                .map_err(invalid_statement)?;
        }
        self.execute(&statement, "recording guardrail findings")
            .await?;
        Ok(())
    }

    /// The findings of one call, in the order they were stored.
    pub async fn findings(&self, request_id: &str) -> Result<Vec<GuardrailFinding>, StorageError> {
        let statement = Query::select()
            .columns([G::RequestId, G::Rule, G::Action, G::Direction, G::CreatedAt])
            .from(G::Table)
            .and_where(Expr::col(G::RequestId).eq(request_id))
            .order_by(G::Id, Order::Asc)
            .to_owned();
        let rows = self
            .query_all(&statement, "reading guardrail findings")
            .await?;
        rows.iter()
            .map(|row| {
                Ok(GuardrailFinding {
                    request_id: column(row, TABLE, "request_id")?,
                    rule: column(row, TABLE, "rule")?,
                    action: column(row, TABLE, "action")?,
                    direction: column(row, TABLE, "direction")?,
                    created_at: from_millis(column(row, TABLE, "created_at")?),
                })
            })
            .collect()
    }
}
