//! The real `bitrouter` binary on a real database: the key lifecycle, user budgets and
//! migrations on SQLite (and on PostgreSQL and MySQL when `BITROUTER_TEST_POSTGRES_URL` /
//! `BITROUTER_TEST_MYSQL_URL` name an admin connection), and `usage`/`logs` against a ledger
//! written through the storage library.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "test set-up fails the test on unexpected input; skips are reported on stdout"
)]

#[path = "keys/ledger.rs"]
mod ledger;
#[path = "keys/servers.rs"]
mod servers;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Runs the binary with `BITROUTER_HOME` set and nothing else from the environment.
pub fn bitrouter(home: &Path, config: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitrouter"));
    cmd.current_dir(home)
        .env_clear()
        .env("BITROUTER_HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(args).output().unwrap()
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must succeed and print JSON.
pub fn ok_json(home: &Path, config: Option<&Path>, args: &[&str]) -> Value {
    let out = bitrouter(home, config, args);
    assert!(
        out.status.success(),
        "bitrouter {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bitrouter {args:?}: stdout is not JSON ({e}): {}",
            text(&out)
        )
    })
}

/// Runs a command that must fail and returns its stderr.
pub fn fails(home: &Path, config: Option<&Path>, args: &[&str]) -> String {
    let out = bitrouter(home, config, args);
    assert!(
        !out.status.success(),
        "bitrouter {args:?} should fail: {}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The whole lifecycle on one database: migrations, create (secret once), list (no secrets),
/// show by prefix, update and clear, revoke, rotate, user budgets, and the errors.
pub fn key_lifecycle(home: &Path, config: Option<&Path>) {
    let run = |args: &[&str]| ok_json(home, config, args);

    let first = run(&["db", "migrate", "--json"]);
    assert_eq!(first["up_to_date"], false, "{first}");
    assert!(!first["applied"].as_array().unwrap().is_empty(), "{first}");
    let second = run(&["db", "migrate", "--json"]);
    assert_eq!(second["applied"], serde_json::json!([]));
    assert_eq!(second["up_to_date"], true);
    let again = bitrouter(home, config, &["db", "migrate"]);
    assert!(text(&again).contains("up to date"), "{}", text(&again));

    let before = Utc::now();
    let created = run(&[
        "key",
        "create",
        "--user",
        "alice",
        "--name",
        "ci",
        "--models",
        "gpt-4o*,o3",
        "--budget-usd",
        "10",
        "--budget-period",
        "week",
        "--rpm",
        "60",
        "--tpm",
        "1000",
        "--max-concurrency",
        "2",
        "--expires",
        "30d",
        "--json",
    ]);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("brvk_") && secret.len() == 69,
        "{secret}"
    );
    assert!(
        created["note"]
            .as_str()
            .unwrap()
            .contains("cannot be shown again")
    );
    let alice = &created["key"];
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    assert_eq!(alice["prefix"], secret[..13]);
    assert_eq!(alice["user"], "alice");
    assert_eq!(alice["name"], "ci");
    assert_eq!(alice["state"], "active");
    assert_eq!(alice["models"], serde_json::json!(["gpt-4o*", "o3"]));
    assert_eq!(alice["budget"]["usd"], 10.0);
    assert_eq!(alice["budget"]["period"], "week");
    assert_eq!(alice["rpm"], 60);
    assert_eq!(alice["tpm"], 1000);
    assert_eq!(alice["max_concurrency"], 2);
    let expires = time(&alice["expires_at"]) - before;
    assert!(
        (expires - chrono::Duration::days(30)).num_seconds().abs() < 60,
        "{expires}"
    );

    let human = bitrouter(home, config, &["key", "sign", "--user", "bob"]);
    assert!(human.status.success());
    let human = text(&human);
    assert!(
        human.contains("Store it now: it cannot be shown again."),
        "{human}"
    );
    let bob_secret = human
        .split_whitespace()
        .find(|w| w.starts_with("brvk_"))
        .unwrap()
        .to_owned();

    let list = run(&["key", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|k| k.get("secret").is_none()));
    let table = text(&bitrouter(home, config, &["key", "list"]));
    let raw_list = text(&bitrouter(home, config, &["key", "list", "--json"]));
    for shown in [&table, &raw_list] {
        assert!(
            !shown.contains(&secret) && !shown.contains(&bob_secret),
            "{shown}"
        );
    }
    assert!(
        table.contains(&alice_id) && table.contains("gpt-4o*,o3"),
        "{table}"
    );
    let only_bob = run(&["key", "list", "--user", "bob", "--json"]);
    assert_eq!(only_bob.as_array().unwrap().len(), 1);
    assert_eq!(only_bob[0]["user"], "bob");
    let bob_id = only_bob[0]["id"].as_str().unwrap().to_owned();

    let shown = run(&["key", "show", &secret[..9], "--json"]);
    assert_eq!(shown["id"], alice_id.as_str());
    assert_eq!(shown["budget"]["spent_usd"], 0.0);
    let by_id = run(&["key", "show", &alice_id, "--json"]);
    assert_eq!(by_id["prefix"], secret[..13]);

    let cleared = run(&[
        "key",
        "update",
        &alice_id,
        "--name",
        "",
        "--models",
        "all",
        "--budget-usd",
        "none",
        "--rpm",
        "none",
        "--tpm",
        "500",
        "--expires",
        "none",
        "--json",
    ]);
    assert_eq!(cleared["name"], Value::Null);
    assert_eq!(cleared["models"], serde_json::json!([]));
    assert_eq!(cleared["budget"], Value::Null);
    assert_eq!(cleared["rpm"], Value::Null);
    assert_eq!(cleared["tpm"], 500);
    assert_eq!(cleared["max_concurrency"], 2);
    assert_eq!(cleared["expires_at"], Value::Null);
    let budget = run(&[
        "key",
        "update",
        &secret[..13],
        "--budget-usd",
        "5",
        "--json",
    ]);
    assert_eq!(budget["budget"]["usd"], 5.0);
    assert_eq!(budget["budget"]["period"], "month");
    let period = run(&[
        "key",
        "update",
        &alice_id,
        "--budget-period",
        "day",
        "--json",
    ]);
    assert_eq!(period["budget"]["usd"], 5.0);
    assert_eq!(period["budget"]["period"], "day");
    let stored = run(&["key", "show", &alice_id, "--json"]);
    assert_eq!(stored["budget"]["period"], "day");
    assert_eq!(stored["tpm"], 500);

    let revoked = run(&["key", "revoke", &bob_id, "--json"]);
    assert_eq!(revoked["state"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    let err = fails(home, config, &["key", "rotate", &bob_id]);
    assert!(err.contains("revoked"), "{err}");

    let rotated = run(&["key", "rotate", &secret[..13], "--json"]);
    let new_secret = rotated["secret"].as_str().unwrap();
    assert!(new_secret.starts_with("brvk_") && new_secret != secret);
    assert_eq!(rotated["key"]["rotated_from"], alice_id.as_str());
    assert_eq!(rotated["key"]["state"], "active");
    assert_eq!(rotated["key"]["tpm"], 500);
    assert_eq!(rotated["key"]["budget"]["period"], "day");
    let old = run(&["key", "show", &secret, "--json"]);
    assert_eq!(old["id"], alice_id.as_str());
    assert_eq!(old["state"], "revoked");
    let new = run(&["key", "show", new_secret, "--json"]);
    assert_eq!(new["id"], rotated["key"]["id"]);
    assert_eq!(run(&["key", "list", "--json"]).as_array().unwrap().len(), 3);

    let user = run(&[
        "user",
        "budget",
        "alice",
        "--budget-usd",
        "25",
        "--budget-period",
        "day",
        "--json",
    ]);
    assert_eq!(user["id"], "alice");
    assert_eq!(user["budget"]["usd"], 25.0);
    assert_eq!(user["budget"]["period"], "day");
    assert_eq!(user["budget"]["spent_usd"], 0.0);
    let carol = run(&["user", "budget", "carol", "--budget-usd", "3", "--json"]);
    assert_eq!(carol["budget"]["period"], "month");
    let users = run(&["user", "list", "--json"]);
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    assert_eq!(users[0]["active_keys"], 1);
    assert_eq!(users[1]["active_keys"], 0);
    assert_eq!(users[1]["budget"], Value::Null);
    let removed = run(&["user", "budget", "alice", "--budget-usd", "none", "--json"]);
    assert_eq!(removed["budget"], Value::Null);

    let err = fails(home, config, &["key", "show", "key_missing"]);
    assert!(err.contains("no key matches `key_missing`"), "{err}");
    let err = fails(
        home,
        config,
        &["key", "create", "--user", "x", "--expires", "3y"],
    );
    assert!(err.contains("unknown unit `y`"), "{err}");
    let err = fails(
        home,
        config,
        &["key", "create", "--user", "x", "--expires", "2001-01-01"],
    );
    assert!(err.contains("in the past"), "{err}");
    let err = fails(
        home,
        config,
        &["key", "update", &bob_id, "--budget-period", "day"],
    );
    assert!(err.contains("no budget"), "{err}");
}

#[test]
fn key_lifecycle_on_sqlite() {
    let home = tempfile::tempdir().unwrap();
    key_lifecycle(home.path(), None);
    assert!(home.path().join("bitrouter.db").exists());
}

#[test]
fn an_ambiguous_prefix_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let mut seen: Vec<String> = Vec::new();
    // 17 secrets cannot all differ in their first hex digit.
    let clash = loop {
        let created = ok_json(
            home.path(),
            None,
            &["key", "create", "--user", "u", "--json"],
        );
        let prefix = created["secret"].as_str().unwrap()[..6].to_owned();
        if seen.contains(&prefix) {
            break prefix;
        }
        seen.push(prefix);
        assert!(seen.len() <= 16);
    };
    let err = fails(home.path(), None, &["key", "show", &clash]);
    assert!(err.contains("matches more than one key"), "{err}");
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bitrouter.yaml");
    std::fs::write(
        &config,
        "database:\n  url: postgres://app:s3cret@127.0.0.1:9/bitrouter\n",
    )
    .unwrap();
    let err = fails(home.path(), Some(&config), &["key", "list"]);
    assert!(
        err.contains("cannot connect to database `postgres://app:***@127.0.0.1:9/bitrouter`"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn key_lifecycle_on_postgres() {
    servers::with_fresh_database(
        "BITROUTER_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
        key_lifecycle,
    );
}

#[test]
fn key_lifecycle_on_mysql() {
    servers::with_fresh_database(
        "BITROUTER_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/mysql",
        key_lifecycle,
    );
}
