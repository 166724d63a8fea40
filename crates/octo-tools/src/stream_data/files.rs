//! `import_archive_data` and `export_archive_data`: archive samples from and to files through
//! file transfers, CSV or NDJSON, streamed (see `octo_streamdata::files`).

use std::path::PathBuf;

use async_trait::async_trait;
use octo_ids::TenantId;
use octo_store::TransferRecord;
use octo_streamdata::Window;
use octo_streamdata::files::ArchiveFileFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, required, tenant};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};
use crate::transfers::exchange::{FileDownloadOutput, thousands};

/// A fresh work file in the transfer folder; its `.part` name lets the sweeper remove it if the
/// server dies before it is registered.
fn work_file(platform: &Platform) -> Result<PathBuf, String> {
    let nonce = octo_transfer::id::new_id().map_err(|e| e.to_string())?;
    Ok(platform
        .transfers
        .config()
        .root
        .join(format!("export-{nonce}.part")))
}

/// The completed upload `transfer_id` (its file and record), or the reference's message and why.
async fn uploaded(
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
async fn register(
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

fn thirty() -> u32 {
    30
}

/// How imported samples meet the archive.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub enum ArchiveImportMode {
    /// Samples are added to the archive (the only mode: samples are never overwritten).
    #[default]
    InsertOnly,
}

#[allow(clippy::result_large_err)] // the error every `Tool::run` returns
fn format_of(format: Option<&str>, file_name: &str) -> Result<ArchiveFileFormat, ToolError> {
    match format.map(str::trim).filter(|f| !f.is_empty()) {
        Some(format) => {
            ArchiveFileFormat::parse(format).map_err(|e| ToolError::InvalidArguments(e.to_string()))
        }
        None => ArchiveFileFormat::from_file_name(file_name).ok_or_else(|| {
            ToolError::InvalidArguments(format!(
                "Cannot tell the format of '{file_name}': name it .csv or .ndjson, or pass \
                 format Csv or Ndjson."
            ))
        }),
    }
}

async fn limited<T>(minutes: u32, work: impl std::future::Future<Output = T>) -> Option<T> {
    if minutes == 0 {
        return Some(work.await);
    }
    tokio::time::timeout(
        std::time::Duration::from_secs(u64::from(minutes) * 60),
        work,
    )
    .await
    .ok()
}

// --- import_archive_data -------------------------------------------------------------------

pub struct ImportArchiveData(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportParams {
    /// The archive (Activated) that takes the samples.
    pub archive_rt_id: String,
    /// The upload (prepare_file_upload) holding the samples: CSV with a header row
    /// `timestamp,sourceRtId,<column path>…`, or NDJSON rows `{timestamp, rtId, values}`.
    pub transfer_id: String,
    /// InsertOnly (the default and only mode).
    #[serde(default)]
    pub mode: ArchiveImportMode,
    /// Csv or Ndjson; by default from the uploaded file's name (.csv, .ndjson, .jsonl).
    #[serde(default)]
    pub format: Option<String>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long the import may take, in minutes (0 = no limit).
    #[serde(default = "thirty")]
    pub wait_timeout_minutes: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutput {
    /// The id of this import (it runs to completion within the call).
    pub job_id: String,
    pub archive_rt_id: String,
    pub mode: String,
    pub format: String,
    pub rows_accepted: u64,
}

#[async_trait]
impl Tool for ImportArchiveData {
    type Params = ImportParams;
    type Output = ImportOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "import_archive_data",
            title: "Import samples into an archive",
            description: "Reads samples from an uploaded CSV or NDJSON file into an activated \
                archive, streamed: every row is checked against the archive's columns and \
                written in batches of 10 000 rows, each all or nothing. A bad row is reported \
                as 'Line N: …' and its batch is not written; the call then fails, naming the \
                lines, while the other batches stay written.",
            category: Category::StreamData,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Import an uploaded CSV file",
                parameters: json!({
                    "archiveRtId": "65a0f1c2d3e4f5a6b7c8d9e0",
                    "transferId": "0123456789abcdef0123456789abcdef",
                    "tenantId": "meshtest"
                }),
            }],
            notes: vec![
                "Upload the file first: prepare_file_upload, then PUT it to uploadUrlPath.",
                "CSV: header row timestamp,sourceRtId,<column paths>; an empty cell is null.",
                "The upload is removed after a successful import.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ImportParams,
    ) -> Result<Success<ImportOutput>, ToolError> {
        if params.archive_rt_id.trim().is_empty() || params.transfer_id.trim().is_empty() {
            return Err(ToolError::InvalidArguments(
                "archiveRtId and transferId are required.".to_owned(),
            ));
        }
        let archive = params.archive_rt_id.trim();
        let transfer_id = params.transfer_id.trim();
        let mode = match params.mode {
            ArchiveImportMode::InsertOnly => "InsertOnly",
        };
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let (path, record) = uploaded(&self.0, transfer_id)
            .await
            .map_err(ToolError::failed)?;
        let format = format_of(params.format.as_deref(), &record.file_name)?;
        let job_id = octo_transfer::id::new_id().map_err(|e| ToolError::failed(e.to_string()))?;
        let work = self
            .0
            .stream_data
            .import_from_file(&tenant.tenant_id, archive, format, &path);
        let Some(imported) = limited(params.wait_timeout_minutes, work).await else {
            return Err(ToolError::failed(format!(
                "Job '{job_id}' did not complete within {} minutes (last status: Running). \
                 The batches written before it was stopped stay in the archive.",
                thousands(u64::from(params.wait_timeout_minutes))
            )));
        };
        let report = imported.map_err(|e| failed(e, &tenant))?;
        if report.error_count > 0 {
            return Err(ToolError::failed(format!(
                "Job '{job_id}' failed: {} First errors: {}",
                report.summary(),
                report.errors.join(" ")
            )));
        }
        if let Err(error) = self.0.transfers.cancel(transfer_id).await {
            tracing::warn!(%error, transfer_id, "imported upload not removed");
        }
        Ok(Success::new(ImportOutput {
            job_id: job_id.clone(),
            archive_rt_id: archive.to_owned(),
            mode: mode.to_owned(),
            format: format.as_str().to_owned(),
            rows_accepted: report.rows_accepted,
        })
        .message(format!(
            "Archive '{archive}' import completed (mode {mode}, job '{job_id}')."
        ))
        .tenant(tenant.tenant_id.to_string()))
    }
}

// --- export_archive_data -------------------------------------------------------------------

pub struct ExportArchiveData(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportParams {
    /// The archive to export.
    pub archive_rt_id: String,
    /// Inclusive start, ISO 8601 (UTC when no offset is given); the whole archive when absent.
    #[serde(default)]
    pub from_utc: Option<String>,
    /// Exclusive end, ISO 8601.
    #[serde(default)]
    pub to_utc: Option<String>,
    /// The columns to export; all when absent.
    #[serde(default)]
    pub column_paths: Option<Vec<String>>,
    /// Csv or Ndjson; by default from fileName (.csv, .ndjson).
    #[serde(default)]
    pub format: Option<String>,
    /// The download's name.
    #[serde(default = "export_name")]
    pub file_name: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// How long the export may take, in minutes (0 = no limit).
    #[serde(default = "thirty")]
    pub wait_timeout_minutes: u32,
}

fn export_name() -> String {
    "archive-export.csv".to_owned()
}

#[allow(clippy::result_large_err)] // the error every `Tool::run` returns
fn parse_utc(
    text: Option<&str>,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ToolError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(time.with_timezone(&chrono::Utc)));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map(|t| Some(t.and_utc()))
        .map_err(|_| {
            ToolError::InvalidArguments(format!(
                "{name} '{text}' is not an ISO 8601 date-time such as 2026-11-25T16:00:00Z."
            ))
        })
}

#[async_trait]
impl Tool for ExportArchiveData {
    type Params = ExportParams;
    type Output = FileDownloadOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "export_archive_data",
            title: "Export an archive's samples",
            description: "Writes an archive's samples (all, or those in [fromUtc, toUtc); all \
                columns or columnPaths) oldest first to a CSV or NDJSON file and returns a \
                download transferId; GET downloadUrlPath to fetch it. import_archive_data reads \
                the file back.",
            category: Category::StreamData,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "One day of an archive as CSV",
                parameters: json!({
                    "archiveRtId": "65a0f1c2d3e4f5a6b7c8d9e0",
                    "fromUtc": "2026-11-25T00:00:00Z",
                    "toUtc": "2026-11-26T00:00:00Z",
                    "fileName": "meters-2026-11-25.csv",
                    "tenantId": "meshtest"
                }),
            }],
            notes: vec![
                "CSV: header row timestamp,sourceRtId,<column paths>; null is an empty cell.",
                "The reference server writes a zip; this one writes the CSV or NDJSON file itself.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ExportParams,
    ) -> Result<Success<FileDownloadOutput>, ToolError> {
        let archive = required(&params.archive_rt_id, "archiveRtId")?;
        let from = parse_utc(params.from_utc.as_deref(), "fromUtc")?;
        let to = parse_utc(params.to_utc.as_deref(), "toUtc")?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(ToolError::InvalidArguments(
                "fromUtc must be strictly less than toUtc.".to_owned(),
            ));
        }
        let format = format_of(params.format.as_deref(), &params.file_name)?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let path = work_file(&self.0).map_err(ToolError::failed)?;
        let window = Window {
            from,
            to,
            ..Window::default()
        };
        let work = self.0.stream_data.export_to_file(
            &tenant.tenant_id,
            archive,
            &window,
            params.column_paths.as_deref(),
            format,
            &path,
        );
        let outcome = limited(params.wait_timeout_minutes, work).await;
        let exported = match outcome {
            Some(Ok(report)) => report,
            Some(Err(error)) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(failed(error, &tenant));
            }
            None => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(ToolError::failed(format!(
                    "The export did not finish within {} minutes and was stopped. Retry with a \
                     larger waitTimeoutMinutes or a smaller window.",
                    params.wait_timeout_minutes
                )));
            }
        };
        let record = register(&self.0, &tenant.tenant_id, &params.file_name, &path)
            .await
            .map_err(ToolError::failed)?;
        // No background job here: the export ran in this call; the id names it in logs.
        let job_id = octo_transfer::id::new_id().map_err(|e| ToolError::failed(e.to_string()))?;
        let output = FileDownloadOutput::from_record(job_id, &record);
        let window = if from.is_none() && to.is_none() {
            "whole archive".to_owned()
        } else {
            let show = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                t.map_or_else(|| none.to_owned(), |t| t.to_rfc3339())
            };
            format!("window [{}, {})", show(from, "-∞"), show(to, "+∞"))
        };
        let message = format!(
            "Archive '{archive}' export ready ({window}, {} bytes). GET '{}' to fetch.",
            thousands(output.size_bytes),
            output.download_url_path
        );
        tracing::debug!(rows = exported.rows, "archive exported");
        Ok(Success::new(output)
            .message(message)
            .tenant(tenant.tenant_id.to_string()))
    }
}
