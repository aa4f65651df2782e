//! `POST /api/pull` (NDJSON progress per layer) and `DELETE /api/delete`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::api::{ApiError, go_time, json_response, parse_body};
use super::catalog::CatalogModel;
use super::lock;
use super::server::Shared;

const NOT_FOUND: &str = "pull model manifest: file does not exist";

#[derive(Deserialize)]
struct NameRequest {
    #[serde(default)]
    model: String,
    /// The legacy key.
    #[serde(default)]
    name: String,
    #[serde(default)]
    stream: Option<bool>,
}

impl NameRequest {
    fn name(&self) -> &str {
        if self.model.is_empty() {
            &self.name
        } else {
            &self.model
        }
    }
}

/// Roughly `model.ParseName(...).IsValid()`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
}

/// A pull or delete body and the model it names (`model`, or the legacy `name`).
fn named_request(body: &Bytes) -> Result<(NameRequest, String), ApiError> {
    let req: NameRequest = parse_body(body)?;
    let name = req.name().to_string();
    if valid_name(&name) {
        Ok((req, name))
    } else {
        Err(ApiError::bad_request("invalid model name"))
    }
}

pub(crate) async fn pull(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (req, name) = match named_request(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let (tx, mut rx) = mpsc::channel::<Value>(16);
    tokio::spawn(run_pull(shared, name, tx));
    if req.stream.unwrap_or(true) {
        let lines = futures_util::stream::unfold(rx, |mut rx| async move {
            let line = rx.recv().await?;
            Some((Ok::<_, Infallible>(format!("{line}\n")), rx))
        });
        return (
            [(CONTENT_TYPE, "application/x-ndjson")],
            Body::from_stream(lines),
        )
            .into_response();
    }
    // stream:false: only the last progress object, or the error as a 500.
    let mut last = json!({});
    while let Some(line) = rx.recv().await {
        last = line;
    }
    match last.get("error").and_then(Value::as_str) {
        Some(e) => ApiError::new(500, e).into_response(),
        None => json_response(StatusCode::OK, &last),
    }
}

/// Emits the progress lines; a closed channel (the client left) stops the pull.
async fn run_pull(shared: Arc<Shared>, name: String, tx: mpsc::Sender<Value>) {
    let step = shared.opts.pull_step;
    let send = |v: Value| {
        let tx = tx.clone();
        async move {
            let ok = tx.send(v).await.is_ok();
            tokio::time::sleep(step).await;
            ok
        }
    };
    if !send(json!({ "status": "pulling manifest" })).await {
        return;
    }
    let found = lock(&shared.state).catalog.find(&name).cloned();
    let Some(model) = found else {
        send(json!({ "error": NOT_FOUND })).await;
        return;
    };
    for (digest, total) in layers(&model) {
        let status = format!("pulling {}", &digest[..12]);
        let steps: &[u64] = match (model.installed, total > 1_000_000) {
            (true, _) => &[4],
            (false, true) => &[0, 1, 2, 3, 4],
            (false, false) => &[0, 4],
        };
        for quarter in steps {
            let completed = total / 4 * quarter + if *quarter == 4 { total % 4 } else { 0 };
            let mut line =
                json!({ "status": status, "digest": format!("sha256:{digest}"), "total": total });
            // `completed` is omitempty in Go.
            if completed > 0 {
                line["completed"] = completed.into();
            }
            if !send(line).await {
                return;
            }
        }
    }
    for status in ["verifying sha256 digest", "writing manifest"] {
        if !send(json!({ "status": status })).await {
            return;
        }
    }
    mark_installed(&shared, &model.name, true);
    send(json!({ "status": "success" })).await;
}

fn mark_installed(shared: &Shared, name: &str, installed: bool) {
    let mut state = lock(&shared.state);
    if let Some(m) = state
        .catalog
        .models
        .iter_mut()
        .find(|m| crate::names::same_model(&m.name, name))
    {
        m.installed = installed;
        if installed {
            m.modified_at = go_time(Timestamp::now());
        }
    }
}

/// The manifest's layers: weights, template, license, params; sizes add up to `size`.
fn layers(m: &CatalogModel) -> Vec<(String, u64)> {
    let small = [("template", 1_481u64), ("license", 12_320), ("params", 110)];
    let small_total: u64 = small.iter().map(|(_, s)| s).sum();
    let mut out = vec![(
        fake_digest(&m.digest, "model"),
        m.size.saturating_sub(small_total),
    )];
    out.extend(small.iter().map(|(k, s)| (fake_digest(&m.digest, k), *s)));
    out
}

/// A stable 64-hex digest for a layer (FNV-1a, four lanes).
fn fake_digest(seed: &str, kind: &str) -> String {
    (0u8..4)
        .map(|lane| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in seed.bytes().chain(kind.bytes()).chain([lane]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect()
}

pub(crate) async fn delete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (_, name) = match named_request(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(model) = shared.installed(&name) else {
        return ApiError::new(404, format!("model '{name}' not found")).into_response();
    };
    // Like `ollama rm`: unload first (the runner of these weights), then remove.
    lock(&shared.state).host.unload_weights(&model.weights());
    mark_installed(&shared, &model.name, false);
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Catalog;

    #[test]
    fn layers_add_up_and_digests_are_hex() {
        let c = Catalog::embedded();
        let m = c.find("llama3.1:8b").expect("in catalog");
        let l = layers(m);
        assert_eq!(l.iter().map(|(_, s)| s).sum::<u64>(), m.size);
        for (d, _) in &l {
            assert_eq!(d.len(), 64);
            assert!(d.chars().all(|c| c.is_ascii_hexdigit()));
        }
        assert_ne!(l[0].0, l[1].0);
    }
}
