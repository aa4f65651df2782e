//! The headless keeper against the stand-in: pins hold when another client resets
//! them, after a restart, after an eviction; nothing loops or storms.

use crate::pins_support;

use std::time::Duration;

use model_orchestrator::duration::KeepAlive;
use model_orchestrator::keepalive::KeeperEventKind as Kind;
use model_orchestrator::sim::{Fault, SimOptions};
use pins_support::*;

const SECS: fn(u64) -> Duration = Duration::from_secs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_reset_by_another_client_is_repinned_within_one_poll() {
    let sim = server(SimOptions::for_tests()).await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["llama3.1:8b"]).await;
    keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;
    assert!(is_forever(&sim.url(), "llama3.1:8b").await);

    control.clear_requests();
    let reset_at = jiff::Timestamp::now();
    control
        .set_keep_alive("llama3.1:8b", KeepAlive::For(SECS(300)))
        .await
        .expect("another client's request");
    keeper.wait_for(Kind::Repinned, 1, SECS(3)).await;
    let reqs: Vec<_> = control
        .requests()
        .into_iter()
        .filter(|r| r.at >= reset_at)
        .collect();
    // The first poll after the reset is followed at once by the re-pin.
    let p = paths(&reqs);
    assert_eq!(&p[..2], ["/api/ps", "/api/generate"], "{p:?}");
    assert_eq!(reqs[1].body["keep_alive"], serde_json::json!(-1));
    assert_eq!(reqs[1].body["model"], "llama3.1:8b");
    assert!(is_forever(&sim.url(), "llama3.1:8b").await);
    let msg = keeper.messages().join("\n");
    assert!(
        msg.contains("re-pinned llama3.1:8b (another client set its keep-alive"),
        "{msg}"
    );
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_loaded_again_after_a_restart() {
    let sim = server(SimOptions::for_tests()).await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["llama3.1:8b", "PHI3:mini"]).await;
    keeper.wait_for(Kind::Reloaded, 2, SECS(5)).await;
    control.restart();
    assert!(control.loaded().is_empty());
    keeper.wait_for(Kind::Reloaded, 4, SECS(5)).await;
    assert!(is_forever(&sim.url(), "llama3.1:8b").await);
    assert!(is_forever(&sim.url(), "phi3:mini").await);
    // Held again: the next polls send nothing more.
    control.clear_requests();
    tokio::time::sleep(SECS(1)).await;
    assert_eq!(count_path(&control.requests(), "/api/generate"), 0);
    keeper.stop().await;
}

