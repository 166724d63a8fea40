//! Model catalogs: named places models are imported from.
//!
//! [`CkCatalog`] is what the catalog tools (`list_ck_catalog_models`,
//! `check_ck_dependencies`, `import_ck_from_catalog`) talk to. Two catalogs
//! ship here:
//!
//! - [`EmbeddedCatalog`] (`embedded`): the models compiled into the server —
//!   `System`, the service-managed `System.Communication`,
//!   `System.StreamData`, `System.Reporting` and `System.UI`, and the
//!   user-managed `Octo.Assets`, `Octo.Industry.Energy` and
//!   `Octo.Maintenance`. Their sources are under `models/` in this crate.
//! - [`FolderCatalog`]: an operator's local folder whose subfolders are model
//!   folders; several versions of one model may sit side by side.
//!
//! Service-managed models (`System.*`) belong to a backend service and are
//! switched on with that service's `enable_*` tool rather than imported;
//! catalog entries say so in [`CatalogEntry::service_managed`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use octo_ids::{CkModelDependency, CkModelId};
use serde::{Deserialize, Serialize};

use crate::error::{CkError, closest};
use crate::model::{CkModel, is_service_managed};
use crate::source::{load_document, load_folder, read_meta};
use crate::system::system_model;

/// One model a catalog offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    /// The model id, e.g. `Octo.Assets-1.0.0`.
    pub model_id: CkModelId,
    /// What the model is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The models it builds on.
    #[serde(default)]
    pub dependencies: Vec<CkModelDependency>,
    /// Whether it is a service-managed `System.*` model, switched on with an
    /// `enable_*` tool instead of imported.
    pub service_managed: bool,
}

impl CatalogEntry {
    /// The entry describing `model`.
    #[must_use]
    pub fn of(model: &CkModel) -> Self {
        Self {
            model_id: model.id().clone(),
            description: model.description().map(str::to_owned),
            dependencies: model.dependencies().to_vec(),
            service_managed: model.is_service_managed(),
        }
    }

    /// Whether the id or description contains `term`, ignoring case.
    #[must_use]
    pub fn matches(&self, term: &str) -> bool {
        let term = term.to_lowercase();
        self.model_id.to_string().to_lowercase().contains(&term)
            || self
                .description
                .as_ref()
                .is_some_and(|d| d.to_lowercase().contains(&term))
    }
}

/// A source of models to import.
pub trait CkCatalog: Send + Sync {
    /// The catalog's name, as tools take it in `catalogName`.
    fn name(&self) -> &str;

    /// The models on offer, sorted by id; only those whose id or
    /// description contains `search` (ignoring case) if given.
    ///
    /// # Errors
    /// If the catalog cannot be read.
    fn list(&self, search: Option<&str>) -> Result<Vec<CatalogEntry>, CkError>;

    /// Loads a model by id (`Octo.Assets-1.0.0`) or by name (`Octo.Assets`,
    /// meaning the highest version on offer).
    ///
    /// # Errors
    /// [`CkError::UnknownModel`] with suggestions if the catalog does not
    /// have it, or the loading error.
    fn load(&self, model: &str) -> Result<CkModel, CkError>;
}

/// Picks the entry `model` names among `entries`: the exact id, or the
/// highest version of a name.
///
/// # Errors
/// [`CkError::UnknownModel`] naming `catalog`, with close ids as hint.
pub fn select_entry<'a>(
    catalog: &str,
    entries: &'a [CatalogEntry],
    model: &str,
) -> Result<&'a CatalogEntry, CkError> {
    let found = match model.parse::<CkModelId>() {
        Ok(id) => entries.iter().find(|e| e.model_id == id),
        Err(_) => entries
            .iter()
            .filter(|e| e.model_id.name() == model)
            .max_by_key(|e| e.model_id.version()),
    };
    found.ok_or_else(|| {
        let ids: Vec<String> = entries.iter().map(|e| e.model_id.to_string()).collect();
        let same_name: Vec<&str> = match model.rsplit_once('-') {
            Some((name, _)) => ids
                .iter()
                .filter(|id| id.rsplit_once('-').is_some_and(|(n, _)| n == name))
                .map(String::as_str)
                .collect(),
            None => Vec::new(),
        };
        let hint = if same_name.is_empty() {
            let mut names: Vec<&str> = entries.iter().map(|e| e.model_id.name()).collect();
            names.dedup();
            let wanted = model.rsplit_once('-').map_or(model, |(name, _)| name);
            let close = closest(wanted, names);
            if close.is_empty() {
                "; list the catalog's models to see what it offers".to_owned()
            } else {
                format!("; did you mean {}?", quoted(&close))
            }
        } else {
            format!("; it has {}", quoted(&same_name))
        };
        CkError::UnknownModel {
            catalog: catalog.to_owned(),
            model: model.to_owned(),
            hint,
        }
    })
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn filtered(mut entries: Vec<CatalogEntry>, search: Option<&str>) -> Vec<CatalogEntry> {
    if let Some(term) = search {
        entries.retain(|e| e.matches(term));
    }
    entries.sort_by(|a, b| a.model_id.cmp(&b.model_id));
    entries
}

