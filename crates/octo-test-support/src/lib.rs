//! Test support for the OctoMesh crates: a dev-dependency only, never a normal dependency.
//!
//! Every behaviour is tested on both store backends. This crate gives each test a fresh store and
//! removes it afterwards, also when the test fails:
//!
//! - [`TestDatabase`]: a fresh, empty database and its URL, not yet opened (for tests that start
//!   a server on it). SQLite: `octomesh.db` in a new temporary folder. PostgreSQL: a new database
//!   `octo_test_<random>` on the server at `OCTO_TEST_POSTGRES_URL` (default
//!   [`DEFAULT_ADMIN_URL`]).
//! - [`TestStore`]: a [`TestDatabase`] opened as an [`octo_store::Store`].
//! - [`run_on`] / [`run_on_database`]: run a test body in its own task, clean up, then resume the
//!   body's panic if it had one.
//! - [`both_backends!`]: stamps out `<case>_sqlite` and `<case>_postgres` tests from one case, so
//!   a test runner lists (and runs) each case once per backend.
//! - [`oidc_provider`]: the certified external identity provider (npm `oidc-provider`) and a
//!   [`oidc_provider::Browser`] that logs in to it over HTTP.
//!
//! If PostgreSQL is not reachable the PostgreSQL tests fail, saying how to start it; they never
//! skip.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use octo_store::{PostgresStore, SqliteStore, Store, StoreError};
use sqlx::{Connection, Executor, PgConnection};

pub use octo_store::Backend;

pub mod oidc_provider;

#[doc(hidden)]
pub use pastey as __pastey;

/// The PostgreSQL server tests use when `OCTO_TEST_POSTGRES_URL` is not set. Test databases are
/// created and dropped through it, so its user must be allowed to create databases.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How to start the local PostgreSQL cluster, quoted when it is not reachable.
pub const HOW_TO_START_POSTGRES: &str = "pg_ctlcluster --skip-systemctl-redirect 15 main start";

/// How long cleanup waits for a pool's connections to be returned before going on.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL server the tests use: `OCTO_TEST_POSTGRES_URL`, else [`DEFAULT_ADMIN_URL`].
#[must_use]
pub fn admin_url() -> String {
    std::env::var("OCTO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `url` with its database replaced by `database` (the query string is kept).
#[must_use]
pub fn with_database(url: &str, database: &str) -> String {
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

/// Where a [`TestDatabase`] lives, so that it can be removed.
enum Place {
    /// The temporary folder holding `octomesh.db` (and its WAL files).
    Sqlite(tempfile::TempDir),
    /// A database on the test server, dropped through the admin connection.
    Postgres { admin: PgConnection, name: String },
}

/// A fresh, empty database for one test; [`TestDatabase::drop_now`] removes it.
///
/// Nothing is removed on `Drop` (that cannot wait for PostgreSQL): use [`run_on_database`] or
/// [`run_on`], which remove it also when the test panics.
pub struct TestDatabase {
    /// Which backend the database is on.
    pub backend: Backend,
    /// The URL to open it with: `sqlite://<temp folder>/octomesh.db` or
    /// `postgres://…/octo_test_<random>`.
    pub url: String,
    place: Place,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("backend", &self.backend)
            .field("url", &octo_store::url::redact(&self.url))
            .finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// Creates a fresh database on `backend`.
    ///
    /// # Panics
    /// If the temporary folder cannot be created, or PostgreSQL is not reachable (the message says
    /// how to start it) or refuses to create the database.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::create_sqlite(),
            Backend::Postgres => Self::create_postgres_on(&admin_url()).await,
        }
    }

    fn create_sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("octo-test-")
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temporary folder for SQLite: {err}"));
        let url = format!("sqlite://{}", dir.path().join("octomesh.db").display());
        Self {
            backend: Backend::Sqlite,
            url,
            place: Place::Sqlite(dir),
        }
    }

    /// Creates a fresh database `octo_test_<random>` on the PostgreSQL server at `admin_url`.
    ///
    /// # Panics
    /// If the server is not reachable, saying how to start it (the password is never shown), or
    /// if it refuses to create the database.
    pub async fn create_postgres_on(admin_url: &str) -> Self {
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "PostgreSQL at {} is not reachable ({err}). Start it with \
                     `{HOW_TO_START_POSTGRES}`, or set OCTO_TEST_POSTGRES_URL to a reachable \
                     server (default {DEFAULT_ADMIN_URL}).",
                    octo_store::url::redact(admin_url)
                )
            });
        let name = format!("octo_test_{}", uuid::Uuid::new_v4().simple());
        if let Err(err) = admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
        {
            panic!(
                "cannot create the test database {name} on {}: {err}",
                octo_store::url::redact(admin_url)
            );
        }
        let url = with_database(admin_url, &name);
        Self {
            backend: Backend::Postgres,
            url,
            place: Place::Postgres { admin, name },
        }
    }

    /// The database's name: the PostgreSQL database, or the SQLite file's path.
    #[must_use]
    pub fn name(&self) -> String {
        match &self.place {
            Place::Sqlite(dir) => dir.path().join("octomesh.db").display().to_string(),
            Place::Postgres { name, .. } => name.clone(),
        }
    }

    /// Removes the database: drops it (closing any connection still open to it) or deletes the
    /// temporary folder.
    ///
    /// # Panics
    /// If it cannot be removed.
    pub async fn drop_now(self) {
        if let Err(err) = self.remove().await {
            panic!("{err}");
        }
    }

    async fn remove(self) -> Result<(), String> {
        match self.place {
            Place::Sqlite(dir) => {
                let path = dir.path().display().to_string();
                dir.close()
                    .map_err(|err| format!("cannot remove the test folder {path}: {err}"))
            }
            Place::Postgres { mut admin, name } => {
                let dropped = admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map(|_| ())
                    .map_err(|err| format!("cannot drop the test database {name}: {err}"));
                admin.close().await.ok();
                dropped
            }
        }
    }
}

