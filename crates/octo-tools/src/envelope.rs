//! The result envelope: the contract between a tool and the AI assistant reading its result.
//!
//! On the wire the envelope is one JSON object in camelCase: `isSuccess`, `errorMessage` (only on
//! failure), `message`, `tenantId` (the tenant the call acted on, when there is one), the tool's
//! own data fields, and `isConflict` / `entity` / `currentRtVersion` / `warnings` where relevant.
//! Absent values are omitted rather than written as `null`, as the reference server does.

use serde_json::{Map, Value};

/// A tool's result, success or failure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    pub is_success: bool,
    pub error_message: Option<String>,
    pub message: Option<String>,
    pub tenant_id: Option<String>,
    /// The tool's own result fields, merged into the top level of the JSON object.
    pub data: Map<String, Value>,
    pub is_conflict: Option<bool>,
    pub entity: Option<Value>,
    pub current_rt_version: Option<u64>,
    pub warnings: Vec<String>,
}

impl Envelope {
    /// A success carrying `data` (a JSON object; anything else lands under a `result` field).
    pub fn success(data: Value) -> Self {
        Self {
            is_success: true,
            data: into_object(data),
            ..Self::default()
        }
    }

    /// A failure with a message written for the person reading it.
    pub fn failure(error_message: impl Into<String>) -> Self {
        Self {
            is_success: false,
            error_message: Some(error_message.into()),
            ..Self::default()
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn with_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The envelope as the JSON object sent to the client.
    ///
    /// Envelope fields come first so that a person skimming the text block sees the outcome before
    /// the data; a data field never overwrites an envelope field.
    pub fn to_json(&self) -> Value {
        self.clone().into_json()
    }

    /// [`Self::to_json`] of an envelope that is sent and then dropped: nothing is copied.
    pub fn into_json(self) -> Value {
        let mut out = Map::new();
        out.insert("isSuccess".into(), Value::Bool(self.is_success));
        if let Some(error) = self.error_message {
            out.insert("errorMessage".into(), Value::String(error));
        }
        if let Some(message) = self.message {
            out.insert("message".into(), Value::String(message));
        }
        if let Some(tenant) = self.tenant_id {
            out.insert("tenantId".into(), Value::String(tenant));
        }
        if let Some(conflict) = self.is_conflict {
            out.insert("isConflict".into(), Value::Bool(conflict));
        }
        if let Some(entity) = self.entity {
            out.insert("entity".into(), entity);
        }
        if let Some(version) = self.current_rt_version {
            out.insert("currentRtVersion".into(), Value::from(version));
        }
        if !self.warnings.is_empty() {
            out.insert(
                "warnings".into(),
                Value::Array(self.warnings.into_iter().map(Value::String).collect()),
            );
        }
        for (key, value) in self.data {
            if !out.contains_key(&key) && !value.is_null() {
                out.insert(key, value);
            }
        }
        Value::Object(out)
    }
}

/// The names an envelope reserves; a tool's data may not use them for something else.
pub const ENVELOPE_FIELDS: &[&str] = &[
    "isSuccess",
    "errorMessage",
    "message",
    "tenantId",
    "isConflict",
    "entity",
    "currentRtVersion",
    "warnings",
];

fn into_object(data: Value) -> Map<String, Value> {
    match data {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => {
            let mut map = Map::new();
            map.insert("result".into(), other);
            map
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn success_puts_envelope_fields_first_and_omits_absent_ones() {
        let envelope = Envelope::success(json!({"totalTools": 2, "skipped": null}))
            .with_message("2 tools")
            .with_tenant("octosystem");
        let text = serde_json::to_string(&envelope.to_json()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"isSuccess":true,"message":"2 tools","tenantId":"octosystem","totalTools":2}"#
        );
    }

    #[test]
    fn failure_carries_error_message_and_no_data() {
        let value = Envelope::failure("Not authenticated").to_json();
        assert_eq!(
            value,
            json!({"isSuccess": false, "errorMessage": "Not authenticated"})
        );
    }

    #[test]
    fn data_cannot_overwrite_envelope_fields() {
        let value = Envelope::success(json!({"isSuccess": false, "x": 1})).to_json();
        assert_eq!(value, json!({"isSuccess": true, "x": 1}));
    }

    #[test]
    fn conflict_fields_are_camel_case() {
        let mut envelope = Envelope::failure("stale");
        envelope.is_conflict = Some(true);
        envelope.entity = Some(json!({"rtId": "507f1f77bcf86cd799439011"}));
        envelope.current_rt_version = Some(7);
        envelope.warnings = vec!["w".into()];
        let value = envelope.to_json();
        assert_eq!(value["isConflict"], json!(true));
        assert_eq!(value["currentRtVersion"], json!(7));
        assert_eq!(value["entity"]["rtId"], json!("507f1f77bcf86cd799439011"));
        assert_eq!(value["warnings"], json!(["w"]));
    }
}
