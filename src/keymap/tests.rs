//! Key parsing, defaults and overrides.

use super::*;
use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    let mut e = KeyEvent::new(code, mods);
    e.kind = KeyEventKind::Press;
    e
}

#[test]
fn parses_key_strings() {
    let k = Key::parse("ctrl-c").expect("ctrl-c parses");
    assert!(k.ctrl);
    assert_eq!(k.code, KeyCodeOrd::Char('c'));
    assert_eq!(
        Key::parse("PgDn").map(|k| k.code),
        Some(KeyCodeOrd::Named(Named::PageDown))
    );
    assert_eq!(Key::parse("-").map(|k| k.code), Some(KeyCodeOrd::Char('-')));
    assert_eq!(Key::parse("G").map(|k| k.code), Some(KeyCodeOrd::Char('G')));
    assert_eq!(Key::parse("f5").map(|k| k.code), Some(KeyCodeOrd::F(5)));
    assert!(Key::parse("hyper-x").is_none());
    assert!(Key::parse("f13").is_none());
}

#[test]
fn defaults_and_overrides() {
    let mut over = BTreeMap::new();
    over.insert("x".to_string(), "unload".to_string());
    over.insert("ctrl-c".to_string(), "help".to_string());
    over.insert("zz".to_string(), "quit".to_string());
    over.insert("y".to_string(), "explode".to_string());
    let (map, warnings) = KeyMap::with_overrides(&over);
    let x = ev(KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(map.action(&x), Some(Action::Unload));
    let u = ev(KeyCode::Char('u'), KeyModifiers::NONE);
    assert_eq!(map.action(&u), Some(Action::Unload));
    let cc = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(map.action(&cc), Some(Action::Quit));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(map.keys_for(Action::Unload).contains(&"x".to_string()));
}

#[test]
fn every_action_has_a_default_key() {
    let map = KeyMap::default();
    for a in Action::ALL {
        assert!(!map.keys_for(a).is_empty(), "{a:?} has no key");
    }
}

#[test]
fn each_action_name_is_the_one_the_config_uses() {
    for a in Action::ALL {
        let parsed: Action =
            serde_json::from_value(serde_json::Value::String(a.name().into())).expect("parses");
        assert_eq!(parsed, a);
    }
}

#[test]
fn esc_is_back_and_never_bound() {
    let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(KeyMap::default().action(&esc), None);
    let mut over = BTreeMap::new();
    over.insert("esc".to_string(), "quit".to_string());
    let (map, warnings) = KeyMap::with_overrides(&over);
    assert_eq!(map.action(&esc), None);
    assert!(warnings.iter().any(|w| w.contains("Esc always means back")));
}

#[test]
fn an_action_left_without_a_key_is_reported() {
    // Rebinding both keys of "pull" and "delete" leaves those without one.
    let mut over = BTreeMap::new();
    over.insert("P".to_string(), "help".to_string());
    over.insert("d".to_string(), "help".to_string());
    let (_, warnings) = KeyMap::with_overrides(&over);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("no key is left for pull"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("no key is left for delete"),
        "{warnings:?}"
    );
}

#[test]
fn the_sample_config_names_every_action() {
    let sample = include_str!("../../config.toml.sample");
    for a in Action::ALL {
        assert!(
            sample.contains(a.name()),
            "config.toml.sample lacks {}",
            a.name()
        );
    }
}
