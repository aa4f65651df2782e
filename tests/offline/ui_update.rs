//! `update` driven by messages: state and effects asserted, no terminal, no network.

use crate::ui_fixtures;

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use model_orchestrator::app::derive;
use model_orchestrator::app::msg::OpId;
use model_orchestrator::app::state::{Connection, Focus, Modal, SortKey};
use model_orchestrator::app::{Effect, Msg, Request, State};
use model_orchestrator::config::Config;
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::ollama::OllamaError;
use ui_fixtures::*;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn press(state: &mut State, c: KeyCode) -> Vec<Effect> {
    update(state, key(c))
}

fn select(state: &mut State, name: &str) {
    assert!(derive::select_name(state, name), "{name} not in view");
}

fn typical() -> State {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    connected(Config::default(), typical_models(), loaded)
}

fn five_minutes() -> KeepAlive {
    KeepAlive::For(Duration::from_secs(300))
}

fn log_texts(state: &State) -> Vec<String> {
    state.log.recent().map(|e| e.text.clone()).collect()
}

#[test]
fn enter_on_a_fitting_model_loads_it_leaving_the_keep_alive_to_the_server() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    let fx = press(&mut s, KeyCode::Enter);
    // No default_keep_alive configured: none is sent, OLLAMA_KEEP_ALIVE applies.
    assert_eq!(fx, vec![load_fx("phi3:mini", None)]);
    assert_eq!(s.ops.len(), 1);
    // `l` does the same, but not twice for the same model.
    let fx = update(&mut s, ch('l'));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("already"))
    );
}

#[test]
fn a_configured_keep_alive_is_used() {
    let config = Config {
        default_keep_alive: Some("30m".into()),
        ..Config::default()
    };
    let mut s = connected(config, typical_models(), vec![]);
    select(&mut s, "mistral:7b");
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![load_fx(
            "mistral:7b",
            Some(KeepAlive::For(Duration::from_secs(1800)))
        )]
    );
}

fn with_config_file(mut s: State) -> State {
    s.config_path = Some(PathBuf::from("config.toml"));
    s
}

fn pinned_config(name: &str) -> Config {
    Config {
        keep_alive_models: vec![name.into()],
        ..Config::default()
    }
}

#[test]
fn p_pins_now_and_saves_the_pin() {
    let mut s = with_config_file(typical());
    select(&mut s, "phi3:mini");
    let fx = update(&mut s, ch('p'));
    assert_eq!(
        fx,
        vec![
            pin_fx("phi3:mini"),
            Effect::SavePin {
                model: "phi3:mini".into(),
                pinned: true
            }
        ]
    );
    assert!(s.config.is_pinned("phi3:mini"));
}

#[test]
fn pinning_a_loaded_model_says_it_stays_loaded() {
    let mut s = with_config_file(typical());
    select(&mut s, "llama3.1:8b");
    update(&mut s, ch('p'));
    finish(&mut s, "llama3.1:8b", Ok(()));
    assert_eq!(log_texts(&s)[0], "pinned llama3.1:8b (kept loaded forever)");
}

#[test]
fn a_pin_that_cannot_be_saved_still_holds_and_says_why() {
    let mut s = with_config_file(typical());
    select(&mut s, "phi3:mini");
    update(&mut s, ch('p'));
    let why =
        "cannot parse config.toml: expected `=`; pins were not saved (the file was left untouched)";
    update(&mut s, Msg::PinsSaved(Err(why.into())));
    assert!(s.config.is_pinned("phi3:mini"));
    let notice = s.notice.clone().expect("a notice");
    assert!(notice.error);
    assert!(notice.text.starts_with(why), "{}", notice.text);
    assert!(
        notice.text.ends_with("lasts until you quit"),
        "{}",
        notice.text
    );
    assert_eq!(log_texts(&s)[0], notice.text);
}

#[test]
fn demo_pins_are_kept_for_the_run_without_a_warning() {
    let mut s = typical();
    s.demo = true;
    select(&mut s, "phi3:mini");
    let fx = update(&mut s, ch('p'));
    assert_eq!(fx, vec![pin_fx("phi3:mini")]);
    assert!(s.config.is_pinned("phi3:mini"));
    let notice = s.notice.clone().expect("a notice");
    assert_eq!(notice.text, "demo: pins last until you quit");
    assert!(!notice.error);
    // Said once in the log, however often pins change.
    finish(&mut s, "phi3:mini", Ok(()));
    update(&mut s, ch('p'));
    assert!(!s.config.is_pinned("phi3:mini"));
    update(&mut s, ch('p'));
    assert!(s.config.is_pinned("phi3:mini"));
    let said = log_texts(&s)
        .iter()
        .filter(|t| t.starts_with("demo:"))
        .count();
    assert_eq!(said, 1);
}

#[test]
fn without_a_config_file_pins_hold_with_a_warning() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    update(&mut s, ch('p'));
    assert!(s.config.is_pinned("phi3:mini"));
    let notice = s.notice.clone().expect("a notice");
    assert!(notice.error);
    assert!(notice.text.contains("no config file"), "{}", notice.text);
}

