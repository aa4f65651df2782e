//! Managing models from the dashboard, through `update` alone: each operation's
//! lifecycle (started, progress, done, failed, cancelled), each modal, and the
//! screens they draw (snapshots at 80×24 and 120×40).

use crate::ui_fixtures;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::msg::OpId;
use model_orchestrator::app::state::{Focus, Modal, OpKind, PromptKind, SortKey};
use model_orchestrator::app::{Effect, Msg, OpEvent, Request, State};
use model_orchestrator::config::Config;
use model_orchestrator::duration::KeepAlive;
use model_orchestrator::ollama::{LoadSpec, OllamaError, PullEvent};
use ui_fixtures::*;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, ch(c));
    }
}

fn select(state: &mut State, name: &str) {
    assert!(
        model_orchestrator::app::derive::select_name(state, name),
        "{name} not in view"
    );
}

fn typical() -> State {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    let mut s = connected(Config::default(), typical_models(), loaded);
    s.config_path = Some(PathBuf::from("config.toml"));
    s
}

fn log_texts(state: &State) -> Vec<String> {
    state.log.recent().map(|e| e.text.clone()).collect()
}

fn notice(state: &State) -> String {
    state
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn layer(digest: &str, total: u64, completed: u64) -> OpEvent {
    OpEvent::Pull(PullEvent::Layer {
        status: format!("pulling {}", &digest[7..19]),
        digest: digest.into(),
        total,
        completed,
    })
}

fn progress(s: &mut State, id: OpId, event: OpEvent) {
    update(s, Msg::OpProgress { id, event });
}

const WEIGHTS: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const PARAMS: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Starts a pull of `name` through the prompt; returns its id.
fn start_pull(s: &mut State, name: &str) -> OpId {
    update(s, ch('P'));
    assert!(matches!(
        &s.modal,
        Some(Modal::Prompt(p)) if p.kind == PromptKind::Pull
    ));
    typed(s, name);
    let fx = update(s, key(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Start {
            id: OpId(0),
            request: Request::Pull { model: name.into() }
        }]
    );
    assert!(s.modal.is_none());
    s.ops
        .iter()
        .find(|o| o.kind == OpKind::Pull && o.model == name)
        .map(|o| o.id)
        .expect("a pull op")
}

#[test]
fn a_pull_starts_streams_progress_and_ends_by_listing_the_model() {
    let mut s = typical();
    let id = start_pull(&mut s, "qwen3:8b");
    // The cursor goes to the pull's row, where Esc cancels it.
    assert_eq!(s.focus, Focus::Loaded);
    progress(
        &mut s,
        id,
        OpEvent::Pull(PullEvent::Status("pulling manifest".into())),
    );
    progress(&mut s, id, layer(WEIGHTS, 5_000_000_000, 0));
    progress(&mut s, id, layer(PARAMS, 500, 500));
    update(&mut s, Msg::Clock(at(10)));
    progress(&mut s, id, layer(WEIGHTS, 5_000_000_000, 2_500_000_000));
    let p = s.op(id).and_then(|o| o.pull.clone()).expect("progress");
    assert_eq!(p.percent(), Some(50));
    assert_eq!(p.layers.len(), 2);
    // 2.5 GB in 10 s: 250 MB/s, 10 s left.
    assert_eq!(p.speed(s.now).map(|v| v.round()), Some(250_000_000.0));
    assert_eq!(p.eta_secs(s.now), Some(10));
    update(&mut s, Msg::Clock(at(20)));
    let fx = update(&mut s, Msg::OpDone { id, reply: Ok(()) });
    assert!(fx.contains(&Effect::FetchTags), "{fx:?}");
    assert!(s.ops.is_empty());
    assert_eq!(log_texts(&s)[0], "pulled qwen3:8b (5.0 GB) in 20.0s");
    // It appears in the table with a verdict when the list comes back.
    let mut models = typical_models();
    models.push(entry("qwen3:8b", 5.0, "8B", "Q4_K_M", "qwen3"));
    update(&mut s, Msg::Tags(Ok(models)));
    assert!(s.model_row("qwen3:8b").is_some());
}

#[test]
fn esc_on_a_pull_cancels_it_and_its_late_news_is_dropped() {
    let mut s = typical();
    let id = start_pull(&mut s, "qwen3:8b");
    progress(&mut s, id, layer(WEIGHTS, 1000, 10));
    let fx = update(&mut s, key(KeyCode::Esc));
    assert_eq!(fx, vec![Effect::Cancel { id: OpId(0) }]);
    assert!(s.ops.is_empty());
    assert!(log_texts(&s)[0].starts_with("pull cancelled: qwen3:8b"));
    assert!(!s.quit);
    // Whatever was on its way is ignored.
    assert!(
        update(
            &mut s,
            Msg::OpProgress {
                id,
                event: layer(WEIGHTS, 1000, 20)
            }
        )
        .is_empty()
    );
    assert!(update(&mut s, Msg::OpDone { id, reply: Ok(()) }).is_empty());
    assert!(!log_texts(&s)[0].starts_with("pulled"));
}

#[test]
fn a_failed_pull_says_why_in_ollamas_words() {
    let mut s = typical();
    let id = start_pull(&mut s, "nosuchmodel:1b");
    let e = OllamaError::Status {
        status: 500,
        message: "pull model manifest: file does not exist".into(),
    };
    update(&mut s, Msg::OpDone { id, reply: Err(e) });
    assert!(s.ops.is_empty());
    let n = s.notice.clone().expect("a notice");
    assert!(n.error);
    assert_eq!(n.text, log_texts(&s)[0]);
    assert!(
        n.text.starts_with("cannot pull nosuchmodel:1b: "),
        "{}",
        n.text
    );
    assert!(n.text.contains("file does not exist"), "{}", n.text);
}

#[test]
fn two_pulls_run_at_once_and_the_same_one_is_not_started_twice() {
    let mut s = typical();
    let a = start_pull(&mut s, "qwen3:8b");
    let b = start_pull(&mut s, "gemma2:2b");
    assert_ne!(a, b);
    update(&mut s, ch('P'));
    typed(&mut s, "qwen3:8b");
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert_eq!(notice(&s), "already pulling qwen3:8b");
    update(
        &mut s,
        Msg::OpDone {
            id: b,
            reply: Ok(()),
        },
    );
    assert_eq!(s.ops.len(), 1);
    assert_eq!(s.ops[0].id, a);
}

#[test]
fn the_pull_prompt_refuses_what_is_not_a_name_and_stays_open() {
    let mut s = typical();
    update(&mut s, ch('P'));
    for bad in ["", "two words", "a//b", "x:", "host/ns/name/extra", "ab$c"] {
        update(&mut s, ctrl('u'));
        typed(&mut s, bad);
        assert!(update(&mut s, key(KeyCode::Enter)).is_empty(), "{bad}");
        let Some(Modal::Prompt(p)) = &s.modal else {
            panic!("the prompt closed on {bad:?}")
        };
        assert!(p.error.is_some(), "{bad:?} accepted");
    }
    for good in [
        "llama3.2",
        "qwen2.5-coder:7b",
        "library/llama3:8b",
        "registry.example.com:5000/team/model:v1.2",
    ] {
        assert_eq!(
            model_orchestrator::app::pull_name(good).as_deref(),
            Ok(good)
        );
    }
    // Esc closes it: nothing started, nothing quit.
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.modal.is_none() && s.ops.is_empty() && !s.quit);
}

