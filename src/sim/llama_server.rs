//! ≥ v0.30.0, where upstream llama-server does the fitting: the scheduler's
//! pre-flight prediction (`llm/llama_server.go` `PredictServerVRAM`, `server/sched.go`
//! `generationBatchForContext` / `generationBatchFits` / `generationBatchSurcharge`,
//! v0.33.0-rc2) and what llama-server then really allocates.

use super::graph::{self, Graph, Params};
use super::shape::Shape;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// `PredictServerVRAM`: the file plus an f16 KV cache of
/// 2 × layers × min(heads_kv) × (embedding / max(heads)) × ctx × 2 bytes.
pub fn predict_server_vram(s: &Shape, ctx: u64) -> u64 {
    let head_dim = match s.heads_max() {
        0 => 0,
        h => s.embedding / h,
    };
    let kv =
        2u128 * s.blocks as u128 * s.heads_kv_min() as u128 * head_dim as u128 * ctx as u128 * 2;
    s.file_size
        .saturating_add(u64::try_from(kv).unwrap_or(u64::MAX))
}

/// `generationBatchForContext`: 512 up to 4096 tokens, 1024 up to 32768, else 2048.
pub fn batch_for_context(ctx: u64) -> u64 {
    match ctx {
        c if c > 32_768 => 2048,
        c if c > 4096 => 1024,
        _ => 512,
    }
}

/// `generationBatchSurcharge`.
pub fn surcharge(batch: u64) -> u64 {
    match batch {
        b if b >= 2048 => 2 * GIB,
        b if b >= 1024 => 768 * MIB,
        _ => 0,
    }
}

/// `generationBatchFits` with `generationBatchHasHeadroom`.
fn batch_fits(batch: u64, predicted: u64, available: u64) -> bool {
    if predicted == 0 || available == 0 {
        return true;
    }
    let threshold = percent(available, 80);
    let headroom = match batch {
        b if b >= 2048 => predicted <= percent(available, 60),
        b if b >= 1024 => predicted <= percent(available, 75),
        _ => true,
    };
    predicted <= threshold && headroom && surcharge(batch) <= threshold - predicted
}

/// `x * p / 100` as Go computes it in `uint64`, without its overflow.
fn percent(x: u64, p: u64) -> u64 {
    u64::try_from(x as u128 * p as u128 / 100).unwrap_or(u64::MAX)
}

/// `automaticGenerationBatch` with flash attention on auto (CUDA, any recent card):
/// the context's batch, lowered (`nextLowerGenerationBatch`) until it fits.
pub fn automatic_batch(ctx: u64, predicted: u64, available: u64) -> u64 {
    let mut batch = batch_for_context(ctx);
    while batch > 512 && !batch_fits(batch, predicted, available) {
        batch = if batch > 1024 { 1024 } else { 512 };
    }
    batch
}

/// The pre-flight rule in `Scheduler.load`: evict when
/// `predicted + surcharge > 80 %` of the free memory of the chosen GPUs.
pub fn preflight_fails(predicted_for_load: u64, gpu_free: u64) -> bool {
    predicted_for_load > percent(gpu_free, 80)
}

/// `nextLowerAutoNumCtx`: an automatic context that ran out of memory retries at
/// 32768, then 4096.
pub fn next_lower_auto_ctx(ctx: u64) -> Option<u64> {
    match ctx {
        c if c > 32_768 => Some(32_768),
        c if c > 4096 => Some(4096),
        _ => None,
    }
}

/// What llama-server allocates: the weights, its KV cache (with the cache type;
/// sliding-window layers as `GraphSize` counts them) and a compute buffer. With
/// flash attention the buffer is dominated by the output logits, the
/// `4 × batch × (embedding + vocab)` term every `GraphSize` formula carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub weights: u64,
    pub kv: u64,
    pub compute: u64,
}

impl Allocation {
    pub fn total(&self) -> u64 {
        self.weights + self.kv + self.compute
    }
}

pub fn allocation(s: &Shape, ctx: u64, parallel: u64, batch: u64, kv_type: &str) -> Allocation {
    let params = Params {
        ctx,
        batch,
        parallel,
        kv_bytes: graph::kv_bytes_per_element(kv_type),
        flash_attention: true,
    };
    let g: Graph = graph::graph_size(s, params);
    Allocation {
        weights: s.file_size,
        kv: g.kv_total(),
        compute: 4 * batch * (s.embedding + s.vocab),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::catalog::Catalog;

    fn shape(name: &str) -> Shape {
        Shape::of(Catalog::embedded().find(name).expect("in catalog"))
    }

    #[test]
    fn prediction_is_file_plus_f16_kv() {
        // llama3.1:8b: 2 × 32 × 8 × (4096 / 32) × 4096 × 2 = 512 MiB.
        let s = shape("llama3.1:8b");
        assert_eq!(predict_server_vram(&s, 4096), s.file_size + 512 * MIB);
        // gemma2:9b: embedding / heads = 224, not its key_length of 256.
        let g = shape("gemma2:9b");
        assert_eq!(
            predict_server_vram(&g, 4096) - g.file_size,
            2 * 42 * 8 * 224 * 4096 * 2
        );
    }

    #[test]
    fn batch_surcharge_by_context_and_lowered_when_tight() {
        assert_eq!(surcharge(automatic_batch(4096, GIB, 24 * GIB)), 0);
        assert_eq!(surcharge(automatic_batch(8192, GIB, 24 * GIB)), 768 * MIB);
        assert_eq!(surcharge(automatic_batch(65_536, GIB, 24 * GIB)), 2 * GIB);
        // 10 GiB predicted on 14 GiB: above the 60 % headroom of 2048 → 1024.
        assert_eq!(automatic_batch(65_536, 10 * GIB, 14 * GIB), 1024);
        // 11 GiB: above 75 % too → 512, no surcharge.
        assert_eq!(automatic_batch(65_536, 11 * GIB, 14 * GIB), 512);
        assert!(preflight_fails(9 * GIB, 11 * GIB));
        assert!(!preflight_fails(8 * GIB, 11 * GIB));
        assert_eq!(next_lower_auto_ctx(262_144), Some(32_768));
        assert_eq!(next_lower_auto_ctx(4096), None);
    }
}
