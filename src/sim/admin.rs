//! `/_sim/…`: the controls of [`super::SimControl`] over HTTP, for tests that drive
//! the real binary from outside the process. See the table in the module docs.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiError, json_response, parse_body};
use super::control::SimControl;
use super::faults::Fault;
use super::keep_alive;
use super::server::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/requests", get(requests).delete(clear_requests))
        .route("/_sim/fault", post(fault))
        .route("/_sim/restart", post(restart))
        .route("/_sim/keep_alive", post(set_keep_alive))
        .route("/_sim/down", post(down))
        .route("/_sim/memory", get(memory))
        .route("/_sim/state", get(state))
        .route("/_sim/registry", post(registry))
}

fn control(shared: Arc<Shared>) -> SimControl {
    SimControl::new(shared)
}

fn ok() -> Response {
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &json!(control(shared).requests()))
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> Response {
    control(shared).clear_requests();
    ok()
}

#[derive(Deserialize)]
struct FaultRequest {
    kind: String,
    #[serde(default)]
    ms: u64,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    count: Option<u32>,
}

async fn fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: FaultRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let fault = match req.kind.as_str() {
        "none" => None,
        "latency" => Some(Fault::Latency(Duration::from_millis(req.ms))),
        "error" => Some(Fault::Error {
            status: req.status.unwrap_or(500),
            message: req
                .message
                .unwrap_or_else(|| "internal server error".into()),
        }),
        "garbage" => Some(Fault::Garbage),
        "truncate" => Some(Fault::Truncate),
        "drop" => Some(Fault::Drop),
        other => {
            return ApiError::bad_request(format!("unknown fault kind '{other}'")).into_response();
        }
    };
    let c = control(shared);
    match fault {
        Some(f) => c.set_fault(f, req.count),
        None => c.clear_faults(),
    }
    ok()
}

async fn restart(State(shared): State<Arc<Shared>>) -> Response {
    control(shared).restart();
    ok()
}

#[derive(Deserialize)]
struct KeepAliveRequest {
    model: String,
    keep_alive: Value,
}

async fn set_keep_alive(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: KeepAliveRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let ka = match keep_alive::parse(Some(&req.keep_alive)) {
        Ok(Some(ka)) => ka,
        Ok(None) => return ApiError::bad_request("keep_alive is required").into_response(),
        Err(e) => return ApiError::bad_request(e).into_response(),
    };
    match control(shared).set_keep_alive(&req.model, ka).await {
        Ok(()) => ok(),
        Err(super::SimError::Api { status, message }) => {
            ApiError::new(status, message).into_response()
        }
        Err(e) => ApiError::new(500, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct DownRequest {
    ms: u64,
}

/// Answers first, then goes down for `ms` and comes back on the same port.
async fn down(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: DownRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let c = control(shared);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        c.set_down(true).await;
        tokio::time::sleep(Duration::from_millis(req.ms)).await;
        c.set_down(false).await;
    });
    ok()
}

async fn memory(State(shared): State<Arc<Shared>>) -> Response {
    let m = control(shared).memory();
    let gpus: Vec<Value> = m
        .gpus
        .iter()
        .map(|g| json!({ "name": g.name, "total": g.total, "used": g.used, "free": g.free() }))
        .collect();
    let body = json!({
        "ram_total": m.ram_total,
        "ram_available": m.ram_available,
        "ram_used": m.ram_used,
        "swap_total": m.swap_total,
        "swap_used": m.swap_used,
        "gpus": gpus,
    });
    json_response(StatusCode::OK, &body)
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let c = control(shared);
    json_response(
        StatusCode::OK,
        &json!({ "installed": c.installed(), "loaded": c.loaded() }),
    )
}

#[derive(Deserialize)]
struct RegistryRequest {
    model: String,
}

/// What the registry would serve for a pull of `model`: its `/api/tags` entry and its
/// `/api/show` figures, installed or not. Real Ollama has no such route (a client
/// learns a model's size only once it is pulled); the command line asks it so that a
/// pull from the stand-in can say beforehand whether the model will fit.
async fn registry(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: RegistryRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let found = super::lock(&shared.state).catalog.find(&req.model).cloned();
    let Some(m) = found else {
        return ApiError::new(404, format!("model '{}' not in the registry", req.model))
            .into_response();
    };
    let body = json!({
        "entry": super::api::tag_entry(&m, true),
        "show": {
            "details": m.details,
            "model_info": m.model_info,
            "capabilities": m.capabilities,
        },
        "installed": m.installed,
    });
    json_response(StatusCode::OK, &body)
}
