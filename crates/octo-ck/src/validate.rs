//! Validation: everything about models that the file syntax cannot say.
//!
//! [`validate_model`] checks one model on its own: its own references point
//! at existing elements, references to other models name declared
//! dependencies, ids are unique, inheritance has no cycles and does not
//! derive from final elements, `Enum`/`Record` attributes name their enum or
//! record, default values fit, enum values are unique, and names follow the
//! schemas' spelling rules. [`validate_models`] does the same for a set of
//! models (a tenant) and adds what needs them all: references into
//! dependencies, dependencies present in a compatible version, no cycles
//! between models.
//!
//! Both return every problem found, not just the first, so a model author
//! can fix them in one round.

use std::collections::{HashMap, HashSet};

use octo_ids::{CkElementKind, CkRecordKind, CkTypeKind};

use crate::document::{CkScalar, CkValueType};
use crate::error::{CkError, Location, closest, suggest};
use crate::model::{CkAttributeUse, CkElementDef, CkModel};
use crate::reference::CkElementRef;

/// Checks one model on its own. References into other models are checked
/// only for naming a declared dependency; their targets need the other
/// models (see [`validate_models`]).
#[must_use]
pub fn validate_model(model: &CkModel) -> Vec<CkError> {
    Checker::new(vec![model], false).run()
}

/// Checks a set of models as a whole, as a tenant would hold them: each
/// model as in [`validate_model`], plus references into dependencies,
/// dependencies present in a compatible version, one version per model and
/// no dependency cycles.
#[must_use]
pub fn validate_models<'a>(models: impl IntoIterator<Item = &'a CkModel>) -> Vec<CkError> {
    Checker::new(models.into_iter().collect(), true).run()
}

/// Where an element sits: which model of the set, which element of its
/// kind's list, and its element version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Entry {
    pub model: usize,
    pub element: usize,
    pub version: u32,
}

/// Every element of a set of models by kind, model name and element name.
/// The first definition wins; later duplicates are reported by
/// [`ElementIndex::build`].
pub(crate) struct ElementIndex<'a> {
    pub models: Vec<&'a CkModel>,
    pub by_name: HashMap<&'a str, usize>,
    elements: HashMap<(&'static str, &'a str, &'a str), Entry>,
}

fn add_all<'a, D: CkElementDef>(
    elements: &mut HashMap<(&'static str, &'a str, &'a str), Entry>,
    problems: &mut Vec<CkError>,
    model_index: usize,
    model: &'a CkModel,
    defs: &'a [D],
) {
    let noun = <D::Kind as CkElementKind>::NOUN;
    for (i, def) in defs.iter().enumerate() {
        let key = (noun, model.name(), def.local_id().name());
        if let Some(first) = elements.get(&key) {
            let first_source = match noun {
                "type" => model.types[first.element].source.clone(),
                "attribute" => model.attributes[first.element].source.clone(),
                "enum" => model.enums[first.element].source.clone(),
                "record" => model.records[first.element].source.clone(),
                _ => model.association_roles[first.element].source.clone(),
            };
            problems.push(CkError::DuplicateId {
                kind: noun,
                id: format!("{}/{}", model.name(), def.local_id().name()),
                first: first_source,
                second: def.source().to_owned(),
            });
        } else {
            elements.insert(
                key,
                Entry {
                    model: model_index,
                    element: i,
                    version: def.local_id().version(),
                },
            );
        }
    }
}

