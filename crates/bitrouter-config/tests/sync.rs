//! Ties the mirrored tables and the hand-written schema to their sources, and checks the
//! file search order.

use std::path::Path;

use bitrouter_config::{
    BUILTIN_KINDS, Config, KEY_VARS, RESERVED_IDS, discover_with, find_config_path, json_schema,
    parse,
};
use serde_json::Value;

#[test]
fn built_in_ids_match_the_providers_crate() {
    let ids: Vec<&str> = bitrouter_providers::BUILTINS.iter().map(|b| b.id).collect();
    assert_eq!(BUILTIN_KINDS, ids.as_slice());
    assert_eq!(RESERVED_IDS, bitrouter_providers::RESERVED_IDS);
    for b in bitrouter_providers::BUILTINS {
        let shown = KEY_VARS.iter().find(|(id, _)| *id == b.id).unwrap().1;
        assert_eq!(shown, b.key_vars.join(" or "));
    }
}

/// The fields a struct accepts, read from serde's own "expected one of" list.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn fields_of(yaml_for_probe: &str) -> Vec<String> {
    let err = parse(Path::new("p.yaml"), yaml_for_probe, &|_| None).unwrap_err();
    let hint = err.hint.unwrap();
    let list = hint.strip_prefix("valid keys here: ").unwrap();
    let mut v: Vec<String> = list.split(", ").map(str::to_owned).collect();
    v.sort();
    v
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn props(schema: &Value) -> Vec<String> {
    let mut v: Vec<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    v.sort();
    v
}

#[test]
fn schema_matches_the_structs() {
    let s = json_schema();
    let provider = &s["properties"]["providers"]["additionalProperties"];
    let model = &s["properties"]["models"]["additionalProperties"];
    let rule = &s["properties"]["routing"]["properties"]["rules"]["items"];
    let cases: Vec<(&str, &Value)> = vec![
        ("zz_probe: 1\n", &s),
        ("server: { zz_probe: 1 }\n", &s["properties"]["server"]),
        ("providers: { p: { zz_probe: 1 } }\n", provider),
        (
            "providers: { p: { accounts: [ { zz_probe: 1 } ] } }\n",
            &provider["properties"]["accounts"]["items"],
        ),
        (
            "providers: { p: { timeouts: { zz_probe: 1 } } }\n",
            &provider["properties"]["timeouts"],
        ),
        ("models: { m: { zz_probe: 1 } }\n", model),
        ("routing: { zz_probe: 1 }\n", &s["properties"]["routing"]),
        ("routing: { rules: [ { zz_probe: 1 } ] }\n", rule),
        (
            "routing: { rules: [ { match: { zz_probe: 1 } } ] }\n",
            &rule["properties"]["match"],
        ),
        (
            "pricing: { m: { zz_probe: 1 } }\n",
            &s["properties"]["pricing"]["additionalProperties"],
        ),
        (
            "circuit_breaker: { zz_probe: 1 }\n",
            &s["properties"]["circuit_breaker"],
        ),
    ];
    for (probe, schema) in cases {
        assert_eq!(fields_of(probe), props(schema), "{probe}");
        assert_eq!(schema["additionalProperties"], false, "{probe}");
    }
}

#[test]
fn search_order_is_explicit_then_cwd_then_home() {
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let none = |_: &str| None;
    assert_eq!(
        find_config_path(None, cwd.path(), Some(home.path())).unwrap(),
        None
    );
    assert!(
        discover_with(None, cwd.path(), Some(home.path()), &none)
            .unwrap()
            .is_none()
    );

    std::fs::write(
        home.path().join("bitrouter.yaml"),
        "server: { listen: \"127.0.0.1:1\" }\n",
    )
    .unwrap();
    let found = discover_with(None, cwd.path(), Some(home.path()), &none)
        .unwrap()
        .unwrap();
    assert_eq!(found.path, home.path().join("bitrouter.yaml"));
    assert_eq!(
        found.config.server.listen,
        Some("127.0.0.1:1".parse().unwrap())
    );

    std::fs::write(
        cwd.path().join("bitrouter.yaml"),
        "server: { listen: \"127.0.0.1:2\" }\n",
    )
    .unwrap();
    let found = discover_with(None, cwd.path(), Some(home.path()), &none)
        .unwrap()
        .unwrap();
    assert_eq!(
        found.config.server.listen,
        Some("127.0.0.1:2".parse().unwrap())
    );

    let explicit = other.path().join("mine.yaml");
    std::fs::write(&explicit, "").unwrap();
    let found = discover_with(Some(&explicit), cwd.path(), Some(home.path()), &none)
        .unwrap()
        .unwrap();
    assert_eq!(found.config, Config::default());

    let missing = other.path().join("missing.yaml");
    let err = discover_with(Some(&missing), cwd.path(), None, &none).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no such config file\n  hint: check the -c path, or run `bitrouter init` to write one",
            missing.display()
        )
    );
}
