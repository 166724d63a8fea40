//! Background jobs: [`ImportJob`] and its [`JobState`]. Jobs form a queue shared
//! by all server processes on the same database; see
//! [`crate::Store::claim_next_job`]. Each worker claims only the kinds it runs
//! (CK model imports, tenant dumps, …); long jobs send heartbeats with their
//! progress ([`crate::Store::heartbeat_job`]) so they are not mistaken for
//! abandoned ones.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use octo_ids::TenantId;

use crate::column::Origin;
use crate::error::StoreError;

/// Where a job is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
}

impl JobState {
    /// The stored spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Whether the job has an outcome.
    #[must_use]
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err("expected queued, running, succeeded or failed".to_owned()),
        }
    }
}

/// One background job of a tenant (the table keeps its first use's name,
/// `import_jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    /// The job's id, unique across tenants.
    pub job_id: Uuid,
    /// The tenant the job imports into.
    pub tenant_id: TenantId,
    /// What kind of import, e.g. `ck_model` or `rt_data`; chosen by the caller.
    pub kind: String,
    /// The job's input; opaque to the store.
    pub payload: Value,
    /// Where the job is in its life cycle.
    pub state: JobState,
    /// Why the job failed, when it did.
    pub error: Option<String>,
    /// What the job produced, when it succeeded.
    pub result: Option<Value>,
    /// How often a worker claimed the job (more than 1 after a requeue).
    pub attempts: u32,
    /// The worker that claimed it last.
    pub claimed_by: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a worker claimed it last.
    pub started_at: Option<DateTime<Utc>>,
    /// When it got its outcome.
    pub finished_at: Option<DateTime<Utc>>,
    /// When its worker last reported being alive.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// How far it got, as its worker last reported; opaque to the store.
    pub progress: Option<Value>,
}

/// Columns of `import_jobs`, in the order of [`JOB_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    tenant_id: String,
    job_id: String,
    kind: String,
    payload: Json<Value>,
    state: String,
    error: Option<String>,
    result: Option<Json<Value>>,
    attempts: i64,
    claimed_by: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    heartbeat_at: Option<DateTime<Utc>>,
    progress: Option<Json<Value>>,
}

/// The select list that fills a [`JobRow`].
pub(crate) const JOB_COLUMNS: &str = "tenant_id, job_id, kind, payload, state, error, result, \
     attempts, claimed_by, created_at, started_at, finished_at, heartbeat_at, progress";

impl TryFrom<JobRow> for ImportJob {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "import_jobs",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            job_id: origin.parse("job_id", &row.job_id)?,
            tenant_id: origin.tenant()?,
            state: origin.parse("state", &row.state)?,
            attempts: origin.unsigned32("attempts", row.attempts)?,
            kind: row.kind,
            payload: row.payload.0,
            error: row.error,
            result: row.result.map(|json| json.0),
            claimed_by: row.claimed_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            heartbeat_at: row.heartbeat_at,
            progress: row.progress.map(|json| json.0),
        })
    }
}
