//! `systemInstruction`, `tools[].functionDeclarations[]` with their OpenAPI-subset schemas,
//! and `generationConfig`, checked like the real API. The schema check is the one that
//! catches unclean translations: Gemini's `Schema` proto has no `$ref`, `$defs`, `$schema`,
//! `additionalProperties`, … and `type` is a single enum value, never an array.

use serde_json::{Map, Value};

use crate::google::contents::{field, invalid_value, known_fields, snake};
use crate::tokens::count_words;

/// The fields of Gemini's `Schema` object.
const SCHEMA_FIELDS: [&str; 22] = [
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];
const TYPES: [&str; 8] = [
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
];
const DECLARATION_FIELDS: [&str; 7] = [
    "name",
    "description",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
    "behavior",
];

/// `systemInstruction` is a `Content` whose parts are text; returns its word count.
pub(crate) fn system_instruction(value: Option<&Value>) -> Result<u64, String> {
    let Some(value) = value else {
        return Ok(0);
    };
    let at = "system_instruction";
    let Some(content) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.Content",
            value,
        ));
    };
    known_fields(content, &["role", "parts"], at)?;
    let Some(parts) = content
        .get("parts")
        .and_then(Value::as_array)
        .filter(|parts| !parts.is_empty())
    else {
        return Err(format!(
            "* GenerateContentRequest.{at}.parts: contents.parts must not be empty.\n"
        ));
    };
    let mut words = 0_u64;
    for (position, part) in parts.iter().enumerate() {
        let Some(text) = part.get("text").and_then(Value::as_str) else {
            return Err(format!(
                "* GenerateContentRequest.{at}.parts[{position}]: system instruction parts must be text\n"
            ));
        };
        words = words.saturating_add(count_words(text));
    }
    Ok(words)
}

/// `tools`: function declarations need a valid name and a clean `parameters` schema;
/// built-in tools (`googleSearch`, `codeExecution`, …) are accepted as objects.
pub(crate) fn tools(value: Option<&Value>) -> Result<(), String> {
    let Some(value) = value else {
        return Ok(());
    };
    let Some(tools) = value.as_array() else {
        return Err(invalid_value(
            "tools",
            "type.googleapis.com/google.ai.generativelanguage.v1beta.Tool",
            value,
        ));
    };
    for (index, tool) in tools.iter().enumerate() {
        let at = format!("tools[{index}]");
        let Some(tool) = tool.as_object() else {
            return Err(invalid_value(
                &at,
                "type.googleapis.com/google.ai.generativelanguage.v1beta.Tool",
                tool,
            ));
        };
        let Some(declarations) = field(tool, "functionDeclarations") else {
            continue;
        };
        let Some(declarations) = declarations.as_array() else {
            return Err(invalid_value(
                &format!("{at}.function_declarations"),
                "FunctionDeclaration",
                declarations,
            ));
        };
        for (position, declaration) in declarations.iter().enumerate() {
            function_declaration(
                &format!("{at}.function_declarations[{position}]"),
                declaration,
            )?;
        }
    }
    Ok(())
}

fn function_declaration(at: &str, declaration: &Value) -> Result<(), String> {
    let Some(declaration) = declaration.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionDeclaration",
            declaration,
        ));
    };
    known_fields(declaration, &DECLARATION_FIELDS, at)?;
    let name = declaration
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let valid = starts_well
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
    if !valid {
        return Err(format!(
            "* GenerateContentRequest.{at}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.\n"
        ));
    }
    if let Some(parameters) = field(declaration, "parameters") {
        schema(&format!("{at}.parameters"), parameters)?;
    }
    if let Some(json_schema) =
        field(declaration, "parametersJsonSchema").filter(|schema| !schema.is_object())
    {
        return Err(invalid_value(
            &format!("{at}.parameters_json_schema"),
            "type.googleapis.com/google.protobuf.Value",
            json_schema,
        ));
    }
    Ok(())
}

