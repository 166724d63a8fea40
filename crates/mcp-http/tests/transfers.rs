//! File transfers over real HTTP: every status of the upload and download paths, checksums,
//! ranges, the hard cap, expiry by the sweeper, and an upload killed mid-body.

mod common;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use common::TestServer;

/// SHA-256 of `hello world`.
const HELLO_SHA256: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

async fn prepare(server: &TestServer, file_name: &str) -> String {
    let session = server.initialize("/mcp").await;
    let response = server
        .call_tool(
            "/mcp",
            &session,
            "prepare_file_upload",
            json!({"fileName": file_name}),
        )
        .await;
    let out: &Value = &response["result"]["structuredContent"];
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    let id = out["transferId"].as_str().expect("transferId");
    assert_eq!(
        out["uploadUrl"],
        json!(server.url(&format!("/file-transfer/upload/{id}")))
    );
    out["transferId"].as_str().expect("transferId").to_owned()
}

fn upload_url(server: &TestServer, id: &str) -> String {
    server.url(&format!("/file-transfer/upload/{id}"))
}

fn download_url(server: &TestServer, id: &str) -> String {
    server.url(&format!("/file-transfer/download/{id}"))
}

/// The files in the transfer folder (complete and partial).
fn transfer_files(data_dir: &Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join("transfers"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn upload_then_download_with_checksums_ranges_and_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &[]).await;
    let id = prepare(&server, "Zähler \"v1\".txt").await;
    let client = &server.client;

    let put = client
        .put(upload_url(&server, &id))
        .body("hello world")
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 201);
    assert_eq!(put.headers()["x-checksum-sha256"], HELLO_SHA256);
    let body: Value = put.json().await.expect("json");
    assert_eq!(body["sizeBytes"], json!(11));
    assert_eq!(body["sha256"], json!(HELLO_SHA256));
    assert_eq!(transfer_files(dir.path()), vec![id.clone()]);

    let again = client
        .put(upload_url(&server, &id))
        .body("other")
        .send()
        .await
        .expect("put");
    assert_eq!(again.status(), 409);

    let get = client
        .get(download_url(&server, &id))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), 200);
    let headers = get.headers().clone();
    assert_eq!(headers["content-length"], "11");
    assert_eq!(headers["x-checksum-sha256"], HELLO_SHA256);
    assert_eq!(
        headers["digest"],
        "sha-256=uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
    );
    assert_eq!(headers["accept-ranges"], "bytes");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"Z_hler _v1_.txt\""),
        "{disposition}"
    );
    assert_eq!(get.text().await.expect("body"), "hello world");

    let head = client
        .head(download_url(&server, &id))
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "11");

    let partial = client
        .get(download_url(&server, &id))
        .header("range", "bytes=6-")
        .send()
        .await
        .expect("range");
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.headers()["content-range"], "bytes 6-10/11");
    assert_eq!(partial.text().await.expect("body"), "world");

    let beyond = client
        .get(download_url(&server, &id))
        .header("range", "bytes=11-20")
        .send()
        .await
        .expect("range");
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */11");
    server.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_and_downloads_wait_for_the_upload() {
    let server = common::start(&[]).await;
    let client = &server.client;
    for id in [
        "0123456789abcdef0123456789abcdef",
        "not-an-id",
        "..%2F..%2Fetc",
    ] {
        let put = client
            .put(upload_url(&server, id))
            .body("x")
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), 404, "{id}");
        let get = client
            .get(download_url(&server, id))
            .send()
            .await
            .expect("get");
        assert_eq!(get.status(), 404, "{id}");
    }
    let id = prepare(&server, "later.bin").await;
    let early = client
        .get(download_url(&server, &id))
        .send()
        .await
        .expect("get");
    assert_eq!(early.status(), 409);
    // Not behind the MCP Origin check: a browser-style origin does not matter here.
    let post = client
        .post(upload_url(&server, &id))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(post.status(), 405);
    server.stop().await;
}

#[tokio::test]
async fn content_length_over_the_cap_is_413_before_anything_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &["--max-transfer-bytes", "1024"]).await;
    let id = prepare(&server, "big.bin").await;
    let put = server
        .client
        .put(upload_url(&server, &id))
        .body(vec![7u8; 2048])
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 413);
    let text = put.text().await.expect("body");
    assert!(text.contains("Payload Too Large"), "{text}");
    assert!(text.contains("1 KiB hard cap"), "{text}");
    assert!(transfer_files(dir.path()).is_empty());
    // The reservation stays usable for a file that fits.
    let fits = server
        .client
        .put(upload_url(&server, &id))
        .body(vec![7u8; 1024])
        .send()
        .await
        .expect("put");
    assert_eq!(fits.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn a_chunked_body_growing_past_the_cap_is_413_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &["--max-transfer-bytes", "1024"]).await;
    let id = prepare(&server, "stream.bin").await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..4).map(|_| Ok(vec![1u8; 600])).collect();
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let put = server
        .client
        .put(upload_url(&server, &id))
        .body(body)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 413);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        transfer_files(dir.path()).is_empty(),
        "{:?}",
        transfer_files(dir.path())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_killed_upload_leaves_nothing_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &[]).await;
    let id = prepare(&server, "killed.bin").await;
    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let head = format!(
        "PUT /file-transfer/upload/{id} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n\r\n",
        server.addr
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    socket
        .write_all(&[0u8; 5000])
        .await
        .expect("part of the body");
    socket.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(socket);
    // The handler notices the broken body and removes its partial file.
    let mut files = transfer_files(dir.path());
    for _ in 0..50 {
        if files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        files = transfer_files(dir.path());
    }
    assert!(files.is_empty(), "{files:?}");
    let get = server
        .client
        .get(download_url(&server, &id))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), 409, "not complete");
    // The reservation can still take the whole file.
    let put = server
        .client
        .put(upload_url(&server, &id))
        .body("hello world")
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn expired_transfers_are_410_and_the_sweeper_removes_their_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &["--transfer-lifetime-secs", "1"]).await;
    let uploaded = prepare(&server, "a.txt").await;
    let reserved = prepare(&server, "b.txt").await;
    let put = server
        .client
        .put(upload_url(&server, &uploaded))
        .body("hello world")
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 201);
    assert_eq!(transfer_files(dir.path()), vec![uploaded.clone()]);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let get = server
        .client
        .get(download_url(&server, &uploaded))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), 410);
    let put = server
        .client
        .put(upload_url(&server, &reserved))
        .body("late")
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 410);
    assert!(
        transfer_files(dir.path()).is_empty(),
        "the sweeper removed the file"
    );
    server.stop().await;
}

