//! Attribute paths of the archived CK type: which ones an archive can keep as columns
//! (`get_available_archive_paths`) and what a column path resolves to (its value type, and the
//! enum whose names it holds).
//!
//! A path is an attribute name of the type, or of a record attribute followed by the record's
//! field (`NamePlate.Manufacturer`), matched case-insensitively. Only scalar values can be
//! columns: texts, numbers, booleans, date-times, durations and enums; lists and binary data
//! cannot.

use octo_ck::CkLibrary;
use octo_ck::document::CkValueType;
use octo_ck::library::EffectiveAttribute;
use octo_store::StreamColumnKind;
use serde::Serialize;

use crate::error::StreamDataError;

/// How deep record attributes are followed when no depth is given.
pub const DEFAULT_MAX_DEPTH: u32 = 5;

/// One candidate path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePath {
    /// The path as an archive column names it, e.g. `NamePlate.Manufacturer`.
    pub path: String,
    /// The CK value type, e.g. `Double`.
    pub primitive_type: String,
    /// A record: not a column itself; its fields are listed below it.
    pub is_record: bool,
    /// A list: cannot be archived.
    pub is_array: bool,
    /// The record's id for records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_type_id: Option<String>,
}

/// What a column path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPath {
    /// The path with the names as the model spells them.
    pub path: String,
    /// The CK value type.
    pub value_type: CkValueType,
    /// How the store keeps it.
    pub kind: StreamColumnKind,
    /// Enum values (key, name) for enums: samples may give either, the store keeps the name.
    pub enum_values: Vec<(i64, String)>,
}

/// The store kind of a scalar CK value type; `None` for what cannot be a column.
#[must_use]
pub fn column_kind(value_type: CkValueType) -> Option<StreamColumnKind> {
    Some(match value_type {
        CkValueType::Int | CkValueType::Int64 => StreamColumnKind::Integer,
        CkValueType::Double => StreamColumnKind::Double,
        CkValueType::Boolean => StreamColumnKind::Boolean,
        CkValueType::String
        | CkValueType::DateTime
        | CkValueType::DateTimeOffset
        | CkValueType::TimeSpan
        | CkValueType::Enum => StreamColumnKind::Text,
        _ => return None,
    })
}

fn type_name(value_type: CkValueType) -> String {
    serde_json::to_value(value_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{value_type:?}"))
}

fn is_array(value_type: CkValueType) -> bool {
    matches!(
        value_type,
        CkValueType::StringArray | CkValueType::IntArray | CkValueType::RecordArray
    )
}

/// Every path of `ck_type_id` down to `max_depth` levels (at least 1) of records.
pub fn available_paths(
    library: &CkLibrary,
    ck_type_id: &str,
    max_depth: u32,
) -> Result<Vec<ArchivePath>, StreamDataError> {
    let info = library.get_type(ck_type_id)?;
    let mut out = Vec::new();
    walk(library, &info.attributes, "", max_depth.max(1), &mut out)?;
    Ok(out)
}

fn walk(
    library: &CkLibrary,
    attributes: &[EffectiveAttribute],
    prefix: &str,
    depth: u32,
    out: &mut Vec<ArchivePath>,
) -> Result<(), StreamDataError> {
    for attribute in attributes {
        let path = format!("{prefix}{}", attribute.name);
        let record = attribute.record_id.as_ref().map(ToString::to_string);
        let is_record = attribute.value_type == CkValueType::Record;
        out.push(ArchivePath {
            path: path.clone(),
            primitive_type: type_name(attribute.value_type),
            is_record,
            is_array: is_array(attribute.value_type),
            record_type_id: record
                .clone()
                .filter(|_| is_record || is_array(attribute.value_type)),
        });
        if is_record
            && depth > 1
            && let Some(record) = record
        {
            let info = library.get_record(&record)?;
            walk(
                library,
                &info.attributes,
                &format!("{path}."),
                depth - 1,
                out,
            )?;
        }
    }
    Ok(())
}

/// Resolves a column path of `ck_type_id`; the error lists the valid paths.
pub fn resolve(
    library: &CkLibrary,
    ck_type_id: &str,
    path: &str,
) -> Result<ResolvedPath, StreamDataError> {
    let info = library.get_type(ck_type_id)?;
    let mut attributes = info.attributes.clone();
    let mut spelled = Vec::new();
    let segments: Vec<&str> = path.trim().split('.').collect();
    for (index, segment) in segments.iter().enumerate() {
        let Some(attribute) = attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(segment.trim()))
            .cloned()
        else {
            return Err(unknown_path(library, ck_type_id, path));
        };
        spelled.push(attribute.name.clone());
        let last = index + 1 == segments.len();
        if !last {
            let Some(record) = attribute
                .record_id
                .as_ref()
                .filter(|_| attribute.value_type == CkValueType::Record)
            else {
                return Err(unknown_path(library, ck_type_id, path));
            };
            attributes = library.get_record(&record.to_string())?.attributes;
            continue;
        }
        let Some(kind) = column_kind(attribute.value_type) else {
            return Err(StreamDataError::invalid(format!(
                "'{path}' of {ck_type_id} is a {} and cannot be an archive column; archive \
                 texts, numbers, booleans, date-times, durations or enums (for a record, name \
                 one of its fields, e.g. '{path}.<Field>').",
                type_name(attribute.value_type)
            )));
        };
        let enum_values = match (&attribute.enum_id, attribute.value_type) {
            (Some(id), CkValueType::Enum) => library
                .get_enum(&id.to_string())?
                .values
                .iter()
                .map(|v| (v.key, v.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        return Ok(ResolvedPath {
            path: spelled.join("."),
            value_type: attribute.value_type,
            kind,
            enum_values,
        });
    }
    Err(unknown_path(library, ck_type_id, path))
}

fn unknown_path(library: &CkLibrary, ck_type_id: &str, path: &str) -> StreamDataError {
    let valid: Vec<String> = available_paths(library, ck_type_id, 2)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.is_record && !p.is_array)
        .map(|p| p.path)
        .collect();
    StreamDataError::invalid(format!(
        "'{path}' is not an attribute path of {ck_type_id}. Valid paths: {}. See \
         get_available_archive_paths.",
        valid.join(", ")
    ))
}
