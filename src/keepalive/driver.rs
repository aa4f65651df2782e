//! The headless driver: polls `/api/ps`, runs the keeper, sends what it asks for (each
//! request in its own task, answers fed back), and logs every event with a timestamp.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use jiff::Timestamp;
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;

use super::room::RoomJudge;
use super::watch::ConfigWatch;
use super::{Keeper, KeeperAction, KeeperEvent};
use crate::config::Config;
use crate::memory::MemorySource;
use crate::ollama::{Client, OllamaError};

/// Longest wait between polls while Ollama does not answer.
pub const DOWN_POLL_CAP: Duration = Duration::from_secs(15);

type Outcome = (String, Result<(), OllamaError>);

/// Runs until `shutdown` resolves (see [`shutdown_signal`]), logging events to stderr.
/// Returns an error only when the server cannot support pins at all.
pub async fn run_keeper(
    client: Client,
    config: Config,
    config_path: Option<PathBuf>,
    memory: Box<dyn MemorySource>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let cache = crate::show_cache::ShowCache::platform();
    drive(
        client,
        config,
        config_path,
        memory,
        shutdown,
        (log_event, cache),
    )
    .await
}

/// [`run_keeper`] with the events sent to `on_event` instead of stderr.
pub async fn run_keeper_with(
    client: Client,
    config: Config,
    config_path: Option<PathBuf>,
    memory: Box<dyn MemorySource>,
    shutdown: impl Future<Output = ()>,
    on_event: impl FnMut(&KeeperEvent),
) -> Result<()> {
    // In-process keepers (tests, embedding) keep no answers on disk.
    let cache = crate::show_cache::ShowCache::none();
    drive(
        client,
        config,
        config_path,
        memory,
        shutdown,
        (on_event, cache),
    )
    .await
}

async fn drive(
    client: Client,
    config: Config,
    config_path: Option<PathBuf>,
    memory: Box<dyn MemorySource>,
    shutdown: impl Future<Output = ()>,
    (on_event, cache): (impl FnMut(&KeeperEvent), crate::show_cache::ShowCache),
) -> Result<()> {
    let mut judge = RoomJudge::default();
    judge.settings = crate::server_env::settings(&config);
    judge.cache = cache;
    let mut d = Driver {
        keeper: Keeper::new(&config.keep_alive_models, Timestamp::now()),
        watch: ConfigWatch::new(config_path, config),
        client,
        judge,
        memory,
        tasks: JoinSet::new(),
        in_flight: HashMap::new(),
        on_event,
    };
    d.announce();
    let result = d.run(shutdown).await;
    d.tasks.abort_all();
    result
}

struct Driver<F> {
    client: Client,
    keeper: Keeper,
    watch: ConfigWatch,
    judge: RoomJudge,
    memory: Box<dyn MemorySource>,
    tasks: JoinSet<Outcome>,
    in_flight: HashMap<Id, String>,
    on_event: F,
}

impl<F: FnMut(&KeeperEvent)> Driver<F> {
    async fn run(&mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut delay = self.base_delay();
        let mut next_poll = Instant::now();
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                Some(joined) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.finished(joined);
                }
                _ = tokio::time::sleep_until(next_poll) => {
                    let up = tokio::select! {
                        _ = &mut shutdown => return Ok(()),
                        up = self.poll() => up?,
                    };
                    // While Ollama is down, poll less and less often (never a storm).
                    let base = self.base_delay();
                    delay = if up { base } else { (delay * 2).min(DOWN_POLL_CAP.max(base)) };
                    next_poll = Instant::now() + delay;
                }
            }
        }
    }

    /// `refresh.loaded_secs`, re-read so an edited config takes effect.
    fn base_delay(&self) -> Duration {
        Duration::from_secs_f64(self.watch.config().refresh.loaded_secs.max(0.1))
    }

    fn emit(&mut self) {
        for e in self.keeper.take_events() {
            (self.on_event)(&e);
        }
    }

    fn announce(&mut self) {
        let pins: Vec<&str> = self.keeper.pins().collect();
        let message = if pins.is_empty() {
            format!(
                "no pinned models in {} — add one with `model-orchestrator pin NAME`; watching for changes",
                self.watch.describe()
            )
        } else {
            format!("keeping {} pinned: {}", pins.len(), pins.join(", "))
        };
        let event = super::watch::pins_event(message);
        (self.on_event)(&event);
    }

    /// One poll; `Ok(false)` when Ollama did not answer.
    async fn poll(&mut self) -> Result<bool> {
        if let Some(event) = self.watch.refresh(&mut self.keeper) {
            (self.on_event)(&event);
        }
        let ps = self.client.ps().await;
        let now = Timestamp::now();
        let running = match ps {
            Ok(r) => r,
            Err(OllamaError::Status { status: 404, .. }) => {
                return Err(eyre!(
                    "Ollama at {} has no /api/ps (it is older than 0.1.38): update Ollama to keep pins loaded",
                    self.client.base_url()
                ));
            }
            Err(e) => {
                self.keeper.on_ps_error(now, &e);
                self.emit();
                return Ok(false);
            }
        };
        let missing = self.keeper.missing(&running);
        let config = self.watch.config().clone();
        self.judge.book.observe(&running, now);
        self.judge.prepare(&self.client, &missing, &config).await;
        self.keeper.set_aliases(self.judge.aliases());
        let memory = if missing.is_empty() {
            Default::default()
        } else {
            self.memory.read()
        };
        let judge = &self.judge;
        let actions = self.keeper.on_ps(now, &running, |name| {
            judge.room(name, &memory, &running, &config)
        });
        self.emit();
        // A re-pinned model was never missing: learn its kind before sending.
        let targets: Vec<String> = actions.iter().map(|a| a.model().to_string()).collect();
        self.judge.prepare(&self.client, &targets, &config).await;
        for action in actions {
            self.start(action);
        }
        Ok(true)
    }

    /// Both actions are a load with keep_alive -1 through the model's route: on a
    /// loaded model it only resets the timer, on a missing one it loads it.
    fn start(&mut self, action: KeeperAction) {
        let model = action.model().to_string();
        let embedding = self.judge.kind(&model) == crate::kind::Kind::Embedding;
        let spec = action.spec(embedding, self.watch.config().num_ctx);
        let client = self.client.clone();
        let task_model = model.clone();
        let handle = self.tasks.spawn(async move {
            let result = client.load_with(&task_model, &spec).await;
            (task_model, result)
        });
        self.in_flight.insert(handle.id(), model);
    }

    fn finished(&mut self, joined: Result<(Id, Outcome), tokio::task::JoinError>) {
        let now = Timestamp::now();
        match joined {
            Ok((id, (model, result))) => {
                self.in_flight.remove(&id);
                self.keeper.on_result(&model, now, result);
            }
            Err(e) => {
                // A request task that died still frees its model for a later try.
                if let Some(model) = self.in_flight.remove(&e.id()) {
                    let err = OllamaError::Config(format!("request task failed: {e}"));
                    self.keeper.on_result(&model, now, Err(err));
                }
            }
        }
        self.emit();
    }
}

/// `2026-08-01 14:03:22  re-pinned llama3.1:8b (...)` on stderr.
pub fn log_event(event: &KeeperEvent) {
    let tz = jiff::tz::TimeZone::system();
    let when = event.at.to_zoned(tz).strftime("%Y-%m-%d %H:%M:%S");
    eprintln!("{when}  {}", crate::sanitize::clean(&event.message));
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (systemd stop).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
