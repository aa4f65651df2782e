use super::*;
use crate::sim::catalog::Catalog;

const GB: u64 = 1_000_000_000;

fn model(name: &str) -> CatalogModel {
    Catalog::embedded()
        .find(name)
        .cloned()
        .expect("model in the embedded catalog")
}

fn loaded(host: &mut Host, name: &str, size: u64, ka: KeepAlive, now: Timestamp) {
    let id = host.start_load(model(name), size, 4096, ka);
    assert!(host.finish_load(id, now));
}

#[test]
fn victims_go_shortest_keep_alive_first_forever_last_ties_by_name() {
    let now = Timestamp::now();
    let mut host = Host::new(100 * GB, 0, vec![]);
    loaded(&mut host, "mistral:7b", GB, KeepAlive::Forever, now);
    loaded(
        &mut host,
        "llama3.2:3b",
        GB,
        KeepAlive::For(Duration::from_secs(3600)),
        now,
    );
    loaded(
        &mut host,
        "gemma2:9b",
        GB,
        KeepAlive::For(Duration::from_secs(60)),
        now,
    );
    loaded(
        &mut host,
        "codellama:7b",
        GB,
        KeepAlive::For(Duration::from_secs(60)),
        now,
    );
    let mut order = Vec::new();
    while let Some(v) = host.victim() {
        host.unload(&v);
        order.push(v);
    }
    assert_eq!(
        order,
        ["codellama:7b", "gemma2:9b", "llama3.2:3b", "mistral:7b"]
    );
}

#[test]
fn memory_goes_to_gpus_first_and_oom_says_gib() {
    let now = Timestamp::now();
    let mut host = Host::new(16 * GB, 2 * GB, vec![("GPU".into(), 8 * GB)]);
    loaded(&mut host, "llama3.1:8b", 10 * GB, KeepAlive::Forever, now);
    let r = host.find("llama3.1:8b").expect("loaded");
    assert_eq!(r.size_vram(), 8 * GB);
    assert_eq!(r.ram(), 2 * GB);
    let snap = host.snapshot();
    assert_eq!(snap.ram_available, 12 * GB);
    assert_eq!(snap.gpus[0].free(), 0);
    // 40 GB cannot fit even with everything evicted: 22 GB is all there is.
    let err = host.make_room(40 * GB, 3).expect_err("cannot fit");
    assert_eq!(
        err,
        "model requires more system memory (37.3 GiB) than is available (20.5 GiB)"
    );
    assert!(host.runners.is_empty(), "Ollama evicts everything first");
}

#[test]
fn count_limit_and_pressure_evict_only_what_is_needed() {
    let now = Timestamp::now();
    let mut host = Host::new(10 * GB, 0, vec![]);
    let five = KeepAlive::For(Duration::from_secs(300));
    loaded(&mut host, "mistral:7b", 3 * GB, KeepAlive::Forever, now);
    loaded(&mut host, "gemma2:9b", 3 * GB, five, now);
    assert_eq!(host.make_room(3 * GB, 2), Ok(vec!["gemma2:9b".to_string()]));
    loaded(&mut host, "llama3.2:3b", 3 * GB, five, now);
    assert_eq!(
        host.make_room(5 * GB, 3),
        Ok(vec!["llama3.2:3b".to_string()])
    );
}

#[test]
fn sweep_removes_expired_and_forever_is_centuries_ahead() {
    let now = Timestamp::now();
    let mut host = Host::new(100 * GB, 0, vec![]);
    loaded(
        &mut host,
        "gemma2:9b",
        GB,
        KeepAlive::For(Duration::from_secs(1)),
        now,
    );
    loaded(&mut host, "mistral:7b", GB, KeepAlive::Forever, now);
    let order: Vec<_> = host
        .ps_order(now)
        .iter()
        .map(|r| r.model.name.clone())
        .collect();
    assert_eq!(order, ["mistral:7b", "gemma2:9b"]);
    let forever = host.find("mistral:7b").and_then(|r| r.expires_at);
    let year = forever.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year());
    assert!(year.is_some_and(|y| y >= 2300), "{year:?}");
    let later = now
        .checked_add(SignedDuration::from_secs(2))
        .expect("in range");
    assert_eq!(host.sweep(later), vec!["gemma2:9b".to_string()]);
    assert_eq!(host.runners.len(), 1);
}

#[test]
fn human_bytes2_matches_ollama() {
    assert_eq!(human_bytes2(13_207_024_435), "12.3 GiB");
    assert_eq!(human_bytes2(500 * 1024 * 1024), "500.0 MiB");
    assert_eq!(human_bytes2(12), "12 B");
}
