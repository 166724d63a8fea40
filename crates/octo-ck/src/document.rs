//! The Construction Kit file format as serde types: exactly what the JSON
//! Schemas (`construction-kit-meta`, `construction-kit-elements` and its parts,
//! `construction-kit-compiled`) allow, field by field.
//!
//! These types are the *syntax* of a model: ids and references are kept as
//! the strings that were written (`${this}/Entity`), so that a file can be
//! read and written back without interpretation. [`crate::source`] turns
//! them into a [`crate::CkModel`], parsing ids and resolving references with
//! the file and element at hand for error messages.
//!
//! Where a schema says `additionalProperties: false` the type denies unknown
//! fields, so a misspelt field (`isAbstrct`) is an error naming the field
//! instead of being silently dropped. The one object the schemas leave open,
//! a type's `associations` item, ignores unknown fields.
//!
//! Spellings of enumerated values (`valueType`, multiplicities, index types)
//! are the schemas' own and are shared with the resolved model.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `$schema` of `ckModel.yaml`.
pub const META_SCHEMA: &str = "https://schemas.meshmakers.cloud/construction-kit-meta.schema.json";
/// The `$schema` of an element file under `types/`, `attributes/`, ….
pub const ELEMENTS_SCHEMA: &str =
    "https://schemas.meshmakers.cloud/construction-kit-elements.schema.json";
/// The `$schema` of a whole compiled model in one document.
pub const COMPILED_SCHEMA: &str =
    "https://schemas.meshmakers.cloud/construction-kit-compiled.schema.json";

/// For `skip_serializing_if` on booleans that default to `false`.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// The value type of an attribute, spelt as in the schema's `valueType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CkValueType {
    /// Text.
    String,
    /// `true` or `false`.
    Boolean,
    /// A point in time (UTC).
    DateTime,
    /// A point in time with its UTC offset.
    DateTimeOffset,
    /// A duration.
    TimeSpan,
    /// A 32-bit signed integer.
    Int,
    /// A 64-bit signed integer.
    Int64,
    /// A double-precision floating-point number.
    Double,
    /// A list of texts.
    StringArray,
    /// A list of 32-bit integers.
    IntArray,
    /// One value of an enum named by `valueCkEnumId`.
    Enum,
    /// One structured value of the record named by `valueCkRecordId`.
    Record,
    /// A list of structured values of the record named by `valueCkRecordId`.
    RecordArray,
    /// Binary content stored with the entity.
    Binary,
    /// Binary content stored separately and linked from the entity.
    BinaryLinked,
    /// A geographic point (longitude, latitude).
    GeospatialPoint,
}

impl CkValueType {
    /// Every value type, in the order the schema lists them.
    pub const ALL: [Self; 16] = [
        Self::String,
        Self::Boolean,
        Self::DateTime,
        Self::Int,
        Self::Double,
        Self::StringArray,
        Self::IntArray,
        Self::Record,
        Self::RecordArray,
        Self::TimeSpan,
        Self::Enum,
        Self::Int64,
        Self::DateTimeOffset,
        Self::Binary,
        Self::BinaryLinked,
        Self::GeospatialPoint,
    ];

    /// The schema spelling, e.g. `RecordArray`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Boolean => "Boolean",
            Self::DateTime => "DateTime",
            Self::DateTimeOffset => "DateTimeOffset",
            Self::TimeSpan => "TimeSpan",
            Self::Int => "Int",
            Self::Int64 => "Int64",
            Self::Double => "Double",
            Self::StringArray => "StringArray",
            Self::IntArray => "IntArray",
            Self::Enum => "Enum",
            Self::Record => "Record",
            Self::RecordArray => "RecordArray",
            Self::Binary => "Binary",
            Self::BinaryLinked => "BinaryLinked",
            Self::GeospatialPoint => "GeospatialPoint",
        }
    }

    /// Whether values of this type need `valueCkRecordId`.
    #[must_use]
    pub fn needs_record(self) -> bool {
        matches!(self, Self::Record | Self::RecordArray)
    }

    /// Whether values of this type need `valueCkEnumId`.
    #[must_use]
    pub fn needs_enum(self) -> bool {
        self == Self::Enum
    }

    /// Whether the value is a list.
    #[must_use]
    pub fn is_array(self) -> bool {
        matches!(self, Self::StringArray | Self::IntArray | Self::RecordArray)
    }
}

impl fmt::Display for CkValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many entities may sit at one end of an association, spelt as in the
/// schema's `inboundMultiplicity` / `outboundMultiplicity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CkMultiplicity {
    /// None or one.
    ZeroOrOne,
    /// Exactly one.
    One,
    /// Any number.
    N,
}

impl CkMultiplicity {
    /// The schema spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZeroOrOne => "ZeroOrOne",
            Self::One => "One",
            Self::N => "N",
        }
    }

    /// Whether every association allowed by `self` is also allowed by
    /// `other`, i.e. changing `self` to `other` cannot invalidate data.
    #[must_use]
    pub fn is_within(self, other: Self) -> bool {
        match (self, other) {
            (a, b) if a == b => true,
            (_, Self::N) | (Self::One, Self::ZeroOrOne) => true,
            _ => false,
        }
    }
}

