//! The simulated scheduler: which models are on disk, which are in memory, where
//! their memory sits, when they expire and whom to evict (`server/sched.go`).
//! Pure: the caller passes the time and does the waiting.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::catalog::CatalogModel;
use crate::duration::KeepAlive;
use crate::memory::{GpuMemory, MemorySnapshot};

/// A model in memory (or being loaded into it).
#[derive(Debug, Clone, PartialEq)]
pub struct Runner {
    pub id: u64,
    pub model: CatalogModel,
    /// Weights + KV cache, RAM and VRAM together.
    pub size: u64,
    /// Bytes on each simulated GPU, in GPU order.
    pub vram: Vec<u64>,
    pub num_ctx: u64,
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

    /// Eviction rank: shortest keep-alive first, forever last.
    fn session_nanos(&self) -> u128 {
        match self.keep_alive {
            KeepAlive::Forever => u128::MAX,
            KeepAlive::For(d) => d.as_nanos(),
        }
    }
}

/// `now + keep_alive`; forever is `now + math.MaxInt64` ns, about year 2318.
pub fn expiry_after(now: Timestamp, keep_alive: KeepAlive) -> Timestamp {
    let span = match keep_alive {
        KeepAlive::Forever => SignedDuration::from_nanos(i64::MAX),
        KeepAlive::For(d) => SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX),
    };
    now.checked_add(span).unwrap_or(Timestamp::MAX)
}

/// Simulated host: RAM, GPUs, and everything loaded.
#[derive(Debug, Clone)]
pub struct Host {
    pub ram_total: u64,
    /// RAM used by everything but Ollama.
    pub ram_other: u64,
    pub gpus: Vec<(String, u64)>,
    pub runners: Vec<Runner>,
    next_id: u64,
}

impl Host {
    pub fn new(ram_total: u64, ram_other: u64, gpus: Vec<(String, u64)>) -> Host {
        Host {
            ram_total,
            ram_other,
            gpus,
            runners: Vec::new(),
            next_id: 1,
        }
    }

    pub fn ram_free(&self) -> u64 {
        let used: u64 = self.runners.iter().map(Runner::ram).sum();
        self.ram_total.saturating_sub(self.ram_other + used)
    }

    pub fn gpu_free(&self) -> Vec<u64> {
        self.gpus
            .iter()
            .enumerate()
            .map(|(i, (_, total))| {
                let used: u64 = self
                    .runners
                    .iter()
                    .map(|r| r.vram.get(i).copied().unwrap_or(0))
                    .sum();
                total.saturating_sub(used)
            })
            .collect()
    }

    pub fn free_total(&self) -> u64 {
        self.ram_free() + self.gpu_free().iter().sum::<u64>()
    }

    pub fn find(&self, name: &str) -> Option<&Runner> {
        self.runners
            .iter()
            .find(|r| crate::names::same_model(&r.model.name, name))
    }

    pub fn find_mut(&mut self, name: &str) -> Option<&mut Runner> {
        self.runners
            .iter_mut()
            .find(|r| crate::names::same_model(&r.model.name, name))
    }

    /// Forgets `name` at once (an idle runner drops out of `/api/ps` almost at once).
    pub fn unload(&mut self, name: &str) -> bool {
        let before = self.runners.len();
        self.runners
            .retain(|r| !crate::names::same_model(&r.model.name, name));
        before != self.runners.len()
    }

    /// Unloads every runner whose expiry has passed; returns their names.
    pub fn sweep(&mut self, now: Timestamp) -> Vec<String> {
        let (gone, kept): (Vec<Runner>, Vec<Runner>) = std::mem::take(&mut self.runners)
            .into_iter()
            .partition(|r| r.expires_at.is_some_and(|t| t <= now));
        self.runners = kept;
        gone.into_iter().map(|r| r.model.name).collect()
    }

    /// The idle runner to evict next: keep-alive ascending, forever last, ties by name.
    pub fn victim(&self) -> Option<String> {
        self.runners
            .iter()
            .filter(|r| !r.loading())
            .min_by(|a, b| {
                a.session_nanos()
                    .cmp(&b.session_nanos())
                    .then_with(|| a.model.name.cmp(&b.model.name))
            })
            .map(|r| r.model.name.clone())
    }

    /// Makes room for a runner of `need` bytes: first the count limit, then memory.
    /// Like Ollama, it evicts everything else before giving up. Returns the evicted
    /// names, or the OOM message.
    pub fn make_room(&mut self, need: u64, max_loaded: usize) -> Result<Vec<String>, String> {
        let mut evicted = Vec::new();
        while self.runners.len() >= max_loaded.max(1) {
            let Some(v) = self.victim() else { break };
            self.unload(&v);
            evicted.push(v);
        }
        while self.free_total() < need {
            let Some(v) = self.victim() else { break };
            self.unload(&v);
            evicted.push(v);
        }
        if self.free_total() < need {
            return Err(format!(
                "model requires more system memory ({}) than is available ({})",
                human_bytes2(need),
                human_bytes2(self.free_total())
            ));
        }
        Ok(evicted)
    }

    /// Adds a loading runner, GPUs first, the rest in RAM. Call `make_room` first.
    pub fn start_load(
        &mut self,
        model: CatalogModel,
        size: u64,
        num_ctx: u64,
        keep_alive: KeepAlive,
    ) -> u64 {
        let mut left = size;
        let vram = self
            .gpu_free()
            .into_iter()
            .map(|free| {
                let take = left.min(free);
                left -= take;
                take
            })
            .collect();
        let id = self.next_id;
        self.next_id += 1;
        self.runners.push(Runner {
            id,
            model,
            size,
            vram,
            num_ctx,
            keep_alive,
            expires_at: None,
        });
        id
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
        let used = self.ram_total - self.ram_free();
        let free = self.gpu_free();
        MemorySnapshot {
            ram_total: self.ram_total,
            ram_available: self.ram_free(),
            ram_used: used,
            swap_total: 0,
            swap_used: 0,
            gpus: self
                .gpus
                .iter()
                .zip(free)
                .map(|((name, total), free)| GpuMemory {
                    name: name.clone(),
                    total: *total,
                    used: total - free,
                })
                .collect(),
        }
    }
}

/// Ollama's `format.HumanBytes2`: binary units, one decimal.
pub fn human_bytes2(b: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = b as f64;
    if f >= KIB * KIB * KIB {
        format!("{:.1} GiB", f / (KIB * KIB * KIB))
    } else if f >= KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{b} B")
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

#[cfg(test)]
#[path = "sched_tests.rs"]
mod tests;
