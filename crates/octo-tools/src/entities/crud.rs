//! `create_entity`, `get_entity_by_id`, `update_entity`, `delete_entity`.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::dto::{AttributeUpdateItem, updates};
use super::{entity_json, written};
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

pub struct CreateEntity(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateEntityParams {
    /// The entity's CK type: `Model/Type` (e.g. `Octo.Industry.Energy/EnergyMeter`) or the
    /// full id `Model-1.0.0/Type-1`.
    pub ck_type_id: String,
    /// The attribute values: `[{attributePath, value}]`; required attributes must be given.
    pub entity_data: Vec<AttributeUpdateItem>,
    /// An optional unique, human-readable name for the entity.
    #[serde(default)]
    pub rt_well_known_name: Option<String>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateEntityOutput {
    pub ck_type_id: String,
    pub rt_id: String,
    pub rt_version: u64,
}

#[async_trait]
impl Tool for CreateEntity {
    type Params = CreateEntityParams;
    type Output = CreateEntityOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_entity",
            title: "Create an entity",
            description: "Creates a runtime entity of a CK type. Every value is checked against \
                the type (inherited attributes included): unknown attributes, wrong value types, \
                missing required attributes, unknown enum values and abstract types are refused \
                with a message naming the attribute. Returns the entity with its new rtId.",
            category: Category::CrudOperations,
            access: Access::Write,
            annotations: Annotations::ADDITIVE,
            examples: vec![ToolExample {
                description: "A meter named M-1",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "entityData": [{"attributePath": "Name", "value": "M-1"}]
                }),
            }],
            notes: vec!["get_type_schema lists a type's attributes and which are required."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CreateEntityParams,
    ) -> Result<Success<CreateEntityOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let created = self
            .0
            .entities
            .create(
                &tenant.tenant_id,
                &params.ck_type_id,
                &updates(&params.entity_data),
                params.rt_well_known_name,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let mut success = Success::new(CreateEntityOutput {
            ck_type_id: created.ck_type_id.clone(),
            rt_id: created.rt_id.clone(),
            rt_version: created.rt_version,
        })
        .message(format!(
            "Entity '{}' of '{}' created.",
            created.rt_id, created.ck_type_id
        ))
        .tenant(tenant.tenant_id.to_string());
        success.entity = Some(entity_json(&created));
        Ok(success)
    }
}

pub struct GetEntityById(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetEntityByIdParams {
    /// The CK type (or a base type of the entity's type).
    pub ck_type_id: String,
    /// The entity's rtId: 24 hexadecimal characters, e.g. 507f1f77bcf86cd799439011.
    pub rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypeIdOutput {
    pub type_id: String,
}

#[async_trait]
impl Tool for GetEntityById {
    type Params = GetEntityByIdParams;
    type Output = TypeIdOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_entity_by_id",
            title: "Get an entity",
            description: "Reads one entity by its rtId. The entity must be of the given CK type \
                or of a type derived from it.",
            category: Category::CrudOperations,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "One meter",
                parameters: json!({"tenantId": "octosystem", "ckTypeId": "Octo.Industry.Energy/EnergyMeter", "rtId": "507f1f77bcf86cd799439011"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: GetEntityByIdParams,
    ) -> Result<Success<TypeIdOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let entity = self
            .0
            .entities
            .get(&tenant.tenant_id, &params.ck_type_id, &params.rt_id)
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let mut success = Success::new(TypeIdOutput {
            type_id: params.ck_type_id.trim().to_owned(),
        })
        .tenant(tenant.tenant_id.to_string());
        success.entity = Some(entity_json(&entity));
        Ok(success)
    }
}

pub struct UpdateEntity(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateEntityParams {
    /// The entity's rtId.
    pub rt_id: String,
    /// The CK type (or a base type of the entity's type).
    pub ck_type_id: String,
    /// The attributes to change: `[{attributePath, value}]`; null removes an optional one.
    pub entity_data: Vec<AttributeUpdateItem>,
    /// Optimistic locking: change nothing unless the entity is still at this rtVersion.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// The same as expectedVersion, as the troubleshooting page spells it.
    #[serde(default, rename = "expected_version")]
    pub expected_version_snake: Option<u64>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateEntityOutput {
    pub type_id: String,
    pub rt_id: String,
}

#[async_trait]
impl Tool for UpdateEntity {
    type Params = UpdateEntityParams;
    type Output = UpdateEntityOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "update_entity",
            title: "Update an entity",
            description: "Changes attributes of an entity; every update increments rtVersion. \
                With expectedVersion the change is applied only if the entity is still at that \
                version, in one conditional write; otherwise nothing changes and the result has \
                isConflict: true, the current entity and currentRtVersion: rebase and retry \
                with expectedVersion: <currentRtVersion>.",
            category: Category::CrudOperations,
            access: Access::Write,
            annotations: Annotations {
                idempotent: false,
                ..Annotations::ADDITIVE
            },
            examples: vec![ToolExample {
                description: "Rename, only if nobody changed it since version 3",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "rtId": "507f1f77bcf86cd799439011",
                    "entityData": [{"attributePath": "Name", "value": "M-2"}],
                    "expectedVersion": 3
                }),
            }],
            notes: vec![
                "Without expectedVersion, concurrent changes to other attributes are kept.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: UpdateEntityParams,
    ) -> Result<Success<UpdateEntityOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let expected = params.expected_version.or(params.expected_version_snake);
        let entity = self
            .0
            .entities
            .update(
                &tenant.tenant_id,
                &params.ck_type_id,
                &params.rt_id,
                &updates(&params.entity_data),
                expected,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let entity = written(entity, &tenant)?;
        let mut success = Success::new(UpdateEntityOutput {
            type_id: entity.ck_type_id.clone(),
            rt_id: entity.rt_id.clone(),
        })
        .message(format!(
            "Entity '{}' updated to rtVersion {}.",
            entity.rt_id, entity.rt_version
        ))
        .tenant(tenant.tenant_id.to_string());
        success.current_rt_version = Some(entity.rt_version);
        success.entity = Some(entity_json(&entity));
        Ok(success)
    }
}

pub struct DeleteEntity(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteEntityParams {
    /// The CK type (or a base type of the entity's type).
    pub ck_type_id: String,
    /// The entity's rtId.
    pub rt_id: String,
    /// Optimistic locking: delete only if the entity is still at this rtVersion.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Must be true: deleting cannot be undone. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for DeleteEntity {
    type Params = DeleteEntityParams;
    type Output = UpdateEntityOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "delete_entity",
            title: "Delete an entity",
            description: "Deletes an entity and its associations; with expectedVersion only if \
                it is still at that version (else isConflict). Requires confirm: true.",
            category: Category::CrudOperations,
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![ToolExample {
                description: "After the user agreed",
                parameters: json!({"tenantId": "octosystem", "ckTypeId": "Octo.Industry.Energy/EnergyMeter", "rtId": "507f1f77bcf86cd799439011", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "delete",
                target: ConfirmTarget::Parameter("rtId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DeleteEntityParams,
    ) -> Result<Success<UpdateEntityOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let entity = self
            .0
            .entities
            .delete(
                &tenant.tenant_id,
                &params.ck_type_id,
                &params.rt_id,
                params.expected_version,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let entity = written(entity, &tenant)?;
        Ok(Success::new(UpdateEntityOutput {
            type_id: entity.ck_type_id.clone(),
            rt_id: entity.rt_id.clone(),
        })
        .message(format!(
            "Entity '{}' deleted with its associations.",
            entity.rt_id
        ))
        .tenant(tenant.tenant_id.to_string()))
    }
}
