//! `get_tenants`: the tenants of this installation, or the children of one tenant.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::TenantInfo;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in, tenancy_error};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct GetTenants(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetTenantsParams {
    /// List only the tenants created under this one. Omit to list every tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetTenantsOutput {
    pub tenants: Vec<TenantInfo>,
    pub total_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_tenant_id: Option<String>,
}

#[async_trait]
impl Tool for GetTenants {
    type Params = GetTenantsParams;
    type Output = GetTenantsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_tenants",
            title: "List tenants",
            description: "Lists the tenants of this installation with their parent and database \
                name. With tenantId, lists only the tenants created under that tenant.",
            category: Category::Tenants,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "All tenants",
                    parameters: json!({}),
                },
                ToolExample {
                    description: "Tenants created under octosystem",
                    parameters: json!({"tenantId": "octosystem"}),
                },
            ],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        _ctx: &ToolContext,
        params: GetTenantsParams,
    ) -> Result<Success<GetTenantsOutput>, ToolError> {
        let tenants = &self.0.tenants;
        let parent = match params.tenant_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let resolved = octo_tenancy::resolve(Some(text), None).map_err(tenancy_error)?;
                tenants
                    .require(&resolved.tenant_id)
                    .await
                    .map_err(|error| failed_in(error, &resolved))?;
                Some(resolved)
            }
        };
        let records = match &parent {
            Some(parent) => tenants
                .children(&parent.tenant_id)
                .await
                .map_err(|error| failed_in(error, parent))?,
            None => tenants.list().await.map_err(tenancy_error)?,
        };
        let infos: Vec<TenantInfo> = records.iter().map(TenantInfo::from).collect();
        let message = match (&parent, infos.len()) {
            (Some(parent), 0) => format!("No child tenants found under '{}'.", parent.tenant_id),
            (Some(parent), n) => format!("Found {n} child tenant(s) under '{}'.", parent.tenant_id),
            (None, n) => format!("Found {n} tenant(s)."),
        };
        let mut success = Success::new(GetTenantsOutput {
            total_count: infos.len(),
            tenants: infos,
            parent_tenant_id: parent.as_ref().map(|p| p.tenant_id.to_string()),
        })
        .message(message);
        if let Some(parent) = parent {
            success = success.tenant(parent.tenant_id.to_string());
        }
        Ok(success)
    }
}
