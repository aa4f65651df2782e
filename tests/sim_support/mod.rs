//! Helpers shared by the stand-in's integration tests: raw HTTP calls and /api/ps reading.
#![allow(dead_code)] // each test crate uses a different subset

use jiff::Timestamp;
use model_orchestrator::sim::{self, SimHandle, SimOptions};
use serde_json::Value;

pub const GIB: u64 = 1 << 30;

pub async fn server(opts: SimOptions) -> SimHandle {
    sim::start(opts).await.expect("stand-in starts")
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).expect("JSON body")
    }

    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("error field")
            .to_string()
    }
}

pub async fn call(s: &SimHandle, method: &str, path: &str, body: Option<&str>) -> Reply {
    let http = model_orchestrator::ollama::client::raw_http();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(method, format!("{}{path}", s.url()));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.expect("body read");
    Reply {
        status,
        content_type,
        text,
    }
}

pub async fn post(s: &SimHandle, path: &str, body: Value) -> Reply {
    call(s, "POST", path, Some(&body.to_string())).await
}

pub async fn ps(s: &SimHandle) -> Vec<Value> {
    let r = call(s, "GET", "/api/ps", None).await;
    assert_eq!(r.status, 200);
    r.json()["models"].as_array().expect("models array").clone()
}

pub fn expires(entry: &Value) -> Timestamp {
    entry["expires_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("expires_at is RFC 3339")
}

/// Seconds from now until the model's expiry, or None when not loaded.
pub async fn seconds_left(s: &SimHandle, name: &str) -> Option<f64> {
    ps(s)
        .await
        .iter()
        .find(|m| m["name"] == name)
        .map(|m| expires(m).duration_since(Timestamp::now()).as_secs_f64())
}

/// Names in an `/api/ps` list, sorted.
pub fn names(list: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = list
        .iter()
        .map(|m| m["name"].as_str().unwrap_or("").to_string())
        .collect();
    n.sort();
    n
}

/// The `/api/ps` entry of `name`.
pub async fn ps_entry(s: &SimHandle, name: &str) -> Option<Value> {
    ps(s).await.into_iter().find(|m| m["name"] == name)
}

/// Loads `model` (empty prompt) with extra body fields, returns the reply.
pub async fn load(s: &SimHandle, model: &str, extra: Value) -> Reply {
    let mut body = serde_json::json!({ "model": model });
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    post(s, "/api/generate", body).await
}

/// The stand-in playing `version`, with `gpus` of these GiB and `ram` GiB.
pub fn playing(version: &str, gpus: &[u64], ram: u64) -> SimOptions {
    SimOptions {
        version: version.into(),
        gpus: gpus
            .iter()
            .map(|g| model_orchestrator::sim::GpuSpec {
                name: "NVIDIA GeForce RTX 4090".into(),
                vram: g * GIB,
            })
            .collect(),
        ram_total: ram * GIB,
        ..SimOptions::for_tests()
    }
}

/// The embedded catalog changed by `f`.
pub fn catalog_with(
    f: impl FnOnce(&mut Vec<model_orchestrator::sim::CatalogModel>),
) -> model_orchestrator::sim::Catalog {
    let mut c = model_orchestrator::sim::Catalog::embedded();
    f(&mut c.models);
    c
}

/// The embedded catalog plus `gpt-oss:120b-cloud`, a cloud model.
pub fn with_cloud_model() -> model_orchestrator::sim::Catalog {
    catalog_with(|models| {
        let mut cloud = models[0].clone();
        cloud.name = "gpt-oss:120b-cloud".into();
        cloud.size = 384;
        cloud.digest = "c".repeat(64);
        cloud.weights = Some("d".repeat(64));
        cloud.remote_host = Some("https://ollama.com:443".into());
        cloud.remote_model = Some("gpt-oss:120b".into());
        models.push(cloud);
    })
}
