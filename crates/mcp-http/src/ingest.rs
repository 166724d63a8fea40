//! `POST /{tenantId}/stream-data/{archiveRtId}`: stream-data ingestion over HTTP for devices and
//! pipelines. Only the HTTP side lives here (method, bearer check, content type, reading the body
//! frame by frame, status codes); parsing, batching and validation are
//! [`octo_streamdata::Ingestion`]'s.
//!
//! - Body: NDJSON (`application/x-ndjson`) or one JSON array (`application/json`) of rows
//!   `{"timestamp", "rtId", "values": {<column path>: value}}`, read as it arrives and written
//!   in all-or-nothing batches of 10 000 rows.
//! - Authentication: with any `--auth-mode` but `disabled`, `Authorization: Bearer <token>`
//!   validated like the MCP bearer path; the token must allow the tenant and not be read-only.
//! - Answer (JSON): 200 when every row was written; 422 when some rows were rejected (the body
//!   still says how many went in); 401/403 for the token; 404 for the cascade (tenant, stream
//!   data, archive runtime store, archive); 409 when the archive does not take samples; 415 for
//!   another content type; 503 when the store fails.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use octo_ids::TenantId;
use octo_mcp::Body;
use octo_streamdata::{IngestFormat, IngestReport, StreamDataError};
use serde_json::{Value, json};

use crate::auth::json_response;
use crate::routes::App;

/// Handles one ingestion request for `tenant` and `archive` (the path's segments).
pub async fn handle<B>(
    app: &App,
    tenant: &str,
    archive: &str,
    request: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if request.method() != Method::POST {
        let mut response = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            format!(
                "Stream-data ingestion takes POST with NDJSON (application/x-ndjson) or a JSON \
                 array (application/json) of rows; {} is not supported.",
                request.method()
            ),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let path = format!("/{tenant}/stream-data/{archive}");
    if let Some(refused) = app
        .auth
        .authorize_write(request.headers(), tenant, &path)
        .await
    {
        return refused;
    }
    let tenant_id: TenantId = match tenant.parse() {
        Ok(tenant) => tenant,
        Err(error) => return refuse(StatusCode::NOT_FOUND, None, error.to_string()),
    };
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let Some(format) = IngestFormat::from_content_type(content_type) else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some(&tenant_id),
            format!(
                "Content-Type '{content_type}' is not supported: send one row per line as \
                 application/x-ndjson, or one JSON array of rows as application/json."
            ),
        );
    };
    let streams = &app.platform.stream_data;
    let mut ingestion = match streams.start_ingestion(&tenant_id, archive, format).await {
        Ok(ingestion) => ingestion,
        Err(error) => return refuse(status_of(&error), Some(&tenant_id), error.to_string()),
    };
    let mut body = std::pin::pin!(request.into_body());
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                let error: Box<dyn std::error::Error + Send + Sync> = error.into();
                let report = ingestion.report().clone();
                record(&report);
                return answer(
                    StatusCode::BAD_REQUEST,
                    &tenant_id,
                    archive,
                    &report,
                    Some(format!(
                        "The request body broke off ({error}); the batches counted in \
                         rowsAccepted were written, the rest was not."
                    )),
                );
            }
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if let Err(error) = ingestion.feed(&data).await {
            let report = ingestion.report().clone();
            record(&report);
            return answer(
                status_of(&error),
                &tenant_id,
                archive,
                &report,
                Some(error.to_string()),
            );
        }
    }
    match ingestion.finish().await {
        Ok(report) => {
            record(&report);
            let status = if report.error_count == 0 {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            answer(status, &tenant_id, archive, &report, None)
        }
        Err(error) => refuse(status_of(&error), Some(&tenant_id), error.to_string()),
    }
}

/// Counts the samples that went in (`octo_stream_samples_ingested_total`) and the rows refused.
fn record(report: &IngestReport) {
    metrics::counter!("octo_stream_samples_ingested_total").increment(report.rows_accepted);
    metrics::counter!("octo_stream_rows_rejected_total").increment(report.rows_rejected);
}

fn status_of(error: &StreamDataError) -> StatusCode {
    match error {
        StreamDataError::TenantNotFound(_)
        | StreamDataError::NotEnabled(_)
        | StreamDataError::StoreNotInitialised(_)
        | StreamDataError::ArchiveNotFound(_) => StatusCode::NOT_FOUND,
        StreamDataError::State(_) => StatusCode::CONFLICT,
        StreamDataError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn answer(
    status: StatusCode,
    tenant: &TenantId,
    archive: &str,
    report: &IngestReport,
    failure: Option<String>,
) -> Response<Body> {
    let error = failure.or_else(|| (report.error_count > 0).then(|| report.summary()));
    let mut body = json!({
        "isSuccess": error.is_none(),
        "errorMessage": error,
        "message": report.summary(),
        "tenantId": tenant.to_string(),
        "archiveRtId": archive,
    });
    if let (Value::Object(body), Ok(Value::Object(report))) =
        (&mut body, serde_json::to_value(report))
    {
        body.extend(report);
    }
    json_response(status, &body)
}

fn refuse(status: StatusCode, tenant: Option<&TenantId>, message: String) -> Response<Body> {
    json_response(
        status,
        &json!({
            "isSuccess": false,
            "errorMessage": message,
            "tenantId": tenant.map(ToString::to_string),
            "rowsAccepted": 0,
        }),
    )
}
