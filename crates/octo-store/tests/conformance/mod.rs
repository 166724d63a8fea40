//! The storage conformance suite: every case runs against each backend
//! (`tests/sqlite.rs`, `tests/postgres.rs`) on a fresh, empty store.
//!
//! A case is a `pub async fn(Arc<dyn Store>)`; [`conformance_suite!`] stamps
//! out one `#[tokio::test]` per case for a backend's harness, so each case is
//! a separately named (and, under nextest, separately run) test.

mod auth;
mod query;
mod query_model;
mod rollup;
mod snapshot;
mod stream;
mod transfer;

pub use auth::*;
pub use query::*;
pub use query_model::query_and_aggregate_match_an_in_memory_model;
pub use rollup::*;
pub use snapshot::*;
pub use stream::*;
pub use transfer::*;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use uuid::Uuid;

use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    Association, CkModelState, CleanReport, Direction, ExclusiveEnds, ExclusiveInsert, JobState,
    RtEntity, Store, StoreError, StoredCkModel, TenantRecord, WriteOutcome,
};

/// Stamps out one multi-threaded `#[tokio::test]` per case, each calling
/// `$harness(case)`. The list below is the whole suite.
macro_rules! conformance_suite {
    ($harness:path) => {
        $crate::conformance::conformance_suite!(@cases $harness;
            ping_answers,
            tenants_are_created_read_and_listed_in_id_order,
            duplicate_tenant_is_rejected_and_unchanged,
            delete_tenant_removes_all_its_data_and_only_its_data,
            clean_tenant_removes_runtime_data_and_keeps_models_and_jobs,
            clean_missing_tenant_is_not_found,
            ck_models_are_upserted_listed_by_name_and_deleted,
            writes_into_a_missing_tenant_are_not_found,
            job_lifecycle_succeeded_and_failed,
            claim_takes_the_oldest_queued_job_of_any_tenant,
            concurrent_claimers_never_get_the_same_job,
            requeue_stale_jobs_puts_running_jobs_back,
            workers_claim_only_their_kinds_and_heartbeats_keep_jobs,
            entity_insert_get_and_duplicate,
            update_entity_increments_version_and_moves_changed_time,
            update_entity_well_known_name_leave_set_clear,
            update_entity_conflict_changes_nothing,
            update_entity_not_found,
            concurrent_updates_with_the_same_expected_version_one_wins,
            delete_entity_conflict_not_found_and_success_removes_associations,
            list_and_count_entities_filter_order_and_page,
            json_attributes_round_trip,
            timestamps_round_trip_at_microsecond_precision,
            tenants_are_isolated,
            associations_are_listed_counted_and_deleted,
            duplicate_association_is_rejected,
            exclusive_association_ends_admit_one_of_many_racing_inserts,
            association_to_missing_entity_is_not_found,
            query_filters_strings,
            query_filters_numbers,
            query_filters_booleans_and_date_times,
            query_filters_arrays_records_and_json,
            query_filters_system_attributes,
            query_combines_filters_with_and_or,
            query_rejects_invalid_keys,
            query_sorts_by_kind_and_pages,
            aggregate_scalar_and_empty_set,
            aggregate_grouped,
            aggregate_skips_values_of_another_type,
            attribute_index_is_idempotent_and_queries_still_work,
            query_and_aggregate_match_an_in_memory_model,
            transfers_are_created_read_by_id_and_completed_once,
            transfers_are_cancelled_expired_tombstoned_and_purged,
            stream_store_is_idempotent_repairable_and_tenant_checked,
            archive_writes_are_all_or_nothing_and_stats_describe_them,
            archive_retention_removes_old_samples_only,
            stream_queries_reject_what_cannot_run,
            stream_filter_trees_have_limits_and_empty_group_rules,
            stream_queries_match_an_in_memory_model,
            rollups_merge_exactly_like_raw_downsampling,
            concurrent_rollup_maintenance_never_counts_twice,
            rollups_refuse_what_cannot_run,
            runtime_batches_are_all_or_nothing,
            snapshots_are_read_in_pages_and_restored_in_one_transaction,
            mcp_sessions_are_upserted_touched_and_purged_when_idle,
            auth_tokens_are_kept_per_tenant_and_session,
            auth_token_refresh_is_leased_once_and_replaced_over_its_version,
            device_flows_are_one_per_session,
            a_device_poll_is_claimed_once,
            deleting_an_mcp_session_removes_its_login_state_only,
        );
    };
    (@cases $harness:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $harness($crate::conformance::$case).await;
            }
        )*
    };
}
pub(crate) use conformance_suite;

// --- Fixtures ----------------------------------------------------------------

fn tenant_id(id: &str) -> TenantId {
    id.parse().expect("valid tenant id")
}

/// A fixed time, for records whose time the test chooses.
fn fixed_time() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid")
}

/// `seconds` ago, at the precision the store keeps.
fn ago(seconds: i64) -> DateTime<Utc> {
    (Utc::now() - Duration::seconds(seconds)).trunc_subsecs(6)
}

fn tenant_record(id: &str) -> TenantRecord {
    TenantRecord {
        tenant_id: tenant_id(id),
        parent_tenant_id: None,
        database_name: id.to_owned(),
        created_at: fixed_time(),
    }
}

async fn create_tenant(store: &Arc<dyn Store>, id: &str) -> TenantId {
    store
        .create_tenant(&tenant_record(id))
        .await
        .expect("create tenant");
    tenant_id(id)
}

fn ck_model(tenant: &TenantId, model_id: &str) -> StoredCkModel {
    let (name, _) = model_id.rsplit_once('-').expect("versioned model id");
    StoredCkModel {
        tenant_id: tenant.clone(),
        model_name: name.to_owned(),
        model_id: model_id.parse().expect("valid model id"),
        state: CkModelState::Available,
        state_reason: None,
        service_managed: false,
        document: json!({ "modelId": model_id, "types": [{ "id": "Meter-1" }] }),
        updated_at: ago(10),
    }
}

/// A random id. Generated ObjectIds grow with time, so ordering checks
/// would pass by insertion order alone; random ones do not.
fn random_rt_id() -> OctoObjectId {
    let mut bytes = [0_u8; 12];
    bytes.copy_from_slice(&Uuid::new_v4().as_bytes()[..12]);
    OctoObjectId::from_bytes(bytes)
}

