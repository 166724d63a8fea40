//! Serves a tool catalogue over MCP Streamable HTTP.
//!
//! rmcp speaks the protocol; this crate adapts an `octo-tools` [`ToolRegistry`] to rmcp's server
//! handler and serves rmcp's tower service from hyper, adding what the SDK leaves to us: bounded
//! sessions, `HEAD` answers for probes, the URL tenant and session id handed to tools, and
//! envelope results with `structuredContent`. It knows nothing of OctoMesh itself.
//!
//! Modules:
//! - [`config`]: [`McpConfig`], the knobs an operator sets.
//! - [`endpoint`]: [`McpEndpoint`], one hyper-facing entry point per server.
//! - [`handler`]: the rmcp `ServerHandler` over the registry (one per MCP session).
//! - [`progress`]: progress notifications for long tools.
//! - [`sessions`]: [`StoreSessions`], MCP sessions kept in the store across restarts and replicas.
//! - [`fixtures`]: the MCP conformance suite's fixture tools, resources and prompts, served only
//!   when [`McpConfig::conformance_fixtures`] is set.
//!
//! [`ToolRegistry`]: octo_tools::ToolRegistry

pub mod config;
pub mod endpoint;
pub mod fixtures;
pub mod handler;
pub mod progress;
pub mod sessions;

pub use config::McpConfig;
pub use endpoint::{McpEndpoint, UrlTenant};
pub use sessions::StoreSessions;

/// The response body type of every MCP response.
pub type Body = http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>;