/// One `Schema` object, recursively.
pub(crate) fn schema(at: &str, value: &Value) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.Schema",
            value,
        ));
    };
    known_fields(object, &SCHEMA_FIELDS, at)?;
    match object.get("type") {
        None => {}
        Some(Value::String(kind)) if TYPES.contains(&kind.to_ascii_uppercase().as_str()) => {}
        Some(other) => {
            return Err(invalid_value(
                &format!("{at}.type"),
                "type.googleapis.com/google.ai.generativelanguage.v1beta.Type",
                other,
            ));
        }
    }
    if let Some(properties) = object.get("properties") {
        let Some(properties) = properties.as_object() else {
            return Err(invalid_value(
                &format!("{at}.properties"),
                "map<string, Schema>",
                properties,
            ));
        };
        for (name, property) in properties {
            schema(&format!("{at}.properties[{name}].value"), property)?;
        }
    }
    if let Some(items) = object.get("items") {
        schema(&format!("{at}.items"), items)?;
    }
    if let Some(any_of) = field(object, "anyOf") {
        let Some(options) = any_of.as_array() else {
            return Err(invalid_value(&format!("{at}.any_of"), "Schema", any_of));
        };
        for (position, option) in options.iter().enumerate() {
            schema(&format!("{at}.any_of[{position}]"), option)?;
        }
    }
    Ok(())
}

/// How each `generationConfig` field is typed.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    Integer,
    Bool,
    Text,
    Strings,
    Object,
    Schema,
    Thinking,
}

const CONFIG_FIELDS: [(&str, Kind); 19] = [
    ("temperature", Kind::Number),
    ("topP", Kind::Number),
    ("topK", Kind::Integer),
    ("candidateCount", Kind::Integer),
    ("maxOutputTokens", Kind::Integer),
    ("stopSequences", Kind::Strings),
    ("responseMimeType", Kind::Text),
    ("responseSchema", Kind::Schema),
    ("responseJsonSchema", Kind::Object),
    ("presencePenalty", Kind::Number),
    ("frequencyPenalty", Kind::Number),
    ("seed", Kind::Integer),
    ("responseLogprobs", Kind::Bool),
    ("logprobs", Kind::Integer),
    ("thinkingConfig", Kind::Thinking),
    ("responseModalities", Kind::Strings),
    ("mediaResolution", Kind::Text),
    ("speechConfig", Kind::Object),
    ("enableEnhancedCivicAnswers", Kind::Bool),
];

/// `generationConfig`: known fields with the right JSON types; returns
/// `thinkingConfig.includeThoughts`.
pub(crate) fn generation_config(value: Option<&Value>) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(false);
    };
    let at = "generation_config";
    let Some(config) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig",
            value,
        ));
    };
    let names: Vec<&str> = CONFIG_FIELDS.iter().map(|(name, _)| *name).collect();
    known_fields(config, &names, at)?;
    let mut include_thoughts = false;
    for (name, kind) in CONFIG_FIELDS {
        let Some(value) = field(config, name) else {
            continue;
        };
        let field_at = format!("{at}.{}", snake(name));
        let (ok, proto) = match kind {
            Kind::Number => (value.is_number(), "TYPE_FLOAT"),
            Kind::Integer => (value.is_i64() || value.is_u64(), "TYPE_INT32"),
            Kind::Bool => (value.is_boolean(), "TYPE_BOOL"),
            Kind::Text => (value.is_string(), "TYPE_STRING"),
            Kind::Strings => (
                value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string)),
                "TYPE_STRING",
            ),
            Kind::Object => (
                value.is_object(),
                "type.googleapis.com/google.protobuf.Value",
            ),
            Kind::Schema => {
                schema(&field_at, value)?;
                (true, "")
            }
            Kind::Thinking => {
                include_thoughts = thinking_config(&field_at, value)?;
                (true, "")
            }
        };
        if !ok {
            return Err(invalid_value(&field_at, proto, value));
        }
    }
    Ok(include_thoughts)
}

fn thinking_config(at: &str, value: &Value) -> Result<bool, String> {
    let Some(config) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig",
            value,
        ));
    };
    known_fields(
        config,
        &["includeThoughts", "thinkingBudget", "thinkingLevel"],
        at,
    )?;
    check(config, at, "thinkingBudget", Value::is_i64, "TYPE_INT32")?;
    check(config, at, "thinkingLevel", Value::is_string, "TYPE_ENUM")?;
    check(
        config,
        at,
        "includeThoughts",
        Value::is_boolean,
        "TYPE_BOOL",
    )?;
    Ok(field(config, "includeThoughts") == Some(&Value::Bool(true)))
}

fn check(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
    valid: fn(&Value) -> bool,
    proto: &str,
) -> Result<(), String> {
    match field(object, name) {
        Some(value) if !valid(value) => Err(invalid_value(
            &format!("{at}.{}", snake(name)),
            proto,
            value,
        )),
        _ => Ok(()),
    }
}
