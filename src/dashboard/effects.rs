//! Runs effects on tokio tasks; each reports back as a `Msg`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;
use tokio::time::{MissedTickBehavior, interval};

use futures_util::StreamExt;

use crate::app::msg::OpId;
use crate::app::{self, Effect, Msg, OpEvent, Request, State};
use crate::memory::MemorySource;
use crate::ollama::{Client, OllamaError, PullEvent};

pub struct Runner {
    client: Client,
    config_path: Option<PathBuf>,
    /// Where learned needs are kept; `None` keeps them for this run only.
    pub learned_path: Option<PathBuf>,
    /// `/api/show` answers by digest.
    pub shows: crate::show_cache::ShowCache,
    tx: UnboundedSender<Msg>,
    /// Operations in flight, so a cancel can drop the request.
    ops: Mutex<HashMap<OpId, AbortHandle>>,
}

/// A poisoned lock only means a panic elsewhere; the map is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Runner {
    pub fn new(client: Client, config_path: Option<PathBuf>, tx: UnboundedSender<Msg>) -> Runner {
        Runner {
            client,
            config_path,
            learned_path: None,
            shows: crate::show_cache::ShowCache::none(),
            tx,
            ops: Mutex::default(),
        }
    }

    /// Feeds one message to `update` and starts the effects it asks for.
    pub fn dispatch(&self, state: &mut State, msg: Msg) {
        let fx = app::update(state, msg);
        self.run_all(fx);
    }

    pub fn run_all(&self, fx: Vec<Effect>) {
        for f in fx {
            self.run(f);
        }
    }

    fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = Msg> + Send + 'static,
    {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // The loop is gone only when quitting: nothing left to tell.
            let _ = tx.send(fut.await);
        });
    }

    /// Runs operation `id` on a task that `Effect::Cancel` can drop.
    fn spawn_op(&self, id: OpId, request: Request) {
        let c = self.client.clone();
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            let reply = match request {
                Request::Load { model, spec } => c.load_with(&model, &spec).await,
                Request::Unload { model, embedding } => c.unload_with(&model, embedding).await,
                Request::Pull { model } => pull(&c, &model, id, &tx).await,
                Request::Delete {
                    model,
                    unload_first,
                } => delete(&c, &model, unload_first, id, &tx).await,
            };
            let _ = tx.send(Msg::OpDone { id, reply });
        });
        let mut ops = lock(&self.ops);
        ops.retain(|_, h| !h.is_finished());
        ops.insert(id, task.abort_handle());
    }

    fn run(&self, effect: Effect) {
        let c = self.client.clone();
        match effect {
            Effect::FetchVersion => self.spawn(async move { Msg::Version(c.version().await) }),
            Effect::FetchTags => self.spawn(async move { Msg::Tags(c.tags().await) }),
            Effect::FetchPs => self.spawn(async move { Msg::Ps(c.ps().await) }),
            Effect::FetchShow { key, model } => {
                let cache = self.shows.clone();
                self.spawn(async move {
                    // `key` is the manifest digest when the server gave one.
                    let reply = Box::new(cache.show(&c, &model, &key).await);
                    Msg::Show { key, model, reply }
                })
            }
            Effect::Start { id, request } => self.spawn_op(id, request),
            Effect::Cancel { id } => {
                // Dropping the request makes Ollama give up on it ("request
                // canceled", 499; a pull keeps its partial files); `update`
                // unloads a model that arrives anyway.
                if let Some(h) = lock(&self.ops).remove(&id) {
                    h.abort();
                }
            }
            Effect::Copy(text) => copy_to_clipboard(&text),
            Effect::SavePin { model, pinned } => {
                let path = self.config_path.clone();
                self.spawn(async move {
                    let result = tokio::task::spawn_blocking(move || save(path, &model, pinned))
                        .await
                        .unwrap_or_else(|e| Err(format!("saving pins stopped: {e}")));
                    Msg::PinsSaved(result)
                });
            }
            Effect::SaveLearned(learned) => {
                if let Some(path) = self.learned_path.clone() {
                    // Losing one observation is harmless: the next poll learns it again.
                    tokio::task::spawn_blocking(move || crate::fit::learned::save(&path, &learned));
                }
            }
            Effect::Quit => {}
        }
    }
}

