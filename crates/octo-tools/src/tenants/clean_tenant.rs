//! `clean_tenant`: removes a tenant's runtime data and keeps the tenant and its models.

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

pub struct CleanTenant(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CleanTenantParams {
    /// The tenant to clean (defaults to the URL tenant).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The tenant to clean, as the reference server names it; wins over tenantId.
    #[serde(default)]
    pub child_tenant_id: Option<String>,
    /// Must be true: the runtime data cannot be recovered. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CleanTenantOutput {
    pub entities_deleted: u64,
    pub associations_deleted: u64,
}

#[async_trait]
impl Tool for CleanTenant {
    type Params = CleanTenantParams;
    type Output = CleanTenantOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "clean_tenant",
            title: "Clean a tenant",
            description: "Removes every runtime entity and association of a tenant; the tenant \
                and its loaded CK models stay. Cannot be undone; requires confirm: true.",
            category: Category::Tenants,
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![ToolExample {
                description: "Clean tenant plant7 after the user agreed",
                parameters: json!({"tenantId": "plant7", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "clean",
                target: ConfirmTarget::FirstOf(&["childTenantId", "tenantId"]),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CleanTenantParams,
    ) -> Result<Success<CleanTenantOutput>, ToolError> {
        let resolved = octo_tenancy::resolve(
            target(&params.child_tenant_id, &params.tenant_id),
            ctx.call.url_tenant.as_deref(),
        )
        .map_err(tenancy_error)?;
        let report = self
            .0
            .tenants
            .clean(&resolved.tenant_id)
            .await
            .map_err(|error| failed_in(error, &resolved))?;
        Ok(Success::new(CleanTenantOutput {
            entities_deleted: report.entities_deleted,
            associations_deleted: report.associations_deleted,
        })
        .message(format!(
            "Tenant '{}' cleaned: {} entities and {} associations removed; models kept.",
            resolved.tenant_id, report.entities_deleted, report.associations_deleted
        ))
        .tenant(resolved.tenant_id.to_string()))
    }
}
