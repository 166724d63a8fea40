//! Helpers shared by the provider tests (`dev_idp.rs`, `oidc_provider.rs`).
#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::Duration;

use octo_auth::{AuthService, CheckOutcome};
use octo_ids::TenantId;

pub fn tenant(id: &str) -> TenantId {
    id.parse().expect("tenant id")
}

/// Polls until the flow is no longer pending (waiting as told), at most 20 times.
pub async fn poll_until_done(auth: &AuthService, session: &str) -> CheckOutcome {
    for _ in 0..20 {
        match auth.check_device_flow(session).await.expect("check") {
            CheckOutcome::Pending {
                retry_after_secs, ..
            } => tokio::time::sleep(Duration::from_secs(retry_after_secs)).await,
            done => return done,
        }
    }
    panic!("the device flow stayed pending");
}