#[test]
fn a_pinned_model_loaded_by_hand_is_loaded_pinned() {
    // Too big to fit, so the keeper waits and the user's load goes through.
    let mut s = connected(pinned_config("llama3.1:70b"), typical_models(), vec![]);
    select(&mut s, "llama3.1:70b");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    let fx = update(&mut s, ch('y'));
    assert_eq!(fx, vec![pin_fx("llama3.1:70b")]);
}

#[test]
fn p_on_a_pinned_loaded_model_unpins_with_the_default_keep_alive() {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, None)];
    let s = connected(pinned_config("llama3.1:8b"), typical_models(), loaded);
    let mut s = with_config_file(s);
    select(&mut s, "llama3.1:8b");
    let fx = update(&mut s, ch('p'));
    assert_eq!(
        fx,
        vec![
            Effect::Start {
                id: OpId(0),
                request: Request::Load {
                    model: "llama3.1:8b".into(),
                    // A finite keep-alive, and the runner's context: no reload.
                    spec: model_orchestrator::ollama::LoadSpec {
                        embedding: false,
                        keep_alive: Some(five_minutes()),
                        num_ctx: Some(4096),
                    },
                },
            },
            Effect::SavePin {
                model: "llama3.1:8b".into(),
                pinned: false
            }
        ]
    );
    assert!(!s.config.is_pinned("llama3.1:8b"));
}

#[test]
fn u_on_a_pinned_model_unpins_first_then_unloads() {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, None)];
    let s = connected(pinned_config("llama3.1:8b"), typical_models(), loaded);
    let mut s = with_config_file(s);
    select(&mut s, "llama3.1:8b");
    let fx = update(&mut s, ch('u'));
    assert_eq!(
        fx,
        vec![
            unload_fx("llama3.1:8b"),
            Effect::SavePin {
                model: "llama3.1:8b".into(),
                pinned: false
            }
        ]
    );
    assert!(!s.config.is_pinned("llama3.1:8b"));
    // Its disappearance from ps is then an unload, not an eviction.
    finish(&mut s, "llama3.1:8b", Ok(()));
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(!log_texts(&s).iter().any(|t| t.contains("evicted")));
}

#[test]
fn u_on_a_model_that_is_not_loaded_says_so() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    let fx = update(&mut s, ch('u'));
    assert!(fx.is_empty());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text == "phi3:mini is not loaded")
    );
}

#[test]
fn a_load_that_makes_ollama_evict_asks_first_naming_who_goes() {
    // 0.10.1 with a GPU and llama3.1:8b loaded: the 70b does not fit whole in VRAM
    // beside it (requireFull, server/sched.go), so Ollama evicts the 8b first.
    let mut s = typical();
    select(&mut s, "llama3.1:70b");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.is_empty(), "{fx:?}");
    let text = confirm_text(&s);
    assert_eq!(
        text,
        "Ollama will evict llama3.1:8b to load llama3.1:70b: llama3.1:70b does not fit beside them. Load anyway?"
    );
    // Other keys are ignored while the question is open; n cancels.
    assert!(update(&mut s, ch('j')).is_empty());
    assert!(update(&mut s, ch('n')).is_empty());
    assert!(s.modal.is_none());
    press(&mut s, KeyCode::Enter);
    let fx = update(&mut s, ch('y'));
    assert_eq!(fx, vec![load_fx("llama3.1:70b", None)]);
}

#[test]
fn the_eviction_question_names_pinned_victims() {
    let config = Config {
        keep_alive_models: vec!["llama3.1:8b".into()],
        ..Config::default()
    };
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    let mut s = connected(config, typical_models(), loaded);
    select(&mut s, "llama3.1:70b");
    press(&mut s, KeyCode::Enter);
    let text = confirm_text(&s);
    assert!(
        text.starts_with("Ollama will evict llama3.1:8b (pinned) to load llama3.1:70b"),
        "{text}"
    );
}

#[test]
fn a_model_that_cannot_fit_at_all_asks_first_with_the_shortfall() {
    let mut s = typical();
    update(&mut s, Msg::Memory(memory(16.0, 14.0, &[])));
    select(&mut s, "llama3.1:70b");
    press(&mut s, KeyCode::Enter);
    let text = confirm_text(&s);
    assert!(
        text.starts_with("llama3.1:70b needs 42.5 GB, 2.0 GB free — short "),
        "{text}"
    );
    assert!(
        text.ends_with("even with everything else unloaded. Load anyway?"),
        "{text}"
    );
}

#[test]
fn ps_poll_is_not_reissued_while_one_is_in_flight() {
    let mut s = typical();
    assert_eq!(update(&mut s, Msg::PollPs), vec![Effect::FetchPs]);
    assert!(update(&mut s, Msg::PollPs).is_empty());
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert_eq!(update(&mut s, Msg::PollPs), vec![Effect::FetchPs]);
    assert_eq!(update(&mut s, Msg::PollTags), vec![Effect::FetchTags]);
    assert!(update(&mut s, Msg::PollTags).is_empty());
}

