//! Wire shapes of the stream-data tools: filters, sort and the time window, mapped to the
//! service's requests. Aggregation columns are the entity tools' own shape.

use chrono::{DateTime, Utc};
use octo_streamdata::{Condition, Window};
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

/// The service's window from the tools' parameters. All conditions are combined with And;
/// Or and nested groups are refused rather than silently ignored.
#[allow(clippy::result_large_err)] // the error every `Tool::run` returns
pub fn window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    filters: Option<&FieldFilterCriteria>,
    source_rt_ids: Option<&[String]>,
) -> Result<Window, ToolError> {
    let mut conditions = Vec::new();
    if let Some(filters) = filters {
        if matches!(filters.operator, LogicalOperator::Or) && filters.fields.len() > 1
            || !filters.nested_filters.is_empty()
        {
            return Err(ToolError::InvalidArguments(
                "Stream-data filters combine their fields with And only; Or and nestedFilters \
                 are not supported."
                    .to_owned(),
            ));
        }
        for field in &filters.fields {
            conditions.push(Condition {
                attribute_path: field.attribute_path.clone(),
                operator: field.operator.into(),
                comparison_value: field.value.clone().unwrap_or(Value::Null),
            });
        }
    }
    Ok(Window {
        from,
        to,
        filters: conditions,
        source_rt_ids: source_rt_ids.unwrap_or_default().to_vec(),
    })
}