/// The name of the [`EmbeddedCatalog`].
pub const EMBEDDED_CATALOG_NAME: &str = "embedded";

/// The embedded models other than System, as (file name, source).
const EMBEDDED_SOURCES: [(&str, &str); 7] = [
    (
        "System.Communication-1.0.0.yaml",
        include_str!("../models/System.Communication-1.0.0.yaml"),
    ),
    (
        "System.StreamData-1.0.0.yaml",
        include_str!("../models/System.StreamData-1.0.0.yaml"),
    ),
    (
        "System.Reporting-1.0.0.yaml",
        include_str!("../models/System.Reporting-1.0.0.yaml"),
    ),
    (
        "System.UI-1.0.0.yaml",
        include_str!("../models/System.UI-1.0.0.yaml"),
    ),
    (
        "Octo.Assets-1.0.0.yaml",
        include_str!("../models/Octo.Assets-1.0.0.yaml"),
    ),
    (
        "Octo.Industry.Energy-1.0.0.yaml",
        include_str!("../models/Octo.Industry.Energy-1.0.0.yaml"),
    ),
    (
        "Octo.Maintenance-1.0.0.yaml",
        include_str!("../models/Octo.Maintenance-1.0.0.yaml"),
    ),
];

/// The models compiled into the server: System, the four service-managed
/// `System.*` models and three user-managed models of our own.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedCatalog;

impl EmbeddedCatalog {
    /// The embedded catalog.
    #[must_use]
    pub fn new() -> Self {
        Self
    }

    /// Every embedded model, parsed once.
    ///
    /// # Errors
    /// Only if an embedded source does not load, which this crate's tests
    /// rule out.
    pub fn models() -> Result<&'static [CkModel], CkError> {
        static MODELS: OnceLock<Result<Vec<CkModel>, CkError>> = OnceLock::new();
        MODELS
            .get_or_init(|| {
                let mut models = vec![system_model()?.clone()];
                for (name, text) in EMBEDDED_SOURCES {
                    models.push(load_document(text, name)?);
                }
                Ok(models)
            })
            .as_ref()
            .map(Vec::as_slice)
            .map_err(Clone::clone)
    }
}

impl CkCatalog for EmbeddedCatalog {
    fn name(&self) -> &str {
        EMBEDDED_CATALOG_NAME
    }

    fn list(&self, search: Option<&str>) -> Result<Vec<CatalogEntry>, CkError> {
        let entries = Self::models()?.iter().map(CatalogEntry::of).collect();
        Ok(filtered(entries, search))
    }

    fn load(&self, model: &str) -> Result<CkModel, CkError> {
        let entries = self.list(None)?;
        let entry = select_entry(self.name(), &entries, model)?;
        Self::models()?
            .iter()
            .find(|m| *m.id() == entry.model_id)
            .cloned()
            .ok_or_else(|| CkError::UnknownModel {
                catalog: self.name().to_owned(),
                model: model.to_owned(),
                hint: String::new(),
            })
    }
}

/// A folder of model folders on the server's disk, e.g. an operator's
/// `/var/lib/octo/models`, with subfolders such as `Acme.Plant-1.0.0/` and
/// `Acme.Plant-1.1.0/`. The model id comes from each `ckModel.yaml`, not
/// from the folder name. The folder is read on every call, so new models
/// show up without a restart.
#[derive(Debug, Clone)]
pub struct FolderCatalog {
    name: String,
    root: PathBuf,
}

