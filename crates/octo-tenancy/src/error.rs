//! Errors of tenant resolution and the tenant lifecycle, worded for an AI chat.

use octo_ids::{IdError, TenantId};
use octo_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenancyError {
    #[error(
        "No tenant could be resolved. Pass 'tenantId' to this tool (every tenant-scoped tool \
         accepts it), or register the legacy endpoint /{{tenantId}}/mcp, which puts the tenant in \
         the URL."
    )]
    NoTenant,
    #[error("{0}")]
    InvalidTenantId(#[from] IdError),
    #[error(
        "Tenant '{0}' not found. Call get_tenants to list the tenants, or create_tenant to create it."
    )]
    NotFound(TenantId),
    #[error("Tenant '{0}' already exists.")]
    AlreadyExists(TenantId),
    #[error(
        "The system tenant '{0}' cannot be deleted or cleaned; it holds the platform's own data."
    )]
    SystemTenant(TenantId),
    #[error("{0}")]
    Store(#[from] StoreError),
}
