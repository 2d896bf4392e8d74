//! The one error type of the storage crate.

use sea_orm::DbErr;

/// What went wrong talking to the database or with the values handed to it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database URL names a backend this build does not include, or is malformed.
    #[error("unsupported database url `{url}`: {reason}")]
    UnsupportedUrl {
        /// The URL with any password removed.
        url: String,
        /// Why it was refused and what to do instead.
        reason: String,
    },
    /// The database could not be reached.
    #[error(
        "cannot connect to database `{url}`: {source} (check `database.url` and that the server is running)"
    )]
    Connect {
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// A schema migration failed.
    #[error("database migration failed: {0} (run `bitrouter db migrate` to see which step)")]
    Migrate(#[source] DbErr),
    /// A statement failed.
    #[error("database error while {doing}: {source}")]
    Query {
        /// What the storage was doing, e.g. `creating key`.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// No row matched.
    #[error("{what} `{id}` not found")]
    NotFound {
        /// The kind of thing looked up: `key`, `user`.
        what: &'static str,
        /// The id or prefix asked for.
        id: String,
    },
    /// A prefix matched more than one key.
    #[error("key prefix `{0}` matches more than one key: give more characters or the key id")]
    AmbiguousPrefix(String),
    /// A value handed in cannot be stored.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field that was wrong.
        field: &'static str,
        /// Why, and what is accepted.
        reason: String,
    },
    /// The ledger writer has stopped (after `shutdown`, or its task ended).
    #[error("the ledger writer has stopped; records can no longer be written")]
    LedgerClosed,
    /// A stored row could not be read back.
    #[error("corrupt row in `{table}`: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What could not be decoded.
        reason: String,
    },
}

impl StorageError {
    /// Wraps a driver error with what the storage was doing.
    pub(crate) fn query(doing: &'static str) -> impl FnOnce(DbErr) -> StorageError {
        move |source| StorageError::Query { doing, source }
    }
}

/// Removes the password from a database URL so that it can be shown in errors and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@`: a host never holds one, an unencoded password might.
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(
            redact_url("sqlite:///a/b.db?mode=rwc"),
            "sqlite:///a/b.db?mode=rwc"
        );
    }
}
