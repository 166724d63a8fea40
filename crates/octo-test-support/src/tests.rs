//! The harness itself: fresh stores on both backends, cleanup also after a failing body, and the
//! message when PostgreSQL is not reachable.

use sqlx::{Connection, PgConnection};

use crate::{
    Backend, HOW_TO_START_POSTGRES, TestDatabase, TestStore, admin_url, run_on, run_on_database,
    with_database,
};

async fn postgres_database_exists(name: &str) -> bool {
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .expect("connect to the test server");
    let found: Option<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .expect("query pg_database");
    admin.close().await.ok();
    found.is_some()
}

/// Whether the database behind `url` (as [`TestDatabase::url`]) still exists.
async fn exists(backend: Backend, url: &str) -> bool {
    match backend {
        Backend::Sqlite => {
            let file = std::path::Path::new(url.trim_start_matches("sqlite://"));
            file.parent().is_some_and(std::path::Path::exists)
        }
        Backend::Postgres => {
            let name = url.rsplit('/').next().unwrap_or_default();
            postgres_database_exists(name).await
        }
    }
}

crate::both_backends! {
    /// A fresh store answers and holds no tenant.
    async fn a_fresh_store_answers_and_is_empty(store) {
        store.ping().await.expect("ping");
        assert!(store.list_tenants().await.expect("list").is_empty());
    }
}

#[tokio::test]
async fn the_stamped_out_tests_use_their_backend() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        run_on(backend, move |store| async move {
            assert_eq!(store.backend(), backend);
        })
        .await;
    }
}

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
async fn cleanup_removes_the_database_and_closes_the_store() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let test_store = TestStore::open(backend).await;
        let url = test_store.url.clone();
        let store = std::sync::Arc::clone(&test_store.store);
        assert!(exists(backend, &url).await, "{backend}: {url}");
        test_store.cleanup().await;
        assert!(!exists(backend, &url).await, "{backend}: {url} is left");
        assert!(store.ping().await.is_err(), "{backend}: the pool is closed");
    }
}

#[tokio::test]
async fn a_failing_body_is_reported_and_its_database_removed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let failed = tokio::spawn(run_on_database(backend, move |url| async move {
            sender.send(url).ok();
            panic!("case failed");
        }))
        .await;
        let panic = failed
            .expect_err("the body's panic is resumed")
            .into_panic();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"case failed"));
        let url = receiver.await.expect("the body ran");
        assert!(!exists(backend, &url).await, "{backend}: {url} is left");
    }
}

#[tokio::test]
async fn run_on_resumes_the_panic_of_a_failing_body() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let failed = tokio::spawn(run_on(backend, |_store| async { panic!("case failed") })).await;
        let panic = failed
            .expect_err("the body's panic is resumed")
            .into_panic();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"case failed"));
    }
}

#[tokio::test]
async fn a_database_survives_reopening_until_removed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        run_on_database(backend, move |url| async move {
            let first = octo_store::open(&url).await.expect("open");
            assert_eq!(first.backend(), backend);
            first
                .create_tenant(&octo_store::TenantRecord {
                    tenant_id: "meshtest".parse().expect("valid"),
                    parent_tenant_id: None,
                    database_name: "meshtest".to_owned(),
                    created_at: chrono::Utc::now(),
                })
                .await
                .expect("create");
            drop(first);
            let second = octo_store::open(&url).await.expect("reopen");
            assert_eq!(second.list_tenants().await.expect("list").len(), 1);
        })
        .await;
    }
}

#[tokio::test]
async fn an_unreachable_server_fails_saying_how_to_start_it() {
    // Port 1 on loopback: nothing listens there.
    let failed = tokio::spawn(TestDatabase::create_postgres_on(
        "postgres://postgres:hunter2@127.0.0.1:1/postgres",
    ))
    .await;
    let panic = failed.expect_err("unreachable").into_panic();
    let msg = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        msg.starts_with(
            "PostgreSQL at postgres://postgres:***@127.0.0.1:1/postgres is not reachable"
        ),
        "{msg}"
    );
    assert!(msg.contains(HOW_TO_START_POSTGRES), "{msg}");
    assert!(msg.contains("OCTO_TEST_POSTGRES_URL"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}
