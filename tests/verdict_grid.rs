//! The verdict shown before a load predicts what the server then does. Over a grid
//! of server versions × hosts × what is loaded, every installed model is judged the
//! way the dashboard judges it (versions from `/api/version`, memory from the
//! stand-in's `/metrics`, as for a remote host), then loaded, and the stand-in's
//! `/api/ps` must show exactly that: "fits" evicts nothing and lands where shown,
//! "evicts X" evicts X and nothing else, "short" fails. The stand-in's scheduler
//! is written from the Ollama source on its own, not from `fit`.

use std::collections::BTreeSet;
use std::time::Duration;

use model_orchestrator::config::Config;
use model_orchestrator::fit::{self, Landing, Verdict};
use model_orchestrator::inventory;
use model_orchestrator::memory::exporter::read_exporters;
use model_orchestrator::ollama::{Client, RunningModel};
use model_orchestrator::sim::{self, GpuSpec, SimHandle, SimOptions};

const GIB: u64 = 1 << 30;

#[derive(Debug, Clone, Copy)]
enum Host {
    CpuOnly,
    Gpu8,
    Gpu24,
    TwoGpus,
}

#[derive(Debug, Clone, Copy)]
enum Loaded {
    Nothing,
    One,
    AtLimit,
}

/// Count limit used for the "at the count limit" cells (mirrored in the config).
const LIMIT: usize = 2;

fn options(version: &str, host: Host, loaded: Loaded) -> SimOptions {
    let gpu = |gib: u64| GpuSpec {
        name: format!("NVIDIA {gib} GB"),
        vram: gib * GIB,
    };
    let (ram, gpus) = match host {
        Host::CpuOnly => (32 * GIB, vec![]),
        Host::Gpu8 => (32 * GIB, vec![gpu(8)]),
        Host::Gpu24 => (64 * GIB, vec![gpu(24)]),
        Host::TwoGpus => (64 * GIB, vec![gpu(24), gpu(24)]),
    };
    SimOptions {
        ram_total: ram,
        ram_other: 2 * GIB,
        gpus,
        version: version.into(),
        max_loaded: matches!(loaded, Loaded::AtLimit).then_some(LIMIT),
        ..SimOptions::for_tests()
    }
}

fn config(loaded: Loaded) -> Config {
    let mut c = Config::default();
    if matches!(loaded, Loaded::AtLimit) {
        c.server.max_loaded_models = Some(LIMIT as u64);
    }
    c
}

/// What is loaded before the model under test.
fn preload(loaded: Loaded) -> &'static [&'static str] {
    match loaded {
        Loaded::Nothing => &[],
        Loaded::One => &["llama3.1:8b"],
        Loaded::AtLimit => &["phi3:mini", "qwen2.5-coder:1.5b"],
    }
}

async fn loaded_now(c: &Client) -> Vec<RunningModel> {
    c.ps().await.expect("ps answers")
}

fn names(list: &[RunningModel]) -> BTreeSet<String> {
    list.iter().map(|r| r.name.clone()).collect()
}

/// Judges `model` as the dashboard would, right now.
async fn verdict(c: &Client, metrics: &str, config: &Config, model: &str) -> Verdict {
    let inv = inventory::fetch(c).await.expect("inventory");
    let http = reqwest::Client::new();
    let memory = read_exporters(&http, &[metrics.to_string()]).await.expect("metrics read");
    let server = fit::Server::new(inv.version.as_deref(), config.server.settings());
    let mut book = fit::KeepAliveBook::default();
    let now = jiff::Timestamp::now();
    book.observe(&inv.running, now);
    let scene = fit::Scene::new(&server, Some(&memory), &inv.running, config).order(&book, |r| inv.weights_of(r), now);
    let entry = inv.models.iter().find(|m| m.name == model).expect("installed");
    scene.judge(inv.model(entry)).verdict
}

/// Checks one load against its verdict; returns a description of any mismatch.
async fn check(sim: &SimHandle, config: &Config, pre: &[&str], model: &str) -> Option<String> {
    let c = Client::new(&sim.url()).expect("client");
    sim.control().restart();
    for p in pre {
        c.load(p, None).await.expect("preload");
    }
    let before = loaded_now(&c).await;
    let metrics = format!("{}/metrics", sim.url());
    let v = verdict(&c, &metrics, config, model).await;
    if v == Verdict::Loaded {
        return None;
    }
    let result = tokio::time::timeout(Duration::from_secs(10), c.load(model, None)).await.expect("load answers");
    let after = loaded_now(&c).await;
    let (b, a) = (names(&before), names(&after));
    let this = after.iter().find(|r| r.name == model);
    let bad = |why: String| Some(format!("{model}: {v:?} but {why} (before {b:?}, after {a:?})"));
    match &v {
        Verdict::Fits(landing) => {
            let Some(r) = this else {
                return bad(format!("not loaded ({result:?})"));
            };
            if !b.is_subset(&a) {
                return bad("something was evicted".into());
            }
            let vram = r.vram();
            let landed = match landing {
                Landing::Gpu => vram >= r.size,
                Landing::Split { .. } => vram > 0 && vram < r.size,
                Landing::Cpu => vram == 0,
            };
            (!landed).then(|| format!("{model}: {v:?} but landed {vram} of {} in VRAM", r.size))
        }
        Verdict::FitsIfUnloaded { unload, .. } => {
            let mut want: BTreeSet<String> = b.difference(&unload.iter().cloned().collect()).cloned().collect();
            want.insert(model.to_string());
            if this.is_none() {
                return bad(format!("not loaded ({result:?})"));
            }
            (a != want).then(|| format!("{model}: {v:?} but after {a:?}, wanted {want:?}"))
        }
        Verdict::NoFit { .. } => result.is_ok().then(|| format!("{model}: {v:?} but it loaded (after {a:?})")),
        other => Some(format!("{model}: unexpected verdict {other:?}")),
    }
}

async fn grid_for(version: &str) {
    let mut misses = Vec::new();
    let mut cases = 0;
    for host in [Host::CpuOnly, Host::Gpu8, Host::Gpu24, Host::TwoGpus] {
        for loaded in [Loaded::Nothing, Loaded::One, Loaded::AtLimit] {
            let sim = sim::start(options(version, host, loaded)).await.expect("stand-in");
            let config = config(loaded);
            let installed = sim.control().installed();
            for model in &installed {
                // Embedding models are not loaded through generate.
                if model.contains("embed") {
                    continue;
                }
                cases += 1;
                if let Some(m) = check(&sim, &config, preload(loaded), model).await {
                    misses.push(format!("{version} {host:?} {loaded:?}: {m}"));
                }
            }
            sim.shutdown().await;
        }
    }
    assert!(cases > 100, "{cases}");
    assert!(misses.is_empty(), "{} of {cases} mispredicted:\n{}", misses.len(), misses.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_predict_the_server_on_0_5_7() {
    grid_for("0.5.7").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_predict_the_server_on_0_12_6() {
    grid_for("0.12.6").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_predict_the_server_on_0_33() {
    grid_for("0.33.0").await;
}
