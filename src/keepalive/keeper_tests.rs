use jiff::Timestamp;

use super::*;
use crate::keepalive::KeeperEventKind;

const T0: i64 = 1_800_000_000;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(T0 + secs).expect("valid time")
}

/// What real servers show for keep_alive -1: about 292 years ahead.
fn forever() -> Option<Timestamp> {
    Some(at(292 * 365 * 86_400))
}

fn model(name: &str, expires_at: Option<Timestamp>) -> RunningModel {
    RunningModel {
        name: name.into(),
        model: name.into(),
        size: 5_000_000_000,
        expires_at,
        ..RunningModel::default()
    }
}

fn fits(_: &str) -> Room {
    Room::Fits
}

fn kinds(k: &mut Keeper) -> Vec<KeeperEventKind> {
    k.take_events().into_iter().map(|e| e.kind).collect()
}

fn repin(m: &str) -> Vec<KeeperAction> {
    vec![KeeperAction::Repin {
        model: m.into(),
        num_ctx: None,
    }]
}

fn reload(m: &str) -> Vec<KeeperAction> {
    vec![KeeperAction::Reload { model: m.into() }]
}

#[test]
fn a_model_held_forever_needs_nothing() {
    let mut k = Keeper::new(["Llama3.1:8B"], at(0));
    assert_eq!(k.status("llama3.1:8b"), Some(&PinStatus::Pending));
    for s in 0..20 {
        let ps = [model("llama3.1:8b", forever())];
        assert!(k.on_ps(at(s * 2), &ps, fits).is_empty());
    }
    assert_eq!(k.status("llama3.1:8b"), Some(&PinStatus::Held));
    assert!(k.take_events().is_empty());
}

#[test]
fn reset_by_another_client_is_repinned_within_one_poll() {
    let mut k = Keeper::new(["llama3.1:8b"], at(0));
    k.on_ps(at(0), &[model("llama3.1:8b", forever())], fits);
    let reset = [model("llama3.1:8b", Some(at(2 + 298)))];
    assert_eq!(k.on_ps(at(2), &reset, fits), repin("llama3.1:8b"));
    assert_eq!(k.status("llama3.1:8b"), Some(&PinStatus::Repinning));
    // One request in flight: later polls wait for its answer.
    assert!(k.on_ps(at(4), &reset, fits).is_empty());
    k.on_result("LLAMA3.1:8b", at(5), Ok(()));
    let events = k.take_events();
    // One line for one event: no "re-pinning…" before the "re-pinned…".
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].message,
        "re-pinned llama3.1:8b (another client set its keep-alive; it would have unloaded in 4m 58s)"
    );
    assert_eq!(k.status("llama3.1:8b"), Some(&PinStatus::Held));
    assert!(
        k.on_ps(at(6), &[model("llama3.1:8b", forever())], fits)
            .is_empty()
    );
}

#[test]
fn a_stale_expiry_while_busy_is_not_a_new_reset() {
    let mut k = Keeper::new(["m:1"], at(0));
    let reset = [model("m:1", Some(at(300)))];
    assert_eq!(k.on_ps(at(0), &reset, fits), repin("m:1"));
    k.on_result("m:1", at(1), Ok(()));
    // Another client's long request keeps the old expiry on display.
    for s in 2..10 {
        assert!(k.on_ps(at(s), &reset, fits).is_empty());
    }
    // A different expiry is a fresh reset.
    let again = [model("m:1", Some(at(400)))];
    assert_eq!(k.on_ps(at(10), &again, fits), repin("m:1"));
}

#[test]
fn a_model_being_unloaded_is_repinned() {
    let mut k = Keeper::new(["m:1"], at(0));
    let stopping = [model("m:1", Some(at(-1)))];
    assert_eq!(k.on_ps(at(0), &stopping, fits), repin("m:1"));
}

