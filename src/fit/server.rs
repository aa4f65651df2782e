//! What the Ollama server in front of us will do by default: its version band and
//! the environment settings it runs with (`OLLAMA_*`), which the API does not show.
//!
//! Every default below is cited to the Ollama function and release tag it comes from.

use crate::duration::KeepAlive;

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// `cudaMinimumMemory` / `rocmMinimumMemory` in `discover/` (v0.1.x – v0.12.x): VRAM
/// each GPU keeps back before any layer is placed.
pub const GPU_MINIMUM_MEMORY: u64 = 457 * MIB;

/// Releases that schedule alike. Ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Band {
    /// ≤ 0.1.48: one model at a time, 2048 context, no parallel slots.
    Early,
    /// 0.2.0 – 0.6.6: auto parallel 4, 2048 context.
    Parallel4,
    /// 0.6.7 – 0.9.x: auto parallel 2, 4096 context.
    Parallel2,
    /// 0.10.0 – 0.12.10: one slot, `llm/memory.go` estimator.
    Classic,
    /// 0.12.11 – 0.15.4: the backend measures layouts; same coexistence rule.
    Measured,
    /// 0.15.5 – 0.29.x: default context chosen by total VRAM.
    VramContext,
    /// ≥ 0.30: upstream llama-server with Ollama's 80 % pre-flight check.
    #[default]
    LlamaServer,
}

impl Band {
    /// The band of a version string such as `0.12.6` or `0.33.0-rc2`. Dev builds
    /// (`0.0.0`) and anything unreadable are taken as the newest.
    pub fn of_version(version: &str) -> Band {
        let Some((major, minor, patch)) = parse_version(version) else {
            return Band::default();
        };
        match (major, minor, patch) {
            (0, 0..=1, _) => Band::Early,
            (0, 2..=5, _) | (0, 6, 0..=6) => Band::Parallel4,
            (0, 6, _) | (0, 7..=9, _) => Band::Parallel2,
            (0, 10..=11, _) | (0, 12, 0..=10) => Band::Classic,
            (0, 12, _) | (0, 13..=14, _) | (0, 15, 0..=4) => Band::Measured,
            (0, 15..=29, _) => Band::VramContext,
            _ => Band::LlamaServer,
        }
    }

    /// A short name for the details pane.
    pub fn label(self) -> &'static str {
        match self {
            Band::Early => "≤ 0.1.48",
            Band::Parallel4 => "0.2 – 0.6.6",
            Band::Parallel2 => "0.6.7 – 0.9",
            Band::Classic => "0.10 – 0.12.10",
            Band::Measured => "0.12.11 – 0.15.4",
            Band::VramContext => "0.15.5 – 0.29",
            Band::LlamaServer => "≥ 0.30",
        }
    }

    /// Whether the server still checks RAM + free swap for the CPU part of a load
    /// (`llamaServer.Load`, v0.12.10; `ollamaServer.createLayout`, v0.20.0). The
    /// llama-server engine (≥ 0.30) leaves the fit to llama-server.
    pub fn checks_system_memory(self) -> bool {
        self < Band::LlamaServer
    }
}

/// `0.12.6` → (0, 12, 6); `v0.33.0-rc2` → (0, 33, 0); `None` for dev builds
/// (`0.0.0`) and anything unreadable, which count as the newest.
pub fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.trim().trim_start_matches('v');
    let core = core.split(['-', '+', ' ']).next().unwrap_or("");
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) else {
        return None;
    };
    let patch = parts.next().flatten().unwrap_or(0);
    (major, minor, patch)
        .ne(&(0, 0, 0))
        .then_some((major, minor, patch))
}

