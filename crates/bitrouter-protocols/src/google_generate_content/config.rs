//! `tools`, `toolConfig` and `generationConfig`, both ways.

use bitrouter_core::{
    ChatRequest, ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice, ToolDefinition,
};
use serde_json::{Map, Value, json};

use super::{field, schema};
use crate::error::DecodeError;
use crate::reasoning_budget;

/// `tools[].functionDeclarations`. Gemini's built-in tools (`googleSearch`, `codeExecution`,
/// `urlContext`, …) have no canonical form and are skipped.
pub(super) fn decode_tools(tools: &Value) -> Result<Vec<ToolDefinition>, DecodeError> {
    let tools = tools
        .as_array()
        .ok_or_else(|| DecodeError::new("tools: expected an array"))?;
    let mut out = Vec::new();
    for (i, tool) in tools.iter().enumerate() {
        let obj = tool
            .as_object()
            .ok_or_else(|| DecodeError::new(format!("tools[{i}]: expected an object")))?;
        let Some(decls) = field(obj, "functionDeclarations") else {
            continue;
        };
        let decls = decls.as_array().ok_or_else(|| {
            DecodeError::new(format!(
                "tools[{i}].functionDeclarations: expected an array"
            ))
        })?;
        for (j, decl) in decls.iter().enumerate() {
            out.push(declaration(
                decl,
                &format!("tools[{i}].functionDeclarations[{j}]"),
            )?);
        }
    }
    Ok(out)
}

fn declaration(decl: &Value, path: &str) -> Result<ToolDefinition, DecodeError> {
    let obj = decl
        .as_object()
        .ok_or_else(|| DecodeError::new(format!("{path}: expected an object")))?;
    let name = field(obj, "name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| DecodeError::new(format!("{path}.name: expected a non-empty string")))?;
    let description = field(obj, "description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let parameters = match (field(obj, "parameters"), field(obj, "parametersJsonSchema")) {
        (Some(_), Some(_)) => {
            return Err(DecodeError::new(format!(
                "{path}: give either parameters or parametersJsonSchema, not both"
            )));
        }
        (Some(p), None) | (None, Some(p)) => schema::from_gemini(p),
        (None, None) => json!({"type": "object", "properties": {}}),
    };
    Ok(ToolDefinition {
        name: name.into(),
        description,
        parameters,
        strict: None,
    })
}

/// `toolConfig.functionCallingConfig`: `AUTO` and `VALIDATED` are [`ToolChoice::Auto`],
/// `NONE` is [`ToolChoice::None`], `ANY` is [`ToolChoice::Required`], or
/// [`ToolChoice::Tool`] when exactly one function is allowed.
pub(super) fn decode_tool_choice(config: &Value) -> Result<Option<ToolChoice>, DecodeError> {
    let Some(calling) = config
        .as_object()
        .and_then(|o| field(o, "functionCallingConfig"))
        .and_then(Value::as_object)
    else {
        return Ok(None);
    };
    let allowed: Vec<&str> = field(calling, "allowedFunctionNames")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mode = field(calling, "mode")
        .and_then(Value::as_str)
        .unwrap_or("AUTO");
    let choice = match mode {
        "AUTO" | "MODE_UNSPECIFIED" | "VALIDATED" => ToolChoice::Auto,
        "NONE" => ToolChoice::None,
        "ANY" => match allowed.as_slice() {
            [one] => ToolChoice::Tool {
                name: (*one).to_owned(),
            },
            _ => ToolChoice::Required,
        },
        other => {
            return Err(DecodeError::new(format!(
                "toolConfig.functionCallingConfig.mode: unknown mode `{other}`; expected AUTO, \
                 ANY, NONE or VALIDATED"
            )));
        }
    };
    Ok(Some(choice))
}

/// `generationConfig` into the request's parameters, response format and reasoning.
pub(super) fn decode_generation(config: &Value, req: &mut ChatRequest) -> Result<(), DecodeError> {
    let obj = config
        .as_object()
        .ok_or_else(|| DecodeError::new("generationConfig: expected an object"))?;
    let p = &mut req.params;
    p.max_tokens = uint(obj, "maxOutputTokens")?;
    p.temperature = float(obj, "temperature")?;
    p.top_p = float(obj, "topP")?;
    p.top_k = uint(obj, "topK")?;
    p.presence_penalty = float(obj, "presencePenalty")?;
    p.frequency_penalty = float(obj, "frequencyPenalty")?;
    if let Some(seed) = field(obj, "seed") {
        p.seed = Some(
            seed.as_i64()
                .ok_or_else(|| DecodeError::new("generationConfig.seed: expected an integer"))?,
        );
    }
    if let Some(stop) = field(obj, "stopSequences") {
        p.stop = stop
            .as_array()
            .and_then(|l| l.iter().map(|s| s.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| {
                DecodeError::new("generationConfig.stopSequences: expected an array of strings")
            })?;
    }
    if uint(obj, "candidateCount")?.is_some_and(|n| n > 1) {
        return Err(DecodeError::new(
            "generationConfig.candidateCount: only one candidate is supported; remove the field \
             or set it to 1",
        ));
    }
    req.response_format = response_format(obj);
    if let Some(thinking) = field(obj, "thinkingConfig").and_then(Value::as_object) {
        req.reasoning = Some(thinking_config(thinking)?);
    }
    Ok(())
}

fn uint(obj: &Map<String, Value>, name: &str) -> Result<Option<u32>, DecodeError> {
    field(obj, name)
        .map(|v| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    DecodeError::new(format!(
                        "generationConfig.{name}: expected a non-negative integer"
                    ))
                })
        })
        .transpose()
}

