use super::*;

const GIB: u64 = 1 << 30;

#[test]
fn versions_parse_with_prereleases_and_dev_builds() {
    assert_eq!(Version::parse("0.12.6"), Version(0, 12, 6));
    assert_eq!(Version::parse("v0.33.0-rc2"), Version(0, 33, 0));
    assert_eq!(Version::parse("0.5"), Version(0, 5, 0));
    assert_eq!(
        Version::parse("0.0.0"),
        Version::NEWEST,
        "a development build"
    );
    assert_eq!(Version::parse("main"), Version::NEWEST);
    assert!(Version::parse("0.10.0") > Version::parse("0.9.6"));
}

#[test]
fn bands_start_at_the_tags_that_changed_scheduling() {
    let band = |v: &str| Band::of(Version::parse(v));
    assert_eq!(band("0.1.48"), Band::Single);
    assert_eq!(band("0.2.0"), Band::Parallel4);
    assert_eq!(band("0.6.6"), Band::Parallel4);
    assert_eq!(band("0.6.7"), Band::Parallel2);
    assert_eq!(band("0.9.6"), Band::Parallel2);
    assert_eq!(band("0.10.0"), Band::Estimate);
    assert_eq!(band("0.12.10"), Band::Estimate);
    assert_eq!(band("0.12.11"), Band::Layout);
    assert_eq!(band("0.15.4"), Band::Layout);
    assert_eq!(band("0.15.5"), Band::LayoutVramCtx);
    assert_eq!(band("0.29.3"), Band::LayoutVramCtx);
    assert_eq!(band("0.30.0"), Band::LlamaServer);
    assert_eq!(band("0.33.0-rc2"), Band::LlamaServer);
    assert_eq!(band("0.0.0"), Band::LlamaServer);
    assert_eq!(Band::Estimate.engine(), Engine::Estimate);
    assert_eq!(Band::LayoutVramCtx.engine(), Engine::Layout);
}

/// `api.DefaultOptions` / `envconfig.ContextLength` (v0.6.6: 2048, v0.6.7: 4096) and
/// `server/routes.go` `Serve` (v0.15.5: by total VRAM less `OLLAMA_GPU_OVERHEAD`).
#[test]
fn default_context_per_band_and_by_vram() {
    let ctx =
        |v: &str, gpus: &[u64], overhead: u64| default_num_ctx(Version::parse(v), gpus, overhead);
    assert_eq!(ctx("0.1.48", &[], 0), 2048);
    assert_eq!(ctx("0.6.6", &[48 * GIB], 0), 2048);
    assert_eq!(ctx("0.6.7", &[48 * GIB], 0), 4096);
    assert_eq!(ctx("0.15.4", &[48 * GIB], 0), 4096);
    assert_eq!(ctx("0.15.5", &[], 0), 4096);
    assert_eq!(ctx("0.15.5", &[22 * GIB], 0), 4096);
    assert_eq!(ctx("0.15.5", &[23 * GIB], 0), 32_768);
    assert_eq!(ctx("0.15.5", &[24 * GIB, 24 * GIB], 0), 262_144);
    assert_eq!(
        ctx("0.33.0-rc2", &[48 * GIB], 2 * GIB),
        32_768,
        "overhead counts"
    );
}

/// `defaultParallel` and `defaultModelsPerGPU` (`server/sched.go` at each tag).
#[test]
fn parallel_slots_and_count_limit_per_band() {
    assert_eq!(Band::Single.auto_parallel(), &[1]);
    assert_eq!(Band::Parallel4.auto_parallel(), &[4, 1]);
    assert_eq!(Band::Parallel2.auto_parallel(), &[2, 1]);
    assert_eq!(Band::Estimate.auto_parallel(), &[1]);
    assert_eq!(Band::LlamaServer.auto_parallel(), &[1]);
    assert_eq!(Band::Single.auto_max_loaded(2), 1);
    assert_eq!(
        Band::Parallel4.auto_max_loaded(0),
        3,
        "the CPU counts as one"
    );
    assert_eq!(Band::Estimate.auto_max_loaded(2), 6);
    assert_eq!(Band::LlamaServer.auto_max_loaded(0), 3);
    assert!(!Band::Single.absent_keep_alive_keeps());
    assert!(Band::Parallel4.absent_keep_alive_keeps());
}

/// `NewLlamaServer` (v0.1.48 and v0.2.1 none, v0.2.2 and v0.5.7 with swap), `verifyCPUFit` (v0.12.7 –
/// v0.12.10), `verifyLayout` (v0.12.11, with swap).
#[test]
fn cpu_first_load_checks_per_version() {
    let check = |v: &str| cpu_first_load(Version::parse(v));
    assert_eq!(check("0.1.48"), CpuFirstLoad::None);
    assert_eq!(check("0.2.1"), CpuFirstLoad::None);
    assert_eq!(check("0.2.2"), CpuFirstLoad::WithSwap);
    assert_eq!(check("0.5.7"), CpuFirstLoad::WithSwap);
    assert_eq!(check("0.12.6"), CpuFirstLoad::WithSwap);
    assert_eq!(check("0.12.7"), CpuFirstLoad::FreeOnly);
    assert_eq!(check("0.12.10"), CpuFirstLoad::FreeOnly);
    assert_eq!(check("0.12.11"), CpuFirstLoad::WithSwap);
    assert!(too_large_precheck(Version::parse("0.2.1")));
    assert!(!too_large_precheck(Version::parse("0.2.2")));
    assert!(!caps_context(Version::parse("0.9.2")));
    assert!(caps_context(Version::parse("0.9.3")));
}
