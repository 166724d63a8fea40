//! Imports, exports, dumps and restores as durable background jobs.
//!
//! A tool enqueues an [`ExchangeJob`] in the store's job queue ([`ExchangeJobs::enqueue`]) and
//! waits for it as long as its caller allows ([`ExchangeJobs::wait_step`]); the job itself does
//! not depend on that call: it runs on whichever server process's worker
//! ([`ExchangeJobs::run_worker`]) claims it, and a call that stops waiting leaves it running.
//! The worker sends a heartbeat with the job's progress every [`JobSettings::heartbeat`]; a
//! running job without one for [`JobSettings::stale_after`] is assumed abandoned by a crashed
//! process and put back in the queue, so a restart picks it up again. The outcome
//! ([`JobOutcome`]) is stored with the job: exports and dumps record the download they
//! registered, so a caller that stopped waiting finds it there (`get_ck_library_status` lists
//! a tenant's recent jobs).
//!
//! Restores belong to the system tenant (their target may not exist before the job runs);
//! every other job belongs to the tenant it reads or writes.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use octo_ck_service::CkService;
use octo_entities::Entities;
use octo_entities::filter::Criteria;
use octo_ids::TenantId;
use octo_store::{ImportJob, SnapshotCounts, Store};
use octo_streamdata::StreamData;
use octo_transfer::TransferService;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::dump::{Progress, dump_tenant, restore_tenant};
use crate::error::ExchangeError;
use crate::export::{ExportReport, export_by_deep_graph, export_by_query};
use crate::import::{ImportReport, ImportStrategy, import_runtime_model_file};
use crate::runtime_model::FileFormat;

/// Job kind of [`ExchangeJob::ImportRuntimeModel`].
pub const IMPORT_RUNTIME_MODEL: &str = "rt_import";
/// Job kind of [`ExchangeJob::ExportByQuery`].
pub const EXPORT_BY_QUERY: &str = "rt_export_query";
/// Job kind of [`ExchangeJob::ExportByDeepGraph`].
pub const EXPORT_BY_DEEP_GRAPH: &str = "rt_export_graph";
/// Job kind of [`ExchangeJob::DumpTenant`].
pub const DUMP_TENANT: &str = "tenant_dump";
/// Job kind of [`ExchangeJob::RestoreTenant`].
pub const RESTORE_TENANT: &str = "tenant_restore";
/// Every kind the exchange worker runs.
pub const KINDS: &[&str] = &[
    IMPORT_RUNTIME_MODEL,
    EXPORT_BY_QUERY,
    EXPORT_BY_DEEP_GRAPH,
    DUMP_TENANT,
    RESTORE_TENANT,
];

/// How often an idle worker looks for jobs enqueued by other processes.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// What a job does; stored as its payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ExchangeJob {
    /// Imports the runtime-model upload `transfer_id` into the job's tenant; the upload is
    /// removed afterwards.
    ImportRuntimeModel {
        transfer_id: String,
        strategy: ImportStrategy,
    },
    /// Exports the entities of a type (with filters) to a download named `file_name`.
    ExportByQuery {
        ck_type_id: String,
        criteria: Option<Criteria>,
        file_name: String,
    },
    /// Exports the graphs below some roots to a download named `file_name`.
    ExportByDeepGraph {
        origin_rt_ids: Vec<String>,
        origin_ck_type_id: String,
        file_name: String,
    },
    /// Dumps the job's tenant to a download named `file_name`.
    DumpTenant {
        file_name: String,
        include_archive_data: bool,
    },
    /// Restores the dump upload `transfer_id` into `target_tenant_id`; the upload is removed
    /// afterwards.
    RestoreTenant {
        transfer_id: String,
        target_tenant_id: TenantId,
        restore_archive_data: bool,
    },
}

impl ExchangeJob {
    /// The job kind stored in the queue.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ImportRuntimeModel { .. } => IMPORT_RUNTIME_MODEL,
            Self::ExportByQuery { .. } => EXPORT_BY_QUERY,
            Self::ExportByDeepGraph { .. } => EXPORT_BY_DEEP_GRAPH,
            Self::DumpTenant { .. } => DUMP_TENANT,
            Self::RestoreTenant { .. } => RESTORE_TENANT,
        }
    }
}

/// A download a job registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDownload {
    pub transfer_id: String,
    pub file_name: String,
    pub size_bytes: u64,
    pub expires_at: DateTime<Utc>,
}

