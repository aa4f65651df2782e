//! The simulated host: RAM, swap, GPUs and the runners in memory, keyed like
//! Ollama's `Scheduler.loaded` by the weights blob path. Pure: the caller passes
//! the time.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::catalog::CatalogModel;
use super::env::Env;
use super::placement::Free;
use crate::duration::KeepAlive;
use crate::memory::{GpuMemory, MemorySnapshot};

/// A model in memory (or being loaded into it): `runnerRef`.
#[derive(Debug, Clone, PartialEq)]
pub struct Runner {
    pub id: u64,
    /// The model that loaded it; `/api/ps` lists it under this name.
    pub model: CatalogModel,
    /// Weights digest: the runner's key (`ModelPath`).
    pub weights: String,
    /// RAM and VRAM together, as `/api/ps` reports it.
    pub size: u64,
    /// Bytes on each simulated GPU, in GPU order.
    pub vram: Vec<u64>,
    /// Per-slot context in effect (`/api/ps` `context_length`).
    pub num_ctx: u64,
    /// `num_ctx` as requested, before the cap at the trained context.
    pub requested_ctx: u64,
    /// The server chose the context (≥ 0.30 `numCtxAuto`).
    pub ctx_auto: bool,
    pub parallel: u64,
    pub keep_alive: KeepAlive,
    /// `None` while loading (Ollama reports now + keep_alive then).
    pub expires_at: Option<Timestamp>,
}

impl Runner {
    pub fn size_vram(&self) -> u64 {
        self.vram.iter().sum()
    }

    pub fn ram(&self) -> u64 {
        self.size.saturating_sub(self.size_vram())
    }

    pub fn loading(&self) -> bool {
        self.expires_at.is_none()
    }

    /// What `/api/ps` shows as `expires_at` at `now`.
    pub fn shown_expiry(&self, now: Timestamp) -> Timestamp {
        self.expires_at
            .unwrap_or_else(|| expiry_after(now, self.keep_alive))
    }

    /// `ByDurationAndName`: `uint64(sessionDuration)`, forever (MaxInt64) last.
    fn session_nanos(&self) -> u128 {
        match self.keep_alive {
            KeepAlive::Forever => i64::MAX as u128,
            KeepAlive::For(d) => d.as_nanos().min(i64::MAX as u128),
        }
    }

    /// `modelPath`, the tie-breaker of `ByDurationAndName`.
    pub fn model_path(&self) -> String {
        model_path(&self.weights)
    }
}

/// Where Ollama keeps a weights blob.
pub fn model_path(weights: &str) -> String {
    format!("/root/.ollama/models/blobs/sha256-{weights}")
}

/// `now + keep_alive`; forever is `now + math.MaxInt64` ns, about year 2318.
pub fn expiry_after(now: Timestamp, keep_alive: KeepAlive) -> Timestamp {
    let span = match keep_alive {
        KeepAlive::Forever => SignedDuration::from_nanos(i64::MAX),
        KeepAlive::For(d) => SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX),
    };
    now.checked_add(span).unwrap_or(Timestamp::MAX)
}

/// Simulated host: the settings, and everything loaded.
#[derive(Debug, Clone)]
pub struct Host {
    pub env: Env,
    pub runners: Vec<Runner>,
    next_id: u64,
}

impl Host {
    pub fn new(env: Env) -> Host {
        Host {
            env,
            runners: Vec::new(),
            next_id: 1,
        }
    }

    /// RAM everything wants: other programs plus what the runners keep off the GPUs.
    fn ram_demand(&self) -> u64 {
        let runners: u64 = self.runners.iter().map(Runner::ram).sum();
        self.env.ram_other.saturating_add(runners)
    }

    pub fn ram_free(&self) -> u64 {
        self.env.ram_total.saturating_sub(self.ram_demand())
    }

    /// What does not fit in RAM is swapped out.
    pub fn swap_used(&self) -> u64 {
        let over = self.ram_demand().saturating_sub(self.env.ram_total);
        over.min(self.env.swap_total)
    }

    pub fn gpu_free(&self) -> Vec<u64> {
        self.env
            .gpus
            .iter()
            .enumerate()
            .map(|(i, (_, total))| {
                let used: u64 = self.runners.iter().filter_map(|r| r.vram.get(i)).sum();
                total.saturating_sub(used)
            })
            .collect()
    }

