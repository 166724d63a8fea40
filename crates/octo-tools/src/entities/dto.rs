//! The wire shapes shared by the entity tools: filter criteria, simple filters, sort columns,
//! attribute updates and aggregation columns, named as the reference server names them.

use octo_entities::AttributeUpdate;
use octo_entities::aggregate::ColumnRequest;
use octo_entities::filter::{Condition, Criteria};
use octo_store::{AggregateFunction, FilterOperator, SortDirection};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// `{fields, operator, nestedFilters}`: conditions combined with And (default) or Or.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldFilterCriteria {
    /// The conditions.
    #[serde(default)]
    pub fields: Vec<FieldFilter>,
    /// How the conditions and nested groups combine.
    #[serde(default)]
    pub operator: LogicalOperator,
    /// Further groups, each combined as one condition.
    #[serde(default)]
    pub nested_filters: Vec<FieldFilterCriteria>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub enum LogicalOperator {
    #[default]
    And,
    Or,
}

/// One condition: `{attributePath, operator, value, secondValue}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldFilter {
    /// An attribute name (`Name`), record field (`NamePlate.ManufacturerName`), qualified id
    /// (`System/Name`) or system attribute (`rtId`, `rtWellKnownName`, `rtCreationDateTime`, …).
    pub attribute_path: String,
    pub operator: Operator,
    /// The value to compare with (a list for In / NotIn; a pattern for Like / Regex).
    #[serde(default)]
    pub value: Option<Value>,
    /// The upper bound for Between.
    #[serde(default)]
    pub second_value: Option<Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Between,
    In,
    NotIn,
    IsNull,
    IsNotNull,
    Regex,
    Like,
    AnyEq,
    AnyLike,
}

impl From<Operator> for FilterOperator {
    fn from(operator: Operator) -> Self {
        match operator {
            Operator::Equals => FilterOperator::Equals,
            Operator::NotEquals => FilterOperator::NotEquals,
            Operator::Contains => FilterOperator::Contains,
            Operator::StartsWith => FilterOperator::StartsWith,
            Operator::EndsWith => FilterOperator::EndsWith,
            Operator::GreaterThan => FilterOperator::GreaterThan,
            Operator::GreaterThanOrEqual => FilterOperator::GreaterThanOrEqual,
            Operator::LessThan => FilterOperator::LessThan,
            Operator::LessThanOrEqual => FilterOperator::LessThanOrEqual,
            Operator::Between => FilterOperator::Between,
            Operator::In => FilterOperator::In,
            Operator::NotIn => FilterOperator::NotIn,
            Operator::IsNull => FilterOperator::IsNull,
            Operator::IsNotNull => FilterOperator::IsNotNull,
            Operator::Regex => FilterOperator::Regex,
            Operator::Like => FilterOperator::Like,
            Operator::AnyEq => FilterOperator::AnyEq,
            Operator::AnyLike => FilterOperator::AnyLike,
        }
    }
}

impl From<&FieldFilterCriteria> for Criteria {
    fn from(dto: &FieldFilterCriteria) -> Self {
        Criteria {
            conditions: dto
                .fields
                .iter()
                .map(|f| Condition {
                    attribute_path: f.attribute_path.clone(),
                    operator: f.operator.into(),
                    value: f.value.clone(),
                    second_value: f.second_value.clone(),
                })
                .collect(),
            any: matches!(dto.operator, LogicalOperator::Or),
            nested: dto.nested_filters.iter().map(Criteria::from).collect(),
        }
    }
}

/// `{attributePath, value}`: equality, all simple filters combined with And.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimpleFilter {
    pub attribute_path: String,
    #[serde(default)]
    pub value: Option<Value>,
}

/// Simple filters as criteria (a null value means "is null").
pub fn simple_criteria(filters: &[SimpleFilter]) -> Criteria {
    Criteria {
        conditions: filters
            .iter()
            .map(|f| Condition {
                attribute_path: f.attribute_path.clone(),
                operator: match f.value {
                    None | Some(Value::Null) => FilterOperator::IsNull,
                    Some(_) => FilterOperator::Equals,
                },
                value: f.value.clone(),
                second_value: None,
            })
            .collect(),
        any: false,
        nested: Vec::new(),
    }
}

/// `{attributePath, direction}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SortColumn {
    pub attribute_path: String,
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

pub fn sort_keys(columns: &[SortColumn]) -> Vec<(String, SortDirection)> {
    columns
        .iter()
        .map(|c| {
            (
                c.attribute_path.clone(),
                match c.direction {
                    Direction::Asc => SortDirection::Asc,
                    Direction::Desc => SortDirection::Desc,
                },
            )
        })
        .collect()
}

/// `{attributePath, value}` of entityData.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeUpdateItem {
    /// An attribute name, record field path (`NamePlate.ManufacturerName`) or `rtWellKnownName`.
    pub attribute_path: String,
    /// The value (null removes an optional attribute).
    #[serde(default)]
    pub value: Value,
}

pub fn updates(items: &[AttributeUpdateItem]) -> Vec<AttributeUpdate> {
    items
        .iter()
        .map(|i| AttributeUpdate {
            attribute_path: i.attribute_path.clone(),
            value: i.value.clone(),
        })
        .collect()
}

/// `{function, attributePath?, alias?}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AggregationColumn {
    pub function: Function,
    /// Required for every function but count.
    #[serde(default)]
    pub attribute_path: Option<String>,
    /// The result key; defaults to `<function>_<path>` (e.g. avg_Power) or `count`.
    #[serde(default)]
    pub alias: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

pub fn columns(columns: &[AggregationColumn]) -> Vec<ColumnRequest> {
    columns
        .iter()
        .map(|c| ColumnRequest {
            function: match c.function {
                Function::Count => AggregateFunction::Count,
                Function::Sum => AggregateFunction::Sum,
                Function::Avg => AggregateFunction::Avg,
                Function::Min => AggregateFunction::Min,
                Function::Max => AggregateFunction::Max,
            },
            attribute_path: c.attribute_path.clone(),
            alias: c.alias.clone(),
        })
        .collect()
}
