//! MCP sessions and the login state tied to them: [`McpSessionRecord`],
//! [`AuthTokenRecord`] and [`DeviceFlowRecord`].
//!
//! The store keeps these opaque: the session's state is the transport's
//! JSON, and tokens and device codes arrive already sealed (encrypted by the
//! `octo-auth` crate with the server's key), so a database dump holds no
//! usable secret.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

use octo_ids::TenantId;

use crate::column::Origin;
use crate::error::StoreError;

/// One MCP session (`Mcp-Session-Id`), kept so that a restarted server or
/// another replica can restore it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpSessionRecord {
    pub session_id: String,
    /// What the transport needs to restore the session (the client's
    /// `initialize` parameters), as JSON.
    pub state: Value,
    pub created_at: DateTime<Utc>,
    /// The last request seen in the session; idle sessions are purged.
    pub last_seen_at: DateTime<Utc>,
}

/// The tokens one MCP session holds for one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthTokenRecord {
    pub tenant_id: TenantId,
    pub session_id: String,
    /// The encrypted token set (access, refresh and ID token).
    pub sealed: String,
    /// When the access token expires (a refresh is due then).
    pub access_expires_at: DateTime<Utc>,
    /// Incremented by the writer on every change.
    pub version: u64,
    /// Set while one process refreshes the tokens (see
    /// [`Store::lease_auth_refresh`](crate::Store::lease_auth_refresh)).
    pub refresh_lease_until: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A device authorization in progress: what `check_auth_status` polls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFlowRecord {
    pub session_id: String,
    /// The tenant the user is logging in to.
    pub tenant_id: TenantId,
    /// The encrypted device code and the texts shown to the user.
    pub sealed: String,
    /// When the user code expires.
    pub expires_at: DateTime<Utc>,
    /// The provider's polling interval (grown by `slow_down`).
    pub interval_secs: u32,
    /// Not to be polled before this time.
    pub next_poll_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct McpSessionRow {
    session_id: String,
    state: Json<Value>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

pub(crate) const MCP_SESSION_COLUMNS: &str = "session_id, state, created_at, last_seen_at";

impl From<McpSessionRow> for McpSessionRecord {
    fn from(row: McpSessionRow) -> Self {
        Self {
            session_id: row.session_id,
            state: row.state.0,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthTokenRow {
    tenant_id: String,
    session_id: String,
    sealed: String,
    access_expires_at: DateTime<Utc>,
    version: i64,
    refresh_lease_until: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

pub(crate) const AUTH_TOKEN_COLUMNS: &str = "tenant_id, session_id, sealed, access_expires_at, \
     version, refresh_lease_until, updated_at";

impl TryFrom<AuthTokenRow> for AuthTokenRecord {
    type Error = StoreError;

    fn try_from(row: AuthTokenRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "auth_tokens",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            version: origin.unsigned("version", row.version)?,
            session_id: row.session_id,
            sealed: row.sealed,
            access_expires_at: row.access_expires_at,
            refresh_lease_until: row.refresh_lease_until,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceFlowRow {
    session_id: String,
    tenant_id: String,
    sealed: String,
    expires_at: DateTime<Utc>,
    interval_secs: i64,
    next_poll_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

pub(crate) const DEVICE_FLOW_COLUMNS: &str =
    "session_id, tenant_id, sealed, expires_at, interval_secs, next_poll_at, created_at";

impl TryFrom<DeviceFlowRow> for DeviceFlowRecord {
    type Error = StoreError;

    fn try_from(row: DeviceFlowRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "auth_device_flows",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            interval_secs: origin.unsigned32("interval_secs", row.interval_secs)?,
            session_id: row.session_id,
            sealed: row.sealed,
            expires_at: row.expires_at,
            next_poll_at: row.next_poll_at,
            created_at: row.created_at,
        })
    }
}
