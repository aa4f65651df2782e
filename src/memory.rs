//! Memory readings: RAM and swap from sysinfo, VRAM per GPU.

/// One GPU's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpuMemory {
    pub name: String,
    pub total: u64,
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
}

/// Where readings come from: the real machine, the stand-in server, or a test.
pub trait MemorySource: Send {
    fn read(&mut self) -> MemorySnapshot;
}

/// Temporary: RAM and swap from sysinfo.
pub struct SystemMemory {
    sys: Option<sysinfo::System>,
}

impl SystemMemory {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        SystemMemory {
            sys: sysinfo::System::new().ok(),
        }
    }
}

impl MemorySource for SystemMemory {
    fn read(&mut self) -> MemorySnapshot {
        let Some(sys) = self.sys.as_mut() else {
            return MemorySnapshot::default();
        };
        sys.refresh_memory();
        MemorySnapshot {
            ram_total: sys.total_memory(),
            ram_available: sys.available_memory(),
            ram_used: sys.used_memory(),
            swap_total: sys.total_swap(),
            swap_used: sys.used_swap(),
            gpus: Vec::new(),
        }
    }
}