/// Streams a pull's events to `update` until Ollama says "success".
async fn pull(
    c: &Client,
    model: &str,
    id: OpId,
    tx: &UnboundedSender<Msg>,
) -> Result<(), OllamaError> {
    let events = c.pull(model).await?;
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        let event = event?;
        let done = event == PullEvent::Success;
        let _ = tx.send(Msg::OpProgress {
            id,
            event: OpEvent::Pull(event),
        });
        if done {
            return Ok(());
        }
    }
    Err(OllamaError::Broken {
        url: c.base_url().to_string(),
        reason: "the pull stream ended before Ollama said success".into(),
    })
}

/// Like `ollama rm`: unloads a loaded model first (the API's delete leaves it in
/// memory), then deletes; a failed unload is said and the delete goes on.
async fn delete(
    c: &Client,
    model: &str,
    unload_first: Option<bool>,
    id: OpId,
    tx: &UnboundedSender<Msg>,
) -> Result<(), OllamaError> {
    if let Some(embedding) = unload_first
        && let Err(e) = c.unload_with(model, embedding).await
    {
        let note = format!(
            "could not unload it first ({}); it stays in memory until it expires",
            e.plain()
        );
        let _ = tx.send(Msg::OpProgress {
            id,
            event: OpEvent::Note(note),
        });
    }
    c.delete(model).await
}

/// OSC 52: the terminal puts `text` on the system clipboard, over SSH too. Sent
/// as one write beside the frames, which go through the same stdout.
fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let clean = crate::sanitize::clean(text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(clean.as_bytes());
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Reads memory on a blocking thread every `period`, so a slow probe (NVML) never
/// stalls the loop.
pub fn spawn_memory(mut source: Box<dyn MemorySource>, period: Duration, tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut tick = interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let read = tokio::task::spawn_blocking(move || {
                let snapshot = source.read();
                let error = source.last_error();
                (source, snapshot, error)
            });
            let Ok((back, snapshot, error)) = read.await else {
                return;
            };
            source = back;
            let msg = match error {
                Some(e) => Msg::MemoryFailed(e),
                None => Msg::Memory(snapshot),
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

/// Watches the config file like `keep` does (`keepalive::ConfigWatch`): every
/// `period` its modification time is checked, and a changed file's pins are sent
/// as `Msg::PinsInFile`, so a pin or unpin made anywhere is followed within a poll.
pub fn spawn_config_watch(path: Option<PathBuf>, period: Duration, tx: UnboundedSender<Msg>) {
    let Some(path) = path else { return };
    tokio::spawn(async move {
        let mut tick = interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut seen = modified(&path);
        loop {
            tick.tick().await;
            let now = modified(&path);
            if now == seen {
                continue;
            }
            seen = now;
            let p = path.clone();
            let read = tokio::task::spawn_blocking(move || {
                crate::config::Config::load_from(&p)
                    .map(|c| c.keep_alive_models)
                    .map_err(|e| e.to_string())
            });
            let Ok(pins) = read.await else { return };
            if tx.send(Msg::PinsInFile(pins)).is_err() {
                return;
            }
        }
    });
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// One pin change into the config file; the error is what the user reads.
fn save(path: Option<PathBuf>, model: &str, pinned: bool) -> Result<(), String> {
    let path = path.ok_or("no config file location; pins last until you quit")?;
    crate::pins::save_pin(&path, model, pinned)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::save;

    #[test]
    fn a_pin_is_saved_through_the_pins_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\nram_buffer_gb = 3.0\n").expect("write");
        save(Some(path.clone()), "llama3.1:8b", true).expect("saved");
        let cfg = crate::config::Config::load_from(&path).expect("still valid");
        assert_eq!(cfg.keep_alive_models, vec!["llama3.1:8b".to_string()]);
        let text = std::fs::read_to_string(&path).expect("read back");
        assert!(text.contains("# mine"), "{text}");
    }

    #[test]
    fn a_broken_file_is_refused_with_the_writers_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "ram_buffer_gb = = 3\n").expect("write");
        let err = save(Some(path.clone()), "llama3.1:8b", true).expect_err("refused");
        assert!(err.contains("left untouched"), "{err}");
        let text = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(text, "ram_buffer_gb = = 3\n");
        assert!(save(None, "x:1", true).is_err());
    }
}
