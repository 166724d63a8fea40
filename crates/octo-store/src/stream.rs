//! Stream data (time series) behind its own trait, [`StreamStore`]: one table
//! per archive, holding samples `(time, source, column values…)`.
//!
//! The store knows nothing of archives as CK entities: the caller describes
//! an archive's table with an [`ArchiveTable`] (tenant, archive id, typed
//! columns) on every call, so the definition has one owner (the archive
//! entity) and the store never caches a copy that could go stale.
//!
//! Times are microseconds since the Unix epoch (UTC) in a `BIGINT`, on both
//! backends: the same SQL buckets and compares them, and nothing is lost to
//! a text or float round trip. A time range is half open: `from` inclusive,
//! `to` exclusive.
//!
//! Layout (see `stream_sql`): PostgreSQL keeps each tenant's archives in a
//! schema `streamdata_<tenant>`, one table per archive, range-partitioned by
//! day on the time and indexed on (source, time); SQLite keeps the same table
//! as `streamdata_<tenant>__<archive>` in the main database. Both mark an
//! initialised tenant store with a row in `stream_stores`.

use async_trait::async_trait;

use octo_ids::{OctoObjectId, TenantId};

use crate::error::StoreError;
use crate::query::{AggregateFunction, FilterOperator};

/// The type of an archive column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamColumnKind {
    /// 64-bit integers (CK Int, Int64).
    Integer,
    /// Floating point numbers (CK Double).
    Double,
    /// true / false.
    Boolean,
    /// Text: strings, enum names, date-times in RFC 3339 form.
    Text,
}

impl StreamColumnKind {
    /// Whether sum and avg apply.
    #[must_use]
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Double)
    }
}

/// One typed column of an archive table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamColumn {
    /// The column's SQL name: 1 to 48 lowercase ASCII letters, digits and
    /// `_`, starting with a letter. Checked by every operation.
    pub name: String,
    /// Its value type.
    pub kind: StreamColumnKind,
}

/// Which archive table an operation is about and what its columns are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveTable {
    /// The tenant owning the archive.
    pub tenant_id: TenantId,
    /// The archive entity's id; names the table.
    pub archive_id: OctoObjectId,
    /// The value columns, in order. Samples carry their values in this order.
    pub columns: Vec<StreamColumn>,
}

/// One value of a sample column or a query result cell.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamValue {
    /// No value.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating point number; never NaN or infinite.
    Double(f64),
    /// A boolean.
    Boolean(bool),
    /// Text.
    Text(String),
}

/// One sample: a time, the entity it is about and one value per column.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSample {
    /// Microseconds since the Unix epoch (UTC).
    pub time: i64,
    /// The `rtId` of the entity the sample is about.
    pub source: String,
    /// One value per column of the archive, in the table's column order
    /// (for a query: in the order of the requested columns).
    pub values: Vec<StreamValue>,
}

/// A condition on one column's values.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFilter {
    /// Index into [`ArchiveTable::columns`].
    pub column: usize,
    /// Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual), In,
    /// NotIn, IsNull, IsNotNull; other operators are refused.
    pub operator: FilterOperator,
    /// The operand(s): none for IsNull/IsNotNull, one or more for In/NotIn,
    /// exactly one otherwise; of the column's kind.
    pub values: Vec<StreamValue>,
}

/// How deep And / Or groups may nest in one [`StreamFilterExpr`] (the root group is level 1).
/// Deeper trees are refused: nothing real needs them, and each level is a recursion both here
/// and in the database's planner.
pub const MAX_STREAM_FILTER_DEPTH: usize = 16;
/// How many conditions one [`StreamFilterExpr`] may hold in all.
pub const MAX_STREAM_FILTER_CONDITIONS: usize = 256;
/// How many values (operands, counting every In / NotIn item) one [`StreamFilterExpr`] may
/// bind in all: keeps a statement well below SQLite's 32 766 parameters.
pub const MAX_STREAM_FILTER_VALUES: usize = 5_000;

/// Conditions on column values combined with And / Or, nested to any depth up to
/// [`MAX_STREAM_FILTER_DEPTH`]. Evaluated as SQL does: a condition on a null value is not
/// true (only `IsNull` matches it), and with And / Or only (no Not) "not true" is false.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamFilterExpr {
    /// One condition.
    Condition(StreamFilter),
    /// All of them hold; an empty list matches every sample (no condition).
    And(Vec<StreamFilterExpr>),
    /// At least one of them holds; an empty list matches no sample (no alternative holds).
    /// The stream-data service never sends one: it refuses empty groups.
    Or(Vec<StreamFilterExpr>),
}

impl Default for StreamFilterExpr {
    /// No condition: `And` of nothing.
    fn default() -> Self {
        Self::And(Vec::new())
    }
}

impl StreamFilterExpr {
    /// All of `filters` (the flat list queries took before filter trees).
    #[must_use]
    pub fn all(filters: Vec<StreamFilter>) -> Self {
        Self::And(filters.into_iter().map(Self::Condition).collect())
    }

    /// Whether this is no condition at all (`And` of nothing), which matches every sample.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::And(parts) if parts.is_empty())
    }
}

