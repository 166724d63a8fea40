//! Operator commands (`mcp-http dump|restore|import-ck|import-rt|export-rt|import-archive|
//! export-archive|tenants …`): the
//! octo-cli role for work too big for the MCP path. They act straight on the configured store,
//! with no transfer size cap, show progress bars (indicatif) on a terminal and write the same
//! formats as the tools: a dump from `mcp-http dump` restores with `restore_tenant`, and one
//! from `dump_tenant` with `mcp-http restore`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use octo_exchange::runtime_model::FileFormat;
use octo_exchange::{ImportStrategy, Progress};
use octo_ids::TenantId;
use octo_tools::{CallInfo, Platform};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::server::{StartupError, start_platform};

/// An operator command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dump a tenant (CK models, entities, associations) to a file, in dump_tenant's format.
    Dump {
        #[arg(long)]
        tenant: String,
        /// The archive to write, e.g. meshtest-dump.tar.gz.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Include the samples of the tenant's stream-data archives.
        #[arg(long)]
        include_archive_data: bool,
    },
    /// Restore a dump (from `dump` or dump_tenant) into a tenant, created when missing.
    Restore {
        #[arg(long)]
        tenant: String,
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Replace the data of an existing tenant.
        #[arg(long)]
        replace: bool,
        /// Restore the stream-data samples the dump holds (enables stream data in the tenant).
        #[arg(long)]
        restore_archive_data: bool,
    },
    /// Import a CK model: a zip of the model folder, or one YAML or JSON document.
    ImportCk {
        #[arg(long)]
        tenant: String,
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Import a runtime-model file (JSON, YAML or zip), all or nothing.
    ImportRt {
        #[arg(long)]
        tenant: String,
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Overwrite entities that exist (default: refuse the import).
        #[arg(long)]
        upsert: bool,
    },
    /// Export the entities of a CK type (and derived types) as a runtime-model file; the
    /// extension picks JSON, YAML or zip.
    ExportRt {
        #[arg(long)]
        tenant: String,
        /// The CK type, e.g. Basic/Tree.
        #[arg(long = "type")]
        ck_type_id: String,
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Import samples into an activated stream-data archive from a CSV or NDJSON file (as
    /// import_archive_data does): batches of 10 000 rows, each all or nothing.
    ImportArchive {
        #[arg(long)]
        tenant: String,
        /// The archive's rtId.
        #[arg(long)]
        archive: String,
        /// The file; .csv is CSV, anything else NDJSON unless --format says.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// csv or ndjson.
        #[arg(long)]
        format: Option<String>,
    },
    /// Export a stream-data archive's samples to a CSV or NDJSON file (as export_archive_data
    /// does), oldest first.
    ExportArchive {
        #[arg(long)]
        tenant: String,
        /// The archive's rtId.
        #[arg(long)]
        archive: String,
        /// The file to write; .csv is CSV, anything else NDJSON unless --format says.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// csv or ndjson.
        #[arg(long)]
        format: Option<String>,
        /// Inclusive start, RFC 3339.
        #[arg(long)]
        from: Option<String>,
        /// Exclusive end, RFC 3339.
        #[arg(long)]
        to: Option<String>,
    },
    /// List, create or delete tenants.
    Tenants {
        #[command(subcommand)]
        action: TenantsAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantsAction {
    /// Every tenant, one per line.
    List,
    /// Create a tenant under the system tenant.
    Create { tenant: String },
    /// Delete a tenant with all its data; needs --confirm.
    Delete {
        tenant: String,
        #[arg(long)]
        confirm: bool,
    },
}

/// Why an operator command failed; the message is printed as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    #[error("{0}")]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Failed(String),
}

fn failed(error: impl std::fmt::Display) -> OperatorError {
    OperatorError::Failed(error.to_string())
}

/// The format `--format` names, else the file's extension (.csv is CSV, anything else NDJSON).
fn archive_format(
    format: Option<&str>,
    file: &Path,
) -> Result<octo_streamdata::files::ArchiveFileFormat, OperatorError> {
    use octo_streamdata::files::ArchiveFileFormat;
    match format {
        Some(format) => ArchiveFileFormat::parse(format).map_err(failed),
        None => Ok(
            ArchiveFileFormat::from_file_name(&file.display().to_string())
                .unwrap_or(ArchiveFileFormat::Ndjson),
        ),
    }
}

fn tenant_id(text: &str) -> Result<TenantId, OperatorError> {
    text.trim().parse::<TenantId>().map_err(failed)
}

/// A bar over `counters` (a spinner while the total is unknown), hidden when stderr is no
/// terminal; updated every 100 ms until `work` finishes.
async fn with_bar<T>(
    label: &str,
    counters: &Progress,
    work: impl std::future::Future<Output = T>,
) -> T {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} documents [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_owned());
    tokio::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            _ = tick.tick() => {
                let (done, total) = counters.get();
                if let Some(total) = total
                    && bar.length() != Some(total)
                {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} documents [{elapsed}]")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                }
                bar.set_position(done);
            }
        }
    };
    bar.finish_and_clear();
    result
}

