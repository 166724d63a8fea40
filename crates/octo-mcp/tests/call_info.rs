//! What a tool sees of the request it runs in: the MCP session id, the URL tenant, the
//! authorization header and a progress channel. Driven through `McpEndpoint::handle` directly.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use octo_mcp::{McpConfig, McpEndpoint};
use octo_tools::{
    Access, Annotations, Category, NoParams, Success, Tool, ToolContext, ToolError, ToolRegistry,
    ToolSpec,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Reports what it was given, after three progress steps.
struct Introspect;

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Seen {
    session_id: Option<String>,
    url_tenant: Option<String>,
    has_authorization: bool,
    progress_requested: bool,
}

#[async_trait]
impl Tool for Introspect {
    type Params = NoParams;
    type Output = Seen;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "introspect",
            title: "Introspect",
            description: "Reports the call context.",
            category: Category::ToolManagement,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(&self, ctx: &ToolContext, _: NoParams) -> Result<Success<Seen>, ToolError> {
        for step in 1..=3 {
            ctx.call
                .progress
                .report(f64::from(step), Some(3.0), format!("step {step}"))
                .await;
        }
        Ok(Success::new(Seen {
            session_id: ctx.call.session_id.clone(),
            url_tenant: ctx.call.url_tenant.clone(),
            has_authorization: ctx.call.authorization.is_some(),
            progress_requested: ctx.call.progress.is_requested(),
        }))
    }
}

fn endpoint() -> McpEndpoint {
    let registry = ToolRegistry::builder()
        .register(Introspect)
        .expect("registers")
        .build();
    McpEndpoint::new(
        Arc::new(registry),
        &McpConfig::default(),
        CancellationToken::new(),
    )
}

async fn post(
    endpoint: &McpEndpoint,
    session: Option<&str>,
    tenant: Option<&str>,
    body: Value,
) -> (Option<String>, Vec<Value>) {
    let mut request = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", "Bearer test-token");
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25");
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let response = endpoint.handle(request, tenant.map(str::to_owned)).await;
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let messages = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect();
    (session, messages)
}

async fn open_session(endpoint: &McpEndpoint, tenant: Option<&str>) -> String {
    let (session, _) = post(
        endpoint,
        None,
        tenant,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
    )
    .await;
    let session = session.expect("session id");
    post(
        endpoint,
        Some(&session),
        tenant,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    session
}

#[tokio::test]
async fn tools_see_session_tenant_and_authorization() {
    let endpoint = endpoint();
    let session = open_session(&endpoint, Some("acme")).await;
    let (_, messages) = post(
        &endpoint,
        Some(&session),
        Some("acme"),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "introspect", "arguments": {}}}),
    )
    .await;
    let result = messages
        .iter()
        .find(|m| m["id"] == json!(2))
        .expect("response");
    let seen = &result["result"]["structuredContent"];
    assert_eq!(seen["sessionId"], json!(session));
    assert_eq!(seen["urlTenant"], json!("acme"));
    assert_eq!(seen["hasAuthorization"], json!(true));
    assert_eq!(seen["progressRequested"], json!(false));
}

#[tokio::test]
async fn the_tenantless_path_has_no_url_tenant() {
    let endpoint = endpoint();
    let session = open_session(&endpoint, None).await;
    let (_, messages) = post(
        &endpoint,
        Some(&session),
        None,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "introspect", "arguments": {}}}),
    )
    .await;
    let result = messages
        .iter()
        .find(|m| m["id"] == json!(2))
        .expect("response");
    assert!(
        result["result"]["structuredContent"]
            .get("urlTenant")
            .is_none()
    );
}

#[tokio::test]
async fn progress_notifications_reach_the_client() {
    let endpoint = endpoint();
    let session = open_session(&endpoint, None).await;
    let (_, messages) = post(
        &endpoint,
        Some(&session),
        None,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "introspect", "arguments": {}, "_meta": {"progressToken": "p-1"}}}),
    )
    .await;
    let progress: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == json!("notifications/progress"))
        .collect();
    assert_eq!(progress.len(), 3, "{messages:?}");
    assert_eq!(progress[0]["params"]["progressToken"], json!("p-1"));
    assert_eq!(progress[2]["params"]["progress"], json!(3.0));
    assert_eq!(progress[2]["params"]["total"], json!(3.0));
    let result = messages
        .iter()
        .find(|m| m["id"] == json!(3))
        .expect("response");
    assert_eq!(
        result["result"]["structuredContent"]["progressRequested"],
        json!(true)
    );
}
