//! The stand-in playing different Ollama versions, over HTTP: defaults per band,
//! the count limit, CPU-only hosts with swap, llama-server (≥ 0.30) and the 500s.

use crate::sim_support;

use model_orchestrator::sim::SimOptions;
use serde_json::{Value, json};
use sim_support::*;

async fn context_of(opts: SimOptions, model: &str, extra: Value) -> Value {
    let s = server(opts).await;
    let r = load(&s, model, extra).await;
    assert_eq!(r.status, 200, "{}", r.text);
    ps_entry(&s, model).await.expect("loaded")["context_length"].clone()
}

/// `envconfig.ContextLength` (4096 at 0.6.7–0.15.4) and v0.15.5 `server/routes.go`
/// `Serve` (by total VRAM: 4096, 32768, 262144), capped at the trained context
/// (`NewLlamaServer` "requested context size too large"); before 0.10 `/api/ps`
/// has no `context_length`.
#[tokio::test]
async fn default_context_per_band_and_by_vram() {
    let llama = "llama3.1:8b";
    assert_eq!(
        context_of(playing("0.12.6", &[], 64), llama, json!({})).await,
        4096
    );
    assert_eq!(
        context_of(playing("0.15.4", &[48], 64), llama, json!({})).await,
        4096
    );
    assert_eq!(
        context_of(playing("0.15.5", &[12], 64), llama, json!({})).await,
        4096
    );
    assert_eq!(
        context_of(playing("0.15.5", &[24], 64), llama, json!({})).await,
        32_768
    );
    let trained = context_of(playing("0.33.0-rc2", &[48], 64), llama, json!({})).await;
    assert_eq!(trained, 131_072, "262144 capped at llama.context_length");
    assert_eq!(
        context_of(playing("0.9.6", &[], 64), llama, json!({})).await,
        Value::Null
    );
}

/// `modelOptions`: request `options.num_ctx` > the Modelfile's `num_ctx` >
/// `OLLAMA_CONTEXT_LENGTH` > the default.
#[tokio::test]
async fn context_priority_request_then_modelfile_then_environment() {
    let catalog = catalog_with(|models| {
        for m in models.iter_mut().filter(|m| m.name == "llama3.2:3b") {
            m.parameters = format!("num_ctx                        8192\n{}", m.parameters);
        }
    });
    let opts = || SimOptions {
        catalog: catalog.clone(),
        context_length: Some(16_384),
        ..SimOptions::for_tests()
    };
    let with = |n: u64| json!({ "options": { "num_ctx": n } });
    assert_eq!(context_of(opts(), "llama3.2:3b", with(2048)).await, 2048);
    assert_eq!(context_of(opts(), "llama3.2:3b", json!({})).await, 8192);
    assert_eq!(context_of(opts(), "llama3.1:8b", json!({})).await, 16_384);
}

/// v0.1.48 `MaxRunners = 1`; from 0.2 `defaultModelsPerGPU` (3) per GPU, the CPU
/// counting as one.
#[tokio::test]
async fn count_limit_per_band() {
    let s = server(playing("0.1.48", &[], 64)).await;
    load(&s, "phi3:mini", json!({})).await;
    load(&s, "llama3.2:3b", json!({})).await;
    assert_eq!(names(&ps(&s).await), ["llama3.2:3b"]);
    let s = server(playing("0.12.6", &[], 64)).await;
    load(&s, "phi3:mini", json!({ "keep_alive": "1m" })).await;
    for m in ["llama3.2:3b", "mistral:7b", "qwen2.5:7b"] {
        load(&s, m, json!({ "keep_alive": "5m" })).await;
    }
    assert_eq!(
        names(&ps(&s).await),
        ["llama3.2:3b", "mistral:7b", "qwen2.5:7b"]
    );
}

/// v0.1.48 `useLoadedRunner` sets the request's duration and the handler fills in
/// `OLLAMA_KEEP_ALIVE` when absent, so a pin is lost; from 0.2.0 it is kept.
#[tokio::test]
async fn absent_keep_alive_resets_a_pin_on_0_1_48() {
    let s = server(playing("0.1.48", &[], 64)).await;
    load(&s, "phi3:mini", json!({ "keep_alive": -1 })).await;
    load(&s, "phi3:mini", json!({})).await;
    let left = seconds_left(&s, "phi3:mini").await.expect("loaded");
    assert!((295.0..=300.0).contains(&left), "{left}");
}

