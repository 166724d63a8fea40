//! [`StoreSessions`]: rmcp's `SessionStore` on our store, so an MCP session outlives the
//! process that opened it: after a restart, or on another replica behind the load balancer,
//! rmcp finds the session's `initialize` parameters here and restores it transparently instead
//! of answering 404 (which would make the client start over and lose its login).
//!
//! A session idle for longer than the idle timeout is not restored (and its row is removed),
//! so the timeout means the same with and without a restart. Activity is recorded at most once
//! per quarter of the timeout (and at least once a minute) per session and process, so a busy
//! session costs no write per request. `DELETE` on the session removes the row and, in the same
//! transaction, the session's login state.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use octo_store::{McpSessionRecord, Store};
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};

/// MCP sessions persisted in the store.
#[derive(Clone)]
pub struct StoreSessions {
    store: Arc<dyn Store>,
    idle_timeout: Duration,
    /// Sessions whose activity this process recorded recently.
    touched: moka::future::Cache<String, ()>,
}

impl std::fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSessions")
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl StoreSessions {
    pub fn new(store: Arc<dyn Store>, idle_timeout: Duration) -> Self {
        let gap = (idle_timeout / 4).min(Duration::from_secs(60));
        Self {
            store,
            idle_timeout,
            touched: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(gap)
                .build(),
        }
    }

    /// Records activity in `session_id` (throttled; failures are only logged).
    pub async fn touch(&self, session_id: &str) {
        if self.touched.contains_key(session_id) {
            return;
        }
        self.touched.insert(session_id.to_owned(), ()).await;
        if let Err(error) = self.store.touch_mcp_session(session_id, Utc::now()).await {
            tracing::warn!(%error, "could not record MCP session activity");
        }
    }

    /// Removes sessions idle longer than the timeout, with their login state; returns how many.
    pub async fn purge_idle(&self) -> Result<u64, octo_store::StoreError> {
        let cutoff = Utc::now() - chrono::Duration::from_std(self.idle_timeout).unwrap_or_default();
        self.store.purge_idle_mcp_sessions(cutoff).await
    }
}

#[async_trait::async_trait]
impl SessionStore for StoreSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(record) = self.store.get_mcp_session(session_id).await? else {
            return Ok(None);
        };
        let idle = chrono::Duration::from_std(self.idle_timeout).unwrap_or_default();
        if record.last_seen_at + idle < Utc::now() {
            self.store.delete_mcp_session(session_id).await?;
            return Ok(None);
        }
        let state: SessionState = serde_json::from_value(record.state)?;
        self.touch(session_id).await;
        Ok(Some(state))
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let now = Utc::now();
        self.store
            .put_mcp_session(&McpSessionRecord {
                session_id: session_id.to_owned(),
                state: serde_json::to_value(state)?,
                created_at: now,
                last_seen_at: now,
            })
            .await?;
        self.touched.insert(session_id.to_owned(), ()).await;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        self.touched.invalidate(session_id).await;
        self.store.delete_mcp_session(session_id).await?;
        Ok(())
    }
}
