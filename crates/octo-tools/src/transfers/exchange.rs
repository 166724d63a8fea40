//! Tools that move tenant data through file transfers: `import_runtime_model` (from an
//! upload), `export_runtime_model_by_query` and `export_runtime_model_by_deep_graph` (to a
//! download), `dump_tenant` (to a download) and `restore_tenant` (from an upload). The work
//! itself is `octo-exchange`'s; these tools resolve tenants, find uploads, register downloads
//! and word the results.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use octo_exchange::runtime_model::FileFormat;
use octo_exchange::{ExchangeError, ImportStrategy};
use octo_ids::TenantId;
use octo_store::TransferRecord;
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
    pub(crate) fn new(record: &TransferRecord) -> Self {
        Self {
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

/// A fresh work file in the transfer folder; its `.part` name lets the sweeper remove it if the
/// server dies before it is registered.
pub(crate) fn work_file(platform: &Platform) -> Result<PathBuf, String> {
    let nonce = octo_transfer::id::new_id().map_err(|e| e.to_string())?;
    Ok(platform
        .transfers
        .config()
        .root
        .join(format!("export-{nonce}.part")))
}

/// Runs `work` for at most `minutes` (0 = no limit). A timed-out write is dropped, which rolls
/// its transaction back.
async fn within<T>(
    minutes: u32,
    what: &str,
    work: impl std::future::Future<Output = Result<T, ExchangeError>>,
) -> Result<T, String> {
    if minutes == 0 {
        return work.await.map_err(|e| e.to_string());
    }
    match tokio::time::timeout(Duration::from_secs(u64::from(minutes) * 60), work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "{what} did not finish within {minutes} minutes and was stopped; nothing was \
             changed. Retry with a larger waitTimeoutMinutes."
        )),
    }
}

/// Drives `work` while reporting `counters` to the client's progress token every half second
/// (only when the client asked for progress).
async fn reporting<T>(
    progress: &crate::tool::Progress,
    counters: &octo_exchange::Progress,
    what: &str,
    work: impl std::future::Future<Output = T>,
) -> T {
    if !progress.is_requested() {
        return work.await;
    }
    tokio::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = tick.tick() => {
                let (done, total) = counters.get();
                #[allow(clippy::cast_precision_loss)]
                progress
                    .report(
                        done as f64,
                        total.map(|t| t as f64),
                        format!("{what}: {done} documents"),
                    )
                    .await;
            }
        }
    }
}

/// The completed upload `transfer_id`, or the reference's message and why.
pub(crate) async fn uploaded(
    platform: &Platform,
    transfer_id: &str,
) -> Result<(PathBuf, TransferRecord), String> {
    platform
        .transfers
        .open_completed(transfer_id)
        .await
        .map_err(|error| format!("Upload '{transfer_id}' not found or expired. {error}"))
}

/// Registers `path` as a download named `file_name`, removing the file if that fails.
pub(crate) async fn register(
    platform: &Platform,
    tenant: &TenantId,
    file_name: &str,
    path: &std::path::Path,
) -> Result<TransferRecord, String> {
    let registered = platform
        .transfers
        .register_download(Some(tenant.clone()), file_name, path)
        .await;
    if registered.is_err() {
        let _ = tokio::fs::remove_file(path).await;
    }
    registered.map_err(|error| error.to_string())
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
    /// How long the import may take, in minutes (0 = no limit).
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
                as JSON, YAML or a zip). Every entity is checked against the tenant's CK models \
                as create_entity checks it; all is written in one transaction, or nothing, \
                with every problem listed by entity index, rtId and attribute.",
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
        let (path, _) = uploaded(&self.0, transfer_id)
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let strategy = match params.import_strategy {
            ImportStrategyDto::InsertOnly => ImportStrategy::InsertOnly,
            ImportStrategyDto::Upsert => ImportStrategy::Upsert,
        };
        let entities = self.0.entities.clone();
        let tenant_id = tenant.tenant_id.clone();
        let report = within(
            params.wait_timeout_minutes,
            "The runtime model import",
            async move {
                let model = tokio::task::spawn_blocking(move || {
                    octo_exchange::runtime_model::read_file(&path)
                })
                .await
                .map_err(|e| ExchangeError::Request(format!("reading the upload failed: {e}")))??;
                octo_exchange::import_runtime_model(&entities, &tenant_id, &model, strategy).await
            },
        )
        .await
        .map_err(|e| failed_in(e, &tenant))?;
        // As the reference does: a consumed upload is removed.
        if let Err(error) = self.0.transfers.cancel(transfer_id).await {
            tracing::warn!(%error, transfer_id, "imported upload not removed");
        }
        Ok(Success::new(ImportRuntimeModelOutput {
            import_strategy: strategy.as_str().to_owned(),
            entities_inserted: report.entities_inserted,
            entities_updated: report.entities_updated,
            associations_inserted: report.associations_inserted,
            associations_unchanged: report.associations_unchanged,
        })
        .message(format!(
            "Runtime model import ({}) completed: {} entities inserted, {} updated, {} \
             associations inserted, {} already present.",
            strategy.as_str(),
            report.entities_inserted,
            report.entities_updated,
            report.associations_inserted,
            report.associations_unchanged
        ))
        .tenant(tenant.tenant_id.to_string()))
    }
}

// --- export_runtime_model_by_query ---------------------------------------------------------