/// The server's `OLLAMA_*` settings, where known; `None` means the version's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerSettings {
    /// `OLLAMA_CONTEXT_LENGTH`.
    pub context_length: Option<u64>,
    /// `OLLAMA_NUM_PARALLEL`.
    pub num_parallel: Option<u64>,
    /// `OLLAMA_MAX_LOADED_MODELS`.
    pub max_loaded_models: Option<u64>,
    /// `OLLAMA_FLASH_ATTENTION`.
    pub flash_attention: Option<bool>,
    /// `OLLAMA_KV_CACHE_TYPE`: `f16`, `q8_0`, `q4_0`.
    pub kv_cache_type: Option<String>,
    /// `OLLAMA_GPU_OVERHEAD`, bytes per GPU.
    pub gpu_overhead: Option<u64>,
    /// `OLLAMA_KEEP_ALIVE`.
    pub keep_alive: Option<KeepAlive>,
}

impl ServerSettings {
    /// `self` where set, else `other`.
    pub fn or(self, other: ServerSettings) -> ServerSettings {
        ServerSettings {
            context_length: self.context_length.or(other.context_length),
            num_parallel: self.num_parallel.or(other.num_parallel),
            max_loaded_models: self.max_loaded_models.or(other.max_loaded_models),
            flash_attention: self.flash_attention.or(other.flash_attention),
            kv_cache_type: self.kv_cache_type.or(other.kv_cache_type),
            gpu_overhead: self.gpu_overhead.or(other.gpu_overhead),
            keep_alive: self.keep_alive.or(other.keep_alive),
        }
    }
}

/// Parallel slots a load gets: fixed, or tried large first then 1 (0.2 – 0.9.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slots {
    Fixed(u64),
    /// `pickBestFullFitByLibrary` tries `defaultParallel`, then 1; a partial load
    /// and a CPU-only load take what `pickBestPartialFitByLibrary` /
    /// the CPU branch of `processPending` choose.
    Auto(u64),
}

/// One Ollama server as far as fit is concerned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Server {
    pub band: Band,
    /// The version it reported, when it did.
    pub version: Option<String>,
    pub settings: ServerSettings,
}

impl Server {
    pub fn new(version: Option<&str>, settings: ServerSettings) -> Server {
        Server {
            band: version.map(Band::of_version).unwrap_or_default(),
            version: version.map(str::to_string),
            settings,
        }
    }

    /// Whether the server is at least `v` (an unknown version is the newest).
    pub fn at_least(&self, v: (u64, u64, u64)) -> bool {
        self.version
            .as_deref()
            .and_then(parse_version)
            .is_none_or(|have| have >= v)
    }

    /// `NewLlamaServer` cuts num_ctx to the trained context only from v0.9.3.
    pub fn caps_context(&self) -> bool {
        self.at_least((0, 9, 3))
    }

    /// Whether free swap counts for the CPU part of a first load: yes in
    /// `llamaServer.Load` (v0.2.2 – v0.12.6) and `verifyLayout` (v0.12.11 – v0.29);
    /// no in `verifyCPUFit` (v0.12.7 – v0.12.10) and on llama-server (≥ 0.30).
    pub fn first_load_counts_swap(&self) -> bool {
        let verify_cpu_fit = self.at_least((0, 12, 7)) && !self.at_least((0, 12, 11));
        self.band.checks_system_memory() && !verify_cpu_fit
    }

    pub fn gpu_overhead(&self) -> u64 {
        self.settings.gpu_overhead.unwrap_or(0)
    }

    /// Parallel slots for a model (`Scheduler.load`, `processPending`): embedding
    /// models always get one slot (v0.6.7+ `CheckCapabilities(CapabilityCompletion)`).
    pub fn slots(&self, embedding_only: bool) -> Slots {
        if embedding_only {
            return Slots::Fixed(1);
        }
        match (self.settings.num_parallel, self.band) {
            (Some(n), _) if n > 0 => Slots::Fixed(n),
            // v0.1.48 envconfig: NumParallel = 1.
            (_, Band::Early) => Slots::Fixed(1),
            // v0.2.0 – v0.6.6 sched.go: defaultParallel = 4.
            (_, Band::Parallel4) => Slots::Auto(4),
            // v0.6.7 – v0.9.6 sched.go: defaultParallel = 2.
            (_, Band::Parallel2) => Slots::Auto(2),
            // v0.10.0 envconfig: OLLAMA_NUM_PARALLEL defaults to 1.
            _ => Slots::Fixed(1),
        }
    }

