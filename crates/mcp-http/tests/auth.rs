//! Authentication end to end over HTTP, with the built-in provider at `/dev-idp` as the issuer:
//! the device flow through the tools (the browser login is a form POST to the verification
//! page, as a browser sends it), sessions kept apart, a restart that keeps the session and its
//! login, DELETE removing the login, and `bearer-required` mode (401 + RFC 9728 metadata).
//! Then the same against the certified external provider `oidc-provider` (`--oidc-issuer`):
//! device flow through the tools, tenant and read-only refusals, refresh without user action,
//! refresh token gone, bearer mode with its tokens, and a restart that keeps the login (SQLite
//! and PostgreSQL).

mod common;

use std::time::Duration;

use serde_json::{Value, json};

use common::{DEV_IDP_PASSWORD, TestServer, dev_idp_browser_login, dev_idp_token};
use octo_test_support::oidc_provider::{
    ADA, AUDIENCE, Browser, CLIENT_ID, OidcProvider, ProviderOptions, RITA,
};
use octo_test_support::{Backend, run_on_database};

async fn start_with(mode: &str, data_dir: Option<&std::path::Path>) -> TestServer {
    let args = ["--auth-mode", mode, "--dev-idp-password", DEV_IDP_PASSWORD];
    match data_dir {
        Some(dir) => common::start_in(dir, &args).await,
        None => common::start(&args).await,
    }
}

/// A free loopback address: the restarted server must keep its address, because the built-in
/// provider's issuer URL (in every token) contains it.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

async fn call(server: &TestServer, session: &str, name: &str, arguments: Value) -> Value {
    let response = server.call_tool("/mcp", session, name, arguments).await;
    response["result"]["structuredContent"].clone()
}

