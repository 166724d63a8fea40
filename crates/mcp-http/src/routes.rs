//! The HTTP router: which path goes where. Domain logic lives in the crates it routes to.
//!
//! - `/mcp`: the tenantless MCP endpoint.
//! - `/{tenantId}/mcp`: the legacy endpoint; the path's tenant is the tools' fallback tenant.
//! - `/health`, `/health/ready`, `/health/live`: probes.
//! - `/metrics`: Prometheus text format (unless `--metrics-listen` moves it to its own address).
//! - `PUT /file-transfer/upload/{id}`, `GET|HEAD /file-transfer/download/{id}`: file transfers.
//!   Not behind the MCP Origin/Host check (plain HTTP clients such as curl use them) nor auth:
//!   the unguessable 128-bit id is the capability, as in the reference server.
//! - `POST /{tenantId}/stream-data/{archiveRtId}`: stream-data ingestion (NDJSON or a JSON
//!   array of rows), behind the bearer check whenever authentication is on; see [`crate::ingest`].
//! - `/.well-known/oauth-protected-resource[/mcp|/{tenantId}/mcp]`: RFC 9728 metadata naming the
//!   identity provider (404 when authentication is disabled).
//! - `/dev-idp/...`: the built-in development identity provider, when it is the issuer.
//! - anything else, the bare host included: 404 with a body naming the right paths.
//!
//! In `bearer-required` mode an MCP request without a valid bearer token gets 401 with
//! `WWW-Authenticate: Bearer resource_metadata="…"` before it reaches the MCP endpoint.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use octo_ids::TenantId;
use octo_mcp::{Body, McpEndpoint};
use octo_tools::ToolRegistry;
use serde_json::{Value, json};

use crate::health::Health;

/// Everything a request may need; shared by all connections.
#[derive(Debug)]
pub struct App {
    pub endpoint: McpEndpoint,
    pub registry: Arc<ToolRegistry>,
    pub platform: octo_tools::Platform,
    pub health: Health,
    pub data_dir: std::path::PathBuf,
    /// Whether `/metrics` is served on this listener (false when it has its own address).
    pub metrics_here: bool,
    pub auth: crate::auth::Auth,
    /// MCP sessions kept in the store.
    pub sessions: Arc<octo_mcp::StoreSessions>,
}

const NOT_FOUND_HINT: &str = "Not found. The MCP endpoint is /mcp (tenantless; pass tenantId to \
    each tool) or /{tenantId}/mcp (legacy). Health probes: /health, /health/ready, /health/live.\n";

/// The response body of every route: MCP and probe bodies never fail, file downloads may (an
/// I/O error mid-stream aborts the response).
pub type RouteBody = octo_transfer::TransferBody;

/// Routes one request. Generic over the body so tests can drive it without a socket.
pub async fn route<B>(app: Arc<App>, request: Request<B>) -> Response<RouteBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["file-transfer", "upload", id] => {
            let id = (*id).to_owned();
            app.platform.transfers.handle_upload(&id, request).await
        }
        ["file-transfer", "download", id] => {
            let id = (*id).to_owned();
            app.platform.transfers.handle_download(&id, request).await
        }
        ["dev-idp", ..] if app.auth.dev_idp.is_some() => dev_idp(&app, request).await,
        [tenant, "stream-data", archive] if !tenant.is_empty() && !archive.is_empty() => {
            crate::ingest::handle(&app, tenant, archive, request)
                .await
                .map(|body| body.map_err(|never| match never {}).boxed())
        }
        _ => route_mcp(app, request, &segments)
            .await
            .map(|body| body.map_err(|never| match never {}).boxed()),
    }
}

async fn route_mcp<B>(app: Arc<App>, request: Request<B>, segments: &[&str]) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match segments {
        ["mcp"] => {
            if let Some(refused) = app.auth.require_bearer(request.headers(), "/mcp").await {
                return refused;
            }
            app.endpoint.handle(request, None).await
        }
        [tenant, "mcp"] if !tenant.is_empty() => match tenant.parse::<TenantId>() {
            Ok(tenant) => {
                let path = format!("/{tenant}/mcp");
                if let Some(refused) = app.auth.require_bearer(request.headers(), &path).await {
                    return refused;
                }
                app.endpoint.handle(request, Some(tenant.to_string())).await
            }
            Err(error) => text(StatusCode::NOT_FOUND, format!("{error}\n{NOT_FOUND_HINT}")),
        },
        [".well-known", "oauth-protected-resource", rest @ ..] => {
            let resource = if rest.is_empty() {
                "/mcp".to_owned()
            } else {
                format!("/{}", rest.join("/"))
            };
            match app.auth.resource_metadata(request.headers(), &resource) {
                Some(metadata) => probe(&request, metadata, StatusCode::OK),
                None => text(
                    StatusCode::NOT_FOUND,
                    "Authentication is disabled on this server.\n".to_owned(),
                ),
            }
        }
        ["health"] => probe(&request, health_document(&app).await, StatusCode::OK),
        ["health", "ready"] => {
            if app.health.is_ready() {
                probe(&request, json!({"status": "ready"}), StatusCode::OK)
            } else {
                probe(
                    &request,
                    json!({"status": "starting"}),
                    StatusCode::SERVICE_UNAVAILABLE,
                )
            }
        }
        ["health", "live"] => probe(&request, json!({"status": "alive"}), StatusCode::OK),
        ["metrics"] if app.metrics_here => metrics_page(&app).await,
        _ => text(StatusCode::NOT_FOUND, NOT_FOUND_HINT.to_owned()),
    }
}

