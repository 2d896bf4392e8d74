//! Key storage: create, verify, list, look up, update, revoke, rotate.

use chrono::{DateTime, Utc};
use sea_orm::QueryResult;
use sea_orm::sea_query::{Expr, Order, Query, SelectStatement, SimpleExpr};

use super::secret::{self, DISPLAY_PREFIX_LEN, SECRET_PREFIX};
use super::{Budget, KeyLimits, KeyRecord, KeyUpdate, NewKey, model_globs};
use crate::period::{from_millis, to_millis};
use crate::storage::{Storage, column, to_db_count};
use crate::tables::VirtualKeys as K;
use crate::{BudgetPeriod, StorageError};

const TABLE: &str = "virtual_keys";

const COLUMNS: [K; 15] = [
    K::Id,
    K::UserId,
    K::Name,
    K::Prefix,
    K::Models,
    K::BudgetUsd,
    K::BudgetPeriod,
    K::Rpm,
    K::Tpm,
    K::MaxConcurrency,
    K::ExpiresAt,
    K::RevokedAt,
    K::CreatedAt,
    K::RotatedFrom,
    K::KeyHash,
];

impl Storage {
    /// Creates a key for `new.user_id` (creating the user if needed) and returns the record and
    /// the secret. The secret is shown once: only its hash is kept.
    pub async fn create_key(&self, new: NewKey) -> Result<(KeyRecord, String), StorageError> {
        new.limits.validate()?;
        self.ensure_user(&new.user_id, None).await?;
        self.insert_key(new.user_id, new.name, new.limits, None)
            .await
    }

    async fn insert_key(
        &self,
        user_id: String,
        name: Option<String>,
        limits: KeyLimits,
        rotated_from: Option<String>,
    ) -> Result<(KeyRecord, String), StorageError> {
        let secret = secret::new_secret()?;
        let record = KeyRecord {
            id: format!("key_{}", secret::random_hex(8)?),
            user_id,
            name,
            prefix: secret::display_prefix(&secret),
            limits,
            created_at: now_millis(),
            revoked_at: None,
            rotated_from,
        };
        let hash = secret::hash_secret(&secret);
        let mut values = settings_values(&record.name, &record.limits);
        values.extend([
            record.id.clone().into(),
            record.user_id.clone().into(),
            record.prefix.clone().into(),
            Option::<i64>::None.into(),
            to_millis(record.created_at).into(),
            record.rotated_from.clone().into(),
            hash.into(),
        ]);
        let statement = Query::insert()
            .into_table(K::Table)
            .columns(SETTINGS_COLUMNS.into_iter().chain([
                K::Id,
                K::UserId,
                K::Prefix,
                K::RevokedAt,
                K::CreatedAt,
                K::RotatedFrom,
                K::KeyHash,
            ]))
            .values(values)
            .map_err(invalid_statement)?
            .to_owned();
        self.execute(&statement, "creating a key").await?;
        Ok((record, secret))
    }

