//! The commented `bitrouter.yaml` that `bitrouter init` writes.

use crate::provider::BUILTIN_KINDS;

/// The environment variables holding each built-in provider's key, as `init` shows them.
/// Kept equal to `bitrouter_providers::BUILTINS` by a test.
pub const KEY_VARS: &[(&str, &str)] = &[
    ("openai", "OPENAI_API_KEY"),
    ("anthropic", "ANTHROPIC_API_KEY"),
    ("google", "GEMINI_API_KEY or GOOGLE_API_KEY"),
    ("openrouter", "OPENROUTER_API_KEY"),
    ("opencode", "OPENCODE_API_KEY"),
    ("opencode-go", "OPENCODE_API_KEY"),
];

fn key_var(id: &str) -> &'static str {
    KEY_VARS
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, v)| *v)
        .unwrap_or("its key variable")
}

/// A commented configuration listing the built-in providers in `detected` (those whose keys
/// are in the environment) as active, the others commented out, and examples of the other
/// sections. Unknown ids in `detected` are ignored. The result parses and validates.
pub fn init_template(detected: &[&str]) -> String {
    let mut out = String::from(
        "# BitRouter configuration, written by `bitrouter init`.\n\
         # Every key is described in docs/config.md; `bitrouter config validate` checks this file.\n\
         # ${VAR} and ${VAR:-default} are replaced from the environment ($$ is a literal $).\n\
         \n\
         server:\n\
         \x20 listen: \"127.0.0.1:4356\"\n\
         \n\
         providers:\n",
    );
    let active: Vec<&str> = BUILTIN_KINDS
        .iter()
        .copied()
        .filter(|id| detected.contains(id))
        .collect();
    let inactive: Vec<&str> = BUILTIN_KINDS
        .iter()
        .copied()
        .filter(|id| !detected.contains(id))
        .collect();
    if !active.is_empty() {
        out.push_str("  # Found in your environment:\n");
        for id in &active {
            out.push_str(&format!("  {id}: {{}}  # key from {}\n", key_var(id)));
        }
    }
    if !inactive.is_empty() {
        out.push_str("  # Not found in your environment; set the key, then uncomment:\n");
        for id in &inactive {
            out.push_str(&format!("  # {id}: {{}}  # key from {}\n", key_var(id)));
        }
    }
    out.push_str(
        "  # Several keys for one upstream, used in turn:\n\
         \x20 # work:\n\
         \x20 #   kind: openai\n\
         \x20 #   accounts: [ { api_key: \"${KEY_A}\" }, { api_key: \"${KEY_B}\" } ]\n\
         \x20 #   strategy: round_robin\n\
         \x20 # A local OpenAI-compatible server (e.g. Ollama):\n\
         \x20 # local:\n\
         \x20 #   protocol: openai_chat\n\
         \x20 #   api_base: \"http://127.0.0.1:11434/v1\"\n\
         \x20 #   api_key: \"${LOCAL_KEY:-none}\"\n\
         \x20 #   models: [ \"llama3.2\" ]\n\
         \x20 #   timeouts: { connect: \"5s\", first_byte: \"60s\", idle: \"30s\", total: \"10m\" }\n\
         \n\
         # Virtual models: one name, several targets tried in order.\n\
         # models:\n\
         #   fast:\n\
         #     route: [ \"anthropic:claude-haiku-4-5\", \"openai:gpt-4o-mini\" ]\n\
         \n\
         # Routing rules: the first that matches a call picks its model.\n\
         # routing:\n\
         #   rules:\n\
         #     - match: { has_images: true }\n\
         #       route_to: \"openai:gpt-4o\"\n\
         \n\
         # Price corrections, USD per million tokens.\n\
         # pricing:\n\
         #   \"openai:gpt-4o\": { input: 2.5, cached_input: 1.25, output: 10 }\n",
    );
    out
}
