//! Tenants: which one a tool call acts on, and their lifecycle.
//!
//! Modules:
//! - [`resolution`]: `tenantId` parameter > `/{tenantId}/mcp` path > "No tenant could be resolved".
//! - [`tenants`]: the lifecycle in [`Tenants`] (system tenant, create, delete, clean).
//! - [`error`]: the [`TenancyError`] messages.

pub mod error;
pub mod resolution;
pub mod tenants;

pub use error::TenancyError;
pub use resolution::{ResolvedTenant, TenantSource, resolve};
pub use tenants::Tenants;
