//! The headless commands against the stand-in: what they print, what they change at
//! the server and in the config file, and their exit codes.

use crate::pins_support;

use std::process::ExitCode;
use std::time::Duration;

use jiff::Timestamp;
use model_orchestrator::config::Config;
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::headless::{self, CommandError, EXIT_PARTIAL, LoadOptions};
use model_orchestrator::memory::MemoryPlan;
use model_orchestrator::ollama::{Client, Expiry};
use model_orchestrator::sim::SimOptions;
use pins_support::*;

fn client(url: &str) -> Client {
    Client::new(url).expect("client")
}

fn keep(k: KeepAlive) -> LoadOptions {
    LoadOptions {
        keep_alive: Some(k),
        ..LoadOptions::default()
    }
}

/// A load that makes Ollama evict a pinned model needs --yes; the victims are
/// judged with the stand-in's memory read from its /metrics, as for a remote host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_that_evicts_a_pinned_model_needs_yes() {
    let sim = server(SimOptions {
        max_loaded: Some(1),
        ..SimOptions::for_tests()
    })
    .await;
    let c = client(&sim.url());
    let (_dir, path, mut config) = config_file(&["phi3:mini"]);
    // OLLAMA_MAX_LOADED_MODELS=1 on the stand-in, mirrored in the config.
    config.server.max_loaded_models = Some(1);
    headless::pin(&c, Some(&path), "phi3:mini")
        .await
        .expect("pinned");
    let plan = MemoryPlan::Exporters(vec![format!("{}/metrics", sim.url())]);
    let opts = |yes| LoadOptions {
        keep_alive: None,
        yes,
        memory: Some(plan.clone()),
    };
    let err = headless::load(&c, &config, "llama3.1:8b", opts(false))
        .await
        .expect_err("refused without --yes");
    assert_eq!(
        err.to_string(),
        "loading llama3.1:8b would make Ollama evict phi3:mini, pinned; pass --yes to load it anyway"
    );
    assert_eq!(
        loaded_names(&sim.url()).await,
        ["phi3:mini"],
        "nothing was sent"
    );
    headless::load(&c, &config, "llama3.1:8b", opts(true))
        .await
        .expect("loads with --yes");
    // The stand-in did what the verdict said: the pin went.
    assert_eq!(loaded_names(&sim.url()).await, ["llama3.1:8b"]);
}

async fn loaded_names(url: &str) -> Vec<String> {
    client(url)
        .ps()
        .await
        .expect("ps")
        .into_iter()
        .map(|m| m.name)
        .collect()
}