#[test]
fn out_of_memory_is_reported_in_plain_words() {
    let mut s = typical();
    select(&mut s, "mistral:7b");
    press(&mut s, KeyCode::Enter);
    let oom = OllamaError::status(
        500,
        r#"{"error":"llama runner process has terminated: cudaMalloc failed: out of memory"}"#,
    );
    let fx = finish(&mut s, "mistral:7b", Err(oom));
    assert_eq!(fx, vec![Effect::FetchPs]);
    assert!(s.ops.is_empty());
    let notice = s.notice.clone().expect("a notice");
    assert!(notice.error);
    assert_eq!(
        notice.text,
        "cannot load mistral:7b: Ollama ran out of memory (estimate: needs 4.1 GB, 36.0 GB free)"
    );
    assert_eq!(
        log_texts(&s)[0],
        format!(
            "{} (Ollama: llama runner process has terminated: cudaMalloc failed: out of memory)",
            notice.text
        )
    );
}

#[test]
fn a_finished_load_is_logged_with_its_duration() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    press(&mut s, KeyCode::Enter);
    update(&mut s, Msg::Clock(at(3)));
    finish(&mut s, "phi3:mini", Ok(()));
    assert_eq!(log_texts(&s)[0], "loaded phi3:mini in 3.0s");
    assert!(s.ops.is_empty());
}

#[test]
fn enter_on_a_loaded_model_says_its_keep_alive_was_reset() {
    let mut s = typical();
    select(&mut s, "llama3.1:8b");
    press(&mut s, KeyCode::Enter);
    let status = s.notice.clone().expect("a notice").text;
    assert_eq!(status, "refreshing llama3.1:8b…");
    finish(&mut s, "llama3.1:8b", Ok(()));
    // No keep-alive was sent (none configured): the server's own applies.
    assert_eq!(log_texts(&s)[0], "llama3.1:8b stays loaded");
}

#[test]
fn unreachable_server_retries_with_backoff_and_reconnects() {
    let mut s = new_state(Config::default());
    let fx = model_orchestrator::app::start(&mut s);
    assert_eq!(
        fx,
        vec![Effect::FetchVersion, Effect::FetchTags, Effect::FetchPs]
    );
    let refused = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/version".into(),
        reason: "Connection refused".into(),
    };
    update(&mut s, Msg::Version(Err(refused.clone())));
    let Connection::Unreachable { retry_at, .. } = s.conn.clone() else {
        panic!("expected unreachable, got {:?}", s.conn);
    };
    assert_eq!(retry_at, at(1));
    update(&mut s, Msg::Tags(Err(refused.clone())));
    update(&mut s, Msg::Ps(Err(refused.clone())));
    assert!(
        update(&mut s, Msg::PollPs).is_empty(),
        "no polling while down"
    );
    assert_eq!(
        update(&mut s, Msg::Clock(at(1))),
        vec![Effect::FetchVersion]
    );
    update(&mut s, Msg::Version(Err(refused)));
    let Connection::Unreachable { retry_at, .. } = s.conn.clone() else {
        panic!("still unreachable");
    };
    assert_eq!(retry_at, at(3), "second retry waits longer");
    assert!(update(&mut s, Msg::Clock(at(2))).is_empty());
    update(&mut s, Msg::Clock(at(3)));
    let fx = update(&mut s, Msg::Version(Ok("0.10.1".into())));
    assert_eq!(s.conn, Connection::Connected);
    assert_eq!(fx, vec![Effect::FetchTags, Effect::FetchPs]);
    assert!(log_texts(&s)[0].starts_with("reconnected"));
}

#[test]
fn a_model_vanishing_as_another_arrives_is_an_eviction() {
    let a = running("mistral:7b", 5.0, 5.0, Some(at(200)));
    let b = running("phi3:mini", 3.0, 3.0, Some(at(1)));
    let mut s = connected(Config::default(), typical_models(), vec![a, b]);
    update(&mut s, Msg::Clock(at(5)));
    let c = running("llama3.1:8b", 6.1, 6.1, Some(at(300)));
    update(&mut s, Msg::Ps(Ok(vec![c])));
    let log = log_texts(&s);
    assert!(
        log.iter()
            .any(|t| t == "mistral:7b was evicted (3m 15s of keep-alive left)"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|t| t == "phi3:mini unloaded (keep-alive ran out)"),
        "{log:?}"
    );
    assert_eq!(s.history.events().count(), 3, "two gone, one arrived");
}

#[test]
fn a_model_gone_with_nothing_arriving_was_unloaded_by_another_client() {
    let a = running("mistral:7b", 5.0, 5.0, Some(at(200)));
    let b = running("phi3:mini", 3.0, 3.0, Some(at(250)));
    let mut s = connected(Config::default(), typical_models(), vec![a, b.clone()]);
    update(&mut s, Msg::Clock(at(5)));
    update(&mut s, Msg::Ps(Ok(vec![b])));
    let log = log_texts(&s);
    assert_eq!(
        log[0], "mistral:7b unloaded by another client (3m 15s of keep-alive left)",
        "{log:?}"
    );
    assert!(!log.iter().any(|t| t.contains("evicted")), "{log:?}");
}

