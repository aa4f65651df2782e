use super::*;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).expect("valid test time")
}

fn sample(secs: i64, ram: u64) -> Sample {
    Sample {
        at: t(secs),
        ram_used: ram,
        vram_used: ram * 2,
        swap_used: ram * 3,
    }
}

#[test]
fn keeps_the_last_samples_oldest_first() {
    let mut h = MemoryHistory::new(3, 2);
    assert!(h.is_empty() && h.latest().is_none());
    for i in 0..5 {
        h.push(sample(i, i as u64));
    }
    let ram: Vec<u64> = h.samples().map(|s| s.ram_used).collect();
    assert_eq!(ram, vec![2, 3, 4]);
    assert_eq!(h.samples().next_back().map(|s| s.ram_used), Some(4));
    assert_eq!(h.latest().map(|s| s.at), Some(t(4)));
    assert_eq!((h.len(), h.capacity()), (3, 3));
    assert_eq!(h.max(Series::Swap), 12);
}

#[test]
fn partly_filled_history_iterates_in_push_order() {
    let mut h = MemoryHistory::new(10, 2);
    h.push(sample(0, 7));
    h.push(sample(1, 5));
    let ram: Vec<u64> = h.samples().map(|s| s.ram_used).collect();
    assert_eq!(ram, vec![7, 5]);
    assert_eq!(h.max(Series::Ram), 7);
}

#[test]
fn events_wrap_and_filter_by_time() {
    let mut h = MemoryHistory::new(4, 3);
    h.mark(t(1), EventKind::Load, "llama3.1:8b");
    h.mark(t(2), EventKind::Pin, "llama3.1:8b");
    h.mark(t(3), EventKind::Evict, "phi3:mini");
    h.mark(t(4), EventKind::KeeperReload, "llama3.1:8b");
    let kinds: Vec<EventKind> = h.events().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![EventKind::Pin, EventKind::Evict, EventKind::KeeperReload]
    );
    let since: Vec<&str> = h.events_since(t(3)).map(|e| e.model.as_str()).collect();
    assert_eq!(since, vec!["phi3:mini", "llama3.1:8b"]);
    assert_eq!(EventKind::KeeperReload.label(), "reload pinned");
}

#[test]
fn pushing_never_allocates_after_creation() {
    let mut h = MemoryHistory::new(8, 4);
    for i in 0..8 {
        h.push(sample(i, 1));
    }
    for i in 0..4 {
        h.mark(t(i), EventKind::Load, "x");
    }
    let samples_ptr = h.samples.items.as_ptr();
    let name_ptrs: Vec<*const u8> = h.events().map(|e| e.model.as_ptr()).collect();
    let long = "hf.co/".to_string() + &"é".repeat(200);
    for i in 0..100 {
        h.push(sample(i, i as u64));
        h.mark(
            t(i),
            EventKind::Unload,
            if i % 2 == 0 { &long } else { "phi3:mini" },
        );
    }
    assert_eq!(h.samples.items.as_ptr(), samples_ptr);
    let mut now: Vec<*const u8> = h.events().map(|e| e.model.as_ptr()).collect();
    let mut before = name_ptrs;
    now.sort();
    before.sort();
    assert_eq!(now, before);
    // The long name was cut at a character boundary within the slot's capacity.
    let cut = h
        .events()
        .find(|e| e.model.starts_with("hf.co/"))
        .expect("a long name");
    assert!(cut.model.len() <= MAX_EVENT_NAME && cut.model.ends_with('é'));
}

#[test]
fn chart_points_are_relative_seconds_and_gigabytes() {
    let mut h = MemoryHistory::new(4, 1);
    h.push(sample(0, 2_000_000_000));
    h.push(sample(10, 3_500_000_000));
    let mut out = vec![(9.0, 9.0); 7];
    h.points_into(Series::Ram, t(10), &mut out);
    assert_eq!(out, vec![(-10.0, 2.0), (0.0, 3.5)]);
    h.points_into(Series::Vram, t(12), &mut out);
    assert_eq!(out, vec![(-12.0, 4.0), (-2.0, 7.0)]);
}

#[test]
fn samples_come_from_snapshots() {
    let snap = MemorySnapshot {
        ram_used: 5,
        swap_used: 1,
        gpus: vec![
            crate::memory::GpuMemory {
                name: "a".into(),
                total: 10,
                used: 4,
            },
            crate::memory::GpuMemory {
                name: "b".into(),
                total: 10,
                used: 3,
            },
        ],
        ..MemorySnapshot::default()
    };
    let s = Sample::from_snapshot(t(0), &snap);
    assert_eq!((s.ram_used, s.vram_used, s.swap_used), (5, 7, 1));
}

#[test]
fn samples_since_stops_at_the_window_edge() {
    let mut h = MemoryHistory::new(10, 2);
    for i in 0..6 {
        h.push(sample(i, i as u64));
    }
    let ram: Vec<u64> = h.samples_since(t(3)).map(|s| s.ram_used).collect();
    assert_eq!(ram, vec![5, 4, 3]);
    assert_eq!(h.samples_since(t(9)).count(), 0);
}
