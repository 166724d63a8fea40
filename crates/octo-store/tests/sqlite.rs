//! The conformance suite on SQLite (a fresh temp file per test, plus cases on
//! `sqlite::memory:`), and what is particular to SQLite: files and folders
//! are created, pragmas, reopening and re-running migrations.

mod conformance;

use std::future::Future;
use std::sync::Arc;

use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    Backend, EntityQuery, FieldFilter, FilterExpr, FilterOperator, PathRef, SqliteStore, Store,
    StoreError, TenantRecord, ValueKind,
};

/// Runs `case` on a store in a new temporary folder, removed afterwards
/// (also when the case panics).
async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("octomesh.db").display());
    let store = octo_store::open(&url).await.expect("open SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    case(store).await;
}

/// Runs `case` on an in-memory store.
async fn run_in_memory<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = octo_store::open("sqlite::memory:")
        .await
        .expect("open in-memory store");
    case(store).await;
}

conformance::conformance_suite!(run);

mod in_memory {
    //! A few cases on `sqlite::memory:`, including the concurrent ones (the
    //! in-memory pool has a single connection).
    use super::{conformance, run_in_memory};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delete_tenant_removes_all_its_data_and_only_its_data() {
        run_in_memory(conformance::delete_tenant_removes_all_its_data_and_only_its_data).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claimers_never_get_the_same_job() {
        run_in_memory(conformance::concurrent_claimers_never_get_the_same_job).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_updates_with_the_same_expected_version_one_wins() {
        run_in_memory(conformance::concurrent_updates_with_the_same_expected_version_one_wins)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn json_attributes_round_trip() {
        run_in_memory(conformance::json_attributes_round_trip).await;
    }
}

fn tenant(id: &str) -> TenantRecord {
    TenantRecord {
        tenant_id: id.parse().expect("valid"),
        parent_tenant_id: None,
        database_name: id.to_owned(),
        created_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn reopening_a_file_keeps_the_data_and_migrations_are_a_noop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("octomesh.db").display());

    let first = SqliteStore::open(&url).await.expect("open");
    first
        .create_tenant(&tenant("meshtest"))
        .await
        .expect("create");
    let migrations = |store: &SqliteStore| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT version, installed_on FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(&pool)
            .await
            .expect("migrations")
        }
    };
    let applied = migrations(&first).await;
    assert!(!applied.is_empty());
    first.close().await;

    let second = SqliteStore::open(&url).await.expect("reopen");
    assert_eq!(migrations(&second).await, applied, "nothing re-applied");
    let tenants = second.list_tenants().await.expect("list");
    assert_eq!(tenants.len(), 1);
    assert_eq!(tenants[0].tenant_id.as_str(), "meshtest");
}

#[tokio::test]
async fn open_creates_missing_folders_and_sets_the_pragmas() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a").join("b").join("octomesh.db");
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    assert!(path.is_file());
    assert_eq!(store.location(), path.display().to_string());

    let pragma = |name: &'static str| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>(&format!(
                "SELECT CAST(\"{name}\" AS TEXT) FROM pragma_{name}"
            ))
            .fetch_one(&pool)
            .await
            .expect("pragma")
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    let busy: i64 = sqlx::query_scalar("SELECT * FROM pragma_busy_timeout")
        .fetch_one(store.pool())
        .await
        .expect("busy timeout");
    assert_eq!(busy, 5000);
}

#[tokio::test]
async fn a_file_that_cannot_be_created_is_unavailable() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The "folder" is a file, so neither it nor the database can be created.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"not a folder").expect("write");
    let path = blocker.join("octomesh.db");
    let err = octo_store::open(&format!("sqlite://{}", path.display()))
        .await
        .err()
        .expect("unavailable");
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "The SQLite database {} cannot be opened (",
            path.display()
        )),
        "{msg}"
    );
    assert!(msg.contains("OCTO_DATABASE_URL"), "{msg}");
}