fn entity(tenant: &TenantId, ck_type_id: &str, attributes: Value) -> RtEntity {
    RtEntity {
        tenant_id: tenant.clone(),
        rt_id: random_rt_id(),
        ck_type_id: ck_type_id.to_owned(),
        rt_well_known_name: None,
        rt_version: 1,
        rt_creation_date_time: ago(120),
        rt_changed_date_time: ago(60),
        rt_state: 0,
        attributes,
    }
}

async fn insert_entity(store: &Arc<dyn Store>, tenant: &TenantId, ck_type_id: &str) -> RtEntity {
    let e = entity(tenant, ck_type_id, json!({ "name": "x" }));
    store.insert_entity(&e).await.expect("insert entity");
    e
}

fn association(role: &str, origin: &RtEntity, target: &RtEntity) -> Association {
    Association {
        tenant_id: origin.tenant_id.clone(),
        role_id: role.to_owned(),
        origin_rt_id: origin.rt_id,
        origin_ck_type_id: origin.ck_type_id.clone(),
        target_rt_id: target.rt_id,
        target_ck_type_id: target.ck_type_id.clone(),
        created_at: fixed_time(),
    }
}

fn done(outcome: WriteOutcome) -> RtEntity {
    match outcome {
        WriteOutcome::Done(entity) => entity,
        other => panic!("expected Done, got {other:?}"),
    }
}

/// One tenant with a model, two entities, an association and a job.
async fn populate(store: &Arc<dyn Store>, id: &str) -> (TenantId, RtEntity, RtEntity, Uuid) {
    let tenant = create_tenant(store, id).await;
    store
        .put_ck_model(&ck_model(&tenant, "Basic-2.0.2"))
        .await
        .expect("put model");
    let parent = insert_entity(store, &tenant, "Basic/Tree").await;
    let child = insert_entity(store, &tenant, "Basic/TreeNode").await;
    store
        .insert_association(&association("System/ParentChild", &child, &parent))
        .await
        .expect("insert association");
    let job = store
        .enqueue_job(&tenant, "rt_data", json!({ "file": "a.zip" }))
        .await
        .expect("enqueue");
    (tenant, parent, child, job.job_id)
}

// --- Cases -------------------------------------------------------------------

pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
}

pub async fn tenants_are_created_read_and_listed_in_id_order(store: Arc<dyn Store>) {
    // '-' and '_' sort differently under linguistic collations; the store
    // must sort bytewise, like Rust.
    let ids = ["meshtest", "a_b", "ab", "a-b", "a1", "zeta"];
    for id in ids {
        store
            .create_tenant(&tenant_record(id))
            .await
            .expect("create");
    }
    let mut child = tenant_record("child");
    child.parent_tenant_id = Some(tenant_id("meshtest"));
    child.database_name = "child_db".to_owned();
    store.create_tenant(&child).await.expect("create child");

    assert_eq!(
        store.get_tenant(&tenant_id("child")).await.expect("get"),
        Some(child)
    );
    assert_eq!(
        store.get_tenant(&tenant_id("meshtest")).await.expect("get"),
        Some(tenant_record("meshtest"))
    );
    assert_eq!(
        store.get_tenant(&tenant_id("missing")).await.expect("get"),
        None
    );

    let listed: Vec<String> = store
        .list_tenants()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.tenant_id.to_string())
        .collect();
    let mut expected: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    expected.push("child".to_owned());
    expected.sort();
    assert_eq!(listed, expected);
}

