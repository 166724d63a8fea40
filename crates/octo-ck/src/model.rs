//! [`CkModel`]: one loaded model with parsed ids and resolved references.
//!
//! A `CkModel` is what every loading path produces (see [`crate::source`])
//! and what the store keeps: it serializes to JSON and deserializes back to
//! an equal value. Every element remembers the file it came from, so
//! validation can point at it.
//!
//! Element ids are the versioned local ids of octo-ids (`Pump-1`; a file that
//! writes `Pump` means version 1). References are [`CkElementRef`](crate::reference::CkElementRef)s in their
//! runtime form (`System/Entity`), because the exact version of a dependency
//! is only fixed when the tenant's models are put together.

use octo_ids::{
    CkAssociationRoleId, CkAssociationRoleKind, CkAttributeId, CkAttributeKind, CkElementKind,
    CkEnumId, CkEnumKind, CkFullId, CkLocalId, CkModelDependency, CkModelId, CkModelVersion,
    CkRecordId, CkRecordKind, CkTypeId, CkTypeKind, RtCkId,
};
use serde::{Deserialize, Serialize};

use crate::document::{
    CkAssociationRoleDocument, CkAttributeDocument, CkEnumDocument, CkEnumValueDocument, CkIndex,
    CkMetaData, CkModelDocument, CkMultiplicity, CkRecordDocument, CkScalar,
    CkTypeAssociationDocument, CkTypeAttributeDocument, CkTypeDocument, CkValueType, is_false,
};
use crate::reference::{
    AttributeReference, EnumReference, RecordReference, RoleReference, TypeReference,
};

/// Prefix of service-managed models: they belong to a backend service and
/// are switched on with that service's `enable_*` tool, not imported.
pub const SERVICE_MANAGED_PREFIX: &str = "System.";

/// Whether a model name belongs to a service-managed model (`System.*`).
#[must_use]
pub fn is_service_managed(model_name: &str) -> bool {
    model_name.starts_with(SERVICE_MANAGED_PREFIX)
}

/// What every element definition has: a local id and the file it came from.
pub trait CkElementDef {
    /// The element kind.
    type Kind: CkElementKind;

    /// The versioned id within the model, e.g. `Pump-1`.
    fn local_id(&self) -> &CkLocalId<Self::Kind>;

    /// The file the element was loaded from.
    fn source(&self) -> &str;

    /// The element's description.
    fn description(&self) -> Option<&str>;
}

/// An attribute as used by a type, record or association role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkAttributeUse {
    /// The attribute definition.
    pub attribute: AttributeReference,
    /// The attribute's name within the element, as used at runtime.
    pub name: String,
    /// Whether the value may be missing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_optional: bool,
    /// Name of the auto-increment sequence filling the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_increment_reference: Option<String>,
    /// Suggested values for user interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_complete_values: Vec<String>,
}

/// An association declared on a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeAssociation {
    /// The role.
    pub role: RoleReference,
    /// The type at the other (target) end.
    pub target: TypeReference,
    /// Attributes of the target shown with the association.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_attributes: Vec<AttributeReference>,
}

/// An entity type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeDef {
    /// The type's id within its model.
    pub id: CkTypeId,
    /// The base type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<TypeReference>,
    /// Whether entities of exactly this type may not exist.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_abstract: bool,
    /// Whether no type may derive from this one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_final: bool,
    /// What the type represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rule computing an entity's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name_rule: Option<String>,
    /// Rule computing an entity's display description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_description_rule: Option<String>,
    /// Attributes the type adds to the inherited ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkAttributeUse>,
    /// Database indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<CkIndex>,
    /// Associations from this type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<CkTypeAssociation>,
    /// Whether change streams carry full before/after images.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_change_stream_pre_and_post_images: bool,
    /// Compiled form only: whether the type's entities get their own
    /// collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_collection_root: Option<bool>,
    /// The file the type came from.
    pub source: String,
}

/// An attribute definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkAttributeDef {
    /// The attribute's id within its model.
    pub id: CkAttributeId,
    /// The type of its values.
    pub value_type: CkValueType,
    /// The enum of `Enum` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_enum: Option<EnumReference>,
    /// The record of `Record` / `RecordArray` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_record: Option<RecordReference>,
    /// Values given to new entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_values: Vec<CkScalar>,
    /// Whether blueprint re-application keeps the runtime value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_runtime_state: bool,
    /// What the attribute holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free annotations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meta_data: Vec<CkMetaData>,
    /// The file the attribute came from.
    pub source: String,
}

