//! Dependency resolution: which models must be imported, in which order,
//! to bring a requested catalog model into a tenant.
//!
//! [`resolve_dependencies`] walks the requested model's dependencies
//! through the catalogs, picks for each missing model the highest version
//! its range allows, skips models the tenant already holds in a compatible
//! version, and orders the result dependencies first. Problems — a loaded
//! model outside a required range, a range no catalog satisfies, two
//! requirements that exclude each other, a cycle, or an upgrade that would
//! break a loaded model — are collected as [`DependencyConflict`]s, each one
//! sentence naming the models and versions involved. This backs the tools
//! `check_ck_dependencies` and `import_ck_from_catalog`.

use std::collections::BTreeMap;

use octo_ids::{CkModelDependency, CkModelId, CkModelVersion};
use serde::Serialize;

use crate::catalog::{CatalogEntry, CkCatalog, select_entry};
use crate::error::CkError;
use crate::library::CkLibrary;
use crate::model::CkModel;

/// A model a tenant holds, with what it depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedModel {
    /// The loaded model's id.
    pub id: CkModelId,
    /// Its dependencies, to notice upgrades that would break it.
    pub dependencies: Vec<CkModelDependency>,
}

/// The models a tenant holds, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedModels {
    models: BTreeMap<String, LoadedModel>,
}

impl LoadedModels {
    /// No models.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the model `id`. Without dependencies an upgrade
    /// that breaks this model cannot be noticed, so give them when known.
    pub fn insert(&mut self, id: CkModelId, dependencies: Vec<CkModelDependency>) {
        self.models
            .insert(id.name().to_owned(), LoadedModel { id, dependencies });
    }

    /// The models of a name → version map, without their dependencies
    /// (so upgrades that break a loaded model cannot be noticed; prefer
    /// building from the models themselves when they are at hand).
    ///
    /// # Errors
    /// [`CkError::Id`] if a name is not a valid model name.
    pub fn from_versions(versions: &BTreeMap<String, CkModelVersion>) -> Result<Self, CkError> {
        let mut loaded = Self::new();
        for (name, version) in versions {
            loaded.insert(CkModelId::new(name, *version)?, Vec::new());
        }
        Ok(loaded)
    }

    /// The loaded model named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&LoadedModel> {
        self.models.get(name)
    }

    /// The loaded models, by name.
    pub fn iter(&self) -> impl Iterator<Item = &LoadedModel> {
        self.models.values()
    }
}

impl<'a> FromIterator<&'a CkModel> for LoadedModels {
    fn from_iter<I: IntoIterator<Item = &'a CkModel>>(iter: I) -> Self {
        let mut loaded = Self::new();
        for model in iter {
            loaded.insert(model.id().clone(), model.dependencies().to_vec());
        }
        loaded
    }
}

impl FromIterator<CkModelId> for LoadedModels {
    fn from_iter<I: IntoIterator<Item = CkModelId>>(iter: I) -> Self {
        let mut loaded = Self::new();
        for id in iter {
            loaded.insert(id, Vec::new());
        }
        loaded
    }
}

impl From<&CkLibrary> for LoadedModels {
    fn from(library: &CkLibrary) -> Self {
        library.models().iter().collect()
    }
}

/// One model to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedImport {
    /// The model to import.
    pub model_id: CkModelId,
    /// The catalog to take it from.
    pub catalog: String,
    /// The model that needs it; `None` for the requested model itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_by: Option<CkModelId>,
    /// The loaded version it replaces (an upgrade or downgrade).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<CkModelId>,
    /// Whether it is a service-managed `System.*` model, which its
    /// service's `enable_*` tool installs rather than an import.
    pub service_managed: bool,
}

/// A dependency the tenant already satisfies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SatisfiedDependency {
    /// The model that needs it.
    pub required_by: CkModelId,
    /// The dependency.
    pub dependency: CkModelDependency,
    /// The loaded model satisfying it.
    pub loaded: CkModelId,
}

/// Why the requested model cannot be imported as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyConflict {
    /// The model whose requirement fails.
    pub required_by: CkModelId,
    /// The failing dependency, if the conflict is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<CkModelDependency>,
    /// The version found (loaded or already chosen), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<CkModelId>,
    /// One sentence naming the models and versions involved.
    pub message: String,
}

/// The outcome of [`resolve_dependencies`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyResolution {
    /// The model asked for, with its version resolved.
    pub requested: CkModelId,
    /// Whether the tenant already holds exactly this version.
    pub already_loaded: bool,
    /// The models to import, dependencies first, the requested one last.
    pub to_import: Vec<PlannedImport>,
    /// Dependencies the tenant already satisfies.
    pub satisfied: Vec<SatisfiedDependency>,
    /// What prevents the import; empty when it can go ahead.
    pub conflicts: Vec<DependencyConflict>,
}

impl DependencyResolution {
    /// Whether the import can go ahead.
    #[must_use]
    pub fn is_resolvable(&self) -> bool {
        self.conflicts.is_empty()
    }

