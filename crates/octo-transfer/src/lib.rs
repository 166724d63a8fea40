//! File transfers: large files move over plain HTTP beside MCP, never
//! through a tool call's JSON.
//!
//! A tool reserves an upload ([`TransferService::reserve_upload`]) and
//! returns its URL; the client PUTs the body to
//! `/file-transfer/upload/{transferId}` ([`TransferService::handle_upload`]),
//! which streams it to a temporary file, hashes it on the way and makes it
//! visible only once fully written, flushed and renamed. An import tool then
//! opens it by id ([`TransferService::open_completed`]). Exports go the other
//! way: [`TransferService::register_download`] moves a produced file in and
//! `/file-transfer/download/{transferId}` serves it with byte ranges
//! ([`TransferService::handle_download`]).
//!
//! Transfer records live in the store and the files under
//! `data_dir/transfers`, so any replica sharing the database and the volume
//! serves any transfer. [`TransferService::sweep`] purges expired transfers
//! and leaves tombstones so a late request gets 410 rather than 404.
//!
//! Modules:
//!
//! - [`error`]: the error type, [`TransferError`].
//! - [`id`]: the transfer ids (32 lowercase hex characters from the OS CSPRNG).
//! - [`service`]: the service, [`TransferService`], and its [`TransferConfig`].
//! - [`http`]: the upload and download handlers, generic over the request
//!   body so tests drive them without a socket.

pub mod error;
pub mod http;
pub mod id;
pub mod service;

pub use error::TransferError;
pub use http::TransferBody;
pub use service::{SweepReport, TransferConfig, TransferService};

/// The path prefix of upload URLs; the transfer id follows.
pub const UPLOAD_PATH_PREFIX: &str = "/file-transfer/upload/";

/// The path prefix of download URLs; the transfer id follows.
pub const DOWNLOAD_PATH_PREFIX: &str = "/file-transfer/download/";

/// The default hard cap on one transfer: 5 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The default lifetime of a reservation or an unclaimed file: 30 minutes.
pub const DEFAULT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);
