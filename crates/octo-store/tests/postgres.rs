//! The conformance suite on PostgreSQL, and what is particular to it:
//! unreachable servers, password redaction, re-running migrations.
//!
//! Each test creates a fresh database `octo_test_<random>` on the server at
//! `OCTO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and drops it afterwards, also when the test fails. If the server is not
//! reachable the tests fail (they never skip) and say how to start it.

mod conformance;

use std::future::Future;
use std::sync::Arc;

use sqlx::{Connection, Executor, PgConnection};

use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    Backend, EntityQuery, FieldFilter, FilterExpr, FilterOperator, PathRef, PostgresStore, Store,
    StoreError, TenantRecord, ValueKind,
};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("OCTO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let authority_end = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &head[..authority_end])
}

/// A fresh database on the test server, dropped by [`TestDatabase::drop_now`].
struct TestDatabase {
    admin: PgConnection,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> Self {
        Self::create_on(admin_url()).await
    }

    /// Panics, saying how to start PostgreSQL, if `admin_url` is unreachable.
    async fn create_on(admin_url: String) -> Self {
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "PostgreSQL at {} is not reachable ({err}). Start it with \
                 `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or set \
                 OCTO_TEST_POSTGRES_URL to a reachable server (default {DEFAULT_ADMIN_URL}).",
                    octo_store::url::redact(&admin_url)
                )
            });
        let name = format!("octo_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let url = with_database(&admin_url, &name);
        Self { admin, name, url }
    }

    async fn drop_now(mut self) {
        self.admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await
            .expect("drop test database");
        self.admin.close().await.ok();
    }
}

/// Runs `case` on a store in a fresh database. The case runs in its own task
/// so that a failing assertion still lets the database be dropped; then the
/// failure is resumed.
async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_in(TestDatabase::create().await, case).await;
}

async fn run_in<F, Fut>(db: TestDatabase, case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let store = octo_store::open(&url).await.expect("open PostgreSQL store");
        assert_eq!(store.backend(), Backend::Postgres);
        case(store).await;
    })
    .await;
    db.drop_now().await;
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("test task failed: {err}"),
        }
    }
}

conformance::conformance_suite!(run);

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
        "postgresql://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

#[tokio::test]
async fn the_harness_drops_the_database_when_a_case_fails() {
    let db = TestDatabase::create().await;
    let name = db.name.clone();
    let failed = tokio::spawn(run_in(db, |_store| async { panic!("case failed") })).await;
    let panic = failed
        .expect_err("the case's panic is resumed")
        .into_panic();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"case failed"));

    let mut admin = PgConnection::connect(&admin_url()).await.expect("connect");
    let left: Option<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&mut admin)
            .await
            .expect("query");
    assert_eq!(left, None, "database {name} was not dropped");
}

#[tokio::test]
async fn the_harness_fails_with_how_to_start_postgres_when_unreachable() {
    let failed = tokio::spawn(TestDatabase::create_on(
        "postgres://postgres:hunter2@127.0.0.1:1/postgres".to_owned(),
    ))
    .await;
    let panic = failed.err().expect("unreachable").into_panic();
    let msg = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        msg.starts_with(
            "PostgreSQL at postgres://postgres:***@127.0.0.1:1/postgres is not reachable"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("pg_ctlcluster --skip-systemctl-redirect 15 main start"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn unreachable_server_says_how_to_start_it_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let err = octo_store::open("postgres://octo:hunter2@127.0.0.1:1/octo")
        .await
        .err()
        .expect("unreachable");
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("PostgreSQL at 127.0.0.1:1 is not reachable ("),
        "{msg}"
    );
    assert!(
        msg.ends_with(
            "Start it (e.g. `pg_ctlcluster 15 main start`) or set OCTO_DATABASE_URL to a \
             reachable server."
        ),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn missing_database_is_reported_with_its_name() {
    let url = with_database(&admin_url(), "octo_test_does_not_exist");
    let err = PostgresStore::connect(&url).await.err().expect("missing");
    assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    assert!(
        err.to_string().contains("octo_test_does_not_exist"),
        "{err}"
    );
}

#[tokio::test]
async fn reconnecting_keeps_the_data_and_migrations_are_a_noop() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let migrations = |store: &PostgresStore| {
            let pool = store.pool().clone();
            async move {
                sqlx::query_as::<_, (i64, String)>(
                    "SELECT version, installed_on::text FROM _sqlx_migrations ORDER BY version",
                )
                .fetch_all(&pool)
                .await
                .expect("migrations")
            }
        };
        let first = PostgresStore::connect(&url).await.expect("connect");
        assert_eq!(first.location(), "127.0.0.1:5432");
        first
            .create_tenant(&TenantRecord {
                tenant_id: "meshtest".parse().expect("valid"),
                parent_tenant_id: None,
                database_name: "meshtest".to_owned(),
                created_at: chrono::Utc::now(),
            })
            .await
            .expect("create");
        let applied = migrations(&first).await;
        assert!(!applied.is_empty());
        first.close().await;

        let second = PostgresStore::connect(&url).await.expect("reconnect");
        assert_eq!(migrations(&second).await, applied, "nothing re-applied");
        assert_eq!(second.list_tenants().await.expect("list").len(), 1);
        second.close().await;
    })
    .await;
    db.drop_now().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Pooled connections are pinged only after a second idle (not before every statement); one
/// the server ended while it sat idle must still be replaced, not reported to the caller.
#[tokio::test]
async fn a_connection_the_server_ended_while_idle_is_replaced() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let database = db.name.clone();
    let admin = admin_url();
    let outcome = tokio::spawn(async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        // Use a few connections at once so the pool holds several idle ones.
        let listed = tokio::join!(
            store.list_tenants(),
            store.list_tenants(),
            store.list_tenants(),
            store.list_tenants()
        );
        for tenants in [listed.0, listed.1, listed.2, listed.3] {
            tenants.expect("list tenants");
        }
        let mut killer = PgConnection::connect(&admin)
            .await
            .expect("admin connection");
        let ended: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&database)
        .fetch_all(&mut killer)
        .await
        .expect("terminate the pool's connections");
        assert!(!ended.is_empty(), "the pool had idle connections to end");
        killer.close().await.ok();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        for _ in 0..8 {
            store
                .list_tenants()
                .await
                .expect("a dead idle connection is replaced, not reported");
        }
        store.close().await;
    })
    .await;
    db.drop_now().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Runs `case` on a [`PostgresStore`] in a fresh database with the tenant `meshtest`, and