/// CPU-only on a classic band (0.12.6 `llamaServer.Load`): a first load may use
/// free swap; a second must fit in free RAM beside the first, else it evicts.
/// 0.12.10 `verifyCPUFit` ignores swap and answers `ErrLoadRequiredFull`.
#[tokio::test]
async fn cpu_only_with_swap_on_classic_bands() {
    let swap = |v: &str| SimOptions {
        swap_total: 4 * GIB,
        ..playing(v, &[], 6)
    };
    let s = server(swap("0.12.6")).await;
    let r = load(&s, "qwen2.5:7b-instruct-q8_0", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(s.control().memory().swap_used > 0, "spilled into swap");
    load(&s, "llama3.2:3b", json!({})).await;
    assert_eq!(names(&ps(&s).await), ["llama3.2:3b"]);

    let s = server(swap("0.12.10")).await;
    let r = load(&s, "qwen2.5:7b-instruct-q8_0", json!({})).await;
    assert_eq!(
        (r.status, r.error()),
        (
            500,
            "model requires more system memory than is currently available unable to load full model on GPU".into()
        )
    );
    let s = server(playing("0.12.6", &[], 6)).await;
    let e = load(&s, "qwen2.5:7b-instruct-q8_0", json!({}))
        .await
        .error();
    assert!(e.ends_with(" GiB) than is available (6.0 GiB)"), "{e}");
}

/// What each band answers when a model cannot fit at all (4 GiB, CPU only):
/// v0.1.48 has no check and the runner is killed, v0.2.0–v0.2.1 refuse up front
/// (`processPending`), later classic and layout bands compare with RAM + swap
/// (`NewLlamaServer`, `verifyLayout`), ≥ 0.30 llama-server dies allocating.
#[tokio::test]
async fn oom_texts_per_band() {
    let error = |v: &'static str| async move {
        let s = server(playing(v, &[], 4)).await;
        let r = load(&s, "llama3.1:8b", json!({})).await;
        assert_eq!(r.status, 500, "{v}");
        r.error()
    };
    assert_eq!(
        error("0.1.48").await,
        "llama runner process has terminated: signal: killed "
    );
    let e = error("0.2.0").await;
    assert!(e.starts_with("requested model ("), "{e}");
    assert!(
        e.ends_with(") is too large for this system (4.0 GiB)"),
        "{e}"
    );
    for v in ["0.5.7", "0.9.6", "0.12.6", "0.13.0", "0.24.0"] {
        let e = error(v).await;
        assert!(
            e.starts_with("model requires more system memory ("),
            "{v}: {e}"
        );
        assert!(e.ends_with(" GiB) than is available (4.0 GiB)"), "{v}: {e}");
    }
    assert_eq!(
        error("0.33.0-rc2").await,
        "llama-server process no longer running: exit status 1 llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache"
    );
}

/// ≥ 0.30 `/api/ps` reports what llama-server allocated: the weights, the KV cache
/// with its type (q4_0: 128 MiB at 4096 for llama3.1:8b) and the compute buffer
/// (4 × batch × (embedding + vocab)), not `PredictServerVRAM`'s f16 estimate.
#[tokio::test]
async fn llama_server_reports_what_it_allocated() {
    let s = server(SimOptions {
        kv_cache_type: "q4_0".into(),
        ..playing("0.33.0-rc2", &[12], 64)
    })
    .await;
    load(&s, "llama3.1:8b", json!({})).await;
    let m = ps_entry(&s, "llama3.1:8b").await.expect("loaded");
    let predicted = 4_920_753_328u64 + (512 << 20);
    let real = 4_920_753_328u64 + (128 << 20) + 4 * 512 * (4096 + 128_256);
    assert_eq!(m["size"], real);
    assert!(real < predicted);
    assert_eq!(m["size_vram"], m["size"]);
    assert_eq!(m["context_length"], 4096);
}

/// ≥ 0.30 `Scheduler.load`: a crash for memory with others loaded evicts them all
/// and retries once (CPU-only: no pre-flight check); an automatic context that
/// does not fit drops to the next step (`reduceAutoNumCtxForLoadOOM`).
#[tokio::test]
async fn llama_server_retries_once_after_running_out_of_memory() {
    let s = server(playing("0.33.0-rc2", &[], 12)).await;
    load(&s, "llama3.1:8b", json!({ "keep_alive": -1 })).await;
    let r = load(&s, "qwen2.5:7b-instruct-q8_0", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&ps(&s).await), ["qwen2.5:7b-instruct-q8_0"]);

    // 24 GiB of VRAM: 32768 by default, but 2 GiB of RAM cannot take the rest.
    let ctx = context_of(
        playing("0.33.0-rc2", &[24], 2),
        "qwen2.5-coder:32b",
        json!({}),
    )
    .await;
    assert_eq!(ctx, 4096);
}

