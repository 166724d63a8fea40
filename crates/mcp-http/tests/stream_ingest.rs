//! `POST /{tenantId}/stream-data/{archiveRtId}` over real HTTP on SQLite and PostgreSQL: a
//! streamed NDJSON body with a bad line (its batch refused, the others written), a JSON array,
//! the refusals (content type, method, cascade), concurrent ingestion while querying (a reader
//! only ever sees whole batches), and the bearer check (401 without or with a bad token, 403
//! for a read-only token, 200 with a token that may write).

mod common;

use std::path::Path;

use octo_test_support::{Backend, run_on_database};
use serde_json::{Value, json};

use common::{DEV_IDP_PASSWORD, TestServer, dev_idp_token};

const MODEL: &str = "modelId: Test.Grid-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Power
    valueType: Double
  - id: Phase
    valueType: String
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
      - id: ${this}/Phase
        name: Phase
        isOptional: true
";

const TENANT: &str = "plant";
const METERS: [&str; 3] = [
    "65a000000000000000000001",
    "65a000000000000000000002",
    "65a000000000000000000003",
];

async fn call(server: &TestServer, session: &str, name: &str, mut arguments: Value) -> Value {
    if arguments.get("tenantId").is_none() {
        arguments["tenantId"] = json!(TENANT);
    }
    let response = server.call_tool("/mcp", session, name, arguments).await;
    response["result"]["structuredContent"].clone()
}

async fn ok(server: &TestServer, session: &str, name: &str, arguments: Value) -> Value {
    let out = call(server, session, name, arguments).await;
    assert_eq!(out["isSuccess"], json!(true), "{name}: {out}");
    out
}

/// The tenant, the model, stream data and an activated archive of Power and Phase, through the
/// tools as an assistant would; returns the archive's rtId.
async fn set_up(server: &TestServer, session: &str) -> String {
    ok(
        server,
        session,
        "create_tenant",
        json!({"tenantId": "octosystem", "childTenantId": TENANT}),
    )
    .await;
    ok(
        server,
        session,
        "import_ck_model",
        json!({"content": MODEL, "waitTimeoutMinutes": 1}),
    )
    .await;
    ok(server, session, "enable_stream_data", json!({})).await;
    let created = ok(
        server,
        session,
        "create_entity",
        json!({
            "ckTypeId": "System.StreamData/RawArchive",
            "entityData": [
                {"attributePath": "Name", "value": "meters"},
                {"attributePath": "TargetCkTypeId", "value": "Test.Grid/Meter"},
                {"attributePath": "Columns", "value": [{"AttributePath": "Power"}, {"AttributePath": "Phase"}]},
                {"attributePath": "State", "value": "Inactive"},
                {"attributePath": "Kind", "value": "TimeSeries"}
            ]
        }),
    )
    .await;
    let id = created["rtId"].as_str().expect("rtId").to_owned();
    ok(
        server,
        session,
        "activate_archive",
        json!({"archiveRtId": id}),
    )
    .await;
    id
}

/// NDJSON line `n` (from 1): minute `n` after a base time, Power = n.
fn line(n: u64) -> String {
    let seconds = 1_780_000_000 + n * 60;
    let phase = ["L1", "L2", "L3"][(n % 3) as usize];
    format!(
        "{{\"timestamp\": {}, \"rtId\": \"{}\", \"values\": {{\"Power\": {n}, \"Phase\": \"{phase}\"}}}}\n",
        seconds * 1000,
        METERS[(n % 3) as usize]
    )
}

fn ingest_url(server: &TestServer, archive: &str) -> String {
    server.url(&format!("/{TENANT}/stream-data/{archive}"))
}

async fn post(
    server: &TestServer,
    archive: &str,
    content_type: &str,
    body: reqwest::Body,
    token: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = server
        .client
        .post(ingest_url(server, archive))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value, headers)
}

