//! The production backend: [`PostgresStore`] on a PostgreSQL server.
//!
//! Attributes and documents are JSONB; ids are `TEXT COLLATE "C"` so that
//! ordering by id is byte order, the same as on SQLite and in Rust.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};
use sqlx::{ConnectOptions, Connection, Postgres};

use crate::error::StoreError;
use crate::query::EntityQuery;
use crate::query_sql;
use crate::sql_store::{Dialect, SqlStore, arguments, classify};
use crate::store::Backend;
use crate::url::invalid;

/// The schema, embedded in the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per server process.
const MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free (or new) connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle at least this long is pinged before use; a busier one is used
/// as it is. sqlx's default pings on every acquire, a second round trip for every statement
/// (a third of an indexed lookup's time); a connection that died within the last second
/// fails one statement instead, as with HikariCP's 500 ms bypass window.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// A [`crate::Store`] on PostgreSQL.
pub type PostgresStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    const CLAIM_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";
    const KEY_LOCK: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
    const INDEX_EXISTS: &'static str = "SELECT COUNT(*) FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = 'entities' AND indexname = $1";
    const ANALYZE_ENTITIES: &'static [&'static str] = &["ANALYZE entities"];

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Postgres> {
    /// Connects to the PostgreSQL database at `url` (`postgres://` or
    /// `postgresql://`) and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`], [`StoreError::Unavailable`] if the server
    /// cannot be reached, [`StoreError::Database`] if it refuses the login
    /// or the database does not exist, [`StoreError::Migration`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|err| invalid(url, err.to_string()))?;
        let location = format!("{}:{}", options.get_host(), options.get_port());
        let database = options.get_database().unwrap_or("postgres").to_owned();
        let fail = |err| {
            classify(Backend::Postgres, &location, err, || {
                format!("connect to database '{database}' at {location}")
            })
        };
        // One direct attempt first: the pool would retry a refused
        // connection until its timeout and then report only "timed out".
        options.connect().await.map_err(fail)?.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        // An error closes this connection; the pool takes or opens another.
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|err| StoreError::Migration {
                backend: Backend::Postgres,
                location: format!("{location}/{database}"),
                cause: err.to_string(),
            })?;
        Ok(Self::new(pool, location))
    }

    /// PostgreSQL's plan (`EXPLAIN`) for the page statement of
    /// [`crate::Store::query_entities`], one line per element: for checking
    /// that a filter uses an index made by
    /// [`crate::Store::ensure_attribute_index`].
    ///
    /// # Errors
    /// [`StoreError::InvalidQuery`] as for the query itself, or a database error.
    pub async fn explain_query_entities(
        &self,
        tenant_id: &octo_ids::TenantId,
        query: &EntityQuery,
    ) -> Result<Vec<String>, StoreError> {
        let page = query_sql::entity_statements(Backend::Postgres, tenant_id, query)?.page;
        let sql = format!("EXPLAIN {}", page.sql);
        sqlx::query_scalar_with::<Postgres, String, _>(&sql, arguments::<Postgres>(&page.params)?)
            .fetch_all(self.pool())
            .await
            .map_err(|err| {
                classify(Backend::Postgres, self.location(), err, || {
                    format!("explain an entity query of tenant '{tenant_id}'")
                })
            })
    }
}
