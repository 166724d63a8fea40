//! The embedded backend: [`SqliteStore`] on a SQLite file (or an in-memory
//! database for tests).
//!
//! Files are opened in WAL mode, so readers do not block the writer, with
//! foreign keys on and a 5 s busy timeout, so concurrent writers wait for
//! each other instead of failing. Every connection gets a `REGEXP`
//! function (Rust `regex` syntax, from sqlx) for the Regex filter operator.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};

use crate::error::StoreError;
use crate::query::EntityQuery;
use crate::query_sql;
use crate::sql_store::{Dialect, SqlStore, arguments, classify};
use crate::store::Backend;
use crate::url::{invalid, redact};

/// The schema, embedded in the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per file database. SQLite has one writer at a time anyway;
/// more connections only let reads run beside it.
const MAX_CONNECTIONS: u32 = 8;

/// A [`crate::Store`] on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // In WAL mode a deferred transaction reads one snapshot from its first
    // read on.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    const CLAIM_LOCK: &'static str = "";
    const KEY_LOCK: Option<&'static str> = None;
    const INDEX_EXISTS: &'static str =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1";
    // A sample per index is enough for choosing between indexes, and keeps
    // ANALYZE from reading every row of a large table.
    const ANALYZE_ENTITIES: &'static [&'static str] =
        &["PRAGMA analysis_limit = 1000", "ANALYZE entities"];

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Sqlite> {
    /// Opens (creating the file and its folder if missing) the SQLite
    /// database at `url` — `sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:` — and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`], [`StoreError::Unavailable`] if the file
    /// cannot be created or opened, [`StoreError::Migration`].
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|err| invalid(url, err.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL is durable against application crashes and
            // much faster than FULL; a power loss may lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // SQLite has no REGEXP function of its own; the Regex filter
            // operator needs one on every connection.
            .with_regexp();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let location = if in_memory {
            redact(url)
        } else {
            options.get_filename().display().to_string()
        };
        let unavailable = |cause: String| StoreError::Unavailable {
            backend: Backend::Sqlite,
            location: location.clone(),
            cause,
        };
        let folder = options.get_filename().parent().filter(|_| !in_memory);
        if let Some(folder) = folder.filter(|folder| !folder.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(folder).await.map_err(|err| {
                unavailable(format!(
                    "cannot create the folder {}: {err}",
                    folder.display()
                ))
            })?;
        }
        let pool_options = if in_memory {
            // Every connection to `sqlite::memory:` shares one database that
            // lives as long as a connection does: keep exactly one, forever.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|err| match err {
                sqlx::Error::Database(db) => unavailable(db.message().to_owned()),
                other => classify(Backend::Sqlite, &location, other, || {
                    "open the database".to_owned()
                }),
            })?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|err| StoreError::Migration {
                backend: Backend::Sqlite,
                location: location.clone(),
                cause: err.to_string(),
            })?;
        Ok(Self::new(pool, location))
    }

    /// SQLite's plan (`EXPLAIN QUERY PLAN`) for the page statement of
    /// [`crate::Store::query_entities`], one line per step: for checking
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
        let page = query_sql::entity_statements(Backend::Sqlite, tenant_id, query)?.page;
        let sql = format!("EXPLAIN QUERY PLAN {}", page.sql);
        let rows = sqlx::query_as_with::<Sqlite, (i64, i64, i64, String), _>(
            &sql,
            arguments::<Sqlite>(&page.params)?,
        )
        .fetch_all(self.pool())
        .await
        .map_err(|err| {
            classify(Backend::Sqlite, self.location(), err, || {
                format!("explain an entity query of tenant '{tenant_id}'")
            })
        })?;
        Ok(rows.into_iter().map(|(_, _, _, detail)| detail).collect())
    }
}