    /// Looks a secret up. `Ok(None)` for an unknown secret; a revoked or expired key is returned
    /// so that the caller can tell why it is refused (see [`KeyRecord::state`]).
    pub async fn verify(&self, secret: &str) -> Result<Option<KeyRecord>, StorageError> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let hash = secret::hash_secret(secret);
        let statement = select()
            .and_where(Expr::col(K::KeyHash).eq(hash.clone()))
            .to_owned();
        let rows = self.query_all(&statement, "verifying a key").await?;
        for row in &rows {
            let stored: String = column(row, TABLE, "key_hash")?;
            if secret::hashes_equal(&stored, &hash) {
                return key_from_row(row).map(Some);
            }
        }
        Ok(None)
    }

    /// Every key, newest first; optionally only one user's.
    pub async fn list_keys(&self, user_id: Option<&str>) -> Result<Vec<KeyRecord>, StorageError> {
        let mut statement = select();
        if let Some(user) = user_id {
            statement.and_where(Expr::col(K::UserId).eq(user));
        }
        statement
            .order_by(K::CreatedAt, Order::Desc)
            .order_by(K::Id, Order::Asc);
        let rows = self.query_all(&statement, "listing keys").await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Finds a key by id (`key_…`) or by the start of its secret (`brvk_ab12…`, at least the
    /// `brvk_` and one more character).
    pub async fn get_key(&self, id_or_prefix: &str) -> Result<KeyRecord, StorageError> {
        let wanted = id_or_prefix.trim().trim_end_matches('…');
        let not_found = || StorageError::NotFound {
            what: "key",
            id: wanted.to_owned(),
        };
        let by_prefix = wanted.starts_with(SECRET_PREFIX) && wanted.len() > SECRET_PREFIX.len();
        let prefix: String = wanted.chars().take(DISPLAY_PREFIX_LEN).collect();
        let condition: SimpleExpr = if by_prefix {
            // A range instead of LIKE: `_` is a LIKE wildcard and SQLite has no default escape.
            Expr::col(K::Prefix)
                .gte(prefix.clone())
                .and(Expr::col(K::Prefix).lt(format!("{prefix}~")))
        } else {
            Expr::col(K::Id).eq(wanted)
        };
        let statement = select().and_where(condition).to_owned();
        let rows = self.query_all(&statement, "looking up a key").await?;
        let mut matches = Vec::new();
        for row in &rows {
            let key = key_from_row(row)?;
            if (by_prefix && key.prefix.starts_with(&prefix)) || key.id == wanted {
                matches.push(key);
            }
        }
        match matches.len() {
            0 => Err(not_found()),
            1 => Ok(matches.remove(0)),
            _ => Err(StorageError::AmbiguousPrefix(wanted.to_owned())),
        }
    }

    /// Changes a key's settings and returns the updated record.
    pub async fn update_key(
        &self,
        id_or_prefix: &str,
        update: KeyUpdate,
    ) -> Result<KeyRecord, StorageError> {
        let mut key = self.get_key(id_or_prefix).await?;
        update.apply(&mut key.limits, &mut key.name);
        key.limits.validate()?;
        let statement = Query::update()
            .table(K::Table)
            .values(
                SETTINGS_COLUMNS
                    .into_iter()
                    .zip(settings_values(&key.name, &key.limits)),
            )
            .and_where(Expr::col(K::Id).eq(key.id.clone()))
            .to_owned();
        self.execute(&statement, "updating a key").await?;
        Ok(key)
    }

    /// Revokes a key (from now on [`Storage::verify`] reports it revoked). Revoking twice keeps
    /// the first time.
    pub async fn revoke_key(&self, id_or_prefix: &str) -> Result<KeyRecord, StorageError> {
        let mut key = self.get_key(id_or_prefix).await?;
        if key.revoked_at.is_none() {
            let at = now_millis();
            let statement = Query::update()
                .table(K::Table)
                .value(K::RevokedAt, to_millis(at))
                .and_where(Expr::col(K::Id).eq(key.id.clone()))
                .and_where(Expr::col(K::RevokedAt).is_null())
                .to_owned();
            self.execute(&statement, "revoking a key").await?;
            key.revoked_at = Some(at);
        }
        Ok(key)
    }

    /// Replaces a key with a new secret and the same settings: the old key is revoked and the new
    /// one records `rotated_from`. Returns the new record and its secret.
    pub async fn rotate_key(
        &self,
        id_or_prefix: &str,
    ) -> Result<(KeyRecord, String), StorageError> {
        let old = self.get_key(id_or_prefix).await?;
        if let Some(at) = old.revoked_at {
            return Err(StorageError::Invalid {
                field: "key",
                reason: format!("`{}` was revoked at {at}; create a new key instead", old.id),
            });
        }
        let created = self
            .insert_key(
                old.user_id.clone(),
                old.name.clone(),
                old.limits.clone(),
                Some(old.id.clone()),
            )
            .await?;
        self.revoke_key(&old.id).await?;
        Ok(created)
    }
}

const SETTINGS_COLUMNS: [K; 8] = [
    K::Name,
    K::Models,
    K::BudgetUsd,
    K::BudgetPeriod,
    K::Rpm,
    K::Tpm,
    K::MaxConcurrency,
    K::ExpiresAt,
];

fn settings_values(name: &Option<String>, limits: &KeyLimits) -> Vec<SimpleExpr> {
    let limit = |v: Option<u64>| v.map(to_db_count);
    vec![
        name.clone().into(),
        model_globs::encode(&limits.models).into(),
        limits.budget.map(|b| b.usd).into(),
        limits.budget.map(|b| b.period.as_str().to_owned()).into(),
        limit(limits.rpm).into(),
        limit(limits.tpm).into(),
        limit(limits.max_concurrency).into(),
        limits.expires_at.map(to_millis).into(),
    ]
}

fn select() -> SelectStatement {
    Query::select().columns(COLUMNS).from(K::Table).to_owned()
}

fn key_from_row(row: &QueryResult) -> Result<KeyRecord, StorageError> {
    let limit = |name: &str| -> Result<Option<u64>, StorageError> {
        let value: Option<i64> = column(row, TABLE, name)?;
        Ok(value.map(|v| u64::try_from(v).unwrap_or(0)))
    };
    let millis = |name: &str| -> Result<Option<DateTime<Utc>>, StorageError> {
        Ok(column::<Option<i64>>(row, TABLE, name)?.map(from_millis))
    };
    let budget_usd: Option<f64> = column(row, TABLE, "budget_usd")?;
    let period: Option<String> = column(row, TABLE, "budget_period")?;
    let budget = match (budget_usd, period) {
        (Some(usd), Some(period)) => Some(Budget {
            usd,
            period: period.parse::<BudgetPeriod>()?,
        }),
        _ => None,
    };
    Ok(KeyRecord {
        id: column(row, TABLE, "id")?,
        user_id: column(row, TABLE, "user_id")?,
        name: column(row, TABLE, "name")?,
        prefix: column(row, TABLE, "prefix")?,
        limits: KeyLimits {
            models: model_globs::decode(column(row, TABLE, "models")?)?,
            budget,
            rpm: limit("rpm")?,
            tpm: limit("tpm")?,
            max_concurrency: limit("max_concurrency")?,
            expires_at: millis("expires_at")?,
        },
        created_at: from_millis(column(row, TABLE, "created_at")?),
        revoked_at: millis("revoked_at")?,
        rotated_from: column(row, TABLE, "rotated_from")?,
    })
}

/// Now, truncated to the millisecond precision the database keeps, so that records returned
/// before and after a round trip compare equal.
pub(crate) fn now_millis() -> DateTime<Utc> {
    from_millis(to_millis(Utc::now()))
}

pub(crate) fn invalid_statement(e: sea_orm::sea_query::error::Error) -> StorageError {
    StorageError::Invalid {
        field: "statement",
        reason: e.to_string(),
    }
}
