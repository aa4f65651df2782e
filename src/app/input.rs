//! Keys and mouse: modal layers first (confirmation, help, filter), then the keymap.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::msg::Effect;
use super::state::{Focus, State};
use super::{actions, data, derive, ops};
use crate::keymap::Action;
use crate::ui::layout::Areas;

pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind != KeyEventKind::Press {
        return;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return actions::apply(state, Action::Quit, fx);
    }
    if state.confirm.is_some() {
        return on_confirm_key(state, key.code, fx);
    }
    if state.help {
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('?' | 'q')) {
            state.help = false;
            state.dirty = true;
        }
        return;
    }
    if state.filter_editing && !ctrl {
        return on_filter_key(state, key, fx);
    }
    if key.code == KeyCode::Esc && !state.filter.is_empty() {
        return set_filter(state, String::new(), fx);
    }
    if let Some(action) = state.keymap.action(&key) {
        actions::apply(state, action, fx);
    }
}

fn on_confirm_key(state: &mut State, code: KeyCode, fx: &mut Vec<Effect>) {
    match code {
        KeyCode::Char('y' | 'Y') => ops::confirmed(state, fx),
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
            if let Some(c) = state.confirm.take() {
                let verb = if c.pin { "pin" } else { "load" };
                state.notify(format!("did not {verb} {}", c.model), false);
            }
        }
        _ => return,
    }
    state.dirty = true;
}

fn on_filter_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let mut text = state.filter.clone();
    match key.code {
        KeyCode::Esc => {
            state.filter_editing = false;
            text.clear();
        }
        KeyCode::Enter => {
            state.filter_editing = false;
            state.dirty = true;
            return;
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        KeyCode::Down => return actions::apply(state, Action::SelectNext, fx),
        KeyCode::Up => return actions::apply(state, Action::SelectPrev, fx),
        _ => return,
    }
    set_filter(state, text, fx);
}

fn set_filter(state: &mut State, text: String, fx: &mut Vec<Effect>) {
    let keep = state.selected_model().map(|m| m.name.clone());
    state.filter = text;
    derive::rebuild_view(state);
    if !keep.is_some_and(|n| derive::select_name(state, &n)) {
        state.selected = 0;
    }
    derive::clamp_selection(state);
    ensure_visible(state);
    data::schedule_shows(state, fx);
    state.dirty = true;
}

/// Rows of the installed table that fit on screen.
pub fn page_rows(state: &State) -> usize {
    Areas::new(screen(state)).map_or(1, |a| a.models_body().height.max(1) as usize)
}

fn screen(state: &State) -> Rect {
    Rect::new(0, 0, state.size.0, state.size.1)
}

/// Scrolls the table so the cursor stays on screen.
pub fn ensure_visible(state: &mut State) {
    let rows = page_rows(state);
    if state.selected < state.scroll {
        state.scroll = state.selected;
    } else if state.selected >= state.scroll + rows {
        state.scroll = state.selected + 1 - rows;
    }
    let max_scroll = state.view.len().saturating_sub(rows);
    state.scroll = state.scroll.min(max_scroll);
}

pub fn on_mouse(state: &mut State, m: MouseEvent, fx: &mut Vec<Effect>) {
    let Some(areas) = Areas::new(screen(state)) else {
        return;
    };
    let at = Position::new(m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let body = areas.models_body();
            let loaded = areas.loaded_body();
            if body.contains(at) {
                let row = state.scroll + (m.row - body.y) as usize;
                if row < state.view.len() {
                    state.focus = Focus::Models;
                    state.selected = row;
                    data::schedule_shows(state, fx);
                    state.dirty = true;
                }
            } else if loaded.contains(at) {
                let row = (m.row - loaded.y) as usize;
                if row < state.loaded_rows().len() {
                    state.focus = Focus::Loaded;
                    state.loaded_selected = row;
                    state.dirty = true;
                }
            }
        }
        MouseEventKind::ScrollDown => actions::move_by(state, 3, fx),
        MouseEventKind::ScrollUp => actions::move_by(state, -3, fx),
        _ => {}
    }
}