#[test]
fn every_model_gone_at_once_or_a_dropped_connection_is_a_restart() {
    let a = running("mistral:7b", 5.0, 5.0, Some(at(200)));
    let b = running("phi3:mini", 3.0, 3.0, None);
    let mut s = connected(Config::default(), typical_models(), vec![a.clone(), b]);
    update(&mut s, Msg::Clock(at(5)));
    update(&mut s, Msg::Ps(Ok(vec![])));
    let log = log_texts(&s);
    assert_eq!(
        log[0],
        "Ollama restarted: mistral:7b, phi3:mini no longer loaded"
    );
    assert_eq!(
        log.iter().filter(|t| t.contains("mistral")).count(),
        1,
        "{log:?}"
    );

    // One model, and the connection dropped in between: a restart too.
    let mut s = connected(Config::default(), typical_models(), vec![a]);
    let refused = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/ps".into(),
        reason: "Connection refused".into(),
    };
    update(&mut s, Msg::Ps(Err(refused)));
    update(&mut s, Msg::Version(Ok("0.10.1".into())));
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert_eq!(
        log_texts(&s)[0],
        "Ollama restarted: mistral:7b no longer loaded"
    );
}

#[test]
fn u_while_loading_cancels_the_load_and_unloads_a_late_arrival() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    press(&mut s, KeyCode::Enter);
    let fx = update(&mut s, ch('u'));
    assert_eq!(fx, vec![Effect::Cancel { id: OpId(0) }]);
    assert!(s.ops.is_empty());
    assert!(
        log_texts(&s)[0].starts_with("load cancelled"),
        "{:?}",
        log_texts(&s)
    );
    // Ollama loaded it anyway: it is unloaded at once, not reported as news.
    let mut loaded = s.running.clone();
    loaded.push(running("phi3:mini", 3.0, 3.0, Some(at(300))));
    let fx = update(&mut s, Msg::Ps(Ok(loaded)));
    assert!(fx.contains(&unload_fx("phi3:mini")), "{fx:?}");
    assert!(!log_texts(&s).iter().any(|t| t.contains("another client")));
}

#[test]
fn pinned_rows_that_are_not_loaded_can_be_selected_and_keys_act_on_them() {
    let config = pinned_config("mistral:7b");
    let mut s = with_config_file(connected(config, typical_models(), vec![]));
    s.keeper.set_pins(["mistral:7b"]);
    // Tab reaches the Loaded pane although nothing is loaded: the pin row is there.
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.target(), Some("mistral:7b"));
    let fx = update(&mut s, ch('u'));
    assert!(
        fx.contains(&Effect::SavePin {
            model: "mistral:7b".into(),
            pinned: false
        }),
        "{fx:?}"
    );
    assert!(!s.config.is_pinned("mistral:7b"));
}

#[test]
fn refreshing_goes_when_the_list_answers_and_errors_everywhere_are_said() {
    let mut s = typical();
    update(&mut s, ch('r'));
    assert_eq!(
        s.notice.as_ref().map(|n| n.text.as_str()),
        Some("refreshing…")
    );
    update(&mut s, Msg::Tags(Ok(typical_models())));
    assert!(s.notice.is_none(), "{:?}", s.notice);
    let boom = || OllamaError::status(500, r#"{"error":"boom"}"#);
    update(&mut s, Msg::Tags(Err(boom())));
    update(&mut s, Msg::Ps(Err(boom())));
    assert!(s.answers_with_errors());
    update(&mut s, Msg::Tags(Ok(typical_models())));
    assert!(!s.answers_with_errors());
}

#[test]
fn a_pin_made_elsewhere_is_followed_from_the_config_file() {
    let mut s = with_config_file(typical());
    update(&mut s, Msg::PinsInFile(Ok(vec!["phi3:mini".into()])));
    assert!(s.config.is_pinned("phi3:mini"));
    assert!(s.keeper.is_pinned("phi3:mini"));
    // Unpinned with `unpin` in another terminal: the dashboard lets go as well.
    update(&mut s, Msg::PinsInFile(Ok(vec![])));
    assert!(!s.keeper.is_pinned("phi3:mini"));
    assert!(log_texts(&s)[0].contains("pins changed in the config file"));
}

#[test]
fn cloud_models_are_never_loaded_pinned_or_unloaded() {
    let mut models = typical_models();
    models.push(entry(
        "gpt-oss:120b-cloud",
        0.0,
        "116.8B",
        "MXFP4",
        "gptoss",
    ));
    let mut s = connected(Config::default(), models, vec![]);
    select(&mut s, "gpt-oss:120b-cloud");
    for c in ['l', 'p', 'u'] {
        let fx = update(&mut s, ch(c));
        assert!(fx.is_empty(), "{c}: {fx:?}");
        let text = s
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(text.contains("runs remotely"), "{c}: {text}");
    }
    assert!(!s.config.is_pinned("gpt-oss:120b-cloud"));
}

#[test]
fn embedding_models_load_through_the_embedding_route() {
    let mut s = typical();
    select(&mut s, "nomic-embed-text:latest");
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Start {
            request: Request::Load { spec, .. },
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert!(spec.embedding);
}

#[test]
fn a_pinned_alias_of_a_loaded_runner_is_held_not_missing() {
    let mut models = typical_models();
    let mut copy = models[0].clone();
    copy.name = "mine:latest".into();
    models.push(copy);
    let mut held = running("llama3.1:8b", 6.1, 6.1, None);
    held.digest = models[0].digest.clone();
    let mut s = connected(pinned_config("mine"), models, vec![held.clone()]);
    assert!(s.is_loaded("mine"));
    assert_eq!(
        s.keeper.status("mine"),
        Some(&model_orchestrator::keepalive::PinStatus::Held)
    );
    let fx = update(&mut s, Msg::Ps(Ok(vec![held])));
    assert!(fx.is_empty(), "no reload loop: {fx:?}");
    assert!(s.loaded_rows().len() == 1, "listed once, under the runner");
}

#[test]
fn models_loaded_elsewhere_are_noticed() {
    let mut s = typical();
    let mut loaded = s.running.clone();
    loaded.push(running("phi3:mini", 3.0, 3.0, Some(at(300))));
    update(&mut s, Msg::Ps(Ok(loaded)));
    assert_eq!(log_texts(&s)[0], "phi3:mini loaded by another client");
}

#[test]
fn filter_narrows_live_and_esc_clears() {
    let mut s = typical();
    update(&mut s, ch('/'));
    assert!(s.filter_editing(false));
    for c in "LLAMA3".chars() {
        update(&mut s, ch(c));
    }
    assert_eq!(s.view.len(), 2, "llama3.1:8b and llama3.1:70b");
    // While typing, letters are text, not commands.
    update(&mut s, ch('q'));
    assert!(!s.quit);
    assert!(s.view.is_empty());
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Enter);
    assert!(!s.filter_editing(false));
    assert_eq!(s.view.len(), 2);
    press(&mut s, KeyCode::Esc);
    assert!(s.filter.is_empty() && !s.quit);
    assert_eq!(s.view.len(), typical_models().len());
}

#[test]
fn sort_cycles_and_keeps_the_cursor_on_its_model() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    update(&mut s, ch('s'));
    assert_eq!(s.sort, SortKey::Size);
    assert_eq!(s.models[s.view[0]].name, "llama3.1:70b");
    assert_eq!(
        s.selected_model().map(|m| m.name.as_str()),
        Some("phi3:mini")
    );
    for expected in [
        SortKey::Need,
        SortKey::Modified,
        SortKey::Fit,
        SortKey::Name,
    ] {
        update(&mut s, ch('s'));
        assert_eq!(s.sort, expected);
    }
}

