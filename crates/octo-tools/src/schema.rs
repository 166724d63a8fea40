//! JSON Schemas for tool parameters and results.
//!
//! Parameter schemas come from the Rust parameter types (schemars, draft 2020-12, the dialect MCP
//! specifies), so the schema a client sees and the type the handler parses cannot drift apart.
//! Result schemas describe the envelope: only `isSuccess` is required, because a failure carries
//! none of the tool's data fields.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The schema of a tool's parameters (what the handler deserializes).
pub fn input_schema<T: JsonSchema>() -> Map<String, Value> {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut object = match Value::from(schema) {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    // MCP requires an object schema even for tools without parameters.
    object
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    strip_rust_formats(&mut object);
    object
}

/// schemars describes Rust integer widths as `format: "uint64"` and the like; those are not JSON
/// Schema formats, and validators in clients warn about every one of them. The `minimum` that
/// schemars also writes keeps the useful part (non-negative).
fn strip_rust_formats(object: &mut Map<String, Value>) {
    const RUST_FORMATS: &[&str] = &[
        "uint", "uint8", "uint16", "uint32", "uint64", "uint128", "int", "int8", "int16", "int32",
        "int64", "int128", "float", "double",
    ];
    if object
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|format| RUST_FORMATS.contains(&format))
    {
        object.remove("format");
    }
    for value in object.values_mut() {
        match value {
            Value::Object(child) => strip_rust_formats(child),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(child) = item {
                        strip_rust_formats(child);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The schema of a tool's envelope with its data fields (what the server serializes).
pub fn output_schema<T: JsonSchema>() -> Map<String, Value> {
    let schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let data = match Value::from(schema) {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    let mut properties = envelope_properties();
    if let Some(Value::Object(data_properties)) = data.get("properties") {
        for (name, schema) in data_properties {
            properties
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
    }
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    out.insert("required".into(), json!(["isSuccess"]));
    if let Some(defs) = data.get("$defs") {
        out.insert("$defs".into(), defs.clone());
    }
    strip_rust_formats(&mut out);
    out
}

fn envelope_properties() -> Map<String, Value> {
    let value = json!({
        "isSuccess": {"type": "boolean", "description": "True when the tool did what was asked."},
        "errorMessage": {"type": "string", "description": "What went wrong and what to do next (only when isSuccess is false)."},
        "message": {"type": "string", "description": "A short human-readable summary."},
        "tenantId": {"type": "string", "description": "The tenant the call acted on."},
        "isConflict": {"type": "boolean", "description": "True when an optimistic-locking check failed; nothing was changed."},
        "entity": {"description": "The current entity (on a conflict: the stored version to rebase on)."},
        "currentRtVersion": {"type": "integer", "minimum": 0, "description": "The entity's current rtVersion."},
        "warnings": {"type": "array", "items": {"type": "string"}}
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One parameter as `get_tool_details` and `list_available_tools` describe it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParameterInfo {
    pub name: String,
    /// The JSON type(s), e.g. `string`, `integer`, `array`, `object`; `any` when unconstrained.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: Option<String>,
    pub required: bool,
    pub default_value: Option<Value>,
}

/// Reads the top-level parameters out of an input schema, in declaration order.
pub fn parameters(schema: &Map<String, Value>) -> Vec<ParameterInfo> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| ParameterInfo {
            name: name.clone(),
            kind: type_name(property, schema),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            required: required.contains(&name.as_str()),
            default_value: property.get("default").cloned(),
        })
        .collect()
}

/// A readable type for a property schema, following one `$ref` level and dropping `null`
/// (an optional parameter is simply not required).
fn type_name(property: &Value, root: &Map<String, Value>) -> String {
    if let Some(reference) = property.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name));
        return match target {
            Some(target) if target.get("$ref").is_none() => type_name(target, root),
            _ => "object".into(),
        };
    }
    match property.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => {
            let kinds: Vec<&str> = kinds
                .iter()
                .filter_map(Value::as_str)
                .filter(|kind| *kind != "null")
                .collect();
            if kinds.is_empty() {
                "null".into()
            } else {
                kinds.join(" | ")
            }
        }
        _ => {
            for combinator in ["anyOf", "oneOf"] {
                if let Some(Value::Array(options)) = property.get(combinator) {
                    let kinds: Vec<String> = options
                        .iter()
                        .map(|option| type_name(option, root))
                        .filter(|kind| kind != "null")
                        .collect();
                    if !kinds.is_empty() {
                        return kinds.join(" | ");
                    }
                }
            }
            if property.get("enum").is_some() {
                "string".into()
            } else {
                "any".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Parameters used only to exercise schema reading.
    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        /// The tool to describe.
        tool_name: String,
        limit: Option<u32>,
        #[serde(default)]
        tags: Vec<String>,
        mode: Option<Mode>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Mode {
        Fast,
        Slow,
    }

    #[test]
    fn input_schema_is_an_object_that_rejects_unknown_fields() {
        let schema = input_schema::<Sample>();
        assert_eq!(schema["type"], json!("object"));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["required"], json!(["toolName"]));
    }

    #[test]
    fn parameters_are_read_in_order_with_types_and_descriptions() {
        let schema = input_schema::<Sample>();
        let parameters = parameters(&schema);
        let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["toolName", "limit", "tags", "mode"]);
        assert_eq!(parameters[0].kind, "string");
        assert!(parameters[0].required);
        assert_eq!(
            parameters[0].description.as_deref(),
            Some("The tool to describe.")
        );
        assert_eq!(parameters[1].kind, "integer");
        assert!(!parameters[1].required);
        assert_eq!(parameters[2].kind, "array");
        assert_eq!(parameters[3].kind, "string");
    }

    #[test]
    fn rust_integer_formats_are_dropped() {
        #[derive(Serialize, JsonSchema)]
        struct Counts {
            total: usize,
            when: String,
        }
        let schema = Value::Object(output_schema::<Counts>());
        let text = schema.to_string();
        assert!(!text.contains("\"uint"), "{text}");
        assert_eq!(schema["properties"]["total"]["minimum"], json!(0));
    }

    #[test]
    fn output_schema_requires_only_is_success() {
        #[derive(Serialize, JsonSchema)]
        #[serde(rename_all = "camelCase")]
        struct Out {
            total_tools: usize,
        }
        let schema = output_schema::<Out>();
        assert_eq!(schema["required"], json!(["isSuccess"]));
        assert!(schema["properties"]["totalTools"].is_object());
        assert!(schema["properties"]["errorMessage"].is_object());
    }
}
