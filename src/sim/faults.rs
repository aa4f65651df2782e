//! Fault injection and the request log, as one middleware in front of the Ollama
//! routes. Admin routes (`/_sim/…`) and `/metrics` pass through untouched.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::api::ApiError;
use super::conn::ConnInfo;
use super::control::RecordedRequest;
use super::lock;
use super::server::Shared;

const MAX_BODY: usize = 16 << 20;

/// A way for the server to misbehave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long before answering normally.
    Latency(Duration),
    /// Answer with this status and `{"error": message}`.
    Error { status: u16, message: String },
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Announce the full Content-Length, send half the body, close the connection.
    Truncate,
    /// Close the connection without any response.
    Drop,
}

/// The active fault and how many more requests it applies to (`None`: all).
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    fault: Option<Fault>,
    remaining: Option<u32>,
}

impl FaultState {
    pub fn set(&mut self, fault: Option<Fault>, count: Option<u32>) {
        self.fault = fault;
        self.remaining = count;
    }

    /// The fault for the request at hand, counting it down.
    fn take(&mut self) -> Option<Fault> {
        let fault = self.fault.clone()?;
        if let Some(n) = self.remaining {
            if n <= 1 {
                self.fault = None;
                self.remaining = None;
            } else {
                self.remaining = Some(n - 1);
            }
            if n == 0 {
                return None;
            }
        }
        Some(fault)
    }
}

pub(crate) async fn middleware(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    req: Request,
    next: Next,
) -> Response {
    if !is_ollama_route(req.uri().path()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    lock(&shared.requests).push(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        body: body_value(&bytes),
        at: Timestamp::now(),
    });
    let req = Request::from_parts(parts, Body::from(bytes));
    let fault = lock(&shared.faults).take();
    match fault {
        None => next.run(req).await,
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(Fault::Error { status, message }) => ApiError::new(status, message).into_response(),
        Some(Fault::Garbage) => garbage(),
        Some(Fault::Truncate) => truncate(next.run(req).await).await,
        Some(Fault::Drop) => {
            conn.switch.kill();
            StatusCode::OK.into_response()
        }
    }
}

/// The stand-in's own routes (admin, exporter metrics) are neither faulted nor
/// logged: tests steer and read through them while Ollama's routes misbehave.
fn is_ollama_route(path: &str) -> bool {
    !(path.starts_with("/_sim/") || path == "/metrics")
}

/// JSON when it parses, the raw text otherwise, `null` when empty.
fn body_value(bytes: &Bytes) -> serde_json::Value {
    if bytes.trim_ascii().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// What a misconfigured proxy might send: HTML, with a terminal escape for good
/// measure (clients must sanitise it).
fn garbage() -> Response {
    let body = "<html><body><h1>502 Bad Gateway</h1>\u{1b}[2J</body></html>\n";
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// Sends half of the real reply under the full Content-Length, then cuts.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let announced = bytes.len() + 32;
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(announced));
    let half = bytes.slice(..bytes.len() / 2);
    let chunks = futures_util::stream::unfold(0u8, move |stage| {
        let half = half.clone();
        async move {
            match stage {
                0 => Some((Ok(half), 1)),
                1 => {
                    // Let the half reach the client before the connection dies.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((Err(std::io::Error::other("truncated by the stand-in")), 2))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_run_out() {
        let mut s = FaultState::default();
        s.set(Some(Fault::Garbage), Some(2));
        assert_eq!(s.take(), Some(Fault::Garbage));
        assert_eq!(s.take(), Some(Fault::Garbage));
        assert_eq!(s.take(), None);
        s.set(Some(Fault::Drop), None);
        for _ in 0..5 {
            assert_eq!(s.take(), Some(Fault::Drop));
        }
        s.set(Some(Fault::Drop), Some(0));
        assert_eq!(s.take(), None);
    }
}
