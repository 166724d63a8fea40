//! The accept loop: binds, serves HTTP/1 and HTTP/2 connections with hyper, and shuts down
//! gracefully when its cancellation token fires (in-flight requests finish, SSE streams close).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use octo_mcp::McpEndpoint;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::auth::Auth;
use crate::config::{AuthMode, Settings};
use crate::health::Health;
use crate::routes::{App, route};

/// How long shutdown waits for open connections before dropping them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    #[error(
        "cannot listen on {addr}: {source}. Is another server using that port? Pick another with --listen."
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the tool catalogue is inconsistent: {0}")]
    Registry(#[from] octo_tools::RegistryError),
    #[error("cannot open the store: {0}")]
    Store(#[from] octo_store::StoreError),
    #[error("cannot prepare the platform: {0}")]
    Platform(#[from] octo_tools::PlatformError),
    #[error("cannot set up authentication: {0}")]
    Auth(#[from] crate::auth::AuthSetupError),
}

/// Opens the configured store and wires the platform on it (catalogs, transfer folder and
/// limits), as the server and the operator commands both need it.
pub async fn start_platform(settings: &Settings) -> Result<octo_tools::Platform, StartupError> {
    let store = octo_store::open(&settings.database_url).await?;
    start_platform_on(settings, store).await
}

/// [`start_platform`] on a store that is already open (the server shares it with auth).
pub async fn start_platform_on(
    settings: &Settings,
    store: Arc<dyn octo_store::Store>,
) -> Result<octo_tools::Platform, StartupError> {
    let catalogs: Vec<Arc<dyn octo_ck::catalog::CkCatalog>> = settings
        .ck_catalogs
        .iter()
        .map(|(name, folder)| {
            Arc::new(octo_ck::catalog::FolderCatalog::new(
                name.clone(),
                folder.clone(),
            )) as Arc<dyn octo_ck::catalog::CkCatalog>
        })
        .collect();
    let transfers = octo_transfer::TransferConfig {
        root: settings.data_dir.join("transfers"),
        lifetime: settings.transfer_lifetime,
        max_bytes: settings.max_transfer_bytes,
    };
    Ok(octo_tools::Platform::start(store, catalogs, transfers).await?)
}

/// A server that is bound and ready to serve.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    app: Arc<App>,
    shutdown: CancellationToken,
    /// How often stream-data maintenance (rollups, backfills, retention) runs.
    stream_maintenance_interval: Duration,
}

impl Server {
    /// Wires every component and binds the listener; `shutdown` stops it later.
    pub async fn bind(
        settings: &Settings,
        shutdown: CancellationToken,
    ) -> Result<Self, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.clone(),
            source,
        })?;
        let store = octo_store::open(&settings.database_url).await?;
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let metrics_listener = match settings.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::Bind { addr, source })?,
            ),
            None => None,
        };
        // Install the recorder before the first request so no sample is lost.
        crate::metrics::handle();
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.listen,
            source,
        })?;
        let auth = Auth::setup(&settings.auth, Arc::clone(&store), &settings.data_dir, addr)?;
        let sessions = Arc::new(octo_mcp::StoreSessions::new(
            Arc::clone(&store),
            settings.mcp.session_idle_timeout,
        ));
        let mut platform = start_platform_on(settings, store).await?;
        if let Some(service) = &auth.service {
            platform = platform.with_auth(Arc::clone(service));
        }
        let registry = Arc::new(octo_tools::standard_registry(&platform)?);
        let endpoint = McpEndpoint::with_sessions(
            Arc::clone(&registry),
            &settings.mcp,
            shutdown.child_token(),
            Arc::clone(&sessions),
        );
        let app = Arc::new(App {
            endpoint,
            registry,
            platform,
            health: Health::new(),
            data_dir: settings.data_dir.clone(),
            metrics_here: metrics_listener.is_none(),
            auth,
            sessions,
        });
        Ok(Self {
            stream_maintenance_interval: settings.stream_maintenance_interval,
            listener,
            metrics_listener,
            app,
            shutdown,
        })
    }

    /// The password generated for the built-in provider's user `admin`, when it is the issuer
    /// and no password was configured (the binary prints it).
    pub fn dev_idp_password(&self) -> Option<&str> {
        self.app.auth.generated_password.as_deref()
    }

    /// The built-in provider, when it is the issuer.
    pub fn dev_idp(&self) -> Option<&octo_dev_idp::DevIdp> {
        self.app.auth.dev_idp.as_ref()
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the shutdown token is cancelled, then drains connections.
    pub async fn serve(self) {
        let Self {
            listener,
            metrics_listener,
            app,
            shutdown,
            stream_maintenance_interval,
        } = self;
        if let Some(metrics_listener) = metrics_listener {
            tokio::spawn(serve_metrics(
                metrics_listener,
                Arc::clone(&app),
                shutdown.child_token(),
            ));
        }
        // Import jobs run in every server process; the store hands each job to one of them.
        // Containers all run as pid 1, so the host (pod) name makes the id unique.
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
        let worker_id = format!("mcp-http-{host}-{}", std::process::id());
        app.platform
            .spawn_background_tasks(worker_id.clone(), shutdown.child_token());
        // Rollup maintenance, queued backfills and retention, in every replica.
        tokio::spawn(app.platform.stream_data.clone().run_maintenance(
            worker_id,
            stream_maintenance_interval,
            shutdown.child_token(),
        ));
        tokio::spawn(purge_idle_sessions(
            Arc::clone(&app.sessions),
            shutdown.child_token(),
        ));
        match (app.auth.mode, &app.auth.service) {
            (AuthMode::Disabled, _) => tracing::warn!(
                "authentication is DISABLED (--auth-mode disabled): every tool runs without a \
                 login; this is only allowed on a loopback address"
            ),
            (mode, Some(service)) => tracing::info!(
                mode = mode.as_str(),
                issuer = %service.config().issuer,
                "authentication on"
            ),
            (_, None) => {}
        }
        if let Some(idp) = &app.auth.dev_idp {
            tracing::warn!(
                issuer = idp.issuer(),
                "the built-in development identity provider is the issuer: sign in at {} \
                 as 'admin'; configure --oidc-issuer for production",
                idp.verification_uri()
            );
        }
        app.health.set_ready();
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving MCP on http://{addr}/mcp");
        }
        let graceful = GracefulShutdown::new();
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Usually out of file descriptors; back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = shutdown.cancelled() => break,
            };
            let app = Arc::clone(&app);
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let app = Arc::clone(&app);
                // One span per request; the tool span (tool, tenant, session) nests inside it.
                let span = tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = request.uri().path(),
                    status = tracing::field::Empty,
                );
                async move {
                    let started = std::time::Instant::now();
                    let response = route(app, request).await;
                    let status = response.status().as_u16();
                    tracing::Span::current().record("status", status);
                    crate::metrics::record_response(status, started.elapsed().as_secs_f64());
                    Ok::<_, std::convert::Infallible>(response)
                }
                .instrument(span)
            });
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let connection = graceful.watch(connection.into_owned());
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            });
        }
        tracing::info!("shutting down: draining open connections");
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
        }
    }
}

