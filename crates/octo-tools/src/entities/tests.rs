//! Entity tools through the registry with a test model. Every case runs twice, on a fresh
//! SQLite and on a fresh PostgreSQL store (`both_backends!`).

use std::sync::Arc;

use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::{Value, json};

use crate::tool::CallInfo;
use crate::{Platform, ToolRegistry, test_platform_on};

/// A model written for these tests: an abstract machine, a pump with every common value type,
/// and a record.
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
  - id: Speed
    valueType: Int
  - id: Status
    valueType: Enum
    valueCkEnumId: ${this}/PumpStatus
  - id: Installed
    valueType: DateTime
  - id: Tags
    valueType: StringArray
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
      - id: ${this}/Speed
        name: Speed
        isOptional: true
      - id: ${this}/Status
        name: Status
        isOptional: true
      - id: ${this}/Installed
        name: Installed
        isOptional: true
      - id: ${this}/Tags
        name: Tags
        isOptional: true
      - id: ${this}/Plate
        name: Plate
        isOptional: true
";

async fn setup(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let tenant = "octosystem".parse().expect("tenant");
    let model = octo_ck::source::load_document(MODEL, "plant.yaml").expect("model parses");
    platform.ck.enqueue(&tenant, model).await.expect("enqueued");
    while platform.ck.run_next_job("test").await.expect("job") {}
    let status = platform.ck.status(&tenant).await.expect("status");
    assert!(
        status
            .iter()
            .all(|m| m.model_state == octo_store::CkModelState::Available),
        "{status:?}"
    );
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    (platform, registry)
}

async fn call(registry: &Arc<ToolRegistry>, name: &str, mut arguments: Value) -> Value {
    arguments["tenantId"] = json!("octosystem");
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    registry
        .call(name, Some(arguments), CallInfo::default())
        .await
        .expect("tool exists")
        .to_json()
}

fn error(out: &Value) -> &str {
    out["errorMessage"].as_str().unwrap_or_default()
}

