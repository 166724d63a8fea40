//! Helpers shared by the tool tests: calling a tool through the registry as the MCP layer does.

use std::sync::Arc;

use serde_json::Value;

use crate::ToolRegistry;
use crate::tool::CallInfo;

/// Calls `name` with `arguments` (a JSON object) and returns the envelope as JSON.
pub async fn call(registry: &Arc<ToolRegistry>, name: &str, arguments: Value) -> Value {
    call_at(registry, name, arguments, None).await
}

/// Like [`call`], as if the client used the `/{url_tenant}/mcp` endpoint.
pub async fn call_at(
    registry: &Arc<ToolRegistry>,
    name: &str,
    arguments: Value,
    url_tenant: Option<&str>,
) -> Value {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    let call = CallInfo {
        url_tenant: url_tenant.map(str::to_owned),
        ..CallInfo::default()
    };
    registry
        .call(name, Some(arguments), call)
        .await
        .expect("tool exists")
        .to_json()
}

/// The envelope's `errorMessage`, or "" on success.
pub fn error(out: &Value) -> &str {
    out["errorMessage"].as_str().unwrap_or_default()
}
