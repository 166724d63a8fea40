//! Associations between runtime entities: [`Association`] and the
//! [`Direction`] to look them up in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use octo_ids::{OctoObjectId, TenantId};

use crate::column::Origin;
use crate::error::StoreError;

/// A directed link of one role from an origin entity to a target entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// The tenant both entities belong to.
    pub tenant_id: TenantId,
    /// The runtime role id, e.g. `System/ParentChild`.
    pub role_id: String,
    /// The entity the association starts at.
    pub origin_rt_id: OctoObjectId,
    /// The origin's runtime type id, `Model/Type`.
    pub origin_ck_type_id: String,
    /// The entity the association points to.
    pub target_rt_id: OctoObjectId,
    /// The target's runtime type id, `Model/Type`.
    pub target_ck_type_id: String,
    /// When the association was created.
    pub created_at: DateTime<Utc>,
}

/// Which end of an association an entity is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// The entity is the origin.
    Outbound,
    /// The entity is the target.
    Inbound,
}

/// Which ends of a new association may take part in at most one association of its role (a
/// CK multiplicity of one on that side).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExclusiveEnds {
    /// The origin may have at most one association of the role (outbound multiplicity one).
    pub origin: bool,
    /// The target may be reached by at most one association of the role (inbound one).
    pub target: bool,
}

/// What [`Store::insert_exclusive_association`](crate::Store::insert_exclusive_association) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExclusiveInsert {
    Inserted,
    /// Nothing was written: the origin already has its one association of the role.
    OriginTaken,
    /// Nothing was written: the target already has its one association of the role.
    TargetTaken,
}

/// Columns of `associations`, in the order of [`ASSOCIATION_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct AssociationRow {
    tenant_id: String,
    role_id: String,
    origin_rt_id: String,
    origin_ck_type_id: String,
    target_rt_id: String,
    target_ck_type_id: String,
    created_at: DateTime<Utc>,
}

/// The select list that fills an [`AssociationRow`].
pub(crate) const ASSOCIATION_COLUMNS: &str = "tenant_id, role_id, origin_rt_id, \
     origin_ck_type_id, target_rt_id, target_ck_type_id, created_at";

impl TryFrom<AssociationRow> for Association {
    type Error = StoreError;

    fn try_from(row: AssociationRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "associations",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            origin_rt_id: origin.parse("origin_rt_id", &row.origin_rt_id)?,
            target_rt_id: origin.parse("target_rt_id", &row.target_rt_id)?,
            role_id: row.role_id,
            origin_ck_type_id: row.origin_ck_type_id,
            target_ck_type_id: row.target_ck_type_id,
            created_at: row.created_at,
        })
    }
}
