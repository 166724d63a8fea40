//! Rollup archives: entities of `System.StreamData/RollupArchive` that pre-aggregate a source
//! archive (linked by `System.StreamData/RollupOf`) into fixed intervals, maintained behind a
//! watermark by [`StreamData::run_maintenance_once`], and read by downsampling when they fit.
//!
//! The entity owns the definition (Interval, Aggregations, State); the store owns the rows and
//! the runtime state (watermark, freeze, dirty ranges and gaps, see [`octo_store::rollup`]), so
//! the watermark always changes with the rows it describes. The entity's `Watermark` attribute
//! is not written: the store's is the one that counts, and every tool reports that one.
//!
//! Retention: the source archive's retention removes raw samples only; computed buckets stay
//! (that is what a rollup is for). A rollup's own `RetentionPeriod` removes its buckets. A bucket
//! recomputed after retention removed (part of) its raw samples (a late write into it, a rewind
//! or a backfill over it) holds only the samples that are left; a backfill therefore starts at
//! the bucket of the source's first remaining sample and leaves older buckets as they are.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    AggregateFunction, ArchiveTable, Direction, ImportJob, JobState, RewindOutcome, RollupQuery,
    RollupRange, RollupState, RollupTable, StreamAggregate, StreamAggregation, StreamBuckets,
    StreamColumnKind, StreamSelection, StreamValue,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::archive::{Archive, ArchiveStatus, parse_time_span};
use crate::error::StreamDataError;
use crate::query::{self, Window};
use crate::sample::format_timestamp;
use crate::service::{ResolvedArchive, StreamData, layout};

/// The runtime type id of rollup archives.
pub const ROLLUP_ARCHIVE_TYPE: &str = "System.StreamData/RollupArchive";
/// The association role from a rollup to its source archive.
pub const ROLLUP_OF_ROLE: &str = "System.StreamData/RollupOf";
/// The job kind of a backfill (a durable job in the store's queue).
pub const RECOMPUTE_JOB_KIND: &str = "rollup_recompute";
/// The shortest rollup interval; finer buckets would be as many rows as the samples.
pub const MIN_INTERVAL_MICROS: i64 = 1_000_000;
/// How long maintenance waits behind now before computing a bucket, so samples that arrive a
/// little late land before their bucket is computed (later ones mark it dirty).
pub const LATENESS_MICROS: i64 = 60_000_000;
/// Buckets computed per maintenance step (one transaction) at most.
const BUCKETS_PER_STEP: i64 = 10_000;
/// Steps per rollup per maintenance pass at most; the next pass goes on.
const STEPS_PER_PASS: u32 = 100;
/// Result buckets a downsampling may plan over a rollup; beyond this it reads raw.
const MAX_PLANNED_BUCKETS: i64 = 100_000;
/// Separate statements a planned downsampling may run; beyond this it reads raw.
const MAX_SEGMENTS: usize = 64;
/// A recompute job whose worker has sent no heartbeat for this long is queued again.
const STALE_JOB_MINUTES: i64 = 10;
/// Rollups listed per page.
const PAGE: u32 = 500;

/// One aggregate a rollup declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupAggregation {
    pub attribute_path: String,
    /// The System `AggregationTypes` name: Count, Sum, Average, Minimum or Maximum.
    pub aggregation_type: String,
}

/// A rollup archive entity, read.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// The base archive fields (Name, TargetCkTypeId, Columns, RetentionPeriod, State).
    pub archive: Archive,
    pub interval_micros: i64,
    pub aggregations: Vec<RollupAggregation>,
    pub source_archive_id: OctoObjectId,
}

/// A rollup with its source archive's layout and the store's description of its table.
#[derive(Debug, Clone)]
pub struct ResolvedRollup {
    pub rollup: Rollup,
    pub source: ResolvedArchive,
    pub table: RollupTable,
}

/// A rollup as `list_rollups_for_archive` reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupInfo {
    pub rt_id: String,
    pub name: String,
    pub source_archive_rt_id: String,
    /// .NET TimeSpan text, e.g. `01:00:00`.
    pub interval: String,
    pub bucket_size_ms: i64,
    pub aggregations: Vec<RollupAggregation>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen_until: Option<String>,
    /// Spans written behind the watermark that maintenance has not recomputed yet.
    pub dirty_ranges: usize,
    /// Spans skipped by an unfreeze with acceptGaps (answered from raw samples).
    pub gaps: usize,
    pub table_exists: bool,
}

/// A backfill job as the tools report it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecomputeJobInfo {
    /// The job's id.
    pub rt_id: String,
    pub rollup_rt_id: String,
    pub archive_rt_id: String,
    /// Queued, Running, Succeeded or Failed.
    pub state: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// What `get_rollup_query_metadata` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupQueryMetadata {
    pub rollup_rt_id: String,
    pub bucket_size_ms: i64,
    pub logical_source_paths: Vec<String>,
    pub interval: String,
}

/// What a downsampling read from a rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupUse {
    pub rollup_rt_id: String,
    pub interval: String,
    /// The rollup's watermark; later buckets (and dirty or skipped spans) came from raw.
    pub watermark: i64,
}

