//! Keys → user intents. Defaults live here; `[keys]` in the config overrides them
//! with `"key" = "action_name"` pairs (for example `"x" = "unload"`).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// What the user asked for, independent of the key that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    SelectNext,
    SelectPrev,
    PageDown,
    PageUp,
    First,
    Last,
    FocusNext,
    Load,
    Unload,
    Pin,
    NextTask,
    BestPick,
    Refresh,
    Filter,
    Sort,
    Help,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 17] = [
        Action::SelectNext,
        Action::SelectPrev,
        Action::PageDown,
        Action::PageUp,
        Action::First,
        Action::Last,
        Action::FocusNext,
        Action::Load,
        Action::Unload,
        Action::Pin,
        Action::NextTask,
        Action::BestPick,
        Action::Refresh,
        Action::Filter,
        Action::Sort,
        Action::Help,
        Action::Quit,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::SelectNext => "move down",
            Action::SelectPrev => "move up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::First => "first row",
            Action::Last => "last row",
            Action::FocusNext => "switch pane (models / loaded)",
            Action::Load => "load with the default keep-alive",
            Action::Unload => "unload (unpins first)",
            Action::Pin => "pin / unpin (keep loaded forever)",
            Action::NextTask => "next task for the ▶ best pick",
            Action::BestPick => "jump to the best pick",
            Action::Refresh => "refresh now",
            Action::Filter => "filter by name",
            Action::Sort => "cycle sort order",
            Action::Help => "this help",
        }
    }
}

/// A key as written in the config: `j`, `?`, `enter`, `ctrl-c`, `pgdn`, `shift-tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` subset that can be ordered and hashed cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    Named(Named),
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Named {
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    Insert,
}

const NAMES: [(&str, Named); 19] = [
    ("enter", Named::Enter),
    ("return", Named::Enter),
    ("esc", Named::Esc),
    ("escape", Named::Esc),
    ("tab", Named::Tab),
    ("backtab", Named::BackTab),
    ("backspace", Named::Backspace),
    ("up", Named::Up),
    ("down", Named::Down),
    ("left", Named::Left),
    ("right", Named::Right),
    ("pgup", Named::PageUp),
    ("pageup", Named::PageUp),
    ("pgdn", Named::PageDown),
    ("pagedown", Named::PageDown),
    ("home", Named::Home),
    ("end", Named::End),
    ("delete", Named::Delete),
    ("insert", Named::Insert),
];

impl Key {
    pub fn parse(s: &str) -> Option<Key> {
        let lower = s.trim().to_lowercase();
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = lower.as_str();
        // Strip modifiers; a trailing "-" on its own is the minus key.
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                (ctrl, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix("alt-") {
                (alt, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix("shift-") {
                (shift, rest) = (true, r);
            } else {
                break;
            }
        }
        let code = Self::parse_code(rest, s.trim(), shift)?;
        Some(Key { code, ctrl, alt })
    }

    fn parse_code(rest: &str, original: &str, shift: bool) -> Option<KeyCodeOrd> {
        if rest == "space" {
            return Some(KeyCodeOrd::Char(' '));
        }
        if shift && rest == "tab" {
            return Some(KeyCodeOrd::Named(Named::BackTab));
        }
        if let Some((_, n)) = NAMES.iter().find(|(name, _)| *name == rest) {
            return Some(KeyCodeOrd::Named(*n));
        }
        if let Some(n) = rest.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
            return (1..=12).contains(&n).then_some(KeyCodeOrd::F(n));
        }
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(_), None) => {
                // Keep the case the user wrote for a plain letter: "J" is shift-j.
                let c = original.chars().last()?;
                let c = if shift { c.to_ascii_uppercase() } else { c };
                Some(KeyCodeOrd::Char(c))
            }
            _ => None,
        }
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Named(Named::Enter),
            KeyCode::Esc => KeyCodeOrd::Named(Named::Esc),
            KeyCode::Tab => KeyCodeOrd::Named(Named::Tab),
            KeyCode::BackTab => KeyCodeOrd::Named(Named::BackTab),
            KeyCode::Backspace => KeyCodeOrd::Named(Named::Backspace),
            KeyCode::Up => KeyCodeOrd::Named(Named::Up),
            KeyCode::Down => KeyCodeOrd::Named(Named::Down),
            KeyCode::Left => KeyCodeOrd::Named(Named::Left),
            KeyCode::Right => KeyCodeOrd::Named(Named::Right),
            KeyCode::PageUp => KeyCodeOrd::Named(Named::PageUp),
            KeyCode::PageDown => KeyCodeOrd::Named(Named::PageDown),
            KeyCode::Home => KeyCodeOrd::Named(Named::Home),
            KeyCode::End => KeyCodeOrd::Named(Named::End),
            KeyCode::Delete => KeyCodeOrd::Named(Named::Delete),
            KeyCode::Insert => KeyCodeOrd::Named(Named::Insert),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// How the help overlay shows the key.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "Space".to_string(),
            KeyCodeOrd::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::F(n) => format!("F{n}"),
            KeyCodeOrd::Named(n) => named_label(n).to_string(),
        };
        let mut out = String::new();
        if self.ctrl {
            out.push_str("Ctrl-");
        }
        if self.alt {
            out.push_str("Alt-");
        }
        out.push_str(&base);
        out
    }
}

