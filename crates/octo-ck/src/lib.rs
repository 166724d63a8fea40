//! The OctoMesh Construction Kit (CK): the model format, loading,
//! validation, the resolved type library of a tenant, the embedded System
//! model, model catalogs, dependency resolution and model diffs.
//!
//! Everything here is pure: no database and no async. The store keeps
//! [`CkModel`]s as JSON; the tools build a [`CkLibrary`] from a tenant's
//! models to answer schema questions, and use [`catalog`], [`resolve`] and
//! [`diff`](mod@diff) to import and upgrade models. `docs/ck-model-format.md` in the
//! repository explains the file format with a worked example.
//!
//! ```
//! use octo_ck::{CkLibrary, source, system_model};
//!
//! let plant = source::load_document(
//!     "modelId: Demo.Plant-1.0.0
//! dependencies:
//!   - System-[2.0,3.0)
//! attributes:
//!   - id: FlowRate
//!     valueType: Double
//! types:
//!   - typeId: Pump
//!     derivedFromCkTypeId: ${System}/Entity
//!     attributes:
//!       - id: ${this}/FlowRate
//!         name: FlowRate
//! ",
//!     "plant.yaml",
//! )?;
//! let library = CkLibrary::new(vec![system_model()?.clone(), plant])?;
//! let pump = library.get_type("Demo.Plant/Pump")?;
//! assert_eq!(pump.ancestors[0].to_string(), "System/Entity");
//! assert!(pump.attribute("RtBlueprintSource").is_some_and(|a| a.inherited));
//! # Ok::<(), octo_ck::CkError>(())
//! ```
//!
//! Modules:
//!
//! - [`document`]: the file format as serde types, field by field as the
//!   JSON Schemas define it.
//! - [`source`]: loading a model from a folder, a zip, a single YAML/JSON
//!   document or the compiled form.
//! - [`reference`](mod@reference): `${this}/X`, `${Model}/X`, `Model/X` and full-id
//!   references, resolved to [`reference::CkElementRef`].
//! - [`model`]: [`CkModel`], one loaded model with parsed ids.
//! - [`validate`]: every problem a model, or a set of models, has.
//! - [`error`]: [`CkError`], the crate's single error type, and
//!   [`Location`].
//! - [`library`]: [`CkLibrary`], a tenant's models resolved for queries:
//!   effective attributes, ancestors, derived types, association roles.
//! - [`system`]: the embedded `System-2.2.2` base model.
//! - [`catalog`]: [`catalog::CkCatalog`], the [`catalog::EmbeddedCatalog`]
//!   and the [`catalog::FolderCatalog`].
//! - [`resolve`]: dependency resolution for catalog imports.
//! - [`diff`](mod@diff): breaking and compatible changes between model versions.

pub mod catalog;
pub mod diff;
pub mod document;
pub mod error;
pub mod library;
pub mod model;
pub mod reference;
pub mod resolve;
pub mod source;
pub mod system;
pub mod validate;

pub use catalog::{CatalogEntry, CkCatalog, EmbeddedCatalog, FolderCatalog};
pub use diff::{Change, ChangeKind, ModelDiff, diff};
pub use error::{CkError, Location};
pub use library::{CkLibrary, TypeInfo};
pub use model::CkModel;
pub use resolve::{DependencyResolution, LoadedModels, resolve_dependencies};
pub use system::system_model;
pub use validate::{validate_model, validate_models};
