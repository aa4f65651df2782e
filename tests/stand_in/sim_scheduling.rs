//! Keep-alive, expiry, eviction and memory placement of the stand-in, over HTTP.

use crate::sim_support;

use std::time::Duration;

use model_orchestrator::sim::SimOptions;
use serde_json::{Value, json};
use sim_support::*;

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
    // Past Go's int64 nanoseconds: refused with Go's text, not clamped.
    let r = load(json!("3000000h")).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "time: invalid duration \"3000000h\"".into())
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
    tokio::time::sleep(Duration::from_millis(600)).await;
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
        max_loaded: Some(3),
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
    // The pins go last: first the 1h one, then the 2h one.
    assert_eq!(
        loaded(ps(&s).await),
        ["mistral:7b", "phi3:mini", "qwen2.5:7b"]
    );
}

#[tokio::test]
async fn memory_pressure_evicts_and_oom_is_a_500_with_gib() {
    let s = server(SimOptions {
        ram_total: 15 * GIB,
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
    // 0.12.6 estimates on the CPU: llama 5.5 GiB + gemma 7.0 GiB fit in 15 GiB; qwen
    // Q8 (8.3 GiB, 8.7 with its partial graph while placing) must fit in free RAM
    // beside them (`predictServerFit`), so the 1h one goes (`findRunnerToUnload`),
    // not the pin.
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
        e.contains("than is available (15.0 GiB)"),
        "everything evicted first: {e}"
    );
}

/// With a model loaded on a GPU host, a second one that fits in RAM but not fully
/// in the free VRAM evicts the first: 0.12.6 `llamaServer.Load` with `requireFull`
/// (`pickBestFullFitByLibrary` over `estimateGPULayers`), and 0.33.0-rc2
/// `Scheduler.load`'s pre-flight (`PredictServerVRAM` > 80 % of free VRAM).
#[tokio::test]
async fn a_second_model_that_does_not_fit_in_free_vram_evicts_on_a_gpu_host() {
    for version in ["0.12.6", "0.33.0-rc2"] {
        let s = server(playing(version, &[12], 64)).await;
        assert_eq!(load(&s, "llama3.1:8b", json!({})).await.status, 200);
        let m = ps(&s).await[0].clone();
        assert_eq!(m["size_vram"], m["size"], "{version}: fully on the GPU");
        assert_eq!(
            load(&s, "qwen2.5:7b-instruct-q8_0", json!({})).await.status,
            200
        );
        let list = ps(&s).await;
        assert_eq!(names(&list), ["qwen2.5:7b-instruct-q8_0"], "{version}");
        assert_eq!(
            list[0]["size_vram"], list[0]["size"],
            "{version}: alone it fits"
        );
        // A small one fits beside it and stays.
        assert_eq!(load(&s, "qwen2.5-coder:1.5b", json!({})).await.status, 200);
        assert_eq!(ps(&s).await.len(), 2, "{version}");
    }
}

/// On an 8 GiB GPU the same model (8.1 GB of Q8 weights) is refused beside a
/// small one, which is evicted (`requireFull` / pre-flight), and then, alone,
/// splits between GPU and CPU (`requireFull` is false for a first model).
#[tokio::test]
async fn beside_another_model_it_evicts_instead_of_splitting() {
    for version in ["0.5.7", "0.12.6", "0.15.5", "0.33.0-rc2"] {
        let s = server(playing(version, &[8], 64)).await;
        load(&s, "llama3.2:3b", json!({ "keep_alive": -1 })).await;
        assert_eq!(
            load(&s, "qwen2.5:7b-instruct-q8_0", json!({})).await.status,
            200
        );
        let list = ps(&s).await;
        assert_eq!(names(&list), ["qwen2.5:7b-instruct-q8_0"], "{version}");
        let (size, vram) = (list[0]["size"].as_u64(), list[0]["size_vram"].as_u64());
        assert!(
            vram > Some(0) && vram < size,
            "{version}: split {vram:?}/{size:?}"
        );
    }
}

/// With nothing loaded, a model larger than the GPU splits between GPU and CPU
/// (`pickBestPartialFitByLibrary`; llama-server `--fit` from 0.30).
#[tokio::test]
async fn an_empty_gpu_splits_a_model_too_big_for_it() {
    for version in ["0.5.7", "0.12.6", "0.15.5", "0.33.0-rc2"] {
        let s = server(playing(version, &[12], 64)).await;
        assert_eq!(load(&s, "qwen2.5-coder:32b", json!({})).await.status, 200);
        let q = ps(&s).await[0].clone();
        let (size, vram) = (
            q["size"].as_u64().expect("size"),
            q["size_vram"].as_u64().expect("vram"),
        );
        assert!(vram > 0 && vram < size, "{version}: split {vram}/{size}");
        let mem = s.control().memory();
        assert_eq!(mem.ram_used, size - vram, "{version}");
        assert!(mem.vram_free() < GIB, "{version}: the GPU is full");
    }
}

/// `needsReload` (0.12.6): another `num_ctx` expires the runner and loads again;
/// the new runner takes the request's keep_alive, or `OLLAMA_KEEP_ALIVE`, not the
/// old runner's, so such a reload drops a pin.
#[tokio::test]
async fn a_different_num_ctx_reloads_with_the_requests_keep_alive() {
    let s = server(SimOptions::for_tests()).await;
    let big = json!({ "options": { "num_ctx": 8192 }, "keep_alive": -1 });
    load(&s, "llama3.1:8b", big).await;
    let m = ps(&s).await[0].clone();
    assert_eq!(m["context_length"], 8192);
    let size_8k = m["size"].as_u64().expect("size");
    load(&s, "llama3.1:8b", json!({})).await;
    let m = ps(&s).await[0].clone();
    assert_eq!(m["context_length"], 4096);
    let size_4k = m["size"].as_u64().expect("size");
    assert!(
        size_8k - size_4k >= 512 << 20,
        "half the KV cache: {size_8k} {size_4k}"
    );
    let left = seconds_left(&s, "llama3.1:8b").await.expect("loaded");
    assert!((295.0..=300.0).contains(&left), "the pin is gone: {left}");
    let ten = json!({ "options": { "num_ctx": 8192 }, "keep_alive": "10m" });
    load(&s, "llama3.1:8b", ten).await;
    let left = seconds_left(&s, "llama3.1:8b").await.expect("loaded");
    assert!(
        (595.0..=600.0).contains(&left),
        "the request's keep_alive: {left}"
    );
    // The same options and no keep_alive: the runner keeps its 10m.
    load(&s, "llama3.1:8b", json!({ "options": { "num_ctx": 8192 } })).await;
    let left = seconds_left(&s, "llama3.1:8b").await.expect("loaded");
    assert!((595.0..=600.0).contains(&left), "{left}");
}

/// `/api/ps` `context_length` (≥ 0.10) is per slot: two slots of 4096, not 8192.
#[tokio::test]
async fn context_length_is_per_slot() {
    let s = server(SimOptions {
        num_parallel: Some(2),
        ..SimOptions::for_tests()
    })
    .await;
    load(&s, "llama3.1:8b", json!({})).await;
    assert_eq!(ps(&s).await[0]["context_length"], 4096);
}

/// `Scheduler.loaded` is keyed by the weights path: loading an alias reuses the
/// runner (listed under the name that loaded it), unloading the alias unloads it,
/// and `/api/show` names the shared blob in its Modelfile.
#[tokio::test]
async fn an_alias_reuses_the_loaded_runner() {
    let catalog = catalog_with(|models| {
        let llama = models.iter().find(|m| m.name == "llama3.1:8b").cloned();
        if let Some(mut alias) = llama {
            alias.weights = Some(alias.weights());
            alias.name = "llama3.1:latest".into();
            alias.digest = "a".repeat(64);
            models.push(alias);
        }
    });
    let s = server(SimOptions {
        catalog,
        ..SimOptions::for_tests()
    })
    .await;
    load(&s, "llama3.1:8b", json!({ "keep_alive": "1h" })).await;
    load(&s, "llama3.1:latest", json!({})).await;
    let list = ps(&s).await;
    assert_eq!(names(&list), ["llama3.1:8b"]);
    let left = seconds_left(&s, "llama3.1:8b").await.expect("loaded");
    assert!(
        left > 3500.0,
        "absent keep_alive keeps the runner's: {left}"
    );
    let from = |name: &'static str| {
        let s = &s;
        async move {
            let show = post(s, "/api/show", json!({ "model": name })).await.json();
            let text = show["modelfile"].as_str().unwrap_or("").to_string();
            text.lines()
                .find(|l| l.starts_with("FROM /root/.ollama/models/blobs/sha256-"))
                .map(str::to_string)
        }
    };
    let blob = from("llama3.1:8b")
        .await
        .expect("a FROM line with the blob");
    assert_eq!(from("llama3.1:latest").await, Some(blob));
    load(&s, "llama3.1:latest", json!({ "keep_alive": 0 })).await;
    assert!(ps(&s).await.is_empty());
}

