//! What sits on top of the panes and takes the keys first: the help overlay, a
//! question, the filter line, or a prompt. One at a time; Esc closes it.

use crossterm::event::{KeyCode, KeyEvent};

use super::line_edit::{Edit, LineEdit};
use super::msg::Effect;
use super::state::{Confirm, Confirmed, State};
use super::{actions, input, ops};
use crate::keymap::Action;
use crate::sanitize::clean;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    /// Every key; `scroll` is the first line shown when it does not all fit.
    Help {
        scroll: u16,
    },
    Confirm(Confirm),
    /// Typing the filter of the installed table or of the events.
    Filter {
        log: bool,
        line: LineEdit,
    },
    Prompt(Prompt),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub line: LineEdit,
    /// Why the last Enter was refused; cleared by the next edit.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// The name of a model to pull.
    Pull,
    /// The keep-alive for a load of `model`.
    KeepAlive { model: String },
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Prompt {
        Prompt {
            kind,
            line: LineEdit::new(text),
            error: None,
        }
    }
}

pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(modal) = state.modal.take() else {
        return;
    };
    state.dirty = true;
    state.modal = match modal {
        Modal::Help { scroll } => help_key(state, scroll, key),
        Modal::Confirm(c) => confirm_key(state, c, key.code, fx),
        Modal::Filter { log, line } => filter_key(state, log, line, key, fx),
        Modal::Prompt(p) => prompt_key(state, p, key, fx),
    };
}

fn help_key(state: &State, scroll: u16, key: KeyEvent) -> Option<Modal> {
    if matches!(key.code, KeyCode::Esc | KeyCode::Char('?' | 'q')) {
        return None;
    }
    let scroll = match state.keymap.action(&key) {
        Some(Action::SelectNext) => scroll.saturating_add(1),
        Some(Action::SelectPrev) => scroll.saturating_sub(1),
        Some(Action::PageDown) => scroll.saturating_add(10),
        Some(Action::PageUp) => scroll.saturating_sub(10),
        Some(Action::First) => 0,
        Some(Action::Last) => u16::MAX,
        _ => scroll,
    };
    // Clamped when drawn: the overlay knows how many lines fit.
    Some(Modal::Help { scroll })
}

fn confirm_key(
    state: &mut State,
    c: Confirm,
    code: KeyCode,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match code {
        KeyCode::Char('y' | 'Y') => {
            ops::confirmed(state, c.on_yes, fx);
            None
        }
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
            let what = match &c.on_yes {
                Confirmed::Load { model, pin, .. } => {
                    format!(
                        "did not {} {}",
                        if *pin { "pin" } else { "load" },
                        clean(model)
                    )
                }
                Confirmed::Delete { model } => format!("kept {}", clean(model)),
                Confirmed::UnloadAll => "unloaded nothing".to_string(),
            };
            state.notify(what, false);
            None
        }
        _ => Some(Modal::Confirm(c)),
    }
}

fn filter_key(
    state: &mut State,
    log: bool,
    mut line: LineEdit,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match line.key(&key) {
        Edit::Accept => return None,
        Edit::Cancel => {
            input::set_filter(state, log, String::new(), fx);
            return None;
        }
        Edit::Changed => input::set_filter(state, log, line.text().to_string(), fx),
        Edit::Same => {}
        // The cursor still moves through the table while typing.
        Edit::Other => match key.code {
            KeyCode::Down => actions::apply(state, Action::SelectNext, fx),
            KeyCode::Up => actions::apply(state, Action::SelectPrev, fx),
            _ => {}
        },
    }
    Some(Modal::Filter { log, line })
}

fn prompt_key(
    state: &mut State,
    mut p: Prompt,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match p.line.key(&key) {
        Edit::Cancel => None,
        Edit::Accept => match ops::prompt_accepted(state, &p, fx) {
            Ok(()) => None,
            Err(why) => {
                p.error = Some(why);
                Some(Modal::Prompt(p))
            }
        },
        Edit::Changed => {
            p.error = None;
            Some(Modal::Prompt(p))
        }
        Edit::Same | Edit::Other => Some(Modal::Prompt(p)),
    }
}