/// A record: a structured attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkRecordDef {
    /// The record's id within its model.
    pub id: CkRecordId,
    /// The base record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<RecordReference>,
    /// Whether values of exactly this record may not exist.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_abstract: bool,
    /// Whether no record may derive from this one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_final: bool,
    /// The record's own fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkAttributeUse>,
    /// Whether change streams carry full before/after images.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_change_stream_pre_and_post_images: bool,
    /// What the record represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The file the record came from.
    pub source: String,
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkEnumValue {
    /// The stored number.
    pub key: i64,
    /// The value's name.
    pub name: String,
    /// What the value means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the value extends an extensible enum.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_extension: bool,
}

/// An enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkEnumDef {
    /// The enum's id within its model.
    pub id: CkEnumId,
    /// The values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<CkEnumValue>,
    /// Whether values combine as bit flags.
    #[serde(default, skip_serializing_if = "is_false")]
    pub use_flags: bool,
    /// Whether other models may add values.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_extensible: bool,
    /// What the enum describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The file the enum came from.
    pub source: String,
}

/// An association role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkAssociationRoleDef {
    /// The role's id within its model.
    pub id: CkAssociationRoleId,
    /// Navigation name from a target back to its origins.
    pub inbound_name: String,
    /// Navigation name from an origin to its targets.
    pub outbound_name: String,
    /// How many origins one target may have.
    pub inbound_multiplicity: CkMultiplicity,
    /// How many targets one origin may have.
    pub outbound_multiplicity: CkMultiplicity,
    /// Attributes carried by the association.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<CkAttributeUse>,
    /// What the relationship means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The file the role came from.
    pub source: String,
}

macro_rules! element_def {
    ($def:ty, $kind:ty) => {
        impl CkElementDef for $def {
            type Kind = $kind;

            fn local_id(&self) -> &CkLocalId<$kind> {
                &self.id
            }

            fn source(&self) -> &str {
                &self.source
            }

            fn description(&self) -> Option<&str> {
                self.description.as_deref()
            }
        }
    };
}

element_def!(CkTypeDef, CkTypeKind);
element_def!(CkAttributeDef, CkAttributeKind);
element_def!(CkRecordDef, CkRecordKind);
element_def!(CkEnumDef, CkEnumKind);
element_def!(CkAssociationRoleDef, CkAssociationRoleKind);

/// A loaded Construction Kit model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CkModel {
    pub(crate) id: CkModelId,
    /// The file holding the model id and dependencies: `ckModel.yaml` in a
    /// folder, the document's name in the single-document forms.
    #[serde(default = "default_model_file")]
    pub(crate) source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) dependencies: Vec<CkModelDependency>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) types: Vec<CkTypeDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) attributes: Vec<CkAttributeDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) records: Vec<CkRecordDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) enums: Vec<CkEnumDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) association_roles: Vec<CkAssociationRoleDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) migrations: Option<serde_json::Value>,
}

fn default_model_file() -> String {
    crate::source::MODEL_FILE.to_owned()
}

fn find<'a, D: CkElementDef>(defs: &'a [D], name: &str) -> Option<&'a D> {
    defs.iter().find(|d| d.local_id().name() == name)
}

impl CkModel {
    /// An empty model; elements are added by the loaders in
    /// [`crate::source`].
    #[must_use]
    pub fn new(
        id: CkModelId,
        description: Option<String>,
        dependencies: Vec<CkModelDependency>,
    ) -> Self {
        Self {
            id,
            source: default_model_file(),
            description,
            dependencies,
            types: Vec::new(),
            attributes: Vec::new(),
            records: Vec::new(),
            enums: Vec::new(),
            association_roles: Vec::new(),
            migrations: None,
        }
    }

    /// The model id, e.g. `Basic-2.0.2`.
    #[must_use]
    pub fn id(&self) -> &CkModelId {
        &self.id
    }

