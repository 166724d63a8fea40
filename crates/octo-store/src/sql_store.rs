//! [`SqlStore`], the one implementation of [`Store`] for both backends.
//!
//! The SQL is written once: both SQLite and PostgreSQL accept `$1`-style
//! parameters, `ON CONFLICT … DO UPDATE`, `RETURNING` and row values, and the
//! row structs decode from either backend's rows. What differs is a
//! [`Dialect`] (how a write transaction starts, how a job claim locks, how
//! to look up an index), the column types in the migrations, and how each
//! backend connects ([`crate::sqlite`], [`crate::postgres`]). Entity
//! queries and aggregations are the exception: their SQL differs per
//! backend (JSON functions), so `query_sql` writes it for a [`Backend`] and
//! this module binds and runs it.

use std::fmt::Display;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::error::ErrorKind;
use sqlx::types::Json;
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use uuid::Uuid;

use octo_ids::{OctoObjectId, TenantId};

use crate::association::{
    ASSOCIATION_COLUMNS, Association, AssociationRow, Direction, ExclusiveEnds, ExclusiveInsert,
};
use crate::auth::{
    AUTH_TOKEN_COLUMNS, AuthTokenRecord, AuthTokenRow, DEVICE_FLOW_COLUMNS, DeviceFlowRecord,
    DeviceFlowRow, MCP_SESSION_COLUMNS, McpSessionRecord, McpSessionRow,
};
use crate::ck_model::{CK_MODEL_COLUMNS, CkModelRow, StoredCkModel};
use crate::column::{now, to_i64};
use crate::entity::{ENTITY_COLUMNS, EntityRow, RtEntity, WriteOutcome};
use crate::error::StoreError;
use crate::job::{ImportJob, JOB_COLUMNS, JobRow, JobState};
use crate::query::{AggregateRow, AggregationQuery, EntityPage, EntityQuery, PathRef};
use crate::query_sql::{self, NumericCast, Param};
use crate::snapshot::{
    BatchReport, EntityWriteMode, SNAPSHOT_PAGE, SnapshotCounts, SnapshotSink, SnapshotSource,
};
use crate::store::{Backend, Store};
use crate::tenant::{CleanReport, TENANT_COLUMNS, TenantRecord, TenantRow};
use crate::timestamp::SqlTime;
use crate::transfer::{TRANSFER_COLUMNS, TransferRecord, TransferRow};

/// ` AND kind IN ($first, …)` for `kinds`, or nothing when every kind is meant.
fn kind_filter(kinds: &[&str], first: usize) -> String {
    if kinds.is_empty() {
        return String::new();
    }
    let params: Vec<String> = (first..first + kinds.len())
        .map(|i| format!("${i}"))
        .collect();
    format!(" AND kind IN ({})", params.join(", "))
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for sqlx::Sqlite {}
    impl Sealed for sqlx::Postgres {}
}

/// What differs between the SQL of the two backends. Implemented for
/// [`sqlx::Sqlite`] and [`sqlx::Postgres`] only.
pub trait Dialect: Database + sealed::Sealed {
    /// Which backend this is.
    const BACKEND: Backend;
    /// Starts a transaction that will write. SQLite must take the write lock
    /// up front (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// and then writes can fail with "database is locked" without waiting
    /// for the busy timeout.
    const BEGIN_WRITE: &'static str;
    /// Starts a read-only transaction whose reads all see one snapshot
    /// (for tenant dumps).
    const BEGIN_SNAPSHOT: &'static str;
    /// Appended to the subselect that picks the next job. PostgreSQL locks
    /// the row and skips rows other claimers hold (`FOR UPDATE SKIP
    /// LOCKED`); SQLite needs nothing because one statement runs under the
    /// database's single write lock.
    const CLAIM_LOCK: &'static str;
    /// A statement with one text parameter that holds a lock on that key until the transaction
    /// ends, for check-then-insert steps that must not interleave. PostgreSQL uses an advisory
    /// lock; SQLite needs none because `BEGIN_WRITE` already serialises writers.
    const KEY_LOCK: Option<&'static str>;

    /// A query with one parameter, the index name, that returns a count
    /// greater than 0 if the index exists.
    const INDEX_EXISTS: &'static str;
    /// Statements, run on one connection, that refresh the planner's
    /// statistics of `entities` after an index was added (SQLite has none
    /// at all until `ANALYZE`, and without them it prefers walking
    /// `entities_by_type` in `rt_id` order over a selective expression
    /// index; PostgreSQL gathers expression statistics only on `ANALYZE`).
    const ANALYZE_ENTITIES: &'static [&'static str];

    /// How many rows a statement changed (sqlx has no common trait for it).
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// A [`Store`] on a sqlx connection pool; use it as
/// [`SqliteStore`](crate::SqliteStore) or [`PostgresStore`](crate::PostgresStore).
pub struct SqlStore<DB: Database> {
    pool: Pool<DB>,
    location: String,
    /// Queues this process's bulk sample writes on SQLite, which has one writer at a time:
    /// writers waiting here wait as long as it takes, where SQLite's own busy timeout would
    /// give up after 5 s ("database is locked") under a burst of large batches.
    bulk_writes: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl<DB: Dialect> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>, location: String) -> Self {
        Self {
            pool,
            location,
            bulk_writes: std::sync::Arc::default(),
        }
    }

    /// Held while a bulk write runs (see the field).
    pub(crate) async fn bulk_write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.bulk_writes.lock().await
    }

    /// The connection pool, e.g. for tests or maintenance queries.
    #[must_use]
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// Where the database is: the file path for SQLite, `host:port` for
    /// PostgreSQL. Never contains a password.
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes all connections; later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Maps a sqlx error of `operation` (a phrase such as `read tenant
    /// 'meshtest'`, built only on failure) to a [`StoreError`].
    fn fail<'a>(
        &'a self,
        operation: impl FnOnce() -> String + 'a,
    ) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
        move |err| self.error(err, operation)
    }

    /// [`Self::fail`] applied at once.
    fn error(&self, err: sqlx::Error, operation: impl FnOnce() -> String) -> StoreError {
        classify(DB::BACKEND, &self.location, err, operation)
    }
}

/// Sorts a sqlx error into the [`StoreError`] a reader can act on.
pub(crate) fn classify(
    backend: Backend,
    location: &str,
    err: sqlx::Error,
    operation: impl FnOnce() -> String,
) -> StoreError {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable {
            backend,
            location: location.to_owned(),
            cause: err.to_string(),
        },
        sqlx::Error::Database(ref db) if is_connection_failure(db.code().as_deref()) => {
            StoreError::Unavailable {
                backend,
                location: location.to_owned(),
                cause: db.message().to_owned(),
            }
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
            what: format!("a value read while trying to {}", operation()),
            reason: err.to_string(),
        },
        other => StoreError::Database {
            operation: operation(),
            cause: other.to_string(),
        },
    }
}

/// PostgreSQL's SQLSTATE classes for a lost or refused connection: `08`
/// (connection exception) and `57P0x` (server shutting down or starting).
fn is_connection_failure(code: Option<&str>) -> bool {
    code.is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
}

/// The arguments of a built query, in order. Values are cloned into the
/// arguments because sqlx's argument buffers own what they bind.
pub(crate) fn arguments<'q, DB>(params: &[Param]) -> Result<DB::Arguments<'q>, StoreError>
where
    DB: Database,
    String: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    SqlTime: Encode<'q, DB> + Type<DB>,
    Json<Value>: Encode<'q, DB> + Type<DB>,
{
    let mut args = DB::Arguments::<'q>::default();
    for param in params {
        match param {
            Param::Text(text) => args.add(text.clone()),
            Param::Int(int) => args.add(*int),
            Param::Float(float) => args.add(*float),
            Param::Bool(flag) => args.add(*flag),
            Param::Time(time) => args.add(*time),
            Param::Json(value) => args.add(Json(value.clone())),
        }
        .map_err(|err| StoreError::Database {
            operation: "bind the parameters of an entity query".to_owned(),
            cause: err.to_string(),
        })?;
    }
    Ok(args)
}

