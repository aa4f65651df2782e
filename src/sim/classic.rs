//! Load decisions of the estimator bands (≤ v0.12.10): `server/sched.go`
//! `processPending` / `pickBestFullFitByLibrary` / `maybeFindCPURunnerToUnload`
//! (v0.5.7), `llm/server.go` `NewLlamaServer` (v0.5.7) and `llamaServer.Load`
//! (v0.12.6, v0.12.10), all over `estimateGPULayers`.

use super::band::{self, CpuFirstLoad};
use super::env::Env;
use super::estimate::{self, Dev, Estimate, Model};
use super::graph::{self, Params};
use super::human_bytes2;
use super::placement::{Decision, Fit, Free, Want, system_memory};
use super::shape::Shape;

/// v0.12.10 `verifyCPUFit` failing on a first load: `ErrLoadRequiredFull` wrapped.
pub const CPU_REQUIRED_FULL: &str = "model requires more system memory than is currently available unable to load full model on GPU";

/// Up to v0.2.1 nothing checks system memory: the kernel kills the overcommitted
/// runner, and `WaitUntilRunning` reports `llama runner process has terminated: %v %s`.
pub const RUNNER_KILLED: &str = "llama runner process has terminated: signal: killed ";

pub fn decide(env: &Env, free: &Free, want: Want) -> Decision {
    let ctx = env.effective_ctx(want.shape, want.ctx.value);
    if band::too_large_precheck(env.version) {
        if let Some(message) = too_large(env, free, want, ctx) {
            return Decision::Fail(message);
        }
    }
    if free.gpus.is_empty() {
        cpu(env, free, want, ctx)
    } else {
        gpu(env, free, want, ctx)
    }
}

/// `GraphSize` inputs: batch `min(num_ctx, num_batch)` with `num_batch` 512.
pub fn params(env: &Env, s: &Shape, ctx: u64, parallel: u64, on_gpu: bool) -> Params {
    Params {
        ctx,
        batch: ctx.min(512),
        parallel,
        kv_bytes: graph::kv_bytes_per_element(env.kv_type(s, on_gpu)),
        flash_attention: env.flash_attention_for(s, on_gpu),
    }
}

fn estimate_on(env: &Env, s: &Shape, ctx: u64, parallel: u64, devs: &[Dev], cpu: bool) -> Estimate {
    let g = graph::graph_size(s, params(env, s, ctx, parallel, !cpu && !devs.is_empty()));
    let w = s.weights();
    let m = Model {
        blocks: s.blocks,
        weights: &w,
        graph: &g,
        overhead: env.gpu_overhead,
    };
    estimate::estimate_gpu_layers(devs, m, cpu)
}

/// A GPU host: a full fit (largest parallel first, one GPU before all of them),
/// else evict when others are loaded, else a partial offload with one slot.
fn gpu(env: &Env, free: &Free, want: Want, ctx: u64) -> Decision {
    let s = want.shape;
    if let Some(fit) = full_fit(env, free, s, ctx) {
        return Decision::Fit(fit);
    }
    if want.require_full {
        return Decision::Evict;
    }
    let parallel = env.parallel_setting(s).unwrap_or(1);
    let e = estimate_on(env, s, ctx, parallel, &free.devs(), false);
    // `NewLlamaServer`: what is not on the GPUs must fit in RAM and swap.
    let needed = e.total_size - e.vram_size;
    let available = free.ram.saturating_add(free.swap);
    if needed > available {
        return Decision::Fail(match band::system_memory_check(env.version) {
            false => RUNNER_KILLED.into(),
            true => system_memory(needed, available),
        });
    }
    Decision::Fit(Fit {
        size: e.total_size,
        vram: e.gpu_sizes,
        ctx,
        parallel,
    })
}

