//! The [`Store`] trait: every persistence operation of the server, behind
//! one object-safe async trait so the rest of the server does not care which
//! database it runs on.

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use octo_ids::{OctoObjectId, TenantId};

use crate::association::{Association, Direction, ExclusiveEnds, ExclusiveInsert};
use crate::auth::{AuthTokenRecord, DeviceFlowRecord, McpSessionRecord};
use crate::ck_model::StoredCkModel;
use crate::entity::{RtEntity, WriteOutcome};
use crate::error::StoreError;
use crate::job::ImportJob;
use crate::query::{AggregateRow, AggregationQuery, EntityPage, EntityQuery, PathRef};
use crate::rollup::RollupStore;
use crate::snapshot::{BatchReport, EntityWriteMode, SnapshotCounts, SnapshotSink, SnapshotSource};
use crate::stream::StreamStore;
use crate::tenant::{CleanReport, TenantRecord};
use crate::transfer::TransferRecord;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An embedded SQLite file (the default) or in-memory database.
    Sqlite,
    /// A PostgreSQL server (production).
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// Persistence for tenants, Construction Kit models, import jobs, runtime
/// entities and associations; stream data through the supertraits
/// [`StreamStore`] and [`RollupStore`], kept in their own modules.
///
/// Every row belongs to one tenant. Timestamps are stored with microsecond
/// precision (PostgreSQL's), on both backends, so a value read back equals
/// the value written truncated to microseconds.
#[async_trait]
pub trait Store: StreamStore + RollupStore + Send + Sync {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Checks that the database answers (for `/health`).
    async fn ping(&self) -> Result<(), StoreError>;

    // --- Tenants -----------------------------------------------------------

    /// Adds a tenant; [`StoreError::TenantExists`] if its id is taken.
    async fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError>;

    /// The tenant with this id, if any.
    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Option<TenantRecord>, StoreError>;

    /// All tenants, sorted by id.
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;

    /// Removes the tenant and all its data (models, entities, associations,
    /// jobs) in one transaction. `false` if there was no such tenant.
    async fn delete_tenant(&self, tenant_id: &TenantId) -> Result<bool, StoreError>;

    /// Removes the tenant's runtime data (entities and associations) in one
    /// transaction, keeping the tenant and its models.
    /// [`StoreError::NotFound`] if there is no such tenant.
    async fn clean_tenant(&self, tenant_id: &TenantId) -> Result<CleanReport, StoreError>;

    // --- Construction Kit models -------------------------------------------

    /// Inserts or replaces the tenant's model of this name (one loaded
    /// version per name). [`StoreError::NotFound`] if the tenant does not exist.
    async fn put_ck_model(&self, model: &StoredCkModel) -> Result<(), StoreError>;

    /// The tenant's model of this name, e.g. `Industry.Energy`.
    async fn get_ck_model(
        &self,
        tenant_id: &TenantId,
        model_name: &str,
    ) -> Result<Option<StoredCkModel>, StoreError>;

    /// The tenant's models, sorted by name.
    async fn list_ck_models(&self, tenant_id: &TenantId) -> Result<Vec<StoredCkModel>, StoreError>;

    /// Removes the tenant's model of this name; `false` if there was none.
    async fn delete_ck_model(
        &self,
        tenant_id: &TenantId,
        model_name: &str,
    ) -> Result<bool, StoreError>;

    // --- Background jobs ---------------------------------------------------

    /// Queues a job for the tenant. [`StoreError::NotFound`] if the tenant
    /// does not exist.
    async fn enqueue_job(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        payload: Value,
    ) -> Result<ImportJob, StoreError>;

    /// Atomically takes the oldest queued job of any tenant whose kind is one
    /// of `kinds` (every kind when `kinds` is empty) and marks it running for
    /// `worker_id`. Concurrent callers, also in other processes, never get the
    /// same job.
    async fn claim_next_job(
        &self,
        worker_id: &str,
        kinds: &[&str],
    ) -> Result<Option<ImportJob>, StoreError>;

    /// Records that `worker_id` still runs the job, with its progress when
    /// given (`None` keeps the last one). `false` when the job is no longer
    /// running for that worker (finished, or re-queued as stale): the worker
    /// should then give it up.
    async fn heartbeat_job(
        &self,
        job_id: Uuid,
        worker_id: &str,
        progress: Option<Value>,
    ) -> Result<bool, StoreError>;

