use std::time::Duration;

use jiff::SignedDuration;

use super::*;
use crate::sim::catalog::Catalog;
use crate::sim::classic::{CPU_REQUIRED_FULL, RUNNER_KILLED};
use crate::sim::env::Env;
use crate::sim::placement::LLAMA_SERVER_OOM;
use crate::sim::{GpuSpec, SimOptions};

const GIB: u64 = 1 << 30;
const FIVE_MIN: KeepAlive = KeepAlive::For(Duration::from_secs(300));

fn model(name: &str) -> CatalogModel {
    Catalog::embedded()
        .find(name)
        .cloned()
        .expect("model in the embedded catalog")
}

fn options(version: &str, gpus: &[u64], ram: u64) -> SimOptions {
    SimOptions {
        version: version.into(),
        gpus: gpus
            .iter()
            .map(|g| GpuSpec {
                name: "GPU".into(),
                vram: g * GIB,
            })
            .collect(),
        ram_total: ram * GIB,
        ..SimOptions::for_tests()
    }
}

fn host(version: &str, gpus: &[u64], ram: u64) -> Host {
    Host::new(Env::new(&options(version, gpus, ram)))
}

/// Schedules and finishes the load at `now`.
fn load_at(
    h: &mut Host,
    m: &CatalogModel,
    num_ctx: Option<u64>,
    keep_alive: Option<KeepAlive>,
    now: Timestamp,
) -> Result<Scheduled, String> {
    let req = Request {
        model: m,
        num_ctx,
        keep_alive,
    };
    let out = h.schedule(&req, now)?;
    if let Scheduled::Loading { id, .. } = out {
        assert!(h.finish_load(id, now));
    }
    Ok(out)
}

fn load(h: &mut Host, name: &str, keep_alive: Option<KeepAlive>) -> Result<Scheduled, String> {
    load_at(h, &model(name), None, keep_alive, Timestamp::now())
}

fn names(h: &Host) -> Vec<String> {
    let mut n: Vec<String> = h.runners.iter().map(|r| r.model.name.clone()).collect();
    n.sort();
    n
}

fn parallel_of(version: &str, gpus: &[u64], name: &str) -> u64 {
    let mut h = host(version, gpus, 64);
    load(&mut h, name, None).expect("loads");
    h.runners[0].parallel
}

/// `findRunnerToUnload` + `ByDurationAndName` (v0.12.6 `server/sched.go`): the
/// configured keep-alive decides, not the time left; ties go by model path.
#[test]
fn victims_by_configured_keep_alive_then_model_path_not_time_left() {
    let now = Timestamp::now();
    let earlier = now
        .checked_sub(SignedDuration::from_secs(540))
        .expect("in range");
    let mut h = host("0.12.6", &[], 64);
    let ten = KeepAlive::For(Duration::from_secs(600));
    // 10m loaded 9 minutes ago: 1 minute left. 5m loaded now: 5 minutes left.
    load_at(&mut h, &model("mistral:7b"), None, Some(ten), earlier).expect("loads");
    load_at(&mut h, &model("gemma2:9b"), None, Some(FIVE_MIN), now).expect("loads");
    let victim = h.victim().and_then(|id| h.unload_id(id));
    assert_eq!(victim.as_deref(), Some("gemma2:9b"));

    // Same keep-alive: the smaller weights path goes first, whatever the name.
    let mut h = host("0.12.6", &[], 64);
    let mut a = model("phi3:mini");
    a.weights = Some("f".repeat(64));
    let mut b = model("qwen2.5:7b");
    b.weights = Some("0".repeat(64));
    for m in [&a, &b] {
        load_at(&mut h, m, None, Some(FIVE_MIN), now).expect("loads");
    }
    load(&mut h, "llama3.2:3b", Some(KeepAlive::Forever)).expect("loads");
    let order: Vec<String> =
        std::iter::from_fn(|| h.victim().and_then(|id| h.unload_id(id))).collect();
    assert_eq!(order, ["qwen2.5:7b", "phi3:mini", "llama3.2:3b"]);
}