/// Seconds until `model` expires, per `/api/ps`.
async fn remaining(url: &str, model: &str) -> Option<i64> {
    let entry = ps_entry(url, model).await?;
    match entry.expiry(Timestamp::now()) {
        Expiry::At(t) => Some(t.duration_since(Timestamp::now()).as_secs()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_reports_time_and_keep_alive() {
    let sim = server(SimOptions::for_tests()).await;
    let c = client(&sim.url());
    let config = Config::default();
    let out = headless::load(&c, &config, "llama3.1:8b", LoadOptions::default())
        .await
        .expect("loads");
    assert!(
        out.message.starts_with("loaded llama3.1:8b in "),
        "{}",
        out.message
    );
    // No keep-alive sent: the server's own (the stand-in's 5m) applies.
    assert!(
        out.message
            .ends_with(" s, kept as long as the server's keep-alive says"),
        "{}",
        out.message
    );
    assert_eq!(out.exit_code(), ExitCode::SUCCESS);
    let left = remaining(&sim.url(), "llama3.1:8b").await.expect("expires");
    assert!((295..=300).contains(&left), "{left}");

    let ten = KeepAlive::For(Duration::from_secs(600));
    let out = headless::load(&c, &config, "phi3:mini", keep(ten))
        .await
        .expect("loads");
    assert!(out.message.ends_with("kept for 10m"), "{}", out.message);
    assert!(remaining(&sim.url(), "phi3:mini").await.expect("expires") > 590);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_of_a_pinned_model_keeps_it_forever() {
    let sim = server(SimOptions::for_tests()).await;
    let (_dir, _path, config) = config_file(&["Phi3:Mini"]);
    let out = headless::load(
        &client(&sim.url()),
        &config,
        "phi3:mini",
        LoadOptions::default(),
    )
    .await
    .expect("loads");
    assert!(
        out.message.ends_with("kept loaded forever"),
        "{}",
        out.message
    );
    assert!(out.warning.is_none());
    assert!(is_forever(&sim.url(), "phi3:mini").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_failures_are_plain_words() {
    let sim = server(SimOptions {
        ram_total: 16 * GIB,
        ..SimOptions::for_tests()
    })
    .await;
    let c = client(&sim.url());
    let config = Config::default();
    let err = headless::load(&c, &config, "nosuch:1b", LoadOptions::default())
        .await
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "model 'nosuch:1b' not found — run `ollama pull nosuch:1b`"
    );
    assert_eq!(err.exit_code(), ExitCode::FAILURE);
    let err = headless::load(&c, &config, "llama3.1:70b", LoadOptions::default())
        .await
        .expect_err("too big");
    assert!(matches!(err, CommandError::OutOfMemory { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "not enough memory to load llama3.1:70b: model requires more system memory"
        ),
        "{msg}"
    );

    let url = sim.url();
    sim.control().set_down(true).await;
    // A command is a new process: no pooled connection from before the outage
    // (one of those breaks mid-request instead of being refused).
    let c = client(&url);
    let err = headless::load(&c, &config, "phi3:mini", LoadOptions::default())
        .await
        .expect_err("down");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot reach Ollama at {url}: ")),
        "{msg}"
    );
    assert!(msg.contains("ollama serve"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_then_unpin_round_trip() {
    let sim = server(SimOptions::for_tests()).await;
    let c = client(&sim.url());
    let (_dir, path, _) = config_file(&[]);
    let before = std::fs::read_to_string(&path).expect("read");

    let out = headless::pin(&c, Some(&path), "llama3.1:8b")
        .await
        .expect("pins");
    let shown = path.display();
    assert_eq!(
        out.message,
        format!("pinned llama3.1:8b (kept loaded forever; saved to {shown})")
    );
    assert_eq!(out.exit_code(), ExitCode::SUCCESS);
    assert!(is_forever(&sim.url(), "llama3.1:8b").await);
    let config = Config::load_from(&path).expect("valid");
    assert!(config.is_pinned("llama3.1:8b"));
    let again = headless::pin(&c, Some(&path), "LLAMA3.1:8B")
        .await
        .expect("pins");
    assert!(
        again.message.contains("already saved in"),
        "{}",
        again.message
    );

    let out = headless::unpin(&c, &config, Some(&path), "llama3.1:8b")
        .await
        .expect("unpins");
    assert_eq!(
        out.message,
        format!(
            "unpinned llama3.1:8b (loaded, now kept for 5m after its last use; removed from {shown})"
        )
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
    let left = remaining(&sim.url(), "llama3.1:8b")
        .await
        .expect("expires now");
    assert!((295..=300).contains(&left), "{left}");

    // Unpinning a model that is not loaded does not load it.
    sim.control().clear_requests();
    let err = headless::unpin(&c, &config, Some(&path), "phi3:mini")
        .await
        .expect_err("it was not pinned");
    assert!(matches!(err, CommandError::NotPinned { .. }), "{err:?}");
    assert_eq!(err.exit_code(), ExitCode::FAILURE);
    assert_eq!(count_path(&sim.control().requests(), "/api/generate"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_with_a_broken_config_holds_but_exits_partial() {
    let sim = server(SimOptions::for_tests()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    let broken = "keep_alive_models = [\"a:1\"\n# half-edited\n";
    std::fs::write(&path, broken).expect("write");
    let out = headless::pin(&client(&sim.url()), Some(&path), "phi3:mini")
        .await
        .expect("applied at the server");
    assert_eq!(out.exit_code(), ExitCode::from(EXIT_PARTIAL));
    assert!(out.message.contains("not saved"), "{}", out.message);
    let warning = out.warning.expect("says why");
    assert!(warning.contains("config.toml:"), "{warning}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken);
    assert!(is_forever(&sim.url(), "phi3:mini").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unload_says_what_happened_and_warns_about_pins() {
    let sim = server(SimOptions::for_tests()).await;
    let c = client(&sim.url());
    let (_dir, _path, config) = config_file(&["phi3:mini"]);
    headless::load(&c, &config, "phi3:mini", LoadOptions::default())
        .await
        .expect("loads");
    let out = headless::unload(&c, &config, "phi3:mini")
        .await
        .expect("unloads");
    assert_eq!(out.message, "unloaded phi3:mini");
    let warning = out.warning.expect("pinned");
    assert!(
        warning.contains("`model-orchestrator unpin phi3:mini`"),
        "{warning}"
    );
    let gone = wait_until(Duration::from_secs(2), || async {
        ps_entry(&sim.url(), "phi3:mini").await.is_none()
    })
    .await;
    assert!(gone);
    let out = headless::unload(&c, &Config::default(), "phi3:mini")
        .await
        .expect("ok");
    assert_eq!(out.message, "phi3:mini was not loaded");
    assert!(out.warning.is_none());
    let err = headless::unload(&c, &config, "nosuch:1b")
        .await
        .expect_err("unknown");
    assert!(matches!(err, CommandError::NotInstalled { .. }), "{err:?}");
    assert!(!err.to_string().contains("ollama pull"), "{err}");
}
