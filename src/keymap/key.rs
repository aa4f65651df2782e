//! One key as the config writes it (`ctrl-c`, `pgdn`, `G`) and as the terminal
//! reports it, and how the help overlay labels it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