/// Runs `command` on the store `settings` name; the summary to print on success.
///
/// # Errors
/// [`OperatorError`] with a message for the operator.
pub async fn run(command: Command, settings: &Settings) -> Result<String, OperatorError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
        path: settings.data_dir.clone(),
        source,
    })?;
    let platform = start_platform(settings).await?;
    let store = Arc::clone(platform.store());
    match command {
        Command::Dump {
            tenant,
            file,
            include_archive_data,
        } => {
            let tenant = tenant_id(&tenant)?;
            let counters = Progress::default();
            let report = with_bar(
                &format!("Dumping '{tenant}'"),
                &counters,
                octo_exchange::dump_tenant(
                    store.as_ref(),
                    &tenant,
                    &file,
                    include_archive_data.then_some(&platform.stream_data),
                    &counters,
                ),
            )
            .await
            .map_err(failed)?;
            let counts = report.manifest.counts;
            Ok(format!(
                "Dumped tenant '{tenant}' to {} ({} bytes): {} CK models, {} entities, {} \
                 associations.",
                file.display(),
                report.size_bytes,
                counts.ck_models,
                counts.entities,
                counts.associations
            ))
        }
        Command::Restore {
            tenant,
            file,
            replace,
            restore_archive_data,
        } => {
            let tenant = tenant_id(&tenant)?;
            if tenant.is_system() {
                return Err(failed(format!(
                    "'{tenant}' is the system tenant; restore into another tenant."
                )));
            }
            if !replace && store.get_tenant(&tenant).await.map_err(failed)?.is_some() {
                return Err(failed(format!(
                    "Tenant '{tenant}' exists; add --replace to replace its models, entities \
                     and associations with the dump's."
                )));
            }
            let counters = Progress::default();
            let restored = with_bar(
                &format!("Restoring '{tenant}'"),
                &counters,
                octo_exchange::restore_tenant(
                    store.as_ref(),
                    &file,
                    &tenant,
                    restore_archive_data.then_some(&platform.stream_data),
                    &counters,
                ),
            )
            .await;
            platform.ck.invalidate(&tenant).await;
            let report = restored.map_err(failed)?;
            let counts = report.counts;
            Ok(format!(
                "Restored tenant '{tenant}' from {} (dumped from '{}'): {} CK models, {} \
                 entities, {} associations.",
                file.display(),
                report.source_tenant_id,
                counts.ck_models,
                counts.entities,
                counts.associations
            ))
        }
        Command::ImportArchive {
            tenant,
            archive,
            file,
            format,
        } => {
            let tenant = tenant_id(&tenant)?;
            let format = archive_format(format.as_deref(), &file)?;
            let report = platform
                .stream_data
                .import_from_file(&tenant, &archive, format, &file)
                .await
                .map_err(failed)?;
            if report.error_count > 0 {
                return Err(failed(format!(
                    "{} First errors: {}",
                    report.summary(),
                    report.errors.join(" ")
                )));
            }
            Ok(format!(
                "Imported {} into archive '{archive}' of tenant '{tenant}': {}",
                file.display(),
                report.summary()
            ))
        }
        Command::ExportArchive {
            tenant,
            archive,
            file,
            format,
            from,
            to,
        } => {
            let tenant = tenant_id(&tenant)?;
            let format = archive_format(format.as_deref(), &file)?;
            let time = |text: Option<String>, name: &str| {
                text.map(|t| {
                    chrono::DateTime::parse_from_rfc3339(t.trim())
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|_| {
                            failed(format!(
                                "--{name} '{t}' is not an RFC 3339 date-time such as \
                                 2026-11-25T16:00:00Z."
                            ))
                        })
                })
                .transpose()
            };
            let window = octo_streamdata::Window {
                from: time(from, "from")?,
                to: time(to, "to")?,
                ..octo_streamdata::Window::default()
            };
            let report = platform
                .stream_data
                .export_to_file(&tenant, &archive, &window, None, format, &file)
                .await
                .map_err(failed)?;
            Ok(format!(
                "Exported {} sample(s) of archive '{archive}' to {} ({} bytes).",
                report.rows,
                file.display(),
                report.bytes
            ))
        }
        Command::ImportCk { tenant, file } => {
            import_ck(&platform, &tenant_id(&tenant)?, &file).await
        }
        Command::ImportRt {
            tenant,
            file,
            upsert,
        } => {
            let tenant = tenant_id(&tenant)?;
            platform.tenants.require(&tenant).await.map_err(failed)?;
            let strategy = if upsert {
                ImportStrategy::Upsert
            } else {
                ImportStrategy::InsertOnly
            };
            let progress = octo_exchange::Progress::default();
            let report = octo_exchange::import_runtime_model_file(
                &platform.entities,
                &tenant,
                &file,
                strategy,
                &progress,
            )
            .await
            .map_err(failed)?;
            Ok(format!(
                "Imported {} into tenant '{tenant}' ({}): {} entities inserted, {} updated, {} \
                 associations inserted, {} already present.",
                file.display(),
                strategy.as_str(),
                report.entities_inserted,
                report.entities_updated,
                report.associations_inserted,
                report.associations_unchanged
            ))
        }
        Command::ExportRt {
            tenant,
            ck_type_id,
            file,
        } => {
            let tenant = tenant_id(&tenant)?;
            platform.tenants.require(&tenant).await.map_err(failed)?;
            let format = FileFormat::from_file_name(&file.to_string_lossy());
            let report = octo_exchange::export_by_query(
                &platform.entities,
                &tenant,
                &ck_type_id,
                None,
                &file,
                format,
            )
            .await
            .map_err(failed)?;
            Ok(format!(
                "Exported {} entities and {} associations of '{ck_type_id}' from tenant \
                 '{tenant}' to {}.",
                report.entities,
                report.associations,
                file.display()
            ))
        }
        Command::Tenants { action } => tenants(&platform, action).await,
    }
}