#[test]
fn prompts_edit_like_a_shell_line() {
    let mut s = typical();
    update(&mut s, ch('P'));
    typed(&mut s, "library/llama3:8b");
    update(&mut s, ctrl('w'));
    update(&mut s, key(KeyCode::Backspace));
    typed(&mut s, ":70b");
    let Some(Modal::Prompt(p)) = &s.modal else {
        panic!("no prompt")
    };
    assert_eq!(p.line.text(), "library/llama3:70b");
    update(&mut s, ctrl('u'));
    let Some(Modal::Prompt(p)) = &s.modal else {
        panic!("no prompt")
    };
    assert_eq!(p.line.text(), "");
    // Keys that are commands elsewhere are text here.
    typed(&mut s, "q?U");
    assert!(!s.quit);
    assert!(matches!(&s.modal, Some(Modal::Prompt(p)) if p.line.text() == "q?U"));
}

#[test]
fn the_pull_prompt_says_whether_an_installed_model_fits() {
    let mut s = typical();
    update(&mut s, ch('P'));
    typed(&mut s, "mistral:7b");
    let t = screen(&mut s, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("installed: mistral:7b is 4.1 GB"), "{text}");
    assert!(text.contains("on the GPU — pulling updates it"), "{text}");
}

#[test]
fn keep_alive_prompt_is_prefilled_and_loads_with_what_was_typed() {
    let mut s = typical();
    select(&mut s, "mistral:7b");
    update(&mut s, ch('L'));
    let Some(Modal::Prompt(p)) = &s.modal else {
        panic!("no prompt")
    };
    // No default configured, none detected: Ollama's own 5m.
    assert_eq!(p.line.text(), "5m");
    update(&mut s, ctrl('u'));
    typed(&mut s, "0");
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    assert!(
        matches!(&s.modal, Some(Modal::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("use u to unload")))
    );
    update(&mut s, ctrl('u'));
    typed(&mut s, "2h");
    let fx = update(&mut s, key(KeyCode::Enter));
    let two_hours = KeepAlive::For(std::time::Duration::from_secs(7200));
    assert_eq!(
        fx,
        vec![Effect::Start {
            id: OpId(0),
            request: Request::Load {
                model: "mistral:7b".into(),
                spec: LoadSpec {
                    embedding: false,
                    keep_alive: Some(two_hours),
                    num_ctx: None,
                },
            },
        }]
    );
    assert_eq!(s.ops[0].keep_alive, Some(two_hours));
    update(&mut s, Msg::Clock(at(2)));
    finish(&mut s, "mistral:7b", Ok(()));
    assert_eq!(log_texts(&s)[0], "loaded mistral:7b in 2.0s");
    // Ollama's eviction order now knows its configured keep-alive.
    assert!(s.ops.is_empty());
}