async fn pump(registry: &Arc<ToolRegistry>, name: &str, flow: f64, extra: Value) -> String {
    let mut data = vec![
        json!({"attributePath": "Name", "value": name}),
        json!({"attributePath": "FlowRate", "value": flow}),
    ];
    if let Value::Array(more) = extra {
        data.extend(more);
    }
    let out = call(
        registry,
        "create_entity",
        json!({"ckTypeId": "Test.Plant/Pump", "entityData": data}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    out["rtId"].as_str().unwrap_or_default().to_owned()
}

both_backends!(create_and_read_back_with_converted_values);
async fn create_and_read_back_with_converted_values(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let id = pump(
        &registry,
        "P-1",
        12.5,
        json!([
            {"attributePath": "Speed", "value": "1450"},
            {"attributePath": "Status", "value": "stopped"},
            {"attributePath": "Installed", "value": "2026-01-02T03:04:05+01:00"},
            {"attributePath": "Plate.Manufacturer", "value": "ACME"},
            {"attributePath": "Tags", "value": ["a", "b"]}
        ]),
    )
    .await;
    let out = call(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "Test.Plant/Machine", "rtId": id}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    let attributes = &out["entity"]["attributes"];
    assert_eq!(attributes["Speed"], json!(1450));
    assert_eq!(attributes["Status"], json!("Stopped"));
    assert_eq!(
        attributes["Installed"],
        json!("2026-01-02T02:04:05.000000Z")
    );
    assert_eq!(attributes["Plate"], json!({"Manufacturer": "ACME"}));
    assert_eq!(out["entity"]["rtVersion"], json!(1));
}

both_backends!(bad_input_is_refused_naming_the_attribute);
async fn bad_input_is_refused_naming_the_attribute(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let cases = [
        (
            json!([{"attributePath": "Name", "value": "x"}]),
            "requires 'FlowRate'",
        ),
        (
            json!([{"attributePath": "Name", "value": "x"}, {"attributePath": "FlowRate", "value": "fast"}]),
            "Attribute 'FlowRate' expects a Double value",
        ),
        (
            json!([{"attributePath": "Name", "value": "x"}, {"attributePath": "FlowRate", "value": 1}, {"attributePath": "Colour", "value": 1}]),
            "Attribute path 'Colour' does not exist on type 'Test.Plant/Pump'. Valid paths:",
        ),
        (
            json!([{"attributePath": "Name", "value": "x"}, {"attributePath": "FlowRate", "value": 1}, {"attributePath": "Status", "value": "Exploded"}]),
            "one of Running (0), Stopped (1)",
        ),
    ];
    for (data, expected) in cases {
        let out = call(
            &registry,
            "create_entity",
            json!({"ckTypeId": "Test.Plant/Pump", "entityData": data}),
        )
        .await;
        assert_eq!(out["isSuccess"], json!(false));
        assert!(error(&out).contains(expected), "{expected}: {out}");
    }
    let abstract_type = call(
        &registry,
        "create_entity",
        json!({"ckTypeId": "Test.Plant/Machine", "entityData": []}),
    )
    .await;
    assert!(
        error(&abstract_type).contains("is abstract"),
        "{abstract_type}"
    );
    let bad_type = call(
        &registry,
        "create_entity",
        json!({"ckTypeId": "Test.Plant/Pump-1.0.0", "entityData": []}),
    )
    .await;
    assert!(
        error(&bad_type).starts_with("Invalid CkTypeId"),
        "{bad_type}"
    );
    let bad_id = call(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": "xyz"}),
    )
    .await;
    assert!(
        error(&bad_id).starts_with("Invalid OctoObjectId"),
        "{bad_id}"
    );
    let missing = call(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": "507f1f77bcf86cd799439011"}),
    )
    .await;
    assert_eq!(
        error(&missing),
        "Entity with ID '507f1f77bcf86cd799439011' not found in type 'Test.Plant/Pump'"
    );
}

both_backends!(stale_expected_version_is_a_conflict_that_changes_nothing);
async fn stale_expected_version_is_a_conflict_that_changes_nothing(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let id = pump(&registry, "P-1", 1.0, json!([])).await;
    let first = call(
        &registry,
        "update_entity",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": id, "expectedVersion": 1,
               "entityData": [{"attributePath": "FlowRate", "value": 2.0}]}),
    )
    .await;
    assert_eq!(first["currentRtVersion"], json!(2), "{first}");
    let stale = call(
        &registry,
        "update_entity",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": id, "expected_version": 1,
               "entityData": [{"attributePath": "FlowRate", "value": 3.0}]}),
    )
    .await;
    assert_eq!(stale["isSuccess"], json!(false));
    assert_eq!(stale["isConflict"], json!(true));
    assert_eq!(stale["currentRtVersion"], json!(2));
    assert_eq!(stale["entity"]["attributes"]["FlowRate"], json!(2.0));
    assert!(error(&stale).contains("expectedVersion: 2"), "{stale}");
}

both_backends!(concurrent_updates_with_one_expected_version_have_one_winner);
async fn concurrent_updates_with_one_expected_version_have_one_winner(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let id = pump(&registry, "P-1", 1.0, json!([])).await;
    let mut tasks = Vec::new();
    for n in 0..64 {
        let registry = Arc::clone(&registry);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            call(
                &registry,
                "update_entity",
                json!({"ckTypeId": "Test.Plant/Pump", "rtId": id, "expectedVersion": 1,
                       "entityData": [{"attributePath": "Speed", "value": n}]}),
            )
            .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        let out = task.await.expect("task");
        if out["isSuccess"] == json!(true) {
            winners += 1;
        } else {
            assert_eq!(out["isConflict"], json!(true), "{out}");
            assert_eq!(out["currentRtVersion"], json!(2), "{out}");
        }
    }
    assert_eq!(winners, 1);
}

both_backends!(delete_needs_consent_and_removes_the_entity);
async fn delete_needs_consent_and_removes_the_entity(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let id = pump(&registry, "P-1", 1.0, json!([])).await;
    let refused = call(
        &registry,
        "delete_entity",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": id}),
    )
    .await;
    assert!(
        error(&refused).starts_with(&format!("Refusing to delete '{id}' without confirm=true.")),
        "{refused}"
    );
    let deleted = call(
        &registry,
        "delete_entity",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": id, "confirm": true}),
    )
    .await;
    assert_eq!(deleted["isSuccess"], json!(true), "{deleted}");
    let gone = call(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "Test.Plant/Pump", "rtId": id}),
    )
    .await;
    assert_eq!(gone["isSuccess"], json!(false));
}

