//! Samples as callers send them and get them back: JSON rows
//! `{"timestamp": "2026-11-25T16:00:00Z", "rtId": "<source rtId>", "values": {"Power": 1.5}}`
//! checked against the archive's columns and converted to the store's [`StreamSample`], and the
//! store's values back to JSON.
//!
//! A timestamp is RFC 3339 text (an offset is converted to UTC) or a number of milliseconds
//! since the Unix epoch; it is kept to the microsecond. Values are checked like entity
//! attributes: numbers for numbers (numeric text is accepted), `true`/`false`, texts; an enum by
//! name (any case) or key, stored by name; a date-time in the fixed UTC form with six
//! fractional digits, so that text order is time order. A missing value is null.

use chrono::{DateTime, SecondsFormat, Utc};
use octo_ck::document::CkValueType;
use octo_ids::OctoObjectId;
use octo_store::{StreamColumnKind, StreamSample, StreamValue};
use serde_json::{Map, Value};

use crate::archive::TableColumn;

/// Microseconds since the epoch from RFC 3339 text or epoch milliseconds.
pub fn parse_timestamp(value: &Value) -> Result<i64, String> {
    match value {
        Value::String(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc).timestamp_micros())
            .map_err(|_| {
                format!(
                    "timestamp '{text}' is not an RFC 3339 date-time such as \
                     2026-11-25T16:00:00Z (or a number of epoch milliseconds)"
                )
            }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|ms| ms.checked_mul(1000))
            .ok_or_else(|| format!("timestamp {n} is not a whole number of epoch milliseconds")),
        _ => Err("timestamp is missing; give an RFC 3339 date-time such as \
                  2026-11-25T16:00:00Z"
            .to_owned()),
    }
}

/// The time as RFC 3339 UTC text with microseconds.
#[must_use]
pub fn format_timestamp(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
        .unwrap_or_else(|| micros.to_string())
}

/// A JSON row as a sample of the table with `columns`; `Err` says what is wrong, without
/// position (the caller knows the row or line).
pub fn sample_from_json(columns: &[TableColumn], row: &Value) -> Result<StreamSample, String> {
    let Some(object) = row.as_object() else {
        return Err("a row must be an object {\"timestamp\", \"rtId\", \"values\"}".to_owned());
    };
    for key in object.keys() {
        if !["timestamp", "rtid", "values"].contains(&key.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "unknown field '{key}'; a row has 'timestamp', 'rtId' and 'values'"
            ));
        }
    }
    let get = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let time = parse_timestamp(get("timestamp").unwrap_or(&Value::Null))?;
    let source = match get("rtId") {
        Some(Value::String(id)) => id
            .trim()
            .parse::<OctoObjectId>()
            .map_err(|e| format!("rtId: {e}"))?
            .to_string(),
        _ => return Err("rtId (the entity the sample is about) is missing".to_owned()),
    };
    let empty = Map::new();
    let values = match get("values") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(values)) => values,
        Some(_) => return Err("values must be an object keyed by column path".to_owned()),
    };
    for key in values.keys() {
        if !columns
            .iter()
            .any(|c| c.resolved.path.eq_ignore_ascii_case(key))
        {
            let valid: Vec<&str> = columns.iter().map(|c| c.resolved.path.as_str()).collect();
            return Err(format!(
                "'{key}' is not a column of this archive; its columns are {}",
                valid.join(", ")
            ));
        }
    }
    let values = columns
        .iter()
        .map(|column| {
            let value = values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&column.resolved.path))
                .map_or(&Value::Null, |(_, v)| v);
            stream_value(column, value)
                .map_err(|expected| format!("'{}' must be {expected}", column.resolved.path))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StreamSample {
        time,
        source,
        values,
    })
}

/// A JSON value as the stored value of `column`; `Err` names what was expected.
pub fn stream_value(column: &TableColumn, value: &Value) -> Result<StreamValue, String> {
    let resolved = &column.resolved;
    if value.is_null() {
        return Ok(StreamValue::Null);
    }
    let text = value.as_str().map(str::trim);
    Ok(match resolved.kind {
        StreamColumnKind::Integer => {
            let int = value
                .as_i64()
                .or_else(|| text.and_then(|t| t.parse().ok()))
                .ok_or("a whole number")?;
            if resolved.value_type == CkValueType::Int && i32::try_from(int).is_err() {
                return Err("a whole number within the 32-bit range".to_owned());
            }
            StreamValue::Integer(int)
        }
        StreamColumnKind::Double => {
            let float = value
                .as_f64()
                .or_else(|| text.and_then(|t| t.parse().ok()))
                .filter(|f: &f64| f.is_finite())
                .ok_or("a finite number")?;
            StreamValue::Double(float)
        }
        StreamColumnKind::Boolean => StreamValue::Boolean(
            value
                .as_bool()
                .or_else(|| text.and_then(|t| t.to_ascii_lowercase().parse().ok()))
                .ok_or("true or false")?,
        ),
        StreamColumnKind::Text => match resolved.value_type {
            CkValueType::DateTime | CkValueType::DateTimeOffset => {
                let micros = parse_timestamp(&Value::from(text.ok_or("a date-time text")?))
                    .map_err(|_| "an RFC 3339 date-time such as 2026-11-25T16:00:00Z")?;
                StreamValue::Text(format_timestamp(micros))
            }
            CkValueType::TimeSpan => {
                let span = text.ok_or("a duration text")?;
                crate::archive::parse_time_span(span)
                    .ok_or("a duration like 01:30:00 or 2.04:00:00")?;
                StreamValue::Text(span.to_owned())
            }
            CkValueType::Enum => {
                let names: Vec<&str> = resolved
                    .enum_values
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect();
                let found = resolved.enum_values.iter().find(|(key, name)| {
                    text.is_some_and(|t| name.eq_ignore_ascii_case(t))
                        || value.as_i64() == Some(*key)
                });
                match found {
                    Some((_, name)) => StreamValue::Text(name.clone()),
                    None => return Err(format!("one of {}", names.join(", "))),
                }
            }
            _ => StreamValue::Text(text.ok_or("a text")?.to_owned()),
        },
    })
}

/// A stored value as JSON.
#[must_use]
pub fn to_json(value: &StreamValue) -> Value {
    match value {
        StreamValue::Null => Value::Null,
        StreamValue::Integer(i) => Value::from(*i),
        StreamValue::Double(f) => Value::from(*f),
        StreamValue::Boolean(b) => Value::from(*b),
        StreamValue::Text(t) => Value::from(t.as_str()),
    }
}
