//! `query_stream_data_simple`, `_aggregation`, `_grouping` and `_downsampling`: time-series
//! queries that run in the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use octo_streamdata::{SimpleQuery, Span};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::dto::{SortColumn, descending, window};
use super::{failed, required, tenant};
use crate::entities::dto::{AggregationColumn, FieldFilterCriteria, columns};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

const WINDOW_NOTE: &str = "from is inclusive, to exclusive (RFC 3339); filters are \
    {fields, operator: And|Or, nestedFilters} as for query_entities: a group's fields and nested \
    groups combine with its operator (And by default), groups nest up to 16 levels, at most 256 \
    conditions and 5000 values in all; a condition on a null value is false (use IsNull); \
    empty filters mean no filter, an empty nested group is refused; sourceRtIds limits the \
    samples to those entities.";

const AGGREGATION_NOTE: &str = "count counts samples (with attributePath: non-null values); \
    sum, avg, min and max ignore nulls; default aliases are <function>_<path> (avg_Power) and \
    count, as for query_entities_aggregation.";

const EXAMPLE_ARCHIVE: &str = "65a0f1c2d3e4f5a6b7c8d9e0";

pub struct QueryStreamDataSimple(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimpleParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// The archive columns to return (at least one).
    pub column_paths: Vec<String>,
    /// Inclusive start, RFC 3339 (e.g. 2026-11-25T00:00:00Z).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end, RFC 3339; after from.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub to: Option<DateTime<Utc>>,
    /// At most this many rows (default 1000, at most 10 000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// `[{attributePath: "timestamp", direction: "asc" | "desc"}]`; oldest first by default.
    #[serde(default)]
    pub sort: Option<Vec<SortColumn>>,
    /// `{fields: [{attributePath, operator, value}], operator: And|Or, nestedFilters}` on the
    /// archive's columns; operators Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual),
    /// In, NotIn, IsNull, IsNotNull.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    /// Only samples of these entities.
    #[serde(default)]
    pub source_rt_ids: Option<Vec<String>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimpleOutput {
    pub archive_rt_id: String,
    /// `{rtId, ckTypeId, timestamp, values: {<column path>: value}}`.
    pub rows: Vec<Value>,
    /// How many samples match, without the limit.
    pub total_count: u64,
}

#[async_trait]
impl Tool for QueryStreamDataSimple {
    type Params = SimpleParams;
    type Output = SimpleOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_stream_data_simple",
            title: "Query archive samples",
            description: "Returns an archive's samples (timestamp, source rtId and the chosen \
                columns) in a time window, in time order, filtered in the database.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![
                ToolExample {
                    description: "The last hour of power readings",
                    parameters: json!({
                        "tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE,
                        "columnPaths": ["Power"],
                        "from": "2026-11-25T15:00:00Z", "to": "2026-11-25T16:00:00Z", "limit": 100
                    }),
                },
                ToolExample {
                    description: "Readings on phase L1, or above 50 on any phase but L3 (Or with a \
                    nested And group)",
                    parameters: json!({
                        "tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE,
                        "columnPaths": ["Power", "Phase"],
                        "from": "2026-11-25T00:00:00Z", "to": "2026-11-26T00:00:00Z",
                        "filters": {
                            "operator": "Or",
                            "fields": [{"attributePath": "Phase", "operator": "Equals", "value": "L1"}],
                            "nestedFilters": [{"fields": [
                                {"attributePath": "Power", "operator": "GreaterThan", "value": 50},
                                {"attributePath": "Phase", "operator": "NotEquals", "value": "L3"}
                            ]}]
                        }
                    }),
                },
            ],
            notes: vec![WINDOW_NOTE],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: SimpleParams,
    ) -> Result<Success<SimpleOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        let descending = descending(params.sort.as_deref().unwrap_or_default())?;
        let window = window(
            params.from,
            params.to,
            params.filters.as_ref(),
            params.source_rt_ids.as_deref(),
        );
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let result = self
            .0
            .stream_data
            .query_simple(
                &tenant.tenant_id,
                id,
                &SimpleQuery {
                    column_paths: params.column_paths,
                    window,
                    limit: params.limit,
                    descending,
                },
            )
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = result.rows.len();
        let rows = result
            .rows
            .iter()
            .map(|row| serde_json::to_value(row).unwrap_or(Value::Null))
            .collect();
        Ok(Success::new(SimpleOutput {
            archive_rt_id: id.to_owned(),
            rows,
            total_count: result.total_count,
        })
        .message(format!(
            "{count} of {} matching sample(s) returned.",
            result.total_count
        ))
        .tenant(tenant.tenant_id.to_string()))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AggregationOutput {
    pub archive_rt_id: String,
    /// One object per row, keyed by group-by path (and `bucketStart` when downsampling) and
    /// column alias.
    pub rows: Vec<Map<String, Value>>,
    pub row_count: usize,
}