    /// The ids to import, in order.
    #[must_use]
    pub fn model_ids_to_import(&self) -> Vec<String> {
        self.to_import
            .iter()
            .map(|p| p.model_id.to_string())
            .collect()
    }

    /// The import plan, or the conflicts as one error.
    ///
    /// # Errors
    /// [`CkError::DependencyConflicts`] listing every conflict.
    pub fn into_plan(self) -> Result<Vec<PlannedImport>, CkError> {
        if self.conflicts.is_empty() {
            Ok(self.to_import)
        } else {
            Err(CkError::DependencyConflicts {
                model: self.requested.to_string(),
                conflicts: self.conflicts.into_iter().map(|c| c.message).collect(),
            })
        }
    }
}

/// Resolves what importing `requested` (a model id such as
/// `Octo.Industry.Energy-1.0.0`, or a name for its highest version) from
/// `catalogs` into a tenant holding `loaded` requires. Catalogs are searched
/// in order; the first one offering a model id wins.
///
/// # Errors
/// [`CkError::UnknownModel`] if no catalog has `requested`, or a catalog's
/// read error. Conflicts are not errors: they are in the resolution.
pub fn resolve_dependencies(
    catalogs: &[&dyn CkCatalog],
    loaded: &LoadedModels,
    requested: &str,
) -> Result<DependencyResolution, CkError> {
    let mut available: Vec<(CatalogEntry, String)> = Vec::new();
    for catalog in catalogs {
        for entry in catalog.list(None)? {
            if !available.iter().any(|(e, _)| e.model_id == entry.model_id) {
                available.push((entry, catalog.name().to_owned()));
            }
        }
    }
    let entries: Vec<CatalogEntry> = available.iter().map(|(e, _)| e.clone()).collect();
    let catalog_names = catalogs
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join("', '");
    let root = select_entry(&catalog_names, &entries, requested)?.clone();
    let mut resolver = Resolver {
        available: &available,
        loaded,
        chosen: BTreeMap::new(),
        resolution: DependencyResolution {
            requested: root.model_id.clone(),
            already_loaded: false,
            to_import: Vec::new(),
            satisfied: Vec::new(),
            conflicts: Vec::new(),
        },
    };
    match loaded.get(root.model_id.name()) {
        Some(current) if current.id == root.model_id => {
            resolver.resolution.already_loaded = true;
        }
        current => {
            let replaces = current.map(|c| c.id.clone());
            if let Some(old) = &replaces {
                resolver.check_dependents(old, &root.model_id);
            }
            resolver.visit(&root, None, replaces);
        }
    }
    Ok(resolver.resolution)
}

struct Resolver<'a> {
    available: &'a [(CatalogEntry, String)],
    loaded: &'a LoadedModels,
    /// Models chosen for import so far (including those being visited).
    chosen: BTreeMap<String, (CkModelId, bool)>,
    resolution: DependencyResolution,
}