impl<'a> ElementIndex<'a> {
    /// Indexes `models`, reporting duplicate models and duplicate element
    /// ids.
    pub fn build(models: Vec<&'a CkModel>) -> (Self, Vec<CkError>) {
        let mut problems = Vec::new();
        let mut by_name = HashMap::new();
        let mut elements = HashMap::new();
        for (mi, model) in models.iter().enumerate() {
            if let Some(&first) = by_name.get(model.name()) {
                let first: &CkModel = models[first];
                problems.push(CkError::DuplicateModel {
                    name: model.name().to_owned(),
                    first: first.id().to_string(),
                    second: model.id().to_string(),
                });
                continue;
            }
            by_name.insert(model.name(), mi);
            add_all(&mut elements, &mut problems, mi, model, &model.types);
            add_all(&mut elements, &mut problems, mi, model, &model.attributes);
            add_all(&mut elements, &mut problems, mi, model, &model.enums);
            add_all(&mut elements, &mut problems, mi, model, &model.records);
            add_all(
                &mut elements,
                &mut problems,
                mi,
                model,
                &model.association_roles,
            );
        }
        (
            Self {
                models,
                by_name,
                elements,
            },
            problems,
        )
    }

    /// The element of kind `K` named `model/name`.
    pub fn get<K: CkElementKind>(&self, model: &str, name: &str) -> Option<Entry> {
        self.elements.get(&(K::NOUN, model, name)).copied()
    }

    /// The element a reference names, ignoring pinned versions.
    pub fn resolve<K: CkElementKind>(&self, r: &CkElementRef<K>) -> Option<Entry> {
        self.get::<K>(r.model_name(), r.name())
    }