pub async fn duplicate_tenant_is_rejected_and_unchanged(store: Arc<dyn Store>) {
    let original = tenant_record("meshtest");
    store.create_tenant(&original).await.expect("create");
    let mut again = tenant_record("meshtest");
    again.database_name = "other".to_owned();
    let err = store.create_tenant(&again).await.expect_err("duplicate");
    assert!(
        matches!(&err, StoreError::TenantExists { tenant_id } if tenant_id.as_str() == "meshtest"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("Tenant 'meshtest' already exists"),
        "{err}"
    );
    assert_eq!(
        store.get_tenant(&original.tenant_id).await.expect("get"),
        Some(original)
    );
}

pub async fn delete_tenant_removes_all_its_data_and_only_its_data(store: Arc<dyn Store>) {
    let (gone, gone_parent, gone_child, gone_job) = populate(&store, "gone").await;
    let (kept, kept_parent, kept_child, kept_job) = populate(&store, "kept").await;

    assert!(store.delete_tenant(&gone).await.expect("delete"));

    assert_eq!(store.get_tenant(&gone).await.expect("get"), None);
    assert!(
        store
            .list_ck_models(&gone)
            .await
            .expect("models")
            .is_empty()
    );
    assert_eq!(store.count_entities(&gone, &[]).await.expect("count"), 0);
    assert_eq!(
        store
            .get_entity(&gone, &gone_parent.rt_id)
            .await
            .expect("get"),
        None
    );
    assert!(
        store
            .list_associations(&gone, &gone_child.rt_id, Direction::Outbound, None)
            .await
            .expect("associations")
            .is_empty()
    );
    assert_eq!(store.get_job(&gone, gone_job).await.expect("job"), None);
    assert!(store.list_jobs(&gone).await.expect("jobs").is_empty());

    // The other tenant is untouched.
    assert!(store.get_tenant(&kept).await.expect("get").is_some());
    assert_eq!(store.list_ck_models(&kept).await.expect("models").len(), 1);
    assert_eq!(store.count_entities(&kept, &[]).await.expect("count"), 2);
    assert!(
        store
            .get_entity(&kept, &kept_parent.rt_id)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        store
            .count_associations(
                &kept,
                &kept_child.rt_id,
                Direction::Outbound,
                "System/ParentChild"
            )
            .await
            .expect("count"),
        1
    );
    assert!(store.get_job(&kept, kept_job).await.expect("job").is_some());

    // The id is free again, and deleting twice says there was nothing.
    assert!(!store.delete_tenant(&gone).await.expect("delete again"));
    create_tenant(&store, "gone").await;
    assert_eq!(store.count_entities(&gone, &[]).await.expect("count"), 0);
}

pub async fn clean_tenant_removes_runtime_data_and_keeps_models_and_jobs(store: Arc<dyn Store>) {
    let (tenant, parent, _, job) = populate(&store, "meshtest").await;
    insert_entity(&store, &tenant, "Basic/TreeNode").await;
    let (other, other_parent, _, _) = populate(&store, "other").await;

    let report = store.clean_tenant(&tenant).await.expect("clean");
    assert_eq!(
        report,
        CleanReport {
            entities_deleted: 3,
            associations_deleted: 1,
        }
    );
    assert!(store.get_tenant(&tenant).await.expect("get").is_some());
    assert_eq!(
        store.list_ck_models(&tenant).await.expect("models").len(),
        1
    );
    assert!(store.get_job(&tenant, job).await.expect("job").is_some());
    assert_eq!(store.count_entities(&tenant, &[]).await.expect("count"), 0);
    assert_eq!(
        store.get_entity(&tenant, &parent.rt_id).await.expect("get"),
        None
    );
    assert!(
        store
            .get_entity(&other, &other_parent.rt_id)
            .await
            .expect("get")
            .is_some()
    );

    // Cleaning an empty tenant reports nothing removed.
    assert_eq!(
        store.clean_tenant(&tenant).await.expect("clean again"),
        CleanReport::default()
    );
}

pub async fn clean_missing_tenant_is_not_found(store: Arc<dyn Store>) {
    let err = store
        .clean_tenant(&tenant_id("missing"))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(err.to_string(), "Tenant 'missing' does not exist.");
}

pub async fn ck_models_are_upserted_listed_by_name_and_deleted(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    for id in ["System-2.2.2", "Basic-2.0.2", "Industry.Energy-1.0.0"] {
        store
            .put_ck_model(&ck_model(&tenant, id))
            .await
            .expect("put");
    }
    let names: Vec<String> = store
        .list_ck_models(&tenant)
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.model_name)
        .collect();
    assert_eq!(names, ["Basic", "Industry.Energy", "System"]);

    // Upsert: one loaded version per name.
    let mut newer = ck_model(&tenant, "Basic-2.1.0");
    newer.state = CkModelState::ResolveFailed;
    newer.state_reason = Some("needs System-[3.0,4.0)".to_owned());
    newer.service_managed = true;
    newer.document = json!({ "modelId": "Basic-2.1.0", "dependencies": ["System-[3.0,4.0)"] });
    store.put_ck_model(&newer).await.expect("put newer");
    assert_eq!(
        store.get_ck_model(&tenant, "Basic").await.expect("get"),
        Some(newer)
    );
    assert_eq!(store.list_ck_models(&tenant).await.expect("list").len(), 3);

    let mut importing = ck_model(&tenant, "Basic-2.1.0");
    importing.state = CkModelState::Importing;
    store.put_ck_model(&importing).await.expect("put");
    assert_eq!(
        store
            .get_ck_model(&tenant, "Basic")
            .await
            .expect("get")
            .map(|m| m.state),
        Some(CkModelState::Importing)
    );

    assert!(
        store
            .delete_ck_model(&tenant, "Basic")
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_ck_model(&tenant, "Basic")
            .await
            .expect("again")
    );
    assert_eq!(
        store.get_ck_model(&tenant, "Basic").await.expect("get"),
        None
    );
    assert_eq!(
        store.get_ck_model(&tenant, "Unknown").await.expect("get"),
        None
    );
    assert_eq!(store.list_ck_models(&tenant).await.expect("list").len(), 2);
}

pub async fn writes_into_a_missing_tenant_are_not_found(store: Arc<dyn Store>) {
    let missing = tenant_id("missing");
    let expected = "Tenant 'missing' does not exist.";

    let err = store
        .put_ck_model(&ck_model(&missing, "Basic-2.0.2"))
        .await
        .expect_err("model");
    assert_eq!(err.to_string(), expected);
    let err = store
        .insert_entity(&entity(&missing, "Basic/Tree", json!({})))
        .await
        .expect_err("entity");
    assert_eq!(err.to_string(), expected);
    let err = store
        .enqueue_job(&missing, "rt_data", json!({}))
        .await
        .expect_err("job");
    assert_eq!(err.to_string(), expected);
    assert!(store.list_tenants().await.expect("list").is_empty());
}

pub async fn job_lifecycle_succeeded_and_failed(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let before = Utc::now().trunc_subsecs(6);
    let first = store
        .enqueue_job(&tenant, "ck_model", json!({ "model": "Basic-2.0.2" }))
        .await
        .expect("enqueue");
    assert_eq!(first.state, JobState::Queued);
    assert_eq!(first.attempts, 0);
    assert_eq!(first.kind, "ck_model");
    assert!(first.created_at >= before);
    assert!(first.started_at.is_none() && first.finished_at.is_none());
    assert_eq!(
        store.get_job(&tenant, first.job_id).await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .get_job(&tenant_id("other"), first.job_id)
            .await
            .expect("get"),
        None
    );

    let claimed = store
        .claim_next_job("worker-1", &[])
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.job_id, first.job_id);
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.claimed_by.as_deref(), Some("worker-1"));
    assert!(claimed.started_at.is_some_and(|t| t >= first.created_at));
    assert_eq!(claimed.payload, first.payload);
    assert_eq!(
        store.claim_next_job("worker-2", &[]).await.expect("claim"),
        None
    );

    store
        .complete_job(first.job_id, Ok(json!({ "imported": 42 })))
        .await
        .expect("complete");
    let finished = store
        .get_job(&tenant, first.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(finished.state, JobState::Succeeded);
    assert_eq!(finished.result, Some(json!({ "imported": 42 })));
    assert_eq!(finished.error, None);
    assert!(finished.finished_at.is_some());

    // An outcome is final.
    let err = store
        .complete_job(first.job_id, Err("late".to_owned()))
        .await
        .expect_err("finished");
    assert!(
        matches!(
            err,
            StoreError::JobFinished {
                state: JobState::Succeeded,
                ..
            }
        ),
        "{err:?}"
    );
    let err = store
        .complete_job(Uuid::new_v4(), Ok(json!(null)))
        .await
        .expect_err("unknown");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    let second = store
        .enqueue_job(&tenant, "rt_data", json!([1, 2, 3]))
        .await
        .expect("enqueue");
    store.claim_next_job("worker-1", &[]).await.expect("claim");
    store
        .complete_job(second.job_id, Err("bad zip".to_owned()))
        .await
        .expect("fail");
    let failed = store
        .get_job(&tenant, second.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error.as_deref(), Some("bad zip"));
    assert_eq!(failed.result, None);

    // Newest first.
    let third = store
        .enqueue_job(&tenant, "rt_data", json!({}))
        .await
        .expect("enqueue");
    let listed: Vec<Uuid> = store
        .list_jobs(&tenant)
        .await
        .expect("list")
        .into_iter()
        .map(|j| j.job_id)
        .collect();
    assert_eq!(listed, [third.job_id, second.job_id, first.job_id]);
}