impl Resolver<'_> {
    fn conflict(
        &mut self,
        required_by: &CkModelId,
        dependency: Option<&CkModelDependency>,
        found: Option<&CkModelId>,
        message: String,
    ) {
        self.resolution.conflicts.push(DependencyConflict {
            required_by: required_by.clone(),
            dependency: dependency.cloned(),
            found: found.cloned(),
            message,
        });
    }

    /// Loaded models that depend on `old` must accept `new` as well.
    fn check_dependents(&mut self, old: &CkModelId, new: &CkModelId) {
        let dependents: Vec<(CkModelId, CkModelDependency)> = self
            .loaded
            .iter()
            .flat_map(|m| {
                m.dependencies
                    .iter()
                    .filter(|d| d.name() == new.name() && !d.is_satisfied_by(new))
                    .map(|d| (m.id.clone(), d.clone()))
            })
            .collect();
        for (dependent, dep) in dependents {
            self.conflict(
                &dependent,
                Some(&dep),
                Some(old),
                format!(
                    "replacing '{old}' with '{new}' would break the loaded model '{dependent}', which requires '{dep}'"
                ),
            );
        }
    }

    /// The highest catalog version satisfying `dep`, with its catalog.
    fn best(&self, dep: &CkModelDependency) -> Option<(CatalogEntry, String)> {
        self.available
            .iter()
            .filter(|(e, _)| dep.is_satisfied_by(&e.model_id))
            .max_by_key(|(e, _)| e.model_id.version())
            .cloned()
    }

    fn versions_of(&self, name: &str) -> String {
        let mut versions: Vec<String> = self
            .available
            .iter()
            .filter(|(e, _)| e.model_id.name() == name)
            .map(|(e, _)| e.model_id.version().to_string())
            .collect();
        versions.sort();
        if versions.is_empty() {
            "no catalog has any version of it".to_owned()
        } else {
            format!("the catalogs have {}", versions.join(", "))
        }
    }

    fn visit(
        &mut self,
        entry: &CatalogEntry,
        required_by: Option<&CkModelId>,
        replaces: Option<CkModelId>,
    ) {
        let id = entry.model_id.clone();
        self.chosen
            .insert(id.name().to_owned(), (id.clone(), false));
        for dep in &entry.dependencies {
            if let Some(current) = self.loaded.get(dep.name()) {
                if dep.is_satisfied_by(&current.id) {
                    self.resolution.satisfied.push(SatisfiedDependency {
                        required_by: id.clone(),
                        dependency: dep.clone(),
                        loaded: current.id.clone(),
                    });
                } else {
                    let current = current.id.clone();
                    let advice = match self.best(dep) {
                        Some((better, catalog)) => format!(
                            "; catalog '{catalog}' has '{}', so upgrade '{}' first (check it with check_ck_upgrade)",
                            better.model_id,
                            dep.name()
                        ),
                        None => format!("; {}", self.versions_of(dep.name())),
                    };
                    self.conflict(
                        &id,
                        Some(dep),
                        Some(&current),
                        format!(
                            "'{id}' requires '{dep}', but the tenant holds '{current}' (found {}, required {}){advice}",
                            current.version(),
                            dep.range()
                        ),
                    );
                }
                continue;
            }
            if let Some((chosen, done)) = self.chosen.get(dep.name()).cloned() {
                if !done {
                    self.conflict(
                        &id,
                        Some(dep),
                        Some(&chosen),
                        format!(
                            "'{id}' and '{chosen}' depend on each other in a cycle; models cannot be imported in a circle"
                        ),
                    );
                } else if !dep.is_satisfied_by(&chosen) {
                    self.conflict(
                        &id,
                        Some(dep),
                        Some(&chosen),
                        format!(
                            "'{id}' requires '{dep}', but '{chosen}' is already needed by another model being imported (found {}, required {})",
                            chosen.version(),
                            dep.range()
                        ),
                    );
                }
                continue;
            }
            match self.best(dep) {
                Some((next, _)) => self.visit(&next, Some(&id), None),
                None => {
                    let versions = self.versions_of(dep.name());
                    self.conflict(
                        &id,
                        Some(dep),
                        None,
                        format!(
                            "'{id}' requires '{dep}', which is not loaded and no catalog satisfies; {versions}"
                        ),
                    );
                }
            }
        }
        self.chosen.insert(id.name().to_owned(), (id.clone(), true));
        let catalog = self
            .available
            .iter()
            .find(|(e, _)| e.model_id == id)
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        self.resolution.to_import.push(PlannedImport {
            service_managed: entry.service_managed,
            model_id: id,
            catalog,
            required_by: required_by.cloned(),
            replaces,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::EmbeddedCatalog;
    use crate::system::system_model;

    fn system_only() -> LoadedModels {
        std::iter::once(system_model().expect("system")).collect()
    }

    #[test]
    fn dependencies_come_first_and_loaded_ones_are_skipped() {
        let catalog = EmbeddedCatalog::new();
        let resolution = resolve_dependencies(&[&catalog], &system_only(), "Octo.Industry.Energy")
            .expect("resolves");
        assert!(resolution.is_resolvable(), "{:?}", resolution.conflicts);
        assert_eq!(
            resolution.model_ids_to_import(),
            ["Octo.Assets-1.0.0", "Octo.Industry.Energy-1.0.0"]
        );
        assert_eq!(
            resolution.to_import[0]
                .required_by
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("Octo.Industry.Energy-1.0.0")
        );
        assert!(
            resolution
                .satisfied
                .iter()
                .all(|s| s.loaded.name() == "System")
        );
    }

    #[test]
    fn loaded_models_from_a_version_map() {
        let versions = BTreeMap::from([("System".to_owned(), CkModelVersion::new(2, 2, 2))]);
        let loaded = LoadedModels::from_versions(&versions).expect("valid names");
        assert_eq!(
            loaded.get("System").map(|m| m.id.to_string()).as_deref(),
            Some("System-2.2.2")
        );
        let bad = BTreeMap::from([("Bad Name".to_owned(), CkModelVersion::new(1, 0, 0))]);
        assert!(LoadedModels::from_versions(&bad).is_err());
    }

    #[test]
    fn an_already_loaded_model_needs_nothing() {
        let catalog = EmbeddedCatalog::new();
        let resolution =
            resolve_dependencies(&[&catalog], &system_only(), "System").expect("resolves");
        assert!(resolution.already_loaded);
        assert!(resolution.to_import.is_empty());
    }

    #[test]
    fn a_missing_base_model_is_planned_too() {
        let catalog = EmbeddedCatalog::new();
        let resolution =
            resolve_dependencies(&[&catalog], &LoadedModels::new(), "System.StreamData")
                .expect("resolves");
        assert_eq!(
            resolution.model_ids_to_import(),
            ["System-2.2.2", "System.StreamData-1.0.0"]
        );
        assert!(resolution.to_import[1].service_managed);
        assert!(!resolution.to_import[0].service_managed);
    }
}
