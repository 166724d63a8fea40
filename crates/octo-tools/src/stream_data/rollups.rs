//! Rollup archives: `create_rollup_archive`, `list_rollups_for_archive`,
//! `freeze_rollup_archive`, `unfreeze_rollup_archive`, `rewind_rollup_watermark`,
//! `backfill_rollup_archive`, `get_rollup_query_metadata` and `list_recompute_jobs`.
//!
//! Resolution, checks and storage are `octo_streamdata::rollup`'s; these are the wire shapes and
//! the reference server's messages.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use octo_entities::{AttributeUpdate, NewEntity, associations::check_role, new_entity};
use octo_ids::OctoObjectId;
use octo_store::{Association, EntityWriteMode};
use octo_streamdata::rollup::{ROLLUP_ARCHIVE_TYPE, ROLLUP_OF_ROLE};
use octo_streamdata::{RecomputeJobInfo, RollupInfo, StreamDataError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{failed, required, tenant};
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

const EXAMPLE_ARCHIVE: &str = "65a0f1c2d3e4f5a6b7c8d9e0";
const EXAMPLE_ROLLUP: &str = "65a0f1c2d3e4f5a6b7c8d9e1";

/// `{until:O}` as .NET writes a UTC DateTime: seven fractional digits and `Z`.
fn round_trip(time: DateTime<Utc>) -> String {
    let text = time.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // Nanos gives nine digits; .NET's "O" has seven (100 ns ticks).
    match text.rsplit_once('.') {
        Some((head, tail)) => format!("{head}.{}Z", &tail[..7.min(tail.len() - 1)]),
        None => text,
    }
}

/// The result of the rollup actions (ArchiveActionResponse): the rollup's id.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollupActionOutput {
    pub rt_id: String,
}

fn action(id: String, message: String, tenant: String) -> Success<RollupActionOutput> {
    Success::new(RollupActionOutput { rt_id: id })
        .message(message)
        .tenant(tenant)
}

// --- create_rollup_archive -------------------------------------------------------------------

pub struct CreateRollupArchive(pub Platform);