    /// `OLLAMA_MAX_LOADED_MODELS` in effect with `gpus` GPUs (`processPending`):
    /// 1 on ≤ 0.1.48; `defaultModelsPerGPU` (3) × GPUs, a CPU-only host counting its
    /// CPU as one device (v0.2.0 – v0.11); 3 × max(GPUs, 1) from v0.12.
    pub fn max_loaded(&self, gpus: usize) -> u64 {
        if let Some(n) = self.settings.max_loaded_models.filter(|&n| n > 0) {
            return n;
        }
        match self.band {
            Band::Early => 1,
            _ => 3 * gpus.max(1) as u64,
        }
    }

    /// Bytes per KV element (`kvCacheBytesPerElement`): quantized types need flash
    /// attention, which is off unless set before 0.12.11 and on by default after
    /// (`envconfig.FlashAttention(f.FlashAttention())`).
    pub fn kv_bytes_per_element(&self) -> f64 {
        let flash = self
            .settings
            .flash_attention
            .unwrap_or(self.band >= Band::Measured);
        if !flash {
            return 2.0;
        }
        match self
            .settings
            .kv_cache_type
            .as_deref()
            .map(str::to_lowercase)
        {
            Some(t) if t == "q8_0" => 1.0,
            Some(t) if t == "q4_0" => 0.5,
            _ => 2.0,
        }
    }

    /// The default context and why (`modelOptions`, `envconfig.ContextLength`).
    /// `total_vram` is the sum of GPU totals as the server counts them.
    pub fn default_context(&self, total_vram: u64) -> (u64, ContextSource) {
        if let Some(n) = self.settings.context_length.filter(|&n| n > 0) {
            return (n, ContextSource::ServerSetting);
        }
        match self.band {
            // api.DefaultOptions NumCtx 2048 (v0.1.48); envconfig 2048 (v0.6.6).
            Band::Early | Band::Parallel4 => (2048, ContextSource::VersionDefault),
            // envconfig.ContextLength 4096 (v0.6.7 – v0.15.4).
            Band::Parallel2 | Band::Classic | Band::Measured => {
                (4096, ContextSource::VersionDefault)
            }
            // Server.defaultNumCtx, routes.go v0.15.5: Σ (total − overhead) per GPU,
            // thresholds 47 and 23 GiB.
            Band::VramContext | Band::LlamaServer => {
                let vram = total_vram;
                let n = if vram >= 47 * GIB {
                    262_144
                } else if vram >= 23 * GIB {
                    32_768
                } else {
                    4096
                };
                (n, ContextSource::VramDefault { total_vram: vram })
            }
        }
    }
}

