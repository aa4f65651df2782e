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

/// One cell of the grid: a stand-in and what the dashboard knows of it.
struct Cell {
    sim: SimHandle,
    client: Client,
    http: reqwest::Client,
    inv: inventory::Inventory,
    config: Config,
    metrics: String,
}

impl Cell {
    async fn start(version: &str, host: Host, loaded: Loaded) -> Cell {
        let sim = sim::start(options(version, host, loaded))
            .await
            .expect("stand-in");
        let client = Client::new(&sim.url()).expect("client");
        // Installed models and their details do not change within a cell.
        let inv = inventory::fetch(&client).await.expect("inventory");
        let metrics = format!("{}/metrics", sim.url());
        Cell {
            sim,
            client,
            http: reqwest::Client::new(),
            inv,
            config: config(loaded),
            metrics,
        }
    }

    /// Restarts the stand-in and loads `pre`.
    async fn reset(&self, pre: &[&str]) {
        self.sim.control().restart();
        for p in pre {
            self.client.load(p, None).await.expect("preload");
        }
    }

    /// Judges `model` as the dashboard would, right now; also says whether the
    /// verdict is too close to call: it changes when free memory is 1 % more or
    /// less. Without the tensor sizes (`/api/show` gives none before 0.30),
    /// per-layer weights are estimated, so a model within 1 % of the line may go
    /// either way.
    async fn verdict(&mut self, model: &str) -> (Verdict, bool) {
        self.inv.running = self.client.ps().await.expect("ps answers");
        let memory = read_exporters(&self.http, std::slice::from_ref(&self.metrics))
            .await
            .expect("metrics read");
        let inv = &self.inv;
        let server = fit::Server::new(inv.version.as_deref(), self.config.server.settings());
        let mut book = fit::KeepAliveBook::default();
        let now = jiff::Timestamp::now();
        book.observe(&inv.running, now);
        let entry = inv
            .models
            .iter()
            .find(|m| m.name == model)
            .expect("installed");
        let at = |percent: u64| {
            let mut m = memory.clone();
            m.ram_available = m.ram_available / 100 * percent;
            for g in &mut m.gpus {
                g.used = g.total.saturating_sub(g.free() / 100 * percent);
            }
            let scene = fit::Scene::new(&server, Some(&m), &inv.running, &self.config).order(
                &book,
                |r| inv.weights_of(r),
                now,
            );
            scene.judge(inv.model(entry)).verdict
        };
        let v = at(100);
        let marginal = at(99) != v || at(101) != v;
        (v, marginal)
    }

    /// Loads `model` and compares what happened with `v`; a description of any
    /// mismatch.
    async fn compare(&self, v: &Verdict, model: &str) -> Option<String> {
        let before = loaded_now(&self.client).await;
        if *v == Verdict::Loaded {
            return None;
        }
        let load = self.client.load(model, None);
        let result = tokio::time::timeout(Duration::from_secs(10), load)
            .await
            .expect("load answers");
        let after = loaded_now(&self.client).await;
        let (b, a) = (names(&before), names(&after));
        let this = after.iter().find(|r| r.name == model);
        let bad = |why: String| {
            Some(format!(
                "{model}: {v:?} but {why} (before {b:?}, after {a:?})"
            ))
        };
        match v {
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
                let gone: BTreeSet<String> = unload.iter().cloned().collect();
                let mut want: BTreeSet<String> = b.difference(&gone).cloned().collect();
                want.insert(model.to_string());
                if this.is_none() {
                    return bad(format!("not loaded ({result:?})"));
                }
                (a != want).then(|| format!("{model}: {v:?} but after {a:?}, wanted {want:?}"))
            }
            Verdict::NoFit { .. } => result
                .is_ok()
                .then(|| format!("{model}: {v:?} but it loaded (after {a:?})")),
            other => Some(format!("{model}: unexpected verdict {other:?}")),
        }
    }

    async fn check(&mut self, pre: &[&str], model: &str) -> Outcome {
        self.reset(pre).await;
        let (v, marginal) = self.verdict(model).await;
        match (self.compare(&v, model).await, marginal) {
            (None, _) => Outcome::Right,
            (Some(m), true) => Outcome::Marginal(m),
            (Some(m), false) => Outcome::Wrong(m),
        }
    }
}

/// How one case went.
enum Outcome {
    Right,
    /// Mispredicted, but within 1 % of the line.
    Marginal(String),
    Wrong(String),
}

async fn grid_for(version: &str) {
    let mut misses = Vec::new();
    let mut marginal = Vec::new();
    let mut cases = 0;
    for host in [Host::CpuOnly, Host::Gpu8, Host::Gpu24, Host::TwoGpus] {
        for loaded in [Loaded::Nothing, Loaded::One, Loaded::AtLimit] {
            let mut cell = Cell::start(version, host, loaded).await;
            let installed = cell.sim.control().installed();
            for model in &installed {
                // Embedding models are not loaded through generate.
                if model.contains("embed") {
                    continue;
                }
                cases += 1;
                match cell.check(preload(loaded), model).await {
                    Outcome::Right => {}
                    Outcome::Marginal(m) => {
                        marginal.push(format!("{version} {host:?} {loaded:?}: {m}"))
                    }
                    Outcome::Wrong(m) => misses.push(format!("{version} {host:?} {loaded:?}: {m}")),
                }
            }
            cell.sim.shutdown().await;
        }
    }
    assert!(cases > 100, "{cases}");
    assert!(
        misses.is_empty(),
        "{} of {cases} mispredicted:\n{}",
        misses.len(),
        misses.join("\n")
    );
    // Too close to call is allowed, but rare.
    assert!(
        marginal.len() * 50 <= cases,
        "{} of {cases} too close to call:\n{}",
        marginal.len(),
        marginal.join("\n")
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_predict_the_server_on_0_20() {
    grid_for("0.20.0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_predict_the_server_on_0_1_48() {
    grid_for("0.1.48").await;
}
