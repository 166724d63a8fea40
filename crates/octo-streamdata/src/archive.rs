//! [`Archive`]: an entity of the service-managed `System.StreamData/RawArchive` type, read from
//! its stored attributes, and its life cycle [`ArchiveStatus`].
//!
//! Archives are created like any entity (`create_entity` with ckTypeId
//! `System.StreamData/RawArchive`, attributes `Name`, `TargetCkTypeId`, `Columns`
//! `[{AttributePath, Unit?}]`, optional `RetentionPeriod` such as `7.00:00:00`); this crate
//! only reads them and moves their `State`.
//!
//! The model's `ArchiveState` enum predates the wording; statuses are reported with the
//! issue's names and stored with the model's: `Created` is stored `Inactive`, `Activated` is
//! stored `Active`; `Activating`, `Failed` and `Disabled` are the same in both.

use std::collections::BTreeSet;
use std::fmt;

use octo_ids::TenantId;
use octo_store::{ArchiveTable, RtEntity, StreamColumn, StreamColumnKind};
use serde_json::{Map, Value};

use crate::error::StreamDataError;
use crate::paths::ResolvedPath;

/// The service-managed model.
pub const MODEL_NAME: &str = "System.StreamData";
/// The runtime type id of raw archives.
pub const RAW_ARCHIVE_TYPE: &str = "System.StreamData/RawArchive";

/// Where an archive's storage is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveStatus {
    /// Defined, no table yet; `activate_archive` creates it.
    Created,
    /// The table is being created.
    Activating,
    /// The table exists and takes samples.
    Activated,
    /// Creating the table failed; see `LastError`, then `retry_archive_activation`.
    Failed,
    /// Writes are refused; samples are kept and can still be queried.
    Disabled,
}

impl ArchiveStatus {
    /// The name in the model's `ArchiveState` enum.
    #[must_use]
    pub fn stored_name(self) -> &'static str {
        match self {
            Self::Created => "Inactive",
            Self::Activating => "Activating",
            Self::Activated => "Active",
            Self::Failed => "Failed",
            Self::Disabled => "Disabled",
        }
    }

    /// The status stored as `name` (or as the enum's key); a missing state is `Created`.
    fn from_stored(value: Option<&Value>) -> Option<Self> {
        let text = match value {
            None | Some(Value::Null) => return Some(Self::Created),
            Some(Value::String(text)) => text.as_str(),
            Some(Value::Number(n)) => match n.as_i64()? {
                0 => "Inactive",
                1 => "Activating",
                2 => "Active",
                3 => "Failed",
                4 => "Disabled",
                _ => return None,
            },
            Some(_) => return None,
        };
        [
            Self::Created,
            Self::Activating,
            Self::Activated,
            Self::Failed,
            Self::Disabled,
        ]
        .into_iter()
        .find(|s| {
            s.stored_name().eq_ignore_ascii_case(text) || s.to_string().eq_ignore_ascii_case(text)
        })
    }
}

impl fmt::Display for ArchiveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Created => "Created",
            Self::Activating => "Activating",
            Self::Activated => "Activated",
            Self::Failed => "Failed",
            Self::Disabled => "Disabled",
        })
    }
}

/// One recorded attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveColumnDef {
    pub attribute_path: String,
    pub unit: Option<String>,
}

/// An archive entity, read.
#[derive(Debug, Clone)]
pub struct Archive {
    pub entity: RtEntity,
    pub name: String,
    pub target_ck_type_id: String,
    pub columns: Vec<ArchiveColumnDef>,
    /// How long samples are kept, in microseconds; `None` keeps them forever.
    pub retention_micros: Option<i64>,
    pub status: ArchiveStatus,
    pub last_error: Option<String>,
}

fn text(attributes: &Map<String, Value>, key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

fn field<'a>(attributes: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

impl Archive {
    /// Reads an archive entity; `Err` names what is wrong with it.
    pub fn from_entity(entity: RtEntity) -> Result<Self, StreamDataError> {
        let rt_id = entity.rt_id;
        let broken = |what: &str| {
            StreamDataError::invalid(format!(
                "Archive '{rt_id}' is not usable: {what}. Fix it with update_entity."
            ))
        };
        let empty = Map::new();
        let attributes = entity.attributes.as_object().unwrap_or(&empty);
        let target = text(attributes, "TargetCkTypeId")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| broken("it has no TargetCkTypeId"))?;
        let columns = match field(attributes, "Columns") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let item = item.as_object().unwrap_or(&empty);
                    Some(ArchiveColumnDef {
                        attribute_path: text(item, "AttributePath")?,
                        unit: text(item, "Unit"),
                    })
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| broken("a column has no AttributePath"))?,
            _ => Vec::new(),
        };
        let retention_micros =
            match text(attributes, "RetentionPeriod") {
                None => None,
                Some(span) if span.trim().is_empty() => None,
                Some(span) => Some(parse_time_span(&span).ok_or_else(|| {
                    broken(&format!("RetentionPeriod '{span}' is not a duration"))
                })?),
            };
        let status = ArchiveStatus::from_stored(field(attributes, "State"))
            .ok_or_else(|| broken("its State is not an ArchiveState"))?;
        Ok(Self {
            name: text(attributes, "Name").unwrap_or_default(),
            target_ck_type_id: target,
            columns,
            retention_micros,
            status,
            last_error: text(attributes, "LastError"),
            entity,
        })
    }

    pub fn rt_id(&self) -> String {
        self.entity.rt_id.to_string()
    }

    /// The entity's attributes with a new state (and last error, cleared when `None`).
    #[must_use]
    pub fn attributes_with(&self, status: ArchiveStatus, last_error: Option<&str>) -> Value {
        let mut attributes = self
            .entity
            .attributes
            .as_object()
            .cloned()
            .unwrap_or_default();
        attributes.retain(|k, _| {
            !k.eq_ignore_ascii_case("State") && !k.eq_ignore_ascii_case("LastError")
        });
        attributes.insert("State".to_owned(), Value::from(status.stored_name()));
        if let Some(error) = last_error {
            attributes.insert("LastError".to_owned(), Value::from(error));
        }
        Value::Object(attributes)
    }
}