fn float(obj: &Map<String, Value>, name: &str) -> Result<Option<f64>, DecodeError> {
    field(obj, name)
        .map(|v| {
            v.as_f64().ok_or_else(|| {
                DecodeError::new(format!("generationConfig.{name}: expected a number"))
            })
        })
        .transpose()
}

fn response_format(obj: &Map<String, Value>) -> Option<ResponseFormat> {
    match field(obj, "responseMimeType").and_then(Value::as_str)? {
        "application/json" => {
            let schema = field(obj, "responseSchema").or_else(|| field(obj, "responseJsonSchema"));
            Some(match schema {
                Some(schema) => ResponseFormat::JsonSchema {
                    name: "response".into(),
                    schema: schema::from_gemini(schema),
                    strict: None,
                },
                None => ResponseFormat::JsonObject,
            })
        }
        "text/plain" => Some(ResponseFormat::Text),
        _ => None,
    }
}

/// `thinkingBudget` (`-1` is "dynamic": no budget), `thinkingLevel` and `includeThoughts`.
fn thinking_config(obj: &Map<String, Value>) -> Result<ReasoningConfig, DecodeError> {
    let mut config = ReasoningConfig::default();
    if let Some(budget) = field(obj, "thinkingBudget") {
        let budget = budget.as_i64().ok_or_else(|| {
            DecodeError::new("generationConfig.thinkingConfig.thinkingBudget: expected an integer")
        })?;
        config.budget_tokens = u32::try_from(budget).ok();
    }
    if let Some(level) = field(obj, "thinkingLevel").and_then(Value::as_str) {
        config.effort = Some(match level.to_ascii_lowercase().as_str() {
            "minimal" => ReasoningEffort::Minimal,
            "low" => ReasoningEffort::Low,
            "medium" => ReasoningEffort::Medium,
            "high" => ReasoningEffort::High,
            other => {
                return Err(DecodeError::new(format!(
                    "generationConfig.thinkingConfig.thinkingLevel: unknown level `{other}`; \
                     expected minimal, low, medium or high"
                )));
            }
        });
    }
    config.include_thoughts = field(obj, "includeThoughts").and_then(Value::as_bool);
    Ok(config)
}

/// `tools`: one tool holding every function declaration, parameter schemas cleaned.
pub(super) fn encode_tools(tools: &[ToolDefinition]) -> Option<Value> {
    if tools.is_empty() {
        return None;
    }
    let decls: Vec<Value> = tools
        .iter()
        .map(|t| {
            let mut decl = Map::new();
            decl.insert("name".into(), Value::String(t.name.clone()));
            if let Some(d) = &t.description {
                decl.insert("description".into(), Value::String(d.clone()));
            }
            // A function without arguments is declared without a schema.
            let empty = t.parameters.is_null()
                || t.parameters
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(Map::is_empty);
            if !empty {
                decl.insert("parameters".into(), schema::to_gemini(&t.parameters));
            }
            Value::Object(decl)
        })
        .collect();
    Some(json!([{ "functionDeclarations": decls }]))
}

pub(super) fn encode_tool_choice(choice: &ToolChoice) -> Value {
    let calling = match choice {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Tool { name } => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    };
    json!({ "functionCallingConfig": calling })
}

/// `generationConfig`, or `None` when the request sets nothing in it.
pub(super) fn encode_generation(req: &ChatRequest) -> Option<Value> {
    let p = &req.params;
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.into(), v);
        }
    };
    put("maxOutputTokens", p.max_tokens.map(Value::from));
    put("temperature", p.temperature.map(Value::from));
    put("topP", p.top_p.map(Value::from));
    put("topK", p.top_k.map(Value::from));
    put("seed", p.seed.map(Value::from));
    put("presencePenalty", p.presence_penalty.map(Value::from));
    put("frequencyPenalty", p.frequency_penalty.map(Value::from));
    put(
        "stopSequences",
        (!p.stop.is_empty()).then(|| Value::from(p.stop.clone())),
    );
    match &req.response_format {
        Some(ResponseFormat::Text) => put("responseMimeType", Some("text/plain".into())),
        Some(ResponseFormat::JsonObject) => {
            put("responseMimeType", Some("application/json".into()))
        }
        Some(ResponseFormat::JsonSchema { schema: s, .. }) => {
            put("responseMimeType", Some("application/json".into()));
            put("responseSchema", Some(schema::to_gemini(s)));
        }
        None => {}
    }
    if let Some(r) = &req.reasoning {
        let mut thinking = Map::new();
        let budget = r
            .budget_tokens
            .or_else(|| r.effort.map(reasoning_budget::budget_for));
        if let Some(budget) = budget {
            thinking.insert("thinkingBudget".into(), budget.into());
        }
        // A client that asked for reasoning wants to see it unless it said otherwise;
        // Gemini hides thoughts by default.
        let include = r.include_thoughts.unwrap_or(budget != Some(0));
        thinking.insert("includeThoughts".into(), include.into());
        if !thinking.is_empty() {
            put("thinkingConfig", Some(Value::Object(thinking)));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}
