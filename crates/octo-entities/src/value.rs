//! Attribute values: checking what a caller sends against the attribute's CK value type and
//! converting it to the stored form.
//!
//! Stored forms (what queries compare): String as text; Int/Int64 as integers; Double as a
//! number; Boolean as a boolean; DateTime and DateTimeOffset as RFC 3339 UTC text with six
//! fractional digits (`2026-11-25T16:00:00.000000Z`, so text order is time order); TimeSpan as
//! `[-][d.]hh:mm:ss[.fffffff]` text; enums by value NAME; records as objects keyed by field
//! name; Binary as base64 text; GeospatialPoint as `{"longitude": x, "latitude": y}`.
//! Input is lenient where it is unambiguous ("42" for an Int, "true" for a Boolean, an enum's
//! number for its name), because assistants often send everything as strings.

use chrono::{DateTime, SecondsFormat, Utc};
use octo_ck::CkLibrary;
use octo_ck::document::CkValueType;
use octo_ck::library::EffectiveAttribute;
use serde_json::{Map, Number, Value};

use crate::error::EntityError;

/// Checks `value` for `attribute` (named `path` in messages) and returns its stored form.
pub fn to_stored(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    path: &str,
    value: &Value,
) -> Result<Value, EntityError> {
    let expected = attribute.value_type;
    let wrong = |what: &str| {
        EntityError::invalid(format!(
            "Attribute '{path}' expects {} ({what}); got {}.",
            describe(expected),
            short(value)
        ))
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    Ok(match expected {
        CkValueType::String | CkValueType::BinaryLinked => match value {
            Value::String(text) => Value::String(text.clone()),
            _ => return Err(wrong("text")),
        },
        CkValueType::Boolean => match value {
            Value::Bool(b) => Value::Bool(*b),
            Value::String(text) if text.eq_ignore_ascii_case("true") => Value::Bool(true),
            Value::String(text) if text.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
        CkValueType::Int => {
            let n = integer(value).ok_or_else(|| wrong("a whole number"))?;
            if i32::try_from(n).is_err() {
                return Err(wrong("a 32-bit whole number"));
            }
            Value::from(n)
        }
        CkValueType::Int64 => Value::from(integer(value).ok_or_else(|| wrong("a whole number"))?),
        CkValueType::Double => {
            let n = number(value).ok_or_else(|| wrong("a number"))?;
            Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| wrong("a finite number"))?
        }
        CkValueType::DateTime | CkValueType::DateTimeOffset => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong("an ISO 8601 date-time text"))?;
            Value::String(date_time(text).ok_or_else(|| {
                wrong("an ISO 8601 date-time with offset, e.g. 2026-11-25T16:00:00Z")
            })?)
        }
        CkValueType::TimeSpan => {
            let text = value.as_str().ok_or_else(|| wrong("a duration text"))?;
            if !is_time_span(text) {
                return Err(wrong("a duration like 01:30:00 or 2.04:00:00"));
            }
            Value::String(text.to_owned())
        }
        CkValueType::StringArray => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => value.clone(),
            _ => return Err(wrong("a list of texts")),
        },
        CkValueType::IntArray => match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| integer(item).map(Value::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| wrong("a list of whole numbers"))?,
            ),
            _ => return Err(wrong("a list of whole numbers")),
        },
        CkValueType::Enum => enum_value(library, attribute, path, value)?,
        CkValueType::Record => record_value(library, attribute, path, value)?,
        CkValueType::RecordArray => match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        record_value(library, attribute, &format!("{path}[{i}]"), item)
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err(wrong("a list of records")),
        },
        CkValueType::Binary => match value {
            Value::String(text) if is_base64(text) => value.clone(),
            _ => return Err(wrong("base64 text")),
        },
        CkValueType::GeospatialPoint => geo_point(value).ok_or_else(|| {
            wrong("a point {\"longitude\": x, \"latitude\": y} or [longitude, latitude]")
        })?,
    })
}