/// v0.1.48 `envconfig` `MaxRunners = 1`; v0.12.6 `defaultModelsPerGPU × 1` (the
/// CPU counts as one device); from v0.12.7 `3 × max(GPUs, 1)`.
#[test]
fn count_limit_per_band() {
    let mut old = host("0.1.48", &[], 64);
    load(&mut old, "phi3:mini", None).expect("loads");
    load(&mut old, "llama3.2:3b", None).expect("loads");
    assert_eq!(names(&old), ["llama3.2:3b"]);

    let mut h = host("0.12.6", &[], 64);
    load(
        &mut h,
        "phi3:mini",
        Some(KeepAlive::For(Duration::from_secs(60))),
    )
    .expect("loads");
    for m in ["llama3.2:3b", "mistral:7b", "qwen2.5:7b"] {
        load(&mut h, m, Some(FIVE_MIN)).expect("loads");
    }
    assert_eq!(h.runners.len(), 3);
    assert!(h.find("phi3:mini").is_none(), "{:?}", names(&h));
    assert_eq!(host("0.33.0-rc2", &[24, 24], 64).env.max_loaded, 6);
}

/// `defaultParallel` (4 at v0.5.7, 2 at v0.9.6, tried before 1 by
/// `pickBestFullFitByLibrary`; always on CPU), 1 from v0.10.0; embedding models
/// 1 (`processPending` / `load`).
#[test]
fn parallel_slots_per_band() {
    assert_eq!(parallel_of("0.5.7", &[24], "llama3.1:8b"), 4);
    assert_eq!(
        parallel_of("0.5.7", &[12], "qwen2.5-coder:32b"),
        1,
        "partial"
    );
    assert_eq!(parallel_of("0.5.7", &[], "llama3.1:8b"), 4);
    assert_eq!(parallel_of("0.5.7", &[], "nomic-embed-text"), 1);
    assert_eq!(parallel_of("0.9.6", &[], "llama3.1:8b"), 2);
    // 9 GiB: two slots (9.2 GiB) do not fit fully, one (8.8 GiB) does.
    assert_eq!(parallel_of("0.9.6", &[9], "qwen2.5:7b-instruct-q8_0"), 1);
    assert_eq!(parallel_of("0.12.6", &[24], "llama3.1:8b"), 1);
    assert_eq!(parallel_of("0.1.48", &[], "llama3.1:8b"), 1);
    let mut h = Host::new(Env::new(&SimOptions {
        num_parallel: Some(2),
        ..options("0.12.6", &[], 64)
    }));
    load(&mut h, "llama3.1:8b", None).expect("loads");
    assert_eq!(
        (h.runners[0].parallel, h.runners[0].num_ctx),
        (2, 4096),
        "per slot"
    );
}

/// `needsReload` + `load` (v0.12.6): another `num_ctx` reloads, and the new runner
/// takes the request's keep-alive or `OLLAMA_KEEP_ALIVE`, never the old one's.
#[test]
fn reload_on_a_different_num_ctx_takes_the_requests_keep_alive() {
    let now = Timestamp::now();
    let llama = model("llama3.1:8b");
    let mut h = host("0.12.6", &[], 64);
    load_at(&mut h, &llama, Some(8192), Some(KeepAlive::Forever), now).expect("loads");
    let big = h.runners[0].size;
    let out = load_at(&mut h, &llama, None, None, now).expect("reloads");
    assert!(matches!(out, Scheduled::Loading { .. }));
    let r = &h.runners[0];
    assert_eq!((r.num_ctx, r.keep_alive), (4096, FIVE_MIN));
    assert!(big - r.size >= 512 << 20, "half the KV cache is gone");
    load_at(
        &mut h,
        &llama,
        Some(8192),
        Some(KeepAlive::For(Duration::from_secs(600))),
        now,
    )
    .expect("reloads");
    assert_eq!(
        h.runners[0].keep_alive,
        KeepAlive::For(Duration::from_secs(600))
    );
    // Same options, no keep_alive: kept (≥ v0.2.0 `useLoadedRunner`).
    let out = load_at(&mut h, &llama, Some(8192), None, now).expect("reuses");
    assert_eq!(out, Scheduled::Ready);
    assert_eq!(
        h.runners[0].keep_alive,
        KeepAlive::For(Duration::from_secs(600))
    );
}

