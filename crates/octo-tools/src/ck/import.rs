//! `import_ck_from_catalog` and `import_ck_model`: loading models into a tenant.

use std::time::Duration;

use async_trait::async_trait;
use octo_ck_service::Feature;
use octo_store::JobState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::upgrade::CatalogModelParams;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct ImportCkFromCatalog(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportCkFromCatalogOutput {
    pub models_to_import: Vec<String>,
    pub job_ids: Vec<String>,
}

#[async_trait]
impl Tool for ImportCkFromCatalog {
    type Params = CatalogModelParams;
    type Output = ImportCkFromCatalogOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "import_ck_from_catalog",
            title: "Import a CK model from a catalog",
            description: "Enqueues the import of a catalog model and of the dependencies the \
                tenant lacks (dependencies first). Jobs run in the background: poll \
                get_ck_library_status until the model is Available. Service-managed System.* \
                models are not imported this way; the result names the enable_* tool to use.",
            category: Category::ConstructionKit,
            access: Access::Write,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            examples: vec![ToolExample {
                description: "Import the energy model (and Octo.Assets, which it needs)",
                parameters: json!({"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": "octosystem"}),
            }],
            notes: vec![
                "get_available_models may lag a moment behind; get_ck_library_status reads the store.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CatalogModelParams,
    ) -> Result<Success<ImportCkFromCatalogOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let plan = self
            .0
            .ck
            .import_from_catalog(&tenant.tenant_id, &params.catalog_name, &params.model_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let message = if plan.job_ids.is_empty() && plan.service_managed.is_empty() {
            format!(
                "Nothing to import — '{}' (with deps) is already up to date.",
                params.model_id
            )
        } else {
            format!(
                "Enqueued {} import job(s) for {} model(s).",
                plan.job_ids.len(),
                plan.models_to_import.len()
            )
        };
        let mut success = Success::new(ImportCkFromCatalogOutput {
            models_to_import: plan.models_to_import,
            job_ids: plan.job_ids.iter().map(ToString::to_string).collect(),
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string());
        // The reference server enqueues nothing here and stays silent; say what to do instead.
        for model in &plan.service_managed {
            let name = model
                .rsplit_once('-')
                .map_or(model.as_str(), |(name, _)| name);
            let hint = Feature::for_model(name).map_or_else(
                || "it has no enable tool yet".to_owned(),
                |feature| format!("call {} instead", feature.enable_tool()),
            );
            success = success.warning(format!(
                "'{model}' is a service-managed model and was not imported: {hint}."
            ));
        }
        Ok(success)
    }
}

pub struct ImportCkModel(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportCkModelParams {
    /// The model as one YAML or JSON document: ckModel's fields (modelId, dependencies,
    /// description) with all element lists (types, attributes, records, enums,
    /// associationRoles) together, or the compiled form.
    #[serde(default)]
    pub content: Option<String>,
    /// An uploaded model file (prepare_file_upload): a zip of the model folder, or one YAML or
    /// JSON document. Used when content is absent.
    #[serde(default)]
    pub transfer_id: Option<String>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long to wait for the import job, in minutes; 0 returns right after enqueuing.
    #[serde(default = "default_wait")]
    pub wait_timeout_minutes: u32,
}

fn default_wait() -> u32 {
    10
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportCkModelOutput {
    pub job_id: String,
    pub model_id: String,
    /// Queued, Running, Succeeded or Failed.
    pub job_state: String,
}

#[async_trait]
impl Tool for ImportCkModel {
    type Params = ImportCkModelParams;
    type Output = ImportCkModelOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "import_ck_model",
            title: "Import a CK model",
            description: "Imports a Construction Kit model given inline as YAML or JSON (or \
                uploaded with prepare_file_upload: a zipped model folder or one document), waits up \
                to waitTimeoutMinutes for the import job and reports its final state. The \
                model's dependencies must already be loaded (import_ck_from_catalog brings \
                catalog dependencies along).",
            category: Category::ConstructionKit,
            access: Access::Write,
            annotations: Annotations::ADDITIVE,
            examples: vec![ToolExample {
                description: "A one-type model",
                parameters: json!({
                    "tenantId": "octosystem",
                    "content": "modelId: Demo.Plant-1.0.0\ndependencies:\n  - System-[2.0,3.0)\ntypes:\n  - typeId: Pump\n    derivedFromCkTypeId: ${System}/Entity\n"
                }),
            }],
            notes: vec!["docs/ck-model-format.md describes the format."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ImportCkModelParams,
    ) -> Result<Success<ImportCkModelOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let model = match (params.content.as_deref(), params.transfer_id.as_deref()) {
            (Some(content), _) if !content.trim().is_empty() => {
                octo_ck::source::load_document(content, "content")
                    .map_err(|error| failed_in(error, &tenant))?
            }
            (_, Some(transfer_id)) => load_uploaded(&self.0, transfer_id.trim())
                .await
                .map_err(|error| failed_in(error, &tenant))?,
            _ => {
                return Err(ToolError::invalid(
                    "content or transferId is required: the model as YAML or JSON, or the id of \
                     an uploaded model file (prepare_file_upload).",
                ));
            }
        };
        let model_id = model.id().to_string();
        let job = self
            .0
            .ck
            .enqueue(&tenant.tenant_id, model)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let wait = Duration::from_secs(u64::from(params.wait_timeout_minutes) * 60);
        let job = if wait.is_zero() {
            job
        } else {
            self.0
                .ck
                .wait_for_job(&tenant.tenant_id, job.job_id, wait)
                .await
                .map_err(|error| failed_in(error, &tenant))?
        };
        let output = ImportCkModelOutput {
            job_id: job.job_id.to_string(),
            model_id: model_id.clone(),
            job_state: format!("{:?}", job.state),
        };
        match job.state {
            JobState::Succeeded => Ok(Success::new(output)
                .message(format!("CK model import completed (job '{}').", job.job_id))
                .tenant(tenant.tenant_id.to_string())),
            JobState::Failed => Err(failed_in(
                format!(
                    "Job '{}' failed: {}",
                    job.job_id,
                    job.error.as_deref().unwrap_or("(no reason given)")
                ),
                &tenant,
            )),
            _ if wait.is_zero() => Ok(Success::new(output)
                .message(format!(
                    "Enqueued job '{}'. Poll get_ck_library_status until '{model_id}' is Available.",
                    job.job_id
                ))
                .tenant(tenant.tenant_id.to_string())),
            state => Err(failed_in(
                format!(
                    "Job '{}' did not complete within {} minutes (last status: {state:?}). It \
                     continues in the background; check get_ck_library_status.",
                    job.job_id, params.wait_timeout_minutes
                ),
                &tenant,
            )),
        }
    }
}

/// The largest uploaded model file read into memory for an import: models are small, and the
/// zip reader needs the whole archive.
const MAX_MODEL_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Loads the model uploaded as `transfer_id`: a zip (by its magic bytes or a `.zip` name) of a
/// model folder, otherwise one YAML or JSON document.
async fn load_uploaded(
    platform: &Platform,
    transfer_id: &str,
) -> Result<octo_ck::model::CkModel, String> {
    let (path, record) = platform
        .transfers
        .open_completed(transfer_id)
        .await
        .map_err(|error| error.to_string())?;
    if record
        .size_bytes
        .is_some_and(|size| size > MAX_MODEL_FILE_BYTES)
    {
        return Err(format!(
            "The uploaded file '{}' is larger than {MAX_MODEL_FILE_BYTES} bytes; a CK model is \
             far smaller. Check that the right file was uploaded.",
            record.file_name
        ));
    }
    let bytes = tokio::fs::read(&path).await.map_err(|error| {
        format!(
            "The uploaded file '{}' cannot be read: {error}",
            record.file_name
        )
    })?;
    let is_zip =
        bytes.starts_with(b"PK\x03\x04") || record.file_name.to_ascii_lowercase().ends_with(".zip");
    if is_zip {
        return octo_ck::source::load_zip(&bytes).map_err(|error| error.to_string());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "The uploaded file '{}' is neither a zip nor UTF-8 YAML/JSON text.",
            record.file_name
        )
    })?;
    octo_ck::source::load_document(&text, &record.file_name).map_err(|error| error.to_string())
}