/// Which samples a query looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamSelection {
    /// Inclusive lower bound of the time (µs), if any.
    pub from: Option<i64>,
    /// Exclusive upper bound of the time (µs), if any.
    pub to: Option<i64>,
    /// Only samples of these sources; all when empty.
    pub sources: Vec<String>,
    /// The filter tree that must hold; [`StreamFilterExpr::is_empty`] (the default) when
    /// there is none.
    pub filters: StreamFilterExpr,
}

/// Raw samples, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRowsQuery {
    /// Which samples.
    pub selection: StreamSelection,
    /// Which columns to return (indexes into the table's columns), in order.
    pub columns: Vec<usize>,
    /// Newest first instead of oldest first (ties broken by source).
    pub descending: bool,
    /// At most this many samples (at least 1).
    pub limit: u32,
}

/// One aggregate of a [`StreamAggregation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamAggregate {
    /// count, sum, avg, min or max.
    pub function: AggregateFunction,
    /// The column aggregated; `None` only for count (counts samples).
    pub column: Option<usize>,
}

/// A key of a grouped aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamGroupKey {
    /// The sample's source `rtId`.
    Source,
    /// A column's value.
    Column(usize),
}

/// Equal time buckets for downsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamBuckets {
    /// The start of the first bucket (µs).
    pub origin: i64,
    /// The width of each bucket (µs, at least 1).
    pub width: i64,
}

/// Aggregates over the selected samples: one row without grouping, one row
/// per group (ordered by the keys, nulls last) with `group_by`, one row per
/// non-empty bucket (ordered by time) with `buckets`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAggregation {
    /// Which samples.
    pub selection: StreamSelection,
    /// The group keys; each result row starts with their values.
    pub group_by: Vec<StreamGroupKey>,
    /// With buckets, each result row starts with the bucket's start time
    /// (µs, as an integer) before the group keys.
    pub buckets: Option<StreamBuckets>,
    /// The aggregates; each result row ends with their values. sum of an
    /// integer column is an integer, avg is always a double, count an
    /// integer, min and max have the column's kind.
    pub aggregates: Vec<StreamAggregate>,
}

/// What the storage of one archive holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// Whether the archive's table exists.
    pub table_exists: bool,
    /// How many samples it holds.
    pub record_count: u64,
    /// Bytes on disk, indexes included.
    pub size_bytes: u64,
    /// The earliest sample time (µs), if any.
    pub first_time: Option<i64>,
    /// The latest sample time (µs), if any.
    pub last_time: Option<i64>,
}

/// Stream-data persistence: a tenant's archive runtime store and its archive
/// tables. Implemented for both backends by [`crate::SqlStore`].
#[async_trait]
pub trait StreamStore: Send + Sync {
    /// Creates the tenant's archive runtime store, or completes a half
    /// created one; a no-op if it is whole. [`StoreError::NotFound`] if the
    /// tenant does not exist.
    async fn init_stream_store(&self, tenant_id: &TenantId) -> Result<(), StoreError>;

    /// Whether the tenant's archive runtime store is whole (registered and,
    /// on PostgreSQL, its schema exists).
    async fn stream_store_exists(&self, tenant_id: &TenantId) -> Result<bool, StoreError>;

    /// Removes the tenant's archive runtime store with every archive table
    /// in it; `false` if there was none.
    async fn drop_stream_store(&self, tenant_id: &TenantId) -> Result<bool, StoreError>;

    /// Creates the archive's table (and, on PostgreSQL, partitions for the
    /// days around now) unless it exists. Needs an initialised store.
    async fn create_archive_table(&self, table: &ArchiveTable) -> Result<(), StoreError>;

    /// Whether the archive's table exists.
    async fn archive_table_exists(&self, table: &ArchiveTable) -> Result<bool, StoreError>;

    /// Drops the archive's table and its samples; `false` if it did not exist.
    async fn drop_archive_table(&self, table: &ArchiveTable) -> Result<bool, StoreError>;

    /// Writes the samples in one transaction: all of them or, on any
    /// failure, none. Each sample carries one value per column, of the
    /// column's kind (or null). Returns how many were written.
    async fn write_samples(
        &self,
        table: &ArchiveTable,
        samples: &[StreamSample],
    ) -> Result<u64, StoreError>;

    /// The selected samples with the requested columns, in time order.
    async fn query_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamRowsQuery,
    ) -> Result<Vec<StreamSample>, StoreError>;

    /// Aggregates in the database; see [`StreamAggregation`] for the shape.
    async fn aggregate_samples(
        &self,
        table: &ArchiveTable,
        query: &StreamAggregation,
    ) -> Result<Vec<Vec<StreamValue>>, StoreError>;

    /// Row count, size and time range of the archive's table.
    async fn archive_stats(&self, table: &ArchiveTable) -> Result<StreamStats, StoreError>;

    /// Removes samples older than `cutoff` (µs): whole day partitions on
    /// PostgreSQL, then the rest row by row. Returns how many rows were
    /// removed row by row plus the row counts of dropped partitions.
    async fn delete_samples_before(
        &self,
        table: &ArchiveTable,
        cutoff: i64,
    ) -> Result<u64, StoreError>;
}
