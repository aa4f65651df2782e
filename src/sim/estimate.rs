//! The classic estimator: a port of `llm/memory.go` `estimateGPULayers` and
//! `predictServerFit` (v0.12.10; the same algorithm since v0.1.x), for one GPU
//! library (the stand-in's GPUs are all CUDA).

use super::graph::Graph;
use super::shape::Weights;

/// `cudaMinimumMemory` (`discover/gpu.go`, v0.1.48–v0.12.x): kept free per GPU.
pub const GPU_MINIMUM: u64 = 457 << 20;

/// One device as the estimator sees it: free bytes after what is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dev {
    pub free: u64,
    pub minimum: u64,
}

/// `MemoryEstimate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// Layers offloaded, the output layer included (`block_count + 1` = all).
    pub layers: u64,
    /// `GPUSizes`, one per device given.
    pub gpu_sizes: Vec<u64>,
    pub vram_size: u64,
    pub total_size: u64,
}

/// Inputs that do not change between devices.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    pub blocks: u64,
    pub weights: &'a Weights,
    pub graph: &'a Graph,
    /// `OLLAMA_GPU_OVERHEAD`.
    pub overhead: u64,
}

impl Model<'_> {
    fn layer(&self, i: usize) -> u64 {
        self.weights.block + self.graph.kv.get(i).copied().unwrap_or(0)
    }
}

/// `estimateGPULayers(gpus, …)`; `cpu` marks the CPU pseudo-device of ≤ v0.12.6,
/// for which only `TotalSize` is reported.
pub fn estimate_gpu_layers(devs: &[Dev], m: Model, cpu: bool) -> Estimate {
    let mut graph_full = m.graph.full;
    let graph_partial = m.graph.partial;
    if devs.len() > 1 {
        // "multigpu should always use the partial graph size"
        graph_full = graph_partial;
    }
    let graph_max = graph_partial.max(graph_full);
    let mut p = Placing::new(devs, m, graph_max);
    p.blocks();
    let fully = p.output();
    let graph = if fully { graph_full } else { graph_partial };
    for (alloc, n) in p.alloc.iter_mut().zip(&p.split) {
        if *n > 0 {
            *alloc += graph;
        }
    }
    let vram: u64 = p.alloc.iter().sum();
    let total_size = vram + p.overflow;
    if cpu || p.count == 0 {
        return Estimate {
            layers: 0,
            gpu_sizes: vec![0; devs.len()],
            vram_size: 0,
            total_size,
        };
    }
    Estimate {
        layers: p.count,
        gpu_sizes: p.alloc,
        vram_size: vram,
        total_size,
    }
}

/// `predictServerFit`: every layer and the output on the GPUs (`NumGPU` -1).
pub fn fits_fully(e: &Estimate, blocks: u64) -> bool {
    e.layers > 0 && e.layers > blocks
}

/// The running state of the placement loop.
struct Placing<'a> {
    devs: &'a [Dev],
    m: Model<'a>,
    graph_max: u64,
    alloc: Vec<u64>,
    split: Vec<u64>,
    with_space: Vec<usize>,
    count: u64,
    overflow: u64,
}

impl<'a> Placing<'a> {
    /// Only GPUs that fit the graph, their minimum, a one-layer buffer and one
    /// more layer take part; each starts with the minimum and the buffer.
    fn new(devs: &'a [Dev], m: Model<'a>, graph_max: u64) -> Placing<'a> {
        let buffer = if m.blocks > 0 { m.layer(0) } else { 0 };
        let mut alloc = vec![0; devs.len()];
        let mut with_space = Vec::new();
        for (i, d) in devs.iter().enumerate() {
            if d.free < m.overhead + graph_max + d.minimum + 2 * buffer {
                continue;
            }
            with_space.push(i);
            alloc[i] += d.minimum + buffer;
        }
        Placing {
            devs,
            m,
            graph_max,
            alloc,
            split: vec![0; devs.len()],
            with_space,
            count: 0,
            overflow: 0,
        }
    }

    /// Whether device `g` can take `size` more bytes.
    fn room(&self, g: usize, size: u64) -> bool {
        let used = self.alloc[g] + self.graph_max;
        self.devs[g].free > self.m.overhead + used + size
    }

    fn put(&mut self, g: usize, size: u64) {
        self.alloc[g] += size;
        self.split[g] += 1;
        self.count += 1;
    }

    /// From the last block to the first, round-robin; a GPU without room for a
    /// layer leaves the list.
    fn blocks(&mut self) {
        for i in (0..self.m.blocks as usize).rev() {
            let size = self.m.layer(i);
            let mut j = self.with_space.len();
            while j > 0 {
                let k = i % j;
                let g = self.with_space[k];
                if self.room(g, size) {
                    self.put(g, size);
                    break;
                }
                self.with_space.remove(k);
                j -= 1;
            }
            if self.with_space.is_empty() {
                self.overflow += size;
            }
        }
    }

    /// The output layer goes last, if some GPU still has room. Returns whether
    /// everything is on the GPUs.
    fn output(&mut self) -> bool {
        let blocks = self.m.blocks;
        let mut fully = self.count >= blocks;
        let size = self.m.weights.output;
        if size == 0 {
            return fully;
        }
        let mut j = self.with_space.len();
        while j > 0 {
            let g = self.with_space[(self.count % j as u64) as usize];
            if self.room(g, size) {
                self.put(g, size);
                break;
            }
            j -= 1;
        }
        if self.count < blocks + 1 {
            fully = false;
            self.overflow += size;
        }
        fully
    }
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;
