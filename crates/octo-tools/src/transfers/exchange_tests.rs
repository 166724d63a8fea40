//! Runtime-model import and export, tenant dump and restore through the registry, on SQLite and
//! PostgreSQL (`both_backends!`). Files move as the HTTP transfer would move them: an export's
//! download file is handed to a fresh upload.

use std::sync::Arc;

use octo_ids::TenantId;
use octo_store::{Direction, Store};
use octo_test_support::both_backends;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::test_support::{call, error};
use crate::{Platform, ToolRegistry, test_platform_on};

/// A model written for these tests: stations with pumps below them (System/ParentChild), an
/// enum, a record and the common value types.
const MODEL: &str = "modelId: Test.Plant-1.0.0
dependencies:
  - System-[2.0,3.0)
enums:
  - enumId: PumpStatus
    values:
      - key: 0
        name: Running
      - key: 1
        name: Stopped
records:
  - recordId: NamePlate
    attributes:
      - id: ${this}/Manufacturer
        name: Manufacturer
      - id: ${this}/SerialNumber
        name: SerialNumber
        isOptional: true
attributes:
  - id: Name
    valueType: String
  - id: Manufacturer
    valueType: String
  - id: SerialNumber
    valueType: String
  - id: FlowRate
    valueType: Double
  - id: Status
    valueType: Enum
    valueCkEnumId: ${this}/PumpStatus
  - id: Installed
    valueType: DateTime
  - id: Plate
    valueType: Record
    valueCkRecordId: ${this}/NamePlate
types:
  - typeId: Machine
    isAbstract: true
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Name
        name: Name
  - typeId: Station
    derivedFromCkTypeId: ${this}/Machine
  - typeId: Pump
    derivedFromCkTypeId: ${this}/Machine
    associations:
      - id: ${System}/ParentChild
        targetCkTypeId: ${this}/Station
    attributes:
      - id: ${this}/FlowRate
        name: FlowRate
      - id: ${this}/Status
        name: Status
        isOptional: true
      - id: ${this}/Installed
        name: Installed
        isOptional: true
      - id: ${this}/Plate
        name: Plate
        isOptional: true
";

const STATION: &str = "65f1c0ffee0123456789abc1";
const PUMP: &str = "65f1c0ffee0123456789abc2";

/// A runtime-model file as OctoMesh writes one: attribute ids, a record in its
/// `{ckRecordId, attributes}` form, an enum by name, an association by role.
const RUNTIME_FILE: &str = "$schema: https://schemas.meshmakers.cloud/runtime-model.schema.json
dependencies:
  - Test.Plant-[1.0,2.0)
entities:
  - rtId: 65f1c0ffee0123456789abc1
    ckTypeId: Test.Plant/Station
    rtWellKnownName: north-station
    attributes:
      - id: Test.Plant/Name
        value: North
  - rtId: 65f1c0ffee0123456789abc2
    ckTypeId: Test.Plant/Pump
    rtCreationDateTime: 2026-01-02T03:04:05.123456Z
    attributes:
      - id: Test.Plant/Name
        value: P-1
      - id: Test.Plant/FlowRate
        value: 12.5
      - id: Test.Plant/Status
        value: Stopped
      - id: Test.Plant/Installed
        value: 2025-06-01T08:00:00Z
      - id: Test.Plant/Plate
        value:
          ckRecordId: Test.Plant/NamePlate
          attributes:
            - id: Test.Plant/Manufacturer
              value: ACME
            - id: Test.Plant/SerialNumber
              value: SN-7
    associations:
      - roleId: System/ParentChild
        targetRtId: 65f1c0ffee0123456789abc1
        targetCkTypeId: Test.Plant/Station
";

/// The platform with its exchange worker running (as `spawn_background_tasks` starts it; the
/// CK worker is left out so `tenant_with_model` runs CK jobs itself).
async fn setup(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    tokio::spawn(
        platform
            .exchange
            .clone()
            .run_worker("test-exchange".into(), CancellationToken::new()),
    );
    (platform, registry)
}

/// A tenant with the test model loaded.
async fn tenant_with_model(platform: &Platform, registry: &Arc<ToolRegistry>, id: &str) {
    if id != "octosystem" {
        let created = call(registry, "create_tenant", json!({"childTenantId": id})).await;
        assert_eq!(created["isSuccess"], json!(true), "{created}");
    }
    let tenant: TenantId = id.parse().expect("tenant");
    let model = octo_ck::source::load_document(MODEL, "plant.yaml").expect("model parses");
    platform.ck.enqueue(&tenant, model).await.expect("enqueued");
    while platform.ck.run_next_job("test").await.expect("job") {}
}

