//! Runtime entities: [`RtEntity`] and the [`WriteOutcome`] of conditional
//! writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

use octo_ids::{OctoObjectId, TenantId};

use crate::column::Origin;
use crate::error::StoreError;

/// One runtime entity of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtEntity {
    /// The tenant the entity belongs to.
    pub tenant_id: TenantId,
    /// The entity's id, unique within the tenant.
    pub rt_id: OctoObjectId,
    /// The runtime type id, `Model/Type`, e.g. `Industry.Energy/EnergyMeter`.
    pub ck_type_id: String,
    /// An optional stable name, e.g. for system entities.
    pub rt_well_known_name: Option<String>,
    /// Starts at 1 and grows by one with every update (optimistic locking).
    pub rt_version: u64,
    /// When the entity was created.
    pub rt_creation_date_time: DateTime<Utc>,
    /// When the entity was last changed.
    pub rt_changed_date_time: DateTime<Utc>,
    /// 0 = active; other values are OctoMesh's entity states.
    pub rt_state: i32,
    /// The attribute values as a JSON object, keyed by attribute name.
    /// PostgreSQL stores it as JSONB, which does not keep the key order and
    /// writes integral numbers without exponent; SQLite keeps the text as is.
    pub attributes: Value,
}

/// What a conditional write ([`crate::Store::update_entity`],
/// [`crate::Store::delete_entity`]) did.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// Written; carries the entity after an update, or as it was before a delete.
    Done(RtEntity),
    /// Not written because the entity's version differs from the expected
    /// one; carries the entity as it is now.
    Conflict(RtEntity),
    /// There is no such entity.
    NotFound,
}

/// Columns of `entities`, in the order of [`ENTITY_COLUMNS`].
pub(crate) struct EntityRow {
    tenant_id: String,
    rt_id: String,
    ck_type_id: String,
    rt_well_known_name: Option<String>,
    rt_version: i64,
    rt_creation_date_time: DateTime<Utc>,
    rt_changed_date_time: DateTime<Utc>,
    rt_state: i32,
    attributes: Json<Value>,
}

/// The select list that fills an [`EntityRow`].
pub(crate) const ENTITY_COLUMNS: &str = "tenant_id, rt_id, ck_type_id, rt_well_known_name, \
     rt_version, rt_creation_date_time, rt_changed_date_time, rt_state, attributes";

/// Read by position, in the order of [`ENTITY_COLUMNS`]: every statement that fills an
/// `EntityRow` selects (or returns) exactly that list, and looking each column up by name
/// cost more than the rest of decoding a row.
impl<'r, R> sqlx::FromRow<'r, R> for EntityRow
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tenant_id: row.try_get(0)?,
            rt_id: row.try_get(1)?,
            ck_type_id: row.try_get(2)?,
            rt_well_known_name: row.try_get(3)?,
            rt_version: row.try_get(4)?,
            rt_creation_date_time: row.try_get(5)?,
            rt_changed_date_time: row.try_get(6)?,
            rt_state: row.try_get(7)?,
            attributes: row.try_get(8)?,
        })
    }
}

impl TryFrom<EntityRow> for RtEntity {
    type Error = StoreError;

    fn try_from(row: EntityRow) -> Result<Self, StoreError> {
        let origin = Origin {
            table: "entities",
            tenant_id: &row.tenant_id,
        };
        Ok(Self {
            tenant_id: origin.tenant()?,
            rt_id: origin.parse("rt_id", &row.rt_id)?,
            rt_version: origin.unsigned("rt_version", row.rt_version)?,
            ck_type_id: row.ck_type_id,
            rt_well_known_name: row.rt_well_known_name,
            rt_creation_date_time: row.rt_creation_date_time,
            rt_changed_date_time: row.rt_changed_date_time,
            rt_state: row.rt_state,
            attributes: row.attributes.0,
        })
    }
}
