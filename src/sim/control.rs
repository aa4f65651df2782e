//! Steering the stand-in from a test or the demo: faults, restarts, keep-alive
//! changes from "another client", going down, the request log, memory readings.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::faults::Fault;
use super::server::Shared;
use super::{SimError, generate, lock};
use crate::duration::KeepAlive;
use crate::memory::{MemorySnapshot, MemorySource};

/// One request the server received (admin routes excluded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The JSON body; `null` when empty, a string when it was not JSON.
    pub body: serde_json::Value,
    #[serde(serialize_with = "as_string")]
    pub at: Timestamp,
}

fn as_string<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_string())
}

/// A cheap, cloneable remote control for a running stand-in.
#[derive(Clone)]
pub struct SimControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl")
            .field("url", &self.shared.url())
            .finish()
    }
}

impl SimControl {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        SimControl { shared }
    }

    pub fn url(&self) -> String {
        self.shared.url()
    }

    /// Makes the next `count` requests (all of them with `None`) misbehave. Replaces
    /// any fault already set.
    pub fn set_fault(&self, fault: Fault, count: Option<u32>) {
        lock(&self.shared.faults).set(Some(fault), count);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).set(None, None);
    }

    /// Forgets every loaded model, as when Ollama restarts.
    pub fn restart(&self) {
        lock(&self.shared.state).host.runners.clear();
    }

    /// As if another client sent a request with this keep_alive: loads the model
    /// if needed, replaces its keep-alive (a pin is lost), or unloads with zero.
    pub async fn set_keep_alive(&self, model: &str, keep_alive: KeepAlive) -> Result<(), SimError> {
        let Some(m) = self.shared.installed(model) else {
            return Err(SimError::Api {
                status: 404,
                message: format!("model '{model}' not found"),
            });
        };
        if keep_alive.is_unload() {
            lock(&self.shared.state).host.unload_weights(&m.weights());
            return Ok(());
        }
        // The same options as the loaded runner, so that it is not reloaded.
        let num_ctx = lock(&self.shared.state)
            .host
            .by_weights(&m.weights())
            .and_then(|r| (!r.ctx_auto).then_some(r.requested_ctx));
        generate::ensure_loaded(&self.shared, m, Some(keep_alive), num_ctx)
            .await
            .map_err(|e| SimError::Api {
                status: e.status,
                message: e.message,
            })
    }

    /// `true`: stop listening and cut every connection (clients get "connection
    /// refused"); `false`: listen again on the same port. Returns once done.
    pub async fn set_down(&self, down: bool) {
        self.shared.want_down.send_replace(down);
        let mut is_down = self.shared.is_down.subscribe();
        // Bounded: after a shutdown the state never changes again.
        let _ =
            tokio::time::timeout(Duration::from_secs(5), is_down.wait_for(|d| *d == down)).await;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Simulated RAM and VRAM after what is loaded.
    pub fn memory(&self) -> MemorySnapshot {
        lock(&self.shared.state).host.snapshot()
    }

    /// Names of the models in memory (including one being loaded).
    pub fn loaded(&self) -> Vec<String> {
        self.shared.sweep();
        let state = lock(&self.shared.state);
        state
            .host
            .runners
            .iter()
            .map(|r| r.model.name.clone())
            .collect()
    }

    /// Names of the models on disk.
    pub fn installed(&self) -> Vec<String> {
        let state = lock(&self.shared.state);
        state
            .catalog
            .models
            .iter()
            .filter(|m| m.installed)
            .map(|m| m.name.clone())
            .collect()
    }
}

/// The stand-in's simulated memory as a [`MemorySource`], for the demo dashboard.
#[derive(Debug, Clone)]
pub struct SimMemory {
    control: SimControl,
}

impl SimMemory {
    pub fn new(control: SimControl) -> Self {
        SimMemory { control }
    }
}

impl MemorySource for SimMemory {
    fn read(&mut self) -> MemorySnapshot {
        self.control.memory()
    }
}