both_backends!(queries_filter_sort_page_and_include_derived_types);
async fn queries_filter_sort_page_and_include_derived_types(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    for (name, flow) in [("P-1", 5.0), ("P-2", 15.0), ("Q-3", 25.0)] {
        pump(&registry, name, flow, json!([])).await;
    }
    let out = call(
        &registry,
        "query_entities",
        json!({
            "ckTypeId": "Test.Plant/Pump",
            "filters": {"fields": [{"attributePath": "FlowRate", "operator": "GreaterThan", "value": 10}]},
            "sort": [{"attributePath": "FlowRate", "direction": "desc"}],
            "attributePaths": ["Name"],
            "limit": 1
        }),
    )
    .await;
    assert_eq!(out["totalCount"], json!(2), "{out}");
    assert_eq!(out["returnedCount"], json!(1));
    assert_eq!(out["entities"][0]["attributes"], json!({"Name": "Q-3"}));
    // A base type's query includes its derived types.
    let base = call(
        &registry,
        "query_entities",
        json!({"ckTypeId": "Test.Plant/Machine", "filters": {"fields": [{"attributePath": "Name", "operator": "Like", "value": "p-%"}]}}),
    )
    .await;
    assert_eq!(base["totalCount"], json!(2), "{base}");
    let or = call(
        &registry,
        "query_entities",
        json!({
            "ckTypeId": "Test.Plant/Pump",
            "filters": {"operator": "Or", "fields": [
                {"attributePath": "Name", "operator": "StartsWith", "value": "Q"},
                {"attributePath": "FlowRate", "operator": "LessThan", "value": 10}
            ]}
        }),
    )
    .await;
    assert_eq!(or["totalCount"], json!(2), "{or}");
    let simple = call(
        &registry,
        "query_entities_simple",
        json!({"ckTypeId": "Test.Plant/Pump", "simpleFilters": [{"attributePath": "Name", "value": "P-2"}]}),
    )
    .await;
    assert_eq!(simple["totalCount"], json!(1), "{simple}");
    let unknown = call(
        &registry,
        "query_entities",
        json!({"ckTypeId": "Test.Plant/Pump", "filters": {"fields": [{"attributePath": "Nope", "operator": "Equals", "value": 1}]}}),
    )
    .await;
    assert!(error(&unknown).contains("Valid paths: "), "{unknown}");
}

