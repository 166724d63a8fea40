//! [`StreamDataError`]: why a stream-data operation failed, worded for an AI chat. The first
//! four variants are the stages of the resolution cascade, in order; each message names its
//! stage and what to do next.

use octo_ck_service::CkServiceError;
use octo_ids::TenantId;
use octo_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamDataError {
    /// Stage 1: the tenant does not exist.
    #[error("Tenant '{0}' not found")]
    TenantNotFound(TenantId),
    /// Stage 2: the System.StreamData model is not loaded in the tenant.
    #[error("Stream data not enabled for tenant '{0}'. Run enable_stream_data first.")]
    NotEnabled(TenantId),
    /// Stage 3: the model is there but the tenant's archive runtime store is missing or damaged.
    #[error(
        "Archive runtime store not initialised for tenant '{0}'. Run enable_stream_data again to \
         repair it: it recreates the store and the tables of activated archives (samples that \
         were lost with the store do not come back)."
    )]
    StoreNotInitialised(TenantId),
    /// Stage 4: no archive with this id in the tenant.
    #[error("Archive not found: '{0}'. Verify with get_archive_storage_stats.")]
    ArchiveNotFound(String),
    /// Stage 4 for rollup tools: no rollup archive with this id in the tenant.
    #[error("No rollup archive with rtId '{0}' found.")]
    RollupNotFound(String),
    /// A request that cannot be carried out as given (bad path, value, time window, …).
    #[error("{0}")]
    Invalid(String),
    /// The archive is in a state that does not allow the operation.
    #[error("{0}")]
    State(String),
    #[error("{0}")]
    Library(#[from] CkServiceError),
    #[error("{0}")]
    Model(#[from] octo_ck::CkError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl StreamDataError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
