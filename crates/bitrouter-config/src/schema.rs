//! The JSON schema of `bitrouter.yaml` (draft 2020-12), printed by `bitrouter config schema`.
//!
//! Hand-written: `Protocol` lives in `bitrouter-core` without a schema derive, durations and
//! sizes are strings with our own grammar, and the descriptions here are the user-facing
//! ones. A test checks that every object's properties equal the Rust struct's fields.

use serde_json::{Value, json};

fn duration(description: &str) -> Value {
    json!({
        "type": "string",
        "pattern": "^([0-9]+(ms|s|m|h))+$",
        "description": description,
    })
}

fn strict(description: &str, properties: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": description,
        "properties": properties,
    })
}

/// The schema as a JSON value.
pub fn json_schema() -> Value {
    let provider = strict(
        "An upstream. A built-in id (openai, anthropic, google, openrouter) needs no keys; a custom id needs `kind`, or `protocol` and `api_base`.",
        json!({
            "kind": { "enum": ["openai", "anthropic", "google", "openrouter", "opencode", "opencode-go"], "description": "Built-in provider whose protocol, base, auth and models this one inherits." },
            "protocol": { "enum": ["openai_chat", "openai_responses", "anthropic_messages", "google_generate_content"], "description": "The protocol the upstream speaks." },
            "api_base": { "type": "string", "format": "uri", "description": "Upstream base including the version prefix. https unless loopback or allow_http; never BitRouter itself." },
            "api_key": { "type": "string", "description": "The API key. Exclusive with accounts." },
            "accounts": {
                "type": "array", "minItems": 1, "description": "Several keys for this upstream. Exclusive with api_key.",
                "items": strict("One key.", json!({
                    "api_key": { "type": "string", "description": "The key." },
                    "name": { "type": "string", "description": "Label for logs and status." },
                    "weight": { "type": "integer", "minimum": 1, "description": "Relative share under round_robin (default 1)." }
                }))
            },
            "strategy": { "enum": ["failover", "round_robin"], "default": "failover", "description": "How accounts are picked." },
            "models": { "type": "array", "items": { "type": "string" }, "description": "Models this provider serves." },
            "headers": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Headers sent on every call." },
            "timeouts": strict("Per-call time limits; absent means none.", json!({
                "connect": duration("Establishing the connection."),
                "first_byte": duration("Until the first byte of the answer."),
                "idle": duration("Longest gap between stream chunks."),
                "total": duration("The whole call.")
            })),
            "allow_http": { "type": "boolean", "default": false, "description": "Allow plain http to a non-loopback host." },
            "discover_models": { "type": "boolean", "default": false, "description": "Ask the upstream for its model list at start." }
        }),
    );
    let virtual_model = strict(
        "A virtual model: a name standing for a list of targets.",
        json!({
            "route": { "type": "array", "minItems": 1, "items": { "type": "string" }, "description": "`provider:model` targets or other virtual model names." },
            "strategy": { "enum": ["fallback", "round_robin", "cheapest", "fastest"], "default": "fallback", "description": "How the route is walked." },
            "max_cost_usd": { "type": "number", "exclusiveMinimum": 0, "description": "Skip targets whose estimated cost for the call exceeds this." }
        }),
    );
    let rule = strict(
        "A routing rule.",
        json!({
            "match": strict("Conditions; all given ones must hold.", json!({
                "model": { "type": "string", "description": "Requested model, `*` and `?` wildcards." },
                "has_tools": { "type": "boolean" },
                "has_images": { "type": "boolean" },
                "min_input_tokens": { "type": "integer", "minimum": 0 },
                "max_input_tokens": { "type": "integer", "minimum": 0 },
                "header": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Headers that must have these values." }
            })),
            "route_to": { "type": "string", "description": "Virtual model or `provider:model`." }
        }),
    );
    let price = strict(
        "USD per million tokens; omitted fields keep the catalog's figure.",
        json!({
            "input": { "type": "number", "minimum": 0 },
            "cached_input": { "type": "number", "minimum": 0 },
            "cache_write": { "type": "number", "minimum": 0 },
            "output": { "type": "number", "minimum": 0 },
            "reasoning": { "type": "number", "minimum": 0 }
        }),
    );
    let mut root = strict(
        "BitRouter configuration (bitrouter.yaml).",
        json!({
            "server": strict("Listening socket and limits.", json!({
                "listen": { "type": "string", "default": "127.0.0.1:4356", "description": "ip:port to listen on." },
                "body_limit": { "type": ["integer", "string"], "default": "16MiB", "description": "Largest request body: bytes, or a size like 16MiB." },
                "drain_timeout": duration("How long in-flight requests may finish after a stop signal (default 10m).")
            })),
            "providers": { "type": "object", "additionalProperties": provider },
            "models": { "type": "object", "additionalProperties": virtual_model },
            "routing": strict("Routing rules.", json!({
                "rules": { "type": "array", "items": rule }
            })),
            "pricing": { "type": "object", "additionalProperties": price, "description": "Keys are `provider:model` or a bare model name." },
            "circuit_breaker": strict("When a failing provider is skipped.", json!({
                "failures": { "type": "integer", "minimum": 1, "default": 5 },
                "cooldown": duration("How long an open breaker skips the provider (default 30s).")
            })),
            "database": strict("Where keys and the request ledger are stored.", json!({
                "url": { "type": "string", "description": "sqlite://…, postgres://… or mysql://…; default $BITROUTER_HOME/bitrouter.db." }
            })),
            "auth": strict("Whether calls need a virtual key.", json!({
                "require_key": { "type": "boolean", "default": false, "description": "Require a key even before any key exists." },
                "key_cache_ttl": duration("How long a checked key is trusted before it is looked up again (default 5s).")
            })),
            "limits": strict("Shared counters for budgets and rate limits.", json!({
                "redis_url": { "type": "string", "description": "Redis shared by every instance; in-process counters without it." },
                "failure_mode": { "enum": ["closed", "open"], "default": "closed", "description": "When Redis is down: refuse (closed) or admit uncounted (open)." }
            })),
            "telemetry": strict("OpenTelemetry export.", json!({
                "otlp": strict("OTLP/HTTP export of traces.", json!({
                    "endpoint": { "type": "string", "format": "uri", "description": "Collector base URL, e.g. http://127.0.0.1:4318." },
                    "capture_content": { "type": "boolean", "default": false, "description": "Record prompts and answers on spans." }
                }))
            })),
            "guardrails": { "type": "array", "description": "Rules that inspect, redact or block (see docs/guardrails.md).", "items": { "type": "object" } }
        }),
    );
    if let Some(obj) = root.as_object_mut() {
        obj.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        obj.insert("title".into(), json!("bitrouter.yaml"));
    }
    root
}