/// PostgreSQL reports a bad regular expression (`2201B`) or LIKE escape
/// (`22025`) only when it runs the query; those are the caller's mistakes,
/// not database failures.
fn invalid_pattern(err: &sqlx::Error) -> Option<StoreError> {
    let db = err.as_database_error()?;
    match db.code().as_deref() {
        Some("2201B" | "22025") => Some(StoreError::invalid_query(format!(
            "the pattern of a Regex or Like filter is not valid: {}",
            db.message()
        ))),
        _ => None,
    }
}

fn error_kind(err: &sqlx::Error) -> Option<ErrorKind> {
    err.as_database_error().map(|db| db.kind())
}

fn tenant_text(tenant_id: &TenantId) -> String {
    tenant_id.as_str().to_owned()
}

fn id_text(rt_id: &OctoObjectId) -> String {
    rt_id.to_string()
}

fn entity_label(tenant_id: &TenantId, rt_id: impl Display) -> String {
    format!("Entity {rt_id} in tenant '{tenant_id}'")
}

/// `WHERE tenant_id = $1 [AND ck_type_id IN ($2, …)]` for entity lists;
/// the caller binds the tenant and then `ck_type_ids` in order, and its own
/// parameters start at the returned number.
fn entity_filter(ck_type_ids: &[String]) -> (String, usize) {
    let mut sql = " WHERE tenant_id = $1".to_owned();
    if !ck_type_ids.is_empty() {
        let placeholders: Vec<String> = (2..ck_type_ids.len() + 2)
            .map(|n| format!("${n}"))
            .collect();
        sql.push_str(&format!(" AND ck_type_id IN ({})", placeholders.join(", ")));
    }
    (sql, ck_type_ids.len() + 2)
}

/// For association lookups in `direction`: the column holding the entity
/// asked about (`here`) and the one holding the other end (`there`).
/// The error of a failed association insert: a duplicate, a missing end (named), or the
/// database's own failure.
async fn insert_association_error(
    store: &(impl Store + ?Sized),
    err: sqlx::Error,
    a: &Association,
    database_error: impl FnOnce(sqlx::Error, String) -> StoreError,
) -> StoreError {
    let link = || {
        format!(
            "'{}' from {} to {} in tenant '{}'",
            a.role_id, a.origin_rt_id, a.target_rt_id, a.tenant_id
        )
    };
    match error_kind(&err) {
        Some(ErrorKind::UniqueViolation) => StoreError::Duplicate {
            what: format!("Association {}", link()),
        },
        Some(ErrorKind::ForeignKeyViolation) => match missing_end(store, a).await {
            Ok(error) | Err(error) => error,
        },
        _ => database_error(err, format!("insert association {}", link())),
    }
}

fn association_columns(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Outbound => ("origin_rt_id", "target_rt_id"),
        Direction::Inbound => ("target_rt_id", "origin_rt_id"),
    }
}

/// Why a conditional write on an entity wrote nothing: it has another
/// version (a conflict, carrying the entity as it is now) or it does not
/// exist. Without an expected version only the latter is possible.
async fn missed_write(
    store: &(impl Store + ?Sized),
    tenant_id: &TenantId,
    rt_id: &OctoObjectId,
    expected_version: Option<u64>,
) -> Result<WriteOutcome, StoreError> {
    if expected_version.is_none() {
        return Ok(WriteOutcome::NotFound);
    }
    Ok(match store.get_entity(tenant_id, rt_id).await? {
        Some(current) => WriteOutcome::Conflict(current),
        None => WriteOutcome::NotFound,
    })
}

/// After a foreign key rejected an association: which of the tenant, the
/// origin and the target is missing, as the error to report.
async fn missing_end(
    store: &(impl Store + ?Sized),
    association: &Association,
) -> Result<StoreError, StoreError> {
    let a = association;
    if store.get_tenant(&a.tenant_id).await?.is_none() {
        return Ok(StoreError::tenant_not_found(&a.tenant_id));
    }
    for (end, rt_id) in [("origin", &a.origin_rt_id), ("target", &a.target_rt_id)] {
        if store.get_entity(&a.tenant_id, rt_id).await?.is_none() {
            return Ok(StoreError::NotFound {
                what: format!(
                    "{} (the {end} of association '{}')",
                    entity_label(&a.tenant_id, rt_id),
                    a.role_id
                ),
            });
        }
    }
    // Both ends exist now, so one was deleted and re-created concurrently.
    Ok(StoreError::NotFound {
        what: format!(
            "An end of association '{}' from {} to {} in tenant '{}' (it was deleted while \
             the association was inserted)",
            a.role_id, a.origin_rt_id, a.target_rt_id, a.tenant_id
        ),
    })
}

/// The tables holding a tenant's data, children before parents so that
/// deleting in this order never trips a foreign key. A new tenant-scoped
/// table must be added here, or deleting a tenant fails on its foreign key.
const TENANT_DATA_TABLES: [&str; 4] = ["associations", "entities", "ck_models", "import_jobs"];

