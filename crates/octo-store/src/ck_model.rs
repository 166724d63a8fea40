//! Construction Kit models as stored per tenant: [`StoredCkModel`] and its
//! [`CkModelState`]. The store keeps one loaded version per model name and
//! treats the parsed model document as opaque JSON.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

use octo_ids::{CkModelId, TenantId};

use crate::column::Origin;
use crate::error::StoreError;

/// Where a model is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CkModelState {
    /// Being imported; not usable yet.
    Importing,
    /// Imported and its dependencies resolved.
    Available,
    /// Imported, but its dependencies could not be resolved (see the reason).
    ResolveFailed,
}

impl CkModelState {
    /// The stored spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Importing => "importing",
            Self::Available => "available",
            Self::ResolveFailed => "resolve_failed",
        }
    }
}

impl fmt::Display for CkModelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CkModelState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "importing" => Ok(Self::Importing),
            "available" => Ok(Self::Available),
            "resolve_failed" => Ok(Self::ResolveFailed),
            _ => Err("expected importing, available or resolve_failed".to_owned()),
        }
    }
}

/// A tenant's loaded version of one Construction Kit model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCkModel {
    /// The tenant the model is loaded into.
    pub tenant_id: TenantId,
    /// The model name, e.g. `Industry.Energy`; the key within the tenant.
    pub model_name: String,
    /// The loaded version, e.g. `Industry.Energy-1.0.0`.
    pub model_id: CkModelId,
    /// Where the model is in its life cycle.
    pub state: CkModelState,
    /// Why it is in that state, e.g. the unresolved dependency.
    pub state_reason: Option<String>,
    /// Whether the service loads and updates this model itself (system
    /// models) rather than a user.
    pub service_managed: bool,
    /// The parsed model; opaque to the store.
    pub document: Value,
    /// When this row was last written.
    pub updated_at: DateTime<Utc>,
}

/// Columns of `ck_models`, in the order of [`CK_MODEL_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct CkModelRow {
    tenant_id: String,
    model_name: String,
    model_id: String,
    state: String,
    state_reason: Option<String>,
    service_managed: bool,
    document: Json<Value>,
    updated_at: DateTime<Utc>,
}

/// The select list that fills a [`CkModelRow`].
pub(crate) const CK_MODEL_COLUMNS: &str = "tenant_id, model_name, model_id, state, state_reason, \
     service_managed, document, updated_at";

impl TryFrom<CkModelRow> for StoredCkModel {
    type Error = StoreError;

    fn try_from(row: CkModelRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "ck_models",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            model_id: origin.parse("model_id", &row.model_id)?,
            state: origin.parse("state", &row.state)?,
            model_name: row.model_name,
            state_reason: row.state_reason,
            service_managed: row.service_managed,
            document: row.document.0,
            updated_at: row.updated_at,
        })
    }
}