    /// The model name, e.g. `Basic`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.id.name()
    }

    /// The model version, e.g. `2.0.2`.
    #[must_use]
    pub fn version(&self) -> CkModelVersion {
        self.id.version()
    }

    /// The file holding the model id and dependencies: `ckModel.yaml` for
    /// a folder or zip, the document's name for a single document.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What the model is for.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The models this one builds on.
    #[must_use]
    pub fn dependencies(&self) -> &[CkModelDependency] {
        &self.dependencies
    }

    /// The dependency on the model named `name`, if any.
    #[must_use]
    pub fn dependency_on(&self, name: &str) -> Option<&CkModelDependency> {
        self.dependencies.iter().find(|d| d.name() == name)
    }

    /// Whether the model is service-managed (`System.*`).
    #[must_use]
    pub fn is_service_managed(&self) -> bool {
        is_service_managed(self.name())
    }

    /// The entity types, in file order.
    #[must_use]
    pub fn types(&self) -> &[CkTypeDef] {
        &self.types
    }

    /// The attribute definitions, in file order.
    #[must_use]
    pub fn attributes(&self) -> &[CkAttributeDef] {
        &self.attributes
    }

    /// The records, in file order.
    #[must_use]
    pub fn records(&self) -> &[CkRecordDef] {
        &self.records
    }

    /// The enums, in file order.
    #[must_use]
    pub fn enums(&self) -> &[CkEnumDef] {
        &self.enums
    }

    /// The association roles, in file order.
    #[must_use]
    pub fn association_roles(&self) -> &[CkAssociationRoleDef] {
        &self.association_roles
    }

    /// Migration scripts of the compiled form, as written.
    #[must_use]
    pub fn migrations(&self) -> Option<&serde_json::Value> {
        self.migrations.as_ref()
    }

    /// The type named `name` (without version), e.g. `Pump`.
    #[must_use]
    pub fn type_def(&self, name: &str) -> Option<&CkTypeDef> {
        find(&self.types, name)
    }

    /// The attribute named `name`.
    #[must_use]
    pub fn attribute_def(&self, name: &str) -> Option<&CkAttributeDef> {
        find(&self.attributes, name)
    }

    /// The record named `name`.
    #[must_use]
    pub fn record_def(&self, name: &str) -> Option<&CkRecordDef> {
        find(&self.records, name)
    }

    /// The enum named `name`.
    #[must_use]
    pub fn enum_def(&self, name: &str) -> Option<&CkEnumDef> {
        find(&self.enums, name)
    }

    /// The association role named `name`.
    #[must_use]
    pub fn role_def(&self, name: &str) -> Option<&CkAssociationRoleDef> {
        find(&self.association_roles, name)
    }

    /// The full id of one of this model's elements, e.g.
    /// `Demo.Plant-1.0.0/Pump-1`.
    #[must_use]
    pub fn full_id<D: CkElementDef>(&self, def: &D) -> CkFullId<D::Kind> {
        CkFullId::new(self.id.clone(), def.local_id().clone())
    }

    /// The runtime id of one of this model's elements, e.g.
    /// `Demo.Plant/Pump`.
    #[must_use]
    pub fn runtime_id<D: CkElementDef>(&self, def: &D) -> RtCkId<D::Kind> {
        self.full_id(def).to_runtime()
    }

    /// How many elements the model defines.
    #[must_use]
    pub fn element_count(&self) -> usize {
        self.types.len()
            + self.attributes.len()
            + self.records.len()
            + self.enums.len()
            + self.association_roles.len()
    }

    /// The model as one document in the file format (the single-document
    /// form): references are written `${this}/X` and `${Model}/X`, and
    /// element ids without their version when it is 1. Source file names
    /// are not part of the format and are dropped, so two models loaded
    /// from different forms give equal documents exactly when their content
    /// is equal.
    #[must_use]
    pub fn to_document(&self) -> CkModelDocument {
        let this = self.name();
        CkModelDocument {
            schema: None,
            model_id: self.id.to_string(),
            dependencies: self.dependencies.iter().map(ToString::to_string).collect(),
            description: self.description.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|a| CkAttributeDocument {
                    id: local_text(&a.id),
                    value_type: a.value_type,
                    value_ck_record_id: a.value_record.as_ref().map(|r| r.to_source_text(this)),
                    value_ck_enum_id: a.value_enum.as_ref().map(|r| r.to_source_text(this)),
                    default_values: a.default_values.clone(),
                    is_runtime_state: flag(a.is_runtime_state),
                    description: a.description.clone(),
                    meta_data: a.meta_data.clone(),
                })
                .collect(),
            types: self
                .types
                .iter()
                .map(|t| CkTypeDocument {
                    type_id: local_text(&t.id),
                    derived_from_ck_type_id: t
                        .derived_from
                        .as_ref()
                        .map(|r| r.to_source_text(this)),
                    is_final: flag(t.is_final),
                    is_abstract: flag(t.is_abstract),
                    description: t.description.clone(),
                    display_name_rule: t.display_name_rule.clone(),
                    display_description_rule: t.display_description_rule.clone(),
                    attributes: uses_to_document(&t.attributes, this),
                    indexes: t.indexes.clone(),
                    associations: t
                        .associations
                        .iter()
                        .map(|a| CkTypeAssociationDocument {
                            id: a.role.to_source_text(this),
                            target_ck_type_id: a.target.to_source_text(this),
                            target_attributes: a
                                .target_attributes
                                .iter()
                                .map(|r| r.to_source_text(this))
                                .collect(),
                        })
                        .collect(),
                    enable_change_stream_pre_and_post_images: flag(
                        t.enable_change_stream_pre_and_post_images,
                    ),
                    is_collection_root: t.is_collection_root,
                })
                .collect(),
            association_roles: self
                .association_roles
                .iter()
                .map(|r| CkAssociationRoleDocument {
                    id: local_text(&r.id),
                    inbound_name: r.inbound_name.clone(),
                    outbound_name: r.outbound_name.clone(),
                    inbound_multiplicity: r.inbound_multiplicity,
                    outbound_multiplicity: r.outbound_multiplicity,
                    attributes: uses_to_document(&r.attributes, this),
                    description: r.description.clone(),
                })
                .collect(),
            records: self
                .records
                .iter()
                .map(|r| CkRecordDocument {
                    record_id: local_text(&r.id),
                    derived_from_ck_record_id: r
                        .derived_from
                        .as_ref()
                        .map(|d| d.to_source_text(this)),
                    is_final: flag(r.is_final),
                    is_abstract: flag(r.is_abstract),
                    attributes: uses_to_document(&r.attributes, this),
                    enable_change_stream_pre_and_post_images: flag(
                        r.enable_change_stream_pre_and_post_images,
                    ),
                    description: r.description.clone(),
                })
                .collect(),
            enums: self
                .enums
                .iter()
                .map(|e| CkEnumDocument {
                    enum_id: local_text(&e.id),
                    values: e
                        .values
                        .iter()
                        .map(|v| CkEnumValueDocument {
                            key: v.key,
                            name: v.name.clone(),
                            description: v.description.clone(),
                            is_extension: flag(v.is_extension),
                        })
                        .collect(),
                    use_flags: flag(e.use_flags),
                    is_extensible: flag(e.is_extensible),
                    description: e.description.clone(),
                })
                .collect(),
            migrations: self.migrations.clone(),
        }
    }
}

