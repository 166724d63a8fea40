//! Paths, probes and the answers a person gets when they point curl at the server.

mod common;

#[tokio::test]
async fn bare_host_is_404_and_names_the_right_paths() {
    let server = common::start(&[]).await;
    for path in ["/", "/nope", "/mcp/extra"] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.expect("body");
        assert!(body.contains("/mcp"), "{body}");
        assert!(body.contains("/{tenantId}/mcp"), "{body}");
    }
}

#[tokio::test]
async fn curl_head_on_mcp_is_405_not_a_timeout() {
    let server = common::start(&[]).await;
    for path in ["/mcp", "/octosystem/mcp"] {
        let response = server
            .client
            .head(server.url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 405, "{path}");
        assert!(response.headers().contains_key("allow"));
    }
}

#[tokio::test]
async fn health_probes_answer() {
    let server = common::start(&[]).await;
    let health: serde_json::Value = server
        .client
        .get(server.url("/health"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    for component in ["mcp", "toolCatalog", "dataDir", "store"] {
        assert_eq!(health["components"][component]["status"], "ok", "{health}");
    }
    for path in ["/health/ready", "/health/live"] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn an_invalid_tenant_in_the_path_is_404_with_the_reason() {
    let server = common::start(&[]).await;
    let response = server
        .client
        .post(server.url("/Not%20A%20Tenant/mcp"))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
    let body = response.text().await.expect("body");
    assert!(body.starts_with("Invalid TenantId"), "{body}");
}

#[tokio::test]
async fn metrics_count_http_responses_and_can_move_to_their_own_address() {
    let server = common::start(&[]).await;
    let missing = server
        .client
        .get(server.url("/nope"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("body");
    assert!(
        text.contains("octo_http_responses_total{status=\"404\"}"),
        "{text}"
    );

    // With --metrics-listen the scrape endpoint moves off the MCP listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let separate = common::start(&["--metrics-listen", &metrics_addr]).await;
    let on_main = separate
        .client
        .get(separate.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(on_main.status(), 404);
    let scraped = separate
        .client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.expect("body");
    assert!(text.contains("octo_mcp_sessions"), "{text}");
}