both_backends!(aggregation_messages_and_results);
async fn aggregation_messages_and_results(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    for (name, flow, speed) in [("P-1", 5.0, 100), ("P-2", 15.0, 200), ("P-3", 25.0, 200)] {
        pump(
            &registry,
            name,
            flow,
            json!([{"attributePath": "Speed", "value": speed}]),
        )
        .await;
    }
    let none = call(
        &registry,
        "query_entities_aggregation",
        json!({"ckTypeId": "Test.Plant/Pump", "aggregations": []}),
    )
    .await;
    assert!(
        error(&none).starts_with("Aggregation requires at least one column"),
        "{none}"
    );
    let duplicate = call(
        &registry,
        "query_entities_aggregation",
        json!({"ckTypeId": "Test.Plant/Pump", "aggregations": [
            {"function": "avg", "attributePath": "FlowRate"},
            {"function": "sum", "attributePath": "Speed", "alias": "avg_FlowRate"}
        ]}),
    )
    .await;
    assert!(
        error(&duplicate).starts_with("Aggregation alias 'avg_FlowRate' is not unique"),
        "{duplicate}"
    );
    let no_path = call(
        &registry,
        "query_entities_aggregation",
        json!({"ckTypeId": "Test.Plant/Pump", "aggregations": [{"function": "sum"}]}),
    )
    .await;
    assert!(
        error(&no_path).contains("needs an attributePath"),
        "{no_path}"
    );
    for group_by in [
        json!([]),
        json!([""]),
        json!([null]),
        json!(["Speed", "speed"]),
    ] {
        let out = call(
            &registry,
            "query_entities_grouping",
            json!({"ckTypeId": "Test.Plant/Pump", "groupByAttributePaths": group_by, "aggregations": [{"function": "count"}]}),
        )
        .await;
        assert!(
            error(&out).starts_with("groupBy paths must be non-empty / contain no duplicates"),
            "{group_by}: {out}"
        );
    }
    let scalar = call(
        &registry,
        "query_entities_aggregation",
        json!({"ckTypeId": "Test.Plant/Pump", "aggregations": [
            {"function": "count"}, {"function": "avg", "attributePath": "FlowRate"}, {"function": "max", "attributePath": "Speed"}
        ]}),
    )
    .await;
    assert_eq!(scalar["rowCount"], json!(1), "{scalar}");
    assert_eq!(scalar["rows"][0]["count"], json!(3));
    assert_eq!(scalar["rows"][0]["avg_FlowRate"].as_f64(), Some(15.0));
    assert_eq!(scalar["rows"][0]["max_Speed"], json!(200));
    let grouped = call(
        &registry,
        "query_entities_grouping",
        json!({"ckTypeId": "Test.Plant/Pump", "groupByAttributePaths": ["Speed"], "aggregations": [
            {"function": "count"}, {"function": "sum", "attributePath": "FlowRate"}
        ]}),
    )
    .await;
    assert_eq!(grouped["rowCount"], json!(2), "{grouped}");
    assert_eq!(grouped["rows"][1]["Speed"], json!(200));
    assert_eq!(grouped["rows"][1]["count"], json!(2));
    assert_eq!(grouped["rows"][1]["sum_FlowRate"].as_f64(), Some(40.0));
}

