//! Keys → user intents. Defaults live here; `[keys]` in the config overrides them
//! with `"key" = "action_name"` pairs (for example `"x" = "unload"`).

mod key;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;
use serde::Deserialize;

pub use key::{Key, KeyCodeOrd, Named};

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
    FocusPrev,
    Load,
    LoadKeepAlive,
    Unload,
    UnloadAll,
    Pin,
    Pull,
    Delete,
    Copy,
    NextTask,
    BestPick,
    Refresh,
    Filter,
    Sort,
    SortReverse,
    Help,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 24] = [
        Action::SelectNext,
        Action::SelectPrev,
        Action::PageDown,
        Action::PageUp,
        Action::First,
        Action::Last,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Load,
        Action::LoadKeepAlive,
        Action::Unload,
        Action::UnloadAll,
        Action::Pin,
        Action::Pull,
        Action::Delete,
        Action::Copy,
        Action::NextTask,
        Action::BestPick,
        Action::Refresh,
        Action::Filter,
        Action::Sort,
        Action::SortReverse,
        Action::Help,
        Action::Quit,
    ];

    /// The name `[keys]` in the config uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::SelectNext => "select_next",
            Action::SelectPrev => "select_prev",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::First => "first",
            Action::Last => "last",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Load => "load",
            Action::LoadKeepAlive => "load_keep_alive",
            Action::Unload => "unload",
            Action::UnloadAll => "unload_all",
            Action::Pin => "pin",
            Action::Pull => "pull",
            Action::Delete => "delete",
            Action::Copy => "copy",
            Action::NextTask => "next_task",
            Action::BestPick => "best_pick",
            Action::Refresh => "refresh",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::SortReverse => "sort_reverse",
            Action::Help => "help",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::SelectNext => "move down (scrolls the events when focused)",
            Action::SelectPrev => "move up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::First => "first row",
            Action::Last => "last row",
            Action::FocusNext => "next pane (installed → loaded → events)",
            Action::FocusPrev => "previous pane",
            Action::Load => "load with the default keep-alive",
            Action::LoadKeepAlive => "load with a keep-alive you type (30m, 2h, -1)",
            Action::Unload => "unload (unpins first); cancels a load or pull",
            Action::UnloadAll => "unload every loaded model (asks first)",
            Action::Pin => "pin / unpin (keep loaded forever)",
            Action::Pull => "pull a model by name",
            Action::Delete => "delete the model from disk (asks first)",
            Action::Copy => "copy the model's name (OSC 52 clipboard)",
            Action::NextTask => "next task for the ▶ best pick",
            Action::BestPick => "jump to the best pick",
            Action::Refresh => "refresh now",
            Action::Filter => "filter by name (models or events)",
            Action::Sort => "next sort column",
            Action::SortReverse => "reverse the sort order",
            Action::Help => "this help",
        }
    }
}

const DEFAULTS: [(&str, Action); 32] = [
    ("down", Action::SelectNext),
    ("j", Action::SelectNext),
    ("up", Action::SelectPrev),
    ("k", Action::SelectPrev),
    ("pgdn", Action::PageDown),
    ("ctrl-d", Action::PageDown),
    ("pgup", Action::PageUp),
    ("ctrl-b", Action::PageUp),
    ("home", Action::First),
    ("g", Action::First),
    ("end", Action::Last),
    ("G", Action::Last),
    ("tab", Action::FocusNext),
    ("backtab", Action::FocusPrev),
    ("enter", Action::Load),
    ("l", Action::Load),
    ("L", Action::LoadKeepAlive),
    ("u", Action::Unload),
    ("U", Action::UnloadAll),
    ("p", Action::Pin),
    ("P", Action::Pull),
    ("d", Action::Delete),
    ("y", Action::Copy),
    ("t", Action::NextTask),
    ("b", Action::BestPick),
    ("r", Action::Refresh),
    ("/", Action::Filter),
    ("s", Action::Sort),
    ("S", Action::SortReverse),
    ("?", Action::Help),
    ("q", Action::Quit),
    ("ctrl-c", Action::Quit),
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
        // Esc is "back" (close, clear, cancel), handled before the bindings.
        if let Some(k) = Key::parse("esc")
            && map.bindings.remove(&k).is_some()
        {
            warnings.push("[keys] \"esc\": Esc always means back; it cannot be bound".into());
        }
        for a in Action::ALL {
            if !map.bindings.values().any(|b| *b == a) {
                warnings.push(format!(
                    "[keys]: no key is left for {} ({}); add one, e.g. \"F2\" = \"{}\"",
                    a.name(),
                    a.describe(),
                    a.name()
                ));
            }
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