/// What one maintenance pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceReport {
    /// Rollups that were stepped (claimed) at least once.
    pub rollups_maintained: u64,
    /// Dirty ranges recomputed.
    pub ranges_recomputed: u64,
    /// Backfill jobs run to their end.
    pub jobs_run: u64,
    /// Raw samples removed by the archives' retention.
    pub samples_removed: u64,
    /// Rollup buckets removed by the rollups' retention.
    pub buckets_removed: u64,
}

/// `[-][d.]hh:mm:ss[.ffffff]`, as .NET writes a TimeSpan.
#[must_use]
pub fn format_time_span(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    let fraction = micros % 1_000_000;
    let seconds = micros / 1_000_000;
    let (days, hours, minutes, seconds) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let mut out = String::from(sign);
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    if fraction > 0 {
        out.push_str(&format!(".{fraction:06}"));
    }
    out
}

/// The stored `AggregationTypes` name of a requested aggregation type, and its function.
fn aggregation_type(text: &str) -> Option<(&'static str, AggregateFunction)> {
    Some(match text.trim().to_ascii_lowercase().as_str() {
        "count" => ("Count", AggregateFunction::Count),
        "sum" => ("Sum", AggregateFunction::Sum),
        "avg" | "average" => ("Average", AggregateFunction::Avg),
        "min" | "minimum" => ("Minimum", AggregateFunction::Min),
        "max" | "maximum" => ("Maximum", AggregateFunction::Max),
        _ => return None,
    })
}

fn field<'a>(attributes: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

impl Rollup {
    /// Reads a rollup entity whose source archive is `source_archive_id`.
    pub fn from_entity(
        entity: octo_store::RtEntity,
        source_archive_id: OctoObjectId,
    ) -> Result<Self, StreamDataError> {
        let rt_id = entity.rt_id;
        let broken = |what: &str| {
            StreamDataError::invalid(format!(
                "Rollup '{rt_id}' is not usable: {what}. Fix it with update_entity."
            ))
        };
        let empty = serde_json::Map::new();
        let attributes = entity.attributes.as_object().unwrap_or(&empty).clone();
        let interval = match field(&attributes, "Interval") {
            Some(Value::String(text)) => parse_time_span(text)
                .filter(|i| *i >= MIN_INTERVAL_MICROS)
                .ok_or_else(|| {
                    broken(&format!(
                        "Interval '{text}' is not a duration of 1 s or more"
                    ))
                })?,
            _ => return Err(broken("it has no Interval")),
        };
        let aggregations = match field(&attributes, "Aggregations") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let item = item.as_object()?;
                    let path = field(item, "AttributePath")?.as_str()?.to_owned();
                    let kind = match field(item, "AggregationType")? {
                        Value::String(name) => aggregation_type(name)?.0,
                        _ => return None,
                    };
                    Some(RollupAggregation {
                        attribute_path: path,
                        aggregation_type: kind.to_owned(),
                    })
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| broken("an aggregation has no AttributePath or AggregationType"))?,
            _ => Vec::new(),
        };
        let archive = Archive::from_entity(entity)?;
        Ok(Self {
            archive,
            interval_micros: interval,
            aggregations,
            source_archive_id,
        })
    }

    pub fn rt_id(&self) -> String {
        self.archive.rt_id()
    }

    /// The distinct aggregated paths, in declaration order.
    #[must_use]
    pub fn paths(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.aggregations
            .iter()
            .filter(|a| seen.insert(a.attribute_path.to_ascii_lowercase()))
            .map(|a| a.attribute_path.clone())
            .collect()
    }
}

/// A requested rollup definition, checked against the source archive.
#[derive(Debug, Clone)]
pub struct RollupDefinition {
    pub interval_micros: i64,
    /// As stored: `{AttributePath, AggregationType}` with the archive's spelling of the path.
    pub aggregations: Vec<RollupAggregation>,
}

/// One stretch of a planned downsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub from: i64,
    pub to: i64,
    pub from_rollup: bool,
}

