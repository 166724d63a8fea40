//! Model diffs: what changes when a tenant's model is replaced by another
//! version, and which changes break existing data or dependent models.
//!
//! Removing an element, an attribute of a type, an enum value or a role,
//! changing a value type, a base type or a multiplicity to a stricter one,
//! and adding a required attribute to an existing type are breaking: data
//! or models written against the old version may no longer fit. Additions
//! and relaxations are compatible. Descriptions are ignored. This backs
//! `check_ck_upgrade` and the refusal of breaking upgrades
//! ([`ModelDiff::ensure_compatible`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::document::CkMultiplicity;
use crate::error::CkError;
use crate::model::{CkAttributeUse, CkElementDef, CkModel};

/// Whether a change can break existing data or dependent models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ChangeKind {
    /// Existing data or models may no longer fit.
    Breaking,
    /// Existing data and models keep working.
    Compatible,
}

/// One difference between two versions of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Breaking or compatible.
    pub kind: ChangeKind,
    /// The element changed, e.g. `type 'Octo.Assets/Pump'`.
    pub element: String,
    /// What changed, e.g. `attribute 'Speed' removed`.
    pub description: String,
}

/// The differences between two versions of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelDiff {
    /// The old (loaded) model.
    pub old: String,
    /// The new (proposed) model.
    pub new: String,
    /// Every change, in the order: model, types, attributes, records,
    /// enums, roles.
    pub changes: Vec<Change>,
}

impl ModelDiff {
    /// Whether any change is breaking.
    #[must_use]
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.kind == ChangeKind::Breaking)
    }

    /// Whether the models have the same content.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The breaking changes.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Breaking)
    }

    /// The compatible changes.
    pub fn compatible(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Compatible)
    }

    /// `Ok` if no change is breaking.
    ///
    /// # Errors
    /// [`CkError::BreakingChanges`] listing the breaking changes.
    pub fn ensure_compatible(&self) -> Result<(), CkError> {
        if self.is_breaking() {
            Err(CkError::BreakingChanges {
                old: self.old.clone(),
                new: self.new.clone(),
                changes: self
                    .breaking()
                    .map(|c| format!("{}: {}", c.element, c.description))
                    .collect(),
            })
        } else {
            Ok(())
        }
    }
}

struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(&mut self, kind: ChangeKind, element: &str, description: impl Into<String>) {
        self.changes.push(Change {
            kind,
            element: element.to_owned(),
            description: description.into(),
        });
    }

    fn breaking(&mut self, element: &str, description: impl Into<String>) {
        self.push(ChangeKind::Breaking, element, description);
    }

    fn compatible(&mut self, element: &str, description: impl Into<String>) {
        self.push(ChangeKind::Compatible, element, description);
    }

    /// Pairs elements by name, reports removals and additions, and calls
    /// `each` for elements present in both.
    fn elements<D: CkElementDef>(
        &mut self,
        noun: &str,
        old_model: &CkModel,
        new_model: &CkModel,
        old: &[D],
        new: &[D],
        mut each: impl FnMut(&mut Self, &str, &D, &D),
    ) {
        let new_by_name: BTreeMap<&str, &D> =
            new.iter().map(|d| (d.local_id().name(), d)).collect();
        let old_names: BTreeSet<&str> = old.iter().map(|d| d.local_id().name()).collect();
        for o in old {
            let element = format!("{noun} '{}/{}'", old_model.name(), o.local_id().name());
            match new_by_name.get(o.local_id().name()) {
                None => self.breaking(&element, "removed"),
                Some(n) => {
                    if o.local_id().version() != n.local_id().version() {
                        self.breaking(
                            &element,
                            format!(
                                "element version changed from {} to {}, so its full id changes from '{}' to '{}'",
                                o.local_id().version(),
                                n.local_id().version(),
                                old_model.full_id(o),
                                new_model.full_id(*n)
                            ),
                        );
                    }
                    each(self, &element, o, n);
                }
            }
        }
        for n in new {
            if !old_names.contains(n.local_id().name()) {
                let element = format!("{noun} '{}/{}'", new_model.name(), n.local_id().name());
                self.compatible(&element, "added");
            }
        }
    }

    /// Attribute uses of a type, record or role, paired by name.
    fn uses(&mut self, element: &str, old: &[CkAttributeUse], new: &[CkAttributeUse]) {
        let new_by_name: BTreeMap<&str, &CkAttributeUse> =
            new.iter().map(|u| (u.name.as_str(), u)).collect();
        let old_names: BTreeSet<&str> = old.iter().map(|u| u.name.as_str()).collect();
        for o in old {
            match new_by_name.get(o.name.as_str()) {
                None => self.breaking(element, format!("attribute '{}' removed", o.name)),
                Some(n) => {
                    if n.attribute.runtime_id() != o.attribute.runtime_id() {
                        self.breaking(
                            element,
                            format!(
                                "attribute '{}' now uses '{}' instead of '{}'",
                                o.name,
                                n.attribute.runtime_id(),
                                o.attribute.runtime_id()
                            ),
                        );
                    }
                    match (o.is_optional, n.is_optional) {
                        (true, false) => self.breaking(
                            element,
                            format!("attribute '{}' changed from optional to required", o.name),
                        ),
                        (false, true) => self.compatible(
                            element,
                            format!("attribute '{}' changed from required to optional", o.name),
                        ),
                        _ => {}
                    }
                }
            }
        }
        for n in new {
            if old_names.contains(n.name.as_str()) {
                continue;
            }
            if n.is_optional {
                self.compatible(element, format!("optional attribute '{}' added", n.name));
            } else {
                self.breaking(
                    element,
                    format!(
                        "required attribute '{}' added; existing entities have no value for it",
                        n.name
                    ),
                );
            }
        }
    }

    fn flag(&mut self, element: &str, what: &str, old: bool, new: bool, breaking_when_set: bool) {
        if old == new {
            return;
        }
        let description = if new {
            format!("became {what}")
        } else {
            format!("is no longer {what}")
        };
        if new == breaking_when_set {
            self.breaking(element, description);
        } else {
            self.compatible(element, description);
        }
    }
}

