//! Users: they group keys and can carry a budget of their own.

use chrono::{DateTime, Utc};
use sea_orm::QueryResult;
use sea_orm::sea_query::{Expr, OnConflict, Order, Query};

use crate::keys::Budget;
use crate::keys::{invalid_statement, now_millis};
use crate::period::{from_millis, to_millis};
use crate::storage::{Storage, column};
use crate::tables::Users as U;
use crate::{BudgetPeriod, StorageError};

const TABLE: &str = "users";

/// A stored user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The id given when the user was created, e.g. `alice` or `team-search`.
    pub id: String,
    /// A display name.
    pub name: Option<String>,
    /// The user's own spending cap, over all of its keys.
    pub budget: Option<Budget>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Storage {
    /// Returns the user, creating it first if it does not exist. A `name` given for an existing
    /// user replaces the stored one.
    pub async fn ensure_user(&self, id: &str, name: Option<&str>) -> Result<User, StorageError> {
        validate_id(id)?;
        let insert = Query::insert()
            .into_table(U::Table)
            .columns([U::Id, U::Name, U::CreatedAt])
            .values([
                id.into(),
                name.map(str::to_owned).into(),
                to_millis(now_millis()).into(),
            ])
            .map_err(invalid_statement)?
            .on_conflict(OnConflict::column(U::Id).do_nothing_on([U::Id]).to_owned())
            .to_owned();
        self.execute(&insert, "creating a user").await?;
        if let Some(name) = name {
            let rename = Query::update()
                .table(U::Table)
                .value(U::Name, name)
                .and_where(Expr::col(U::Id).eq(id))
                .to_owned();
            self.execute(&rename, "renaming a user").await?;
        }
        self.get_user(id).await
    }

    /// The user with this id.
    pub async fn get_user(&self, id: &str) -> Result<User, StorageError> {
        let statement = Query::select()
            .columns([U::Id, U::Name, U::BudgetUsd, U::BudgetPeriod, U::CreatedAt])
            .from(U::Table)
            .and_where(Expr::col(U::Id).eq(id))
            .to_owned();
        let rows = self.query_all(&statement, "looking up a user").await?;
        match rows.first() {
            Some(row) => user_from_row(row),
            None => Err(StorageError::NotFound {
                what: "user",
                id: id.to_owned(),
            }),
        }
    }

    /// Sets or clears the user's own budget and returns the updated user.
    pub async fn set_user_budget(
        &self,
        id: &str,
        budget: Option<Budget>,
    ) -> Result<User, StorageError> {
        if let Some(budget) = &budget {
            budget.validate()?;
        }
        let statement = Query::update()
            .table(U::Table)
            .value(U::BudgetUsd, budget.map(|b| b.usd))
            .value(
                U::BudgetPeriod,
                budget.map(|b| b.period.as_str().to_owned()),
            )
            .and_where(Expr::col(U::Id).eq(id))
            .to_owned();
        self.get_user(id).await?;
        self.execute(&statement, "setting a user's budget").await?;
        self.get_user(id).await
    }

    /// Every user, by id.
    pub async fn list_users(&self) -> Result<Vec<User>, StorageError> {
        let statement = Query::select()
            .columns([U::Id, U::Name, U::BudgetUsd, U::BudgetPeriod, U::CreatedAt])
            .from(U::Table)
            .order_by(U::Id, Order::Asc)
            .to_owned();
        let rows = self.query_all(&statement, "listing users").await?;
        rows.iter().map(user_from_row).collect()
    }
}

fn user_from_row(row: &QueryResult) -> Result<User, StorageError> {
    let usd: Option<f64> = column(row, TABLE, "budget_usd")?;
    let period: Option<String> = column(row, TABLE, "budget_period")?;
    let budget = match (usd, period) {
        (Some(usd), Some(period)) => Some(Budget {
            usd,
            period: period.parse::<BudgetPeriod>()?,
        }),
        _ => None,
    };
    Ok(User {
        id: column(row, TABLE, "id")?,
        name: column(row, TABLE, "name")?,
        budget,
        created_at: from_millis(column(row, TABLE, "created_at")?),
    })
}

/// User ids are short printable names: they appear in CLI output and are stored as `VARCHAR(64)`.
pub(crate) fn validate_id(id: &str) -> Result<(), StorageError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StorageError::Invalid {
            field: "user id",
            reason: format!("`{id}`: use 1 to 64 characters from letters, digits and - _ . @ :"),
        })
    }
}
