//! Aggregation requests as callers write them (`{function, attributePath?, alias?}` and
//! `groupByAttributePaths`): the spec's up-front checks and default aliases, written once and
//! used by every kind of aggregation (entities, stream data). The caller supplies how a path
//! resolves; this module owns the rules and the messages.
//!
//! Default aliases are `<function>_<path>` with every character that is not a letter, digit or
//! `_` replaced by `_` (`avg` of `Power` → `avg_Power`, `sum` of `Meter.Value` →
//! `sum_Meter_Value`); `count` without a path is `count`.

use std::collections::BTreeSet;

use crate::query::{AggregateFunction, ValueKind};

/// One requested aggregation column, as the caller wrote it.
#[derive(Debug, Clone)]
pub struct ColumnRequest {
    /// count, sum, avg, min or max.
    pub function: AggregateFunction,
    /// The path aggregated; only count may omit it.
    pub attribute_path: Option<String>,
    /// The result key; defaults to [`default_alias`].
    pub alias: Option<String>,
}

/// A column that passed the checks, with its path resolved by the caller.
#[derive(Debug, Clone)]
pub struct CheckedColumn<F> {
    /// count, sum, avg, min or max.
    pub function: AggregateFunction,
    /// What the caller's resolver made of the path; `None` for a plain count.
    pub field: Option<F>,
    /// The result key, unique (case-insensitively) among the columns.
    pub alias: String,
}

/// What a path resolves to: the caller's own representation, the kind of its values (which
/// functions fit), and its name for messages.
#[derive(Debug, Clone)]
pub struct Resolved<F> {
    pub field: F,
    pub kind: ValueKind,
    pub display: String,
}

/// The function's name as callers write it.
#[must_use]
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
#[must_use]
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

/// Checks the columns in the spec's order (at least one; a path for everything but count;
/// unique aliases; a function that fits the path's kind), resolving each path with `resolve`.
/// `invalid` turns a message into the caller's error type.
pub fn check_columns<F, E>(
    columns: &[ColumnRequest],
    mut resolve: impl FnMut(&str) -> Result<Resolved<F>, E>,
    invalid: impl Fn(String) -> E,
) -> Result<Vec<CheckedColumn<F>>, E> {
    if columns.is_empty() {
        return Err(invalid(
            "Aggregation requires at least one column: pass at least one entry in \
             'aggregations', e.g. {\"function\": \"count\"}."
                .to_owned(),
        ));
    }
    let mut aliases = BTreeSet::new();
    let mut checked = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        let name = function_name(column.function);
        let path = column
            .attribute_path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if path.is_none() && column.function != AggregateFunction::Count {
            return Err(invalid(format!(
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
            return Err(invalid(format!(
                "Aggregation alias '{alias}' is not unique (column {index}). Rename one \
                 explicitly via 'alias', or change its function or path."
            )));
        }
        let field = match path {
            None => None,
            Some(path) => {
                let resolved = resolve(path)?;
                if let Some(message) =
                    function_misfit(column.function, resolved.kind, &resolved.display, &alias)
                {
                    return Err(invalid(message));
                }
                Some(resolved.field)
            }
        };
        checked.push(CheckedColumn {
            function: column.function,
            field,
            alias,
        });
    }
    Ok(checked)
}

/// Checks group-by paths (none empty or null, none twice by their resolved display name) and
/// resolves them. `None` means no grouping was asked for; an empty list is refused.
pub fn check_group_by<F, E>(
    entries: Option<&[Option<String>]>,
    mut resolve: impl FnMut(&str) -> Result<Resolved<F>, E>,
    invalid: impl Fn(String) -> E,
) -> Result<Vec<F>, E> {
    let Some(entries) = entries else {
        return Ok(Vec::new());
    };
    if entries.is_empty() {
        return Err(invalid(
            "groupBy paths must be non-empty / contain no duplicates: groupByAttributePaths is \
             empty; name at least one path to group by."
                .to_owned(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut fields = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let Some(path) = entry.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
            return Err(invalid(format!(
                "groupBy paths must be non-empty / contain no duplicates: entry {index} of \
                 groupByAttributePaths is empty or null."
            )));
        };
        let resolved = resolve(path)?;
        if !seen.insert(resolved.display.to_ascii_lowercase()) {
            return Err(invalid(format!(
                "groupBy paths must be non-empty / contain no duplicates: '{path}' appears more \
                 than once in groupByAttributePaths."
            )));
        }
        fields.push(resolved.field);
    }
    Ok(fields)
}

/// sum and avg need numbers; min and max need something ordered. The message, if it does not fit.
fn function_misfit(
    function: AggregateFunction,
    kind: ValueKind,
    display: &str,
    alias: &str,
) -> Option<String> {
    let numeric = matches!(kind, ValueKind::Integer | ValueKind::Double);
    let ordered = numeric || matches!(kind, ValueKind::String | ValueKind::DateTime);
    let ok = match function {
        AggregateFunction::Count => true,
        AggregateFunction::Sum | AggregateFunction::Avg => numeric,
        AggregateFunction::Min | AggregateFunction::Max => ordered,
    };
    (!ok).then(|| {
        format!(
            "Aggregation column '{alias}': {} of '{display}' is not possible; {} needs a numeric \
             attribute{}.",
            function_name(function),
            function_name(function),
            if matches!(function, AggregateFunction::Min | AggregateFunction::Max) {
                " or a text / date-time one"
            } else {
                ""
            }
        )
    })
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

    fn resolve(path: &str) -> Result<Resolved<String>, String> {
        Ok(Resolved {
            field: path.to_owned(),
            kind: if path == "Name" {
                ValueKind::String
            } else {
                ValueKind::Double
            },
            display: path.to_owned(),
        })
    }

    #[test]
    fn messages_start_with_the_spec_words() {
        let err = check_columns(&[], resolve, |m| m).expect_err("empty");
        assert!(err.starts_with("Aggregation requires at least one column"));
        let twice = ColumnRequest {
            function: AggregateFunction::Avg,
            attribute_path: Some("Power".to_owned()),
            alias: None,
        };
        let err = check_columns(&[twice.clone(), twice], resolve, |m| m).expect_err("dup");
        assert!(err.starts_with("Aggregation alias 'avg_Power' is not unique"));
        let sum_text = ColumnRequest {
            function: AggregateFunction::Sum,
            attribute_path: Some("Name".to_owned()),
            alias: None,
        };
        let err = check_columns(&[sum_text], resolve, |m| m).expect_err("kind");
        assert!(err.contains("sum of 'Name' is not possible"), "{err}");
        for entries in [
            vec![],
            vec![None],
            vec![Some(" ".to_owned())],
            vec![Some("a".to_owned()), Some("a".to_owned())],
        ] {
            let err = check_group_by(Some(&entries), resolve, |m| m).expect_err("group");
            assert!(
                err.starts_with("groupBy paths must be non-empty / contain no duplicates"),
                "{err}"
            );
        }
    }
}
