//! [`CkLibrary`]: the models loaded in one tenant, validated together and
//! resolved into the questions tools ask: what attributes does a type have
//! (including inherited ones), which types derive from it, which
//! associations can start or end at it.
//!
//! Queries accept element ids in the runtime form (`Basic/Tree`) or the full
//! form (`Basic-2.0.2/Tree-1`) and answer with owned, serializable info
//! structs whose field names are camelCase, ready for a tool's output.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, RwLock};

use octo_ids::{
    CkAssociationRoleFullId, CkAssociationRoleKind, CkAttributeFullId, CkAttributeKind,
    CkElementKind, CkEnumFullId, CkEnumKind, CkModelId, CkRecordFullId, CkRecordKind, CkRef,
    CkTypeFullId, CkTypeKind, RtCkAssociationRoleId, RtCkAttributeId, RtCkEnumId, RtCkRecordId,
    RtCkTypeId,
};
use serde::Serialize;

use crate::document::{CkIndex, CkMetaData, CkMultiplicity, CkScalar, CkValueType};
use crate::error::{CkError, closest, did_you_mean};
use crate::model::{CkAttributeUse, CkElementDef, CkEnumValue, CkModel};
use crate::reference::CkElementRef;
use crate::validate::validate_models;

/// Position of an element: model index and index in its kind's list.
type Pos = (usize, usize);

/// The models of one tenant, validated as a whole, with indexes for
/// schema queries.
#[derive(Debug, Clone)]
pub struct CkLibrary {
    models: Vec<CkModel>,
    types: BTreeMap<String, Pos>,
    attributes: BTreeMap<String, Pos>,
    enums: BTreeMap<String, Pos>,
    records: BTreeMap<String, Pos>,
    roles: BTreeMap<String, Pos>,
    derived_types: BTreeMap<Pos, Vec<Pos>>,
    derived_records: BTreeMap<Pos, Vec<Pos>>,
    resolved_types: ResolvedTypes,
}

/// [`CkLibrary::get_type_shared`]'s answers by the id text asked for. A library never changes
/// once built (a model change builds a new one), so an answer never goes stale; resolving a
/// type (inheritance, derived types) on every entity call was most of a lookup's in-process
/// time. Only found types are kept, so the map is bounded by types × spellings of their ids.
#[derive(Debug, Default)]
struct ResolvedTypes(RwLock<HashMap<String, Arc<TypeInfo>>>);

impl Clone for ResolvedTypes {
    /// A clone starts empty: the cache is rebuilt on demand, never shared.
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// An attribute of a type or record as seen at runtime, own or inherited.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveAttribute {
    /// The attribute's name within the type, as used at runtime.
    pub name: String,
    /// The attribute definition, e.g. `System/Name`.
    pub attribute_id: RtCkAttributeId,
    /// The attribute definition's full id, e.g. `System-2.2.2/Name-1`.
    pub attribute_full_id: CkAttributeFullId,
    /// The type of the values.
    pub value_type: CkValueType,
    /// Whether the value may be missing.
    pub is_optional: bool,
    /// The enum of `Enum` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enum_id: Option<RtCkEnumId>,
    /// The record of `Record` / `RecordArray` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<RtCkRecordId>,
    /// The type (or record, or role) that declares the attribute.
    pub declared_on: String,
    /// Whether it is declared on an ancestor rather than the element asked
    /// about.
    pub inherited: bool,
    /// The attribute definition's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Values given to new entities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_values: Vec<CkScalar>,
    /// Suggested values for user interfaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auto_complete_values: Vec<String>,
    /// Auto-increment sequence filling the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_increment_reference: Option<String>,
}

/// A type in a listing or search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSummary {
    /// Runtime id, e.g. `Basic/Tree`.
    pub id: RtCkTypeId,
    /// Full id, e.g. `Basic-2.0.2/Tree-1`.
    pub full_id: CkTypeFullId,
    /// What the type represents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether entities of exactly this type may not exist.
    pub is_abstract: bool,
    /// Whether no type may derive from it.
    pub is_final: bool,
    /// The base type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<RtCkTypeId>,
}

