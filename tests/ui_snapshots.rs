//! Whole screens at several sizes, with a fixed clock.

mod ui_fixtures;

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
fn tiny_terminal_shows_a_notice() {
    let mut s = connected(Config::default(), typical_models(), vec![]);
    let t = screen(&mut s, 40, 10);
    insta::assert_snapshot!("tiny_40x10", t.backend());
}
