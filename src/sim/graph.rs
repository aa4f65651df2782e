//! KV cache per layer and compute-graph sizes: a port of `fs/ggml/ggml.go`
//! `GraphSize` and `kvCacheBytesPerElement` (v0.12.10), for the architectures the
//! catalog carries, with the generic fallback of `llm/memory.go`.

use super::shape::Shape;

const MIB: u128 = 1 << 20;

/// `GraphSize` results, the fallbacks of `estimateGPULayers` already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub kv: Vec<u64>,
    pub partial: u64,
    pub full: u64,
}

impl Graph {
    pub fn kv_total(&self) -> u64 {
        self.kv.iter().sum()
    }

    pub fn max(&self) -> u64 {
        self.partial.max(self.full)
    }
}

/// What `GraphSize` is called with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Per slot, as in `opts.NumCtx`.
    pub ctx: u64,
    pub batch: u64,
    pub parallel: u64,
    /// `kvCacheBytesPerElement`: f16 2, q8_0 1, q4_0 0.5.
    pub kv_bytes: f64,
    pub flash_attention: bool,
}

/// `kvCacheBytesPerElement` (`fs/ggml/ggml.go`, v0.12.10).
pub fn kv_bytes_per_element(cache_type: &str) -> f64 {
    match cache_type {
        "q8_0" => 1.0,
        "q4_0" => 0.5,
        "f32" => 4.0,
        _ => 2.0,
    }
}

/// `GraphSize(context, batch, numParallel, kvCacheType, flashAttention)`.
pub fn graph_size(s: &Shape, p: Params) -> Graph {
    let ctx = p.ctx as u128 * p.parallel.max(1) as u128;
    let kv = default_kv(s, ctx, p.kv_bytes);
    let kv_total: u128 = kv.iter().map(|k| *k as u128).sum();
    let f = Figures::of(s, ctx, p.batch);
    let (kv, partial, full) = match s.arch.as_str() {
        "llama" | "llama4" => (kv, f.llama_partial(), f.llama_full()),
        "gemma" | "gemma2" | "gemma3" | "gemma3n" => {
            let (partial, full) = f.gemma(s.arch == "gemma3n");
            (gemma3_kv(s, kv, p), partial, full)
        }
        "qwen2" => (kv, f.qwen2_partial(), f.qwen2_full()),
        "deepseek2" => (kv, f.deepseek2_partial(), f.deepseek2_full()),
        "gptoss" | "gpt-oss" => {
            let partial = gptoss_partial(s, kv_total, ctx, p);
            (gptoss_kv(s, ctx, p), partial, 0)
        }
        _ => (kv, 0, 0),
    };
    with_fallback(s, kv, partial, full)
}

/// `estimateGPULayers`: no formula → `gqa × kvTotal / 6`; no full size → partial.
fn with_fallback(s: &Shape, kv: Vec<u64>, partial: u128, full: u128) -> Graph {
    let kv_total: u128 = kv.iter().map(|k| *k as u128).sum();
    let mut partial = partial;
    if partial == 0 {
        let gqa = (s.heads_max() / s.heads_kv_min().max(1)) as u128;
        partial = gqa * kv_total / 6;
    }
    let full = if full == 0 { partial } else { full };
    Graph {
        kv,
        partial: clamp(partial),
        full: clamp(full),
    }
}

/// Attention layers: ctx × (head_dim_k + head_dim_v) × heads_kv × bytes. Layers
/// without heads are recurrent; the catalog has none (their state would be f32).
fn default_kv(s: &Shape, ctx: u128, bytes: f64) -> Vec<u64> {
    let dims = (s.head_dim_k() + s.head_dim_v()) as u128;
    (0..s.blocks as usize)
        .map(|i| {
            let heads = s.heads.get(i).copied().unwrap_or(0);
            let heads_kv = s.heads_kv.get(i).copied().unwrap_or(0);
            if heads == 0 || heads_kv == 0 {
                return 0;
            }
            ((ctx * dims * heads_kv as u128) as f64 * bytes) as u64
        })
        .collect()
}

/// gemma3: every 6th layer is global; the others keep a sliding window of
/// `numParallel × sliding_window + batch` tokens.
fn gemma3_kv(s: &Shape, kv: Vec<u64>, p: Params) -> Vec<u64> {
    if s.arch != "gemma3" {
        return kv;
    }
    let window = p.parallel.max(1) as f64 * s.sliding_window as f64 + p.batch as f64;
    let per_token = ((s.head_dim_k() + s.head_dim_v()) * s.heads_kv_max()) as f64;
    kv.into_iter()
        .enumerate()
        .map(|(i, k)| match (i + 1) % 6 {
            0 => k,
            _ => (window * per_token * p.kv_bytes) as u64,
        })
        .collect()
}

