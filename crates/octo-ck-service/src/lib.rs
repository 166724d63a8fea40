//! Every tenant's Construction Kit library, kept in the store.
//!
//! `octo-ck` knows the model format; this crate knows where each tenant's models live, imports
//! them through jobs in the store, caches the resolved libraries, and switches the
//! service-managed features on and off.
//!
//! Modules:
//! - [`service`]: the [`CkService`] itself: libraries, status, catalogs, imports, upgrades.
//! - [`worker`]: the import-job worker.
//! - [`feature`]: the service-managed features and their `System.*` models.
//! - [`error`]: the [`CkServiceError`] messages.

pub mod error;
pub mod feature;
pub mod service;
pub mod worker;

pub use error::CkServiceError;
pub use feature::Feature;
pub use service::{CatalogImport, CkService, ModelStatus, UpgradeCheck};

#[cfg(test)]
mod tests;