pub struct ExportRuntimeModelByQuery(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRuntimeModelByQueryParams {
    /// The CK type to export; entities of derived types are included.
    pub ck_type_id: String,
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
    /// How long the export may take, in minutes (0 = no limit).
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
                "The reference server takes a persisted queryId; this one takes the type and filters directly.",
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
            return Err(ToolError::invalid("ckTypeId is required."));
        }
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let path = work_file(&self.0).map_err(ToolError::failed)?;
        let criteria = params
            .filters
            .as_ref()
            .map(octo_entities::filter::Criteria::from);
        let format = FileFormat::from_file_name(&params.file_name);
        let exported = within(
            params.wait_timeout_minutes,
            "The export",
            octo_exchange::export_by_query(
                &self.0.entities,
                &tenant.tenant_id,
                &params.ck_type_id,
                criteria.as_ref(),
                &path,
                format,
            ),
        )
        .await;
        let report = match exported {
            Ok(report) => report,
            Err(error) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(failed_in(error, &tenant));
            }
        };
        let record = register(&self.0, &tenant.tenant_id, &params.file_name, &path)
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let mut output = FileDownloadOutput::new(&record);
        output.entity_count = Some(report.entities);
        output.association_count = Some(report.associations);
        let message = format!(
            "Runtime export by query '{}' ready. GET '{}' to fetch ({} bytes).",
            params.ck_type_id.trim(),
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
    /// How long the export may take, in minutes (0 = no limit).
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
        let path = work_file(&self.0).map_err(ToolError::failed)?;
        let format = FileFormat::from_file_name(&params.file_name);
        let exported = within(
            params.wait_timeout_minutes,
            "The export",
            octo_exchange::export_by_deep_graph(
                &self.0.entities,
                &tenant.tenant_id,
                &params.origin_rt_ids,
                &params.origin_ck_type_id,
                &path,
                format,
            ),
        )
        .await;
        let report = match exported {
            Ok(report) => report,
            Err(error) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(failed_in(error, &tenant));
            }
        };
        let record = register(&self.0, &tenant.tenant_id, &params.file_name, &path)
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let mut output = FileDownloadOutput::new(&record);
        output.entity_count = Some(report.entities);
        output.association_count = Some(report.associations);
        let message = format!(
            "Runtime export by deep graph ({} root(s)) ready. GET '{}' to fetch ({} bytes).",
            params.origin_rt_ids.len(),
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
    /// Include stream-data archives (there are none on this server yet; accepted for
    /// compatibility).
    #[serde(default)]
    pub include_archive_data: bool,
    /// How long the dump may take, in minutes (0 = no limit).
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
                associations) as a gzip'd tar of BSON files (one per collection, mongodump's \
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
        let path = work_file(&self.0).map_err(ToolError::failed)?;
        let store = std::sync::Arc::clone(self.0.store());
        let counters = octo_exchange::Progress::default();
        let dumped = reporting(
            &ctx.call.progress,
            &counters,
            "Dumping",
            within(
                params.wait_timeout_minutes,
                "The dump",
                octo_exchange::dump_tenant(store.as_ref(), &target, &path, &counters),
            ),
        )
        .await;
        if let Err(error) = dumped {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(in_target(error));
        }
        let record = register(&self.0, &target, &file_name, &path)
            .await
            .map_err(in_target)?;
        let output = FileDownloadOutput::new(&record);
        let message = format!(
            "Dump of tenant '{target}' ready ({} bytes). GET '{}' to fetch.",
            thousands(output.size_bytes),
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
    /// Restore stream-data archives too (none exist on this server yet).
    #[serde(default)]
    pub restore_archive_data: bool,
    /// Must be true: a restore replaces the tenant's models, entities and associations.
    #[serde(default)]
    pub confirm: bool,
    /// How long the restore may take, in minutes (0 = no limit).
    #[serde(default = "thirty")]
    pub wait_timeout_minutes: u32,
    /// Accepted for compatibility; the tenant restored is targetTenantId.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreTenantOutput {
    /// The tenant the dump was made from.
    pub source_tenant_id: String,
    pub ck_models: u64,
    pub entities: u64,
    pub associations: u64,
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
        let (path, _) = uploaded(&self.0, transfer_id).await.map_err(in_target)?;
        let store = std::sync::Arc::clone(self.0.store());
        let counters = octo_exchange::Progress::default();
        let restored = reporting(
            &ctx.call.progress,
            &counters,
            "Restoring",
            within(
                params.wait_timeout_minutes,
                "The restore",
                octo_exchange::restore_tenant(store.as_ref(), &path, &target, &counters),
            ),
        )
        .await;
        // Whatever happened, the tenant's library may have to be read again.
        self.0.ck.invalidate(&target).await;
        let report = restored.map_err(in_target)?;
        if let Err(error) = self.0.transfers.cancel(transfer_id).await {
            tracing::warn!(%error, transfer_id, "restored upload not removed");
        }
        let database = params
            .database_name
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| target.to_string());
        let old = params
            .old_database_name
            .filter(|name| !name.trim().is_empty())
            .map(|old| format!(" (old: '{old}')"))
            .unwrap_or_default();
        let counts = report.counts;
        Ok(Success::new(RestoreTenantOutput {
            source_tenant_id: report.source_tenant_id,
            ck_models: counts.ck_models,
            entities: counts.entities,
            associations: counts.associations,
        })
        .message(format!(
            "Tenant '{target}' restored from upload: {} CK models, {} entities, {} associations. \
             Database '{database}'{old}.",
            counts.ck_models, counts.entities, counts.associations
        ))
        .tenant(target.to_string()))
    }
}
