//! A stand-alone HTTP/1 server around [`DevIdp::handle`], for tests and tools.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::DevIdp;

/// Request bodies larger than this get 413: forms here are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

impl DevIdp {
    /// Serves the provider on `listener` until the returned future is dropped (or accepting
    /// fails in a way that does not pass). Each connection runs on its own task.
    ///
    /// Requests outside [`DevIdp::path_prefix`] get 404, so the listener's address must match
    /// the issuer's host and port for the URLs in the responses to work.
    ///
    /// # Errors
    ///
    /// Never in practice: transient accept errors (e.g. too many open files) are retried.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let idp = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let idp = idp.clone();
                    async move { Ok::<_, Infallible>(idp.handle_incoming(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn handle_incoming(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                let mut response =
                    Response::new(Full::new(Bytes::from_static(b"request body too large")));
                *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                return response;
            }
        };
        self.handle(Request::from_parts(parts, body)).map(Full::new)
    }
}
