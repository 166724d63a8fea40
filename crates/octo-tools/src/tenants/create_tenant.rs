//! `create_tenant`: a new tenant under the resolved tenant (or the system tenant).

use async_trait::async_trait;
use octo_ids::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ToolError;
use crate::platform::{Platform, tenancy_error};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct CreateTenant(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTenantParams {
    /// The new tenant's id: lower-case letters, digits, '-' and '_', starting with a letter
    /// (upper case is lowered).
    pub child_tenant_id: String,
    /// Its database name; defaults to the tenant id.
    #[serde(default)]
    pub database: Option<String>,
    /// The parent tenant; defaults to the URL tenant, then to the system tenant 'octosystem'.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateTenantOutput {
    pub created_tenant_id: String,
    pub database: String,
    pub parent_tenant_id: String,
}

#[async_trait]
impl Tool for CreateTenant {
    type Params = CreateTenantParams;
    type Output = CreateTenantOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_tenant",
            title: "Create a tenant",
            description: "Creates a tenant under the given parent tenant (default: the system \
                tenant). The new tenant starts with the System model and no runtime data.",
            category: Category::Tenants,
            access: Access::Write,
            annotations: Annotations::ADDITIVE,
            examples: vec![ToolExample {
                description: "Create tenant plant7",
                parameters: json!({"childTenantId": "plant7"}),
            }],
            notes: vec!["Tenant ids are lower case; 'Plant7' becomes 'plant7'."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CreateTenantParams,
    ) -> Result<Success<CreateTenantOutput>, ToolError> {
        let child = TenantId::parse_normalized(params.child_tenant_id.trim())
            .map_err(|error| ToolError::invalid(error.to_string()))?;
        let parent = match octo_tenancy::resolve(
            params.tenant_id.as_deref(),
            ctx.call.url_tenant.as_deref(),
        ) {
            Ok(resolved) => resolved.tenant_id,
            Err(octo_tenancy::TenancyError::NoTenant) => TenantId::system(),
            Err(error) => return Err(tenancy_error(error)),
        };
        let record = self
            .0
            .tenants
            .create(&child, params.database.as_deref(), &parent)
            .await
            .map_err(|error| ToolError::Failed {
                message: error.to_string(),
                tenant_id: Some(child.to_string()),
            })?;
        // A tenant is usable only with its System model in place.
        self.0
            .ck
            .prepare_tenant(&record.tenant_id)
            .await
            .map_err(|error| ToolError::Failed {
                message: error.to_string(),
                tenant_id: Some(child.to_string()),
            })?;
        Ok(Success::new(CreateTenantOutput {
            created_tenant_id: record.tenant_id.to_string(),
            database: record.database_name.clone(),
            parent_tenant_id: parent.to_string(),
        })
        .message(format!(
            "Tenant '{}' created under '{parent}' (database '{}').",
            record.tenant_id, record.database_name
        ))
        .tenant(record.tenant_id.to_string()))
    }
}
