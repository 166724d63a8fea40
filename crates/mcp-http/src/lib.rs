//! The OctoMesh MCP Services server: configuration, wiring, routes, health and shutdown.
//!
//! A library so that integration tests (and services embedding the server) can start it on any
//! port; `main.rs` only parses flags, sets up logging and calls [`Server`].
//!
//! Modules:
//! - [`auth`]: the identity provider, protected-resource metadata and the bearer check.
//! - [`config`]: flags, environment and the TOML file, merged into [`Settings`].
//! - [`routes`]: the path router.
//! - [`health`]: the probes' state.
//! - [`ingest`]: `POST /{tenantId}/stream-data/{archiveRtId}`, stream-data ingestion over HTTP.
//! - [`metrics`]: the Prometheus recorder behind `/metrics`.
//! - [`server`]: the accept loop and graceful shutdown.
//! - [`operator`]: the operator subcommands (dump, restore, model imports, tenants) on the store.
//! - [`telemetry`]: logs, and OpenTelemetry span export with the `otel` feature.

pub mod auth;
pub mod config;
pub mod health;
pub mod ingest;
pub mod metrics;
pub mod operator;
pub mod routes;
pub mod server;
pub mod telemetry;

pub use config::{AuthMode, Cli, LogFormat, Settings};
pub use server::{Server, StartupError, shutdown_signal};
