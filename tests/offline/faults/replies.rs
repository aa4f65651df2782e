//! The dashboard fed hand-made replies that model a misbehaving server: down at
//! start, a restart mid-session, 500s, HTML bodies, 10,000 models, 300-character
//! names, and names and errors full of escapes, controls, RTL text and emoji.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use model_orchestrator::app::state::Connection;
use model_orchestrator::app::{Effect, Msg, State, start, update};
use model_orchestrator::config::Config;
use model_orchestrator::ollama::OllamaError;

use super::common::*;
use crate::ui_fixtures::*;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn log_texts(state: &State) -> Vec<String> {
    state.log.recent().map(|e| e.text.clone()).collect()
}

fn fetches(fx: &[Effect]) -> Vec<&Effect> {
    fx.iter()
        .filter(|f| {
            matches!(
                f,
                Effect::FetchVersion | Effect::FetchTags | Effect::FetchPs
            )
        })
        .collect()
}

#[test]
fn server_down_at_start_retries_on_a_backoff_and_shows_everything_once_up() {
    let mut s = new_state(Config::default());
    update(&mut s, Msg::Resize(80, 24));
    let fx = start(&mut s);
    assert_eq!(
        fetches(&fx),
        [&Effect::FetchVersion, &Effect::FetchTags, &Effect::FetchPs]
    );
    update(&mut s, Msg::Memory(memory(32.0, 8.0, &[])));
    for m in [
        Msg::Version(Err(refused())),
        Msg::Tags(Err(refused())),
        Msg::Ps(Err(refused())),
    ] {
        assert!(update(&mut s, m).is_empty());
    }
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "unreachable · retry in 1s");
    assert_shows(&buf, "start Ollama with `ollama serve`");
    assert_shows(&buf, "Ollama is not answering at 127.0.0.1:11434");
    // The UI answers keys while it waits.
    update(&mut s, key(KeyCode::Char('?')));
    assert!(s.modal.is_some(), "help is open");
    update(&mut s, key(KeyCode::Esc));
    assert!(s.modal.is_none(), "{:?}", s.modal);

    // Each failed retry waits longer: 1 s, 2 s, 4 s.
    let mut t = 0;
    for delay in [1, 2, 4] {
        assert!(update(&mut s, Msg::Clock(at(t + delay - 1))).is_empty());
        t += delay;
        let fx = update(&mut s, Msg::Clock(at(t)));
        assert_eq!(fx, vec![Effect::FetchVersion], "retry after {delay}s");
        // No second probe while one is out.
        assert!(update(&mut s, Msg::Clock(at(t))).is_empty());
        update(&mut s, Msg::Version(Err(refused())));
    }
    assert!(matches!(s.conn, Connection::Unreachable { attempt: 3, .. }));

    // Up: the version answers, and the lists are fetched again.
    t += 8;
    assert_eq!(
        update(&mut s, Msg::Clock(at(t))),
        vec![Effect::FetchVersion]
    );
    let fx = update(&mut s, Msg::Version(Ok("0.10.1".into())));
    assert_eq!(fetches(&fx), [&Effect::FetchTags, &Effect::FetchPs]);
    update(&mut s, Msg::Tags(Ok(typical_models())));
    update(
        &mut s,
        Msg::Ps(Ok(vec![running("mistral:7b", 5.0, 5.0, Some(at(t + 300)))])),
    );
    assert_eq!(s.conn, Connection::Connected);
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "● connected · Ollama 0.10.1");
    assert_shows(&buf, "phi3:mini");
    assert_shows(&buf, "Loaded 1");
    assert!(!squeezed(&buf).contains("ollama serve"), "{}", text(&buf));
    assert!(
        log_texts(&s)
            .iter()
            .any(|t| t == "reconnected to 127.0.0.1:11434"),
        "{:?}",
        log_texts(&s)
    );
}

#[test]
fn a_restart_mid_session_is_named_keeps_the_list_and_takes_the_new_version() {
    let loaded = vec![
        running("llama3.1:8b", 6.1, 6.1, Some(at(600))),
        running("phi3:mini", 3.0, 3.0, Some(at(600))),
    ];
    let mut s = connected(Config::default(), typical_models(), loaded);
    let before = s.models.clone();
    // The poll finds nobody home.
    let fx = update(&mut s, Msg::PollPs);
    assert_eq!(fx, vec![Effect::FetchPs]);
    update(&mut s, Msg::Ps(Err(refused())));
    assert!(matches!(s.conn, Connection::Unreachable { .. }));
    let buf = frame(&mut s, 100, 30);
    assert_sound(&buf);
    assert_shows(&buf, "lost Ollama");
    // Polls stop while it is gone; the probe drives the retries.
    assert!(update(&mut s, Msg::PollPs).is_empty());
    assert!(update(&mut s, Msg::PollTags).is_empty());
    assert_eq!(
        update(&mut s, Msg::Clock(at(1))),
        vec![Effect::FetchVersion]
    );
    // Back, upgraded, with nothing loaded.
    let fx = update(&mut s, Msg::Version(Ok("0.11.4".into())));
    assert_eq!(fetches(&fx), [&Effect::FetchTags, &Effect::FetchPs]);
    update(&mut s, Msg::Tags(Ok(typical_models())));
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert_eq!(s.version.as_deref(), Some("0.11.4"));
    assert!(s.running.is_empty());
    assert_eq!(s.models, before, "the installed list is kept");
    let buf = frame(&mut s, 100, 30);
    assert_sound(&buf);
    assert_shows(&buf, "Ollama 0.11.4");
    assert_shows(&buf, "Loaded 0");
    let log = log_texts(&s).join("\n");
    assert!(log.contains("restart"), "the log names the restart:\n{log}");
    assert!(log.contains("llama3.1:8b"), "and what went with it:\n{log}");
}

