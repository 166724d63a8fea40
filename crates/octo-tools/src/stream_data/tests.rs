//! Stream-data tools through the registry, on a fresh SQLite and a fresh PostgreSQL store
//! (`both_backends!`): the whole path an assistant takes (enable, create the archive entity,
//! activate, write, query, stats, life cycle), the cascade's messages and the refusals.

use std::sync::Arc;

use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::{Value, json};

use crate::tool::CallInfo;
use crate::{Platform, ToolRegistry, test_platform_on};

const MODEL: &str = "modelId: Test.Grid-1.0.0
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

const METERS: [&str; 2] = ["65a000000000000000000001", "65a000000000000000000002"];

async fn setup(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let tenant = "octosystem".parse().expect("tenant");
    let model = octo_ck::source::load_document(MODEL, "grid.yaml").expect("model parses");
    platform.ck.enqueue(&tenant, model).await.expect("enqueued");
    while platform.ck.run_next_job("test").await.expect("job") {}
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    (platform, registry)
}

async fn call(registry: &Arc<ToolRegistry>, name: &str, mut arguments: Value) -> Value {
    if arguments.get("tenantId").is_none() {
        arguments["tenantId"] = json!("octosystem");
    }
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    registry
        .call(name, Some(arguments), CallInfo::default())
        .await
        .expect("tool exists")
        .to_json()
}

async fn ok(registry: &Arc<ToolRegistry>, name: &str, arguments: Value) -> Value {
    let out = call(registry, name, arguments).await;
    assert_eq!(out["isSuccess"], json!(true), "{name}: {out}");
    out
}

fn error(out: &Value) -> &str {
    out["errorMessage"].as_str().unwrap_or_default()
}

/// Creates the archive entity with the entity tools, as an assistant would.
async fn create_archive(registry: &Arc<ToolRegistry>, name: &str) -> String {
    let out = ok(
        registry,
        "create_entity",
        json!({
            "ckTypeId": "System.StreamData/RawArchive",
            "entityData": [
                {"attributePath": "Name", "value": name},
                {"attributePath": "TargetCkTypeId", "value": "Test.Grid/Meter"},
                {"attributePath": "Columns", "value": [{"AttributePath": "Power"}, {"AttributePath": "Phase"}]},
                {"attributePath": "State", "value": "Inactive"},
                {"attributePath": "Kind", "value": "TimeSeries"}
            ]
        }),
    )
    .await;
    out["rtId"].as_str().expect("rtId").to_owned()
}