/// Where the context a need is computed at comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextSource {
    /// `num_ctx` in our config: sent with every load.
    Override,
    /// What `/api/ps` says the loaded runner got.
    Loaded,
    /// `PARAMETER num_ctx` in the model's Modelfile.
    Modelfile,
    /// `OLLAMA_CONTEXT_LENGTH` on the server.
    ServerSetting,
    /// The version's fixed default.
    VersionDefault,
    /// ≥ 0.15.5: chosen by the server's total VRAM.
    VramDefault { total_vram: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_fall_into_their_bands() {
        for (v, band) in [
            ("0.1.32", Band::Early),
            ("0.1.48", Band::Early),
            ("0.2.0", Band::Parallel4),
            ("0.5.7", Band::Parallel4),
            ("0.6.6", Band::Parallel4),
            ("0.6.7", Band::Parallel2),
            ("0.9.6", Band::Parallel2),
            ("0.10.0", Band::Classic),
            ("0.12.6", Band::Classic),
            ("0.12.10", Band::Classic),
            ("0.12.11", Band::Measured),
            ("0.15.4", Band::Measured),
            ("0.15.5", Band::VramContext),
            ("0.29.9", Band::VramContext),
            ("0.30.0", Band::LlamaServer),
            ("0.33.0-rc2", Band::LlamaServer),
            ("v0.12.6", Band::Classic),
            ("0.0.0", Band::LlamaServer),
            ("garbage", Band::LlamaServer),
        ] {
            assert_eq!(Band::of_version(v), band, "{v}");
        }
        let s = |v: &str| Server::new(Some(v), ServerSettings::default());
        assert!(!s("0.9.2").caps_context() && s("0.9.3").caps_context());
        assert!(s("0.12.6").first_load_counts_swap());
        assert!(!s("0.12.8").first_load_counts_swap());
        assert!(s("0.20.0").first_load_counts_swap());
        assert!(!s("0.33.0").first_load_counts_swap());
        assert_eq!(Band::of_version("0.1.0"), Band::Early);
    }

    #[test]
    fn default_context_per_band_and_vram() {
        let at = |v: &str, vram: u64| {
            Server::new(Some(v), ServerSettings::default())
                .default_context(vram)
                .0
        };
        assert_eq!(at("0.1.48", 0), 2048);
        assert_eq!(at("0.6.6", 0), 2048);
        assert_eq!(at("0.6.7", 0), 4096);
        assert_eq!(at("0.15.4", 80 * GIB), 4096);
        // routes.go v0.15.5: 23 and 47 GiB thresholds.
        assert_eq!(at("0.15.5", 22 * GIB), 4096);
        assert_eq!(at("0.15.5", 23 * GIB), 32_768);
        assert_eq!(at("0.33.0", 24 * GIB), 32_768);
        assert_eq!(at("0.33.0", 47 * GIB), 262_144);
        let set = ServerSettings {
            context_length: Some(8192),
            ..ServerSettings::default()
        };
        let s = Server::new(Some("0.33.0"), set);
        assert_eq!(
            s.default_context(48 * GIB),
            (8192, ContextSource::ServerSetting)
        );
    }

    #[test]
    fn slots_and_count_limit_per_band() {
        let s = |v: &str| Server::new(Some(v), ServerSettings::default());
        assert_eq!(s("0.1.48").slots(false), Slots::Fixed(1));
        assert_eq!(s("0.5.7").slots(false), Slots::Auto(4));
        assert_eq!(s("0.9.0").slots(false), Slots::Auto(2));
        assert_eq!(s("0.9.0").slots(true), Slots::Fixed(1));
        assert_eq!(s("0.12.6").slots(false), Slots::Fixed(1));
        assert_eq!(s("0.1.48").max_loaded(2), 1);
        assert_eq!(s("0.5.7").max_loaded(0), 3);
        assert_eq!(s("0.12.6").max_loaded(2), 6);
        let set = ServerSettings {
            num_parallel: Some(3),
            max_loaded_models: Some(5),
            ..ServerSettings::default()
        };
        let custom = Server::new(Some("0.12.6"), set);
        assert_eq!(custom.slots(false), Slots::Fixed(3));
        assert_eq!(custom.max_loaded(1), 5);
    }

    #[test]
    fn quantized_kv_needs_flash_attention() {
        let with = |v: &str, fa: Option<bool>| {
            Server::new(
                Some(v),
                ServerSettings {
                    flash_attention: fa,
                    kv_cache_type: Some("q8_0".into()),
                    ..ServerSettings::default()
                },
            )
            .kv_bytes_per_element()
        };
        assert_eq!(with("0.12.6", None), 2.0);
        assert_eq!(with("0.12.6", Some(true)), 1.0);
        assert_eq!(with("0.33.0", None), 1.0);
        assert_eq!(with("0.33.0", Some(false)), 2.0);
    }
}
