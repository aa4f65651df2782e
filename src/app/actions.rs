//! What each user intent does to the state.

use super::msg::Effect;
use super::state::{Focus, State};
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
        Action::FocusNext => {
            state.focus = match state.focus {
                Focus::Models if !state.loaded_rows().is_empty() => Focus::Loaded,
                _ => Focus::Models,
            };
        }
        Action::Load => ops::request_load(state, fx),
        Action::Unload => ops::unload(state, fx),
        Action::Pin => ops::toggle_pin(state, fx),
        Action::NextTask => {
            state.task = state.task.next();
            derive::refresh(state);
        }
        Action::BestPick => best_pick(state, fx),
        Action::Refresh => refresh(state, fx),
        Action::Filter => state.filter_editing = true,
        Action::Sort => {
            state.sort = state.sort.next();
            derive::refresh(state);
            input::ensure_visible(state);
        }
        Action::Help => state.help = !state.help,
    }
    state.dirty = true;
}

/// Moves the cursor of the focused pane, clamped to its rows.
pub fn move_by(state: &mut State, delta: isize, fx: &mut Vec<Effect>) {
    let (current, len) = match state.focus {
        Focus::Models => (state.selected, state.view.len()),
        Focus::Loaded => (state.loaded_selected, state.loaded_rows().len()),
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
