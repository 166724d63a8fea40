//! Tools that move tenant data through file transfers: `import_runtime_model` (from an
//! upload), `export_runtime_model_by_query` and `export_runtime_model_by_deep_graph` (to a
//! download), `dump_tenant` (to a download) and `restore_tenant` (from an upload). The work
//! itself is `octo-exchange`'s; these tools resolve tenants, find uploads, register downloads
//! and word the results.

use std::time::Duration;

use async_trait::async_trait;
use octo_exchange::{ExchangeJob, ImportStrategy, JobDownload, JobOutcome};
use octo_ids::TenantId;
use octo_store::JobState;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entities::dto::FieldFilterCriteria;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

/// `1234567` as `1,234,567` (the reference's `N0`).
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The result of every tool that produces a download.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDownloadOutput {
    /// The background job that produced the file.
    pub job_id: String,
    /// The download's id; cancel_file_transfer frees it early.
    pub transfer_id: String,
    /// GET this path (relative to the server's base URL) to fetch the file.
    pub download_url_path: String,
    pub file_name: String,
    pub size_bytes: u64,
    /// When the download expires, RFC 3339.
    pub expires_at_utc: String,
    /// Entities in the file (exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_count: Option<u64>,
    /// Associations in the file (exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_count: Option<u64>,
}

impl FileDownloadOutput {
    fn new(job_id: String, download: &JobDownload) -> Self {
        Self {
            job_id,
            transfer_id: download.transfer_id.clone(),
            download_url_path: download_path(&download.transfer_id),
            file_name: download.file_name.clone(),
            size_bytes: download.size_bytes,
            expires_at_utc: download.expires_at.to_rfc3339(),
            entity_count: None,
            association_count: None,
        }
    }

    /// For a download registered outside the exchange jobs (archive-data exports).
    pub(crate) fn from_record(job_id: String, record: &octo_store::TransferRecord) -> Self {
        Self {
            job_id,
            transfer_id: record.transfer_id.clone(),
            download_url_path: download_path(&record.transfer_id),
            file_name: record.file_name.clone(),
            size_bytes: record.size_bytes.unwrap_or(0),
            expires_at_utc: record.expires_at.to_rfc3339(),
            entity_count: None,
            association_count: None,
        }
    }
}

fn download_path(transfer_id: &str) -> String {
    format!("{}{transfer_id}", octo_transfer::DOWNLOAD_PATH_PREFIX)
}

/// A job state as the reference names bot-job states.
fn status_name(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "Queued",
        JobState::Running => "Running",
        JobState::Succeeded => "Succeeded",
        JobState::Failed => "Failed",
    }
}

/// Enqueues `job` for `owner` and waits for it up to `minutes` (0: not at all), reporting its
/// progress to the client's progress token (when it asked for progress) as `what`. The job
/// does not depend on this call: when the wait ends first, the job keeps running and the
/// error names it. `fail` words an error for the tenant acted on.
async fn run_as_job(
    platform: &Platform,
    ctx: &ToolContext,
    owner: &TenantId,
    job: &ExchangeJob,
    minutes: u32,
    what: &str,
    fail: impl Fn(String) -> ToolError,
) -> Result<(String, JobOutcome), ToolError> {
    let jobs = &platform.exchange;
    let queued = jobs
        .enqueue(owner, job)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let job_id = queued.job_id;
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(u64::from(minutes).saturating_mul(60));
    let progress = &ctx.call.progress;
    let finished = loop {
        let current = jobs
            .wait_step(owner, job_id, deadline)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if current.state.is_finished() || tokio::time::Instant::now() >= deadline {
            break current;
        }
        if progress.is_requested()
            && let Some((done, total)) = jobs.progress(&current)
        {
            #[allow(clippy::cast_precision_loss)]
            progress
                .report(
                    done as f64,
                    total.map(|t| t as f64),
                    format!("{what}: {done} documents"),
                )
                .await;
        }
    };
    match finished.state {
        JobState::Succeeded => {
            let outcome = finished
                .result
                .and_then(|result| serde_json::from_value::<JobOutcome>(result).ok())
                .ok_or_else(|| {
                    fail(format!(
                        "Job '{job_id}' succeeded, but its result cannot be read;                          get_ck_library_status shows it."
                    ))
                })?;
            Ok((job_id.to_string(), outcome))
        }
        JobState::Failed => Err(fail(format!(
            "Job '{job_id}' failed: {}",
            finished.error.as_deref().unwrap_or("(no reason given)")
        ))),
        state => Err(fail(format!(
            "Job '{job_id}' did not complete within {} minutes (last status: {}). It keeps \
             running in the background: get_ck_library_status for tenant '{owner}' lists it \
             (recentJobs) with its progress and, once done, its result.",
            thousands(u64::from(minutes)),
            status_name(state)
        ))),
    }
}

