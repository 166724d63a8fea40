//! Errors of the tenant CK library, worded for an AI chat.

use octo_ck::CkError;
use octo_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CkServiceError {
    #[error("{0}")]
    Model(#[from] CkError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("Catalog '{name}' not found. Catalogs on this server: {known}. Call list_ck_catalogs.")]
    UnknownCatalog { name: String, known: String },
    #[error(
        "Model '{model}' needs {missing}, which the tenant has not loaded. Import it first, e.g. \
         with import_ck_from_catalog, or import from a catalog so dependencies come along."
    )]
    MissingDependencies { model: String, missing: String },
    #[error("{0}")]
    Refused(String),
    #[error("Import job {0} not found in this tenant.")]
    UnknownJob(uuid::Uuid),
    #[error("Unknown feature '{0}'. Features: communication, stream_data, reporting, ui.")]
    UnknownFeature(String),
}
