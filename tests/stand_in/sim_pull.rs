//! Pull progress streams and delete, over real loopback HTTP.

use model_orchestrator::sim::{self, SimHandle, SimOptions};
use serde_json::{Value, json};

async fn server() -> SimHandle {
    sim::start(SimOptions::for_tests())
        .await
        .expect("stand-in starts")
}

async fn send(s: &SimHandle, method: reqwest::Method, path: &str, body: Value) -> (u16, String) {
    let resp = model_orchestrator::ollama::client::raw_http()
        .request(method, format!("{}{path}", s.url()))
        .json(&body)
        .send()
        .await
        .expect("request sent");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn post(s: &SimHandle, path: &str, body: Value) -> (u16, String) {
    send(s, reqwest::Method::POST, path, body).await
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

async fn tag_names(s: &SimHandle) -> Vec<String> {
    let (_, text) = send(s, reqwest::Method::GET, "/api/tags", Value::Null).await;
    let v: Value = serde_json::from_str(&text).expect("tags JSON");
    v["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn pull_streams_progress_per_layer_then_lists_the_model_first() {
    let s = server().await;
    assert!(!tag_names(&s).await.contains(&"llama3.2:1b".to_string()));
    let (status, text) = post(&s, "/api/pull", json!({ "model": "llama3.2:1b" })).await;
    assert_eq!(status, 200);
    let l = lines(&text);
    assert_eq!(l[0], json!({ "status": "pulling manifest" }));
    let tail: Vec<&Value> = l.iter().rev().take(3).collect();
    assert_eq!(*tail[0], json!({ "status": "success" }));
    assert_eq!(*tail[1], json!({ "status": "writing manifest" }));
    assert_eq!(*tail[2], json!({ "status": "verifying sha256 digest" }));
    let layers: Vec<&Value> = l.iter().filter(|v| v.get("digest").is_some()).collect();
    assert!(layers.len() >= 8, "several lines per layer");
    let mut sum_of_totals = 0;
    let mut seen = Vec::new();
    for v in &layers {
        let digest = v["digest"].as_str().expect("digest");
        let hex = digest.strip_prefix("sha256:").expect("sha256: prefix");
        assert_eq!(hex.len(), 64);
        assert_eq!(v["status"], format!("pulling {}", &hex[..12]));
        let total = v["total"].as_u64().expect("total");
        match v.get("completed") {
            // omitempty: absent while zero, never zero.
            None => assert!(
                !seen.contains(&digest.to_string()),
                "only the first line lacks completed"
            ),
            Some(c) => assert!(c.as_u64().is_some_and(|c| c > 0 && c <= total)),
        }
        if !seen.contains(&digest.to_string()) {
            seen.push(digest.to_string());
            sum_of_totals += total;
        }
    }
    assert_eq!(
        sum_of_totals, 1_321_098_329,
        "layers add up to the model size"
    );
    assert_eq!(
        tag_names(&s).await.first().map(String::as_str),
        Some("llama3.2:1b")
    );

    // Pulled again: every layer is already there.
    let (_, text) = post(&s, "/api/pull", json!({ "name": "llama3.2:1b" })).await;
    let again = lines(&text);
    assert!(
        again
            .iter()
            .filter(|v| v.get("digest").is_some())
            .all(|v| v["completed"] == v["total"])
    );
}

#[tokio::test]
async fn unknown_pull_fails_mid_stream_with_200_or_500_without_streaming() {
    let s = server().await;
    let (status, text) = post(&s, "/api/pull", json!({ "model": "nope:7b" })).await;
    assert_eq!(status, 200);
    assert_eq!(
        lines(&text),
        [
            json!({ "status": "pulling manifest" }),
            json!({ "error": "pull model manifest: file does not exist" })
        ]
    );
    let (status, text) = post(
        &s,
        "/api/pull",
        json!({ "model": "nope:7b", "stream": false }),
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(
        lines(&text),
        [json!({ "error": "pull model manifest: file does not exist" })]
    );
    let (status, text) = post(
        &s,
        "/api/pull",
        json!({ "model": "gemma2:2b", "stream": false }),
    )
    .await;
    assert_eq!(
        (status, lines(&text)),
        (200, vec![json!({ "status": "success" })])
    );
    let (status, _) = post(&s, "/api/pull", json!({ "model": "bad name!" })).await;
    assert_eq!(status, 400);
}

/// `DeleteHandler` removes the manifest only: a loaded runner stays in memory (the
/// `ollama` CLI unloads first), and with the model gone it can no longer be named.
#[tokio::test]
async fn delete_removes_but_does_not_unload_and_404s_when_unknown() {
    let s = server().await;
    let (status, _) = post(&s, "/api/generate", json!({ "model": "phi3:mini" })).await;
    assert_eq!(status, 200);
    assert_eq!(s.control().loaded(), ["phi3:mini"]);
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "/api/delete",
        json!({ "model": "phi3:mini" }),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(s.control().loaded(), ["phi3:mini"], "still loaded");
    assert!(!tag_names(&s).await.contains(&"phi3:mini".to_string()));
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "/api/delete",
        json!({ "model": "phi3:mini" }),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({ "error": "model 'phi3:mini' not found" })
    );
    let (status, _) = post(&s, "/api/generate", json!({ "model": "phi3:mini" })).await;
    assert_eq!(status, 404, "gone from disk");
    let (status, body) = send(
        &s,
        reqwest::Method::DELETE,
        "/api/delete",
        json!({ "model": "bad name!" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({ "error": "name \"bad name!\" is invalid" })
    );
}

/// Every catalog model comes back with a pull after a delete, downloading its
/// layers again (the delete removed the blobs).
#[tokio::test]
async fn a_deleted_model_can_be_pulled_again_and_downloads_anew() {
    let s = server().await;
    let (status, _) = send(
        &s,
        reqwest::Method::DELETE,
        "/api/delete",
        json!({ "model": "mistral:7b" }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, text) = post(&s, "/api/pull", json!({ "model": "mistral:7b" })).await;
    assert_eq!(status, 200);
    let l = lines(&text);
    assert_eq!(l.last(), Some(&json!({ "status": "success" })));
    let first_layer = l
        .iter()
        .find(|v| v.get("digest").is_some())
        .expect("a layer");
    assert!(first_layer.get("completed").is_none(), "starts from zero");
    assert!(tag_names(&s).await.contains(&"mistral:7b".to_string()));
}

/// Progress comes at `pull_speed`: a layer takes about size / speed.
#[tokio::test]
async fn pull_progress_streams_at_the_configured_speed() {
    let s = sim::start(SimOptions {
        pull_step: std::time::Duration::from_millis(10),
        pull_speed: 4_000_000_000,
        ..SimOptions::for_tests()
    })
    .await
    .expect("stand-in starts");
    let started = std::time::Instant::now();
    let (_, text) = post(&s, "/api/pull", json!({ "model": "llama3.2:1b" })).await;
    let took = started.elapsed().as_secs_f64();
    // 1.3 GB at 4 GB/s: 0.33 s of weights, plus a tick per line of the rest.
    assert!((0.3..3.0).contains(&took), "took {took} s");
    let weights: Vec<u64> = lines(&text)
        .iter()
        .filter(|v| v["total"] == 1_321_098_329u64 - 13_911)
        .map(|v| v["completed"].as_u64().unwrap_or(0))
        .collect();
    assert!(weights.len() >= 30, "{} lines", weights.len());
    assert!(weights.windows(2).all(|w| w[1] - w[0] <= 40_000_000));
}

/// The stand-in tells what a pull would fetch, so the command line can say whether
/// it fits; unknown names are 404.
#[tokio::test]
async fn the_registry_route_describes_pullable_models() {
    let s = server().await;
    let (status, text) = post(&s, "/_sim/registry", json!({ "model": "qwen3:8b" })).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["entry"]["name"], "qwen3:8b");
    assert_eq!(v["installed"], false);
    assert!(
        v["entry"]["size"]
            .as_u64()
            .is_some_and(|n| n > 5_000_000_000)
    );
    assert_eq!(v["show"]["model_info"]["general.architecture"], "qwen3");
    let (status, _) = post(&s, "/_sim/registry", json!({ "model": "nope:1b" })).await;
    assert_eq!(status, 404);
}