/// A job outcome of another kind than the tool started; cannot happen unless the store was
/// tampered with.
fn unexpected(job_id: &str) -> String {
    format!("Job '{job_id}' produced a result of another kind than this tool started.")
}

/// The completed upload `transfer_id`, or the reference's message and why.
async fn uploaded(platform: &Platform, transfer_id: &str) -> Result<(), String> {
    platform
        .transfers
        .open_completed(transfer_id)
        .await
        .map(|_| ())
        .map_err(|error| format!("Upload '{transfer_id}' not found or expired. {error}"))
}

// --- import_runtime_model ------------------------------------------------------------------

pub struct ImportRuntimeModel(pub Platform);

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub enum ImportStrategyDto {
    /// Entities must be new to the tenant; an existing rtId refuses the import.
    #[default]
    InsertOnly,
    /// Existing entities (same rtId and type) are overwritten.
    Upsert,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRuntimeModelParams {
    /// The upload (prepare_file_upload) holding the runtime model: JSON, YAML or a zip of them.
    pub transfer_id: String,
    /// InsertOnly (default) or Upsert.
    #[serde(default)]
    pub import_strategy: ImportStrategyDto,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long to wait for the background import job, in minutes (0: return at once). The job
    /// keeps running when the wait ends first.
    #[serde(default = "ten")]
    pub wait_timeout_minutes: u32,
}

fn ten() -> u32 {
    10
}

fn thirty() -> u32 {
    30
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportRuntimeModelOutput {
    /// The background job that ran the import.
    pub job_id: String,
    pub import_strategy: String,
    pub entities_inserted: u64,
    pub entities_updated: u64,
    pub associations_inserted: u64,
    /// Associations the tenant already had.
    pub associations_unchanged: u64,
}

#[async_trait]
impl Tool for ImportRuntimeModel {
    type Params = ImportRuntimeModelParams;
    type Output = ImportRuntimeModelOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "import_runtime_model",
            title: "Import a runtime model",
            description: "Imports entities and associations from an uploaded runtime-model file \
                (OctoMesh's format: {dependencies, entities[{rtId, ckTypeId, rtWellKnownName, \
                attributes[{id, value}], associations[{roleId, targetRtId, targetCkTypeId}]}]} \
                as JSON, YAML or a zip) as a background job. Every entity is checked against \
                the tenant's CK models as create_entity checks it before anything is written; \
                any problem refuses the whole file, every one listed by entity index, rtId and \
                attribute. JSON is streamed (no size limit beyond the upload cap); YAML is read \
                whole and limited to 64 MiB.",
            category: Category::FileTransfer,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Import an uploaded file, overwriting entities that exist",
                parameters: json!({
                    "transferId": "0123456789abcdef0123456789abcdef",
                    "importStrategy": "Upsert",
                    "tenantId": "meshtest"
                }),
            }],
            notes: vec![
                "Upload the file first: prepare_file_upload, then PUT it to uploadUrlPath.",
                "The upload is removed after a successful import.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ImportRuntimeModelParams,
    ) -> Result<Success<ImportRuntimeModelOutput>, ToolError> {
        let transfer_id = params.transfer_id.trim();
        if transfer_id.is_empty() {
            return Err(ToolError::invalid("transferId is required."));
        }
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        uploaded(&self.0, transfer_id)
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let strategy = match params.import_strategy {
            ImportStrategyDto::InsertOnly => ImportStrategy::InsertOnly,
            ImportStrategyDto::Upsert => ImportStrategy::Upsert,
        };
        let job = ExchangeJob::ImportRuntimeModel {
            transfer_id: transfer_id.to_owned(),
            strategy,
        };
        let (job_id, outcome) = run_as_job(
            &self.0,
            ctx,
            &tenant.tenant_id,
            &job,
            params.wait_timeout_minutes,
            "Importing",
            |e| failed_in(e, &tenant),
        )
        .await?;
        let JobOutcome::ImportRuntimeModel { report, .. } = outcome else {
            return Err(failed_in(unexpected(&job_id), &tenant));
        };
        let message = format!(
            "Runtime model import ({}) completed (job '{job_id}'): {} entities inserted, {} \
             updated, {} associations inserted, {} already present.",
            strategy.as_str(),
            report.entities_inserted,
            report.entities_updated,
            report.associations_inserted,
            report.associations_unchanged
        );
        Ok(Success::new(ImportRuntimeModelOutput {
            job_id,
            import_strategy: strategy.as_str().to_owned(),
            entities_inserted: report.entities_inserted,
            entities_updated: report.entities_updated,
            associations_inserted: report.associations_inserted,
            associations_unchanged: report.associations_unchanged,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

// --- export_runtime_model_by_query ---------------------------------------------------------

pub struct ExportRuntimeModelByQuery(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRuntimeModelByQueryParams {
    /// The CK type to export; entities of derived types are included. Required.
    #[serde(default)]
    pub ck_type_id: String,
    /// The reference server's persisted query id. This server keeps no stored queries: give
    /// ckTypeId and filters instead (a call with only queryId is refused, saying so).
    #[serde(default)]
    pub query_id: Option<String>,
    /// `{fields: [{attributePath, operator, value, secondValue}], operator: And|Or,
    /// nestedFilters}`, as query_entities takes it.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    /// The download's name; `.json` or `.yaml` give that format, anything else a zip holding
    /// runtime-model.json.
    #[serde(default = "export_zip")]
    pub file_name: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long to wait for the background export job, in minutes (0: return at once). The job
    /// keeps running when the wait ends first.
    #[serde(default = "ten")]
    pub wait_timeout_minutes: u32,
}

fn export_zip() -> String {
    "export.zip".to_owned()
}

#[async_trait]
impl Tool for ExportRuntimeModelByQuery {
    type Params = ExportRuntimeModelByQueryParams;
    type Output = FileDownloadOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "export_runtime_model_by_query",
            title: "Export entities of a type",
            description: "Writes the entities of a CK type (and its derived types) that match the \
                filters, with the associations between them, as a runtime-model file \
                (import_runtime_model reads it back) and returns a download transferId. GET \
                downloadUrlPath to fetch it.",
            category: Category::FileTransfer,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Export the active meters as JSON",
                parameters: json!({
                    "ckTypeId": "Industry.Energy/EnergyMeter",
                    "filters": {"fields": [{"attributePath": "State", "operator": "Equals", "value": "Active"}]},
                    "fileName": "meters.json",
                    "tenantId": "meshtest"
                }),
            }],
            notes: vec![
                "The reference server takes a persisted queryId; this server keeps no stored queries and takes ckTypeId and filters directly (queryId alone is refused with that advice).",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ExportRuntimeModelByQueryParams,
    ) -> Result<Success<FileDownloadOutput>, ToolError> {
        if params.ck_type_id.trim().is_empty() {
            if let Some(query_id) = params.query_id.as_deref().map(str::trim) {
                return Err(ToolError::invalid(format!(
                    "This server keeps no stored queries, so queryId '{query_id}' cannot be \
                     resolved. Pass ckTypeId (the type to export) and, to narrow it, filters \
                     as query_entities takes them."
                )));
            }
            return Err(ToolError::invalid("ckTypeId is required."));
        }
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let job = ExchangeJob::ExportByQuery {
            ck_type_id: params.ck_type_id.trim().to_owned(),
            criteria: params
                .filters
                .as_ref()
                .map(octo_entities::filter::Criteria::from),
            file_name: params.file_name.clone(),
        };
        let (job_id, outcome) = run_as_job(
            &self.0,
            ctx,
            &tenant.tenant_id,
            &job,
            params.wait_timeout_minutes,
            "Exporting",
            |e| failed_in(e, &tenant),
        )
        .await?;
        let JobOutcome::Export { download, report } = outcome else {
            return Err(failed_in(unexpected(&job_id), &tenant));
        };
        let mut output = FileDownloadOutput::new(job_id, &download);
        output.entity_count = Some(report.entities);
        output.association_count = Some(report.associations);
        let message = format!(
            "Runtime export by query '{}' ready (job '{}'). GET '{}' to fetch ({} bytes).",
            params.ck_type_id.trim(),
            output.job_id,
            output.download_url_path,
            thousands(output.size_bytes)
        );
        Ok(Success::new(output)
            .message(message)
            .tenant(tenant.tenant_id.to_string()))
    }
}

// --- export_runtime_model_by_deep_graph ----------------------------------------------------

pub struct ExportRuntimeModelByDeepGraph(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRuntimeModelByDeepGraphParams {
    /// The root entities.
    pub origin_rt_ids: Vec<String>,
    /// Their CK type (or a base type of it).
    pub origin_ck_type_id: String,
    /// The download's name; `.json` or `.yaml` give that format, anything else a zip.
    #[serde(default = "export_zip")]
    pub file_name: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long to wait for the background export job, in minutes (0: return at once). The job
    /// keeps running when the wait ends first.
    #[serde(default = "ten")]
    pub wait_timeout_minutes: u32,
}

#[async_trait]
impl Tool for ExportRuntimeModelByDeepGraph {
    type Params = ExportRuntimeModelByDeepGraphParams;
    type Output = FileDownloadOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "export_runtime_model_by_deep_graph",
            title: "Export entity graphs",
            description: "Writes root entities and everything below them (their children along \
                System/ParentChild, recursively, and the entities their other associations point \
                to) as a runtime-model file and returns a download transferId. GET \
                downloadUrlPath to fetch it.",
            category: Category::FileTransfer,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Export a site with everything below it",
                parameters: json!({
                    "originRtIds": ["65f1c0ffee0123456789abcd"],
                    "originCkTypeId": "Basic/Tree",
                    "fileName": "site.json",
                    "tenantId": "meshtest"
                }),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ExportRuntimeModelByDeepGraphParams,
    ) -> Result<Success<FileDownloadOutput>, ToolError> {
        if params.origin_rt_ids.is_empty() || params.origin_ck_type_id.trim().is_empty() {
            return Err(ToolError::invalid(
                "originRtIds (non-empty) and originCkTypeId are required.",
            ));
        }
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let job = ExchangeJob::ExportByDeepGraph {
            origin_rt_ids: params.origin_rt_ids.clone(),
            origin_ck_type_id: params.origin_ck_type_id.trim().to_owned(),
            file_name: params.file_name.clone(),
        };
        let (job_id, outcome) = run_as_job(
            &self.0,
            ctx,
            &tenant.tenant_id,
            &job,
            params.wait_timeout_minutes,
            "Exporting",
            |e| failed_in(e, &tenant),
        )
        .await?;
        let JobOutcome::Export { download, report } = outcome else {
            return Err(failed_in(unexpected(&job_id), &tenant));
        };
        let mut output = FileDownloadOutput::new(job_id, &download);
        output.entity_count = Some(report.entities);
        output.association_count = Some(report.associations);
        let message = format!(
            "Runtime export by deep graph ({} root(s)) ready (job '{}'). GET '{}' to fetch ({} \
             bytes).",
            params.origin_rt_ids.len(),
            output.job_id,
            output.download_url_path,
            thousands(output.size_bytes)
        );
        Ok(Success::new(output)
            .message(message)
            .tenant(tenant.tenant_id.to_string()))
    }
}

// --- dump_tenant ---------------------------------------------------------------------------

pub struct DumpTenant(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DumpTenantParams {
    /// The tenant to dump.
    pub target_tenant_id: String,
    /// The download's name; default `<targetTenantId>-dump.tar.gz`.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Include the samples of the tenant's stream-data archives (one BSON file per archive,
    /// `<tenant>/streamdata.<archiveRtId>.bson`, checksummed like the other parts).
    #[serde(default)]
    pub include_archive_data: bool,
    /// How long to wait for the background dump job, in minutes (0: return at once). The job
    /// keeps running when the wait ends first.
    #[serde(default = "thirty")]
    pub wait_timeout_minutes: u32,
    /// Accepted for compatibility; the tenant dumped is targetTenantId.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// The target tenant id, or why it is unusable (an invalid-arguments message).
fn target_tenant(text: &str) -> Result<TenantId, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("targetTenantId is required.".to_owned());
    }
    text.parse::<TenantId>().map_err(|e| e.to_string())
}

#[async_trait]
impl Tool for DumpTenant {
    type Params = DumpTenantParams;
    type Output = FileDownloadOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "dump_tenant",
            title: "Dump a tenant",
            description: "Writes a consistent snapshot of a tenant (its CK models, entities and \
                associations; with includeArchiveData its stream-data samples too) as a gzip'd tar of BSON files (one per collection, mongodump's \
                layout) with a manifest of counts and SHA-256 checksums, and returns a download \
                transferId. restore_tenant reads it back.",
            category: Category::FileTransfer,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Dump a tenant",
                parameters: json!({"targetTenantId": "meshtest"}),
            }],
            notes: vec![
                "Downloads are capped like uploads; for larger tenants use the operator CLI on the server.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DumpTenantParams,
    ) -> Result<Success<FileDownloadOutput>, ToolError> {
        let target = target_tenant(&params.target_tenant_id).map_err(ToolError::invalid)?;
        let in_target = |message: String| ToolError::Failed {
            message,
            tenant_id: Some(target.to_string()),
        };
        let file_name = params
            .file_name
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| format!("{target}-dump.tar.gz"));
        self.0
            .tenants
            .require(&target)
            .await
            .map_err(|e| in_target(e.to_string()))?;
        let job = ExchangeJob::DumpTenant {
            file_name,
            include_archive_data: params.include_archive_data,
        };
        let (job_id, outcome) = run_as_job(
            &self.0,
            ctx,
            &target,
            &job,
            params.wait_timeout_minutes,
            "Dumping",
            in_target,
        )
        .await?;
        let JobOutcome::DumpTenant {
            download, samples, ..
        } = outcome
        else {
            return Err(in_target(unexpected(&job_id)));
        };
        let output = FileDownloadOutput::new(job_id, &download);
        let message = format!(
            "Dump of tenant '{target}' ready ({} bytes, {} stream-data samples, job '{}'). GET \
             '{}' to fetch.",
            thousands(output.size_bytes),
            thousands(samples),
            output.job_id,
            output.download_url_path
        );
        Ok(Success::new(output)
            .message(message)
            .tenant(target.to_string()))
    }
}

// --- restore_tenant ------------------------------------------------------------------------

pub struct RestoreTenant(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreTenantParams {
    /// The upload (prepare_file_upload) holding a dump made by dump_tenant or the operator CLI.
    pub transfer_id: String,
    /// The tenant to restore into; created when missing, its data replaced otherwise.
    pub target_tenant_id: String,
    /// The tenant's database name (defaults to targetTenantId).
    #[serde(default)]
    pub database_name: Option<String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub old_database_name: Option<String>,
    /// Restore the stream-data samples the dump holds (stream data is enabled in the target and
    /// each archive's table recreated with the dump's samples).
    #[serde(default)]
    pub restore_archive_data: bool,
    /// Must be true: a restore replaces the tenant's models, entities and associations.
    #[serde(default)]
    pub confirm: bool,
    /// How long to wait for the background restore job, in minutes (0: return at once). The job
    /// keeps running when the wait ends first.
    #[serde(default = "thirty")]
    pub wait_timeout_minutes: u32,
    /// Accepted for compatibility; the tenant restored is targetTenantId.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreTenantOutput {
    /// The background job that ran the restore.
    pub job_id: String,
    /// The tenant the dump was made from.
    pub source_tenant_id: String,
    pub ck_models: u64,
    pub entities: u64,
    pub associations: u64,
    /// Stream-data samples restored (with restoreArchiveData).
    pub samples: u64,
}

#[async_trait]
impl Tool for RestoreTenant {
    type Params = RestoreTenantParams;
    type Output = RestoreTenantOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "restore_tenant",
            title: "Restore a tenant",
            description: "Restores a tenant dump (dump_tenant) from an upload into a new or \
                existing tenant, replacing its CK models, entities and associations. Every \
                checksum is verified before anything is written, and the write is one \
                transaction: a corrupt or truncated archive changes nothing.",
            category: Category::FileTransfer,
            annotations: Annotations {
                destructive: true,
                ..Annotations::ADDITIVE
            },
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Restore an uploaded dump into a fresh tenant",
                parameters: json!({
                    "transferId": "0123456789abcdef0123456789abcdef",
                    "targetTenantId": "meshcopy",
                    "confirm": true
                }),
            }],
            notes: vec!["The upload is removed after a successful restore."],
            confirmation: Some(Confirmation {
                verb: "restore tenant",
                target: ConfirmTarget::Parameter("targetTenantId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: RestoreTenantParams,
    ) -> Result<Success<RestoreTenantOutput>, ToolError> {
        let transfer_id = params.transfer_id.trim();
        if transfer_id.is_empty() || params.target_tenant_id.trim().is_empty() {
            return Err(ToolError::invalid(
                "transferId and targetTenantId are required.",
            ));
        }
        let target = target_tenant(&params.target_tenant_id).map_err(ToolError::invalid)?;
        let in_target = |message: String| ToolError::Failed {
            message,
            tenant_id: Some(target.to_string()),
        };
        if target == TenantId::system() {
            return Err(in_target(format!(
                "'{target}' is the system tenant; it cannot be restored into. Restore into \
                 another tenant."
            )));
        }
        uploaded(&self.0, transfer_id).await.map_err(in_target)?;
        let job = ExchangeJob::RestoreTenant {
            transfer_id: transfer_id.to_owned(),
            target_tenant_id: target.clone(),
            restore_archive_data: params.restore_archive_data,
        };
        // The target may not exist yet, so the job belongs to the system tenant.
        let (job_id, outcome) = run_as_job(
            &self.0,
            ctx,
            &TenantId::system(),
            &job,
            params.wait_timeout_minutes,
            "Restoring",
            in_target,
        )
        .await?;
        let JobOutcome::RestoreTenant {
            source_tenant_id,
            counts,
            samples,
            ..
        } = outcome
        else {
            return Err(in_target(unexpected(&job_id)));
        };
        let database = params
            .database_name
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| target.to_string());
        let old = params
            .old_database_name
            .filter(|name| !name.trim().is_empty())
            .map(|old| format!(" (old: '{old}')"))
            .unwrap_or_default();
        let message = format!(
            "Tenant '{target}' restored from upload (job '{job_id}'). Database \
             '{database}'{old}. {} CK models, {} entities, {} associations, {} stream-data \
             samples.",
            counts.ck_models, counts.entities, counts.associations, samples
        );
        Ok(Success::new(RestoreTenantOutput {
            job_id,
            source_tenant_id,
            ck_models: counts.ck_models,
            entities: counts.entities,
            associations: counts.associations,
            samples,
        })
        .message(message)
        .tenant(target.to_string()))
    }
}
