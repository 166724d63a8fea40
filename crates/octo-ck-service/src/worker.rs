//! The import-job worker: claims queued jobs from the store and installs their models.
//!
//! Jobs live in the store, so any server process may run them; PostgreSQL hands each job to
//! exactly one claimer (`FOR UPDATE SKIP LOCKED`). A job whose worker died is re-queued after
//! [`STALE_AFTER`].

use std::sync::Arc;
use std::time::Duration;

use octo_ck::CkModel;
use octo_store::{CkModelState, ImportJob};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::CkServiceError;
use crate::service::{CkService, IMPORT_JOB_KIND};

/// A running job older than this is assumed abandoned by a crashed worker.
pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);
/// How often an idle worker looks for jobs enqueued by other processes.
const IDLE_POLL: Duration = Duration::from_secs(1);

impl CkService {
    /// Runs jobs until `shutdown` is cancelled.
    pub async fn run_worker(self: Arc<Self>, worker_id: String, shutdown: CancellationToken) {
        let mut last_requeue = tokio::time::Instant::now() - STALE_AFTER;
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            if last_requeue.elapsed() >= Duration::from_secs(60) {
                last_requeue = tokio::time::Instant::now();
                let stale = chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
                match self
                    .store
                    .requeue_stale_jobs(stale, &[IMPORT_JOB_KIND])
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(jobs = n, "re-queued abandoned import jobs"),
                    Err(error) => tracing::warn!(%error, "cannot re-queue stale jobs"),
                }
            }
            match self.run_next_job(&worker_id).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "import worker cannot reach the store"),
            }
            let enqueued = self.job_enqueued.notified();
            tokio::select! {
                () = enqueued => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Claims and runs one job; `false` when none was queued.
    pub async fn run_next_job(&self, worker_id: &str) -> Result<bool, CkServiceError> {
        let Some(job) = self
            .store
            .claim_next_job(worker_id, &[IMPORT_JOB_KIND])
            .await?
        else {
            return Ok(false);
        };
        let outcome = self.run_job(&job).await;
        let stored = match &outcome {
            Ok(result) => Ok(result.clone()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = &outcome {
            tracing::info!(job = %job.job_id, tenant = %job.tenant_id, %error, "import job failed");
        }
        self.store.complete_job(job.job_id, stored).await?;
        let state = if outcome.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        metrics::counter!("octo_import_jobs_total", "state" => state).increment(1);
        self.job_finished.notify_waiters();
        Ok(true)
    }

    async fn run_job(&self, job: &ImportJob) -> Result<Value, CkServiceError> {
        if job.kind != IMPORT_JOB_KIND {
            return Err(CkServiceError::Refused(format!(
                "This server does not know jobs of kind '{}'.",
                job.kind
            )));
        }
        let model: CkModel = serde_json::from_value(job.payload["model"].clone())
            .map_err(|e| CkServiceError::Refused(format!("The job's model cannot be read: {e}")))?;
        match self.install(&job.tenant_id, model.clone()).await {
            Ok(result) => Ok(result),
            Err(error) => {
                // A model the tenant did not have yet shows why it failed; an upgrade that
                // failed leaves the loaded version in place.
                let current = self
                    .store
                    .get_ck_model(&job.tenant_id, model.name())
                    .await?;
                if current.is_none_or(|m| m.state != CkModelState::Available) {
                    self.put(
                        &job.tenant_id,
                        &model,
                        CkModelState::ResolveFailed,
                        Some(error.to_string()),
                    )
                    .await?;
                    self.invalidate(&job.tenant_id).await;
                }
                Err(error)
            }
        }
    }
}