/// Splits the result buckets of `[from, to)` (width `width`, from `from`) into stretches read
/// from the rollup (buckets that end on an interval boundary at or before the watermark and
/// touch no blocked range) and stretches read raw. `None` when there would be too many.
pub(crate) fn plan_segments(
    from: i64,
    to: i64,
    width: i64,
    interval: i64,
    watermark: i64,
    blocked: &[RollupRange],
) -> Option<Vec<Segment>> {
    if (to - from) / width > MAX_PLANNED_BUCKETS {
        return None;
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut start = from;
    while start < to {
        let end = start.saturating_add(width).min(to);
        let usable = end.rem_euclid(interval) == 0
            && end <= watermark
            && !blocked.iter().any(|r| r.from < end && start < r.to);
        match segments.last_mut() {
            Some(last) if last.from_rollup == usable => last.to = end,
            _ => segments.push(Segment {
                from: start,
                to: end,
                from_rollup: usable,
            }),
        }
        start = end;
    }
    (segments.len() <= MAX_SEGMENTS).then_some(segments)
}

impl StreamData {
    // --- Resolution -----------------------------------------------------------------------

    /// The rollups of the tenant, each with its source archive's id (rollups whose RollupOf
    /// association is missing are left out: they have no source to aggregate).
    async fn rollup_entities(&self, tenant: &TenantId) -> Result<Vec<Rollup>, StreamDataError> {
        let types = [ROLLUP_ARCHIVE_TYPE.to_owned()];
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store()
                .list_entities(tenant, &types, PAGE, offset)
                .await?;
            let done = page.len() < PAGE as usize;
            for entity in page {
                let Some(source) = self.source_of(tenant, &entity.rt_id).await? else {
                    continue;
                };
                if let Ok(rollup) = Rollup::from_entity(entity, source) {
                    out.push(rollup);
                }
            }
            if done {
                return Ok(out);
            }
            offset += PAGE;
        }
    }

    async fn source_of(
        &self,
        tenant: &TenantId,
        rollup_id: &OctoObjectId,
    ) -> Result<Option<OctoObjectId>, StreamDataError> {
        Ok(self
            .store()
            .list_associations(tenant, rollup_id, Direction::Outbound, Some(ROLLUP_OF_ROLE))
            .await?
            .first()
            .map(|a| a.target_rt_id))
    }

    /// Stages 1 to 3, then the rollup (`No rollup archive with rtId '…' found.`) and its source
    /// archive with its layout.
    pub async fn resolve_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let library = self.ready(tenant).await?;
        let id = rollup_rt_id.trim();
        let not_found = || StreamDataError::RollupNotFound(id.to_owned());
        let rt_id: OctoObjectId = id.parse().map_err(|_| not_found())?;
        let entity = self
            .store()
            .get_entity(tenant, &rt_id)
            .await?
            .filter(|e| e.ck_type_id == ROLLUP_ARCHIVE_TYPE)
            .ok_or_else(not_found)?;
        let source_id = self.source_of(tenant, &rt_id).await?.ok_or_else(|| {
            StreamDataError::invalid(format!(
                "Rollup '{id}' has no RollupOf association to a source archive; create it with \
                 create_association (role System.StreamData/RollupOf) or recreate the rollup with \
                 create_rollup_archive."
            ))
        })?;
        let rollup = Rollup::from_entity(entity, source_id)?;
        let archive = self.find_archive(tenant, &source_id.to_string()).await?;
        let source = layout(tenant, &library, archive)?;
        let table = rollup_table(&rollup, &source)?;
        Ok(ResolvedRollup {
            rollup,
            source,
            table,
        })
    }

    // --- Definition and activation --------------------------------------------------------

    /// Checks a rollup definition against the source archive (stages 1 to 4 on the source):
    /// the interval (`hh:mm:ss`, at least 1 s) and each aggregation's path and type.
    pub async fn check_rollup_definition(
        &self,
        tenant: &TenantId,
        source_archive_rt_id: &str,
        interval: &str,
        aggregations: &[(String, String)],
    ) -> Result<(ResolvedArchive, RollupDefinition), StreamDataError> {
        let source = self.resolve(tenant, source_archive_rt_id).await?;
        let interval_micros = parse_time_span(interval)
            .filter(|i| *i >= MIN_INTERVAL_MICROS)
            .ok_or_else(|| {
                StreamDataError::invalid(format!(
                    "interval '{interval}' is not a duration of at least one second; write it as \
                     [d.]hh:mm:ss, e.g. 01:00:00 for one hour."
                ))
            })?;
        if aggregations.is_empty() {
            return Err(StreamDataError::invalid(
                "aggregations must contain at least one {attributePath, aggregationType}.",
            ));
        }
        let mut checked = Vec::new();
        for (path, kind) in aggregations {
            let index = query::column_index(&source.columns, path)?;
            let column = &source.columns[index];
            let (name, function) = aggregation_type(kind).ok_or_else(|| {
                StreamDataError::invalid(format!(
                    "aggregationType '{kind}' of '{path}' is not one of Count, Sum, Average, \
                     Minimum, Maximum."
                ))
            })?;
            let kind_ok = match function {
                AggregateFunction::Sum | AggregateFunction::Avg => {
                    column.resolved.kind.is_numeric()
                }
                AggregateFunction::Min | AggregateFunction::Max => {
                    column.resolved.kind != StreamColumnKind::Boolean
                }
                AggregateFunction::Count => true,
            };
            if !kind_ok {
                return Err(StreamDataError::invalid(format!(
                    "{name} of '{}' is not possible: the column holds {:?} values.",
                    column.resolved.path, column.resolved.kind
                )));
            }
            checked.push(RollupAggregation {
                attribute_path: column.resolved.path.clone(),
                aggregation_type: name.to_owned(),
            });
        }
        Ok((
            source,
            RollupDefinition {
                interval_micros,
                aggregations: checked,
            },
        ))
    }

    /// Creates the rollup's table and control row and marks the entity Active; on failure the
    /// rollup becomes Failed with the reason. Maintenance then computes it from the raw samples.
    pub async fn activate_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let resolved = self.resolve_rollup(tenant, rollup_rt_id).await?;
        match self.store().create_rollup(&resolved.table).await {
            Ok(()) => {
                let archive = self
                    .set_status(
                        tenant,
                        &resolved.rollup.archive,
                        ArchiveStatus::Activated,
                        None,
                    )
                    .await?;
                let mut resolved = resolved;
                resolved.rollup.archive = archive;
                Ok(resolved)
            }
            Err(error) => {
                let reason = error.to_string();
                self.set_status(
                    tenant,
                    &resolved.rollup.archive,
                    ArchiveStatus::Failed,
                    Some(&reason),
                )
                .await?;
                Err(StreamDataError::State(format!(
                    "Activation of rollup '{}' failed: {reason}",
                    resolved.rollup.rt_id()
                )))
            }
        }
    }

    /// Recreates the table and state of every activated rollup that lost them (a repaired
    /// store, a restored tenant); maintenance then computes them again from the raw samples.
    /// Returns the ids of the rollups repaired.
    pub(crate) async fn repair_rollups(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<String>, StreamDataError> {
        let library = self.ck_library(tenant).await?;
        let mut repaired = Vec::new();
        for rollup in self.rollup_entities(tenant).await? {
            if rollup.archive.status != ArchiveStatus::Activated {
                continue;
            }
            // A rollup whose source no longer resolves is left as it is; its tools say why.
            let Ok(archive) = self
                .find_archive(tenant, &rollup.source_archive_id.to_string())
                .await
            else {
                continue;
            };
            let Ok(source) = layout(tenant, &library, archive) else {
                continue;
            };
            let Ok(table) = rollup_table(&rollup, &source) else {
                continue;
            };
            let missing = !self.store().rollup_table_exists(&table).await?
                || self
                    .store()
                    .rollup_state(tenant, &table.rollup_id)
                    .await?
                    .is_none();
            if missing {
                // Rows without state (or state without rows) are not to be trusted.
                self.store().drop_rollup(tenant, &table.rollup_id).await?;
                self.store().create_rollup(&table).await?;
                repaired.push(rollup.rt_id());
            }
        }
        Ok(repaired)
    }

    /// Empties the archive's rollups and forgets their watermarks, so maintenance computes them
    /// again from the raw samples; for writes that bypass [`StreamData::write_samples`] (a tenant
    /// restore refilling the archive). Returns how many rollups were reset.
    pub async fn reset_rollups_of(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<usize, StreamDataError> {
        let source = self.resolve(tenant, archive_rt_id).await?;
        let mut reset = 0;
        for rollup in self.linked_rollups(tenant, &source).await? {
            let rollup = rollup?;
            self.store()
                .drop_rollup(tenant, &rollup.archive.entity.rt_id)
                .await?;
            if rollup.archive.status == ArchiveStatus::Activated {
                self.store()
                    .create_rollup(&rollup_table(&rollup, &source)?)
                    .await?;
            }
            reset += 1;
        }
        Ok(reset)
    }

    /// The rollups linked to `source` by `RollupOf`, each read from its entity (a link whose
    /// entity is gone is left out). Each is parsed on its own: whether a rollup that does not
    /// parse stops the caller is the caller's choice.
    async fn linked_rollups(
        &self,
        tenant: &TenantId,
        source: &ResolvedArchive,
    ) -> Result<Vec<Result<Rollup, StreamDataError>>, StreamDataError> {
        let source_id = source.archive.entity.rt_id;
        let links = self
            .store()
            .list_associations(tenant, &source_id, Direction::Inbound, Some(ROLLUP_OF_ROLE))
            .await?;
        let mut rollups = Vec::with_capacity(links.len());
        for link in links {
            if let Some(entity) = self.store().get_entity(tenant, &link.origin_rt_id).await? {
                rollups.push(Rollup::from_entity(entity, source_id));
            }
        }
        Ok(rollups)
    }

    /// Drops the tables and state of the archive's rollups and deletes their entities.
    pub(crate) async fn delete_rollups_of(
        &self,
        tenant: &TenantId,
        archive_id: &OctoObjectId,
    ) -> Result<(), StreamDataError> {
        let links = self
            .store()
            .list_associations(tenant, archive_id, Direction::Inbound, Some(ROLLUP_OF_ROLE))
            .await?;
        for link in links {
            self.store().drop_rollup(tenant, &link.origin_rt_id).await?;
            self.store()
                .delete_entity(tenant, &link.origin_rt_id, None)
                .await?;
        }
        Ok(())
    }

    /// The rollups of an archive (stages 1 to 4 on the archive).
    pub async fn rollups_for_archive(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Vec<RollupInfo>, StreamDataError> {
        let source = self.resolve(tenant, archive_rt_id).await?;
        let mut out = Vec::new();
        for rollup in self.linked_rollups(tenant, &source).await? {
            let rollup = rollup?;
            let state = self
                .store()
                .rollup_state(tenant, &rollup.archive.entity.rt_id)
                .await?;
            let table_exists = match rollup_table(&rollup, &source) {
                Ok(table) => self.store().rollup_table_exists(&table).await?,
                Err(_) => false,
            };
            out.push(info(&rollup, state.as_ref(), table_exists));
        }
        out.sort_by(|a, b| a.rt_id.cmp(&b.rt_id));
        Ok(out)
    }

    /// Bucket size and logical source paths of a rollup.
    pub async fn rollup_query_metadata(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
    ) -> Result<RollupQueryMetadata, StreamDataError> {
        let resolved = self.resolve_rollup(tenant, rollup_rt_id).await?;
        let rollup = &resolved.rollup;
        Ok(RollupQueryMetadata {
            rollup_rt_id: rollup.rt_id(),
            bucket_size_ms: rollup.interval_micros / 1000,
            logical_source_paths: rollup.paths(),
            interval: format_time_span(rollup.interval_micros),
        })
    }

    // --- Runtime control ------------------------------------------------------------------

    async fn active_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let resolved = self.resolve_rollup(tenant, rollup_rt_id).await?;
        if self
            .store()
            .rollup_state(tenant, &resolved.rollup.archive.entity.rt_id)
            .await?
            .is_none()
        {
            return Err(StreamDataError::State(format!(
                "Rollup '{}' has no storage yet ({}); recreate it with create_rollup_archive.",
                resolved.rollup.rt_id(),
                resolved.rollup.archive.status
            )));
        }
        Ok(resolved)
    }

    /// Maintenance will not advance the watermark past `until`.
    pub async fn freeze_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
        until: DateTime<Utc>,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let resolved = self.active_rollup(tenant, rollup_rt_id).await?;
        self.store()
            .freeze_rollup(
                tenant,
                &resolved.table.rollup_id,
                Some(until.timestamp_micros()),
            )
            .await?;
        Ok(resolved)
    }

    /// Lifts the freeze. Maintenance then computes the span the freeze held back from the raw
    /// samples; with `accept_gaps` the watermark instead jumps to the last bucket that ended by
    /// `now` (less the lateness allowance) and the skipped span is recorded as a gap, which
    /// downsampling reads raw.
    pub async fn unfreeze_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
        accept_gaps: bool,
        now: DateTime<Utc>,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let resolved = self.active_rollup(tenant, rollup_rt_id).await?;
        let skip_to = accept_gaps.then(|| now.timestamp_micros() - LATENESS_MICROS);
        self.store()
            .unfreeze_rollup(&resolved.table, skip_to)
            .await?;
        Ok(resolved)
    }

    /// Deletes the buckets at or after `to_bucket_end` and sets the watermark there; the next
    /// maintenance recomputes them.
    pub async fn rewind_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
        to_bucket_end: DateTime<Utc>,
    ) -> Result<ResolvedRollup, StreamDataError> {
        let resolved = self.active_rollup(tenant, rollup_rt_id).await?;
        let interval = resolved.rollup.interval_micros;
        let to = to_bucket_end.timestamp_micros();
        let id = resolved.rollup.rt_id();
        if to.rem_euclid(interval) != 0 {
            return Err(StreamDataError::invalid(format!(
                "toBucketEnd {} is not a bucket boundary of rollup '{id}' (interval {}); use \
                 e.g. {}.",
                format_timestamp(to),
                format_time_span(interval),
                format_timestamp(to - to.rem_euclid(interval))
            )));
        }
        match self.store().rewind_rollup(&resolved.table, to).await? {
            RewindOutcome::Rewound => Ok(resolved),
            RewindOutcome::BeyondWatermark { watermark } => {
                Err(StreamDataError::invalid(match watermark {
                    Some(w) => format!(
                        "toBucketEnd {} is after the watermark of rollup '{id}' ({}); a rollup \
                         can only be rewound to its watermark or earlier.",
                        format_timestamp(to),
                        format_timestamp(w)
                    ),
                    None => format!(
                        "Rollup '{id}' has not computed any bucket yet; there is nothing to \
                         rewind."
                    ),
                }))
            }
        }
    }

    /// Queues a durable job that recomputes the rollup from the raw samples, from the bucket of
    /// the source's first sample to the present. `None` when the source holds no samples.
    pub async fn backfill_rollup(
        &self,
        tenant: &TenantId,
        rollup_rt_id: &str,
    ) -> Result<Option<RecomputeJobInfo>, StreamDataError> {
        let resolved = self.active_rollup(tenant, rollup_rt_id).await?;
        let stats = self.store().archive_stats(&resolved.source.table).await?;
        if stats.record_count == 0 {
            return Ok(None);
        }
        let job = self
            .store()
            .enqueue_job(
                tenant,
                RECOMPUTE_JOB_KIND,
                json!({
                    "rollupRtId": resolved.rollup.rt_id(),
                    "archiveRtId": resolved.source.archive.rt_id(),
                }),
            )
            .await?;
        Ok(Some(job_info(&job)))
    }

    /// The backfill jobs of a rollup (given its id) or of all rollups of a source archive
    /// (given the archive's id), newest first. Stages 1 to 3, then the rollup or archive.
    pub async fn recompute_jobs(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
    ) -> Result<Vec<RecomputeJobInfo>, StreamDataError> {
        self.ready(tenant).await?;
        let id = archive_rt_id.trim();
        let is_rollup = match id.parse::<OctoObjectId>() {
            Ok(rt_id) => self
                .store()
                .get_entity(tenant, &rt_id)
                .await?
                .is_some_and(|e| e.ck_type_id == ROLLUP_ARCHIVE_TYPE),
            Err(_) => false,
        };
        let (key, id) = if is_rollup {
            ("rollupRtId", id.to_owned())
        } else {
            (
                "archiveRtId",
                self.resolve(tenant, id).await?.archive.rt_id(),
            )
        };
        Ok(self
            .store()
            .list_jobs(tenant)
            .await?
            .iter()
            .filter(|job| job.kind == RECOMPUTE_JOB_KIND)
            .filter(|job| job.payload[key].as_str() == Some(id.as_str()))
            .map(job_info)
            .collect())
    }

    // --- Writes ---------------------------------------------------------------------------

    /// After samples were written: their buckets behind any rollup's watermark are recomputed
    /// by the next maintenance.
    pub(crate) async fn mark_rollups_dirty(
        &self,
        table: &ArchiveTable,
        times: &[i64],
    ) -> Result<(), StreamDataError> {
        self.store()
            .mark_rollups_dirty(&table.tenant_id, &table.archive_id, times)
            .await
            .map_err(|error| {
                StreamDataError::State(format!(
                    "The samples were written, but marking the rollups of archive '{}' for \
                     recomputation failed ({error}); run backfill_rollup_archive on its rollups.",
                    table.archive_id
                ))
            })?;
        Ok(())
    }

    // --- Maintenance ----------------------------------------------------------------------

    /// One maintenance pass over every tenant at `now`: backfill jobs, rollup maintenance,
    /// then the retention of archives and rollups. Failures are logged and the pass goes on.
    pub async fn run_maintenance_once(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
    ) -> MaintenanceReport {
        let mut report = MaintenanceReport::default();
        if let Err(error) = self
            .store()
            .requeue_stale_jobs(
                chrono::Duration::minutes(STALE_JOB_MINUTES),
                &[RECOMPUTE_JOB_KIND],
            )
            .await
        {
            tracing::warn!(%error, "stream-data maintenance: cannot requeue stale backfills");
        }
        loop {
            let job = match self
                .store()
                .claim_next_job(worker_id, &[RECOMPUTE_JOB_KIND])
                .await
            {
                Ok(Some(job)) => job,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "stream-data maintenance: cannot claim a backfill");
                    break;
                }
            };
            let outcome = self.run_backfill(&job, worker_id, now).await;
            if let Err(error) = &outcome {
                tracing::warn!(job = %job.job_id, %error, "rollup backfill failed");
            }
            let outcome = outcome.map_err(|e| e.to_string());
            if let Err(error) = self.store().complete_job(job.job_id, outcome).await {
                tracing::warn!(job = %job.job_id, %error, "cannot record a backfill's outcome");
            }
            report.jobs_run += 1;
        }
        let tenants = match self.store().list_tenants().await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "stream-data maintenance: cannot list tenants");
                return report;
            }
        };
        for tenant in &tenants {
            if let Err(error) = self
                .maintain_rollups(&tenant.tenant_id, now, &mut report)
                .await
            {
                tracing::warn!(tenant = %tenant.tenant_id, %error, "rollup maintenance failed");
            }
        }
        report.samples_removed = self.apply_retention_everywhere(now).await;
        report
    }

    /// Runs [`Self::run_maintenance_once`] every `every` until `shutdown` fires. Every replica
    /// may run it: rollups are claimed by row locks and backfills through the job queue.
    pub async fn run_maintenance(
        self,
        worker_id: String,
        every: std::time::Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = shutdown.cancelled() => break,
            }
            let report = self.run_maintenance_once(&worker_id, Utc::now()).await;
            if report != MaintenanceReport::default() {
                tracing::info!(?report, "stream-data maintenance");
            }
        }
    }

    async fn maintain_rollups(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        report: &mut MaintenanceReport,
    ) -> Result<(), StreamDataError> {
        if !self.model_enabled(tenant).await? || !self.store().stream_store_exists(tenant).await? {
            return Ok(());
        }
        let library = self.ck_library(tenant).await?;
        for rollup in self.rollup_entities(tenant).await? {
            if rollup.archive.status != ArchiveStatus::Activated {
                continue;
            }
            let id = rollup.rt_id();
            let step = async {
                let archive = self
                    .find_archive(tenant, &rollup.source_archive_id.to_string())
                    .await?;
                let source = layout(tenant, &library, archive)?;
                let table = rollup_table(&rollup, &source)?;
                if !self.store().rollup_table_exists(&table).await?
                    || !self.store().archive_table_exists(&source.table).await?
                {
                    return Ok::<_, StreamDataError>(());
                }
                self.advance(&table, now, report).await?;
                if let Some(period) = rollup.archive.retention_micros.filter(|p| *p > 0) {
                    report.buckets_removed += self
                        .store()
                        .delete_rollup_buckets_before(&table, now.timestamp_micros() - period)
                        .await?;
                }
                Ok(())
            };
            if let Err(error) = step.await {
                tracing::warn!(%tenant, rollup = %id, %error, "rollup maintenance failed");
            }
        }
        Ok(())
    }

    /// Steps one rollup until it has caught up with `now` less the lateness allowance (or
    /// another process holds it, or the pass's step budget is spent).
    async fn advance(
        &self,
        table: &RollupTable,
        now: DateTime<Utc>,
        report: &mut MaintenanceReport,
    ) -> Result<Option<i64>, StreamDataError> {
        let target = now.timestamp_micros() - LATENESS_MICROS;
        let mut watermark = None;
        for step in 0..STEPS_PER_PASS {
            let progress = self
                .store()
                .advance_rollup(table, target, BUCKETS_PER_STEP)
                .await?;
            if !progress.claimed {
                break;
            }
            if step == 0 {
                report.rollups_maintained += 1;
            }
            report.ranges_recomputed += progress.recomputed;
            watermark = progress.watermark;
            if progress.caught_up {
                break;
            }
        }
        Ok(watermark)
    }

    async fn run_backfill(
        &self,
        job: &ImportJob,
        worker_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, StreamDataError> {
        let rollup_rt_id = job.payload["rollupRtId"].as_str().unwrap_or_default();
        let resolved = self.active_rollup(&job.tenant_id, rollup_rt_id).await?;
        let stats = self.store().archive_stats(&resolved.source.table).await?;
        let interval = resolved.rollup.interval_micros;
        if let Some(first) = stats.first_time {
            let start = first - first.rem_euclid(interval);
            // Nothing computed yet means maintenance starts at the first sample anyway.
            if let RewindOutcome::BeyondWatermark { watermark: Some(w) } =
                self.store().rewind_rollup(&resolved.table, start).await?
            {
                // The watermark is before the first sample (retention removed the rest):
                // there is nothing computed from samples that still exist to redo.
                tracing::debug!(watermark = w, "backfill: nothing behind the watermark");
            }
        }
        let mut report = MaintenanceReport::default();
        let mut watermark = None;
        loop {
            let step_watermark = self.advance(&resolved.table, now, &mut report).await?;
            watermark = step_watermark.or(watermark);
            let alive = self
                .store()
                .heartbeat_job(
                    job.job_id,
                    worker_id,
                    Some(json!({"watermark": watermark.map(format_timestamp)})),
                )
                .await?;
            if !alive {
                return Err(StreamDataError::State(
                    "the job was taken over by another worker".to_owned(),
                ));
            }
            let state = self
                .store()
                .rollup_state(&job.tenant_id, &resolved.table.rollup_id)
                .await?;
            let target = now.timestamp_micros() - LATENESS_MICROS;
            let done = state.as_ref().is_none_or(|s| {
                s.dirty.is_empty()
                    && s.watermark.is_none_or(|w| {
                        w >= target - target.rem_euclid(interval)
                            || s.frozen_until
                                .is_some_and(|f| w >= f - f.rem_euclid(interval))
                    })
            });
            if done || step_watermark.is_none() {
                break;
            }
        }
        Ok(json!({"watermark": watermark.map(format_timestamp)}))
    }

    // --- Downsampling ---------------------------------------------------------------------

    /// The downsampling of [`StreamData::query_downsampling`] answered from a rollup where one
    /// fits (see [`plan_segments`]); `None` when none does and the caller should read raw.
    pub(crate) async fn downsample_from_rollup(
        &self,
        source: &ResolvedArchive,
        selection: &StreamSelection,
        width: i64,
        aggregates: &[StreamAggregate],
    ) -> Result<Option<(Vec<Vec<StreamValue>>, RollupUse)>, StreamDataError> {
        let (Some(from), Some(to)) = (selection.from, selection.to) else {
            return Ok(None);
        };
        if !selection.filters.is_empty() {
            return Ok(None);
        }
        let tenant = &source.table.tenant_id;
        let mut best: Option<(RollupTable, RollupState, String)> = None;
        for rollup in self.linked_rollups(tenant, source).await? {
            // A rollup that does not parse is not used; the raw samples answer.
            let Ok(rollup) = rollup else {
                continue;
            };
            if rollup.archive.status != ArchiveStatus::Activated {
                continue;
            }
            let interval = rollup.interval_micros;
            if width % interval != 0 || from.rem_euclid(interval) != 0 {
                continue;
            }
            let Ok(table) = rollup_table(&rollup, source) else {
                continue;
            };
            let derivable = aggregates
                .iter()
                .all(|a| a.column.is_none_or(|c| table.columns.contains(&c)));
            if !derivable {
                continue;
            }
            let Some(state) = self.store().rollup_state(tenant, &table.rollup_id).await? else {
                continue;
            };
            if state.watermark.is_none() || !self.store().rollup_table_exists(&table).await? {
                continue;
            }
            // The coarsest fitting rollup reads the fewest rows.
            if best.as_ref().is_none_or(|(b, _, _)| b.interval < interval) {
                best = Some((table, state, rollup.rt_id()));
            }
        }
        let Some((table, state, rollup_rt_id)) = best else {
            return Ok(None);
        };
        let Some(watermark) = state.watermark else {
            return Ok(None);
        };
        let blocked: Vec<RollupRange> = state.dirty.iter().chain(&state.gaps).copied().collect();
        let Some(segments) = plan_segments(from, to, width, table.interval, watermark, &blocked)
        else {
            return Ok(None);
        };
        if !segments.iter().any(|s| s.from_rollup) {
            return Ok(None);
        }
        let mut rows = Vec::new();
        for segment in segments {
            if segment.from_rollup {
                rows.extend(
                    self.store()
                        .query_rollup(
                            &table,
                            &RollupQuery {
                                from: segment.from,
                                to: segment.to,
                                origin: from,
                                width,
                                sources: selection.sources.clone(),
                                aggregates: aggregates.to_vec(),
                            },
                        )
                        .await?,
                );
            } else {
                let mut part = selection.clone();
                part.from = Some(segment.from);
                part.to = Some(segment.to);
                rows.extend(
                    self.aggregate(
                        source,
                        StreamAggregation {
                            selection: part,
                            group_by: Vec::new(),
                            buckets: Some(StreamBuckets {
                                origin: segment.from,
                                width,
                            }),
                            aggregates: aggregates.to_vec(),
                        },
                    )
                    .await?,
                );
            }
        }
        Ok(Some((
            rows,
            RollupUse {
                rollup_rt_id,
                interval: format_time_span(table.interval),
                watermark,
            },
        )))
    }

    /// [`StreamData::query_downsampling`], also saying which rollup answered it, if any.
    pub async fn query_downsampling_planned(
        &self,
        tenant: &TenantId,
        archive_rt_id: &str,
        aggregations: &[octo_store::aggregate_spec::ColumnRequest],
        span: crate::service::Span,
        window: &Window,
    ) -> Result<(Vec<serde_json::Map<String, Value>>, Option<RollupUse>), StreamDataError> {
        self.downsampling(tenant, archive_rt_id, aggregations, span, window, true)
            .await
    }
}