    /// Records a job's outcome: `Ok` → succeeded with that result, `Err` →
    /// failed with that message. [`StoreError::NotFound`] for an unknown job,
    /// [`StoreError::JobFinished`] if it already has an outcome.
    async fn complete_job(
        &self,
        job_id: Uuid,
        outcome: Result<Value, String>,
    ) -> Result<(), StoreError>;

    /// The tenant's job with this id, if any.
    async fn get_job(
        &self,
        tenant_id: &TenantId,
        job_id: Uuid,
    ) -> Result<Option<ImportJob>, StoreError>;

    /// The tenant's jobs, newest first.
    async fn list_jobs(&self, tenant_id: &TenantId) -> Result<Vec<ImportJob>, StoreError>;

    /// Puts running jobs of `kinds` (every kind when empty) whose last
    /// heartbeat, or start when they sent none, is more than `older_than` ago
    /// back in the queue (their worker presumably crashed); returns how many.
    async fn requeue_stale_jobs(
        &self,
        older_than: chrono::Duration,
        kinds: &[&str],
    ) -> Result<u64, StoreError>;

    // --- File transfers ----------------------------------------------------

    /// Records a new transfer. [`StoreError::Duplicate`] if its id is taken
    /// (ids are unique across tenants). The tenant need not exist as a row:
    /// transfers may be made for the system tenant before any setup.
    async fn create_transfer(&self, transfer: &TransferRecord) -> Result<(), StoreError>;

    /// The transfer with this id, of any tenant (ids are unique globally, and
    /// an HTTP request carries only the id), tombstones included.
    async fn get_transfer(&self, transfer_id: &str) -> Result<Option<TransferRecord>, StoreError>;

