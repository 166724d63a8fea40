//! Aggregation requests: checked up front (before anything reaches the store) and turned into
//! the store's [`AggregationQuery`].
//!
//! Default aliases are `<function>_<path>` with every character that is not a letter, digit or
//! `_` replaced by `_` (`avg` of `Power` → `avg_Power`, `sum` of `Meter.Value` →
//! `sum_Meter_Value`); `count` without a path is `count`.

use octo_ck::CkLibrary;
use octo_ck::library::TypeInfo;
use octo_store::aggregate_spec::{self, Resolved};
use octo_store::{AggregateColumn, AggregationQuery};

pub use octo_store::aggregate_spec::{ColumnRequest, default_alias, function_name};

use crate::error::EntityError;
use crate::filter::{Criteria, to_filter};
use crate::path::resolve;

/// Checks the columns and group-by paths (spec messages first, by the rules shared with stream
/// data in [`octo_store::aggregate_spec`]) and builds the store query.
pub fn build(
    library: &CkLibrary,
    type_info: &TypeInfo,
    ck_type_ids: Vec<String>,
    columns: &[ColumnRequest],
    group_by: Option<&[Option<String>]>,
    criteria: Option<&Criteria>,
) -> Result<AggregationQuery, EntityError> {
    let resolver = |path: &str| {
        let resolved = resolve(library, type_info, path)?;
        Ok(Resolved {
            kind: resolved.path.kind,
            field: resolved.path,
            display: resolved.display,
        })
    };
    let columns = aggregate_spec::check_columns(columns, resolver, EntityError::Invalid)?
        .into_iter()
        .map(|column| AggregateColumn {
            function: column.function,
            field: column.field,
            alias: column.alias,
        })
        .collect();
    let group_by = aggregate_spec::check_group_by(group_by, resolver, EntityError::Invalid)?;
    let filter = match criteria {
        Some(criteria) => to_filter(library, type_info, criteria)?,
        None => None,
    };
    Ok(AggregationQuery {
        ck_type_ids,
        filter,
        group_by,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use octo_store::AggregateFunction;

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