/// Everything about one type, with inherited attributes resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeInfo {
    /// Runtime id, e.g. `Basic/Tree`.
    pub id: RtCkTypeId,
    /// Full id, e.g. `Basic-2.0.2/Tree-1`.
    pub full_id: CkTypeFullId,
    /// The model defining the type.
    pub model_id: CkModelId,
    /// The type name without model, e.g. `Tree`.
    pub name: String,
    /// What the type represents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether entities of exactly this type may not exist.
    pub is_abstract: bool,
    /// Whether no type may derive from it.
    pub is_final: bool,
    /// Compiled form only: whether it has its own collection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_collection_root: Option<bool>,
    /// The direct base type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<RtCkTypeId>,
    /// All base types, nearest first (ending with `System/Entity`).
    pub ancestors: Vec<RtCkTypeId>,
    /// All types deriving from it, directly or not, sorted.
    pub derived_types: Vec<RtCkTypeId>,
    /// Every attribute, inherited ones first (root type first), then own.
    pub attributes: Vec<EffectiveAttribute>,
    /// The type's own indexes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<CkIndex>,
    /// The nearest display-name rule, own or inherited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name_rule: Option<String>,
    /// The nearest display-description rule, own or inherited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_description_rule: Option<String>,
    /// The file the type came from.
    pub source: String,
}

impl TypeInfo {
    /// The attribute named `name` (case-insensitive), own or inherited.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&EffectiveAttribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// Everything about one attribute definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeInfo {
    /// Runtime id, e.g. `System/Name`.
    pub id: RtCkAttributeId,
    /// Full id.
    pub full_id: CkAttributeFullId,
    /// The type of the values.
    pub value_type: CkValueType,
    /// The enum of `Enum` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enum_id: Option<RtCkEnumId>,
    /// The record of `Record` / `RecordArray` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<RtCkRecordId>,
    /// Values given to new entities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_values: Vec<CkScalar>,
    /// Whether blueprint re-application keeps the runtime value.
    pub is_runtime_state: bool,
    /// What the attribute holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free annotations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub meta_data: Vec<CkMetaData>,
    /// The file the attribute came from.
    pub source: String,
}

/// Everything about one enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnumInfo {
    /// Runtime id.
    pub id: RtCkEnumId,
    /// Full id.
    pub full_id: CkEnumFullId,
    /// What the enum describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether values combine as bit flags.
    pub use_flags: bool,
    /// Whether other models may add values.
    pub is_extensible: bool,
    /// The values.
    pub values: Vec<CkEnumValue>,
    /// The file the enum came from.
    pub source: String,
}

impl EnumInfo {
    /// The value with key `key`.
    #[must_use]
    pub fn value_by_key(&self, key: i64) -> Option<&CkEnumValue> {
        self.values.iter().find(|v| v.key == key)
    }

    /// The value named `name` (case-insensitive).
    #[must_use]
    pub fn value_by_name(&self, name: &str) -> Option<&CkEnumValue> {
        self.values
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

/// Everything about one record, with inherited fields resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordInfo {
    /// Runtime id.
    pub id: RtCkRecordId,
    /// Full id.
    pub full_id: CkRecordFullId,
    /// What the record represents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether values of exactly this record may not exist.
    pub is_abstract: bool,
    /// Whether no record may derive from it.
    pub is_final: bool,
    /// The direct base record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<RtCkRecordId>,
    /// All base records, nearest first.
    pub ancestors: Vec<RtCkRecordId>,
    /// All records deriving from it, sorted.
    pub derived_records: Vec<RtCkRecordId>,
    /// Every field, inherited ones first.
    pub attributes: Vec<EffectiveAttribute>,
    /// The file the record came from.
    pub source: String,
}

/// Which way an association is seen from a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AssociationDirection {
    /// The type is the origin: it declares the association (or inherits it).
    Outbound,
    /// The type is the target.
    Inbound,
}

