//! Verdict tables per release band. Each case names the Ollama function its rule
//! comes from (`server/sched.go` `processPending` unless said otherwise).

use super::*;
use crate::duration::KeepAlive;
use crate::memory::GpuMemory;

const GIB: u64 = 1 << 30;
const G: u64 = 1_000_000_000;

/// llama3.1:8b as `/api/show` describes it.
fn llama8b() -> (ModelEntry, Architecture) {
    let entry = ModelEntry {
        name: "llama3.1:8b".into(),
        size: 4_920_753_328,
        digest: "46e0".into(),
        ..ModelEntry::default()
    };
    let arch = Architecture {
        name: "llama".into(),
        block_count: Some(32),
        context_length: Some(131_072),
        embedding_length: Some(4096),
        head_count: Some(32),
        head_count_kv: vec![8],
        head_count_kv_min: Some(8),
        vocab_size: Some(128_256),
        ..Architecture::default()
    };
    (entry, arch)
}

/// qwen2.5-coder:32b.
fn coder32b() -> (ModelEntry, Architecture) {
    let entry = ModelEntry {
        name: "qwen2.5-coder:32b".into(),
        size: 19_851_336_256,
        digest: "4bd6".into(),
        ..ModelEntry::default()
    };
    let arch = Architecture {
        name: "qwen2".into(),
        block_count: Some(64),
        context_length: Some(32_768),
        embedding_length: Some(5120),
        head_count: Some(40),
        head_count_kv: vec![8],
        head_count_kv_min: Some(8),
        vocab_size: Some(152_064),
        ..Architecture::default()
    };
    (entry, arch)
}

fn mem(ram_free: u64, swap_free: u64, gpus: &[(u64, u64)]) -> MemorySnapshot {
    MemorySnapshot {
        ram_total: 64 * GIB,
        ram_available: ram_free,
        ram_used: 64 * GIB - ram_free,
        swap_total: swap_free,
        swap_used: 0,
        gpus: gpus
            .iter()
            .map(|&(total, free)| GpuMemory {
                name: "gpu".into(),
                total,
                used: total - free,
            })
            .collect(),
    }
}

fn running(name: &str, size: u64, vram: u64, expires: &str) -> RunningModel {
    RunningModel {
        name: name.into(),
        digest: format!("d-{name}"),
        size,
        size_vram: Some(vram),
        expires_at: expires.parse().ok(),
        ..RunningModel::default()
    }
}

const NOW: &str = "2026-01-01T00:00:00Z";
const IN_5M: &str = "2026-01-01T00:05:00Z";
const FOREVER: &str = "2318-01-01T00:00:00Z";

fn judge(
    version: &str,
    memory: Option<&MemorySnapshot>,
    loaded: &[RunningModel],
    model: (ModelEntry, Architecture),
) -> Judgement {
    let server = Server::new(Some(version), ServerSettings::default());
    let config = Config::default();
    let now: jiff::Timestamp = NOW.parse().expect("time");
    let book = KeepAliveBook::default();
    let scene = Scene::new(&server, memory, loaded, &config).order(&book, |_| None, now);
    let (entry, arch) = model;
    scene.judge(Model {
        entry: &entry,
        arch: Some(&arch),
        embedding_only: false,
    })
}

#[test]
fn context_follows_the_servers_priority_and_is_capped_at_training() {
    // modelOptions (routes.go v0.15.5): request > Modelfile > OLLAMA_CONTEXT_LENGTH > default.
    let m = mem(60 * GIB, 0, &[(24 * GIB, 24 * GIB)]);
    let ctx = |version: &str, config: &Config, settings: ServerSettings, arch: &Architecture| {
        let server = Server::new(Some(version), settings);
        let scene = Scene::new(&server, Some(&m), &[], config);
        let (entry, _) = llama8b();
        scene.context(
            Model {
                entry: &entry,
                arch: Some(arch),
                embedding_only: false,
            },
            None,
        )
    };
    let (_, arch) = llama8b();
    let plain = Config::default();
    assert_eq!(
        ctx("0.5.7", &plain, ServerSettings::default(), &arch).num_ctx,
        2048
    );
    assert_eq!(
        ctx("0.12.6", &plain, ServerSettings::default(), &arch).num_ctx,
        4096
    );
    let vram = ctx("0.33.0", &plain, ServerSettings::default(), &arch);
    assert_eq!(
        (vram.num_ctx, vram.source),
        (
            32_768,
            ContextSource::VramDefault {
                total_vram: 24 * GIB
            }
        )
    );
    let env = ServerSettings {
        context_length: Some(8192),
        ..ServerSettings::default()
    };
    assert_eq!(
        ctx("0.33.0", &plain, env.clone(), &arch).source,
        ContextSource::ServerSetting
    );
    let mut modelfile = arch.clone();
    modelfile.modelfile_num_ctx = Some(16_384);
    assert_eq!(
        ctx("0.33.0", &plain, env.clone(), &modelfile).num_ctx,
        16_384
    );
    let ours = Config {
        num_ctx: Some(1_000_000),
        ..Config::default()
    };
    let capped = ctx("0.33.0", &ours, env, &modelfile);
    // NewLlamaServer: "requested context size too large for model".
    assert_eq!(
        (capped.num_ctx, capped.capped, capped.source),
        (131_072, true, ContextSource::Override)
    );
}

