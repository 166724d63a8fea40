//! `mcp-http`: parses configuration, sets up logging, runs the server until SIGTERM or Ctrl-C,
//! or runs one operator command (`mcp-http dump …`) and exits.

use std::process::ExitCode;

use clap::Parser;
use mcp_http::telemetry::{self, LogTarget};
use mcp_http::{Cli, Server, Settings, shutdown_signal};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let command = cli.command.take();
    let settings = match Settings::resolve(cli) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("mcp-http: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(command) = command {
        // Operator commands print their outcome; logs go to stderr only at warn and above.
        let _telemetry = telemetry::init(settings.log_format, LogTarget::Command);
        return match mcp_http::operator::run(command, &settings).await {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("mcp-http: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let _telemetry = telemetry::init(settings.log_format, LogTarget::Server);
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
    if let Some(password) = server.dev_idp_password() {
        // On the terminal, not only in the log: the quick start needs it to sign in.
        println!(
            "\nBuilt-in identity provider (development only): sign in as 'admin' with password \
             '{password}'.\nSet --dev-idp-password to choose it, or --oidc-issuer for a real \
             provider.\n"
        );
    }
    tokio::spawn(async move {
        shutdown_signal().await;
        shutdown.cancel();
    });
    server.serve().await;
    ExitCode::SUCCESS
}
