//! The OctoMesh MCP tool catalogue as plain Rust.
//!
//! A tool is data (name, description, category, parameter schema, examples, MCP annotations) plus an
//! async handler that returns the result [`Envelope`]. Nothing here knows MCP's wire protocol or
//! HTTP: `octo-mcp` adapts a [`ToolRegistry`] to rmcp.
//!
//! Modules:
//! - [`envelope`]: the `{isSuccess, errorMessage, message, tenantId, …}` result every tool returns.
//! - [`error`]: [`ToolError`], the failures a handler reports, and [`RegistryError`].
//! - [`tool`]: the typed [`Tool`] trait, its [`ToolSpec`] metadata and the per-call [`ToolContext`].
//! - [`registry`]: [`ToolRegistry`], which validates arguments against the schema, runs the handler
//!   and turns every failure (panics included) into an envelope.
//! - [`schema`]: JSON Schema generation for parameters and envelopes.
//! - [`reference`]: the Markdown tool reference (`docs/tools.md`).
//! - [`auth`]: the authentication tools (`authenticate`, `check_auth_status`, `auth_status`,
//!   `whoami`, `list_tenants`, `switch_tenant`) and [`auth::AuthGate`], the registry's gate.
//! - [`catalog`]: the catalogue tools themselves (`list_available_tools`, `get_tool_details`).
//! - [`platform`]: [`Platform`], the services tools act on, and tenant resolution for tools.
//! - [`tenants`]: the tenant tools (`get_tenants`, `create_tenant`, `delete_tenant`, …).
//! - [`ck`]: Construction Kit catalogs, imports, library status, service toggles.
//! - [`schema_discovery`]: the types a tenant's models define.
//! - [`entities`]: runtime entity CRUD, queries and aggregations.
//! - [`stream_data`]: stream data: enabling, archive life cycle, writes, time-series queries,
//!   storage statistics.

pub mod auth;
pub mod catalog;
pub mod ck;
pub mod entities;
pub mod envelope;
pub mod error;
pub mod platform;
pub mod reference;
pub mod registry;
pub mod schema;
pub mod schema_discovery;
pub mod stream_data;
pub mod tenants;
#[cfg(test)]
mod test_support;
pub mod tool;
pub mod transfers;

pub use envelope::Envelope;
pub use error::{RegistryError, ToolError};
pub use registry::{
    AccessGate, GateRefusal, ToolDescriptor, ToolRegistry, ToolRegistryBuilder, UnknownTool,
};
pub use tool::{
    Access, Annotations, CallInfo, Category, ConfirmTarget, Confirmation, NoParams, Progress,
    ProgressSink, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub use platform::{Platform, PlatformError};

/// The registry an OctoMesh MCP server serves: every tool this build provides, wired to
/// `platform`. The binary only calls this.
pub fn standard_registry(platform: &Platform) -> Result<ToolRegistry, RegistryError> {
    let builder = ToolRegistry::builder();
    let builder = catalog::register(builder)?;
    let builder = auth::register(builder, platform)?;
    let builder = tenants::register(builder, platform)?;
    let builder = ck::register(builder, platform)?;
    let builder = schema_discovery::register(builder, platform)?;
    let builder = entities::register(builder, platform)?;
    let builder = transfers::register(builder, platform)?;
    let builder = stream_data::register(builder, platform)?;
    Ok(builder.build())
}

/// Transfer limits for tests: a fresh folder under `<temp>/octo-tools-test-transfers`, the
/// default lifetime and a 1 MiB cap. Folders of earlier runs older than an hour are removed
/// here, since a test cannot clean up after a platform it hands out.
#[must_use]
pub fn test_transfer_config() -> octo_transfer::TransferConfig {
    let parent = std::env::temp_dir().join("octo-tools-test-transfers");
    remove_stale_folders(&parent, std::time::Duration::from_secs(3600));
    let unique = octo_transfer::id::new_id().unwrap_or_else(|_| "fallback".to_owned());
    octo_transfer::TransferConfig {
        root: parent.join(unique),
        lifetime: octo_transfer::DEFAULT_LIFETIME,
        max_bytes: 1024 * 1024,
    }
}

/// Removes the folders in `parent` last changed more than `age` ago; errors are ignored (a
/// concurrent test run may remove the same folder).
fn remove_stale_folders(parent: &std::path::Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A platform on a fresh in-memory SQLite store, for tests of this and other crates.
pub async fn test_platform() -> Platform {
    let store = match octo_store::open("sqlite::memory:").await {
        Ok(store) => store,
        Err(error) => panic!("in-memory store: {error}"),
    };
    match Platform::start(store, Vec::new(), test_transfer_config()).await {
        Ok(platform) => platform,
        Err(error) => panic!("platform: {error}"),
    }
}

/// A platform on `store` (e.g. a fresh `octo_test_support::TestStore` on either backend), for
/// tests of this and other crates.
pub async fn test_platform_on(store: std::sync::Arc<dyn octo_store::Store>) -> Platform {
    match Platform::start(store, Vec::new(), test_transfer_config()).await {
        Ok(platform) => platform,
        Err(error) => panic!("platform: {error}"),
    }
}
