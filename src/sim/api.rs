//! The router and the read-only Ollama routes: `/`, version, tags, ps, show, and
//! gin's plain-text 404 and 405.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::catalog::{CatalogModel, with_tag};
use super::host::model_path;
use super::server::Shared;
use super::{admin, embed, faults, generate, lock, metrics, pull};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/api/version", get(version))
        .route("/api/tags", get(tags))
        .route("/api/ps", get(ps))
        .route("/api/show", post(show))
        .route("/api/generate", post(generate::generate))
        .route("/api/chat", post(generate::chat))
        .route("/api/embed", post(embed::embed))
        .route("/api/embeddings", post(embed::embeddings))
        .route("/api/pull", post(pull::pull))
        .route("/api/delete", delete(pull::delete))
        .merge(admin::routes())
        .merge(metrics::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(shared.clone(), faults::middleware))
        .with_state(shared)
}

/// `{"error": "..."}` with a status, as every Ollama handler answers errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, &json!({ "error": self.message }))
    }
}

/// gin's `c.JSON`: compact JSON, `application/json; charset=utf-8`.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// `ShouldBindJSON`: an empty body and malformed JSON are both 400.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad_request("missing request body"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Go's `time.Time` JSON form in UTC: RFC 3339, nanoseconds with trailing zeros trimmed.
pub(crate) fn go_time(ts: Timestamp) -> String {
    ts.to_string()
}

/// Whether the simulated server is at least `major.minor` (`0.0.0`, a development
/// build, is the newest).
pub(crate) fn at_least(version: &str, major: u64, minor: u64) -> bool {
    super::band::Version::parse(version).at_least(major, minor, 0)
}

async fn root() -> Response {
    text(StatusCode::OK, "Ollama is running")
}

pub(crate) async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 page not found")
}

async fn method_not_allowed() -> Response {
    text(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed")
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (status, [(CONTENT_TYPE, "text/plain")], body).into_response()
}

async fn version(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &json!({ "version": shared.opts.version }))
}

async fn tags(State(shared): State<Arc<Shared>>) -> Response {
    shared.sweep();
    let recent = at_least(&shared.opts.version, 0, 30);
    let state = lock(&shared.state);
    let mut installed: Vec<&CatalogModel> = state
        .catalog
        .models
        .iter()
        .filter(|m| m.installed)
        .collect();
    installed.sort_by_key(|m| std::cmp::Reverse(crate::ollama::wire::parse_time(&m.modified_at)));
    let remote =
        super::band::knows_remote_models(super::band::Version::parse(&shared.opts.version));
    let models: Vec<Value> = installed
        .iter()
        .map(|m| {
            let mut entry = tag_entry(m, recent);
            // v0.12.0 `ListHandler`: `remote_model` and `remote_host` (omitempty).
            if remote && m.is_remote() {
                entry["remote_model"] = json!(m.remote_model);
                entry["remote_host"] = json!(m.remote_host);
            }
            entry
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "models": models }))
}

/// One `/api/tags` entry; `recent` (≥ 0.30) adds capabilities and two details.
pub(crate) fn tag_entry(m: &CatalogModel, recent: bool) -> Value {
    let mut entry = json!({
        "name": m.name,
        "model": m.name,
        "modified_at": m.modified_at,
        "size": m.size,
        "digest": m.digest,
        "details": m.details,
    });
    if recent {
        let arch = m.architecture();
        let details = &mut entry["details"];
        if let Some(c) = arch.context_length {
            details["context_length"] = c.into();
        }
        if let Some(e) = arch.embedding_length {
            details["embedding_length"] = e.into();
        }
        if !m.capabilities.is_empty() {
            entry["capabilities"] = json!(m.capabilities);
        }
    }
    entry
}