#[test]
fn parallel_slots_multiply_the_kv_cache_by_band() {
    // pickBestFullFitByLibrary (v0.5.7): defaultParallel 4, KV for num_ctx × 4.
    let m = mem(60 * GIB, 0, &[]);
    let old = judge("0.5.7", Some(&m), &[], llama8b());
    let new = judge("0.12.6", Some(&m), &[], llama8b());
    let kv = |j: &Judgement| match j.need.source {
        NeedSource::Estimate { kv, .. } => kv,
        ref other => panic!("{other:?}"),
    };
    // 2048 × 4 slots vs 4096 × 1 slot: twice the tokens.
    assert_eq!(kv(&old), 2 * kv(&new));
    assert_eq!(new.need.context.map(|c| c.slots), Some(1));
}

#[test]
fn a_gpu_model_must_fit_whole_beside_others_or_ollama_evicts() {
    // v0.12.6 load(requireFull=true) → ErrLoadRequiredFull → findRunnerToUnload.
    // 4 GiB of VRAM free and plenty of RAM: the old "RAM + VRAM" rule said fits.
    let m = mem(40 * GIB, 0, &[(24 * GIB, 4 * GIB)]);
    let other = running("mistral:7b", 20 * GIB, 20 * GIB, IN_5M);
    let j = judge("0.12.6", Some(&m), std::slice::from_ref(&other), llama8b());
    match j.verdict {
        Verdict::FitsIfUnloaded {
            unload,
            why,
            landing,
        } => {
            assert_eq!(unload, ["mistral:7b"]);
            assert_eq!(why, Evict::Memory);
            assert_eq!(landing, Landing::Gpu);
        }
        v => panic!("{v:?}"),
    }
    // With enough VRAM it loads beside it, on the GPU.
    let roomy = mem(40 * GIB, 0, &[(24 * GIB, 12 * GIB)]);
    let j = judge("0.12.6", Some(&roomy), &[other], llama8b());
    assert_eq!(j.verdict, Verdict::Fits(Landing::Gpu));
}

