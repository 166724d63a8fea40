//! Registry behaviour: argument validation, error mapping, panic containment, name lookup.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ToolRegistry;
use crate::error::{RegistryError, ToolError};
use crate::tool::{
    Access, Annotations, CallInfo, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

/// A test tool whose behaviour is chosen by its `mode` argument.
struct Probe;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProbeParams {
    mode: String,
    count: Option<u32>,
    /// Only read by the gate.
    #[allow(dead_code)]
    tenant_id: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ProbeOutput {
    echoed_count: Option<u32>,
}

#[async_trait]
impl Tool for Probe {
    type Params = ProbeParams;
    type Output = ProbeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "probe_tool",
            title: "Probe",
            description: "Test tool. Second sentence.",
            category: Category::ToolManagement,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "ok",
                parameters: json!({"mode": "ok"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        _: &ToolContext,
        p: ProbeParams,
    ) -> Result<Success<ProbeOutput>, ToolError> {
        match p.mode.as_str() {
            "ok" => Ok(Success::new(ProbeOutput {
                echoed_count: p.count,
            })
            .message("fine")
            .tenant("acme")),
            "fail" => Err(ToolError::Failed {
                message: "Tenant 'acme' not found".into(),
                tenant_id: Some("acme".into()),
            }),
            "conflict" => Err(ToolError::Conflict {
                message: "stale".into(),
                tenant_id: None,
                entity: Some(json!({"rtVersion": 4})),
                current_rt_version: 4,
            }),
            _ => panic!("probe asked to panic"),
        }
    }
}

fn registry() -> Arc<ToolRegistry> {
    let builder = ToolRegistry::builder()
        .register(Probe)
        .expect("probe registers");
    let builder = crate::catalog::register(builder).expect("catalog registers");
    Arc::new(builder.build())
}

fn args(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

async fn call(name: &str, arguments: Value) -> Value {
    registry()
        .call(name, args(arguments), CallInfo::default())
        .await
        .expect("tool exists")
        .to_json()
}

#[tokio::test]
async fn success_merges_data_message_and_tenant() {
    let out = call("probe_tool", json!({"mode": "ok", "count": 3})).await;
    assert_eq!(
        out,
        json!({"isSuccess": true, "message": "fine", "tenantId": "acme", "echoedCount": 3})
    );
}

#[tokio::test]
async fn missing_required_parameter_is_named() {
    let out = call("probe_tool", json!({})).await;
    assert_eq!(out["isSuccess"], json!(false));
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("missing required parameter 'mode'"),
        "{message}"
    );
    assert!(message.contains("get_tool_details"), "{message}");
}

#[tokio::test]
async fn wrong_type_names_the_parameter() {
    let out = call("probe_tool", json!({"mode": "ok", "count": "three"})).await;
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("parameter 'count'"), "{message}");
}

#[tokio::test]
async fn unknown_parameter_is_named() {
    let out = call("probe_tool", json!({"mode": "ok", "cuont": 1})).await;
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("unknown parameter 'cuont'"), "{message}");
}

#[tokio::test]
async fn failure_keeps_the_tenant_it_resolved() {
    let out = call("probe_tool", json!({"mode": "fail"})).await;
    assert_eq!(
        out,
        json!({"isSuccess": false, "errorMessage": "Tenant 'acme' not found", "tenantId": "acme"})
    );
}

#[tokio::test]
async fn conflict_carries_entity_and_current_version() {
    let out = call("probe_tool", json!({"mode": "conflict"})).await;
    assert_eq!(out["isConflict"], json!(true));
    assert_eq!(out["currentRtVersion"], json!(4));
    assert_eq!(out["entity"], json!({"rtVersion": 4}));
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_envelope_error() {
    let out = call("probe_tool", json!({"mode": "panic"})).await;
    assert_eq!(out["isSuccess"], json!(false));
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("internal error"), "{message}");
    // The server stays usable after a panic.
    let again = call("probe_tool", json!({"mode": "ok"})).await;
    assert_eq!(again["isSuccess"], json!(true));
}

#[tokio::test]
async fn unknown_tool_is_not_an_envelope_and_suggests_names() {
    let error = registry()
        .call("list_available_toolz", None, CallInfo::default())
        .await
        .expect_err("unknown tool");
    assert_eq!(
        error.suggestions.first().map(String::as_str),
        Some("list_available_tools")
    );
    assert!(
        error
            .to_string()
            .starts_with("Unknown tool 'list_available_toolz'.")
    );
}

#[test]
fn duplicate_names_are_refused() {
    let result = ToolRegistry::builder()
        .register(Probe)
        .and_then(|b| b.register(Probe));
    assert!(matches!(result, Err(RegistryError::DuplicateTool(name)) if name == "probe_tool"));
}

/// A tool whose example does not match its own schema.
struct BadExample;

#[async_trait]
impl Tool for BadExample {
    type Params = ProbeParams;
    type Output = ProbeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            examples: vec![ToolExample {
                description: "wrong",
                parameters: json!({"count": 1}),
            }],
            name: "bad_example",
            ..Probe.spec()
        }
    }

    async fn run(
        &self,
        _: &ToolContext,
        _: ProbeParams,
    ) -> Result<Success<ProbeOutput>, ToolError> {
        Err(ToolError::failed("unused"))
    }
}

