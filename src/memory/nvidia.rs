//! NVIDIA VRAM through NVML, loaded at run time. No driver, no library or no GPU all
//! mean "no NVIDIA GPU": never an error, never a panic.

use nvml_wrapper::Nvml;

use super::GpuMemory;
use crate::sanitize::clean;

/// NVML, initialised once; `None` inside when it is not available.
pub struct NvidiaGpus {
    nvml: Option<Nvml>,
    /// Names fetched once: they do not change while the program runs.
    names: Vec<String>,
}

impl std::fmt::Debug for NvidiaGpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvidiaGpus")
            .field("available", &self.nvml.is_some())
            .field("names", &self.names)
            .finish()
    }
}

impl NvidiaGpus {
    /// Loads `libnvidia-ml` and counts the GPUs; any failure gives an empty reader.
    pub fn new() -> NvidiaGpus {
        let Ok(nvml) = Nvml::init() else {
            return NvidiaGpus::none();
        };
        let count = nvml.device_count().unwrap_or(0);
        let names = (0..count)
            .map(|i| {
                nvml.device_by_index(i)
                    .and_then(|d| d.name())
                    .map(|n| clean(&n))
                    .unwrap_or_else(|_| format!("NVIDIA GPU {i}"))
            })
            .collect();
        NvidiaGpus {
            nvml: Some(nvml),
            names,
        }
    }

    /// A reader that never finds a GPU (tests, `--demo`).
    pub fn none() -> NvidiaGpus {
        NvidiaGpus {
            nvml: None,
            names: Vec::new(),
        }
    }

    pub fn is_available(&self) -> bool {
        self.nvml.is_some() && !self.names.is_empty()
    }

    /// Current memory of each GPU; a GPU that fails to answer is left out.
    pub fn read(&self) -> Vec<GpuMemory> {
        let Some(nvml) = &self.nvml else {
            return Vec::new();
        };
        self.names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let info = nvml.device_by_index(i as u32).ok()?.memory_info().ok()?;
                // NVML's `used` leaves out the driver's reservation; count everything
                // that is not free as used so `free()` matches NVML's `free`.
                Some(GpuMemory {
                    name: name.clone(),
                    total: info.total,
                    used: info.total.saturating_sub(info.free),
                })
            })
            .collect()
    }
}

impl Default for NvidiaGpus {
    fn default() -> Self {
        NvidiaGpus::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_reader_reads_nothing() {
        let gpus = NvidiaGpus::none();
        assert!(!gpus.is_available());
        assert!(gpus.read().is_empty());
    }

    #[test]
    fn init_never_panics_and_reads_are_consistent() {
        // On a machine without NVIDIA this is the "no GPU" path; with one, every
        // reading must be internally consistent.
        let gpus = NvidiaGpus::new();
        let read = gpus.read();
        assert!(read.len() <= gpus.names.len());
        assert!(read.iter().all(|g| g.used <= g.total && !g.name.is_empty()));
        // Set on a machine known to have an NVIDIA GPU and driver.
        if std::env::var_os("EXPECT_NVIDIA_GPU").is_some() {
            eprintln!("NVML readings: {read:?}");
            assert!(gpus.is_available(), "NVML found no GPU: {gpus:?}");
            assert!(
                !read.is_empty() && read.iter().all(|g| g.total > 0),
                "{read:?}"
            );
        }
    }
}
