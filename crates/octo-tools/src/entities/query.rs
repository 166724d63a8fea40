//! `query_entities` and `query_entities_simple`: filtered, sorted, paged reads in the database.

use async_trait::async_trait;
use octo_entities::QueryResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::dto::{FieldFilterCriteria, SimpleFilter, SortColumn, simple_criteria, sort_keys};
use super::owned_entity_json;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryEntitiesOutput {
    pub ck_type_id: String,
    /// Matching entities before limit/offset.
    pub total_count: u64,
    pub returned_count: usize,
    /// Each: rtId, ckTypeId, rtWellKnownName, rtVersion, rtCreationDateTime,
    /// rtChangedDateTime, attributes (only attributePaths when given).
    pub entities: Vec<Value>,
}

fn output(ck_type_id: &str, result: QueryResult) -> Success<QueryEntitiesOutput> {
    let returned = result.entities.len();
    let message = format!("{returned} of {} matching entities.", result.total_count);
    Success::new(QueryEntitiesOutput {
        ck_type_id: ck_type_id.trim().to_owned(),
        total_count: result.total_count,
        returned_count: returned,
        entities: result.entities.into_iter().map(owned_entity_json).collect(),
    })
    .message(message)
}

/// [`QueryEntitiesOutput`]'s serde form, built by moving the entities (a page can be large and
/// is already JSON). A test compares it with `serde_json::to_value`.
fn page_json(output: QueryEntitiesOutput) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("ckTypeId".into(), Value::String(output.ck_type_id));
    data.insert("totalCount".into(), Value::from(output.total_count));
    data.insert("returnedCount".into(), Value::from(output.returned_count));
    data.insert("entities".into(), Value::Array(output.entities));
    data
}

pub struct QueryEntities(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryEntitiesParams {
    /// The CK type; entities of derived types are included.
    pub ck_type_id: String,
    /// `{fields: [{attributePath, operator, value, secondValue}], operator: And|Or, nestedFilters}`.
    #[serde(default)]
    pub filters: Option<FieldFilterCriteria>,
    /// Only these attributes in the result (names, record paths).
    #[serde(default)]
    pub attribute_paths: Option<Vec<String>>,
    /// Sort order: `[{attributePath, direction: asc|desc}]`; rtId breaks ties.
    #[serde(default)]
    pub sort: Option<Vec<SortColumn>>,
    /// At most this many entities (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Skip this many matching entities.
    #[serde(default)]
    pub offset: Option<u32>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryEntities {
    type Params = QueryEntitiesParams;
    type Output = QueryEntitiesOutput;

    fn output_json(output: QueryEntitiesOutput) -> Result<Value, serde_json::Error> {
        Ok(Value::Object(page_json(output)))
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_entities",
            title: "Query entities",
            description: "Finds entities of a CK type (derived types included) with filters \
                (Equals, NotEquals, Contains, StartsWith, EndsWith, GreaterThan(OrEqual), \
                LessThan(OrEqual), Between, In, NotIn, IsNull, IsNotNull, Regex, Like, AnyEq, \
                AnyLike; combined with And/Or and nested groups), sorting and paging, all \
                evaluated by the database. Returns totalCount, returnedCount and the entities.",
            category: Category::CrudOperations,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Meters with more than 10 kW, largest first",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "filters": {"fields": [{"attributePath": "Name", "operator": "StartsWith", "value": "M-"}]},
                    "sort": [{"attributePath": "rtCreationDateTime", "direction": "desc"}],
                    "limit": 20
                }),
            }],
            notes: vec![
                "A path the type does not have is an error that lists the valid paths.",
                "Text comparisons are case-sensitive except Like (case-insensitive).",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: QueryEntitiesParams,
    ) -> Result<Success<QueryEntitiesOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let criteria = params.filters.as_ref().map(Into::into);
        let result = self
            .0
            .entities
            .query(
                &tenant.tenant_id,
                &params.ck_type_id,
                criteria.as_ref(),
                params.attribute_paths.as_deref().unwrap_or_default(),
                &sort_keys(params.sort.as_deref().unwrap_or_default()),
                params.limit,
                params.offset,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        Ok(output(&params.ck_type_id, result).tenant(tenant.tenant_id.to_string()))
    }
}

pub struct QueryEntitiesSimple(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryEntitiesSimpleParams {
    /// The CK type; entities of derived types are included.
    pub ck_type_id: String,
    /// `[{attributePath, value}]`, all equal (a null value means "is null").
    #[serde(default)]
    pub simple_filters: Option<Vec<SimpleFilter>>,
    /// Only these attributes in the result.
    #[serde(default)]
    pub attribute_paths: Option<Vec<String>>,
    /// At most this many entities (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Skip this many matching entities.
    #[serde(default)]
    pub offset: Option<u32>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for QueryEntitiesSimple {
    type Params = QueryEntitiesSimpleParams;
    type Output = QueryEntitiesOutput;

    fn output_json(output: QueryEntitiesOutput) -> Result<Value, serde_json::Error> {
        Ok(Value::Object(page_json(output)))
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "query_entities_simple",
            title: "Query entities by equality",
            description: "Finds entities of a CK type whose attributes equal the given values \
                (all conditions must hold). For other comparisons use query_entities.",
            category: Category::CrudOperations,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "The meter named M-1",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "simpleFilters": [{"attributePath": "Name", "value": "M-1"}]
                }),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: QueryEntitiesSimpleParams,
    ) -> Result<Success<QueryEntitiesOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let criteria = simple_criteria(params.simple_filters.as_deref().unwrap_or_default());
        let result = self
            .0
            .entities
            .query(
                &tenant.tenant_id,
                &params.ck_type_id,
                Some(&criteria),
                params.attribute_paths.as_deref().unwrap_or_default(),
                &[],
                params.limit,
                params.offset,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        Ok(output(&params.ck_type_id, result).tenant(tenant.tenant_id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{QueryEntitiesOutput, page_json};

    #[test]
    fn page_json_is_the_serde_form() {
        let output = || QueryEntitiesOutput {
            ck_type_id: "Octo.Industry.Energy/EnergyMeter".into(),
            total_count: 12,
            returned_count: 1,
            entities: vec![
                json!({"rtId": "65f1a2b3c4d5e6f708192a3b", "attributes": {"Name": "M-1"}}),
            ],
        };
        assert_eq!(
            serde_json::Value::Object(page_json(output())),
            serde_json::to_value(output()).expect("serialise")
        );
    }
}