#[test]
fn examples_must_match_the_schema() {
    let result = ToolRegistry::builder().register(BadExample);
    assert!(
        matches!(&result, Err(RegistryError::InvalidExample { tool, .. }) if tool == "bad_example"),
        "{result:?}"
    );
}

#[test]
fn summary_is_the_first_sentence() {
    let registry = registry();
    let probe = registry.get("probe_tool").expect("registered");
    assert_eq!(probe.summary(), "Test tool.");
}

#[tokio::test]
async fn the_standard_registry_builds() {
    let platform = crate::test_platform().await;
    let registry = crate::standard_registry(&platform).expect("standard registry");
    assert!(registry.get("list_available_tools").is_some());
    assert!(registry.get("get_tool_details").is_some());
}

/// A destructive test tool guarded by the shared confirmation check.
struct Wipe;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct WipeParams {
    tenant_id: Option<String>,
    #[serde(default)]
    confirm: bool,
}

#[async_trait]
impl Tool for Wipe {
    type Params = WipeParams;
    type Output = ProbeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "wipe_tenant",
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![],
            confirmation: Some(crate::Confirmation {
                verb: "wipe",
                target: crate::ConfirmTarget::Parameter("tenantId"),
            }),
            ..Probe.spec()
        }
    }

    async fn run(&self, _: &ToolContext, p: WipeParams) -> Result<Success<ProbeOutput>, ToolError> {
        assert!(p.confirm, "the guard must run before the handler");
        Ok(Success::new(ProbeOutput { echoed_count: None }).message("wiped"))
    }
}

fn guarded() -> Arc<ToolRegistry> {
    Arc::new(
        ToolRegistry::builder()
            .register(Wipe)
            .expect("wipe registers")
            .build(),
    )
}

#[tokio::test]
async fn destructive_tools_refuse_without_confirm() {
    for arguments in [
        json!({"tenantId": "acme"}),
        json!({"tenantId": "acme", "confirm": false}),
    ] {
        let out = guarded()
            .call("wipe_tenant", args(arguments), CallInfo::default())
            .await
            .expect("exists")
            .to_json();
        assert_eq!(out["isSuccess"], json!(false));
        let message = out["errorMessage"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Refusing to wipe 'acme' without confirm=true."),
            "{message}"
        );
    }
}

#[tokio::test]
async fn destructive_tools_run_with_confirm_true() {
    let out = guarded()
        .call(
            "wipe_tenant",
            args(json!({"tenantId": "acme", "confirm": true})),
            CallInfo::default(),
        )
        .await
        .expect("exists")
        .to_json();
    assert_eq!(out["isSuccess"], json!(true), "{out}");
}

#[tokio::test]
async fn the_refusal_names_the_url_tenant_when_no_parameter_is_given() {
    let call = CallInfo {
        url_tenant: Some("plant7".into()),
        ..CallInfo::default()
    };
    let out = guarded()
        .call("wipe_tenant", args(json!({})), call)
        .await
        .expect("exists")
        .to_json();
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Refusing to wipe 'plant7'"),
        "{message}"
    );
}

