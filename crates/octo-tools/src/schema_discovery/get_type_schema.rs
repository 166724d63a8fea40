//! `get_type_schema`: everything about one CK type, with inherited members resolved.
//!
//! Callers use it before creating or querying entities, so the answer lists every attribute an
//! entity of the type really has (the ancestors' ones included, each saying where it comes from),
//! with enum values and record fields spelled out, and the associations that may start or end at
//! the type.

use async_trait::async_trait;
use octo_ck::CkLibrary;
use octo_ck::library::{AssociationDirection, EffectiveAttribute, RoleEnd};
use octo_ids::CkTypeRef;
use octo_tenancy::ResolvedTenant;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{loaded_models, tenant_library};
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

/// How deep record fields are expanded inside record fields. Records rarely nest more than
/// twice; the cap keeps one answer small even for a pathological model.
const MAX_RECORD_DEPTH: usize = 4;

/// How many alternative type ids an error suggests.
const MAX_SUGGESTIONS: usize = 5;

pub struct GetTypeSchema(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetTypeSchemaParams {
    /// The type: runtime id (`Octo.Industry.Energy/EnergyMeter`) or full id
    /// (`Octo.Industry.Energy-1.0.0/EnergyMeter-1`).
    pub ck_type_id: String,
    /// The tenant to look in; defaults to the tenant in the MCP endpoint URL.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetTypeSchemaOutput {
    /// Runtime id, e.g. `Octo.Industry.Energy/EnergyMeter`: the form entity tools take.
    pub ck_type_id: String,
    /// Full, versioned id, e.g. `Octo.Industry.Energy-1.0.0/EnergyMeter-1`.
    pub full_ck_type_id: String,
    /// The defining model with its version, e.g. `Octo.Industry.Energy-1.0.0`.
    pub model_id: String,
    /// The type name without model, e.g. `EnergyMeter`.
    pub type_name: String,
    /// The type's own version within its model (the `1` of `EnergyMeter-1`); the model version
    /// is part of `modelId`.
    pub version: String,
    /// True when no entity can have exactly this type; create entities of a derived type.
    pub is_abstract: bool,
    /// True when no type may derive from it.
    pub is_final: bool,
    /// Whether entities of the type have their own collection (compiled models only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_collection_root: Option<bool>,
    /// What the type represents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The direct base type; absent only for the root `System/Entity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    /// All base types, nearest first: the direct base type first and the root
    /// (`System/Entity`) last.
    pub inheritance_hierarchy: Vec<String>,
    /// Every type deriving from this one, directly or not, sorted.
    pub derived_types: Vec<String>,
    /// Every attribute an entity of the type has: inherited ones first (from the root down),
    /// then the type's own.
    pub attributes: Vec<AttributeSchema>,
    /// Names of the attributes every entity must have.
    pub required_attributes: Vec<String>,
    /// Names of the attributes that may be missing.
    pub optional_attributes: Vec<String>,
    /// Associations entities of this type can have to others (the type is the origin).
    pub outbound_associations: Vec<AssociationSchema>,
    /// Associations other entities can have to entities of this type (the type is the target).
    pub inbound_associations: Vec<AssociationSchema>,
    /// Database indexes of the type's entities: its own, then those of its ancestors.
    pub indexes: Vec<IndexSchema>,
    /// The rule that builds an entity's display name, own or inherited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name_rule: Option<String>,
    /// The rule that builds an entity's display description, own or inherited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_description_rule: Option<String>,
}

/// One attribute of a type (or one field of a record).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributeSchema {
    /// The name used in entity data and attribute paths, e.g. `Name`.
    pub name: String,
    /// The attribute definition, e.g. `System/Name`.
    pub attribute_id: String,
    /// The type of the values: String, Boolean, DateTime, DateTimeOffset, TimeSpan, Int, Int64,
    /// Double, StringArray, IntArray, Enum, Record, RecordArray, Binary, BinaryLinked or
    /// GeospatialPoint.
    pub value_type: String,
    /// True when every entity must have a value.
    pub is_required: bool,
    /// True when the value may be missing (the opposite of `isRequired`).
    pub is_optional: bool,
    /// For `Enum` values: the enum, e.g. `Octo.Industry.Energy/EnergyCarrier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enum_id: Option<String>,
    /// For `Enum` values: the allowed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<EnumValueSchema>>,
    /// For `Record` and `RecordArray` values: the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// For `Record` and `RecordArray` values: the record's fields (absent when the record was
    /// already expanded further up, or nests too deep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_fields: Option<Vec<AttributeSchema>>,
    /// The ancestor type (or base record) declaring the attribute; absent for the type's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// What the attribute holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Values new entities get when none is given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_values: Vec<Value>,
    /// Suggested values for user interfaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auto_complete_values: Vec<String>,
}

