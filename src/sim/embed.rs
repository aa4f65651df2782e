//! `/api/embeddings` (every version) and `/api/embed` (from v0.2.6): an empty
//! request loads the model with the same scheduler as generate, so embedding-only
//! models can be loaded, pinned and (before v0.3.11) unloaded through them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api::{ApiError, json_response, parse_body};
use super::band::{self, Version};
use super::generate::{ensure_loaded, num_ctx};
use super::keep_alive;
use super::server::Shared;

#[derive(Debug, Default, Deserialize)]
struct EmbedRequest {
    #[serde(default)]
    model: String,
    /// `/api/embeddings`.
    #[serde(default)]
    prompt: String,
    /// `/api/embed`: a string or a list of strings.
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    keep_alive: Option<Value>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
}

/// A few numbers stand in for a real vector.
const VECTOR: [f64; 4] = [0.1, -0.2, 0.3, -0.4];

/// `EmbeddingsHandler` (v0.1.48 – v0.33.0-rc2): schedule, then "an empty request
/// loads the model" answers `{"embedding":[]}`.
pub(crate) async fn embeddings(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let run = async {
        let req: EmbedRequest = parse_body(&body)?;
        schedule(&shared, &req).await?;
        let embedding: &[f64] = if req.prompt.is_empty() { &[] } else { &VECTOR };
        Ok::<_, ApiError>(json_response(
            StatusCode::OK,
            &json!({ "embedding": embedding }),
        ))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `EmbedHandler`: from v0.3.6 schedules first and answers an empty input with
/// `{"model":M,"embeddings":[]}`; v0.2.6 – v0.3.5 refuse an absent input and
/// answer an empty one before scheduling. Older servers have no such route.
pub(crate) async fn embed(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let version = Version::parse(&shared.opts.version);
    if !band::has_embed_route(version) {
        return super::api::not_found().await;
    }
    let run = async {
        let req: EmbedRequest = parse_body(&body)?;
        let inputs = inputs(req.input.as_ref(), version)?;
        let loads = band::embed_without_input_loads(version);
        if inputs == 0 && !loads {
            return Ok(empty_embed(&req.model));
        }
        schedule(&shared, &req).await?;
        if inputs == 0 {
            return Ok(empty_embed(&req.model));
        }
        let vectors = vec![VECTOR; inputs];
        let body = json!({ "model": req.model, "embeddings": vectors });
        Ok::<_, ApiError>(json_response(StatusCode::OK, &body))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

fn empty_embed(model: &str) -> Response {
    let body = json!({ "model": model, "embeddings": [] });
    json_response(StatusCode::OK, &body)
}

/// How many non-empty inputs; `EmbedHandler`'s type switch.
fn inputs(input: Option<&Value>, version: Version) -> Result<usize, ApiError> {
    let invalid = || ApiError::bad_request("invalid input type");
    match input {
        None | Some(Value::Null) if band::embed_without_input_loads(version) => Ok(0),
        None | Some(Value::Null) => Err(invalid()),
        Some(Value::String(s)) => Ok(usize::from(!s.is_empty())),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(a.len()),
        Some(_) => Err(invalid()),
    }
}

/// `scheduleRunner` with no required capability: the same load semantics as
/// generate (reuse, reload on other options, keep-alive of the request).
async fn schedule(shared: &Arc<Shared>, req: &EmbedRequest) -> Result<(), ApiError> {
    let keep_alive = keep_alive::parse(req.keep_alive.as_ref()).map_err(ApiError::bad_request)?;
    if req.model.is_empty() {
        return Err(ApiError::bad_request("model is required"));
    }
    let model = shared
        .installed(&req.model)
        .ok_or_else(|| ApiError::new(404, format!("model '{}' not found", req.model)))?;
    ensure_loaded(shared, model, keep_alive, num_ctx(req.options.as_ref())).await
}
