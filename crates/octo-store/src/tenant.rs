//! Tenants: [`TenantRecord`] and the [`CleanReport`] of
//! [`crate::Store::clean_tenant`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use octo_ids::TenantId;

use crate::column::Origin;
use crate::error::StoreError;

/// One tenant of the installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRecord {
    /// The tenant's id, e.g. `meshtest`.
    pub tenant_id: TenantId,
    /// The tenant it was created under, if any. Not a foreign key: a parent
    /// may be deleted before its children, and the tenancy layer decides
    /// whether that is allowed.
    pub parent_tenant_id: Option<TenantId>,
    /// The name of the tenant's database in OctoMesh (usually the tenant id).
    pub database_name: String,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
}

/// What [`crate::Store::clean_tenant`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanReport {
    /// Runtime entities removed.
    pub entities_deleted: u64,
    /// Associations removed.
    pub associations_deleted: u64,
}

/// Columns of `tenants`, in the order of [`TENANT_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    tenant_id: String,
    parent_tenant_id: Option<String>,
    database_name: String,
    created_at: DateTime<Utc>,
}

/// The select list that fills a [`TenantRow`].
pub(crate) const TENANT_COLUMNS: &str = "tenant_id, parent_tenant_id, database_name, created_at";

impl TryFrom<TenantRow> for TenantRecord {
    type Error = StoreError;

    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "tenants",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            parent_tenant_id: row
                .parent_tenant_id
                .as_deref()
                .map(|parent| origin.parse("parent_tenant_id", parent))
                .transpose()?,
            database_name: row.database_name,
            created_at: row.created_at,
        })
    }
}
