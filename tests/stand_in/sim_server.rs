//! The stand-in's routes against ollama-api.md, over real loopback HTTP.

use crate::sim_support;

use jiff::Timestamp;
use model_orchestrator::sim::SimOptions;
use serde_json::{Value, json};
use sim_support::*;

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
            // `%q` of the request's model string (v0.2.2 – v0.33.0-rc2 `req.Model`).
            "\"nomic-embed-text\" does not support generate".into()
        )
    );
    let r = post(
        &s,
        "/api/chat",
        json!({ "model": "nomic-embed-text", "messages": [] }),
    )
    .await;
    assert_eq!(r.error(), "\"nomic-embed-text\" does not support chat");
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
    // 0.12.6 on the CPU (`estimateGPULayers`, the CPU as its one device): a
    // one-layer buffer, 28 layers (weights + f16 KV at 4096), the output layer
    // (vocab × embedding at Q4_K's 9/16 byte + the f32 norm) and the full graph.
    let output = 128_256 * 3072 * 9 / 16 + 3072 * 4;
    let block = (2_019_393_189 - output) / 28;
    let kv = 4096 * (128 + 128) * 8 * 2u64;
    let graph = 4 * 512 * (3072 + 128_256); // llama `fullOffload`: the vocab term
    assert_eq!(m["size"], 29 * (block + kv) + output + graph);
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

mod exporter_metrics {
    use super::*;
    use model_orchestrator::memory::exporter::read_exporters;
    use model_orchestrator::memory::{GpuMemory, MemorySnapshot};
    use model_orchestrator::sim::{Fault, GpuSpec, SimHandle};

    const MIB: u64 = 1 << 20;

    fn two_gpus() -> SimOptions {
        let gpu = |name: &str, gib| GpuSpec {
            name: name.into(),
            vram: gib * GIB,
        };
        SimOptions {
            gpus: vec![
                gpu("NVIDIA GeForce RTX 3060", 12),
                gpu("NVIDIA RTX A2000", 6),
            ],
            ..SimOptions::for_tests()
        }
    }

    async fn read(s: &SimHandle, query: &str) -> MemorySnapshot {
        let http = model_orchestrator::ollama::client::raw_http();
        read_exporters(&http, &[format!("{}/metrics{query}", s.url())])
            .await
            .expect("the stand-in's metrics read")
    }

    /// dcgm-exporter speaks whole MiB: each GPU figure is within one MiB.
    fn assert_within_a_mib(read: &MemorySnapshot, exact: &MemorySnapshot) {
        let strip = |m: &MemorySnapshot| MemorySnapshot {
            gpus: Vec::new(),
            ..m.clone()
        };
        assert_eq!(strip(read), strip(exact));
        assert_eq!(read.gpus.len(), exact.gpus.len());
        for (r, e) in read.gpus.iter().zip(&exact.gpus) {
            assert_eq!(r.name, e.name);
            assert!(r.total.abs_diff(e.total) < MIB, "{r:?} vs {e:?}");
            assert!(r.used.abs_diff(e.used) < MIB, "{r:?} vs {e:?}");
            assert!(r.free() <= e.free(), "never more free than there is");
        }
    }

    fn vram_used(gpus: &[GpuMemory]) -> u64 {
        gpus.iter().map(|g| g.used).sum()
    }

    #[tokio::test]
    async fn metrics_round_trip_through_the_exporter_reader() {
        let s = server(two_gpus()).await;
        let idle = s.control().memory();
        assert_eq!(read(&s, "?format=nvidia_smi").await, idle);
        assert_within_a_mib(&read(&s, "").await, &idle);

        let r = post(&s, "/api/generate", json!({ "model": "llama3.1:8b" })).await;
        assert_eq!(r.status, 200);
        let loaded = s.control().memory();
        assert!(vram_used(&loaded.gpus) > vram_used(&idle.gpus));
        let smi = read(&s, "?format=nvidia_smi").await;
        assert_eq!(smi, loaded);
        assert_ne!(smi, idle);
        assert_within_a_mib(&read(&s, "?format=dcgm").await, &loaded);
    }

    #[tokio::test]
    async fn metrics_are_prometheus_text_outside_faults_and_the_log() {
        let s = server(two_gpus()).await;
        s.control().set_fault(
            Fault::Error {
                status: 500,
                message: "boom".into(),
            },
            None,
        );
        let r = call(&s, "GET", "/metrics", None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
        assert!(r.text.contains("\nDCGM_FI_DEV_FB_FREE{gpu=\"1\","));
        let r = call(&s, "GET", "/metrics?format=rocm", None).await;
        assert_eq!(r.status, 400);
        assert!(s.control().requests().is_empty());
        assert_eq!(call(&s, "GET", "/api/tags", None).await.status, 500);
        assert_eq!(s.control().requests().len(), 1);
    }
}
