//! Time-series query requests as the tools take them (paths, JSON values, date-times) and their
//! translation to the store's queries over one archive's columns. Aggregation columns and
//! group-by paths go through the same checks and default aliases as entity aggregation
//! ([`octo_store::aggregate_spec`]).

use chrono::{DateTime, Utc};
use octo_store::aggregate_spec::{self, ColumnRequest, Resolved};
use octo_store::{
    FilterOperator, StreamAggregate, StreamFilter, StreamGroupKey, StreamSelection, StreamValue,
};
use serde_json::Value;

use crate::archive::{TableColumn, value_kind};
use crate::error::StreamDataError;
use crate::sample::stream_value;

/// One condition on a column; all conditions of a request must hold.
#[derive(Debug, Clone)]
pub struct Condition {
    pub attribute_path: String,
    pub operator: FilterOperator,
    /// One value, a list for In / NotIn, nothing for IsNull / IsNotNull.
    pub comparison_value: Value,
}

/// Which samples a query reads.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub filters: Vec<Condition>,
    /// Only these sources (entity rtIds); all when empty.
    pub source_rt_ids: Vec<String>,
}

/// The path every row carries for its source; it can be grouped by.
pub const SOURCE_PATH: &str = "rtId";

pub(crate) fn column_index(columns: &[TableColumn], path: &str) -> Result<usize, StreamDataError> {
    columns
        .iter()
        .position(|c| c.resolved.path.eq_ignore_ascii_case(path.trim()))
        .ok_or_else(|| {
            let valid: Vec<&str> = columns.iter().map(|c| c.resolved.path.as_str()).collect();
            StreamDataError::invalid(format!(
                "'{path}' is not a column of this archive; its columns are {}.",
                valid.join(", ")
            ))
        })
}

fn check_window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(), StreamDataError> {
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(StreamDataError::invalid(format!(
            "Invalid time window: from ({}) must be strictly less than to ({}).",
            from.to_rfc3339(),
            to.to_rfc3339()
        )));
    }
    Ok(())
}

/// The store selection of a window.
pub(crate) fn selection(
    columns: &[TableColumn],
    window: &Window,
) -> Result<StreamSelection, StreamDataError> {
    check_window(window.from, window.to)?;
    let mut filters = Vec::new();
    for condition in &window.filters {
        let index = column_index(columns, &condition.attribute_path)?;
        let column = &columns[index];
        let op = condition.operator;
        let convert = |value: &Value| {
            stream_value(column, value).map_err(|expected| {
                StreamDataError::invalid(format!(
                    "The {op:?} filter on '{}' needs {expected}, not {value}.",
                    column.resolved.path
                ))
            })
        };
        let values: Vec<StreamValue> = match op {
            FilterOperator::IsNull | FilterOperator::IsNotNull => Vec::new(),
            FilterOperator::In | FilterOperator::NotIn => match &condition.comparison_value {
                Value::Array(items) => items.iter().map(convert).collect::<Result<_, _>>()?,
                other => vec![convert(other)?],
            },
            _ => vec![convert(&condition.comparison_value)?],
        };
        filters.push(StreamFilter {
            column: index,
            operator: op,
            values,
        });
    }
    let mut sources = Vec::new();
    for id in &window.source_rt_ids {
        let id = id.trim();
        let parsed = id
            .parse::<octo_ids::OctoObjectId>()
            .map_err(|e| StreamDataError::invalid(format!("sourceRtIds: {e}")))?;
        sources.push(parsed.to_string());
    }
    Ok(StreamSelection {
        from: window.from.map(|t| t.timestamp_micros()),
        to: window.to.map(|t| t.timestamp_micros()),
        sources,
        filters,
    })
}

/// A checked aggregation: store aggregates and their aliases.
pub(crate) struct CheckedAggregation {
    pub aggregates: Vec<StreamAggregate>,
    pub aliases: Vec<String>,
    pub group_by: Vec<StreamGroupKey>,
    /// The names of the group keys in result rows.
    pub group_names: Vec<String>,
}

/// Runs the shared checks over the archive's columns.
pub(crate) fn aggregation(
    columns: &[TableColumn],
    requests: &[ColumnRequest],
    group_by: Option<&[Option<String>]>,
) -> Result<CheckedAggregation, StreamDataError> {
    let resolve_column = |path: &str| -> Result<Resolved<usize>, StreamDataError> {
        let index = column_index(columns, path)?;
        let column = &columns[index];
        Ok(Resolved {
            field: index,
            kind: value_kind(column.resolved.kind, column.resolved.value_type),
            display: column.resolved.path.clone(),
        })
    };
    let checked =
        aggregate_spec::check_columns(requests, resolve_column, StreamDataError::Invalid)?;
    let resolve_key = |path: &str| -> Result<Resolved<(StreamGroupKey, String)>, StreamDataError> {
        if path.eq_ignore_ascii_case(SOURCE_PATH) {
            return Ok(Resolved {
                field: (StreamGroupKey::Source, SOURCE_PATH.to_owned()),
                kind: octo_store::ValueKind::String,
                display: SOURCE_PATH.to_owned(),
            });
        }
        let index = column_index(columns, path)?;
        let name = columns[index].resolved.path.clone();
        Ok(Resolved {
            field: (StreamGroupKey::Column(index), name.clone()),
            kind: octo_store::ValueKind::String,
            display: name,
        })
    };
    let keys = aggregate_spec::check_group_by(group_by, resolve_key, StreamDataError::Invalid)?;
    Ok(CheckedAggregation {
        aliases: checked.iter().map(|c| c.alias.clone()).collect(),
        aggregates: checked
            .iter()
            .map(|c| StreamAggregate {
                function: c.function,
                column: c.field,
            })
            .collect(),
        group_names: keys.iter().map(|(_, name)| name.clone()).collect(),
        group_by: keys.into_iter().map(|(key, _)| key).collect(),
    })
}

/// Equal buckets between `from` and `to`, at most `limit` of them: the width in microseconds.
pub(crate) fn bucket_width(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<i64, StreamDataError> {
    check_window(Some(from), Some(to))?;
    if limit <= 0 {
        return Err(StreamDataError::invalid("limit must be > 0."));
    }
    let span = to.timestamp_micros() - from.timestamp_micros();
    Ok((span + limit - 1) / limit)
}
