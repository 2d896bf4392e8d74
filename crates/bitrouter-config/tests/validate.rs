//! Validation after parsing: each error points at the offending key's line.

use std::net::SocketAddr;
use std::path::Path;

use bitrouter_config::{ErrorKind, init_template, json_schema, parse};

#[expect(clippy::unwrap_used, reason = "test helper")]
fn listen() -> SocketAddr {
    "127.0.0.1:4356".parse().unwrap()
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn errors(text: &str) -> Vec<String> {
    let file = parse(Path::new("bitrouter.yaml"), text, &|_| None).unwrap();
    match file.validate(listen()) {
        Ok(()) => Vec::new(),
        Err(errs) => {
            assert!(errs.iter().all(|e| e.kind == ErrorKind::Invalid));
            errs.iter().map(ToString::to_string).collect()
        }
    }
}

#[test]
fn loop_to_self_is_refused() {
    let text = "providers:\n  me:\n    protocol: openai_chat\n    api_base: \"http://localhost:4356/v1\"\n";
    assert_eq!(
        errors(text),
        [
            "bitrouter.yaml:4:5: api_base `http://localhost:4356/v1` points at BitRouter itself (it listens on 127.0.0.1:4356)\n  hint: give the upstream's own address; OPENAI_BASE_URL-style variables point agents at BitRouter, not upstreams at it"
        ]
    );
    // Same port on the unspecified address and on IPv6 loopback too; another port is fine.
    assert_eq!(errors(&text.replace("localhost", "0.0.0.0")).len(), 1);
    assert_eq!(errors(&text.replace("localhost", "[::1]")).len(), 1);
    assert!(errors(&text.replace("4356", "11434")).is_empty());
}

#[test]
fn plain_http_to_a_public_host_needs_allow_http() {
    let text = "providers:\n  far:\n    protocol: openai_chat\n    api_base: \"http://llm.example.com/v1\"\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("bitrouter.yaml:4:5: api_base `http://llm.example.com/v1` uses plain http to `llm.example.com`, which is not this machine"),
        "{}",
        errs[0]
    );
    assert!(errs[0].contains("set `allow_http: true`"));
    assert!(errors(&format!("{text}    allow_http: true\n")).is_empty());
    assert!(errors(&text.replace("http://", "https://")).is_empty());
}

#[test]
fn cycles_in_virtual_models() {
    let text = "\
models:
  a:
    route: [ \"openai:gpt-4o\" ]
  b:
    route:
      - c
  c:
    route:
      - openai:gpt-4o-mini
      - b
  d:
    route: [ d ]
";
    assert_eq!(
        errors(text),
        [
            "bitrouter.yaml:10:9: virtual models form a cycle: b -> c -> b\n  hint: a virtual model may route to other virtual models, but never back to itself",
            "bitrouter.yaml:12:14: virtual models form a cycle: d -> d\n  hint: a virtual model may route to other virtual models, but never back to itself",
        ]
    );
}

#[test]
fn unknown_kind_lists_the_built_ins() {
    let errs = errors("providers:\n  work:\n    kind: opnai\n");
    assert_eq!(
        errs,
        [
            "bitrouter.yaml:3:5: unknown provider kind `opnai`: did you mean `openai`?\n  hint: `kind` names a built-in provider: openai, anthropic, google, openrouter, opencode, opencode-go"
        ]
    );
}

#[test]
fn custom_provider_needs_protocol_and_base() {
    let errs = errors("providers:\n  mine:\n    api_key: k\n");
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0]
            .starts_with("bitrouter.yaml:2:3: custom provider `mine` needs protocol and api_base"),
        "{}",
        errs[0]
    );
}

#[test]
fn key_and_accounts_are_exclusive() {
    let text = "providers:\n  openai:\n    api_key: a\n    accounts:\n      - api_key: b\n        weight: 0\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("bitrouter.yaml:4:5: `api_key` and `accounts` cannot both be given")
    );
    let errs =
        errors("providers:\n  openai:\n    accounts:\n      - api_key: b\n        weight: 0\n");
    assert!(
        errs[0].starts_with("bitrouter.yaml:5:9: account `weight` must be at least 1"),
        "{errs:?}"
    );
}

