//! One load attempt, as `Scheduler.load` + `LlamaServer.Load` decide it for the
//! band being played: the model fits (and where), someone must be evicted first
//! (`ErrLoadRequiredFull`, the pre-flight check), or the load fails.

use super::band::Engine;
use super::env::{Ctx, Env};
use super::estimate::{Dev, GPU_MINIMUM};
use super::graph;
use super::layout;
use super::llama_server as ls;
use super::shape::Shape;
use super::{classic, human_bytes2};

/// Free memory right now (`updateFreeSpace`, system info with free swap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Free {
    pub ram: u64,
    pub swap: u64,
    /// In GPU order.
    pub gpus: Vec<u64>,
}

impl Free {
    pub fn devs(&self) -> Vec<Dev> {
        self.gpus
            .iter()
            .map(|free| Dev {
                free: *free,
                minimum: GPU_MINIMUM,
            })
            .collect()
    }
}

/// What one attempt is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    pub shape: &'a Shape,
    pub ctx: Ctx,
    /// Other models are loaded: the new one must fit beside them.
    pub require_full: bool,
}

/// Where a runner's memory goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// What `/api/ps` reports as `size`.
    pub size: u64,
    /// Bytes on each GPU, in GPU order (`size_vram` is their sum).
    pub vram: Vec<u64>,
    /// Per slot, as `/api/ps` `context_length` shows it.
    pub ctx: u64,
    pub parallel: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Fit(Fit),
    /// Evict one runner and try again.
    Evict,
    /// The runner would crash for memory (≥ 0.30, which retries once).
    OutOfMemory(String),
    /// A 500 with this message.
    Fail(String),
}

pub fn decide(env: &Env, free: &Free, want: Want) -> Decision {
    match env.band.engine() {
        Engine::Estimate => classic::decide(env, free, want),
        Engine::Layout => layout_decide(env, free, want),
        Engine::LlamaServer => llama_server_decide(env, free, want),
    }
}

/// `model requires more system memory (X) than is available (Y)` (`llm/server.go`).
pub fn system_memory(needed: u64, available: u64) -> String {
    format!(
        "model requires more system memory ({}) than is available ({})",
        human_bytes2(needed),
        human_bytes2(available)
    )
}

/// ≥ v0.10.0: `max(OLLAMA_NUM_PARALLEL, 1)`, 1 for embedding models.
fn single_setting(env: &Env, s: &Shape) -> u64 {
    env.parallel_setting(s).unwrap_or(1).max(1)
}

/// v0.12.11–v0.2x `llamaServer.Load` → `createLayout` → `verifyLayout`.
fn layout_decide(env: &Env, free: &Free, want: Want) -> Decision {
    let s = want.shape;
    let parallel = single_setting(env, s);
    let ctx = env.effective_ctx(s, want.ctx.value);
    let on_gpu = !free.gpus.is_empty();
    // `loadRequest.BatchSize` is `num_batch` (512), the context for embedding models.
    let mut params = classic::params(env, s, ctx, parallel, on_gpu);
    params.batch = if s.embedding_only { ctx.max(512) } else { 512 };
    let g = graph::graph_size(s, params);
    let w = s.weights();
    let mut layers: Vec<u64> = g.kv.iter().map(|kv| w.block + kv).collect();
    layers.push(w.output);
    let buffer = layers.first().copied().unwrap_or(0);
    let l = layout::layout(&free.devs(), &layers, buffer, &g, env.gpu_overhead);
    if want.require_full && ((on_gpu && !l.all_on_gpu) || l.cpu > free.ram) {
        return Decision::Evict;
    }
    let available = free.ram.saturating_add(free.swap);
    if l.cpu > available {
        return Decision::Fail(system_memory(l.cpu, available));
    }
    Decision::Fit(Fit {
        size: l.total(),
        vram: l.gpu,
        ctx,
        parallel,
    })
}

/// ≥ v0.30.0 `Scheduler.load`: the pre-flight check, then llama-server's own fit.
fn llama_server_decide(env: &Env, free: &Free, want: Want) -> Decision {
    let s = want.shape;
    let parallel = single_setting(env, s);
    let ctx = env.effective_ctx(s, want.ctx.value);
    let predicted = ls::predict_server_vram(s, ctx * parallel);
    let gpus = placement_gpus(free, predicted);
    let gpu_free: u64 = gpus.iter().map(|i| free.gpus[*i]).sum();
    let (batch, surcharge) = match s.embedding_only {
        true => (512, 0),
        false => {
            let b = ls::automatic_batch(ctx * parallel, predicted, gpu_free);
            (b, ls::surcharge(b))
        }
    };
    if want.require_full && !gpus.is_empty() && ls::preflight_fails(predicted + surcharge, gpu_free)
    {
        return Decision::Evict;
    }
    let kv_type = env.kv_type(s, !gpus.is_empty());
    let total = ls::allocation(s, ctx, parallel, batch, kv_type).total();
    let vram = fill_gpus(env, free, &gpus, total);
    let on_cpu = total - vram.iter().sum::<u64>();
    if on_cpu > free.ram.saturating_add(free.swap) {
        return Decision::OutOfMemory(LLAMA_SERVER_OOM.into());
    }
    Decision::Fit(Fit {
        size: total,
        vram,
        ctx,
        parallel,
    })
}

/// The last stderr line llama-server leaves when its KV cache cannot be
/// allocated, as `getServerStatus` wraps it (v0.33.0-rc2 `llm/llama_server.go`).
pub const LLAMA_SERVER_OOM: &str = "llama-server process no longer running: exit status 1 llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache";

/// `selectLlamaServerPlacement`: one GPU whose 80 % holds the prediction (the
/// one with most free memory), else all of them.
fn placement_gpus(free: &Free, predicted: u64) -> Vec<usize> {
    let all: Vec<usize> = (0..free.gpus.len()).collect();
    if all.len() <= 1 {
        return all;
    }
    let single = all
        .iter()
        .copied()
        .filter(|i| !ls::preflight_fails(predicted, free.gpus[*i]))
        .max_by_key(|i| free.gpus[*i]);
    single.map_or(all, |i| vec![i])
}

/// llama-server `--fit`: what each chosen GPU can hold (beyond its minimum and
/// `OLLAMA_GPU_OVERHEAD`), in order; the rest stays in system memory.
fn fill_gpus(env: &Env, free: &Free, chosen: &[usize], total: u64) -> Vec<u64> {
    let mut vram = vec![0; free.gpus.len()];
    let mut left = total;
    for i in chosen {
        let room = free.gpus[*i].saturating_sub(GPU_MINIMUM + env.gpu_overhead);
        vram[*i] = left.min(room);
        left -= vram[*i];
    }
    vram
}
