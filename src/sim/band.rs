//! Which Ollama the stand-in plays: the version string parsed, the band of versions
//! that schedule alike, and the defaults that change from one version to the next.
//! Each rule names the Ollama function and tag it was read from.

/// `major.minor.patch`; a pre-release (`0.33.0-rc2`) counts as its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64, u64, u64);

impl Version {
    /// Development builds report `0.0.0`; they behave like the newest release.
    pub const NEWEST: Version = Version(u64::MAX, 0, 0);

    /// `"0.12.6"`, `"v0.33.0-rc2"`; `"0.0.0"` and unreadable strings are the newest.
    pub fn parse(text: &str) -> Version {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next().unwrap_or("");
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let (Some(Some(a)), b, c) = (parts.next(), parts.next(), parts.next()) else {
            return Version::NEWEST;
        };
        let b = b.flatten().unwrap_or(0);
        let c = c.flatten().unwrap_or(0);
        if (a, b, c) == (0, 0, 0) {
            return Version::NEWEST;
        }
        Version(a, b, c)
    }

    pub fn at_least(self, major: u64, minor: u64, patch: u64) -> bool {
        self >= Version(major, minor, patch)
    }
}

/// Versions that schedule the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    /// ≤ 0.1.48: one model (`OLLAMA_MAX_LOADED_MODELS` 1), one slot.
    Single,
    /// 0.2.0 – 0.6.6: concurrency; 4 parallel slots when they fit.
    Parallel4,
    /// 0.6.7 – 0.9.x: 2 parallel slots when they fit.
    Parallel2,
    /// 0.10.0 – 0.12.10: one slot; still `llm/memory.go` `estimateGPULayers`.
    Estimate,
    /// 0.12.11 – 0.15.4: `llm/server.go` `createLayout` replaces the estimator.
    Layout,
    /// 0.15.5 – 0.29: as `Layout`, default context by total VRAM.
    LayoutVramCtx,
    /// ≥ 0.30: upstream llama-server with a pre-flight check.
    LlamaServer,
}

/// How memory is predicted and placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `llm/memory.go` `estimateGPULayers` (≤ v0.12.10).
    Estimate,
    /// `llm/server.go` `llamaServer.Load` + `createLayout` (v0.12.11 – v0.2x).
    Layout,
    /// `llm/llama_server.go` `PredictServerVRAM` (≥ v0.30.0).
    LlamaServer,
}

impl Band {
    pub fn of(v: Version) -> Band {
        match v {
            v if v.at_least(0, 30, 0) => Band::LlamaServer,
            v if v.at_least(0, 15, 5) => Band::LayoutVramCtx,
            v if v.at_least(0, 12, 11) => Band::Layout,
            v if v.at_least(0, 10, 0) => Band::Estimate,
            v if v.at_least(0, 6, 7) => Band::Parallel2,
            v if v.at_least(0, 2, 0) => Band::Parallel4,
            _ => Band::Single,
        }
    }

    pub fn engine(self) -> Engine {
        match self {
            Band::LlamaServer => Engine::LlamaServer,
            Band::Layout | Band::LayoutVramCtx => Engine::Layout,
            _ => Engine::Estimate,
        }
    }

    /// `num_parallel` values tried when `OLLAMA_NUM_PARALLEL` is unset, largest
    /// first. `server/sched.go` `defaultParallel` (4 at v0.2.0–v0.6.6, 2 at
    /// v0.6.7–v0.9.6; `pickBestFullFitByLibrary` tries it, then 1). v0.1.48
    /// `envconfig` `NumParallel = 1`; v0.10.0 `envconfig` `NumParallel` default 1.
    pub fn auto_parallel(self) -> &'static [u64] {
        match self {
            Band::Parallel4 => &[4, 1],
            Band::Parallel2 => &[2, 1],
            _ => &[1],
        }
    }

    /// `OLLAMA_MAX_LOADED_MODELS` auto. v0.1.48 `envconfig`: `MaxRunners = 1`.
    /// v0.2.0–v0.12.6 `processPending`: `defaultModelsPerGPU * len(gpus)` where a
    /// CPU-only host lists its CPU as one entry; from v0.12.7 `max(len(gpus), 1)`.
    pub fn auto_max_loaded(self, gpus: usize) -> usize {
        match self {
            Band::Single => 1,
            _ => 3 * gpus.max(1),
        }
    }

    /// `useLoadedRunner`: from v0.2.0 an absent `keep_alive` keeps the runner's;
    /// at v0.1.48 the handler always passes one (`getDefaultSessionDuration`).
    pub fn absent_keep_alive_keeps(self) -> bool {
        self != Band::Single
    }
}