/// One end of an association role as seen from a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleEnd {
    /// Runtime role id, e.g. `System/ParentChild`.
    pub role_id: RtCkAssociationRoleId,
    /// Full role id.
    pub role_full_id: CkAssociationRoleFullId,
    /// Whether the type is the origin (outbound) or the target (inbound).
    pub direction: AssociationDirection,
    /// The navigation name used from this type, e.g. `Parent` outbound or
    /// `Children` inbound.
    pub navigation_name: String,
    /// The type at the other end.
    pub other_type: RtCkTypeId,
    /// How many entities may be at the other end.
    pub multiplicity: CkMultiplicity,
    /// The type declaring the association (the origin).
    pub origin_type: RtCkTypeId,
    /// The association's declared target type.
    pub target_type: RtCkTypeId,
    /// Navigation name from origin to target.
    pub outbound_name: String,
    /// Navigation name from target to origin.
    pub inbound_name: String,
    /// How many targets one origin may have.
    pub outbound_multiplicity: CkMultiplicity,
    /// How many origins one target may have.
    pub inbound_multiplicity: CkMultiplicity,
    /// Whether the association is declared for an ancestor of the type
    /// rather than the type itself.
    pub inherited: bool,
    /// What the relationship means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The associations that may start (outbound) or end (inbound) at a type,
/// including those declared for its ancestors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeRoles {
    /// The type asked about.
    pub type_id: RtCkTypeId,
    /// Associations from the type.
    pub outbound: Vec<RoleEnd>,
    /// Associations to the type.
    pub inbound: Vec<RoleEnd>,
}

/// A pair of types an association role is declared for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleUse {
    /// The declaring (origin) type.
    pub origin_type: RtCkTypeId,
    /// The target type.
    pub target_type: RtCkTypeId,
}

/// Everything about one association role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleInfo {
    /// Runtime id, e.g. `System/ParentChild`.
    pub id: RtCkAssociationRoleId,
    /// Full id.
    pub full_id: CkAssociationRoleFullId,
    /// What the relationship means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Navigation name from origin to target.
    pub outbound_name: String,
    /// Navigation name from target to origin.
    pub inbound_name: String,
    /// How many targets one origin may have.
    pub outbound_multiplicity: CkMultiplicity,
    /// How many origins one target may have.
    pub inbound_multiplicity: CkMultiplicity,
    /// Attributes carried by the association.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<EffectiveAttribute>,
    /// The type pairs the role is declared for.
    pub used_by: Vec<RoleUse>,
    /// The file the role came from.
    pub source: String,
}

fn index_of<D: CkElementDef>(
    map: &mut BTreeMap<String, Pos>,
    mi: usize,
    model: &CkModel,
    defs: &[D],
) {
    for (i, def) in defs.iter().enumerate() {
        map.entry(format!("{}/{}", model.name(), def.local_id().name()))
            .or_insert((mi, i));
    }
}

fn ref_key<K: CkElementKind>(r: &CkElementRef<K>) -> String {
    r.runtime_id().to_string()
}

impl CkLibrary {
    /// Builds the library of `models` and validates them together.
    ///
    /// # Errors
    /// Every problem [`validate_models`] finds, as one [`CkError`]
    /// ([`CkError::Invalid`] for several).
    pub fn new(models: Vec<CkModel>) -> Result<Self, CkError> {
        let (library, problems) = Self::new_unchecked(models);
        match CkError::from_problems("The CK library", problems) {
            None => Ok(library),
            Some(e) => Err(e),
        }
    }

    /// Builds the library even if the models have problems, returning the
    /// problems next to it: useful to answer questions about a tenant whose
    /// models are not (yet) consistent. Of duplicated models and elements
    /// the first wins; unresolvable references are left out of answers.
    #[must_use]
    pub fn new_unchecked(mut models: Vec<CkModel>) -> (Self, Vec<CkError>) {
        let problems = validate_models(&models);
        let mut seen = HashSet::new();
        models.retain(|m| seen.insert(m.name().to_owned()));
        models.sort_by(|a, b| a.name().cmp(b.name()));
        let mut library = Self {
            models,
            types: BTreeMap::new(),
            attributes: BTreeMap::new(),
            enums: BTreeMap::new(),
            records: BTreeMap::new(),
            roles: BTreeMap::new(),
            derived_types: BTreeMap::new(),
            derived_records: BTreeMap::new(),
            resolved_types: ResolvedTypes::default(),
        };
        for (mi, model) in library.models.iter().enumerate() {
            index_of(&mut library.types, mi, model, model.types());
            index_of(&mut library.attributes, mi, model, model.attributes());
            index_of(&mut library.enums, mi, model, model.enums());
            index_of(&mut library.records, mi, model, model.records());
            index_of(&mut library.roles, mi, model, model.association_roles());
        }
        for (mi, model) in library.models.iter().enumerate() {
            for (ti, t) in model.types().iter().enumerate() {
                if let Some(base) = t
                    .derived_from
                    .as_ref()
                    .and_then(|r| library.types.get(&ref_key(r)))
                {
                    library
                        .derived_types
                        .entry(*base)
                        .or_default()
                        .push((mi, ti));
                }
            }
            for (ri, r) in model.records().iter().enumerate() {
                if let Some(base) = r
                    .derived_from
                    .as_ref()
                    .and_then(|d| library.records.get(&ref_key(d)))
                {
                    library
                        .derived_records
                        .entry(*base)
                        .or_default()
                        .push((mi, ri));
                }
            }
        }
        (library, problems)
    }

