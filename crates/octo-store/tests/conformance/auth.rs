//! Conformance cases for MCP sessions and their login state: sessions are
//! upserted, touched and purged when idle; tokens are kept per tenant and
//! session, replaced only over the version read, refreshed under one lease;
//! a device-token poll is claimed by one process;
//! deleting a session removes all its login state and nothing else.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::json;

use octo_store::{AuthTokenRecord, DeviceFlowRecord, McpSessionRecord, Store};

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn session(id: &str, last_seen_at: DateTime<Utc>) -> McpSessionRecord {
    McpSessionRecord {
        session_id: id.to_owned(),
        state: json!({"initializeParams": {"protocolVersion": "2025-11-25"}}),
        created_at: last_seen_at,
        last_seen_at,
    }
}

fn token(tenant: &str, session: &str, version: u64) -> AuthTokenRecord {
    AuthTokenRecord {
        tenant_id: tenant.parse().expect("valid tenant id"),
        session_id: session.to_owned(),
        sealed: format!("sealed-{tenant}-{session}-{version}"),
        access_expires_at: now() + Duration::minutes(5),
        version,
        refresh_lease_until: None,
        updated_at: now(),
    }
}

fn flow(tenant: &str, session: &str) -> DeviceFlowRecord {
    DeviceFlowRecord {
        session_id: session.to_owned(),
        tenant_id: tenant.parse().expect("valid tenant id"),
        sealed: "sealed-device-code".to_owned(),
        expires_at: now() + Duration::minutes(10),
        interval_secs: 5,
        next_poll_at: now() + Duration::seconds(5),
        created_at: now(),
    }
}

pub async fn mcp_sessions_are_upserted_touched_and_purged_when_idle(store: Arc<dyn Store>) {
    let old = now() - Duration::hours(2);
    let stale = session("stale", old);
    let fresh = session("fresh", now());
    store.put_mcp_session(&stale).await.expect("put");
    store.put_mcp_session(&fresh).await.expect("put");
    assert_eq!(
        store.get_mcp_session("stale").await.expect("get"),
        Some(stale.clone())
    );
    assert!(store.get_mcp_session("nope").await.expect("get").is_none());

    // A touch moves last_seen_at forward only.
    let later = now();
    assert!(
        store
            .touch_mcp_session("fresh", later + Duration::seconds(1))
            .await
            .expect("touch")
    );
    assert!(
        !store
            .touch_mcp_session("fresh", later - Duration::hours(1))
            .await
            .expect("touch")
    );
    assert!(!store.touch_mcp_session("nope", later).await.expect("touch"));

    store
        .put_auth_token(&token("meshtest", "stale", 1))
        .await
        .expect("token");
    store
        .put_device_flow(&flow("meshtest", "stale"))
        .await
        .expect("flow");
    store
        .put_auth_token(&token("meshtest", "fresh", 1))
        .await
        .expect("token");

    let purged = store
        .purge_idle_mcp_sessions(now() - Duration::hours(1))
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert!(store.get_mcp_session("stale").await.expect("get").is_none());
    assert!(
        store
            .list_auth_tokens("stale")
            .await
            .expect("list")
            .is_empty()
    );
    assert!(store.get_device_flow("stale").await.expect("get").is_none());
    assert!(store.get_mcp_session("fresh").await.expect("get").is_some());
    assert_eq!(
        store.list_auth_tokens("fresh").await.expect("list").len(),
        1
    );
}

pub async fn auth_tokens_are_kept_per_tenant_and_session(store: Arc<dyn Store>) {
    let a = token("tenanta", "s1", 1);
    let b = token("tenantb", "s1", 1);
    let other = token("tenanta", "s2", 1);
    for record in [&a, &b, &other] {
        store.put_auth_token(record).await.expect("put");
    }
    let tenant_a = a.tenant_id.clone();
    assert_eq!(
        store.get_auth_token(&tenant_a, "s1").await.expect("get"),
        Some(a.clone())
    );
    assert_eq!(
        store.get_auth_token(&tenant_a, "s2").await.expect("get"),
        Some(other.clone())
    );
    let listed = store.list_auth_tokens("s1").await.expect("list");
    assert_eq!(listed, vec![a.clone(), b.clone()]);

    // Upsert replaces.
    let newer = AuthTokenRecord {
        sealed: "rotated".to_owned(),
        version: 2,
        ..a.clone()
    };
    store.put_auth_token(&newer).await.expect("put");
    assert_eq!(
        store.get_auth_token(&tenant_a, "s1").await.expect("get"),
        Some(newer)
    );

    assert!(
        store
            .delete_auth_token(&tenant_a, "s1")
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_auth_token(&tenant_a, "s1")
            .await
            .expect("delete")
    );
    assert_eq!(store.list_auth_tokens("s1").await.expect("list"), vec![b]);
    assert!(
        store
            .get_auth_token(&tenant_a, "s2")
            .await
            .expect("get")
            .is_some()
    );
}

