//! The stand-in against ollama-api.md, over real loopback HTTP.

use std::time::Duration;

use jiff::Timestamp;
use model_orchestrator::sim::{self, GpuSpec, SimHandle, SimOptions};
use serde_json::{Value, json};

const GIB: u64 = 1 << 30;

async fn server(opts: SimOptions) -> SimHandle {
    sim::start(opts).await.expect("stand-in starts")
}

struct Reply {
    status: u16,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).expect("JSON body")
    }

    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("error field")
            .to_string()
    }
}

async fn call(s: &SimHandle, method: &str, path: &str, body: Option<&str>) -> Reply {
    let http = reqwest::Client::new();
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

async fn post(s: &SimHandle, path: &str, body: Value) -> Reply {
    call(s, "POST", path, Some(&body.to_string())).await
}

async fn ps(s: &SimHandle) -> Vec<Value> {
    let r = call(s, "GET", "/api/ps", None).await;
    assert_eq!(r.status, 200);
    r.json()["models"].as_array().expect("models array").clone()
}

fn expires(entry: &Value) -> Timestamp {
    entry["expires_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("expires_at is RFC 3339")
}

/// Seconds from now until the model's expiry, or None when not loaded.
async fn seconds_left(s: &SimHandle, name: &str) -> Option<f64> {
    ps(s)
        .await
        .iter()
        .find(|m| m["name"] == name)
        .map(|m| expires(m).duration_since(Timestamp::now()).as_secs_f64())
}

#[tokio::test]
async fn liveness_version_and_plain_text_errors() {
    let s = server(SimOptions::for_tests()).await;
    let r = call(&s, "GET", "/", None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "Ollama is running"));
    assert!(r.content_type.starts_with("text/plain"));
    assert_eq!(call(&s, "HEAD", "/", None).await.status, 200);
    let v = call(&s, "GET", "/api/version", None).await.json();
    assert_eq!(v, json!({ "version": "0.12.6" }));

    let r = call(&s, "GET", "/api/nothing", None).await;
    assert_eq!((r.status, r.text.as_str()), (404, "404 page not found"));
    assert!(r.content_type.starts_with("text/plain"));
    let r = call(&s, "GET", "/api/generate", None).await;
    assert_eq!((r.status, r.text.as_str()), (405, "405 method not allowed"));
    assert!(r.content_type.starts_with("text/plain"));
    assert_eq!(call(&s, "POST", "/api/tags", None).await.status, 405);
}

#[tokio::test]
async fn request_body_errors_are_json() {
    let s = server(SimOptions::for_tests()).await;
    for path in ["/api/generate", "/api/chat", "/api/show", "/api/pull"] {
        let r = call(&s, "POST", path, None).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "missing request body".into()),
            "{path}"
        );
        let r = call(&s, "POST", path, Some("{\"model\":")).await;
        assert_eq!(r.status, 400, "{path}");
        assert!(!r.error().is_empty());
    }
    let r = post(&s, "/api/generate", json!({ "model": "foo" })).await;
    assert_eq!((r.status, r.error()), (404, "model 'foo' not found".into()));
    let r = post(&s, "/api/chat", json!({ "model": "" })).await;
    assert_eq!((r.status, r.error()), (400, "model is required".into()));
    let r = post(&s, "/api/generate", json!({ "model": "nomic-embed-text" })).await;
    assert_eq!(
        (r.status, r.error()),
        (
            400,
            "\"nomic-embed-text:latest\" does not support generate".into()
        )
    );
    let r = post(
        &s,
        "/api/chat",
        json!({ "model": "nomic-embed-text", "messages": [] }),
    )
    .await;
    assert_eq!(
        r.error(),
        "\"nomic-embed-text:latest\" does not support chat"
    );
}

