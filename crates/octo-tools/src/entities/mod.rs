//! Runtime entity tools: CRUD with optimistic locking, queries and aggregations.
//!
//! Validation, paths and SQL live in `octo-entities` and `octo-store`; these are the wire
//! shapes and messages.

mod aggregation;
mod associations;
mod crud;
pub mod dto;
mod query;

use octo_entities::{EntityView, Written};
use octo_tenancy::ResolvedTenant;
use serde_json::Value;

use crate::error::{RegistryError, ToolError};
use crate::platform::Platform;
use crate::registry::ToolRegistryBuilder;

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    let p = || platform.clone();
    builder
        .register(crud::CreateEntity(p()))?
        .register(crud::GetEntityById(p()))?
        .register(crud::UpdateEntity(p()))?
        .register(crud::DeleteEntity(p()))?
        .register(query::QueryEntities(p()))?
        .register(query::QueryEntitiesSimple(p()))?
        .register(aggregation::QueryEntitiesAggregation(p()))?
        .register(aggregation::QueryEntitiesGrouping(p()))?
        .register(associations::CreateAssociation(p()))?
        .register(associations::DeleteAssociation(p()))?
        .register(associations::NavigateAssociations(p()))?
        .register(associations::GetAssociationTree(p()))
}

fn entity_json(view: &EntityView) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// The written entity, or the conflict as the envelope carries it: `isConflict`, `entity`,
/// `currentRtVersion`.
// The error is the one every `Tool::run` returns; boxing it here alone would gain nothing.
#[allow(clippy::result_large_err)]
fn written(written: Written, tenant: &ResolvedTenant) -> Result<EntityView, ToolError> {
    match written {
        Written::Done(entity) => Ok(entity),
        Written::Conflict { message, current } => Err(ToolError::Conflict {
            message,
            tenant_id: Some(tenant.tenant_id.to_string()),
            entity: Some(entity_json(&current)),
            current_rt_version: current.rt_version,
        }),
    }
}

#[cfg(test)]
mod tests;
