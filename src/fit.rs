//! What a model needs in memory and what Ollama will do when it is loaded now.
//!
//! Pure: every function takes readings and settings as arguments and does no I/O.
//! The rules replay Ollama's scheduler per release band (`server/sched.go`,
//! `llm/memory.go`, `llm/llama_server.go`; see each module):
//! - the context is the one the server will use ([`Scene::context`]);
//! - the need is Ollama's own estimate for that band at that context, times the
//!   parallel slots, or what `/api/ps` showed for it before ([`learned`]);
//! - the verdict follows `processPending`: the count limit, then "fits beside what
//!   is loaded" (entirely on the GPU when one is present), else the victims Ollama
//!   evicts, in its order: shortest configured keep-alive first, ties by path.

pub mod estimate;
pub mod evict;
pub mod learned;
pub mod place;
pub mod schedule;
pub mod server;

use crate::config::Config;
use crate::format::gb;
use crate::memory::MemorySnapshot;
use crate::ollama::{Architecture, ModelEntry, RunningModel};
use crate::sanitize::clean;

pub use estimate::Shape;
pub use evict::KeepAliveBook;
pub use learned::Learned;
pub use schedule::Resident;
pub use server::{Band, ContextSource, Server, ServerSettings};

/// The context a need is computed at, and why that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    pub num_ctx: u64,
    pub source: ContextSource,
    /// The wanted context was above the trained one and was cut to it.
    pub capped: bool,
    /// Parallel slots: the KV cache holds `num_ctx × slots` tokens.
    pub slots: u64,
}

/// Where a need figure came from, so the UI can explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedSource {
    /// `model_sizes` in the config.
    Override,
    /// Ollama's classic estimate (≤ 0.29): weights + KV cache + compute graph.
    Estimate { file: u64, kv: u64, graph: u64 },
    /// `PredictServerVRAM` (≥ 0.30): file + f16 KV cache.
    Predicted { file: u64, kv: u64 },
    /// What `/api/ps` showed for this model at this context before.
    Observed { estimate: Option<u64> },
    /// Only the file size is known (architecture not fetched yet or unknown).
    FileSize,
    /// A cloud model: runs remotely.
    Remote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub bytes: u64,
    pub source: NeedSource,
    pub context: Option<Context>,
}

/// Where a load ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Entirely in VRAM.
    Gpu,
    /// Split between the GPU and the CPU: slower.
    Split { gpu_percent: u8 },
    /// System RAM only (a CPU-only host, or no layer fits the GPU).
    Cpu,
}

/// Why Ollama evicts before loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evict {
    /// The model does not fit beside what is loaded.
    Memory,
    /// `OLLAMA_MAX_LOADED_MODELS` (this many) are loaded already.
    CountLimit(u64),
}

/// What Ollama will do if the model is loaded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Already in memory.
    Loaded,
    /// Loads beside what is loaded, evicting nothing.
    Fits(Landing),
    /// Ollama will first evict these loaded models (next to go first), pinned ones
    /// included.
    FitsIfUnloaded {
        unload: Vec<String>,
        why: Evict,
        landing: Landing,
    },
    /// Does not fit even with everything else unloaded; short by this many bytes.
    NoFit { short_by: u64 },
    /// The memory of the machine Ollama runs on is not known.
    Unknown,
    /// A cloud model: it runs on a remote service, never in this server's memory.
    Remote,
}

impl Verdict {
    /// Whether the model can be loaded without Ollama evicting anything.
    pub fn fits_now(&self) -> bool {
        matches!(self, Verdict::Loaded | Verdict::Fits(_))
    }

    /// The JSON spelling (`list --json`, `select --json`).
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Loaded => "loaded",
            Verdict::Fits(Landing::Gpu) => "fits_gpu",
            Verdict::Fits(_) => "fits",
            Verdict::FitsIfUnloaded { .. } => "fits_if_unloaded",
            Verdict::NoFit { .. } => "no_fit",
            Verdict::Unknown => "unknown",
            Verdict::Remote => "remote",
        }
    }

    /// A short cell, readable without colour; names are cleaned of control characters.
    pub fn label(&self) -> String {
        match self {
            Verdict::Loaded => "● loaded".into(),
            Verdict::Fits(Landing::Gpu) => "✓ GPU".into(),
            Verdict::Fits(Landing::Split { gpu_percent }) => {
                format!("✓ {}", crate::format::split_text(*gpu_percent))
            }
            Verdict::Fits(Landing::Cpu) => "✓ fits".into(),
            Verdict::FitsIfUnloaded { unload, .. } => {
                let names: Vec<String> = unload.iter().map(|n| clean(n)).collect();
                format!("⇄ evicts {}", names.join(", "))
            }
            Verdict::NoFit { short_by } => format!("✗ short {}", gb(*short_by)),
            Verdict::Unknown => "? unknown".into(),
            Verdict::Remote => "☁ remote".into(),
        }
    }
}

