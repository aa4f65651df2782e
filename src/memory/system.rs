//! The real machine: RAM and swap from sysinfo (memory only, never processes), VRAM
//! from NVML and AMD sysfs.

use sysinfo::System;

use super::{AmdSysfs, MemorySnapshot, MemorySource, NvidiaGpus};

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("cannot read system memory on this platform: {0}")]
    Unsupported(#[from] sysinfo::Error),
}

/// Reads this machine's memory. Keeps its `System` and its NVML handle so each read
/// only refreshes memory figures.
pub struct SystemMemory {
    sys: System,
    nvidia: NvidiaGpus,
    amd: AmdSysfs,
}

impl std::fmt::Debug for SystemMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemMemory")
            .field("nvidia", &self.nvidia)
            .field("amd", &self.amd)
            .finish_non_exhaustive()
    }
}

impl SystemMemory {
    /// The real machine, with NVIDIA and AMD probes.
    pub fn new() -> Result<SystemMemory, MemoryError> {
        SystemMemory::with_gpus(NvidiaGpus::new(), AmdSysfs::system())
    }

    /// With chosen GPU probes (tests point AMD at a fake tree, skip NVML).
    pub fn with_gpus(nvidia: NvidiaGpus, amd: AmdSysfs) -> Result<SystemMemory, MemoryError> {
        Ok(SystemMemory {
            sys: System::new()?,
            nvidia,
            amd,
        })
    }
}

impl MemorySource for SystemMemory {
    fn read(&mut self) -> MemorySnapshot {
        self.sys.refresh_memory();
        let mut gpus = self.nvidia.read();
        gpus.extend(self.amd.read());
        MemorySnapshot {
            ram_total: self.sys.total_memory(),
            ram_available: self.sys.available_memory(),
            ram_used: self.sys.used_memory(),
            swap_total: self.sys.total_swap(),
            swap_used: self.sys.used_swap(),
            gpus,
        }
    }
}

/// [`SystemMemory`] created on its first read, so starting NVML (which can take a
/// moment) happens on the thread that reads memory, not before the first frame.
#[derive(Debug, Default)]
pub struct LazySystemMemory {
    inner: Option<Result<SystemMemory, String>>,
}

impl MemorySource for LazySystemMemory {
    fn read(&mut self) -> MemorySnapshot {
        let inner = self
            .inner
            .get_or_insert_with(|| SystemMemory::new().map_err(|e| e.to_string()));
        match inner {
            Ok(m) => m.read(),
            Err(_) => MemorySnapshot::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine_and_fake_amd_cards() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let device = tmp.path().join("card1/device");
        std::fs::create_dir_all(&device).expect("fake card dir");
        std::fs::write(device.join("mem_info_vram_total"), "2000\n").expect("write total");
        std::fs::write(device.join("mem_info_vram_used"), "500\n").expect("write used");
        let mut mem = SystemMemory::with_gpus(NvidiaGpus::none(), AmdSysfs::new(tmp.path()))
            .expect("sysinfo works on the test machine");
        let snap = mem.read();
        assert!(snap.ram_total > 0);
        assert!(snap.ram_available <= snap.ram_total);
        assert!(snap.ram_used <= snap.ram_total);
        assert!(snap.swap_used <= snap.swap_total);
        assert_eq!((snap.vram_total(), snap.vram_free()), (2000, 1500));
        assert_eq!(snap.gpus[0].name, "card1");
        // A second read refreshes in place.
        assert!(mem.read().ram_total == snap.ram_total);
    }
}
