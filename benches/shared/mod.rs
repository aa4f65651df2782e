//! What the benches share: the machine they judge models on.

use model_orchestrator::memory::{GpuMemory, MemorySnapshot};

/// 32 GB of RAM with 9 GB available and a 12 GB GPU with 5 GB free.
pub fn memory() -> MemorySnapshot {
    MemorySnapshot {
        ram_total: 32_000_000_000,
        ram_available: 9_000_000_000,
        ram_used: 23_000_000_000,
        gpus: vec![GpuMemory {
            name: "GPU".into(),
            total: 12_000_000_000,
            used: 7_000_000_000,
        }],
        ..MemorySnapshot::default()
    }
}