/// §9.1: generate refuses an embedding-only model with the version's text
/// (v0.1.48 `GenerateHandler`, v0.2.0 `%s`, v0.2.2 on `%q`), the unload branch
/// (≥ 0.3.11) comes before that check.
#[tokio::test]
async fn generate_refuses_embedding_models_with_each_versions_text() {
    let nomic = "nomic-embed-text";
    for (version, text) in [
        (
            "0.1.48",
            "embedding models do not support generate".to_string(),
        ),
        ("0.2.1", format!("{nomic} does not support generate")),
        ("0.2.2", format!("\"{nomic}\" does not support generate")),
        (
            "0.33.0-rc2",
            format!("\"{nomic}\" does not support generate"),
        ),
    ] {
        let s = server(playing(version, &[], 64)).await;
        let r = load(&s, nomic, json!({})).await;
        assert_eq!((r.status, r.error()), (400, text.clone()), "{version}");
        let r = load(&s, nomic, json!({"keep_alive": 0})).await;
        let unloads = version == "0.33.0-rc2";
        assert_eq!(r.status, if unloads { 200 } else { 400 }, "{version}");
    }
}

/// `EmbeddingsHandler` loads on an empty prompt in every version; `EmbedHandler`
/// without input only from 0.3.6; both keep the request's keep-alive and reload
/// on other options like generate.
#[tokio::test]
async fn embedding_routes_load_with_the_generate_semantics() {
    let nomic = "nomic-embed-text";
    let listed = "nomic-embed-text:latest";
    for version in ["0.1.48", "0.3.5", "0.3.6", "0.33.0-rc2"] {
        let s = server(playing(version, &[], 64)).await;
        let body = json!({"model": nomic, "prompt": "", "keep_alive": -1});
        let r = post(&s, "/api/embeddings", body).await;
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"embedding": []})),
            "{version}"
        );
        let left = seconds_left(&s, listed).await;
        assert!(left.is_some_and(|t| t > 1e9), "{version}: {left:?}");
        let r = post(
            &s,
            "/api/embed",
            json!({"model": nomic, "keep_alive": "1m"}),
        )
        .await;
        match version {
            "0.1.48" => assert_eq!(r.status, 404, "no /api/embed route"),
            "0.3.5" => assert_eq!((r.status, r.error()), (400, "invalid input type".into())),
            _ => {
                assert_eq!(
                    r.json(),
                    json!({"model": nomic, "embeddings": []}),
                    "{version}"
                );
                let left = seconds_left(&s, listed).await.expect("still loaded");
                assert!(left <= 60.0, "the request's keep-alive: {left}");
            }
        }
    }
}

/// Before 0.3.11 keep_alive 0 is a load that expires at once: a model that was
/// not loaded gets loaded first, then drops out.
#[tokio::test]
async fn before_0_3_11_keep_alive_zero_loads_first() {
    let s = server(playing("0.3.10", &[], 64)).await;
    let r = load(&s, "phi3:mini", json!({"keep_alive": 0})).await;
    assert_eq!(r.json()["done_reason"], "load");
    let s = server(playing("0.3.11", &[], 64)).await;
    let r = load(&s, "phi3:mini", json!({"keep_alive": 0})).await;
    assert_eq!(r.json()["done_reason"], "unload");
}

/// §9.2: a cloud model is listed with its remote host (≥ 0.12.0), generate goes
/// to the remote (401 here: never signed in), and it never shows in `/api/ps`.
#[tokio::test]
async fn cloud_models_are_listed_remote_and_never_loaded() {
    let s = server(SimOptions {
        catalog: with_cloud_model(),
        ..playing("0.12.6", &[], 64)
    })
    .await;
    let tags = call(&s, "GET", "/api/tags", None).await.json();
    let entry = tags["models"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|e| e["name"] == "gpt-oss:120b-cloud")
                .cloned()
        })
        .expect("listed");
    assert_eq!(entry["remote_host"], "https://ollama.com:443");
    let r = load(&s, "gpt-oss:120b-cloud", json!({"keep_alive": -1})).await;
    assert_eq!(r.status, 401);
    assert!(ps(&s).await.is_empty());
}
