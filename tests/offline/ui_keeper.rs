//! The keep-alive keeper inside the dashboard, driven through `update`: pins are
//! re-applied and reloaded as effects, never twice at once, and everything the
//! keeper does shows in the event log and on the memory chart.

use crate::ui_fixtures;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::state::OpKind;
use model_orchestrator::app::{Effect, Msg, Request, State, derive};
use model_orchestrator::config::Config;
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::keepalive::PinStatus;
use model_orchestrator::memory::EventKind;
use model_orchestrator::ollama::OllamaError;
use ui_fixtures::*;

fn pinned(names: &[&str]) -> Config {
    Config {
        keep_alive_models: names.iter().map(|n| n.to_string()).collect(),
        ..Config::default()
    }
}

fn keeper_load(model: &str) -> Effect {
    load_fx(model, Some(KeepAlive::Forever))
}

fn log_texts(state: &State) -> Vec<String> {
    state.log.recent().map(|e| e.text.clone()).collect()
}

fn marks(state: &State) -> Vec<(EventKind, String)> {
    state
        .history
        .events()
        .map(|e| (e.kind, e.model.clone()))
        .collect()
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

#[test]
fn a_pin_reset_by_another_client_is_repinned_on_the_next_poll() {
    let held = vec![running("llama3.1:8b", 6.1, 6.1, None)];
    let mut s = connected(pinned(&["llama3.1:8b"]), typical_models(), held);
    assert_eq!(s.keeper.status("llama3.1:8b"), Some(&PinStatus::Held));
    let reset = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(300)))];
    let fx = update(&mut s, Msg::Ps(Ok(reset.clone())));
    // With the runner's context, so Ollama does not reload it (§9.4).
    let Effect::Start {
        request: Request::Load { spec, .. },
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (spec.keep_alive, spec.num_ctx),
        (Some(KeepAlive::Forever), Some(4096))
    );
    assert_eq!(s.ops[0].kind, OpKind::Repin);
    let logged = log_texts(&s).len();
    // The same reset seen again while the request runs sends nothing more.
    update(&mut s, Msg::PollPs);
    assert!(update(&mut s, Msg::Ps(Ok(reset))).is_empty());
    update(&mut s, Msg::Clock(at(1)));
    let fx = finish(&mut s, "llama3.1:8b", Ok(()));
    assert_eq!(fx, vec![Effect::FetchPs]);
    assert!(s.ops.is_empty());
    assert!(log_texts(&s)[0].starts_with("re-pinned llama3.1:8b"));
    assert_eq!(log_texts(&s).len(), logged + 1, "one line for one re-pin");
    assert_eq!(marks(&s), vec![(EventKind::Pin, "llama3.1:8b".to_string())]);
}