/// 12 GiB of RAM: the pinned 8B model and a 16B model do not fit together. Another
/// client loads the 16B one for 6 s; the pin is evicted, backs off (it was pushed out
/// right after its reload), waits for memory without a single load request, and comes
/// back once the 16B model expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicted_pin_comes_back_when_memory_allows() {
    let sim = server(SimOptions {
        ram_total: 12 * GIB,
        ..SimOptions::for_tests()
    })
    .await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["llama3.1:8b"]).await;
    keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;

    control
        .set_keep_alive("deepseek-coder-v2:16b", KeepAlive::For(SECS(6)))
        .await
        .expect("the other model loads");
    assert_eq!(
        control.loaded(),
        ["deepseek-coder-v2:16b"],
        "the pin was evicted"
    );
    control.clear_requests();
    keeper.wait_for(Kind::Failed, 1, SECS(1)).await;
    keeper.wait_for(Kind::WaitingForMemory, 1, SECS(4)).await;
    let waiting = keeper.messages().join("\n");
    assert!(
        waiting.contains(
            "llama3.1:8b pinned — waiting for room (loading it now would evict deepseek-coder-v2:16b)"
        ),
        "{waiting}"
    );
    // While the other model holds the memory: polls, but no load.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count_path(&control.requests(), "/api/generate"), 0);

    keeper.wait_for(Kind::Reloaded, 2, SECS(6)).await;
    assert!(is_forever(&sim.url(), "llama3.1:8b").await);
    assert_eq!(count_path(&control.requests(), "/api/generate"), 1);
    assert!(control.loaded() == ["llama3.1:8b"]);
    assert_eq!(keeper.count(Kind::WaitingForMemory), 1, "reported once");
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_that_cannot_fit_waits_without_looping() {
    let sim = server(SimOptions {
        ram_total: 32 * GIB,
        ..SimOptions::for_tests()
    })
    .await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["llama3.1:70b", "not-installed:1b"]).await;
    tokio::time::sleep(SECS(2)).await;
    let reqs = control.requests();
    assert_eq!(count_path(&reqs, "/api/generate"), 0, "{:?}", paths(&reqs));
    // ps every 0.2 s; tags at most every 0.5 s; show once for the model that exists.
    assert!(count_path(&reqs, "/api/tags") <= 5, "{:?}", paths(&reqs));
    assert_eq!(count_path(&reqs, "/api/show"), 1, "{:?}", paths(&reqs));
    assert_eq!(keeper.count(Kind::WaitingForMemory), 1);
    assert_eq!(keeper.count(Kind::NotInstalled), 1);
    let msg = keeper.messages().join("\n");
    assert!(
        msg.contains("llama3.1:70b pinned — waiting for room (needs 45."),
        "{msg}"
    );
    assert!(msg.contains("run `ollama pull not-installed:1b`"), "{msg}");
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_gets_polled_less_and_less_and_no_loads() {
    let sim = server(SimOptions::for_tests()).await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["phi3:mini"]).await;
    keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;

    control.clear_requests();
    control.set_fault(
        Fault::Error {
            status: 500,
            message: "internal error".into(),
        },
        None,
    );
    tokio::time::sleep(SECS(3)).await;
    let reqs = control.requests();
    // Every 0.2 s would be 15 polls; backing off (0.4, 0.8, 1.6 s…) gives about 4.
    let polls = count_path(&reqs, "/api/ps");
    assert!(
        (2..=6).contains(&polls),
        "{polls} polls: {:?}",
        paths(&reqs)
    );
    assert_eq!(count_path(&reqs, "/api/generate"), 0);
    assert_eq!(keeper.count(Kind::ServerDown), 1);

    control.clear_faults();
    keeper.wait_for(Kind::ServerBack, 1, SECS(8)).await;
    // Nothing was lost meanwhile: still held, nothing to send.
    assert_eq!(count_path(&control.requests(), "/api/generate"), 0);
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_ollama_was_down_and_restarted_the_pin_is_reloaded() {
    let sim = server(SimOptions::for_tests()).await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["phi3:mini"]).await;
    keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;
    control.set_down(true).await;
    control.restart();
    keeper.wait_for(Kind::ServerDown, 1, SECS(3)).await;
    tokio::time::sleep(SECS(1)).await;
    control.set_down(false).await;
    keeper.wait_for(Kind::Reloaded, 2, SECS(8)).await;
    assert!(is_forever(&sim.url(), "phi3:mini").await);
    assert_eq!(keeper.count(Kind::ServerDown), 1);
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_added_to_the_config_file_is_picked_up() {
    let sim = server(SimOptions::for_tests()).await;
    let keeper = Keeping::start(&sim, &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    model_orchestrator::pins::save_pin(&keeper.path, "phi3:mini", true).expect("saved");
    keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;
    assert!(is_forever(&sim.url(), "phi3:mini").await);
    assert_eq!(
        keeper.count(Kind::PinsChanged),
        2,
        "{:?}",
        keeper.messages()
    );
    keeper.stop().await;
}

/// §9.1: an embedding-only pin loads through the embedding route and holds
/// through a reset by another client and a restart; generate is never used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedding_pin_holds_through_resets_and_restarts() {
    for version in ["0.3.5", "0.12.6"] {
        let sim = server(SimOptions {
            version: version.into(),
            ..SimOptions::for_tests()
        })
        .await;
        let control = sim.control();
        let keeper = Keeping::start(&sim, &["nomic-embed-text"]).await;
        keeper.wait_for(Kind::Reloaded, 1, SECS(5)).await;
        assert!(
            is_forever(&sim.url(), "nomic-embed-text").await,
            "{version}"
        );
        control
            .set_keep_alive("nomic-embed-text", KeepAlive::For(SECS(300)))
            .await
            .expect("another client");
        keeper.wait_for(Kind::Repinned, 1, SECS(3)).await;
        control.restart();
        keeper.wait_for(Kind::Reloaded, 2, SECS(5)).await;
        assert!(
            is_forever(&sim.url(), "nomic-embed-text").await,
            "{version}"
        );
        let loads: Vec<_> = control
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path != "/api/show")
            .map(|r| r.path)
            .collect();
        let route = if version == "0.3.5" {
            "/api/embeddings"
        } else {
            "/api/embed"
        };
        assert!(loads.iter().all(|p| p == route), "{version}: {loads:?}");
        assert_eq!(keeper.count(Kind::CannotLoad), 0, "{:?}", keeper.messages());
        keeper.stop().await;
    }
}

/// A pin Ollama refuses for good ("does not support generate") is not retried:
/// one request, "pin cannot load", until the model changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_stops_the_keeper_for_that_model() {
    let mut catalog = model_orchestrator::sim::Catalog::embedded();
    let mut odd = catalog.models[0].clone();
    odd.name = "odd:1b".into();
    odd.digest = "e".repeat(64);
    odd.capabilities = vec!["insert".into()];
    catalog.models.push(odd);
    let sim = server(SimOptions {
        catalog,
        ..SimOptions::for_tests()
    })
    .await;
    let control = sim.control();
    let keeper = Keeping::start(&sim, &["odd:1b"]).await;
    keeper.wait_for(Kind::CannotLoad, 1, SECS(5)).await;
    tokio::time::sleep(SECS(1)).await;
    assert_eq!(count_path(&control.requests(), "/api/generate"), 1);
    assert_eq!(keeper.count(Kind::CannotLoad), 1);
    assert_eq!(keeper.count(Kind::Failed), 0);
    let msg = keeper.messages().join("\n");
    assert!(
        msg.contains("odd:1b: pin cannot load: \"odd:1b\" does not support generate"),
        "{msg}"
    );
    keeper.stop().await;
}