fn multiplicity_change(
    d: &mut Differ,
    element: &str,
    end: &str,
    old: CkMultiplicity,
    new: CkMultiplicity,
) {
    if old == new {
        return;
    }
    let description = format!("{end} multiplicity changed from {old} to {new}");
    if old.is_within(new) {
        d.compatible(element, description);
    } else {
        d.breaking(element, description);
    }
}

/// The differences between `old` (the loaded version) and `new` (the
/// proposed one), classified as breaking or compatible.
#[must_use]
pub fn diff(old: &CkModel, new: &CkModel) -> ModelDiff {
    let mut d = Differ {
        changes: Vec::new(),
    };
    let model = format!("model '{}'", old.name());
    if old.name() != new.name() {
        d.breaking(&model, format!("'{}' is a different model", new.id()));
    }
    let old_deps: BTreeMap<&str, String> = old
        .dependencies()
        .iter()
        .map(|dep| (dep.name(), dep.to_string()))
        .collect();
    let new_deps: BTreeMap<&str, String> = new
        .dependencies()
        .iter()
        .map(|dep| (dep.name(), dep.to_string()))
        .collect();
    for (name, dep) in &old_deps {
        match new_deps.get(name) {
            None => d.compatible(&model, format!("dependency '{dep}' removed")),
            Some(n) if n != dep => {
                d.compatible(&model, format!("dependency changed from '{dep}' to '{n}'"))
            }
            Some(_) => {}
        }
    }
    for (name, dep) in &new_deps {
        if !old_deps.contains_key(name) {
            d.compatible(&model, format!("dependency '{dep}' added; import it first"));
        }
    }

    d.elements(
        "type",
        old,
        new,
        old.types(),
        new.types(),
        |d, element, o, n| {
            let (ob, nb) = (
                o.derived_from.as_ref().map(|r| r.runtime_id().to_string()),
                n.derived_from.as_ref().map(|r| r.runtime_id().to_string()),
            );
            if ob != nb {
                d.breaking(
                    element,
                    format!(
                        "base type changed from {} to {}",
                        ob.as_deref().unwrap_or("none"),
                        nb.as_deref().unwrap_or("none")
                    ),
                );
            }
            d.flag(element, "abstract", o.is_abstract, n.is_abstract, true);
            d.flag(element, "final", o.is_final, n.is_final, true);
            d.uses(element, &o.attributes, &n.attributes);
            let key = |a: &crate::model::CkTypeAssociation| {
                format!("'{}' to '{}'", a.role.runtime_id(), a.target.runtime_id())
            };
            let old_assoc: BTreeSet<String> = o.associations.iter().map(key).collect();
            let new_assoc: BTreeSet<String> = n.associations.iter().map(key).collect();
            for gone in old_assoc.difference(&new_assoc) {
                d.breaking(element, format!("association {gone} removed"));
            }
            for added in new_assoc.difference(&old_assoc) {
                d.compatible(element, format!("association {added} added"));
            }
            if o.indexes != n.indexes {
                d.compatible(element, "indexes changed; they are rebuilt on import");
            }
        },
    );

    d.elements(
        "attribute",
        old,
        new,
        old.attributes(),
        new.attributes(),
        |d, element, o, n| {
            if o.value_type != n.value_type {
                d.breaking(
                    element,
                    format!(
                        "value type changed from {} to {}",
                        o.value_type, n.value_type
                    ),
                );
            }
            let target = |e: Option<String>| e.unwrap_or_else(|| "none".to_owned());
            let (oe, ne) = (
                o.value_enum.as_ref().map(|r| r.runtime_id().to_string()),
                n.value_enum.as_ref().map(|r| r.runtime_id().to_string()),
            );
            if oe != ne && o.value_type == n.value_type {
                d.breaking(
                    element,
                    format!("enum changed from {} to {}", target(oe), target(ne)),
                );
            }
            let (or, nr) = (
                o.value_record.as_ref().map(|r| r.runtime_id().to_string()),
                n.value_record.as_ref().map(|r| r.runtime_id().to_string()),
            );
            if or != nr && o.value_type == n.value_type {
                d.breaking(
                    element,
                    format!("record changed from {} to {}", target(or), target(nr)),
                );
            }
            if o.default_values != n.default_values {
                d.compatible(
                    element,
                    "default values changed; existing entities keep their values",
                );
            }
        },
    );

    d.elements(
        "record",
        old,
        new,
        old.records(),
        new.records(),
        |d, element, o, n| {
            let (ob, nb) = (
                o.derived_from.as_ref().map(|r| r.runtime_id().to_string()),
                n.derived_from.as_ref().map(|r| r.runtime_id().to_string()),
            );
            if ob != nb {
                d.breaking(
                    element,
                    format!(
                        "base record changed from {} to {}",
                        ob.as_deref().unwrap_or("none"),
                        nb.as_deref().unwrap_or("none")
                    ),
                );
            }
            d.flag(element, "abstract", o.is_abstract, n.is_abstract, true);
            d.flag(element, "final", o.is_final, n.is_final, true);
            d.uses(element, &o.attributes, &n.attributes);
        },
    );

    d.elements(
        "enum",
        old,
        new,
        old.enums(),
        new.enums(),
        |d, element, o, n| {
            let new_by_key: BTreeMap<i64, &str> =
                n.values.iter().map(|v| (v.key, v.name.as_str())).collect();
            let old_keys: BTreeSet<i64> = o.values.iter().map(|v| v.key).collect();
            for v in &o.values {
                match new_by_key.get(&v.key) {
                    None => d.breaking(element, format!("value {} '{}' removed", v.key, v.name)),
                    Some(name) if *name != v.name => d.breaking(
                        element,
                        format!("value {} renamed from '{}' to '{name}'", v.key, v.name),
                    ),
                    Some(_) => {}
                }
            }
            for v in &n.values {
                if !old_keys.contains(&v.key) {
                    d.compatible(element, format!("value {} '{}' added", v.key, v.name));
                }
            }
            if o.use_flags != n.use_flags {
                d.breaking(
                    element,
                    if n.use_flags {
                        "now combines values as flags"
                    } else {
                        "no longer combines values as flags"
                    },
                );
            }
            d.flag(
                element,
                "extensible",
                o.is_extensible,
                n.is_extensible,
                false,
            );
        },
    );

    d.elements(
        "association role",
        old,
        new,
        old.association_roles(),
        new.association_roles(),
        |d, element, o, n| {
            if o.outbound_name != n.outbound_name {
                d.breaking(
                    element,
                    format!(
                        "outbound name changed from '{}' to '{}'",
                        o.outbound_name, n.outbound_name
                    ),
                );
            }
            if o.inbound_name != n.inbound_name {
                d.breaking(
                    element,
                    format!(
                        "inbound name changed from '{}' to '{}'",
                        o.inbound_name, n.inbound_name
                    ),
                );
            }
            multiplicity_change(
                d,
                element,
                "outbound",
                o.outbound_multiplicity,
                n.outbound_multiplicity,
            );
            multiplicity_change(
                d,
                element,
                "inbound",
                o.inbound_multiplicity,
                n.inbound_multiplicity,
            );
            d.uses(element, &o.attributes, &n.attributes);
        },
    );

    ModelDiff {
        old: old.id().to_string(),
        new: new.id().to_string(),
        changes: d.changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CkCatalog, EmbeddedCatalog};

    #[test]
    fn a_model_equals_itself() {
        let model = EmbeddedCatalog::new().load("Octo.Assets").expect("loads");
        let d = diff(&model, &model);
        assert!(d.is_empty(), "{:?}", d.changes);
        assert!(d.ensure_compatible().is_ok());
    }
}