#[test]
fn movement_keys_are_clamped_and_scroll() {
    let models: Vec<_> = (0..100)
        .map(|i| entry(&format!("model-{i:03}:7b"), 4.0, "7B", "Q4_0", "llama"))
        .collect();
    let mut s = connected(Config::default(), models, vec![]);
    press(&mut s, KeyCode::Up);
    assert_eq!(s.selected, 0);
    press(&mut s, KeyCode::PageDown);
    let page = s.selected;
    assert!(page >= 5, "a page moves several rows, got {page}");
    assert!(s.scroll > 0 || page < 8);
    press(&mut s, KeyCode::End);
    assert_eq!(s.selected, 99);
    assert!(s.scroll + page >= 99);
    update(&mut s, ch('k'));
    assert_eq!(s.selected, 98);
    press(&mut s, KeyCode::Home);
    assert_eq!((s.selected, s.scroll), (0, 0));
}

#[test]
fn key_releases_are_ignored() {
    let mut s = typical();
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(update(&mut s, Msg::Key(release)).is_empty());
    assert!(!s.quit);
}

#[test]
fn esc_closes_help_and_never_quits_while_q_and_ctrl_c_do() {
    let mut s = typical();
    update(&mut s, ch('?'));
    assert!(matches!(s.modal, Some(Modal::Help { .. })));
    press(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none() && !s.quit);
    // Esc with nothing to close or clear does nothing at all.
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(!s.quit);
    assert_eq!(update(&mut s, ch('q')), vec![Effect::Quit]);
    let mut s = typical();
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut s, ctrl_c), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn the_clock_redraws_only_when_a_countdown_is_on_screen() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    s.dirty = false;
    update(&mut s, Msg::Clock(at(1)));
    assert!(!s.dirty, "nothing ticks on screen");
    assert!(!s.needs_clock());
    let mut s = typical();
    assert!(s.needs_clock());
    s.dirty = false;
    update(&mut s, Msg::Clock(at(0)));
    assert!(!s.dirty, "same second");
    update(&mut s, Msg::Clock(at(1)));
    assert!(s.dirty);
}

/// The typical reading, with `delta` bytes more RAM in use.
fn reading_plus(delta: i64) -> Msg {
    let mut m = memory(32.0, 14.0, &[(24.0, 6.0)]);
    m.ram_used = m.ram_used.saturating_add_signed(delta);
    m.ram_available = m.ram_available.saturating_add_signed(-delta);
    Msg::Memory(m)
}

#[test]
fn an_unchanged_memory_reading_does_not_redraw() {
    let mut s = typical();
    s.dirty = false;
    update(&mut s, Msg::Memory(memory(32.0, 14.0, &[(24.0, 6.0)])));
    assert!(!s.dirty);
    update(&mut s, Msg::Memory(memory(32.0, 15.0, &[(24.0, 6.0)])));
    assert!(s.dirty);
}

