//! Whole-tenant reads and writes for runtime-model imports and tenant
//! dumps: [`EntityWriteMode`] and the [`BatchReport`] of
//! [`crate::Store::write_runtime_batch`], and the page-by-page
//! [`SnapshotSink`] / [`SnapshotSource`] that
//! [`crate::Store::read_tenant_snapshot`] and
//! [`crate::Store::restore_tenant_snapshot`] stream through, so neither
//! holds a whole tenant in memory.

use serde::{Deserialize, Serialize};

use crate::association::Association;
use crate::ck_model::StoredCkModel;
use crate::entity::RtEntity;
use crate::error::StoreError;

/// How many rows one page of a snapshot holds.
pub const SNAPSHOT_PAGE: u32 = 1000;

/// What [`crate::Store::write_runtime_batch`] does with an entity whose
/// `rt_id` the tenant already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityWriteMode {
    /// Refuse the whole batch ([`StoreError::Duplicate`]).
    InsertOnly,
    /// Replace its attributes and well-known name and raise its version; it
    /// must keep its type (else [`StoreError::Duplicate`] names the clash).
    Upsert,
}

/// What one [`crate::Store::write_runtime_batch`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    /// Entities that did not exist before.
    pub entities_inserted: u64,
    /// Existing entities overwritten (only with [`EntityWriteMode::Upsert`]).
    pub entities_updated: u64,
    /// Associations added.
    pub associations_inserted: u64,
    /// Associations that already existed and were left as they were.
    pub associations_unchanged: u64,
}

/// How many rows of each kind a snapshot read or restored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotCounts {
    /// Construction Kit models.
    pub ck_models: u64,
    /// Runtime entities.
    pub entities: u64,
    /// Associations.
    pub associations: u64,
}

/// Receives a tenant's data page by page, models first, then entities
/// (by `rt_id`), then associations (by origin, role, target). An error
/// stops the read and is returned by it; use [`StoreError::Aborted`] for
/// the sink's own failures (e.g. a full disk).
pub trait SnapshotSink: Send {
    /// The tenant's models (one call; there are few).
    fn ck_models(&mut self, page: &[StoredCkModel]) -> Result<(), StoreError>;
    /// One page of entities.
    fn entities(&mut self, page: &[RtEntity]) -> Result<(), StoreError>;
    /// One page of associations.
    fn associations(&mut self, page: &[Association]) -> Result<(), StoreError>;
}

/// Yields a tenant's data page by page for a restore, in the order a
/// [`SnapshotSink`] receives it; `None` ends each kind. The rows' own
/// `tenant_id` is ignored: everything goes to the tenant restored into.
pub trait SnapshotSource: Send {
    /// The next page of models.
    fn next_ck_models(&mut self) -> Result<Option<Vec<StoredCkModel>>, StoreError>;
    /// The next page of entities.
    fn next_entities(&mut self) -> Result<Option<Vec<RtEntity>>, StoreError>;
    /// The next page of associations.
    fn next_associations(&mut self) -> Result<Option<Vec<Association>>, StoreError>;
}
