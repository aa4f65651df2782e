//! Whole screens at several sizes, with a fixed clock.

use crate::ui_fixtures;

use model_orchestrator::app::{Msg, State};
use model_orchestrator::config::Config;
use model_orchestrator::ollama::OllamaError;
use ui_fixtures::*;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (60, 16)];

fn snap_all(name: &str, state: &mut State) {
    for (w, h) in SIZES {
        let t = screen(state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

#[test]
fn no_server() {
    let mut s = new_state(Config::default());
    let refused = OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/version".into(),
        reason: "Connection refused (os error 111)".into(),
    };
    feed(
        &mut s,
        vec![
            Msg::Memory(memory(32.0, 9.5, &[])),
            Msg::Version(Err(refused.clone())),
            Msg::Tags(Err(refused)),
            Msg::Clock(at(0)),
        ],
    );
    snap_all("no_server", &mut s);
}

#[test]
fn empty_server() {
    let mut s = connected(Config::default(), vec![], vec![]);
    snap_all("empty_server", &mut s);
}

#[test]
fn typical_server_with_a_loaded_model() {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    let mut s = connected(Config::default(), typical_models(), loaded);
    let key = State::show_key(&s.models[0]);
    feed(
        &mut s,
        vec![Msg::Show {
            key,
            model: "llama3.1:8b".into(),
            reply: Box::new(Ok(show("llama", 32, 131072))),
        }],
    );
    snap_all("typical", &mut s);
}

#[test]
fn details_of_a_model_with_its_show_answer() {
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    let mut s = connected(Config::default(), typical_models(), loaded);
    let key = State::show_key(&s.models[0]);
    feed(
        &mut s,
        vec![Msg::Show {
            key,
            model: "llama3.1:8b".into(),
            reply: Box::new(Ok(show("llama", 32, 16384))),
        }],
    );
    select(&mut s, "llama3.1:8b");
    snap_all("details", &mut s);
}

#[test]
fn tiny_terminal_shows_a_notice() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    let t = screen(&mut s, 40, 10);
    insta::assert_snapshot!("tiny_40x10", t.backend());
}

fn key(c: char) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

fn select(state: &mut State, name: &str) {
    assert!(model_orchestrator::app::derive::select_name(state, name));
}

#[test]
fn many_models_scrolled() {
    let mut models = typical_models();
    for i in 0..200 {
        models.push(entry(
            &format!("zoo/model-{i:03}:q4"),
            1.0 + i as f64 * 0.3,
            "7B",
            "Q4_0",
            "llama",
        ));
    }
    let loaded = vec![
        running("mistral:7b", 5.2, 5.2, Some(at(45))),
        running("phi3:mini", 3.1, 1.5, Some(at(1800))),
    ];
    let mut s = connected(Config::default(), models, loaded);
    select(&mut s, "zoo/model-120:q4");
    snap_all("many", &mut s);
}

#[test]
fn load_in_progress() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    select(&mut s, "mistral:7b");
    feed(&mut s, vec![key('l'), Msg::Clock(at(12))]);
    snap_all("loading", &mut s);
}

#[test]
fn pinned_model() {
    let config = Config {
        keep_alive_models: vec!["llama3.1:8b".into()],
        ..Config::default()
    };
    let loaded = vec![
        running("llama3.1:8b", 6.1, 6.1, None),
        running("phi3:mini", 3.1, 3.1, Some(at(-1))),
    ];
    let mut s = connected(config, typical_models(), loaded);
    select(&mut s, "llama3.1:8b");
    snap_all("pinned", &mut s);
}

#[test]
fn load_error() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    select(&mut s, "mistral:7b");
    feed(&mut s, vec![key('l'), Msg::Clock(at(4))]);
    let oom = OllamaError::status(
        500,
        r#"{"error":"model requires more system memory (12.3 GiB) than is available (9.8 GiB)"}"#,
    );
    finish(&mut s, "mistral:7b", Err(oom));
    snap_all("error", &mut s);
}