/// One value of an enum.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnumValueSchema {
    /// The stored number.
    pub key: i64,
    /// The name, as entity tools show and accept it.
    pub name: String,
    /// What the value means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An association as seen from the type asked about.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationSchema {
    /// The association role, e.g. `System/ParentChild`.
    pub role_id: String,
    /// `Outbound` (the type is the origin) or `Inbound` (the type is the target).
    pub direction: String,
    /// The name to navigate by from this type, e.g. `Parent` outbound or `Children` inbound.
    pub navigation_name: String,
    /// The declared type at the other end; entities of types derived from it qualify too.
    pub other_ck_type_id: String,
    /// How many entities may be at the other end: `ZeroOrOne`, `One` or `N`.
    pub multiplicity: String,
    /// The type declaring the association (its origin).
    pub origin_ck_type_id: String,
    /// The association's declared target type.
    pub target_ck_type_id: String,
    /// The ancestor the association is declared for, when it is not this type itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// What the relationship means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A database index on the type's entities.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexSchema {
    /// `Ascending`, `Text`, `Unique`, `UniqueNotDeleted` or `None`.
    pub index_type: String,
    /// The language of a text index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The indexed field groups.
    pub fields: Vec<IndexFieldSchema>,
    /// The ancestor declaring the index; absent for the type's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
}

/// One field group of an index.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexFieldSchema {
    /// Attribute names or system fields (such as `RtWellKnownName`), indexed together.
    pub attribute_paths: Vec<String>,
    /// Text-index weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

