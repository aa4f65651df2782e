use super::*;
use crate::memory::GpuMemory;
use crate::ollama::ShowResponse;

const GIB: u64 = 1 << 30;
const G: u64 = 1_000_000_000;

fn arch(layers: u64, heads: u64, kv: &[u64], embd: u64) -> Architecture {
    Architecture {
        name: "llama".into(),
        block_count: Some(layers),
        head_count: Some(heads),
        head_count_kv: kv.to_vec(),
        embedding_length: Some(embd),
        ..Architecture::default()
    }
}

fn fixture_arch(file: &str) -> Architecture {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    let show: ShowResponse = serde_json::from_str(&text).expect("fixture parses");
    show.architecture()
}

fn entry(name: &str, size: u64) -> ModelEntry {
    ModelEntry {
        name: name.into(),
        size,
        ..ModelEntry::default()
    }
}

fn running(name: &str, size: u64) -> RunningModel {
    RunningModel {
        name: name.into(),
        size,
        ..RunningModel::default()
    }
}

fn mem(ram_available: u64, gpu_free: &[u64]) -> MemorySnapshot {
    MemorySnapshot {
        ram_total: 64 * G,
        ram_available,
        gpus: gpu_free
            .iter()
            .map(|&free| GpuMemory {
                name: "gpu".into(),
                total: 24 * G,
                used: 24 * G - free,
            })
            .collect(),
        ..MemorySnapshot::default()
    }
}

fn cfg(buffer_gb: f64, pins: &[&str]) -> Config {
    Config {
        ram_buffer_gb: buffer_gb,
        keep_alive_models: pins.iter().map(|p| p.to_string()).collect(),
        ..Config::default()
    }
}

#[test]
fn kv_cache_matches_the_llama3_8b_example() {
    // 32 layers, 8 KV heads, head dim 4096 / 32 = 128: 128 KiB per token.
    let a = arch(32, 32, &[8], 4096);
    assert_eq!(kv_cache_bytes(&a, 1), Some(128 * 1024));
    assert_eq!(kv_cache_bytes(&a, 8192), Some(GIB));
    assert_eq!(
        kv_cache_bytes(&fixture_arch("show-llama3.1.json"), 8192),
        Some(GIB)
    );
}

#[test]
fn kv_cache_sums_per_layer_heads_and_uses_given_head_dims() {
    // openelm: head_count_kv [2, 2, 4, 4], key/value length 64.
    let a = fixture_arch("show-openelm.json");
    assert_eq!(kv_cache_bytes(&a, 2048), Some(2048 * (64 + 64) * 12 * 2));
    // key_length alone: value dim still from embedding / heads.
    let mut b = arch(2, 4, &[1], 512);
    b.key_length = Some(64);
    assert_eq!(kv_cache_bytes(&b, 10), Some(10 * (64 + 128) * 2 * 2));
}

#[test]
fn kv_cache_without_kv_heads_is_full_attention() {
    let a = arch(4, 8, &[], 1024);
    assert_eq!(kv_cache_bytes(&a, 100), Some(100 * 256 * 32 * 2));
}

#[test]
fn kv_cache_needs_layers_and_a_head_dim() {
    let mut no_layers = arch(32, 32, &[8], 4096);
    no_layers.block_count = None;
    assert_eq!(kv_cache_bytes(&no_layers, 4096), None);
    assert_eq!(kv_cache_bytes(&arch(0, 32, &[8], 4096), 4096), None);
    assert_eq!(kv_cache_bytes(&arch(32, 0, &[8], 4096), 4096), None);
    assert_eq!(kv_cache_bytes(&fixture_arch("show-old.json"), 4096), None);
    // Given head dims make embedding and head count unnecessary.
    let mut dims_only = arch(2, 0, &[4], 0);
    dims_only.embedding_length = None;
    dims_only.key_length = Some(64);
    dims_only.value_length = Some(64);
    assert_eq!(kv_cache_bytes(&dims_only, 1), Some(128 * 8 * 2));
}

#[test]
fn kv_cache_overflow_is_unknown_not_wrapped() {
    assert_eq!(
        kv_cache_bytes(&arch(32, 32, &[8], 4096), u64::MAX / 2),
        None
    );
}

#[test]
fn need_prefers_override_then_estimate_then_file() {
    let m = entry("llama3.1:8b", 4_920_753_328);
    let a = fixture_arch("show-llama3.1.json");
    let mut c = Config::default(); // num_ctx 4096
    let est = need(&m, Some(&a), &c);
    assert_eq!(est.bytes, 4_920_753_328 + GIB / 2);
    assert!(matches!(
        est.source,
        NeedSource::Estimate { num_ctx: 4096, .. }
    ));
    assert_eq!(need(&m, None, &c).source, NeedSource::FileSize);
    assert_eq!(need(&m, None, &c).bytes, 4_920_753_328);
    c.model_sizes.insert("Llama3.1:8B".into(), 6.5);
    assert_eq!(
        need(&m, Some(&a), &c),
        Need {
            bytes: 6_500_000_000,
            source: NeedSource::Override
        }
    );
}

#[test]
fn need_caps_the_context_at_the_trained_length() {
    let m = entry("openelm:1b", 1_000);
    let a = fixture_arch("show-openelm.json"); // trained on 2048
    let c = Config {
        num_ctx: 32_768,
        ..Config::default()
    };
    let n = need(&m, Some(&a), &c);
    assert_eq!(n.bytes, 1_000 + 2048 * 128 * 12 * 2);
    assert!(matches!(
        n.source,
        NeedSource::Estimate { num_ctx: 2048, .. }
    ));
}

