//! The operator commands (`mcp-http dump|restore|import-ck|import-rt|export-rt|import-archive|
//! export-archive|tenants`) on both backends, run in-process as `main` runs them, dumps moving
//! between the CLI and the `dump_tenant` / `restore_tenant` tools in both directions, and archive
//! samples round-tripping through CSV and NDJSON files.

use std::path::Path;
use std::sync::Arc;

use clap::{CommandFactory, Parser};
use mcp_http::operator::{self, OperatorError};
use mcp_http::{Cli, Settings};
use octo_ids::TenantId;
use octo_store::{Direction, Store};
use octo_test_support::{Backend, run_on_database};
use octo_tools::CallInfo;
use serde_json::{Value, json};

const MODEL: &str = "modelId: Test.Yard-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Label
    valueType: String
types:
  - typeId: Yard
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Label
        name: Label
  - typeId: Crane
    derivedFromCkTypeId: ${System}/Entity
    associations:
      - id: ${System}/ParentChild
        targetCkTypeId: ${this}/Yard
";

const RUNTIME: &str = r#"{"dependencies": ["Test.Yard-[1.0,2.0)"], "entities": [
  {"rtId": "65f1c0ffee0123456789aaa1", "ckTypeId": "Test.Yard/Yard",
   "attributes": [{"id": "Test.Yard/Label", "value": "Main yard"}]},
  {"rtId": "65f1c0ffee0123456789aaa2", "ckTypeId": "Test.Yard/Crane",
   "associations": [{"roleId": "System/ParentChild", "targetRtId": "65f1c0ffee0123456789aaa1",
                     "targetCkTypeId": "Test.Yard/Yard"}]}
]}"#;

fn settings(data_dir: &Path, url: &str) -> Settings {
    let cli = Cli::try_parse_from([
        "mcp-http",
        "--data-dir",
        &data_dir.to_string_lossy(),
        "--database-url",
        url,
    ])
    .expect("flags");
    Settings::resolve(cli).expect("settings")
}

/// Parses `args` as the binary does and runs the command.
async fn run(settings: &Settings, args: &[&str]) -> Result<String, OperatorError> {
    let mut argv = vec!["mcp-http"];
    argv.extend_from_slice(args);
    let command = Cli::try_parse_from(argv)
        .expect("command parses")
        .command
        .expect("a command");
    operator::run(command, settings).await
}

async fn contents(store: &Arc<dyn Store>, tenant: &str) -> Vec<Value> {
    let tenant: TenantId = tenant.parse().expect("tenant");
    let mut out = Vec::new();
    for entity in store
        .list_entities(&tenant, &[], 1000, 0)
        .await
        .expect("entities")
    {
        for link in store
            .list_associations(&tenant, &entity.rt_id, Direction::Outbound, None)
            .await
            .expect("links")
        {
            out.push(json!([
                link.role_id,
                link.origin_rt_id.to_string(),
                link.target_rt_id.to_string()
            ]));
        }
        let mut row = serde_json::to_value(&entity).expect("json");
        row["tenantId"] = Value::Null;
        out.push(row);
    }
    for model in store.list_ck_models(&tenant).await.expect("models") {
        out.push(json!([model.model_id.to_string(), model.document]));
    }
    out
}

#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}