#[test]
fn keep_alive_forever_is_typed_as_minus_one_and_a_configured_default_prefills() {
    let config = Config {
        default_keep_alive: Some("30m".into()),
        ..Config::default()
    };
    let mut s = connected(config, typical_models(), vec![]);
    select(&mut s, "phi3:mini");
    update(&mut s, ch('L'));
    assert!(matches!(&s.modal, Some(Modal::Prompt(p)) if p.line.text() == "30m"));
    update(&mut s, ctrl('u'));
    typed(&mut s, "-1");
    let fx = update(&mut s, key(KeyCode::Enter));
    match fx.as_slice() {
        [
            Effect::Start {
                request: Request::Load { spec, .. },
                ..
            },
        ] => {
            assert_eq!(spec.keep_alive, Some(KeepAlive::Forever))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn delete_asks_naming_size_then_unpins_and_unloads_first() {
    let config = Config {
        keep_alive_models: vec!["llama3.1:8b".into()],
        ..Config::default()
    };
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, None)];
    let mut s = connected(config, typical_models(), loaded);
    s.config_path = Some(PathBuf::from("config.toml"));
    select(&mut s, "llama3.1:8b");
    assert!(update(&mut s, ch('d')).is_empty());
    assert_eq!(
        confirm_text(&s),
        "Delete llama3.1:8b (4.9 GB) from disk? It is loaded: it will be unloaded first. It is pinned: it will be unpinned."
    );
    // n keeps it.
    update(&mut s, ch('n'));
    assert!(s.modal.is_none() && s.ops.is_empty());
    assert_eq!(notice(&s), "kept llama3.1:8b");
    update(&mut s, ch('d'));
    let fx = update(&mut s, ch('y'));
    assert_eq!(
        fx,
        vec![
            Effect::SavePin {
                model: "llama3.1:8b".into(),
                pinned: false
            },
            Effect::Start {
                id: OpId(0),
                request: Request::Delete {
                    model: "llama3.1:8b".into(),
                    unload_first: Some(false),
                },
            },
        ]
    );
    assert!(!s.config.is_pinned("llama3.1:8b"));
    let id = s.ops[0].id;
    update(&mut s, Msg::OpDone { id, reply: Ok(()) });
    assert_eq!(log_texts(&s)[0], "deleted llama3.1:8b (4.9 GB)");
    // Gone from ps next: an unload we asked for, not an eviction.
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(!log_texts(&s).iter().any(|t| t.contains("evicted")));
}

#[test]
fn a_delete_whose_unload_failed_says_so_and_a_failed_delete_keeps_the_model() {
    let mut s = typical();
    select(&mut s, "llama3.1:8b");
    update(&mut s, ch('d'));
    update(&mut s, ch('y'));
    let id = s.ops[0].id;
    progress(
        &mut s,
        id,
        OpEvent::Note("could not unload it first (timeout)".into()),
    );
    update(&mut s, Msg::OpDone { id, reply: Ok(()) });
    let n = s.notice.clone().expect("a notice");
    assert!(n.error, "a half-done delete is a warning");
    assert_eq!(
        n.text,
        "deleted llama3.1:8b (4.9 GB); could not unload it first (timeout)"
    );

    let mut s = typical();
    select(&mut s, "phi3:mini");
    update(&mut s, ch('d'));
    let fx = update(&mut s, ch('y'));
    assert_eq!(
        fx,
        vec![Effect::Start {
            id: OpId(0),
            request: Request::Delete {
                model: "phi3:mini".into(),
                unload_first: None
            }
        }]
    );
    let id = s.ops[0].id;
    let e = OllamaError::Status {
        status: 404,
        message: "model 'phi3:mini' not found".into(),
    };
    let fx = update(&mut s, Msg::OpDone { id, reply: Err(e) });
    assert!(fx.contains(&Effect::FetchTags));
    assert!(
        notice(&s).starts_with("cannot delete phi3:mini: "),
        "{}",
        notice(&s)
    );
}

#[test]
fn unload_all_asks_naming_pins_then_unloads_each_as_its_own_operation() {
    let config = Config {
        keep_alive_models: vec!["phi3:mini".into()],
        ..Config::default()
    };
    let loaded = vec![
        running("llama3.1:8b", 6.1, 6.1, Some(at(252))),
        running("phi3:mini", 3.0, 3.0, None),
    ];
    let mut s = connected(config, typical_models(), loaded);
    s.config_path = Some(PathBuf::from("config.toml"));
    assert!(update(&mut s, ch('U')).is_empty());
    assert_eq!(
        confirm_text(&s),
        "Unload all 2 loaded models (llama3.1:8b, phi3:mini)? phi3:mini is pinned: unpinned first, so nothing loads it back."
    );
    let fx = update(&mut s, ch('y'));
    assert_eq!(
        fx,
        vec![
            unload_fx("llama3.1:8b"),
            unload_fx("phi3:mini"),
            Effect::SavePin {
                model: "phi3:mini".into(),
                pinned: false
            },
        ]
    );
    assert!(!s.config.is_pinned("phi3:mini"));
    let ids: Vec<OpId> = s.ops.iter().map(|o| o.id).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    for id in ids {
        update(&mut s, Msg::OpDone { id, reply: Ok(()) });
    }
    assert!(s.ops.is_empty());
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(!log_texts(&s).iter().any(|t| t.contains("evicted")));
    // Nothing loaded: nothing to ask.
    assert!(update(&mut s, ch('U')).is_empty());
    assert!(s.modal.is_none());
    assert_eq!(notice(&s), "nothing is loaded");
}

#[test]
fn y_copies_the_selected_name() {
    let mut s = typical();
    select(&mut s, "qwen2.5-coder:7b");
    assert_eq!(
        update(&mut s, ch('y')),
        vec![Effect::Copy("qwen2.5-coder:7b".into())]
    );
    assert!(notice(&s).starts_with("copied qwen2.5-coder:7b"));
}

#[test]
fn sort_direction_reverses_and_a_new_column_starts_in_its_natural_order() {
    let mut s = typical();
    let names =
        |s: &State| -> Vec<String> { s.view.iter().map(|&i| s.models[i].name.clone()).collect() };
    let ascending = names(&s);
    update(&mut s, ch('S'));
    assert!(s.sort_reversed);
    let mut reversed = ascending.clone();
    reversed.reverse();
    assert_eq!(names(&s), reversed);
    update(&mut s, ch('s'));
    assert_eq!((s.sort, s.sort_reversed), (SortKey::Size, false));
    let sizes: Vec<u64> = s.view.iter().map(|&i| s.models[i].size).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let t = screen(&mut s, 120, 40);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("sort size ▼") && text.contains("SIZE▼"),
        "{text}"
    );
}

