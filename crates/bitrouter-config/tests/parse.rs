//! Loading `bitrouter.yaml`: the issue's contract example into exact structs, and each parse
//! error with its `path:line:column` and message.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bitrouter_config::{
    Account, AccountStrategy, Config, ErrorKind, ProviderConfig, RouteStrategy, Secret,
    VirtualModel, parse,
};
use bitrouter_core::Protocol;

const CONTRACT: &str = r#"server:   { listen: "127.0.0.1:4356" }
providers:
  openai: {}                              # a built-in provider; key from OPENAI_API_KEY
  work:
    kind: openai                          # inherits a built-in provider's protocol, base, models
    accounts: [ { api_key: "${KEY_A}" }, { api_key: "${KEY_B}" } ]
    strategy: round_robin                 # or failover (default)
  local:
    protocol: openai_chat                 # openai_chat | openai_responses | anthropic_messages | google_generate_content
    api_base: "http://127.0.0.1:11434/v1"
    api_key: "${LOCAL_KEY:-none}"
    models: [ "llama3.2" ]
models:                                   # virtual models
  fast:
    route: [ "anthropic:claude-haiku-4-5", "openai:gpt-4o-mini" ]   # tried in order
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "KEY_A" => Some("sk-a".into()),
        "KEY_B" => Some("sk-b".into()),
        _ => None,
    }
}

fn load(text: &str) -> Result<Config, String> {
    parse(Path::new("bitrouter.yaml"), text, &env)
        .map(|f| f.config)
        .map_err(|e| e.to_string())
}

#[test]
fn contract_example_loads_into_exact_structs() {
    let file = parse(Path::new("bitrouter.yaml"), CONTRACT, &env).unwrap();
    let c = &file.config;
    assert_eq!(c.server.listen, Some("127.0.0.1:4356".parse().unwrap()));
    let ids: Vec<&str> = c.providers.keys().collect();
    assert_eq!(ids, ["openai", "work", "local"]);
    assert_eq!(c.providers.get("openai"), Some(&ProviderConfig::default()));
    assert_eq!(
        c.providers.get("work"),
        Some(&ProviderConfig {
            kind: Some("openai".into()),
            accounts: Some(vec![
                Account {
                    api_key: Secret("sk-a".into()),
                    name: None,
                    weight: None
                },
                Account {
                    api_key: Secret("sk-b".into()),
                    name: None,
                    weight: None
                },
            ]),
            strategy: AccountStrategy::RoundRobin,
            ..ProviderConfig::default()
        })
    );
    assert_eq!(
        c.providers.get("local"),
        Some(&ProviderConfig {
            protocol: Some(Protocol::OpenaiChat),
            api_base: Some("http://127.0.0.1:11434/v1".into()),
            api_key: Some(Secret("none".into())),
            models: vec!["llama3.2".into()],
            ..ProviderConfig::default()
        })
    );
    assert_eq!(
        c.models.get("fast"),
        Some(&VirtualModel {
            route: vec![
                "anthropic:claude-haiku-4-5".into(),
                "openai:gpt-4o-mini".into()
            ],
            strategy: RouteStrategy::Fallback,
            max_cost_usd: None,
        })
    );
    assert!(c.routing.rules.is_empty() && c.pricing.is_empty());
    assert_eq!(file.validate("127.0.0.1:4356".parse().unwrap()), Ok(()));
    // Keys never reach a log.
    assert!(!format!("{c:?}").contains("sk-a"));
}

#[test]
fn every_section_parses() {
    let text = r#"
server:
  listen: "0.0.0.0:8080"
  body_limit: 32MiB
  drain_timeout: 1m30s
providers:
  anthropic:
    headers: { anthropic-beta: "x" }
    timeouts: { connect: 5s, first_byte: 60s, idle: 30s, total: 10m }
models:
  cheap:
    route: [ "openai:gpt-4o-mini", "google:gemini-2.5-flash" ]
    strategy: cheapest
    max_cost_usd: 0.05
routing:
  rules:
    - match: { model: "claude-*", has_tools: true, min_input_tokens: 1000, header: { x-bitrouter-task: summarize } }
      route_to: cheap
pricing:
  "openai:gpt-4o": { output: 8 }
circuit_breaker: { failures: 3, cooldown: 45s }
"#;
    let c = load(text).unwrap();
    assert_eq!(c.server.body_limit, Some(32 << 20));
    assert_eq!(c.server.drain_timeout, Some(Duration::from_secs(90)));
    let a = c.providers.get("anthropic").unwrap();
    assert_eq!(a.timeouts.total, Some(Duration::from_secs(600)));
    assert_eq!(a.timeouts.connect, Some(Duration::from_secs(5)));
    assert_eq!(
        a.headers,
        BTreeMap::from([("anthropic-beta".to_owned(), "x".to_owned())])
    );
    let cheap = c.models.get("cheap").unwrap();
    assert_eq!(
        (cheap.strategy, cheap.max_cost_usd),
        (RouteStrategy::Cheapest, Some(0.05))
    );
    let rule = &c.routing.rules[0];
    assert!(
        rule.when
            .model
            .as_ref()
            .unwrap()
            .matches("claude-haiku-4-5")
    );
    assert_eq!(
        (rule.when.has_tools, rule.when.min_input_tokens),
        (Some(true), Some(1000))
    );
    assert_eq!(rule.route_to, "cheap");
    assert_eq!(c.pricing.get("openai:gpt-4o").unwrap().output, Some(8.0));
    assert_eq!(
        c.circuit_breaker.cooldown_or_default(),
        Duration::from_secs(45)
    );
}

