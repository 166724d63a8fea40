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

/// An activated archive holding one sample a minute from 10:00 to 10:59: Power = the minute,
/// Phase L1 on every third minute and L2 otherwise, the meters alternating.
async fn sixty_samples(registry: &Arc<ToolRegistry>) -> String {
    ok(registry, "enable_stream_data", json!({})).await;
    let id = create_archive(registry, "grid power").await;
    ok(registry, "activate_archive", json!({"archiveRtId": id})).await;
    let rows: Vec<Value> = (0..60)
        .map(|minute| {
            json!({
                "timestamp": format!("2026-11-25T10:{minute:02}:00Z"),
                "rtId": METERS[minute % 2],
                "values": {"Power": minute as f64, "Phase": if minute % 3 == 0 { "L1" } else { "L2" }}
            })
        })
        .collect();
    ok(
        registry,
        "write_stream_data",
        json!({"archiveRtId": id, "rows": rows}),
    )
    .await;
    id
}

both_backends!(stream_queries_take_or_and_nested_filters);
async fn stream_queries_take_or_and_nested_filters(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let id = sixty_samples(&registry).await;
    // Or of a field and a nested And group, through each query kind. Phase L1 is minutes
    // 0, 3, …, 57 (20 samples); Power >= 55 on L2 adds 55, 56, 58 and 59.
    let or_filter = json!({
        "operator": "Or",
        "fields": [{"attributePath": "Phase", "operator": "Equals", "value": "L1"}],
        "nestedFilters": [{"fields": [
            {"attributePath": "Power", "operator": "GreaterThanOrEqual", "value": 55},
            {"attributePath": "Phase", "operator": "NotEquals", "value": "L1"}
        ]}]
    });
    let simple = call(
        &registry,
        "query_stream_data_simple",
        json!({"archiveRtId": id, "columnPaths": ["Power"], "limit": 100, "filters": or_filter}),
    )
    .await;
    assert!(
        !error(&simple).contains("not supported"),
        "the old refusal of Or / nestedFilters is gone: {simple}"
    );
    assert_eq!(simple["isSuccess"], json!(true), "{simple}");
    assert_eq!(simple["totalCount"], json!(24), "{simple}");
    let powers: Vec<f64> = simple["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["values"]["Power"].as_f64())
        .collect();
    let expected: Vec<f64> = (0..60)
        .filter(|m| m % 3 == 0 || *m >= 55)
        .map(f64::from)
        .collect();
    assert_eq!(powers, expected);
    let aggregated = ok(
        &registry,
        "query_stream_data_aggregation",
        json!({"archiveRtId": id, "aggregations": [{"function": "count"}], "filters": or_filter}),
    )
    .await;
    assert_eq!(aggregated["rows"], json!([{"count": 24}]));
    // Two nested groups under Or: minutes 0 and 1, 58 and 59.
    let grouped = ok(
        &registry,
        "query_stream_data_grouping",
        json!({
            "archiveRtId": id, "groupByAttributePaths": ["Phase"],
            "aggregations": [{"function": "count"}],
            "filters": {"operator": "Or", "nestedFilters": [
                {"fields": [{"attributePath": "Power", "operator": "LessThan", "value": 2}]},
                {"fields": [{"attributePath": "Power", "operator": "GreaterThan", "value": 57}]}
            ]}
        }),
    )
    .await;
    assert_eq!(
        grouped["rows"],
        json!([{"Phase": "L1", "count": 1}, {"Phase": "L2", "count": 3}])
    );
    let downsampled = ok(
        &registry,
        "query_stream_data_downsampling",
        json!({
            "archiveRtId": id, "aggregations": [{"function": "count"}],
            "from": "2026-11-25T10:00:00Z", "to": "2026-11-25T11:00:00Z", "limit": 2,
            "filters": {"operator": "Or", "fields": [
                {"attributePath": "Power", "operator": "In", "value": [0, 59]},
                {"attributePath": "Phase", "operator": "IsNull"}
            ]}
        }),
    )
    .await;
    assert_eq!(
        downsampled["rows"],
        json!([
            {"bucketStart": "2026-11-25T10:00:00.000000Z", "count": 1},
            {"bucketStart": "2026-11-25T10:30:00.000000Z", "count": 1}
        ])
    );
    // The documented rule for empty groups: an empty top-level group is no filter (whatever
    // its operator); an empty nested group is refused, naming where it is.
    let everything = ok(
        &registry,
        "query_stream_data_aggregation",
        json!({"archiveRtId": id, "aggregations": [{"function": "count"}],
               "filters": {"operator": "Or"}}),
    )
    .await;
    assert_eq!(everything["rows"], json!([{"count": 60}]));
    let empty_nested = call(
        &registry,
        "query_stream_data_aggregation",
        json!({"archiveRtId": id, "aggregations": [{"function": "count"}],
               "filters": {"operator": "Or", "fields": [
                   {"attributePath": "Power", "operator": "Equals", "value": 1}
               ], "nestedFilters": [{"nestedFilters": [{"operator": "Or"}]}]}}),
    )
    .await;
    assert_eq!(empty_nested["isSuccess"], json!(false), "{empty_nested}");
    assert!(
        error(&empty_nested).starts_with(
            "filters.nestedFilters[0].nestedFilters[0] has no fields and no nestedFilters."
        ),
        "{empty_nested}"
    );
    // Too deep: 17 levels of groups.
    let mut deep =
        json!({"fields": [{"attributePath": "Power", "operator": "Equals", "value": 1}]});
    for _ in 0..16 {
        deep = json!({"operator": "Or", "nestedFilters": [deep]});
    }
    let refused = call(
        &registry,
        "query_stream_data_simple",
        json!({"archiveRtId": id, "columnPaths": ["Power"], "filters": deep}),
    )
    .await;
    assert!(
        error(&refused).starts_with("Filters nest too deeply at filters.nestedFilters[0]"),
        "{refused}"
    );
    // A bad path deep in a group is named like a top-level one.
    let refused = call(
        &registry,
        "query_stream_data_simple",
        json!({"archiveRtId": id, "columnPaths": ["Power"], "filters": {"operator": "Or",
               "nestedFilters": [{"fields": [{"attributePath": "Voltage", "operator": "IsNull"}]}]}}),
    )
    .await;
    assert!(
        error(&refused).contains("'Voltage' is not a column of this archive"),
        "{refused}"
    );
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
        (
            "list_rollups_for_archive",
            json!({"sourceArchiveRtId": archive}),
        ),
        ("list_recompute_jobs", json!({"archiveRtId": archive})),
        (
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "name": "r", "interval": "01:00:00",
                   "aggregations": [{"attributePath": "Power", "aggregationType": "Sum"}]}),
        ),
        (
            "freeze_rollup_archive",
            json!({"rollupRtId": archive, "until": "2026-01-01T00:00:00Z"}),
        ),
        ("unfreeze_rollup_archive", json!({"rollupRtId": archive})),
        (
            "rewind_rollup_watermark",
            json!({"rollupRtId": archive, "toBucketEnd": "2026-01-01T00:00:00Z", "confirm": true}),
        ),
        (
            "backfill_rollup_archive",
            json!({"rollupRtId": archive, "confirm": true}),
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
        let names_a_rollup = arguments.get("rollupRtId").is_some();
        let out = call(&registry, tool, arguments).await;
        if tool == "get_archive_storage_stats" {
            assert_eq!(out["stats"][0]["health"], json!("NotFound"), "{out}");
        } else if names_a_rollup {
            assert_eq!(
                error(&out),
                format!("No rollup archive with rtId '{archive}' found."),
                "{tool}"
            );
        } else {
            assert_eq!(
                error(&out),
                format!("Archive not found: '{archive}'. Verify with get_archive_storage_stats."),
                "{tool}"
            );
        }
    }
}

