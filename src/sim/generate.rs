//! `/api/generate` and `/api/chat`: load (empty prompt), unload (`keep_alive` 0),
//! keep-alive changes, and a tiny canned answer for real prompts.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api::{ApiError, go_time, json_response, parse_body};
use super::band::{self, Version};
use super::catalog::CatalogModel;
use super::sched::{Request, Scheduled, load_time};
use super::server::Shared;
use super::{keep_alive, lock};
use crate::duration::KeepAlive;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Generate,
    Chat,
}

impl Endpoint {
    fn verb(self) -> &'static str {
        match self {
            Endpoint::Generate => "generate",
            Endpoint::Chat => "chat",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct GenerateRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(default)]
    keep_alive: Option<Value>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
    #[serde(default)]
    stream: Option<bool>,
}

pub(crate) async fn generate(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    handle(shared, &body, Endpoint::Generate)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    handle(shared, &body, Endpoint::Chat)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(shared: Arc<Shared>, body: &Bytes, ep: Endpoint) -> Result<Response, ApiError> {
    let req: GenerateRequest = parse_body(body)?;
    // Go decodes keep_alive while binding the body, so its errors come first.
    let keep_alive = keep_alive::parse(req.keep_alive.as_ref()).map_err(ApiError::bad_request)?;
    if req.model.is_empty() && ep == Endpoint::Chat {
        return Err(ApiError::bad_request("model is required"));
    }
    let version = Version::parse(&shared.opts.version);
    let model = shared
        .installed(&req.model)
        .ok_or_else(|| ApiError::new(404, format!("model '{}' not found", req.model)))?;
    if model.is_remote() && band::knows_remote_models(version) {
        // v0.12.0 `GenerateHandler` proxies before the unload branch; the stand-in
        // is never signed in, so the remote answers 401 as ollama.com does.
        return Err(ApiError::new(401, "unauthorized"));
    }
    let unload = keep_alive.is_some_and(|k| k.is_unload());
    let empty = match ep {
        Endpoint::Generate => req.prompt.as_deref().unwrap_or("").is_empty(),
        Endpoint::Chat => req.messages.as_ref().is_none_or(Vec::is_empty),
    };
    if empty && unload && band::has_unload_branch(version) {
        // Answers at once, loaded or not, as long as the model is on disk; an
        // alias unloads the runner it shares (`expireRunner` by model path). It
        // comes before the capability check, so embedding models unload too.
        lock(&shared.state).host.unload_weights(&model.weights());
        return Ok(done(ep, &req.model, "unload"));
    }
    if !model.can_complete() {
        let message = band::not_supported(version, &req.model, ep.verb());
        return Err(ApiError::bad_request(message));
    }
    // Before v0.3.11 keep_alive 0 is a plain load whose runner expires at once.
    ensure_loaded(
        &shared,
        model.clone(),
        keep_alive,
        num_ctx(req.options.as_ref()),
    )
    .await?;
    if empty {
        return Ok(done(ep, &req.model, "load"));
    }
    let reply = canned(ep, &req.model, req.stream.unwrap_or(true));
    if unload {
        lock(&shared.state).host.unload_weights(&model.weights());
    }
    Ok(reply)
}

/// `options.num_ctx` as Go's `api.Options` reads a JSON number.
pub(crate) fn num_ctx(options: Option<&Map<String, Value>>) -> Option<u64> {
    let v = options?.get("num_ctx")?;
    v.as_u64().or_else(|| v.as_f64().map(|f| f as u64))
}

/// Serves the request from a loaded runner with the same options, or has the
/// scheduler load one (evicting as the version would). `keep_alive` `None` keeps
/// a loaded runner's own; `num_ctx` `None` takes the defaults. Runs as its own
/// task so a client hanging up does not leave a half-loaded runner behind.
pub(crate) async fn ensure_loaded(
    shared: &Arc<Shared>,
    model: CatalogModel,
    keep_alive: Option<KeepAlive>,
    num_ctx: Option<u64>,
) -> Result<(), ApiError> {
    let shared = shared.clone();
    tokio::spawn(async move { load(shared, model, keep_alive, num_ctx).await })
        .await
        .map_err(|e| ApiError::new(500, format!("load task failed: {e}")))?
}

async fn load(
    shared: Arc<Shared>,
    model: CatalogModel,
    keep_alive: Option<KeepAlive>,
    num_ctx: Option<u64>,
) -> Result<(), ApiError> {
    let req = Request {
        model: &model,
        num_ctx,
        keep_alive,
    };
    // A loaded runner serves at once, even while another model loads (≥ 0.11.5).
    if lock(&shared.state).host.reuse(&req, Timestamp::now()) {
        return Ok(());
    }
    // Ollama loads one model at a time (`activeLoading`).
    let _one_at_a_time = shared.load_lock.clone().lock_owned().await;
    let (id, bytes) = {
        let mut state = lock(&shared.state);
        let now = Timestamp::now();
        state.host.sweep(now);
        match state.host.schedule(&req, now) {
            Ok(Scheduled::Ready) => return Ok(()),
            Ok(Scheduled::Loading { id, bytes }) => (id, bytes),
            Err(message) => return Err(ApiError::new(500, message)),
        }
    };
    tokio::time::sleep(load_time(bytes, shared.opts.load_speed)).await;
    lock(&shared.state).host.finish_load(id, Timestamp::now());
    Ok(())
}

/// The single object a load or unload answers with, even when streaming.
fn done(ep: Endpoint, model: &str, reason: &str) -> Response {
    let now = go_time(Timestamp::now());
    let body = match ep {
        Endpoint::Generate => json!({
            "model": model, "created_at": now, "response": "",
            "done": true, "done_reason": reason,
        }),
        Endpoint::Chat => json!({
            "model": model, "created_at": now,
            "message": { "role": "assistant", "content": "" },
            "done_reason": reason, "done": true,
        }),
    };
    json_response(StatusCode::OK, &body)
}

const WORDS: [&str; 3] = ["Hello", " from the", " stand-in."];

/// A short answer: NDJSON word by word, or one object with `stream:false`.
fn canned(ep: Endpoint, model: &str, stream: bool) -> Response {
    let now = go_time(Timestamp::now());
    let piece = |text: &str| match ep {
        Endpoint::Generate => json!({ "response": text }),
        Endpoint::Chat => json!({ "message": { "role": "assistant", "content": text } }),
    };
    let full = WORDS.concat();
    let mut last = piece(if stream { "" } else { &full });
    let extra = json!({
        "model": model, "created_at": now, "done": true, "done_reason": "stop",
        "total_duration": 48_000_000u64, "load_duration": 2_000_000u64,
        "prompt_eval_count": 12, "prompt_eval_duration": 9_000_000u64,
        "eval_count": WORDS.len(), "eval_duration": 30_000_000u64,
    });
    merge(&mut last, extra);
    if !stream {
        return json_response(StatusCode::OK, &last);
    }
    let mut lines = String::new();
    for w in WORDS {
        let mut line = json!({ "model": model, "created_at": now });
        merge(&mut line, piece(w));
        line["done"] = false.into();
        lines.push_str(&format!("{line}\n"));
    }
    lines.push_str(&format!("{last}\n"));
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/x-ndjson")],
        lines,
    )
        .into_response()
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}
