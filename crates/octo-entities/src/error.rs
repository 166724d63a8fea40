//! Errors about entities and their values, worded for an AI chat: each names the attribute or
//! path and what was expected.

use octo_ck::CkError;
use octo_ck_service::CkServiceError;
use octo_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntityError {
    /// A value, attribute or path that does not fit the CK type.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Model(#[from] CkError),
    #[error("{0}")]
    Library(#[from] CkServiceError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl EntityError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