fn aggregation_output(id: &str, rows: Vec<Map<String, Value>>) -> Success<AggregationOutput> {
    let count = rows.len();
    let message = if count == 0 {
        "No rows produced (possibly no samples matched).".to_owned()
    } else {
        format!("{count} row(s) produced.")
    };
    Success::new(AggregationOutput {
        archive_rt_id: id.to_owned(),
        rows,
        row_count: count,
    })
    .message(message)
}

pub struct QueryStreamDataAggregation(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AggregationParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// The columns: `[{function: count|sum|avg|min|max, attributePath?, alias?}]`.
    #[serde(default)]
    pub aggregations: Vec<AggregationColumn>,
    /// Inclusive start, RFC 3339 (e.g. 2026-11-25T00:00:00Z).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end, RFC 3339; after from.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub to: Option<DateTime<Utc>>,
    /// `{fields: [{attributePath, operator, value}], operator: And|Or, nestedFilters}` on the
    /// archive's columns; operators Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual),
    /// In, NotIn, IsNull, IsNotNull.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    #[serde(default)]
    pub source_rt_ids: Option<Vec<String>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryStreamDataAggregation {
    type Params = AggregationParams;
    type Output = AggregationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_stream_data_aggregation",
            title: "Aggregate archive samples",
            description: "Computes count, sum, avg, min and max over an archive's samples in a \
                time window in the database; one row keyed by column alias.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "Samples and average power of one day",
                parameters: json!({
                    "tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE,
                    "aggregations": [{"function": "count"}, {"function": "avg", "attributePath": "Power"}],
                    "from": "2026-11-25T00:00:00Z", "to": "2026-11-26T00:00:00Z"
                }),
            }],
            notes: vec![WINDOW_NOTE, AGGREGATION_NOTE],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: AggregationParams,
    ) -> Result<Success<AggregationOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        let window = window(
            params.from,
            params.to,
            params.filters.as_ref(),
            params.source_rt_ids.as_deref(),
        );
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let rows = self
            .0
            .stream_data
            .query_aggregation(
                &tenant.tenant_id,
                id,
                &columns(&params.aggregations),
                None,
                &window,
            )
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(aggregation_output(id, rows).tenant(tenant.tenant_id.to_string()))
    }
}

