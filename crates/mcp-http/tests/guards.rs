//! What the endpoint refuses: foreign origins and hosts, oversized and malformed bodies.

mod common;

use serde_json::json;

fn initialize_body() -> String {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": common::VERSION,
            "capabilities": {},
            "clientInfo": {"name": "guards", "version": "1"}
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_foreign_origin_is_403() {
    let server = common::start(&[]).await;
    let reply = server
        .post_raw(
            "/mcp",
            None,
            initialize_body(),
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[tokio::test]
async fn a_local_origin_is_accepted() {
    let server = common::start(&[]).await;
    let reply = server
        .post_raw(
            "/mcp",
            None,
            initialize_body(),
            &[("origin", "http://localhost:6274")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_foreign_host_is_403() {
    let server = common::start(&[]).await;
    let reply = server
        .post_raw("/mcp", None, initialize_body(), &[("host", "evil.example")])
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[tokio::test]
async fn configured_hosts_are_accepted() {
    let server = common::start(&["--allowed-hosts", "octo.example.com"]).await;
    let reply = server
        .post_raw(
            "/mcp",
            None,
            initialize_body(),
            &[("host", "octo.example.com")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let server = common::start(&["--max-request-body-bytes", "1024"]).await;
    let padding = "x".repeat(4096);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": padding}});
    let reply = server.post_raw("/mcp", None, body.to_string(), &[]).await;
    assert_eq!(reply.status, 413, "{}", reply.text);
}

#[tokio::test]
async fn malformed_json_is_a_jsonrpc_parse_error() {
    let server = common::start(&[]).await;
    let reply = server.post_raw("/mcp", None, "{not json".into(), &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.messages[0]["error"]["code"],
        json!(-32700),
        "{}",
        reply.text
    );
    // The server is still there.
    let session = server.initialize("/mcp").await;
    assert!(!session.is_empty());
}

#[tokio::test]
async fn a_non_object_message_is_an_invalid_request() {
    let server = common::start(&[]).await;
    let reply = server.post_raw("/mcp", None, "42".into(), &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.messages[0]["error"]["code"],
        json!(-32600),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn an_unknown_method_is_method_not_found() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let reply = server
        .post(
            "/mcp",
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 5, "method": "no/such/method"}),
        )
        .await;
    assert_eq!(
        reply.response(5)["error"]["code"],
        json!(-32601),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn bad_tools_call_params_are_invalid_params() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let reply = server
        .post(
            "/mcp",
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"arguments": {}}}),
        )
        .await;
    let code = reply.response(6)["error"]["code"].as_i64();
    assert_eq!(code, Some(-32602), "{}", reply.text);
}