pub async fn claim_takes_the_oldest_queued_job_of_any_tenant(store: Arc<dyn Store>) {
    let a = create_tenant(&store, "alpha").await;
    let b = create_tenant(&store, "beta").await;
    let mut queued = Vec::new();
    for tenant in [&b, &a, &b] {
        queued.push(
            store
                .enqueue_job(tenant, "rt_data", json!({}))
                .await
                .expect("enqueue")
                .job_id,
        );
        // Distinct creation times, so "oldest" is well defined.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut claimed = Vec::new();
    while let Some(job) = store.claim_next_job("w", &[]).await.expect("claim") {
        claimed.push(job.job_id);
    }
    assert_eq!(claimed, queued);
}

pub async fn concurrent_claimers_never_get_the_same_job(store: Arc<dyn Store>) {
    const JOBS: usize = 24;
    const CLAIMERS: usize = 8;
    let a = create_tenant(&store, "alpha").await;
    let b = create_tenant(&store, "beta").await;
    let mut queued = HashSet::new();
    for n in 0..JOBS {
        let tenant = if n % 2 == 0 { &a } else { &b };
        let job = store
            .enqueue_job(tenant, "rt_data", json!({ "n": n }))
            .await
            .expect("enqueue");
        queued.insert(job.job_id);
    }
    let mut claimers = JoinSet::new();
    for worker in 0..CLAIMERS {
        let store = Arc::clone(&store);
        claimers.spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = store
                .claim_next_job(&format!("worker-{worker}"), &[])
                .await
                .expect("claim")
            {
                assert_eq!(job.attempts, 1, "claimed twice: {job:?}");
                mine.push(job.job_id);
            }
            mine
        });
    }
    let mut claimed = Vec::new();
    while let Some(mine) = claimers.join_next().await {
        claimed.extend(mine.expect("claimer task"));
    }
    let unique: HashSet<Uuid> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), JOBS, "some job was claimed twice or never");
    assert_eq!(unique, queued);
}

