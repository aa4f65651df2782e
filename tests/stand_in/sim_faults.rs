//! The crate's client against the stand-in in every fault mode: the right typed
//! error, and never a hang past the client's timeout.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::ollama::{Client, OllamaError, PullEvent};
use model_orchestrator::sim::{self, Fault, SimHandle, SimOptions};
use serde_json::json;

const QUICK: Duration = Duration::from_millis(300);

async fn setup() -> (SimHandle, Client) {
    let s = sim::start(SimOptions::for_tests())
        .await
        .expect("stand-in starts");
    let client =
        Client::with_timeouts(&s.url(), Duration::from_millis(300), QUICK).expect("client");
    (s, client)
}

/// Fails the test instead of hanging when the client waits too long.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(3), f)
        .await
        .expect("the client must not hang")
}

#[tokio::test]
async fn latency_beyond_the_quick_timeout_is_a_timeout() {
    let (s, client) = setup().await;
    s.control()
        .set_fault(Fault::Latency(Duration::from_secs(2)), None);
    let started = std::time::Instant::now();
    let err = bounded(client.ps()).await.expect_err("too slow");
    assert!(matches!(err, OllamaError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    s.control()
        .set_fault(Fault::Latency(Duration::from_millis(50)), None);
    assert!(bounded(client.ps()).await.is_ok(), "slow but in time");
}

#[tokio::test]
async fn counted_errors_carry_the_message_then_stop() {
    let (s, client) = setup().await;
    let fault = Fault::Error {
        status: 500,
        message: "llama runner process has terminated: cudaMalloc failed: out of memory".into(),
    };
    s.control().set_fault(fault, Some(2));
    for _ in 0..2 {
        let err = bounded(client.tags()).await.expect_err("injected");
        assert_eq!(
            err.server_message().map(|m| m.contains("cudaMalloc")),
            Some(true)
        );
        assert!(matches!(err, OllamaError::Status { status: 500, .. }));
        assert!(err.is_out_of_memory());
    }
    assert!(bounded(client.tags()).await.is_ok_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn garbage_is_a_decode_error() {
    let (s, client) = setup().await;
    s.control().set_fault(Fault::Garbage, Some(1));
    let err = bounded(client.version()).await.expect_err("not JSON");
    match &err {
        OllamaError::Decode { excerpt, .. } => assert!(!excerpt.contains('\u{1b}'), "sanitised"),
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_body_is_broken_or_decode() {
    let (s, client) = setup().await;
    s.control().set_fault(Fault::Truncate, None);
    for _ in 0..2 {
        let err = bounded(client.tags()).await.expect_err("cut short");
        assert!(
            matches!(err, OllamaError::Broken { .. } | OllamaError::Decode { .. }),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn dropped_connection_is_broken_or_unreachable() {
    let (s, client) = setup().await;
    s.control().set_fault(Fault::Drop, None);
    for _ in 0..2 {
        let err = bounded(client.ps()).await.expect_err("no answer");
        assert!(
            matches!(
                err,
                OllamaError::Broken { .. } | OllamaError::Unreachable { .. }
            ),
            "{err:?}"
        );
        assert!(err.is_connection());
    }
    s.control().clear_faults();
    assert!(bounded(client.ps()).await.is_ok());
}

#[tokio::test]
async fn down_is_unreachable_and_back_up_on_the_same_port() {
    let (s, client) = setup().await;
    assert!(bounded(client.version()).await.is_ok());
    let control = s.control();
    control.set_down(true).await;
    // A client with no connection pooled from before: one of those may break
    // mid-request (`Broken`) rather than be refused, a race of the outage itself.
    let fresh = Client::with_timeouts(&s.url(), Duration::from_millis(300), QUICK).expect("client");
    for _ in 0..3 {
        let err = bounded(fresh.version()).await.expect_err("down");
        assert!(matches!(err, OllamaError::Unreachable { .. }), "{err:?}");
    }
    control.set_down(false).await;
    assert_eq!(
        bounded(client.version()).await.ok().as_deref(),
        Some("0.12.6")
    );
    assert!(client.base_url().ends_with(&s.port().to_string()));
}

#[tokio::test]
async fn faults_spare_the_admin_routes_and_the_log_records_what_was_sent() {
    let (s, client) = setup().await;
    let http = model_orchestrator::ollama::client::raw_http();
    let admin = |path: &str| format!("{}/_sim/{path}", s.url());
    let r = http
        .post(admin("fault"))
        .json(&json!({ "kind": "error", "status": 503, "message": "busy", "count": 1 }))
        .send()
        .await
        .expect("admin call");
    assert_eq!(r.status(), 200);
    let mem = http.get(admin("memory")).send().await.expect("admin call");
    assert_eq!(mem.status(), 200, "admin routes are never faulted");
    let err = bounded(client.ps()).await.expect_err("503 injected");
    assert_eq!(err.server_message(), Some("busy"));

    bounded(client.load("mistral:7b", Some(KeepAlive::For(Duration::from_secs(300)))))
        .await
        .expect("load");
    bounded(client.pin("mistral:7b")).await.expect("pin");
    bounded(client.unload("mistral:7b")).await.expect("unload");
    let log = s.control().requests();
    let generate: Vec<_> = log.iter().filter(|r| r.path == "/api/generate").collect();
    let sent: Vec<_> = generate
        .iter()
        .map(|r| r.body["keep_alive"].clone())
        .collect();
    assert_eq!(sent, [json!(300), json!(-1), json!(0)]);
    assert!(log.iter().all(|r| !r.path.starts_with("/_sim")));
    assert_eq!(log[0].method, "GET");

    let over_http: serde_json::Value = http
        .get(admin("requests"))
        .send()
        .await
        .expect("admin call")
        .json()
        .await
        .expect("JSON");
    assert_eq!(over_http.as_array().map(Vec::len), Some(log.len()));
    http.delete(admin("requests"))
        .send()
        .await
        .expect("admin call");
    assert!(s.control().requests().is_empty());
}

#[tokio::test]
async fn restart_forgets_and_another_client_can_undo_a_pin() {
    let (s, client) = setup().await;
    let control = s.control();
    bounded(client.pin("gemma2:9b")).await.expect("pin");
    control
        .set_keep_alive("gemma2:9b", KeepAlive::For(Duration::from_secs(60)))
        .await
        .expect("known model");
    let ps = bounded(client.ps()).await.expect("ps");
    let now = jiff::Timestamp::now();
    assert!(matches!(
        ps[0].expiry(now),
        model_orchestrator::ollama::Expiry::At(_)
    ));
    control.restart();
    assert!(bounded(client.ps()).await.expect("ps").is_empty());
    assert!(
        control
            .set_keep_alive("nope", KeepAlive::Forever)
            .await
            .is_err()
    );

    // The same over HTTP.
    bounded(client.pin("gemma2:9b")).await.expect("pin");
    let http = model_orchestrator::ollama::client::raw_http();
    http.post(format!("{}/_sim/keep_alive", s.url()))
        .json(&json!({ "model": "gemma2:9b", "keep_alive": "5m" }))
        .send()
        .await
        .expect("admin call");
    let ps = bounded(client.ps()).await.expect("ps");
    assert!(matches!(
        ps[0].expiry(jiff::Timestamp::now()),
        model_orchestrator::ollama::Expiry::At(_)
    ));
    http.post(format!("{}/_sim/restart", s.url()))
        .send()
        .await
        .expect("admin call");
    assert!(control.loaded().is_empty());
}

#[tokio::test]
async fn client_reads_typed_results_and_errors() {
    let (s, client) = setup().await;
    let err = bounded(client.load("llama3.1:70b", None)).await;
    assert!(err.is_ok(), "64 GiB holds it: {err:?}");
    let show = bounded(client.show("qwen2.5-coder:7b"))
        .await
        .expect("show");
    let arch = show.architecture();
    assert_eq!(
        (
            arch.name.as_str(),
            arch.block_count,
            arch.head_count_kv.clone()
        ),
        ("qwen2", Some(28), vec![4])
    );
    let err = bounded(client.show("nope")).await.expect_err("unknown");
    assert!(err.is_not_found());
    let err = bounded(client.delete("nope")).await.expect_err("unknown");
    assert!(err.is_not_found());
    let small = sim::start(SimOptions {
        ram_total: 4 << 30,
        ..SimOptions::for_tests()
    })
    .await
    .expect("starts");
    let small_client = Client::new(&small.url()).expect("client");
    let err = bounded(small_client.load("llama3.1:8b", None))
        .await
        .expect_err("4 GiB is too little");
    assert!(err.is_out_of_memory(), "{err:?}");
    drop(s);
}

#[tokio::test]
async fn pull_as_typed_events_and_a_mid_stream_error() {
    let (_s, client) = setup().await;
    let stream = bounded(client.pull("llama3.2:1b"))
        .await
        .expect("pull starts");
    let events: Vec<_> = bounded(stream.collect::<Vec<_>>()).await;
    assert_eq!(
        events.first(),
        Some(&Ok(PullEvent::Status("pulling manifest".into())))
    );
    assert_eq!(events.last(), Some(&Ok(PullEvent::Success)));
    assert!(
        events.iter().any(
            |e| matches!(e, Ok(PullEvent::Layer { completed, total, .. }) if completed == total)
        )
    );
    assert!(
        bounded(client.tags())
            .await
            .expect("tags")
            .iter()
            .any(|m| m.name == "llama3.2:1b")
    );

    let stream = bounded(client.pull("nope:7b"))
        .await
        .expect("pull starts with 200");
    let events: Vec<_> = bounded(stream.collect::<Vec<_>>()).await;
    assert_eq!(events.len(), 2);
    let err = events[1].clone().expect_err("error line");
    assert_eq!(
        err.server_message(),
        Some("pull model manifest: file does not exist")
    );
}
