//! Keys and mouse: the modal first (help, a question, a prompt, the filter line),
//! then Esc as "back", then the keymap.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::msg::Effect;
use super::state::{Focus, OpKind, State};
use super::{actions, data, derive, modal, ops};
use crate::keymap::Action;
use crate::ui::layout::Areas;

/// Key precedence, all of it here: Ctrl-C quits; an open modal takes every other
/// key; Esc goes back (clears a filter, cancels the pull under the cursor) and
/// never quits; then the keymap.
pub fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind != KeyEventKind::Press {
        return;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return actions::apply(state, Action::Quit, fx);
    }
    if state.modal.is_some() {
        return modal::on_key(state, key, fx);
    }
    if key.code == KeyCode::Esc {
        return back(state, fx);
    }
    if let Some(action) = state.keymap.action(&key) {
        actions::apply(state, action, fx);
    }
}

/// Esc without a modal: clears the focused pane's filter, or cancels the pull
/// under the cursor; otherwise nothing.
fn back(state: &mut State, fx: &mut Vec<Effect>) {
    match state.focus {
        Focus::Log if !state.log_filter.is_empty() => set_filter(state, true, String::new(), fx),
        Focus::Models | Focus::Log if !state.filter.is_empty() => {
            set_filter(state, false, String::new(), fx)
        }
        Focus::Loaded => {
            let rows = state.loaded_rows();
            let pull = rows
                .get(state.loaded_selected)
                .and_then(|r| r.op_id())
                .and_then(|id| state.op(id))
                .filter(|o| o.kind == OpKind::Pull)
                .map(|o| o.model.clone());
            if let Some(model) = pull {
                ops::cancel_pull(state, &model, fx);
            } else if !state.filter.is_empty() {
                set_filter(state, false, String::new(), fx);
            }
        }
        _ => {}
    }
}

/// Sets the filter of the installed table (`log` false) or of the events.
pub fn set_filter(state: &mut State, log: bool, text: String, fx: &mut Vec<Effect>) {
    state.dirty = true;
    if log {
        state.log_filter = text;
        state.log_scroll = 0;
        return;
    }
    let keep = state.selected_model().map(|m| m.name.clone());
    state.filter = text;
    derive::rebuild_view(state);
    if !keep.is_some_and(|n| derive::select_name(state, &n)) {
        state.selected = 0;
    }
    derive::clamp_selection(state);
    ensure_visible(state);
    data::schedule_shows(state, fx);
}

/// Rows of the installed table that fit on screen.
pub fn page_rows(state: &State) -> usize {
    Areas::new(screen(state)).map_or(1, |a| a.models_body().height.max(1) as usize)
}

pub fn screen(state: &State) -> Rect {
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
    if state.modal.is_some() {
        // Only the help overlay scrolls with the wheel; clicks go nowhere under a modal.
        if let Some(super::modal::Modal::Help { scroll }) = state.modal.as_mut() {
            match m.kind {
                MouseEventKind::ScrollDown => *scroll = scroll.saturating_add(3),
                MouseEventKind::ScrollUp => *scroll = scroll.saturating_sub(3),
                _ => return,
            }
            state.dirty = true;
        }
        return;
    }
    let at = Position::new(m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => click(state, &areas, at, fx),
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            // The wheel scrolls the pane under the pointer.
            if areas.log.contains(at) {
                state.focus = Focus::Log;
            } else if areas.loaded.contains(at) && !state.loaded_rows().is_empty() {
                state.focus = Focus::Loaded;
            } else if areas.models.contains(at) {
                state.focus = Focus::Models;
            }
            let step = if m.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            actions::move_by(state, step, fx);
        }
        _ => {}
    }
}

/// A click selects the row under it, sorts by the column header under it (again
/// on the same column reverses), or focuses the events.
fn click(state: &mut State, areas: &Areas, at: Position, fx: &mut Vec<Effect>) {
    let body = areas.models_body();
    let loaded = areas.loaded_body();
    let header = Rect {
        y: body.y.saturating_sub(1),
        height: 1,
        ..body
    };
    if header.contains(at) {
        let x = (at.x - header.x) as usize;
        if let Some(key) = crate::ui::models::header_hit(header.width as usize, x) {
            let reverse = key == state.sort;
            actions::sort_by(state, key, reverse);
        }
    } else if body.contains(at) {
        let row = state.scroll + (at.y - body.y) as usize;
        if row < state.view.len() {
            state.focus = Focus::Models;
            state.selected = row;
            data::schedule_shows(state, fx);
        }
    } else if loaded.contains(at) {
        let row = (at.y - loaded.y) as usize;
        if row < state.loaded_rows().len() {
            state.focus = Focus::Loaded;
            state.loaded_selected = row;
        }
    } else if areas.log.contains(at) {
        state.focus = Focus::Log;
    }
    state.dirty = true;
}
