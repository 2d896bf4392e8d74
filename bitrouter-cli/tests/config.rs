//! The configuration commands of the real binary: validate, init, schema, route from a file,
//! and a daemon reloading a changed file (refusing a broken one).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn bitrouter(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitrouter"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("BITROUTER_HOME", dir.join("home"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn validate_names_the_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bitrouter.yaml"),
        "providers:\n  local:\n    protocol: openai_chat\n    api_bsae: \"http://127.0.0.1:11434/v1\"\n",
    )
    .unwrap();
    let out = bitrouter(dir.path(), &[], &["config", "validate"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("bitrouter.yaml:4:5")
            && err.contains("api_bsae")
            && err.contains("did you mean `api_base`"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("bitrouter.yaml"),
        "providers:\n  local:\n    protocol: openai_chat\n    api_base: \"${LOCAL_BASE}\"\n",
    )
    .unwrap();
    let out = bitrouter(dir.path(), &[], &["config", "validate", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(
        v["errors"][0].as_str().unwrap().contains("LOCAL_BASE"),
        "{v}"
    );

    let out = bitrouter(
        dir.path(),
        &[("LOCAL_BASE", "http://127.0.0.1:11434/v1")],
        &["config", "validate"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("valid"));
    // The server refuses to start on a bad file, with the same message.
    std::fs::write(dir.path().join("bitrouter.yaml"), "servr: {}\n").unwrap();
    let out = bitrouter(dir.path(), &[], &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("did you mean `server`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_lists_detected_providers_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = bitrouter(dir.path(), &[("OPENAI_API_KEY", "sk-a")], &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("providers found: openai"));
    let text = std::fs::read_to_string(dir.path().join("bitrouter.yaml")).unwrap();
    assert!(text.contains("openai"));
    let again = bitrouter(dir.path(), &[], &["init"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"));
    assert!(
        bitrouter(dir.path(), &[], &["init", "--force"])
            .status
            .success()
    );
    // What init writes validates.
    assert!(
        bitrouter(
            dir.path(),
            &[("OPENAI_API_KEY", "sk-a")],
            &["config", "validate"]
        )
        .status
        .success()
    );
    let schema = bitrouter(dir.path(), &[], &["config", "schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert!(schema["properties"]["providers"].is_object());
}

#[test]
fn route_reads_virtual_models_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bitrouter.yaml"),
        "models:\n  fast:\n    route: [ \"anthropic:claude-haiku-4-5\", \"openai:gpt-4o-mini\" ]\n",
    )
    .unwrap();
    let out = bitrouter(
        dir.path(),
        &[("OPENAI_API_KEY", "sk-a")],
        &["route", "fast", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // anthropic has no key here: left out; openai serves.
    assert_eq!(v["steps"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["steps"][0]["provider"], "openai");
    assert!(
        v["steps"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("virtual model `fast`")
    );
}

#[test]
fn a_daemon_reloads_a_changed_file_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let file = dir.path().join("bitrouter.yaml");
    std::fs::write(
        &file,
        "models:\n  fast:\n    route: [ \"openai:gpt-4o-mini\" ]\n",
    )
    .unwrap();
    let env = [("OPENAI_API_KEY", "sk-a")];
    let out = bitrouter(dir.path(), &env, &["start", "--listen", &listen]);
    assert!(out.status.success(), "{}", stderr(&out));
    let route = |model: &str| {
        let out = bitrouter(dir.path(), &env, &["route", model, "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(route("fast")["steps"][0]["model"], "gpt-4o-mini");
    assert!(route("smart").get("error").is_some());

    std::fs::write(&file, "models:\n  fast:\n    route: [ \"openai:gpt-4o\" ]\n  smart:\n    route: [ \"openai:o3\" ]\n").unwrap();
    let out = bitrouter(dir.path(), &env, &["reload"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(route("fast")["steps"][0]["model"], "gpt-4o");
    assert_eq!(route("smart")["steps"][0]["model"], "o3");

    std::fs::write(&file, "models:\n  fast:\n    rout: []\n").unwrap();
    let out = bitrouter(dir.path(), &env, &["reload"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("did you mean `route`"),
        "{}",
        stderr(&out)
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        route("fast")["steps"][0]["model"],
        "gpt-4o",
        "the old configuration stays in force"
    );

    let out = bitrouter(dir.path(), &env, &["stop"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