/// An upload holding `body`, completed as the HTTP PUT would complete it.
async fn upload(registry: &Arc<ToolRegistry>, platform: &Platform, body: &[u8]) -> String {
    let prepared = call(
        registry,
        "prepare_file_upload",
        json!({"fileName": "upload.bin"}),
    )
    .await;
    let id = prepared["transferId"].as_str().expect("id").to_owned();
    let path = platform.transfers.config().root.join(&id);
    tokio::fs::write(&path, body).await.expect("write");
    assert!(
        platform
            .store()
            .complete_transfer(&id, body.len() as u64, "00", chrono::Utc::now())
            .await
            .expect("complete")
    );
    id
}

/// What a failed job's error says after the reference's `Job '{jobId}' failed: ` prefix.
fn job_failure(out: &Value) -> &str {
    let message = error(out);
    let rest = message
        .strip_prefix("Job '")
        .and_then(|rest| rest.split_once("' failed: "))
        .map(|(id, reason)| {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{message}");
            reason
        });
    rest.unwrap_or_else(|| panic!("not a job failure: {message}"))
}

/// The bytes of a download an export or dump produced.
async fn download(platform: &Platform, out: &Value) -> Vec<u8> {
    let id = out["transferId"].as_str().expect("transferId");
    assert_eq!(
        out["downloadUrlPath"],
        json!(format!("/file-transfer/download/{id}"))
    );
    let (path, record) = platform
        .transfers
        .open_completed(id)
        .await
        .expect("download");
    let bytes = tokio::fs::read(path).await.expect("read");
    assert_eq!(out["sizeBytes"], json!(bytes.len()));
    assert_eq!(record.size_bytes, Some(bytes.len() as u64));
    bytes
}

async fn import(
    registry: &Arc<ToolRegistry>,
    platform: &Platform,
    tenant: &str,
    body: &[u8],
    strategy: &str,
) -> Value {
    let id = upload(registry, platform, body).await;
    call(
        registry,
        "import_runtime_model",
        json!({"transferId": id, "importStrategy": strategy, "tenantId": tenant}),
    )
    .await
}

/// Entities of a tenant without the tenant id, for comparing copies.
async fn contents(store: &Arc<dyn Store>, tenant: &str) -> (Vec<Value>, Vec<Value>) {
    let tenant: TenantId = tenant.parse().expect("tenant");
    let entities = store
        .list_entities(&tenant, &[], 1000, 0)
        .await
        .expect("entities");
    let mut links = Vec::new();
    let mut rows = Vec::new();
    for entity in &entities {
        let mut row = serde_json::to_value(entity).expect("json");
        row["tenantId"] = Value::Null;
        rows.push(row);
        for link in store
            .list_associations(&tenant, &entity.rt_id, Direction::Outbound, None)
            .await
            .expect("links")
        {
            let mut row = serde_json::to_value(&link).expect("json");
            row["tenantId"] = Value::Null;
            row["createdAt"] = Value::Null;
            links.push(row);
        }
    }
    (rows, links)
}