/// `Pump` for `Pump-1`, `Pump-2` otherwise: files leave version 1 implicit.
fn local_text<K: CkElementKind>(id: &CkLocalId<K>) -> String {
    if id.version() == 1 {
        id.name().to_owned()
    } else {
        id.to_string()
    }
}

fn flag(value: bool) -> Option<bool> {
    value.then_some(true)
}

fn uses_to_document(uses: &[CkAttributeUse], this: &str) -> Vec<CkTypeAttributeDocument> {
    uses.iter()
        .map(|u| CkTypeAttributeDocument {
            id: u.attribute.to_source_text(this),
            name: u.name.clone(),
            auto_increment_reference: u.auto_increment_reference.clone(),
            auto_complete_values: u.auto_complete_values.clone(),
            is_optional: flag(u.is_optional),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::source::{from_document, load_document};

    /// A model text with the given attributes (Enum and Record ones get an
    /// enum and a record to point at) and one type using all of them.
    fn model_text(attributes: &BTreeMap<String, (usize, bool)>) -> String {
        let mut text = String::from(
            "modelId: Demo.Gen-1.2.3\ndependencies:\n  - System-[2.0,3.0)\nenums:\n  - enumId: E\n    values:\n      - key: 0\n        name: Zero\nrecords:\n  - recordId: R\nattributes:\n",
        );
        for (name, (vt, _)) in attributes {
            let vt = CkValueType::ALL[*vt % CkValueType::ALL.len()];
            text.push_str(&format!("  - id: {name}\n    valueType: {vt}\n"));
            if vt.needs_enum() {
                text.push_str("    valueCkEnumId: ${this}/E\n");
            }
            if vt.needs_record() {
                text.push_str("    valueCkRecordId: ${this}/R\n");
            }
        }
        text.push_str(
            "types:\n  - typeId: T-3\n    derivedFromCkTypeId: ${System}/Entity\n    attributes:\n",
        );
        for (i, (name, (_, optional))) in attributes.iter().enumerate() {
            let runtime_name = format!("Attribute{i}");
            text.push_str(&format!(
                "      - id: ${{this}}/{name}\n        name: {runtime_name}\n        isOptional: {optional}\n"
            ));
        }
        text
    }

    proptest! {
        #[test]
        fn generated_models_survive_json_and_document_round_trips(
            attributes in proptest::collection::btree_map("[A-Z][a-z]{1,6}(\\.[A-Z][a-z]{1,4})?", (0usize..16, any::<bool>()), 1..12)
        ) {
            let model = load_document(&model_text(&attributes), "gen.yaml").expect("generated model loads");
            prop_assert!(crate::validate::validate_model(&model).is_empty());
            let json = serde_json::to_string(&model).expect("serializes");
            let back: CkModel = serde_json::from_str(&json).expect("deserializes");
            prop_assert_eq!(&back, &model);
            let again = from_document(&model.to_document(), "gen.yaml").expect("document loads");
            prop_assert_eq!(&again, &model);
            prop_assert_eq!(model.type_def("T").map(|t| t.id.version()), Some(3));
        }
    }
}