/// A column of the archive table: the resolved path and its SQL name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    pub resolved: ResolvedPath,
    pub sql_name: String,
}

/// The SQL name of a column path: lowercase, every other character `_`, prefixed with `c_`
/// when it would not start with a letter.
fn sql_name(path: &str) -> String {
    let mut name: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "c_");
    }
    name
}

/// The archive table of `archive` with its resolved columns; `Err` for duplicate or too long
/// column names (what activation reports as its failure).
pub fn table_for(
    tenant_id: &TenantId,
    archive: &Archive,
    resolved: Vec<ResolvedPath>,
) -> Result<(ArchiveTable, Vec<TableColumn>), StreamDataError> {
    if resolved.is_empty() {
        return Err(StreamDataError::invalid(format!(
            "Archive '{}' has no Columns; add at least one {{\"AttributePath\": …}} with \
             update_entity (get_available_archive_paths lists the candidates).",
            archive.rt_id()
        )));
    }
    let mut seen = BTreeSet::new();
    let mut columns = Vec::new();
    for path in resolved {
        let name = sql_name(&path.path);
        if name.len() > 48 {
            return Err(StreamDataError::invalid(format!(
                "The column path '{}' is too long for a column name (48 characters after \
                 replacing '.' with '_').",
                path.path
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(StreamDataError::invalid(format!(
                "Two columns of archive '{}' map to the same column name '{name}' (one is \
                 '{}'); remove the duplicate from Columns.",
                archive.rt_id(),
                path.path
            )));
        }
        columns.push(TableColumn {
            resolved: path,
            sql_name: name,
        });
    }
    let table = ArchiveTable {
        tenant_id: tenant_id.clone(),
        archive_id: archive.entity.rt_id,
        columns: columns
            .iter()
            .map(|c| StreamColumn {
                name: c.sql_name.clone(),
                kind: c.resolved.kind,
            })
            .collect(),
    };
    Ok((table, columns))
}

/// `[-][d.]hh:mm:ss[.fffffff]` in microseconds.
#[must_use]
pub fn parse_time_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (days, rest) = match text.split_once('.') {
        Some((d, r)) if r.contains(':') => (d.parse::<i64>().ok()?, r),
        _ => (0, text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [hours, minutes, seconds] = parts.as_slice() else {
        return None;
    };
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = minutes.parse().ok()?;
    let whole: i64 = whole.parse().ok()?;
    if hours > 23 || minutes > 59 || whole > 59 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut micros_text: String = fraction.chars().take(6).collect();
    while micros_text.len() < 6 {
        micros_text.push('0');
    }
    let micros: i64 = micros_text.parse().ok()?;
    let total = ((days * 24 + hours) * 60 + minutes) * 60 + whole;
    let total = total.checked_mul(1_000_000)?.checked_add(micros)?;
    Some(if negative { -total } else { total })
}

/// Whether a column kind accepts the result of aggregating a column of `kind`.
#[must_use]
pub fn value_kind(
    kind: StreamColumnKind,
    value_type: octo_ck::document::CkValueType,
) -> octo_store::ValueKind {
    use octo_ck::document::CkValueType;
    match (kind, value_type) {
        (StreamColumnKind::Integer, _) => octo_store::ValueKind::Integer,
        (StreamColumnKind::Double, _) => octo_store::ValueKind::Double,
        (StreamColumnKind::Boolean, _) => octo_store::ValueKind::Boolean,
        (StreamColumnKind::Text, CkValueType::DateTime | CkValueType::DateTimeOffset) => {
            octo_store::ValueKind::DateTime
        }
        (StreamColumnKind::Text, _) => octo_store::ValueKind::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_parse() {
        assert_eq!(parse_time_span("01:30:00"), Some(5_400_000_000));
        assert_eq!(parse_time_span("7.00:00:00"), Some(7 * 86_400_000_000));
        assert_eq!(parse_time_span("00:00:01.5"), Some(1_500_000));
        assert_eq!(parse_time_span("-00:00:01"), Some(-1_000_000));
        assert_eq!(parse_time_span("1 day"), None);
        assert_eq!(parse_time_span("00:61:00"), None);
    }

    #[test]
    fn sql_names_are_safe() {
        assert_eq!(sql_name("NamePlate.Manufacturer"), "nameplate_manufacturer");
        assert_eq!(sql_name("9lives"), "c_9lives");
    }
}
