//! Where a load lands on the GPUs, as `llm/memory.go` `estimateGPULayers` and
//! `pickBestFullFitByLibrary` (v0.12.6) place it.

use super::estimate::Layers;
use super::server::GPU_MINIMUM_MEMORY;

/// The outcome of placing one load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Bytes on the GPUs.
    pub vram: u64,
    /// Bytes in all: VRAM + what overflows to system RAM.
    pub total: u64,
    /// Every block and the output layer on the GPUs.
    pub full: bool,
}

impl Placement {
    /// The CPU part (`TotalSize − VRAMSize`).
    pub fn ram(&self) -> u64 {
        self.total.saturating_sub(self.vram)
    }

    /// Share on the GPUs, 0 – 100.
    pub fn gpu_percent(&self) -> u8 {
        crate::format::gpu_share(self.total, self.vram)
    }
}

/// A CPU-only placement.
pub fn on_cpu(layers: &Layers) -> Placement {
    Placement {
        vram: 0,
        total: layers.total(),
        full: false,
    }
}

/// `pickBestFullFitByLibrary` without `OLLAMA_SCHED_SPREAD`: the fewest GPUs, most
/// free first, that hold the whole model; `None` when none do.
pub fn full_fit(layers: &Layers, gpus_free: &[u64], how: How) -> Option<Placement> {
    let mut sorted = gpus_free.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    (1..=sorted.len())
        .map(|n| estimate_gpu_layers(layers, &sorted[..n], how))
        .find(|p| p.full)
}

/// What differs between releases in the placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct How {
    /// `OLLAMA_GPU_OVERHEAD` per GPU (v0.3.10+; 0 before).
    pub overhead: u64,
    /// v0.1.48 places blocks first to last; later releases last to first.
    pub first_to_last: bool,
}

/// `estimateGPULayers`: GPUs that can hold the graph, the minimum, and two layers
/// take part; blocks go last to first, round robin, then the output layer; the
/// rest overflows to the CPU.
pub fn estimate_gpu_layers(layers: &Layers, gpus_free: &[u64], how: How) -> Placement {
    let overhead = how.overhead;
    // "multigpu should always use the partial graph size".
    let graph_full = if gpus_free.len() > 1 {
        layers.graph_partial
    } else {
        layers.graph_full
    };
    let graph_max = layers.graph_partial.max(graph_full);
    let layer_size = layers.blocks.first().copied().unwrap_or(0);
    let mut alloc: Vec<u64> = vec![0; gpus_free.len()];
    let mut split: Vec<u64> = vec![0; gpus_free.len()];
    let mut with_space: Vec<usize> = Vec::new();
    for (i, &free) in gpus_free.iter().enumerate() {
        let floor = overhead + graph_max + GPU_MINIMUM_MEMORY + 2 * layer_size;
        if free >= floor {
            with_space.push(i);
            alloc[i] = GPU_MINIMUM_MEMORY + layer_size;
        }
    }
    let mut overflow = 0u64;
    let mut count = 0u64;
    for (i, &size) in layers.blocks.iter().enumerate().rev() {
        if !place(
            &mut with_space,
            &mut alloc,
            &mut split,
            gpus_free,
            i,
            size,
            graph_max + overhead,
        ) {
            overflow += size;
        } else {
            count += 1;
        }
    }
    let blocks = layers.blocks.len() as u64;
    let mut full = count >= blocks;
    if layers.output > 0 {
        let idx = count as usize;
        if !place(
            &mut with_space,
            &mut alloc,
            &mut split,
            gpus_free,
            idx,
            layers.output,
            graph_max + overhead,
        ) {
            full = false;
            overflow += layers.output;
        }
    }
    let graph = if full {
        layers.graph_full
    } else {
        layers.graph_partial
    };
    for (a, &s) in alloc.iter_mut().zip(&split) {
        if s > 0 {
            *a += graph;
        } else {
            *a = 0;
        }
    }
    let vram: u64 = alloc.iter().sum();
    Placement {
        vram,
        total: vram + overflow,
        full,
    }
}

/// Puts one layer on the GPU `index % n` of those with space, dropping GPUs that
/// are full; false when none can take it.
fn place(
    with_space: &mut Vec<usize>,
    alloc: &mut [u64],
    split: &mut [u64],
    free: &[u64],
    index: usize,
    size: u64,
    reserve: u64,
) -> bool {
    while !with_space.is_empty() {
        let pos = index % with_space.len();
        let g = with_space[pos];
        if free[g] > alloc[g] + reserve + size {
            alloc[g] += size;
            split[g] += 1;
            return true;
        }
        with_space.remove(pos);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: u64 = 1 << 30;

    fn model(blocks: usize, block: u64) -> Layers {
        Layers {
            blocks: vec![block; blocks],
            output: block,
            kv_total: 0,
            graph_partial: G / 2,
            graph_full: G / 4,
        }
    }

    #[test]
    fn a_model_that_fits_lands_whole_on_one_gpu() {
        let m = model(32, G / 8); // 4.1 GiB
        let p = full_fit(&m, &[2 * G, 24 * G], How::default()).expect("fits");
        assert!(p.full);
        assert_eq!(p.vram, p.total);
        // blocks + output + the minimum + one spare layer + the full graph
        assert_eq!(p.vram, 33 * G / 8 + GPU_MINIMUM_MEMORY + G / 8 + G / 4);
    }

    #[test]
    fn too_little_vram_splits_and_none_is_cpu() {
        let m = model(32, G / 4); // 8.25 GiB
        let p = estimate_gpu_layers(&m, &[4 * G], How::default());
        assert!(!p.full);
        assert!(p.vram > 0 && p.vram < p.total);
        assert!((30..70).contains(&p.gpu_percent()), "{}", p.gpu_percent());
        assert_eq!(full_fit(&m, &[4 * G], How::default()), None);
        let none = estimate_gpu_layers(&m, &[G / 2], How::default());
        assert_eq!(none.vram, 0);
        // The overhead setting reserves VRAM too (OLLAMA_GPU_OVERHEAD).
        assert!(full_fit(&m, &[10 * G], How::default()).is_some());
        assert!(
            full_fit(
                &m,
                &[10 * G],
                How {
                    overhead: 2 * G,
                    ..How::default()
                }
            )
            .is_none()
        );
    }

    #[test]
    fn two_gpus_share_a_model_neither_holds_alone() {
        let m = model(32, G / 2); // 16.5 GiB
        let p = full_fit(&m, &[12 * G, 12 * G], How::default()).expect("fits on two");
        assert!(p.full);
        assert!(full_fit(&m, &[12 * G], How::default()).is_none());
    }
}
