//! CK tools through the registry. Every case runs twice, on a fresh SQLite and on a fresh
//! PostgreSQL store (`both_backends!`).

use std::sync::Arc;

use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::test_support::{call, error};
use crate::{Platform, ToolRegistry, test_platform_on};

async fn setup(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    (platform, registry)
}

async fn run_jobs(platform: &Platform) {
    while platform.ck.run_next_job("test").await.expect("job runs") {}
}

both_backends!(catalogs_and_their_models_are_listed);
async fn catalogs_and_their_models_are_listed(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let catalogs = call(&registry, "list_ck_catalogs", json!({})).await;
    assert_eq!(
        catalogs["catalogs"][0]["name"],
        json!("embedded"),
        "{catalogs}"
    );
    let found = call(
        &registry,
        "list_ck_catalog_models",
        json!({"searchTerm": "energy"}),
    )
    .await;
    let ids: Vec<&str> = found["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["modelId"].as_str())
        .collect();
    assert!(ids.contains(&"Octo.Industry.Energy-1.0.0"), "{found}");
    let all = call(
        &registry,
        "list_ck_catalog_models",
        json!({"catalogName": "embedded"}),
    )
    .await;
    let stream = all["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["modelId"] == json!("System.StreamData-1.0.0"))
        .expect("listed");
    assert_eq!(stream["enableTool"], json!("enable_stream_data"));
    let paged = call(
        &registry,
        "list_ck_catalog_models",
        json!({"skip": 1, "take": 2}),
    )
    .await;
    assert_eq!(paged["models"].as_array().map(Vec::len), Some(2));
}

both_backends!(import_from_catalog_then_status_until_available);
async fn import_from_catalog_then_status_until_available(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let plan = call(
        &registry,
        "import_ck_from_catalog",
        json!({"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(
        plan["message"],
        json!("Enqueued 2 import job(s) for 2 model(s)."),
        "{plan}"
    );
    assert_eq!(plan["tenantId"], json!("octosystem"));
    let status = call(
        &registry,
        "get_ck_library_status",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    let energy = status["status"]
        .as_array()
        .expect("status")
        .iter()
        .find(|m| m["modelName"] == json!("Octo.Industry.Energy"))
        .cloned()
        .expect("listed");
    assert_eq!(energy["modelState"], json!("Importing"));
    run_jobs(&platform).await;
    let status = call(
        &registry,
        "get_ck_library_status",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert!(
        status["status"]
            .as_array()
            .expect("status")
            .iter()
            .all(|m| m["modelState"] == json!("Available")),
        "{status}"
    );
    assert_eq!(status["recentJobs"][0]["state"], json!("Succeeded"));
    let models = call(
        &registry,
        "get_available_models",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert!(
        models["models"]
            .as_array()
            .expect("models")
            .contains(&json!("Octo.Industry.Energy-1.0.0")),
        "{models}"
    );
    let again = call(
        &registry,
        "import_ck_from_catalog",
        json!({"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        again["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Nothing to import"),
        "{again}"
    );
}

both_backends!(a_service_managed_model_is_not_imported_and_the_result_says_what_to_use);
async fn a_service_managed_model_is_not_imported_and_the_result_says_what_to_use(
    store: Arc<dyn Store>,
) {
    let (_, registry) = setup(store).await;
    let out = call(
        &registry,
        "import_ck_from_catalog",
        json!({"catalogName": "embedded", "modelId": "System.StreamData", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true));
    assert_eq!(
        out["message"],
        json!("Enqueued 0 import job(s) for 0 model(s).")
    );
    let warning = out["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("call enable_stream_data instead"), "{out}");
}

both_backends!(import_ck_model_waits_for_the_background_worker);
async fn import_ck_model_waits_for_the_background_worker(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(Arc::clone(&platform.ck).run_worker("bg".into(), shutdown.clone()));
    let out = call(
        &registry,
        "import_ck_model",
        json!({
            "tenantId": "octosystem",
            "content": "modelId: Demo.Plant-1.0.0\ndependencies:\n  - System-[2.0,3.0)\ntypes:\n  - typeId: Pump\n    derivedFromCkTypeId: ${System}/Entity\n"
        }),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    assert_eq!(out["jobState"], json!("Succeeded"));
    assert_eq!(out["modelId"], json!("Demo.Plant-1.0.0"));
    let broken = call(
        &registry,
        "import_ck_model",
        json!({
            "tenantId": "octosystem",
            "content": "modelId: Demo.Broken-1.0.0\ndependencies:\n  - System-[2.0,3.0)\ntypes:\n  - typeId: Thing\n    derivedFromCkTypeId: ${System}/Nope\n"
        }),
    )
    .await;
    assert_eq!(broken["isSuccess"], json!(false));
    assert!(error(&broken).starts_with("Job '"), "{broken}");
    assert!(error(&broken).contains("Nope"), "{broken}");
    shutdown.cancel();
    worker.await.expect("worker stops");
}

both_backends!(import_ck_model_without_waiting_and_its_input_errors);
async fn import_ck_model_without_waiting_and_its_input_errors(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let queued = call(
        &registry,
        "import_ck_model",
        json!({
            "tenantId": "octosystem",
            "waitTimeoutMinutes": 0,
            "content": "{\"modelId\": \"Demo.Json-1.0.0\", \"dependencies\": [\"System-[2.0,3.0)\"]}"
        }),
    )
    .await;
    assert_eq!(queued["isSuccess"], json!(true), "{queued}");
    assert_eq!(queued["jobState"], json!("Queued"));
    let transfer = call(
        &registry,
        "import_ck_model",
        json!({"tenantId": "octosystem", "transferId": "abc"}),
    )
    .await;
    assert!(error(&transfer).contains("does not exist"), "{transfer}");
    let garbage = call(
        &registry,
        "import_ck_model",
        json!({"tenantId": "octosystem", "content": "modelId: [unclosed"}),
    )
    .await;
    assert_eq!(garbage["isSuccess"], json!(false));
    assert_eq!(garbage["tenantId"], json!("octosystem"));
}

both_backends!(toggles_are_idempotent_and_disabling_needs_consent);
async fn toggles_are_idempotent_and_disabling_needs_consent(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let on = call(
        &registry,
        "enable_stream_data",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(
        on["message"],
        json!("Stream Data enabled for tenant 'octosystem'."),
        "{on}"
    );
    let again = call(
        &registry,
        "enable_stream_data",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(again["changed"], json!(false));
    let refused = call(
        &registry,
        "disable_stream_data",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert!(
        error(&refused).starts_with("Refusing to disable Stream Data without confirm=true."),
        "{refused}"
    );
    let off = call(
        &registry,
        "disable_stream_data",
        json!({"tenantId": "octosystem", "confirm": true}),
    )
    .await;
    assert_eq!(
        off["message"],
        json!("Stream Data disabled for tenant 'octosystem'."),
        "{off}"
    );
    for tool in ["enable_communication", "enable_reporting", "enable_ui"] {
        let out = call(&registry, tool, json!({"tenantId": "octosystem"})).await;
        assert_eq!(out["isSuccess"], json!(true), "{tool}: {out}");
    }
}

both_backends!(dependency_and_upgrade_checks_change_nothing);
async fn dependency_and_upgrade_checks_change_nothing(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let deps = call(
        &registry,
        "check_ck_dependencies",
        json!({"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(
        deps["modelsToImport"],
        json!(["Octo.Assets-1.0.0", "Octo.Industry.Energy-1.0.0"]),
        "{deps}"
    );
    let upgrade = call(
        &registry,
        "check_ck_upgrade",
        json!({"catalogName": "embedded", "modelId": "Octo.Assets", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(upgrade["check"]["canImport"], json!(true), "{upgrade}");
    let status = platform
        .ck
        .status(&"octosystem".parse().expect("tenant"))
        .await
        .expect("status");
    assert_eq!(status.len(), 1, "only System is loaded");
    let unknown = call(
        &registry,
        "check_ck_dependencies",
        json!({"catalogName": "elsewhere", "modelId": "Octo.Assets", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        error(&unknown).starts_with("Catalog 'elsewhere' not found"),
        "{unknown}"
    );
}

both_backends!(clear_tenant_cache_names_the_tenant);
async fn clear_tenant_cache_names_the_tenant(store: Arc<dyn Store>) {
    let (_, registry) = setup(store).await;
    let out = call(
        &registry,
        "clear_tenant_cache",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(
        out["message"],
        json!("Cache cleared for tenant 'octosystem'.")
    );
    let missing = call(
        &registry,
        "clear_tenant_cache",
        json!({"tenantId": "nobody"}),
    )
    .await;
    assert!(
        error(&missing).starts_with("Tenant 'nobody' not found"),
        "{missing}"
    );
}
