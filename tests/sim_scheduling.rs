//! Keep-alive, expiry, eviction and memory placement of the stand-in, over HTTP.

mod sim_support;

use std::time::Duration;

use model_orchestrator::sim::{GpuSpec, SimOptions};
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