impl fmt::Display for CkMultiplicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a type index, spelt as in the schema's `indexType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CkIndexType {
    /// No index (a placeholder).
    None,
    /// An ordinary ascending index.
    Ascending,
    /// A full-text index.
    Text,
    /// A unique index.
    Unique,
    /// A unique index that ignores deleted entities.
    UniqueNotDeleted,
}

/// A scalar as the schemas allow in `defaultValues` and `metaData.value`:
/// a string, a boolean or a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CkScalar {
    /// `true` or `false`.
    Boolean(bool),
    /// An integer or floating-point number.
    Number(serde_json::Number),
    /// Text.
    String(String),
}

impl fmt::Display for CkScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "'{s}'"),
        }
    }
}

/// One `metaData` entry of an attribute: free key/value annotations such as
/// a unit or a semantic id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkMetaData {
    /// The annotation's key, e.g. `Unit`.
    pub key: String,
    /// The annotation's value, e.g. `kWh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<CkScalar>,
    /// What the annotation means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One field group of a type index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkIndexField {
    /// Text-index weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// Attribute paths (attribute names within the type, or system fields
    /// such as `RtWellKnownName`), indexed together.
    pub attribute_paths: Vec<String>,
}

/// A database index declared on a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkIndex {
    /// The kind of index.
    pub index_type: CkIndexType,
    /// The language of a text index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The indexed fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<CkIndexField>,
}

/// `ckModel.yaml`: the model's id, dependencies and description
/// (`construction-kit-meta.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkModelMetaDocument {
    /// The schema URL, normally [`META_SCHEMA`].
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `Name-major.minor.patch`, e.g. `Basic-2.0.2`.
    pub model_id: String,
    /// Models this one builds on, e.g. `System-[2.0,3.0)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// What the model is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An element file (`construction-kit-elements.schema.json`): any mix of
/// element lists. By convention each file holds one kind and lives in the
/// folder named after it, but the format does not require that.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkElementsDocument {
    /// The schema URL, normally [`ELEMENTS_SCHEMA`].
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Attribute definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkAttributeDocument>,
    /// Entity types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<CkTypeDocument>,
    /// Association roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub association_roles: Vec<CkAssociationRoleDocument>,
    /// Records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<CkRecordDocument>,
    /// Enums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<CkEnumDocument>,
}

/// A whole model in one document: the fields of `ckModel.yaml` and every
/// element list together. This is both the single-document form of a model
/// folder and the compiled form (`construction-kit-compiled.schema.json`),
/// which adds `migrations` and a type's `isCollectionRoot`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkModelDocument {
    /// The schema URL; [`COMPILED_SCHEMA`] for the compiled form.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `Name-major.minor.patch`.
    pub model_id: String,
    /// Models this one builds on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// What the model is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Attribute definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkAttributeDocument>,
    /// Entity types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<CkTypeDocument>,
    /// Association roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub association_roles: Vec<CkAssociationRoleDocument>,
    /// Records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<CkRecordDocument>,
    /// Enums.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<CkEnumDocument>,
    /// Data migration scripts of the compiled form. Their schemas are owned
    /// by the migration engine, so the value is kept as it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations: Option<serde_json::Value>,
}

impl CkModelDocument {
    /// The document's `ckModel.yaml` part.
    #[must_use]
    pub fn meta(&self) -> CkModelMetaDocument {
        CkModelMetaDocument {
            schema: None,
            model_id: self.model_id.clone(),
            dependencies: self.dependencies.clone(),
            description: self.description.clone(),
        }
    }

    /// The document's element lists as one element file.
    #[must_use]
    pub fn elements(&self) -> CkElementsDocument {
        CkElementsDocument {
            schema: None,
            attributes: self.attributes.clone(),
            types: self.types.clone(),
            association_roles: self.association_roles.clone(),
            records: self.records.clone(),
            enums: self.enums.clone(),
        }
    }
}

/// An attribute used by a type, record or association role
/// (`CkTypeAttribute`): which attribute, and under which name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkTypeAttributeDocument {
    /// Reference to the attribute definition, e.g. `${System}/Name`.
    pub id: String,
    /// The attribute's name within the element, as used at runtime.
    pub name: String,
    /// Name of the auto-increment sequence that fills the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_increment_reference: Option<String>,
    /// Suggested values for user interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_complete_values: Vec<String>,
    /// Whether the value may be missing (default: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_optional: Option<bool>,
}

/// An attribute definition (`CkAttribute`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkAttributeDocument {
    /// The attribute's id within its model, e.g. `Name` or `Query.Columns`.
    pub id: String,
    /// The type of the attribute's values.
    pub value_type: CkValueType,
    /// The record of `Record` / `RecordArray` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_ck_record_id: Option<String>,
    /// The enum of `Enum` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_ck_enum_id: Option<String>,
    /// Values given to new entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_values: Vec<CkScalar>,
    /// Whether blueprint re-application keeps the runtime value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_runtime_state: Option<bool>,
    /// What the attribute holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free annotations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meta_data: Vec<CkMetaData>,
}

