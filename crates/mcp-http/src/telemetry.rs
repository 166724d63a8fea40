//! Logging and, with the `otel` feature, OpenTelemetry export of the same spans.
//!
//! Logs go to stdout (stderr for operator commands) as text or JSON, filtered by `RUST_LOG`.
//! Built with `--features otel`, the request and tool spans (method, path, status; tool,
//! tenant, session) are also exported over OTLP/HTTP (protobuf) when the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` variable is set;
//! `OTEL_SERVICE_NAME` names the service (default `mcp-http`). Spans carry no tokens or
//! secrets: the fields are chosen where the spans are made.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Keeps the exporter alive; dropping it flushes the spans not yet sent.
#[must_use = "dropping the guard stops the span export"]
pub struct TelemetryGuard {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("mcp-http: flushing OpenTelemetry spans failed: {error}");
        }
    }
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// The server: everything at `info` and above, on stdout.
    Server,
    /// Operator commands print their outcome on stdout, so logs go to stderr at `warn`.
    Command,
}

/// Installs the global subscriber. Call once, at start-up.
pub fn init(format: LogFormat, target: LogTarget) -> TelemetryGuard {
    let default_level = match target {
        LogTarget::Server => "info",
        LogTarget::Command => "warn",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let fmt = tracing_subscriber::fmt::layer().with_writer(move || -> Box<dyn std::io::Write> {
        match target {
            LogTarget::Server => Box::new(std::io::stdout()),
            LogTarget::Command => Box::new(std::io::stderr()),
        }
    });
    let fmt = match format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    let registry = tracing_subscriber::registry().with(filter).with(fmt);

    #[cfg(feature = "otel")]
    {
        let exporting = target == LogTarget::Server && otel::endpoint_configured();
        let provider = exporting.then(otel::provider).transpose();
        match provider {
            Ok(Some(provider)) => {
                registry.with(otel::layer(&provider)).init();
                tracing::info!("exporting spans over OTLP/HTTP");
                TelemetryGuard {
                    provider: Some(provider),
                }
            }
            Ok(None) => {
                registry.init();
                TelemetryGuard { provider: None }
            }
            Err(error) => {
                registry.init();
                tracing::warn!("OpenTelemetry export is off: {error}");
                TelemetryGuard { provider: None }
            }
        }
    }
    #[cfg(not(feature = "otel"))]
    {
        registry.init();
        TelemetryGuard {}
    }
}

/// The OTLP exporter and the layer that turns tracing spans into OpenTelemetry spans.
#[cfg(feature = "otel")]
pub mod otel {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{SpanExporter, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::registry::LookupSpan;

    /// The service name when `OTEL_SERVICE_NAME` is unset.
    const SERVICE_NAME: &str = "mcp-http";

    /// Whether the standard OTLP endpoint variables ask for export.
    pub fn endpoint_configured() -> bool {
        [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
    }

    /// A provider exporting in batches to the endpoint the environment names.
    pub fn provider() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
        let exporter = SpanExporter::builder().with_http().build()?;
        Ok(with_exporter(exporter))
    }

    /// A provider exporting to `endpoint` (the full URL, e.g. `http://collector:4318/v1/traces`).
    pub fn provider_for(
        endpoint: &str,
    ) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .build()?;
        Ok(with_exporter(exporter))
    }

    fn with_exporter(exporter: SpanExporter) -> SdkTracerProvider {
        let name = std::env::var("OTEL_SERVICE_NAME")
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| SERVICE_NAME.to_owned());
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(name).build())
            .build()
    }

    /// The layer that records tracing spans into `provider`.
    pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(SERVICE_NAME))
    }
}

#[cfg(all(test, feature = "otel"))]
mod tests {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tracing_subscriber::layer::SubscriberExt;

    /// What the collector received: path, content type, body.
    type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

    /// A minimal OTLP/HTTP collector: records every POST and answers 200.
    async fn collector() -> (String, Received) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind collector");
        let address = listener.local_addr().expect("address");
        let received: Received = Arc::default();
        let sink = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let sink = sink.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let sink = sink.clone();
                            async move {
                                let path = request.uri().path().to_owned();
                                let content_type = request
                                    .headers()
                                    .get(hyper::header::CONTENT_TYPE)
                                    .and_then(|value| value.to_str().ok())
                                    .unwrap_or_default()
                                    .to_owned();
                                let body = request.into_body().collect().await?.to_bytes();
                                sink.lock().expect("lock").push((
                                    path,
                                    content_type,
                                    body.to_vec(),
                                ));
                                Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::new())))
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (format!("http://{address}/v1/traces"), received)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tool_spans_reach_an_otlp_collector_with_their_fields() {
        let (endpoint, received) = collector().await;
        let provider = super::otel::provider_for(&endpoint).expect("provider");
        let subscriber = tracing_subscriber::registry().with(super::otel::layer(&provider));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "tool",
                tool = "query_entities",
                tenant = "plant7",
                session = "s-123"
            );
            span.in_scope(|| tracing::info!("inside the tool"));
        });
        // Shutting down flushes the batch; the exporter's client is blocking, so off the runtime.
        tokio::task::spawn_blocking(move || provider.shutdown())
            .await
            .expect("join")
            .expect("flush spans");

        let received = received.lock().expect("lock").clone();
        assert_eq!(received.len(), 1, "one export request: {received:?}");
        let (path, content_type, body) = &received[0];
        assert_eq!(path, "/v1/traces");
        assert_eq!(content_type, "application/x-protobuf");
        // Protobuf keeps strings as UTF-8 bytes: the span and its fields are in the body.
        for needle in ["tool", "query_entities", "plant7", "s-123", "mcp-http"] {
            assert!(
                body.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "the export lacks '{needle}'"
            );
        }
    }
}
