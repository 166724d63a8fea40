//! Rollups of stream data behind their own trait, [`RollupStore`]: per source archive, tables of
//! per-interval partial aggregates that answer downsampling without reading raw samples.
//!
//! A rollup table holds one row per (source `rtId`, bucket start) with, per aggregated archive
//! column, what merges exactly across buckets: the count of values, their sum (numeric columns),
//! their minimum and maximum (all but boolean columns), plus the number of samples. count, sum,
//! min and max of a range of buckets are then the count / sum / min / max of those rows, and the
//! average is sum / count.
//!
//! Runtime state lives in the control table `stream_rollups` (one row per rollup: source archive,
//! interval, watermark, frozen-until) and `stream_rollup_ranges` (dirty ranges written behind the
//! watermark, and gaps skipped by an unfreeze that accepted them). Invariants:
//!
//! - every bucket that ends at or before the watermark and overlaps no dirty or gap range holds
//!   exactly what the raw samples of its span held when it was computed; buckets at or after the
//!   watermark hold nothing;
//! - the watermark and the rows it describes change in one transaction that first locks the
//!   rollup's control row (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a second replica skips a rollup
//!   another one is computing; SQLite: the single write lock), and a recomputation deletes a span's
//!   rows before it inserts them (with an upsert on `(source, bucket)` besides), so running it twice
//!   never counts twice;
//! - a sample write that lands behind the watermark marks its buckets dirty in a transaction that
//!   takes the same row lock, waiting for a running computation: either the computation saw the
//!   sample or the mark sees the advanced watermark, so no late sample is lost.

use async_trait::async_trait;

use octo_ids::{OctoObjectId, TenantId};

use crate::error::StoreError;
use crate::stream::{ArchiveTable, StreamAggregate, StreamValue};

/// Which rollup an operation is about: its source archive's table and what it aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupTable {
    /// The source archive's table (tenant, archive id, columns).
    pub source: ArchiveTable,
    /// The rollup entity's id; names the rollup table.
    pub rollup_id: OctoObjectId,
    /// The bucket width in microseconds (at least 1); buckets start at multiples of it since
    /// the Unix epoch.
    pub interval: i64,
    /// The aggregated columns: indexes into the source's columns, without duplicates.
    pub columns: Vec<usize>,
}

/// A half-open time range `[from, to)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupRange {
    /// Inclusive start.
    pub from: i64,
    /// Exclusive end.
    pub to: i64,
}

/// The runtime state of one rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupState {
    /// The rollup's id.
    pub rollup_id: OctoObjectId,
    /// The source archive's id.
    pub archive_id: OctoObjectId,
    /// The bucket width (µs).
    pub interval: i64,
    /// The end of the last computed bucket (µs); `None` before the first computation.
    pub watermark: Option<i64>,
    /// Maintenance does not advance the watermark past this time (µs) while it is set.
    pub frozen_until: Option<i64>,
    /// Buckets written behind the watermark, waiting for recomputation.
    pub dirty: Vec<RollupRange>,
    /// Spans an unfreeze skipped (`acceptGaps`): no rollup rows there; queries read raw.
    pub gaps: Vec<RollupRange>,
}

/// What one maintenance step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupProgress {
    /// False when another process holds the rollup (nothing was done).
    pub claimed: bool,
    /// Dirty ranges recomputed.
    pub recomputed: u64,
    /// The watermark after the step.
    pub watermark: Option<i64>,
    /// Whether the watermark reached the target (or the freeze), so no further step is due.
    pub caught_up: bool,
}

/// What a rewind did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewindOutcome {
    /// Buckets at or after the new watermark were deleted.
    Rewound,
    /// The target is after the watermark (or nothing was computed yet): nothing changed.
    BeyondWatermark {
        /// The current watermark.
        watermark: Option<i64>,
    },
}

