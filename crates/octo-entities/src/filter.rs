//! Filters: the tools' `{fields, operator, nestedFilters}` criteria turned into the store's
//! [`FilterExpr`], with every path resolved and every value converted to the stored form.

use octo_ck::CkLibrary;
use octo_ck::library::TypeInfo;
use octo_store::{FieldFilter, FilterExpr, FilterOperator, ValueKind};
use serde_json::Value;

use crate::error::EntityError;
use crate::path::{ResolvedPath, resolve};
use crate::value::{date_time, to_stored};

/// One condition on one attribute path.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Condition {
    pub attribute_path: String,
    pub operator: FilterOperator,
    pub value: Option<Value>,
    pub second_value: Option<Value>,
}

/// Conditions combined with And (or Or when `any`), plus nested groups.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Criteria {
    pub conditions: Vec<Condition>,
    pub any: bool,
    pub nested: Vec<Criteria>,
}

/// The store filter for `criteria` on `type_info`; `None` when it has no conditions.
pub fn to_filter(
    library: &CkLibrary,
    type_info: &TypeInfo,
    criteria: &Criteria,
) -> Result<Option<FilterExpr>, EntityError> {
    let mut parts = Vec::new();
    for condition in &criteria.conditions {
        parts.push(FilterExpr::Field(field_filter(
            library, type_info, condition,
        )?));
    }
    for nested in &criteria.nested {
        if let Some(expr) = to_filter(library, type_info, nested)? {
            parts.push(expr);
        }
    }
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ if criteria.any => Some(FilterExpr::Or(parts)),
        _ => Some(FilterExpr::And(parts)),
    })
}

fn field_filter(
    library: &CkLibrary,
    type_info: &TypeInfo,
    condition: &Condition,
) -> Result<FieldFilter, EntityError> {
    let resolved = resolve(library, type_info, &condition.attribute_path)?;
    let operator = condition.operator;
    let needs = |what: &str| {
        EntityError::invalid(format!(
            "Filter on '{}' with {operator:?} needs {what}.",
            resolved.display
        ))
    };
    let convert = |value: &Value| convert_value(library, &resolved, operator, value);
    let (value, second_value) = match operator {
        FilterOperator::IsNull | FilterOperator::IsNotNull => (None, None),
        FilterOperator::Between => {
            let low = condition
                .value
                .as_ref()
                .ok_or_else(|| needs("value and secondValue"))?;
            let high = condition
                .second_value
                .as_ref()
                .ok_or_else(|| needs("value and secondValue"))?;
            (Some(convert(low)?), Some(convert(high)?))
        }
        FilterOperator::In | FilterOperator::NotIn => {
            let Some(Value::Array(items)) = &condition.value else {
                return Err(needs("a list as value"));
            };
            let items = items.iter().map(convert).collect::<Result<Vec<_>, _>>()?;
            (Some(Value::Array(items)), None)
        }
        FilterOperator::Contains
        | FilterOperator::StartsWith
        | FilterOperator::EndsWith
        | FilterOperator::Like
        | FilterOperator::Regex
        | FilterOperator::AnyLike => match &condition.value {
            Some(Value::String(text)) => (Some(Value::String(text.clone())), None),
            _ => return Err(needs("a text value")),
        },
        _ => {
            let value = condition.value.as_ref().ok_or_else(|| needs("a value"))?;
            (Some(convert(value)?), None)
        }
    };
    Ok(FieldFilter {
        field: resolved.path.clone(),
        operator,
        value,
        second_value,
    })
}

/// A comparison value in the stored form of the path's kind.
fn convert_value(
    library: &CkLibrary,
    resolved: &ResolvedPath,
    operator: FilterOperator,
    value: &Value,
) -> Result<Value, EntityError> {
    let wrong = |what: &str| {
        EntityError::invalid(format!(
            "Filter on '{}' compares {what}; got {value}.",
            resolved.display
        ))
    };
    match (&resolved.attribute, resolved.path.kind) {
        // Array attributes compare element-wise (AnyEq): the value is one element.
        (_, ValueKind::StringArray) => value
            .as_str()
            .map(|s| Value::String(s.to_owned()))
            .ok_or_else(|| wrong("texts")),
        (_, ValueKind::IntegerArray) => value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Value::from)
            .ok_or_else(|| wrong("whole numbers")),
        (Some(attribute), _) if operator != FilterOperator::AnyEq => {
            to_stored(library, attribute, &resolved.display, value)
        }
        (None, ValueKind::DateTime) => value
            .as_str()
            .and_then(date_time)
            .map(Value::String)
            .ok_or_else(|| wrong("ISO 8601 date-times")),
        (None, ValueKind::Integer) => value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Value::from)
            .ok_or_else(|| wrong("whole numbers")),
        (None, _) => value
            .as_str()
            .map(|s| Value::String(s.to_owned()))
            .ok_or_else(|| wrong("texts")),
        (Some(_), _) => Ok(value.clone()),
    }
}
