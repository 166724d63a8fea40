//! OctoMesh persistence behind one async trait, [`Store`], with two
//! backends: SQLite (embedded, the default) and PostgreSQL (production).
//!
//! [`open`] picks the backend by URL scheme and brings the schema up to date
//! (versioned migrations embedded in the binary):
//!
//! ```no_run
//! # async fn demo() -> Result<(), octo_store::StoreError> {
//! let store = octo_store::open("sqlite://data/octomesh.db").await?;
//! let tenants = store.list_tenants().await?;
//! # Ok(()) }
//! ```
//!
//! Every table is keyed by tenant first, so PostgreSQL can later distribute
//! it by tenant. The store holds tenants, Construction Kit models, import
//! jobs, runtime entities, associations, file-transfer records and MCP
//! sessions with their sealed login state, and
//! filters, sorts, pages and aggregates entities in SQL ([`Store::query_entities`],
//! [`Store::aggregate_entities`]).
//!
//! Modules:
//!
//! - [`aggregate_spec`]: aggregation requests as callers write them: the
//!   spec's checks and default aliases, shared by entities and stream data.
//! - [`store`]: the [`Store`] trait and [`Backend`].
//! - [`error`]: [`StoreError`], the crate's single error type.
//! - [`tenant`]: [`TenantRecord`], [`CleanReport`].
//! - [`ck_model`]: [`StoredCkModel`], [`CkModelState`].
//! - [`job`]: [`ImportJob`], [`JobState`].
//! - [`entity`]: [`RtEntity`], [`WriteOutcome`].
//! - [`association`]: [`Association`], [`Direction`].
//! - [`transfer`]: [`TransferRecord`], [`TransferKind`], [`TransferState`].
//! - [`auth`]: [`McpSessionRecord`], [`AuthTokenRecord`], [`DeviceFlowRecord`]: MCP sessions
//!   and their (sealed) login state.
//! - [`query`]: [`EntityQuery`], [`AggregationQuery`] and their parts:
//!   filtering, sorting, paging and aggregating entities in the database.
//! - [`snapshot`]: whole-tenant batches and snapshots: [`EntityWriteMode`],
//!   [`BatchReport`], [`SnapshotSink`], [`SnapshotSource`].
//! - [`sql_store`]: [`SqlStore`], the implementation shared by both backends.
//! - [`sqlite`]: [`SqliteStore`]: opening a SQLite file.
//! - [`postgres`]: [`PostgresStore`]: connecting to PostgreSQL.
//! - [`stream`]: [`StreamStore`], stream data (time series) in one table
//!   per archive; `stream_sql` (private) implements it for both backends.
//! - [`rollup`]: [`RollupStore`], per-interval partial aggregates of an archive maintained
//!   behind a watermark; `rollup_sql` (private) implements it for both backends.
//! - [`url`]: choosing the backend from a URL; [`url::redact`].
//! - `column` (private): parsing stored values back, reporting corruption.
//! - `query_sql` (private): turning queries into SQL for each backend.
//! - `timestamp` (private): how timestamps are bound on each backend.

pub mod aggregate_spec;
pub mod association;
pub mod auth;
pub mod ck_model;
mod column;
pub mod entity;
pub mod error;
pub mod job;
pub mod metrics;
pub mod postgres;
pub mod query;
mod query_sql;
pub mod rollup;
mod rollup_sql;
pub mod snapshot;
pub mod sql_store;
pub mod sqlite;
pub mod store;
pub mod stream;
mod stream_sql;
pub mod tenant;
mod timestamp;
pub mod transfer;
pub mod url;

use std::sync::Arc;

pub use association::{Association, Direction, ExclusiveEnds, ExclusiveInsert};
pub use auth::{AuthTokenRecord, DeviceFlowRecord, McpSessionRecord};
pub use ck_model::{CkModelState, StoredCkModel};
pub use entity::{RtEntity, WriteOutcome};
pub use error::StoreError;
pub use job::{ImportJob, JobState};
pub use postgres::PostgresStore;
pub use query::{
    AggregateColumn, AggregateFunction, AggregateRow, AggregationQuery, AttributePath, EntityPage,
    EntityQuery, FieldFilter, FilterExpr, FilterOperator, PathRef, SortDirection, SortKey,
    SystemAttribute, ValueKind,
};
pub use rollup::{
    RewindOutcome, RollupProgress, RollupQuery, RollupRange, RollupState, RollupStore, RollupTable,
};
pub use snapshot::{
    BatchReport, EntityWriteMode, SNAPSHOT_PAGE, SnapshotCounts, SnapshotSink, SnapshotSource,
};
pub use sql_store::SqlStore;
pub use sqlite::SqliteStore;
pub use store::{Backend, Store};
pub use stream::{
    ArchiveTable, MAX_STREAM_FILTER_CONDITIONS, MAX_STREAM_FILTER_DEPTH, MAX_STREAM_FILTER_VALUES,
    StreamAggregate, StreamAggregation, StreamBuckets, StreamColumn, StreamColumnKind,
    StreamFilter, StreamFilterExpr, StreamGroupKey, StreamRowsQuery, StreamSample, StreamSelection,
    StreamStats, StreamStore, StreamValue,
};
pub use tenant::{CleanReport, TenantRecord};
pub use transfer::{TransferKind, TransferRecord, TransferState};

/// Opens the store at `url` and brings its schema up to date:
///
/// - `sqlite://path` (relative or, with a third slash, absolute; the file
///   and its folder are created if missing) or `sqlite::memory:`;
/// - `postgres://…` or `postgresql://…`.
///
/// # Errors
/// [`StoreError::InvalidUrl`] for another scheme, otherwise as
/// [`SqliteStore::open`] and [`PostgresStore::connect`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match url::classify(url)? {
        url::DatabaseUrl::Sqlite(url) => Arc::new(SqliteStore::open(url).await?),
        url::DatabaseUrl::Postgres(url) => Arc::new(PostgresStore::connect(url).await?),
    };
    tracing::info!(
        backend = %store.backend(),
        url = %url::redact(url),
        "store opened"
    );
    Ok(store)
}
