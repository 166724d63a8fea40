//! The tenant CK library against a real (in-memory SQLite) store.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use octo_ck::source::load_document;
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{CkModelState, JobState, RtEntity, TenantRecord};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{CkService, CkServiceError, Feature};

async fn service() -> (Arc<CkService>, TenantId) {
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    let tenant: TenantId = "plant7".parse().expect("tenant id");
    store
        .create_tenant(&TenantRecord {
            tenant_id: tenant.clone(),
            parent_tenant_id: None,
            database_name: "plant7".into(),
            created_at: Utc::now(),
        })
        .await
        .expect("tenant");
    let service = Arc::new(CkService::new(store, Vec::new()));
    service.prepare_tenant(&tenant).await.expect("prepared");
    (service, tenant)
}

async fn drain(service: &CkService) -> usize {
    let mut ran = 0;
    while service.run_next_job("test-worker").await.expect("job runs") {
        ran += 1;
    }
    ran
}

fn state_of(status: &[crate::ModelStatus], name: &str) -> Option<CkModelState> {
    status
        .iter()
        .find(|m| m.model_name == name)
        .map(|m| m.model_state)
}

const PUMPS_V1: &str = "modelId: Test.Pumps-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: FlowRate
    valueType: Double
  - id: Speed
    valueType: Int
types:
  - typeId: Pump
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/FlowRate
        name: FlowRate
      - id: ${this}/Speed
        name: Speed
";

const PUMPS_V2_BREAKING: &str = "modelId: Test.Pumps-2.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: FlowRate
    valueType: Double
types:
  - typeId: Pump
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/FlowRate
        name: FlowRate
";

#[tokio::test]
async fn a_new_tenant_has_the_system_model() {
    let (service, tenant) = service().await;
    let library = service.library(&tenant).await.expect("library");
    assert!(library.get_type("System/Entity").is_ok());
    let status = service.status(&tenant).await.expect("status");
    assert_eq!(state_of(&status, "System"), Some(CkModelState::Available));
}

#[tokio::test]
async fn catalog_import_enqueues_dependencies_first_and_the_worker_loads_them() {
    let (service, tenant) = service().await;
    let plan = service
        .import_from_catalog(&tenant, "embedded", "Octo.Industry.Energy")
        .await
        .expect("plan");
    assert_eq!(
        plan.models_to_import,
        ["Octo.Assets-1.0.0", "Octo.Industry.Energy-1.0.0"]
    );
    assert_eq!(plan.job_ids.len(), 2);
    let status = service.status(&tenant).await.expect("status");
    assert_eq!(
        state_of(&status, "Octo.Industry.Energy"),
        Some(CkModelState::Importing)
    );
    assert_eq!(drain(&service).await, 2);
    let status = service.status(&tenant).await.expect("status");
    assert_eq!(
        state_of(&status, "Octo.Industry.Energy"),
        Some(CkModelState::Available)
    );
    let library = service.library(&tenant).await.expect("library");
    assert!(library.get_type("Octo.Industry.Energy/EnergyMeter").is_ok());
    let models = service.available_models(&tenant).await.expect("models");
    assert!(models.contains(&"Octo.Assets-1.0.0".to_owned()));
    // Importing again has nothing to do.
    let again = service
        .import_from_catalog(&tenant, "embedded", "Octo.Industry.Energy")
        .await
        .expect("plan");
    assert!(again.job_ids.is_empty());
}

#[tokio::test]
async fn service_managed_models_are_never_enqueued() {
    let (service, tenant) = service().await;
    let plan = service
        .import_from_catalog(&tenant, "embedded", "System.StreamData")
        .await
        .expect("plan");
    assert!(plan.job_ids.is_empty());
    assert_eq!(plan.service_managed, ["System.StreamData-1.0.0"]);
}

#[tokio::test]
async fn features_enable_idempotently_and_disable() {
    let (service, tenant) = service().await;
    let (model, changed) = service
        .enable(&tenant, Feature::StreamData)
        .await
        .expect("enable");
    assert_eq!(model, "System.StreamData-1.0.0");
    assert!(changed);
    let (_, changed) = service
        .enable(&tenant, Feature::StreamData)
        .await
        .expect("again");
    assert!(!changed);
    assert!(
        service
            .disable(&tenant, Feature::StreamData)
            .await
            .expect("disable")
    );
    assert!(
        !service
            .disable(&tenant, Feature::StreamData)
            .await
            .expect("already off")
    );
}