    /// `updateFreeSpace` and system info: free RAM, free swap, free VRAM.
    pub fn free(&self) -> Free {
        Free {
            ram: self.ram_free(),
            swap: self.env.swap_total - self.swap_used(),
            gpus: self.gpu_free(),
        }
    }

    /// The runner listed under `name` (any spelling of it).
    #[cfg(test)]
    pub fn find(&self, name: &str) -> Option<&Runner> {
        self.runners
            .iter()
            .find(|r| crate::names::same_model(&r.model.name, name))
    }

    pub fn by_weights(&self, weights: &str) -> Option<&Runner> {
        self.runners.iter().find(|r| r.weights == weights)
    }

    pub fn by_weights_mut(&mut self, weights: &str) -> Option<&mut Runner> {
        self.runners.iter_mut().find(|r| r.weights == weights)
    }

    /// Forgets the runner of these weights at once (an idle runner drops out of
    /// `/api/ps` almost at once).
    pub fn unload_weights(&mut self, weights: &str) -> bool {
        let before = self.runners.len();
        self.runners.retain(|r| r.weights != weights);
        before != self.runners.len()
    }

    /// Unloads the runner `id`; returns the name it was listed under.
    pub fn unload_id(&mut self, id: u64) -> Option<String> {
        let at = self.runners.iter().position(|r| r.id == id)?;
        Some(self.runners.remove(at).model.name)
    }

    /// Unloads every runner whose expiry has passed; returns their names.
    pub fn sweep(&mut self, now: Timestamp) -> Vec<String> {
        let (gone, kept): (Vec<Runner>, Vec<Runner>) = std::mem::take(&mut self.runners)
            .into_iter()
            .partition(|r| r.expires_at.is_some_and(|t| t <= now));
        self.runners = kept;
        gone.into_iter().map(|r| r.model.name).collect()
    }

    /// `findRunnerToUnload` + `ByDurationAndName` (v0.12.6 `server/sched.go`):
    /// sorted by configured keep-alive (not time left), forever last, ties by
    /// model path (before v0.6.6 ties were unordered); the first idle, else the first.
    pub fn victim(&self) -> Option<u64> {
        let mut list: Vec<&Runner> = self.runners.iter().collect();
        list.sort_by(|a, b| {
            a.session_nanos()
                .cmp(&b.session_nanos())
                .then_with(|| a.model_path().cmp(&b.model_path()))
        });
        let idle = list.iter().find(|r| !r.loading()).or(list.first());
        idle.map(|r| r.id)
    }

    /// Adds a loading runner; returns its id.
    pub fn add(&mut self, mut runner: Runner) -> u64 {
        runner.id = self.next_id;
        runner.expires_at = None;
        self.next_id += 1;
        self.runners.push(runner);
        self.next_id - 1
    }

    /// Marks runner `id` loaded; false if it was unloaded meanwhile.
    pub fn finish_load(&mut self, id: u64, now: Timestamp) -> bool {
        match self.runners.iter_mut().find(|r| r.id == id) {
            Some(r) => {
                r.expires_at = Some(expiry_after(now, r.keep_alive));
                true
            }
            None => false,
        }
    }

    /// Runners as `/api/ps` lists them: longest remaining time first.
    pub fn ps_order(&self, now: Timestamp) -> Vec<&Runner> {
        let mut list: Vec<&Runner> = self.runners.iter().collect();
        list.sort_by(|a, b| {
            b.shown_expiry(now)
                .cmp(&a.shown_expiry(now))
                .then_with(|| a.model.name.cmp(&b.model.name))
        });
        list
    }

    pub fn snapshot(&self) -> MemorySnapshot {
        let free = self.ram_free();
        MemorySnapshot {
            ram_total: self.env.ram_total,
            ram_available: free,
            ram_used: self.env.ram_total - free,
            swap_total: self.env.swap_total,
            swap_used: self.swap_used(),
            gpus: self
                .env
                .gpus
                .iter()
                .zip(self.gpu_free())
                .map(|((name, total), free)| GpuMemory {
                    name: name.clone(),
                    total: *total,
                    used: total - free,
                })
                .collect(),
        }
    }
}

/// How long loading `bytes` takes at `speed` bytes per second (0 = instant).
pub fn load_time(bytes: u64, speed: u64) -> Duration {
    if speed == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(bytes as f64 / speed as f64)
    }
}
