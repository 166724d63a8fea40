//! Tenant tools: list, create, delete and clean tenants.
//!
//! The tenant a tool acts on is `childTenantId` when given (the reference server's name), else
//! `tenantId`, else the URL tenant; the result always names it.

mod clean_tenant;
mod create_tenant;
mod delete_tenant;
mod get_tenants;

pub use clean_tenant::CleanTenant;
pub use create_tenant::CreateTenant;
pub use delete_tenant::DeleteTenant;
pub use get_tenants::GetTenants;

use octo_store::TenantRecord;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::RegistryError;
use crate::platform::Platform;
use crate::registry::ToolRegistryBuilder;

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    builder
        .register(GetTenants(platform.clone()))?
        .register(CreateTenant(platform.clone()))?
        .register(DeleteTenant(platform.clone()))?
        .register(CleanTenant(platform.clone()))
}

/// A tenant as the tools show it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_tenant_id: Option<String>,
    pub database_name: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&TenantRecord> for TenantInfo {
    fn from(record: &TenantRecord) -> Self {
        Self {
            tenant_id: record.tenant_id.to_string(),
            parent_tenant_id: record.parent_tenant_id.as_ref().map(ToString::to_string),
            database_name: record.database_name.clone(),
            created_at: record.created_at.to_rfc3339(),
        }
    }
}

/// `childTenantId` if given, else `tenantId`: the tenant a lifecycle tool targets.
fn target<'a>(child: &'a Option<String>, tenant: &'a Option<String>) -> Option<&'a str> {
    child
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .or(tenant.as_deref())
}

#[cfg(test)]
mod tests;