/// A body sent in chunks of `chunk_lines` lines, as a device streaming it would.
fn streamed(lines: Vec<String>, chunk_lines: usize) -> reqwest::Body {
    let chunks: Vec<Result<String, std::io::Error>> = lines
        .chunks(chunk_lines)
        .map(|chunk| Ok(chunk.concat()))
        .collect();
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

async fn count(server: &TestServer, session: &str, archive: &str) -> u64 {
    let out = ok(
        server,
        session,
        "query_stream_data_aggregation",
        json!({"archiveRtId": archive, "aggregations": [{"function": "count", "alias": "n"}]}),
    )
    .await;
    out["rows"][0]["n"].as_u64().expect("count")
}

async fn ingestion_over_http(backend: Backend) {
    run_on_database(backend, |url| async move {
        let server = common::start(&["--database-url", &url]).await;
        let session = server.initialize("/mcp").await;
        let archive = set_up(&server, &session).await;

        // 25 000 lines, line 12 345 bad: the second batch (lines 10 001–20 000) is refused.
        let lines: Vec<String> = (1..=25_000)
            .map(|n| {
                if n == 12_345 {
                    "{\"timestamp\": 1780000000000, \"rtId\": \"65a000000000000000000001\", \
                     \"values\": {\"Power\": \"lots\"}}\n"
                        .to_owned()
                } else {
                    line(n)
                }
            })
            .collect();
        let (status, out, _) = post(
            &server,
            &archive,
            "application/x-ndjson",
            streamed(lines, 700),
            None,
        )
        .await;
        assert_eq!(status, 422, "{out}");
        assert_eq!(out["isSuccess"], json!(false));
        assert_eq!(out["rowsAccepted"], json!(15_000), "{out}");
        assert_eq!(out["rowsRejected"], json!(10_000), "{out}");
        assert_eq!(
            out["rejectedBatches"],
            json!([{"firstLine": 10_001, "lastLine": 20_000, "rows": 10_000}])
        );
        assert_eq!(
            out["errors"],
            json!(["Line 12345: 'Power' must be a finite number."])
        );
        assert_eq!(count(&server, &session, &archive).await, 15_000);
        let powers = ok(
            &server,
            &session,
            "query_stream_data_aggregation",
            json!({"archiveRtId": archive, "aggregations": [
                {"function": "min", "attributePath": "Power", "alias": "lo"},
                {"function": "sum", "attributePath": "Power", "alias": "total"}]}),
        )
        .await;
        // Lines 1–10 000 and 20 001–25 000.
        let expected: u64 = (1..=10_000).chain(20_001..=25_000).sum();
        assert_eq!(powers["rows"][0]["total"].as_f64(), Some(expected as f64));
        assert_eq!(powers["rows"][0]["lo"].as_f64(), Some(1.0));

        // A JSON array, all good.
        let array = format!(
            "[{}]",
            (30_001..=30_003)
                .map(|n| line(n).trim_end().to_owned())
                .collect::<Vec<_>>()
                .join(",\n")
        );
        let (status, out, _) = post(
            &server,
            &archive,
            "application/json; charset=utf-8",
            array.into(),
            None,
        )
        .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["isSuccess"], json!(true));
        assert_eq!(out["rowsAccepted"], json!(3));
        assert_eq!(out["message"], json!("3 row(s) accepted in 1 batch(es)."));

        // Refusals before the body is read.
        let (status, out, _) = post(&server, &archive, "text/csv", "a,b".into(), None).await;
        assert_eq!(status, 415, "{out}");
        assert!(
            out["errorMessage"]
                .as_str()
                .is_some_and(|m| m.contains("application/x-ndjson")),
            "{out}"
        );
        let (status, out, _) = post(
            &server,
            "65a0000000000000000000ff",
            "application/x-ndjson",
            line(1).into(),
            None,
        )
        .await;
        assert_eq!(status, 404, "{out}");
        assert_eq!(
            out["errorMessage"],
            json!(
                "Archive not found: '65a0000000000000000000ff'. Verify with \
                 get_archive_storage_stats."
            )
        );
        let missing_tenant = server
            .client
            .post(server.url(&format!("/nowhere/stream-data/{archive}")))
            .header("content-type", "application/x-ndjson")
            .body(line(1))
            .send()
            .await
            .expect("sent");
        assert_eq!(missing_tenant.status(), 404);
        let refused: Value = missing_tenant.json().await.expect("json");
        assert_eq!(refused["errorMessage"], json!("Tenant 'nowhere' not found"));
        let get = server
            .client
            .get(ingest_url(&server, &archive))
            .send()
            .await
            .expect("sent");
        assert_eq!(get.status(), 405);
        ok(
            &server,
            &session,
            "disable_archive",
            json!({"archiveRtId": archive}),
        )
        .await;
        let (status, out, _) = post(
            &server,
            &archive,
            "application/x-ndjson",
            line(1).into(),
            None,
        )
        .await;
        assert_eq!(status, 409, "{out}");
        ok(
            &server,
            &session,
            "enable_archive",
            json!({"archiveRtId": archive}),
        )
        .await;

        // Concurrent ingestion while querying: four bodies of 5 000 rows (one batch each) while
        // a reader counts; every count it sees is the start plus whole bodies.
        let start = count(&server, &session, &archive).await;
        assert_eq!(start, 15_003);
        let writers: Vec<_> = (0..4_u64)
            .map(|writer| {
                let client = server.client.clone();
                let url = ingest_url(&server, &archive);
                let body: String = (0..5_000)
                    .map(|i| line(100_000 + writer * 10_000 + i))
                    .collect();
                tokio::spawn(async move {
                    let response = client
                        .post(url)
                        .header("content-type", "application/x-ndjson")
                        .body(body)
                        .send()
                        .await
                        .expect("sent");
                    let status = response.status().as_u16();
                    let out: Value = response.json().await.expect("json");
                    (status, out)
                })
            })
            .collect();
        let mut seen = Vec::new();
        while !writers.iter().all(tokio::task::JoinHandle::is_finished) {
            seen.push(count(&server, &session, &archive).await);
        }
        for writer in writers {
            let (status, out) = writer.await.expect("writer");
            assert_eq!(status, 200, "{out}");
            assert_eq!(out["rowsAccepted"], json!(5_000));
        }
        seen.push(count(&server, &session, &archive).await);
        assert_eq!(seen.last(), Some(&(start + 20_000)));
        assert!(
            seen.iter()
                .all(|n| (n - start) % 5_000 == 0 && *n <= start + 20_000),
            "a reader saw a partial batch: {seen:?}"
        );
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");

        // The ingested samples are counted for Prometheus.
        let metrics = server
            .client
            .get(server.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("octo_stream_samples_ingested_total ")),
            "{metrics}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_over_http_sqlite() {
    ingestion_over_http(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_over_http_postgres() {
    ingestion_over_http(Backend::Postgres).await;
}

async fn ingestion_needs_a_token_that_may_write(backend: Backend) {
    run_on_database(backend, |url| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let data: &Path = dir.path();
        // Set up without authentication, then serve the same data with it.
        let server = common::start_in(data, &["--database-url", &url]).await;
        let session = server.initialize("/mcp").await;
        let archive = set_up(&server, &session).await;
        server.stop().await;
        for mode in ["bearer-required", "device-flow"] {
            let server = common::start_in(
                data,
                &[
                    "--database-url",
                    &url,
                    "--auth-mode",
                    mode,
                    "--dev-idp-password",
                    DEV_IDP_PASSWORD,
                ],
            )
            .await;
            let (status, out, headers) = post(
                &server,
                &archive,
                "application/x-ndjson",
                line(1).into(),
                None,
            )
            .await;
            assert_eq!(status, 401, "{mode}: {out}");
            let challenge = headers["www-authenticate"].to_str().expect("ascii");
            assert!(
                challenge.starts_with("Bearer resource_metadata=")
                    && challenge.contains(&format!(
                        "/.well-known/oauth-protected-resource/{TENANT}/stream-data/{archive}"
                    )),
                "{challenge}"
            );
            assert!(
                out["errorMessage"]
                    .as_str()
                    .is_some_and(|m| m.contains("Authorization: Bearer")),
                "{out}"
            );
            let (status, out, headers) = post(
                &server,
                &archive,
                "application/x-ndjson",
                line(1).into(),
                Some("not-a-token"),
            )
            .await;
            assert_eq!(status, 401, "{out}");
            assert!(
                headers["www-authenticate"]
                    .to_str()
                    .is_ok_and(|v| v.contains("error=\"invalid_token\"")),
                "{headers:?}"
            );
            let reader = dev_idp_token(&server, "openid octo_api.read_only", "plant").await;
            let (status, out, _) = post(
                &server,
                &archive,
                "application/x-ndjson",
                line(2).into(),
                Some(&reader),
            )
            .await;
            assert_eq!(status, 403, "{out}");
            assert!(
                out["errorMessage"]
                    .as_str()
                    .is_some_and(|m| m.contains("read-only")),
                "{out}"
            );
            let writer = dev_idp_token(&server, "openid octo_api", "plant").await;
            let (status, out, _) = post(
                &server,
                &archive,
                "application/x-ndjson",
                line(if mode == "bearer-required" { 3 } else { 4 }).into(),
                Some(&writer),
            )
            .await;
            assert_eq!(status, 200, "{out}");
            assert_eq!(out["rowsAccepted"], json!(1));
            server.stop().await;
        }
        // Only the two admitted rows went in.
        let server = common::start_in(data, &["--database-url", &url]).await;
        let session = server.initialize("/mcp").await;
        assert_eq!(count(&server, &session, &archive).await, 2);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_needs_a_token_that_may_write_sqlite() {
    ingestion_needs_a_token_that_may_write(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_needs_a_token_that_may_write_postgres() {
    ingestion_needs_a_token_that_may_write(Backend::Postgres).await;
}