/// v0.1.48 `useLoadedRunner` always sets the request's duration, and the
/// handler fills in the default when keep_alive is absent.
#[test]
fn absent_keep_alive_resets_a_runner_on_0_1_48() {
    let mut h = host("0.1.48", &[], 64);
    load(&mut h, "phi3:mini", Some(KeepAlive::Forever)).expect("loads");
    assert_eq!(load(&mut h, "phi3:mini", None), Ok(Scheduled::Ready));
    assert_eq!(h.runners[0].keep_alive, FIVE_MIN);
}

/// `Scheduler.loaded` is keyed by `ModelPath`: an alias reuses the runner.
#[test]
fn an_alias_shares_the_runner_of_its_weights() {
    let llama = model("llama3.1:8b");
    let mut alias = llama.clone();
    alias.name = "llama3.1:latest".into();
    alias.digest = "a".repeat(64);
    alias.weights = Some(llama.weights());
    let mut h = host("0.12.6", &[], 64);
    let now = Timestamp::now();
    load_at(&mut h, &llama, None, None, now).expect("loads");
    assert_eq!(
        load_at(&mut h, &alias, None, None, now),
        Ok(Scheduled::Ready)
    );
    assert_eq!(names(&h), ["llama3.1:8b"]);
    assert!(h.unload_weights(&alias.weights()));
    assert!(h.runners.is_empty());
}

/// ≥ v0.30: two automatic contexts never force a reload (`needsReload`), and a
/// load that runs out of memory retries once at a lower automatic context
/// (`reduceAutoNumCtxForLoadOOM`); an explicit context gets the error.
#[test]
fn llama_server_lowers_an_automatic_context_after_running_out_of_memory() {
    let coder = model("qwen2.5-coder:32b");
    // 24 GiB: default 32768; 2 GiB of RAM cannot take what the GPU cannot.
    let mut h = host("0.33.0-rc2", &[24], 2);
    let now = Timestamp::now();
    load_at(&mut h, &coder, None, None, now).expect("loads at a lower context");
    assert_eq!((h.runners[0].num_ctx, h.runners[0].ctx_auto), (4096, true));
    assert_eq!(
        load_at(&mut h, &coder, None, None, now),
        Ok(Scheduled::Ready)
    );
    let err = load_at(&mut h, &coder, Some(32_768), None, now).expect_err("no retry");
    assert_eq!(err, LLAMA_SERVER_OOM);
}

/// ≥ v0.30 CPU-only: no pre-flight; a crash for memory with others loaded evicts
/// all of them and retries once (`evictAllAndWait`).
#[test]
fn llama_server_evicts_everything_after_a_crash_for_memory() {
    let mut h = host("0.33.0-rc2", &[], 12);
    load(&mut h, "llama3.1:8b", None).expect("loads");
    load(&mut h, "qwen2.5:7b-instruct-q8_0", None).expect("loads after evicting all");
    assert_eq!(names(&h), ["qwen2.5:7b-instruct-q8_0"]);
}

/// CPU-only, v0.12.6: a first load may spill into swap (`llamaServer.Load`: free
/// RAM + free swap); with another loaded, the estimate must fit in free RAM
/// (`predictServerFit`), else a victim goes. v0.12.10 `verifyCPUFit` has no swap.
#[test]
fn cpu_only_first_load_may_use_swap_but_a_second_needs_free_ram() {
    let with_swap = SimOptions {
        swap_total: 4 * GIB,
        ..options("0.12.6", &[], 6)
    };
    let mut h = Host::new(Env::new(&with_swap));
    load(&mut h, "qwen2.5:7b-instruct-q8_0", None).expect("fits with swap");
    assert!(h.swap_used() > 0);
    load(&mut h, "llama3.2:3b", None).expect("loads after evicting");
    assert_eq!(names(&h), ["llama3.2:3b"]);

    let mut newer = Host::new(Env::new(&SimOptions {
        version: "0.12.10".into(),
        ..with_swap
    }));
    let err = load(&mut newer, "qwen2.5:7b-instruct-q8_0", None).expect_err("no swap");
    assert_eq!(err, CPU_REQUIRED_FULL);
    let mut no_swap = host("0.12.6", &[], 6);
    let err = load(&mut no_swap, "qwen2.5:7b-instruct-q8_0", None).expect_err("too big");
    assert!(err.ends_with("than is available (6.0 GiB)"), "{err}");
}