#[test]
fn only_a_first_model_may_split_between_cpu_and_gpu() {
    // loadedCount == 0 → load(requireFull=false) → pickBestPartialFitByLibrary.
    let m = mem(40 * GIB, 0, &[(24 * GIB, 4 * GIB)]);
    let j = judge("0.12.6", Some(&m), &[], llama8b());
    match j.verdict {
        Verdict::Fits(Landing::Split { gpu_percent }) => {
            assert!((30..90).contains(&gpu_percent), "{gpu_percent}")
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn current_servers_predict_the_32b_coder_at_32k_and_keep_20_percent_free() {
    // PredictServerVRAM + the 80 % pre-flight check (sched.go load, v0.30+).
    let m = mem(48 * GIB, 0, &[(24 * GIB, 24 * GIB)]);
    let alone = judge("0.33.0", Some(&m), &[], coder32b());
    assert!(
        alone.need.bytes > 28 * G && alone.need.bytes < 29 * G,
        "{}",
        alone.need.bytes
    );
    assert!(
        matches!(alone.verdict, Verdict::Fits(Landing::Split { .. })),
        "{:?}",
        alone.verdict
    );
    // Beside a 2 GB model with 22 GiB free the prediction exceeds 80 %: evict.
    let small = running("llama3.2:3b", 2 * GIB, 2 * GIB, IN_5M);
    let crowded = mem(46 * GIB, 0, &[(24 * GIB, 22 * GIB)]);
    let j = judge("0.33.0", Some(&crowded), &[small], coder32b());
    assert!(
        matches!(j.verdict, Verdict::FitsIfUnloaded { .. }),
        "{:?}",
        j.verdict
    );
}

#[test]
fn cpu_only_hosts_use_ram_and_swap_only_on_a_first_load_before_0_30() {
    // llamaServer.Load (v0.12.6): TotalSize − VRAM ≤ free RAM + free swap;
    // maybeFindCPURunnerToUnload: beside others, the whole estimate ≤ free RAM.
    let tight = mem(4 * GIB, 4 * GIB, &[]);
    let first = judge("0.12.6", Some(&tight), &[], llama8b());
    assert_eq!(first.verdict, Verdict::Fits(Landing::Cpu));
    // ≥ 0.30 does not count swap.
    let new = judge("0.33.0", Some(&tight), &[], llama8b());
    assert!(
        matches!(new.verdict, Verdict::NoFit { .. }),
        "{:?}",
        new.verdict
    );
    // Beside another model, swap does not count either: Ollama evicts.
    let other = running("phi3:mini", 3 * GIB, 0, IN_5M);
    let beside = judge("0.12.6", Some(&tight), &[other], llama8b());
    assert!(
        matches!(beside.verdict, Verdict::FitsIfUnloaded { .. }),
        "{:?}",
        beside.verdict
    );
    // Nothing frees enough: short by the missing bytes.
    let tiny = mem(GIB, 0, &[]);
    match judge("0.12.6", Some(&tiny), &[], llama8b()).verdict {
        Verdict::NoFit { short_by } => {
            assert!(short_by > 3 * GIB && short_by < 6 * GIB, "{short_by}")
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn the_count_limit_evicts_even_with_memory_to_spare() {
    let roomy = mem(60 * GIB, 0, &[]);
    // ≤ 0.1.48: OLLAMA_MAX_LOADED_MODELS defaults to 1.
    let one = [running("phi3:mini", GIB, 0, IN_5M)];
    match judge("0.1.48", Some(&roomy), &one, llama8b()).verdict {
        Verdict::FitsIfUnloaded { why, .. } => assert_eq!(why, Evict::CountLimit(1)),
        v => panic!("{v:?}"),
    }
    assert_eq!(
        judge("0.12.6", Some(&roomy), &one, llama8b()).verdict,
        Verdict::Fits(Landing::Cpu)
    );
    // 3 × max(GPUs, 1) from v0.12: three loaded on a CPU-only host is the limit.
    let three = [
        running("a:1b", GIB, 0, IN_5M),
        running("b:1b", GIB, 0, IN_5M),
        running("c:1b", GIB, 0, FOREVER),
    ];
    match judge("0.12.6", Some(&roomy), &three, llama8b()).verdict {
        Verdict::FitsIfUnloaded { unload, why, .. } => {
            assert_eq!(why, Evict::CountLimit(3));
            assert_eq!(unload, ["a:1b"]);
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn victims_follow_configured_keep_alive_with_pins_last() {
    // ByDurationAndName: the pinned (forever) model goes only after the others.
    let m = mem(40 * GIB, 0, &[(24 * GIB, 2 * GIB)]);
    let loaded = [
        running("pinned:8b", 6 * GIB, 6 * GIB, FOREVER),
        running("long:8b", 8 * GIB, 8 * GIB, "2026-01-01T00:01:00Z"),
        running("short:8b", 8 * GIB, 8 * GIB, "2026-01-01T00:04:00Z"),
    ];
    let server = Server::new(Some("0.12.6"), ServerSettings::default());
    let config = Config::default();
    let now: jiff::Timestamp = NOW.parse().expect("time");
    let mut book = KeepAliveBook::default();
    book.requested(
        "long:8b",
        Some(KeepAlive::For(std::time::Duration::from_secs(3600))),
        None,
    );
    book.requested(
        "short:8b",
        Some(KeepAlive::For(std::time::Duration::from_secs(300))),
        None,
    );
    book.observe(&loaded, now);
    let scene = Scene::new(&server, Some(&m), &loaded, &config).order(&book, |_| None, now);
    assert_eq!(scene.next_to_go(), Some("short:8b"));
    let (entry, arch) = coder32b();
    let j = scene.judge(Model {
        entry: &entry,
        arch: Some(&arch),
        embedding_only: false,
    });
    match j.verdict {
        Verdict::FitsIfUnloaded { unload, .. } => {
            assert_eq!(unload, ["short:8b", "long:8b", "pinned:8b"])
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn loaded_aliases_unknown_memory_and_cloud_models() {
    let m = mem(40 * GIB, 0, &[]);
    let (mut entry, arch) = llama8b();
    // Same digest under another name: one runner (ollama-api.md §9.3).
    let alias = RunningModel {
        name: "llama3.1:latest".into(),
        digest: entry.digest.clone(),
        size: 6 * GIB,
        ..RunningModel::default()
    };
    assert_eq!(
        judge("0.12.6", Some(&m), &[alias], (entry.clone(), arch.clone())).verdict,
        Verdict::Loaded
    );
    assert_eq!(
        judge("0.12.6", None, &[], (entry.clone(), arch.clone())).verdict,
        Verdict::Unknown
    );
    entry.remote_host = Some("https://ollama.com:443".into());
    let cloud = judge("0.12.6", Some(&m), &[], (entry, arch));
    assert_eq!((cloud.verdict, cloud.need.bytes), (Verdict::Remote, 0));
}

#[test]
fn learned_needs_win_over_the_estimate() {
    let m = mem(40 * GIB, 0, &[]);
    let (entry, arch) = llama8b();
    let mut learned = Learned::default();
    learned.observe(&[RunningModel {
        name: entry.name.clone(),
        digest: entry.digest.clone(),
        size: 7 * G,
        size_vram: Some(0),
        context_length: Some(4096),
        ..RunningModel::default()
    }]);
    let server = Server::new(Some("0.12.6"), ServerSettings::default());
    let config = Config::default();
    let scene = Scene::new(&server, Some(&m), &[], &config).with_learned(&learned);
    let j = scene.judge(Model {
        entry: &entry,
        arch: Some(&arch),
        embedding_only: false,
    });
    assert_eq!(j.need.bytes, 7 * G);
    assert!(matches!(
        j.need.source,
        NeedSource::Observed { estimate: Some(_) }
    ));
}

#[test]
fn the_largest_context_that_fits_is_found() {
    // 8 GiB free on a CPU-only 0.12.6 host: llama3.1:8b at 131072 needs 16 GiB of KV.
    let m = mem(8 * GIB, 0, &[]);
    let server = Server::new(Some("0.12.6"), ServerSettings::default());
    let config = Config::default();
    let scene = Scene::new(&server, Some(&m), &[], &config);
    let (entry, arch) = llama8b();
    let model = Model {
        entry: &entry,
        arch: Some(&arch),
        embedding_only: false,
    };
    let best = scene
        .largest_fitting_context(model)
        .expect("some context fits");
    assert!((4096..131_072).contains(&best), "{best}");
}

#[test]
fn labels_read_without_colour_and_clean_names() {
    let v = Verdict::FitsIfUnloaded {
        unload: vec!["bad\u{1b}[31mname".into()],
        why: Evict::Memory,
        landing: Landing::Gpu,
    };
    assert_eq!(v.label(), "⇄ evicts badname");
    assert_eq!(
        Verdict::Fits(Landing::Split { gpu_percent: 62 }).label(),
        "✓ 62% GPU"
    );
    assert_eq!(Verdict::Fits(Landing::Gpu).key(), "fits_gpu");
    assert_eq!(Verdict::Unknown.key(), "unknown");
}

#[test]
fn a_derivative_of_the_loaded_weights_is_loaded() {
    // sched.go keys runners by ModelPath: a Modelfile FROM derivative with its own
    // digest runs on the same runner (ollama-api.md §9.3).
    let m = mem(40 * GIB, 0, &[]);
    let (entry, mut arch) = llama8b();
    arch.weights_blob = Some("sha256-aaaa".into());
    let base = running("llama3.1:8b-base", 6 * GIB, 0, IN_5M);
    let server = Server::new(Some("0.12.6"), ServerSettings::default());
    let config = Config::default();
    let now: jiff::Timestamp = NOW.parse().expect("time");
    let running = [base];
    let scene = Scene::new(&server, Some(&m), &running, &config).order(
        &KeepAliveBook::default(),
        |_| Some("sha256-aaaa".into()),
        now,
    );
    let model = Model {
        entry: &entry,
        arch: Some(&arch),
        embedding_only: false,
    };
    assert_eq!(scene.judge(model).verdict, Verdict::Loaded);
    let other = Scene::new(&server, Some(&m), &running, &config).order(
        &KeepAliveBook::default(),
        |_| Some("sha256-bbbb".into()),
        now,
    );
    assert_ne!(other.judge(model).verdict, Verdict::Loaded);
}