/// Serves only `GET /metrics` on the separate metrics address, until `shutdown` fires.
async fn serve_metrics(listener: TcpListener, app: Arc<App>, shutdown: CancellationToken) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving metrics on http://{addr}/metrics");
    }
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let app = Arc::clone(&app);
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let app = Arc::clone(&app);
            async move {
                let response = if request.uri().path() == "/metrics" {
                    crate::routes::metrics_page(&app).await
                } else {
                    let mut response = http::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(
                            b"This address serves only /metrics.\n",
                        ))
                        .boxed(),
                    );
                    *response.status_mut() = http::StatusCode::NOT_FOUND;
                    response
                };
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "metrics connection ended with an error");
            }
        });
    }
}

/// Removes MCP sessions (and their login state) idle for longer than the idle timeout, every
/// five minutes, until `shutdown` fires. Idempotent, so every replica may run it.
async fn purge_idle_sessions(sessions: Arc<octo_mcp::StoreSessions>, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(Duration::from_secs(300));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = shutdown.cancelled() => break,
        }
        match sessions.purge_idle().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "idle MCP sessions removed"),
            Err(error) => {
                tracing::warn!(%error, "purging idle MCP sessions failed; retrying later")
            }
        }
    }
}

/// Resolves when SIGTERM or Ctrl-C arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
