//! The tool catalogue over real HTTP: envelopes, structured content, tenants in the path, and
//! the stateless 2026-07-28 revision.

mod common;

use serde_json::{Value, json};

fn structured(response: &Value) -> &Value {
    &response["result"]["structuredContent"]
}

#[tokio::test]
async fn tool_results_carry_text_and_structured_envelope() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .call_tool("/mcp", &session, "list_available_tools", json!({}))
        .await;
    let result = &response["result"];
    assert_eq!(result["isError"], json!(false));
    let text = result["content"][0]["text"].as_str().expect("text block");
    let from_text: Value = serde_json::from_str(text).expect("text is the envelope JSON");
    assert_eq!(&from_text, structured(&response));
    assert_eq!(from_text["isSuccess"], json!(true));
    assert!(from_text["totalTools"].as_u64().unwrap_or(0) >= 2);
}

#[tokio::test]
async fn tools_list_has_output_schemas_and_annotations() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let reply = server
        .post(
            "/mcp",
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        )
        .await;
    let tools = reply.response(2)["result"]["tools"]
        .as_array()
        .expect("tools")
        .clone();
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], json!("object"), "{tool}");
        assert_eq!(
            tool["outputSchema"]["required"],
            json!(["isSuccess"]),
            "{tool}"
        );
        let name = tool["name"].as_str().unwrap_or_default();
        // Every tool whose verb only looks is annotated read-only, and no other. The login
        // tools: `auth_status` and `whoami` only look; `check_auth_status` stores the tokens.
        let read_only = (["get_", "list_", "check_", "search_", "query_", "navigate_"]
            .iter()
            .any(|verb| name.starts_with(verb))
            || ["auth_status", "whoami"].contains(&name))
            && name != "check_auth_status";
        assert_eq!(
            tool["annotations"]["readOnlyHint"],
            json!(read_only),
            "{tool}"
        );
        let destructive = tool["annotations"]["destructiveHint"] == json!(true);
        // Destructive tools take the confirmation the shared guard checks.
        assert_eq!(
            destructive,
            tool["inputSchema"]["properties"].get("confirm").is_some(),
            "{tool}"
        );
    }
}

#[tokio::test]
async fn an_envelope_failure_is_is_error_true() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .call_tool(
            "/mcp",
            &session,
            "get_tool_details",
            json!({"toolName": "list_tool"}),
        )
        .await;
    assert_eq!(response["result"]["isError"], json!(true));
    let envelope = structured(&response);
    assert_eq!(envelope["isSuccess"], json!(false));
    let message = envelope["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("Did you mean: list_available_tools"),
        "{message}"
    );
}

#[tokio::test]
async fn wrong_arguments_are_an_envelope_error_naming_the_parameter() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .call_tool("/mcp", &session, "get_tool_details", json!({"toolName": 5}))
        .await;
    let message = structured(&response)["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("parameter 'toolName'"), "{message}");
}

#[tokio::test]
async fn an_unknown_tool_is_a_jsonrpc_error_with_suggestions() {
    let server = common::start(&[]).await;
    let session = server.initialize("/mcp").await;
    let response = server
        .call_tool("/mcp", &session, "list_available_toolz", json!({}))
        .await;
    assert_eq!(response["error"]["code"], json!(-32602));
    assert_eq!(
        response["error"]["data"]["suggestions"][0],
        json!("list_available_tools")
    );
}

#[tokio::test]
async fn the_legacy_tenant_endpoint_serves_the_same_tools() {
    let server = common::start(&[]).await;
    let session = server.initialize("/octosystem/mcp").await;
    let response = server
        .call_tool(
            "/octosystem/mcp",
            &session,
            "list_available_tools",
            json!({}),
        )
        .await;
    assert_eq!(structured(&response)["isSuccess"], json!(true));
}

#[tokio::test]
async fn the_stateless_revision_needs_no_session() {
    let server = common::start(&[]).await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "stateless", "version": "1"}
    });
    let discover = server
        .post_raw(
            "/mcp",
            None,
            json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}})
                .to_string(),
            &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "server/discover")],
        )
        .await;
    assert_eq!(discover.status, 200, "{}", discover.text);
    let result = &discover.response(1)["result"];
    assert!(
        result["supportedVersions"]
            .as_array()
            .is_some_and(|v| v.contains(&json!("2026-07-28"))),
        "{result}"
    );
    assert!(discover.session_id().is_none());
    let call = server
        .post_raw(
            "/mcp",
            None,
            json!({
                "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "list_available_tools", "arguments": {}, "_meta": meta}
            })
            .to_string(),
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "list_available_tools"),
            ],
        )
        .await;
    assert_eq!(call.status, 200, "{}", call.text);
    assert_eq!(structured(call.response(2))["isSuccess"], json!(true));
}