#[test]
fn a_reading_redraws_only_when_a_drawn_figure_changes() {
    let mut s = typical();
    // A few kilobytes, then a megabyte either way: the same tenths of a gigabyte.
    for delta in [4_096, 1_000_000, -1_000_000, 49_000_000] {
        s.dirty = false;
        update(&mut s, reading_plus(delta));
        assert!(!s.dirty, "{delta} bytes more redrew");
    }
    s.dirty = false;
    update(&mut s, reading_plus(200_000_000));
    assert!(s.dirty, "200 MB more must show");
}

#[test]
fn a_changing_chart_redraws_when_its_columns_move_not_every_second() {
    // Nothing loaded: no countdown ticks on screen.
    let mut s = connected(Config::default(), typical_models(), vec![]);
    update(&mut s, reading_plus(8 * GB as i64));
    let mut frames = 0;
    for sec in 1..=60 {
        s.dirty = false;
        update(&mut s, Msg::Clock(at(sec)));
        update(&mut s, reading_plus(8 * GB as i64));
        frames += usize::from(s.dirty);
    }
    // At 80 columns the chart is 28 cells wide: a column spans about 11 seconds.
    assert!((3..=8).contains(&frames), "{frames} frames in a minute");
}

#[test]
fn polls_that_return_the_same_data_do_not_redraw() {
    let mut s = typical();
    let loaded = s.running.clone();
    let models = s.models.clone();
    s.dirty = false;
    update(&mut s, Msg::PollPs);
    update(&mut s, Msg::Ps(Ok(loaded)));
    update(&mut s, Msg::PollTags);
    update(&mut s, Msg::Tags(Ok(models)));
    assert!(!s.dirty);
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(s.dirty, "a model that went away shows");
}

#[test]
fn show_is_fetched_for_the_selection_first_a_few_at_a_time() {
    let mut s = new_state(Config::default());
    update(&mut s, Msg::Version(Ok("0.10.1".into())));
    let fx = update(&mut s, Msg::Tags(Ok(typical_models())));
    let shows: Vec<_> = fx
        .iter()
        .filter_map(|f| match f {
            Effect::FetchShow { model, .. } => Some(model.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(shows.len(), 3);
    assert_eq!(
        shows[0],
        s.selected_model()
            .map(|m| m.name.clone())
            .unwrap_or_default()
    );
    // Moving to a model not fetched yet does not exceed the limit.
    assert_eq!(s.flight.shows.len(), 3, "{:?}", s.flight.shows);
    let g = update(&mut s, ch('G'));
    assert!(
        g.iter().all(|f| !matches!(f, Effect::FetchShow { .. })),
        "{g:?} {:?}",
        s.flight.shows
    );
    let Some(Effect::FetchShow { key, model }) = fx.first().cloned() else {
        panic!("expected a show fetch");
    };
    let fx = update(
        &mut s,
        Msg::Show {
            key,
            model,
            reply: Box::new(Ok(show("llama", 32, 131072))),
        },
    );
    assert!(
        matches!(fx.as_slice(), [Effect::FetchShow { model, .. }] if model == "qwen2.5-coder:7b"),
        "{fx:?}"
    );
}

#[test]
fn a_show_result_turns_the_need_into_an_estimate() {
    let mut s = typical();
    let i = s
        .models
        .iter()
        .position(|m| m.name == "mistral:7b")
        .expect("present");
    let before = s.rows[i].need.bytes;
    let key = State::show_key(&s.models[i]);
    update(
        &mut s,
        Msg::Show {
            key,
            model: "mistral:7b".into(),
            reply: Box::new(Ok(show("llama", 32, 32768))),
        },
    );
    assert!(s.rows[i].need.bytes > before);
}

#[test]
fn t_cycles_the_task_and_b_jumps_to_the_pick() {
    // Nothing loaded: a loaded model would win any task it suits.
    let mut s = connected(Config::default(), typical_models(), vec![]);
    update(&mut s, ch('t'));
    assert_eq!(s.task.as_str(), "code");
    update(&mut s, ch('b'));
    let pick = match &s.best {
        Some(Ok(p)) => p.model.clone(),
        other => panic!("expected a pick for code, got {other:?}"),
    };
    assert_eq!(pick, "qwen2.5-coder:7b");
    assert_eq!(
        s.selected_model().map(|m| m.name.as_str()),
        Some("qwen2.5-coder:7b")
    );
}

#[test]
fn b_explains_a_missing_pick() {
    let models = vec![entry(
        "nomic-embed-text:latest",
        0.27,
        "137M",
        "F16",
        "nomic-bert",
    )];
    let mut s = connected(Config::default(), models, vec![]);
    update(&mut s, ch('t'));
    update(&mut s, ch('b'));
    let notice = s.notice.clone().expect("a notice");
    assert!(
        notice.text.starts_with("no pick for code"),
        "{}",
        notice.text
    );
}

#[test]
fn tab_moves_focus_to_loaded_models_and_keys_act_there() {
    let mut s = typical();
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Focus::Loaded);
    let fx = update(&mut s, ch('u'));
    assert_eq!(fx, vec![unload_fx("llama3.1:8b")]);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Focus::Log);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Focus::Models);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.focus, Focus::Log);
}