/// The default `num_ctx` when neither request, Modelfile nor
/// `OLLAMA_CONTEXT_LENGTH` sets one. v0.6.6 `envconfig` `ContextLength` 2048 (and
/// `api.DefaultOptions` `NumCtx: 2048` before it), v0.6.7 4096; v0.15.5
/// `server/routes.go` `Serve`: by Σ (total VRAM − `OLLAMA_GPU_OVERHEAD`).
pub fn default_num_ctx(v: Version, gpu_totals: &[u64], overhead: u64) -> u64 {
    const GIB: u64 = 1 << 30;
    if !v.at_least(0, 6, 7) {
        return 2048;
    }
    if !v.at_least(0, 15, 5) {
        return 4096;
    }
    let vram: u64 = gpu_totals.iter().map(|t| t.saturating_sub(overhead)).sum();
    match vram {
        v if v >= 47 * GIB => 262_144,
        v if v >= 23 * GIB => 32_768,
        _ => 4096,
    }
}

/// v0.9.3 `llm/server.go` `NewLlamaServer` first caps `num_ctx` at the trained
/// context ("requested context size too large for model").
pub fn caps_context(v: Version) -> bool {
    v.at_least(0, 9, 3)
}

/// `OLLAMA_CONTEXT_LENGTH` exists from v0.5.13.
pub fn reads_context_length(v: Version) -> bool {
    v.at_least(0, 5, 13)
}

/// `OLLAMA_GPU_OVERHEAD` exists from v0.3.10.
pub fn reads_gpu_overhead(v: Version) -> bool {
    v.at_least(0, 3, 10)
}

/// `OLLAMA_KV_CACHE_TYPE` exists from v0.4.8.
pub fn reads_kv_cache_type(v: Version) -> bool {
    v.at_least(0, 4, 8)
}

/// What a CPU-only host checks on a first load (nothing else loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuFirstLoad {
    /// v0.1.48–v0.2.1 `NewLlamaServer`: no check; an overcommitted runner gets
    /// killed.
    None,
    /// `NewLlamaServer` / `llamaServer.Load` / `verifyLayout`: needed RAM ≤ free
    /// RAM + free swap, else "model requires more system memory (X) than is
    /// available (Y)".
    WithSwap,
    /// v0.12.7–v0.12.10 `llm/memory.go` `verifyCPUFit`: TotalSize ≤ free RAM, else
    /// `ErrLoadRequiredFull`.
    FreeOnly,
}

pub fn cpu_first_load(v: Version) -> CpuFirstLoad {
    match v {
        v if !system_memory_check(v) => CpuFirstLoad::None,
        v if v.at_least(0, 12, 7) && !v.at_least(0, 12, 11) => CpuFirstLoad::FreeOnly,
        _ => CpuFirstLoad::WithSwap,
    }
}

/// From v0.2.2 `NewLlamaServer` compares what stays in system memory with free
/// RAM + free swap; before, nothing stops an overcommitted runner.
pub fn system_memory_check(v: Version) -> bool {
    v.at_least(0, 2, 2)
}

/// From v0.11.5 `GetRunner` hands out a loaded runner with matching options
/// directly instead of queueing the request.
pub fn loaded_runner_shortcut(v: Version) -> bool {
    v.at_least(0, 11, 5)
}

/// v0.2.0–v0.2.1 `processPending` refuses a model larger than free RAM plus GPU
/// memory before anything else ("requested model … is too large for this system").
pub fn too_large_precheck(v: Version) -> bool {
    v.at_least(0, 2, 0) && !v.at_least(0, 2, 2)
}

/// `GenerateHandler` / `ChatHandler` unload branch (empty prompt or messages and
/// keep_alive 0): from v0.3.11. Before, keep_alive 0 is a load that expires at once.
pub fn has_unload_branch(v: Version) -> bool {
    v.at_least(0, 3, 11)
}

/// The 400 generate and chat answer for an embedding-only model, `requested`
/// being the request's model string: v0.1.48 `GenerateHandler` "embedding models
/// do not support generate"; v0.2.0–v0.2.1 `"%s does not support generate"`;
/// from v0.2.2 `"%q does not support generate"` (still so at v0.33.0-rc2).
pub fn not_supported(v: Version, requested: &str, verb: &str) -> String {
    if !v.at_least(0, 2, 0) {
        format!("embedding models do not support {verb}")
    } else if !v.at_least(0, 2, 2) {
        format!("{requested} does not support {verb}")
    } else {
        let quoted = serde_json::Value::from(requested).to_string();
        format!("{quoted} does not support {verb}")
    }
}

/// `POST /api/embed` is routed from v0.2.6 (`server/routes.go` `GenerateRoutes`).
pub fn has_embed_route(v: Version) -> bool {
    v.at_least(0, 2, 6)
}

/// `EmbedHandler`: from v0.3.6 an absent `input` is allowed and the model is
/// scheduled before the empty-input answer; v0.2.6–v0.3.5 reject an absent
/// input ("invalid input type") and answer an empty one without scheduling.
pub fn embed_without_input_loads(v: Version) -> bool {
    v.at_least(0, 3, 6)
}

/// `ListHandler` and `GenerateHandler` know remote (cloud) models from v0.12.0.
pub fn knows_remote_models(v: Version) -> bool {
    v.at_least(0, 12, 0)
}

#[cfg(test)]
#[path = "band_tests.rs"]
mod tests;