/// The bounds list what the shared SQL needs of a backend: the parameter
/// types it binds and the row types it decodes. Both backends meet them;
/// they are checked for each concrete backend where a store is built.
#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Dialect,
    Self: crate::stream::StreamStore + crate::rollup::RollupStore,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> SqlTime: Encode<'q, DB> + Type<DB>,
    for<'q> Option<SqlTime>: Encode<'q, DB> + Type<DB>,
    for<'q> Json<Value>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<Json<Value>>: Encode<'q, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> TenantRow: FromRow<'r, DB::Row>,
    for<'r> CkModelRow: FromRow<'r, DB::Row>,
    for<'r> JobRow: FromRow<'r, DB::Row>,
    for<'r> EntityRow: FromRow<'r, DB::Row>,
    for<'r> AssociationRow: FromRow<'r, DB::Row>,
    for<'r> TransferRow: FromRow<'r, DB::Row>,
    for<'r> McpSessionRow: FromRow<'r, DB::Row>,
    for<'r> AuthTokenRow: FromRow<'r, DB::Row>,
    for<'r> DeviceFlowRow: FromRow<'r, DB::Row>,
{
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query::<DB>("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(self.fail(|| "check that the database answers".to_owned()))?;
        Ok(())
    }

    // --- Tenants -----------------------------------------------------------

    async fn create_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let result = sqlx::query::<DB>(
            "INSERT INTO tenants (tenant_id, parent_tenant_id, database_name, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant_text(&tenant.tenant_id))
        .bind(tenant.parent_tenant_id.as_ref().map(tenant_text))
        .bind(tenant.database_name.clone())
        .bind(SqlTime::from(tenant.created_at))
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_kind(&err) == Some(ErrorKind::UniqueViolation) => {
                Err(StoreError::TenantExists {
                    tenant_id: tenant.tenant_id.clone(),
                })
            }
            Err(err) => Err(self.error(err, || format!("create tenant '{}'", tenant.tenant_id))),
        }
    }

    async fn get_tenant(&self, tenant_id: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1");
        sqlx::query_as::<DB, TenantRow>(&sql)
            .bind(tenant_text(tenant_id))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read tenant '{tenant_id}'")))?
            .map(TenantRecord::try_from)
            .transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY tenant_id");
        sqlx::query_as::<DB, TenantRow>(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| "list tenants".to_owned()))?
            .into_iter()
            .map(TenantRecord::try_from)
            .collect()
    }

    async fn delete_tenant(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let fail = || self.fail(|| format!("delete tenant '{tenant_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        for table in TENANT_DATA_TABLES {
            sqlx::query::<DB>(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(tenant_text(tenant_id))
                .execute(&mut *tx)
                .await
                .map_err(fail())?;
        }
        let result = sqlx::query::<DB>("DELETE FROM tenants WHERE tenant_id = $1")
            .bind(tenant_text(tenant_id))
            .execute(&mut *tx)
            .await
            .map_err(fail())?;
        let deleted = DB::rows_affected(&result);
        tx.commit().await.map_err(fail())?;
        Ok(deleted > 0)
    }

    async fn clean_tenant(&self, tenant_id: &TenantId) -> Result<CleanReport, StoreError> {
        let fail = || self.fail(|| format!("clean tenant '{tenant_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        let exists =
            sqlx::query_scalar::<DB, String>("SELECT tenant_id FROM tenants WHERE tenant_id = $1")
                .bind(tenant_text(tenant_id))
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail())?;
        if exists.is_none() {
            return Err(StoreError::tenant_not_found(tenant_id));
        }
        // Associations first: they reference entities.
        let mut deleted = [0_u64; 2];
        for (count, table) in deleted.iter_mut().zip(["associations", "entities"]) {
            let result = sqlx::query::<DB>(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(tenant_text(tenant_id))
                .execute(&mut *tx)
                .await
                .map_err(fail())?;
            *count = DB::rows_affected(&result);
        }
        tx.commit().await.map_err(fail())?;
        let [associations_deleted, entities_deleted] = deleted;
        Ok(CleanReport {
            entities_deleted,
            associations_deleted,
        })
    }

    // --- Construction Kit models -------------------------------------------

    async fn put_ck_model(&self, model: &StoredCkModel) -> Result<(), StoreError> {
        let result = sqlx::query::<DB>(
            "INSERT INTO ck_models (tenant_id, model_name, model_id, state, state_reason, \
             service_managed, document, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, model_name) DO UPDATE SET model_id = excluded.model_id, \
             state = excluded.state, state_reason = excluded.state_reason, \
             service_managed = excluded.service_managed, document = excluded.document, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_text(&model.tenant_id))
        .bind(model.model_name.clone())
        .bind(model.model_id.to_string())
        .bind(model.state.as_str().to_owned())
        .bind(model.state_reason.clone())
        .bind(model.service_managed)
        .bind(Json(model.document.clone()))
        .bind(SqlTime::from(model.updated_at))
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_kind(&err) == Some(ErrorKind::ForeignKeyViolation) => {
                Err(StoreError::tenant_not_found(&model.tenant_id))
            }
            Err(err) => Err(self.error(err, || {
                format!(
                    "store model '{}' of tenant '{}'",
                    model.model_id, model.tenant_id
                )
            })),
        }
    }

    async fn get_ck_model(
        &self,
        tenant_id: &TenantId,
        model_name: &str,
    ) -> Result<Option<StoredCkModel>, StoreError> {
        let sql = format!(
            "SELECT {CK_MODEL_COLUMNS} FROM ck_models WHERE tenant_id = $1 AND model_name = $2"
        );
        sqlx::query_as::<DB, CkModelRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(model_name.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read model '{model_name}' of tenant '{tenant_id}'")))?
            .map(StoredCkModel::try_from)
            .transpose()
    }

    async fn list_ck_models(&self, tenant_id: &TenantId) -> Result<Vec<StoredCkModel>, StoreError> {
        let sql = format!(
            "SELECT {CK_MODEL_COLUMNS} FROM ck_models WHERE tenant_id = $1 ORDER BY model_name"
        );
        sqlx::query_as::<DB, CkModelRow>(&sql)
            .bind(tenant_text(tenant_id))
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| format!("list the models of tenant '{tenant_id}'")))?
            .into_iter()
            .map(StoredCkModel::try_from)
            .collect()
    }

    async fn delete_ck_model(
        &self,
        tenant_id: &TenantId,
        model_name: &str,
    ) -> Result<bool, StoreError> {
        let result =
            sqlx::query::<DB>("DELETE FROM ck_models WHERE tenant_id = $1 AND model_name = $2")
                .bind(tenant_text(tenant_id))
                .bind(model_name.to_owned())
                .execute(&self.pool)
                .await
                .map_err(
                    self.fail(|| format!("delete model '{model_name}' of tenant '{tenant_id}'")),
                )?;
        Ok(DB::rows_affected(&result) > 0)
    }

    // --- Import jobs -------------------------------------------------------

    async fn enqueue_job(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        payload: Value,
    ) -> Result<ImportJob, StoreError> {
        let job = ImportJob {
            job_id: Uuid::new_v4(),
            tenant_id: tenant_id.clone(),
            kind: kind.to_owned(),
            payload,
            state: JobState::Queued,
            error: None,
            result: None,
            attempts: 0,
            claimed_by: None,
            created_at: now(),
            started_at: None,
            finished_at: None,
            heartbeat_at: None,
            progress: None,
        };
        let result = sqlx::query::<DB>(
            "INSERT INTO import_jobs (tenant_id, job_id, kind, payload, state, attempts, \
             created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(tenant_text(tenant_id))
        .bind(job.job_id.to_string())
        .bind(job.kind.clone())
        .bind(Json(job.payload.clone()))
        .bind(job.state.as_str().to_owned())
        .bind(SqlTime::from(job.created_at))
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(job),
            Err(err) if error_kind(&err) == Some(ErrorKind::ForeignKeyViolation) => {
                Err(StoreError::tenant_not_found(tenant_id))
            }
            Err(err) => Err(self.error(err, || {
                format!("queue a '{kind}' job for tenant '{tenant_id}'")
            })),
        }
    }

    async fn claim_next_job(
        &self,
        worker_id: &str,
        kinds: &[&str],
    ) -> Result<Option<ImportJob>, StoreError> {
        // One statement, so picking and marking cannot be separated by
        // another claimer; see `Dialect::CLAIM_LOCK` for the locking.
        let sql = format!(
            "UPDATE import_jobs SET state = 'running', attempts = attempts + 1, \
             claimed_by = $1, started_at = $2, heartbeat_at = NULL \
             WHERE (tenant_id, job_id) IN (SELECT tenant_id, job_id FROM import_jobs \
             WHERE state = 'queued'{} ORDER BY created_at, job_id LIMIT 1{}) \
             RETURNING {JOB_COLUMNS}",
            kind_filter(kinds, 3),
            DB::CLAIM_LOCK
        );
        let mut query = sqlx::query_as::<DB, JobRow>(&sql)
            .bind(worker_id.to_owned())
            .bind(SqlTime::from(now()));
        for kind in kinds {
            query = query.bind((*kind).to_owned());
        }
        query
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("claim the next job for worker '{worker_id}'")))?
            .map(ImportJob::try_from)
            .transpose()
    }

    async fn heartbeat_job(
        &self,
        job_id: Uuid,
        worker_id: &str,
        progress: Option<Value>,
    ) -> Result<bool, StoreError> {
        let written = sqlx::query::<DB>(
            "UPDATE import_jobs SET heartbeat_at = $3, progress = COALESCE($4, progress) \
             WHERE job_id = $1 AND claimed_by = $2 AND state = 'running'",
        )
        .bind(job_id.to_string())
        .bind(worker_id.to_owned())
        .bind(SqlTime::from(now()))
        .bind(progress.map(Json))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("record a heartbeat of job {job_id}")))?;
        Ok(DB::rows_affected(&written) > 0)
    }

    async fn complete_job(
        &self,
        job_id: Uuid,
        outcome: Result<Value, String>,
    ) -> Result<(), StoreError> {
        let fail = || self.fail(|| format!("record the outcome of import job {job_id}"));
        let (state, result, error) = match outcome {
            Ok(result) => (JobState::Succeeded, Some(Json(result)), None),
            Err(error) => (JobState::Failed, None, Some(error)),
        };
        // Looked up by job id alone (ids are unique across tenants); the job
        // table stays small, so the missing tenant prefix costs little.
        let written = sqlx::query::<DB>(
            "UPDATE import_jobs SET state = $2, result = $3, error = $4, finished_at = $5 \
             WHERE job_id = $1 AND state IN ('queued', 'running')",
        )
        .bind(job_id.to_string())
        .bind(state.as_str().to_owned())
        .bind(result)
        .bind(error)
        .bind(SqlTime::from(now()))
        .execute(&self.pool)
        .await
        .map_err(fail())?;
        if DB::rows_affected(&written) > 0 {
            return Ok(());
        }
        let current =
            sqlx::query_scalar::<DB, String>("SELECT state FROM import_jobs WHERE job_id = $1")
                .bind(job_id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(fail())?;
        match current {
            None => Err(StoreError::NotFound {
                what: format!("Import job {job_id}"),
            }),
            Some(state) => Err(StoreError::JobFinished {
                job_id,
                state: state.parse().map_err(|reason| {
                    StoreError::corrupt(
                        format!("the state '{state}' of import job {job_id}"),
                        reason,
                    )
                })?,
            }),
        }
    }

    async fn get_job(
        &self,
        tenant_id: &TenantId,
        job_id: Uuid,
    ) -> Result<Option<ImportJob>, StoreError> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE tenant_id = $1 AND job_id = $2");
        sqlx::query_as::<DB, JobRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(job_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read import job {job_id} of tenant '{tenant_id}'")))?
            .map(ImportJob::try_from)
            .transpose()
    }

    async fn list_jobs(&self, tenant_id: &TenantId) -> Result<Vec<ImportJob>, StoreError> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM import_jobs WHERE tenant_id = $1 \
             ORDER BY created_at DESC, job_id DESC"
        );
        sqlx::query_as::<DB, JobRow>(&sql)
            .bind(tenant_text(tenant_id))
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| format!("list the import jobs of tenant '{tenant_id}'")))?
            .into_iter()
            .map(ImportJob::try_from)
            .collect()
    }

    async fn requeue_stale_jobs(
        &self,
        older_than: chrono::Duration,
        kinds: &[&str],
    ) -> Result<u64, StoreError> {
        let cutoff = now() - older_than;
        let sql = format!(
            "UPDATE import_jobs SET state = 'queued', claimed_by = NULL, started_at = NULL, \
             heartbeat_at = NULL \
             WHERE state = 'running' AND COALESCE(heartbeat_at, started_at) < $1{}",
            kind_filter(kinds, 2)
        );
        let mut query = sqlx::query::<DB>(&sql).bind(SqlTime::from(cutoff));
        for kind in kinds {
            query = query.bind((*kind).to_owned());
        }
        let result = query
            .execute(&self.pool)
            .await
            .map_err(self.fail(|| "requeue stale jobs".to_owned()))?;
        Ok(DB::rows_affected(&result))
    }

    // --- File transfers ----------------------------------------------------

    async fn create_transfer(&self, transfer: &TransferRecord) -> Result<(), StoreError> {
        let id = &transfer.transfer_id;
        let result = sqlx::query::<DB>(
            "INSERT INTO transfers (tenant_id, transfer_id, kind, file_name, state, size_bytes, \
             sha256, session_id, created_at, expires_at, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant_text(&transfer.tenant_id))
        .bind(id.clone())
        .bind(transfer.kind.as_str().to_owned())
        .bind(transfer.file_name.clone())
        .bind(transfer.state.as_str().to_owned())
        .bind(transfer.size_bytes.map(to_i64))
        .bind(transfer.sha256.clone())
        .bind(transfer.session_id.clone())
        .bind(SqlTime::from(transfer.created_at))
        .bind(SqlTime::from(transfer.expires_at))
        .bind(transfer.completed_at.map(SqlTime::from))
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_kind(&err) == Some(ErrorKind::UniqueViolation) => {
                Err(StoreError::Duplicate {
                    what: format!("Transfer '{id}'"),
                })
            }
            Err(err) => Err(self.error(err, || format!("record transfer '{id}'"))),
        }
    }

    async fn get_transfer(&self, transfer_id: &str) -> Result<Option<TransferRecord>, StoreError> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE transfer_id = $1");
        sqlx::query_as::<DB, TransferRow>(&sql)
            .bind(transfer_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read transfer '{transfer_id}'")))?
            .map(TransferRecord::try_from)
            .transpose()
    }

    async fn complete_transfer(
        &self,
        transfer_id: &str,
        size_bytes: u64,
        sha256: &str,
        completed_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE transfers SET state = 'complete', size_bytes = $2, sha256 = $3, \
             completed_at = $4 WHERE transfer_id = $1 AND state = 'reserved'",
        )
        .bind(transfer_id.to_owned())
        .bind(Some(to_i64(size_bytes)))
        .bind(sha256.to_owned())
        .bind(SqlTime::from(completed_at))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("complete transfer '{transfer_id}'")))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn cancel_transfer(&self, transfer_id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE transfers SET state = 'cancelled' \
             WHERE transfer_id = $1 AND state IN ('reserved', 'complete')",
        )
        .bind(transfer_id.to_owned())
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("cancel transfer '{transfer_id}'")))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn list_expired_transfers(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TransferRecord>, StoreError> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers \
             WHERE state <> 'expired' AND expires_at <= $1 ORDER BY expires_at, transfer_id"
        );
        sqlx::query_as::<DB, TransferRow>(&sql)
            .bind(SqlTime::from(now))
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| "list expired transfers".to_owned()))?
            .into_iter()
            .map(TransferRecord::try_from)
            .collect()
    }

    async fn tombstone_transfer(&self, transfer_id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE transfers SET state = 'expired' WHERE transfer_id = $1 AND state <> 'expired'",
        )
        .bind(transfer_id.to_owned())
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("mark transfer '{transfer_id}' expired")))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn purge_transfer_tombstones(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let result =
            sqlx::query::<DB>("DELETE FROM transfers WHERE state = 'expired' AND expires_at < $1")
                .bind(SqlTime::from(cutoff))
                .execute(&self.pool)
                .await
                .map_err(self.fail(|| "purge transfer tombstones".to_owned()))?;
        Ok(DB::rows_affected(&result))
    }

    // --- MCP sessions and login state --------------------------------------

    async fn put_mcp_session(&self, session: &McpSessionRecord) -> Result<(), StoreError> {
        let id = &session.session_id;
        sqlx::query::<DB>(
            "INSERT INTO mcp_sessions (session_id, state, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, \
             last_seen_at = excluded.last_seen_at",
        )
        .bind(id.clone())
        .bind(Json(session.state.clone()))
        .bind(SqlTime::from(session.created_at))
        .bind(SqlTime::from(session.last_seen_at))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("record MCP session '{id}'")))?;
        Ok(())
    }

    async fn get_mcp_session(
        &self,
        session_id: &str,
    ) -> Result<Option<McpSessionRecord>, StoreError> {
        let sql = format!("SELECT {MCP_SESSION_COLUMNS} FROM mcp_sessions WHERE session_id = $1");
        Ok(sqlx::query_as::<DB, McpSessionRow>(&sql)
            .bind(session_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read MCP session '{session_id}'")))?
            .map(McpSessionRecord::from))
    }

    async fn touch_mcp_session(
        &self,
        session_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE mcp_sessions SET last_seen_at = $2 WHERE session_id = $1 AND last_seen_at < $2",
        )
        .bind(session_id.to_owned())
        .bind(SqlTime::from(at))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("touch MCP session '{session_id}'")))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn delete_mcp_session(&self, session_id: &str) -> Result<bool, StoreError> {
        let fail = || self.fail(|| format!("delete MCP session '{session_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        let mut removed = 0;
        for table in ["auth_tokens", "auth_device_flows", "mcp_sessions"] {
            let result = sqlx::query::<DB>(&format!("DELETE FROM {table} WHERE session_id = $1"))
                .bind(session_id.to_owned())
                .execute(&mut *tx)
                .await
                .map_err(fail())?;
            removed += DB::rows_affected(&result);
        }
        tx.commit().await.map_err(fail())?;
        Ok(removed > 0)
    }

    async fn purge_idle_mcp_sessions(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let fail = || self.fail(|| "purge idle MCP sessions".to_owned());
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        for table in ["auth_tokens", "auth_device_flows"] {
            sqlx::query::<DB>(&format!(
                "DELETE FROM {table} WHERE session_id IN \
                 (SELECT session_id FROM mcp_sessions WHERE last_seen_at < $1)"
            ))
            .bind(SqlTime::from(cutoff))
            .execute(&mut *tx)
            .await
            .map_err(fail())?;
        }
        let result = sqlx::query::<DB>("DELETE FROM mcp_sessions WHERE last_seen_at < $1")
            .bind(SqlTime::from(cutoff))
            .execute(&mut *tx)
            .await
            .map_err(fail())?;
        let purged = DB::rows_affected(&result);
        tx.commit().await.map_err(fail())?;
        Ok(purged)
    }

    async fn put_auth_token(&self, token: &AuthTokenRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO auth_tokens ({AUTH_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, $6) \
             ON CONFLICT (tenant_id, session_id) DO UPDATE SET sealed = excluded.sealed, \
             access_expires_at = excluded.access_expires_at, version = excluded.version, \
             refresh_lease_until = NULL, updated_at = excluded.updated_at"
        );
        sqlx::query::<DB>(&sql)
            .bind(tenant_text(&token.tenant_id))
            .bind(token.session_id.clone())
            .bind(token.sealed.clone())
            .bind(SqlTime::from(token.access_expires_at))
            .bind(to_i64(token.version))
            .bind(SqlTime::from(token.updated_at))
            .execute(&self.pool)
            .await
            .map_err(self.fail(|| {
                format!(
                    "record tokens of session '{}' for tenant '{}'",
                    token.session_id, token.tenant_id
                )
            }))?;
        Ok(())
    }

    async fn replace_auth_token(
        &self,
        token: &AuthTokenRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE auth_tokens SET sealed = $3, access_expires_at = $4, version = $5, \
             refresh_lease_until = NULL, updated_at = $6 \
             WHERE tenant_id = $1 AND session_id = $2 AND version = $7",
        )
        .bind(tenant_text(&token.tenant_id))
        .bind(token.session_id.clone())
        .bind(token.sealed.clone())
        .bind(SqlTime::from(token.access_expires_at))
        .bind(to_i64(token.version))
        .bind(SqlTime::from(token.updated_at))
        .bind(to_i64(expected_version))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| {
            format!(
                "replace tokens of session '{}' for tenant '{}'",
                token.session_id, token.tenant_id
            )
        }))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn get_auth_token(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
    ) -> Result<Option<AuthTokenRecord>, StoreError> {
        let sql = format!(
            "SELECT {AUTH_TOKEN_COLUMNS} FROM auth_tokens WHERE tenant_id = $1 AND session_id = $2"
        );
        sqlx::query_as::<DB, AuthTokenRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(session_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| {
                format!("read tokens of session '{session_id}' for tenant '{tenant_id}'")
            }))?
            .map(AuthTokenRecord::try_from)
            .transpose()
    }

    async fn list_auth_tokens(&self, session_id: &str) -> Result<Vec<AuthTokenRecord>, StoreError> {
        let sql = format!(
            "SELECT {AUTH_TOKEN_COLUMNS} FROM auth_tokens WHERE session_id = $1 ORDER BY tenant_id"
        );
        sqlx::query_as::<DB, AuthTokenRow>(&sql)
            .bind(session_id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| format!("list tokens of session '{session_id}'")))?
            .into_iter()
            .map(AuthTokenRecord::try_from)
            .collect()
    }

    async fn delete_auth_token(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        let result =
            sqlx::query::<DB>("DELETE FROM auth_tokens WHERE tenant_id = $1 AND session_id = $2")
                .bind(tenant_text(tenant_id))
                .bind(session_id.to_owned())
                .execute(&self.pool)
                .await
                .map_err(self.fail(|| {
                    format!("delete tokens of session '{session_id}' for tenant '{tenant_id}'")
                }))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn lease_auth_refresh(
        &self,
        tenant_id: &TenantId,
        session_id: &str,
        version: u64,
        until: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE auth_tokens SET refresh_lease_until = $4 \
             WHERE tenant_id = $1 AND session_id = $2 AND version = $3 \
             AND (refresh_lease_until IS NULL OR refresh_lease_until <= $5)",
        )
        .bind(tenant_text(tenant_id))
        .bind(session_id.to_owned())
        .bind(to_i64(version))
        .bind(SqlTime::from(until))
        .bind(SqlTime::from(now))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| {
            format!("lease the refresh of session '{session_id}' for tenant '{tenant_id}'")
        }))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn put_device_flow(&self, flow: &DeviceFlowRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO auth_device_flows ({DEVICE_FLOW_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (session_id) DO UPDATE SET tenant_id = excluded.tenant_id, \
             sealed = excluded.sealed, expires_at = excluded.expires_at, \
             interval_secs = excluded.interval_secs, next_poll_at = excluded.next_poll_at, \
             created_at = excluded.created_at"
        );
        sqlx::query::<DB>(&sql)
            .bind(flow.session_id.clone())
            .bind(tenant_text(&flow.tenant_id))
            .bind(flow.sealed.clone())
            .bind(SqlTime::from(flow.expires_at))
            .bind(i64::from(flow.interval_secs))
            .bind(SqlTime::from(flow.next_poll_at))
            .bind(SqlTime::from(flow.created_at))
            .execute(&self.pool)
            .await
            .map_err(self.fail(|| {
                format!(
                    "record the device authorization of session '{}'",
                    flow.session_id
                )
            }))?;
        Ok(())
    }

    async fn get_device_flow(
        &self,
        session_id: &str,
    ) -> Result<Option<DeviceFlowRecord>, StoreError> {
        let sql =
            format!("SELECT {DEVICE_FLOW_COLUMNS} FROM auth_device_flows WHERE session_id = $1");
        sqlx::query_as::<DB, DeviceFlowRow>(&sql)
            .bind(session_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(
                self.fail(|| format!("read the device authorization of session '{session_id}'")),
            )?
            .map(DeviceFlowRecord::try_from)
            .transpose()
    }

    async fn delete_device_flow(&self, session_id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>("DELETE FROM auth_device_flows WHERE session_id = $1")
            .bind(session_id.to_owned())
            .execute(&self.pool)
            .await
            .map_err(
                self.fail(|| format!("delete the device authorization of session '{session_id}'")),
            )?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn claim_device_poll(
        &self,
        session_id: &str,
        seen: chrono::DateTime<chrono::Utc>,
        next: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "UPDATE auth_device_flows SET next_poll_at = $3 \
             WHERE session_id = $1 AND next_poll_at = $2",
        )
        .bind(session_id.to_owned())
        .bind(SqlTime::from(seen))
        .bind(SqlTime::from(next))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| format!("claim the device-token poll of session '{session_id}'")))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    // --- Runtime entities --------------------------------------------------

    async fn insert_entity(&self, entity: &RtEntity) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO entities ({ENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        let result = sqlx::query::<DB>(&sql)
            .bind(tenant_text(&entity.tenant_id))
            .bind(id_text(&entity.rt_id))
            .bind(entity.ck_type_id.clone())
            .bind(entity.rt_well_known_name.clone())
            .bind(to_i64(entity.rt_version))
            .bind(SqlTime::from(entity.rt_creation_date_time))
            .bind(SqlTime::from(entity.rt_changed_date_time))
            .bind(entity.rt_state)
            .bind(Json(entity.attributes.clone()))
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(match error_kind(&err) {
                Some(ErrorKind::UniqueViolation) => StoreError::Duplicate {
                    what: entity_label(&entity.tenant_id, entity.rt_id),
                },
                Some(ErrorKind::ForeignKeyViolation) => {
                    StoreError::tenant_not_found(&entity.tenant_id)
                }
                _ => self.error(err, || {
                    format!(
                        "insert entity {} into tenant '{}'",
                        entity.rt_id, entity.tenant_id
                    )
                }),
            }),
        }
    }

    async fn get_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
    ) -> Result<Option<RtEntity>, StoreError> {
        let sql =
            format!("SELECT {ENTITY_COLUMNS} FROM entities WHERE tenant_id = $1 AND rt_id = $2");
        sqlx::query_as::<DB, EntityRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(id_text(rt_id))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("read entity {rt_id} of tenant '{tenant_id}'")))?
            .map(RtEntity::try_from)
            .transpose()
    }

    async fn update_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        expected_version: Option<u64>,
        attributes: Value,
        rt_well_known_name: Option<Option<String>>,
    ) -> Result<WriteOutcome, StoreError> {
        // A single conditional write: the version check and the write cannot
        // be separated by a concurrent writer. Only when nothing was written
        // is the row read, to tell a conflict from a missing entity.
        let sql = format!(
            "UPDATE entities SET attributes = $3, rt_version = rt_version + 1, \
             rt_changed_date_time = $4, \
             rt_well_known_name = CASE WHEN $5 THEN $6 ELSE rt_well_known_name END \
             WHERE tenant_id = $1 AND rt_id = $2 AND ($7 IS NULL OR rt_version = $7) \
             RETURNING {ENTITY_COLUMNS}"
        );
        let (set_name, name) = match rt_well_known_name {
            Some(name) => (true, name),
            None => (false, None),
        };
        let updated = sqlx::query_as::<DB, EntityRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(id_text(rt_id))
            .bind(Json(attributes))
            .bind(SqlTime::from(now()))
            .bind(set_name)
            .bind(name)
            .bind(expected_version.map(to_i64))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.fail(|| format!("update entity {rt_id} of tenant '{tenant_id}'")))?;
        match updated {
            Some(row) => Ok(WriteOutcome::Done(row.try_into()?)),
            None => missed_write(self, tenant_id, rt_id, expected_version).await,
        }
    }

    async fn delete_entity(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        expected_version: Option<u64>,
    ) -> Result<WriteOutcome, StoreError> {
        let fail = || self.fail(|| format!("delete entity {rt_id} of tenant '{tenant_id}'"));
        // Conditional like `update_entity`. Associations go first, in the
        // same transaction, because they reference the entity; if the
        // version does not match, the rollback restores them. (The foreign
        // keys also cascade, which covers an association inserted
        // concurrently between the two statements.)
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        sqlx::query::<DB>(
            "DELETE FROM associations WHERE tenant_id = $1 AND (origin_rt_id = $2 OR target_rt_id = $2)",
        )
        .bind(tenant_text(tenant_id))
        .bind(id_text(rt_id))
        .execute(&mut *tx)
        .await
        .map_err(fail())?;
        let sql = format!(
            "DELETE FROM entities WHERE tenant_id = $1 AND rt_id = $2 \
             AND ($3 IS NULL OR rt_version = $3) RETURNING {ENTITY_COLUMNS}"
        );
        let deleted = sqlx::query_as::<DB, EntityRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(id_text(rt_id))
            .bind(expected_version.map(to_i64))
            .fetch_optional(&mut *tx)
            .await
            .map_err(fail())?;
        match deleted {
            Some(row) => {
                let entity = RtEntity::try_from(row)?;
                tx.commit().await.map_err(fail())?;
                Ok(WriteOutcome::Done(entity))
            }
            None => {
                tx.rollback().await.map_err(fail())?;
                missed_write(self, tenant_id, rt_id, expected_version).await
            }
        }
    }

    async fn list_entities(
        &self,
        tenant_id: &TenantId,
        ck_type_ids: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RtEntity>, StoreError> {
        let (filter, next) = entity_filter(ck_type_ids);
        // No OFFSET on the first page, as in `query_sql::entity_statements`: it keeps
        // PostgreSQL from planning the statement again at every call.
        let mut sql =
            format!("SELECT {ENTITY_COLUMNS} FROM entities{filter} ORDER BY rt_id LIMIT ${next}");
        if offset > 0 {
            sql.push_str(&format!(" OFFSET ${}", next + 1));
        }
        let mut query = sqlx::query_as::<DB, EntityRow>(&sql).bind(tenant_text(tenant_id));
        for ck_type_id in ck_type_ids {
            query = query.bind(ck_type_id.clone());
        }
        query = query.bind(i64::from(limit));
        if offset > 0 {
            query = query.bind(i64::from(offset));
        }
        query
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| format!("list the entities of tenant '{tenant_id}'")))?
            .into_iter()
            .map(RtEntity::try_from)
            .collect()
    }

    async fn count_entities(
        &self,
        tenant_id: &TenantId,
        ck_type_ids: &[String],
    ) -> Result<u64, StoreError> {
        let (filter, _) = entity_filter(ck_type_ids);
        let sql = format!("SELECT COUNT(*) FROM entities{filter}");
        let mut query = sqlx::query_scalar::<DB, i64>(&sql).bind(tenant_text(tenant_id));
        for ck_type_id in ck_type_ids {
            query = query.bind(ck_type_id.clone());
        }
        let count = query
            .fetch_one(&self.pool)
            .await
            .map_err(self.fail(|| format!("count the entities of tenant '{tenant_id}'")))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    // --- Entity queries ----------------------------------------------------

    async fn query_entities(
        &self,
        tenant_id: &TenantId,
        query: &EntityQuery,
    ) -> Result<EntityPage, StoreError> {
        let _timer = crate::metrics::QueryTimer::start("query_entities");
        let statements = query_sql::entity_statements(DB::BACKEND, tenant_id, query)?;
        let page = &statements.page;
        let fail = |err: sqlx::Error| {
            invalid_pattern(&err).unwrap_or_else(|| {
                self.error(err, || {
                    format!("query the entities of tenant '{tenant_id}'")
                })
            })
        };
        // The page first: when it is not full, it is the end of the matches and the total
        // follows from it, which saves the count statement for most lookups.
        let entities = if query.limit == 0 {
            Vec::new()
        } else {
            sqlx::query_as_with::<DB, EntityRow, _>(&page.sql, arguments(&page.params)?)
                .fetch_all(&self.pool)
                .await
                .map_err(fail)?
                .into_iter()
                .map(RtEntity::try_from)
                .collect::<Result<Vec<_>, _>>()?
        };
        let page_len = u64::try_from(entities.len()).unwrap_or(u64::MAX);
        let ends_here = query.limit > 0
            && page_len < u64::from(query.limit)
            && (page_len > 0 || query.offset == 0);
        let total_count = if ends_here {
            u64::from(query.offset) + page_len
        } else {
            let (count, params) = statements.count();
            let total = sqlx::query_scalar_with::<DB, i64, _>(&count, arguments(params)?)
                .fetch_one(&self.pool)
                .await
                .map_err(fail)?;
            u64::try_from(total).unwrap_or(0)
        };
        Ok(EntityPage {
            total_count,
            entities,
        })
    }

    async fn aggregate_entities(
        &self,
        tenant_id: &TenantId,
        query: &AggregationQuery,
    ) -> Result<Vec<AggregateRow>, StoreError> {
        let _timer = crate::metrics::QueryTimer::start("aggregate_entities");
        let operation = || format!("aggregate the entities of tenant '{tenant_id}'");
        let mut cast = NumericCast::Direct;
        let (aggregation, rows) = loop {
            let aggregation = query_sql::aggregation(DB::BACKEND, tenant_id, query, cast)?;
            let statement = &aggregation.statement;
            let result = sqlx::query_scalar_with::<DB, String, _>(
                &statement.sql,
                arguments(&statement.params)?,
            )
            .fetch_all(&self.pool)
            .await;
            match result {
                Ok(rows) => break (aggregation, rows),
                // A stored value does not match its attribute's type (see
                // NumericCast): run the guarded statement once.
                Err(err)
                    if cast == NumericCast::Direct
                        && err
                            .as_database_error()
                            .and_then(|db| db.code())
                            .is_some_and(|code| code == query_sql::JSONB_CAST_FAILED) =>
                {
                    cast = NumericCast::Guarded;
                }
                Err(err) => {
                    return Err(invalid_pattern(&err).unwrap_or_else(|| self.error(err, operation)));
                }
            }
        };
        rows.iter()
            .map(|text| {
                query_sql::aggregate_row(&aggregation.columns, text).ok_or_else(|| {
                    StoreError::Database {
                        operation: operation(),
                        cause: format!("unexpected result row {text}"),
                    }
                })
            })
            .collect()
    }

    async fn ensure_attribute_index(
        &self,
        tenant_id: &TenantId,
        ck_type_id: &str,
        fields: &[PathRef],
    ) -> Result<(), StoreError> {
        let (name, sql) = query_sql::index_statement(DB::BACKEND, fields)?;
        let fail = || {
            self.fail(|| {
                format!("create index {name} for type '{ck_type_id}' of tenant '{tenant_id}'")
            })
        };
        // Checked first so that the common case, an index that exists,
        // takes no lock on the table (CREATE INDEX IF NOT EXISTS locks it
        // before it looks) and does not re-analyze it.
        let existing = sqlx::query_scalar::<DB, i64>(DB::INDEX_EXISTS)
            .bind(name.clone())
            .fetch_one(&self.pool)
            .await
            .map_err(fail())?;
        if existing > 0 {
            return Ok(());
        }
        let result = sqlx::query::<DB>(&sql).execute(&self.pool).await;
        match result {
            Ok(_) => {}
            // Another process created the same index at the same moment:
            // `IF NOT EXISTS` does not cover that race on PostgreSQL, which
            // then reports a duplicate table (42P07) or catalog row.
            Err(err)
                if error_kind(&err) == Some(ErrorKind::UniqueViolation)
                    || err
                        .as_database_error()
                        .and_then(|db| db.code())
                        .is_some_and(|code| code == "42P07") => {}
            Err(err) => return Err(fail()(err)),
        }
        let mut conn = self.pool.acquire().await.map_err(fail())?;
        for statement in DB::ANALYZE_ENTITIES {
            sqlx::query::<DB>(statement)
                .execute(&mut *conn)
                .await
                .map_err(fail())?;
        }
        tracing::info!(%tenant_id, ck_type_id, index = %name, "attribute index created");
        Ok(())
    }
    // --- Associations ------------------------------------------------------

    async fn insert_exclusive_association(
        &self,
        association: &Association,
        ends: ExclusiveEnds,
    ) -> Result<ExclusiveInsert, StoreError> {
        let a = association;
        let fail = || {
            self.fail(|| {
                format!(
                    "insert association '{}' from {} to {} in tenant '{}'",
                    a.role_id, a.origin_rt_id, a.target_rt_id, a.tenant_id
                )
            })
        };
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        // Origin keys before target keys, in every transaction: lock order is fixed, so two
        // inserts cannot deadlock on each other's ends.
        let constrained = [
            (ends.origin, Direction::Outbound, &a.origin_rt_id),
            (ends.target, Direction::Inbound, &a.target_rt_id),
        ];
        for (exclusive, direction, rt_id) in constrained {
            if !exclusive {
                continue;
            }
            let (here, _) = association_columns(direction);
            if let Some(lock) = DB::KEY_LOCK {
                sqlx::query::<DB>(lock)
                    .bind(format!(
                        "association-end/{}/{}/{here}/{rt_id}",
                        a.tenant_id, a.role_id
                    ))
                    .execute(&mut *tx)
                    .await
                    .map_err(fail())?;
            }
            let sql = format!(
                "SELECT COUNT(*) FROM associations WHERE tenant_id = $1 AND {here} = $2 AND role_id = $3"
            );
            let existing = sqlx::query_scalar::<DB, i64>(&sql)
                .bind(tenant_text(&a.tenant_id))
                .bind(id_text(rt_id))
                .bind(a.role_id.clone())
                .fetch_one(&mut *tx)
                .await
                .map_err(fail())?;
            if existing > 0 {
                // Dropping the transaction rolls it back (and releases the locks).
                return Ok(match direction {
                    Direction::Outbound => ExclusiveInsert::OriginTaken,
                    Direction::Inbound => ExclusiveInsert::TargetTaken,
                });
            }
        }
        let sql = format!(
            "INSERT INTO associations ({ASSOCIATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        let inserted = sqlx::query::<DB>(&sql)
            .bind(tenant_text(&a.tenant_id))
            .bind(a.role_id.clone())
            .bind(id_text(&a.origin_rt_id))
            .bind(a.origin_ck_type_id.clone())
            .bind(id_text(&a.target_rt_id))
            .bind(a.target_ck_type_id.clone())
            .bind(SqlTime::from(a.created_at))
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {
                tx.commit().await.map_err(fail())?;
                Ok(ExclusiveInsert::Inserted)
            }
            Err(err) => {
                drop(tx);
                Err(
                    insert_association_error(self, err, a, |err, what| self.error(err, || what))
                        .await,
                )
            }
        }
    }

    async fn insert_association(&self, association: &Association) -> Result<(), StoreError> {
        let a = association;
        let sql = format!(
            "INSERT INTO associations ({ASSOCIATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        let result = sqlx::query::<DB>(&sql)
            .bind(tenant_text(&a.tenant_id))
            .bind(a.role_id.clone())
            .bind(id_text(&a.origin_rt_id))
            .bind(a.origin_ck_type_id.clone())
            .bind(id_text(&a.target_rt_id))
            .bind(a.target_ck_type_id.clone())
            .bind(SqlTime::from(a.created_at))
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                Err(
                    insert_association_error(self, err, a, |err, what| self.error(err, || what))
                        .await,
                )
            }
        }
    }

    async fn delete_association(
        &self,
        tenant_id: &TenantId,
        role_id: &str,
        origin_rt_id: &OctoObjectId,
        target_rt_id: &OctoObjectId,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query::<DB>(
            "DELETE FROM associations WHERE tenant_id = $1 AND origin_rt_id = $2 \
             AND role_id = $3 AND target_rt_id = $4",
        )
        .bind(tenant_text(tenant_id))
        .bind(id_text(origin_rt_id))
        .bind(role_id.to_owned())
        .bind(id_text(target_rt_id))
        .execute(&self.pool)
        .await
        .map_err(self.fail(|| {
            format!(
                "delete association '{role_id}' from {origin_rt_id} to {target_rt_id} \
                 in tenant '{tenant_id}'"
            )
        }))?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn list_associations(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        direction: Direction,
        role_id: Option<&str>,
    ) -> Result<Vec<Association>, StoreError> {
        let (here, there) = association_columns(direction);
        let sql = format!(
            "SELECT {ASSOCIATION_COLUMNS} FROM associations \
             WHERE tenant_id = $1 AND {here} = $2 AND ($3 IS NULL OR role_id = $3) \
             ORDER BY role_id, {there}"
        );
        sqlx::query_as::<DB, AssociationRow>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(id_text(rt_id))
            .bind(role_id.map(str::to_owned))
            .fetch_all(&self.pool)
            .await
            .map_err(self.fail(|| {
                format!("list the associations of entity {rt_id} in tenant '{tenant_id}'")
            }))?
            .into_iter()
            .map(Association::try_from)
            .collect()
    }

    async fn count_associations(
        &self,
        tenant_id: &TenantId,
        rt_id: &OctoObjectId,
        direction: Direction,
        role_id: &str,
    ) -> Result<u64, StoreError> {
        let (here, _) = association_columns(direction);
        let sql = format!(
            "SELECT COUNT(*) FROM associations WHERE tenant_id = $1 AND {here} = $2 AND role_id = $3"
        );
        let count = sqlx::query_scalar::<DB, i64>(&sql)
            .bind(tenant_text(tenant_id))
            .bind(id_text(rt_id))
            .bind(role_id.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(self.fail(|| {
                format!("count the associations of entity {rt_id} in tenant '{tenant_id}'")
            }))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    // --- Whole-tenant batches and snapshots --------------------------------

    async fn write_runtime_batch(
        &self,
        tenant_id: &TenantId,
        entities: &[RtEntity],
        associations: &[Association],
        mode: EntityWriteMode,
    ) -> Result<BatchReport, StoreError> {
        let fail = || self.fail(|| format!("import runtime data into tenant '{tenant_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        let exists =
            sqlx::query_scalar::<DB, String>("SELECT tenant_id FROM tenants WHERE tenant_id = $1")
                .bind(tenant_text(tenant_id))
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail())?;
        if exists.is_none() {
            return Err(StoreError::tenant_not_found(tenant_id));
        }
        let mut report = BatchReport::default();
        // Upsert: an existing row of the same type is overwritten (its
        // creation time kept, its version raised); of another type the
        // WHERE leaves it alone and returns no row.
        let on_conflict = match mode {
            EntityWriteMode::InsertOnly => "",
            EntityWriteMode::Upsert => {
                " ON CONFLICT (tenant_id, rt_id) DO UPDATE SET \
                 attributes = excluded.attributes, \
                 rt_well_known_name = excluded.rt_well_known_name, \
                 rt_state = excluded.rt_state, \
                 rt_changed_date_time = excluded.rt_changed_date_time, \
                 rt_version = entities.rt_version + 1 \
                 WHERE entities.ck_type_id = excluded.ck_type_id"
            }
        };
        let sql = format!(
            "INSERT INTO entities ({ENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)\
             {on_conflict} RETURNING rt_version"
        );
        for entity in entities {
            let written = sqlx::query_scalar::<DB, i64>(&sql)
                .bind(tenant_text(tenant_id))
                .bind(id_text(&entity.rt_id))
                .bind(entity.ck_type_id.clone())
                .bind(entity.rt_well_known_name.clone())
                .bind(1_i64)
                .bind(SqlTime::from(entity.rt_creation_date_time))
                .bind(SqlTime::from(entity.rt_changed_date_time))
                .bind(entity.rt_state)
                .bind(Json(entity.attributes.clone()))
                .fetch_optional(&mut *tx)
                .await;
            match written {
                // Inserted rows start at version 1, updated ones are above it.
                Ok(Some(1)) => report.entities_inserted += 1,
                Ok(Some(_)) => report.entities_updated += 1,
                Ok(None) => {
                    return Err(StoreError::Duplicate {
                        what: format!(
                            "{} of another type than '{}'",
                            entity_label(tenant_id, entity.rt_id),
                            entity.ck_type_id
                        ),
                    });
                }
                Err(err) if error_kind(&err) == Some(ErrorKind::UniqueViolation) => {
                    return Err(StoreError::Duplicate {
                        what: entity_label(tenant_id, entity.rt_id),
                    });
                }
                Err(err) => return Err(fail()(err)),
            }
        }
        let sql = format!(
            "INSERT INTO associations ({ASSOCIATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, origin_rt_id, role_id, target_rt_id) DO NOTHING"
        );
        for a in associations {
            let result = sqlx::query::<DB>(&sql)
                .bind(tenant_text(tenant_id))
                .bind(a.role_id.clone())
                .bind(id_text(&a.origin_rt_id))
                .bind(a.origin_ck_type_id.clone())
                .bind(id_text(&a.target_rt_id))
                .bind(a.target_ck_type_id.clone())
                .bind(SqlTime::from(a.created_at))
                .execute(&mut *tx)
                .await;
            match result {
                Ok(done) if DB::rows_affected(&done) > 0 => report.associations_inserted += 1,
                Ok(_) => report.associations_unchanged += 1,
                Err(err) if error_kind(&err) == Some(ErrorKind::ForeignKeyViolation) => {
                    return Err(StoreError::NotFound {
                        what: format!(
                            "An end of association '{}' from {} to {} in tenant '{tenant_id}'",
                            a.role_id, a.origin_rt_id, a.target_rt_id
                        ),
                    });
                }
                Err(err) => return Err(fail()(err)),
            }
        }
        tx.commit().await.map_err(fail())?;
        Ok(report)
    }

    async fn read_tenant_snapshot(
        &self,
        tenant_id: &TenantId,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, StoreError> {
        let fail = || self.fail(|| format!("read a snapshot of tenant '{tenant_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_SNAPSHOT)
            .await
            .map_err(fail())?;
        let exists =
            sqlx::query_scalar::<DB, String>("SELECT tenant_id FROM tenants WHERE tenant_id = $1")
                .bind(tenant_text(tenant_id))
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail())?;
        if exists.is_none() {
            return Err(StoreError::tenant_not_found(tenant_id));
        }
        let mut counts = SnapshotCounts::default();
        let sql = format!(
            "SELECT {CK_MODEL_COLUMNS} FROM ck_models WHERE tenant_id = $1 ORDER BY model_name"
        );
        let models = sqlx::query_as::<DB, CkModelRow>(&sql)
            .bind(tenant_text(tenant_id))
            .fetch_all(&mut *tx)
            .await
            .map_err(fail())?
            .into_iter()
            .map(StoredCkModel::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        counts.ck_models = models.len() as u64;
        sink.ck_models(&models)?;
        // Keyset paging: each page starts after the last key of the one before.
        let sql = format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE tenant_id = $1 AND rt_id > $2 \
             ORDER BY rt_id LIMIT $3"
        );
        let mut after = String::new();
        loop {
            let page = sqlx::query_as::<DB, EntityRow>(&sql)
                .bind(tenant_text(tenant_id))
                .bind(after.clone())
                .bind(i64::from(SNAPSHOT_PAGE))
                .fetch_all(&mut *tx)
                .await
                .map_err(fail())?
                .into_iter()
                .map(RtEntity::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            let Some(last) = page.last() else { break };
            after = id_text(&last.rt_id);
            counts.entities += page.len() as u64;
            sink.entities(&page)?;
        }
        let sql = format!(
            "SELECT {ASSOCIATION_COLUMNS} FROM associations WHERE tenant_id = $1 \
             AND (origin_rt_id, role_id, target_rt_id) > ($2, $3, $4) \
             ORDER BY origin_rt_id, role_id, target_rt_id LIMIT $5"
        );
        let mut after = (String::new(), String::new(), String::new());
        loop {
            let page = sqlx::query_as::<DB, AssociationRow>(&sql)
                .bind(tenant_text(tenant_id))
                .bind(after.0.clone())
                .bind(after.1.clone())
                .bind(after.2.clone())
                .bind(i64::from(SNAPSHOT_PAGE))
                .fetch_all(&mut *tx)
                .await
                .map_err(fail())?
                .into_iter()
                .map(Association::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            let Some(last) = page.last() else { break };
            after = (
                id_text(&last.origin_rt_id),
                last.role_id.clone(),
                id_text(&last.target_rt_id),
            );
            counts.associations += page.len() as u64;
            sink.associations(&page)?;
        }
        tx.commit().await.map_err(fail())?;
        Ok(counts)
    }

    async fn restore_tenant_snapshot(
        &self,
        tenant: &TenantRecord,
        source: &mut dyn SnapshotSource,
    ) -> Result<SnapshotCounts, StoreError> {
        let tenant_id = &tenant.tenant_id;
        let fail = || self.fail(|| format!("restore tenant '{tenant_id}'"));
        let mut tx = self
            .pool
            .begin_with(DB::BEGIN_WRITE)
            .await
            .map_err(fail())?;
        sqlx::query::<DB>(
            "INSERT INTO tenants (tenant_id, parent_tenant_id, database_name, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant_text(tenant_id))
        .bind(tenant.parent_tenant_id.as_ref().map(tenant_text))
        .bind(tenant.database_name.clone())
        .bind(SqlTime::from(tenant.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail())?;
        for table in ["associations", "entities", "ck_models"] {
            sqlx::query::<DB>(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(tenant_text(tenant_id))
                .execute(&mut *tx)
                .await
                .map_err(fail())?;
        }
        let duplicate = |err: sqlx::Error, what: String| {
            if error_kind(&err) == Some(ErrorKind::UniqueViolation) {
                StoreError::Duplicate { what }
            } else if error_kind(&err) == Some(ErrorKind::ForeignKeyViolation) {
                StoreError::NotFound {
                    what: format!("An end of {what}"),
                }
            } else {
                self.error(err, || format!("restore tenant '{tenant_id}'"))
            }
        };
        let mut counts = SnapshotCounts::default();
        while let Some(page) = source.next_ck_models()? {
            for model in page {
                sqlx::query::<DB>(
                    "INSERT INTO ck_models (tenant_id, model_name, model_id, state, \
                     state_reason, service_managed, document, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(tenant_text(tenant_id))
                .bind(model.model_name.clone())
                .bind(model.model_id.to_string())
                .bind(model.state.as_str().to_owned())
                .bind(model.state_reason.clone())
                .bind(model.service_managed)
                .bind(Json(model.document))
                .bind(SqlTime::from(model.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(|err| duplicate(err, format!("Model '{}'", model.model_name)))?;
                counts.ck_models += 1;
            }
        }
        let sql = format!(
            "INSERT INTO entities ({ENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        while let Some(page) = source.next_entities()? {
            for entity in page {
                sqlx::query::<DB>(&sql)
                    .bind(tenant_text(tenant_id))
                    .bind(id_text(&entity.rt_id))
                    .bind(entity.ck_type_id)
                    .bind(entity.rt_well_known_name)
                    .bind(to_i64(entity.rt_version))
                    .bind(SqlTime::from(entity.rt_creation_date_time))
                    .bind(SqlTime::from(entity.rt_changed_date_time))
                    .bind(entity.rt_state)
                    .bind(Json(entity.attributes))
                    .execute(&mut *tx)
                    .await
                    .map_err(|err| duplicate(err, entity_label(tenant_id, entity.rt_id)))?;
                counts.entities += 1;
            }
        }
        let sql = format!(
            "INSERT INTO associations ({ASSOCIATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        while let Some(page) = source.next_associations()? {
            for a in page {
                sqlx::query::<DB>(&sql)
                    .bind(tenant_text(tenant_id))
                    .bind(a.role_id.clone())
                    .bind(id_text(&a.origin_rt_id))
                    .bind(a.origin_ck_type_id)
                    .bind(id_text(&a.target_rt_id))
                    .bind(a.target_ck_type_id)
                    .bind(SqlTime::from(a.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|err| {
                        duplicate(
                            err,
                            format!(
                                "association '{}' from {} to {}",
                                a.role_id, a.origin_rt_id, a.target_rt_id
                            ),
                        )
                    })?;
                counts.associations += 1;
            }
        }
        tx.commit().await.map_err(fail())?;
        Ok(counts)
    }
}
