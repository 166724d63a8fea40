//! OctoMesh stream data: archives that record chosen attributes of one CK type's entities over
//! time, their storage life cycle, ingestion and time-series queries.
//!
//! An archive is an entity of the service-managed `System.StreamData/RawArchive` type (created
//! with the entity tools); [`StreamData`] turns it into a typed table in the tenant's archive
//! runtime store ([`octo_store::StreamStore`]) and reads and writes samples there. Every
//! operation resolves through the four-stage cascade of [`StreamDataError`]: tenant, model
//! enabled, archive runtime store, archive.
//!
//! Modules:
//! - [`error`]: [`StreamDataError`], the cascade's messages first.
//! - [`archive`]: [`Archive`] read from its entity, [`ArchiveStatus`], the table layout.
//! - [`paths`]: the attribute paths an archive can record and what they resolve to.
//! - [`sample`]: JSON rows to samples and values back to JSON.
//! - [`files`]: archive samples to and from CSV or NDJSON files, streamed.
//! - [`ingest`]: bulk ingestion of NDJSON or JSON-array byte streams in all-or-nothing batches.
//! - [`query`]: query requests to store queries; aggregation checks shared with entities.
//! - [`rollup`]: rollup archives: definition, maintenance behind a watermark, and downsampling
//!   answered from them.
//! - [`service`]: [`StreamData`], the service itself.

pub mod archive;
pub mod error;
pub mod files;
pub mod ingest;
pub mod paths;
pub mod query;
pub mod rollup;
pub mod sample;
pub mod service;

pub use archive::{Archive, ArchiveStatus, MODEL_NAME, RAW_ARCHIVE_TYPE};
pub use error::StreamDataError;
pub use ingest::{IngestFormat, IngestReport, Ingestion, RejectedBatch};
pub use query::{Condition, ConditionGroup, SOURCE_PATH, Window};
pub use rollup::{
    MaintenanceReport, RecomputeJobInfo, ResolvedRollup, Rollup, RollupInfo, RollupQueryMetadata,
    RollupUse,
};
pub use service::{
    EnableReport, ResolvedArchive, SimpleQuery, SimpleResult, Span, StorageStats, StreamData,
    StreamRow,
};
