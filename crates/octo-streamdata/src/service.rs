//! [`StreamData`]: the stream-data service of every tenant: enabling, the archive life cycle,
//! writes, queries, storage statistics and retention, each resolved through the four-stage
//! cascade (tenant → model enabled → archive runtime store → archive) so a failure names the
//! stage.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use octo_ck::CkLibrary;
use octo_ck_service::{CkService, Feature};
use octo_ids::{OctoObjectId, TenantId};
use octo_store::aggregate_spec::ColumnRequest;
use octo_store::{
    AggregateFunction, ArchiveTable, CkModelState, Store, StreamAggregate, StreamAggregation,
    StreamBuckets, StreamRowsQuery, StreamSample, StreamValue, WriteOutcome,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::archive::{
    Archive, ArchiveStatus, MODEL_NAME, RAW_ARCHIVE_TYPE, TableColumn, table_for,
};
use crate::error::StreamDataError;
use crate::paths::{self, ArchivePath};
use crate::query::{self, Window};
use crate::rollup::RollupUse;
use crate::sample::{format_timestamp, sample_from_json, to_json};

/// The most rows a simple query returns, and its default.
pub const MAX_ROWS: u32 = 10_000;
pub const DEFAULT_ROWS: u32 = 1_000;
/// Archives listed per page when the service walks a tenant's archives.
const PAGE: u32 = 500;

/// The stream-data service; cheap to clone.
#[derive(Clone, Debug)]
pub struct StreamData {
    ck: Arc<CkService>,
}

/// What `enable_stream_data` did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableReport {
    pub model_id: String,
    /// False when the model was already loaded and the store whole.
    pub changed: bool,
    /// Archives and rollups whose missing table was recreated (empty; maintenance recomputes
    /// rollups from the raw samples).
    pub repaired_archives: Vec<String>,
}

/// An archive and its table, ready for reads and writes.
#[derive(Debug, Clone)]
pub struct ResolvedArchive {
    pub archive: Archive,
    pub table: ArchiveTable,
    pub columns: Vec<TableColumn>,
}

/// One raw sample of a query result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRow {
    pub rt_id: String,
    pub ck_type_id: String,
    pub timestamp: String,
    /// Column path → value.
    pub values: Map<String, Value>,
}

/// The rows of a simple query and how many samples match without the limit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResult {
    pub rows: Vec<StreamRow>,
    pub total_count: u64,
}

/// Storage statistics of one archive.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageStats {
    pub archive_rt_id: String,
    pub table_exists: bool,
    pub record_count: u64,
    pub size_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `Healthy`, `NotActivated`, `Disabled`, `Failed`, `TableMissing` or `NotFound`.
    pub health: String,
}

/// The time span of a downsampling: equal buckets between `from` and `to`, at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub limit: i64,
}

/// A simple query.
#[derive(Debug, Clone, Default)]
pub struct SimpleQuery {
    pub column_paths: Vec<String>,
    pub window: Window,
    pub limit: Option<u32>,
    pub descending: bool,
}

impl StreamData {
    #[must_use]
    pub fn new(ck: Arc<CkService>) -> Self {
        Self { ck }
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        self.ck.store()
    }

    pub(crate) async fn ck_library(
        &self,
        tenant: &TenantId,
    ) -> Result<Arc<CkLibrary>, StreamDataError> {
        Ok(self.ck.library(tenant).await?)
    }

    // --- The cascade ----------------------------------------------------------------------

    async fn require_tenant(&self, tenant: &TenantId) -> Result<(), StreamDataError> {
        match self.store().get_tenant(tenant).await? {
            Some(_) => Ok(()),
            None => Err(StreamDataError::TenantNotFound(tenant.clone())),
        }
    }

    pub(crate) async fn model_enabled(&self, tenant: &TenantId) -> Result<bool, StreamDataError> {
        Ok(self
            .store()
            .get_ck_model(tenant, MODEL_NAME)
            .await?
            .is_some_and(|m| m.state == CkModelState::Available))
    }

