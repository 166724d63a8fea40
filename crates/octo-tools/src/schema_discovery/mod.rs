//! Schema discovery tools: what types a tenant's CK models define.
//!
//! All three tools read the tenant's resolved [`CkLibrary`] (the models it has loaded, cached by
//! the CK service) and change nothing:
//! - `get_available_types`: the types, optionally of one model, concrete ones by default.
//! - `get_type_schema`: one type with inherited attributes, associations and indexes resolved.
//! - `search_types`: types whose id, name or description contain a term.
//!
//! Type ids come back in the runtime form (`Model/Type`) that entity tools take, with the full,
//! versioned form next to it.

mod get_available_types;
mod get_type_schema;
mod search_types;

pub use get_available_types::GetAvailableTypes;
pub use get_type_schema::GetTypeSchema;
pub use search_types::SearchTypes;

use std::sync::Arc;

use octo_ck::CkLibrary;
use octo_ck::library::TypeSummary;
use octo_tenancy::ResolvedTenant;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::{RegistryError, ToolError};
use crate::platform::{Platform, failed_in};
use crate::registry::ToolRegistryBuilder;
use crate::tool::ToolContext;

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    builder
        .register(GetAvailableTypes(platform.clone()))?
        .register(GetTypeSchema(platform.clone()))?
        .register(SearchTypes(platform.clone()))
}

/// A type in a listing or search result (the reference server's `CkTypeInfo`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeInfo {
    /// Runtime id, e.g. `Octo.Industry.Energy/EnergyMeter`: the form entity tools take.
    pub ck_type_id: String,
    /// Full, versioned id, e.g. `Octo.Industry.Energy-1.0.0/EnergyMeter-1`.
    pub full_ck_type_id: String,
    /// The defining model with its version, e.g. `Octo.Industry.Energy-1.0.0`.
    pub model_id: String,
    /// The type name without model, e.g. `EnergyMeter`.
    pub type_name: String,
    /// True when no entity can have exactly this type; create entities of a derived type.
    pub is_abstract: bool,
    /// True when no type may derive from it.
    pub is_final: bool,
    /// The direct base type (runtime id); absent only for the root `System/Entity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    /// What the type represents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl From<TypeSummary> for CkTypeInfo {
    fn from(summary: TypeSummary) -> Self {
        Self {
            ck_type_id: summary.id.to_string(),
            model_id: summary.full_id.model().to_string(),
            type_name: summary.full_id.name().to_owned(),
            full_ck_type_id: summary.full_id.to_string(),
            is_abstract: summary.is_abstract,
            is_final: summary.is_final,
            derived_from: summary.derived_from.map(|base| base.to_string()),
            description: summary.description,
        }
    }
}

/// Resolves the call's tenant and loads its CK library; a library failure names the tenant.
async fn tenant_library(
    platform: &Platform,
    ctx: &ToolContext,
    tenant_id: Option<&str>,
) -> Result<(ResolvedTenant, Arc<CkLibrary>), ToolError> {
    let resolved = platform.tenant(ctx, tenant_id).await?;
    let library = platform
        .ck
        .library(&resolved.tenant_id)
        .await
        .map_err(|error| failed_in(error, &resolved))?;
    Ok((resolved, library))
}

/// The loaded models' ids (`System-2.2.2, …`), for messages that should say what is there.
fn loaded_models(library: &CkLibrary) -> String {
    let ids: Vec<String> = library
        .models()
        .iter()
        .map(|m| m.id().to_string())
        .collect();
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

#[cfg(test)]
mod tests;
