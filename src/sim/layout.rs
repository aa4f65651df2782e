//! The layout pass of v0.12.11–v0.2x: `llm/server.go` `llamaServer.Load`
//! synthesises per-layer memory from `GraphSize`, then `createLayout` →
//! `buildLayout` / `assignLayers` / `greedyFit` / `verifyLayout` pick the split
//! (v0.15.5). The capacity-factor search of `findBestFit` only balances layers
//! between GPUs, so the stand-in packs at full capacity: same counts, and the
//! per-GPU split may differ on several GPUs. (Models on the Ollama engine get
//! their sizes from the backend instead; the stand-in uses these figures for all.)

use super::estimate::Dev;
use super::graph::Graph;

/// Where the layers went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Bytes on each device given (layers + graph), in the order given.
    pub gpu: Vec<u64>,
    /// Bytes left in system memory (`cpuSize`).
    pub cpu: u64,
    pub all_on_gpu: bool,
}

impl Layout {
    pub fn total(&self) -> u64 {
        self.gpu.iter().sum::<u64>() + self.cpu
    }
}

/// `layers`: every block (weights + KV) then the output layer. Each GPU loses
/// `buffer` (`blk.0` + `kv[0]`), its minimum, `OLLAMA_GPU_OVERHEAD` and the graph.
pub fn layout(devs: &[Dev], layers: &[u64], buffer: u64, graph: &Graph, overhead: u64) -> Layout {
    let room: Vec<u64> = devs
        .iter()
        .map(|d| {
            let reserved = buffer + d.minimum + overhead + graph.max();
            d.free.saturating_sub(reserved)
        })
        .collect();
    let mut order: Vec<usize> = (0..devs.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(devs[*i].free));
    let placed = assign_layers(layers, &room, &order);
    finish(devs.len(), layers, &placed, graph)
}

/// `assignLayers`: fewest GPUs first; when not everything fits, a second pass
/// without the output layer (offloading blocks is preferred).
fn assign_layers(layers: &[u64], room: &[u64], order: &[usize]) -> Vec<Option<usize>> {
    let mut best = vec![None; layers.len()];
    let mut list = layers;
    for _ in 0..2 {
        for k in 1..=order.len() {
            best = greedy_fit(list, room, &order[..k]);
            if best.iter().all(Option::is_some) {
                break;
            }
        }
        if best.len() == layers.len() && best.iter().all(Option::is_some) {
            return best;
        }
        list = &list[..list.len().saturating_sub(1)];
    }
    best.resize(layers.len(), None);
    best
}

/// `greedyFit`: from the last layer down, filling the last GPU of the subset,
/// then the one before it; stops at the first layer no GPU left can take.
fn greedy_fit(layers: &[u64], room: &[u64], subset: &[usize]) -> Vec<Option<usize>> {
    let mut placed = vec![None; layers.len()];
    let mut devices = subset.iter().rev();
    let Some(mut dev) = devices.next().copied() else {
        return placed;
    };
    let mut free = room[dev];
    for i in (0..layers.len()).rev() {
        while layers[i] > free {
            match devices.next() {
                Some(d) => {
                    dev = *d;
                    free = room[dev];
                }
                None => return placed,
            }
        }
        placed[i] = Some(dev);
        free -= layers[i];
    }
    placed
}

/// Sizes as `llamaServer.Load` reports them: GPUs that got layers also hold the
/// full graph when everything is offloaded, else the partial one.
fn finish(n: usize, layers: &[u64], placed: &[Option<usize>], graph: &Graph) -> Layout {
    let mut gpu = vec![0u64; n];
    let mut cpu = 0;
    for (size, at) in layers.iter().zip(placed) {
        match at {
            Some(d) => gpu[*d] += size,
            None => cpu += size,
        }
    }
    let all_on_gpu = n > 0 && placed.iter().all(Option::is_some);
    let graph_size = if all_on_gpu {
        graph.full
    } else {
        graph.partial
    };
    for (d, bytes) in gpu.iter_mut().enumerate() {
        if placed.contains(&Some(d)) {
            *bytes += graph_size;
        }
    }
    Layout {
        gpu,
        cpu,
        all_on_gpu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> Graph {
        Graph {
            kv: vec![],
            partial: 30,
            full: 20,
        }
    }

    fn dev(free: u64) -> Dev {
        Dev { free, minimum: 5 }
    }

    #[test]
    fn everything_on_one_gpu_when_it_fits() {
        // Room: 200 − (10 buffer + 5 minimum + 30 graph) = 155 ≥ 4 × 30 + 20.
        let l = layout(&[dev(200)], &[30, 30, 30, 30, 20], 10, &graph(), 0);
        assert!(l.all_on_gpu);
        assert_eq!((l.gpu.clone(), l.cpu), (vec![140 + 20], 0));
    }

    #[test]
    fn a_partial_fit_keeps_the_output_layer_on_the_cpu() {
        // Room 100: the last three blocks fit, the output goes to system memory.
        let l = layout(&[dev(145)], &[30, 30, 30, 30, 20], 10, &graph(), 0);
        assert!(!l.all_on_gpu);
        assert_eq!((l.gpu.clone(), l.cpu), (vec![90 + 30], 30 + 20));
        let none = layout(&[], &[30, 20], 10, &graph(), 0);
        assert_eq!((none.gpu.len(), none.cpu), (0, 50));
    }

    #[test]
    fn a_second_gpu_takes_what_the_first_cannot() {
        let l = layout(
            &[dev(100), dev(145)],
            &[30, 30, 30, 30, 20],
            10,
            &graph(),
            0,
        );
        assert!(l.all_on_gpu);
        assert_eq!(l.cpu, 0);
        assert_eq!(l.total(), 140 + 2 * 20);
    }
}
