//! Memory of another machine, read from the Prometheus exporters running there: RAM
//! and swap from node_exporter, VRAM from NVIDIA's dcgm-exporter or from
//! nvidia_gpu_exporter. Used when Ollama runs on a machine other than this one.
//!
//! A page may hold any mix of these exporters' metrics; every other metric is
//! ignored. Several pages merge into one [`MemorySnapshot`]: RAM from the first page
//! that has it, GPUs from every page in the order the pages were given.

mod fetch;
mod parse;

pub use fetch::{ExporterMemory, FETCH_TIMEOUT, LastError, read_exporters};
pub use parse::parse_metrics;

use super::{GpuMemory, MemorySnapshot};

/// RAM as node_exporter reports it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamFigures {
    pub total: u64,
    /// `MemAvailable`: what can be given to a new process without swapping.
    pub available: u64,
}

/// Swap as node_exporter reports it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapFigures {
    pub total: u64,
    pub free: u64,
}

/// What one page (or several, merged) said about memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExporterReading {
    pub ram: Option<RamFigures>,
    pub swap: Option<SwapFigures>,
    pub gpus: Vec<GpuMemory>,
}

impl ExporterReading {
    /// No memory figure at all: the page is not one of the exporters we read.
    pub fn is_empty(&self) -> bool {
        self.ram.is_none() && self.swap.is_none() && self.gpus.is_empty()
    }

    /// Adds another page's figures: RAM and swap only where this reading has none,
    /// GPUs appended after ours.
    pub fn merge(&mut self, other: ExporterReading) {
        self.ram = self.ram.or(other.ram);
        self.swap = self.swap.or(other.swap);
        self.gpus.extend(other.gpus);
    }

    /// The snapshot the dashboard uses. Without RAM figures there is nothing to fit
    /// models against, so that is an error naming the pages that were read.
    pub fn into_snapshot(self, urls: &[String]) -> Result<MemorySnapshot, ExporterError> {
        let Some(ram) = self.ram else {
            return Err(ExporterError::NoRam {
                urls: urls.join(", "),
            });
        };
        let available = ram.available.min(ram.total);
        let swap = self.swap.unwrap_or(SwapFigures { total: 0, free: 0 });
        Ok(MemorySnapshot {
            ram_total: ram.total,
            ram_available: available,
            ram_used: ram.total - available,
            swap_total: swap.total,
            swap_used: swap.total.saturating_sub(swap.free),
            gpus: self.gpus,
        })
    }
}

/// Why the exporters could not be read. Every message is plain words, and any text
/// that came from a server has been sanitised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExporterError {
    /// Something went wrong with one URL; `error` says what.
    #[error("{url}: {error}")]
    At {
        url: String,
        error: Box<ExporterError>,
    },
    #[error("not a usable URL ({reason})")]
    BadUrl { reason: String },
    #[error("cannot reach the exporter ({reason})")]
    Unreachable { reason: String },
    #[error("no answer within {}s", .after.as_secs_f32())]
    Timeout { after: std::time::Duration },
    #[error("the exporter answered HTTP {status}{}", detail(.body))]
    Status { status: u16, body: String },
    #[error("not Prometheus metrics: {reason}")]
    NotPrometheus { reason: String },
    #[error(
        "no memory figures: none of node_memory_MemAvailable_bytes, DCGM_FI_DEV_FB_FREE or \
         nvidia_smi_memory_free_bytes"
    )]
    NoFigures,
    #[error("no node_exporter memory figures (node_memory_MemAvailable_bytes) at {urls}")]
    NoRam { urls: String },
    #[error("no exporter URL given")]
    NoUrls,
}

impl ExporterError {
    /// Ties the error to the URL it happened at.
    pub fn at(self, url: &str) -> ExporterError {
        ExporterError::At {
            url: crate::sanitize::clean(url),
            error: Box::new(self),
        }
    }
}

/// `: <body>` when the server said something, nothing otherwise.
fn detail(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

#[cfg(test)]
mod tests;
