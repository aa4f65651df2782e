//! How much memory Ollama reckons a model takes at a context, per release band.
//!
//! - ≤ 0.29: `llm/memory.go` `estimateGPULayers` with `fs/ggml` `GraphSize`
//!   (v0.12.6): per-layer weights + KV, an output layer, and a compute graph.
//!   Weights per layer are not in `/api/show` without `verbose`, so the file is
//!   split evenly over the blocks, with the output layer sized from the vocabulary.
//! - ≥ 0.30: `llm/llama_server.go` `PredictServerVRAM`: file size + an f16 KV cache
//!   from the smallest KV head count, deliberately on the high side.

use crate::ollama::Architecture;

/// `num_batch` default (`api.DefaultOptions`).
pub const DEFAULT_BATCH: u64 = 512;

/// The figures of a model that the estimators use.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub arch: String,
    pub file: u64,
    pub layers: u64,
    pub embedding: u64,
    pub heads: u64,
    /// One value per layer, or one for all.
    pub heads_kv: Vec<u64>,
    pub heads_kv_min: u64,
    pub head_dim_k: u64,
    pub head_dim_v: u64,
    pub vocab: Option<u64>,
    pub sliding_window: Option<u64>,
}

impl Shape {
    /// `None` when the architecture lacks what a KV estimate needs.
    pub fn new(arch: &Architecture, file: u64) -> Option<Shape> {
        let layers = arch.block_count.filter(|&l| l > 0)?;
        let heads = arch.head_count.filter(|&h| h > 0)?;
        let embedding = arch.embedding_length.filter(|&e| e > 0)?;
        let heads_kv = if arch.head_count_kv.is_empty() {
            vec![heads]
        } else {
            arch.head_count_kv.clone()
        };
        Some(Shape {
            arch: arch.name.clone(),
            file,
            layers,
            embedding,
            heads,
            heads_kv_min: arch.head_count_kv_min.unwrap_or(heads).max(1),
            head_dim_k: arch.key_length.unwrap_or(embedding / heads),
            head_dim_v: arch.value_length.unwrap_or(embedding / heads),
            heads_kv,
            vocab: arch.vocab_size.filter(|&v| v > 0),
            sliding_window: arch.sliding_window.filter(|&w| w > 0),
        })
    }

    fn heads_kv_at(&self, layer: usize) -> u64 {
        match self.heads_kv.as_slice() {
            [one] => *one,
            many => many.get(layer).copied().unwrap_or(0),
        }
    }

    fn heads_kv_max(&self) -> u64 {
        self.heads_kv.iter().copied().max().unwrap_or(self.heads)
    }
}

/// The classic estimate of one load: what `estimateGPULayers` works with.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers {
    /// Weights + KV of each block, first to last.
    pub blocks: Vec<u64>,
    /// `output_norm` + `output` (or the tied `token_embd`).
    pub output: u64,
    pub kv_total: u64,
    pub graph_partial: u64,
    pub graph_full: u64,
}

impl Layers {
    /// Everything on one device: what a CPU-only load takes.
    pub fn total(&self) -> u64 {
        let blocks: u64 = self.blocks.iter().sum();
        blocks + self.output + self.graph_partial.max(self.graph_full)
    }
}

/// `GraphSize` + the layer split, for a context of `ctx` per slot and `slots` slots.
pub fn classic(shape: &Shape, ctx: u64, slots: u64, kv_bytes: f64) -> Layers {
    let total_ctx = ctx.saturating_mul(slots.max(1));
    let batch = DEFAULT_BATCH.min(ctx.max(1));
    let kv = kv_per_layer(shape, total_ctx, slots, batch, kv_bytes);
    let kv_total: u64 = kv.iter().sum();
    let output = output_bytes(shape);
    let per_block = shape.file.saturating_sub(output) / shape.layers;
    let (partial, full) = graph(shape, total_ctx, batch, kv_total);
    Layers {
        blocks: kv.iter().map(|k| per_block + k).collect(),
        output,
        kv_total,
        graph_partial: partial,
        graph_full: full,
    }
}

/// KV bytes per layer (`GraphSize`): `ctx × (k + v) × heads_kv × bytes`, sliding
/// layers at the window (gemma3: every 6th layer global; gpt-oss: even layers at
/// 4096 per slot), recurrent layers (no KV heads) left at 0.
fn kv_per_layer(shape: &Shape, total_ctx: u64, slots: u64, batch: u64, bytes: f64) -> Vec<u64> {
    let dims = shape.head_dim_k + shape.head_dim_v;
    (0..shape.layers as usize)
        .map(|i| {
            let heads_kv = shape.heads_kv_at(i);
            let ctx = match (shape.arch.as_str(), shape.sliding_window) {
                ("gemma3", Some(w)) if (i + 1) % 6 != 0 => slots * w + batch,
                ("gptoss" | "gpt-oss", _) if i % 2 == 0 => slots * 4096 + batch,
                _ => total_ctx,
            };
            (ctx.saturating_mul(dims).saturating_mul(heads_kv) as f64 * bytes) as u64
        })
        .collect()
}