pub async fn requeue_stale_jobs_puts_running_jobs_back(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let stale = store
        .enqueue_job(&tenant, "rt_data", json!({}))
        .await
        .expect("enqueue");
    let done = store
        .enqueue_job(&tenant, "rt_data", json!({}))
        .await
        .expect("enqueue");
    store.claim_next_job("crashed", &[]).await.expect("claim");
    store.claim_next_job("fine", &[]).await.expect("claim");
    store
        .complete_job(done.job_id, Ok(json!({})))
        .await
        .expect("complete");
    let waiting = store
        .enqueue_job(&tenant, "rt_data", json!({}))
        .await
        .expect("enqueue");

    // Not old enough yet.
    assert_eq!(
        store
            .requeue_stale_jobs(Duration::hours(1), &[])
            .await
            .expect("requeue"),
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(
        store
            .requeue_stale_jobs(Duration::milliseconds(1), &[])
            .await
            .expect("requeue"),
        1
    );
    let requeued = store
        .get_job(&tenant, stale.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(requeued.state, JobState::Queued);
    assert_eq!(requeued.claimed_by, None);
    assert_eq!(requeued.started_at, None);
    assert_eq!(requeued.attempts, 1);
    // Finished and queued jobs are left alone.
    let done = store
        .get_job(&tenant, done.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(done.state, JobState::Succeeded);
    let waiting = store
        .get_job(&tenant, waiting.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(waiting.attempts, 0);

    // The requeued job is the oldest, so it is claimed next, a second time.
    let again = store
        .claim_next_job("worker-2", &[])
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(again.job_id, stale.job_id);
    assert_eq!(again.attempts, 2);
    assert_eq!(again.claimed_by.as_deref(), Some("worker-2"));
}

pub async fn workers_claim_only_their_kinds_and_heartbeats_keep_jobs(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let ck = store
        .enqueue_job(&tenant, "ck_model", json!({}))
        .await
        .expect("enqueue");
    let dump = store
        .enqueue_job(&tenant, "tenant_dump", json!({}))
        .await
        .expect("enqueue");
    // The older CK job is not this worker's kind.
    let claimed = store
        .claim_next_job("exchange", &["tenant_dump", "tenant_restore"])
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(claimed.job_id, dump.job_id);
    assert_eq!(
        store
            .claim_next_job("exchange", &["tenant_dump"])
            .await
            .expect("claim"),
        None
    );

    // A heartbeat stores the progress and keeps the job from looking stale.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert!(
        store
            .heartbeat_job(dump.job_id, "exchange", Some(json!({"done": 7})))
            .await
            .expect("heartbeat")
    );
    assert_eq!(
        store
            .requeue_stale_jobs(Duration::milliseconds(20), &["tenant_dump"])
            .await
            .expect("requeue"),
        0
    );
    let running = store
        .get_job(&tenant, dump.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(running.progress, Some(json!({"done": 7})));
    assert!(running.heartbeat_at.is_some());
    // Another worker's heartbeat does not count.
    assert!(
        !store
            .heartbeat_job(dump.job_id, "someone-else", None)
            .await
            .expect("heartbeat")
    );

    // Requeueing one kind leaves the others alone.
    let other = store
        .claim_next_job("ck-worker", &["ck_model"])
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(other.job_id, ck.job_id);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(
        store
            .requeue_stale_jobs(Duration::milliseconds(20), &["tenant_dump"])
            .await
            .expect("requeue"),
        1
    );
    let ck_job = store
        .get_job(&tenant, ck.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(ck_job.state, JobState::Running);
    let requeued = store
        .get_job(&tenant, dump.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(requeued.state, JobState::Queued);
    assert_eq!(requeued.heartbeat_at, None);
    // The worker that lost it learns so from its next heartbeat.
    assert!(
        !store
            .heartbeat_job(dump.job_id, "exchange", None)
            .await
            .expect("heartbeat")
    );
}

pub async fn entity_insert_get_and_duplicate(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let mut e = entity(
        &tenant,
        "Industry.Energy/EnergyMeter",
        json!({ "name": "Meter 1", "voltage": 230 }),
    );
    e.rt_well_known_name = Some("main-meter".to_owned());
    e.rt_state = 2;
    store.insert_entity(&e).await.expect("insert");
    assert_eq!(
        store.get_entity(&tenant, &e.rt_id).await.expect("get"),
        Some(e.clone())
    );
    assert_eq!(
        store
            .get_entity(&tenant, &random_rt_id())
            .await
            .expect("get"),
        None
    );

    let mut twin = entity(&tenant, "Basic/Tree", json!({}));
    twin.rt_id = e.rt_id;
    let err = store.insert_entity(&twin).await.expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("Entity {} in tenant 'meshtest' already exists.", e.rt_id)
    );
    assert_eq!(
        store.get_entity(&tenant, &e.rt_id).await.expect("get"),
        Some(e)
    );
}

pub async fn update_entity_increments_version_and_moves_changed_time(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let e = insert_entity(&store, &tenant, "Basic/Tree").await;

    let first = done(
        store
            .update_entity(&tenant, &e.rt_id, Some(1), json!({ "name": "y" }), None)
            .await
            .expect("update"),
    );
    assert_eq!(first.rt_version, 2);
    assert_eq!(first.attributes, json!({ "name": "y" }));
    assert!(first.rt_changed_date_time > e.rt_changed_date_time);
    assert!(first.rt_changed_date_time <= Utc::now());
    assert_eq!(first.rt_creation_date_time, e.rt_creation_date_time);
    assert_eq!(first.ck_type_id, e.ck_type_id);
    assert_eq!(
        store.get_entity(&tenant, &e.rt_id).await.expect("get"),
        Some(first.clone())
    );

    // Without an expected version the write is unconditional.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let second = done(
        store
            .update_entity(&tenant, &e.rt_id, None, json!({ "name": "z" }), None)
            .await
            .expect("update"),
    );
    assert_eq!(second.rt_version, 3);
    assert!(second.rt_changed_date_time > first.rt_changed_date_time);
    assert_eq!(
        store.get_entity(&tenant, &e.rt_id).await.expect("get"),
        Some(second)
    );
}

pub async fn update_entity_well_known_name_leave_set_clear(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let mut e = entity(&tenant, "Basic/Tree", json!({}));
    e.rt_well_known_name = Some("root".to_owned());
    store.insert_entity(&e).await.expect("insert");

    let left = done(
        store
            .update_entity(&tenant, &e.rt_id, None, json!({}), None)
            .await
            .expect("update"),
    );
    assert_eq!(left.rt_well_known_name.as_deref(), Some("root"));
    let set = done(
        store
            .update_entity(
                &tenant,
                &e.rt_id,
                None,
                json!({}),
                Some(Some("main".to_owned())),
            )
            .await
            .expect("update"),
    );
    assert_eq!(set.rt_well_known_name.as_deref(), Some("main"));
    let cleared = done(
        store
            .update_entity(&tenant, &e.rt_id, None, json!({}), Some(None))
            .await
            .expect("update"),
    );
    assert_eq!(cleared.rt_well_known_name, None);
    assert_eq!(cleared.rt_version, 4);
}

pub async fn update_entity_conflict_changes_nothing(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let e = insert_entity(&store, &tenant, "Basic/Tree").await;
    for stale in [0, 2, 7] {
        let outcome = store
            .update_entity(
                &tenant,
                &e.rt_id,
                Some(stale),
                json!({ "name": "lost" }),
                Some(Some("lost".to_owned())),
            )
            .await
            .expect("update");
        assert_eq!(outcome, WriteOutcome::Conflict(e.clone()));
    }
    assert_eq!(
        store.get_entity(&tenant, &e.rt_id).await.expect("get"),
        Some(e)
    );
}

pub async fn update_entity_not_found(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let missing = random_rt_id();
    for expected in [None, Some(1)] {
        let outcome = store
            .update_entity(&tenant, &missing, expected, json!({}), None)
            .await
            .expect("update");
        assert_eq!(outcome, WriteOutcome::NotFound);
    }
    assert_eq!(store.count_entities(&tenant, &[]).await.expect("count"), 0);
}

pub async fn concurrent_updates_with_the_same_expected_version_one_wins(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    let tenant = create_tenant(&store, "meshtest").await;
    let e = insert_entity(&store, &tenant, "Basic/Tree").await;
    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let store = Arc::clone(&store);
        let tenant = tenant.clone();
        let rt_id = e.rt_id;
        writers.spawn(async move {
            store
                .update_entity(&tenant, &rt_id, Some(1), json!({ "writer": writer }), None)
                .await
                .expect("update")
        });
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    while let Some(outcome) = writers.join_next().await {
        match outcome.expect("writer task") {
            WriteOutcome::Done(entity) => winners.push(entity),
            WriteOutcome::Conflict(current) => {
                assert!(current.rt_version >= 2, "{current:?}");
                conflicts += 1;
            }
            WriteOutcome::NotFound => panic!("entity vanished"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer must win");
    assert_eq!(conflicts, WRITERS - 1);
    let current = store
        .get_entity(&tenant, &e.rt_id)
        .await
        .expect("get")
        .expect("entity");
    assert_eq!(current.rt_version, 2);
    assert_eq!(current, winners[0]);
}

pub async fn delete_entity_conflict_not_found_and_success_removes_associations(
    store: Arc<dyn Store>,
) {
    let tenant = create_tenant(&store, "meshtest").await;
    let node = insert_entity(&store, &tenant, "Basic/TreeNode").await;
    let parent = insert_entity(&store, &tenant, "Basic/Tree").await;
    let child = insert_entity(&store, &tenant, "Basic/TreeNode").await;
    let other = insert_entity(&store, &tenant, "Basic/TreeNode").await;
    for (origin, target) in [(&node, &parent), (&child, &node), (&other, &parent)] {
        store
            .insert_association(&association("System/ParentChild", origin, target))
            .await
            .expect("associate");
    }
    let count = |rt_id: OctoObjectId, direction| {
        let store = Arc::clone(&store);
        let tenant = tenant.clone();
        async move {
            store
                .count_associations(&tenant, &rt_id, direction, "System/ParentChild")
                .await
                .expect("count")
        }
    };

    // A stale version deletes nothing, not even the associations.
    let outcome = store
        .delete_entity(&tenant, &node.rt_id, Some(3))
        .await
        .expect("delete");
    assert_eq!(outcome, WriteOutcome::Conflict(node.clone()));
    assert_eq!(count(node.rt_id, Direction::Outbound).await, 1);
    assert_eq!(count(node.rt_id, Direction::Inbound).await, 1);

    let deleted = done(
        store
            .delete_entity(&tenant, &node.rt_id, Some(1))
            .await
            .expect("delete"),
    );
    assert_eq!(deleted, node);
    assert_eq!(
        store.get_entity(&tenant, &node.rt_id).await.expect("get"),
        None
    );
    // Both directions are gone; unrelated associations stay.
    assert_eq!(count(node.rt_id, Direction::Outbound).await, 0);
    assert_eq!(count(node.rt_id, Direction::Inbound).await, 0);
    assert_eq!(count(child.rt_id, Direction::Outbound).await, 0);
    assert_eq!(count(parent.rt_id, Direction::Inbound).await, 1);
    assert_eq!(count(other.rt_id, Direction::Outbound).await, 1);

    for expected in [None, Some(1)] {
        assert_eq!(
            store
                .delete_entity(&tenant, &node.rt_id, expected)
                .await
                .expect("delete"),
            WriteOutcome::NotFound
        );
    }
    // Unconditional delete.
    assert_eq!(
        done(
            store
                .delete_entity(&tenant, &child.rt_id, None)
                .await
                .expect("delete")
        ),
        child
    );
    assert_eq!(store.count_entities(&tenant, &[]).await.expect("count"), 2);
}

pub async fn list_and_count_entities_filter_order_and_page(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let mut trees = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    let mut meters = BTreeSet::new();
    for n in 0..5 {
        trees.insert(insert_entity(&store, &tenant, "Basic/Tree").await.rt_id);
        nodes.insert(insert_entity(&store, &tenant, "Basic/TreeNode").await.rt_id);
        if n < 2 {
            meters.insert(
                insert_entity(&store, &tenant, "Industry.Energy/EnergyMeter")
                    .await
                    .rt_id,
            );
        }
    }
    let ids = |entities: Vec<RtEntity>| -> Vec<OctoObjectId> {
        entities.into_iter().map(|e| e.rt_id).collect()
    };
    let types = |names: &[&str]| -> Vec<String> { names.iter().map(|s| (*s).to_owned()).collect() };

    let all: Vec<OctoObjectId> = trees
        .iter()
        .chain(&nodes)
        .chain(&meters)
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        ids(store
            .list_entities(&tenant, &[], 100, 0)
            .await
            .expect("list")),
        all
    );
    assert_eq!(store.count_entities(&tenant, &[]).await.expect("count"), 12);
    // Later pages (the first page's statement has no OFFSET; these do).
    for (offset, expected) in [(5, &all[5..10]), (10, &all[10..])] {
        let page = store
            .list_entities(&tenant, &[], 5, offset)
            .await
            .expect("a later page");
        assert_eq!(ids(page), expected.to_vec(), "page at offset {offset}");
    }

    let only_trees = types(&["Basic/Tree"]);
    assert_eq!(
        ids(store
            .list_entities(&tenant, &only_trees, 100, 0)
            .await
            .expect("list")),
        trees.iter().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        store
            .count_entities(&tenant, &only_trees)
            .await
            .expect("count"),
        5
    );

    let two_types = types(&["Basic/TreeNode", "Industry.Energy/EnergyMeter"]);
    let expected: Vec<OctoObjectId> = nodes.union(&meters).copied().collect();
    assert_eq!(
        ids(store
            .list_entities(&tenant, &two_types, 100, 0)
            .await
            .expect("list")),
        expected
    );
    assert_eq!(
        store
            .count_entities(&tenant, &two_types)
            .await
            .expect("count"),
        7
    );

    // Paging walks the same order without gaps or repeats.
    let mut paged = Vec::new();
    for page in 0..3 {
        paged.extend(ids(store
            .list_entities(&tenant, &two_types, 3, page * 3)
            .await
            .expect("page")));
    }
    assert_eq!(paged, expected);
    assert!(
        store
            .list_entities(&tenant, &two_types, 0, 0)
            .await
            .expect("empty page")
            .is_empty()
    );
    assert!(
        store
            .list_entities(&tenant, &two_types, 10, 100)
            .await
            .expect("past the end")
            .is_empty()
    );

    let unknown = types(&["Basic/Unknown"]);
    assert!(
        store
            .list_entities(&tenant, &unknown, 10, 0)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .count_entities(&tenant, &unknown)
            .await
            .expect("count"),
        0
    );
}

pub async fn json_attributes_round_trip(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let attributes = json!({
        "name": "Zähler ⚡ 東京 👩‍🔧 e\u{301}",
        "escapes": "quote \" backslash \\ newline \n tab \t",
        "nested": { "deeper": { "deepest": [1, { "a": null }, []] }, "empty": {} },
        "array": [true, false, null, "x", 1.5, [], {}],
        "maxI64": i64::MAX,
        "minI64": i64::MIN,
        "zero": 0,
        "negative": -17,
        "pi": std::f64::consts::PI,
        "small": -2.5e-8,
        "large": 1.0e300,
        "half": 0.5,
    });
    let e = entity(&tenant, "Basic/Tree", attributes.clone());
    store.insert_entity(&e).await.expect("insert");
    let read = store
        .get_entity(&tenant, &e.rt_id)
        .await
        .expect("get")
        .expect("entity");
    assert_eq!(read.attributes, attributes);
    assert_eq!(read.attributes["maxI64"].as_i64(), Some(i64::MAX));
    assert_eq!(read.attributes["pi"].as_f64(), Some(std::f64::consts::PI));

    let changed = json!({ "list": (0..100).collect::<Vec<_>>(), "text": "ü".repeat(1000) });
    let updated = done(
        store
            .update_entity(&tenant, &e.rt_id, Some(1), changed.clone(), None)
            .await
            .expect("update"),
    );
    assert_eq!(updated.attributes, changed);
    let listed = store
        .list_entities(&tenant, &[], 10, 0)
        .await
        .expect("list");
    assert_eq!(listed[0].attributes, changed);

    // Documents and payloads go through the same JSON columns.
    let mut model = ck_model(&tenant, "Basic-2.0.2");
    model.document = attributes.clone();
    store.put_ck_model(&model).await.expect("put");
    assert_eq!(
        store
            .get_ck_model(&tenant, "Basic")
            .await
            .expect("get")
            .map(|m| m.document),
        Some(attributes.clone())
    );
    let job = store
        .enqueue_job(&tenant, "rt_data", attributes.clone())
        .await
        .expect("enqueue");
    store
        .complete_job(job.job_id, Ok(attributes.clone()))
        .await
        .expect("complete");
    let job = store
        .get_job(&tenant, job.job_id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!(job.payload, attributes);
    assert_eq!(job.result, Some(attributes));
}

pub async fn timestamps_round_trip_at_microsecond_precision(store: Arc<dyn Store>) {
    let precise = DateTime::parse_from_rfc3339("2024-02-29T23:59:59.123456789Z")
        .expect("valid")
        .with_timezone(&Utc);
    let micros = precise.trunc_subsecs(6);
    let mut record = tenant_record("meshtest");
    record.created_at = precise;
    store.create_tenant(&record).await.expect("create");
    let read = store
        .get_tenant(&record.tenant_id)
        .await
        .expect("get")
        .expect("tenant");
    assert_eq!(read.created_at, micros);

    let mut e = entity(&record.tenant_id, "Basic/Tree", json!({}));
    e.rt_creation_date_time = precise;
    e.rt_changed_date_time = precise.trunc_subsecs(0);
    store.insert_entity(&e).await.expect("insert");
    let read = store
        .get_entity(&record.tenant_id, &e.rt_id)
        .await
        .expect("get")
        .expect("entity");
    assert_eq!(read.rt_creation_date_time, micros);
    assert_eq!(read.rt_changed_date_time, precise.trunc_subsecs(0));
}

pub async fn tenants_are_isolated(store: Arc<dyn Store>) {
    let a = create_tenant(&store, "alpha").await;
    let b = create_tenant(&store, "beta").await;
    // The same rt_ids in both tenants are independent entities.
    let ea = entity(&a, "Basic/Tree", json!({ "tenant": "alpha" }));
    let mut eb = entity(&b, "Basic/TreeNode", json!({ "tenant": "beta" }));
    eb.rt_id = ea.rt_id;
    store.insert_entity(&ea).await.expect("insert a");
    store.insert_entity(&eb).await.expect("insert b");
    let child_a = insert_entity(&store, &a, "Basic/TreeNode").await;
    let mut child_b = entity(&b, "Basic/TreeNode", json!({}));
    child_b.rt_id = child_a.rt_id;
    store.insert_entity(&child_b).await.expect("insert child b");
    store
        .insert_association(&association("System/ParentChild", &child_a, &ea))
        .await
        .expect("associate a");

    assert_eq!(
        store.get_entity(&b, &ea.rt_id).await.expect("get"),
        Some(eb.clone())
    );
    let updated = done(
        store
            .update_entity(&a, &ea.rt_id, Some(1), json!({ "changed": true }), None)
            .await
            .expect("update"),
    );
    assert_eq!(updated.rt_version, 2);
    assert_eq!(
        store.get_entity(&b, &ea.rt_id).await.expect("get"),
        Some(eb.clone())
    );
    assert_eq!(
        store.count_entities(&b, &[]).await.expect("count"),
        2,
        "beta has its own two entities"
    );
    assert!(
        store
            .list_associations(&b, &child_b.rt_id, Direction::Outbound, None)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        !store
            .delete_association(&b, "System/ParentChild", &child_a.rt_id, &ea.rt_id)
            .await
            .expect("delete")
    );

    assert_eq!(
        done(
            store
                .delete_entity(&b, &eb.rt_id, Some(1))
                .await
                .expect("delete")
        ),
        eb
    );
    assert_eq!(
        store.get_entity(&a, &ea.rt_id).await.expect("get"),
        Some(updated)
    );
    assert_eq!(
        store
            .count_associations(&a, &ea.rt_id, Direction::Inbound, "System/ParentChild")
            .await
            .expect("count"),
        1
    );

    let job = store
        .enqueue_job(&a, "rt_data", json!({}))
        .await
        .expect("enqueue");
    assert_eq!(store.get_job(&b, job.job_id).await.expect("get"), None);
    assert!(store.list_jobs(&b).await.expect("list").is_empty());
    store
        .put_ck_model(&ck_model(&a, "Basic-2.0.2"))
        .await
        .expect("put");
    assert!(store.list_ck_models(&b).await.expect("list").is_empty());
    assert_eq!(store.get_ck_model(&b, "Basic").await.expect("get"), None);
}

pub async fn associations_are_listed_counted_and_deleted(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let hub = insert_entity(&store, &tenant, "Basic/Tree").await;
    let mut spokes = Vec::new();
    for _ in 0..3 {
        spokes.push(insert_entity(&store, &tenant, "Basic/TreeNode").await);
    }
    let meter = insert_entity(&store, &tenant, "Industry.Energy/EnergyMeter").await;
    // Three children point at the hub; the hub points at the meter.
    for spoke in &spokes {
        store
            .insert_association(&association("System/ParentChild", spoke, &hub))
            .await
            .expect("associate");
    }
    let supplies = association("Industry.Energy/Supplies", &hub, &meter);
    store
        .insert_association(&supplies)
        .await
        .expect("associate");
    let related = association("Basic/RelatedTo", &hub, &spokes[0]);
    store.insert_association(&related).await.expect("associate");

    let inbound = store
        .list_associations(&tenant, &hub.rt_id, Direction::Inbound, None)
        .await
        .expect("inbound");
    // Ordered by role, then origin; every field as written.
    let mut expected_inbound: Vec<Association> = spokes
        .iter()
        .map(|spoke| association("System/ParentChild", spoke, &hub))
        .collect();
    expected_inbound.sort_by_key(|a| a.origin_rt_id);
    assert_eq!(inbound, expected_inbound);

    // Outbound, ordered by role.
    let outbound = store
        .list_associations(&tenant, &hub.rt_id, Direction::Outbound, None)
        .await
        .expect("outbound");
    assert_eq!(outbound, [related.clone(), supplies.clone()]);
    let only_supplies = store
        .list_associations(
            &tenant,
            &hub.rt_id,
            Direction::Outbound,
            Some("Industry.Energy/Supplies"),
        )
        .await
        .expect("outbound by role");
    assert_eq!(only_supplies, [supplies]);
    assert!(
        store
            .list_associations(
                &tenant,
                &hub.rt_id,
                Direction::Inbound,
                Some("Industry.Energy/Supplies")
            )
            .await
            .expect("inbound by role")
            .is_empty()
    );

    let count = |rt_id: OctoObjectId, direction, role: &'static str| {
        let store = Arc::clone(&store);
        let tenant = tenant.clone();
        async move {
            store
                .count_associations(&tenant, &rt_id, direction, role)
                .await
                .expect("count")
        }
    };
    assert_eq!(
        count(hub.rt_id, Direction::Inbound, "System/ParentChild").await,
        3
    );
    assert_eq!(
        count(hub.rt_id, Direction::Outbound, "System/ParentChild").await,
        0
    );
    assert_eq!(
        count(spokes[1].rt_id, Direction::Outbound, "System/ParentChild").await,
        1
    );
    assert_eq!(
        count(meter.rt_id, Direction::Inbound, "Industry.Energy/Supplies").await,
        1
    );

    assert!(
        store
            .delete_association(&tenant, "System/ParentChild", &spokes[1].rt_id, &hub.rt_id)
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_association(&tenant, "System/ParentChild", &spokes[1].rt_id, &hub.rt_id)
            .await
            .expect("delete again")
    );
    // Same ends, other role: not the one deleted.
    assert!(
        !store
            .delete_association(&tenant, "Basic/RelatedTo", &spokes[0].rt_id, &hub.rt_id)
            .await
            .expect("delete reversed")
    );
    assert_eq!(
        count(hub.rt_id, Direction::Inbound, "System/ParentChild").await,
        2
    );
    // Deleting an association leaves its entities.
    assert!(
        store
            .get_entity(&tenant, &spokes[1].rt_id)
            .await
            .expect("get")
            .is_some()
    );
}

pub async fn duplicate_association_is_rejected(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let a = insert_entity(&store, &tenant, "Basic/Tree").await;
    let b = insert_entity(&store, &tenant, "Basic/TreeNode").await;
    let link = association("System/ParentChild", &b, &a);
    store.insert_association(&link).await.expect("associate");
    let err = store
        .insert_association(&link)
        .await
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "Association 'System/ParentChild' from {} to {} in tenant 'meshtest' already exists.",
            b.rt_id, a.rt_id
        )
    );
    // Another role, or the reverse direction, is a different association.
    store
        .insert_association(&association("Basic/RelatedTo", &b, &a))
        .await
        .expect("other role");
    store
        .insert_association(&association("System/ParentChild", &a, &b))
        .await
        .expect("reverse");
}

/// A multiplicity of one on an end holds under concurrency: of 16 parents racing to adopt the
/// same child (target exclusive), exactly one wins; of 16 children racing to become the one
/// target of the same origin (origin exclusive), exactly one wins.
/// Waits for spawned tasks (they run in parallel on the multi-threaded runtime).
async fn join_all<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut outcomes = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.expect("task"));
    }
    outcomes
}

pub async fn exclusive_association_ends_admit_one_of_many_racing_inserts(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let child = insert_entity(&store, &tenant, "Basic/TreeNode").await;
    let mut parents = Vec::new();
    for _ in 0..16 {
        parents.push(insert_entity(&store, &tenant, "Basic/Tree").await);
    }
    let target_exclusive = ExclusiveEnds {
        origin: false,
        target: true,
    };
    let races = parents.iter().map(|parent| {
        let store = Arc::clone(&store);
        let link = association("System/ParentChild", parent, &child);
        tokio::spawn(async move {
            store
                .insert_exclusive_association(&link, target_exclusive)
                .await
                .expect("insert")
        })
    });
    let outcomes = join_all(races.collect()).await;
    let winners = outcomes
        .iter()
        .filter(|outcome| **outcome == ExclusiveInsert::Inserted)
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, ExclusiveInsert::Inserted | ExclusiveInsert::TargetTaken))
    );
    assert_eq!(
        store
            .count_associations(
                &tenant,
                &child.rt_id,
                Direction::Inbound,
                "System/ParentChild"
            )
            .await
            .expect("count"),
        1
    );

    let origin = &parents[0];
    let mut targets = Vec::new();
    for _ in 0..16 {
        targets.push(insert_entity(&store, &tenant, "Basic/TreeNode").await);
    }
    let origin_exclusive = ExclusiveEnds {
        origin: true,
        target: false,
    };
    let races = targets.iter().map(|target| {
        let store = Arc::clone(&store);
        let link = association("Basic/RelatedTo", origin, target);
        tokio::spawn(async move {
            store
                .insert_exclusive_association(&link, origin_exclusive)
                .await
                .expect("insert")
        })
    });
    let outcomes = join_all(races.collect()).await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|outcome| **outcome == ExclusiveInsert::Inserted)
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        store
            .count_associations(
                &tenant,
                &origin.rt_id,
                Direction::Outbound,
                "Basic/RelatedTo"
            )
            .await
            .expect("count"),
        1
    );
    // A duplicate is still reported as one, not as a taken end.
    let err = store
        .insert_exclusive_association(
            &association("System/ParentChild", &parents[1], &targets[0]),
            ExclusiveEnds::default(),
        )
        .await;
    assert_eq!(err.expect("free ends"), ExclusiveInsert::Inserted);
}

pub async fn association_to_missing_entity_is_not_found(store: Arc<dyn Store>) {
    let tenant = create_tenant(&store, "meshtest").await;
    let present = insert_entity(&store, &tenant, "Basic/Tree").await;
    let absent = entity(&tenant, "Basic/TreeNode", json!({}));

    let err = store
        .insert_association(&association("System/ParentChild", &absent, &present))
        .await
        .expect_err("missing origin");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "Entity {} in tenant 'meshtest' (the origin of association 'System/ParentChild') does not exist.",
            absent.rt_id
        )
    );
    let err = store
        .insert_association(&association("System/ParentChild", &present, &absent))
        .await
        .expect_err("missing target");
    assert!(err.to_string().contains("(the target of"), "{err}");

    let mut elsewhere = association("System/ParentChild", &present, &present);
    elsewhere.tenant_id = tenant_id("missing");
    let err = store
        .insert_association(&elsewhere)
        .await
        .expect_err("missing tenant");
    assert_eq!(err.to_string(), "Tenant 'missing' does not exist.");
}