both_backends!(runtime_model_imports_validates_and_round_trips_through_exports);
async fn runtime_model_imports_validates_and_round_trips_through_exports(store: Arc<dyn Store>) {
    let (platform, registry) = setup(Arc::clone(&store)).await;
    tenant_with_model(&platform, &registry, "octosystem").await;

    let first = import(
        &registry,
        &platform,
        "octosystem",
        RUNTIME_FILE.as_bytes(),
        "InsertOnly",
    )
    .await;
    assert_eq!(first["isSuccess"], json!(true), "{first}");
    assert_eq!(first["entitiesInserted"], json!(2), "{first}");
    assert_eq!(first["associationsInserted"], json!(1), "{first}");
    let job_id = first["jobId"].as_str().expect("jobId");
    assert_eq!(
        first["message"],
        json!(format!(
            "Runtime model import (InsertOnly) completed (job '{job_id}'): 2 entities \
             inserted, 0 updated, 1 associations inserted, 0 already present."
        ))
    );
    let pump = call(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": PUMP, "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(pump["isSuccess"], json!(true), "{pump}");
    let attributes = &pump["entity"]["attributes"];
    assert_eq!(
        attributes["Plate"],
        json!({"Manufacturer": "ACME", "SerialNumber": "SN-7"}),
        "{pump}"
    );
    assert_eq!(attributes["Status"], json!("Stopped"));
    assert_eq!(
        attributes["Installed"],
        json!("2025-06-01T08:00:00.000000Z")
    );
    assert_eq!(
        pump["entity"]["rtCreationDateTime"],
        json!("2026-01-02T03:04:05.123456Z")
    );

    // Again with InsertOnly: refused, nothing changed.
    let again = import(
        &registry,
        &platform,
        "octosystem",
        RUNTIME_FILE.as_bytes(),
        "InsertOnly",
    )
    .await;
    assert_eq!(again["isSuccess"], json!(false), "{again}");
    assert!(
        error(&again).contains(&format!(
            "entities[0] (rtId '{STATION}'): tenant 'octosystem' already has this entity; import \
             with importStrategy Upsert to overwrite it."
        )),
        "{again}"
    );
    // With Upsert: both updated, the association already there.
    let upsert = import(
        &registry,
        &platform,
        "octosystem",
        RUNTIME_FILE.as_bytes(),
        "Upsert",
    )
    .await;
    assert_eq!(upsert["isSuccess"], json!(true), "{upsert}");
    assert_eq!(upsert["entitiesUpdated"], json!(2), "{upsert}");
    assert_eq!(upsert["associationsUnchanged"], json!(1), "{upsert}");

    // A file with problems: every one reported by index, rtId and attribute; nothing written.
    let bad = json!({
        "dependencies": ["Test.Plant-[1.0,2.0)"],
        "entities": [
            {"rtId": "65f1c0ffee0123456789abd1", "ckTypeId": "Test.Plant/Station",
             "attributes": [{"id": "Test.Plant/Name", "value": "fine"}]},
            {"rtId": "65f1c0ffee0123456789abd2", "ckTypeId": "Test.Plant/Pump",
             "attributes": [{"id": "Test.Plant/Name", "value": "P-2"},
                            {"id": "Test.Plant/FlowRate", "value": "fast"}]},
            {"rtId": "65f1c0ffee0123456789abd3", "ckTypeId": "Test.Plant/Pump",
             "attributes": [{"id": "Test.Plant/Name", "value": "P-3"},
                            {"id": "Test.Plant/FlowRate", "value": 1},
                            {"id": "Test.Plant/Colour", "value": "red"}]},
            {"rtId": "65f1c0ffee0123456789abd4", "ckTypeId": "Test.Plant/Nope"},
            {"rtId": "65f1c0ffee0123456789abd5", "ckTypeId": "Test.Plant/Pump",
             "attributes": [{"id": "Test.Plant/Name", "value": "P-5"},
                            {"id": "Test.Plant/FlowRate", "value": 2}],
             "associations": [{"roleId": "System/ParentChild",
                               "targetRtId": "65f1c0ffee0123456789abff",
                               "targetCkTypeId": "Test.Plant/Station"}]}
        ]
    });
    let refused = import(
        &registry,
        &platform,
        "octosystem",
        bad.to_string().as_bytes(),
        "InsertOnly",
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false), "{refused}");
    let message = job_failure(&refused);
    assert!(
        message
            .starts_with("The runtime model was not imported (nothing was written): 4 problem(s):"),
        "{message}"
    );
    assert!(message.contains("\nentities[1] (rtId '65f1c0ffee0123456789abd2'): Attribute 'FlowRate' expects a Double value (a number); got \"fast\".\n"), "{message}");
    assert!(
        message.contains(
            "entities[2] (rtId '65f1c0ffee0123456789abd3'): attributes[2] 'Test.Plant/Colour'"
        ),
        "{message}"
    );
    assert!(
        message
            .contains("entities[3] (rtId '65f1c0ffee0123456789abd4'): ckTypeId 'Test.Plant/Nope'"),
        "{message}"
    );
    assert!(message.contains("entities[4] (rtId '65f1c0ffee0123456789abd5') associations[0] ('System/ParentChild' → '65f1c0ffee0123456789abff'): the target is neither in the file nor in tenant 'octosystem'."), "{message}");
    let tenant: TenantId = "octosystem".parse().expect("tenant");
    assert_eq!(store.count_entities(&tenant, &[]).await.expect("count"), 2);

    let unknown = call(
        &registry,
        "import_runtime_model",
        json!({"transferId": "0123456789abcdef0123456789abcdef", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        error(&unknown)
            .starts_with("Upload '0123456789abcdef0123456789abcdef' not found or expired."),
        "{unknown}"
    );

    // Export by query (the abstract base type takes in both) as JSON, import into a fresh
    // tenant: the same entities and association.
    let exported = call(
        &registry,
        "export_runtime_model_by_query",
        json!({"ckTypeId": "Test.Plant/Machine", "fileName": "plant.json", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(exported["isSuccess"], json!(true), "{exported}");
    assert_eq!(exported["entityCount"], json!(2), "{exported}");
    assert_eq!(exported["associationCount"], json!(1), "{exported}");
    assert_eq!(exported["fileName"], json!("plant.json"));
    let file = download(&platform, &exported).await;
    let parsed: Value = serde_json::from_slice(&file).expect("the export is JSON");
    assert_eq!(
        parsed["dependencies"],
        json!(["Test.Plant-[1.0.0,2.0.0)"]),
        "{parsed}"
    );
    tenant_with_model(&platform, &registry, "plantcopy").await;
    let copied = import(&registry, &platform, "plantcopy", &file, "InsertOnly").await;
    assert_eq!(copied["isSuccess"], json!(true), "{copied}");
    let (source_rows, source_links) = contents(&store, "octosystem").await;
    let (copy_rows, copy_links) = contents(&store, "plantcopy").await;
    // Versions differ (the source was upserted once); everything else is equal.
    let strip = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter()
            .map(|mut row| {
                row["rtVersion"] = Value::Null;
                row
            })
            .collect()
    };
    assert_eq!(strip(copy_rows), strip(source_rows));
    assert_eq!(copy_links, source_links);

    // A filter narrows the export; a zip (the default name) holds the document.
    let filtered = call(
        &registry,
        "export_runtime_model_by_query",
        json!({"ckTypeId": "Test.Plant/Machine", "tenantId": "octosystem",
               "filters": {"fields": [{"attributePath": "Name", "operator": "Equals", "value": "North"}]}}),
    )
    .await;
    assert_eq!(filtered["entityCount"], json!(1), "{filtered}");
    assert_eq!(filtered["associationCount"], json!(0), "{filtered}");
    assert_eq!(filtered["fileName"], json!("export.zip"));
    let zip = download(&platform, &filtered).await;
    let model = octo_exchange::runtime_model::read_bytes(&zip).expect("zip reads");
    assert_eq!(model.entities.len(), 1);
    assert_eq!(model.entities[0].rt_id, STATION);

    // Deep graph from the station takes in its pump; YAML this time, into another tenant.
    let graph = call(
        &registry,
        "export_runtime_model_by_deep_graph",
        json!({"originRtIds": [STATION], "originCkTypeId": "Test.Plant/Station",
               "fileName": "north.yaml", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(graph["isSuccess"], json!(true), "{graph}");
    assert_eq!(graph["entityCount"], json!(2), "{graph}");
    assert!(
        graph["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Runtime export by deep graph (1 root(s)) ready (job '"),
        "{graph}"
    );
    let yaml = download(&platform, &graph).await;
    assert!(String::from_utf8_lossy(&yaml).contains("ckRecordId: Test.Plant/NamePlate"));
    tenant_with_model(&platform, &registry, "graphcopy").await;
    let copied = import(&registry, &platform, "graphcopy", &yaml, "InsertOnly").await;
    assert_eq!(copied["isSuccess"], json!(true), "{copied}");
    let (graph_rows, graph_links) = contents(&store, "graphcopy").await;
    let (source_rows, source_links) = contents(&store, "octosystem").await;
    assert_eq!(strip(graph_rows), strip(source_rows));
    assert_eq!(graph_links, source_links);

    // A reference client's stored query id: refused with what to pass instead.
    let by_query_id = call(
        &registry,
        "export_runtime_model_by_query",
        json!({"queryId": "65f1c0ffee0123456789abff", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(by_query_id["isSuccess"], json!(false), "{by_query_id}");
    assert!(
        error(&by_query_id).contains(
            "This server keeps no stored queries, so queryId '65f1c0ffee0123456789abff' cannot \
             be resolved. Pass ckTypeId"
        ),
        "{by_query_id}"
    );

    let wrong_root = call(
        &registry,
        "export_runtime_model_by_deep_graph",
        json!({"originRtIds": [PUMP], "originCkTypeId": "Test.Plant/Station", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(
        job_failure(&wrong_root),
        format!("Entity with ID '{PUMP}' not found in type 'Test.Plant/Station'")
    );
}

both_backends!(dump_restores_into_a_fresh_tenant_and_a_corrupt_dump_changes_nothing);
async fn dump_restores_into_a_fresh_tenant_and_a_corrupt_dump_changes_nothing(
    store: Arc<dyn Store>,
) {
    let (platform, registry) = setup(Arc::clone(&store)).await;
    tenant_with_model(&platform, &registry, "plantsource").await;
    let imported = import(
        &registry,
        &platform,
        "plantsource",
        RUNTIME_FILE.as_bytes(),
        "InsertOnly",
    )
    .await;
    assert_eq!(imported["isSuccess"], json!(true), "{imported}");

    let dumped = call(
        &registry,
        "dump_tenant",
        json!({"targetTenantId": "plantsource"}),
    )
    .await;
    assert_eq!(dumped["isSuccess"], json!(true), "{dumped}");
    assert_eq!(dumped["fileName"], json!("plantsource-dump.tar.gz"));
    let archive = download(&platform, &dumped).await;
    assert_eq!(
        dumped["message"],
        json!(format!(
            "Dump of tenant 'plantsource' ready ({} bytes, 0 stream-data samples, job '{}'). \
             GET '{}' to fetch.",
            crate::transfers::exchange::thousands(archive.len() as u64),
            dumped["jobId"].as_str().unwrap_or_default(),
            dumped["downloadUrlPath"].as_str().unwrap_or_default()
        ))
    );

    let id = upload(&registry, &platform, &archive).await;
    let unconfirmed = call(
        &registry,
        "restore_tenant",
        json!({"transferId": id, "targetTenantId": "plantrestored"}),
    )
    .await;
    assert!(
        error(&unconfirmed)
            .starts_with("Refusing to restore tenant 'plantrestored' without confirm=true."),
        "{unconfirmed}"
    );
    let restored = call(
        &registry,
        "restore_tenant",
        json!({"transferId": id, "targetTenantId": "plantrestored", "confirm": true}),
    )
    .await;
    assert_eq!(restored["isSuccess"], json!(true), "{restored}");
    assert_eq!(restored["entities"], json!(2), "{restored}");
    assert_eq!(restored["associations"], json!(1), "{restored}");
    assert_eq!(restored["sourceTenantId"], json!("plantsource"));
    assert_eq!(
        contents(&store, "plantrestored").await,
        contents(&store, "plantsource").await
    );
    let source: TenantId = "plantsource".parse().expect("tenant");
    let copy: TenantId = "plantrestored".parse().expect("tenant");
    let models = |list: Vec<octo_store::StoredCkModel>| -> Vec<Value> {
        list.into_iter()
            .map(|m| {
                json!([
                    m.model_name,
                    m.model_id.to_string(),
                    m.state.as_str(),
                    m.service_managed,
                    m.document,
                    m.updated_at
                ])
            })
            .collect()
    };
    assert_eq!(
        models(store.list_ck_models(&copy).await.expect("models")),
        models(store.list_ck_models(&source).await.expect("models"))
    );
    // The restored tenant works: its library loads and its entities are found by type.
    let found = call(
        &registry,
        "query_entities",
        json!({"ckTypeId": "Test.Plant/Pump", "tenantId": "plantrestored"}),
    )
    .await;
    assert_eq!(found["totalCount"], json!(1), "{found}");

    // A truncated archive is refused; the restored tenant is unchanged.
    let before = contents(&store, "plantrestored").await;
    let truncated = upload(&registry, &platform, &archive[..archive.len() / 2]).await;
    let refused = call(
        &registry,
        "restore_tenant",
        json!({"transferId": truncated, "targetTenantId": "plantrestored", "confirm": true}),
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false), "{refused}");
    assert!(
        job_failure(&refused).starts_with("The tenant dump was refused (nothing was changed):"),
        "{refused}"
    );
    assert_eq!(contents(&store, "plantrestored").await, before);

    // Not a dump at all.
    let garbage = upload(&registry, &platform, b"hello").await;
    let refused = call(
        &registry,
        "restore_tenant",
        json!({"transferId": garbage, "targetTenantId": "plantrestored", "confirm": true}),
    )
    .await;
    assert!(
        job_failure(&refused).starts_with("The tenant dump was refused (nothing was changed):"),
        "{refused}"
    );
    assert_eq!(contents(&store, "plantrestored").await, before);

    let system = call(
        &registry,
        "restore_tenant",
        json!({"transferId": garbage, "targetTenantId": "octosystem", "confirm": true}),
    )
    .await;
    assert!(error(&system).contains("is the system tenant"), "{system}");
    let missing = call(
        &registry,
        "dump_tenant",
        json!({"targetTenantId": "nosuchtenant"}),
    )
    .await;
    assert_eq!(
        error(&missing),
        "Tenant 'nosuchtenant' not found. Call get_tenants to list the tenants, or \
         create_tenant to create it.",
        "{missing}"
    );
}

/// The job id in a `Job '{jobId}' did not complete within …` message.
fn timed_out_job(out: &Value) -> uuid::Uuid {
    let message = error(out);
    let id = message
        .strip_prefix("Job '")
        .and_then(|rest| rest.split_once('\''))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("not a job message: {message}"));
    uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("no job id in: {message}"))
}

both_backends!(a_dump_job_outlives_the_call_that_stopped_waiting);
async fn a_dump_job_outlives_the_call_that_stopped_waiting(store: Arc<dyn Store>) {
    // No worker yet: the job stays queued while the call waits (0 minutes: not at all).
    let platform = test_platform_on(Arc::clone(&store)).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    tenant_with_model(&platform, &registry, "plantsource").await;
    let dumped = call(
        &registry,
        "dump_tenant",
        json!({"targetTenantId": "plantsource", "waitTimeoutMinutes": 0}),
    )
    .await;
    assert_eq!(dumped["isSuccess"], json!(false), "{dumped}");
    let job_id = timed_out_job(&dumped);
    assert!(
        error(&dumped).starts_with(&format!(
            "Job '{job_id}' did not complete within 0 minutes (last status: Queued). It keeps \
             running in the background: get_ck_library_status for tenant 'plantsource' lists it"
        )),
        "{dumped}"
    );

    // A worker (another process's, or this one's after a restart) runs it to the end.
    let tenant: TenantId = "plantsource".parse().expect("tenant");
    assert!(
        platform
            .exchange
            .run_next_job("later")
            .await
            .expect("job runs")
    );
    let status = call(
        &registry,
        "get_ck_library_status",
        json!({"tenantId": "plantsource"}),
    )
    .await;
    let job = status["recentJobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|job| job["jobId"] == json!(job_id.to_string()))
        .unwrap_or_else(|| panic!("job listed: {status}"))
        .clone();
    assert_eq!(job["kind"], json!("tenant_dump"), "{job}");
    assert_eq!(job["state"], json!("Succeeded"), "{job}");
    let download = &job["result"]["download"];
    let transfer_id = download["transferId"].as_str().expect("download");
    let (path, record) = platform
        .transfers
        .open_completed(transfer_id)
        .await
        .expect("the dump is downloadable");
    assert_eq!(record.tenant_id, tenant);
    let archive = tokio::fs::read(path).await.expect("read");
    assert_eq!(download["sizeBytes"], json!(archive.len()));
    assert_eq!(job["result"]["counts"]["ckModels"], json!(2), "{job}");
}

both_backends!(a_restarted_worker_resumes_an_abandoned_job);
async fn a_restarted_worker_resumes_an_abandoned_job(store: Arc<dyn Store>) {
    let platform = test_platform_on(Arc::clone(&store)).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    tenant_with_model(&platform, &registry, "plantsource").await;
    let tenant: TenantId = "plantsource".parse().expect("tenant");
    let job = octo_exchange::ExchangeJob::DumpTenant {
        file_name: "resumed.tar.gz".into(),
        include_archive_data: false,
    };
    let queued = platform
        .exchange
        .enqueue(&tenant, &job)
        .await
        .expect("enqueued");
    // A worker claims it and dies without a heartbeat or an outcome.
    let claimed = store
        .claim_next_job("crashed-process", octo_exchange::jobs::KINDS)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(claimed.job_id, queued.job_id);

    // The restarted process's worker re-queues it once it is stale, runs it and records it.
    let settings = octo_exchange::JobSettings {
        heartbeat: std::time::Duration::from_millis(50),
        stale_after: std::time::Duration::from_millis(200),
    };
    let restarted = octo_exchange::ExchangeJobs::new(
        platform.entities.clone(),
        platform.transfers.clone(),
        Arc::clone(&platform.ck),
        platform.stream_data.clone(),
        settings,
    );
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(
        restarted
            .clone()
            .run_worker("restarted-process".into(), shutdown.clone()),
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let done = loop {
        let current = restarted
            .wait_step(&tenant, queued.job_id, deadline)
            .await
            .expect("job");
        if current.state.is_finished() || tokio::time::Instant::now() >= deadline {
            break current;
        }
    };
    shutdown.cancel();
    worker.await.expect("worker stops");
    assert_eq!(done.state, octo_store::JobState::Succeeded, "{done:?}");
    assert_eq!(done.attempts, 2);
    assert_eq!(done.claimed_by.as_deref(), Some("restarted-process"));
    assert_eq!(
        done.result.expect("result")["download"]["fileName"],
        json!("resumed.tar.gz")
    );
}

both_backends!(a_failed_job_says_why_in_the_reference_words);
async fn a_failed_job_says_why_in_the_reference_words(store: Arc<dyn Store>) {
    let (platform, registry) = setup(Arc::clone(&store)).await;
    tenant_with_model(&platform, &registry, "octosystem").await;
    let refused = import(
        &registry,
        &platform,
        "octosystem",
        b"{\"entities\": [{\"rtId\": 7}]}",
        "InsertOnly",
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false), "{refused}");
    let reason = job_failure(&refused);
    assert!(
        reason.starts_with("The runtime-model file cannot be read:"),
        "{refused}"
    );
    let status = call(
        &registry,
        "get_ck_library_status",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    let job = &status["recentJobs"][0];
    assert_eq!(job["kind"], json!("rt_import"), "{status}");
    assert_eq!(job["state"], json!("Failed"), "{status}");
    assert_eq!(job["error"], json!(reason), "{status}");
}

both_backends!(a_large_json_import_is_streamed_in_batches_and_bad_input_writes_nothing);
async fn a_large_json_import_is_streamed_in_batches_and_bad_input_writes_nothing(
    store: Arc<dyn Store>,
) {
    let (platform, registry) = setup(Arc::clone(&store)).await;
    tenant_with_model(&platform, &registry, "octosystem").await;
    // More entities than one write batch; dependencies after the entities; each pump's
    // station comes after it in the file (a forward reference).
    let pairs = octo_exchange::import::IMPORT_BATCH + 250;
    let id = |i: usize| format!("65f1c0ffee{i:014x}");
    let mut entities = Vec::new();
    for i in 0..pairs {
        entities.push(json!({
            "rtId": id(2 * i), "ckTypeId": "Test.Plant/Pump",
            "attributes": [{"id": "Test.Plant/Name", "value": format!("P-{i}")},
                           {"id": "Test.Plant/FlowRate", "value": i}],
            "associations": [{"roleId": "System/ParentChild", "targetRtId": id(2 * i + 1),
                              "targetCkTypeId": "Test.Plant/Station"}]
        }));
        entities.push(json!({
            "rtId": id(2 * i + 1), "ckTypeId": "Test.Plant/Station",
            "attributes": [{"id": "Test.Plant/Name", "value": format!("S-{i}")}]
        }));
    }
    let tenant: TenantId = "octosystem".parse().expect("tenant");
    let before = store.count_entities(&tenant, &[]).await.expect("count");

    // One bad entity near the end: nothing at all is written.
    let mut bad = entities.clone();
    bad[2 * pairs - 2]["attributes"][1]["value"] = json!("fast");
    let text = format!(
        "{{\"entities\": {}, \"dependencies\": [\"Test.Plant-[1.0,2.0)\"]}}",
        Value::from(bad)
    );
    let refused = import(
        &registry,
        &platform,
        "octosystem",
        text.as_bytes(),
        "InsertOnly",
    )
    .await;
    assert!(
        job_failure(&refused).starts_with(&format!(
            "The runtime model was not imported (nothing was written): 1 problem(s):\nentities[{}] (rtId '{}'): Attribute 'FlowRate' expects a Double value",
            2 * pairs - 2,
            id(2 * pairs - 2)
        )),
        "{refused}"
    );
    assert_eq!(
        store.count_entities(&tenant, &[]).await.expect("count"),
        before
    );

    let text = format!(
        "{{\"entities\": {}, \"dependencies\": [\"Test.Plant-[1.0,2.0)\"]}}",
        Value::from(entities)
    );
    let imported = import(
        &registry,
        &platform,
        "octosystem",
        text.as_bytes(),
        "InsertOnly",
    )
    .await;
    assert_eq!(imported["isSuccess"], json!(true), "{imported}");
    assert_eq!(imported["entitiesInserted"], json!(2 * pairs), "{imported}");
    assert_eq!(imported["associationsInserted"], json!(pairs), "{imported}");
    assert_eq!(
        store.count_entities(&tenant, &[]).await.expect("count"),
        before + 2 * pairs as u64
    );
    let last = id(2 * pairs - 2).parse().expect("id");
    let links = store
        .list_associations(&tenant, &last, Direction::Outbound, None)
        .await
        .expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].target_rt_id.to_string(), id(2 * pairs - 1));
}

const GRID: &str = "modelId: Test.Grid-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Power
    valueType: Double
  - id: Phase
    valueType: String
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
      - id: ${this}/Phase
        name: Phase
        isOptional: true
";

/// Every sample of an archive, oldest first.
async fn all_samples(
    store: &Arc<dyn Store>,
    platform: &Platform,
    tenant: &TenantId,
    archive: &str,
) -> Vec<octo_store::StreamSample> {
    let resolved = platform
        .stream_data
        .resolve(tenant, archive)
        .await
        .expect("archive");
    store
        .query_samples(
            &resolved.table,
            &octo_store::StreamRowsQuery {
                selection: octo_store::StreamSelection::default(),
                columns: (0..resolved.table.columns.len()).collect(),
                descending: false,
                limit: 100_000,
            },
        )
        .await
        .expect("samples")
}

both_backends!(dumps_carry_stream_data_samples_when_asked);
async fn dumps_carry_stream_data_samples_when_asked(store: Arc<dyn Store>) {
    let (platform, registry) = setup(Arc::clone(&store)).await;
    let created = call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "gridsource"}),
    )
    .await;
    assert_eq!(created["isSuccess"], json!(true), "{created}");
    let source: TenantId = "gridsource".parse().expect("tenant");
    let model = octo_ck::source::load_document(GRID, "grid.yaml").expect("model parses");
    platform.ck.enqueue(&source, model).await.expect("enqueued");
    while platform.ck.run_next_job("test").await.expect("job") {}
    let on = call(
        &registry,
        "enable_stream_data",
        json!({"tenantId": "gridsource"}),
    )
    .await;
    assert_eq!(on["isSuccess"], json!(true), "{on}");
    let archive = call(
        &registry,
        "create_entity",
        json!({
            "tenantId": "gridsource",
            "ckTypeId": "System.StreamData/RawArchive",
            "entityData": [
                {"attributePath": "Name", "value": "grid power"},
                {"attributePath": "TargetCkTypeId", "value": "Test.Grid/Meter"},
                {"attributePath": "Columns", "value": [{"AttributePath": "Power"}, {"AttributePath": "Phase"}]},
                {"attributePath": "State", "value": "Inactive"},
                {"attributePath": "Kind", "value": "TimeSeries"}
            ]
        }),
    )
    .await;
    let archive_id = archive["rtId"].as_str().expect("rtId").to_owned();
    let activated = call(
        &registry,
        "activate_archive",
        json!({"tenantId": "gridsource", "archiveRtId": archive_id}),
    )
    .await;
    assert_eq!(activated["isSuccess"], json!(true), "{activated}");
    // More samples than one dump page, two sources per time (ties), nulls and text.
    let resolved = platform
        .stream_data
        .resolve(&source, &archive_id)
        .await
        .expect("archive");
    let base = 1_780_000_000_000_000_i64;
    let samples: Vec<octo_store::StreamSample> = (0..6_000_i64)
        .map(|i| octo_store::StreamSample {
            time: base + (i / 2) * 1_000_000,
            source: format!("65a00000000000000000000{}", i % 2),
            values: vec![
                octo_store::StreamValue::Double(i as f64 / 4.0),
                if i % 5 == 0 {
                    octo_store::StreamValue::Null
                } else {
                    octo_store::StreamValue::Text(format!("L{}", i % 3))
                },
            ],
        })
        .collect();
    store
        .write_samples(&resolved.table, &samples)
        .await
        .expect("written");

    let dumped = call(
        &registry,
        "dump_tenant",
        json!({"targetTenantId": "gridsource", "includeArchiveData": true}),
    )
    .await;
    assert_eq!(dumped["isSuccess"], json!(true), "{dumped}");
    assert!(
        dumped["message"]
            .as_str()
            .unwrap_or_default()
            .contains("6,000 stream-data samples"),
        "{dumped}"
    );
    let bytes = download(&platform, &dumped).await;
    // The samples part is in the archive and listed with its checksum.
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut manifest = Value::Null;
    for entry in tar.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_string_lossy() == "manifest.json" {
            manifest = serde_json::from_reader(&mut entry).expect("manifest");
        }
    }
    let part = manifest["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["path"] == json!(format!("gridsource/streamdata.{archive_id}.bson")))
        .unwrap_or_else(|| panic!("samples part listed: {manifest}"))
        .clone();
    assert_eq!(part["documents"], json!(6_000));
    assert_eq!(part["sha256"].as_str().map(str::len), Some(64));

    let id = upload(&registry, &platform, &bytes).await;
    let restored = call(
        &registry,
        "restore_tenant",
        json!({"transferId": id, "targetTenantId": "gridcopy", "restoreArchiveData": true,
               "confirm": true}),
    )
    .await;
    assert_eq!(restored["isSuccess"], json!(true), "{restored}");
    assert_eq!(restored["samples"], json!(6_000), "{restored}");
    let copy: TenantId = "gridcopy".parse().expect("tenant");
    let original = all_samples(&store, &platform, &source, &archive_id).await;
    assert_eq!(original.len(), 6_000);
    assert_eq!(
        all_samples(&store, &platform, &copy, &archive_id).await,
        original
    );
    // The copy takes samples and answers queries like the source.
    let queried = call(
        &registry,
        "get_archive_storage_stats",
        json!({"tenantId": "gridcopy", "archiveRtIds": [archive_id]}),
    )
    .await;
    assert_eq!(queried["isSuccess"], json!(true), "{queried}");
    assert!(
        queried.to_string().contains("\"recordCount\":6000"),
        "{queried}"
    );

    // Without restoreArchiveData the samples stay out.
    let id = upload(&registry, &platform, &bytes).await;
    let plain = call(
        &registry,
        "restore_tenant",
        json!({"transferId": id, "targetTenantId": "gridplain", "confirm": true}),
    )
    .await;
    assert_eq!(plain["isSuccess"], json!(true), "{plain}");
    assert_eq!(plain["samples"], json!(0), "{plain}");
}