/// The output layer: vocabulary × embedding at the file's average bytes per weight.
fn output_bytes(shape: &Shape) -> u64 {
    let Some(vocab) = shape.vocab else {
        return shape.file / (shape.layers + 1);
    };
    let params_per_block = 12 * shape.embedding * shape.embedding;
    let params = params_per_block * shape.layers + vocab * shape.embedding;
    let bytes_per_param = shape.file as f64 / params.max(1) as f64;
    ((vocab * shape.embedding) as f64 * bytes_per_param) as u64
}

/// Compute graph (partial, full offload) from `GraphSize`'s per-architecture
/// formulas; other architectures get its fallback `gqa × kv_total / 6`.
fn graph(s: &Shape, c: u64, b: u64, kv_total: u64) -> (u64, u64) {
    let (e, h, hkv) = (s.embedding, s.heads, s.heads_kv_max());
    let eh = s.head_dim_k;
    let by_arch = s.vocab.and_then(|v| match s.arch.as_str() {
        "llama" | "llama4" => {
            let full = (4 * b * (1 + 4 * e + c * (1 + h))).max(4 * b * (e + v));
            let partial = 4 * b * e
                + (4 * b * (1 + e + c.max(e)) + e * e * 9 / 16 + 4 * c * (b * h + eh * hkv))
                    .max(4 * b * (e + v) + e * v * 105 / 128);
            Some((partial, full))
        }
        "qwen2" => {
            let full = (4 * b * (e + v)).max(4 * b * (1 + 2 * e + c + c * h));
            let partial = (4 * b * (e + v) + e * v * 105 / 128)
                .max(4 * (b * (1 + 2 * e + c * (1 + h)) + e * (1 + c)));
            Some((partial, full))
        }
        "gemma" | "gemma2" | "gemma3" => {
            let full = (4 * b * (e + v)).max(4 * b * (2 + c + c * h + 2 * e + 2 * eh * h));
            let partial = (4 * e * b + e * v * 105 / 128 + 4 * v * b).max(
                4 * b * (2 * e + 1 + 2 * eh * h + c + c * h) + 4 * eh * c * 8 + e * eh * h * 9 / 16,
            );
            Some((partial, full))
        }
        _ => None,
    });
    by_arch.unwrap_or_else(|| {
        let gqa = h / s.heads_kv_min.max(1);
        let partial = gqa * kv_total / 6;
        (partial, partial)
    })
}

/// `PredictServerVRAM` (v0.30.0 – v0.33): file + `2 × layers × kv_heads_min ×
/// (embedding / heads_max) × ctx × 2`, where `ctx` already includes the slots.
pub fn predicted(shape: &Shape, total_ctx: u64) -> u64 {
    let head_dim = shape.embedding / shape.heads.max(1);
    let kv = 2u64
        .saturating_mul(shape.layers)
        .saturating_mul(shape.heads_kv_min)
        .saturating_mul(head_dim)
        .saturating_mul(total_ctx)
        .saturating_mul(2);
    shape.file.saturating_add(kv)
}

/// What llama-server really keeps (≥ 0.30): the weights and the KV cache at its
/// cache type, sliding windows included; the compute buffer comes on top
/// ([`compute_per_batch`] × the batch).
pub fn resident(shape: &Shape, ctx: u64, slots: u64, kv_bytes: f64) -> u64 {
    let batch = DEFAULT_BATCH.min(ctx.max(1));
    let kv: u64 = kv_per_layer(
        shape,
        ctx.saturating_mul(slots.max(1)),
        slots,
        batch,
        kv_bytes,
    )
    .iter()
    .sum();
    shape.file.saturating_add(kv)
}

/// Compute buffer bytes per batch token: the `4 × batch × (embedding + vocab)`
/// output term every `GraphSize` formula carries.
pub fn compute_per_batch(shape: &Shape) -> u64 {
    4 * (shape.embedding + shape.vocab.unwrap_or(0))
}

/// The batch llama-server runs with (`automaticGenerationBatch`, sched.go
/// ≥ v0.30): 2048 above 32k tokens, 1024 above 4k, else 512, lowered while it
/// does not fit in 80 % of `available` with its headroom.
pub fn generation_batch(total_ctx: u64, predicted: u64, available: u64) -> u64 {
    let surcharge = batch_surcharge(total_ctx, predicted, available);
    if surcharge >= 2 * super::server::GIB {
        2048
    } else if surcharge > 0 {
        1024
    } else {
        DEFAULT_BATCH
    }
}

