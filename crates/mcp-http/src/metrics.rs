//! `/metrics` in the Prometheus text format.
//!
//! The domain crates record through the `metrics` facade (tool calls and latency in
//! `octo-tools`, store query latency in `octo-store`, import jobs in `octo-ck-service`, transfer
//! bytes in `octo-transfer`); this module installs the one process-wide Prometheus recorder and
//! renders it. Gauges that are a reading of current state (MCP sessions) are set at scrape time.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: tool calls and queries span sub-millisecond lookups to
/// multi-second imports.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use. `None` when another recorder was installed
/// first (a service embedding this crate with its own): `/metrics` then says so.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &LATENCY_BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error, "a metrics recorder is already installed; /metrics is off");
                    None
                }
            }
        })
        .as_ref()
}

/// Records one HTTP response (for `octo_http_responses_total` and the latency histogram).
pub fn record_response(status: u16, seconds: f64) {
    metrics::counter!("octo_http_responses_total", "status" => status.to_string()).increment(1);
    metrics::histogram!("octo_http_request_duration_seconds").record(seconds);
}

/// The text exposition of every metric, with the scrape-time gauges set first.
pub fn render(mcp_sessions: usize) -> Option<String> {
    let handle = handle()?;
    metrics::gauge!("octo_mcp_sessions").set(mcp_sessions as f64);
    Some(handle.render())
}
