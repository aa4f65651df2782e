//! `POST /api/pull` (NDJSON progress per layer) and `DELETE /api/delete`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

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

/// A pull or delete body and the model it names (`model`, or the legacy `name`,
/// `cmp.Or(r.Model, r.Name)`); `invalid` words the 400 for a bad name.
fn named_request(
    body: &Bytes,
    invalid: fn(&str) -> String,
) -> Result<(NameRequest, String), ApiError> {
    let req: NameRequest = parse_body(body)?;
    let name = req.name().to_string();
    if valid_name(&name) {
        Ok((req, name))
    } else {
        Err(ApiError::bad_request(invalid(&name)))
    }
}

/// `server/routes.go` `PullHandler`: a bad name is a 400 before any streaming
/// (`errtypes.InvalidModelNameErrMsg`); the rest streams from `PullModel`.
pub(crate) async fn pull(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (req, name) = match named_request(&body, |_| "invalid model name".into()) {
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
    // stream:false (`waitForStream`): only the last progress object, or the error
    // as a 500.
    let mut last = json!({});
    while let Some(line) = rx.recv().await {
        last = line;
    }
    match last.get("error").and_then(Value::as_str) {
        Some(e) => ApiError::new(500, e).into_response(),
        None => json_response(StatusCode::OK, &last),
    }
}

/// Sends one line, then waits a tick; `false` once the client has gone (its
/// request context is cancelled and `PullModel` returns).
async fn send(tx: &mpsc::Sender<Value>, step: Duration, line: Value) -> bool {
    let ok = tx.send(line).await.is_ok();
    tokio::time::sleep(step).await;
    ok
}

/// `server/images.go` `PullModel`: "pulling manifest", then each layer through
/// `downloadBlob`, then "verifying sha256 digest", "writing manifest", "success".
/// An unknown name fails in `pullModelManifest` (the registry's 404 is
/// `os.ErrNotExist`), after "pulling manifest" has been sent, so the status stays 200.
async fn run_pull(shared: Arc<Shared>, name: String, tx: mpsc::Sender<Value>) {
    let step = shared.opts.pull_step;
    if !send(&tx, step, json!({ "status": "pulling manifest" })).await {
        return;
    }
    let found = lock(&shared.state).catalog.find(&name).cloned();
    let Some(model) = found else {
        send(&tx, step, json!({ "error": NOT_FOUND })).await;
        return;
    };
    let per_step = (shared.opts.pull_speed as f64 * step.as_secs_f64()) as u64;
    for (digest, total) in layers(&model) {
        let status = format!("pulling {}", &digest[..12]);
        // Blobs stay on disk while the model is installed; a delete removes them
        // (`Manifest.RemoveLayers`), so a pull after a delete downloads again.
        for completed in layer_progress(total, model.installed, per_step) {
            if !send(&tx, step, progress_line(&status, &digest, total, completed)).await {
                return;
            }
        }
    }
    // "removing unused layers" only comes when an older manifest had other layers;
    // the catalog's manifests never change, so it never does here.
    for status in ["verifying sha256 digest", "writing manifest"] {
        if !send(&tx, step, json!({ "status": status })).await {
            return;
        }
    }
    mark_installed(&shared, &model.name, true);
    send(&tx, step, json!({ "status": "success" })).await;
}

/// `api.ProgressResponse`: `digest`, `total` and `completed` are all `omitempty`.
fn progress_line(status: &str, digest: &str, total: u64, completed: u64) -> Value {
    let mut line = json!({ "status": status, "digest": format!("sha256:{digest}") });
    if total > 0 {
        line["total"] = total.into();
    }
    if completed > 0 {
        line["completed"] = completed.into();
    }
    line
}

/// The `completed` values of one layer's lines (`server/download.go`): a layer on
/// disk once, complete (`downloadBlob`'s `os.Stat` hit); a new one from 0 by
/// `per_step` bytes a tick (`blobDownload.Wait`), ending at `total` (0: at once).
fn layer_progress(total: u64, cached: bool, per_step: u64) -> impl Iterator<Item = u64> {
    let first = if cached { total } else { 0 };
    let per_step = if per_step == 0 {
        total.max(1)
    } else {
        per_step
    };
    std::iter::successors(Some(first), move |&c| {
        (c < total).then(|| c.saturating_add(per_step).min(total))
    })
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

/// `server/routes.go` `DeleteHandler`: removes the manifest and its unused layers,
/// 200 with an empty body. It does not unload: a loaded runner keeps serving until it
/// expires (`ollama rm` unloads first, in `cmd/cmd.go`, not the server).
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (_, name) = match named_request(&body, |n| format!("name {n:?} is invalid")) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(model) = shared.installed(&name) else {
        return ApiError::new(404, format!("model '{name}' not found")).into_response();
    };
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

    #[test]
    fn a_layer_counts_up_by_steps_or_comes_once_when_cached() {
        let v: Vec<u64> = layer_progress(10, false, 4).collect();
        assert_eq!(v, [0, 4, 8, 10]);
        assert_eq!(layer_progress(10, true, 4).collect::<Vec<_>>(), [10]);
        assert_eq!(layer_progress(10, false, 0).collect::<Vec<_>>(), [0, 10]);
        assert_eq!(layer_progress(0, false, 4).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn progress_lines_leave_out_zero_fields() {
        let l = progress_line("pulling abc", "abc", 10, 0);
        assert_eq!(
            l,
            json!({ "status": "pulling abc", "digest": "sha256:abc", "total": 10 })
        );
        assert_eq!(progress_line("s", "d", 10, 10)["completed"], 10);
    }
}