/// The store's description of a rollup's table over its resolved source.
pub(crate) fn rollup_table(
    rollup: &Rollup,
    source: &ResolvedArchive,
) -> Result<RollupTable, StreamDataError> {
    let mut columns = Vec::new();
    for path in rollup.paths() {
        let index = query::column_index(&source.columns, &path).map_err(|_| {
            StreamDataError::invalid(format!(
                "Rollup '{}' aggregates '{path}', which is no longer a column of archive '{}'.",
                rollup.rt_id(),
                source.archive.rt_id()
            ))
        })?;
        if !columns.contains(&index) {
            columns.push(index);
        }
    }
    Ok(RollupTable {
        source: source.table.clone(),
        rollup_id: rollup.archive.entity.rt_id,
        interval: rollup.interval_micros,
        columns,
    })
}

fn info(rollup: &Rollup, state: Option<&RollupState>, table_exists: bool) -> RollupInfo {
    RollupInfo {
        rt_id: rollup.rt_id(),
        name: rollup.archive.name.clone(),
        source_archive_rt_id: rollup.source_archive_id.to_string(),
        interval: format_time_span(rollup.interval_micros),
        bucket_size_ms: rollup.interval_micros / 1000,
        aggregations: rollup.aggregations.clone(),
        status: rollup.archive.status.to_string(),
        watermark: state.and_then(|s| s.watermark).map(format_timestamp),
        frozen_until: state.and_then(|s| s.frozen_until).map(format_timestamp),
        dirty_ranges: state.map_or(0, |s| s.dirty.len()),
        gaps: state.map_or(0, |s| s.gaps.len()),
        table_exists,
    }
}