/// What a job produced; stored as its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum JobOutcome {
    ImportRuntimeModel {
        strategy: ImportStrategy,
        report: ImportReport,
    },
    Export {
        download: JobDownload,
        report: ExportReport,
    },
    DumpTenant {
        download: JobDownload,
        counts: SnapshotCounts,
        /// Stream-data samples written (0 without archive data).
        #[serde(default)]
        samples: u64,
    },
    RestoreTenant {
        target_tenant_id: String,
        source_tenant_id: String,
        counts: SnapshotCounts,
        /// Stream-data samples restored.
        #[serde(default)]
        samples: u64,
    },
}

/// Timings of the worker.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// How often a running job reports that its worker is alive (and its progress).
    pub heartbeat: Duration,
    /// A running job without a heartbeat for this long is put back in the queue.
    pub stale_after: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(5),
            stale_after: Duration::from_secs(60),
        }
    }
}

/// The exchange job queue and worker; cheap to clone.
#[derive(Clone)]
pub struct ExchangeJobs {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    entities: Entities,
    transfers: TransferService,
    ck: Arc<CkService>,
    streams: StreamData,
    settings: JobSettings,
    enqueued: Notify,
    finished: Notify,
    /// Progress of the jobs this process runs, fresher than the heartbeats.
    local: Mutex<HashMap<Uuid, Arc<Progress>>>,
}

