//! Time-series query requests as the tools take them (paths, JSON values, date-times, filter
//! trees of And / Or groups) and their translation to the store's queries over one archive's
//! columns. Aggregation columns and group-by paths go through the same checks and default
//! aliases as entity aggregation ([`octo_store::aggregate_spec`]).

use chrono::{DateTime, Utc};
use octo_store::aggregate_spec::{self, ColumnRequest, Resolved};
use octo_store::{
    FilterOperator, MAX_STREAM_FILTER_CONDITIONS, MAX_STREAM_FILTER_DEPTH,
    MAX_STREAM_FILTER_VALUES, StreamAggregate, StreamFilter, StreamFilterExpr, StreamGroupKey,
    StreamSelection, StreamValue,
};
use serde_json::Value;

use crate::archive::{TableColumn, value_kind};
use crate::error::StreamDataError;
use crate::sample::stream_value;

/// One condition on a column.
#[derive(Debug, Clone)]
pub struct Condition {
    pub attribute_path: String,
    pub operator: FilterOperator,
    /// One value, a list for In / NotIn, nothing for IsNull / IsNotNull.
    pub comparison_value: Value,
}

/// Conditions and nested groups combined with And (or Or when `any`): the tools'
/// `{fields, operator, nestedFilters}`, the shape entity queries take too.
///
/// The rule for empty groups: the top-level group with no conditions and no nested groups is
/// no filter (every sample of the window), whatever its operator, as an omitted `filters` is.
/// A nested group with nothing in it is refused, because under And it would match every
/// sample and under Or none, and neither is likely what was meant.
#[derive(Debug, Clone, Default)]
pub struct ConditionGroup {
    pub conditions: Vec<Condition>,
    /// Or instead of And.
    pub any: bool,
    pub nested: Vec<ConditionGroup>,
}

impl ConditionGroup {
    /// All of `conditions` must hold.
    #[must_use]
    pub fn all(conditions: Vec<Condition>) -> Self {
        Self {
            conditions,
            ..Self::default()
        }
    }

    /// No conditions and no nested groups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.nested.is_empty()
    }
}

/// Which samples a query reads.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// The filter tree; empty (the default) for none.
    pub filters: ConditionGroup,
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

/// The filter tree's size so far, against the store's limits.
#[derive(Default)]
struct TreeSize {
    conditions: usize,
    values: usize,
}

/// One condition as the store's filter on its column, the value(s) converted to the column's
/// kind.
fn condition_filter(
    columns: &[TableColumn],
    condition: &Condition,
) -> Result<StreamFilter, StreamDataError> {
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
    Ok(StreamFilter {
        column: index,
        operator: op,
        values,
    })
}

/// A group as a store filter tree, checked against the limits with messages in the tools'
/// words (`filters`, `nestedFilters`); `at` names the group for them.
fn group_expr(
    columns: &[TableColumn],
    group: &ConditionGroup,
    depth: usize,
    at: &str,
    size: &mut TreeSize,
) -> Result<StreamFilterExpr, StreamDataError> {
    if depth > MAX_STREAM_FILTER_DEPTH {
        return Err(StreamDataError::invalid(format!(
            "Filters nest too deeply at {at}: at most {MAX_STREAM_FILTER_DEPTH} levels of \
             groups (filters and its nestedFilters) are allowed. Flatten the groups."
        )));
    }
    let mut parts = Vec::with_capacity(group.conditions.len() + group.nested.len());
    for condition in &group.conditions {
        let filter = condition_filter(columns, condition)?;
        size.conditions += 1;
        size.values += filter.values.len();
        if size.conditions > MAX_STREAM_FILTER_CONDITIONS {
            return Err(StreamDataError::invalid(format!(
                "Filters have more than {MAX_STREAM_FILTER_CONDITIONS} conditions in all \
                 (fields of every group); narrow the query or use In with a list."
            )));
        }
        if size.values > MAX_STREAM_FILTER_VALUES {
            return Err(StreamDataError::invalid(format!(
                "Filters compare with more than {MAX_STREAM_FILTER_VALUES} values in all \
                 (In / NotIn items included); narrow the query."
            )));
        }
        parts.push(StreamFilterExpr::Condition(filter));
    }
    for (i, nested) in group.nested.iter().enumerate() {
        let here = format!("{at}.nestedFilters[{i}]");
        if nested.is_empty() {
            return Err(StreamDataError::invalid(format!(
                "{here} has no fields and no nestedFilters. An empty group is refused: under \
                 And it would match every sample and under Or none. Remove it or give it a \
                 condition."
            )));
        }
        parts.push(group_expr(columns, nested, depth + 1, &here, size)?);
    }
    Ok(match parts.len() {
        // One part is itself, whichever the operator.
        1 => parts.pop().unwrap_or_default(),
        _ if group.any => StreamFilterExpr::Or(parts),
        _ => StreamFilterExpr::And(parts),
    })
}

/// The store filter tree of a window's filters; empty when there are none.
pub(crate) fn filter_tree(
    columns: &[TableColumn],
    filters: &ConditionGroup,
) -> Result<StreamFilterExpr, StreamDataError> {
    if filters.is_empty() {
        // The documented rule: an empty top-level group is no filter, as no `filters` is.
        return Ok(StreamFilterExpr::default());
    }
    group_expr(columns, filters, 1, "filters", &mut TreeSize::default())
}

/// The store selection of a window.
pub(crate) fn selection(
    columns: &[TableColumn],
    window: &Window,
) -> Result<StreamSelection, StreamDataError> {
    check_window(window.from, window.to)?;
    let filters = filter_tree(columns, &window.filters)?;
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
