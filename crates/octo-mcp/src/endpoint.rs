//! The hyper-facing MCP endpoint: rmcp's Streamable HTTP service plus our guards.
//!
//! The binary's router decides which paths are MCP paths and which tenant a path names; it hands
//! the request here with that tenant. We add the tenant as a request extension (rmcp passes the
//! request's `Parts` to the handler), refuse new sessions beyond the configured bound, and let
//! rmcp do the protocol: `initialize`, `Mcp-Session-Id` (400 without it, 404 for an unknown or
//! ended one), DELETE, the GET SSE stream, the stateless 2026-07-28 revision, Origin/Host checks
//! (403) and the body limit (413).

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use octo_tools::ToolRegistry;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::store::SessionStore;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::Body;
use crate::config::McpConfig;
use crate::handler::{CatalogServer, SharedCatalog};
use crate::sessions::StoreSessions;

/// The tenant named by a legacy `/{tenantId}/mcp` URL, attached to the request for the tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTenant(pub String);

/// One MCP endpoint; cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct McpEndpoint {
    service: StreamableHttpService<CatalogServer, LocalSessionManager>,
    sessions: Arc<LocalSessionManager>,
    /// Set when sessions are kept in the store (they then survive restarts).
    persisted: Option<Arc<StoreSessions>>,
    max_sessions: usize,
    max_body_bytes: usize,
}

impl std::fmt::Debug for McpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpEndpoint")
            .field("max_sessions", &self.max_sessions)
            .finish_non_exhaustive()
    }
}

impl McpEndpoint {
    /// Builds the endpoint; `shutdown` ends every session and stream when cancelled.
    pub fn new(
        registry: Arc<ToolRegistry>,
        config: &McpConfig,
        shutdown: CancellationToken,
    ) -> Self {
        Self::build(registry, config, shutdown, None)
    }

    /// Like [`McpEndpoint::new`], with sessions kept in `sessions` so that a restarted server
    /// or another replica continues them.
    pub fn with_sessions(
        registry: Arc<ToolRegistry>,
        config: &McpConfig,
        shutdown: CancellationToken,
        sessions: Arc<StoreSessions>,
    ) -> Self {
        Self::build(registry, config, shutdown, Some(sessions))
    }

    fn build(
        registry: Arc<ToolRegistry>,
        config: &McpConfig,
        shutdown: CancellationToken,
        persisted: Option<Arc<StoreSessions>>,
    ) -> Self {
        let shared = Arc::new(SharedCatalog::new(registry, config));
        let with_fixtures = config.conformance_fixtures;

        let mut manager = LocalSessionManager::default();
        manager.session_config.keep_alive = Some(config.session_idle_timeout);
        let sessions = Arc::new(manager);

        let mut http_config = StreamableHttpServerConfig::default()
            .with_sse_keep_alive(Some(config.sse_keep_alive))
            .with_cancellation_token(shutdown)
            .with_max_request_body_bytes(config.max_request_body_bytes);
        http_config = if config.allowed_hosts.iter().any(|host| host == "*") {
            http_config.disable_allowed_hosts()
        } else {
            http_config.with_allowed_hosts(config.allowed_hosts.clone())
        };
        http_config = if config.allowed_origins.iter().any(|origin| origin == "*") {
            http_config.disable_allowed_origins()
        } else {
            http_config
                .with_allowed_origins(config.allowed_origins.clone())
                .enforce_origin_validation()
        };

        http_config.session_store = persisted
            .clone()
            .map(|sessions| sessions as Arc<dyn SessionStore>);
        let service = StreamableHttpService::new(
            move || Ok(CatalogServer::new(Arc::clone(&shared), with_fixtures)),
            Arc::clone(&sessions),
            http_config,
        );
        Self {
            service,
            sessions,
            persisted,
            max_sessions: config.max_sessions,
            max_body_bytes: config.max_request_body_bytes,
        }
    }

    /// Serves one HTTP request addressed to an MCP path.
    pub async fn handle<B>(
        &self,
        mut request: Request<B>,
        url_tenant: Option<String>,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Some(tenant) = url_tenant {
            request.extensions_mut().insert(UrlTenant(tenant));
        }
        if self.may_open_session(&request) && self.session_count().await >= self.max_sessions {
            tracing::warn!(limit = self.max_sessions, "MCP session limit reached");
            return too_many_sessions();
        }
        let (parts, body) = request.into_parts();
        // Read the body here (bounded) so that bad JSON gets a JSON-RPC parse error rather than
        // rmcp's plain-text 400, and an oversized body a 413 before it is all buffered.
        let bytes = match Limited::new(body, self.max_body_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                return jsonrpc_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    -32600,
                    &format!(
                        "Request body is larger than the server's limit of {} bytes.",
                        self.max_body_bytes
                    ),
                );
            }
            Err(error) => {
                return jsonrpc_error(
                    StatusCode::BAD_REQUEST,
                    -32600,
                    &format!("Request body could not be read: {error}"),
                );
            }
        };
        if parts.method == http::Method::POST {
            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Err(error) => {
                    return jsonrpc_error(
                        StatusCode::BAD_REQUEST,
                        -32700,
                        &format!("Parse error: the body is not valid JSON ({error})."),
                    );
                }
                Ok(value) if !(value.is_object() || value.is_array()) => {
                    return jsonrpc_error(
                        StatusCode::BAD_REQUEST,
                        -32600,
                        "Invalid Request: a JSON-RPC message must be a JSON object.",
                    );
                }
                Ok(_) => {}
            }
        }
        // Activity is recorded after rmcp has decided whether the session is still alive (an
        // idle-expired one is refused first, and touching it before would revive it).
        let session = self
            .persisted
            .as_ref()
            .and_then(|_| parts.headers.get("mcp-session-id"))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let response = self
            .service
            .handle(Request::from_parts(parts, Full::new(bytes)))
            .await;
        if let (Some(persisted), Some(session)) = (&self.persisted, session)
            && response.status().is_success()
        {
            persisted.touch(&session).await;
        }
        response
    }

    /// Live MCP sessions (those not yet ended or expired).
    pub async fn session_count(&self) -> usize {
        self.sessions.sessions.read().await.len()
    }

    /// A POST without a session id may be an `initialize` that opens a session; requests of the
    /// stateless revision (which announce it in `MCP-Protocol-Version`) never do.
    fn may_open_session<B>(&self, request: &Request<B>) -> bool {
        if request.method() != http::Method::POST
            || request.headers().contains_key("mcp-session-id")
        {
            return false;
        }
        let version = request
            .headers()
            .get("mcp-protocol-version")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        // Protocol versions are dates, so they compare as strings.
        version < "2026-07-28"
    }
}

fn too_many_sessions() -> Response<Body> {
    let mut response = jsonrpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        -32000,
        "The server has too many open MCP sessions. Retry in a minute; idle sessions expire.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    response
}

/// A JSON-RPC error response without a request id (the request could not be read).
fn jsonrpc_error(status: StatusCode, code: i64, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message}
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
