//! Data in and out of a tenant as files, beside the tools that move them over HTTP.
//!
//! - [`runtime_model`]: OctoMesh's runtime-model file format (`{dependencies, entities[]}` as
//!   JSON, YAML or a zip of such files) as serde types, reading and writing.
//! - [`import`]: [`import_runtime_model`]: every entity checked against the tenant's CK models
//!   by the same code as `create_entity`, associations by the same role checks as
//!   `create_association`, then all written in one transaction, or nothing.
//! - [`export`]: entities of a type (with filters) or the graph below some roots, written in the
//!   runtime-model format page by page.
//! - [`dump`]: a whole tenant (CK models, entities, associations) as a gzip'd tar of BSON
//!   files (one per collection, as `mongodump` lays them out) with a manifest of counts and
//!   SHA-256 checksums; a restore verifies every checksum before it writes anything and then
//!   writes in one transaction.
//! - [`jobs`]: all of the above as durable background jobs in the store's job queue
//!   ([`ExchangeJobs`]): tools enqueue and wait as long as their caller allows, a worker in
//!   every server process runs them with heartbeats, and a restart resumes abandoned ones.
//! - [`error`]: the error type, [`ExchangeError`].

pub mod dump;
pub mod error;
pub mod export;
pub mod import;
pub mod jobs;
pub mod runtime_model;

pub use dump::{DumpManifest, DumpReport, Progress, RestoreReport, dump_tenant, restore_tenant};
pub use error::ExchangeError;
pub use export::{ExportReport, export_by_deep_graph, export_by_query};
pub use import::{ImportReport, ImportStrategy, import_runtime_model, import_runtime_model_file};
pub use jobs::{ExchangeJob, ExchangeJobs, JobDownload, JobOutcome, JobSettings};
pub use runtime_model::{FileFormat, RuntimeModel};