/// `generationBatchForContext` / `generationBatchSurcharge` (sched.go ≥ v0.30):
/// extra room a completion model's batch needs, lowered while it does not fit in
/// 80 % of `available` (`automaticGenerationBatch`).
pub fn batch_surcharge(total_ctx: u64, predicted: u64, available: u64) -> u64 {
    const MEDIUM: u64 = 768 * super::server::MIB;
    const LARGE: u64 = 2 * super::server::GIB;
    let mut tiers: Vec<(u64, u64)> = Vec::new(); // (surcharge, headroom %)
    if total_ctx > 32_768 {
        tiers.push((LARGE, 60));
    }
    if total_ctx > 4096 {
        tiers.push((MEDIUM, 75));
    }
    let threshold = available / 100 * 80;
    for (surcharge, headroom) in tiers {
        let fits = predicted <= threshold
            && predicted <= available / 100 * headroom
            && surcharge <= threshold - predicted;
        if available == 0 || predicted == 0 || fits {
            return surcharge;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llama8b() -> Shape {
        Shape {
            arch: "llama".into(),
            file: 4_920_753_328,
            layers: 32,
            embedding: 4096,
            heads: 32,
            heads_kv: vec![8],
            heads_kv_min: 8,
            head_dim_k: 128,
            head_dim_v: 128,
            vocab: Some(128_256),
            sliding_window: None,
        }
    }

    #[test]
    fn kv_matches_ollamas_log_for_llama3_8b() {
        // ollama/ollama#7622: memory.required.kv="1.0 GiB" at --ctx-size 8192.
        let l = classic(&llama8b(), 8192, 1, 2.0);
        assert_eq!(l.kv_total, 1 << 30);
        // Four slots of 2048 take as much as one of 8192 (GraphSize: ctx × parallel).
        assert_eq!(classic(&llama8b(), 2048, 4, 2.0).kv_total, 1 << 30);
        // q8_0 halves it.
        assert_eq!(classic(&llama8b(), 8192, 1, 1.0).kv_total, 1 << 29);
    }

    #[test]
    fn graph_follows_the_llama_formula() {
        let l = classic(&llama8b(), 8192, 1, 2.0);
        // fullOffload = max(4·b·(1+4E+C(1+H)), 4·b·(E+V)) with b = 512; the first
        // term wins at this context.
        let attention = 4 * 512 * (1 + 4 * 4096 + 8192 * 33u64);
        assert!(attention > 4 * 512 * (4096 + 128_256));
        assert_eq!(l.graph_full, attention);
        assert!(l.graph_partial > l.graph_full / 2);
        let blocks: u64 = l.blocks.iter().sum();
        assert_eq!(
            blocks - l.kv_total + l.output,
            l.blocks.len() as u64 * ((4_920_753_328 - l.output) / 32) + l.output
        );
    }

    #[test]
    fn sliding_window_layers_are_sized_at_the_window() {
        let mut g = llama8b();
        g.arch = "gemma3".into();
        g.sliding_window = Some(1024);
        g.layers = 12;
        let l = classic(&g, 32_768, 1, 2.0);
        let dims = 256 * 8 * 2; // (k + v) × heads_kv × 2 bytes
        let full = 32_768 * dims;
        let local = (1024 + 512) * dims;
        assert_eq!(l.kv_total, 2 * full + 10 * local);
    }

    #[test]
    fn llama_server_prediction_is_file_plus_f16_kv() {
        // qwen2.5-coder:32b at 32k on a current server: about 28 GB.
        let coder = Shape {
            arch: "qwen2".into(),
            file: 19_851_336_256,
            layers: 64,
            embedding: 5120,
            heads: 40,
            heads_kv: vec![8],
            heads_kv_min: 8,
            head_dim_k: 128,
            head_dim_v: 128,
            vocab: Some(152_064),
            sliding_window: None,
        };
        let p = predicted(&coder, 32_768);
        assert_eq!(p, 19_851_336_256 + 8 * (1 << 30));
        assert!(p > 28_000_000_000 && p < 29_000_000_000, "{p}");
    }

    #[test]
    fn batch_surcharge_by_context_and_room() {
        const G: u64 = 1 << 30;
        assert_eq!(batch_surcharge(4096, 5 * G, 24 * G), 0);
        assert_eq!(batch_surcharge(32_768, 5 * G, 24 * G), 768 << 20);
        assert_eq!(batch_surcharge(65_536, 5 * G, 24 * G), 2 * G);
        // Not enough headroom for the large batch: falls to the medium one.
        assert_eq!(batch_surcharge(65_536, 16 * G, 24 * G), 768 << 20);
    }
}
