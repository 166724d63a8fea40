//! [`ExchangeError`], the crate's error type. Messages are read in an AI chat: each names the
//! file, entity (index and rtId) or attribute at fault and what to do.

use octo_entities::EntityError;
use octo_store::StoreError;

/// Why an import, export, dump or restore failed. Nothing was written when it did.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The file is not a runtime model (syntax, shape, unknown fields).
    #[error("The runtime-model file cannot be read: {0}")]
    Format(String),
    /// The file reads, but some entities or associations do not fit the tenant's models; every
    /// problem found is listed, one per line.
    #[error(
        "The runtime model was not imported (nothing was written): {} problem(s):\n{}",
        .0.len(),
        .0.join("\n")
    )]
    Invalid(Vec<String>),
    /// The archive is not a tenant dump, or is corrupt or truncated.
    #[error("The tenant dump was refused (nothing was changed): {0}")]
    Archive(String),
    /// The request itself cannot be served, e.g. an unknown type to export.
    #[error("{0}")]
    Request(String),
    /// Boxed: entity errors carry CK errors, which are large.
    #[error("{0}")]
    Entity(Box<EntityError>),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("Reading or writing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl From<EntityError> for ExchangeError {
    fn from(error: EntityError) -> Self {
        Self::Entity(Box::new(error))
    }
}
