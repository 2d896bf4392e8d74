//! JSON schemas in and out of Gemini's `Schema` dialect.
//!
//! Gemini's `Schema` is a subset of OpenAPI 3.0 (see the API reference page "Schema"): upper-case
//! `type` names, `nullable` instead of type arrays, `anyOf` but no `oneOf`/`allOf`, no `$ref`,
//! no `additionalProperties`, and `format` limited to `float`/`double`/`int32`/`int64` and
//! `enum`/`date-time`. It accepts `default`, `example`, `title`, `pattern` and the min/max
//! bounds. [`to_gemini`] rewrites any JSON Schema into that subset; [`from_gemini`] turns a
//! Gemini schema into plain JSON Schema that other upstreams accept.

use serde_json::{Map, Value};

/// Nesting beyond this is cut off (a schema this deep is a mistake or an attack).
const MAX_DEPTH: usize = 48;

/// How many `$ref`s deep a recursive definition is expanded before it becomes a plain object.
const MAX_REF_DEPTH: usize = 4;

/// The keywords Gemini's `Schema` knows; everything else is dropped.
const GEMINI_KEYWORDS: &[&str] = &[
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

/// The `format` values Gemini accepts.
const GEMINI_FORMATS: &[&str] = &["float", "double", "int32", "int64", "enum", "date-time"];

/// A Gemini schema (upper-case types, `nullable`) as plain JSON Schema: lower-case types and
/// `nullable: true` folded into a `["t", "null"]` type array. Other keywords are kept.
pub(super) fn from_gemini(schema: &Value) -> Value {
    normalise(schema, 0)
}

fn normalise(schema: &Value, depth: usize) -> Value {
    let Value::Object(obj) = schema else {
        return schema.clone();
    };
    if depth > MAX_DEPTH {
        return Value::Object(Map::new());
    }
    let nullable = obj.get("nullable").and_then(Value::as_bool) == Some(true);
    let mut out = Map::new();
    for (key, value) in obj {
        let value = match key.as_str() {
            "nullable" => continue,
            "type" => lower_type(value, nullable),
            "properties" | "$defs" | "definitions" | "patternProperties" => match value {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), normalise(v, depth + 1)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => normalise(value, depth + 1),
            "anyOf" | "oneOf" | "allOf" => match value {
                Value::Array(list) => {
                    Value::Array(list.iter().map(|v| normalise(v, depth + 1)).collect())
                }
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    // `nullable` without a type (e.g. beside `anyOf`) has no type array to go into.
    if nullable && !out.contains_key("type") {
        if let Some(Value::Array(list)) = out.get_mut("anyOf") {
            list.push(serde_json::json!({"type": "null"}));
        }
    }
    Value::Object(out)
}

fn lower_type(value: &Value, nullable: bool) -> Value {
    match value {
        Value::String(t) => {
            let t = Value::String(t.to_ascii_lowercase());
            if nullable {
                Value::Array(vec![t, Value::String("null".into())])
            } else {
                t
            }
        }
        Value::Array(list) => Value::Array(
            list.iter()
                .map(|t| match t {
                    Value::String(s) => Value::String(s.to_ascii_lowercase()),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Any JSON Schema rewritten into the subset Gemini's `Schema` accepts: `$ref`s inlined from
/// `$defs`/`definitions` (recursion cut after a few levels), type arrays turned into a single
/// type plus `nullable`, `const` into a one-value `enum`, `oneOf` into `anyOf`, `allOf` merged,
/// unknown keywords and unsupported formats dropped, types upper-cased.
pub(super) fn to_gemini(schema: &Value) -> Value {
    let mut defs = Map::new();
    if let Value::Object(root) = schema {
        for key in ["definitions", "$defs"] {
            if let Some(Value::Object(map)) = root.get(key) {
                defs.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    let cleaner = Cleaner { root: schema, defs };
    cleaner.clean(schema, 0, 0)
}

struct Cleaner<'a> {
    root: &'a Value,
    defs: Map<String, Value>,
}

impl Cleaner<'_> {
    fn clean(&self, schema: &Value, depth: usize, refs: usize) -> Value {
        let Value::Object(obj) = schema else {
            // `true` (anything) and other degenerate schemas: an unconstrained schema.
            return Value::Object(Map::new());
        };
        if depth > MAX_DEPTH {
            return Value::Object(Map::new());
        }
        if let Some(Value::String(reference)) = obj.get("$ref") {
            return self.resolve(reference, obj, depth, refs);
        }
        let mut out = Map::new();
        let mut nullable = obj.get("nullable").and_then(Value::as_bool) == Some(true);
        for (key, value) in obj {
            match key.as_str() {
                "type" => {
                    if let Some(t) = self.clean_type(value, &mut nullable, &mut out) {
                        out.insert("type".into(), t);
                    }
                }
                "properties" => {
                    if let Value::Object(props) = value {
                        let props = props
                            .iter()
                            .map(|(k, v)| (k.clone(), self.clean(v, depth + 1, refs)))
                            .collect();
                        let props = Map::from_iter([(key.clone(), Value::Object(props))]);
                        merge(&mut out, Value::Object(props));
                    }
                }
                "required" => {
                    let required = Map::from_iter([(key.clone(), value.clone())]);
                    merge(&mut out, Value::Object(required));
                }
                "items" => {
                    // A tuple (`items: [..]`) becomes its first member's schema.
                    let item = match value {
                        Value::Array(list) => list.first().cloned().unwrap_or_default(),
                        other => other.clone(),
                    };
                    out.insert(key.clone(), self.clean(&item, depth + 1, refs));
                }
                "anyOf" | "oneOf" => {
                    if let Value::Array(list) = value {
                        self.any_of(list, &mut nullable, &mut out, depth, refs);
                    }
                }
                "allOf" => {
                    if let Value::Array(list) = value {
                        for sub in list {
                            merge(&mut out, self.clean(sub, depth + 1, refs));
                        }
                    }
                }
                "const" => {
                    out.insert(
                        "enum".into(),
                        Value::Array(enum_values(std::slice::from_ref(value))),
                    );
                }
                "enum" => {
                    if let Value::Array(list) = value {
                        if list.iter().any(Value::is_null) {
                            nullable = true;
                        }
                        out.insert(key.clone(), Value::Array(enum_values(list)));
                    }
                }
                "examples" => {
                    if let Some(first) = value.as_array().and_then(|l| l.first()) {
                        out.entry("example").or_insert_with(|| first.clone());
                    }
                }
                "format" if value.as_str().is_some_and(|f| GEMINI_FORMATS.contains(&f)) => {
                    out.insert(key.clone(), value.clone());
                }
                "format" | "nullable" => {}
                k if GEMINI_KEYWORDS.contains(&k) => {
                    out.entry(k).or_insert_with(|| value.clone());
                }
                _ => {}
            }
        }
        finish_object(&mut out, nullable);
        Value::Object(out)
    }

    /// A `$ref` into `$defs`/`definitions` (or `#`, the root) inlined, with its sibling
    /// keywords (usually a `description`) laid over it.
    fn resolve(
        &self,
        reference: &str,
        obj: &Map<String, Value>,
        depth: usize,
        refs: usize,
    ) -> Value {
        let target = if reference == "#" {
            Some(self.root)
        } else {
            reference
                .strip_prefix("#/$defs/")
                .or_else(|| reference.strip_prefix("#/definitions/"))
                .and_then(|name| self.defs.get(name))
        };
        let mut out = match target {
            Some(target) if refs < MAX_REF_DEPTH => match self.clean(target, depth + 1, refs + 1) {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            // Too deep a recursion, or a reference we cannot follow: any object.
            _ => {
                let mut map = Map::new();
                map.insert("type".into(), Value::String("OBJECT".into()));
                map
            }
        };
        let mut siblings = obj.clone();
        siblings.remove("$ref");
        if let Value::Object(extra) = self.clean(&Value::Object(siblings), depth + 1, refs) {
            for (k, v) in extra {
                out.insert(k, v);
            }
        }
        Value::Object(out)
    }

    /// `"type"`: upper-cased; a type array loses `"null"` (which sets `nullable`) and, when
    /// several types remain, becomes an `anyOf` of them.
    fn clean_type(
        &self,
        value: &Value,
        nullable: &mut bool,
        out: &mut Map<String, Value>,
    ) -> Option<Value> {
        match value {
            Value::String(t) if t == "null" => {
                *nullable = true;
                None
            }
            Value::String(t) => Some(Value::String(t.to_ascii_uppercase())),
            Value::Array(list) => {
                let mut types = Vec::new();
                for t in list.iter().filter_map(Value::as_str) {
                    if t == "null" {
                        *nullable = true;
                    } else {
                        types.push(Value::String(t.to_ascii_uppercase()));
                    }
                }
                if types.len() > 1 {
                    let any: Vec<Value> = types
                        .into_iter()
                        .map(|t| Value::Object(Map::from_iter([("type".to_owned(), t)])))
                        .collect();
                    out.insert("anyOf".into(), Value::Array(any));
                    None
                } else {
                    types.pop()
                }
            }
            _ => None,
        }
    }

    /// `anyOf`/`oneOf`: members cleaned, `{"type": "null"}` members turned into `nullable`,
    /// and a single remaining member merged into the parent.
    fn any_of(
        &self,
        list: &[Value],
        nullable: &mut bool,
        out: &mut Map<String, Value>,
        depth: usize,
        refs: usize,
    ) {
        let mut members = Vec::new();
        for sub in list {
            let cleaned = self.clean(sub, depth + 1, refs);
            let is_null = cleaned
                .as_object()
                .is_some_and(|m| m.len() == 1 && m.get("nullable") == Some(&Value::Bool(true)));
            if is_null {
                *nullable = true;
            } else {
                members.push(cleaned);
            }
        }
        if members.len() == 1 {
            merge(out, members.remove(0));
        } else if !members.is_empty() {
            out.insert("anyOf".into(), Value::Array(members));
        }
    }
}

/// Lays `extra`'s keywords under `out`'s: properties and `required` are united, other
/// keywords already in `out` win.
fn merge(out: &mut Map<String, Value>, extra: Value) {
    let Value::Object(extra) = extra else { return };
    for (key, value) in extra {
        match (key.as_str(), out.get_mut(&key), value) {
            ("properties", Some(Value::Object(have)), Value::Object(more)) => {
                for (k, v) in more {
                    have.entry(k).or_insert(v);
                }
            }
            ("required", Some(Value::Array(have)), Value::Array(more)) => {
                for v in more {
                    if !have.contains(&v) {
                        have.push(v);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                out.insert(key, value);
            }
        }
    }
}

/// Gemini enums are strings: numbers and booleans are written as their JSON text, `null`s
/// dropped (they become `nullable`).
fn enum_values(list: &[Value]) -> Vec<Value> {
    list.iter()
        .filter(|v| !v.is_null())
        .map(|v| match v {
            Value::String(_) => v.clone(),
            other => Value::String(other.to_string()),
        })
        .collect()
}

/// Final touches: a missing `type` inferred from `properties`/`items`, `required` limited to
/// the properties that exist (Gemini rejects others), and `nullable` set.
fn finish_object(out: &mut Map<String, Value>, nullable: bool) {
    if !out.contains_key("type") && !out.contains_key("anyOf") {
        if out.contains_key("properties") {
            out.insert("type".into(), Value::String("OBJECT".into()));
        } else if out.contains_key("items") {
            out.insert("type".into(), Value::String("ARRAY".into()));
        } else if out.contains_key("enum") {
            out.insert("type".into(), Value::String("STRING".into()));
        }
    }
    if out.get("enum").is_some() && out.get("type") == Some(&Value::String("STRING".into())) {
        out.entry("format")
            .or_insert_with(|| Value::String("enum".into()));
    }
    let names: Option<Vec<String>> = out
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.keys().cloned().collect());
    if let (Some(names), Some(Value::Array(required))) = (names, out.get_mut("required")) {
        required.retain(|r| r.as_str().is_some_and(|r| names.iter().any(|n| n == r)));
    }
    if nullable {
        out.insert("nullable".into(), Value::Bool(true));
    }
}