#[tokio::test]
async fn an_invalid_model_fails_its_job_and_shows_resolve_failed() {
    let (service, tenant) = service().await;
    let broken = load_document(
        "modelId: Test.Broken-1.0.0
dependencies:
  - System-[2.0,3.0)
types:
  - typeId: Thing
    derivedFromCkTypeId: ${System}/NoSuchType
",
        "broken.yaml",
    )
    .expect("syntax is fine");
    let job = service.enqueue(&tenant, broken).await.expect("enqueued");
    drain(&service).await;
    let job = service
        .wait_for_job(&tenant, job.job_id, Duration::from_secs(1))
        .await
        .expect("job");
    assert_eq!(job.state, JobState::Failed);
    assert!(job.error.unwrap_or_default().contains("NoSuchType"));
    let status = service.status(&tenant).await.expect("status");
    let broken = status
        .iter()
        .find(|m| m.model_name == "Test.Broken")
        .expect("listed");
    assert_eq!(broken.model_state, CkModelState::ResolveFailed);
    assert!(
        broken
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("NoSuchType")
    );
}

#[tokio::test]
async fn a_breaking_upgrade_is_refused_while_data_exists() {
    let (service, tenant) = service().await;
    let v1 = load_document(PUMPS_V1, "v1.yaml").expect("v1");
    service.enqueue(&tenant, v1).await.expect("enqueued");
    drain(&service).await;
    let now = Utc::now();
    service
        .store()
        .insert_entity(&RtEntity {
            tenant_id: tenant.clone(),
            rt_id: OctoObjectId::new(),
            ck_type_id: "Test.Pumps/Pump".into(),
            rt_well_known_name: None,
            rt_version: 1,
            rt_creation_date_time: now,
            rt_changed_date_time: now,
            rt_state: 0,
            attributes: json!({"Speed": 1200}),
        })
        .await
        .expect("entity");
    let v2 = load_document(PUMPS_V2_BREAKING, "v2.yaml").expect("v2");
    let job = service.enqueue(&tenant, v2).await.expect("enqueued");
    drain(&service).await;
    let job = service
        .wait_for_job(&tenant, job.job_id, Duration::from_secs(1))
        .await
        .expect("job");
    assert_eq!(job.state, JobState::Failed);
    let error = job.error.unwrap_or_default();
    assert!(
        error.starts_with("Refusing to replace 'Test.Pumps-1.0.0'"),
        "{error}"
    );
    assert!(error.contains("1 entities of 'Test.Pumps/Pump'"), "{error}");
    // The loaded version stays.
    let models = service.available_models(&tenant).await.expect("models");
    assert!(models.contains(&"Test.Pumps-1.0.0".to_owned()));
}

#[tokio::test]
async fn a_breaking_upgrade_without_data_goes_through_with_a_warning() {
    let (service, tenant) = service().await;
    service
        .enqueue(&tenant, load_document(PUMPS_V1, "v1.yaml").expect("v1"))
        .await
        .expect("enqueued");
    drain(&service).await;
    let job = service
        .enqueue(
            &tenant,
            load_document(PUMPS_V2_BREAKING, "v2.yaml").expect("v2"),
        )
        .await
        .expect("enqueued");
    drain(&service).await;
    let job = service
        .wait_for_job(&tenant, job.job_id, Duration::from_secs(1))
        .await
        .expect("job");
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let result = job.result.unwrap_or_default();
    assert_eq!(result["replaced"], json!("Test.Pumps-1.0.0"));
    assert!(!result["warnings"].as_array().is_none_or(Vec::is_empty));
}

#[tokio::test]
async fn the_background_worker_finishes_jobs_that_callers_wait_for() {
    let (service, tenant) = service().await;
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(Arc::clone(&service).run_worker("bg".into(), shutdown.clone()));
    let plan = service
        .import_from_catalog(&tenant, "embedded", "Octo.Assets")
        .await
        .expect("plan");
    let job = service
        .wait_for_job(&tenant, plan.job_ids[0], Duration::from_secs(10))
        .await
        .expect("job");
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    shutdown.cancel();
    worker.await.expect("worker stops");
}

#[tokio::test]
async fn check_upgrade_reports_breaking_changes_and_affected_data() {
    let (service, tenant) = service().await;
    let check = service
        .check_upgrade(&tenant, "embedded", "Octo.Assets")
        .await
        .expect("check");
    assert!(check.loaded_model_id.is_none());
    assert!(check.can_import);
}

#[tokio::test]
async fn an_unknown_catalog_lists_the_known_ones() {
    let (service, tenant) = service().await;
    let error = service
        .import_from_catalog(&tenant, "nope", "Octo.Assets")
        .await
        .expect_err("unknown catalog");
    assert!(matches!(error, CkServiceError::UnknownCatalog { .. }));
    assert!(error.to_string().contains("'embedded'"), "{error}");
}