#[test]
fn remote_stubs_need_nothing_and_always_fit() {
    let mut m = entry("gpt-oss:120b-cloud", 384);
    m.remote_host = Some("https://ollama.com:443".into());
    let mut c = Config::default();
    c.model_sizes.insert("gpt-oss:120b-cloud".into(), 60.0);
    let n = need(&m, None, &c);
    assert_eq!((n.bytes, n.source), (0, NeedSource::Remote));
    assert_eq!(
        verdict(&m.name, n.bytes, &mem(0, &[]), &[], &c),
        Verdict::Fits
    );
}

#[test]
fn loaded_wins_whatever_the_memory() {
    let loaded = [running("llama3.1:8b", 6 * G)];
    let v = verdict(
        "Llama3.1:8B",
        100 * G,
        &mem(0, &[]),
        &loaded,
        &cfg(2.0, &[]),
    );
    assert_eq!(v, Verdict::Loaded);
    let plain = [running("phi3:latest", G)];
    let v = verdict("phi3", 100 * G, &mem(0, &[]), &plain, &cfg(2.0, &[]));
    assert_eq!(v, Verdict::Loaded);
}

#[test]
fn gpu_fit_sums_gpus_and_ignores_the_ram_buffer() {
    let c = cfg(2.0, &[]);
    let m = mem(0, &[4 * G, 3 * G]);
    assert_eq!(verdict("x", 7 * G, &m, &[], &c), Verdict::FitsGpu);
    assert_eq!(
        verdict("x", 7 * G + 1, &m, &[], &c),
        Verdict::NoFit {
            short_by: 2 * G + 2
        }
    );
}

#[test]
fn ram_fit_is_strictly_more_than_need_plus_buffer() {
    let c = cfg(2.0, &[]);
    assert_eq!(
        verdict("x", 6 * G, &mem(8 * G + 1, &[]), &[], &c),
        Verdict::Fits
    );
    assert_eq!(
        verdict("x", 6 * G, &mem(8 * G, &[]), &[], &c),
        Verdict::NoFit { short_by: 1 }
    );
    // RAM and VRAM together, the buffer counted once.
    assert_eq!(
        verdict("x", 10 * G, &mem(7 * G, &[5 * G + 1]), &[], &c),
        Verdict::Fits
    );
}

#[test]
fn unload_prefers_one_small_model_over_a_big_one() {
    let loaded = [
        running("big:70b", 40 * G),
        running("b:3b", 3 * G),
        running("a:3b", 3 * G),
    ];
    let c = cfg(0.0, &[]);
    let v = verdict("x", 10 * G, &mem(8 * G, &[]), &loaded, &c);
    assert_eq!(
        v,
        Verdict::FitsIfUnloaded {
            unload: vec!["a:3b".into()]
        }
    );
}

#[test]
fn unload_prefers_fewer_models_then_fewer_bytes() {
    let loaded = [
        running("big:70b", 40 * G),
        running("mid:13b", 9 * G),
        running("b:3b", 3 * G),
        running("a:3b", 3 * G),
    ];
    let c = cfg(0.0, &[]);
    // 5 GB short: one model suffices; the 9 GB one frees the least.
    let v = verdict("x", 13 * G, &mem(8 * G, &[]), &loaded, &c);
    assert_eq!(
        v,
        Verdict::FitsIfUnloaded {
            unload: vec!["mid:13b".into()]
        }
    );
    // 45 GB short: big alone is not enough; big + a 9 GB beats big + two 3 GB.
    let v = verdict("x", 53 * G, &mem(8 * G, &[]), &loaded, &c);
    assert_eq!(
        v,
        Verdict::FitsIfUnloaded {
            unload: vec!["big:70b".into(), "mid:13b".into()]
        }
    );
}

#[test]
fn pinned_models_are_never_suggested_for_unload() {
    let loaded = [running("keep:8b", 6 * G), running("other:3b", 3 * G)];
    let c = cfg(0.0, &["KEEP:8b"]);
    let v = verdict("x", 10 * G, &mem(8 * G, &[]), &loaded, &c);
    assert_eq!(
        v,
        Verdict::FitsIfUnloaded {
            unload: vec!["other:3b".into()]
        }
    );
    let v = verdict("x", 12 * G, &mem(8 * G, &[]), &loaded, &c);
    assert_eq!(v, Verdict::NoFit { short_by: G + 1 });
    let v = verdict_with("x", 10 * G, &mem(8 * G, &[]), &loaded, 0, |_| true);
    assert_eq!(
        v,
        Verdict::NoFit {
            short_by: 2 * G + 1
        }
    );
}

#[test]
fn many_loaded_models_fall_back_to_largest_first() {
    let loaded: Vec<RunningModel> = (0..14u64)
        .map(|i| running(&format!("m{i:02}:1b"), (i + 1) * G))
        .collect();
    let v = verdict("x", 30 * G, &mem(2 * G, &[]), &loaded, &cfg(0.0, &[]));
    assert_eq!(
        v,
        Verdict::FitsIfUnloaded {
            unload: vec!["m13:1b".into(), "m12:1b".into(), "m11:1b".into()]
        }
    );
}

#[test]
fn labels_read_without_colour_and_clean_names() {
    assert_eq!(Verdict::Loaded.label(), "● loaded");
    assert_eq!(Verdict::FitsGpu.label(), "✓ gpu");
    assert_eq!(Verdict::Fits.label(), "✓ fits");
    let unload = vec!["a:1b".into(), "evil\u{1b}[2J:1b".into()];
    assert_eq!(
        Verdict::FitsIfUnloaded { unload }.label(),
        "~ unload a:1b, evil:1b"
    );
    assert_eq!(
        Verdict::NoFit {
            short_by: 3_140_000_000
        }
        .label(),
        "✗ short 3.1 GB"
    );
    assert!(Verdict::Fits.fits_now() && !Verdict::NoFit { short_by: 1 }.fits_now());
}