#[test]
fn a_missing_model_that_fits_is_reloaded_once() {
    let mut k = Keeper::new(["m:1", "n:2"], at(0));
    let ps = [model("n:2", forever())];
    assert_eq!(k.missing(&ps), vec!["m:1".to_string()]);
    assert_eq!(k.on_ps(at(0), &ps, fits), reload("m:1"));
    assert_eq!(k.status("m:1"), Some(&PinStatus::Reloading));
    assert!(k.missing(&ps).is_empty(), "in flight: nothing to judge");
    for s in 1..30 {
        assert!(k.on_ps(at(s), &ps, fits).is_empty(), "one load in flight");
    }
    k.on_result("m:1", at(30), Ok(()));
    assert_eq!(k.status("m:1"), Some(&PinStatus::Held));
    let last = k.take_events().pop().expect("an event");
    assert_eq!(last.kind, KeeperEventKind::Reloaded);
    assert_eq!(last.message, "reloaded m:1 in 30.0s (it was not loaded)");
}

/// Reloads say why the pin went, as two polls tell it: everything gone at once (or
/// the server down in between) is a restart, another model arriving an eviction,
/// and nothing arriving an unload by another client or an expiry.
#[test]
fn reloads_name_why_the_pin_went() {
    let reason = |before: &[RunningModel], after: &[RunningModel], down: bool| {
        let mut k = Keeper::new(["m:1"], at(0));
        k.on_ps(at(0), before, fits);
        if down {
            k.on_ps_error(at(1), &crate::ollama::OllamaError::status(500, "boom"));
        }
        k.take_events();
        assert_eq!(k.on_ps(at(2), after, fits), reload("m:1"));
        k.on_result("m:1", at(3), Ok(()));
        k.take_events().pop().expect("an event").message
    };
    let held = [model("m:1", forever()), model("o:1", forever())];
    assert!(reason(&held, &[], false).ends_with("(Ollama restarted)"));
    assert!(reason(&held, &[model("o:1", forever())], true).ends_with("(Ollama restarted)"));
    let other = [model("o:1", forever()), model("x:9", forever())];
    assert!(reason(&held, &other, false).ends_with("(it was evicted)"));
    assert!(reason(&held, &[model("o:1", forever())], false).ends_with("(it was unloaded)"));
}

#[test]
fn a_model_that_does_not_fit_waits_without_requests() {
    let mut k = Keeper::new(["big:70b"], at(0));
    let short = |_: &str| Room::Short {
        need: 42_000_000_000,
        free: 12_000_000_000,
    };
    for s in 0..50 {
        assert!(k.on_ps(at(s), &[], short).is_empty());
    }
    assert_eq!(
        k.status("big:70b"),
        Some(&PinStatus::WaitingForMemory {
            need: 42_000_000_000,
            free: 12_000_000_000
        })
    );
    let events = k.take_events();
    assert_eq!(events.len(), 1, "reported once, not every poll");
    assert_eq!(
        events[0].message,
        "big:70b pinned — waiting for room (needs 42.0 GB, 12.0 GB free)"
    );
    assert_eq!(k.on_ps(at(50), &[], fits), reload("big:70b"));
    // The plain bool form works too.
    let mut k = Keeper::new(["x:1"], at(0));
    assert!(k.on_ps(at(0), &[], |_: &str| false).is_empty());
    assert_eq!(k.on_ps(at(1), &[], |_: &str| true), reload("x:1"));
}

#[test]
fn a_model_that_is_not_installed_is_reported_once() {
    let mut k = Keeper::new(["gone:1"], at(0));
    for s in 0..10 {
        assert!(k.on_ps(at(s), &[], |_: &str| Room::NotInstalled).is_empty());
    }
    assert_eq!(k.status("gone:1"), Some(&PinStatus::NotInstalled));
    assert_eq!(kinds(&mut k), vec![KeeperEventKind::NotInstalled]);
}