    /// Marks a reserved transfer complete with its size and SHA-256, in one
    /// conditional write: `false` (and nothing changed) unless it was
    /// `Reserved`, so of two racing uploads exactly one completes.
    async fn complete_transfer(
        &self,
        transfer_id: &str,
        size_bytes: u64,
        sha256: &str,
        completed_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Marks a reserved or complete transfer cancelled; `false` if it is
    /// missing or already cancelled or expired.
    async fn cancel_transfer(&self, transfer_id: &str) -> Result<bool, StoreError>;

    /// Transfers (not yet tombstones) whose `expires_at` is at or before
    /// `now`, oldest first: what the sweeper purges.
    async fn list_expired_transfers(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TransferRecord>, StoreError>;

    /// Turns a transfer into a tombstone (state `Expired`) once its file is
    /// gone; `false` if there was no such transfer or it already was one.
    async fn tombstone_transfer(&self, transfer_id: &str) -> Result<bool, StoreError>;

    /// Deletes tombstones that expired before `cutoff`; returns how many.
    async fn purge_transfer_tombstones(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;

    // --- MCP sessions and login state --------------------------------------

    /// Inserts or replaces the MCP session with this id.
    async fn put_mcp_session(&self, session: &McpSessionRecord) -> Result<(), StoreError>;

    /// The MCP session with this id, if any.
    async fn get_mcp_session(
        &self,
        session_id: &str,
    ) -> Result<Option<McpSessionRecord>, StoreError>;

    /// Records activity in the session; `false` if there is no such session.
    async fn touch_mcp_session(
        &self,
        session_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Removes the session and all its login state (tokens of every tenant,
    /// a device authorization in progress) in one transaction; `false` if
    /// there was nothing to remove.
    async fn delete_mcp_session(&self, session_id: &str) -> Result<bool, StoreError>;

    /// Removes the sessions last seen before `cutoff`, with their login
    /// state; returns how many sessions.
    async fn purge_idle_mcp_sessions(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;

    /// Inserts or replaces the session's tokens for the tenant (clearing a
    /// refresh lease). The session need not exist as a row.
    async fn put_auth_token(&self, token: &AuthTokenRecord) -> Result<(), StoreError>;

    /// Replaces the session's tokens for the tenant only if their version
    /// is still `expected_version`, in one conditional write (clearing the
    /// refresh lease); `false` and nothing changed otherwise.
    async fn replace_auth_token(
        &self,
        token: &AuthTokenRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError>;

    /// The session's tokens for the tenant, if any.
    async fn get_auth_token(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
    ) -> Result<Option<AuthTokenRecord>, StoreError>;

    /// The session's tokens of every tenant, sorted by tenant.
    async fn list_auth_tokens(&self, session_id: &str) -> Result<Vec<AuthTokenRecord>, StoreError>;

    /// Removes the session's tokens for the tenant; `false` if there were none.
    async fn delete_auth_token(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
    ) -> Result<bool, StoreError>;

    /// Takes the right to refresh the session's tokens for the tenant until
    /// `until`, in one conditional write: only if they are still at
    /// `version` and no other lease is running at `now`. Of several
    /// processes asking at once exactly one gets `true`; the others wait
    /// for its result rather than spend the (single-use) refresh token.
    async fn lease_auth_refresh(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
        version: u64,
        until: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Inserts or replaces the session's device authorization in progress.
    async fn put_device_flow(&self, flow: &DeviceFlowRecord) -> Result<(), StoreError>;

    /// The session's device authorization in progress, if any.
    async fn get_device_flow(
        &self,
        session_id: &str,
    ) -> Result<Option<DeviceFlowRecord>, StoreError>;

    /// Removes the session's device authorization; `false` if there was none.
    async fn delete_device_flow(&self, session_id: &str) -> Result<bool, StoreError>;

    /// Takes the session's next device-token poll, in one conditional write: moves its
    /// `next_poll_at` from `seen` (the value read) to `next`. Of several processes asking at
    /// once exactly one gets `true`; the others do not poll, since a provider redeems a device
    /// code once (and may revoke the login when it comes back).
    async fn claim_device_poll(
        &self,
        session_id: &str,
        seen: chrono::DateTime<chrono::Utc>,
        next: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    // --- Runtime entities --------------------------------------------------

    /// Adds an entity. [`StoreError::Duplicate`] if the tenant already has
    /// one with this `rt_id`, [`StoreError::NotFound`] if the tenant does not
    /// exist.
    async fn insert_entity(&self, entity: &RtEntity) -> Result<(), StoreError>;

    /// The tenant's entity with this id, if any.
    async fn get_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
    ) -> Result<Option<RtEntity>, StoreError>;

    /// Replaces the entity's attributes (and its well-known name when
    /// `rt_well_known_name` is `Some`), increments its version and sets its
    /// changed time, in one conditional write: only if its version is
    /// `expected_version` (when given).
    async fn update_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        expected_version: Option<u64>,
        attributes: Value,
        rt_well_known_name: Option<Option<String>>,
    ) -> Result<WriteOutcome, StoreError>;

    /// Removes the entity (only if its version is `expected_version`, when
    /// given) and its associations in both directions, in one transaction.
    /// [`WriteOutcome::Done`] carries the removed entity.
    async fn delete_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        expected_version: Option<u64>,
    ) -> Result<WriteOutcome, StoreError>;

    /// A page of the tenant's entities ordered by `rt_id`, of the given
    /// runtime type ids (`Model/Type`), or of all types when `ck_type_ids`
    /// is empty.
    async fn list_entities(
        &self,
        tenant_id: &TenantId,
        ck_type_ids: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RtEntity>, StoreError>;

    /// How many entities [`Store::list_entities`] would return without paging.
    async fn count_entities(
        &self,
        tenant_id: &TenantId,
        ck_type_ids: &[String],
    ) -> Result<u64, StoreError>;

    // --- Entity queries ----------------------------------------------------

    /// A filtered, sorted page of the tenant's entities of
    /// `query.ck_type_ids`, with the number of all matches; filtering,
    /// sorting, counting and paging all run in the database. See
    /// [`crate::query`] for the semantics of each operator and kind.
    ///
    /// # Errors
    /// [`StoreError::InvalidQuery`] for a request that cannot run (an
    /// invalid key, an operator that does not fit the kind, a value of the
    /// wrong JSON type, an invalid regular expression).
    async fn query_entities(
        &self,
        tenant_id: &TenantId,
        query: &EntityQuery,
    ) -> Result<EntityPage, StoreError>;

    /// Aggregates over the tenant's matching entities in the database.
    /// Without `group_by`: exactly one row, also for an empty set (counts 0,
    /// sum/avg/min/max `null`). With `group_by`: one row per group, ordered
    /// by the group keys (nulls last); none for an empty set. See
    /// [`crate::query`].
    ///
    /// # Errors
    /// [`StoreError::InvalidQuery`] as for [`Store::query_entities`], and
    /// for an aggregate that does not fit the field's kind or duplicate
    /// result keys.
    async fn aggregate_entities(
        &self,
        tenant_id: &TenantId,
        query: &AggregationQuery,
    ) -> Result<Vec<AggregateRow>, StoreError>;

    /// Creates, unless it exists, an expression index on `(tenant_id,
    /// ck_type_id, <fields>…, rt_id)` built from the same expressions that
    /// [`Store::query_entities`] filters and sorts with, so equality, range
    /// and prefix filters (and sorts) on these attributes can use it; the
    /// trailing `rt_id` delivers equal values in page order. A new index is
    /// followed by `ANALYZE entities`, so the planner knows about it.
    ///
    /// The index serves every tenant and type (it is keyed by tenant and
    /// type); its name is a hash of the indexed expressions, so asking
    /// again for the same fields, from any type or tenant, is a no-op.
    /// `tenant_id` and `ck_type_id` name the request in logs and errors.
    /// Building it locks writes to entities until it is done. Only String,
    /// Integer, Double, DateTime and Boolean fields (1 to 8) can be indexed;
    /// on PostgreSQL a text value longer than about 2.7 kB cannot be
    /// written once it is indexed, so index short text attributes only.
    ///
    /// # Errors
    /// [`StoreError::InvalidQuery`] for fields that cannot be indexed.
    async fn ensure_attribute_index(
        &self,
        tenant_id: &TenantId,
        ck_type_id: &str,
        fields: &[PathRef],
    ) -> Result<(), StoreError>;

    // --- Associations ------------------------------------------------------

    /// Adds an association. [`StoreError::Duplicate`] if the same role
    /// already links the same origin and target, [`StoreError::NotFound`] if
    /// the tenant or either entity does not exist.
    async fn insert_association(&self, association: &Association) -> Result<(), StoreError>;

    /// Adds an association unless an end marked in `ends` already has one of the same role;
    /// the check and the insert are one atomic step, so two racing calls cannot both pass it.
    /// Errors as [`Store::insert_association`].
    async fn insert_exclusive_association(
        &self,
        association: &Association,
        ends: ExclusiveEnds,
    ) -> Result<ExclusiveInsert, StoreError>;

    /// Removes one association; `false` if there was none.
    async fn delete_association(
        &self,
        tenant_id: &TenantId,
        role_id: &str,
        origin_rt_id: &OctoObjectId,
        target_rt_id: &OctoObjectId,
    ) -> Result<bool, StoreError>;

    /// The associations at `rt_id` in one direction, optionally of one role,
    /// ordered by role and then by the entity at the other end.
    async fn list_associations(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        direction: Direction,
        role_id: Option<&str>,
    ) -> Result<Vec<Association>, StoreError>;

    /// How many associations of `role_id` are at `rt_id` in one direction
    /// (for multiplicity checks).
    async fn count_associations(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        direction: Direction,
        role_id: &str,
    ) -> Result<u64, StoreError>;
    // --- Whole-tenant batches and snapshots --------------------------------

    /// Writes `entities` (with `mode` for ids the tenant already has) and
    /// then `associations` (an existing one is left as it is) in one
    /// transaction: on any error nothing is written. Entities are written
    /// as given, except that an updated one keeps its creation time and
    /// gets its stored version plus one.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for an existing entity under
    /// [`EntityWriteMode::InsertOnly`] or one of another type under
    /// [`EntityWriteMode::Upsert`]; [`StoreError::NotFound`] for a missing
    /// tenant or association end.
    async fn write_runtime_batch(
        &self,
        tenant_id: &TenantId,
        entities: &[RtEntity],
        associations: &[Association],
        mode: EntityWriteMode,
    ) -> Result<BatchReport, StoreError>;

    /// Reads the tenant's models, entities and associations as one
    /// consistent snapshot (one read transaction; concurrent writes are not
    /// seen) and hands them to `sink` page by page
    /// ([`crate::SNAPSHOT_PAGE`] rows), so memory stays flat.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for a missing tenant; the sink's errors.
    async fn read_tenant_snapshot(
        &self,
        tenant_id: &TenantId,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, StoreError>;

    /// Replaces the tenant's models, entities and associations with what
    /// `source` yields, in one transaction, creating the tenant as
    /// `tenant` describes when it does not exist: on any error (also one
    /// from the source) the tenant is left exactly as it was.
    ///
    /// # Errors
    /// The source's errors; [`StoreError::Duplicate`] for repeated rows,
    /// [`StoreError::NotFound`] for an association whose end is missing.
    async fn restore_tenant_snapshot(
        &self,
        tenant: &TenantRecord,
        source: &mut dyn SnapshotSource,
    ) -> Result<SnapshotCounts, StoreError>;
}
