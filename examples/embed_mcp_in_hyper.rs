//! The MCP service of this workspace mounted inside another hyper service, next to that
//! service's own routes: `/mcp` goes to [`McpEndpoint`], `/status` is the host's own.
//!
//! `cargo run -p octo-examples --example embed_mcp_in_hyper` serves on a free port and, to show
//! that it works, calls itself once (its own route, then MCP `initialize`) and stops. Pass
//! `--serve` to keep serving, e.g. for `claude mcp add --transport http demo http://…/mcp`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use octo_mcp::{McpConfig, McpEndpoint};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The host service: its own state plus the embedded MCP endpoint.
struct HostService {
    mcp: McpEndpoint,
    name: &'static str,
}

impl HostService {
    async fn route(&self, request: Request<hyper::body::Incoming>) -> Response<octo_mcp::Body> {
        match request.uri().path() {
            "/mcp" => self.mcp.handle(request, None).await,
            "/status" => Response::new(
                Full::new(Bytes::from(format!("{} is up\n", self.name)))
                    .map_err(|never| match never {})
                    .boxed(),
            ),
            _ => {
                let mut response = Response::new(
                    Full::new(Bytes::from_static(b"not found\n"))
                        .map_err(|never| match never {})
                        .boxed(),
                );
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve_forever = std::env::args().any(|arg| arg == "--serve");
    // The platform (store, CK, entities, transfers) and the tool catalogue over it.
    let store = octo_store::open("sqlite::memory:").await?;
    let transfers = octo_transfer::TransferConfig {
        root: std::env::temp_dir().join(format!("octo-example-{}", std::process::id())),
        lifetime: octo_transfer::DEFAULT_LIFETIME,
        max_bytes: octo_transfer::DEFAULT_MAX_BYTES,
    };
    let platform = octo_tools::Platform::start(store, Vec::new(), transfers).await?;
    let registry = Arc::new(octo_tools::standard_registry(&platform)?);
    let shutdown = CancellationToken::new();
    // The CK import worker and the transfer sweeper: without them model imports never finish
    // and expired transfers are never purged.
    platform.spawn_background_tasks(
        format!("example-{}", std::process::id()),
        shutdown.child_token(),
    );
    let host = Arc::new(HostService {
        mcp: McpEndpoint::new(registry, &McpConfig::default(), shutdown.child_token()),
        name: "example host",
    });

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("serving http://{addr}/status and http://{addr}/mcp");
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let host = Arc::clone(&host);
            let service = service_fn(move |request| {
                let host = Arc::clone(&host);
                async move { Ok::<_, Infallible>(host.route(request).await) }
            });
            tokio::spawn(async move {
                let builder = auto::Builder::new(TokioExecutor::new());
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    if serve_forever {
        accept.await?;
        return Ok(());
    }
    let client = reqwest::Client::new();
    let status = client
        .get(format!("http://{addr}/status"))
        .send()
        .await?
        .text()
        .await?;
    print!("GET /status: {status}");
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "example", "version": "1"}}
    });
    let reply = client
        .post(format!("http://{addr}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await?;
    let session = reply
        .headers()
        .get("mcp-session-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(none)")
        .to_owned();
    let body = reply.text().await?;
    if !body.contains("serverInfo") {
        return Err(format!("initialize failed: {body}").into());
    }
    println!("POST /mcp initialize: session {session}");
    shutdown.cancel();
    accept.abort();
    Ok(())
}
