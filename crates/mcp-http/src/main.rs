//! `mcp-http`: parses configuration, sets up logging, runs the server until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use clap::Parser;
use mcp_http::{Cli, LogFormat, Server, Settings, shutdown_signal};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::resolve(Cli::parse()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("mcp-http: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(settings.log_format);
    tracing::info!(
        listen = %settings.listen,
        data_dir = %settings.data_dir.display(),
        conformance_fixtures = settings.mcp.conformance_fixtures,
        "starting OctoMesh MCP Services"
    );
    let shutdown = CancellationToken::new();
    let server = match Server::bind(&settings, shutdown.clone()).await {
        Ok(server) => server,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("mcp-http: {error}");
            return ExitCode::FAILURE;
        }
    };
    tokio::spawn(async move {
        shutdown_signal().await;
        shutdown.cancel();
    });
    server.serve().await;
    ExitCode::SUCCESS
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