async fn ps(State(shared): State<Arc<Shared>>) -> Response {
    shared.sweep();
    let with_context = at_least(&shared.opts.version, 0, 10);
    let now = Timestamp::now();
    let state = lock(&shared.state);
    let models: Vec<Value> = state
        .host
        .ps_order(now)
        .into_iter()
        .map(|r| {
            let d = &r.model.details;
            let mut entry = json!({
                "name": r.model.name,
                "model": r.model.name,
                "size": r.size,
                "digest": r.model.digest,
                "details": {
                    "parent_model": "",
                    "format": d.format,
                    "family": d.family,
                    "families": d.families,
                    "parameter_size": d.parameter_size,
                    "quantization_level": d.quantization_level,
                },
                "expires_at": go_time(r.shown_expiry(now)),
                "size_vram": r.size_vram(),
            });
            if with_context {
                entry["context_length"] = r.num_ctx.into();
            }
            entry
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "models": models }))
}

#[derive(Deserialize)]
struct ShowRequest {
    #[serde(default)]
    model: String,
    /// The legacy key.
    #[serde(default)]
    name: String,
}

async fn show(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: ShowRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let name = if req.model.is_empty() {
        req.name
    } else {
        req.model
    };
    if name.is_empty() {
        return ApiError::bad_request("model is required").into_response();
    }
    let Some(m) = shared.installed(&name) else {
        let message = format!("model '{}' not found", with_tag(&name));
        return ApiError::new(404, message).into_response();
    };
    let body = json!({
        "modelfile": modelfile(&m),
        "parameters": m.parameters,
        "template": "{{ .Prompt }}",
        "details": m.details,
        "model_info": m.model_info,
        "capabilities": m.capabilities,
        "modified_at": m.modified_at,
    });
    json_response(StatusCode::OK, &body)
}

/// `GetModelInfo`'s header, then `Model.String()`: `FROM` the weights blob (what
/// the scheduler keys runners by), the template, one `PARAMETER` per parameter.
fn modelfile(m: &CatalogModel) -> String {
    let mut text = format!(
        "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM {}\n\nFROM {}\nTEMPLATE {{{{ .Prompt }}}}\n",
        m.name,
        model_path(&m.weights())
    );
    for line in m.parameters.lines() {
        let Some((name, value)) = line.trim().split_once(char::is_whitespace) else {
            continue;
        };
        // `%#v` quoted strings; `Command.String` prints them with `%v`.
        let value = value.trim();
        let value = serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string());
        text.push_str(&format!("PARAMETER {name} {}\n", quote(&value)));
    }
    text
}

/// `parser.quote`: only values with newlines or edge spaces are quoted.
fn quote(s: &str) -> String {
    if s.contains('\n') || s.starts_with(' ') || s.ends_with(' ') {
        if s.contains('"') {
            return format!("\"\"\"{s}\"\"\"");
        }
        return format!("\"{s}\"");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_is_utc_with_trimmed_nanoseconds() {
        let ts: Timestamp = "2025-07-11T18:44:02.665974990+02:00"
            .parse()
            .expect("valid");
        assert_eq!(go_time(ts), "2025-07-11T16:44:02.66597499Z");
        let ts: Timestamp = "2025-07-11T16:44:02Z".parse().expect("valid");
        assert_eq!(go_time(ts), "2025-07-11T16:44:02Z");
    }

    #[test]
    fn modelfile_names_the_weights_blob_and_the_parameters() {
        let c = super::super::Catalog::embedded();
        let m = c.find("llama3.1:8b").expect("llama3.1:8b");
        let text = modelfile(m);
        let from = format!("\nFROM /root/.ollama/models/blobs/sha256-{}\n", m.weights());
        assert!(
            text.starts_with("# Modelfile generated by \"ollama show\"\n"),
            "{text}"
        );
        assert!(text.contains("# FROM llama3.1:8b\n\n"), "{text}");
        assert!(text.contains(&from), "{text}");
        assert!(text.contains("\nPARAMETER stop <|eot_id|>\n"), "{text}");
        assert_eq!(quote(" x"), "\" x\"");
    }

    #[test]
    fn version_comparison() {
        assert!(at_least("0.12.6", 0, 10));
        assert!(!at_least("0.12.6", 0, 30));
        assert!(at_least("0.33.0-rc2", 0, 30));
        assert!(!at_least("0.9.1", 0, 10));
        assert!(
            at_least("0.0.0", 0, 30),
            "a development build is the newest"
        );
    }
}
