//! The simulated server's settings as the version being played reads them: the
//! `OLLAMA_*` variables it knows, resolved against that version's defaults.

use super::SimOptions;
use super::band::{self, Band, Version};
use super::catalog::CatalogModel;
use super::shape::{self, Shape};
use crate::duration::KeepAlive;

/// Everything the scheduler needs besides what is loaded.
#[derive(Debug, Clone)]
pub struct Env {
    pub version: Version,
    pub band: Band,
    pub ram_total: u64,
    pub ram_other: u64,
    pub swap_total: u64,
    /// Name and total bytes of each GPU.
    pub gpus: Vec<(String, u64)>,
    /// `OLLAMA_GPU_OVERHEAD`, 0 where the version has no such variable.
    pub gpu_overhead: u64,
    /// `OLLAMA_NUM_PARALLEL`; `None` when unset (or 0, which means automatic).
    pub num_parallel: Option<u64>,
    pub max_loaded: usize,
    pub default_keep_alive: KeepAlive,
    /// `OLLAMA_CONTEXT_LENGTH`, `None` where unset or unknown to the version.
    pub context_length: Option<u64>,
    pub flash_attention: bool,
    /// `OLLAMA_KV_CACHE_TYPE`, already checked (`SupportsKVCacheType`).
    pub kv_cache_type: String,
    pub default_num_ctx: u64,
}

/// A request's context: the value and whether the server chose it
/// (`usesAutomaticNumCtx`, v0.33.0-rc2 `server/routes.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    pub value: u64,
    pub auto: bool,
}

impl Env {
    pub fn new(o: &SimOptions) -> Env {
        let version = Version::parse(&o.version);
        let band = Band::of(version);
        let gpus: Vec<(String, u64)> = o.gpus.iter().map(|g| (g.name.clone(), g.vram)).collect();
        let gpu_overhead = if band::reads_gpu_overhead(version) {
            o.gpu_overhead
        } else {
            0
        };
        let totals: Vec<u64> = gpus.iter().map(|g| g.1).collect();
        Env {
            version,
            band,
            ram_total: o.ram_total,
            ram_other: o.ram_other,
            swap_total: o.swap_total,
            gpu_overhead,
            num_parallel: o.num_parallel.filter(|n| *n > 0),
            max_loaded: match o.max_loaded {
                Some(n) if n > 0 => n,
                _ => band.auto_max_loaded(gpus.len()),
            },
            default_keep_alive: o.default_keep_alive,
            context_length: o
                .context_length
                .filter(|c| *c > 0 && band::reads_context_length(version)),
            flash_attention: o.flash_attention,
            kv_cache_type: kv_cache_type(version, &o.kv_cache_type),
            default_num_ctx: band::default_num_ctx(version, &totals, gpu_overhead),
            gpus,
        }
    }

    /// `modelOptions` (v0.15.5 `server/routes.go`): request `num_ctx` > the
    /// Modelfile's > `OLLAMA_CONTEXT_LENGTH` > the version's default; at least 4
    /// (`GetRunner`).
    pub fn resolve_ctx(&self, m: &CatalogModel, requested: Option<u64>) -> Ctx {
        let chosen = requested
            .or_else(|| shape::modelfile_num_ctx(&m.parameters))
            .or(self.context_length);
        Ctx {
            value: chosen.unwrap_or(self.default_num_ctx).max(4),
            auto: chosen.is_none(),
        }
    }

    /// The context a runner really gets: capped at the trained one from v0.9.3
    /// (`NewLlamaServer`).
    pub fn effective_ctx(&self, s: &Shape, ctx: u64) -> u64 {
        match s.context_length {
            t if t > 0 && band::caps_context(self.version) => ctx.min(t),
            _ => ctx,
        }
    }

    /// The KV cache type in effect. Classic and layout bands: only with flash
    /// attention on a GPU and a model that supports it (`estimateGPULayers`
    /// `useFlashAttention`, `SupportsFlashAttention`: not gemma2, not embedding,
    /// equal K and V head sizes). ≥ 0.30 llama-server runs flash attention on
    /// auto, so only the model matters.
    pub fn kv_type(&self, s: &Shape, on_gpu: bool) -> &str {
        let model_ok = !s.embedding_only && s.head_dim_k() == s.head_dim_v() && s.head_dim_k() > 0;
        let ok = match self.band {
            Band::LlamaServer => model_ok,
            _ => self.flash_attention && on_gpu && model_ok && s.arch != "gemma2",
        };
        if ok { &self.kv_cache_type } else { "f16" }
    }

    /// Whether flash attention is on for this model (gpt-oss's graph depends on it).
    pub fn flash_attention_for(&self, s: &Shape, on_gpu: bool) -> bool {
        match self.band {
            Band::LlamaServer => true,
            _ => self.flash_attention && on_gpu && !s.embedding_only,
        }
    }

    /// `num_parallel` for a model: 1 for embedding models (`Scheduler.load`),
    /// else the setting, else `None` (the band decides).
    pub fn parallel_setting(&self, s: &Shape) -> Option<u64> {
        if s.embedding_only {
            return Some(1);
        }
        self.num_parallel
    }
}

/// `SupportsKVCacheType`: f16, q8_0 and q4_0; anything else is f16.
fn kv_cache_type(v: Version, requested: &str) -> String {
    let t = requested.trim().to_ascii_lowercase();
    if band::reads_kv_cache_type(v) && matches!(t.as_str(), "q8_0" | "q4_0") {
        t
    } else {
        "f16".into()
    }
}
