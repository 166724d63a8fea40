//! `delete_tenant`: removes a tenant with all its models and data (confirmation required).

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::target;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in, tenancy_error};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

pub struct DeleteTenant(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteTenantParams {
    /// The tenant to delete (defaults to the URL tenant).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The tenant to delete, as the reference server names it; wins over tenantId.
    #[serde(default)]
    pub child_tenant_id: Option<String>,
    /// Must be true: deleting cannot be undone. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteTenantOutput {
    pub deleted_tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_tenant_id: Option<String>,
}

#[async_trait]
impl Tool for DeleteTenant {
    type Params = DeleteTenantParams;
    type Output = DeleteTenantOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "delete_tenant",
            title: "Delete a tenant",
            description: "Deletes a tenant with all its models, entities, associations and jobs. \
                Cannot be undone; requires confirm: true. The system tenant cannot be deleted.",
            category: Category::Tenants,
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![ToolExample {
                description: "Delete tenant plant7 after the user agreed",
                parameters: json!({"tenantId": "plant7", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "delete",
                target: ConfirmTarget::FirstOf(&["childTenantId", "tenantId"]),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DeleteTenantParams,
    ) -> Result<Success<DeleteTenantOutput>, ToolError> {
        let resolved = octo_tenancy::resolve(
            target(&params.child_tenant_id, &params.tenant_id),
            ctx.call.url_tenant.as_deref(),
        )
        .map_err(tenancy_error)?;
        let record = self
            .0
            .tenants
            .delete(&resolved.tenant_id)
            .await
            .map_err(|error| failed_in(error, &resolved))?;
        Ok(Success::new(DeleteTenantOutput {
            deleted_tenant_id: record.tenant_id.to_string(),
            parent_tenant_id: record.parent_tenant_id.as_ref().map(ToString::to_string),
        })
        .message(format!(
            "Tenant '{}' deleted with all its data.",
            record.tenant_id
        ))
        .tenant(record.tenant_id.to_string()))
    }
}