#[test]
fn a_click_on_a_column_header_sorts_and_again_reverses() {
    let mut s = typical();
    update(&mut s, Msg::Resize(120, 40));
    // Find the NEED header on screen, then click it.
    let t = screen(&mut s, 120, 40);
    let row: String = (0..120)
        .map(|x| t.backend().buffer()[(x, 1)].symbol().to_string())
        .collect();
    let x = row
        .find("NEED")
        .map(|b| row[..b].chars().count())
        .expect("NEED header") as u16;
    let click = Msg::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: x + 1,
        row: 1,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut s, click.clone());
    assert_eq!((s.sort, s.sort_reversed), (SortKey::Need, false));
    update(&mut s, click);
    assert_eq!((s.sort, s.sort_reversed), (SortKey::Need, true));
}

#[test]
fn the_events_pane_takes_the_focus_scrolls_and_filters_by_model() {
    let mut s = typical();
    for i in 0..30 {
        let name = if i % 3 == 0 {
            "phi3:mini"
        } else {
            "mistral:7b"
        };
        s.log.push(
            at(i),
            model_orchestrator::app::log::LogKind::Info,
            format!("note {i} about {name}"),
        );
    }
    update(&mut s, Msg::Resize(80, 24));
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Focus::Log);
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    assert_eq!(s.log_scroll, 2);
    update(&mut s, ch('G'));
    assert_eq!(s.log_scroll, s.log_shown() - 1);
    update(&mut s, ch('/'));
    typed(&mut s, "PHI3");
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.log_filter, "PHI3");
    assert_eq!(s.log_shown(), 10);
    assert_eq!(s.log_scroll, 0);
    // The table's filter is untouched.
    assert!(s.filter.is_empty());
    let t = screen(&mut s, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("Events 10 of 31"), "{text}");
    // Esc clears the events' filter, then does nothing.
    update(&mut s, key(KeyCode::Esc));
    assert!(s.log_filter.is_empty());
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(!s.quit);
}