#[tokio::test]
async fn tags_lists_installed_models_newest_first() {
    let s = server(SimOptions::for_tests()).await;
    let models = call(&s, "GET", "/api/tags", None).await.json()["models"]
        .as_array()
        .expect("models")
        .clone();
    assert!(models.len() >= 15);
    let times: Vec<Timestamp> = models
        .iter()
        .map(|m| {
            m["modified_at"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .expect("time")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for m in &models {
        assert_eq!(m["name"], m["model"]);
        let digest = m["digest"].as_str().expect("digest");
        assert_eq!(digest.len(), 64);
        assert!(m["details"]["quantization_level"].is_string());
        // Fields of 0.30+ only.
        assert!(m.get("capabilities").is_none());
    }
    assert!(
        !models.iter().any(|m| m["name"] == "llama3.2:1b"),
        "only pullable"
    );
    let codellama = models
        .iter()
        .find(|m| m["name"] == "codellama:7b")
        .expect("codellama");
    assert!(codellama["details"]["families"].is_null());

    let new = server(SimOptions {
        version: "0.33.0".into(),
        ..SimOptions::for_tests()
    })
    .await;
    let models = call(&new, "GET", "/api/tags", None).await.json()["models"].clone();
    let nomic = models
        .as_array()
        .and_then(|a| a.iter().find(|m| m["name"] == "nomic-embed-text:latest"))
        .expect("nomic")
        .clone();
    assert_eq!(nomic["capabilities"], json!(["embedding"]));
    assert_eq!(nomic["details"]["embedding_length"], 768);
}

#[tokio::test]
async fn show_returns_real_gguf_keys_and_404_with_tag() {
    let s = server(SimOptions::for_tests()).await;
    let v = post(&s, "/api/show", json!({ "model": "llama3.1:8b" }))
        .await
        .json();
    let info = &v["model_info"];
    assert_eq!(info["general.architecture"], "llama");
    assert_eq!(info["llama.block_count"], 32);
    assert_eq!(info["llama.attention.head_count_kv"], 8);
    assert_eq!(v["capabilities"], json!(["completion", "tools"]));
    assert_eq!(v["details"]["quantization_level"], "Q4_K_M");
    assert!(v["parameters"].as_str().is_some_and(|p| p.contains("stop")));
    assert!(v["modified_at"].is_string());
    let v = post(&s, "/api/show", json!({ "name": "LLAMA3.1:8B" })).await;
    assert_eq!(v.status, 200, "legacy key, any case");
    let r = post(&s, "/api/show", json!({ "model": "llava" })).await;
    assert_eq!(
        (r.status, r.error()),
        (404, "model 'llava:latest' not found".into())
    );
}

#[tokio::test]
async fn load_answers_once_and_ps_shows_the_runner() {
    let s = server(SimOptions::for_tests()).await;
    let r = post(
        &s,
        "/api/generate",
        json!({ "model": "llama3.2:3b", "stream": true }),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/json"));
    let v = r.json();
    assert_eq!(v["model"], "llama3.2:3b");
    assert_eq!(
        (v["done"].clone(), v["done_reason"].clone()),
        (json!(true), json!("load"))
    );
    assert_eq!(v["response"], "");
    assert!(v.get("total_duration").is_none());
    let created: Timestamp = v["created_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("time");
    assert!(v["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!((Timestamp::now().as_second() - created.as_second()).abs() < 5);

    let list = ps(&s).await;
    assert_eq!(list.len(), 1);
    let m = &list[0];
    assert_eq!(m["name"], "llama3.2:3b");
    // File + f16 KV at 4096: 2 × 28 layers × 8 heads × 128 × 4096 × 2 bytes.
    let kv = 2 * 28 * 8 * 128 * 4096 * 2u64;
    assert_eq!(m["size"], 2_019_393_189 + kv);
    assert_eq!(m["size_vram"], 0);
    assert_eq!(m["context_length"], 4096);
    assert_eq!(m["details"]["parent_model"], "");
    assert!(m["details"].get("context_length").is_none());
    let left = expires(m).duration_since(Timestamp::now()).as_secs_f64();
    assert!((295.0..=300.0).contains(&left), "default 5m, got {left}");

    let r = post(
        &s,
        "/api/chat",
        json!({ "model": "llama3.2:3b", "messages": [] }),
    )
    .await;
    let v = r.json();
    assert_eq!(v["message"], json!({ "role": "assistant", "content": "" }));
    assert_eq!(v["done_reason"], "load");
}

#[tokio::test]
async fn every_keep_alive_form() {
    let s = server(SimOptions::for_tests()).await;
    let load = |ka: Value| {
        let s = &s;
        async move {
            post(
                s,
                "/api/generate",
                json!({ "model": "mistral:7b", "keep_alive": ka }),
            )
            .await
        }
    };
    assert_eq!(load(json!(300)).await.status, 200);
    let left = seconds_left(&s, "mistral:7b").await.expect("loaded");
    assert!((295.0..=300.0).contains(&left), "{left}");
    load(json!("10m")).await;
    let left = seconds_left(&s, "mistral:7b").await.expect("loaded");
    assert!((595.0..=600.0).contains(&left), "{left}");
    for forever in [json!(-1), json!(-2.5), json!("-1m"), json!("-1s")] {
        load(json!(60)).await;
        load(forever.clone()).await;
        let list = ps(&s).await;
        let year = expires(&list[0]).to_zoned(jiff::tz::TimeZone::UTC).year();
        assert!(year >= 2300, "{forever} gave year {year}");
    }
    let r = load(json!("300")).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "time: missing unit in duration \"300\"".into())
    );
    let r = load(json!(true)).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Unsupported type: 'bool'".into())
    );
    let r = load(json!({ "a": 1 })).await;
    assert_eq!(r.status, 400);

    // A fraction is seconds, and the expiry really unloads, with nobody asking.
    load(json!(0.3)).await;
    let left = seconds_left(&s, "mistral:7b").await.expect("loaded");
    assert!(left <= 0.3, "{left}");
    let control = s.control();
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        control.memory().ram_used,
        0,
        "unloaded by the timer, before any request"
    );
    assert!(ps(&s).await.is_empty(), "expired model is gone");
}

#[tokio::test]
async fn absent_keep_alive_keeps_a_pin_and_a_value_resets_it() {
    let s = server(SimOptions::for_tests()).await;
    post(
        &s,
        "/api/generate",
        json!({ "model": "gemma2:9b", "keep_alive": -1 }),
    )
    .await;
    post(&s, "/api/generate", json!({ "model": "gemma2:9b" })).await;
    post(
        &s,
        "/api/generate",
        json!({ "model": "gemma2:9b", "keep_alive": null }),
    )
    .await;
    let left = seconds_left(&s, "gemma2:9b").await.expect("loaded");
    assert!(left > 1e9, "still pinned");
    post(
        &s,
        "/api/generate",
        json!({ "model": "gemma2:9b", "keep_alive": "5m" }),
    )
    .await;
    let left = seconds_left(&s, "gemma2:9b").await.expect("loaded");
    assert!(left <= 300.0, "pin undone: {left}");
}

#[tokio::test]
async fn unload_returns_at_once_even_when_not_loaded() {
    let s = server(SimOptions::for_tests()).await;
    post(&s, "/api/generate", json!({ "model": "phi3:mini" })).await;
    for (path, ka) in [("/api/generate", json!(0)), ("/api/chat", json!("0s"))] {
        let r = post(&s, path, json!({ "model": "phi3:mini", "keep_alive": ka })).await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(
            (v["done_reason"].clone(), v["model"].clone()),
            (json!("unload"), json!("phi3:mini"))
        );
        assert!(ps(&s).await.is_empty());
    }
    let r = post(
        &s,
        "/api/generate",
        json!({ "model": "nope:1b", "keep_alive": 0 }),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn ps_is_sorted_by_expiry_descending() {
    let s = server(SimOptions::for_tests()).await;
    for (m, ka) in [
        ("phi3:mini", json!("2m")),
        ("mistral:7b", json!(-1)),
        ("gemma2:9b", json!("1h")),
    ] {
        post(&s, "/api/generate", json!({ "model": m, "keep_alive": ka })).await;
    }
    let names: Vec<Value> = ps(&s).await.iter().map(|m| m["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("mistral:7b"), json!("gemma2:9b"), json!("phi3:mini")]
    );
}

#[tokio::test]
async fn count_limit_evicts_shortest_keep_alive_first_and_forever_last() {
    let s = server(SimOptions {
        max_loaded: 3,
        ..SimOptions::for_tests()
    })
    .await;
    let load = |m: &'static str, ka: Value| {
        let s = &s;
        async move { post(s, "/api/generate", json!({ "model": m, "keep_alive": ka })).await }
    };
    load("mistral:7b", json!(-1)).await;
    load("gemma2:9b", json!("1h")).await;
    load("phi3:mini", json!("10m")).await;
    load("codellama:7b", json!("30m")).await;
    let loaded = |list: Vec<Value>| {
        let mut n: Vec<String> = list
            .iter()
            .map(|m| m["name"].as_str().unwrap_or("").to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        loaded(ps(&s).await),
        ["codellama:7b", "gemma2:9b", "mistral:7b"]
    );
    load("llama3.2:3b", json!("2h")).await;
    assert_eq!(
        loaded(ps(&s).await),
        ["gemma2:9b", "llama3.2:3b", "mistral:7b"]
    );
    load("phi3:mini", json!(-1)).await;
    load("qwen2.5:7b", json!(-1)).await;
    // Only pins left to choose from: ties go by name.
    assert_eq!(
        loaded(ps(&s).await),
        ["mistral:7b", "phi3:mini", "qwen2.5:7b"]
    );
}

#[tokio::test]
async fn memory_pressure_evicts_and_oom_is_a_500_with_gib() {
    let s = server(SimOptions {
        ram_total: 14 * GIB,
        ..SimOptions::for_tests()
    })
    .await;
    post(
        &s,
        "/api/generate",
        json!({ "model": "llama3.1:8b", "keep_alive": -1 }),
    )
    .await;
    post(
        &s,
        "/api/generate",
        json!({ "model": "gemma2:9b", "keep_alive": "1h" }),
    )
    .await;
    // llama (5.5 GB) + gemma (6.9 GB) fit in 14 GiB; qwen Q8 (8.3 GB) needs the 1h one gone.
    let r = post(
        &s,
        "/api/generate",
        json!({ "model": "qwen2.5:7b-instruct-q8_0" }),
    )
    .await;
    assert_eq!(r.status, 200);
    let names: Vec<Value> = ps(&s).await.iter().map(|m| m["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("llama3.1:8b"), json!("qwen2.5:7b-instruct-q8_0")]
    );

    let r = post(&s, "/api/generate", json!({ "model": "llama3.1:70b" })).await;
    assert_eq!(r.status, 500);
    let e = r.error();
    assert!(
        e.starts_with("model requires more system memory (") && e.ends_with(" GiB)"),
        "{e}"
    );
    assert!(
        e.contains("than is available (14.0 GiB)"),
        "everything evicted first: {e}"
    );
}

#[tokio::test]
async fn gpus_take_memory_first() {
    let s = server(SimOptions {
        gpus: vec![GpuSpec {
            name: "RTX 3060".into(),
            vram: 12 * GIB,
        }],
        ..SimOptions::for_tests()
    })
    .await;
    post(&s, "/api/generate", json!({ "model": "llama3.1:8b" })).await;
    let m = ps(&s).await[0].clone();
    assert_eq!(m["size_vram"], m["size"]);
    post(
        &s,
        "/api/generate",
        json!({ "model": "qwen2.5:7b-instruct-q8_0" }),
    )
    .await;
    let q = ps(&s)
        .await
        .iter()
        .find(|m| m["name"] == "qwen2.5:7b-instruct-q8_0")
        .expect("loaded")
        .clone();
    let (size, vram) = (
        q["size"].as_u64().expect("size"),
        q["size_vram"].as_u64().expect("vram"),
    );
    assert!(
        vram > 0 && vram < size,
        "split between GPU and CPU: {vram}/{size}"
    );
    let mem = s.control().memory();
    assert_eq!(mem.vram_free(), 0);
    assert_eq!(mem.ram_used, size - vram);
}

#[tokio::test]
async fn num_ctx_sizes_the_kv_cache_and_a_change_reloads() {
    let s = server(SimOptions::for_tests()).await;
    let body = json!({ "model": "llama3.1:8b", "options": { "num_ctx": 8192 }, "keep_alive": -1 });
    post(&s, "/api/generate", body).await;
    let m = ps(&s).await[0].clone();
    assert_eq!(m["context_length"], 8192);
    assert_eq!(m["size"], 4_920_753_328u64 + GIB, "1 GiB of KV at 8192");
    post(&s, "/api/generate", json!({ "model": "llama3.1:8b" })).await;
    let m = ps(&s).await[0].clone();
    assert_eq!(m["context_length"], 4096);
    assert!(
        seconds_left(&s, "llama3.1:8b")
            .await
            .is_some_and(|l| l > 1e9),
        "reload keeps the pin"
    );
}

#[tokio::test]
async fn a_loading_model_is_listed_and_loads_go_one_at_a_time() {
    let s = server(SimOptions {
        load_speed: 20_000_000_000, // llama3.1:8b: about 0.27 s
        ..SimOptions::for_tests()
    })
    .await;
    let url = s.url();
    let started = std::time::Instant::now();
    let first = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{url}/api/generate"))
            .json(&json!({ "model": "llama3.1:8b", "keep_alive": "7m" }))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(60)).await;
    let left = seconds_left(&s, "llama3.1:8b")
        .await
        .expect("listed while loading");
    assert!((415.0..=420.0).contains(&left), "{left}");
    let second = post(&s, "/api/generate", json!({ "model": "mistral:7b" })).await;
    assert_eq!(second.status, 200);
    assert_eq!(first.await.expect("task").expect("reply"), 200);
    // 0.27 s + 0.23 s: the second waited for the first.
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn prompt_gets_a_canned_answer() {
    let s = server(SimOptions::for_tests()).await;
    let r = post(
        &s,
        "/api/generate",
        json!({ "model": "phi3:mini", "prompt": "hi" }),
    )
    .await;
    assert_eq!(r.content_type, "application/x-ndjson");
    let lines: Vec<Value> = r
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert!(lines.len() >= 2);
    assert_eq!(
        lines.last().map(|l| l["done_reason"].clone()),
        Some(json!("stop"))
    );
    let r = post(&s, "/api/chat", json!({ "model": "phi3:mini", "messages": [{"role":"user","content":"hi"}], "stream": false })).await;
    let v = r.json();
    assert!(
        v["message"]["content"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(ps(&s).await.len(), 1);
}
