//! The database the CLI works on (the configuration's `database.url`, else SQLite in
//! `BITROUTER_HOME`), opened without the daemon, and `bitrouter db migrate`.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;

use bitrouter_storage::{Backend, Storage, StorageError, StorageOptions, redact_url};
use clap::Subcommand;

use crate::{JsonArg, home, settings};

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Apply pending schema migrations (every command and the daemon do this on start too).
    Migrate(JsonArg),
}

pub fn run(config: Option<&Path>, action: DbAction) -> Result<ExitCode, String> {
    match action {
        DbAction::Migrate(args) => migrate(config, args.json),
    }
}

fn migrate(config: Option<&Path>, json: bool) -> Result<ExitCode, String> {
    let url = url(config)?;
    block_on(async {
        let storage = Storage::open(&url, StorageOptions::default())
            .await
            .map_err(describe)?;
        let applied = storage.migrate().await.map_err(describe)?;
        let backend = backend_name(storage.backend());
        close(storage).await;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "database": redact_url(&url),
                    "backend": backend,
                    "applied": applied,
                    "up_to_date": applied.is_empty(),
                })
            );
        } else if applied.is_empty() {
            println!("{} ({backend}): up to date", redact_url(&url));
        } else {
            println!("{} ({backend}): applied", redact_url(&url));
            for name in &applied {
                println!("  {name}");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The database URL in force: `database.url` from the configuration file, else the SQLite file
/// in `BITROUTER_HOME`.
pub fn url(config: Option<&Path>) -> Result<String, String> {
    let listen = settings::listen(None, config)?;
    let file = settings::load(config, listen)?;
    match file.and_then(|f| f.config.database.url) {
        Some(url) if !url.trim().is_empty() => Ok(url),
        _ => Ok(bitrouter_storage::default_sqlite_url(&home::dir()?)),
    }
}

/// Runs `work` with the database open and migrated, then closes it.
pub fn with_storage<T, F, Fut>(config: Option<&Path>, work: F) -> Result<T, String>
where
    F: FnOnce(Storage) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let url = url(config)?;
    block_on(async {
        let storage = Storage::connect(&url).await.map_err(describe)?;
        let result = work(storage.clone()).await;
        close(storage).await;
        result
    })
}

fn block_on<T>(work: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(work)
}

async fn close(storage: Storage) {
    if let Err(e) = storage.close().await {
        tracing::warn!("closing the database: {e}");
    }
}

/// A storage error as the CLI reports it, with a pointer to the next step where one helps.
pub fn describe(error: StorageError) -> String {
    match error {
        StorageError::NotFound { what: "key", id } => {
            format!(
                "no key matches `{id}`: give a key id (key_…) or the start of its secret (brvk_…); `bitrouter key list` shows them"
            )
        }
        StorageError::NotFound { what: "user", id } => {
            format!(
                "no user `{id}`: users are created with their first key (`bitrouter key create --user {id}`); `bitrouter user list` shows them"
            )
        }
        other => other.to_string(),
    }
}

pub fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    }
}

#[cfg(test)]
mod tests {
    use bitrouter_storage::redact_url as redact;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/bitrouter"),
            "postgres://app:***@db:5432/bitrouter"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1/x"),
            "mysql://root@127.0.0.1/x"
        );
        assert_eq!(
            redact("sqlite:///home/u/.bitrouter/bitrouter.db?mode=rwc"),
            "sqlite:///home/u/.bitrouter/bitrouter.db?mode=rwc"
        );
    }
}