#[test]
fn empty_and_comment_only_files_are_zero_config() {
    assert_eq!(load("").unwrap(), Config::default());
    assert_eq!(load("# nothing yet\n\n").unwrap(), Config::default());
    assert_eq!(
        load("providers:\n  # openai: {}\n").unwrap(),
        Config::default()
    );
}

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let err = parse(
        Path::new("b.yaml"),
        "sever:\n  listen: \"127.0.0.1:1\"\n",
        &env,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownKey);
    assert_eq!(
        err.to_string(),
        "b.yaml:1:1: unknown key `sever` at the top level: did you mean `server`?\n  hint: valid keys here: server, providers, models, routing, pricing, circuit_breaker, database, auth, limits, telemetry, guardrails"
    );
}

#[test]
fn unknown_nested_key_suggests_the_right_one() {
    let text =
        "providers:\n  local:\n    protocol: openai_chat\n    api_bse: \"http://127.0.0.1:1/v1\"\n";
    let err = load(text).unwrap_err();
    assert!(
        err.starts_with("bitrouter.yaml:4:5: unknown key `api_bse` in `providers.local`: did you mean `api_base`?"),
        "{err}"
    );
    let text = "providers:\n  local:\n    timeouts:\n      frist_byte: 10s\n";
    let err = load(text).unwrap_err();
    assert!(
        err.starts_with("bitrouter.yaml:4:7: unknown key `frist_byte` in `providers.local.timeouts`: did you mean `first_byte`?"),
        "{err}"
    );
}

#[test]
fn unset_variable_names_variable_file_and_line() {
    let text = CONTRACT.replace("${KEY_B}", "${KEY_C}");
    let err = parse(Path::new("conf/bitrouter.yaml"), &text, &env).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Variable);
    assert_eq!(
        err.to_string(),
        "conf/bitrouter.yaml:6:54: environment variable `KEY_C` is not set\n  hint: set KEY_C, or give a default: `${KEY_C:-value}`"
    );
}

#[test]
fn bad_duration_points_at_the_value() {
    let err = load("providers:\n  openai:\n    timeouts:\n      idle: 30\n").unwrap_err();
    assert!(
        err.starts_with("bitrouter.yaml:4:13: duration `30` has no unit: write e.g. \"30s\" (units: ms, s, m, h) in `providers.openai.timeouts.idle`"),
        "{err}"
    );
    let err = load("circuit_breaker:\n  cooldown: 5d\n").unwrap_err();
    assert!(
        err.starts_with("bitrouter.yaml:2:13: bad duration `5d`: unknown unit `d`"),
        "{err}"
    );
}

#[test]
fn bad_protocol_lists_the_choices() {
    let err = parse(
        Path::new("bitrouter.yaml"),
        "providers:\n  local:\n    protocol: openai_chats\n    api_base: \"http://127.0.0.1:1\"\n",
        &env,
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownValue);
    assert_eq!(
        err.to_string(),
        "bitrouter.yaml:3:15: unknown value `openai_chats` in `providers.local.protocol`: did you mean `openai_chat`?\n  hint: expected one of: openai_chat, openai_responses, anthropic_messages, google_generate_content"
    );
}

#[test]
fn bad_strategy_and_duplicate_ids() {
    let err =
        load("providers:\n  work:\n    kind: openai\n    strategy: round-robin\n").unwrap_err();
    assert!(
        err.contains("unknown value `round-robin`") && err.contains("did you mean `round_robin`?"),
        "{err}"
    );
    let err = load("providers:\n  a: {}\n  a: {}\n").unwrap_err();
    assert!(err.contains("duplicate key `a`"), "{err}");
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let err = parse(Path::new("bitrouter.yaml"), "server:\n\tlisten: x\n", &env).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Syntax, "{err}");
    assert!(
        err.to_string()
            .starts_with("bitrouter.yaml:2:1: invalid YAML:"),
        "{err}"
    );
}