/// A connection pool kept beside the `dyn Store`, so cleanup can close it even while other
/// handles to the store are still alive.
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    async fn close(&self) {
        let close = async {
            match self {
                Self::Sqlite(pool) => pool.close().await,
                Self::Postgres(pool) => pool.close().await,
            }
        };
        // A connection someone never returns must not hang the cleanup; the database is removed
        // regardless (PostgreSQL's `WITH (FORCE)` ends such connections).
        tokio::time::timeout(CLOSE_TIMEOUT, close).await.ok();
    }
}

/// A fresh store for one test: a [`TestDatabase`] opened (migrations run) as a [`Store`].
/// [`TestStore::cleanup`] closes it and removes the database.
pub struct TestStore {
    /// The open store.
    pub store: Arc<dyn Store>,
    /// The URL it was opened with (open it again to test what survives a restart).
    pub url: String,
    /// Which backend it is on.
    pub backend: Backend,
    pool: Pool,
    database: TestDatabase,
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStore")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl TestStore {
    /// Opens a store on a fresh database on `backend`.
    ///
    /// # Panics
    /// As [`TestDatabase::create`], or if the store cannot be opened (the database is removed
    /// first).
    pub async fn open(backend: Backend) -> Self {
        let database = TestDatabase::create(backend).await;
        let url = database.url.clone();
        match open_store(backend, &url).await {
            Ok((store, pool)) => Self {
                store,
                url,
                backend,
                pool,
                database,
            },
            Err(err) => {
                let removed = match database.remove().await {
                    Ok(()) => String::new(),
                    Err(also) => format!(" (and {also})"),
                };
                panic!(
                    "cannot open the {backend} test store {}: {err}{removed}",
                    octo_store::url::redact(&url)
                );
            }
        }
    }

    /// Closes the store's connections and removes the database.
    ///
    /// # Panics
    /// If the database cannot be removed.
    pub async fn cleanup(self) {
        if let Err(err) = self.try_cleanup().await {
            panic!("{err}");
        }
    }

