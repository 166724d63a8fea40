//! What the stream-data test binaries share: the meter model, its sources and time base, and
//! a tenant with the model loaded.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use octo_ck_service::CkService;
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{RtEntity, Store, TenantRecord};
use octo_streamdata::StreamData;
use serde_json::Value;

pub const MODEL: &str = "modelId: Test.Meters-1.0.0
dependencies:
  - System-[2.0,3.0)
enums:
  - enumId: Mode
    values:
      - key: 0
        name: Auto
      - key: 1
        name: Manual
records:
  - recordId: Plate
    attributes:
      - id: ${this}/Maker
        name: Maker
attributes:
  - id: Power
    valueType: Double
  - id: Pulses
    valueType: Int64
  - id: Running
    valueType: Boolean
  - id: Mode
    valueType: Enum
    valueCkEnumId: ${this}/Mode
  - id: Maker
    valueType: String
  - id: Seen
    valueType: DateTime
  - id: Tags
    valueType: StringArray
  - id: NamePlate
    valueType: Record
    valueCkRecordId: ${this}/Plate
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
      - id: ${this}/Pulses
        name: Pulses
        isOptional: true
      - id: ${this}/Running
        name: Running
        isOptional: true
      - id: ${this}/Mode
        name: Mode
        isOptional: true
      - id: ${this}/Seen
        name: Seen
        isOptional: true
      - id: ${this}/Tags
        name: Tags
        isOptional: true
      - id: ${this}/NamePlate
        name: NamePlate
        isOptional: true
";

pub const SOURCES: [&str; 3] = [
    "65a000000000000000000001",
    "65a000000000000000000002",
    "65a000000000000000000003",
];

pub fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid")
}

pub struct Fixture {
    pub service: StreamData,
    pub store: Arc<dyn Store>,
    pub tenant: TenantId,
}

/// The tenant `tenant` with the meter model loaded; stream data is not enabled yet.
pub async fn fixture(store: Arc<dyn Store>, tenant: &str) -> Fixture {
    let tenant: TenantId = tenant.parse().expect("tenant");
    store
        .create_tenant(&TenantRecord {
            tenant_id: tenant.clone(),
            parent_tenant_id: None,
            database_name: tenant.to_string(),
            created_at: Utc::now(),
        })
        .await
        .expect("tenant");
    let ck = Arc::new(CkService::new(Arc::clone(&store), Vec::new()));
    ck.prepare_tenant(&tenant).await.expect("system model");
    let model = octo_ck::source::load_document(MODEL, "meters.yaml").expect("model");
    ck.enqueue(&tenant, model).await.expect("enqueued");
    while ck.run_next_job("t").await.expect("job") {}
    Fixture {
        service: StreamData::new(ck),
        store,
        tenant,
    }
}

/// A new entity of `ck_type_id` with `attributes`, version 1.
pub fn entity(tenant: &TenantId, ck_type_id: &str, attributes: Value) -> RtEntity {
    RtEntity {
        tenant_id: tenant.clone(),
        rt_id: OctoObjectId::new(),
        ck_type_id: ck_type_id.to_owned(),
        rt_well_known_name: None,
        rt_version: 1,
        rt_creation_date_time: Utc::now(),
        rt_changed_date_time: Utc::now(),
        rt_state: 0,
        attributes,
    }
}
