//! What a model needs in memory and whether it can be loaded now.

use crate::config::Config;
use crate::memory::MemorySnapshot;
use crate::ollama::{Architecture, ModelEntry, RunningModel};

/// Where a need figure came from, so the UI can explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedSource {
    /// `model_sizes` in the config.
    Override,
    /// File size plus the KV cache at `num_ctx`.
    Estimate {
        file: u64,
        kv_cache: u64,
        num_ctx: u64,
    },
    /// Only the file size is known (architecture not fetched yet or unknown).
    FileSize,
    /// A cloud stub: runs remotely.
    Remote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub bytes: u64,
    pub source: NeedSource,
}

/// Whether a model can be loaded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Already in memory: needs nothing more.
    Loaded,
    /// Fits in free VRAM.
    FitsGpu,
    /// Fits in available RAM + free VRAM, with the buffer.
    Fits,
    /// Would fit once these loaded, unpinned models are unloaded.
    FitsIfUnloaded { unload: Vec<String> },
    /// Does not fit even with everything unpinned unloaded; short by this many bytes.
    NoFit { short_by: u64 },
}

/// What `model` needs: the override, else file + KV cache when the architecture is
/// known, else the file size.
pub fn need(model: &ModelEntry, arch: Option<&Architecture>, config: &Config) -> Need {
    if let Some(bytes) = config.size_override(&model.name) {
        return Need {
            bytes,
            source: NeedSource::Override,
        };
    }
    if model.is_remote() {
        return Need {
            bytes: 0,
            source: NeedSource::Remote,
        };
    }
    match arch.and_then(|a| kv_cache_bytes(a, config.num_ctx)) {
        Some(kv) => Need {
            bytes: model.size + kv,
            source: NeedSource::Estimate {
                file: model.size,
                kv_cache: kv,
                num_ctx: config.num_ctx,
            },
        },
        None => Need {
            bytes: model.size,
            source: NeedSource::FileSize,
        },
    }
}

/// f16 KV cache: 2 (K and V) × layers × ctx × kv_heads × head_dim × 2 bytes.
pub fn kv_cache_bytes(arch: &Architecture, num_ctx: u64) -> Option<u64> {
    let layers = arch.block_count?;
    let heads = arch.head_count?;
    let embd = arch.embedding_length?;
    if heads == 0 || layers == 0 {
        return None;
    }
    let head_dim_k = arch.key_length.unwrap_or(embd / heads);
    let head_dim_v = arch.value_length.unwrap_or(embd / heads);
    let kv_heads: u64 = match arch.head_count_kv.as_slice() {
        [] => heads * layers,
        [one] => one * layers,
        per_layer => per_layer.iter().sum(),
    };
    Some(num_ctx * (head_dim_k + head_dim_v) * kv_heads * 2)
}

/// Whether `name` (needing `need` bytes) can be loaded now.
pub fn verdict(
    name: &str,
    need: u64,
    memory: &MemorySnapshot,
    loaded: &[RunningModel],
    config: &Config,
) -> Verdict {
    if loaded
        .iter()
        .any(|m| crate::names::same_model(&m.name, name))
    {
        return Verdict::Loaded;
    }
    let buffer = config.ram_buffer_bytes();
    if !memory.gpus.is_empty() && need <= memory.vram_free() {
        return Verdict::FitsGpu;
    }
    let free = memory.ram_available + memory.vram_free();
    if free > need + buffer {
        return Verdict::Fits;
    }
    // Unload the biggest unpinned models first until it fits.
    let mut candidates: Vec<&RunningModel> = loaded
        .iter()
        .filter(|m| !config.is_pinned(&m.name))
        .collect();
    candidates.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    let mut freed = 0u64;
    let mut unload = Vec::new();
    for m in candidates {
        freed += m.size;
        unload.push(m.name.clone());
        if free + freed > need + buffer {
            return Verdict::FitsIfUnloaded { unload };
        }
    }
    Verdict::NoFit {
        short_by: (need + buffer).saturating_sub(free + freed),
    }
}
