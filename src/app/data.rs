//! The polls (`/api/tags`, `/api/ps`, `/api/show`) and their replies. What the
//! replies say about the connection is `conn.rs`; what changed in `/api/ps` is
//! `ps_news.rs`.

use super::conn::{connection_failed, mark_ok, note_poll_error, poll_answered, reachable};
use super::log::LogKind;
use super::msg::{Effect, Reply};
use super::state::{Poll, ShowInfo, State};
use super::{derive, keeper, ps_news};
use crate::ollama::{ModelEntry, RunningModel, ShowResponse};
use crate::sanitize::clean;

/// `/api/show` requests allowed at once in the background.
const SHOW_PARALLEL: usize = 3;

pub fn fetch_all(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.flight.version {
        state.flight.version = true;
        fx.push(Effect::FetchVersion);
    }
    fetch_tags(state, fx);
    fetch_ps(state, fx);
}

pub fn fetch_tags(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.flight.tags {
        state.flight.tags = true;
        fx.push(Effect::FetchTags);
    }
}

pub fn fetch_ps(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.flight.ps && !state.ps_unsupported {
        state.flight.ps = true;
        fx.push(Effect::FetchPs);
    }
}

pub fn poll_ps(state: &mut State, fx: &mut Vec<Effect>) {
    if reachable(state) {
        fetch_ps(state, fx);
    }
}

pub fn poll_tags(state: &mut State, fx: &mut Vec<Effect>) {
    if reachable(state) {
        fetch_tags(state, fx);
    }
}

pub fn on_tags(state: &mut State, reply: Reply<Vec<ModelEntry>>, fx: &mut Vec<Effect>) {
    state.flight.tags = false;
    match reply {
        Ok(models) => {
            mark_ok(state, fx);
            poll_answered(state, Poll::Tags);
            if !state.tags_loaded || models != state.models {
                // The cursor's model, named before the list under the view changes.
                let keep = state.selected_model().map(|m| m.name.clone());
                state.models = models;
                state.tags_loaded = true;
                // The old view indexes the old list: drop it before anything reads it.
                state.view.clear();
                derive::refresh(state);
                if let Some(name) = keep {
                    derive::select_name(state, &name);
                }
                super::input::ensure_visible(state);
                rebuild_show_queue(state);
                state.dirty = true;
            }
            schedule_shows(state, fx);
        }
        Err(e) if e.is_connection() => connection_failed(state, &e, false),
        Err(e) => {
            let text = format!("cannot list models: {}", e.plain());
            note_poll_error(state, Poll::Tags, text);
        }
    }
}

pub fn on_ps(state: &mut State, reply: Reply<Vec<RunningModel>>, fx: &mut Vec<Effect>) {
    state.flight.ps = false;
    match reply {
        Ok(running) => {
            mark_ok(state, fx);
            poll_answered(state, Poll::Ps);
            if !state.ps_loaded || running != state.running {
                if state.ps_loaded {
                    ps_news::note_changes(state, &running);
                }
                state.running = running;
                state.ps_loaded = true;
                state.book.observe(&state.running, state.now);
                if state.learned.observe(&state.running) {
                    fx.push(Effect::SaveLearned(state.learned.clone()));
                }
                derive::refresh(state);
                state.dirty = true;
            }
            unload_cancelled(state, fx);
            keeper::on_ps(state, fx);
        }
        Err(e) if e.is_not_found() => {
            state.ps_unsupported = true;
            state.ps_loaded = true;
            let text = "this Ollama (older than 0.1.38) cannot list loaded models";
            state.log.push(state.now, LogKind::Info, text);
            state.dirty = true;
        }
        Err(e) => {
            keeper::on_ps_error(state, &e);
            if e.is_connection() {
                connection_failed(state, &e, false);
            } else {
                let text = format!("cannot list loaded models: {}", e.plain());
                note_poll_error(state, Poll::Ps, text);
            }
        }
    }
}

