//! The HTTP side: `PUT /file-transfer/upload/{id}` and
//! `GET|HEAD /file-transfer/download/{id}`. Both stream: an upload is
//! written frame by frame as it arrives, a download is read from disk in
//! 64 KiB chunks, so memory stays constant whatever the file size.
//!
//! Statuses: 201 upload stored, 200/206 download, 404 unknown id, 410
//! expired or cancelled, 409 a second PUT (or a download before the upload
//! finished), 413 over the cap, 416 an unsatisfiable range.

use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;
use futures::TryStreamExt;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::{BodyExt, Empty, Full, StreamBody, combinators::BoxBody};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use octo_store::TransferState;

use crate::error::TransferError;
use crate::service::TransferService;

/// The response body of the transfer handlers: a file stream may fail
/// mid-way, which aborts the response rather than truncating it silently.
pub type TransferBody = BoxBody<Bytes, std::io::Error>;

const CHUNK: usize = 64 * 1024;

/// Removes a partial upload file unless disarmed: runs when the upload
/// fails and also when hyper drops the handler because the client went
/// away mid-body.
struct PartGuard(Option<PathBuf>);

impl Drop for PartGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl TransferService {
    /// Serves `PUT /file-transfer/upload/{transfer_id}`.
    pub async fn handle_upload<B>(
        &self,
        transfer_id: &str,
        request: Request<B>,
    ) -> Response<TransferBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if request.method() != Method::PUT {
            return method_not_allowed("PUT");
        }
        match self.upload(transfer_id, request).await {
            Ok(response) => response,
            Err(error) => error_response(&error),
        }
    }

    async fn upload<B>(
        &self,
        transfer_id: &str,
        request: Request<B>,
    ) -> Result<Response<TransferBody>, TransferError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let record = self.lookup(transfer_id).await?;
        if record.state != TransferState::Reserved {
            return Ok(text(
                StatusCode::CONFLICT,
                format!(
                    "Transfer '{transfer_id}' already has its file; a transfer takes one upload. \
                     Reserve a new transfer to upload again.\n"
                ),
            ));
        }
        let max = self.config().max_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > max) {
            return Ok(too_large(max));
        }

        let part = self.part_path(transfer_id)?;
        let mut guard = PartGuard(Some(part.clone()));
        let mut file = tokio::fs::File::create(&part).await?;
        let mut hasher = sha2::Sha256::new();
        let mut size: u64 = 0;
        let body = request.into_body();
        let mut body = std::pin::pin!(body);
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    let error: Box<dyn std::error::Error + Send + Sync> = error.into();
                    tracing::info!(transfer_id, %error, "upload interrupted");
                    return Ok(text(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "The upload was interrupted ({error}); PUT the whole file again.\n"
                        ),
                    ));
                }
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            size += data.len() as u64;
            if size > max {
                // The guard removes the partial file on return.
                return Ok(too_large(max));
            }
            hasher.update(&data);
            file.write_all(&data).await?;
        }
        // Durable before it is visible: data on disk, then the record, then
        // the rename that makes the file readable under its final name.
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());
        let completed_at = chrono::Utc::now();
        if !self
            .store()
            .complete_transfer(transfer_id, size, &sha256, completed_at)
            .await?
        {
            // A racing PUT completed first, or the transfer expired or was
            // cancelled while this body arrived.
            return match self.lookup(transfer_id).await {
                Ok(_) => Ok(text(
                    StatusCode::CONFLICT,
                    format!("Transfer '{transfer_id}' already has its file.\n"),
                )),
                Err(error) => Err(error),
            };
        }
        let target = self.file_path(transfer_id);
        tokio::fs::rename(&part, &target).await?;
        guard.0 = None;
        sync_dir(target.parent()).await;
        tracing::info!(transfer_id, size, "upload complete");
        metrics::counter!("octo_transfer_bytes_total", "direction" => "upload").increment(size);
        let body = format!(
            "{{\"transferId\":\"{transfer_id}\",\"sizeBytes\":{size},\"sha256\":\"{sha256}\"}}\n"
        );
        let mut response = Response::new(full(body));
        *response.status_mut() = StatusCode::CREATED;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        insert_checksums(headers, &sha256);
        Ok(response)
    }

    /// Serves `GET|HEAD /file-transfer/download/{transfer_id}`, with single
    /// byte ranges so a broken download can resume.
    pub async fn handle_download<B>(
        &self,
        transfer_id: &str,
        request: Request<B>,
    ) -> Response<TransferBody> {
        let method = request.method().clone();
        if method != Method::GET && method != Method::HEAD {
            return method_not_allowed("GET, HEAD");
        }
        match self
            .download(transfer_id, &request, method == Method::HEAD)
            .await
        {
            Ok(response) => response,
            Err(error) => error_response(&error),
        }
    }

    async fn download<B>(
        &self,
        transfer_id: &str,
        request: &Request<B>,
        head_only: bool,
    ) -> Result<Response<TransferBody>, TransferError> {
        let (path, record) = match self.open_completed(transfer_id).await {
            Err(TransferError::NotComplete(id)) => {
                return Ok(text(
                    StatusCode::CONFLICT,
                    format!("{}\n", TransferError::NotComplete(id)),
                ));
            }
            other => other?,
        };
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            // Purged between the lookup and the open.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(TransferError::Gone(transfer_id.to_owned()));
            }
            Err(error) => return Err(error.into()),
        };
        let size = file.metadata().await?.len();
        let range = match request
            .headers()
            .get(header::RANGE)
            .and_then(|value| value.to_str().ok())
        {
            None => None,
            Some(value) => match parse_range(value, size) {
                RangeRequest::Ignore => None,
                RangeRequest::Satisfiable(start, end) => Some((start, end)),
                RangeRequest::Unsatisfiable => {
                    let mut response = text(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        format!("The range '{value}' lies outside the file of {size} bytes.\n"),
                    );
                    response.headers_mut().insert(
                        header::CONTENT_RANGE,
                        header_value(&format!("bytes */{size}")),
                    );
                    return Ok(response);
                }
            },
        };
        let (status, start, length) = match range {
            Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
            None => (StatusCode::OK, 0, size),
        };
        if !head_only {
            // Counted when the response starts: a client that breaks off mid-way resumes with
            // a range, so the sum over-counts aborted downloads at most once each.
            metrics::counter!("octo_transfer_bytes_total", "direction" => "download")
                .increment(length);
        }
        let body = if head_only || length == 0 {
            Empty::new().map_err(|never| match never {}).boxed()
        } else {
            file_body(file, start, length).await?
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(header::CONTENT_LENGTH, header_value(&length.to_string()));
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(
            header::CONTENT_DISPOSITION,
            header_value(&content_disposition(&record.file_name)),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(sha256) = &record.sha256 {
            insert_checksums(headers, sha256);
            headers.insert(header::ETAG, header_value(&format!("\"{sha256}\"")));
        }
        if status == StatusCode::PARTIAL_CONTENT {
            let end = start + length - 1;
            headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{size}")),
            );
        }
        Ok(response)
    }
}

