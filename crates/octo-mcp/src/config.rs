//! What an operator can tune about the MCP endpoint.

use std::time::Duration;

/// Configuration of an [`McpEndpoint`](crate::McpEndpoint).
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// `Host` header values accepted (host or host:port); `*` accepts any host. Guards a server on
    /// a developer machine against DNS rebinding, so the default is loopback only.
    pub allowed_hosts: Vec<String>,
    /// Browser `Origin` values accepted (scheme://host[:port|:*]); `*` accepts any. Requests
    /// without an `Origin` (every non-browser MCP client) are not affected.
    pub allowed_origins: Vec<String>,
    /// Largest accepted POST body; larger ones get 413 before they are buffered.
    pub max_request_body_bytes: usize,
    /// An MCP session with no traffic for this long is closed; its id then gets 404.
    pub session_idle_timeout: Duration,
    /// At most this many live MCP sessions; a new one beyond it gets 503.
    pub max_sessions: usize,
    /// Interval of SSE keep-alive comments, so proxies do not cut idle streams.
    pub sse_keep_alive: Duration,
    pub server_name: String,
    pub server_version: String,
    /// Shown to the assistant at initialization.
    pub instructions: String,
    /// Serve the conformance suite's fixtures (tests only, never in normal operation).
    pub conformance_fixtures: bool,
}

impl Default for McpConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            allowed_origins: vec![
                "http://localhost:*".into(),
                "https://localhost:*".into(),
                "http://127.0.0.1:*".into(),
                "https://127.0.0.1:*".into(),
                "http://[::1]:*".into(),
                "https://[::1]:*".into(),
            ],
            max_request_body_bytes: 4 * 1024 * 1024,
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            sse_keep_alive: Duration::from_secs(15),
            server_name: "octomesh-mcp-services".into(),
            server_version: env!("CARGO_PKG_VERSION").into(),
            instructions: "OctoMesh MCP Services. Call list_available_tools to see what this \
                server can do and get_tool_details for a tool's parameters. Every tool returns \
                isSuccess; when it is false, errorMessage says what to do next."
                .into(),
            conformance_fixtures: false,
        }
    }
}
