//! What a model needs in memory and whether it can be loaded now.
//!
//! Pure: every function takes readings and config as arguments and does no I/O.
//!
//! Rules, in the order `verdict` applies them:
//! - a model already in `/api/ps` is `Loaded`;
//! - a need of 0 (a cloud stub) always fits;
//! - `FitsGpu` when the need fits in the free VRAM of all GPUs together (Ollama splits
//!   a model across GPUs). The RAM buffer does **not** apply here: it protects the OS
//!   and other programs from swapping, and Ollama's own per-GPU reserve
//!   (`OLLAMA_GPU_OVERHEAD`) defaults to 0;
//! - `Fits` when available RAM + free VRAM > need + buffer (the seed's rule, with VRAM);
//! - `FitsIfUnloaded` naming the fewest (then smallest) loaded, unpinned models whose
//!   memory would make room;
//! - otherwise `NoFit`, with the bytes still missing after unloading every unpinned model.

mod unload;

use crate::config::Config;
use crate::format::gb;
use crate::memory::MemorySnapshot;
use crate::names::same_model;
use crate::ollama::{Architecture, ModelEntry, RunningModel};
use crate::sanitize::clean;

/// Where a need figure came from, so the UI can explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedSource {
    /// `model_sizes` in the config.
    Override,
    /// File size plus the KV cache at `num_ctx` (capped at the trained context).
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
    /// Would fit once these loaded, unpinned models are unloaded (largest first).
    FitsIfUnloaded { unload: Vec<String> },
    /// Does not fit even with everything unpinned unloaded; short by this many bytes.
    NoFit { short_by: u64 },
}

impl Verdict {
    /// Whether the model can be loaded without unloading anything.
    pub fn fits_now(&self) -> bool {
        matches!(self, Verdict::Loaded | Verdict::FitsGpu | Verdict::Fits)
    }

    /// One character, readable without colour.
    pub fn symbol(&self) -> &'static str {
        match self {
            Verdict::Loaded => "●",
            Verdict::FitsGpu | Verdict::Fits => "✓",
            Verdict::FitsIfUnloaded { .. } => "~",
            Verdict::NoFit { .. } => "✗",
        }
    }

    /// A short cell: "● loaded", "✓ gpu", "✓ fits", "~ unload a, b", "✗ short 3.1 GB".
    /// Model names are cleaned of control characters.
    pub fn label(&self) -> String {
        match self {
            Verdict::Loaded => "● loaded".into(),
            Verdict::FitsGpu => "✓ gpu".into(),
            Verdict::Fits => "✓ fits".into(),
            Verdict::FitsIfUnloaded { unload } => {
                let names: Vec<String> = unload.iter().map(|n| clean(n)).collect();
                format!("~ unload {}", names.join(", "))
            }
            Verdict::NoFit { short_by } => format!("✗ short {}", gb(*short_by)),
        }
    }
}

/// What `model` needs: 0 for a cloud stub, else the override, else file + KV cache
/// when the architecture is known, else the file size.
pub fn need(model: &ModelEntry, arch: Option<&Architecture>, config: &Config) -> Need {
    if model.is_remote() {
        return Need {
            bytes: 0,
            source: NeedSource::Remote,
        };
    }
    if let Some(bytes) = config.size_override(&model.name) {
        return Need {
            bytes,
            source: NeedSource::Override,
        };
    }
    // Ollama caps num_ctx at the context the model was trained for.
    let num_ctx = match arch.and_then(|a| a.context_length) {
        Some(trained) if trained > 0 => config.num_ctx.min(trained),
        _ => config.num_ctx,
    };
    match arch.and_then(|a| kv_cache_bytes(a, num_ctx)) {
        Some(kv) => Need {
            bytes: model.size.saturating_add(kv),
            source: NeedSource::Estimate {
                file: model.size,
                kv_cache: kv,
                num_ctx,
            },
        },
        None => Need {
            bytes: model.size,
            source: NeedSource::FileSize,
        },
    }
}

/// f16 KV cache (ollama-api.md §6.1/§6.2): per layer, `num_ctx × (head_dim_k +
/// head_dim_v) × n_head_kv × 2 bytes`; head_dim = embedding_length / head_count unless
/// key_length / value_length are given; n_head_kv defaults to head_count; a per-layer
/// head_count_kv array is summed layer by layer. `None` when the figures are missing.
pub fn kv_cache_bytes(arch: &Architecture, num_ctx: u64) -> Option<u64> {
    let layers = arch.block_count.filter(|&l| l > 0)?;
    let heads = arch.head_count.filter(|&h| h > 0);
    let default_dim = || Some(arch.embedding_length? / heads?);
    let head_dim_k = arch.key_length.or_else(default_dim)?;
    let head_dim_v = arch.value_length.or_else(default_dim)?;
    let kv_heads: u64 = match arch.head_count_kv.as_slice() {
        [] => heads?.checked_mul(layers)?,
        [one] => one.checked_mul(layers)?,
        per_layer => per_layer.iter().sum(),
    };
    num_ctx
        .checked_mul(head_dim_k.checked_add(head_dim_v)?)?
        .checked_mul(kv_heads)?
        .checked_mul(2)
}

/// Whether `name` (needing `need` bytes) can be loaded now; the pins are the config's.
pub fn verdict(
    name: &str,
    need: u64,
    memory: &MemorySnapshot,
    loaded: &[RunningModel],
    config: &Config,
) -> Verdict {
    verdict_with(
        name,
        need,
        memory,
        loaded,
        config.ram_buffer_bytes(),
        |n: &str| config.is_pinned(n),
    )
}

/// `verdict` with the buffer and the pin test given directly (for callers that also
/// count pins not yet saved to the config).
pub fn verdict_with(
    name: &str,
    need: u64,
    memory: &MemorySnapshot,
    loaded: &[RunningModel],
    buffer: u64,
    pinned: impl Fn(&str) -> bool,
) -> Verdict {
    if loaded.iter().any(|m| same_model(&m.name, name)) {
        return Verdict::Loaded;
    }
    if need == 0 {
        return Verdict::Fits;
    }
    let vram_free = memory.vram_free();
    if !memory.gpus.is_empty() && need <= vram_free {
        return Verdict::FitsGpu;
    }
    let free = memory.ram_available.saturating_add(vram_free);
    let want = need.saturating_add(buffer);
    if free > want {
        return Verdict::Fits;
    }
    // Bytes to free so that free + freed > want.
    let deficit = want - free + 1;
    let victims: Vec<&RunningModel> = loaded.iter().filter(|m| !pinned(&m.name)).collect();
    match unload::choose(&victims, deficit) {
        Some(unload) => Verdict::FitsIfUnloaded { unload },
        None => {
            let all: u64 = victims.iter().map(|m| m.size).sum();
            Verdict::NoFit {
                short_by: deficit.saturating_sub(all),
            }
        }
    }
}

#[cfg(test)]
mod tests;