pub struct QueryStreamDataGrouping(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupingParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// Column paths, or `rtId` for the source entity, to group by (non-empty, no duplicates).
    #[serde(default)]
    pub group_by_attribute_paths: Vec<Option<String>>,
    /// The columns: `[{function: count|sum|avg|min|max, attributePath?, alias?}]`.
    #[serde(default)]
    pub aggregations: Vec<AggregationColumn>,
    /// Inclusive start, RFC 3339 (e.g. 2026-11-25T00:00:00Z).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end, RFC 3339; after from.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub to: Option<DateTime<Utc>>,
    /// `{fields: [{attributePath, operator, value}], operator: And|Or, nestedFilters}` on the
    /// archive's columns; operators Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual),
    /// In, NotIn, IsNull, IsNotNull.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    #[serde(default)]
    pub source_rt_ids: Option<Vec<String>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryStreamDataGrouping {
    type Params = GroupingParams;
    type Output = AggregationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_stream_data_grouping",
            title: "Aggregate archive samples by group",
            description: "Groups an archive's samples by columns or by source (rtId) and \
                computes count, sum, avg, min and max per group in the database; rows ordered \
                by the group keys.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "Average power per meter",
                parameters: json!({
                    "tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE,
                    "groupByAttributePaths": ["rtId"],
                    "aggregations": [{"function": "avg", "attributePath": "Power"}]
                }),
            }],
            notes: vec![WINDOW_NOTE, AGGREGATION_NOTE],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: GroupingParams,
    ) -> Result<Success<AggregationOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        let window = window(
            params.from,
            params.to,
            params.filters.as_ref(),
            params.source_rt_ids.as_deref(),
        );
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let rows = self
            .0
            .stream_data
            .query_aggregation(
                &tenant.tenant_id,
                id,
                &columns(&params.aggregations),
                Some(&params.group_by_attribute_paths),
                &window,
            )
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(aggregation_output(id, rows).tenant(tenant.tenant_id.to_string()))
    }
}

pub struct QueryStreamDataDownsampling(pub Platform);

fn default_limit() -> i64 {
    100
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DownsamplingParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// The aggregates per bucket: `[{function, attributePath?, alias?}]`.
    #[serde(default)]
    pub aggregations: Vec<AggregationColumn>,
    /// Start of the first bucket (inclusive), RFC 3339.
    #[schemars(with = "String")]
    pub from: DateTime<Utc>,
    /// End of the last bucket (exclusive), RFC 3339; after from.
    #[schemars(with = "String")]
    pub to: DateTime<Utc>,
    /// How many equal buckets between from and to, at most (default 100, > 0).
    #[serde(default = "default_limit")]
    pub limit: i64,
    /// `{fields: [{attributePath, operator, value}], operator: And|Or, nestedFilters}` on the
    /// archive's columns; operators Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual),
    /// In, NotIn, IsNull, IsNotNull.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    #[serde(default)]
    pub source_rt_ids: Option<Vec<String>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryStreamDataDownsampling {
    type Params = DownsamplingParams;
    type Output = AggregationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_stream_data_downsampling",
            title: "Downsample archive samples",
            description: "Splits from..to into `limit` equal time buckets and aggregates the \
                samples of each in the database: at most `limit` rows, each with bucketStart and \
                one key per alias; empty buckets are left out. For charts over long ranges. When a \
                rollup of the archive fits (bucket width a multiple of its interval, aligned to \
                it, every aggregate derivable, no value filters) its buckets are read instead of \
                the raw samples, up to its watermark; the answer is the same and the message names \
                the rollup.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "A day of power in 96 quarter-hour buckets",
                parameters: json!({
                    "tenantId": "octosystem", "archiveRtId": EXAMPLE_ARCHIVE,
                    "aggregations": [{"function": "avg", "attributePath": "Power"}, {"function": "max", "attributePath": "Power"}],
                    "from": "2026-11-25T00:00:00Z", "to": "2026-11-26T00:00:00Z", "limit": 96
                }),
            }],
            notes: vec![WINDOW_NOTE, AGGREGATION_NOTE],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DownsamplingParams,
    ) -> Result<Success<AggregationOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        let window = window(
            None,
            None,
            params.filters.as_ref(),
            params.source_rt_ids.as_deref(),
        );
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let (rows, rollup) = self
            .0
            .stream_data
            .query_downsampling_planned(
                &tenant.tenant_id,
                id,
                &columns(&params.aggregations),
                Span {
                    from: params.from,
                    to: params.to,
                    limit: params.limit,
                },
                &window,
            )
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = rows.len();
        let mut out = aggregation_output(id, rows);
        if let Some(used) = rollup {
            out = out.message(format!(
                "{count} row(s) produced; read from rollup '{}' ({}) up to its watermark {}, \
                 the rest from raw samples.",
                used.rollup_rt_id,
                used.interval,
                octo_streamdata::sample::format_timestamp(used.watermark)
            ));
        }
        Ok(out.tenant(tenant.tenant_id.to_string()))
    }
}