impl FolderCatalog {
    /// A catalog called `name` over the model folders in `root`.
    #[must_use]
    pub fn new(name: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            root: root.into(),
        }
    }

    /// The folder the catalog reads.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every model folder with its entry, sorted by model id.
    fn scan(&self) -> Result<Vec<(CatalogEntry, PathBuf)>, CkError> {
        let io = |path: &Path, e: std::io::Error| CkError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut found = Vec::new();
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&self.root).map_err(|e| io(&self.root, e))? {
            let entry = entry.map_err(|e| io(&self.root, e))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden || !path.is_dir() {
                continue;
            }
            let meta = match read_meta(&path) {
                Ok(meta) => meta,
                // A subfolder without ckModel.yaml is not a model; skip it.
                Err(CkError::MissingModelFile { .. }) => continue,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let folder = path.display().to_string();
            let model_id = match meta.model_id.parse::<CkModelId>() {
                Ok(id) => id,
                Err(source) => {
                    problems.push(CkError::InvalidId {
                        location: crate::error::Location::new(
                            &format!("{folder}/ckModel.yaml"),
                            "",
                            "modelId",
                        ),
                        source,
                    });
                    continue;
                }
            };
            let mut dependencies = Vec::new();
            for dep in &meta.dependencies {
                match dep.parse::<CkModelDependency>() {
                    Ok(d) => dependencies.push(d),
                    Err(source) => problems.push(CkError::InvalidId {
                        location: crate::error::Location::new(
                            &format!("{folder}/ckModel.yaml"),
                            "",
                            "dependencies",
                        ),
                        source,
                    }),
                }
            }
            found.push((
                CatalogEntry {
                    service_managed: is_service_managed(model_id.name()),
                    model_id,
                    description: meta.description,
                    dependencies,
                },
                path,
            ));
        }
        if let Some(e) = CkError::from_problems(format!("Catalog '{}'", self.name), problems) {
            return Err(e);
        }
        found.sort_by(|a, b| a.0.model_id.cmp(&b.0.model_id));
        Ok(found)
    }
}

impl CkCatalog for FolderCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    fn list(&self, search: Option<&str>) -> Result<Vec<CatalogEntry>, CkError> {
        let entries = self.scan()?.into_iter().map(|(e, _)| e).collect();
        Ok(filtered(entries, search))
    }

    fn load(&self, model: &str) -> Result<CkModel, CkError> {
        let scanned = self.scan()?;
        let entries: Vec<CatalogEntry> = scanned.iter().map(|(e, _)| e.clone()).collect();
        let entry = select_entry(&self.name, &entries, model)?;
        let Some((_, path)) = scanned.iter().find(|(e, _)| e.model_id == entry.model_id) else {
            return Err(CkError::UnknownModel {
                catalog: self.name.clone(),
                model: model.to_owned(),
                hint: String::new(),
            });
        };
        load_folder(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::CkLibrary;

    #[test]
    fn embedded_models_load_and_validate_together() {
        let models = EmbeddedCatalog::models().expect("embedded models load");
        assert_eq!(models.len(), 8);
        let library = CkLibrary::new(models.to_vec());
        assert!(
            library.is_ok(),
            "{}",
            library.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }

    #[test]
    fn embedded_listing_marks_service_managed_models() {
        let catalog = EmbeddedCatalog::new();
        assert_eq!(catalog.name(), "embedded");
        let entries = catalog.list(None).expect("lists");
        let managed: Vec<String> = entries
            .iter()
            .filter(|e| e.service_managed)
            .map(|e| e.model_id.name().to_owned())
            .collect();
        assert_eq!(
            managed,
            [
                "System.Communication",
                "System.Reporting",
                "System.StreamData",
                "System.UI"
            ]
        );
        let energy = catalog.list(Some("ENERGY")).expect("search");
        assert_eq!(energy.len(), 1);
        assert_eq!(energy[0].model_id.to_string(), "Octo.Industry.Energy-1.0.0");
    }

    #[test]
    fn load_by_name_or_id_and_explain_misses() {
        let catalog = EmbeddedCatalog::new();
        assert_eq!(
            catalog
                .load("Octo.Assets")
                .expect("by name")
                .id()
                .to_string(),
            "Octo.Assets-1.0.0"
        );
        assert!(catalog.load("Octo.Assets-1.0.0").is_ok());
        let err = catalog
            .load("Octo.Assets-9.0.0")
            .expect_err("no such version")
            .to_string();
        assert!(err.contains("it has 'Octo.Assets-1.0.0'"), "{err}");
        let err = catalog.load("Octo.Asets").expect_err("typo").to_string();
        assert!(err.contains("did you mean 'Octo.Assets'"), "{err}");
    }
}