fn job_info(job: &ImportJob) -> RecomputeJobInfo {
    let state = match job.state {
        JobState::Queued => "Queued",
        JobState::Running => "Running",
        JobState::Succeeded => "Succeeded",
        JobState::Failed => "Failed",
    };
    RecomputeJobInfo {
        rt_id: job.job_id.to_string(),
        rollup_rt_id: job.payload["rollupRtId"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        archive_rt_id: job.payload["archiveRtId"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        state: state.to_owned(),
        created_at: job.created_at.to_rfc3339(),
        finished_at: job.finished_at.map(|t| t.to_rfc3339()),
        error_message: job.error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_are_written_as_dotnet_does() {
        assert_eq!(format_time_span(3_600_000_000), "01:00:00");
        assert_eq!(format_time_span(86_400_000_000 + 90_000_000), "1.00:01:30");
        assert_eq!(format_time_span(1_500_000), "00:00:01.500000");
    }

    #[test]
    fn plans_read_the_rollup_up_to_the_watermark_and_around_dirty_spans() {
        let blocked = [RollupRange { from: 40, to: 50 }];
        let plan = plan_segments(0, 100, 20, 10, 80, &blocked).expect("plan");
        assert_eq!(
            plan,
            vec![
                Segment {
                    from: 0,
                    to: 40,
                    from_rollup: true
                },
                Segment {
                    from: 40,
                    to: 60,
                    from_rollup: false
                },
                Segment {
                    from: 60,
                    to: 80,
                    from_rollup: true
                },
                Segment {
                    from: 80,
                    to: 100,
                    from_rollup: false
                },
            ]
        );
        // A last bucket cut short by `to` off the interval grid is read raw.
        let plan = plan_segments(0, 95, 20, 10, 100, &[]).expect("plan");
        assert_eq!(plan.last().map(|s| s.from_rollup), Some(false));
    }
}