#[test]
fn a_click_selects_the_row_under_the_mouse() {
    let mut s = typical();
    // At 80×24 the table's first row is on screen row 2 (border, header).
    let click = |row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut s, click(4));
    assert_eq!(s.selected, 2);
    update(&mut s, click(12));
    assert_eq!(s.focus, Focus::Loaded);
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: 4,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut s, click(2));
    update(&mut s, wheel);
    assert_eq!(s.selected, 3);
}

#[test]
fn user_key_overrides_apply() {
    let mut config = Config::default();
    config.keys.insert("x".into(), "unload".into());
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(100)))];
    let mut s = connected(config, typical_models(), loaded);
    select(&mut s, "llama3.1:8b");
    assert_eq!(update(&mut s, ch('x')), vec![unload_fx("llama3.1:8b")]);
}

#[test]
fn the_connection_is_announced_with_the_version_even_when_tags_answer_first() {
    let mut s = new_state(Config::default());
    model_orchestrator::app::start(&mut s);
    update(&mut s, Msg::Tags(Ok(typical_models())));
    assert!(
        log_texts(&s).iter().all(|t| !t.contains("connected")),
        "announced before the version arrived: {:?}",
        log_texts(&s)
    );
    update(&mut s, Msg::Version(Ok("0.12.6".into())));
    let connected: Vec<_> = log_texts(&s)
        .into_iter()
        .filter(|t| t.contains("connected"))
        .collect();
    assert_eq!(connected.len(), 1, "{connected:?}");
    assert!(
        connected[0].contains("connected to Ollama 0.12.6"),
        "{connected:?}"
    );
}

fn garbage() -> OllamaError {
    OllamaError::decode("http://127.0.0.1:11434/api/ps", "expected value", b"<html>")
}

#[test]
fn a_poll_error_leaves_the_status_line_once_that_poll_answers_again() {
    let mut s = typical();
    update(&mut s, Msg::Ps(Err(garbage())));
    assert!(s.notice.as_ref().is_some_and(|n| n.error), "{:?}", s.notice);
    // Another poll answering does not mean /api/ps is fine again.
    update(&mut s, Msg::Tags(Ok(typical_models())));
    assert!(s.notice.as_ref().is_some_and(|n| n.error), "{:?}", s.notice);
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    update(&mut s, Msg::Ps(Ok(loaded)));
    assert_eq!(s.notice, None);
}

#[test]
fn a_load_error_stays_when_the_polls_answer() {
    let mut s = typical();
    select(&mut s, "mistral:7b");
    press(&mut s, KeyCode::Enter);
    let oom = OllamaError::status(500, r#"{"error":"model requires more system memory"}"#);
    finish(&mut s, "mistral:7b", Err(oom));
    let before = s.notice.clone();
    assert!(before.as_ref().is_some_and(|n| n.error), "{before:?}");
    update(&mut s, Msg::Ps(Ok(vec![])));
    update(&mut s, Msg::Tags(Ok(typical_models())));
    assert_eq!(s.notice, before);
}

#[test]
fn a_connection_error_leaves_the_status_line_on_reconnecting() {
    let mut s = typical();
    select(&mut s, "mistral:7b");
    press(&mut s, KeyCode::Enter);
    let refused = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/generate".into(),
        reason: "Connection refused".into(),
    };
    update(&mut s, Msg::Ps(Err(refused.clone())));
    finish(&mut s, "mistral:7b", Err(refused));
    assert!(s.notice.as_ref().is_some_and(|n| n.error), "{:?}", s.notice);
    update(&mut s, Msg::Version(Ok("0.12.6".into())));
    assert!(matches!(s.conn, Connection::Connected));
    assert_eq!(s.notice, None);
}

/// Answers every `/api/show` in flight, and those they lead to: `failing` with
/// garbage, the others with a real answer.
fn answer_shows(s: &mut State, failing: &str) {
    while let Some(key) = s.flight.shows.iter().next().cloned() {
        let model = s
            .models
            .iter()
            .find(|m| State::show_key(m) == key)
            .map(|m| m.name.clone())
            .expect("a show in flight is for an installed model");
        let reply = if model == failing {
            Err(garbage())
        } else {
            Ok(show("llama", 32, 8192))
        };
        let reply = Box::new(reply);
        update(s, Msg::Show { key, model, reply });
    }
}

#[test]
fn details_that_failed_while_the_server_misbehaved_are_asked_again_after() {
    let mut s = typical();
    update(&mut s, Msg::Tags(Err(garbage())));
    answer_shows(&mut s, "mistral:7b");
    let key = s
        .models
        .iter()
        .find(|m| m.name == "mistral:7b")
        .map(State::show_key)
        .expect("mistral is installed");
    assert!(s.show_failed.contains(&key), "{:?}", s.show_failed);
    let fx = update(&mut s, Msg::Tags(Ok(typical_models())));
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::FetchShow { key: k, .. } if *k == key)),
        "{fx:?}"
    );
}

