//! One line of text edited like a shell prompt: the filter, a pull's name and a
//! keep-alive. Backspace and Delete, ←/→/Home/End (Ctrl-A/Ctrl-E), Ctrl-U clears
//! the line, Ctrl-W deletes the word before the cursor, Enter accepts, Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Longer input is a paste gone wrong, not a model name or a duration.
const MAX_CHARS: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    text: String,
    /// Cursor position in chars.
    cursor: usize,
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    /// The key moved the cursor or did nothing.
    Same,
    Accept,
    Cancel,
    /// Not a line-editing key (↑/↓, Tab): the caller may use it.
    Other,
}

impl LineEdit {
    pub fn new(text: &str) -> LineEdit {
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        LineEdit {
            cursor: text.chars().count(),
            text,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor's position in chars.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn key(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Enter => Edit::Accept,
            KeyCode::Esc => Edit::Cancel,
            KeyCode::Char('u') if ctrl => self.replace(0, self.len(), ""),
            KeyCode::Char('w') if ctrl => self.delete_word(),
            KeyCode::Backspace if alt => self.delete_word(),
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(self.len()),
            KeyCode::Char('h') if ctrl => self.backspace(),
            KeyCode::Char(_) if ctrl || alt => Edit::Same,
            KeyCode::Char(c) if !c.is_control() => {
                if self.len() >= MAX_CHARS {
                    return Edit::Same;
                }
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                Edit::Changed
            }
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete if self.cursor < self.len() => {
                self.replace(self.cursor, self.cursor + 1, "")
            }
            KeyCode::Left => self.move_to(self.cursor.saturating_sub(1)),
            KeyCode::Right => self.move_to((self.cursor + 1).min(self.len())),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.len()),
            KeyCode::Delete => Edit::Same,
            _ => Edit::Other,
        }
    }

    fn backspace(&mut self) -> Edit {
        if self.cursor == 0 {
            return Edit::Same;
        }
        self.replace(self.cursor - 1, self.cursor, "")
    }

    fn move_to(&mut self, at: usize) -> Edit {
        self.cursor = at;
        Edit::Same
    }

    /// Replaces chars `from..to` with `with` and puts the cursor after it.
    fn replace(&mut self, from: usize, to: usize, with: &str) -> Edit {
        if from == to && with.is_empty() {
            return Edit::Same;
        }
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        self.text.replace_range(a..b, with);
        self.cursor = from + with.chars().count();
        Edit::Changed
    }

    /// Ctrl-W: back over separators, then over the word. Besides spaces, `/` and `:`
    /// end a word, so `library/llama3:8b` goes a part at a time.
    fn delete_word(&mut self) -> Edit {
        let chars: Vec<char> = self.text.chars().collect();
        let sep = |c: char| c.is_whitespace() || c == '/' || c == ':';
        let mut at = self.cursor;
        while at > 0 && sep(chars[at - 1]) {
            at -= 1;
        }
        while at > 0 && !sep(chars[at - 1]) {
            at -= 1;
        }
        self.replace(at, self.cursor, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(line: &mut LineEdit, code: KeyCode, mods: KeyModifiers) -> Edit {
        line.key(&KeyEvent::new(code, mods))
    }

    fn typed(text: &str) -> LineEdit {
        let mut l = LineEdit::default();
        for c in text.chars() {
            press(&mut l, KeyCode::Char(c), KeyModifiers::NONE);
        }
        l
    }

    #[test]
    fn typing_backspace_and_cursor_moves() {
        let mut l = typed("llama3");
        assert_eq!(l.text(), "llama3");
        press(&mut l, KeyCode::Backspace, KeyModifiers::NONE);
        press(&mut l, KeyCode::Home, KeyModifiers::NONE);
        press(&mut l, KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(l.text(), "xllama");
        press(&mut l, KeyCode::Delete, KeyModifiers::NONE);
        assert_eq!((l.text(), l.cursor()), ("xlama", 1));
        press(&mut l, KeyCode::Char('e'), KeyModifiers::CONTROL);
        assert_eq!(l.cursor(), 5);
        // Multi-byte chars move as one.
        let mut l = typed("模型");
        press(&mut l, KeyCode::Left, KeyModifiers::NONE);
        press(&mut l, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(l.text(), "型");
    }

    #[test]
    fn ctrl_u_clears_and_ctrl_w_deletes_a_word() {
        let mut l = typed("registry.ollama.ai/library/llama3:8b");
        assert_eq!(
            press(&mut l, KeyCode::Char('w'), KeyModifiers::CONTROL),
            Edit::Changed
        );
        assert_eq!(l.text(), "registry.ollama.ai/library/llama3:");
        press(&mut l, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(l.text(), "registry.ollama.ai/library/");
        press(&mut l, KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(l.text(), "registry.ollama.ai/");
        press(&mut l, KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!((l.text(), l.cursor()), ("", 0));
        assert_eq!(
            press(&mut l, KeyCode::Char('u'), KeyModifiers::CONTROL),
            Edit::Same
        );
    }

    #[test]
    fn enter_accepts_esc_cancels_and_other_keys_pass() {
        let mut l = typed("2h");
        assert_eq!(
            press(&mut l, KeyCode::Enter, KeyModifiers::NONE),
            Edit::Accept
        );
        assert_eq!(
            press(&mut l, KeyCode::Esc, KeyModifiers::NONE),
            Edit::Cancel
        );
        assert_eq!(
            press(&mut l, KeyCode::Down, KeyModifiers::NONE),
            Edit::Other
        );
        assert_eq!(
            press(&mut l, KeyCode::Char('x'), KeyModifiers::CONTROL),
            Edit::Same
        );
        assert_eq!(l.text(), "2h");
    }

    #[test]
    fn control_characters_never_enter_and_the_length_is_capped() {
        let l = LineEdit::new("a\u{1b}[31mb\n");
        assert_eq!(l.text(), "a[31mb");
        let long = typed(&"x".repeat(1000));
        assert_eq!(long.text().chars().count(), MAX_CHARS);
    }
}