#[test]
fn help_overlay() {
    let mut config = Config::default();
    config.keys.insert("x".into(), "unload".into());
    let mut s = connected(config, typical_models(), vec![]);
    feed(&mut s, vec![key('?')]);
    let t = screen(&mut s, 80, 24);
    insta::assert_snapshot!("help_80x24", t.backend());
    let t = screen(&mut s, 120, 40);
    insta::assert_snapshot!("help_120x40", t.backend());
    // Every key is in it; a short terminal scrolls to reach them all.
    let t = screen(&mut s, 60, 16);
    insta::assert_snapshot!("help_60x16", t.backend());
    let mut text = String::new();
    for _ in 0..40 {
        text.push_str(&format!("{:?}", screen(&mut s, 60, 16).backend()));
        feed(&mut s, vec![key('j')]);
    }
    for a in model_orchestrator::keymap::Action::ALL {
        let desc = a.describe();
        let words: String = desc.chars().take(18).collect();
        assert!(text.contains(&words), "{desc:?} missing at 60x16");
        assert!(!s.keymap.keys_for(a).is_empty(), "{a:?} has no key");
    }
    for legend in ["⇣ pulling", "↻ pin reloaded", "▲ ascending"] {
        assert!(text.contains(legend), "{legend} missing");
    }
}

#[test]
fn confirmation_dialog() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    select(&mut s, "llama3.1:70b");
    feed(&mut s, vec![key('l')]);
    for (w, h) in [(80, 24), (60, 16)] {
        let t = screen(&mut s, w, h);
        let text = format!("{}", t.backend());
        assert!(
            text.contains("y go ahead"),
            "key hint cut at {w}x{h}:\n{text}"
        );
        assert!(text.contains("anyway"), "question cut at {w}x{h}:\n{text}");
        insta::assert_snapshot!(format!("confirm_{w}x{h}"), t.backend());
    }
}

#[test]
fn server_text_is_cleaned_before_drawing() {
    let evil = entry(
        "evil\u{1b}]0;pwned\u{7}:7b\u{1b}[31m",
        1.0,
        "1B",
        "Q4_0",
        "llama",
    );
    let mut s = connected(Config::default(), vec![evil], vec![]);
    let t = screen(&mut s, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("evil:7b"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains("pwned"));
}

#[test]
fn pinned_model_waiting_for_memory() {
    let config = Config {
        keep_alive_models: vec!["llama3.1:70b".into()],
        ..Config::default()
    };
    let loaded = vec![
        running("llama3.1:8b", 6.1, 6.1, Some(at(292))),
        running("phi3:mini", 3.1, 3.1, Some(at(45))),
    ];
    let mut s = connected(config, typical_models(), loaded);
    select(&mut s, "llama3.1:70b");
    feed(&mut s, vec![Msg::Clock(at(8))]);
    snap_all("pinned_waiting", &mut s);
    // At 100 columns the loaded pane has room for the context length.
    let t = screen(&mut s, 100, 30);
    insta::assert_snapshot!("pinned_waiting_100x30", t.backend());
}

/// Every colour on screen, foreground and background.
fn colours(state: &mut State) -> Vec<ratatui::style::Color> {
    let t = screen(state, 120, 40);
    t.backend()
        .buffer()
        .content()
        .iter()
        .flat_map(|c| [c.fg, c.bg])
        .collect()
}

#[test]
fn no_color_draws_no_colour_and_colour_uses_only_the_16_named_ones() {
    use ratatui::style::Color;
    let loaded = vec![running("llama3.1:8b", 6.1, 6.1, Some(at(252)))];
    let mut s = connected(Config::default(), typical_models(), loaded);
    s.color = false;
    let plain = colours(&mut s);
    assert!(
        plain.iter().all(|c| *c == Color::Reset),
        "NO_COLOR drew a colour"
    );
    s.color = true;
    let coloured = colours(&mut s);
    assert!(
        coloured.iter().any(|c| *c != Color::Reset),
        "no colour at all"
    );
    assert!(
        coloured
            .iter()
            .all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_))),
        "a colour a 16-colour terminal cannot show"
    );
}
