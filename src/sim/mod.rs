//! A faithful stand-in for an Ollama server, on loopback, for tests and `--demo`.
//!
//! It answers the routes of `ollama-api.md` §0–§6 the way real servers do: tags,
//! ps, show, version, generate/chat loads and unloads with every `keep_alive` form,
//! expiry timers that really unload, eviction by count and memory, OOM errors,
//! pull progress streams and delete. Memory is simulated (RAM, swap and optional
//! GPUs), and the scheduler follows the Ollama version it plays (`band.rs`):
//! default contexts, parallel slots, the count limit, the estimator or layout or
//! llama-server pre-flight that decides who must be evicted, and the error texts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), model_orchestrator::sim::SimError> {
//! use model_orchestrator::sim::{self, Fault, SimOptions};
//! let server = sim::start(SimOptions::for_tests()).await?;
//! let control = server.control();
//! control.set_fault(Fault::Error { status: 500, message: "boom".into() }, Some(1));
//! // ... point a client at server.url() ...
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Tests outside the process drive it through the admin routes (never faulted,
//! never recorded), all JSON but `/metrics`:
//!
//! | route | does |
//! |---|---|
//! | `GET /_sim/requests` | the request log: `[{"method","path","body","at"}]` |
//! | `DELETE /_sim/requests` | clears the log |
//! | `POST /_sim/fault` | `{"kind":"latency","ms":500}`, `{"kind":"error","status":500,"message":"…"}`, `{"kind":"garbage"}`, `{"kind":"truncate"}`, `{"kind":"drop"}`, `{"kind":"none"}`; each takes an optional `"count"` (next N requests; default all) |
//! | `POST /_sim/restart` | forgets every loaded model, as when Ollama restarts |
//! | `POST /_sim/keep_alive` | `{"model":"…","keep_alive":"5m"}`: as if another client sent that keep_alive |
//! | `POST /_sim/down` | `{"ms":2000}`: refuses connections that long, then listens on the same port again |
//! | `GET /_sim/memory` | simulated RAM and VRAM after what is loaded |
//! | `GET /_sim/state` | names installed and loaded |
//! | `POST /_sim/registry` | `{"model":"…"}`: what a pull of it would fetch, installed or not: `{"entry": <an /api/tags entry>, "show": {details, model_info, capabilities}, "installed"}`; 404 when the registry has no such model |
//! | `GET /metrics` | the simulated memory as Prometheus text: node_exporter's `node_memory_{MemTotal,MemAvailable,SwapTotal,SwapFree}_bytes`, and per GPU dcgm-exporter's `DCGM_FI_DEV_FB_{FREE,USED}` (MiB); `?format=nvidia_smi` gives the GPUs as nvidia_gpu_exporter's `nvidia_smi_memory_{total,free,used}_bytes` and `nvidia_smi_gpu_info` instead |

mod admin;
mod api;
mod band;
pub mod catalog;
mod classic;
pub mod cli;
mod conn;
mod control;
mod embed;
mod env;
mod estimate;
mod faults;
mod generate;
mod graph;
mod host;
pub mod keep_alive;
mod layout;
mod llama_server;
mod metrics;
mod placement;
mod pull;
mod sched;
mod server;
mod shape;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use catalog::{Catalog, CatalogModel};
pub use control::{RecordedRequest, SimControl, SimMemory};
pub use faults::Fault;
pub use server::{SimHandle, start};

use crate::duration::KeepAlive;

const GB: u64 = 1_000_000_000;
const GIB: u64 = 1 << 30;

/// One simulated GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuSpec {
    pub name: String,
    pub vram: u64,
}