#[tokio::test]
async fn other_schemes_are_rejected() {
    let err = octo_store::open("mysql://root:hunter2@localhost/octo")
        .await
        .err()
        .expect("invalid");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err:?}");
    assert!(msg.contains("mysql://root:***@localhost/octo"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn a_stored_value_that_does_not_parse_is_corrupt() {
    let store = SqliteStore::open("sqlite::memory:").await.expect("open");
    store
        .create_tenant(&tenant("meshtest"))
        .await
        .expect("create");
    let rt_id = OctoObjectId::new();
    let insert = |rt_id: String, attributes: &'static str| {
        let pool = store.pool().clone();
        async move {
            sqlx::query(
                "INSERT INTO entities (tenant_id, rt_id, ck_type_id, rt_version, \
                 rt_creation_date_time, rt_changed_date_time, rt_state, attributes) \
                 VALUES ('meshtest', $1, 'Basic/Tree', 1, '2024-01-01T00:00:00.000000Z', \
                 '2024-01-01T00:00:00.000000Z', 0, $2)",
            )
            .bind(rt_id)
            .bind(attributes)
            .execute(&pool)
            .await
            .expect("raw insert")
        }
    };
    insert("not-an-object-id".to_owned(), "{}").await;
    let tenant: TenantId = "meshtest".parse().expect("valid");
    let err = store
        .list_entities(&tenant, &[], 10, 0)
        .await
        .expect_err("corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "Stored data is corrupt: column rt_id = 'not-an-object-id' in table entities \
             (tenant 'meshtest') (Invalid OctoObjectId"
        ),
        "{msg}"
    );

    insert(rt_id.to_string(), "{not json").await;
    let err = store
        .get_entity(&tenant, &rt_id)
        .await
        .expect_err("corrupt");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains(&rt_id.to_string()), "{err}");
}

#[tokio::test]
async fn attribute_indexes_are_used_for_equality_filters() {
    let store = SqliteStore::open("sqlite::memory:").await.expect("open");
    store
        .create_tenant(&tenant("meshtest"))
        .await
        .expect("create");
    let tenant: TenantId = "meshtest".parse().expect("valid");
    // Rows of two types, so that the planner has something to choose by.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO entities (tenant_id, rt_id, ck_type_id, rt_version, \
         rt_creation_date_time, rt_changed_date_time, rt_state, attributes) \
         SELECT 'meshtest', printf('%024x', i), CASE i % 2 WHEN 0 THEN 'M/A' ELSE 'M/B' END, \
         1, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z', 0, \
         json_object('Power', i, 'NamePlate', json_object('ManufacturerName', 'maker' || i)) \
         FROM n",
    )
    .execute(store.pool())
    .await
    .expect("bulk insert");
    let maker = PathRef::attribute(["NamePlate", "ManufacturerName"], ValueKind::String);
    let power = PathRef::attribute(["Power"], ValueKind::Integer);
    let query = |field: &PathRef, value: serde_json::Value| EntityQuery {
        ck_type_ids: vec!["M/A".to_owned(), "M/B".to_owned()],
        filter: Some(FilterExpr::Field(FieldFilter {
            field: field.clone(),
            operator: FilterOperator::Equals,
            value: Some(value),
            second_value: None,
        })),
        sort: vec![],
        limit: 10,
        offset: 0,
    };
    let by_maker = query(&maker, serde_json::json!("ACME"));
    let by_power = query(&power, serde_json::json!(2001));
    let before = store
        .explain_query_entities(&tenant, &by_maker)
        .await
        .expect("explain")
        .join("\n");
    assert!(!before.contains("entities_attr_"), "{before}");

    for _ in 0..2 {
        store
            .ensure_attribute_index(&tenant, "M/A", std::slice::from_ref(&maker))
            .await
            .expect("index");
        store
            .ensure_attribute_index(&tenant, "M/A", std::slice::from_ref(&power))
            .await
            .expect("index");
    }
    for q in [&by_maker, &by_power] {
        let plan = store
            .explain_query_entities(&tenant, q)
            .await
            .expect("explain")
            .join("\n");
        assert!(plan.contains("USING INDEX entities_attr_"), "{plan}");
    }
    let indexes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'entities_attr_%'",
    )
    .fetch_one(store.pool())
    .await
    .expect("count indexes");
    assert_eq!(indexes, 2);
    // Writes still work with the expression indexes in place, also for
    // values of the wrong type.
    store
        .insert_entity(&octo_store::RtEntity {
            tenant_id: tenant.clone(),
            rt_id: OctoObjectId::new(),
            ck_type_id: "M/A".to_owned(),
            rt_well_known_name: None,
            rt_version: 1,
            rt_creation_date_time: chrono::Utc::now(),
            rt_changed_date_time: chrono::Utc::now(),
            rt_state: 0,
            attributes: serde_json::json!({ "Power": "lots", "NamePlate": { "ManufacturerName": "ACME" } }),
        })
        .await
        .expect("insert");
    let page = store
        .query_entities(&tenant, &by_maker)
        .await
        .expect("query");
    assert_eq!(page.total_count, 1);
    assert_eq!(
        store
            .query_entities(&tenant, &by_power)
            .await
            .expect("query")
            .total_count,
        0
    );
}