#[test]
fn failures_back_off_doubling_up_to_the_cap() {
    let mut k = Keeper::new(["m:1"], at(0));
    let oom = || OllamaError::status(500, r#"{"error":"cudaMalloc failed: out of memory"}"#);
    let mut t = 0;
    for (attempt, wait) in [2, 4, 8, 16, 32, 60, 60].into_iter().enumerate() {
        assert_eq!(
            k.on_ps(at(t), &[], fits),
            reload("m:1"),
            "attempt {attempt}"
        );
        k.on_result("m:1", at(t), Err(oom()));
        let until = at(t + wait);
        assert_eq!(
            k.status("m:1"),
            Some(&PinStatus::Backoff {
                until,
                attempts: attempt as u32 + 1
            })
        );
        assert!(
            k.on_ps(at(t + wait - 1), &[], fits).is_empty(),
            "still backing off"
        );
        t += wait;
    }
    let failed = k
        .take_events()
        .into_iter()
        .find(|e| e.kind == KeeperEventKind::Failed);
    let msg = failed.expect("a failure event").message;
    assert!(
        msg.starts_with("could not reload m:1: not enough memory"),
        "{msg}"
    );
    assert!(msg.ends_with("next try in 2s"), "{msg}");
}

#[test]
fn a_server_that_is_down_gets_no_requests() {
    let mut k = Keeper::new(["m:1"], at(0));
    let down = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/ps".into(),
        reason: "Connection refused".into(),
    };
    k.on_ps(at(0), &[model("m:1", Some(at(100)))], fits);
    // The re-pin fails because the server went away.
    k.on_result("m:1", at(1), Err(down.clone()));
    for s in 2..40 {
        k.on_ps_error(at(s), &down);
    }
    assert_eq!(k.server_up(), Some(false));
    let events = kinds(&mut k);
    let downs = events
        .iter()
        .filter(|e| **e == KeeperEventKind::ServerDown)
        .count();
    assert_eq!(downs, 1, "{events:?}");
    // Back after a restart: every pin is gone, and is reloaded at once.
    assert_eq!(k.on_ps(at(40), &[], fits), reload("m:1"));
    assert!(kinds(&mut k).contains(&KeeperEventKind::ServerBack));
}

#[test]
fn a_model_pushed_out_right_after_reload_backs_off() {
    let mut k = Keeper::new(["a:1"], at(0));
    let mut t = 0;
    for wait in [2, 4, 8] {
        assert_eq!(k.on_ps(at(t), &[], fits), reload("a:1"));
        k.on_result("a:1", at(t + 1), Ok(()));
        k.on_ps(at(t + 2), &[model("a:1", forever())], fits);
        // Evicted by another model 10 s later: no immediate reload.
        assert!(k.on_ps(at(t + 12), &[], fits).is_empty());
        assert!(matches!(k.status("a:1"), Some(PinStatus::Backoff { .. })));
        t += 12 + wait;
    }
    // Held for longer than the grace period: the slate is wiped.
    assert_eq!(k.on_ps(at(t), &[], fits), reload("a:1"));
    k.on_result("a:1", at(t), Ok(()));
    k.on_ps(at(t + 61), &[model("a:1", forever())], fits);
    k.on_ps(at(t + 200), &[], fits);
    assert_eq!(k.status("a:1"), Some(&PinStatus::Reloading));
}

#[test]
fn a_model_not_found_at_load_is_not_installed_and_backs_off() {
    let mut k = Keeper::new(["m:1"], at(0));
    k.on_ps(at(0), &[], fits);
    k.on_result(
        "m:1",
        at(0),
        Err(OllamaError::status(
            404,
            r#"{"error":"model 'm:1' not found"}"#,
        )),
    );
    assert_eq!(k.status("m:1"), Some(&PinStatus::NotInstalled));
    assert!(k.on_ps(at(1), &[], fits).is_empty());
}

#[test]
fn changing_the_pins_keeps_state_and_forgets_dropped_ones() {
    let mut k = Keeper::new(["a:1", "b:1", "A:1"], at(0));
    assert_eq!(k.pins().collect::<Vec<_>>(), ["a:1", "b:1"]);
    k.on_ps(at(0), &[model("a:1", forever())], fits);
    k.set_pins(["b:1", "a:1", "c:1"]);
    assert_eq!(k.status("a:1"), Some(&PinStatus::Held));
    assert_eq!(k.status("c:1"), Some(&PinStatus::Pending));
    assert!(k.is_pinned("b:1"));
    k.set_pins(["a:1"]);
    assert!(!k.is_pinned("b:1"));
    // A late answer for an unpinned model changes nothing.
    k.on_result("b:1", at(1), Ok(()));
    assert_eq!(k.statuses().count(), 1);
}

#[test]
fn labels_read_plainly() {
    let s = PinStatus::Backoff {
        until: at(8),
        attempts: 3,
    };
    assert_eq!(s.label(at(4)), "retry in 4s");
    assert_eq!(
        PinStatus::WaitingForMemory { need: 1, free: 0 }.label(at(0)),
        "pinned — waiting for room"
    );
}