fn named_label(n: Named) -> &'static str {
    match n {
        Named::Enter => "Enter",
        Named::Esc => "Esc",
        Named::Tab => "Tab",
        Named::BackTab => "Shift-Tab",
        Named::Backspace => "Backspace",
        Named::Up => "↑",
        Named::Down => "↓",
        Named::Left => "←",
        Named::Right => "→",
        Named::PageUp => "PgUp",
        Named::PageDown => "PgDn",
        Named::Home => "Home",
        Named::End => "End",
        Named::Delete => "Del",
        Named::Insert => "Ins",
    }
}

const DEFAULTS: [(&str, Action); 25] = [
    ("down", Action::SelectNext),
    ("j", Action::SelectNext),
    ("up", Action::SelectPrev),
    ("k", Action::SelectPrev),
    ("pgdn", Action::PageDown),
    ("pgup", Action::PageUp),
    ("home", Action::First),
    ("g", Action::First),
    ("end", Action::Last),
    ("G", Action::Last),
    ("tab", Action::FocusNext),
    ("enter", Action::Load),
    ("l", Action::Load),
    ("u", Action::Unload),
    ("p", Action::Pin),
    ("t", Action::NextTask),
    ("b", Action::BestPick),
    ("r", Action::Refresh),
    ("/", Action::Filter),
    ("s", Action::Sort),
    ("?", Action::Help),
    ("q", Action::Quit),
    ("esc", Action::Quit),
    ("ctrl-c", Action::Quit),
    ("backtab", Action::FocusNext),
];

/// The active bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    bindings: BTreeMap<Key, Action>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|(k, a)| Key::parse(k).map(|k| (k, *a)))
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// Defaults plus the config's overrides. Entries that cannot be understood are
    /// skipped and described in the returned warnings (the dashboard logs them).
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> (KeyMap, Vec<String>) {
        let mut map = KeyMap::default();
        let mut warnings = Vec::new();
        for (key, action) in overrides {
            let Some(k) = Key::parse(key) else {
                warnings.push(format!("[keys] {key:?}: not a key this dashboard knows"));
                continue;
            };
            let value = serde_json::Value::String(action.trim().to_string());
            match serde_json::from_value::<Action>(value) {
                Ok(a) => {
                    map.bindings.insert(k, a);
                }
                Err(_) => warnings.push(format!("[keys] {key:?} = {action:?}: unknown action")),
            }
        }
        // Ctrl-C always quits, whatever the overrides say: the way out must not vanish.
        if let Some(k) = Key::parse("ctrl-c") {
            map.bindings.insert(k, Action::Quit);
        }
        (map, warnings)
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        // Shift is ignored: terminals report "?" or "G" with SHIFT, and the char
        // already carries it.
        let key = Key::from_event(ev)?;
        self.bindings.get(&key).copied()
    }

    /// The keys bound to `action`, for the help overlay: defaults in their usual
    /// order (Enter before l), then the user's own.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        let mut keys: Vec<Key> = DEFAULTS
            .iter()
            .filter_map(|(k, _)| Key::parse(k))
            .filter(|k| self.bindings.get(k) == Some(&action))
            .collect();
        for (k, a) in &self.bindings {
            if *a == action && !keys.contains(k) {
                keys.push(*k);
            }
        }
        keys.dedup();
        keys.iter().map(Key::label).collect()
    }

    /// One key for `action`, for short hints: the first default still bound to it
    /// (so Enter rather than l), else the user's own.
    pub fn hint(&self, action: Action) -> String {
        self.keys_for(action).into_iter().next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

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
}
