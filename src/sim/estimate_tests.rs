use super::*;

/// Four blocks of 100 with 10 of KV each, an output of 50, graphs 40 / 30.
fn run(devs: &[Dev], cpu: bool) -> Estimate {
    let weights = Weights {
        block: 100,
        output: 50,
    };
    let graph = Graph {
        kv: vec![10; 4],
        partial: 40,
        full: 30,
    };
    let m = Model {
        blocks: 4,
        weights: &weights,
        graph: &graph,
        overhead: 0,
    };
    estimate_gpu_layers(devs, m, cpu)
}

fn dev(free: u64) -> Dev {
    Dev { free, minimum: 5 }
}

/// Worked by hand through `estimateGPULayers`: minimum 5 + a one-layer buffer
/// 110, four layers of 110, the output 50, and the full graph 30.
#[test]
fn a_full_fit_counts_minimum_buffer_layers_output_and_graph() {
    let e = run(&[dev(1000)], false);
    assert_eq!(e.layers, 5);
    assert_eq!(e.vram_size, 5 + 110 + 440 + 50 + 30);
    assert_eq!(e.total_size, e.vram_size);
    assert!(fits_fully(&e, 4));
}

/// Room for two layers: the other two and the output overflow to system memory,
/// and the GPU holds the partial graph.
#[test]
fn a_partial_fit_overflows_from_the_first_layers() {
    let e = run(&[dev(400)], false);
    assert_eq!(e.layers, 2);
    assert_eq!(e.vram_size, 115 + 220 + 40);
    assert_eq!(e.total_size, e.vram_size + 220 + 50);
    assert!(!fits_fully(&e, 4));
}

/// A GPU that cannot hold the graph, its minimum and two layers takes no part.
#[test]
fn a_small_gpu_takes_nothing() {
    let e = run(&[dev(200)], false);
    assert_eq!((e.layers, e.vram_size), (0, 0));
    assert_eq!(e.total_size, 440 + 50);
}

/// The CPU pseudo-device (≤ v0.12.6) reports only the total.
#[test]
fn the_cpu_reports_only_a_total() {
    let e = run(
        &[Dev {
            free: 1000,
            minimum: 0,
        }],
        true,
    );
    assert_eq!((e.layers, e.vram_size), (0, 0));
    assert_eq!(e.total_size, 110 + 440 + 50 + 30);
}

/// Two GPUs: the partial graph on both, layers round-robin from the last block.
/// The output layer then tries `gpusWithSpace[layerCount % j]` for j = 2, 1:
/// GPU 0 twice, so it overflows although GPU 1 had room (as in Ollama).
#[test]
fn two_gpus_use_the_partial_graph() {
    let e = run(&[dev(400), dev(400)], false);
    assert_eq!(e.layers, 4);
    assert_eq!(e.gpu_sizes, vec![115 + 220 + 40, 115 + 220 + 40]);
    assert_eq!(e.total_size, e.vram_size + 50);
}
