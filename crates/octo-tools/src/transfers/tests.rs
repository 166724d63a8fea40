//! Transfer tools through the registry, on SQLite and PostgreSQL (`both_backends!`), and
//! `import_ck_model` reading an uploaded model.

use std::sync::Arc;

use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::json;

use crate::test_support::call;
use crate::{Platform, ToolRegistry, test_platform_on};

async fn setup(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    (platform, registry)
}

/// Stands in for the HTTP PUT (tested in octo-transfer and mcp-http): the file at its final
/// name, then the record completed.
async fn upload(platform: &Platform, transfer_id: &str, body: &[u8]) {
    let path = platform.transfers.config().root.join(transfer_id);
    tokio::fs::write(&path, body).await.expect("write");
    let completed = platform
        .store()
        .complete_transfer(transfer_id, body.len() as u64, "00", chrono::Utc::now())
        .await
        .expect("complete");
    assert!(completed);
}

both_backends!(prepare_reserves_and_cancel_ends_a_transfer);
async fn prepare_reserves_and_cancel_ends_a_transfer(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let prepared = call(
        &registry,
        "prepare_file_upload",
        json!({"fileName": "model.zip"}),
    )
    .await;
    assert_eq!(prepared["isSuccess"], json!(true), "{prepared}");
    assert_eq!(prepared["tenantId"], json!("octosystem"), "{prepared}");
    let id = prepared["transferId"].as_str().expect("id").to_owned();
    assert!(octo_transfer::id::is_valid(&id), "{id}");
    let path = format!("/file-transfer/upload/{id}");
    assert_eq!(prepared["uploadUrlPath"], json!(path));
    assert_eq!(
        prepared["message"],
        json!(format!(
            "Reserved upload slot. PUT the file body to '{path}' and then call the matching \
             import / restore tool with this transferId."
        ))
    );
    assert!(prepared["expiresAt"].as_str().is_some(), "{prepared}");

    let unknown_tenant = call(
        &registry,
        "prepare_file_upload",
        json!({"fileName": "a.zip", "tenantId": "nosuchtenant"}),
    )
    .await;
    assert_eq!(
        unknown_tenant["isSuccess"],
        json!(false),
        "{unknown_tenant}"
    );
    let empty_name = call(&registry, "prepare_file_upload", json!({"fileName": "  "})).await;
    assert_eq!(empty_name["isSuccess"], json!(false), "{empty_name}");

    for _ in 0..2 {
        let cancelled = call(&registry, "cancel_file_transfer", json!({"transferId": id})).await;
        assert_eq!(cancelled["isSuccess"], json!(true), "{cancelled}");
        assert_eq!(
            cancelled["message"],
            json!(format!("Transfer '{id}' cancelled."))
        );
    }
    assert!(matches!(
        platform.transfers.open_completed(&id).await,
        Err(octo_transfer::TransferError::Gone(_))
    ));
    let unknown = call(
        &registry,
        "cancel_file_transfer",
        json!({"transferId": "0123456789abcdef0123456789abcdef"}),
    )
    .await;
    assert!(
        unknown["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("does not exist"),
        "{unknown}"
    );
}

both_backends!(import_ck_model_reads_an_uploaded_document);
async fn import_ck_model_reads_an_uploaded_document(store: Arc<dyn Store>) {
    let (platform, registry) = setup(store).await;
    let prepared = call(
        &registry,
        "prepare_file_upload",
        json!({"fileName": "demo.yaml", "tenantId": "octosystem"}),
    )
    .await;
    let id = prepared["transferId"].as_str().expect("id").to_owned();

    let early = call(
        &registry,
        "import_ck_model",
        json!({"tenantId": "octosystem", "transferId": id, "waitTimeoutMinutes": 0}),
    )
    .await;
    assert!(
        early["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("PUT the file body"),
        "{early}"
    );

    upload(
        &platform,
        &id,
        b"modelId: Demo.Uploaded-1.0.0\ndependencies:\n  - System-[2.0,3.0)\n",
    )
    .await;
    let queued = call(
        &registry,
        "import_ck_model",
        json!({"tenantId": "octosystem", "transferId": id, "waitTimeoutMinutes": 0}),
    )
    .await;
    assert_eq!(queued["isSuccess"], json!(true), "{queued}");
    assert_eq!(queued["modelId"], json!("Demo.Uploaded-1.0.0"), "{queued}");
}