/// drops the database afterwards, also when the case fails.
async fn with_tenant_store<F, Fut>(case: F)
where
    F: FnOnce(PostgresStore, TenantId) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        let tenant: TenantId = "meshtest".parse().expect("valid");
        store
            .create_tenant(&TenantRecord {
                tenant_id: tenant.clone(),
                parent_tenant_id: None,
                database_name: "meshtest".to_owned(),
                created_at: chrono::Utc::now(),
            })
            .await
            .expect("create");
        case(store, tenant).await;
    })
    .await;
    db.drop_now().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// A first-page lookup on an indexed attribute is planned once per connection: after
/// PostgreSQL's five custom plans it keeps the cached generic plan. With a bound `OFFSET` in
/// the statement the generic plan never won, and each call was planned again (~0.1 ms).
#[tokio::test]
async fn a_first_page_lookup_uses_the_cached_generic_plan() {
    with_tenant_store(|store, tenant| async move {
        sqlx::query(
            "INSERT INTO entities (tenant_id, rt_id, ck_type_id, rt_version, \
         rt_creation_date_time, rt_changed_date_time, rt_state, attributes) \
         SELECT 'meshtest', lpad(to_hex(i), 24, '0'), 'M/A', 1, now(), now(), 0, \
         jsonb_build_object('Serial', 'SN-' || i) FROM generate_series(1, 5000) AS i",
        )
        .execute(store.pool())
        .await
        .expect("bulk insert");
        let serial = PathRef::attribute(["Serial"], ValueKind::String);
        store
            .ensure_attribute_index(&tenant, "M/A", std::slice::from_ref(&serial))
            .await
            .expect("index");
        sqlx::query("ANALYZE entities")
            .execute(store.pool())
            .await
            .expect("analyze");
        // Enough that every pooled connection gets past its five custom plans.
        let lookups = 40;
        for n in 0..lookups {
            let query = EntityQuery {
                ck_type_ids: vec!["M/A".to_owned()],
                filter: Some(FilterExpr::Field(FieldFilter {
                    field: serial.clone(),
                    operator: FilterOperator::Equals,
                    value: Some(serde_json::json!(format!("SN-{}", n * 37 + 1))),
                    second_value: None,
                })),
                sort: vec![],
                limit: 100,
                offset: 0,
            };
            let page = store.query_entities(&tenant, &query).await.expect("lookup");
            assert_eq!(page.total_count, 1, "lookup {n}");
        }
        // Prepared statements belong to their connection: hold every pooled one and add up.
        // sqlx returns a released connection to the pool in a task of its own: wait for them.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut connections = Vec::new();
        while store.pool().num_idle() > 0 {
            connections.push(store.pool().acquire().await.expect("pooled connection"));
        }
        let size = connections.len();
        let (mut generic, mut custom) = (0i64, 0i64);
        for connection in &mut connections {
            let counts: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT tenant\\_id, rt\\_id, %Serial%'",
            )
            .fetch_all(&mut **connection)
            .await
            .expect("prepared statements");
            for (g, c) in counts {
                generic += g;
                custom += c;
            }
        }
        drop(connections);
        assert_eq!(
            generic + custom,
            lookups,
            "every lookup ran a cached statement"
        );
        let connections = i64::try_from(size).expect("pool size");
        assert!(
            custom <= 5 * connections && generic >= lookups - 5 * connections,
            "the lookup was planned again at every call: {generic} generic, {custom} custom \
         plans on {size} connections"
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_stored_value_that_does_not_parse_is_corrupt() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let outcome = tokio::spawn(async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        sqlx::query(
            "INSERT INTO tenants (tenant_id, database_name, created_at) \
             VALUES ('Not A Tenant', 'x', now())",
        )
        .execute(store.pool())
        .await
        .expect("raw insert");
        let err = store.list_tenants().await.expect_err("corrupt");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with(
                "Stored data is corrupt: column tenant_id = 'Not A Tenant' in table tenants"
            ),
            "{err}"
        );
        let tenant: TenantId = "meshtest".parse().expect("valid");
        assert_eq!(
            store
                .get_entity(&tenant, &OctoObjectId::new())
                .await
                .expect("get"),
            None
        );
        store.close().await;
    })
    .await;
    db.drop_now().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

#[tokio::test]
async fn attribute_indexes_are_used_for_equality_prefix_and_range_filters() {
    with_tenant_store(|store, tenant| async move {
        // Enough rows, of two types, that a scan is clearly worse.
        sqlx::query(
            "INSERT INTO entities (tenant_id, rt_id, ck_type_id, rt_version, \
         rt_creation_date_time, rt_changed_date_time, rt_state, attributes) \
         SELECT 'meshtest', lpad(to_hex(i), 24, '0'), \
         CASE WHEN i % 2 = 0 THEN 'M/A' ELSE 'M/B' END, 1, now(), now(), 0, \
         jsonb_build_object('Name', 'n' || i, 'Power', i, \
         'NamePlate', jsonb_build_object('ManufacturerName', 'maker' || i)) \
         FROM generate_series(1, 5000) AS i",
        )
        .execute(store.pool())
        .await
        .expect("bulk insert");

        let name = PathRef::attribute(["Name"], ValueKind::String);
        let power = PathRef::attribute(["Power"], ValueKind::Integer);
        let maker = PathRef::attribute(["NamePlate", "ManufacturerName"], ValueKind::String);
        let query = |field: &PathRef, operator, value: serde_json::Value| EntityQuery {
            ck_type_ids: vec!["M/A".to_owned(), "M/B".to_owned()],
            filter: Some(FilterExpr::Field(FieldFilter {
                field: field.clone(),
                operator,
                value: Some(value),
                second_value: None,
            })),
            sort: vec![],
            limit: 10,
            offset: 0,
        };
        let by_name = query(&name, FilterOperator::Equals, serde_json::json!("n42"));
        let plan = |q: EntityQuery| {
            let store = &store;
            let tenant = &tenant;
            async move {
                store
                    .explain_query_entities(tenant, &q)
                    .await
                    .expect("explain")
                    .join("\n")
            }
        };
        sqlx::query("ANALYZE entities")
            .execute(store.pool())
            .await
            .expect("analyze");
        let before = plan(by_name.clone()).await;
        assert!(!before.contains("entities_attr_"), "{before}");

        for fields in [vec![name.clone()], vec![power.clone()], vec![maker.clone()]] {
            store
                .ensure_attribute_index(&tenant, "M/A", &fields)
                .await
                .expect("index");
            store
                .ensure_attribute_index(&tenant, "M/B", &fields)
                .await
                .expect("index again");
        }
        let indexes: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'entities' \
         AND indexname LIKE 'entities\\_attr\\_%'",
        )
        .fetch_one(store.pool())
        .await
        .expect("count indexes");
        assert_eq!(indexes, 3, "one index per field set, shared by both types");
        sqlx::query("ANALYZE entities")
            .execute(store.pool())
            .await
            .expect("analyze");

        for q in [
            by_name.clone(),
            query(&maker, FilterOperator::Equals, serde_json::json!("maker7")),
            query(&power, FilterOperator::Equals, serde_json::json!(4711)),
            query(&power, FilterOperator::GreaterThan, serde_json::json!(4990)),
            query(&name, FilterOperator::StartsWith, serde_json::json!("n499")),
        ] {
            let explained = plan(q.clone()).await;
            assert!(
                explained.contains("entities_attr_"),
                "{:?} does not use the index:\n{explained}",
                q.filter
            );
        }
        let page = store
            .query_entities(&tenant, &by_name)
            .await
            .expect("query");
        assert_eq!(page.total_count, 1);
        assert_eq!(page.entities[0].attributes["Power"], 42);
        let page = store
            .query_entities(
                &tenant,
                &query(&power, FilterOperator::GreaterThan, serde_json::json!(4990)),
            )
            .await
            .expect("query");
        assert_eq!(page.total_count, 10);
        store.close().await;
    })
    .await;
}
