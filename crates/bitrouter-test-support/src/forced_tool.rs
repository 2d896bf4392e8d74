//! A request that forces a tool call (OpenAI `tool_choice` naming a function or `required`,
//! Anthropic `tool`/`any`, Gemini mode `ANY`) gets one by default, as the real APIs answer it,
//! with arguments made up from the tool's schema. SDK tests rely on it to see tool calls
//! without scripting the out-of-process fake.

use serde_json::{Map, Value, json};

/// The forced tool: its name and its parameter schema.
pub(crate) type Forced = (String, Value);

fn find<'a>(
    tools: &'a [Value],
    name: Option<&str>,
    entry: impl Fn(&'a Value) -> Option<(&'a str, &'a Value)>,
) -> Option<Forced> {
    tools
        .iter()
        .filter_map(entry)
        .find(|(n, _)| name.is_none_or(|want| *n == want))
        .map(|(n, schema)| (n.to_owned(), schema.clone()))
}

fn tools(body: &Value, key: &str) -> Vec<Value> {
    body.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// OpenAI Chat Completions.
pub(crate) fn openai_chat(body: &Value) -> Option<Forced> {
    let name = match body.get("tool_choice")? {
        Value::String(s) if s == "required" => None,
        Value::Object(o) => Some(o.get("function")?.get("name")?.as_str()?),
        _ => return None,
    };
    let tools = tools(body, "tools");
    find(&tools, name, |t| {
        Some((
            t["function"]["name"].as_str()?,
            &t["function"]["parameters"],
        ))
    })
}

/// OpenAI Responses.
pub(crate) fn openai_responses(body: &Value) -> Option<Forced> {
    let name = match body.get("tool_choice")? {
        Value::String(s) if s == "required" => None,
        Value::Object(o) => Some(o.get("name")?.as_str()?),
        _ => return None,
    };
    let tools = tools(body, "tools");
    find(&tools, name, |t| {
        Some((t["name"].as_str()?, &t["parameters"]))
    })
}

/// Anthropic Messages.
pub(crate) fn anthropic(body: &Value) -> Option<Forced> {
    let choice = body.get("tool_choice")?;
    let name = match choice["type"].as_str()? {
        "any" => None,
        "tool" => Some(choice["name"].as_str()?),
        _ => return None,
    };
    let tools = tools(body, "tools");
    find(&tools, name, |t| {
        Some((t["name"].as_str()?, &t["input_schema"]))
    })
}

/// Google generateContent (camelCase or snake_case).
pub(crate) fn google(body: &Value) -> Option<Forced> {
    let config = body.get("toolConfig").or_else(|| body.get("tool_config"))?;
    let calling = config
        .get("functionCallingConfig")
        .or_else(|| config.get("function_calling_config"))?;
    if !calling.get("mode")?.as_str()?.eq_ignore_ascii_case("any") {
        return None;
    }
    let allowed = calling
        .get("allowedFunctionNames")
        .or_else(|| calling.get("allowed_function_names"));
    let name = allowed.and_then(|a| a.get(0)).and_then(Value::as_str);
    let declarations: Vec<Value> = tools(body, "tools")
        .iter()
        .flat_map(|t| {
            t.get("functionDeclarations")
                .or_else(|| t.get("function_declarations"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    find(&declarations, name, |d| {
        Some((
            d["name"].as_str()?,
            d.get("parameters")
                .or_else(|| d.get("parametersJsonSchema"))?,
        ))
    })
}

/// Arguments for a schema: every required (or, with none required, every) property filled
/// with a value of its type.
pub(crate) fn example_arguments(schema: &Value) -> String {
    let mut args = Map::new();
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in properties.into_iter().flatten() {
        if !required.is_empty() && !required.contains(&name.as_str()) {
            continue;
        }
        let kind = match &property["type"] {
            Value::String(t) => t.to_ascii_lowercase(),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string")
                .to_ascii_lowercase(),
            _ => "string".to_owned(),
        };
        let value = match kind.as_str() {
            "integer" | "number" => json!(1),
            "boolean" => json!(true),
            "array" => json!([]),
            "object" => json!({}),
            _ => json!("test"),
        };
        args.insert(name.clone(), value);
    }
    Value::Object(args).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_protocol_names_its_forced_tool() {
        let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
        let chat = json!({"tools": [{"type": "function", "function": {"name": "w", "parameters": schema}}],
            "tool_choice": {"type": "function", "function": {"name": "w"}}});
        assert_eq!(openai_chat(&chat).map(|f| f.0).as_deref(), Some("w"));
        let auto = json!({"tools": chat["tools"], "tool_choice": "auto"});
        assert!(openai_chat(&auto).is_none());
        let anthropic_any = json!({"tools": [{"name": "w", "input_schema": schema}], "tool_choice": {"type": "any"}});
        assert_eq!(anthropic(&anthropic_any).map(|f| f.0).as_deref(), Some("w"));
        let g = json!({"tools": [{"functionDeclarations": [{"name": "w", "parameters": schema}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["w"]}}});
        assert_eq!(google(&g).map(|f| f.0).as_deref(), Some("w"));
        assert_eq!(example_arguments(&schema), r#"{"city":"test"}"#);
    }
}