#[test]
fn errors_from_every_poll_are_shown_the_list_kept_and_keys_still_work() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    let before = s.models.clone();
    let oom = "llama runner process has terminated: \u{1b}[31mcudaMalloc failed\u{1b}[0m";
    update(&mut s, Msg::PollTags);
    update(&mut s, Msg::Tags(Err(server_error(oom))));
    update(&mut s, Msg::PollPs);
    update(&mut s, Msg::Ps(Err(server_error("internal server error"))));
    assert!(s.answers_with_errors());
    assert_eq!(s.models, before, "nothing lost");
    let buf = frame(&mut s, 120, 40);
    assert_sound(&buf);
    assert_shows(&buf, "answers with errors");
    assert_shows(&buf, "cannot list");
    assert_shows(&buf, "phi3:mini");
    let notice = s.notice.clone().expect("a notice");
    assert!(notice.error);
    assert!(!notice.text.contains('\u{1b}'), "{:?}", notice.text);
    // Keys still move and act.
    let was = s.selected;
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.selected, was + 1);
    // The next good answers clear it.
    update(&mut s, Msg::PollTags);
    update(&mut s, Msg::Tags(Ok(typical_models())));
    update(&mut s, Msg::PollPs);
    update(&mut s, Msg::Ps(Ok(vec![])));
    assert!(!s.answers_with_errors());
    assert!(s.notice.as_ref().is_none_or(|n| !n.error), "{:?}", s.notice);
    let buf = frame(&mut s, 120, 40);
    assert_shows(&buf, "● connected");
}

#[test]
fn an_html_body_is_reported_without_its_markup_reaching_the_terminal() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    let html = OllamaError::Decode {
        url: "http://127.0.0.1:11434/api/tags".into(),
        reason: "expected value at line 1 column 1".into(),
        excerpt: "<html><body><h1>502 Bad Gateway</h1>\u{1b}[2J\u{1b}]0;owned\u{7}".into(),
    };
    update(&mut s, Msg::PollTags);
    update(&mut s, Msg::Tags(Err(html)));
    let buf = frame(&mut s, 120, 40);
    assert_sound(&buf);
    assert_shows(&buf, "cannot list models");
    assert_shows(&buf, "phi3:mini");
    let notice = s.notice.clone().expect("a notice");
    assert!(!notice.text.chars().any(forbidden), "{:?}", notice.text);
}

#[test]
fn ten_thousand_models_scroll_and_filter() {
    let models = many_models(10_000);
    let mut s = connected(Config::default(), models, vec![]);
    assert_eq!(s.view.len(), 10_000);
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "Installed 10000");
    update(&mut s, key(KeyCode::End));
    assert_eq!(s.selected, 9_999);
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "zoo/m09999:q4");
    update(&mut s, key(KeyCode::PageUp));
    assert!(s.selected < 9_999);
    assert!(s.scroll <= s.selected);
    // A filter narrows it; the details of what is on screen are asked for, a few
    // at a time, not all ten thousand.
    update(&mut s, key(KeyCode::Char('/')));
    for c in "m0999".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.view.len(), 10);
    assert!(s.selected < 10);
    let buf = frame(&mut s, 300, 100);
    assert_sound(&buf);
    assert_shows(&buf, "zoo/m09990:q4");
    assert!(s.flight.shows.len() <= 3, "{}", s.flight.shows.len());
}

#[test]
fn a_300_character_name_is_cut_to_fit_and_the_borders_hold() {
    let long = format!("hf.co/{}:Q4_K_M", "x".repeat(286));
    assert_eq!(long.chars().count(), 299);
    let mut models = typical_models();
    models.push(model(&long, 9_999, 4.0));
    let loaded = vec![running(&long, 4.0, 4.0, Some(at(300)))];
    let mut s = connected(Config::default(), models, loaded);
    assert!(model_orchestrator::app::derive::select_name(&mut s, &long));
    for (w, h) in [(60, 16), (80, 24), (120, 40), (300, 100)] {
        let buf = frame(&mut s, w, h);
        assert_sound(&buf);
        assert_shows(&buf, "hf.co/xxxx");
    }
    // The whole name fits at 300 columns only in the details title, if at all; it
    // never wraps a table row onto the next.
    update(&mut s, Msg::PollPs);
    update(
        &mut s,
        Msg::Ps(Err(server_error(&format!("model {long} failed")))),
    );
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "cannot list loaded models");
}