/// A downsampling answered from a rollup: buckets of `width` from `origin`, over rollup buckets
/// in `[from, to)`. `origin`, `from`, `to` and `width` must be multiples of the interval, with
/// `from >= origin`. Result rows: bucket start, then one value per aggregate, ordered by time,
/// empty buckets left out (as [`crate::StreamStore::aggregate_samples`] with buckets).
#[derive(Debug, Clone, PartialEq)]
pub struct RollupQuery {
    /// Inclusive start.
    pub from: i64,
    /// Exclusive end.
    pub to: i64,
    /// The start of the first result bucket.
    pub origin: i64,
    /// The width of a result bucket.
    pub width: i64,
    /// Only these sources; all when empty.
    pub sources: Vec<String>,
    /// The aggregates; their columns index the source archive's columns and must be among the
    /// rollup's columns (count without a column counts samples).
    pub aggregates: Vec<StreamAggregate>,
}

/// Rollup persistence. Implemented for both backends by [`crate::SqlStore`].
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// Creates the rollup table and its control row unless they exist. Needs an initialised
    /// archive runtime store.
    async fn create_rollup(&self, rollup: &RollupTable) -> Result<(), StoreError>;

    /// Drops the rollup table with its control row and ranges; `false` if there was none.
    async fn drop_rollup(
        &self,
        tenant_id: &TenantId,
        rollup_id: &OctoObjectId,
    ) -> Result<bool, StoreError>;

    /// Whether the rollup table exists.
    async fn rollup_table_exists(&self, rollup: &RollupTable) -> Result<bool, StoreError>;

    /// The rollup's runtime state, if it has a control row.
    async fn rollup_state(
        &self,
        tenant_id: &TenantId,
        rollup_id: &OctoObjectId,
    ) -> Result<Option<RollupState>, StoreError>;

    /// One maintenance step in one transaction: recomputes dirty ranges from the raw samples,
    /// then computes at most `max_buckets` buckets from the watermark towards `target_end`
    /// (rounded down to a bucket boundary, and not past the freeze), with one
    /// `INSERT … SELECT … GROUP BY` each, and advances the watermark. A rollup that has not
    /// started begins at the bucket of the source's first sample.
    async fn advance_rollup(
        &self,
        rollup: &RollupTable,
        target_end: i64,
        max_buckets: i64,
    ) -> Result<RollupProgress, StoreError>;

    /// After samples at `times` were written to the archive: marks their buckets dirty in every
    /// rollup of the archive whose watermark is past them. Returns how many ranges were marked.
    async fn mark_rollups_dirty(
        &self,
        tenant_id: &TenantId,
        archive_id: &OctoObjectId,
        times: &[i64],
    ) -> Result<u64, StoreError>;

    /// Sets (or clears) the freeze; `false` if the rollup has no control row.
    async fn freeze_rollup(
        &self,
        tenant_id: &TenantId,
        rollup_id: &OctoObjectId,
        until: Option<i64>,
    ) -> Result<bool, StoreError>;

    /// Clears the freeze; with `skip_to`, also moves the watermark forward to it (a bucket
    /// boundary) and records the skipped span as a gap, in one transaction. `false` if the
    /// rollup has no control row.
    async fn unfreeze_rollup(
        &self,
        rollup: &RollupTable,
        skip_to: Option<i64>,
    ) -> Result<bool, StoreError>;

    /// Deletes the buckets at or after `to` (a bucket boundary at or before the watermark) and
    /// their ranges, and sets the watermark to `to`, in one transaction.
    async fn rewind_rollup(
        &self,
        rollup: &RollupTable,
        to: i64,
    ) -> Result<RewindOutcome, StoreError>;

    /// Merges rollup rows into result buckets in the database; see [`RollupQuery`].
    async fn query_rollup(
        &self,
        rollup: &RollupTable,
        query: &RollupQuery,
    ) -> Result<Vec<Vec<StreamValue>>, StoreError>;

    /// Removes the rollup rows of buckets that end at or before `cutoff` (the rollup's own
    /// retention); returns how many.
    async fn delete_rollup_buckets_before(
        &self,
        rollup: &RollupTable,
        cutoff: i64,
    ) -> Result<u64, StoreError>;
}