async fn cli_and_tool_dumps_restore_each_other(backend: Backend) {
    run_on_database(backend, |url| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(&dir.path().join("data"), &url);
        let model = dir.path().join("yard.yaml");
        std::fs::write(&model, MODEL).expect("model file");
        let runtime = dir.path().join("yard-data.json");
        std::fs::write(&runtime, RUNTIME).expect("runtime file");

        let created = run(&settings, &["tenants", "create", "yard"])
            .await
            .expect("create");
        assert!(created.starts_with("Tenant 'yard' created"), "{created}");
        let imported = run(
            &settings,
            &[
                "import-ck",
                "--tenant",
                "yard",
                "-f",
                &model.to_string_lossy(),
            ],
        )
        .await
        .expect("import-ck");
        assert!(
            imported.starts_with("Imported CK model 'Test.Yard-1.0.0' into tenant 'yard'"),
            "{imported}"
        );
        let rt = run(
            &settings,
            &[
                "import-rt",
                "--tenant",
                "yard",
                "-f",
                &runtime.to_string_lossy(),
            ],
        )
        .await
        .expect("import-rt");
        assert!(
            rt.contains("2 entities inserted, 0 updated, 1 associations inserted"),
            "{rt}"
        );
        let again = run(
            &settings,
            &[
                "import-rt",
                "--tenant",
                "yard",
                "-f",
                &runtime.to_string_lossy(),
            ],
        )
        .await
        .expect_err("insert-only twice");
        assert!(
            again.to_string().contains("already has this entity"),
            "{again}"
        );
        let upsert = run(
            &settings,
            &[
                "import-rt",
                "--tenant",
                "yard",
                "--upsert",
                "-f",
                &runtime.to_string_lossy(),
            ],
        )
        .await
        .expect("upsert");
        assert!(upsert.contains("2 updated"), "{upsert}");

        let exported = dir.path().join("yards.yaml");
        let out = run(
            &settings,
            &[
                "export-rt",
                "--tenant",
                "yard",
                "--type",
                "Test.Yard/Yard",
                "-f",
                &exported.to_string_lossy(),
            ],
        )
        .await
        .expect("export-rt");
        assert!(
            out.starts_with("Exported 1 entities and 0 associations"),
            "{out}"
        );
        let model_file = octo_exchange::runtime_model::read_file(&exported).expect("reads");
        assert_eq!(model_file.entities[0].rt_id, "65f1c0ffee0123456789aaa1");

        // CLI dump → restore_tenant tool.
        let archive = dir.path().join("yard-dump.tar.gz");
        let dumped = run(
            &settings,
            &["dump", "--tenant", "yard", "-f", &archive.to_string_lossy()],
        )
        .await
        .expect("dump");
        assert!(dumped.ends_with("2 entities, 1 associations."), "{dumped}");
        let platform = mcp_http::server::start_platform(&settings)
            .await
            .expect("platform");
        // The tools' dumps and restores are jobs: run the workers as the server does.
        let workers = tokio_util::sync::CancellationToken::new();
        platform.spawn_background_tasks("operator-test".into(), workers.child_token());
        let store = Arc::clone(platform.store());
        let registry = Arc::new(octo_tools::standard_registry(&platform).expect("registry"));
        let call = |name: &'static str, arguments: Value| {
            let registry = Arc::clone(&registry);
            async move {
                let Value::Object(arguments) = arguments else {
                    panic!("object")
                };
                registry
                    .call(name, Some(arguments), CallInfo::default())
                    .await
                    .expect("tool")
                    .to_json()
            }
        };
        let prepared = call(
            "prepare_file_upload",
            json!({"fileName": "yard-dump.tar.gz"}),
        )
        .await;
        let id = prepared["transferId"].as_str().expect("id").to_owned();
        let bytes = std::fs::read(&archive).expect("archive");
        std::fs::write(platform.transfers.config().root.join(&id), &bytes).expect("upload");
        assert!(
            store
                .complete_transfer(&id, bytes.len() as u64, "00", chrono::Utc::now())
                .await
                .expect("complete")
        );
        let restored = call(
            "restore_tenant",
            json!({"transferId": id, "targetTenantId": "yardcopy", "confirm": true}),
        )
        .await;
        assert_eq!(restored["isSuccess"], json!(true), "{restored}");
        let source = contents(&store, "yard").await;
        assert_eq!(contents(&store, "yardcopy").await, source);

        // dump_tenant tool → CLI restore.
        let dumped = call("dump_tenant", json!({"targetTenantId": "yard"})).await;
        assert_eq!(dumped["isSuccess"], json!(true), "{dumped}");
        let download = platform
            .transfers
            .config()
            .root
            .join(dumped["transferId"].as_str().expect("id"));
        let restored = run(
            &settings,
            &[
                "restore",
                "--tenant",
                "yardcli",
                "-f",
                &download.to_string_lossy(),
            ],
        )
        .await
        .expect("restore");
        assert!(
            restored.starts_with("Restored tenant 'yardcli' from"),
            "{restored}"
        );
        assert!(restored.contains("(dumped from 'yard')"), "{restored}");
        assert_eq!(contents(&store, "yardcli").await, source);
        let exists = run(
            &settings,
            &[
                "restore",
                "--tenant",
                "yardcli",
                "-f",
                &download.to_string_lossy(),
            ],
        )
        .await
        .expect_err("exists");
        assert!(exists.to_string().contains("add --replace"), "{exists}");
        run(
            &settings,
            &[
                "restore",
                "--tenant",
                "yardcli",
                "--replace",
                "-f",
                &archive.to_string_lossy(),
            ],
        )
        .await
        .expect("replace");
        assert_eq!(contents(&store, "yardcli").await, source);

        let list = run(&settings, &["tenants", "list"]).await.expect("list");
        assert_eq!(list, "octosystem\nyard\nyardcli\nyardcopy");
        let refused = run(&settings, &["tenants", "delete", "yardcli"])
            .await
            .expect_err("confirm");
        assert!(
            refused
                .to_string()
                .starts_with("Refusing to delete 'yardcli' without confirm=true."),
            "{refused}"
        );
        run(&settings, &["tenants", "delete", "yardcli", "--confirm"])
            .await
            .expect("delete");
        let missing = run(
            &settings,
            &[
                "dump",
                "--tenant",
                "yardcli",
                "-f",
                &archive.to_string_lossy(),
            ],
        )
        .await
        .expect_err("gone");
        assert_eq!(missing.to_string(), "Tenant 'yardcli' does not exist.");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_tool_dumps_restore_each_other_sqlite() {
    cli_and_tool_dumps_restore_each_other(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_tool_dumps_restore_each_other_postgres() {
    cli_and_tool_dumps_restore_each_other(Backend::Postgres).await;
}

const METER_MODEL: &str = "modelId: Test.Grid-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Power
    valueType: Double
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
";

/// `import-archive` and `export-archive`: an archive exported by the CLI as CSV and as NDJSON
/// and imported into fresh archives holds the same samples.
async fn archive_files_round_trip_through_the_cli(backend: Backend) {
    run_on_database(backend, |url| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings(&dir.path().join("data"), &url);
        let platform = mcp_http::server::start_platform(&settings)
            .await
            .expect("platform");
        let registry = Arc::new(octo_tools::standard_registry(&platform).expect("registry"));
        let call = |name: &'static str, arguments: Value| {
            let registry = Arc::clone(&registry);
            async move {
                let Value::Object(arguments) = arguments else {
                    panic!("object")
                };
                let out = registry
                    .call(name, Some(arguments), CallInfo::default())
                    .await
                    .expect("tool")
                    .to_json();
                assert_eq!(out["isSuccess"], json!(true), "{name}: {out}");
                out
            }
        };
        // No background worker here: run the model's import job in place.
        let system: TenantId = "octosystem".parse().expect("tenant");
        let model = octo_ck::source::load_document(METER_MODEL, "grid.yaml").expect("model");
        platform.ck.enqueue(&system, model).await.expect("enqueued");
        while platform.ck.run_next_job("test").await.expect("job") {}
        call("enable_stream_data", json!({"tenantId": "octosystem"})).await;
        let mut archives = Vec::new();
        for name in ["source", "from-csv", "from-ndjson"] {
            let created = call(
                "create_entity",
                json!({"tenantId": "octosystem", "ckTypeId": "System.StreamData/RawArchive", "entityData": [
                    {"attributePath": "Name", "value": name},
                    {"attributePath": "TargetCkTypeId", "value": "Test.Grid/Meter"},
                    {"attributePath": "Columns", "value": [{"AttributePath": "Power"}]},
                    {"attributePath": "State", "value": "Inactive"},
                    {"attributePath": "Kind", "value": "TimeSeries"}]}),
            )
            .await;
            let id = created["rtId"].as_str().expect("rtId").to_owned();
            call("activate_archive", json!({"tenantId": "octosystem", "archiveRtId": id})).await;
            archives.push(id);
        }
        let rows: Vec<Value> = (0..500)
            .map(|i| {
                json!({"timestamp": 1_780_000_000_000_i64 + i * 1000,
                       "rtId": "65a000000000000000000001", "values": {"Power": i}})
            })
            .collect();
        call("write_stream_data", json!({"tenantId": "octosystem", "archiveRtId": archives[0], "rows": rows})).await;
        let sum = |id: String| {
            let call = &call;
            async move {
                let out = call(
                    "query_stream_data_aggregation",
                    json!({"tenantId": "octosystem", "archiveRtId": id, "aggregations": [
                        {"function": "count", "alias": "n"},
                        {"function": "sum", "attributePath": "Power", "alias": "s"}]}),
                )
                .await;
                out["rows"][0].clone()
            }
        };
        let expected = sum(archives[0].clone()).await;
        assert_eq!(expected["n"], json!(500));
        for (file, target) in [("a.csv", &archives[1]), ("a.ndjson", &archives[2])] {
            let path = dir.path().join(file);
            let path = path.to_string_lossy();
            let exported = run(
                &settings,
                &["export-archive", "--tenant", "octosystem", "--archive", &archives[0], "-f", &path],
            )
            .await
            .expect("export");
            assert!(exported.starts_with("Exported 500 sample(s)"), "{exported}");
            let imported = run(
                &settings,
                &["import-archive", "--tenant", "octosystem", "--archive", target, "-f", &path],
            )
            .await
            .expect("import");
            assert!(imported.contains("500 row(s) accepted"), "{imported}");
            assert_eq!(sum(target.clone()).await, expected, "{file}");
        }
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "timestamp,sourceRtId,Power\n2026-01-01T00:00:00Z,65a000000000000000000001,x\n").expect("file");
        let refused = run(
            &settings,
            &["import-archive", "--tenant", "octosystem", "--archive", &archives[1], "-f", &bad.to_string_lossy()],
        )
        .await
        .expect_err("bad line");
        assert!(refused.to_string().contains("Line 2: 'Power' must be a finite number."), "{refused}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_files_round_trip_through_the_cli_sqlite() {
    archive_files_round_trip_through_the_cli(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_files_round_trip_through_the_cli_postgres() {
    archive_files_round_trip_through_the_cli(Backend::Postgres).await;
}