#[test]
fn destructive_without_confirmation_is_a_registry_error() {
    struct Unguarded;
    #[async_trait]
    impl Tool for Unguarded {
        type Params = WipeParams;
        type Output = ProbeOutput;
        fn spec(&self) -> ToolSpec {
            ToolSpec {
                name: "unguarded",
                confirmation: None,
                ..Wipe.spec()
            }
        }
        async fn run(
            &self,
            _: &ToolContext,
            _: WipeParams,
        ) -> Result<Success<ProbeOutput>, ToolError> {
            Err(ToolError::failed("unused"))
        }
    }
    let result = ToolRegistry::builder().register(Unguarded);
    assert!(matches!(result, Err(RegistryError::InvalidSchema { .. })));
}

/// A gate that admits only calls with the tenant `open`, and records what it was asked.
struct TenantGate(std::sync::Mutex<Vec<(String, Access, Option<String>)>>);

#[async_trait]
impl crate::AccessGate for TenantGate {
    async fn admit(
        &self,
        tool: &str,
        access: Access,
        tenant: Option<&str>,
        _call: &CallInfo,
    ) -> Result<(), crate::GateRefusal> {
        self.0
            .lock()
            .expect("lock")
            .push((tool.to_owned(), access, tenant.map(str::to_owned)));
        if tenant == Some("open") {
            Ok(())
        } else {
            Err(crate::GateRefusal {
                message: "Not authenticated. Log in.".into(),
                tenant_id: tenant.map(str::to_owned),
            })
        }
    }
}

#[tokio::test]
async fn the_gate_runs_before_every_non_public_handler() {
    let gate = Arc::new(TenantGate(std::sync::Mutex::new(Vec::new())));
    let builder = ToolRegistry::builder()
        .register(Probe)
        .expect("probe registers");
    let registry = Arc::new(
        crate::catalog::register(builder)
            .expect("catalog registers")
            .gate(Arc::clone(&gate) as Arc<dyn crate::AccessGate>)
            .build(),
    );
    let run = |arguments: Value| {
        let registry = Arc::clone(&registry);
        async move {
            registry
                .call("probe_tool", args(arguments), CallInfo::default())
                .await
                .expect("tool exists")
                .to_json()
        }
    };
    // Refused before the handler (which would have panicked).
    let refused = run(json!({"mode": "panic", "tenantId": "closed"})).await;
    assert_eq!(
        refused,
        json!({"isSuccess": false, "errorMessage": "Not authenticated. Log in.", "tenantId": "closed"})
    );
    let admitted = run(json!({"mode": "ok", "tenantId": "open"})).await;
    assert_eq!(admitted["isSuccess"], json!(true));
    // Public tools are never asked about.
    let listed = registry
        .call("list_available_tools", args(json!({})), CallInfo::default())
        .await
        .expect("tool exists")
        .to_json();
    assert_eq!(listed["totalTools"], json!(3));
    let asked = gate.0.lock().expect("lock").clone();
    assert_eq!(
        asked,
        vec![
            (
                "probe_tool".to_owned(),
                Access::Read,
                Some("closed".to_owned())
            ),
            (
                "probe_tool".to_owned(),
                Access::Read,
                Some("open".to_owned())
            ),
        ]
    );
}

/// A tool whose access contradicts its annotation.
struct Mislabelled;

#[async_trait]
impl Tool for Mislabelled {
    type Params = crate::NoParams;
    type Output = ProbeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "sneaky_write",
            access: Access::Read,
            annotations: Annotations::ADDITIVE,
            ..Probe.spec()
        }
    }

    async fn run(
        &self,
        _: &ToolContext,
        _: crate::NoParams,
    ) -> Result<Success<ProbeOutput>, ToolError> {
        Ok(Success::new(ProbeOutput { echoed_count: None }))
    }
}

#[test]
fn access_must_match_the_read_only_annotation() {
    let error = ToolRegistry::builder()
        .register(Mislabelled)
        .map(|_| ())
        .expect_err("refused");
    assert!(
        error.to_string().contains("not annotated read-only"),
        "{error}"
    );
}
