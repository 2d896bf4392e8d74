//! Opening the database: URL checks, pool and SQLite settings, migrations.

use std::path::Path;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, QueryResult,
    StatementBuilder, TryGetable,
};
use sea_orm_migration::MigratorTrait;

use crate::StorageError;
use crate::error::redact_url;
use crate::migration::Migrator;

/// Connection settings. The defaults suit the daemon and the CLI.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Largest number of pooled connections (an in-memory SQLite database always uses one).
    pub max_connections: u32,
    /// How long a caller waits for a pooled connection before the call fails.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a locked database before a statement fails with `SQLITE_BUSY`.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A connected, migrated database. Cheap to clone: clones share one pool.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) db: DatabaseConnection,
}

/// The embedded default database, `<home>/bitrouter.db`, as a URL that creates the file.
pub fn default_sqlite_url(home: &Path) -> String {
    format!("sqlite://{}?mode=rwc", home.join("bitrouter.db").display())
}

impl Storage {
    /// Connects with default options and applies any pending migrations.
    pub async fn connect(url: &str) -> Result<Storage, StorageError> {
        Storage::connect_with(url, StorageOptions::default()).await
    }

    /// Connects and applies any pending migrations.
    pub async fn connect_with(url: &str, options: StorageOptions) -> Result<Storage, StorageError> {
        let storage = Storage::open(url, options).await?;
        storage.migrate().await?;
        Ok(storage)
    }

    /// Connects without touching the schema (for `bitrouter db migrate --status` and the like).
    pub async fn open(url: &str, options: StorageOptions) -> Result<Storage, StorageError> {
        let backend = backend_of(url)?;
        let mut connect = ConnectOptions::new(url.to_owned());
        connect
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .sqlx_logging(false);
        if backend == DatabaseBackend::Sqlite {
            if url.contains(":memory:") || url.contains("mode=memory") {
                connect.max_connections(1);
            }
            configure_sqlite(&mut connect, options.sqlite_busy_timeout);
        }
        let db = Database::connect(connect)
            .await
            .map_err(|source| StorageError::Connect {
                url: redact_url(url),
                source,
            })?;
        Ok(Storage { db })
    }

    /// Applies pending migrations and returns the names of those applied (empty when the schema
    /// was already current). Safe to run any number of times.
    pub async fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let pending = Migrator::get_pending_migrations(&self.db)
            .await
            .map_err(StorageError::Migrate)?;
        let names = pending.iter().map(|m| m.name().to_owned()).collect();
        Migrator::up(&self.db, None)
            .await
            .map_err(StorageError::Migrate)?;
        Ok(names)
    }

    /// The names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StorageError> {
        let pending = Migrator::get_pending_migrations(&self.db)
            .await
            .map_err(StorageError::Migrate)?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => Backend::Sqlite,
            DatabaseBackend::Postgres => Backend::Postgres,
            DatabaseBackend::MySql => Backend::MySql,
        }
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(self) -> Result<(), StorageError> {
        self.db
            .close()
            .await
            .map_err(StorageError::query("closing the database"))
    }
}

impl Storage {
    /// Runs one statement.
    pub(crate) async fn execute<S: StatementBuilder>(
        &self,
        statement: &S,
        doing: &'static str,
    ) -> Result<u64, StorageError> {
        let built = self.db.get_database_backend().build(statement);
        let result = self
            .db
            .execute(built)
            .await
            .map_err(StorageError::query(doing))?;
        Ok(result.rows_affected())
    }

    /// Runs one query and returns every row.
    pub(crate) async fn query_all<S: StatementBuilder>(
        &self,
        statement: &S,
        doing: &'static str,
    ) -> Result<Vec<QueryResult>, StorageError> {
        let built = self.db.get_database_backend().build(statement);
        self.db
            .query_all(built)
            .await
            .map_err(StorageError::query(doing))
    }
}

/// Reads one column of a row, naming the table and column when it cannot be decoded.
pub(crate) fn column<T: TryGetable>(
    row: &QueryResult,
    table: &'static str,
    name: &str,
) -> Result<T, StorageError> {
    row.try_get::<T>("", name)
        .map_err(|e| StorageError::Corrupt {
            table,
            reason: format!("column `{name}`: {e}"),
        })
}

/// A stored count (`BIGINT`, never negative when written by this crate) as `u64`.
pub(crate) fn count_column(
    row: &QueryResult,
    table: &'static str,
    name: &str,
) -> Result<u64, StorageError> {
    let value: i64 = column(row, table, name)?;
    u64::try_from(value).map_err(|_| StorageError::Corrupt {
        table,
        reason: format!("column `{name}` holds the negative count {value}"),
    })
}

/// A count as stored: `BIGINT` is signed, so counts beyond `i64::MAX` are capped.
pub(crate) fn to_db_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The database family behind a [`Storage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

#[cfg(feature = "sqlite")]
fn configure_sqlite(connect: &mut ConnectOptions, busy_timeout: Duration) {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    connect.map_sqlx_sqlite_opts(move |opts| {
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
    });
}

#[cfg(not(feature = "sqlite"))]
fn configure_sqlite(_connect: &mut ConnectOptions, _busy_timeout: Duration) {}

fn backend_of(url: &str) -> Result<DatabaseBackend, StorageError> {
    let scheme = url.split(':').next().unwrap_or_default();
    let (backend, feature) = match scheme {
        "sqlite" => (DatabaseBackend::Sqlite, "sqlite"),
        "postgres" | "postgresql" => (DatabaseBackend::Postgres, "postgres"),
        "mysql" | "mariadb" => (DatabaseBackend::MySql, "mysql"),
        _ => {
            return Err(StorageError::UnsupportedUrl {
                url: redact_url(url),
                reason: "expected a URL starting with sqlite://, postgres:// or mysql://".into(),
            });
        }
    };
    let built = match backend {
        DatabaseBackend::Sqlite => cfg!(feature = "sqlite"),
        DatabaseBackend::Postgres => cfg!(feature = "postgres"),
        DatabaseBackend::MySql => cfg!(feature = "mysql"),
    };
    if !built {
        return Err(StorageError::UnsupportedUrl {
            url: redact_url(url),
            reason: format!(
                "this build has no {feature} support; rebuild with the `{feature}` feature of bitrouter-storage"
            ),
        });
    }
    if scheme == "mariadb" {
        return Err(StorageError::UnsupportedUrl {
            url: redact_url(url),
            reason: "write MariaDB URLs as mysql://user:password@host/database".into(),
        });
    }
    Ok(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_creates_the_file_in_home() {
        assert_eq!(
            default_sqlite_url(Path::new("/home/u/.bitrouter")),
            "sqlite:///home/u/.bitrouter/bitrouter.db?mode=rwc"
        );
    }

    #[test]
    fn rejects_unknown_schemes() {
        let err = backend_of("redis://localhost").unwrap_err().to_string();
        assert!(err.contains("sqlite://, postgres:// or mysql://"), "{err}");
    }
}
