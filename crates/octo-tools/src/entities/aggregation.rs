//! `query_entities_aggregation` and `query_entities_grouping`: computed by the database.

use async_trait::async_trait;
use octo_store::AggregateRow;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::dto::{AggregationColumn, FieldFilterCriteria, columns};
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AggregationOutput {
    /// One object per row, keyed by group-by path and column alias.
    pub rows: Vec<Map<String, Value>>,
    pub row_count: usize,
}

fn output(rows: Vec<AggregateRow>) -> Success<AggregationOutput> {
    let count = rows.len();
    let message = if count == 0 {
        "No rows produced (possibly no entities matched the filters).".to_owned()
    } else {
        format!("{count} row(s) produced.")
    };
    Success::new(AggregationOutput {
        row_count: count,
        rows,
    })
    .message(message)
}

const SEMANTICS: &str = "count counts entities (with attributePath: non-null values); sum, \
    avg, min and max ignore nulls; avg of whole numbers is a decimal number; over no entities \
    count is 0 and the others are null.";

pub struct QueryEntitiesAggregation(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryEntitiesAggregationParams {
    /// The CK type; entities of derived types are included.
    pub ck_type_id: String,
    /// The columns: `[{function: count|sum|avg|min|max, attributePath?, alias?}]`.
    #[serde(default)]
    pub aggregations: Vec<AggregationColumn>,
    /// Which entities to aggregate (as in query_entities).
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryEntitiesAggregation {
    type Params = QueryEntitiesAggregationParams;
    type Output = AggregationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_entities_aggregation",
            title: "Aggregate entities",
            description: "Computes count, sum, avg, min and max over the entities of a CK type \
                (optionally filtered) in the database; one row keyed by column alias. Default \
                aliases are <function>_<path> (avg_Power) and count.",
            category: Category::Aggregation,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "How many meters, and their average power",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "aggregations": [{"function": "count"}, {"function": "avg", "attributePath": "Power"}]
                }),
            }],
            notes: vec![SEMANTICS],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: QueryEntitiesAggregationParams,
    ) -> Result<Success<AggregationOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let criteria = params.filters.as_ref().map(Into::into);
        let rows = self
            .0
            .entities
            .aggregate(
                &tenant.tenant_id,
                &params.ck_type_id,
                &columns(&params.aggregations),
                None,
                criteria.as_ref(),
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        Ok(output(rows).tenant(tenant.tenant_id.to_string()))
    }
}

pub struct QueryEntitiesGrouping(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryEntitiesGroupingParams {
    /// The CK type; entities of derived types are included.
    pub ck_type_id: String,
    /// The paths to group by (non-empty, no duplicates).
    #[serde(default)]
    pub group_by_attribute_paths: Vec<Option<String>>,
    /// The columns: `[{function: count|sum|avg|min|max, attributePath?, alias?}]`.
    #[serde(default)]
    pub aggregations: Vec<AggregationColumn>,
    /// Which entities to aggregate (as in query_entities).
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryEntitiesGrouping {
    type Params = QueryEntitiesGroupingParams;
    type Output = AggregationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_entities_grouping",
            title: "Aggregate entities by group",
            description: "Groups the entities of a CK type by attribute paths and computes \
                count, sum, avg, min and max per group in the database (GROUP BY); one row per \
                group with the group keys and the column aliases.",
            category: Category::Aggregation,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Meters per carrier",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "groupByAttributePaths": ["rtWellKnownName"],
                    "aggregations": [{"function": "count"}]
                }),
            }],
            notes: vec![SEMANTICS],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: QueryEntitiesGroupingParams,
    ) -> Result<Success<AggregationOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let criteria = params.filters.as_ref().map(Into::into);
        let rows = self
            .0
            .entities
            .aggregate(
                &tenant.tenant_id,
                &params.ck_type_id,
                &columns(&params.aggregations),
                Some(&params.group_by_attribute_paths),
                criteria.as_ref(),
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        Ok(output(rows).tenant(tenant.tenant_id.to_string()))
    }
}