/// Names and errors a hostile or broken server could send.
const HOSTILE: [&str; 6] = [
    "\u{1b}[31mred\u{1b}[0m:7b",
    "title\u{1b}]0;pwned\u{7}:latest",
    "bell\u{7}back\u{8}del\u{7f}c1\u{9b}2J:1b",
    "مرحبا-نموذج:7b",
    "evil\u{202E}txt.exe\u{2066}:q4",
    "llama🦙-👨\u{200d}👩\u{200d}👧:8b",
];

#[test]
fn hostile_names_and_errors_are_drawn_clean_and_whole() {
    let mut models = typical_models();
    for (i, n) in HOSTILE.iter().enumerate() {
        models.push(model(n, 500 + i, 2.0 + i as f64));
    }
    let loaded: Vec<_> = HOSTILE
        .iter()
        .take(3)
        .map(|n| running(n, 2.0, 2.0, Some(at(120))))
        .collect();
    let mut s = connected(Config::default(), models, loaded);
    for name in HOSTILE {
        assert!(model_orchestrator::app::derive::select_name(&mut s, name));
        for (w, h) in [(60, 16), (80, 24), (160, 50)] {
            let buf = frame(&mut s, w, h);
            assert_sound(&buf);
        }
    }
    // What survives cleaning is shown.
    let buf = frame(&mut s, 160, 50);
    for shown in [
        "red:7b",
        "title:latest",
        "مرحبا-نموذج:7b",
        "eviltxt.exe:q4",
        "llama🦙",
    ] {
        assert_shows(&buf, shown);
    }
    // Errors carrying the same.
    for (i, name) in HOSTILE.iter().enumerate() {
        update(&mut s, Msg::PollTags);
        let why = format!("pull {name}: \u{1b}[2Jfailed\r\nretry\u{7} {i}");
        update(&mut s, Msg::Tags(Err(server_error(&why))));
        let buf = frame(&mut s, 160, 50);
        assert_sound(&buf);
        assert_shows(&buf, &format!("failed retry {i}"));
        // A load of it that fails with the same.
        assert!(model_orchestrator::app::derive::select_name(&mut s, name));
        update(&mut s, key(KeyCode::Enter));
        if s.modal.is_some() {
            // A question first (the load would evict): yes.
            update(&mut s, key(KeyCode::Char('y')));
        }
        if s.op_for(name).is_some() {
            let why = format!("\u{1b}]8;;http://x\u{1b}\\{name}");
            finish(&mut s, name, Err(server_error(&why)));
            assert!(s.op_for(name).is_none());
        }
        assert_sound(&frame(&mut s, 80, 24));
    }
}

#[test]
fn a_list_that_shrinks_under_a_scrolled_table_scrolls_back_to_the_cursor() {
    let mut s = connected(Config::default(), many_models(200), vec![]);
    update(&mut s, key(KeyCode::End));
    assert_eq!(s.selected, 199);
    assert!(s.scroll > 100, "scrolled down: {}", s.scroll);
    // Models were removed elsewhere: three are left.
    update(&mut s, Msg::PollTags);
    update(&mut s, Msg::Tags(Ok(many_models(3))));
    assert_eq!(s.view.len(), 3);
    assert!(s.selected < 3);
    assert!(
        s.scroll <= s.selected,
        "scroll {} past the cursor {}",
        s.scroll,
        s.selected
    );
    let buf = frame(&mut s, 80, 24);
    assert_sound(&buf);
    assert_shows(&buf, "zoo/m00000:q4");
    assert_shows(&buf, "zoo/m00002:q4");
}

#[test]
fn the_loaded_cursor_stays_on_a_row_when_a_failed_load_leaves_the_pane() {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(600)))];
    let mut s = connected(Config::default(), typical_models(), loaded);
    assert!(model_orchestrator::app::derive::select_name(
        &mut s,
        "phi3:mini"
    ));
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.ops.len(), 1);
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.loaded_rows().len(), 2, "the loaded model and the load");
    assert_eq!(s.loaded_selected, 1);
    assert_eq!(s.target(), Some("phi3:mini"));
    finish(
        &mut s,
        "phi3:mini",
        Err(server_error("model requires more system memory")),
    );
    assert_eq!(s.loaded_rows().len(), 1);
    assert_eq!(
        s.loaded_selected, 0,
        "the cursor is on the row that is left"
    );
    assert_eq!(s.target(), Some("llama3.1:8b"));
}
