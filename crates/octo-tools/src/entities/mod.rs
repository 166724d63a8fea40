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

/// [`entity_json`] of a view the caller is done with: the attributes move into the JSON instead
/// of being copied. Same shape as `EntityView`'s serde form (a test compares them).
fn owned_entity_json(view: EntityView) -> Value {
    let EntityView {
        rt_id,
        ck_type_id,
        rt_well_known_name,
        rt_version,
        rt_creation_date_time,
        rt_changed_date_time,
        attributes,
    } = view;
    let mut out = serde_json::Map::new();
    out.insert("rtId".into(), Value::String(rt_id));
    out.insert("ckTypeId".into(), Value::String(ck_type_id));
    if let Some(name) = rt_well_known_name {
        out.insert("rtWellKnownName".into(), Value::String(name));
    }
    out.insert("rtVersion".into(), Value::from(rt_version));
    out.insert(
        "rtCreationDateTime".into(),
        Value::String(rt_creation_date_time),
    );
    out.insert(
        "rtChangedDateTime".into(),
        Value::String(rt_changed_date_time),
    );
    out.insert("attributes".into(), Value::Object(attributes));
    Value::Object(out)
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
