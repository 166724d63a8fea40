//! Conformance cases for file-transfer records: creation, lookup by id
//! alone, the conditional completion that stops double uploads, cancel,
//! expiry, tombstones and their purge.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};

use octo_store::{Store, StoreError, TransferKind, TransferRecord, TransferState};

fn record(tenant: &str, id: &str, expires_at: DateTime<Utc>) -> TransferRecord {
    TransferRecord {
        tenant_id: tenant.parse().expect("valid tenant id"),
        transfer_id: id.to_owned(),
        kind: TransferKind::Upload,
        file_name: "model.zip".to_owned(),
        state: TransferState::Reserved,
        size_bytes: None,
        sha256: None,
        session_id: Some("session-1".to_owned()),
        created_at: (Utc::now() - Duration::seconds(5)).trunc_subsecs(6),
        expires_at: expires_at.trunc_subsecs(6),
        completed_at: None,
    }
}

pub async fn transfers_are_created_read_by_id_and_completed_once(store: Arc<dyn Store>) {
    let later = Utc::now() + Duration::minutes(30);
    // No tenant row is needed: transfers may be made for the system tenant.
    let reserved = record("meshtest", "0123456789abcdef0123456789abcdef", later);
    store.create_transfer(&reserved).await.expect("create");
    let read = store
        .get_transfer(&reserved.transfer_id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(read, reserved);
    assert!(store.get_transfer("ffff").await.expect("get").is_none());

    let duplicate = record("other", &reserved.transfer_id, later);
    assert!(matches!(
        store.create_transfer(&duplicate).await,
        Err(StoreError::Duplicate { .. })
    ));

    let done_at = Utc::now().trunc_subsecs(6);
    assert!(
        store
            .complete_transfer(&reserved.transfer_id, 42, "ab".repeat(32).as_str(), done_at)
            .await
            .expect("complete")
    );
    // The second completion (a racing or repeated PUT) changes nothing.
    assert!(
        !store
            .complete_transfer(&reserved.transfer_id, 7, "cd", done_at)
            .await
            .expect("complete again")
    );
    let complete = store
        .get_transfer(&reserved.transfer_id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(complete.state, TransferState::Complete);
    assert_eq!(complete.size_bytes, Some(42));
    assert_eq!(complete.sha256.as_deref(), Some("ab".repeat(32).as_str()));
    assert_eq!(complete.completed_at, Some(done_at));
}

pub async fn transfers_are_cancelled_expired_tombstoned_and_purged(store: Arc<dyn Store>) {
    let now = Utc::now();
    let live = record(
        "meshtest",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        now + Duration::minutes(30),
    );
    let old = record(
        "meshtest",
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        now - Duration::minutes(1),
    );
    let older = record(
        "other",
        "cccccccccccccccccccccccccccccccc",
        now - Duration::minutes(2),
    );
    for transfer in [&live, &old, &older] {
        store.create_transfer(transfer).await.expect("create");
    }

    assert!(
        store
            .cancel_transfer(&live.transfer_id)
            .await
            .expect("cancel")
    );
    assert!(
        !store
            .cancel_transfer(&live.transfer_id)
            .await
            .expect("cancel again")
    );
    assert!(!store.cancel_transfer("dddd").await.expect("cancel unknown"));
    // A cancelled transfer cannot be completed any more.
    assert!(
        !store
            .complete_transfer(&live.transfer_id, 1, "ab", now)
            .await
            .expect("complete")
    );

    let expired = store.list_expired_transfers(now).await.expect("list");
    let ids: Vec<&str> = expired.iter().map(|t| t.transfer_id.as_str()).collect();
    assert_eq!(ids, [older.transfer_id.as_str(), old.transfer_id.as_str()]);

    assert!(
        store
            .tombstone_transfer(&old.transfer_id)
            .await
            .expect("tombstone")
    );
    assert!(
        !store
            .tombstone_transfer(&old.transfer_id)
            .await
            .expect("again")
    );
    let tombstone = store
        .get_transfer(&old.transfer_id)
        .await
        .expect("get")
        .expect("tombstone kept");
    assert_eq!(tombstone.state, TransferState::Expired);
    let expired = store.list_expired_transfers(now).await.expect("list");
    assert_eq!(expired.len(), 1, "tombstones are not listed again");

    // Tombstones are purged only once older than the cutoff.
    assert_eq!(
        store
            .purge_transfer_tombstones(now - Duration::minutes(5))
            .await
            .expect("purge"),
        0
    );
    assert_eq!(
        store.purge_transfer_tombstones(now).await.expect("purge"),
        1
    );
    assert!(
        store
            .get_transfer(&old.transfer_id)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get_transfer(&older.transfer_id)
            .await
            .expect("get")
            .is_some()
    );
}
