//! A fresh, uniquely named database on a PostgreSQL or MySQL server reached through an admin
//! URL from the environment, dropped afterwards (also when the test fails).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database};

struct FreshDatabase {
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    fn create(admin_url: &str) -> FreshDatabase {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("bitrouter_cli_{}_{nanos}", std::process::id());
        admin(admin_url, &format!("CREATE DATABASE {name}"));
        FreshDatabase {
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    /// The admin URL with its database replaced by the fresh one.
    fn url(&self) -> String {
        let (server, _) = self.admin_url.rsplit_once('/').unwrap();
        format!("{server}/{}", self.name)
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {}", self.name),
        );
    }
}

fn admin(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = Database::connect(url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the admin URL {url}: {e}"));
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        db.close().await.unwrap();
    });
}

/// Runs `test` with a home directory whose `bitrouter.yaml` points `database.url` at a fresh
/// database on the server named by the environment variable `var`; prints `skipped: …` when
/// the variable is unset (`example` shows a value).
pub fn with_fresh_database(var: &str, example: &str, test: fn(&Path, Option<&Path>)) {
    let Some(admin_url) = std::env::var(var).ok().filter(|u| !u.is_empty()) else {
        println!(
            "skipped: {var} is not set; to run this test against a server, set e.g. {var}={example}"
        );
        return;
    };
    let database = FreshDatabase::create(&admin_url);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bitrouter.yaml");
    std::fs::write(&config, format!("database:\n  url: {}\n", database.url())).unwrap();
    test(home.path(), Some(&config));
    assert!(
        !home.path().join("bitrouter.db").exists(),
        "the SQLite default was used instead of {var}"
    );
}