    /// Stages 1 to 3; returns the tenant's library.
    pub(crate) async fn ready(&self, tenant: &TenantId) -> Result<Arc<CkLibrary>, StreamDataError> {
        self.require_tenant(tenant).await?;
        if !self.model_enabled(tenant).await? {
            return Err(StreamDataError::NotEnabled(tenant.clone()));
        }
        if !self.store().stream_store_exists(tenant).await? {
            return Err(StreamDataError::StoreNotInitialised(tenant.clone()));
        }
        Ok(self.ck.library(tenant).await?)
    }

    /// Stage 4 after stages 1 to 3: the archive entity, read.
    pub async fn archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<(Archive, Arc<CkLibrary>), StreamDataError> {
        let library = self.ready(tenant).await?;
        let archive = self.find_archive(tenant, archive_rt_id).await?;
        Ok((archive, library))
    }

    pub(crate) async fn find_archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let not_found = || StreamDataError::ArchiveNotFound(archive_rt_id.trim().to_owned());
        let rt_id: OctoObjectId = archive_rt_id.trim().parse().map_err(|_| not_found())?;
        let entity = self
            .store()
            .get_entity(tenant, &rt_id)
            .await?
            .filter(|e| e.ck_type_id == RAW_ARCHIVE_TYPE)
            .ok_or_else(not_found)?;
        Archive::from_entity(entity)
    }

    /// The archive with its table layout (columns resolved against the archived type).
    pub async fn resolve(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<ResolvedArchive, StreamDataError> {
        let (archive, library) = self.archive(tenant, archive_rt_id).await?;
        layout(tenant, &library, archive)
    }

    // --- Enabling -------------------------------------------------------------------------

    /// Loads the System.StreamData model and initialises the archive runtime store; repairs a
    /// half-initialised one (recreating missing tables of activated and disabled archives).
    pub async fn enable(&self, tenant: &TenantId) -> Result<EnableReport, StreamDataError> {
        self.require_tenant(tenant).await?;
        let (model_id, model_changed) = self.ck.enable(tenant, Feature::StreamData).await?;
        let store_missing = !self.store().stream_store_exists(tenant).await?;
        self.store().init_stream_store(tenant).await?;
        let library = self.ck.library(tenant).await?;
        let mut repaired = Vec::new();
        for archive in self.archives(tenant).await? {
            if !matches!(
                archive.status,
                ArchiveStatus::Activated | ArchiveStatus::Disabled
            ) {
                continue;
            }
            let rt_id = archive.rt_id();
            // An archive whose columns no longer resolve is left as it is; its queries say why.
            let Ok(resolved) = layout(tenant, &library, archive) else {
                continue;
            };
            if !self.store().archive_table_exists(&resolved.table).await? {
                self.store().create_archive_table(&resolved.table).await?;
                repaired.push(rt_id);
            }
        }
        repaired.extend(self.repair_rollups(tenant).await?);
        Ok(EnableReport {
            model_id,
            changed: model_changed || store_missing || !repaired.is_empty(),
            repaired_archives: repaired,
        })
    }

    /// Removes the model from the tenant; with `delete_data` also the archive runtime store and
    /// every sample. Returns whether the model was loaded and whether data was deleted.
    pub async fn disable(
        &self,
        tenant: &TenantId,
        delete_data: bool,
    ) -> Result<(bool, bool), StreamDataError> {
        self.require_tenant(tenant).await?;
        let changed = self.ck.disable(tenant, Feature::StreamData).await?;
        let deleted = if delete_data {
            self.store().drop_stream_store(tenant).await?
        } else {
            false
        };
        Ok((changed, deleted))
    }

    /// Every archive entity of the tenant that reads cleanly.
    pub(crate) async fn archives(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<Archive>, StreamDataError> {
        let types = [RAW_ARCHIVE_TYPE.to_owned()];
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store()
                .list_entities(tenant, &types, PAGE, offset)
                .await?;
            let done = page.len() < PAGE as usize;
            out.extend(
                page.into_iter()
                    .filter_map(|e| Archive::from_entity(e).ok()),
            );
            if done {
                return Ok(out);
            }
            offset += PAGE;
        }
    }

    /// The tenant's archives that have a table (activated or disabled), with their layouts;
    /// empty when the tenant has no stream data. What a tenant dump copies.
    pub async fn archive_tables(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ResolvedArchive>, StreamDataError> {
        if !self.model_enabled(tenant).await? || !self.store().stream_store_exists(tenant).await? {
            return Ok(Vec::new());
        }
        let library = self.ck.library(tenant).await?;
        let mut out = Vec::new();
        for archive in self.archives(tenant).await? {
            // An archive whose columns do not resolve has no table to copy.
            let Ok(resolved) = layout(tenant, &library, archive) else {
                continue;
            };
            if self.store().archive_table_exists(&resolved.table).await? {
                out.push(resolved);
            }
        }
        Ok(out)
    }

    /// After a tenant restore replaced its models and entities: drops the cached library and
    /// enables stream data again (store and archive tables recreated as in [`Self::enable`]).
    pub async fn enable_after_restore(
        &self,
        tenant: &TenantId,
    ) -> Result<EnableReport, StreamDataError> {
        self.ck.invalidate(tenant).await;
        self.enable(tenant).await
    }

    // --- Paths ----------------------------------------------------------------------------

    /// The attribute paths of `ck_type_id` an archive could record.
    pub async fn available_paths(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        max_depth: Option<u32>,
    ) -> Result<Vec<ArchivePath>, StreamDataError> {
        if ck_type_id.trim().is_empty() {
            return Err(StreamDataError::invalid("ckTypeId is required."));
        }
        self.require_tenant(tenant).await?;
        let library = self.ck.library(tenant).await?;
        paths::available_paths(
            &library,
            ck_type_id.trim(),
            max_depth.unwrap_or(paths::DEFAULT_MAX_DEPTH),
        )
    }

    // --- Life cycle -----------------------------------------------------------------------

    pub(crate) async fn set_status(
        &self,
        tenant: &TenantId,
        archive: &Archive,
        status: ArchiveStatus,
        last_error: Option<&str>,
    ) -> Result<Archive, StreamDataError> {
        let outcome = self
            .store()
            .update_entity(
                tenant,
                &archive.entity.rt_id,
                Some(archive.entity.rt_version),
                archive.attributes_with(status, last_error),
                None,
            )
            .await?;
        match outcome {
            WriteOutcome::Done(entity) => Archive::from_entity(entity),
            WriteOutcome::Conflict(_) => Err(StreamDataError::State(format!(
                "Archive '{}' was changed by someone else meanwhile; call the tool again.",
                archive.rt_id()
            ))),
            WriteOutcome::NotFound => Err(StreamDataError::ArchiveNotFound(archive.rt_id())),
        }
    }

    /// Creates the table; on failure the archive becomes Failed with the reason.
    async fn create_table(
        &self,
        tenant: &TenantId,
        library: &CkLibrary,
        archive: Archive,
    ) -> Result<Archive, StreamDataError> {
        let created = match layout(tenant, library, archive.clone()) {
            Ok(resolved) => self
                .store()
                .create_archive_table(&resolved.table)
                .await
                .map_err(StreamDataError::from),
            Err(error) => Err(error),
        };
        match created {
            Ok(()) => {
                self.set_status(tenant, &archive, ArchiveStatus::Activated, None)
                    .await
            }
            Err(error) => {
                let reason = error.to_string();
                self.set_status(tenant, &archive, ArchiveStatus::Failed, Some(&reason))
                    .await?;
                Err(StreamDataError::State(format!(
                    "Activation of archive '{}' failed: {reason} The archive is now Failed; fix \
                     the cause, then run retry_archive_activation.",
                    archive.rt_id()
                )))
            }
        }
    }

    /// Created → Activated (creates the table). Activating an activated archive is a no-op.
    pub async fn activate(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let (archive, library) = self.archive(tenant, archive_rt_id).await?;
        match archive.status {
            ArchiveStatus::Created | ArchiveStatus::Activating => {
                self.create_table(tenant, &library, archive).await
            }
            ArchiveStatus::Activated => Ok(archive),
            ArchiveStatus::Failed => Err(StreamDataError::State(format!(
                "Archive '{}' is Failed ({}); run retry_archive_activation.",
                archive.rt_id(),
                archive
                    .last_error
                    .as_deref()
                    .unwrap_or("no reason recorded")
            ))),
            ArchiveStatus::Disabled => Err(StreamDataError::State(format!(
                "Archive '{}' is Disabled; run enable_archive to take samples again.",
                archive.rt_id()
            ))),
        }
    }

    /// Failed → Activated, retrying the table; also repairs an activated archive whose table
    /// is missing.
    pub async fn retry_activation(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let (archive, library) = self.archive(tenant, archive_rt_id).await?;
        match archive.status {
            ArchiveStatus::Failed | ArchiveStatus::Activating | ArchiveStatus::Activated => {
                self.create_table(tenant, &library, archive).await
            }
            other => Err(StreamDataError::State(format!(
                "Archive '{}' is {other}, not Failed; {}",
                archive.rt_id(),
                if other == ArchiveStatus::Created {
                    "run activate_archive."
                } else {
                    "run enable_archive."
                }
            ))),
        }
    }

    /// Activated → Disabled: writes are refused, samples kept.
    pub async fn disable_archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let (archive, _) = self.archive(tenant, archive_rt_id).await?;
        match archive.status {
            ArchiveStatus::Activated => {
                self.set_status(tenant, &archive, ArchiveStatus::Disabled, None)
                    .await
            }
            ArchiveStatus::Disabled => Ok(archive),
            other => Err(StreamDataError::State(format!(
                "Archive '{}' is {other}; only an Activated archive can be disabled.",
                archive.rt_id()
            ))),
        }
    }

    /// Disabled → Activated (the table is recreated if it went missing).
    pub async fn enable_archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let (archive, library) = self.archive(tenant, archive_rt_id).await?;
        match archive.status {
            ArchiveStatus::Disabled => self.create_table(tenant, &library, archive).await,
            ArchiveStatus::Activated => Ok(archive),
            other => Err(StreamDataError::State(format!(
                "Archive '{}' is {other}, not Disabled; {}",
                archive.rt_id(),
                if other == ArchiveStatus::Failed {
                    "run retry_archive_activation."
                } else {
                    "run activate_archive."
                }
            ))),
        }
    }

    /// Drops the table and deletes the archive entity, with its rollups (tables, state and
    /// entities).
    pub async fn delete_archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Archive, StreamDataError> {
        let (archive, _) = self.archive(tenant, archive_rt_id).await?;
        let table = ArchiveTable {
            tenant_id: tenant.clone(),
            archive_id: archive.entity.rt_id,
            columns: Vec::new(),
        };
        // Its rollups aggregate nothing any more: they go with it.
        self.delete_rollups_of(tenant, &archive.entity.rt_id)
            .await?;
        self.store().drop_archive_table(&table).await?;
        self.store()
            .delete_entity(tenant, &archive.entity.rt_id, None)
            .await?;
        Ok(archive)
    }

    // --- Writes ---------------------------------------------------------------------------

    /// The archive, checked to take samples (Activated).
    pub async fn writable(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<ResolvedArchive, StreamDataError> {
        let resolved = self.resolve(tenant, archive_rt_id).await?;
        let archive = &resolved.archive;
        match archive.status {
            ArchiveStatus::Activated => Ok(resolved),
            ArchiveStatus::Disabled => Err(StreamDataError::State(format!(
                "Archive '{}' is Disabled and refuses samples; run enable_archive first.",
                archive.rt_id()
            ))),
            ArchiveStatus::Failed => Err(StreamDataError::State(format!(
                "Archive '{}' is Failed ({}); run retry_archive_activation first.",
                archive.rt_id(),
                archive
                    .last_error
                    .as_deref()
                    .unwrap_or("no reason recorded")
            ))),
            ArchiveStatus::Created | ArchiveStatus::Activating => {
                Err(StreamDataError::State(format!(
                    "Archive '{}' is not activated yet; run activate_archive first.",
                    archive.rt_id()
                )))
            }
        }
    }

    /// Writes already converted samples in one all-or-nothing batch.
    pub async fn write_samples(
        &self,
        archive: &ResolvedArchive,
        samples: &[StreamSample],
    ) -> Result<u64, StreamDataError> {
        let written = match self.store().write_samples(&archive.table, samples).await {
            Ok(written) => written,
            Err(error) => return Err(self.explain_missing_table(archive, error).await),
        };
        // Samples behind a rollup's watermark make their buckets stale until recomputed.
        let times: Vec<i64> = samples.iter().map(|s| s.time).collect();
        self.mark_rollups_dirty(&archive.table, &times).await?;
        Ok(written)
    }

    /// A failure on an archive whose table has gone says so, and how to repair it.
    pub(crate) async fn explain_missing_table(
        &self,
        archive: &ResolvedArchive,
        error: octo_store::StoreError,
    ) -> StreamDataError {
        let tenant = &archive.table.tenant_id;
        match self.store().stream_store_exists(tenant).await {
            Ok(false) => return StreamDataError::StoreNotInitialised(tenant.clone()),
            Ok(true) => {}
            Err(_) => return error.into(),
        }
        match self.store().archive_table_exists(&archive.table).await {
            Ok(false) => StreamDataError::State(format!(
                "The table of archive '{}' is missing; run retry_archive_activation to recreate \
                 it (empty).",
                archive.archive.rt_id()
            )),
            _ => error.into(),
        }
    }

    /// Checks and writes JSON rows (`{timestamp, rtId, values}`) in one all-or-nothing batch;
    /// a bad row is reported by its index and nothing is written.
    pub async fn write_rows(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        rows: &[Value],
    ) -> Result<u64, StreamDataError> {
        let archive = self.writable(tenant, archive_rt_id).await?;
        let samples = rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                sample_from_json(&archive.columns, row)
                    .map_err(|reason| StreamDataError::invalid(format!("Row {index}: {reason}.")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.write_samples(&archive, &samples).await
    }

    // --- Queries --------------------------------------------------------------------------

    /// Raw samples with the requested columns, oldest first (or newest first).
    pub async fn query_simple(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        query: &SimpleQuery,
    ) -> Result<SimpleResult, StreamDataError> {
        let resolved = self.resolve(tenant, archive_rt_id).await?;
        if query.column_paths.is_empty() {
            return Err(StreamDataError::invalid(
                "columnPaths must contain at least one path.",
            ));
        }
        let limit = query.limit.unwrap_or(DEFAULT_ROWS);
        if limit == 0 {
            return Err(StreamDataError::invalid("limit must be > 0."));
        }
        let columns = query
            .column_paths
            .iter()
            .map(|p| query::column_index(&resolved.columns, p))
            .collect::<Result<Vec<_>, _>>()?;
        let selection = query::selection(&resolved.columns, &query.window)?;
        let samples = self
            .store()
            .query_samples(
                &resolved.table,
                &StreamRowsQuery {
                    selection: selection.clone(),
                    columns: columns.clone(),
                    descending: query.descending,
                    limit: limit.min(MAX_ROWS),
                },
            )
            .await;
        let samples = match samples {
            Ok(samples) => samples,
            Err(error) => return Err(self.explain_missing_table(&resolved, error).await),
        };
        let count = self
            .store()
            .aggregate_samples(
                &resolved.table,
                &StreamAggregation {
                    selection,
                    group_by: Vec::new(),
                    buckets: None,
                    aggregates: vec![StreamAggregate {
                        function: AggregateFunction::Count,
                        column: None,
                    }],
                },
            )
            .await?;
        let total_count = match count.first().and_then(|row| row.first()) {
            Some(StreamValue::Integer(n)) => u64::try_from(*n).unwrap_or_default(),
            _ => 0,
        };
        let names: Vec<&str> = columns
            .iter()
            .map(|i| resolved.columns[*i].resolved.path.as_str())
            .collect();
        let rows = samples
            .into_iter()
            .map(|sample| StreamRow {
                rt_id: sample.source,
                ck_type_id: resolved.archive.target_ck_type_id.clone(),
                timestamp: format_timestamp(sample.time),
                values: names
                    .iter()
                    .zip(&sample.values)
                    .map(|(name, value)| ((*name).to_owned(), to_json(value)))
                    .collect(),
            })
            .collect();
        Ok(SimpleResult { rows, total_count })
    }

    /// Aggregates (no grouping) or grouped aggregates; rows keyed by group path and alias.
    pub async fn query_aggregation(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        aggregations: &[ColumnRequest],
        group_by: Option<&[Option<String>]>,
        window: &Window,
    ) -> Result<Vec<Map<String, Value>>, StreamDataError> {
        let resolved = self.resolve(tenant, archive_rt_id).await?;
        let checked = query::aggregation(&resolved.columns, aggregations, group_by)?;
        let selection = query::selection(&resolved.columns, window)?;
        let rows = self
            .aggregate(
                &resolved,
                StreamAggregation {
                    selection,
                    group_by: checked.group_by.clone(),
                    buckets: None,
                    aggregates: checked.aggregates.clone(),
                },
            )
            .await?;
        let names: Vec<&str> = checked
            .group_names
            .iter()
            .chain(&checked.aliases)
            .map(String::as_str)
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| {
                names
                    .iter()
                    .zip(&row)
                    .map(|(name, value)| ((*name).to_owned(), to_json(value)))
                    .collect()
            })
            .collect())
    }

    /// Equal buckets between `from` and `to`, at most `limit`; each row has `bucketStart` and
    /// one key per alias. Empty buckets are left out. Read from a rollup of the archive where one
    /// fits (see [`crate::rollup`]); the answer is the same either way.
    pub async fn query_downsampling(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        aggregations: &[ColumnRequest],
        span: Span,
        window: &Window,
    ) -> Result<Vec<Map<String, Value>>, StreamDataError> {
        Ok(self
            .downsampling(tenant, archive_rt_id, aggregations, span, window, true)
            .await?
            .0)
    }

    /// [`Self::query_downsampling`] from the raw samples only, never from a rollup.
    pub async fn query_downsampling_raw(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        aggregations: &[ColumnRequest],
        span: Span,
        window: &Window,
    ) -> Result<Vec<Map<String, Value>>, StreamDataError> {
        Ok(self
            .downsampling(tenant, archive_rt_id, aggregations, span, window, false)
            .await?
            .0)
    }

    pub(crate) async fn downsampling(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        aggregations: &[ColumnRequest],
        span: Span,
        window: &Window,
        use_rollups: bool,
    ) -> Result<(Vec<Map<String, Value>>, Option<RollupUse>), StreamDataError> {
        let Span { from, to, limit } = span;
        let resolved = self.resolve(tenant, archive_rt_id).await?;
        let width = query::bucket_width(from, to, limit)?;
        let checked = query::aggregation(&resolved.columns, aggregations, None)?;
        let mut window = window.clone();
        window.from = Some(from);
        window.to = Some(to);
        let selection = query::selection(&resolved.columns, &window)?;
        let planned = if use_rollups {
            self.downsample_from_rollup(&resolved, &selection, width, &checked.aggregates)
                .await?
        } else {
            None
        };
        let (rows, used) = match planned {
            Some((rows, used)) => (rows, Some(used)),
            None => (
                self.aggregate(
                    &resolved,
                    StreamAggregation {
                        selection,
                        group_by: Vec::new(),
                        buckets: Some(StreamBuckets {
                            origin: from.timestamp_micros(),
                            width,
                        }),
                        aggregates: checked.aggregates.clone(),
                    },
                )
                .await?,
                None,
            ),
        };
        let rows = rows
            .into_iter()
            .map(|row| {
                let mut out = Map::new();
                let mut cells = row.into_iter();
                if let Some(StreamValue::Integer(start)) = cells.next() {
                    out.insert(
                        "bucketStart".to_owned(),
                        Value::from(format_timestamp(start)),
                    );
                }
                for (alias, value) in checked.aliases.iter().zip(cells) {
                    out.insert(alias.clone(), to_json(&value));
                }
                out
            })
            .collect();
        Ok((rows, used))
    }

    pub(crate) async fn aggregate(
        &self,
        resolved: &ResolvedArchive,
        query: StreamAggregation,
    ) -> Result<Vec<Vec<StreamValue>>, StreamDataError> {
        match self
            .store()
            .aggregate_samples(&resolved.table, &query)
            .await
        {
            Ok(rows) => Ok(rows),
            Err(error) => Err(self.explain_missing_table(resolved, error).await),
        }
    }

    // --- Statistics and retention ---------------------------------------------------------

    /// Per archive: table, row count, size, time range and health. Unknown ids get a
    /// `NotFound` row rather than failing the call, since this is how ids are verified.
    pub async fn storage_stats(
        &self,
        tenant: &TenantId,
        archive_rt_ids: &[String],
    ) -> Result<Vec<StorageStats>, StreamDataError> {
        if archive_rt_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.ready(tenant).await?;
        let mut out = Vec::new();
        for id in archive_rt_ids {
            let archive = match self.find_archive(tenant, id).await {
                Ok(archive) => archive,
                Err(StreamDataError::ArchiveNotFound(_)) => {
                    out.push(StorageStats {
                        archive_rt_id: id.trim().to_owned(),
                        table_exists: false,
                        record_count: 0,
                        size_bytes: 0,
                        first_timestamp: None,
                        last_timestamp: None,
                        status: None,
                        health: "NotFound".to_owned(),
                    });
                    continue;
                }
                Err(error) => return Err(error),
            };
            let table = ArchiveTable {
                tenant_id: tenant.clone(),
                archive_id: archive.entity.rt_id,
                columns: Vec::new(),
            };
            let stats = self.store().archive_stats(&table).await?;
            let health = match (archive.status, stats.table_exists) {
                (ArchiveStatus::Activated, true) => "Healthy",
                (ArchiveStatus::Activated | ArchiveStatus::Disabled, false) => "TableMissing",
                (ArchiveStatus::Disabled, true) => "Disabled",
                (ArchiveStatus::Failed, _) => "Failed",
                (ArchiveStatus::Created | ArchiveStatus::Activating, _) => "NotActivated",
            };
            out.push(StorageStats {
                archive_rt_id: archive.rt_id(),
                table_exists: stats.table_exists,
                record_count: stats.record_count,
                size_bytes: stats.size_bytes,
                first_timestamp: stats.first_time.map(format_timestamp),
                last_timestamp: stats.last_time.map(format_timestamp),
                status: Some(archive.status.to_string()),
                health: health.to_owned(),
            });
        }
        Ok(out)
    }

    /// Applies every archive's RetentionPeriod in the tenant at `now`; returns the samples
    /// removed. Tenants without stream data have nothing to do.
    pub async fn apply_retention(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<u64, StreamDataError> {
        if !self.model_enabled(tenant).await? || !self.store().stream_store_exists(tenant).await? {
            return Ok(0);
        }
        let mut removed = 0;
        for archive in self.archives(tenant).await? {
            let Some(period) = archive.retention_micros.filter(|p| *p > 0) else {
                continue;
            };
            let table = ArchiveTable {
                tenant_id: tenant.clone(),
                archive_id: archive.entity.rt_id,
                columns: Vec::new(),
            };
            if !self.store().archive_table_exists(&table).await? {
                continue;
            }
            removed += self
                .store()
                .delete_samples_before(&table, now.timestamp_micros() - period)
                .await?;
        }
        Ok(removed)
    }

    /// [`Self::apply_retention`] for every tenant; failures are logged and the sweep goes on.
    pub async fn apply_retention_everywhere(&self, now: DateTime<Utc>) -> u64 {
        let tenants = match self.store().list_tenants().await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "stream-data retention: cannot list tenants");
                return 0;
            }
        };
        let mut removed = 0;
        for tenant in tenants {
            match self.apply_retention(&tenant.tenant_id, now).await {
                Ok(n) => removed += n,
                Err(error) => {
                    tracing::warn!(tenant = %tenant.tenant_id, %error, "stream-data retention failed");
                }
            }
        }
        removed
    }
}

/// The archive's table layout, its columns resolved against the archived type.
pub(crate) fn layout(
    tenant: &TenantId,
    library: &CkLibrary,
    archive: Archive,
) -> Result<ResolvedArchive, StreamDataError> {
    let resolved = archive
        .columns
        .iter()
        .map(|c| paths::resolve(library, &archive.target_ck_type_id, &c.attribute_path))
        .collect::<Result<Vec<_>, _>>()?;
    let (table, columns) = table_for(tenant, &archive, resolved)?;
    Ok(ResolvedArchive {
        archive,
        table,
        columns,
    })
}