async fn file_body(
    mut file: tokio::fs::File,
    start: u64,
    length: u64,
) -> Result<TransferBody, std::io::Error> {
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let stream = ReaderStream::with_capacity(file.take(length), CHUNK).map_ok(Frame::data);
    Ok(BodyExt::boxed(StreamBody::new(stream)))
}

/// How a `Range` header applies to a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// Not a single byte range we serve (e.g. several ranges, another unit):
    /// send the whole file, as RFC 9110 allows.
    Ignore,
    /// Send bytes `start..=end`.
    Satisfiable(u64, u64),
    /// 416.
    Unsatisfiable,
}

fn parse_range(value: &str, size: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignore;
    };
    if spec.contains(',') {
        return RangeRequest::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // Suffix range: the last N bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeRequest::Unsatisfiable,
            Ok(_) if size == 0 => RangeRequest::Unsatisfiable,
            Ok(n) => RangeRequest::Satisfiable(size.saturating_sub(n), size - 1),
            Err(_) => RangeRequest::Ignore,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Ignore;
    };
    let end = if last.is_empty() {
        size.saturating_sub(1)
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end.min(size.saturating_sub(1)),
            _ => return RangeRequest::Ignore,
        }
    };
    if start >= size {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Satisfiable(start, end)
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the plain form with
/// anything outside printable ASCII (and quotes, backslashes, path
/// separators) replaced by `_`, and the exact name percent-encoded.
fn content_disposition(file_name: &str) -> String {
    let plain: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/' | ';' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

fn insert_checksums(headers: &mut http::HeaderMap, sha256_hex: &str) {
    headers.insert("x-checksum-sha256", header_value(sha256_hex));
    if let Ok(raw) = hex::decode(sha256_hex) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        headers.insert("digest", header_value(&format!("sha-256={b64}")));
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn sync_dir(dir: Option<&Path>) {
    // Makes the rename durable; best effort (not every platform allows
    // opening a folder for sync).
    if let Some(dir) = dir
        && let Ok(handle) = tokio::fs::File::open(dir).await
    {
        let _ = handle.sync_all().await;
    }
}

fn full(body: String) -> TransferBody {
    Full::new(Bytes::from(body))
        .map_err(|never| match never {})
        .boxed()
}

fn text(status: StatusCode, body: String) -> Response<TransferBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn too_large(max: u64) -> Response<TransferBody> {
    let mut response = text(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "Payload Too Large: the {} hard cap per transfer was exceeded. Split the payload, \
             or use a different mechanism. Nothing of this upload was kept.\n",
            human_size(max)
        ),
    );
    // The rest of the body is not read; closing tells the client to stop.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `5 GiB`, `1 KiB` or `1000 bytes`: the cap as an operator configured it.
fn human_size(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

fn method_not_allowed(allow: &'static str) -> Response<TransferBody> {
    let mut response = text(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("This path answers {allow}.\n"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn error_response(error: &TransferError) -> Response<TransferBody> {
    let status = match error {
        TransferError::NotFound(_) => StatusCode::NOT_FOUND,
        TransferError::Gone(_) => StatusCode::GONE,
        TransferError::NotComplete(_) => StatusCode::CONFLICT,
        TransferError::InvalidFileName(_) => StatusCode::BAD_REQUEST,
        TransferError::Store(_) | TransferError::Io(_) => {
            tracing::error!(%error, "file transfer failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    text(status, format!("{error}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-9", 100), Satisfiable(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=90-500", 100), Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Satisfiable(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ignore);
        assert_eq!(parse_range("items=0-1", 100), Ignore);
        assert_eq!(parse_range("bytes=5-1", 100), Ignore);
    }

    #[test]
    fn caps_are_shown_in_binary_units() {
        assert_eq!(human_size(5 * (1 << 30)), "5 GiB");
        assert_eq!(human_size(1024), "1 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn content_disposition_is_sanitized() {
        assert_eq!(
            content_disposition("model.zip"),
            "attachment; filename=\"model.zip\"; filename*=UTF-8''model.zip"
        );
        let header = content_disposition("a\"b/../Zähler.yaml");
        assert!(
            header.starts_with("attachment; filename=\"a_b_.._Z_hler.yaml\""),
            "{header}"
        );
        assert!(header.ends_with("Z%C3%A4hler.yaml"), "{header}");
        assert!(HeaderValue::from_str(&header).is_ok());
    }
}