/// A model whose load the user cancelled arrived anyway: unload it.
fn unload_cancelled(state: &mut State, fx: &mut Vec<Effect>) {
    let arrived: Vec<String> = state
        .cancelled
        .iter()
        .filter(|n| state.is_loaded(n))
        .cloned()
        .collect();
    for name in arrived {
        state.cancelled.remove(&name);
        let text = format!(
            "{} arrived after its load was cancelled — unloading it",
            clean(&name)
        );
        state.log.push(state.now, LogKind::Unload, text);
        super::ops::start_unload(state, &name, fx);
    }
}

pub fn on_show(
    state: &mut State,
    key: String,
    model: &str,
    reply: Reply<ShowResponse>,
    fx: &mut Vec<Effect>,
) {
    state.flight.shows.remove(&key);
    match reply {
        Ok(show) => {
            let touched: Vec<usize> = (0..state.models.len())
                .filter(|&i| State::has_show_key(&state.models[i], &key))
                .collect();
            state.shows.insert(key, ShowInfo::from_response(&show));
            derive::refresh_rows(state, &touched);
            state.dirty = true;
        }
        // The polls notice a lost server; this model is tried again later.
        Err(e) if e.is_connection() => {
            if let Some(i) = state
                .models
                .iter()
                .position(|m| State::has_show_key(m, &key))
            {
                state.show_queue.push_back(i);
            }
            return;
        }
        Err(e) => {
            state.show_failed.insert(key);
            let text = format!("cannot read details of {}: {}", clean(model), e.plain());
            state.log.push(state.now, LogKind::Error, text);
        }
    }
    schedule_shows(state, fx);
}

/// Asks for `/api/show` of the selected model first, then the rows on screen, a
/// few at a time, then the rest one at a time in the background: at start with
/// 10,000 models the server is not flooded and the dashboard stays idle-cheap.
pub fn schedule_shows(state: &mut State, fx: &mut Vec<Effect>) {
    if !reachable(state) {
        return;
    }
    if state.show_queue.is_empty() && state.show_queue_for != state.models.len() {
        rebuild_show_queue(state);
    }
    // The selection and the rows on screen come before the queue, at full speed
    // (a scroll brings new ones).
    let rows = usize::from(state.size.1);
    let visible: Vec<usize> = state
        .selected_index()
        .into_iter()
        .chain(state.view.iter().skip(state.scroll).take(rows).copied())
        .collect();
    for i in visible {
        if state.flight.shows.len() >= SHOW_PARALLEL {
            break;
        }
        request_show(state, i, fx);
    }
    let parallel = if state.shows.len() < FOREGROUND_SHOWS {
        SHOW_PARALLEL
    } else {
        1
    };
    while state.flight.shows.len() < parallel {
        let Some(i) = state.show_queue.pop_front() else {
            break;
        };
        request_show(state, i, fx);
    }
}

/// How many answers are fetched at full speed before the rest go one at a time.
const FOREGROUND_SHOWS: usize = 64;

/// The order details are fetched in: what is on screen, then the table's order.
pub fn rebuild_show_queue(state: &mut State) {
    let rows = usize::from(state.size.1);
    let on_screen = state.view.iter().skip(state.scroll).take(rows).copied();
    let mut queue: std::collections::VecDeque<usize> = on_screen.collect();
    queue.extend(state.view.iter().copied());
    state.show_queue = queue;
    state.show_queue_for = state.models.len();
}

/// Fetches the details of model `i` unless they are known, failed or on the way.
fn request_show(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let Some(entry) = state.models.get(i) else {
        return;
    };
    let key = State::show_key(entry);
    if state.shows.contains_key(&key)
        || state.show_failed.contains(&key)
        || state.flight.shows.contains(&key)
    {
        return;
    }
    state.flight.shows.insert(key.clone());
    fx.push(Effect::FetchShow {
        key,
        model: entry.name.clone(),
    });
}