#[async_trait]
impl Tool for GetTypeSchema {
    type Params = GetTypeSchemaParams;
    type Output = GetTypeSchemaOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_type_schema",
            title: "Describe a CK type",
            description: "Describes one Construction Kit type: every attribute an entity of it \
                has (inherited ones included, with value type, required flag, enum values and \
                record fields), its base and derived types, the associations it can have in \
                either direction, and its indexes.",
            category: Category::SchemaDiscovery,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "The root type every other type derives from",
                    parameters: json!({"ckTypeId": "System/Entity"}),
                },
                ToolExample {
                    description: "A type by its full, versioned id in tenant plant7",
                    parameters: json!({
                        "ckTypeId": "Octo.Industry.Energy-1.0.0/EnergyMeter-1",
                        "tenantId": "plant7"
                    }),
                },
            ],
            notes: vec![
                "ckTypeId takes the runtime form Model/Type or the full form \
                 Model-1.0.0/Type-1; a full id must match the loaded versions exactly.",
                "Attribute names (not attribute ids) are what entity data and attribute paths use.",
                "Abstract types have no entities of their own; query or create a derived type.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: GetTypeSchemaParams,
    ) -> Result<Success<GetTypeSchemaOutput>, ToolError> {
        let wanted = params.ck_type_id.trim();
        if wanted.is_empty() {
            return Err(ToolError::invalid("ckTypeId is required."));
        }
        let reference: CkTypeRef = match wanted.parse() {
            Ok(reference) => reference,
            Err(error) => {
                // A malformed id is the caller's mistake whatever the tenant; the tenant's
                // types only sharpen the hint (a bare `EnergyMeter` lacks its model).
                return Err(
                    match tenant_library(&self.0, ctx, params.tenant_id.as_deref()).await {
                        Ok((resolved, library)) => {
                            let last = wanted.rsplit('/').next().unwrap_or(wanted);
                            let bare = last.split('-').next().unwrap_or(last);
                            let close = suggest_types(&library, wanted, bare);
                            let hint = if close.is_empty() {
                                String::new()
                            } else {
                                format!(". Type ids name their model, e.g. {}.", quoted(&close))
                            };
                            failed_in(format!("{error}{hint}"), &resolved)
                        }
                        Err(_) => ToolError::invalid(error.to_string()),
                    },
                );
            }
        };
        let (resolved, library) = tenant_library(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let runtime = reference.to_runtime().to_string();
        let Ok(info) = library.get_type(&runtime) else {
            return Err(failed_in(
                not_loaded(&library, &reference, &resolved),
                &resolved,
            ));
        };
        if !reference.matches(&info.full_id) {
            return Err(failed_in(
                format!(
                    "CK type '{wanted}' is not loaded in tenant '{}': the tenant has '{}'. Use \
                     the runtime id '{runtime}' to ignore versions.",
                    resolved.tenant_id, info.full_id
                ),
                &resolved,
            ));
        }
        let roles = library
            .roles_for_type(&runtime)
            .map_err(|error| failed_in(error, &resolved))?;

        let mut expanding = Vec::new();
        let attributes: Vec<AttributeSchema> = info
            .attributes
            .iter()
            .map(|attribute| attribute_schema(&library, attribute, &mut expanding))
            .collect();
        let (required, optional): (Vec<&AttributeSchema>, Vec<&AttributeSchema>) =
            attributes.iter().partition(|a| a.is_required);
        let inherited_count = attributes
            .iter()
            .filter(|a| a.inherited_from.is_some())
            .count();

        let mut indexes: Vec<IndexSchema> = info
            .indexes
            .iter()
            .map(|index| index_schema(index, None))
            .collect();
        // Indexes are declared per type, but an ancestor's (e.g. `RtWellKnownName` on
        // `System/Entity`) covers this type's entities as well, so they belong in the answer.
        for ancestor in &info.ancestors {
            let ancestor_id = ancestor.to_string();
            if let Ok(base) = library.get_type(&ancestor_id) {
                indexes.extend(
                    base.indexes
                        .iter()
                        .map(|index| index_schema(index, Some(&ancestor_id))),
                );
            }
        }

        let outbound: Vec<AssociationSchema> =
            roles.outbound.iter().map(association_schema).collect();
        let inbound: Vec<AssociationSchema> =
            roles.inbound.iter().map(association_schema).collect();

        let mut message = format!(
            "Type '{runtime}' has {} attribute(s) ({inherited_count} inherited), {} outbound and \
             {} inbound association(s).",
            attributes.len(),
            outbound.len(),
            inbound.len()
        );
        if info.is_abstract {
            message.push_str(" It is abstract: entities have one of its derived types.");
        }
        Ok(Success::new(GetTypeSchemaOutput {
            ck_type_id: runtime,
            full_ck_type_id: info.full_id.to_string(),
            model_id: info.model_id.to_string(),
            type_name: info.name.clone(),
            version: info.full_id.version().to_string(),
            is_abstract: info.is_abstract,
            is_final: info.is_final,
            is_collection_root: info.is_collection_root,
            description: info.description.clone(),
            derived_from: info.derived_from.as_ref().map(ToString::to_string),
            inheritance_hierarchy: info.ancestors.iter().map(ToString::to_string).collect(),
            derived_types: info.derived_types.iter().map(ToString::to_string).collect(),
            required_attributes: required.iter().map(|a| a.name.clone()).collect(),
            optional_attributes: optional.iter().map(|a| a.name.clone()).collect(),
            attributes,
            outbound_associations: outbound,
            inbound_associations: inbound,
            indexes,
            display_name_rule: info.display_name_rule.clone(),
            display_description_rule: info.display_description_rule.clone(),
        })
        .message(message)
        .tenant(resolved.tenant_id.to_string()))
    }
}

/// An attribute with its enum values and record fields looked up; `expanding` holds the records
/// being expanded above this one, so a record that contains itself is not expanded forever.
fn attribute_schema(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    expanding: &mut Vec<String>,
) -> AttributeSchema {
    let enum_id = attribute.enum_id.as_ref().map(ToString::to_string);
    let enum_values = enum_id
        .as_deref()
        .and_then(|id| library.get_enum(id).ok())
        .map(|info| {
            info.values
                .into_iter()
                .map(|value| EnumValueSchema {
                    key: value.key,
                    name: value.name,
                    description: value.description,
                })
                .collect()
        });
    let record_id = attribute.record_id.as_ref().map(ToString::to_string);
    let record_fields = match record_id.as_deref() {
        Some(id) if expanding.len() < MAX_RECORD_DEPTH && !expanding.iter().any(|r| r == id) => {
            library.get_record(id).ok().map(|record| {
                expanding.push(id.to_owned());
                let fields = record
                    .attributes
                    .iter()
                    .map(|field| attribute_schema(library, field, expanding))
                    .collect();
                expanding.pop();
                fields
            })
        }
        _ => None,
    };
    AttributeSchema {
        name: attribute.name.clone(),
        attribute_id: attribute.attribute_id.to_string(),
        value_type: attribute.value_type.as_str().to_owned(),
        is_required: !attribute.is_optional,
        is_optional: attribute.is_optional,
        enum_id,
        enum_values,
        record_id,
        record_fields,
        inherited_from: attribute.inherited.then(|| attribute.declared_on.clone()),
        description: attribute.description.clone(),
        default_values: attribute
            .default_values
            .iter()
            .filter_map(|value| serde_json::to_value(value).ok())
            .collect(),
        auto_complete_values: attribute.auto_complete_values.clone(),
    }
}