both_backends!(an_assistant_records_and_queries_samples);
async fn an_assistant_records_and_queries_samples(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let on = ok(&registry, "enable_stream_data", json!({})).await;
    assert_eq!(
        on["message"],
        json!("Stream Data enabled for tenant 'octosystem'.")
    );
    let again = ok(&registry, "enable_stream_data", json!({})).await;
    assert_eq!(again["changed"], json!(false));
    let paths = ok(
        &registry,
        "get_available_archive_paths",
        json!({"ckTypeId": "Test.Grid/Meter"}),
    )
    .await;
    let names: Vec<&str> = paths["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(
        names.contains(&"Power") && names.contains(&"Phase"),
        "{paths}"
    );
    let id = create_archive(&registry, "grid power").await;
    let activated = ok(&registry, "activate_archive", json!({"archiveRtId": id})).await;
    assert_eq!(activated["status"], json!("Activated"));
    assert_eq!(
        activated["message"],
        json!(format!("Archive '{id}' activated."))
    );
    let rows: Vec<Value> = (0..60)
        .map(|minute| {
            json!({
                "timestamp": format!("2026-11-25T10:{minute:02}:00Z"),
                "rtId": METERS[minute % 2],
                "values": {"Power": minute as f64, "Phase": if minute % 3 == 0 { "L1" } else { "L2" }}
            })
        })
        .collect();
    let bad = {
        let mut bad = rows.clone();
        bad[7] = json!({"timestamp": "yesterday", "rtId": METERS[0]});
        bad
    };
    let refused = call(
        &registry,
        "write_stream_data",
        json!({"archiveRtId": id, "rows": bad}),
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false));
    assert!(
        error(&refused).starts_with("Row 7: timestamp 'yesterday'"),
        "{refused}"
    );
    let written = ok(
        &registry,
        "write_stream_data",
        json!({"archiveRtId": id, "rows": rows}),
    )
    .await;
    assert_eq!(written["written"], json!(60));
    let simple = ok(
        &registry,
        "query_stream_data_simple",
        json!({
            "archiveRtId": id, "columnPaths": ["Power"],
            "from": "2026-11-25T10:10:00Z", "to": "2026-11-25T10:20:00Z",
            "limit": 3, "sort": [{"attributePath": "timestamp", "direction": "desc"}],
            "sourceRtIds": [METERS[1]]
        }),
    )
    .await;
    assert_eq!(simple["totalCount"], json!(5));
    assert_eq!(
        simple["rows"][0],
        json!({"rtId": METERS[1], "ckTypeId": "Test.Grid/Meter",
               "timestamp": "2026-11-25T10:19:00.000000Z", "values": {"Power": 19.0}})
    );
    assert_eq!(simple["rows"].as_array().map(Vec::len), Some(3));
    let aggregated = ok(
        &registry,
        "query_stream_data_aggregation",
        json!({
            "archiveRtId": id,
            "aggregations": [{"function": "count"}, {"function": "avg", "attributePath": "Power"}, {"function": "max", "attributePath": "Phase", "alias": "lastPhase"}],
            "filters": {"fields": [{"attributePath": "Phase", "operator": "Equals", "value": "L1"}]}
        }),
    )
    .await;
    assert_eq!(
        aggregated["rows"],
        json!([{"count": 20, "avg_Power": 28.5, "lastPhase": "L1"}])
    );
    let grouped = ok(
        &registry,
        "query_stream_data_grouping",
        json!({
            "archiveRtId": id, "groupByAttributePaths": ["Phase", "rtId"],
            "aggregations": [{"function": "count"}]
        }),
    )
    .await;
    assert_eq!(
        grouped["rows"],
        json!([
            {"Phase": "L1", "rtId": METERS[0], "count": 10},
            {"Phase": "L1", "rtId": METERS[1], "count": 10},
            {"Phase": "L2", "rtId": METERS[0], "count": 20},
            {"Phase": "L2", "rtId": METERS[1], "count": 20}
        ])
    );
    let downsampled = ok(
        &registry,
        "query_stream_data_downsampling",
        json!({
            "archiveRtId": id, "aggregations": [{"function": "sum", "attributePath": "Power"}],
            "from": "2026-11-25T10:00:00Z", "to": "2026-11-25T11:00:00Z", "limit": 4
        }),
    )
    .await;
    let sums: Vec<f64> = (0..4)
        .map(|q| (q * 15..q * 15 + 15).map(f64::from).sum())
        .collect();
    assert_eq!(
        downsampled["rows"],
        json!([
            {"bucketStart": "2026-11-25T10:00:00.000000Z", "sum_Power": sums[0]},
            {"bucketStart": "2026-11-25T10:15:00.000000Z", "sum_Power": sums[1]},
            {"bucketStart": "2026-11-25T10:30:00.000000Z", "sum_Power": sums[2]},
            {"bucketStart": "2026-11-25T10:45:00.000000Z", "sum_Power": sums[3]}
        ])
    );
    let stats = ok(
        &registry,
        "get_archive_storage_stats",
        json!({"archiveRtIds": [id]}),
    )
    .await;
    assert_eq!(stats["stats"][0]["recordCount"], json!(60));
    assert_eq!(stats["stats"][0]["health"], json!("Healthy"));
    assert_eq!(stats["stats"][0]["tableExists"], json!(true));
    let nothing = ok(
        &registry,
        "get_archive_storage_stats",
        json!({"archiveRtIds": []}),
    )
    .await;
    assert_eq!(
        nothing["message"],
        json!("archiveRtIds was empty; no stats to fetch.")
    );
    // Life cycle.
    let disabled = ok(&registry, "disable_archive", json!({"archiveRtId": id})).await;
    assert_eq!(
        disabled["message"],
        json!(format!("Archive '{id}' disabled (data preserved)."))
    );
    let refused = call(
        &registry,
        "write_stream_data",
        json!({"archiveRtId": id, "rows": []}),
    )
    .await;
    assert!(error(&refused).contains("run enable_archive"), "{refused}");
    ok(&registry, "enable_archive", json!({"archiveRtId": id})).await;
    let refused = call(&registry, "delete_archive", json!({"archiveRtId": id})).await;
    assert!(
        error(&refused).starts_with(&format!(
            "Refusing to act on archive '{id}' without confirm=true."
        )),
        "{refused}"
    );
    let deleted = ok(
        &registry,
        "delete_archive",
        json!({"archiveRtId": id, "confirm": true}),
    )
    .await;
    assert_eq!(
        deleted["message"],
        json!(format!(
            "Archive '{id}' deleted — table dropped, data lost."
        ))
    );
    let blank = call(&registry, "activate_archive", json!({"archiveRtId": " "})).await;
    assert_eq!(error(&blank), "rtId is required.");
}