/// The 500s each band gives for a model that cannot fit at all.
#[test]
fn failure_texts_per_band() {
    let fail = |v: &str| load(&mut host(v, &[], 4), "llama3.1:8b", None).expect_err("too big");
    assert_eq!(fail("0.1.48"), RUNNER_KILLED);
    assert!(
        fail("0.2.0").starts_with("requested model (5."),
        "{}",
        fail("0.2.0")
    );
    assert!(fail("0.2.0").ends_with("is too large for this system (4.0 GiB)"));
    for v in ["0.5.7", "0.12.6", "0.13.0", "0.24.0"] {
        let e = fail(v);
        assert!(
            e.starts_with("model requires more system memory ("),
            "{v}: {e}"
        );
        assert!(e.ends_with(" GiB) than is available (4.0 GiB)"), "{v}: {e}");
    }
    assert_eq!(fail("0.12.10"), CPU_REQUIRED_FULL);
    assert_eq!(fail("0.33.0-rc2"), LLAMA_SERVER_OOM);
}

/// With a model loaded on a GPU host, the next must fit fully beside it
/// (classic `requireFull`, ≥ 0.30 pre-flight), else the first is evicted; two
/// that fit share the GPU.
#[test]
fn a_gpu_host_evicts_what_does_not_fit_fully_beside_the_new_model() {
    for v in ["0.5.7", "0.12.6", "0.15.5", "0.33.0-rc2"] {
        let mut h = host(v, &[12], 64);
        load(&mut h, "llama3.1:8b", None).expect("loads");
        load(&mut h, "qwen2.5:7b-instruct-q8_0", None).expect("loads");
        assert_eq!(names(&h), ["qwen2.5:7b-instruct-q8_0"], "{v}");
        let r = &h.runners[0];
        assert_eq!(r.size_vram(), r.size, "{v}: alone it fits fully");
        load(&mut h, "qwen2.5-coder:1.5b", None).expect("loads");
        assert_eq!(h.runners.len(), 2, "{v}: a small one fits beside it");
    }
}

#[test]
fn an_empty_gpu_splits_a_model_too_big_for_it() {
    for v in ["0.5.7", "0.12.6", "0.15.5", "0.33.0-rc2"] {
        let mut h = host(v, &[12], 64);
        load(&mut h, "qwen2.5-coder:32b", None).expect("loads");
        let r = &h.runners[0];
        assert!(r.size_vram() > 0 && r.size_vram() < r.size, "{v}: {r:?}");
    }
}

#[test]
fn sweep_removes_expired_and_forever_is_centuries_ahead() {
    let now = Timestamp::now();
    let mut h = host("0.12.6", &[], 64);
    load_at(
        &mut h,
        &model("gemma2:9b"),
        None,
        Some(KeepAlive::For(Duration::from_secs(1))),
        now,
    )
    .expect("loads");
    load_at(
        &mut h,
        &model("mistral:7b"),
        None,
        Some(KeepAlive::Forever),
        now,
    )
    .expect("loads");
    let order: Vec<_> = h
        .ps_order(now)
        .iter()
        .map(|r| r.model.name.clone())
        .collect();
    assert_eq!(order, ["mistral:7b", "gemma2:9b"]);
    let forever = h.find("mistral:7b").and_then(|r| r.expires_at);
    let year = forever.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year());
    assert!(year.is_some_and(|y| y >= 2300), "{year:?}");
    let later = now
        .checked_add(SignedDuration::from_secs(2))
        .expect("in range");
    assert_eq!(h.sweep(later), vec!["gemma2:9b".to_string()]);
    assert_eq!(h.runners.len(), 1);
}

#[test]
fn human_bytes2_matches_ollama() {
    use crate::sim::human_bytes2;
    assert_eq!(human_bytes2(13_207_024_435), "12.3 GiB");
    assert_eq!(human_bytes2(500 * 1024 * 1024), "500.0 MiB");
    assert_eq!(human_bytes2(12), "12 B");
}
