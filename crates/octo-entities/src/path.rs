//! Attribute paths: the names callers use for what an entity holds, resolved against its type.
//!
//! A path is a system attribute (`rtId`, `ckTypeId`, `rtWellKnownName`, `rtVersion`,
//! `rtCreationDateTime`, `rtChangedDateTime`, `rtState`), an attribute name the type declares
//! (`Name`, `Power`; case-insensitive), a qualified attribute id from the model files
//! (`System/Name`), or any of these followed by record fields (`NamePlate.ManufacturerName`).
//! A path the type does not have is an error listing the valid ones, never an empty result.

use octo_ck::CkLibrary;
use octo_ck::document::CkValueType;
use octo_ck::library::{EffectiveAttribute, TypeInfo};
use octo_store::{AttributePath, PathRef, SystemAttribute, ValueKind};

use crate::error::EntityError;

/// A path resolved against a type.
#[derive(Debug, Clone)]
pub struct ResolvedPath {
    /// The canonical spelling (`NamePlate.ManufacturerName`, `rtId`): used as result keys.
    pub display: String,
    pub path: PathRef,
    /// The CK attribute at the end of the path; `None` for system attributes.
    pub attribute: Option<EffectiveAttribute>,
}

const SYSTEM: &[(&str, SystemAttribute, ValueKind)] = &[
    ("rtId", SystemAttribute::RtId, ValueKind::String),
    ("ckTypeId", SystemAttribute::CkTypeId, ValueKind::String),
    (
        "rtWellKnownName",
        SystemAttribute::RtWellKnownName,
        ValueKind::String,
    ),
    ("rtVersion", SystemAttribute::RtVersion, ValueKind::Integer),
    (
        "rtCreationDateTime",
        SystemAttribute::RtCreationDateTime,
        ValueKind::DateTime,
    ),
    (
        "rtChangedDateTime",
        SystemAttribute::RtChangedDateTime,
        ValueKind::DateTime,
    ),
    ("rtState", SystemAttribute::RtState, ValueKind::Integer),
];

/// How the store compares values of a CK value type.
pub fn kind_of(value_type: CkValueType) -> ValueKind {
    match value_type {
        CkValueType::String
        | CkValueType::Enum
        | CkValueType::TimeSpan
        | CkValueType::Binary
        | CkValueType::BinaryLinked => ValueKind::String,
        CkValueType::Int | CkValueType::Int64 => ValueKind::Integer,
        CkValueType::Double => ValueKind::Double,
        CkValueType::Boolean => ValueKind::Boolean,
        CkValueType::DateTime | CkValueType::DateTimeOffset => ValueKind::DateTime,
        CkValueType::StringArray => ValueKind::StringArray,
        CkValueType::IntArray => ValueKind::IntegerArray,
        CkValueType::Record | CkValueType::RecordArray | CkValueType::GeospatialPoint => {
            ValueKind::Json
        }
    }
}

/// Resolves `text` against `type_info`.
pub fn resolve(
    library: &CkLibrary,
    type_info: &TypeInfo,
    text: &str,
) -> Result<ResolvedPath, EntityError> {
    let text = text.trim();
    if let Some((name, attribute, kind)) = SYSTEM
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(ResolvedPath {
            display: (*name).to_owned(),
            path: PathRef {
                path: AttributePath::System(*attribute),
                kind: *kind,
            },
            attribute: None,
        });
    }
    let unknown = || {
        let valid = valid_paths(library, type_info);
        let shown: Vec<&str> = valid.iter().take(60).map(String::as_str).collect();
        EntityError::invalid(format!(
            "Attribute path '{text}' does not exist on type '{}'. Valid paths: {}{}.",
            type_info.id,
            shown.join(", "),
            if valid.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ))
    };
    // A qualified id (`System/Name`) names the attribute definition; its dots belong to the
    // model name, so record fields follow only after the attribute's own name.
    let (first, rest): (&EffectiveAttribute, Vec<&str>) =
        if let Some((model, tail)) = text.split_once('/') {
            let (attribute_name, fields) = match tail.split_once('.') {
                Some((name, fields)) => (name, fields.split('.').collect()),
                None => (tail, Vec::new()),
            };
            let qualified = format!("{model}/{attribute_name}");
            let found = type_info
                .attributes
                .iter()
                .find(|a| a.attribute_id.to_string().eq_ignore_ascii_case(&qualified))
                .ok_or_else(unknown)?;
            (found, fields)
        } else {
            let mut parts = text.split('.');
            let head = parts.next().unwrap_or_default();
            (
                type_info.attribute(head).ok_or_else(unknown)?,
                parts.collect(),
            )
        };
    let mut keys = vec![first.name.clone()];
    let mut current = first.clone();
    for field in rest {
        if current.value_type != CkValueType::Record {
            return Err(unknown());
        }
        let record_id = current.record_id.clone().ok_or_else(unknown)?;
        let record = library.get_record(&record_id.to_string())?;
        let next = record
            .attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(field))
            .cloned()
            .ok_or_else(unknown)?;
        keys.push(next.name.clone());
        current = next;
    }
    Ok(ResolvedPath {
        display: keys.join("."),
        path: PathRef {
            path: AttributePath::Attribute(keys),
            kind: kind_of(current.value_type),
        },
        attribute: Some(current),
    })
}

/// Every path of the type: system attributes, attributes, and record fields (one level of
/// nesting per record, recursively, bounded so recursive records terminate).
pub fn valid_paths(library: &CkLibrary, type_info: &TypeInfo) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in &type_info.attributes {
        collect(library, attribute, &attribute.name, 0, &mut out);
    }
    out.extend(SYSTEM.iter().map(|(name, _, _)| (*name).to_owned()));
    out
}

fn collect(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    out.push(prefix.to_owned());
    if depth >= 3 || attribute.value_type != CkValueType::Record {
        return;
    }
    let Some(record_id) = &attribute.record_id else {
        return;
    };
    if let Ok(record) = library.get_record(&record_id.to_string()) {
        for field in &record.attributes {
            collect(
                library,
                field,
                &format!("{prefix}.{}", field.name),
                depth + 1,
                out,
            );
        }
    }
}