/// A need and a verdict together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub need: Need,
    pub verdict: Verdict,
}

/// What the server and its host look like now: everything a verdict depends on
/// besides the model itself.
#[derive(Debug, Clone)]
pub struct Scene<'a> {
    pub server: &'a Server,
    /// `None` when the memory of the machine Ollama runs on is unknown.
    pub memory: Option<&'a MemorySnapshot>,
    pub running: &'a [RunningModel],
    /// Loaded models in Ollama's eviction order (next to go first).
    pub residents: Vec<Resident>,
    pub config: &'a Config,
    pub learned: Option<&'a Learned>,
}

/// One installed model, with what `/api/show` told about it.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    pub entry: &'a ModelEntry,
    pub arch: Option<&'a Architecture>,
    pub embedding_only: bool,
}

impl<'a> Scene<'a> {
    /// A scene with the loaded models in name order (as if all had the same
    /// keep-alive); call [`Scene::order`] for Ollama's eviction order.
    pub fn new(
        server: &'a Server,
        memory: Option<&'a MemorySnapshot>,
        running: &'a [RunningModel],
        config: &'a Config,
    ) -> Scene<'a> {
        let mut scene = Scene {
            server,
            memory,
            running,
            residents: Vec::new(),
            config,
            learned: None,
        };
        // Without keep-alives all tie: by name (no clock read here; `order` has one).
        let mut residents: Vec<Resident> = running
            .iter()
            .map(|r| Resident {
                name: r.name.clone(),
                size: r.size,
                size_vram: r.vram(),
                weights: None,
            })
            .collect();
        residents.sort_by_key(|r| crate::names::normalize(&r.name));
        scene.residents = residents;
        scene
    }

    pub fn with_learned(mut self, learned: &'a Learned) -> Scene<'a> {
        self.learned = Some(learned);
        self
    }

    /// Puts the loaded models in Ollama's eviction order, from the configured
    /// keep-alives in `book` and the weights blob `path` gives.
    pub fn order(
        mut self,
        book: &KeepAliveBook,
        path: impl Fn(&RunningModel) -> Option<String>,
        now: jiff::Timestamp,
    ) -> Scene<'a> {
        self.residents = self.eviction_order(book, path, now);
        self
    }

    fn eviction_order(
        &self,
        book: &KeepAliveBook,
        path: impl Fn(&RunningModel) -> Option<String>,
        now: jiff::Timestamp,
    ) -> Vec<Resident> {
        let default = self
            .server
            .settings
            .keep_alive
            .unwrap_or(evict::OLLAMA_KEEP_ALIVE);
        evict::eviction_order(self.running, book, path, default, now)
    }

    /// The loaded model Ollama evicts next, if any.
    pub fn next_to_go(&self) -> Option<&str> {
        self.residents.first().map(|r| r.name.as_str())
    }

    /// Need and verdict for `model`.
    pub fn judge(&self, model: Model<'_>) -> Judgement {
        let loaded = self.loaded_model(model);
        let need = self.need(model, loaded);
        let verdict = if model.entry.is_remote() {
            Verdict::Remote
        } else if loaded.is_some() {
            Verdict::Loaded
        } else {
            match self.memory {
                None => Verdict::Unknown,
                Some(memory) => self.verdict(model, &need, memory),
            }
        };
        Judgement { need, verdict }
    }

    /// The loaded runner of this model: same digest (aliases and copies share one
    /// runner, `ollama-api.md` §9.3), else the same name.
    pub fn loaded(&self, entry: &ModelEntry) -> Option<&'a RunningModel> {
        loaded_runner(self.running, entry)
    }

    /// As [`Scene::loaded`], and also a runner of the same weights blob (a Modelfile
    /// derivative), which Ollama keys its runners by.
    pub fn loaded_model(&self, model: Model<'_>) -> Option<&'a RunningModel> {
        self.loaded(model.entry).or_else(|| {
            let blob = model.arch?.weights_blob.as_deref()?;
            let r = self
                .residents
                .iter()
                .find(|r| r.weights.as_deref() == Some(blob))?;
            self.running.iter().find(|x| x.name == r.name)
        })
    }

    /// The context the server will load `model` with: our `num_ctx` (sent with
    /// every load) > what the loaded runner got > the Modelfile's > the server's
    /// `OLLAMA_CONTEXT_LENGTH` > the version's default; capped at the trained
    /// length (`modelOptions`, `NewLlamaServer`).
    pub fn context(&self, model: Model<'_>, loaded: Option<&RunningModel>) -> Context {
        let arch = model.arch;
        let total_vram = self.memory.map_or(0, |m| {
            m.gpus
                .iter()
                .map(|g| g.total.saturating_sub(self.server.gpu_overhead()))
                .sum()
        });
        let (wanted, source) = if let Some(n) = self.config.num_ctx.filter(|&n| n > 0) {
            (n, ContextSource::Override)
        } else if let Some(n) = loaded.and_then(|r| r.context_length).filter(|&n| n > 0) {
            (n, ContextSource::Loaded)
        } else if let Some(n) = arch.and_then(|a| a.modelfile_num_ctx).filter(|&n| n > 0) {
            (n, ContextSource::Modelfile)
        } else {
            self.server.default_context(total_vram)
        };
        let trained = arch
            .and_then(|a| a.context_length)
            .filter(|&t| t > 0 && self.server.caps_context());
        let num_ctx = trained.map_or(wanted, |t| wanted.min(t));
        let slots = schedule::slot_tries(self.server.slots(model.embedding_only))[0];
        Context {
            num_ctx,
            source,
            capped: num_ctx < wanted,
            slots,
        }
    }

    /// The largest context (a power of two from 2048, or the trained length) at
    /// which `model` would load now without Ollama evicting anything.
    pub fn largest_fitting_context(&self, model: Model<'_>) -> Option<u64> {
        let memory = self.memory?;
        if model.entry.is_remote() {
            return None;
        }
        let base = self.context(model, None);
        let trained = model
            .arch
            .and_then(|a| a.context_length)
            .filter(|&t| t > 0)
            .unwrap_or(base.num_ctx.max(2048));
        let mut tries: Vec<u64> = (11..=20)
            .map(|p| 1u64 << p)
            .filter(|&c| c < trained)
            .collect();
        tries.push(trained);
        tries.into_iter().rev().find(|&ctx| {
            let context = Context {
                num_ctx: ctx,
                source: ContextSource::Override,
                capped: false,
                ..base
            };
            let need = self.need_at(model, context);
            self.verdict(model, &need, memory).fits_now()
        })
    }

    fn need(&self, model: Model<'_>, loaded: Option<&RunningModel>) -> Need {
        let entry = model.entry;
        if entry.is_remote() {
            return Need {
                bytes: 0,
                source: NeedSource::Remote,
                context: None,
            };
        }
        let context = self.context(model, loaded);
        self.need_at(model, context)
    }

    fn need_at(&self, model: Model<'_>, context: Context) -> Need {
        let (bytes, source) = self.need_bytes(model, &context);
        Need {
            bytes,
            source,
            context: Some(context),
        }
    }

    fn need_bytes(&self, model: Model<'_>, ctx: &Context) -> (u64, NeedSource) {
        let entry = model.entry;
        if let Some(bytes) = self.config.size_override(&entry.name) {
            return (bytes, NeedSource::Override);
        }
        let shape = model.arch.and_then(|a| Shape::new(a, entry.size));
        let estimate = shape.as_ref().map(|s| self.estimate(s, ctx));
        if let Some(seen) = self.observed(entry, ctx) {
            return (
                seen,
                NeedSource::Observed {
                    estimate: estimate.map(|e| e.0),
                },
            );
        }
        match estimate {
            Some((bytes, source)) => (bytes, source),
            None => (entry.size, NeedSource::FileSize),
        }
    }

    /// The band's own estimate at the first slot count it tries.
    fn estimate(&self, shape: &Shape, ctx: &Context) -> (u64, NeedSource) {
        let total_ctx = ctx.num_ctx.saturating_mul(ctx.slots);
        if schedule::predicted_band(self.server.band) {
            let bytes = estimate::predicted(shape, total_ctx);
            let source = NeedSource::Predicted {
                file: shape.file,
                kv: bytes - shape.file,
            };
            return (bytes, source);
        }
        let l = estimate::classic(
            shape,
            ctx.num_ctx,
            ctx.slots,
            self.server.kv_bytes_per_element(),
        );
        let graph = l.graph_partial.max(l.graph_full);
        let source = NeedSource::Estimate {
            file: shape.file,
            kv: l.kv_total,
            graph,
        };
        (l.total(), source)
    }

    fn observed(&self, entry: &ModelEntry, ctx: &Context) -> Option<u64> {
        self.learned?
            .get(&entry.digest, ctx.num_ctx)
            .map(|o| o.size)
    }

    fn verdict(&self, model: Model<'_>, need: &Need, memory: &MemorySnapshot) -> Verdict {
        let room = schedule::Room {
            ram_free: memory.ram_available,
            swap_free: if self.server.first_load_counts_swap() {
                memory.swap_total.saturating_sub(memory.swap_used)
            } else {
                0
            },
            gpus_free: memory.gpus.iter().map(|g| g.free()).collect(),
            gpus_total: memory.gpus.iter().map(|g| g.total).collect(),
        };
        let demand = self.demand(model, need);
        schedule::predict(&demand, self.server, &room, &self.residents)
    }

    /// The demand in the form the band's scheduler checks it.
    fn demand(&self, model: Model<'_>, need: &Need) -> schedule::Demand {
        let ctx = need.context.unwrap_or(Context {
            num_ctx: 0,
            source: ContextSource::VersionDefault,
            capped: false,
            slots: 1,
        });
        let shape = model.arch.and_then(|a| Shape::new(a, model.entry.size));
        let exact = matches!(
            need.source,
            NeedSource::Override | NeedSource::Observed { .. }
        );
        if schedule::predicted_band(self.server.band) {
            let total_ctx = ctx.num_ctx.saturating_mul(ctx.slots);
            let kv_bytes = self.server.kv_bytes_per_element();
            let (predicted, resident, per_batch) = match (&need.source, &shape) {
                (NeedSource::Override, _) | (_, None) => (need.bytes, need.bytes, 0),
                (_, Some(s)) => (
                    estimate::predicted(s, total_ctx),
                    estimate::resident(s, ctx.num_ctx, ctx.slots, kv_bytes),
                    estimate::compute_per_batch(s),
                ),
            };
            let observed = matches!(need.source, NeedSource::Observed { .. }).then_some(need.bytes);
            return schedule::Demand::Predicted {
                predicted,
                total_ctx,
                completion: !model.embedding_only,
                resident,
                per_batch,
                observed,
            };
        }
        let slots = self.server.slots(model.embedding_only);
        let kv_bytes = self.server.kv_bytes_per_element();
        let layers_at = |n: u64| match (&shape, exact) {
            (Some(s), false) => estimate::classic(s, ctx.num_ctx, n, kv_bytes),
            _ => flat_layers(need.bytes),
        };
        schedule::Demand::Layered {
            tries: schedule::slot_tries(slots)
                .into_iter()
                .map(layers_at)
                .collect(),
            cpu: layers_at(schedule::cpu_slots(slots)),
        }
    }
}