pub async fn auth_token_refresh_is_leased_once_and_replaced_over_its_version(
    store: Arc<dyn Store>,
) {
    let first = token("meshtest", "s1", 1);
    let tenant = first.tenant_id.clone();
    store.put_auth_token(&first).await.expect("put");
    let t = now();
    let until = t + Duration::seconds(30);
    // Several processes ask at once: exactly one gets the lease.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        let tenant = tenant.clone();
        tasks.spawn(async move {
            store
                .lease_auth_refresh(&tenant, "s1", 1, until, t)
                .await
                .expect("lease")
        });
    }
    let granted = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|granted| *granted)
        .count();
    assert_eq!(granted, 1);
    let leased = store
        .get_auth_token(&tenant, "s1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(leased.refresh_lease_until, Some(until));
    // A lease that ran out may be taken again; a stale version never.
    assert!(
        store
            .lease_auth_refresh(&tenant, "s1", 1, until + Duration::seconds(30), until)
            .await
            .expect("lease")
    );
    assert!(
        !store
            .lease_auth_refresh(
                &tenant,
                "s1",
                0,
                until + Duration::hours(1),
                until + Duration::hours(1)
            )
            .await
            .expect("lease")
    );

    // The refreshed tokens replace version 1 once; a second writer over the
    // same version changes nothing.
    let refreshed = AuthTokenRecord {
        sealed: "refreshed".to_owned(),
        version: 2,
        ..first.clone()
    };
    assert!(
        store
            .replace_auth_token(&refreshed, 1)
            .await
            .expect("replace")
    );
    let late = AuthTokenRecord {
        sealed: "late".to_owned(),
        version: 2,
        ..first.clone()
    };
    assert!(!store.replace_auth_token(&late, 1).await.expect("replace"));
    let read = store
        .get_auth_token(&tenant, "s1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(read.sealed, "refreshed");
    assert_eq!(read.refresh_lease_until, None);
    let missing = token("meshtest", "nosuch", 2);
    assert!(
        !store
            .replace_auth_token(&missing, 1)
            .await
            .expect("replace")
    );
}

pub async fn device_flows_are_one_per_session(store: Arc<dyn Store>) {
    let first = flow("tenanta", "s1");
    store.put_device_flow(&first).await.expect("put");
    assert_eq!(
        store.get_device_flow("s1").await.expect("get"),
        Some(first.clone())
    );
    let second = DeviceFlowRecord {
        tenant_id: "tenantb".parse().expect("tenant"),
        interval_secs: 10,
        ..first
    };
    store.put_device_flow(&second).await.expect("put");
    assert_eq!(
        store.get_device_flow("s1").await.expect("get"),
        Some(second)
    );
    assert!(store.get_device_flow("s2").await.expect("get").is_none());
    assert!(store.delete_device_flow("s1").await.expect("delete"));
    assert!(!store.delete_device_flow("s1").await.expect("delete"));
}

pub async fn a_device_poll_is_claimed_once(store: Arc<dyn Store>) {
    store
        .put_device_flow(&flow("tenanta", "s1"))
        .await
        .expect("put");
    let seen = store
        .get_device_flow("s1")
        .await
        .expect("get")
        .expect("present")
        .next_poll_at;
    let next = seen + Duration::seconds(5);
    // Several processes ask at once with what they read: exactly one gets the poll.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .claim_device_poll("s1", seen, next)
                .await
                .expect("claim")
        });
    }
    let granted = tasks
        .join_all()
        .await
        .into_iter()
        .filter(|granted| *granted)
        .count();
    assert_eq!(granted, 1);
    let claimed = store
        .get_device_flow("s1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(claimed.next_poll_at, next);
    // The value read back claims the next poll; a session without a flow has none to claim.
    assert!(
        store
            .claim_device_poll("s1", next, next + Duration::seconds(5))
            .await
            .expect("claim")
    );
    assert!(
        !store
            .claim_device_poll("s2", next, next + Duration::seconds(5))
            .await
            .expect("claim")
    );
}

pub async fn deleting_an_mcp_session_removes_its_login_state_only(store: Arc<dyn Store>) {
    store
        .put_mcp_session(&session("s1", now()))
        .await
        .expect("put");
    store
        .put_mcp_session(&session("s2", now()))
        .await
        .expect("put");
    for (tenant, session) in [("tenanta", "s1"), ("tenantb", "s1"), ("tenanta", "s2")] {
        store
            .put_auth_token(&token(tenant, session, 1))
            .await
            .expect("token");
    }
    store
        .put_device_flow(&flow("tenanta", "s1"))
        .await
        .expect("flow");
    store
        .put_device_flow(&flow("tenanta", "s2"))
        .await
        .expect("flow");

    assert!(store.delete_mcp_session("s1").await.expect("delete"));
    assert!(store.get_mcp_session("s1").await.expect("get").is_none());
    assert!(store.list_auth_tokens("s1").await.expect("list").is_empty());
    assert!(store.get_device_flow("s1").await.expect("get").is_none());
    assert!(store.get_mcp_session("s2").await.expect("get").is_some());
    assert_eq!(store.list_auth_tokens("s2").await.expect("list").len(), 1);
    assert!(store.get_device_flow("s2").await.expect("get").is_some());
    assert!(!store.delete_mcp_session("s1").await.expect("delete"));
    // Login state without a session row (a client that never initialized
    // through a session store) is removed all the same.
    store
        .put_auth_token(&token("tenanta", "s3", 1))
        .await
        .expect("token");
    assert!(store.delete_mcp_session("s3").await.expect("delete"));
    assert!(store.list_auth_tokens("s3").await.expect("list").is_empty());
}