both_backends!(every_tool_names_the_cascade_stage_that_failed);
async fn every_tool_names_the_cascade_stage_that_failed(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let archive = "65a0f1c2d3e4f5a6b7c8d9e0";
    let calls = [
        ("activate_archive", json!({"archiveRtId": archive})),
        (
            "write_stream_data",
            json!({"archiveRtId": archive, "rows": []}),
        ),
        (
            "query_stream_data_simple",
            json!({"archiveRtId": archive, "columnPaths": ["Power"]}),
        ),
        (
            "query_stream_data_aggregation",
            json!({"archiveRtId": archive, "aggregations": [{"function": "count"}]}),
        ),
        (
            "query_stream_data_downsampling",
            json!({"archiveRtId": archive, "aggregations": [{"function": "count"}],
                   "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
        ),
        (
            "get_archive_storage_stats",
            json!({"archiveRtIds": [archive]}),
        ),
    ];
    let expect_all = |stage: &'static str| {
        let calls = calls.clone();
        let registry = Arc::clone(&registry);
        async move {
            for (tool, mut arguments) in calls {
                if stage.starts_with("Tenant") {
                    arguments["tenantId"] = json!("nosuch");
                }
                let out = call(&registry, tool, arguments).await;
                assert_eq!(out["isSuccess"], json!(false), "{tool}: {out}");
                assert!(error(&out).starts_with(stage), "{tool}: {out}");
            }
        }
    };
    expect_all("Tenant 'nosuch' not found").await;
    expect_all("Stream data not enabled for tenant 'octosystem'. Run enable_stream_data first.")
        .await;
    ok(&registry, "enable_stream_data", json!({})).await;
    let tenant = "octosystem".parse().expect("tenant");
    platform
        .store()
        .drop_stream_store(&tenant)
        .await
        .expect("damage");
    expect_all("Archive runtime store not initialised for tenant 'octosystem'. Run enable_stream_data again").await;
    let repaired = ok(&registry, "enable_stream_data", json!({})).await;
    assert_eq!(repaired["changed"], json!(true));
    // Stage 4; the stats tool reports an unknown id as a row instead.
    for (tool, arguments) in calls {
        let out = call(&registry, tool, arguments).await;
        if tool == "get_archive_storage_stats" {
            assert_eq!(out["stats"][0]["health"], json!("NotFound"), "{out}");
        } else {
            assert_eq!(
                error(&out),
                format!("Archive not found: '{archive}'. Verify with get_archive_storage_stats."),
                "{tool}"
            );
        }
    }
}