/// An upload holding `body` named `file_name`, completed as the HTTP PUT would complete it.
async fn upload(
    registry: &Arc<ToolRegistry>,
    platform: &Platform,
    name: &str,
    body: &[u8],
) -> String {
    let prepared = ok(registry, "prepare_file_upload", json!({"fileName": name})).await;
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

both_backends!(archive_data_round_trips_through_file_transfers);
async fn archive_data_round_trips_through_file_transfers(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    ok(&registry, "enable_stream_data", json!({})).await;
    let source = create_archive(&registry, "source").await;
    ok(
        &registry,
        "activate_archive",
        json!({"archiveRtId": source}),
    )
    .await;
    let rows: Vec<Value> = (0..120)
        .map(|minute| {
            json!({
                "timestamp": format!("2026-11-25T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60),
                "rtId": METERS[minute % 2],
                "values": {"Power": minute as f64 / 2.0, "Phase": if minute % 3 == 0 { "L1, \"x\"" } else { "L2" }}
            })
        })
        .collect();
    ok(
        &registry,
        "write_stream_data",
        json!({"archiveRtId": source, "rows": rows}),
    )
    .await;
    let total = |id: String| {
        let registry = Arc::clone(&registry);
        async move {
            let out = ok(
                &registry,
                "query_stream_data_aggregation",
                json!({"archiveRtId": id, "aggregations": [
                    {"function": "count", "alias": "n"},
                    {"function": "sum", "attributePath": "Power", "alias": "power"}]}),
            )
            .await;
            out["rows"][0].clone()
        }
    };
    let expected = total(source.clone()).await;
    assert_eq!(expected["n"], json!(120));
    for file_name in ["meters.csv", "meters.ndjson"] {
        let exported = ok(
            &registry,
            "export_archive_data",
            json!({"archiveRtId": source, "fileName": file_name}),
        )
        .await;
        let id = exported["transferId"].as_str().expect("id");
        let size = exported["sizeBytes"].as_u64().expect("size");
        assert_eq!(
            exported["message"],
            json!(format!(
                "Archive '{source}' export ready (whole archive, {} bytes). GET \
                 '/file-transfer/download/{id}' to fetch.",
                crate::transfers::exchange::thousands(size)
            ))
        );
        let (path, _) = platform
            .transfers
            .open_completed(id)
            .await
            .expect("download");
        let bytes = tokio::fs::read(path).await.expect("read");
        let copy = create_archive(&registry, &format!("copy {file_name}")).await;
        ok(&registry, "activate_archive", json!({"archiveRtId": copy})).await;
        let upload_id = upload(&registry, &platform, file_name, &bytes).await;
        let imported = ok(
            &registry,
            "import_archive_data",
            json!({"archiveRtId": copy, "transferId": upload_id}),
        )
        .await;
        let job = imported["jobId"].as_str().expect("jobId");
        assert_eq!(
            imported["message"],
            json!(format!(
                "Archive '{copy}' import completed (mode InsertOnly, job '{job}')."
            ))
        );
        assert_eq!(imported["rowsAccepted"], json!(120));
        assert_eq!(total(copy).await, expected, "{file_name}");
    }
    // A window: [10:30, 11:00) holds 30 samples.
    let windowed = ok(
        &registry,
        "export_archive_data",
        json!({"archiveRtId": source, "fromUtc": "2026-11-25T10:30:00Z",
               "toUtc": "2026-11-25T11:00:00", "columnPaths": ["Power"], "fileName": "w.csv"}),
    )
    .await;
    assert!(
        windowed["message"].as_str().is_some_and(
            |m| m.contains("(window [2026-11-25T10:30:00+00:00, 2026-11-25T11:00:00+00:00)")
        ),
        "{windowed}"
    );
    let (path, _) = platform
        .transfers
        .open_completed(windowed["transferId"].as_str().expect("id"))
        .await
        .expect("download");
    let text = tokio::fs::read_to_string(path).await.expect("read");
    assert_eq!(text.lines().count(), 31, "{text}");
    assert!(text.starts_with("timestamp,sourceRtId,Power\n"));
    // Refusals with the reference's messages.
    let refused = call(
        &registry,
        "import_archive_data",
        json!({"archiveRtId": source, "transferId": " "}),
    )
    .await;
    assert_eq!(error(&refused), "archiveRtId and transferId are required.");
    let refused = call(
        &registry,
        "export_archive_data",
        json!({"archiveRtId": source, "fromUtc": "2026-11-25T11:00:00Z", "toUtc": "2026-11-25T10:00:00Z"}),
    )
    .await;
    assert_eq!(error(&refused), "fromUtc must be strictly less than toUtc.");
    let refused = call(
        &registry,
        "import_archive_data",
        json!({"archiveRtId": source, "transferId": "0123456789abcdef0123456789abcdef"}),
    )
    .await;
    assert!(
        error(&refused)
            .starts_with("Upload '0123456789abcdef0123456789abcdef' not found or expired."),
        "{refused}"
    );
    // A bad line fails the import and names the line; the upload stays for a retry.
    let bad = format!(
        "timestamp,sourceRtId,Power\n2026-11-25T09:00:00Z,{},1\n2026-11-25T09:01:00Z,{},lots\n",
        METERS[0], METERS[1]
    );
    let upload_id = upload(&registry, &platform, "bad.csv", bad.as_bytes()).await;
    let refused = call(
        &registry,
        "import_archive_data",
        json!({"archiveRtId": source, "transferId": upload_id}),
    )
    .await;
    assert_eq!(refused["isSuccess"], json!(false));
    assert!(
        error(&refused).contains("Line 3: 'Power' must be a finite number."),
        "{refused}"
    );
    assert_eq!(
        total(source.clone()).await,
        expected,
        "nothing of the bad batch landed"
    );
}

both_backends!(rollup_tools_speak_the_reference_messages);
async fn rollup_tools_speak_the_reference_messages(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    // Without stream data the metadata tool reports rather than fails.
    let off = ok(
        &registry,
        "get_rollup_query_metadata",
        json!({"rollupRtId": "65a0f1c2d3e4f5a6b7c8d9e1"}),
    )
    .await;
    assert_eq!(off["resolved"], json!(false));
    assert_eq!(
        off["message"],
        json!("Stream data is not enabled for this tenant.")
    );
    ok(&registry, "enable_stream_data", json!({})).await;
    let archive = create_archive(&registry, "rolled").await;
    let other = create_archive(&registry, "plain").await;
    ok(
        &registry,
        "activate_archive",
        json!({"archiveRtId": archive}),
    )
    .await;
    ok(&registry, "activate_archive", json!({"archiveRtId": other})).await;
    let rows: Vec<Value> = (0..240)
        .map(|minute| {
            json!({
                "timestamp": (chrono::DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z").expect("t")
                    + chrono::Duration::minutes(minute)).to_rfc3339(),
                "rtId": METERS[(minute % 2) as usize],
                "values": {"Power": (minute * 7 % 13) as f64, "Phase": "L1"}
            })
        })
        .collect();
    ok(
        &registry,
        "write_stream_data",
        json!({"archiveRtId": archive, "rows": rows}),
    )
    .await;

    // Required arguments and refusals, before anything is looked up.
    for (tool, arguments, message) in [
        (
            "list_rollups_for_archive",
            json!({"sourceArchiveRtId": " "}),
            "sourceArchiveRtId is required.",
        ),
        (
            "get_rollup_query_metadata",
            json!({"rollupRtId": ""}),
            "rollupRtId is required.",
        ),
        (
            "freeze_rollup_archive",
            json!({"rollupRtId": "", "until": "2026-11-25T00:00:00Z"}),
            "rollupRtId is required.",
        ),
        (
            "unfreeze_rollup_archive",
            json!({"rollupRtId": ""}),
            "rollupRtId is required.",
        ),
        (
            "rewind_rollup_watermark",
            json!({"rollupRtId": "", "toBucketEnd": "2026-11-25T00:00:00Z", "confirm": true}),
            "rollupRtId is required.",
        ),
        (
            "backfill_rollup_archive",
            json!({"rollupRtId": "", "confirm": true}),
            "rollupRtId is required.",
        ),
        (
            "rewind_rollup_watermark",
            json!({"rollupRtId": "r1", "toBucketEnd": "2026-11-25T00:00:00Z"}),
            "Refusing to rewind rollup watermark on 'r1' without confirm=true.",
        ),
        (
            "backfill_rollup_archive",
            json!({"rollupRtId": "r1"}),
            "Refusing to backfill rollup 'r1' without confirm=true.",
        ),
        (
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "name": "r", "interval": "1 hour", "aggregations": [{"attributePath": "Power", "aggregationType": "Sum"}]}),
            "interval '1 hour' is not a duration of at least one second",
        ),
        (
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "name": "r", "interval": "01:00:00", "aggregations": [{"attributePath": "Voltage", "aggregationType": "Sum"}]}),
            "'Voltage' is not a column of this archive; its columns are Power, Phase.",
        ),
        (
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "name": "r", "interval": "01:00:00", "aggregations": [{"attributePath": "Phase", "aggregationType": "Average"}]}),
            "Average of 'Phase' is not possible",
        ),
        (
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "name": "r", "interval": "01:00:00", "aggregations": [{"attributePath": "Power", "aggregationType": "Median"}]}),
            "aggregationType 'Median' of 'Power' is not one of Count, Sum, Average, Minimum, Maximum.",
        ),
    ] {
        let out = call(&registry, tool, arguments).await;
        assert_eq!(out["isSuccess"], json!(false), "{tool}: {out}");
        assert!(error(&out).starts_with(message), "{tool}: {out}");
    }

    let created = ok(
        &registry,
        "create_rollup_archive",
        json!({"sourceArchiveRtId": archive, "name": "power hourly", "interval": "01:00:00",
               "aggregations": [{"attributePath": "Power", "aggregationType": "avg"},
                                {"attributePath": "Power", "aggregationType": "Maximum"}]}),
    )
    .await;
    let rollup = created["rtId"].as_str().expect("rtId").to_owned();
    assert_eq!(created["rollup"]["status"], json!("Activated"), "{created}");
    assert_eq!(
        created["rollup"]["aggregations"][0]["aggregationType"],
        json!("Average")
    );
    let entity = ok(
        &registry,
        "get_entity_by_id",
        json!({"ckTypeId": "System.StreamData/RollupArchive", "rtId": rollup}),
    )
    .await;
    assert!(entity.to_string().contains("01:00:00"), "{entity}");

    let listed = ok(
        &registry,
        "list_rollups_for_archive",
        json!({"sourceArchiveRtId": archive}),
    )
    .await;
    assert_eq!(
        listed["message"],
        json!(format!("1 rollup(s) attached to archive '{archive}'."))
    );
    assert_eq!(listed["totalCount"], json!(1));
    assert_eq!(listed["rollups"][0]["rtId"], json!(rollup));
    let none = ok(
        &registry,
        "list_rollups_for_archive",
        json!({"sourceArchiveRtId": other}),
    )
    .await;
    assert_eq!(
        none["message"],
        json!(format!("No rollups attached to archive '{other}'."))
    );

    let meta = ok(
        &registry,
        "get_rollup_query_metadata",
        json!({"rollupRtId": rollup}),
    )
    .await;
    assert_eq!(meta["resolved"], json!(true));
    assert_eq!(meta["bucketSizeMs"], json!(3_600_000));
    assert_eq!(meta["logicalSourcePaths"], json!(["Power"]));
    assert_eq!(
        meta["message"],
        json!(format!(
            "Rollup '{rollup}' resolved: 1 logical path(s), 01:00:00."
        ))
    );
    let unknown = ok(
        &registry,
        "get_rollup_query_metadata",
        json!({"rollupRtId": other}),
    )
    .await;
    assert_eq!(unknown["resolved"], json!(false));
    assert_eq!(
        unknown["message"],
        json!(format!("No rollup archive with rtId '{other}' found."))
    );

    // Nothing computed yet: a rewind says so.
    let early = call(
        &registry,
        "rewind_rollup_watermark",
        json!({"rollupRtId": rollup, "toBucketEnd": "2026-11-25T01:00:00Z", "confirm": true}),
    )
    .await;
    assert!(
        error(&early).contains("has not computed any bucket yet"),
        "{early}"
    );

    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
        .expect("now")
        .with_timezone(&chrono::Utc);
    platform.stream_data.run_maintenance_once("test", now).await;
    let downsampled = ok(
        &registry,
        "query_stream_data_downsampling",
        json!({"archiveRtId": archive, "aggregations": [{"function": "avg", "attributePath": "Power"}, {"function": "count"}],
               "from": "2026-11-25T00:00:00Z", "to": "2026-11-25T04:00:00Z", "limit": 4}),
    )
    .await;
    assert_eq!(downsampled["rowCount"], json!(4));
    assert!(
        downsampled["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("read from rollup '{rollup}' (01:00:00)")),
        "{downsampled}"
    );
    assert_eq!(downsampled["rows"][0]["count"], json!(60));

    let frozen = ok(
        &registry,
        "freeze_rollup_archive",
        json!({"rollupRtId": rollup, "until": "2026-11-25T12:00:00Z"}),
    )
    .await;
    assert_eq!(frozen["rtId"], json!(rollup));
    assert_eq!(
        frozen["message"],
        json!(format!(
            "Rollup '{rollup}' frozen until 2026-11-25T12:00:00.0000000Z."
        ))
    );
    let thawed = ok(
        &registry,
        "unfreeze_rollup_archive",
        json!({"rollupRtId": rollup}),
    )
    .await;
    assert_eq!(
        thawed["message"],
        json!(format!("Rollup '{rollup}' unfrozen."))
    );
    let gaps = ok(
        &registry,
        "unfreeze_rollup_archive",
        json!({"rollupRtId": rollup, "acceptGaps": true}),
    )
    .await;
    assert_eq!(
        gaps["message"],
        json!(format!("Rollup '{rollup}' unfrozen (gaps accepted)."))
    );

    let rewound = ok(
        &registry,
        "rewind_rollup_watermark",
        json!({"rollupRtId": rollup, "toBucketEnd": "2026-11-25T02:00:00Z", "confirm": true}),
    )
    .await;
    assert_eq!(
        rewound["message"],
        json!(format!(
            "Rollup '{rollup}' watermark rewound to 2026-11-25T02:00:00.0000000Z."
        ))
    );
    let off_grid = call(
        &registry,
        "rewind_rollup_watermark",
        json!({"rollupRtId": rollup, "toBucketEnd": "2026-11-25T01:30:00Z", "confirm": true}),
    )
    .await;
    assert!(
        error(&off_grid).contains("is not a bucket boundary"),
        "{off_grid}"
    );

    let backfill = ok(
        &registry,
        "backfill_rollup_archive",
        json!({"rollupRtId": rollup, "confirm": true}),
    )
    .await;
    let job = backfill["job"]["rtId"].as_str().expect("job").to_owned();
    assert_eq!(
        backfill["message"],
        json!(format!(
            "Backfill of rollup '{rollup}' queued (durable background): job {job}, state Queued. \
             Poll list_recompute_jobs for archive '{rollup}' to watch it run to completion."
        ))
    );
    platform.stream_data.run_maintenance_once("test", now).await;
    let jobs = ok(
        &registry,
        "list_recompute_jobs",
        json!({"archiveRtId": rollup}),
    )
    .await;
    assert_eq!(jobs["jobs"][0]["rtId"], json!(job));
    assert_eq!(jobs["jobs"][0]["state"], json!("Succeeded"), "{jobs}");

    // A rollup of an archive without samples: backfill is a no-op.
    let empty = ok(
        &registry,
        "create_rollup_archive",
        json!({"sourceArchiveRtId": other, "name": "plain hourly", "interval": "01:00:00",
               "aggregations": [{"attributePath": "Power", "aggregationType": "Sum"}]}),
    )
    .await;
    let empty = empty["rtId"].as_str().expect("rtId").to_owned();
    let noop = ok(
        &registry,
        "backfill_rollup_archive",
        json!({"rollupRtId": empty, "confirm": true}),
    )
    .await;
    assert!(noop.get("job").is_none(), "{noop}");
    assert_eq!(
        noop["message"],
        json!(format!(
            "Backfill of rollup '{empty}' was a no-op: the source archive holds no data."
        ))
    );

    // Deleting an archive deletes its rollups.
    ok(
        &registry,
        "delete_archive",
        json!({"archiveRtId": other, "confirm": true}),
    )
    .await;
    let gone = ok(
        &registry,
        "get_rollup_query_metadata",
        json!({"rollupRtId": empty}),
    )
    .await;
    assert_eq!(gone["resolved"], json!(false), "{gone}");
}