/// The device flow through the tools, for `tenant` in `session`.
async fn log_in(server: &TestServer, session: &str, tenant: &str) {
    let started = call(server, session, "authenticate", json!({"tenantId": tenant})).await;
    assert_eq!(started["isSuccess"], json!(true), "{started}");
    let uri = started["verificationUri"]
        .as_str()
        .expect("verificationUri");
    assert_eq!(uri, server.url("/dev-idp/device"));
    let code = started["userCode"].as_str().expect("userCode");
    // Pending before the user has done anything.
    let pending = call(server, session, "check_auth_status", json!({})).await;
    assert_eq!(pending["isPending"], json!(true), "{pending}");
    dev_idp_browser_login(server, uri, code).await;
    for _ in 0..10 {
        let status = call(server, session, "check_auth_status", json!({})).await;
        if status["isPending"] == json!(true) {
            let wait = status["retryAfterSeconds"].as_u64().unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        assert_eq!(status["isAuthenticated"], json!(true), "{status}");
        return;
    }
    panic!("the login stayed pending");
}

#[tokio::test]
async fn device_flow_on_the_built_in_provider_isolated_per_session() {
    let server = start_with("device-flow", None).await;
    let first = server.initialize("/mcp").await;
    let second = server.initialize("/mcp").await;

    let refused = call(
        &server,
        &first,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false));
    assert!(
        refused["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("Not authenticated.") && m.contains("authenticate")),
        "{refused}"
    );
    // The catalogue needs no login.
    let catalogue = call(&server, &first, "list_available_tools", json!({})).await;
    assert!(catalogue["totalTools"].as_u64() > Some(6));

    log_in(&server, &first, "octosystem").await;
    let listed = call(
        &server,
        &first,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(listed["isSuccess"], json!(true), "{listed}");
    let who = call(&server, &first, "whoami", json!({})).await;
    assert_eq!(who["userId"], json!("admin"));

    // The other session is not logged in.
    let other = call(
        &server,
        &second,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(other["isSuccess"], json!(false), "{other}");
}

#[tokio::test]
async fn a_restart_keeps_the_session_and_its_login_and_delete_removes_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let address = free_address();
    let args = [
        "--auth-mode",
        "device-flow",
        "--dev-idp-password",
        DEV_IDP_PASSWORD,
        "--listen",
        &address,
    ];
    let server = common::start_in(dir.path(), &args).await;
    let session = server.initialize("/mcp").await;
    log_in(&server, &session, "octosystem").await;
    server.stop().await;

    // A new process on the same data: the client goes on with its session id, no initialize.
    let server = common::start_in(dir.path(), &args).await;
    let listed = call(
        &server,
        &session,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(listed["isSuccess"], json!(true), "{listed}");

    // DELETE ends the session and removes its login from the store.
    let deleted = server
        .client
        .delete(server.url("/mcp"))
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", common::VERSION)
        .send()
        .await
        .expect("sent");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    server.stop().await;
    let store = octo_store::open(&format!(
        "sqlite://{}",
        dir.path().join("octomesh.db").display()
    ))
    .await
    .expect("store");
    assert!(
        store
            .list_auth_tokens(&session)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .get_mcp_session(&session)
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn bearer_required_mode_answers_401_with_the_resource_metadata() {
    let server = start_with("bearer-required", None).await;
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": common::VERSION,
            "capabilities": {},
            "clientInfo": {"name": "auth-tests", "version": "1.0"}
        }
    });
    let refused = server.post("/mcp", None, initialize.clone()).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let challenge = refused.headers["www-authenticate"].to_str().expect("ascii");
    let metadata_url = server.url("/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        challenge,
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    let metadata: Value = server
        .client
        .get(&metadata_url)
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["resource"], json!(server.url("/mcp")));
    assert_eq!(
        metadata["authorization_servers"],
        json!([server.url("/dev-idp")])
    );

    let bad = server
        .post_raw(
            "/mcp",
            None,
            initialize.to_string(),
            &[("authorization", "Bearer not-a-token")],
        )
        .await;
    assert_eq!(bad.status, 401);
    assert!(
        bad.headers["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.contains("error=\"invalid_token\""))
    );

    let token = dev_idp_token(&server, "openid octo_api", "octosystem").await;
    let bearer = format!("Bearer {token}");
    let accepted = server
        .post_raw(
            "/mcp",
            None,
            initialize.to_string(),
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let session = accepted.session_id().expect("session");
    let reply = server
        .post_raw(
            "/mcp",
            Some(&session),
            json!({
                "jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "get_tenants", "arguments": {"tenantId": "octosystem"}}
            })
            .to_string(),
            &[("authorization", bearer.as_str())],
        )
        .await;
    let envelope = &reply.response(7)["result"]["structuredContent"];
    assert_eq!(envelope["isSuccess"], json!(true), "{envelope}");
}

#[tokio::test]
async fn disabled_mode_serves_no_metadata() {
    let server = common::start(&[]).await;
    let response = server
        .client
        .get(server.url("/.well-known/oauth-protected-resource"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
}

// ---------------------------------------------------------------------------------------------
// The same end to end against a certified external provider: npm `oidc-provider`, started per
// test by octo-test-support (needs `cargo xtask test`, or OCTO_TEST_NODE and
// OCTO_TEST_NODE_MODULES). The browser login goes through its HTML pages with cookies.

async fn start_on(provider: &OidcProvider, mode: &str) -> TestServer {
    common::start(&[
        "--auth-mode",
        mode,
        "--oidc-issuer",
        &provider.issuer,
        "--oidc-audience",
        AUDIENCE,
    ])
    .await
}

fn error_message(envelope: &Value) -> &str {
    envelope["errorMessage"].as_str().unwrap_or("")
}

/// `authenticate`, the browser login on oidc-provider, then `check_auth_status` until done.
async fn log_in_on_provider(
    server: &TestServer,
    provider: &OidcProvider,
    session: &str,
    tenant: &str,
    user: (&str, &str),
) {
    let started = call(server, session, "authenticate", json!({"tenantId": tenant})).await;
    assert_eq!(started["isSuccess"], json!(true), "{started}");
    let uri = started["verificationUri"]
        .as_str()
        .expect("verificationUri");
    assert_eq!(uri, format!("{}/device", provider.issuer));
    let code = started["userCode"].as_str().expect("userCode");
    let pending = call(server, session, "check_auth_status", json!({})).await;
    assert_eq!(pending["isPending"], json!(true), "{pending}");
    Browser::new().log_in(uri, code, user).await;
    for _ in 0..10 {
        let status = call(server, session, "check_auth_status", json!({})).await;
        if status["isPending"] == json!(true) {
            let wait = status["retryAfterSeconds"].as_u64().unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        assert_eq!(status["isAuthenticated"], json!(true), "{status}");
        return;
    }
    panic!("the login stayed pending");
}

#[tokio::test]
async fn device_flow_on_oidc_provider_through_the_tools() {
    let provider = OidcProvider::start(&ProviderOptions {
        access_token_ttl: Some(2),
        ..ProviderOptions::default()
    })
    .await;
    let server = start_on(&provider, "device-flow").await;
    let first = server.initialize("/mcp").await;
    let second = server.initialize("/mcp").await;
    let tenants = json!({"tenantId": "octosystem"});

    let refused = call(&server, &first, "get_tenants", tenants.clone()).await;
    assert!(
        error_message(&refused).starts_with("Not authenticated."),
        "{refused}"
    );
    log_in_on_provider(&server, &provider, &first, "octosystem", ADA).await;
    let listed = call(&server, &first, "get_tenants", tenants.clone()).await;
    assert_eq!(listed["isSuccess"], json!(true), "{listed}");
    let who = call(&server, &first, "whoami", json!({})).await;
    assert_eq!(who["userId"], json!("ada"), "{who}");

    // The token is for octosystem: another tenant is refused, naming it.
    let other_tenant = call(
        &server,
        &first,
        "get_tenants",
        json!({"tenantId": "plant-b"}),
    )
    .await;
    assert_eq!(other_tenant["isSuccess"], json!(false), "{other_tenant}");
    assert!(
        error_message(&other_tenant).contains("'plant-b'"),
        "{other_tenant}"
    );
    // The other session holds nothing.
    let other_session = call(&server, &second, "get_tenants", tenants.clone()).await;
    assert!(
        error_message(&other_session).starts_with("Not authenticated."),
        "{other_session}"
    );

    // Past the access token's two seconds the server refreshes it; the user does nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after_expiry = call(&server, &first, "get_tenants", tenants.clone()).await;
    assert_eq!(after_expiry["isSuccess"], json!(true), "{after_expiry}");

    // A read-only user reads, and is refused a tool that writes.
    log_in_on_provider(&server, &provider, &second, "octosystem", RITA).await;
    let read = call(&server, &second, "get_tenants", tenants.clone()).await;
    assert_eq!(read["isSuccess"], json!(true), "{read}");
    let write = call(
        &server,
        &second,
        "create_tenant",
        json!({"tenantId": "octosystem", "childTenantId": "plant9"}),
    )
    .await;
    assert_eq!(write["isSuccess"], json!(false), "{write}");
    assert!(error_message(&write).contains("read-only"), "{write}");
}

#[tokio::test]
async fn a_refresh_token_gone_at_oidc_provider_means_not_authenticated() {
    let provider = OidcProvider::start(&ProviderOptions {
        access_token_ttl: Some(1),
        refresh_token_ttl: Some(2),
        ..ProviderOptions::default()
    })
    .await;
    let server = start_on(&provider, "device-flow").await;
    let session = server.initialize("/mcp").await;
    log_in_on_provider(&server, &provider, &session, "octosystem", ADA).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refused = call(
        &server,
        &session,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false), "{refused}");
    let message = error_message(&refused);
    assert!(
        message.starts_with("Not authenticated.") && message.contains("'octosystem'"),
        "{refused}"
    );
}

/// An access token from oidc-provider: device authorization, browser login, token request.
async fn oidc_provider_token(provider: &OidcProvider, tenant: &str) -> String {
    let http = reqwest::Client::new();
    let authorization: Value = http
        .post(format!("{}/device/auth", provider.issuer))
        .form(&[
            ("client_id", CLIENT_ID),
            ("scope", "openid octo_api"),
            ("acr_values", &format!("tenant:{tenant}")),
        ])
        .send()
        .await
        .expect("device authorization")
        .json()
        .await
        .expect("json");
    let uri = authorization["verification_uri"].as_str().expect("uri");
    let code = authorization["user_code"].as_str().expect("user code");
    Browser::new().log_in(uri, code, ADA).await;
    let device_code = authorization["device_code"].as_str().expect("device code");
    let tokens: Value = http
        .post(format!("{}/token", provider.issuer))
        .form(&[
            ("client_id", CLIENT_ID),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {tokens}"))
        .to_owned()
}

#[tokio::test]
async fn bearer_required_mode_with_oidc_provider_tokens() {
    let provider = OidcProvider::start(&ProviderOptions::default()).await;
    let server = start_on(&provider, "bearer-required").await;
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": common::VERSION,
            "capabilities": {},
            "clientInfo": {"name": "auth-tests", "version": "1.0"}
        }
    });
    let refused = server.post("/mcp", None, initialize.clone()).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let metadata_url = server.url("/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        refused.headers["www-authenticate"].to_str().expect("ascii"),
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    let metadata: Value = server
        .client
        .get(&metadata_url)
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(metadata["authorization_servers"], json!([provider.issuer]));

    let token = oidc_provider_token(&provider, "octosystem").await;
    // The same token with its tenant changed after signing is refused.
    let tampered = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: Value =
            serde_json::from_slice(&engine.decode(&parts[1]).expect("base64")).expect("json");
        claims["tenant_id"] = json!("plant-z");
        parts[1] = engine.encode(serde_json::to_vec(&claims).expect("json"));
        parts.join(".")
    };
    let forged = server
        .post_raw(
            "/mcp",
            None,
            initialize.to_string(),
            &[("authorization", format!("Bearer {tampered}").as_str())],
        )
        .await;
    assert_eq!(forged.status, 401, "{}", forged.text);

    let bearer = format!("Bearer {token}");
    let accepted = server
        .post_raw(
            "/mcp",
            None,
            initialize.to_string(),
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let session = accepted.session_id().expect("session");
    let reply = server
        .post_raw(
            "/mcp",
            Some(&session),
            json!({
                "jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "get_tenants", "arguments": {"tenantId": "octosystem"}}
            })
            .to_string(),
            &[("authorization", bearer.as_str())],
        )
        .await;
    let envelope = &reply.response(7)["result"]["structuredContent"];
    assert_eq!(envelope["isSuccess"], json!(true), "{envelope}");
}

/// Logs in on oidc-provider, stops the server, waits until the access token has expired, and
/// starts a new server on the same data: the same session goes on, its token refreshed with the
/// refresh token kept (sealed) in the store.
async fn a_restart_keeps_an_oidc_provider_login(data_dir: &std::path::Path, extra: &[&str]) {
    let provider = OidcProvider::start(&ProviderOptions {
        access_token_ttl: Some(2),
        ..ProviderOptions::default()
    })
    .await;
    let mut args = vec![
        "--auth-mode",
        "device-flow",
        "--oidc-issuer",
        &provider.issuer,
        "--oidc-audience",
        AUDIENCE,
    ];
    args.extend_from_slice(extra);
    let server = common::start_in(data_dir, &args).await;
    let session = server.initialize("/mcp").await;
    log_in_on_provider(&server, &provider, &session, "octosystem", ADA).await;
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let restarted = common::start_in(data_dir, &args).await;
    let listed = call(
        &restarted,
        &session,
        "get_tenants",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(listed["isSuccess"], json!(true), "{listed}");
    let who = call(&restarted, &session, "whoami", json!({})).await;
    assert_eq!(who["userId"], json!("ada"), "{who}");
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_an_oidc_provider_login_on_sqlite() {
    let data = tempfile::tempdir().expect("temp data folder");
    a_restart_keeps_an_oidc_provider_login(data.path(), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_an_oidc_provider_login_on_postgres() {
    run_on_database(Backend::Postgres, |url| async move {
        let data = tempfile::tempdir().expect("temp data folder");
        a_restart_keeps_an_oidc_provider_login(data.path(), &["--database-url", &url]).await;
    })
    .await;
}
