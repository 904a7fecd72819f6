//! JSON Schema (as OpenAI clients write it) to the OpenAPI subset Gemini's
//! `Schema` accepts: Gemini rejects unknown keys such as
//! `additionalProperties` or `$schema`, and cannot follow `$ref`.

use serde_json::{Map, Value};

use crate::translate::TranslateError;

/// Keys of Gemini's `Schema` object; everything else is dropped.
const KEPT: &[&str] = &[
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

/// Bounds `$ref` inlining so a recursive schema fails instead of looping.
const MAX_DEPTH: usize = 32;

/// `schema` rewritten for Gemini: `$ref`s into `$defs`/`definitions` inlined,
/// `["T","null"]` types and null `anyOf` members turned into `nullable`,
/// `const` into a one-value `enum`, unsupported keys dropped.
pub(super) fn sanitize(schema: &Value, field: &str) -> Result<Value, TranslateError> {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .cloned()
        .unwrap_or(Value::Null);
    node(schema, &defs, 0, field)
}

fn node(schema: &Value, defs: &Value, depth: usize, field: &str) -> Result<Value, TranslateError> {
    if depth > MAX_DEPTH {
        return Err(TranslateError::field(
            field,
            "schema nests or refers to itself too deeply for Gemini",
        ));
    }
    let Some(object) = schema.as_object() else {
        return Ok(schema.clone());
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .or_else(|| reference.strip_prefix("#/definitions/"))
            .ok_or_else(|| {
                TranslateError::field(field, "only local `$defs` references are supported")
            })?;
        let target = defs.get(name).ok_or_else(|| {
            TranslateError::field(field, &format!("unknown reference `{reference}`"))
        })?;
        let mut resolved = node(target, defs, depth + 1, field)?;
        // Sibling keywords of `$ref` (often a description) refine the target.
        if let (Some(resolved), Value::Object(siblings)) = (
            resolved.as_object_mut(),
            node(&without_ref(object), defs, depth + 1, field)?,
        ) {
            resolved.extend(siblings);
        }
        return Ok(resolved);
    }

    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "type" => match value {
                Value::Array(types) => {
                    let mut concrete = types.iter().filter(|t| t.as_str() != Some("null"));
                    if let Some(first) = concrete.next() {
                        out.insert("type".into(), first.clone());
                    }
                    if concrete.next().is_some() {
                        return Err(TranslateError::field(
                            field,
                            "Gemini schemas take one type (besides null) per node",
                        ));
                    }
                    if types.len() > 1 || types.iter().any(|t| t.as_str() == Some("null")) {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                }
                other => {
                    out.insert("type".into(), other.clone());
                }
            },
            "properties" => {
                let mut properties = Map::new();
                for (name, property) in value.as_object().into_iter().flatten() {
                    properties.insert(name.clone(), node(property, defs, depth + 1, field)?);
                }
                out.insert("properties".into(), Value::Object(properties));
            }
            "items" => {
                out.insert("items".into(), node(value, defs, depth + 1, field)?);
            }
            "anyOf" | "oneOf" => {
                let mut members = Vec::new();
                for member in value.as_array().into_iter().flatten() {
                    if member.get("type").and_then(Value::as_str) == Some("null") {
                        out.insert("nullable".into(), Value::Bool(true));
                    } else {
                        members.push(node(member, defs, depth + 1, field)?);
                    }
                }
                match members.len() {
                    0 => {}
                    1 => {
                        if let Some(Value::Object(only)) = members.pop() {
                            for (k, v) in only {
                                out.entry(k).or_insert(v);
                            }
                        }
                    }
                    _ => {
                        out.insert("anyOf".into(), Value::Array(members));
                    }
                }
            }
            "const" => {
                out.insert("enum".into(), Value::Array(vec![value.clone()]));
            }
            kept if KEPT.contains(&kept) => {
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
            _ => {}
        }
    }
    Ok(Value::Object(out))
}

fn without_ref(object: &Map<String, Value>) -> Value {
    let mut rest = object.clone();
    rest.remove("$ref");
    Value::Object(rest)
}

/// Gemini rejects an OBJECT schema without properties, which is how clients
/// declare a function that takes no arguments; such parameters are omitted.
pub(super) fn is_empty_object(schema: &Value) -> bool {
    let no_properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    schema
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "object")
        && no_properties
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_keys_are_dropped_and_nullables_rewritten() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": ["string", "null"], "enum": ["c", "f"]},
                "tags": {"type": "array", "items": {"type": "string", "additionalProperties": false}},
                "kind": {"const": "weather"},
                "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}
            },
            "required": ["city"]
        });
        assert_eq!(
            sanitize(&schema, "tools").unwrap(),
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "nullable": true, "enum": ["c", "f"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "kind": {"enum": ["weather"]},
                    "when": {"type": "string", "format": "date-time", "nullable": true}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn local_references_are_inlined() {
        let schema = json!({
            "type": "object",
            "properties": {"home": {"$ref": "#/$defs/Address", "description": "Where they live"}},
            "$defs": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}, "title": "Address"}}
        });
        assert_eq!(
            sanitize(&schema, "response_format").unwrap(),
            json!({
                "type": "object",
                "properties": {"home": {
                    "type": "object",
                    "properties": {"street": {"type": "string"}},
                    "title": "Address",
                    "description": "Where they live"
                }}
            })
        );
    }

    #[test]
    fn recursive_and_unknown_references_are_errors() {
        let recursive = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}});
        assert!(sanitize(&recursive, "tools").is_err());
        let unknown = json!({"$ref": "#/$defs/Missing"});
        assert_eq!(
            sanitize(&unknown, "tools").unwrap_err().0,
            "`tools`: unknown reference `#/$defs/Missing`"
        );
        assert!(sanitize(&json!({"type": ["string", "integer"]}), "tools").is_err());
    }

    #[test]
    fn empty_object_schemas_are_recognised() {
        assert!(is_empty_object(
            &json!({"type": "object", "properties": {}})
        ));
        assert!(is_empty_object(&json!({"type": "object"})));
        assert!(!is_empty_object(
            &json!({"type": "object", "properties": {"a": {"type": "string"}}})
        ));
        assert!(!is_empty_object(&json!({"type": "string"})));
    }
}