/// The enum value's name, given its name (any case) or its number.
fn enum_value(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    path: &str,
    value: &Value,
) -> Result<Value, EntityError> {
    let Some(enum_id) = &attribute.enum_id else {
        return Err(EntityError::invalid(format!(
            "Attribute '{path}' is an Enum without an enum id in its model."
        )));
    };
    let info = library.get_enum(&enum_id.to_string())?;
    let found = match value {
        Value::String(text) => info
            .values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(text.trim()))
            .or_else(|| {
                text.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|k| info.value_by_key(k))
            }),
        Value::Number(n) => n.as_i64().and_then(|k| info.value_by_key(k)),
        _ => None,
    };
    match found {
        Some(v) => Ok(Value::String(v.name.clone())),
        None => Err(EntityError::invalid(format!(
            "Attribute '{path}' expects a value of enum '{enum_id}': one of {}; got {}.",
            info.values
                .iter()
                .map(|v| format!("{} ({})", v.name, v.key))
                .collect::<Vec<_>>()
                .join(", "),
            short(value)
        ))),
    }
}

/// A record value: an object whose fields are checked against the record's attributes.
fn record_value(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    path: &str,
    value: &Value,
) -> Result<Value, EntityError> {
    let Some(record_id) = &attribute.record_id else {
        return Err(EntityError::invalid(format!(
            "Attribute '{path}' is a Record without a record id in its model."
        )));
    };
    let Value::Object(fields) = value else {
        return Err(EntityError::invalid(format!(
            "Attribute '{path}' expects a record '{record_id}' as an object of its fields; got {}.",
            short(value)
        )));
    };
    let record = library.get_record(&record_id.to_string())?;
    let mut stored = Map::new();
    for (name, field_value) in fields {
        // `ckRecordId` names the record in runtime-model files; it is not a field.
        if name == "ckRecordId" {
            continue;
        }
        let Some(field) = record
            .attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
        else {
            return Err(EntityError::invalid(format!(
                "Record '{record_id}' at '{path}' has no field '{name}'. Its fields: {}.",
                record
                    .attributes
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let converted = to_stored(
            library,
            field,
            &format!("{path}.{}", field.name),
            field_value,
        )?;
        if !converted.is_null() {
            stored.insert(field.name.clone(), converted);
        }
    }
    for field in &record.attributes {
        if !field.is_optional && !stored.contains_key(&field.name) {
            return Err(EntityError::invalid(format!(
                "Record '{record_id}' at '{path}' is missing its required field '{}' ({}).",
                field.name,
                describe(field.value_type)
            )));
        }
    }
    Ok(Value::Object(stored))
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// RFC 3339 / ISO 8601 with an offset, or a plain date-time taken as UTC, in the stored form.
pub fn date_time(text: &str) -> Option<String> {
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })?;
    Some(stored_date_time(parsed))
}

/// The stored text of a UTC time.
pub fn stored_date_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn is_time_span(text: &str) -> bool {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (days, rest) = match text.split_once('.') {
        Some((d, r)) if r.contains(':') && d.chars().all(|c| c.is_ascii_digit()) => (Some(d), r),
        _ => (None, text),
    };
    let _ = days;
    let parts: Vec<&str> = rest.split(':').collect();
    parts.len() == 3
        && parts.iter().enumerate().all(|(i, part)| {
            let digits = if i == 2 {
                part.split('.').next().unwrap_or_default()
            } else {
                part
            };
            !digits.is_empty() && digits.len() <= 2 && digits.chars().all(|c| c.is_ascii_digit())
        })
}

fn is_base64(text: &str) -> bool {
    text.len().is_multiple_of(4)
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
}

fn geo_point(value: &Value) -> Option<Value> {
    let (longitude, latitude) = match value {
        Value::Object(map) => (
            number(map.get("longitude").or_else(|| map.get("lon"))?)?,
            number(map.get("latitude").or_else(|| map.get("lat"))?)?,
        ),
        Value::Array(items) if items.len() == 2 => (number(&items[0])?, number(&items[1])?),
        _ => return None,
    };
    if !(-180.0..=180.0).contains(&longitude) || !(-90.0..=90.0).contains(&latitude) {
        return None;
    }
    Some(serde_json::json!({"longitude": longitude, "latitude": latitude}))
}

/// The value type in words.
pub fn describe(value_type: CkValueType) -> String {
    format!("a {} value", value_type.as_str())
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 80 {
        format!(
            "{}…",
            &text[..text.char_indices().nth(77).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text
    }
}