/// How the stand-in behaves. `Default` is a realistic CPU-only machine; use
/// [`SimOptions::for_tests`] for loads that take milliseconds.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// 0 picks a free port.
    pub port: u16,
    pub catalog: Catalog,
    /// Bytes per second a model loads at; 0 loads at once.
    pub load_speed: u64,
    pub ram_total: u64,
    /// RAM used by everything but Ollama.
    pub ram_other: u64,
    pub gpus: Vec<GpuSpec>,
    /// `OLLAMA_MAX_LOADED_MODELS`; `None`: the version's automatic value.
    pub max_loaded: Option<usize>,
    /// `OLLAMA_KEEP_ALIVE`: used on a load without `keep_alive`.
    pub default_keep_alive: KeepAlive,
    /// What `/api/version` reports; it picks the scheduling rules of that version
    /// (`"0.12.6"`, `"0.33.0-rc2"`; `"0.0.0"` is a development build: the newest).
    pub version: String,
    /// `OLLAMA_CONTEXT_LENGTH`; `None`: the version's default.
    pub context_length: Option<u64>,
    /// `OLLAMA_NUM_PARALLEL`; `None`: the version's automatic value.
    pub num_parallel: Option<u64>,
    /// `OLLAMA_FLASH_ATTENTION`.
    pub flash_attention: bool,
    /// `OLLAMA_KV_CACHE_TYPE`: `f16`, `q8_0` or `q4_0` (the last two need flash
    /// attention).
    pub kv_cache_type: String,
    /// `OLLAMA_GPU_OVERHEAD`: bytes reserved on each GPU.
    pub gpu_overhead: u64,
    /// Swap space; all of it is free until RAM runs out.
    pub swap_total: u64,
    /// Pause between pull progress lines (Ollama's ticker: 60 ms,
    /// `server/download.go` `blobDownload.Wait`).
    pub pull_step: Duration,
    /// Bytes per second a pull downloads at; 0 downloads each layer in one step.
    pub pull_speed: u64,
    /// How often expired models are unloaded when nobody asks.
    pub sweep_interval: Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            port: 0,
            catalog: Catalog::embedded(),
            load_speed: 2 * GB,
            ram_total: 32 * GIB,
            ram_other: 4 * GIB,
            gpus: Vec::new(),
            max_loaded: None,
            default_keep_alive: KeepAlive::For(Duration::from_secs(300)),
            version: "0.12.6".into(),
            context_length: None,
            num_parallel: None,
            flash_attention: false,
            kv_cache_type: "f16".into(),
            gpu_overhead: 0,
            swap_total: 0,
            pull_step: Duration::from_millis(60),
            // A good home connection to the registry.
            pull_speed: 200_000_000,
            sweep_interval: Duration::from_millis(250),
        }
    }
}

impl SimOptions {
    /// Fast and predictable: 64 GiB RAM, nothing else using it, no GPU, a 4.9 GB
    /// model loads in about 5 ms, pulls step every millisecond at 100 GB/s (a
    /// 1.3 GB layer in about 14 lines).
    pub fn for_tests() -> Self {
        SimOptions {
            load_speed: 1_000 * GB,
            ram_total: 64 * GIB,
            ram_other: 0,
            pull_step: Duration::from_millis(1),
            pull_speed: 100 * GB,
            sweep_interval: Duration::from_millis(10),
            ..SimOptions::default()
        }
    }

    /// For `--demo`: a 32 GiB machine with a 12 GiB GPU, loads at 2 GB/s.
    pub fn demo() -> Self {
        SimOptions {
            gpus: vec![GpuSpec {
                name: "NVIDIA GeForce RTX 4070".into(),
                vram: 12 * GIB,
            }],
            ..SimOptions::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {reason}")]
    Catalog { origin: String, reason: String },
    /// What the server would have answered, e.g. 404 for an unknown model.
    #[error("{status}: {message}")]
    Api { status: u16, message: String },
}

/// Ollama's `format.HumanBytes2`: binary units, one decimal.
pub(crate) fn human_bytes2(b: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = b as f64;
    if f >= KIB * KIB * KIB {
        format!("{:.1} GiB", f / (KIB * KIB * KIB))
    } else if f >= KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{b} B")
    }
}

/// A poisoned lock only means a panic elsewhere; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
