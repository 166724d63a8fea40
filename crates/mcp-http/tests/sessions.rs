//! The MCP session lifecycle over Streamable HTTP: ids, 400/404, DELETE, expiry, bounds.

mod common;

use std::time::Duration;

use serde_json::json;

fn list_tools() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
}

#[tokio::test]
async fn initialize_returns_a_session_that_serves_requests() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let reply = server.post("/mcp", Some(&session), list_tools()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let tools = reply.response(2)["result"]["tools"]
        .as_array()
        .expect("tools")
        .clone();
    assert!(tools.iter().any(|t| t["name"] == "list_available_tools"));
    // Fixtures are off in normal operation.
    assert!(!tools.iter().any(|t| t["name"] == "test_simple_text"));
}

#[tokio::test]
async fn a_request_without_session_id_is_400() {
    let server = common::start(&[]).await;
    let reply = server.post("/mcp", None, list_tools()).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
}

#[tokio::test]
async fn an_unknown_session_is_404() {
    let server = common::start(&[]).await;
    let reply = server
        .post(
            "/mcp",
            Some("00000000-0000-0000-0000-000000000000"),
            list_tools(),
        )
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text);
}

#[tokio::test]
async fn delete_ends_the_session() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .client
        .delete(server.url("/mcp"))
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", common::VERSION)
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    let reply = server.post("/mcp", Some(&session), list_tools()).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
}

#[tokio::test]
async fn get_opens_the_sse_stream_of_a_session() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .client
        .get(server.url("/mcp"))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", common::VERSION)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let server = common::start(&["--session-idle-timeout-secs", "1"]).await;
    let session = server.initialize("/mcp").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let reply = server.post("/mcp", Some(&session), list_tools()).await;
    assert_eq!(
        reply.status, 404,
        "expired session still served: {}",
        reply.text
    );
}

#[tokio::test]
async fn the_session_table_is_bounded() {
    let server = common::start(&["--max-sessions", "2"]).await;
    let _first = server.initialize("/mcp").await;
    let second = server.initialize("/mcp").await;
    let reply = server
        .post(
            "/mcp",
            None,
            json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {
                    "protocolVersion": common::VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "third", "version": "1"}
                }
            }),
        )
        .await;
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert!(reply.headers.contains_key("retry-after"));
    // Existing sessions keep working, and ending one frees a slot.
    let ok = server.post("/mcp", Some(&second), list_tools()).await;
    assert_eq!(ok.status, 200);
    server
        .client
        .delete(server.url("/mcp"))
        .header("mcp-session-id", &second)
        .header("mcp-protocol-version", common::VERSION)
        .send()
        .await
        .expect("sent");
    let _third = server.initialize("/mcp").await;
}

#[tokio::test]
async fn concurrent_sessions_are_independent() {
    let server = std::sync::Arc::new(common::start(&[]).await);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let server = std::sync::Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            let session = server.initialize("/mcp").await;
            let response = server
                .call_tool("/mcp", &session, "list_available_tools", json!({}))
                .await;
            assert_eq!(
                response["result"]["structuredContent"]["isSuccess"],
                json!(true)
            );
            session
        }));
    }
    let mut sessions = std::collections::HashSet::new();
    for task in tasks {
        sessions.insert(task.await.expect("task"));
    }
    assert_eq!(sessions.len(), 16, "session ids must be distinct");
}