fn association_schema(end: &RoleEnd) -> AssociationSchema {
    // The end that makes an association inherited is the one on this type's side: the origin
    // for outbound associations, the target for inbound ones.
    let declared_for = match end.direction {
        AssociationDirection::Outbound => &end.origin_type,
        AssociationDirection::Inbound => &end.target_type,
    };
    AssociationSchema {
        role_id: end.role_id.to_string(),
        direction: match end.direction {
            AssociationDirection::Outbound => "Outbound",
            AssociationDirection::Inbound => "Inbound",
        }
        .to_owned(),
        navigation_name: end.navigation_name.clone(),
        other_ck_type_id: end.other_type.to_string(),
        multiplicity: end.multiplicity.as_str().to_owned(),
        origin_ck_type_id: end.origin_type.to_string(),
        target_ck_type_id: end.target_type.to_string(),
        inherited_from: end.inherited.then(|| declared_for.to_string()),
        description: end.description.clone(),
    }
}

fn index_schema(index: &octo_ck::document::CkIndex, inherited_from: Option<&str>) -> IndexSchema {
    IndexSchema {
        // The library's index kind has no text form of its own; its serde spelling is the
        // schema's `indexType`, which is what callers know.
        index_type: match serde_json::to_value(index.index_type) {
            Ok(Value::String(text)) => text,
            _ => format!("{:?}", index.index_type),
        },
        language: index.language.clone(),
        fields: index
            .fields
            .iter()
            .map(|field| IndexFieldSchema {
                attribute_paths: field.attribute_paths.clone(),
                weight: field.weight,
            })
            .collect(),
        inherited_from: inherited_from.map(str::to_owned),
    }
}

/// Why a well-formed type id is not in the tenant, with the closest ids it does have.
fn not_loaded(library: &CkLibrary, reference: &CkTypeRef, resolved: &ResolvedTenant) -> String {
    let wanted = reference.to_string();
    let model = reference.model_name();
    let mut message = format!(
        "CK type '{wanted}' is not loaded in tenant '{}'",
        resolved.tenant_id
    );
    if library.model(model).is_none() {
        message.push_str(&format!(
            ": the tenant has no model '{model}' (loaded: {})",
            loaded_models(library)
        ));
    }
    message.push('.');
    let close = suggest_types(
        library,
        &reference.to_runtime().to_string(),
        reference.name(),
    );
    if close.is_empty() {
        message.push_str(
            " Use search_types or get_available_types to find the types the tenant has; a type \
             of a model the tenant lacks needs that model imported first.",
        );
    } else {
        message.push_str(&format!(" Did you mean {}?", quoted(&close)));
    }
    message
}

/// Type ids close to `wanted` (a typo) or named like `name` in any model (a wrong or missing
/// model part), best first.
fn suggest_types(library: &CkLibrary, wanted: &str, name: &str) -> Vec<String> {
    let mut close = library.similar_type_ids(wanted);
    let name_lower = name.to_lowercase();
    let all = library.types(true, None);
    close.extend(
        all.iter()
            .filter(|summary| summary.full_id.name().eq_ignore_ascii_case(name))
            .map(|summary| summary.id.to_string()),
    );
    // A part of a name (`Meter`) is worth suggesting too, but only from three letters on: shorter
    // fragments match nearly everything.
    if name_lower.chars().count() >= 3 {
        close.extend(
            all.iter()
                .filter(|summary| {
                    summary
                        .full_id
                        .name()
                        .to_lowercase()
                        .contains(name_lower.as_str())
                })
                .map(|summary| summary.id.to_string()),
        );
    }
    let mut unique: Vec<String> = Vec::new();
    for id in close {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    unique.truncate(MAX_SUGGESTIONS);
    unique
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