/// An association declared on a type: entities of the type may point to
/// entities of `targetCkTypeId` through the role `id`.
///
/// The schema leaves this object open, so unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeAssociationDocument {
    /// Reference to the association role, e.g. `${System}/ParentChild`.
    pub id: String,
    /// Reference to the type at the other end.
    pub target_ck_type_id: String,
    /// Attributes of the target shown with the association.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_attributes: Vec<String>,
}

/// An entity type (`CkType`, or `CkCompiledType` in the compiled form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkTypeDocument {
    /// The type's id within its model, e.g. `EnergyMeter`.
    pub type_id: String,
    /// Reference to the base type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from_ck_type_id: Option<String>,
    /// Whether no type may derive from this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// Whether entities of exactly this type may not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_abstract: Option<bool>,
    /// What the type represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rule computing an entity's display name from its attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name_rule: Option<String>,
    /// Rule computing an entity's display description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_description_rule: Option<String>,
    /// Attributes the type adds to those it inherits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkTypeAttributeDocument>,
    /// Database indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<CkIndex>,
    /// Associations from this type to other types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<CkTypeAssociationDocument>,
    /// Whether change streams carry full before/after images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_change_stream_pre_and_post_images: Option<bool>,
    /// Compiled form only: whether the type's entities get their own
    /// collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_collection_root: Option<bool>,
}

/// A record (`CkRecord`): a structured attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkRecordDocument {
    /// The record's id within its model, e.g. `Address`.
    pub record_id: String,
    /// Reference to the base record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from_ck_record_id: Option<String>,
    /// Whether no record may derive from this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// Whether values of exactly this record may not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_abstract: Option<bool>,
    /// The record's fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkTypeAttributeDocument>,
    /// Whether change streams carry full before/after images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_change_stream_pre_and_post_images: Option<bool>,
    /// What the record represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkEnumValueDocument {
    /// The stored number.
    pub key: i64,
    /// The value's name, e.g. `Running`.
    pub name: String,
    /// What the value means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the value extends an extensible enum of another model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_extension: Option<bool>,
}

/// An enum (`CkEnum`): the value set of `Enum` attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkEnumDocument {
    /// The enum's id within its model, e.g. `OperatingState`.
    pub enum_id: String,
    /// The values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<CkEnumValueDocument>,
    /// Whether values combine as bit flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_flags: Option<bool>,
    /// Whether other models may add values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_extensible: Option<bool>,
    /// What the enum describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An association role (`CkAssociationRole`): the kind of a link between
/// two entities, with a navigation name and multiplicity for each end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CkAssociationRoleDocument {
    /// The role's id within its model, e.g. `ParentChild`.
    pub id: String,
    /// Name used to navigate from the target back to its origins, e.g.
    /// `Children`.
    pub inbound_name: String,
    /// Name used to navigate from the origin to its targets, e.g. `Parent`.
    pub outbound_name: String,
    /// How many origins one target may have.
    pub inbound_multiplicity: CkMultiplicity,
    /// How many targets one origin may have.
    pub outbound_multiplicity: CkMultiplicity,
    /// Attributes carried by the association itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkTypeAttributeDocument>,
    /// What the relationship means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_types_use_the_schema_spellings() {
        for vt in CkValueType::ALL {
            let json = serde_json::to_string(&vt).expect("serializes");
            assert_eq!(json, format!("\"{}\"", vt.as_str()));
            let back: CkValueType = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, vt);
        }
        assert!(serde_json::from_str::<CkValueType>("\"Integer\"").is_err());
    }

    #[test]
    fn unknown_fields_are_rejected_where_the_schema_closes_the_object() {
        let err = serde_yaml_ng::from_str::<CkTypeDocument>("typeId: Pump\nisAbstrct: true\n")
            .expect_err("misspelt field");
        assert!(err.to_string().contains("isAbstrct"), "{err}");
        let ok = serde_yaml_ng::from_str::<CkTypeAssociationDocument>(
            "id: ${System}/Related\ntargetCkTypeId: ${System}/Entity\nnote: open object\n",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn scalars_keep_their_kind() {
        let values: Vec<CkScalar> =
            serde_yaml_ng::from_str("[0, 1.5, true, \"0\", Off]").expect("parses");
        assert!(matches!(values[0], CkScalar::Number(_)));
        assert!(matches!(values[1], CkScalar::Number(_)));
        assert_eq!(values[2], CkScalar::Boolean(true));
        assert_eq!(values[3], CkScalar::String("0".to_owned()));
        assert_eq!(values[4], CkScalar::String("Off".to_owned()));
    }

    #[test]
    fn multiplicity_widening() {
        use CkMultiplicity::{N, One, ZeroOrOne};
        assert!(One.is_within(ZeroOrOne));
        assert!(One.is_within(N));
        assert!(ZeroOrOne.is_within(N));
        assert!(!N.is_within(One));
        assert!(!ZeroOrOne.is_within(One));
    }
}