    /// The models, sorted by name.
    #[must_use]
    pub fn models(&self) -> &[CkModel] {
        &self.models
    }

    /// The model with this name (`Basic`) or id (`Basic-2.0.2`).
    #[must_use]
    pub fn model(&self, name_or_id: &str) -> Option<&CkModel> {
        self.models
            .iter()
            .find(|m| m.name() == name_or_id || m.id().to_string() == name_or_id)
    }

    fn find<K: CkElementKind>(
        &self,
        map: &BTreeMap<String, Pos>,
        id: &str,
        full_of: impl Fn(Pos) -> octo_ids::CkFullId<K>,
    ) -> Result<Pos, CkError> {
        let unknown = |hint: String| CkError::UnknownElement {
            kind: K::NOUN,
            id: id.to_owned(),
            hint,
        };
        let parsed: CkRef<K> = match id.parse() {
            Ok(parsed) => parsed,
            Err(e) if !id.contains('/') => {
                // A bare name such as `Pump`: point at the ids that end in it.
                let candidates: Vec<&str> = map
                    .keys()
                    .filter(|k| {
                        k.rsplit('/').next().is_some_and(|n| {
                            n.eq_ignore_ascii_case(id.split('-').next().unwrap_or(id))
                        })
                    })
                    .map(String::as_str)
                    .collect();
                if candidates.is_empty() {
                    return Err(CkError::Id(e));
                }
                return Err(unknown(format!(
                    "; ids name their model, e.g. {}",
                    candidates
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Err(e) => return Err(CkError::Id(e)),
        };
        let key = parsed.to_runtime().to_string();
        let Some(&pos) = map.get(&key) else {
            return Err(unknown(did_you_mean(&key, map.keys().map(String::as_str))));
        };
        if let Some(full) = parsed.as_full() {
            let actual = full_of(pos);
            if *full != actual {
                return Err(unknown(format!("; the library has '{actual}'")));
            }
        }
        Ok(pos)
    }

    fn type_pos(&self, id: &str) -> Result<Pos, CkError> {
        self.find::<CkTypeKind>(&self.types, id, |(m, t)| {
            self.models[m].full_id(&self.models[m].types()[t])
        })
    }

    fn type_rt(&self, (m, t): Pos) -> RtCkTypeId {
        self.models[m].runtime_id(&self.models[m].types()[t])
    }

    fn record_rt(&self, (m, r): Pos) -> RtCkRecordId {
        self.models[m].runtime_id(&self.models[m].records()[r])
    }

    /// Base chain of a type, nearest first, stopping at a cycle.
    fn type_chain(&self, pos: Pos) -> Vec<Pos> {
        let mut chain = Vec::new();
        let mut seen = HashSet::from([pos]);
        let mut current = pos;
        while let Some(base) = self.models[current.0].types()[current.1]
            .derived_from
            .as_ref()
            .and_then(|r| self.types.get(&ref_key(r)))
        {
            if !seen.insert(*base) {
                break;
            }
            chain.push(*base);
            current = *base;
        }
        chain
    }

    fn record_chain(&self, pos: Pos) -> Vec<Pos> {
        let mut chain = Vec::new();
        let mut seen = HashSet::from([pos]);
        let mut current = pos;
        while let Some(base) = self.models[current.0].records()[current.1]
            .derived_from
            .as_ref()
            .and_then(|r| self.records.get(&ref_key(r)))
        {
            if !seen.insert(*base) {
                break;
            }
            chain.push(*base);
            current = *base;
        }
        chain
    }

    fn descendants(map: &BTreeMap<Pos, Vec<Pos>>, pos: Pos) -> Vec<Pos> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([pos]);
        let mut stack = vec![pos];
        while let Some(p) = stack.pop() {
            for child in map.get(&p).into_iter().flatten() {
                if seen.insert(*child) {
                    out.push(*child);
                    stack.push(*child);
                }
            }
        }
        out
    }

    fn effective(
        &self,
        uses: &[CkAttributeUse],
        declared_on: &str,
        inherited: bool,
    ) -> Vec<EffectiveAttribute> {
        uses.iter()
            .filter_map(|u| {
                let &(m, a) = self.attributes.get(&ref_key(&u.attribute))?;
                let model = &self.models[m];
                let def = &model.attributes()[a];
                Some(EffectiveAttribute {
                    name: u.name.clone(),
                    attribute_id: model.runtime_id(def),
                    attribute_full_id: model.full_id(def),
                    value_type: def.value_type,
                    is_optional: u.is_optional,
                    enum_id: def.value_enum.as_ref().map(|r| r.runtime_id().clone()),
                    record_id: def.value_record.as_ref().map(|r| r.runtime_id().clone()),
                    declared_on: declared_on.to_owned(),
                    inherited,
                    description: def.description.clone(),
                    default_values: def.default_values.clone(),
                    auto_complete_values: u.auto_complete_values.clone(),
                    auto_increment_reference: u.auto_increment_reference.clone(),
                })
            })
            .collect()
    }

    fn summary(&self, (m, t): Pos) -> TypeSummary {
        let model = &self.models[m];
        let def = &model.types()[t];
        TypeSummary {
            id: model.runtime_id(def),
            full_id: model.full_id(def),
            description: def.description.clone(),
            is_abstract: def.is_abstract,
            is_final: def.is_final,
            derived_from: def.derived_from.as_ref().map(|r| r.runtime_id().clone()),
        }
    }

    /// [`Self::get_type`], resolved once per library and shared: the form for hot paths
    /// (every entity read and write resolves its type).
    ///
    /// # Errors
    /// As [`Self::get_type`].
    pub fn get_type_shared(&self, id: &str) -> Result<Arc<TypeInfo>, CkError> {
        if let Ok(cache) = self.resolved_types.0.read()
            && let Some(info) = cache.get(id)
        {
            return Ok(Arc::clone(info));
        }
        let info = Arc::new(self.get_type(id)?);
        if let Ok(mut cache) = self.resolved_types.0.write() {
            cache.insert(id.to_owned(), Arc::clone(&info));
        }
        Ok(info)
    }

    /// Everything about a type: attributes including inherited ones,
    /// ancestors and derived types.
    ///
    /// # Errors
    /// [`CkError::Id`] for a malformed id, [`CkError::UnknownElement`] with
    /// suggestions for an unknown one.
    pub fn get_type(&self, id: &str) -> Result<TypeInfo, CkError> {
        let pos = self.type_pos(id)?;
        let model = &self.models[pos.0];
        let def = &model.types()[pos.1];
        let chain = self.type_chain(pos);
        let mut attributes = Vec::new();
        for &base in chain.iter().rev() {
            let base_model = &self.models[base.0];
            let base_def = &base_model.types()[base.1];
            attributes.extend(self.effective(
                &base_def.attributes,
                &base_model.runtime_id(base_def).to_string(),
                true,
            ));
        }
        let own_id = model.runtime_id(def);
        attributes.extend(self.effective(&def.attributes, &own_id.to_string(), false));
        let nearest = |pick: fn(&crate::model::CkTypeDef) -> Option<&String>| {
            std::iter::once(pos)
                .chain(chain.iter().copied())
                .find_map(|p| {
                    pick(&self.models[p.0].types()[p.1])
                        .filter(|r| !r.is_empty())
                        .cloned()
                })
        };
        let mut derived_types: Vec<RtCkTypeId> = Self::descendants(&self.derived_types, pos)
            .into_iter()
            .map(|p| self.type_rt(p))
            .collect();
        derived_types.sort();
        Ok(TypeInfo {
            id: own_id,
            full_id: model.full_id(def),
            model_id: model.id().clone(),
            name: def.id.name().to_owned(),
            description: def.description.clone(),
            is_abstract: def.is_abstract,
            is_final: def.is_final,
            is_collection_root: def.is_collection_root,
            derived_from: def.derived_from.as_ref().map(|r| r.runtime_id().clone()),
            ancestors: chain.iter().map(|p| self.type_rt(*p)).collect(),
            derived_types,
            attributes,
            indexes: def.indexes.clone(),
            display_name_rule: nearest(|t| t.display_name_rule.as_ref()),
            display_description_rule: nearest(|t| t.display_description_rule.as_ref()),
            source: def.source.clone(),
        })
    }

    /// The base types of a type, nearest first.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`].
    pub fn ancestors(&self, id: &str) -> Result<Vec<RtCkTypeId>, CkError> {
        let pos = self.type_pos(id)?;
        Ok(self
            .type_chain(pos)
            .into_iter()
            .map(|p| self.type_rt(p))
            .collect())
    }

    /// The types deriving from a type, directly or not, sorted.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`].
    pub fn derived_types(&self, id: &str) -> Result<Vec<RtCkTypeId>, CkError> {
        let pos = self.type_pos(id)?;
        let mut out: Vec<RtCkTypeId> = Self::descendants(&self.derived_types, pos)
            .into_iter()
            .map(|p| self.type_rt(p))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Whether entities of exactly this type may not exist.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`].
    pub fn is_abstract(&self, id: &str) -> Result<bool, CkError> {
        let (m, t) = self.type_pos(id)?;
        Ok(self.models[m].types()[t].is_abstract)
    }

    /// Whether no type may derive from this one.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`].
    pub fn is_final(&self, id: &str) -> Result<bool, CkError> {
        let (m, t) = self.type_pos(id)?;
        Ok(self.models[m].types()[t].is_final)
    }

    /// Whether `id` is `base` or derives from it.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`], for either id.
    pub fn is_a(&self, id: &str, base: &str) -> Result<bool, CkError> {
        let pos = self.type_pos(id)?;
        let base = self.type_pos(base)?;
        Ok(pos == base || self.type_chain(pos).contains(&base))
    }

    /// Types whose runtime id, name or description contains `term`,
    /// ignoring case, sorted by id. Abstract types are included; their
    /// summaries say so.
    #[must_use]
    pub fn search_types(&self, term: &str) -> Vec<TypeSummary> {
        let term = term.to_lowercase();
        self.types
            .iter()
            .filter(|(key, pos)| {
                let def = &self.models[pos.0].types()[pos.1];
                key.to_lowercase().contains(&term)
                    || def.id.name().to_lowercase().contains(&term)
                    || def
                        .description
                        .as_ref()
                        .is_some_and(|d| d.to_lowercase().contains(&term))
            })
            .map(|(_, pos)| self.summary(*pos))
            .collect()
    }

    /// The types, sorted by id; abstract ones only if asked, and only those
    /// of one model if `model` names it (`Basic` or `Basic-2.0.2`).
    #[must_use]
    pub fn types(&self, include_abstract: bool, model: Option<&str>) -> Vec<TypeSummary> {
        self.types
            .values()
            .filter(|(m, t)| {
                let owner = &self.models[*m];
                (include_abstract || !owner.types()[*t].is_abstract)
                    && model.is_none_or(|f| owner.name() == f || owner.id().to_string() == f)
            })
            .map(|pos| self.summary(*pos))
            .collect()
    }

    /// Everything about an attribute definition.
    ///
    /// # Errors
    /// [`CkError::Id`] or [`CkError::UnknownElement`].
    pub fn get_attribute(&self, id: &str) -> Result<AttributeInfo, CkError> {
        let (m, a) = self.find::<CkAttributeKind>(&self.attributes, id, |(m, a)| {
            self.models[m].full_id(&self.models[m].attributes()[a])
        })?;
        let model = &self.models[m];
        let def = &model.attributes()[a];
        Ok(AttributeInfo {
            id: model.runtime_id(def),
            full_id: model.full_id(def),
            value_type: def.value_type,
            enum_id: def.value_enum.as_ref().map(|r| r.runtime_id().clone()),
            record_id: def.value_record.as_ref().map(|r| r.runtime_id().clone()),
            default_values: def.default_values.clone(),
            is_runtime_state: def.is_runtime_state,
            description: def.description.clone(),
            meta_data: def.meta_data.clone(),
            source: def.source.clone(),
        })
    }

    /// Everything about an enum.
    ///
    /// # Errors
    /// [`CkError::Id`] or [`CkError::UnknownElement`].
    pub fn get_enum(&self, id: &str) -> Result<EnumInfo, CkError> {
        let (m, e) = self.find::<CkEnumKind>(&self.enums, id, |(m, e)| {
            self.models[m].full_id(&self.models[m].enums()[e])
        })?;
        let model = &self.models[m];
        let def = &model.enums()[e];
        Ok(EnumInfo {
            id: model.runtime_id(def),
            full_id: model.full_id(def),
            description: def.description.clone(),
            use_flags: def.use_flags,
            is_extensible: def.is_extensible,
            values: def.values.clone(),
            source: def.source.clone(),
        })
    }

    /// Everything about a record, with inherited fields.
    ///
    /// # Errors
    /// [`CkError::Id`] or [`CkError::UnknownElement`].
    pub fn get_record(&self, id: &str) -> Result<RecordInfo, CkError> {
        let pos = self.find::<CkRecordKind>(&self.records, id, |(m, r)| {
            self.models[m].full_id(&self.models[m].records()[r])
        })?;
        let model = &self.models[pos.0];
        let def = &model.records()[pos.1];
        let chain = self.record_chain(pos);
        let mut attributes = Vec::new();
        for &base in chain.iter().rev() {
            let base_model = &self.models[base.0];
            let base_def = &base_model.records()[base.1];
            attributes.extend(self.effective(
                &base_def.attributes,
                &base_model.runtime_id(base_def).to_string(),
                true,
            ));
        }
        let own_id = model.runtime_id(def);
        attributes.extend(self.effective(&def.attributes, &own_id.to_string(), false));
        let mut derived_records: Vec<RtCkRecordId> = Self::descendants(&self.derived_records, pos)
            .into_iter()
            .map(|p| self.record_rt(p))
            .collect();
        derived_records.sort();
        Ok(RecordInfo {
            id: own_id,
            full_id: model.full_id(def),
            description: def.description.clone(),
            is_abstract: def.is_abstract,
            is_final: def.is_final,
            derived_from: def.derived_from.as_ref().map(|r| r.runtime_id().clone()),
            ancestors: chain.iter().map(|p| self.record_rt(*p)).collect(),
            derived_records,
            attributes,
            source: def.source.clone(),
        })
    }

    /// Everything about an association role, with the type pairs it is
    /// declared for.
    ///
    /// # Errors
    /// [`CkError::Id`] or [`CkError::UnknownElement`].
    pub fn get_role(&self, id: &str) -> Result<RoleInfo, CkError> {
        let (m, r) = self.find::<CkAssociationRoleKind>(&self.roles, id, |(m, r)| {
            self.models[m].full_id(&self.models[m].association_roles()[r])
        })?;
        let model = &self.models[m];
        let def = &model.association_roles()[r];
        let role_id = model.runtime_id(def);
        let role_key = role_id.to_string();
        let mut used_by = Vec::new();
        for pos in self.types.values() {
            let owner = &self.models[pos.0];
            let t = &owner.types()[pos.1];
            for a in &t.associations {
                if ref_key(&a.role) == role_key {
                    used_by.push(RoleUse {
                        origin_type: owner.runtime_id(t),
                        target_type: a.target.runtime_id().clone(),
                    });
                }
            }
        }
        Ok(RoleInfo {
            attributes: self.effective(&def.attributes, &role_key, false),
            id: role_id,
            full_id: model.full_id(def),
            description: def.description.clone(),
            outbound_name: def.outbound_name.clone(),
            inbound_name: def.inbound_name.clone(),
            outbound_multiplicity: def.outbound_multiplicity,
            inbound_multiplicity: def.inbound_multiplicity,
            used_by,
            source: def.source.clone(),
        })
    }

    /// The associations that may start or end at a type, including those
    /// declared for its ancestors.
    ///
    /// # Errors
    /// As [`CkLibrary::get_type`].
    pub fn roles_for_type(&self, id: &str) -> Result<TypeRoles, CkError> {
        let pos = self.type_pos(id)?;
        let type_id = self.type_rt(pos);
        let mut lineage = vec![pos];
        lineage.extend(self.type_chain(pos));
        let lineage_set: BTreeSet<Pos> = lineage.iter().copied().collect();
        let mut outbound = Vec::new();
        for &p in &lineage {
            let owner = &self.models[p.0];
            let t = &owner.types()[p.1];
            for a in &t.associations {
                if let Some(end) = self.role_end(
                    a,
                    owner.runtime_id(t),
                    AssociationDirection::Outbound,
                    p != pos,
                ) {
                    outbound.push(end);
                }
            }
        }
        let mut inbound = Vec::new();
        for (mi, owner) in self.models.iter().enumerate() {
            for t in owner.types() {
                for a in &t.associations {
                    let Some(target) = self.types.get(&ref_key(&a.target)) else {
                        continue;
                    };
                    if !lineage_set.contains(target) {
                        continue;
                    }
                    if let Some(end) = self.role_end(
                        a,
                        self.models[mi].runtime_id(t),
                        AssociationDirection::Inbound,
                        *target != pos,
                    ) {
                        inbound.push(end);
                    }
                }
            }
        }
        Ok(TypeRoles {
            type_id,
            outbound,
            inbound,
        })
    }

    fn role_end(
        &self,
        association: &crate::model::CkTypeAssociation,
        origin: RtCkTypeId,
        direction: AssociationDirection,
        inherited: bool,
    ) -> Option<RoleEnd> {
        let &(m, r) = self.roles.get(&ref_key(&association.role))?;
        let model = &self.models[m];
        let role = &model.association_roles()[r];
        let target = association.target.runtime_id().clone();
        let (navigation_name, other_type, multiplicity) = match direction {
            AssociationDirection::Outbound => (
                role.outbound_name.clone(),
                target.clone(),
                role.outbound_multiplicity,
            ),
            AssociationDirection::Inbound => (
                role.inbound_name.clone(),
                origin.clone(),
                role.inbound_multiplicity,
            ),
        };
        Some(RoleEnd {
            role_id: model.runtime_id(role),
            role_full_id: model.full_id(role),
            direction,
            navigation_name,
            other_type,
            multiplicity,
            origin_type: origin,
            target_type: target,
            outbound_name: role.outbound_name.clone(),
            inbound_name: role.inbound_name.clone(),
            outbound_multiplicity: role.outbound_multiplicity,
            inbound_multiplicity: role.inbound_multiplicity,
            inherited,
            description: role.description.clone(),
        })
    }

    /// Type ids close to `wanted`, for "did you mean" messages elsewhere.
    #[must_use]
    pub fn similar_type_ids(&self, wanted: &str) -> Vec<String> {
        closest(wanted, self.types.keys().map(String::as_str))
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::system_model;

    fn system_library() -> CkLibrary {
        CkLibrary::new(vec![system_model().expect("system").clone()]).expect("valid")
    }

    #[test]
    fn system_alone_answers_queries() {
        let library = system_library();
        let query = library.get_type("System/SimpleRtQuery").expect("type");
        assert_eq!(query.ancestors.len(), 2);
        let sorting = query.attribute("Sorting").expect("Sorting");
        assert_eq!(sorting.value_type, CkValueType::RecordArray);
        assert_eq!(
            sorting
                .record_id
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("System/SortOrderItem")
        );
        assert_eq!(
            query.attribute("Name").map(|a| a.declared_on.as_str()),
            Some("System/PersistentQuery")
        );
        let json = serde_json::to_value(&query).expect("serializes");
        assert_eq!(json["fullId"], "System-2.2.2/SimpleRtQuery-1");
        assert_eq!(json["attributes"][0]["declaredOn"], "System/Entity");
    }

    #[test]
    fn an_empty_library_knows_nothing() {
        let library = CkLibrary::new(Vec::new()).expect("empty is valid");
        assert!(library.models().is_empty());
        assert!(library.types(true, None).is_empty());
        let err = library.get_type("System/Entity").expect_err("unknown");
        assert_eq!(err.to_string(), "Unknown type 'System/Entity'");
    }
}