#[test]
fn a_pinned_model_that_is_missing_and_fits_is_reloaded() {
    let mut s = new_state(pinned(&["mistral:7b"]));
    let fx = feed(
        &mut s,
        vec![
            Msg::Memory(memory(32.0, 14.0, &[(24.0, 6.0)])),
            Msg::Version(Ok("0.10.1".into())),
            Msg::Tags(Ok(typical_models())),
            Msg::Ps(Ok(vec![])),
        ],
    );
    assert_eq!(fx, vec![keeper_load("mistral:7b")]);
    assert_eq!(s.keeper.status("mistral:7b"), Some(&PinStatus::Reloading));
    update(&mut s, Msg::Clock(at(4)));
    finish(&mut s, "mistral:7b", Ok(()));
    assert_eq!(s.keeper.status("mistral:7b"), Some(&PinStatus::Held));
    assert!(log_texts(&s)[0].starts_with("reloaded mistral:7b in "));
    assert_eq!(
        marks(&s),
        vec![(EventKind::KeeperReload, "mistral:7b".to_string())]
    );
    // Its appearance in ps is the keeper's doing, not another client's.
    update(&mut s, Msg::PollPs);
    let fx = update(
        &mut s,
        Msg::Ps(Ok(vec![running("mistral:7b", 5.0, 5.0, None)])),
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(!log_texts(&s).iter().any(|t| t.contains("another client")));
}

#[test]
fn a_pinned_model_that_does_not_fit_waits_without_requests() {
    let mut s = connected(pinned(&["llama3.1:70b"]), typical_models(), vec![]);
    assert!(s.ops.is_empty());
    assert!(matches!(
        s.keeper.status("llama3.1:70b"),
        Some(PinStatus::WaitingForMemory { need, .. }) if *need > 40 * GB
    ));
    let waiting: Vec<String> = log_texts(&s)
        .into_iter()
        .filter(|t| t.contains("waiting for room"))
        .collect();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(waiting[0].starts_with("llama3.1:70b pinned — waiting for room (needs "));
    // Later polls stay quiet: no request, no repeated log line.
    for t in 1..5 {
        update(&mut s, Msg::Clock(at(t * 2)));
        update(&mut s, Msg::PollPs);
        assert!(update(&mut s, Msg::Ps(Ok(vec![]))).is_empty());
    }
    let count = log_texts(&s)
        .iter()
        .filter(|t| t.contains("waiting for room"))
        .count();
    assert_eq!(count, 1);
}

#[test]
fn a_failed_reload_backs_off_and_counts_down() {
    let mut s = connected(pinned(&["mistral:7b"]), typical_models(), vec![]);
    assert_eq!(s.ops.len(), 1);
    let oom = OllamaError::status(500, r#"{"error":"model requires more system memory"}"#);
    finish(&mut s, "mistral:7b", Err(oom));
    assert!(matches!(
        s.keeper.status("mistral:7b"),
        Some(PinStatus::Backoff { attempts: 1, .. })
    ));
    assert!(log_texts(&s)[0].starts_with("could not reload mistral:7b"));
    assert!(log_texts(&s)[0].ends_with("next try in 2s"));
    assert_eq!(
        marks(&s),
        vec![(EventKind::LoadFailed, "mistral:7b".to_string())]
    );
    // "retry in 2s" is on screen: the clock must tick.
    assert!(s.needs_clock());
    update(&mut s, Msg::PollPs);
    assert!(update(&mut s, Msg::Ps(Ok(vec![]))).is_empty());
    update(&mut s, Msg::Clock(at(3)));
    update(&mut s, Msg::PollPs);
    let fx = update(&mut s, Msg::Ps(Ok(vec![])));
    assert_eq!(fx, vec![keeper_load("mistral:7b")]);
}

#[test]
fn the_users_pin_and_the_keeper_never_load_the_same_model_twice() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    s.config_path = Some("config.toml".into());
    assert!(derive::select_name(&mut s, "phi3:mini"));
    let fx = update(&mut s, key(KeyCode::Char('p')));
    assert!(fx.contains(&pin_fx("phi3:mini")));
    // A poll while the pin's load runs: phi3 is missing, but it is being loaded.
    update(&mut s, Msg::PollPs);
    let fx = update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.ops.len(), 1);
    assert!(!log_texts(&s).iter().any(|t| t.contains("loading it again")));
}

#[test]
fn a_load_key_during_a_keeper_reload_sends_nothing() {
    let mut s = connected(pinned(&["mistral:7b"]), typical_models(), vec![]);
    assert_eq!(s.ops.len(), 1);
    assert!(derive::select_name(&mut s, "mistral:7b"));
    let fx = update(&mut s, key(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    let notice = s.notice.clone().expect("a notice");
    assert_eq!(notice.text, "already reloading mistral:7b");
}

#[test]
fn unpinning_stops_the_keeper_and_pinning_starts_it() {
    let mut s = connected(pinned(&["llama3.1:70b"]), typical_models(), vec![]);
    s.config_path = Some("config.toml".into());
    assert!(derive::select_name(&mut s, "llama3.1:70b"));
    update(&mut s, key(KeyCode::Char('p')));
    assert!(!s.keeper.is_pinned("llama3.1:70b"));
    assert!(derive::select_name(&mut s, "mistral:7b"));
    update(&mut s, key(KeyCode::Char('p')));
    assert!(s.keeper.is_pinned("mistral:7b"));
}

#[test]
fn lost_ps_is_reported_for_pins_and_nothing_is_sent() {
    let mut s = connected(pinned(&["llama3.1:70b"]), typical_models(), vec![]);
    update(&mut s, Msg::PollPs);
    let broken = OllamaError::status(500, r#"{"error":"internal"}"#);
    let fx = update(&mut s, Msg::Ps(Err(broken)));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.keeper.server_up(), Some(false));
    assert!(
        log_texts(&s)
            .iter()
            .any(|t| t.contains("pins will be re-applied when Ollama answers again"))
    );
}