#[test]
fn dangling_route_targets() {
    let text = "\
models:
  fast:
    route: [ \"opnai:gpt-4o\" ]
  slow:
    route:
      - fsat
routing:
  rules:
    - match: { has_images: true, min_input_tokens: 10, max_input_tokens: 5 }
      route_to: nowhere
";
    let errs = errors(text);
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(errs[0].starts_with("bitrouter.yaml:3:14: `opnai:gpt-4o` names an unknown provider `opnai`: did you mean `openai`?"), "{}", errs[0]);
    assert!(errs[1].starts_with("bitrouter.yaml:6:9: `fsat` is neither `provider:model` nor a virtual model: did you mean `fast`?"), "{}", errs[1]);
    assert!(
        errs[2].starts_with("bitrouter.yaml:10:7: `nowhere` is neither"),
        "{}",
        errs[2]
    );
    assert!(
        errs[3].contains("`min_input_tokens` (10) is larger than `max_input_tokens` (5)"),
        "{}",
        errs[3]
    );
}

#[test]
fn pricing_keys_are_checked() {
    let text = "pricing:\n  \"nobody:x\": { input: 1, output: 2 }\n  mystery: { input: 1 }\n  \"openai:gpt-4o\": { output: -1 }\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].starts_with("bitrouter.yaml:2:3: price key `nobody:x` names an unknown provider")
    );
    assert!(
        errs[1].starts_with(
            "bitrouter.yaml:3:3: price for `mystery`: the built-in catalog has no price"
        )
    );
    assert!(
        errs[2].starts_with("bitrouter.yaml:4:22: price `output` must be a non-negative number"),
        "{}",
        errs[2]
    );
}

#[test]
fn init_template_parses_back_and_validates() {
    for detected in [
        &[][..],
        &["openai", "google"][..],
        &["openai", "anthropic", "google", "openrouter"][..],
    ] {
        let text = init_template(detected);
        let file = parse(Path::new("bitrouter.yaml"), &text, &|_| None).unwrap();
        assert_eq!(file.validate(listen()), Ok(()));
        let ids: Vec<&str> = file.config.providers.keys().collect();
        assert_eq!(ids, detected);
        assert_eq!(file.config.server.listen, Some(listen()));
    }
    let text = init_template(&["anthropic"]);
    assert!(text.contains("  anthropic: {}  # key from ANTHROPIC_API_KEY\n"));
    assert!(text.contains("  # google: {}  # key from GEMINI_API_KEY or GOOGLE_API_KEY\n"));
}

#[test]
fn commented_examples_in_the_template_are_valid_when_uncommented() {
    // Uncomment every example line; the result must parse and validate too.
    let text: String = init_template(&[])
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            match t.strip_prefix("# ") {
                // Examples start with `key:` or `- `; prose has words before any colon.
                Some(rest)
                    if rest.trim_start().starts_with("- ")
                        || rest
                            .split_whitespace()
                            .next()
                            .is_some_and(|w| w.ends_with(':')) =>
                {
                    format!("{}{rest}\n", " ".repeat(indent))
                }
                _ => format!("{l}\n"),
            }
        })
        .collect();
    let file = parse(Path::new("bitrouter.yaml"), &text, &|n| {
        Some(format!("value-of-{n}"))
    })
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.validate(listen()), Ok(()), "{text}");
    // The four first built-ins, OpenCode Zen and Go, and the two custom examples.
    assert_eq!(file.config.providers.len(), 8);
    assert_eq!(file.config.routing.rules.len(), 1);
}

#[test]
fn schema_describes_the_sections() {
    let schema = json_schema();
    let props = schema["properties"].as_object().unwrap();
    let keys: Vec<&str> = props.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 11);
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["providers"]["additionalProperties"]["properties"]["protocol"]["enum"]
            [3],
        "google_generate_content"
    );
}
