//! `get_available_models`, `get_ck_library_status` and `clear_tenant_cache`: what a tenant has.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

/// Parameters of the tenant-only tools.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantParams {
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

pub struct GetAvailableModels(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetAvailableModelsOutput {
    pub total_models: usize,
    pub models: Vec<String>,
}

#[async_trait]
impl Tool for GetAvailableModels {
    type Params = TenantParams;
    type Output = GetAvailableModelsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_available_models",
            title: "List loaded CK models",
            description: "Lists the ids of the CK models loaded in a tenant. Served from a cache \
                that may lag a few seconds behind an import; get_ck_library_status reads the \
                store and shows models still importing or failed.",
            category: Category::SchemaDiscovery,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Models of octosystem",
                parameters: json!({"tenantId": "octosystem"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: TenantParams,
    ) -> Result<Success<GetAvailableModelsOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let models = self
            .0
            .ck
            .available_models(&tenant.tenant_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        Ok(Success::new(GetAvailableModelsOutput {
            total_models: models.len(),
            models: models.as_ref().clone(),
        })
        .message(format!("{} model(s) loaded.", models.len()))
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct GetCkLibraryStatus(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetCkLibraryStatusOutput {
    /// Every model record: modelName, modelId, modelState (Importing, Available,
    /// ResolveFailed), reason when it failed, serviceManaged, updatedAt.
    pub status: Value,
    /// The tenant's 20 most recent import jobs, newest first.
    pub recent_jobs: Vec<JobSummary>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub job_id: String,
    /// `ck_model_import`, `rt_import`, `rt_export_query`, `rt_export_graph`,
    /// `tenant_dump` or `tenant_restore` (the system tenant holds restores).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    pub state: String,
    /// Documents done (and in all, when known) as the job's worker last reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Value>,
    /// What a finished job produced, e.g. the download of an export or dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

#[async_trait]
impl Tool for GetCkLibraryStatus {
    type Params = TenantParams;
    type Output = GetCkLibraryStatusOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_ck_library_status",
            title: "CK library status",
            description: "Reports every CK model of a tenant with its loaded version and \
                modelState (Importing, Available, ResolveFailed with the reason), and the \
                tenant's 20 most recent background jobs (CK imports, runtime-model imports and \
                exports, dumps; restores under the system tenant) with state, progress and \
                result. Reads the store: the reliable source after an import.",
            category: Category::ConstructionKit,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Status of octosystem",
                parameters: json!({"tenantId": "octosystem"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: TenantParams,
    ) -> Result<Success<GetCkLibraryStatusOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let ck = &self.0.ck;
        let status = ck
            .status(&tenant.tenant_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let jobs = ck
            .store()
            .list_jobs(&tenant.tenant_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let recent_jobs = jobs
            .into_iter()
            .take(20)
            .map(|job| JobSummary {
                job_id: job.job_id.to_string(),
                kind: job.kind,
                model_id: job.payload["model"]["id"].as_str().map(str::to_owned),
                state: format!("{:?}", job.state),
                progress: job.progress.filter(|_| !job.state.is_finished()),
                result: job.result,
                error: job.error,
                created_at: job.created_at.to_rfc3339(),
                finished_at: job.finished_at.map(|t| t.to_rfc3339()),
            })
            .collect();
        let available = status
            .iter()
            .filter(|m| m.model_state == octo_store::CkModelState::Available)
            .count();
        let message = format!("{available} of {} model(s) Available.", status.len());
        Ok(Success::new(GetCkLibraryStatusOutput {
            status: serde_json::to_value(&status).unwrap_or(Value::Null),
            recent_jobs,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct ClearTenantCache(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClearTenantCacheParams {
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The tenant, as the reference server names it; wins over tenantId.
    #[serde(default)]
    pub child_tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClearTenantCacheOutput {
    pub cleared_tenant_id: String,
}

#[async_trait]
impl Tool for ClearTenantCache {
    type Params = ClearTenantCacheParams;
    type Output = ClearTenantCacheOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "clear_tenant_cache",
            title: "Clear a tenant's caches",
            description: "Drops this server's cached views of a tenant (its resolved CK library \
                and model list) so the next call reads the store. No data is changed.",
            category: Category::Tenants,
            access: Access::Write,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            examples: vec![ToolExample {
                description: "Refresh octosystem",
                parameters: json!({"tenantId": "octosystem"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ClearTenantCacheParams,
    ) -> Result<Success<ClearTenantCacheOutput>, ToolError> {
        let wanted = params
            .child_tenant_id
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .or(params.tenant_id.as_deref());
        let tenant = self.0.tenant(ctx, wanted).await?;
        self.0.ck.invalidate(&tenant.tenant_id).await;
        self.0.tenants.forget(&tenant.tenant_id).await;
        Ok(Success::new(ClearTenantCacheOutput {
            cleared_tenant_id: tenant.tenant_id.to_string(),
        })
        .message(format!("Cache cleared for tenant '{}'.", tenant.tenant_id))
        .tenant(tenant.tenant_id.to_string()))
    }
}
