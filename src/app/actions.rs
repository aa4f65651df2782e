//! What each user intent does to the state.

use super::line_edit::LineEdit;
use super::modal::Modal;
use super::msg::Effect;
use super::state::{Focus, SortKey, State};
use super::{data, derive, input, ops};
use crate::keymap::Action;

pub fn apply(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let page = input::page_rows(state) as isize;
    match action {
        Action::Quit => {
            state.quit = true;
            fx.push(Effect::Quit);
        }
        Action::SelectNext => move_by(state, 1, fx),
        Action::SelectPrev => move_by(state, -1, fx),
        Action::PageDown => move_by(state, page, fx),
        Action::PageUp => move_by(state, -page, fx),
        Action::First => move_by(state, isize::MIN / 2, fx),
        Action::Last => move_by(state, isize::MAX / 2, fx),
        Action::FocusNext => focus_step(state, true),
        Action::FocusPrev => focus_step(state, false),
        Action::Load => ops::request_load(state, fx),
        Action::LoadKeepAlive => ops::request_keep_alive(state),
        Action::Unload => ops::unload(state, fx),
        Action::UnloadAll => ops::request_unload_all(state),
        Action::Pin => ops::toggle_pin(state, fx),
        Action::Pull => ops::request_pull(state),
        Action::Delete => ops::request_delete(state),
        Action::Copy => ops::copy(state, fx),
        Action::NextTask => {
            state.task = state.task.next();
            derive::refresh(state);
        }
        Action::BestPick => best_pick(state, fx),
        Action::Refresh => refresh(state, fx),
        Action::Filter => {
            let log = state.focus == Focus::Log;
            let text = if log {
                &state.log_filter
            } else {
                &state.filter
            };
            let line = LineEdit::new(text);
            state.modal = Some(Modal::Filter { log, line });
        }
        Action::Sort => sort_by(state, state.sort.next(), false),
        Action::SortReverse => sort_by(state, state.sort, true),
        Action::Help => state.modal = Some(Modal::Help { scroll: 0 }),
    }
    state.dirty = true;
}

/// Sorts by `key`; `reverse` flips the direction. The cursor stays on its model.
pub fn sort_by(state: &mut State, key: SortKey, reverse: bool) {
    if key != state.sort {
        state.sort_reversed = false;
    }
    state.sort = key;
    if reverse {
        state.sort_reversed = !state.sort_reversed;
    }
    let keep = state.selected_model().map(|m| m.name.clone());
    derive::rebuild_view(state);
    if let Some(name) = keep {
        derive::select_name(state, &name);
    }
    input::ensure_visible(state);
    state.dirty = true;
}

/// Tab / Shift-Tab: installed → loaded → events, skipping an empty Loaded pane and
/// the events when the terminal is too short to show them.
fn focus_step(state: &mut State, forward: bool) {
    let has_log =
        crate::ui::layout::Areas::new(input::screen(state)).is_some_and(|a| a.log.height > 0);
    let order = [Focus::Models, Focus::Loaded, Focus::Log];
    let usable = |f: &Focus| match f {
        Focus::Models => true,
        Focus::Loaded => !state.loaded_rows().is_empty(),
        Focus::Log => has_log,
    };
    let at = order.iter().position(|f| *f == state.focus).unwrap_or(0);
    for step in 1..=order.len() {
        let i = if forward {
            (at + step) % order.len()
        } else {
            (at + order.len() - step) % order.len()
        };
        if usable(&order[i]) {
            state.focus = order[i];
            break;
        }
    }
    derive::clamp_selection(state);
}

/// Moves the cursor of the focused pane, clamped to its rows; in the events it
/// scrolls toward older ones.
pub fn move_by(state: &mut State, delta: isize, fx: &mut Vec<Effect>) {
    let (current, len) = match state.focus {
        Focus::Models => (state.selected, state.view.len()),
        Focus::Loaded => (state.loaded_selected, state.loaded_rows().len()),
        Focus::Log => (state.log_scroll, state.log_shown()),
    };
    if len == 0 {
        return;
    }
    let next = (current as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize;
    if next == current {
        return;
    }
    match state.focus {
        Focus::Models => {
            state.selected = next;
            input::ensure_visible(state);
            data::schedule_shows(state, fx);
        }
        Focus::Loaded => state.loaded_selected = next,
        Focus::Log => state.log_scroll = next,
    }
    state.dirty = true;
}

fn best_pick(state: &mut State, fx: &mut Vec<Effect>) {
    let text = match &state.best {
        Some(Ok(pick)) => {
            let name = pick.model.clone();
            if !derive::select_name(state, &name) {
                // The filter hides it: drop the filter rather than fail.
                state.filter.clear();
                derive::rebuild_view(state);
                derive::select_name(state, &name);
            }
            state.focus = Focus::Models;
            input::ensure_visible(state);
            data::schedule_shows(state, fx);
            return;
        }
        Some(Err(no)) => format!("no pick for {}: {}", state.task.as_str(), no.reason),
        None => "no pick yet: waiting for models and memory readings".to_string(),
    };
    state.notify(text, false);
}

fn refresh(state: &mut State, fx: &mut Vec<Effect>) {
    state.show_failed.clear();
    data::fetch_all(state, fx);
    data::schedule_shows(state, fx);
    state.notify("refreshing…", false);
    // The list answering ends it (`conn::poll_answered`), so it never goes stale.
    if let Some(n) = state.notice.as_mut() {
        n.poll = Some(super::state::Poll::Tags);
    }
}