#[test]
fn retries_never_wait_more_than_ten_seconds() {
    let mut s = new_state(Config::default());
    model_orchestrator::app::start(&mut s);
    let refused = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/version".into(),
        reason: "Connection refused".into(),
    };
    let mut now = 0;
    let mut waits = Vec::new();
    for _ in 0..8 {
        update(&mut s, Msg::Version(Err(refused.clone())));
        let Connection::Unreachable { retry_at, .. } = s.conn.clone() else {
            panic!("expected unreachable, got {:?}", s.conn);
        };
        let wait = retry_at.as_second() - at(now).as_second();
        waits.push(wait);
        now += wait;
        assert_eq!(
            update(&mut s, Msg::Clock(at(now))),
            vec![Effect::FetchVersion]
        );
    }
    assert_eq!(waits, [1, 2, 4, 8, 10, 10, 10, 10]);
}

#[test]
fn without_the_hosts_memory_verdicts_are_unknown_not_guessed() {
    // A server on another machine and no --memory-url: this machine's memory says
    // nothing about that host.
    let mut s = typical();
    s.memory_unknown = Some(model_orchestrator::memory::whose::UNKNOWN_HINT.into());
    derive::refresh(&mut s);
    let i = s
        .models
        .iter()
        .position(|m| m.name == "phi3:mini")
        .expect("phi3");
    assert_eq!(s.rows[i].verdict, model_orchestrator::fit::Verdict::Unknown);
    // A failing exporter does the same, says why, and recovers with the next reading.
    let mut s = typical();
    update(
        &mut s,
        Msg::MemoryFailed("http://gpu-box:9100/metrics: connection refused".into()),
    );
    assert_eq!(s.rows[i].verdict, model_orchestrator::fit::Verdict::Unknown);
    assert!(log_texts(&s)[0].starts_with("cannot read memory: http://gpu-box:9100/metrics"));
    update(&mut s, Msg::Memory(memory(32.0, 14.0, &[(24.0, 6.0)])));
    assert_ne!(s.rows[i].verdict, model_orchestrator::fit::Verdict::Unknown);
}

#[test]
fn details_of_many_models_come_a_few_at_a_time_then_one_by_one() {
    // 300 models: the rows on screen first at full speed, the rest in the
    // background one at a time, each asked for once.
    let mut s = new_state(Config::default());
    update(&mut s, Msg::Version(Ok("0.12.6".into())));
    let models: Vec<_> = (0..300)
        .map(|i| {
            let mut e = entry(&format!("m{i:03}:7b"), 4.0, "7B", "Q4_0", "llama");
            e.digest = format!("{i:064x}");
            e
        })
        .collect();
    let mut fx = update(&mut s, Msg::Tags(Ok(models)));
    let mut asked = std::collections::HashSet::new();
    let mut answered = 0;
    while let Some(Effect::FetchShow { key, model }) = fx
        .iter()
        .find(|f| matches!(f, Effect::FetchShow { .. }))
        .cloned()
    {
        for f in &fx {
            if let Effect::FetchShow { key, .. } = f {
                assert!(asked.insert(key.clone()), "{key} asked twice");
            }
        }
        let limit = if answered < 64 { 3 } else { 1 };
        assert!(
            s.flight.shows.len() <= limit,
            "{} in flight after {answered}",
            s.flight.shows.len()
        );
        fx = update(
            &mut s,
            Msg::Show {
                key,
                model,
                reply: Box::new(Ok(show("llama", 32, 8192))),
            },
        );
        answered += 1;
        // Answers for the others still in flight come later.
        while let Some(k) = s.flight.shows.iter().next().cloned() {
            let name = s
                .models
                .iter()
                .find(|m| m.digest == k)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            fx.extend(update(
                &mut s,
                Msg::Show {
                    key: k,
                    model: name,
                    reply: Box::new(Ok(show("llama", 32, 8192))),
                },
            ));
            answered += 1;
        }
    }
    assert_eq!(asked.len(), 300);
    assert_eq!(s.shows.len(), 300);
}

#[test]
fn a_configured_num_ctx_is_sent_with_the_load_it_was_judged_at() {
    // The need is computed at the config's num_ctx, so the load must ask for it,
    // or the server would load at its own default and the verdict would not hold.
    let config = Config {
        num_ctx: Some(8192),
        ..Config::default()
    };
    let mut s = connected(config, typical_models(), vec![]);
    select(&mut s, "mistral:7b");
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [
            Effect::Start {
                request: Request::Load { spec, .. },
                ..
            },
        ] => assert_eq!(spec.num_ctx, Some(8192)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_cursor_stays_on_its_model_when_a_pulled_one_joins_the_list() {
    let mut s = typical();
    select(&mut s, "phi3:mini");
    let mut models = typical_models();
    // Ollama lists the newest first: every model's index in the list moves.
    models.insert(0, entry("aaa:1b", 1.0, "1B", "Q4_0", "llama"));
    update(&mut s, Msg::Tags(Ok(models)));
    assert_eq!(
        s.selected_model().map(|m| m.name.as_str()),
        Some("phi3:mini")
    );
}
