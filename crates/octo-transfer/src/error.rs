//! [`TransferError`], the crate's error type. Messages are read in an AI
//! chat, so each says what to do next.

use thiserror::Error;

use octo_store::StoreError;

/// Why a transfer operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TransferError {
    /// No transfer has this id (or the id is malformed).
    #[error(
        "Transfer '{0}' does not exist. Call prepare_file_upload to reserve a new transfer id."
    )]
    NotFound(String),
    /// The transfer expired or was cancelled; its file is gone.
    #[error(
        "Transfer '{0}' has expired or was cancelled and its file was removed. Reserve a new one."
    )]
    Gone(String),
    /// The upload has not been completed yet.
    #[error(
        "Transfer '{0}' has no file yet: PUT the file body to its upload URL first, then retry."
    )]
    NotComplete(String),
    /// The file name is empty or unusable.
    #[error("The file name '{0}' is not usable; give a plain name such as 'model.zip'.")]
    InvalidFileName(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data volume failed.
    #[error("File transfer storage failed: {0}")]
    Io(#[from] std::io::Error),
}
