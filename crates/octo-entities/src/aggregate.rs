//! Aggregation requests: checked up front (before anything reaches the store) and turned into
//! the store's [`AggregationQuery`].
//!
//! Default aliases are `<function>_<path>` with every character that is not a letter, digit or
//! `_` replaced by `_` (`avg` of `Power` → `avg_Power`, `sum` of `Meter.Value` →
//! `sum_Meter_Value`); `count` without a path is `count`.

use std::collections::BTreeSet;

use octo_ck::CkLibrary;
use octo_ck::library::TypeInfo;
use octo_store::{AggregateColumn, AggregateFunction, AggregationQuery, PathRef, ValueKind};

use crate::error::EntityError;
use crate::filter::{Criteria, to_filter};
use crate::path::resolve;

/// One requested column.
#[derive(Debug, Clone)]
pub struct ColumnRequest {
    pub function: AggregateFunction,
    pub attribute_path: Option<String>,
    pub alias: Option<String>,
}

pub fn function_name(function: AggregateFunction) -> &'static str {
    match function {
        AggregateFunction::Count => "count",
        AggregateFunction::Sum => "sum",
        AggregateFunction::Avg => "avg",
        AggregateFunction::Min => "min",
        AggregateFunction::Max => "max",
    }
}

/// The alias a column gets when it names none.
pub fn default_alias(function: AggregateFunction, path: Option<&str>) -> String {
    match path.map(str::trim).filter(|p| !p.is_empty()) {
        None => function_name(function).to_owned(),
        Some(path) => format!(
            "{}_{}",
            function_name(function),
            path.chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                })
                .collect::<String>()
        ),
    }
}

/// Checks the columns and group-by paths (spec messages first) and builds the store query.
pub fn build(
    library: &CkLibrary,
    type_info: &TypeInfo,
    ck_type_ids: Vec<String>,
    columns: &[ColumnRequest],
    group_by: Option<&[Option<String>]>,
    criteria: Option<&Criteria>,
) -> Result<AggregationQuery, EntityError> {
    if columns.is_empty() {
        return Err(EntityError::invalid(
            "Aggregation requires at least one column: pass at least one entry in \
             'aggregations', e.g. {\"function\": \"count\"}.",
        ));
    }
    let mut aliases = BTreeSet::new();
    let mut out_columns = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        let name = function_name(column.function);
        let path = column
            .attribute_path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if path.is_none() && column.function != AggregateFunction::Count {
            return Err(EntityError::invalid(format!(
                "Aggregation column {index} ('{name}') needs an attributePath; only count may omit it."
            )));
        }
        let alias = column
            .alias
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map_or_else(|| default_alias(column.function, path), str::to_owned);
        if !aliases.insert(alias.to_ascii_lowercase()) {
            return Err(EntityError::invalid(format!(
                "Aggregation alias '{alias}' is not unique (column {index}). Rename one \
                 explicitly via 'alias', or change its function or path."
            )));
        }
        let field = match path {
            None => None,
            Some(path) => {
                let resolved = resolve(library, type_info, path)?;
                check_function(column.function, &resolved.path, &resolved.display, &alias)?;
                Some(resolved.path)
            }
        };
        out_columns.push(AggregateColumn {
            function: column.function,
            field,
            alias,
        });
    }
    let mut seen = BTreeSet::new();
    let mut out_group_by = Vec::new();
    if group_by.is_some_and(<[_]>::is_empty) {
        return Err(EntityError::invalid(
            "groupBy paths must be non-empty / contain no duplicates: groupByAttributePaths is \
             empty; name at least one path to group by.",
        ));
    }
    for (index, entry) in group_by.unwrap_or_default().iter().enumerate() {
        let Some(path) = entry.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
            return Err(EntityError::invalid(format!(
                "groupBy paths must be non-empty / contain no duplicates: entry {index} of \
                 groupByAttributePaths is empty or null."
            )));
        };
        let resolved = resolve(library, type_info, path)?;
        if !seen.insert(resolved.display.to_ascii_lowercase()) {
            return Err(EntityError::invalid(format!(
                "groupBy paths must be non-empty / contain no duplicates: '{path}' appears more \
                 than once in groupByAttributePaths."
            )));
        }
        out_group_by.push(resolved.path);
    }
    let filter = match criteria {
        Some(criteria) => to_filter(library, type_info, criteria)?,
        None => None,
    };
    Ok(AggregationQuery {
        ck_type_ids,
        filter,
        group_by: out_group_by,
        columns: out_columns,
    })
}

/// sum and avg need numbers; min and max need something ordered.
fn check_function(
    function: AggregateFunction,
    path: &PathRef,
    display: &str,
    alias: &str,
) -> Result<(), EntityError> {
    let numeric = matches!(path.kind, ValueKind::Integer | ValueKind::Double);
    let ordered = numeric || matches!(path.kind, ValueKind::String | ValueKind::DateTime);
    let ok = match function {
        AggregateFunction::Count => true,
        AggregateFunction::Sum | AggregateFunction::Avg => numeric,
        AggregateFunction::Min | AggregateFunction::Max => ordered,
    };
    if ok {
        Ok(())
    } else {
        Err(EntityError::invalid(format!(
            "Aggregation column '{alias}': {} of '{display}' is not possible; {} needs a numeric \
             attribute{}.",
            function_name(function),
            function_name(function),
            if matches!(function, AggregateFunction::Min | AggregateFunction::Max) {
                " or a text / date-time one"
            } else {
                ""
            }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_aliases_follow_the_spec() {
        assert_eq!(
            default_alias(AggregateFunction::Avg, Some("Power")),
            "avg_Power"
        );
        assert_eq!(
            default_alias(AggregateFunction::Sum, Some("Meter.Value")),
            "sum_Meter_Value"
        );
        assert_eq!(default_alias(AggregateFunction::Count, None), "count");
        assert_eq!(
            default_alias(AggregateFunction::Max, Some("a-b c")),
            "max_a_b_c"
        );
    }
}