async fn import_ck(
    platform: &Platform,
    tenant: &TenantId,
    file: &Path,
) -> Result<String, OperatorError> {
    platform.tenants.require(tenant).await.map_err(failed)?;
    let bytes = tokio::fs::read(file)
        .await
        .map_err(|e| failed(format!("{}: {e}", file.display())))?;
    let name = file.to_string_lossy().into_owned();
    let model = if bytes.starts_with(b"PK\x03\x04") {
        octo_ck::source::load_zip(&bytes).map_err(failed)?
    } else {
        let text = String::from_utf8(bytes)
            .map_err(|_| failed(format!("{name} is neither a zip nor UTF-8 YAML/JSON text.")))?;
        octo_ck::source::load_document(&text, &name).map_err(failed)?
    };
    let model_id = model.id().to_string();
    let job = platform.ck.enqueue(tenant, model).await.map_err(failed)?;
    // This process runs the job itself (no server need be running).
    let stop = CancellationToken::new();
    let worker = tokio::spawn(
        Arc::clone(&platform.ck)
            .run_worker(format!("mcp-http-cli-{}", std::process::id()), stop.clone()),
    );
    let done = platform
        .ck
        .wait_for_job(tenant, job.job_id, Duration::from_secs(600))
        .await;
    stop.cancel();
    let _ = worker.await;
    let job = done.map_err(failed)?;
    match job.state {
        octo_store::JobState::Succeeded => Ok(format!(
            "Imported CK model '{model_id}' into tenant '{tenant}' (job '{}').",
            job.job_id
        )),
        state => Err(failed(format!(
            "Job '{}' ended {state:?}: {}",
            job.job_id,
            job.error.as_deref().unwrap_or("(no reason given)")
        ))),
    }
}

async fn tenants(platform: &Platform, action: TenantsAction) -> Result<String, OperatorError> {
    let (tool, arguments) = match action {
        TenantsAction::List => {
            let list = platform.tenants.list().await.map_err(failed)?;
            return Ok(list
                .iter()
                .map(|t| t.tenant_id.to_string())
                .collect::<Vec<_>>()
                .join("\n"));
        }
        TenantsAction::Create { tenant } => ("create_tenant", json!({"childTenantId": tenant})),
        TenantsAction::Delete { tenant, confirm } => (
            "delete_tenant",
            json!({"childTenantId": tenant, "confirm": confirm}),
        ),
    };
    // The tools' own checks and messages (system tenant protection, confirm=true).
    let registry = Arc::new(octo_tools::standard_registry(platform).map_err(failed)?);
    let Value::Object(arguments) = arguments else {
        return Err(failed("internal: arguments are not an object"));
    };
    let out = registry
        .call(tool, Some(arguments), CallInfo::default())
        .await
        .map_err(|unknown| failed(format!("{unknown:?}")))?
        .to_json();
    let text = |key: &str| out[key].as_str().unwrap_or_default().to_owned();
    if out["isSuccess"] == json!(true) {
        Ok(text("message"))
    } else {
        Err(failed(text("errorMessage")))
    }
}
