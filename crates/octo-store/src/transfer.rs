//! File transfers: [`TransferRecord`], its [`TransferKind`] and
//! [`TransferState`]. The store keeps only the bookkeeping; the bytes live in
//! files on the shared data volume (see the `octo-transfer` crate).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use octo_ids::TenantId;

use crate::column::Origin;
use crate::error::StoreError;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferKind {
    /// The client PUTs a file for a later import.
    Upload,
    /// The server produced a file the client GETs.
    Download,
}

impl TransferKind {
    /// The stored spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Download => "download",
        }
    }
}

impl fmt::Display for TransferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransferKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "upload" => Ok(Self::Upload),
            "download" => Ok(Self::Download),
            _ => Err("expected upload or download".to_owned()),
        }
    }
}

/// Where a transfer is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferState {
    /// An upload slot waiting for its body.
    Reserved,
    /// The file is fully written and can be read.
    Complete,
    /// Ended early by the client; its file is gone or about to be.
    Cancelled,
    /// A tombstone: the transfer outlived its lifetime and was purged. Kept
    /// for a while so a late request gets 410 rather than 404.
    Expired,
}

impl TransferState {
    /// The stored spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Complete => "complete",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for TransferState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransferState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reserved" => Ok(Self::Reserved),
            "complete" => Ok(Self::Complete),
            "cancelled" => Ok(Self::Cancelled),
            "expired" => Ok(Self::Expired),
            _ => Err("expected reserved, complete, cancelled or expired".to_owned()),
        }
    }
}

/// One transfer of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRecord {
    /// The tenant it was made for (`octosystem` when none).
    pub tenant_id: TenantId,
    /// The id in the URL: unique across tenants, chosen by the caller.
    pub transfer_id: String,
    /// Upload or download.
    pub kind: TransferKind,
    /// The file name the client named (upload) or the server chose (download).
    pub file_name: String,
    /// Where it is in its life cycle.
    pub state: TransferState,
    /// The file's size, once complete.
    pub size_bytes: Option<u64>,
    /// The file's SHA-256 as lowercase hex, once complete.
    pub sha256: Option<String>,
    /// The MCP session that reserved it, if any.
    pub session_id: Option<String>,
    /// When it was reserved or registered.
    pub created_at: DateTime<Utc>,
    /// When it expires; after that the sweeper purges it.
    pub expires_at: DateTime<Utc>,
    /// When its file was fully written.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Columns of `transfers`, in the order of [`TRANSFER_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct TransferRow {
    tenant_id: String,
    transfer_id: String,
    kind: String,
    file_name: String,
    state: String,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    session_id: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

/// The select list that fills a [`TransferRow`].
pub(crate) const TRANSFER_COLUMNS: &str = "tenant_id, transfer_id, kind, file_name, state, \
     size_bytes, sha256, session_id, created_at, expires_at, completed_at";

impl TryFrom<TransferRow> for TransferRecord {
    type Error = StoreError;

    fn try_from(row: TransferRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "transfers",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            kind: origin.parse("kind", &row.kind)?,
            state: origin.parse("state", &row.state)?,
            size_bytes: row
                .size_bytes
                .map(|size| origin.unsigned("size_bytes", size))
                .transpose()?,
            transfer_id: row.transfer_id,
            file_name: row.file_name,
            sha256: row.sha256,
            session_id: row.session_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            completed_at: row.completed_at,
        })
    }
}
