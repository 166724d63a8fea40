//! What the server stores survives a restart, on both backends: a tenant created and a CK model
//! imported over MCP are still there when a new server starts on the same database.
//!
//! PostgreSQL: a fresh database `octo_test_<random>` on the server at `OCTO_TEST_POSTGRES_URL`
//! (dropped afterwards, also when the test fails; the test fails if PostgreSQL is unreachable).
//! SQLite: the default `octomesh.db` in a temporary data folder.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use octo_test_support::{Backend, run_on_database};
use serde_json::{Value, json};

use common::TestServer;

const TENANT: &str = "plant7";
const MODEL: &str = "Octo.Industry.Energy";

/// Calls `name` in a new session on `/mcp` and returns its envelope (`structuredContent`).
async fn call(server: &TestServer, session: &str, name: &str, arguments: Value) -> Value {
    let response = server.call_tool("/mcp", session, name, arguments).await;
    let envelope = response["result"]["structuredContent"].clone();
    assert!(
        envelope.is_object(),
        "{name}: no structured content in {response}"
    );
    envelope
}

/// The state of each model in the tenant's library, by model name.
fn model_states(status: &Value) -> Vec<(String, String)> {
    status["status"]
        .as_array()
        .map(|models| {
            models
                .iter()
                .map(|m| {
                    let field = |key: &str| m[key].as_str().unwrap_or_default().to_owned();
                    (field("modelName"), field("modelState"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn state_of<'a>(states: &'a [(String, String)], model: &str) -> Option<&'a str> {
    states
        .iter()
        .find(|(name, _)| name == model)
        .map(|(_, state)| state.as_str())
}

/// Polls `get_ck_library_status` until `model` is `Available` (the server's worker runs the
/// import jobs); fails on `ResolveFailed` or after 60 s.
async fn wait_until_available(server: &TestServer, session: &str, model: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = call(
            server,
            session,
            "get_ck_library_status",
            json!({"tenantId": TENANT}),
        )
        .await;
        assert_eq!(status["isSuccess"], json!(true), "{status}");
        match state_of(&model_states(&status), model) {
            Some("Available") => return status,
            Some("ResolveFailed") => panic!("{model} failed to import: {status}"),
            _ if Instant::now() > deadline => panic!("{model} not Available after 60 s: {status}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The scenario, on a server started with `extra` flags on `data_dir`: create a tenant, import a
/// model, stop the server, start a new one on the same data and find both again.
async fn tenant_and_models_survive_a_restart(data_dir: &Path, extra: &[&str]) {
    let server = common::start_in(data_dir, extra).await;
    let session = server.initialize("/mcp").await;
    let created = call(
        &server,
        &session,
        "create_tenant",
        json!({"childTenantId": TENANT}),
    )
    .await;
    assert_eq!(created["isSuccess"], json!(true), "{created}");
    let planned = call(
        &server,
        &session,
        "import_ck_from_catalog",
        json!({"catalogName": "embedded", "modelId": MODEL, "tenantId": TENANT}),
    )
    .await;
    assert_eq!(planned["isSuccess"], json!(true), "{planned}");
    let before = model_states(&wait_until_available(&server, &session, MODEL).await);
    let types = call(
        &server,
        &session,
        "get_available_types",
        json!({"tenantId": TENANT, "ckModelId": MODEL}),
    )
    .await;
    assert_eq!(types["isSuccess"], json!(true), "{types}");
    let listed: Vec<&str> = types["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["ckTypeId"].as_str())
        .collect();
    assert!(
        listed.contains(&"Octo.Industry.Energy/EnergyMeter"),
        "{types}"
    );
    server.stop().await;

    let restarted = common::start_in(data_dir, extra).await;
    let session = restarted.initialize("/mcp").await;
    let tenants = call(&restarted, &session, "get_tenants", json!({})).await;
    assert_eq!(tenants["isSuccess"], json!(true), "{tenants}");
    let ids: Vec<&str> = tenants["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .filter_map(|t| t["tenantId"].as_str())
        .collect();
    assert_eq!(ids, ["octosystem", TENANT], "{tenants}");
    let status = call(
        &restarted,
        &session,
        "get_ck_library_status",
        json!({"tenantId": TENANT}),
    )
    .await;
    let after = model_states(&status);
    assert_eq!(after, before, "{status}");
    assert_eq!(state_of(&after, MODEL), Some("Available"), "{status}");
    assert_eq!(
        state_of(&after, "Octo.Assets"),
        Some("Available"),
        "{status}"
    );
    let types = call(
        &restarted,
        &session,
        "get_type_schema",
        json!({"tenantId": TENANT, "ckTypeId": "Octo.Industry.Energy/EnergyMeter"}),
    )
    .await;
    assert_eq!(types["isSuccess"], json!(true), "{types}");
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_and_models_survive_a_restart_on_postgres() {
    run_on_database(Backend::Postgres, |url| async move {
        let data = tempfile::tempdir().expect("temp data folder");
        tenant_and_models_survive_a_restart(data.path(), &["--database-url", &url]).await;
        assert!(
            !data.path().join("octomesh.db").exists(),
            "nothing is stored in the data folder's SQLite file"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_and_models_survive_a_restart_on_sqlite() {
    let data = tempfile::tempdir().expect("temp data folder");
    tenant_and_models_survive_a_restart(data.path(), &[]).await;
    assert!(data.path().join("octomesh.db").is_file());
}