/// `pickBestFullFitByLibrary`: for each parallel value, each single GPU (most
/// free first), then for each parallel value all GPUs.
fn full_fit(env: &Env, free: &Free, s: &Shape, ctx: u64) -> Option<Fit> {
    let tries: Vec<u64> = match env.parallel_setting(s) {
        Some(n) => vec![n],
        None => env.band.auto_parallel().to_vec(),
    };
    let devs = free.devs();
    let mut order: Vec<usize> = (0..devs.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(devs[*i].free));
    let mut attempts: Vec<(Vec<usize>, u64)> = Vec::new();
    if devs.len() > 1 {
        for p in &tries {
            attempts.extend(order.iter().map(|i| (vec![*i], *p)));
        }
    }
    attempts.extend(tries.iter().map(|p| (order.clone(), *p)));
    for (subset, parallel) in attempts {
        let picked: Vec<Dev> = subset.iter().map(|i| devs[*i]).collect();
        let e = estimate_on(env, s, ctx, parallel, &picked, false);
        if estimate::fits_fully(&e, s.blocks) {
            let mut vram = vec![0; devs.len()];
            for (i, bytes) in subset.iter().zip(&e.gpu_sizes) {
                vram[*i] = *bytes;
            }
            let size = e.total_size;
            return Some(Fit {
                size,
                vram,
                ctx,
                parallel,
            });
        }
    }
    None
}

/// A CPU-only host: the CPU is listed as the one device (`GetCPUInfo`) up to
/// v0.12.6; from v0.12.7 `verifyCPUFit` estimates with no devices at all.
fn cpu(env: &Env, free: &Free, want: Want, ctx: u64) -> Decision {
    let s = want.shape;
    // "simplifying assumption of defaultParallel when in CPU mode" (≤ v0.9.6).
    let parallel = env
        .parallel_setting(s)
        .unwrap_or_else(|| env.band.auto_parallel().first().copied().unwrap_or(1));
    let devs = match band::cpu_first_load(env.version) {
        CpuFirstLoad::FreeOnly => Vec::new(),
        _ => vec![Dev {
            free: free.ram,
            minimum: 0,
        }],
    };
    let total = estimate_on(env, s, ctx, parallel, &devs, true).total_size;
    if want.require_full {
        // `maybeFindCPURunnerToUnload` / `predictServerFit` / `verifyCPUFit`.
        if total > free.ram {
            return Decision::Evict;
        }
    } else if let Some(message) = cpu_first_load_failure(env, free, total) {
        return Decision::Fail(message);
    }
    Decision::Fit(Fit {
        size: total,
        vram: vec![0; free.gpus.len()],
        ctx,
        parallel,
    })
}

fn cpu_first_load_failure(env: &Env, free: &Free, total: u64) -> Option<String> {
    let available = free.ram.saturating_add(free.swap);
    match band::cpu_first_load(env.version) {
        CpuFirstLoad::None => (total > available).then(|| RUNNER_KILLED.to_string()),
        CpuFirstLoad::WithSwap => (total > available).then(|| system_memory(total, available)),
        CpuFirstLoad::FreeOnly => (total > free.ram).then(|| CPU_REQUIRED_FULL.to_string()),
    }
}

/// v0.2.0–v0.2.1: the estimate against free RAM plus GPU memory (free when
/// nothing is loaded, total otherwise), before any eviction.
fn too_large(env: &Env, free: &Free, want: Want, ctx: u64) -> Option<String> {
    let s = want.shape;
    let parallel = env.parallel_setting(s).unwrap_or(1);
    let devs = free.devs();
    let e = match devs.is_empty() {
        true => estimate_on(
            env,
            s,
            ctx,
            parallel,
            &[Dev {
                free: free.ram,
                minimum: 0,
            }],
            true,
        ),
        false => estimate_on(env, s, ctx, parallel, &devs, false),
    };
    let gpus: u64 = match want.require_full {
        false => free.gpus.iter().sum(),
        true => env.gpus.iter().map(|g| g.1).sum(),
    };
    let max = free.ram + gpus;
    (e.total_size > max).then(|| {
        format!(
            "requested model ({}) is too large for this system ({})",
            human_bytes2(e.total_size),
            human_bytes2(max)
        )
    })
}