/// A model known only by its total: 32 equal blocks and an output layer, no graph.
fn flat_layers(bytes: u64) -> estimate::Layers {
    let block = bytes / 33;
    estimate::Layers {
        blocks: vec![block; 32],
        output: bytes - 32 * block,
        kv_total: 0,
        graph_partial: 0,
        graph_full: 0,
    }
}

/// The runner in `/api/ps` that serves `entry`: the same digest, else the same name.
pub fn loaded_runner<'r>(
    running: &'r [RunningModel],
    entry: &ModelEntry,
) -> Option<&'r RunningModel> {
    let digest = |r: &RunningModel| !entry.digest.is_empty() && r.digest == entry.digest;
    running.iter().find(|r| digest(r)).or_else(|| {
        running
            .iter()
            .find(|r| crate::names::same_model(&r.name, &entry.name))
    })
}

/// Embedding-only: capabilities say `embedding` without `completion` (≥ 0.6.4), or,
/// before capabilities existed, a BERT-family architecture (`ollama-api.md` §9.1).
pub fn embedding_only(capabilities: &[String], arch: Option<&Architecture>) -> bool {
    if !capabilities.is_empty() {
        let has = |c: &str| capabilities.iter().any(|x| x == c);
        return has("embedding") && !has("completion");
    }
    arch.is_some_and(|a| a.name.contains("bert"))
}

#[cfg(test)]
mod tests;