/// `GET /metrics`, also used by the separate metrics listener.
pub async fn metrics_page(app: &App) -> Response<Body> {
    match crate::metrics::render(app.endpoint.session_count().await) {
        Some(body) => {
            let mut response = text(StatusCode::OK, body);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }
        None => text(
            StatusCode::NOT_FOUND,
            "Metrics are off: the embedding service installed its own metrics recorder.\n"
                .to_owned(),
        ),
    }
}

/// Hands a request to the built-in identity provider (its bodies are small forms).
async fn dev_idp<B>(app: &App, request: Request<B>) -> Response<RouteBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Some(idp) = &app.auth.dev_idp else {
        return text(StatusCode::NOT_FOUND, NOT_FOUND_HINT.to_owned())
            .map(|body| body.map_err(|never| match never {}).boxed());
    };
    let (parts, body) = request.into_parts();
    let bytes = match http_body_util::Limited::new(body, octo_dev_idp::MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large.\n".to_owned(),
            )
            .map(|body| body.map_err(|never| match never {}).boxed());
        }
    };
    let response = idp.handle(Request::from_parts(parts, bytes));
    response.map(|bytes| Full::new(bytes).map_err(|never| match never {}).boxed())
}

async fn health_document(app: &App) -> Value {
    let sessions = app.endpoint.session_count().await;
    let data_dir_ok = app.data_dir.is_dir();
    let store = app.platform.store();
    let store_status = match store.ping().await {
        Ok(()) => json!({"status": "ok", "backend": store.backend().to_string()}),
        Err(error) => json!({
            "status": "unavailable",
            "backend": store.backend().to_string(),
            "error": error.to_string(),
        }),
    };
    app.health.report(json!({
        "mcp": {"status": "ok", "sessions": sessions},
        "store": store_status,
        "toolCatalog": {"status": "ok", "tools": app.registry.len()},
        "dataDir": {
            "status": if data_dir_ok { "ok" } else { "missing" },
            "path": app.data_dir.display().to_string(),
        },
    }))
}

fn probe<B>(request: &Request<B>, body: Value, status: StatusCode) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Health probes answer GET and HEAD.\n".into(),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use octo_mcp::McpConfig;
    use tokio_util::sync::CancellationToken;

    async fn app() -> Arc<App> {
        crate::metrics::handle();
        let platform = octo_tools::test_platform().await;
        let registry = Arc::new(octo_tools::standard_registry(&platform).expect("registry"));
        let sessions = Arc::new(octo_mcp::StoreSessions::new(
            Arc::clone(platform.store()),
            std::time::Duration::from_secs(60),
        ));
        Arc::new(App {
            auth: crate::auth::Auth {
                mode: crate::AuthMode::Disabled,
                service: None,
                dev_idp: None,
                generated_password: None,
                public_url: None,
            },
            sessions,
            platform,
            endpoint: McpEndpoint::new(
                Arc::clone(&registry),
                &McpConfig::default(),
                CancellationToken::new(),
            ),
            registry,
            health: Health::new(),
            data_dir: std::env::temp_dir(),
            metrics_here: true,
        })
    }

    fn get(path: &str) -> Request<Full<Bytes>> {
        Request::get(path)
            .body(Full::new(Bytes::new()))
            .expect("request")
    }

    #[tokio::test]
    async fn ready_is_503_until_start_up_finishes() {
        let app = app().await;
        let response = route(Arc::clone(&app), get("/health/ready")).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        app.health.set_ready();
        let response = route(app, get("/health/ready")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn health_reports_starting_before_ready() {
        let response = route(app().await, get("/health")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["status"], json!("starting"));
        assert!(value["components"]["toolCatalog"]["tools"].as_u64() >= Some(2));
        assert_eq!(value["components"]["store"]["status"], json!("ok"));
    }

    #[tokio::test]
    async fn metrics_count_tool_calls_in_prometheus_format() {
        let app = app().await;
        let call = app
            .registry
            .call(
                "list_available_tools",
                None,
                octo_tools::CallInfo::default(),
            )
            .await
            .expect("known tool");
        assert!(call.is_success);
        let response = route(Arc::clone(&app), get("/metrics")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.lines()
                .any(|line| line.starts_with("octo_tool_calls_total{")
                    && line.contains("tool=\"list_available_tools\"")
                    && line.contains("outcome=\"success\"")),
            "{text}"
        );
        assert!(
            text.contains("octo_tool_call_duration_seconds_bucket{"),
            "{text}"
        );
        assert!(text.contains("octo_mcp_sessions "), "{text}");
    }

    #[tokio::test]
    async fn probes_refuse_post() {
        let request = Request::post("/health/live")
            .body(Full::new(Bytes::new()))
            .expect("request");
        let response = route(app().await, request).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