    /// The names of every element of kind `noun` in the model named
    /// `model`, for suggestions.
    fn names_in(&self, noun: &str, model: &str) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self
            .elements
            .keys()
            .filter(|(n, m, _)| *n == noun && *m == model)
            .map(|(_, _, e)| *e)
            .collect();
        names.sort();
        names
    }

    /// The kind of an element named `model/name` other than `noun`, if one
    /// exists, to explain a reference that names the wrong kind.
    fn other_kind(&self, noun: &str, model: &str, name: &str) -> Option<&'static str> {
        ["type", "attribute", "enum", "record", "association role"]
            .into_iter()
            .filter(|k| *k != noun)
            .find(|k| self.elements.contains_key(&(*k, model, name)))
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Whether `name` is Pascal case with optional dotted namespace parts, as
/// the schemas require of element ids (`Query.Columns`, `Entity`).
fn is_pascal_dotted(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether `name` is plain Pascal case, as the schemas require of attribute
/// names, enum value names and navigation names (`SerialNumber`).
fn is_pascal(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

struct Checker<'a> {
    index: ElementIndex<'a>,
    problems: Vec<CkError>,
    check_dependencies: bool,
}

impl<'a> Checker<'a> {
    fn new(models: Vec<&'a CkModel>, check_dependencies: bool) -> Self {
        let (index, problems) = ElementIndex::build(models);
        Self {
            index,
            problems,
            check_dependencies,
        }
    }

    fn run(mut self) -> Vec<CkError> {
        for mi in 0..self.index.models.len() {
            if self.index.by_name.get(self.index.models[mi].name()) != Some(&mi) {
                continue; // a duplicate model, already reported
            }
            self.check_model(mi);
        }
        self.check_cycles::<CkTypeKind>();
        self.check_cycles::<CkRecordKind>();
        self.check_attribute_names::<CkTypeKind>();
        self.check_attribute_names::<CkRecordKind>();
        if self.check_dependencies {
            self.check_model_dependencies();
        }
        self.problems
    }

    fn check_ref<K: CkElementKind>(
        &mut self,
        this: usize,
        r: &CkElementRef<K>,
        location: &Location,
    ) -> Option<Entry> {
        let model = self.index.models[this];
        let target_model_name = r.model_name();
        let target = if target_model_name == model.name() {
            this
        } else if model.dependency_on(target_model_name).is_none() {
            self.problems.push(CkError::UndeclaredModelReference {
                location: location.clone(),
                reference: r.to_string(),
                model: target_model_name.to_owned(),
            });
            return None;
        } else {
            // A dependency that is not loaded is reported once per model by
            // `check_model_dependencies`, not once per reference.
            *self.index.by_name.get(target_model_name)?
        };
        let target_model = self.index.models[target];
        let unknown = |hint: String| CkError::UnknownReference {
            location: location.clone(),
            kind: K::NOUN,
            reference: r.to_string(),
            hint,
        };
        if let Some(v) = r.model_version()
            && v != target_model.version()
        {
            self.problems.push(unknown(format!(
                "; the reference pins model version {v}, but '{}' is loaded",
                target_model.id()
            )));
            return None;
        }
        match self.index.get::<K>(target_model_name, r.name()) {
            Some(entry) => {
                if let Some(v) = r.element_version()
                    && v != entry.version
                {
                    self.problems.push(unknown(format!(
                        "; '{}/{}' exists in version {}, not {v}",
                        target_model_name,
                        r.name(),
                        entry.version
                    )));
                    return None;
                }
                Some(entry)
            }
            None => {
                let hint = match self.index.other_kind(K::NOUN, target_model_name, r.name()) {
                    Some(other) => format!(
                        "; '{}' is {} {other}, not {} {}",
                        r.runtime_id(),
                        article(other),
                        article(K::NOUN),
                        K::NOUN
                    ),
                    None => {
                        let names = self.index.names_in(K::NOUN, target_model_name);
                        let close = closest(r.name(), names.iter().copied());
                        let suggestion = suggest(
                            &close
                                .iter()
                                .map(|n| format!("{target_model_name}/{n}"))
                                .collect::<Vec<_>>(),
                        );
                        if close.is_empty() {
                            format!("; model '{}' has no such {}", target_model.id(), K::NOUN)
                        } else {
                            suggestion
                        }
                    }
                };
                self.problems.push(unknown(hint));
                None
            }
        }
    }

    fn check_pascal_dotted(&mut self, name: &str, location: &Location) {
        if !is_pascal_dotted(name) {
            self.problems.push(CkError::InvalidName {
                location: location.clone(),
                name: name.to_owned(),
                reason: "ids are Pascal case, optionally with dotted namespace parts, such as 'EnergyMeter' or 'Query.Columns'".to_owned(),
            });
        }
    }

    fn check_pascal(&mut self, name: &str, location: &Location) {
        if !is_pascal(name) {
            self.problems.push(CkError::InvalidName {
                location: location.clone(),
                name: name.to_owned(),
                reason: "names are Pascal case letters and digits, such as 'SerialNumber'"
                    .to_owned(),
            });
        }
    }

    fn check_uses(&mut self, mi: usize, uses: &[CkAttributeUse], location: &Location) {
        for u in uses {
            let loc = location.with_field(format!("attributes '{}'", u.name));
            self.check_pascal(&u.name, &loc);
            self.check_ref(mi, &u.attribute, &loc);
        }
    }

    fn check_model(&mut self, mi: usize) {
        let model = self.index.models[mi];
        let mut seen = HashSet::new();
        for dep in model.dependencies() {
            let location = Location::new(model.source(), "", "dependencies");
            if dep.name() == model.name() {
                self.problems.push(CkError::InvalidDependency {
                    location,
                    dependency: dep.to_string(),
                    reason: "names the model itself; remove it".to_owned(),
                });
            } else if !seen.insert(dep.name()) {
                self.problems.push(CkError::InvalidDependency {
                    location,
                    dependency: dep.to_string(),
                    reason: format!(
                        "repeats a dependency on '{}'; keep one range per model",
                        dep.name()
                    ),
                });
            }
        }
        for t in model.types() {
            let location = Location::new(&t.source, format!("type '{}'", t.id.name()), "");
            self.check_pascal_dotted(t.id.name(), &location.with_field("typeId"));
            if let Some(base) = &t.derived_from {
                let loc = location.with_field("derivedFromCkTypeId");
                if let Some(entry) = self.check_ref(mi, base, &loc)
                    && self.index.models[entry.model].types[entry.element].is_final
                {
                    self.problems.push(CkError::DerivedFromFinal {
                        location: loc,
                        base: base.runtime_id().to_string(),
                    });
                }
            }
            self.check_uses(mi, &t.attributes, &location);
            for a in &t.associations {
                let field = format!("associations '{}'", a.role);
                self.check_ref(mi, &a.role, &location.with_field(field.clone()));
                self.check_ref(
                    mi,
                    &a.target,
                    &location.with_field(format!("{field} targetCkTypeId")),
                );
                for ta in &a.target_attributes {
                    self.check_ref(
                        mi,
                        ta,
                        &location.with_field(format!("{field} targetAttributes")),
                    );
                }
            }
        }
        for a in model.attributes() {
            let location = Location::new(&a.source, format!("attribute '{}'", a.id.name()), "");
            self.check_pascal_dotted(a.id.name(), &location.with_field("id"));
            let vt = a.value_type;
            match (&a.value_enum, vt.needs_enum()) {
                (None, true) => self.problems.push(CkError::MissingValueTypeTarget {
                    location: location.clone(),
                    value_type: vt,
                    field: "valueCkEnumId",
                    kind: "enum",
                }),
                (Some(_), false) => self.problems.push(CkError::UnexpectedValueTypeTarget {
                    location: location.with_field("valueCkEnumId"),
                    value_type: vt,
                    kind: "enum",
                }),
                _ => {}
            }
            match (&a.value_record, vt.needs_record()) {
                (None, true) => self.problems.push(CkError::MissingValueTypeTarget {
                    location: location.clone(),
                    value_type: vt,
                    field: "valueCkRecordId",
                    kind: "record",
                }),
                (Some(_), false) => self.problems.push(CkError::UnexpectedValueTypeTarget {
                    location: location.with_field("valueCkRecordId"),
                    value_type: vt,
                    kind: "record",
                }),
                _ => {}
            }
            // A target the value type does not use is reported above; its
            // reference is not worth a second message.
            let enum_entry = a
                .value_enum
                .as_ref()
                .filter(|_| vt.needs_enum())
                .and_then(|r| self.check_ref(mi, r, &location.with_field("valueCkEnumId")));
            if let Some(r) = a.value_record.as_ref().filter(|_| vt.needs_record()) {
                self.check_ref(mi, r, &location.with_field("valueCkRecordId"));
            }
            for value in &a.default_values {
                if let Err(reason) = self.default_fits(vt, value, enum_entry) {
                    self.problems.push(CkError::InvalidDefaultValue {
                        location: location.with_field("defaultValues"),
                        value: value.to_string(),
                        reason,
                    });
                }
            }
        }
        for r in model.records() {
            let location = Location::new(&r.source, format!("record '{}'", r.id.name()), "");
            self.check_pascal_dotted(r.id.name(), &location.with_field("recordId"));
            if let Some(base) = &r.derived_from {
                let loc = location.with_field("derivedFromCkRecordId");
                if let Some(entry) = self.check_ref(mi, base, &loc)
                    && self.index.models[entry.model].records[entry.element].is_final
                {
                    self.problems.push(CkError::DerivedFromFinal {
                        location: loc,
                        base: base.runtime_id().to_string(),
                    });
                }
            }
            self.check_uses(mi, &r.attributes, &location);
        }
        for e in model.enums() {
            let location = Location::new(&e.source, format!("enum '{}'", e.id.name()), "");
            self.check_pascal_dotted(e.id.name(), &location.with_field("enumId"));
            let mut keys = HashSet::new();
            let mut names = HashSet::new();
            for v in &e.values {
                let loc = location.with_field(format!("values '{}'", v.name));
                self.check_pascal(&v.name, &loc);
                if !keys.insert(v.key) {
                    self.problems.push(CkError::DuplicateEnumValue {
                        location: loc.clone(),
                        what: format!("key {} is used twice", v.key),
                    });
                }
                if !names.insert(v.name.as_str()) {
                    self.problems.push(CkError::DuplicateEnumValue {
                        location: loc,
                        what: format!("name '{}' is used twice", v.name),
                    });
                }
            }
        }
        for r in model.association_roles() {
            let location =
                Location::new(&r.source, format!("association role '{}'", r.id.name()), "");
            self.check_pascal_dotted(r.id.name(), &location.with_field("id"));
            self.check_pascal(&r.inbound_name, &location.with_field("inboundName"));
            self.check_pascal(&r.outbound_name, &location.with_field("outboundName"));
            self.check_uses(mi, &r.attributes, &location);
        }
    }

    /// Whether a default value fits the value type (and, for enums, names
    /// an existing value).
    fn default_fits(
        &self,
        vt: CkValueType,
        value: &CkScalar,
        enum_entry: Option<Entry>,
    ) -> Result<(), String> {
        let integer = |value: &CkScalar| match value {
            CkScalar::Number(n) => n.as_i64(),
            _ => None,
        };
        match vt {
            CkValueType::Boolean if matches!(value, CkScalar::Boolean(_)) => Ok(()),
            CkValueType::Int | CkValueType::IntArray
                if integer(value).is_some_and(|i| i32::try_from(i).is_ok()) =>
            {
                Ok(())
            }
            CkValueType::Int64 if integer(value).is_some() => Ok(()),
            CkValueType::Double if matches!(value, CkScalar::Number(_)) => Ok(()),
            CkValueType::String
            | CkValueType::StringArray
            | CkValueType::DateTime
            | CkValueType::DateTimeOffset
            | CkValueType::TimeSpan
                if matches!(value, CkScalar::String(_)) =>
            {
                Ok(())
            }
            CkValueType::Enum => {
                let Some(entry) = enum_entry else {
                    return match value {
                        CkScalar::Boolean(_) => {
                            Err("an Enum default is a key or a value name".to_owned())
                        }
                        _ => Ok(()), // the enum is unknown; reported already
                    };
                };
                let def = &self.index.models[entry.model].enums[entry.element];
                let found = match value {
                    CkScalar::Number(_) => {
                        integer(value).is_some_and(|k| def.values.iter().any(|v| v.key == k))
                    }
                    CkScalar::String(s) => def.values.iter().any(|v| v.name == *s),
                    CkScalar::Boolean(_) => false,
                };
                if found {
                    Ok(())
                } else {
                    let keys: Vec<String> = def
                        .values
                        .iter()
                        .map(|v| format!("{} ({})", v.key, v.name))
                        .collect();
                    Err(format!(
                        "the enum has no such value; its values are {}",
                        keys.join(", ")
                    ))
                }
            }
            CkValueType::Record
            | CkValueType::RecordArray
            | CkValueType::Binary
            | CkValueType::BinaryLinked
            | CkValueType::GeospatialPoint => {
                Err(format!("value type {vt} takes no default values"))
            }
            _ => Err(format!(
                "value type {vt} needs a {} value",
                match vt {
                    CkValueType::Boolean => "true/false",
                    CkValueType::Int | CkValueType::IntArray => "32-bit integer",
                    CkValueType::Int64 => "integer",
                    CkValueType::Double => "number",
                    _ => "text",
                }
            )),
        }
    }

    /// The base of a type or record, resolved by name.
    fn base_of<K: Inheriting>(&self, entry: Entry) -> Option<Entry> {
        K::base(self.index.models[entry.model], entry.element).and_then(|r| self.index.resolve(r))
    }

    fn check_cycles<K: Inheriting>(&mut self) {
        let mut done: HashSet<Entry> = HashSet::new();
        let mut starts: Vec<Entry> = self
            .index
            .elements
            .iter()
            .filter(|((noun, _, _), _)| *noun == K::NOUN)
            .map(|(_, e)| *e)
            .collect();
        starts.sort_by_key(|e| (e.model, e.element));
        for start in starts {
            let mut path: Vec<Entry> = Vec::new();
            let mut current = Some(start);
            while let Some(node) = current {
                if done.contains(&node) {
                    break;
                }
                if let Some(pos) = path.iter().position(|p| *p == node) {
                    let mut cycle: Vec<String> = path[pos..]
                        .iter()
                        .map(|e| K::runtime_name(self.index.models[e.model], e.element))
                        .collect();
                    cycle.push(cycle[0].clone());
                    let first = path[pos];
                    self.problems.push(CkError::InheritanceCycle {
                        kind: K::NOUN,
                        cycle,
                        file: K::source(self.index.models[first.model], first.element).to_owned(),
                    });
                    break;
                }
                path.push(node);
                current = self.base_of::<K>(node);
            }
            done.extend(path);
        }
    }

    /// Attribute names must be unique within a type (or record) including
    /// the inherited ones. Reported where the repeated name is declared.
    fn check_attribute_names<K: Inheriting>(&mut self) {
        let mut entries: Vec<Entry> = self
            .index
            .elements
            .iter()
            .filter(|((noun, _, _), _)| *noun == K::NOUN)
            .map(|(_, e)| *e)
            .collect();
        entries.sort_by_key(|e| (e.model, e.element));
        for entry in entries {
            let mut inherited: HashMap<&str, String> = HashMap::new();
            let mut seen = HashSet::from([entry]);
            let mut current = self.base_of::<K>(entry);
            while let Some(base) = current {
                if !seen.insert(base) {
                    break; // a cycle, reported by `check_cycles`
                }
                let model = self.index.models[base.model];
                for u in K::uses(model, base.element) {
                    inherited
                        .entry(u.name.as_str())
                        .or_insert_with(|| K::runtime_name(model, base.element));
                }
                current = self.base_of::<K>(base);
            }
            let model = self.index.models[entry.model];
            let mut own: HashSet<&str> = HashSet::new();
            for u in K::uses(model, entry.element) {
                let other = if let Some(by) = inherited.get(u.name.as_str()) {
                    format!("by {} '{by}'", K::NOUN)
                } else if !own.insert(u.name.as_str()) {
                    format!("earlier in this {}", K::NOUN)
                } else {
                    continue;
                };
                self.problems.push(CkError::DuplicateAttributeName {
                    location: Location::new(
                        K::source(model, entry.element),
                        format!("{} '{}'", K::NOUN, K::runtime_name(model, entry.element)),
                        format!("attributes '{}'", u.name),
                    ),
                    name: u.name.clone(),
                    other,
                });
            }
        }
    }

    fn check_model_dependencies(&mut self) {
        let models = self.index.models.clone();
        for (mi, model) in models.iter().enumerate() {
            if self.index.by_name.get(model.name()) != Some(&mi) {
                continue;
            }
            for dep in model.dependencies() {
                if dep.name() == model.name() {
                    continue; // reported by `check_model`
                }
                match self.index.by_name.get(dep.name()) {
                    None => self.problems.push(CkError::MissingDependency {
                        model: model.id().to_string(),
                        dependency: dep.clone(),
                    }),
                    Some(&found) if !dep.is_satisfied_by(models[found].id()) => {
                        self.problems.push(CkError::IncompatibleDependency {
                            model: model.id().to_string(),
                            dependency: dep.clone(),
                            found: models[found].id().clone(),
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        // Dependency cycles, by depth-first search over loaded models.
        let mut state: HashMap<usize, bool> = HashMap::new(); // false: on path, true: done
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        let mut order: Vec<usize> = self.index.by_name.values().copied().collect();
        order.sort_unstable();
        for start in order {
            let mut path = Vec::new();
            self.visit_model(start, &mut state, &mut path, &mut reported);
        }
    }

    fn visit_model(
        &mut self,
        node: usize,
        state: &mut HashMap<usize, bool>,
        path: &mut Vec<usize>,
        reported: &mut HashSet<Vec<usize>>,
    ) {
        match state.get(&node) {
            Some(true) => return,
            Some(false) => {
                if let Some(pos) = path.iter().position(|p| *p == node) {
                    let mut cycle = path[pos..].to_vec();
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    if reported.insert(key) {
                        cycle.push(node);
                        self.problems.push(CkError::DependencyCycle {
                            cycle: cycle
                                .iter()
                                .map(|i| self.index.models[*i].id().to_string())
                                .collect(),
                        });
                    }
                }
                return;
            }
            None => {}
        }
        state.insert(node, false);
        path.push(node);
        let model = self.index.models[node];
        let next: Vec<usize> = model
            .dependencies()
            .iter()
            .filter(|d| d.name() != model.name())
            .filter_map(|d| self.index.by_name.get(d.name()).copied())
            .collect();
        for n in next {
            self.visit_model(n, state, path, reported);
        }
        path.pop();
        state.insert(node, true);
    }
}

/// The element kinds with inheritance and attributes: types and records.
pub(crate) trait Inheriting: CkElementKind {
    fn base(model: &CkModel, element: usize) -> Option<&CkElementRef<Self>>;
    fn uses(model: &CkModel, element: usize) -> &[CkAttributeUse];
    fn source(model: &CkModel, element: usize) -> &str;
    fn runtime_name(model: &CkModel, element: usize) -> String;
}

impl Inheriting for CkTypeKind {
    fn base(model: &CkModel, element: usize) -> Option<&CkElementRef<Self>> {
        model.types[element].derived_from.as_ref()
    }
    fn uses(model: &CkModel, element: usize) -> &[CkAttributeUse] {
        &model.types[element].attributes
    }
    fn source(model: &CkModel, element: usize) -> &str {
        &model.types[element].source
    }
    fn runtime_name(model: &CkModel, element: usize) -> String {
        format!("{}/{}", model.name(), model.types[element].id.name())
    }
}

impl Inheriting for CkRecordKind {
    fn base(model: &CkModel, element: usize) -> Option<&CkElementRef<Self>> {
        model.records[element].derived_from.as_ref()
    }
    fn uses(model: &CkModel, element: usize) -> &[CkAttributeUse] {
        &model.records[element].attributes
    }
    fn source(model: &CkModel, element: usize) -> &str {
        &model.records[element].source
    }
    fn runtime_name(model: &CkModel, element: usize) -> String {
        format!("{}/{}", model.name(), model.records[element].id.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::load_document;
    use crate::system::system_model;

    #[test]
    fn spelling_rules_follow_the_schemas() {
        for ok in ["Entity", "Query.Columns", "Meter_2", "A.B.C"] {
            assert!(is_pascal_dotted(ok), "{ok}");
        }
        for bad in ["entity", "Query.columns", "A..B", ".A", "A-1"] {
            assert!(!is_pascal_dotted(bad), "{bad}");
        }
        assert!(is_pascal("SerialNumber") && is_pascal("VATnumber"));
        assert!(!is_pascal("Serial_Number") && !is_pascal("serial") && !is_pascal(""));
    }

    #[test]
    fn a_model_alone_is_not_blamed_for_absent_dependencies() {
        let model = load_document(
            "modelId: Demo.Alone-1.0.0\ndependencies:\n  - Other-[1.0,2.0)\ntypes:\n  - typeId: T\n    derivedFromCkTypeId: ${Other}/Base\n",
            "alone.yaml",
        )
        .expect("loads");
        assert!(validate_model(&model).is_empty());
        let system = system_model().expect("system");
        let problems = validate_models([system, &model]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(matches!(problems[0], CkError::MissingDependency { .. }));
    }
}