impl fmt::Debug for ExchangeJobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeJobs")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl ExchangeJobs {
    /// The queue on `entities`' store, with downloads and uploads in `transfers`.
    #[must_use]
    pub fn new(
        entities: Entities,
        transfers: TransferService,
        ck: Arc<CkService>,
        streams: StreamData,
        settings: JobSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: Arc::clone(entities.store()),
                entities,
                transfers,
                ck,
                streams,
                settings,
                enqueued: Notify::new(),
                finished: Notify::new(),
                local: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Queues `job` for `owner` (the system tenant for restores, see the module
    /// documentation).
    ///
    /// # Errors
    /// Store errors, e.g. a missing owner tenant.
    pub async fn enqueue(
        &self,
        owner: &TenantId,
        job: &ExchangeJob,
    ) -> Result<ImportJob, ExchangeError> {
        let payload = serde_json::to_value(job)
            .map_err(|e| ExchangeError::Request(format!("The job cannot be described: {e}")))?;
        let queued = self
            .inner
            .store
            .enqueue_job(owner, job.kind(), payload)
            .await?;
        self.inner.enqueued.notify_one();
        Ok(queued)
    }

    /// The job's latest state, after it finished, `deadline` passed or at most half a second;
    /// call it in a loop to wait (reporting [`Self::progress`] in between).
    ///
    /// # Errors
    /// [`ExchangeError::Request`] for an unknown job; store errors.
    pub async fn wait_step(
        &self,
        owner: &TenantId,
        job_id: Uuid,
        deadline: tokio::time::Instant,
    ) -> Result<ImportJob, ExchangeError> {
        let finished = self.inner.finished.notified();
        let job = self.get(owner, job_id).await?;
        let now = tokio::time::Instant::now();
        if job.state.is_finished() || now >= deadline {
            return Ok(job);
        }
        // Another process may run it, so poll as well as listen.
        let _ =
            tokio::time::timeout_at(deadline.min(now + Duration::from_millis(500)), finished).await;
        self.get(owner, job_id).await
    }

    async fn get(&self, owner: &TenantId, job_id: Uuid) -> Result<ImportJob, ExchangeError> {
        self.inner
            .store
            .get_job(owner, job_id)
            .await?
            .ok_or_else(|| {
                ExchangeError::Request(format!(
                    "Job '{job_id}' does not exist in tenant '{owner}'."
                ))
            })
    }

    /// `(done, total)` documents of a running job: live when this process runs it, else from
    /// its last heartbeat.
    #[must_use]
    pub fn progress(&self, job: &ImportJob) -> Option<(u64, Option<u64>)> {
        if let Ok(local) = self.inner.local.lock()
            && let Some(progress) = local.get(&job.job_id)
        {
            return Some(progress.get());
        }
        let stored = job.progress.as_ref()?;
        Some((stored["done"].as_u64()?, stored["total"].as_u64()))
    }

    /// Runs jobs until `shutdown` is cancelled. Every `stale_after / 2` (and first thing, so a
    /// restarted server resumes at once) jobs abandoned by crashed workers are re-queued.
    pub async fn run_worker(self, worker_id: String, shutdown: CancellationToken) {
        let settings = self.inner.settings;
        let requeue_every = settings.stale_after / 2;
        let mut last_requeue: Option<tokio::time::Instant> = None;
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            if last_requeue.is_none_or(|at| at.elapsed() >= requeue_every) {
                last_requeue = Some(tokio::time::Instant::now());
                let stale = chrono::Duration::from_std(settings.stale_after).unwrap_or_default();
                match self.inner.store.requeue_stale_jobs(stale, KINDS).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(jobs = n, "re-queued abandoned exchange jobs"),
                    Err(error) => tracing::warn!(%error, "cannot re-queue stale exchange jobs"),
                }
            }
            let ran = tokio::select! {
                ran = self.run_next_job(&worker_id) => ran,
                () = shutdown.cancelled() => return,
            };
            match ran {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "exchange worker cannot reach the store"),
            }
            let enqueued = self.inner.enqueued.notified();
            tokio::select! {
                () = enqueued => {}
                () = tokio::time::sleep(IDLE_POLL.min(requeue_every)) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Claims and runs one job, sending heartbeats while it runs; `false` when none was
    /// queued. A job that another worker took over (it was re-queued as stale) is given up
    /// without an outcome.
    ///
    /// # Errors
    /// Store errors claiming the job or recording its outcome.
    pub async fn run_next_job(&self, worker_id: &str) -> Result<bool, ExchangeError> {
        let store = &self.inner.store;
        let Some(job) = store.claim_next_job(worker_id, KINDS).await? else {
            return Ok(false);
        };
        let progress = Arc::new(Progress::default());
        if let Ok(mut local) = self.inner.local.lock() {
            local.insert(job.job_id, Arc::clone(&progress));
        }
        // Its own task, so heartbeats go on while the job runs long synchronous steps (packing
        // or unpacking an archive) on another runtime thread.
        let runner = self.clone();
        let claimed = job.clone();
        let counters = Arc::clone(&progress);
        let mut work = tokio::spawn(async move { runner.run_job(&claimed, &counters).await });
        let mut beat = tokio::time::interval(self.inner.settings.heartbeat);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let outcome = loop {
            tokio::select! {
                outcome = &mut work => break Some(outcome.unwrap_or_else(|error| {
                    Err(ExchangeError::Request(format!("The job stopped unexpectedly: {error}")))
                })),
                _ = beat.tick() => {
                    let (done, total) = progress.get();
                    let report = json!({"done": done, "total": total});
                    match store.heartbeat_job(job.job_id, worker_id, Some(report)).await {
                        Ok(true) => {}
                        Ok(false) => {
                            work.abort();
                            break None;
                        }
                        Err(error) => tracing::warn!(%error, job = %job.job_id, "heartbeat not recorded"),
                    }
                }
            }
        };
        if let Ok(mut local) = self.inner.local.lock() {
            local.remove(&job.job_id);
        }
        let Some(outcome) = outcome else {
            tracing::warn!(job = %job.job_id, "exchange job was taken over by another worker; given up");
            return Ok(true);
        };
        let stored = match &outcome {
            Ok(result) => serde_json::to_value(result).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = &stored {
            tracing::info!(job = %job.job_id, tenant = %job.tenant_id, kind = %job.kind, %error, "exchange job failed");
        }
        let state = if stored.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        store.complete_job(job.job_id, stored).await?;
        metrics::counter!("octo_exchange_jobs_total", "kind" => job.kind.clone(), "state" => state)
            .increment(1);
        self.inner.finished.notify_waiters();
        Ok(true)
    }

    async fn run_job(
        &self,
        job: &ImportJob,
        progress: &Progress,
    ) -> Result<JobOutcome, ExchangeError> {
        let spec: ExchangeJob = serde_json::from_value(job.payload.clone()).map_err(|e| {
            ExchangeError::Request(format!(
                "This server cannot run the '{}' job: its description does not read ({e}).",
                job.kind
            ))
        })?;
        let inner = &self.inner;
        let tenant = &job.tenant_id;
        match spec {
            ExchangeJob::ImportRuntimeModel {
                transfer_id,
                strategy,
            } => {
                let path = self.upload(&transfer_id).await?;
                let report =
                    import_runtime_model_file(&inner.entities, tenant, &path, strategy, progress)
                        .await?;
                self.consume(&transfer_id).await;
                Ok(JobOutcome::ImportRuntimeModel { strategy, report })
            }
            ExchangeJob::ExportByQuery {
                ck_type_id,
                criteria,
                file_name,
            } => {
                let path = self.work_file()?;
                let format = FileFormat::from_file_name(&file_name);
                let exported = export_by_query(
                    &inner.entities,
                    tenant,
                    &ck_type_id,
                    criteria.as_ref(),
                    &path,
                    format,
                )
                .await;
                let report = discard_on_error(exported, &path).await?;
                let download = self.register(tenant, &file_name, &path).await?;
                Ok(JobOutcome::Export { download, report })
            }
            ExchangeJob::ExportByDeepGraph {
                origin_rt_ids,
                origin_ck_type_id,
                file_name,
            } => {
                let path = self.work_file()?;
                let format = FileFormat::from_file_name(&file_name);
                let exported = export_by_deep_graph(
                    &inner.entities,
                    tenant,
                    &origin_rt_ids,
                    &origin_ck_type_id,
                    &path,
                    format,
                )
                .await;
                let report = discard_on_error(exported, &path).await?;
                let download = self.register(tenant, &file_name, &path).await?;
                Ok(JobOutcome::Export { download, report })
            }
            ExchangeJob::DumpTenant {
                file_name,
                include_archive_data,
            } => {
                let path = self.work_file()?;
                let dumped = dump_tenant(
                    inner.store.as_ref(),
                    tenant,
                    &path,
                    include_archive_data.then_some(&inner.streams),
                    progress,
                )
                .await;
                let report = discard_on_error(dumped, &path).await?;
                let download = self.register(tenant, &file_name, &path).await?;
                let samples = report
                    .manifest
                    .parts
                    .iter()
                    .filter(|part| crate::dump::is_samples_part(&part.path))
                    .map(|part| part.documents)
                    .sum();
                Ok(JobOutcome::DumpTenant {
                    download,
                    counts: report.manifest.counts,
                    samples,
                })
            }
            ExchangeJob::RestoreTenant {
                transfer_id,
                target_tenant_id,
                restore_archive_data,
            } => {
                let path = self.upload(&transfer_id).await?;
                let restored = restore_tenant(
                    inner.store.as_ref(),
                    &path,
                    &target_tenant_id,
                    restore_archive_data.then_some(&inner.streams),
                    progress,
                )
                .await;
                // Whatever happened, the tenant's library may have to be read again.
                inner.ck.invalidate(&target_tenant_id).await;
                let report = restored?;
                self.consume(&transfer_id).await;
                Ok(JobOutcome::RestoreTenant {
                    target_tenant_id: target_tenant_id.to_string(),
                    source_tenant_id: report.source_tenant_id,
                    counts: report.counts,
                    samples: report.samples,
                })
            }
        }
    }

    /// The file of the completed upload `transfer_id`.
    async fn upload(&self, transfer_id: &str) -> Result<PathBuf, ExchangeError> {
        self.inner
            .transfers
            .open_completed(transfer_id)
            .await
            .map(|(path, _)| path)
            .map_err(|error| {
                ExchangeError::Request(format!(
                    "Upload '{transfer_id}' not found or expired. {error}"
                ))
            })
    }

    /// Removes an upload that was imported, as the reference does.
    async fn consume(&self, transfer_id: &str) {
        if let Err(error) = self.inner.transfers.cancel(transfer_id).await {
            tracing::warn!(%error, transfer_id, "consumed upload not removed");
        }
    }

    /// A fresh work file in the transfer folder; its `.part` name lets the sweeper remove it
    /// if the server dies before it is registered.
    fn work_file(&self) -> Result<PathBuf, ExchangeError> {
        let nonce = octo_transfer::id::new_id()
            .map_err(|e| ExchangeError::Request(format!("No work file name: {e}")))?;
        Ok(self
            .inner
            .transfers
            .config()
            .root
            .join(format!("export-{nonce}.part")))
    }

    /// Registers `path` as a download, removing the file if that fails.
    async fn register(
        &self,
        tenant: &TenantId,
        file_name: &str,
        path: &Path,
    ) -> Result<JobDownload, ExchangeError> {
        let registered = self
            .inner
            .transfers
            .register_download(Some(tenant.clone()), file_name, path)
            .await;
        match registered {
            Ok(record) => Ok(JobDownload {
                transfer_id: record.transfer_id,
                file_name: record.file_name,
                size_bytes: record.size_bytes.unwrap_or(0),
                expires_at: record.expires_at,
            }),
            Err(error) => {
                let _ = tokio::fs::remove_file(path).await;
                Err(ExchangeError::Request(format!(
                    "The result could not be offered for download: {error}"
                )))
            }
        }
    }
}

/// `result`, removing the half-written `path` when it is an error.
async fn discard_on_error<T>(
    result: Result<T, ExchangeError>,
    path: &Path,
) -> Result<T, ExchangeError> {
    if result.is_err() {
        let _ = tokio::fs::remove_file(path).await;
    }
    result
}