/// A new upload holding `body`, PUT over HTTP.
async fn put_new(server: &TestServer, body: Vec<u8>) -> String {
    let id = prepare(server, "file.bin").await;
    let response = server
        .client
        .put(upload_url(server, &id))
        .body(body)
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 201);
    id
}

/// A download's body, fetched with GET.
async fn get_ok(server: &TestServer, id: &str) -> Vec<u8> {
    let response = server
        .client
        .get(download_url(server, id))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body").to_vec()
}

/// The tools on top of transfers end to end over HTTP: a runtime model PUT and imported, an
/// export fetched with GET and imported elsewhere, a dump fetched with GET, PUT back and
/// restored into a fresh tenant.
#[tokio::test]
async fn runtime_models_and_dumps_move_through_real_uploads_and_downloads() {
    const MODEL: &str = "modelId: Test.Depot-1.0.0\ndependencies:\n  - System-[2.0,3.0)\nattributes:\n  - id: Label\n    valueType: String\ntypes:\n  - typeId: Depot\n    derivedFromCkTypeId: ${System}/Entity\n    attributes:\n      - id: ${this}/Label\n        name: Label\n";
    const RUNTIME: &str = r#"{"dependencies":["Test.Depot-[1.0,2.0)"],"entities":[{"rtId":"65f1c0ffee0123456789bbb1","ckTypeId":"Test.Depot/Depot","attributes":[{"id":"Test.Depot/Label","value":"East"}]}]}"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::start_in(dir.path(), &[]).await;
    let session = server.initialize("/mcp").await;
    let call = |name: &'static str, arguments: Value| {
        let server = &server;
        let session = session.clone();
        async move {
            let response = server.call_tool("/mcp", &session, name, arguments).await;
            response["result"]["structuredContent"].clone()
        }
    };
    for tenant in ["depots", "depotcopy"] {
        let created = call("create_tenant", json!({"childTenantId": tenant})).await;
        assert_eq!(created["isSuccess"], json!(true), "{created}");
        let model = call(
            "import_ck_model",
            json!({"tenantId": tenant, "content": MODEL, "waitTimeoutMinutes": 1}),
        )
        .await;
        assert_eq!(model["isSuccess"], json!(true), "{model}");
    }
    let id = put_new(&server, RUNTIME.as_bytes().to_vec()).await;
    let imported = call(
        "import_runtime_model",
        json!({"tenantId": "depots", "transferId": id}),
    )
    .await;
    assert_eq!(imported["entitiesInserted"], json!(1), "{imported}");
    // The consumed upload is gone.
    let gone = server
        .client
        .get(download_url(&server, &id))
        .send()
        .await
        .expect("get");
    assert_eq!(gone.status(), 410);

    let exported = call(
        "export_runtime_model_by_query",
        json!({"tenantId": "depots", "ckTypeId": "Test.Depot/Depot"}),
    )
    .await;
    assert_eq!(exported["isSuccess"], json!(true), "{exported}");
    let zip = get_ok(&server, exported["transferId"].as_str().expect("id")).await;
    assert!(zip.starts_with(b"PK\x03\x04"));
    let id = put_new(&server, zip).await;
    let copied = call(
        "import_runtime_model",
        json!({"tenantId": "depotcopy", "transferId": id}),
    )
    .await;
    assert_eq!(copied["entitiesInserted"], json!(1), "{copied}");

    let dumped = call("dump_tenant", json!({"targetTenantId": "depots"})).await;
    assert_eq!(dumped["isSuccess"], json!(true), "{dumped}");
    let archive = get_ok(&server, dumped["transferId"].as_str().expect("id")).await;
    assert_eq!(dumped["sizeBytes"], json!(archive.len()));
    let id = put_new(&server, archive).await;
    let restored = call(
        "restore_tenant",
        json!({"transferId": id, "targetTenantId": "depotrestored", "confirm": true}),
    )
    .await;
    assert_eq!(restored["isSuccess"], json!(true), "{restored}");
    assert_eq!(restored["entities"], json!(1), "{restored}");
    let found = call(
        "query_entities",
        json!({"tenantId": "depotrestored", "ckTypeId": "Test.Depot/Depot"}),
    )
    .await;
    assert_eq!(
        found["entities"][0]["attributes"]["Label"],
        json!("East"),
        "{found}"
    );
    server.stop().await;
}