/// One aggregate of a rollup.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollupAggregationParam {
    /// A column path of the source archive, e.g. `Power`.
    pub attribute_path: String,
    /// Count, Sum, Average (avg), Minimum (min) or Maximum (max).
    pub aggregation_type: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRollupParams {
    /// The raw archive the rollup aggregates.
    pub source_archive_rt_id: String,
    /// The rollup's name (unique among archives).
    pub name: String,
    /// The bucket length as [d.]hh:mm:ss, at least one second, e.g. `01:00:00`.
    pub interval: String,
    /// The aggregates per bucket; paths must be columns of the source archive.
    pub aggregations: Vec<RollupAggregationParam>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateRollupOutput {
    /// The new rollup archive's rtId.
    pub rt_id: String,
    /// As list_rollups_for_archive reports it.
    #[schemars(with = "serde_json::Value")]
    pub rollup: RollupInfo,
}

#[async_trait]
impl Tool for CreateRollupArchive {
    type Params = CreateRollupParams;
    type Output = CreateRollupOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_rollup_archive",
            title: "Create a rollup archive",
            description: "Creates a rollup of a raw archive: a System.StreamData/RollupArchive \
                entity with its RollupOf association to the source, in one transaction, and \
                activates it. Background maintenance then computes one row per source and \
                interval from the raw samples (count, sum, min and max of each aggregated \
                column) and keeps it current, and query_stream_data_downsampling reads it when \
                its buckets are a multiple of the interval.",
            category: Category::StreamData,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Hourly power of a meter archive",
                parameters: json!({
                    "tenantId": "octosystem", "sourceArchiveRtId": EXAMPLE_ARCHIVE,
                    "name": "grid power hourly", "interval": "01:00:00",
                    "aggregations": [
                        {"attributePath": "Power", "aggregationType": "Average"},
                        {"attributePath": "Power", "aggregationType": "Maximum"}
                    ]
                }),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CreateRollupParams,
    ) -> Result<Success<CreateRollupOutput>, ToolError> {
        let source_id = required(&params.source_archive_rt_id, "sourceArchiveRtId")?;
        let name = required(&params.name, "name")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let t = &tenant.tenant_id;
        let service = &self.0.stream_data;
        let requested: Vec<(String, String)> = params
            .aggregations
            .iter()
            .map(|a| (a.attribute_path.clone(), a.aggregation_type.clone()))
            .collect();
        let (source, definition) = service
            .check_rollup_definition(t, source_id, &params.interval, &requested)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let mut paths: Vec<String> = Vec::new();
        for aggregation in &definition.aggregations {
            if !paths.contains(&aggregation.attribute_path) {
                paths.push(aggregation.attribute_path.clone());
            }
        }
        let data = vec![
            AttributeUpdate {
                attribute_path: "Name".to_owned(),
                value: json!(name),
            },
            AttributeUpdate {
                attribute_path: "TargetCkTypeId".to_owned(),
                value: json!(source.archive.target_ck_type_id),
            },
            AttributeUpdate {
                attribute_path: "Columns".to_owned(),
                value: Value::Array(paths.iter().map(|p| json!({"AttributePath": p})).collect()),
            },
            AttributeUpdate {
                attribute_path: "Interval".to_owned(),
                value: json!(params.interval.trim()),
            },
            AttributeUpdate {
                attribute_path: "Aggregations".to_owned(),
                value: Value::Array(
                    definition
                        .aggregations
                        .iter()
                        .map(|a| {
                            json!({"AttributePath": a.attribute_path, "AggregationType": a.aggregation_type})
                        })
                        .collect(),
                ),
            },
            AttributeUpdate {
                attribute_path: "State".to_owned(),
                value: json!("Inactive"),
            },
        ];
        let build = async {
            let (library, info) = self.0.entities.type_info(t, ROLLUP_ARCHIVE_TYPE).await?;
            let now = Utc::now();
            let entity = new_entity(
                &library,
                &info,
                NewEntity {
                    tenant: t.clone(),
                    rt_id: OctoObjectId::new(),
                    rt_well_known_name: None,
                    created: now,
                    changed: now,
                },
                &data,
            )?;
            let role = check_role(
                &library,
                ROLLUP_OF_ROLE,
                ROLLUP_ARCHIVE_TYPE,
                &source.archive.entity.ck_type_id,
            )?;
            let link = Association {
                tenant_id: t.clone(),
                role_id: role.id.to_string(),
                origin_rt_id: entity.rt_id,
                origin_ck_type_id: entity.ck_type_id.clone(),
                target_rt_id: source.archive.entity.rt_id,
                target_ck_type_id: source.archive.entity.ck_type_id.clone(),
                created_at: now,
            };
            Ok::<_, octo_entities::EntityError>((entity, link))
        };
        let (entity, link) = build.await.map_err(|e| failed_in(e, &tenant))?;
        self.0
            .store()
            .write_runtime_batch(
                t,
                std::slice::from_ref(&entity),
                &[link],
                EntityWriteMode::InsertOnly,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let rollup_id = entity.rt_id.to_string();
        service
            .activate_rollup(t, &rollup_id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let info = service
            .rollups_for_archive(t, source_id)
            .await
            .map_err(|e| failed(e, &tenant))?
            .into_iter()
            .find(|r| r.rt_id == rollup_id)
            .ok_or_else(|| failed(StreamDataError::RollupNotFound(rollup_id.clone()), &tenant))?;
        Ok(Success::new(CreateRollupOutput {
            rt_id: rollup_id.clone(),
            rollup: info,
        })
        .message(format!(
            "Rollup '{rollup_id}' created on archive '{source_id}' and activated; \
                 maintenance computes it from the raw samples."
        ))
        .tenant(t.to_string()))
    }
}

// --- list_rollups_for_archive ----------------------------------------------------------------

pub struct ListRollupsForArchive(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListRollupsParams {
    /// The raw archive whose rollups to list.
    pub source_archive_rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListRollupsOutput {
    pub source_archive_rt_id: String,
    /// `{rtId, name, sourceArchiveRtId, interval, bucketSizeMs, aggregations, status,
    /// watermark?, frozenUntil?, dirtyRanges, gaps, tableExists}`.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub rollups: Vec<RollupInfo>,
    pub total_count: usize,
}

#[async_trait]
impl Tool for ListRollupsForArchive {
    type Params = ListRollupsParams;
    type Output = ListRollupsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_rollups_for_archive",
            title: "List an archive's rollups",
            description: "Lists the rollups attached to an archive with their interval, \
                aggregations, status, watermark (end of the last computed bucket), freeze, and \
                how many spans wait for recomputation.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "Rollups of one archive",
                parameters: json!({"tenantId": "octosystem", "sourceArchiveRtId": EXAMPLE_ARCHIVE}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ListRollupsParams,
    ) -> Result<Success<ListRollupsOutput>, ToolError> {
        let id = required(&params.source_archive_rt_id, "sourceArchiveRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let rollups = self
            .0
            .stream_data
            .rollups_for_archive(&tenant.tenant_id, id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = rollups.len();
        let message = if count == 0 {
            format!("No rollups attached to archive '{id}'.")
        } else {
            format!("{count} rollup(s) attached to archive '{id}'.")
        };
        Ok(Success::new(ListRollupsOutput {
            source_archive_rt_id: id.to_owned(),
            rollups,
            total_count: count,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

// --- freeze / unfreeze -----------------------------------------------------------------------

pub struct FreezeRollupArchive(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FreezeParams {
    /// The rollup archive's rtId.
    pub rollup_rt_id: String,
    /// Maintenance computes no bucket that ends after this time (RFC 3339) until unfrozen.
    #[schemars(with = "String")]
    pub until: DateTime<Utc>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for FreezeRollupArchive {
    type Params = FreezeParams;
    type Output = RollupActionOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "freeze_rollup_archive",
            title: "Freeze a rollup",
            description: "Stops a rollup's maintenance from advancing its watermark past `until` \
                (e.g. while raw data is being repaired); buckets behind it are still kept \
                current. Downsampling reads raw samples after the watermark, so answers stay \
                right. Undo with unfreeze_rollup_archive.",
            category: Category::StreamData,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Hold a rollup at the start of November",
                parameters: json!({"tenantId": "octosystem", "rollupRtId": EXAMPLE_ROLLUP, "until": "2026-11-01T00:00:00Z"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: FreezeParams,
    ) -> Result<Success<RollupActionOutput>, ToolError> {
        let id = required(&params.rollup_rt_id, "rollupRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        self.0
            .stream_data
            .freeze_rollup(&tenant.tenant_id, id, params.until)
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(action(
            id.to_owned(),
            format!("Rollup '{id}' frozen until {}.", round_trip(params.until)),
            tenant.tenant_id.to_string(),
        ))
    }
}

pub struct UnfreezeRollupArchive(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnfreezeParams {
    /// The rollup archive's rtId.
    pub rollup_rt_id: String,
    /// false (default): maintenance computes the held-back span from the raw samples. true:
    /// the watermark jumps to now and the span stays a gap (downsampling reads raw there).
    #[serde(default)]
    pub accept_gaps: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for UnfreezeRollupArchive {
    type Params = UnfreezeParams;
    type Output = RollupActionOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "unfreeze_rollup_archive",
            title: "Unfreeze a rollup",
            description: "Lifts a rollup's freeze. By default maintenance then computes the span \
                the freeze held back from the raw samples; with acceptGaps: true the watermark \
                jumps to the present instead and the skipped span is recorded as a gap.",
            category: Category::StreamData,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Resume and catch up from raw",
                parameters: json!({"tenantId": "octosystem", "rollupRtId": EXAMPLE_ROLLUP}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: UnfreezeParams,
    ) -> Result<Success<RollupActionOutput>, ToolError> {
        let id = required(&params.rollup_rt_id, "rollupRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        self.0
            .stream_data
            .unfreeze_rollup(&tenant.tenant_id, id, params.accept_gaps, Utc::now())
            .await
            .map_err(|e| failed(e, &tenant))?;
        let message = if params.accept_gaps {
            format!("Rollup '{id}' unfrozen (gaps accepted).")
        } else {
            format!("Rollup '{id}' unfrozen.")
        };
        Ok(action(id.to_owned(), message, tenant.tenant_id.to_string()))
    }
}

// --- rewind / backfill -----------------------------------------------------------------------

pub struct RewindRollupWatermark(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewindParams {
    /// The rollup archive's rtId.
    pub rollup_rt_id: String,
    /// The new watermark (RFC 3339): a bucket boundary at or before the current watermark.
    /// Buckets from here on are deleted and recomputed by maintenance.
    #[schemars(with = "String")]
    pub to_bucket_end: DateTime<Utc>,
    /// Must be true: computed buckets are deleted. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for RewindRollupWatermark {
    type Params = RewindParams;
    type Output = RollupActionOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "rewind_rollup_watermark",
            title: "Rewind a rollup's watermark",
            description: "Deletes a rollup's buckets from toBucketEnd on and moves its watermark \
                back there; maintenance recomputes them from the raw samples. toBucketEnd must be \
                a bucket boundary at or before the watermark. Requires confirm: true.",
            category: Category::StreamData,
            annotations: Annotations::DESTRUCTIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Recompute everything since 1 November, after the user agreed",
                parameters: json!({"tenantId": "octosystem", "rollupRtId": EXAMPLE_ROLLUP, "toBucketEnd": "2026-11-01T00:00:00Z", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "rewind rollup watermark on",
                target: ConfirmTarget::Parameter("rollupRtId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: RewindParams,
    ) -> Result<Success<RollupActionOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let id = required(&params.rollup_rt_id, "rollupRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        self.0
            .stream_data
            .rewind_rollup(&tenant.tenant_id, id, params.to_bucket_end)
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(action(
            id.to_owned(),
            format!(
                "Rollup '{id}' watermark rewound to {}.",
                round_trip(params.to_bucket_end)
            ),
            tenant.tenant_id.to_string(),
        ))
    }
}

pub struct BackfillRollupArchive(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackfillParams {
    /// The rollup archive's rtId.
    pub rollup_rt_id: String,
    /// Must be true: every bucket the raw samples still cover is recomputed. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackfillOutput {
    pub rt_id: String,
    /// `{rtId, rollupRtId, archiveRtId, state, createdAt, finishedAt?, errorMessage?}`; absent
    /// when there was nothing to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub job: Option<RecomputeJobInfo>,
}

#[async_trait]
impl Tool for BackfillRollupArchive {
    type Params = BackfillParams;
    type Output = BackfillOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "backfill_rollup_archive",
            title: "Backfill a rollup",
            description: "Queues a durable background job that recomputes a rollup from the raw \
                samples, from the bucket of the source's first sample to the present (older \
                buckets, whose raw samples retention removed, are kept). Poll \
                list_recompute_jobs to watch it. Requires confirm: true.",
            category: Category::StreamData,
            annotations: Annotations::DESTRUCTIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "After the user agreed",
                parameters: json!({"tenantId": "octosystem", "rollupRtId": EXAMPLE_ROLLUP, "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "backfill rollup",
                target: ConfirmTarget::Parameter("rollupRtId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: BackfillParams,
    ) -> Result<Success<BackfillOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let id = required(&params.rollup_rt_id, "rollupRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let service = &self.0.stream_data;
        let job = service
            .backfill_rollup(&tenant.tenant_id, id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let message = match &job {
            None => {
                format!("Backfill of rollup '{id}' was a no-op: the source archive holds no data.")
            }
            Some(job) => format!(
                "Backfill of rollup '{id}' queued (durable background): job {}, state {}. Poll \
                 list_recompute_jobs for archive '{id}' to watch it run to completion.",
                job.rt_id, job.state
            ),
        };
        Ok(Success::new(BackfillOutput {
            rt_id: id.to_owned(),
            job,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

// --- get_rollup_query_metadata ---------------------------------------------------------------

pub struct GetRollupQueryMetadata(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataParams {
    /// The rollup archive's rtId.
    pub rollup_rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataOutput {
    pub rollup_rt_id: String,
    pub bucket_size_ms: i64,
    pub logical_source_paths: Vec<String>,
    pub resolved: bool,
}

#[async_trait]
impl Tool for GetRollupQueryMetadata {
    type Params = MetadataParams;
    type Output = MetadataOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_rollup_query_metadata",
            title: "Rollup query metadata",
            description: "Reports a rollup's bucket size and the source paths it aggregates, for \
                planning queries. A tenant without stream data or an unknown rollup is not an \
                error: the result says resolved: false and why.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "One rollup",
                parameters: json!({"tenantId": "octosystem", "rollupRtId": EXAMPLE_ROLLUP}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: MetadataParams,
    ) -> Result<Success<MetadataOutput>, ToolError> {
        let id = required(&params.rollup_rt_id, "rollupRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let unresolved = |message: String| {
            Success::new(MetadataOutput {
                rollup_rt_id: id.to_owned(),
                bucket_size_ms: 0,
                logical_source_paths: Vec::new(),
                resolved: false,
            })
            .message(message)
            .tenant(tenant.tenant_id.to_string())
        };
        match self
            .0
            .stream_data
            .rollup_query_metadata(&tenant.tenant_id, id)
            .await
        {
            Ok(meta) => {
                let n = meta.logical_source_paths.len();
                let message = format!(
                    "Rollup '{id}' resolved: {n} logical path(s), {}.",
                    meta.interval
                );
                Ok(Success::new(MetadataOutput {
                    rollup_rt_id: meta.rollup_rt_id,
                    bucket_size_ms: meta.bucket_size_ms,
                    logical_source_paths: meta.logical_source_paths,
                    resolved: true,
                })
                .message(message)
                .tenant(tenant.tenant_id.to_string()))
            }
            Err(StreamDataError::NotEnabled(_) | StreamDataError::StoreNotInitialised(_)) => Ok(
                unresolved("Stream data is not enabled for this tenant.".to_owned()),
            ),
            Err(StreamDataError::RollupNotFound(_)) => Ok(unresolved(format!(
                "No rollup archive with rtId '{id}' found."
            ))),
            Err(error) => Err(failed(error, &tenant)),
        }
    }
}

// --- list_recompute_jobs ---------------------------------------------------------------------

pub struct ListRecomputeJobs(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobsParams {
    /// A rollup's rtId (its jobs), or a source archive's rtId (the jobs of all its rollups).
    pub archive_rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobsOutput {
    pub archive_rt_id: String,
    /// Newest first: `{rtId, rollupRtId, archiveRtId, state, createdAt, finishedAt?,
    /// errorMessage?}`; state is Queued, Running, Succeeded or Failed.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub jobs: Vec<RecomputeJobInfo>,
    pub total_count: usize,
}

#[async_trait]
impl Tool for ListRecomputeJobs {
    type Params = JobsParams;
    type Output = JobsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_recompute_jobs",
            title: "List rollup recompute jobs",
            description: "Lists the backfill (recompute) jobs of an archive's rollups, newest \
                first, with their state: Queued, Running, Succeeded or Failed (with the reason).",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "Jobs of one archive",
                parameters: json!({"tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: JobsParams,
    ) -> Result<Success<JobsOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let jobs = self
            .0
            .stream_data
            .recompute_jobs(&tenant.tenant_id, id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = jobs.len();
        Ok(Success::new(JobsOutput {
            archive_rt_id: id.to_owned(),
            jobs,
            total_count: count,
        })
        .message(format!("{count} recompute job(s) for archive '{id}'."))
        .tenant(tenant.tenant_id.to_string()))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn round_trip_has_seven_fraction_digits() {
        let time = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(round_trip(time), "2026-11-01T00:00:00.0000000Z");
    }
}