    async fn try_cleanup(self) -> Result<(), String> {
        let Self {
            store,
            pool,
            database,
            ..
        } = self;
        drop(store);
        pool.close().await;
        database.remove().await
    }
}

async fn open_store(backend: Backend, url: &str) -> Result<(Arc<dyn Store>, Pool), StoreError> {
    Ok(match backend {
        Backend::Sqlite => {
            let store = SqliteStore::open(url).await?;
            let pool = Pool::Sqlite(store.pool().clone());
            (Arc::new(store), pool)
        }
        Backend::Postgres => {
            let store = PostgresStore::connect(url).await?;
            let pool = Pool::Postgres(store.pool().clone());
            (Arc::new(store), pool)
        }
    })
}

/// Runs `body` on a fresh store on `backend`, then closes the store and removes the database,
/// also when `body` panics; its panic is resumed afterwards, so the test fails with it.
///
/// The body runs in its own task (hence `Send + 'static`), so a failing assertion unwinds only
/// that task and the cleanup still runs.
pub async fn run_on<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let test_store = TestStore::open(backend).await;
    let store = Arc::clone(&test_store.store);
    let outcome = tokio::spawn(async move { body(store).await }).await;
    finish(outcome, test_store.try_cleanup().await);
}

/// Runs `body` with the URL of a fresh, unopened database on `backend` (e.g. to start a server
/// on it), then removes the database, also when `body` panics; its panic is resumed afterwards.
pub async fn run_on_database<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(String) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = TestDatabase::create(backend).await;
    let url = database.url.clone();
    let outcome = tokio::spawn(async move { body(url).await }).await;
    finish(outcome, database.remove().await);
}

/// Ends a run: the body's panic wins over a cleanup failure, which is still reported.
fn finish(outcome: Result<(), tokio::task::JoinError>, cleaned: Result<(), String>) {
    match outcome {
        Ok(()) => {
            if let Err(err) = cleaned {
                panic!("test cleanup failed: {err}");
            }
        }
        Err(err) => {
            if let Err(cleanup) = cleaned {
                eprintln!("test cleanup failed too: {cleanup}");
            }
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("test task failed: {err}"),
            }
        }
    }
}

/// Stamps out one test per backend for each case: `name_sqlite` and `name_postgres`,
/// multi-threaded `#[tokio::test]`s that run the case through [`run_on`] on a fresh database.
///
/// Either name a case function, `async fn name(store: Arc<dyn octo_store::Store>)`, written just
/// below (rustfmt formats it; a case left unnamed is dead code, which the compiler reports):
///
/// ```ignore
/// both_backends!(tenants_start_empty);
/// async fn tenants_start_empty(store: Arc<dyn Store>) {
///     assert!(store.list_tenants().await.expect("list").is_empty());
/// }
/// ```
///
/// or give the body inline (attributes and doc comments are copied to both tests):
///
/// ```ignore
/// both_backends! {
///     async fn tenants_start_empty(store) {
///         assert!(store.list_tenants().await.expect("list").is_empty());
///     }
/// }
/// ```
///
/// The calling crate needs `tokio` (with `macros` and `rt-multi-thread`).
#[macro_export]
macro_rules! both_backends {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($store:ident) $body:block
    )+) => {
        $(
            $crate::__pastey::paste! {
                $(#[$meta])*
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<$name _sqlite>]() {
                    $crate::run_on($crate::Backend::Sqlite, |$store| async move $body).await;
                }

                $(#[$meta])*
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<$name _postgres>]() {
                    $crate::run_on($crate::Backend::Postgres, |$store| async move $body).await;
                }
            }
        )+
    };
    ($($case:ident),+ $(,)?) => {
        $(
            $crate::__pastey::paste! {
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<$case _sqlite>]() {
                    $crate::run_on($crate::Backend::Sqlite, $case).await;
                }

                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<$case _postgres>]() {
                    $crate::run_on($crate::Backend::Postgres, $case).await;
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests;
