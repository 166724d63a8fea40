//! Wire shapes of the stream-data tools: filters, sort and the time window, mapped to the
//! service's requests. Aggregation columns are the entity tools' own shape.

use chrono::{DateTime, Utc};
use octo_streamdata::{Condition, ConditionGroup, Window};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::entities::dto::{FieldFilterCriteria, LogicalOperator};
use crate::error::ToolError;

/// `{attributePath, direction}`; stream data sorts by time only.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SortColumn {
    /// `timestamp`.
    pub attribute_path: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub direction: Option<String>,
}

/// Whether the rows come newest first.
#[allow(clippy::result_large_err)] // the error every `Tool::run` returns
pub fn descending(sort: &[SortColumn]) -> Result<bool, ToolError> {
    match sort {
        [] => Ok(false),
        [one] if one.attribute_path.trim().eq_ignore_ascii_case("timestamp") => {
            match one
                .direction
                .as_deref()
                .map(str::trim)
                .map(str::to_ascii_lowercase)
            {
                None => Ok(false),
                Some(d) if d == "asc" || d == "ascending" => Ok(false),
                Some(d) if d == "desc" || d == "descending" => Ok(true),
                Some(other) => Err(ToolError::InvalidArguments(format!(
                    "sort direction '{other}' is not asc or desc."
                ))),
            }
        }
        _ => Err(ToolError::InvalidArguments(
            "Stream data is sorted by time only: pass sort [{\"attributePath\": \"timestamp\", \
             \"direction\": \"asc\" | \"desc\"}]."
                .to_owned(),
        )),
    }
}

/// The service's filter tree from the tools' `{fields, operator, nestedFilters}` criteria
/// (the entity tools' shape), group for group.
pub fn condition_group(criteria: &FieldFilterCriteria) -> ConditionGroup {
    ConditionGroup {
        conditions: criteria
            .fields
            .iter()
            .map(|field| Condition {
                attribute_path: field.attribute_path.clone(),
                operator: field.operator.into(),
                comparison_value: field.value.clone().unwrap_or(Value::Null),
            })
            .collect(),
        any: matches!(criteria.operator, LogicalOperator::Or),
        nested: criteria
            .nested_filters
            .iter()
            .map(condition_group)
            .collect(),
    }
}

/// The service's window from the tools' parameters. Filters are a tree of And / Or groups;
/// the service checks its paths, values and size and refuses empty nested groups.
pub fn window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    filters: Option<&FieldFilterCriteria>,
    source_rt_ids: Option<&[String]>,
) -> Window {
    Window {
        from,
        to,
        filters: filters.map(condition_group).unwrap_or_default(),
        source_rt_ids: source_rt_ids.unwrap_or_default().to_vec(),
    }
}
