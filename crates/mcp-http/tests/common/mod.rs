//! Test support: a real server on a free loopback port and a minimal JSON-RPC-over-HTTP client.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use mcp_http::{Cli, Server, Settings};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const ACCEPT: &str = "application/json, text/event-stream";
pub const VERSION: &str = "2025-11-25";

/// A running server; stops when dropped ([`TestServer::stop`] also waits until it has stopped).
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    serving: Option<JoinHandle<()>>,
    data_dir: PathBuf,
    /// Whether the data folder is the server's own, removed when it is dropped.
    owns_data_dir: bool,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if self.owns_data_dir {
            std::fs::remove_dir_all(&self.data_dir).ok();
        }
    }
}

/// Starts a server with extra command-line flags on 127.0.0.1, port chosen by the OS, with a
/// data folder of its own (removed when the server is dropped).
pub async fn start(extra: &[&str]) -> TestServer {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let data_dir = std::env::temp_dir().join(format!(
        "mcp-http-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    launch(data_dir, true, extra).await
}

/// Starts a server like [`start`] on the data folder `data_dir`, which is kept when the server
/// stops, so another server can be started on the same data (pass `--database-url` in `extra`
/// for a database outside it).
pub async fn start_in(data_dir: &Path, extra: &[&str]) -> TestServer {
    launch(data_dir.to_path_buf(), false, extra).await
}

async fn launch(data_dir: PathBuf, owns_data_dir: bool, extra: &[&str]) -> TestServer {
    let data = data_dir.display().to_string();
    let mut args = vec!["mcp-http", "--data-dir", &data];
    if !extra.contains(&"--listen") {
        args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    }
    // Tests that are not about authentication run without it (allowed on loopback); the
    // authentication tests name their mode.
    if !extra.contains(&"--auth-mode") {
        args.extend_from_slice(&["--auth-mode", "disabled"]);
    }
    args.extend_from_slice(extra);
    let settings = Settings::resolve(Cli::parse_from(args)).expect("valid settings");
    let shutdown = CancellationToken::new();
    let server = Server::bind(&settings, shutdown.clone())
        .await
        .expect("server binds");
    let addr = server.local_addr().expect("bound address");
    let serving = tokio::spawn(server.serve());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let server = TestServer {
        addr,
        client,
        shutdown,
        serving: Some(serving),
        data_dir,
        owns_data_dir,
    };
    server.wait_ready().await;
    server
}

/// What one HTTP exchange returned; `messages` are the JSON-RPC messages in the body (plain JSON
/// or SSE `data:` lines).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub messages: Vec<Value>,
}

impl Reply {
    /// The message answering request `id`.
    pub fn response(&self, id: i64) -> &Value {
        self.messages
            .iter()
            .find(|m| m["id"] == json!(id))
            .unwrap_or_else(|| panic!("no response with id {id} in {}", self.text))
    }

    pub fn session_id(&self) -> Option<String> {
        self.headers
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl TestServer {
    /// Stops the server (as SIGTERM does: its shutdown token is cancelled) and waits until it has
    /// drained its connections and returned, so a new server can be started on the same data.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(serving) = self.serving.take() {
            tokio::time::timeout(Duration::from_secs(30), serving)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task ends without panicking");
        }
    }

    /// The data folder (for a restart on the same data).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn wait_ready(&self) {
        for _ in 0..100 {
            if let Ok(response) = self.client.get(self.url("/health/ready")).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("server did not become ready");
    }

    /// POSTs `body` to `path` with the headers an MCP client sends.
    pub async fn post(&self, path: &str, session: Option<&str>, body: Value) -> Reply {
        self.post_raw(path, session, body.to_string(), &[]).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        session: Option<&str>,
        body: String,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .body(body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", VERSION);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// Runs the initialize handshake on `path` and returns the session id.
    pub async fn initialize(&self, path: &str) -> String {
        let reply = self
            .post(
                path,
                None,
                json!({
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {
                        "protocolVersion": VERSION,
                        "capabilities": {},
                        "clientInfo": {"name": "mcp-http-tests", "version": "1.0"}
                    }
                }),
            )
            .await;
        assert_eq!(reply.status, 200, "initialize failed: {}", reply.text);
        let session = reply
            .session_id()
            .expect("initialize returns Mcp-Session-Id");
        let ack = self
            .post(
                path,
                Some(&session),
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            )
            .await;
        assert_eq!(ack.status, 202, "initialized notification: {}", ack.text);
        session
    }

    /// Calls a tool in a session and returns the JSON-RPC response message.
    pub async fn call_tool(
        &self,
        path: &str,
        session: &str,
        name: &str,
        arguments: Value,
    ) -> Value {
        let reply = self
            .post(
                path,
                Some(session),
                json!({
                    "jsonrpc": "2.0", "id": 7, "method": "tools/call",
                    "params": {"name": name, "arguments": arguments}
                }),
            )
            .await;
        assert_eq!(reply.status, 200, "tools/call: {}", reply.text);
        reply.response(7).clone()
    }
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let messages = parse_messages(&text);
    Reply {
        status,
        headers,
        text,
        messages,
    }
}

fn parse_messages(text: &str) -> Vec<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match value {
            Value::Array(items) => items,
            other => vec![other],
        };
    }
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .collect()
}

/// The password tests give the built-in provider's user `admin` (`--dev-idp-password`).
pub const DEV_IDP_PASSWORD: &str = "test-admin-password";

/// Submits the built-in provider's verification form as a browser does.
pub async fn dev_idp_browser_login(server: &TestServer, verification_uri: &str, user_code: &str) {
    let page = server
        .client
        .post(verification_uri)
        .form(&[
            ("user_code", user_code),
            ("username", "admin"),
            ("password", DEV_IDP_PASSWORD),
            ("action", "approve"),
        ])
        .send()
        .await
        .expect("verification page answers");
    assert!(page.status().is_success(), "login page: {}", page.status());
}

/// An access token of `scope` for `tenant` from the built-in provider, by the device flow over
/// its HTTP endpoints.
pub async fn dev_idp_token(server: &TestServer, scope: &str, tenant: &str) -> String {
    let issuer = server.url("/dev-idp");
    let acr_values = format!("tenant:{tenant}");
    let authorization: Value = server
        .client
        .post(format!("{issuer}/connect/deviceauthorization"))
        .form(&[
            ("client_id", "octo-mcpServices-device"),
            ("scope", scope),
            ("acr_values", acr_values.as_str()),
        ])
        .send()
        .await
        .expect("device authorization")
        .json()
        .await
        .expect("json");
    let code = authorization["user_code"].as_str().expect("user code");
    dev_idp_browser_login(server, &format!("{issuer}/device"), code).await;
    let device_code = authorization["device_code"].as_str().expect("device code");
    let tokens: Value = server
        .client
        .post(format!("{issuer}/connect/token"))
        .form(&[
            ("client_id", "octo-mcpServices-device"),
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
