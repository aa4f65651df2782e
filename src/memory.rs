//! Memory readings: RAM and swap from sysinfo, VRAM per GPU (NVIDIA through NVML,
//! AMD through sysfs) or all of it from Prometheus exporters on another machine, and a
//! short history of readings for the dashboard's chart.

mod amd;
pub mod exporter;
mod history;
mod nvidia;
mod system;
pub mod whose;

pub use amd::AmdSysfs;
pub use exporter::ExporterMemory;
pub use history::{EventKind, HistoryEvent, MemoryHistory, Sample, Series};
pub use nvidia::NvidiaGpus;
pub use system::{LazySystemMemory, MemoryError, SystemMemory};
pub use whose::MemoryPlan;

/// One GPU's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpuMemory {
    pub name: String,
    pub total: u64,
    /// Everything not free, including what the driver reserves.
    pub used: u64,
}

impl GpuMemory {
    pub fn free(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }
}

/// A reading of the machine's memory, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemorySnapshot {
    pub ram_total: u64,
    /// What the OS says can be given to a new process without swapping.
    pub ram_available: u64,
    pub ram_used: u64,
    pub swap_total: u64,
    pub swap_used: u64,
    pub gpus: Vec<GpuMemory>,
}

impl MemorySnapshot {
    pub fn vram_free(&self) -> u64 {
        self.gpus.iter().map(GpuMemory::free).sum()
    }

    pub fn vram_total(&self) -> u64 {
        self.gpus.iter().map(|g| g.total).sum()
    }

    pub fn vram_used(&self) -> u64 {
        self.gpus.iter().map(|g| g.used).sum()
    }
}

/// The seed's rule: a model of `model_size` bytes can be loaded when the available
/// RAM exceeds its size plus the buffer.
pub fn can_load(snapshot: &MemorySnapshot, model_size: u64, buffer_bytes: u64) -> bool {
    snapshot.ram_available > model_size.saturating_add(buffer_bytes)
}

/// Where readings come from: the real machine, the stand-in server, or a test.
pub trait MemorySource: Send {
    fn read(&mut self) -> MemorySnapshot;

    /// Why the last reading failed, for sources that can fail (exporters); the
    /// reading returned then is not to be trusted.
    fn last_error(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_load_is_strictly_more_than_size_plus_buffer() {
        let snap = MemorySnapshot {
            ram_available: 10,
            ..MemorySnapshot::default()
        };
        assert!(can_load(&snap, 7, 2));
        assert!(!can_load(&snap, 8, 2));
        assert!(!can_load(&snap, u64::MAX, 2));
    }

    #[test]
    fn vram_sums_over_gpus() {
        let gpu = |total, used| GpuMemory {
            name: "g".into(),
            total,
            used,
        };
        let snap = MemorySnapshot {
            gpus: vec![gpu(24, 20), gpu(16, 1), gpu(8, 9)],
            ..MemorySnapshot::default()
        };
        assert_eq!(snap.vram_total(), 48);
        assert_eq!(snap.vram_used(), 30);
        assert_eq!(snap.vram_free(), 19); // a used > total reading counts as 0 free
    }
}