async fn station(registry: &Arc<ToolRegistry>, name: &str) -> String {
    let out = call(
        registry,
        "create_entity",
        json!({"ckTypeId": "Test.Plant/Station", "entityData": [{"attributePath": "Name", "value": name}]}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    out["rtId"].as_str().unwrap_or_default().to_owned()
}

async fn associate(
    registry: &Arc<ToolRegistry>,
    role: &str,
    origin: (&str, &str),
    target: (&str, &str),
) -> Value {
    call(
        registry,
        "create_association",
        json!({"ckRoleId": role, "originCkTypeId": origin.0, "originRtId": origin.1,
               "targetCkTypeId": target.0, "targetRtId": target.1}),
    )
    .await
}

both_backends!(associations_enforce_roles_and_multiplicities_and_navigate);
async fn associations_enforce_roles_and_multiplicities_and_navigate(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let s1 = station(&registry, "S-1").await;
    let s2 = station(&registry, "S-2").await;
    let p1 = pump(&registry, "P-1", 1.0, json!([])).await;
    let p2 = pump(&registry, "P-2", 2.0, json!([])).await;
    let pump_t = "Test.Plant/Pump";
    let station_t = "Test.Plant/Station";
    for p in [&p1, &p2] {
        let out = associate(
            &registry,
            "System/ParentChild",
            (pump_t, p),
            (station_t, &s1),
        )
        .await;
        assert_eq!(out["isSuccess"], json!(true), "{out}");
    }
    let second_parent = associate(
        &registry,
        "System/ParentChild",
        (pump_t, &p1),
        (station_t, &s2),
    )
    .await;
    assert!(
        error(&second_parent).contains("already has its one 'System/ParentChild'"),
        "{second_parent}"
    );
    let wrong_way = associate(
        &registry,
        "System/ParentChild",
        (station_t, &s1),
        (pump_t, &p1),
    )
    .await;
    assert!(
        error(&wrong_way).contains("does not lead from"),
        "{wrong_way}"
    );
    let related = associate(&registry, "System/Related", (pump_t, &p1), (pump_t, &p2)).await;
    assert_eq!(related["isSuccess"], json!(true), "{related}");

    let children = call(
        &registry,
        "navigate_associations",
        json!({"ckTypeId": station_t, "rtId": s1, "ckRoleId": "System/ParentChild", "direction": "Inbound", "targetTypeId": pump_t}),
    )
    .await;
    assert_eq!(children["totalCount"], json!(2), "{children}");
    let filtered = call(
        &registry,
        "navigate_associations",
        json!({"ckTypeId": station_t, "rtId": s1, "ckRoleId": "System/ParentChild", "direction": "Inbound",
               "targetTypeId": pump_t, "filters": [{"attributePath": "Name", "value": "P-2"}], "attributePaths": ["Name"]}),
    )
    .await;
    assert_eq!(filtered["totalCount"], json!(1), "{filtered}");
    assert_eq!(
        filtered["entities"][0]["attributes"],
        json!({"Name": "P-2"})
    );
    let parent = call(
        &registry,
        "navigate_associations",
        json!({"ckTypeId": pump_t, "rtId": p1, "ckRoleId": "System/ParentChild", "direction": "Outbound"}),
    )
    .await;
    assert_eq!(parent["entities"][0]["rtId"], json!(s1), "{parent}");
    let missing = call(
        &registry,
        "navigate_associations",
        json!({"ckTypeId": pump_t, "rtId": "507f1f77bcf86cd799439011", "ckRoleId": "System/ParentChild", "direction": "Outbound"}),
    )
    .await;
    assert!(
        error(&missing).starts_with("Source entity with ID '507f1f77bcf86cd799439011' not found"),
        "{missing}"
    );

    let tree = call(
        &registry,
        "get_association_tree",
        json!({"rootCkTypeId": station_t, "ckRoleId": "System/ParentChild", "direction": "Inbound", "maxDepth": 1,
               "rootFilters": [{"attributePath": "Name", "value": "S-1"}]}),
    )
    .await;
    assert_eq!(tree["nodes"].as_array().map(Vec::len), Some(1), "{tree}");
    let kids = tree["nodes"][0]["children"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(kids.len(), 2, "{tree}");
    assert!(kids[0]["children"].is_null(), "depth limit reached: {tree}");

    let refused = call(
        &registry,
        "delete_association",
        json!({"ckRoleId": "System/ParentChild", "originRtId": p1, "targetRtId": s1}),
    )
    .await;
    assert!(
        error(&refused)
            .starts_with("Refusing to delete 'System/ParentChild' without confirm=true."),
        "{refused}"
    );
    let removed = call(
        &registry,
        "delete_association",
        json!({"ckRoleId": "System/ParentChild", "originRtId": p1, "targetRtId": s1, "confirm": true}),
    )
    .await;
    assert_eq!(removed["deleted"], json!(true), "{removed}");
    // Deleting an entity removes its associations.
    call(
        &registry,
        "delete_entity",
        json!({"ckTypeId": pump_t, "rtId": p2, "confirm": true}),
    )
    .await;
    let none = call(
        &registry,
        "navigate_associations",
        json!({"ckTypeId": station_t, "rtId": s1, "ckRoleId": "System/ParentChild", "direction": "Inbound"}),
    )
    .await;
    assert_eq!(none["totalCount"], json!(0), "{none}");
}

/// The hand-built JSON of a query result must stay the serde form of `EntityView`.
#[test]
fn owned_entity_json_is_the_serde_form() {
    use octo_entities::EntityView;
    let mut attributes = serde_json::Map::new();
    attributes.insert("Name".into(), json!("M-1"));
    attributes.insert("NamePlate".into(), json!({"ManufacturerName": "ACME"}));
    for rt_well_known_name in [None, Some("main-meter".to_owned())] {
        let view = EntityView {
            rt_id: "65f1a2b3c4d5e6f708192a3b".into(),
            ck_type_id: "Octo.Industry.Energy/EnergyMeter".into(),
            rt_well_known_name,
            rt_version: 7,
            rt_creation_date_time: "2026-12-06T08:00:00.000Z".into(),
            rt_changed_date_time: "2026-12-06T09:00:00.000Z".into(),
            attributes: attributes.clone(),
        };
        assert_eq!(
            super::owned_entity_json(view.clone()),
            super::entity_json(&view)
        );
    }
}