#[test]
fn an_installed_row_reads_loading_until_the_model_is_loaded() {
    let mut s = typical();
    select(&mut s, "mistral:7b");
    update(&mut s, key(KeyCode::Enter));
    let t = screen(&mut s, 80, 24);
    let text = format!("{}", t.backend());
    let row = text
        .lines()
        .find(|l| l.contains("mistral:7b"))
        .expect("row");
    assert!(row.contains("loading"), "{row}");
    assert!(text.contains("Loaded 1 · 1 loading"), "{text}");
}

// Screens: the pull's progress, the prompts and the questions at 80×24 and 120×40.

fn snap(name: &str, s: &mut State) {
    for (w, h) in [(80, 24), (120, 40)] {
        let t = screen(s, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

#[test]
fn screens_of_a_pull_in_progress() {
    let mut s = typical();
    let id = start_pull(&mut s, "qwen3:8b");
    progress(&mut s, id, layer(WEIGHTS, 5_225_387_923, 0));
    progress(&mut s, id, layer(PARAMS, 487, 487));
    update(&mut s, Msg::Clock(at(12)));
    progress(&mut s, id, layer(WEIGHTS, 5_225_387_923, 2_400_000_000));
    snap("pull_progress", &mut s);
}

#[test]
fn screens_of_the_prompts() {
    let mut s = typical();
    update(&mut s, ch('P'));
    typed(&mut s, "mistral:7b");
    snap("pull_prompt", &mut s);
    update(&mut s, key(KeyCode::Esc));
    select(&mut s, "mistral:7b");
    update(&mut s, ch('L'));
    update(&mut s, ctrl('u'));
    typed(&mut s, "2x");
    update(&mut s, key(KeyCode::Enter));
    snap("keep_alive_prompt_refused", &mut s);
}

#[test]
fn screens_of_the_questions() {
    let mut s = typical();
    select(&mut s, "llama3.1:8b");
    update(&mut s, ch('d'));
    snap("delete_question", &mut s);
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, ch('U'));
    snap("unload_all_question", &mut s);
}

#[test]
fn a_focused_event_is_shown_in_full_beside_the_pane() {
    let mut s = typical();
    let words: Vec<String> = (1..=10).map(|i| format!("reason{i}")).collect();
    let long = format!("cannot pull x:1b: {}", words.join(" "));
    s.log
        .push(at(1), model_orchestrator::app::log::LogKind::Error, &long);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Focus::Log);
    let t = screen(&mut s, 80, 24);
    let text: String = format!("{}", t.backend())
        .split('│')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    // The events line is cut; the whole text is beside it.
    assert!(text.contains("reason10"), "{text}");
    assert!(text.contains("Event "), "{text}");
}