/// `ByDurationAndName` (≥ 0.6.6): equal keep-alives go by model path, the weights
/// blob path, not by name.
#[tokio::test]
async fn eviction_ties_go_by_model_path() {
    let catalog = catalog_with(|models| {
        for m in models.iter_mut() {
            match m.name.as_str() {
                "phi3:mini" => m.weights = Some("f".repeat(64)),
                "qwen2.5:7b" => m.weights = Some("0".repeat(64)),
                _ => {}
            }
        }
    });
    let s = server(SimOptions {
        catalog,
        max_loaded: Some(2),
        ..SimOptions::for_tests()
    })
    .await;
    load(&s, "phi3:mini", json!({ "keep_alive": "5m" })).await;
    load(&s, "qwen2.5:7b", json!({ "keep_alive": "5m" })).await;
    load(&s, "mistral:7b", json!({ "keep_alive": "5m" })).await;
    assert_eq!(names(&ps(&s).await), ["mistral:7b", "phi3:mini"]);
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
        model_orchestrator::ollama::client::raw_http()
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

/// From 0.11.5 `GetRunner` serves a loaded model at once, even while another
/// model loads; 0.10.0 queues every request behind the load (`processPending`).
#[tokio::test]
async fn a_loaded_model_answers_during_another_load_from_0_11_5() {
    for (version, waits) in [("0.12.6", false), ("0.10.0", true)] {
        let s = server(SimOptions {
            load_speed: 10_000_000_000, // llama3.1:8b: about 0.6 s
            ..playing(version, &[], 64)
        })
        .await;
        load(&s, "phi3:mini", json!({ "keep_alive": "1h" })).await;
        let url = s.url();
        let other = tokio::spawn(async move {
            model_orchestrator::ollama::client::raw_http()
                .post(format!("{url}/api/generate"))
                .json(&json!({ "model": "llama3.1:8b" }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        assert_eq!(load(&s, "phi3:mini", json!({})).await.status, 200);
        let took = started.elapsed();
        assert_eq!(other.await.expect("task").expect("reply"), 200);
        if waits {
            assert!(took >= Duration::from_millis(300), "{version}: {took:?}");
        } else {
            assert!(took < Duration::from_millis(300), "{version}: {took:?}");
        }
    }
}
