//! Progress notifications: the bridge from a tool's [`ProgressSink`] to the MCP peer.

use async_trait::async_trait;
use octo_tools::ProgressSink;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};

/// Sends `notifications/progress` for one request that carried a progress token.
pub struct PeerProgress {
    peer: Peer<RoleServer>,
    token: ProgressToken,
}

impl PeerProgress {
    pub fn new(peer: Peer<RoleServer>, token: ProgressToken) -> Self {
        Self { peer, token }
    }
}

#[async_trait]
impl ProgressSink for PeerProgress {
    async fn report(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        let mut param = ProgressNotificationParam::new(self.token.clone(), progress);
        param.total = total;
        param.message = message;
        // A client that went away cannot be told; the tool carries on regardless.
        if let Err(error) = self.peer.notify_progress(param).await {
            tracing::debug!(%error, "progress notification not delivered");
        }
    }
}