/// gpt-oss: even layers keep a 4096-token window (per slot) plus a batch.
fn gptoss_kv(s: &Shape, ctx: u128, p: Params) -> Vec<u64> {
    let dims = ((s.head_dim_k() + s.head_dim_v()) * s.heads_kv_max()) as f64;
    let per_token = (dims * p.kv_bytes) as u128;
    let window = (p.parallel.max(1) * 4096 + p.batch) as u128;
    (0..s.blocks)
        .map(|i| match i % 2 {
            0 => clamp(per_token * window),
            _ => clamp(per_token * ctx),
        })
        .collect()
}

fn gptoss_partial(s: &Shape, kv_total: u128, ctx: u128, p: Params) -> u128 {
    if p.flash_attention {
        return (4 * p.parallel.max(1) as u128 + (ctx >> 10) + 110) * MIB;
    }
    2 * s.heads_max() as u128 / s.heads_kv_min().max(1) as u128 * kv_total / 6
}

fn clamp(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// The names `GraphSize` uses, widened so no formula can overflow.
struct Figures {
    b: u128,
    e: u128,
    c: u128,
    h: u128,
    hkv: u128,
    v: u128,
    eh: u128,
    ehk: u128,
}

impl Figures {
    fn of(s: &Shape, ctx: u128, batch: u64) -> Figures {
        Figures {
            b: batch as u128,
            e: s.embedding as u128,
            c: ctx,
            h: s.heads_max() as u128,
            hkv: s.heads_kv_max() as u128,
            v: s.vocab as u128,
            eh: s.head_dim() as u128,
            ehk: s.head_dim_k() as u128,
        }
    }

    fn llama_full(&self) -> u128 {
        let Figures { b, e, c, h, v, .. } = *self;
        (4 * b * (1 + 4 * e + c * (1 + h))).max(4 * b * (e + v))
    }

    fn llama_partial(&self) -> u128 {
        let Figures {
            b,
            e,
            c,
            h,
            hkv,
            v,
            eh,
            ..
        } = *self;
        let attention = 4 * b * (1 + e + c.max(e)) + e * e * 9 / 16 + 4 * c * (b * h + eh * hkv);
        4 * b * e + attention.max(4 * b * (e + v) + e * v * 105 / 128)
    }

    fn gemma(&self, gemma3n: bool) -> (u128, u128) {
        let Figures {
            b, e, c, h, v, ehk, ..
        } = *self;
        let full = (4 * b * (e + v)).max(4 * b * (2 + c + c * h + 2 * e + 2 * ehk * h));
        let partial = (4 * e * b + e * v * 105 / 128 + 4 * v * b).max(
            4 * b * (2 * e + 1 + 2 * ehk * h + c + c * h) + 4 * ehk * c * 8 + e * ehk * h * 9 / 16,
        );
        let times = if gemma3n { 4 } else { 1 };
        (partial * times, full * times)
    }

    fn qwen2_full(&self) -> u128 {
        let Figures { b, e, c, h, v, .. } = *self;
        (4 * b * (e + v)).max(4 * b * (1 + 2 * e + c + c * h))
    }

    fn qwen2_partial(&self) -> u128 {
        let Figures { b, e, c, h, v, .. } = *self;
        (4 * b * (e + v) + e * v * 105 / 128).max(4 * (b * (1 + 2 * e + c * (1 + h)) + e * (1 + c)))
    }

    fn deepseek2_full(&self) -> u128 {
        let Figures {
            b,
            e,
            c,
            hkv,
            v,
            ehk,
            ..
        } = *self;
        (4 * b * (3 * e + v)).max(4 * b * (3 * e + 2 + c * (1 + hkv) + 2 * ehk * hkv))
    }

    fn deepseek2_partial(&self) -> u128 {
        let Figures {
            b,
            e,
            c,
            hkv,
            v,
            ehk,
            ..
        } = *self;
        (4 * b * (3 * e + v) + e * v * 105 / 128).max(
            4 * b * (2 * e + 1 + 2 * ehk * hkv + c + c * hkv)
                + 4 * ehk * c * hkv
                + e * ehk * hkv * 9 / 16,
        )
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
