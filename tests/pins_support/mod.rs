//! Helpers for the pin tests: the headless keeper running against the stand-in, with
//! its events collected, and waits that poll instead of sleeping blindly.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use model_orchestrator::config::Config;
use model_orchestrator::keepalive::{KeeperEvent, KeeperEventKind, run_keeper_with};
use model_orchestrator::ollama::{Client, Expiry, RunningModel};
use model_orchestrator::sim::{self, RecordedRequest, SimHandle, SimMemory, SimOptions};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const GIB: u64 = 1 << 30;

pub async fn server(opts: SimOptions) -> SimHandle {
    sim::start(opts).await.expect("stand-in starts")
}

/// A config file with these pins, polling fast: ps every 0.2 s, tags every 0.5 s.
pub fn config_file(pins: &[&str]) -> (tempfile::TempDir, PathBuf, Config) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    let list: Vec<String> = pins.iter().map(|p| format!("{p:?}")).collect();
    let text = format!(
        "ram_buffer_gb = 0.5\nkeep_alive_models = [{}]\n\n[refresh]\nloaded_secs = 0.2\ninstalled_secs = 0.5\n",
        list.join(", ")
    );
    std::fs::write(&path, text).expect("write config");
    let config = Config::load_from(&path).expect("valid config");
    (dir, path, config)
}

pub struct Keeping {
    pub events: Arc<Mutex<Vec<KeeperEvent>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<color_eyre::Result<()>>,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Keeping {
    pub async fn start(sim: &SimHandle, pins: &[&str]) -> Keeping {
        let (dir, path, config) = config_file(pins);
        let client = Client::new(&sim.url()).expect("client");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let memory = Box::new(SimMemory::new(sim.control()));
        let task = tokio::spawn(run_keeper_with(
            client,
            config,
            Some(path.clone()),
            memory,
            async move {
                let _ = stopped.await;
            },
            move |e: &KeeperEvent| sink.lock().expect("events lock").push(e.clone()),
        ));
        Keeping {
            events,
            stop: Some(stop),
            task,
            path,
            _dir: dir,
        }
    }

    pub fn count(&self, kind: KeeperEventKind) -> usize {
        self.events
            .lock()
            .expect("events lock")
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }

    pub fn messages(&self) -> Vec<String> {
        let events = self.events.lock().expect("events lock");
        events.iter().map(|e| e.message.clone()).collect()
    }

    /// Waits until `kind` has happened `n` times.
    pub async fn wait_for(&self, kind: KeeperEventKind, n: usize, within: Duration) {
        let ok = wait_until(within, || async { self.count(kind) >= n }).await;
        assert!(
            ok,
            "no {kind:?} ×{n} within {within:?}; events: {:#?}",
            self.messages()
        );
    }

    /// Stops the keeper the way SIGTERM does and checks it ends cleanly.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let ended = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        let result = ended.expect("keeper stops promptly").expect("task joined");
        assert!(result.is_ok(), "{result:?}");
    }
}

/// Polls `check` every 50 ms until it holds or `within` passes.
pub async fn wait_until<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The entry for `model` in `/api/ps`, read through the real client.
pub async fn ps_entry(url: &str, model: &str) -> Option<RunningModel> {
    let client = Client::new(url).expect("client");
    let running = client.ps().await.expect("ps answers");
    running
        .into_iter()
        .find(|r| model_orchestrator::names::same_model(&r.name, model))
}

pub async fn is_forever(url: &str, model: &str) -> bool {
    ps_entry(url, model)
        .await
        .is_some_and(|r| r.expiry(jiff::Timestamp::now()) == Expiry::Forever)
}

pub fn paths(reqs: &[RecordedRequest]) -> Vec<&str> {
    reqs.iter().map(|r| r.path.as_str()).collect()
}

pub fn count_path(reqs: &[RecordedRequest], path: &str) -> usize {
    reqs.iter().filter(|r| r.path == path).count()
}
