//! `TransferService` driven directly (no socket): racing uploads, register_download, cancel,
//! sweep of expired transfers and stale partial files, and the handlers' statuses.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use octo_store::TransferState;
use octo_transfer::{TransferConfig, TransferError, TransferService};

async fn service(dir: &std::path::Path, lifetime: Duration) -> TransferService {
    let store = octo_store::open("sqlite::memory:").await.expect("store");
    TransferService::new(
        Arc::clone(&store),
        TransferConfig {
            root: dir.join("transfers"),
            lifetime,
            max_bytes: 1024,
        },
    )
    .expect("service")
}

fn put(body: &'static [u8]) -> Request<Full<Bytes>> {
    Request::put("/")
        .body(Full::new(Bytes::from_static(body)))
        .expect("request")
}

#[tokio::test]
async fn racing_uploads_complete_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let transfers = service(dir.path(), Duration::from_secs(60)).await;
    let record = transfers
        .reserve_upload(None, "a.bin", None)
        .await
        .expect("reserve");
    assert_eq!(record.tenant_id.to_string(), "octosystem");
    let id = record.transfer_id.clone();
    let (a, b) = tokio::join!(
        transfers.handle_upload(&id, put(b"first")),
        transfers.handle_upload(&id, put(b"second")),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let (path, record) = transfers.open_completed(&id).await.expect("complete");
    let content = std::fs::read(path).expect("read");
    assert!(content == b"first" || content == b"second");
    assert_eq!(record.size_bytes, Some(content.len() as u64));
    // Only the final file remains: no partial file of the loser.
    assert_eq!(
        std::fs::read_dir(dir.path().join("transfers"))
            .expect("dir")
            .count(),
        1
    );
}

#[tokio::test]
async fn downloads_are_registered_served_cancelled_and_swept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let transfers = service(dir.path(), Duration::from_millis(300)).await;
    let source = dir.path().join("export.zip");
    std::fs::write(&source, b"hello world").expect("write");
    let record = transfers
        .register_download(None, "export.zip", &source)
        .await
        .expect("register");
    assert!(!source.exists(), "moved in");
    assert_eq!(record.state, TransferState::Complete);
    assert_eq!(
        record.sha256.as_deref(),
        Some("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
    );
    let response = transfers
        .handle_download(
            &record.transfer_id,
            Request::get("/")
                .header("range", "bytes=-5")
                .body(())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"world");

    let other = transfers
        .reserve_upload(None, "b.bin", None)
        .await
        .expect("reserve");
    let cancelled = transfers.cancel(&other.transfer_id).await.expect("cancel");
    assert_eq!(cancelled.state, TransferState::Cancelled);
    let response = transfers
        .handle_upload(&other.transfer_id, put(b"late"))
        .await;
    assert_eq!(response.status(), StatusCode::GONE);

    // A partial file left by a crash, old enough to be stale once the lifetime passes.
    let stale = dir.path().join("transfers").join("0123.part");
    std::fs::write(&stale, b"x").expect("write");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let report = transfers.sweep().await.expect("sweep");
    assert_eq!(report.expired, 2, "{report:?}");
    assert_eq!(report.stale_parts_removed, 1, "{report:?}");
    assert!(matches!(
        transfers.open_completed(&record.transfer_id).await,
        Err(TransferError::Gone(_))
    ));
    let response = transfers
        .handle_download(
            &record.transfer_id,
            Request::head("/").body(()).expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(
        std::fs::read_dir(dir.path().join("transfers"))
            .expect("dir")
            .count(),
        0
    );
    assert_eq!(transfers.sweep().await.expect("sweep again").expired, 0);
}
