//! Replies to the polls (`/api/version`, `/api/tags`, `/api/ps`, `/api/show`) and
//! the connection state they imply.

use std::time::Duration;

use super::log::LogKind;
use super::msg::{Effect, Reply};
use super::state::{Connection, ShowInfo, State};
use super::{derive, keeper};
use crate::memory::EventKind;
use crate::names::{normalize, same_model};
use crate::ollama::{Expiry, ModelEntry, OllamaError, RunningModel, ShowResponse};
use crate::sanitize::clean;

/// `/api/show` requests allowed at once in the background.
const SHOW_PARALLEL: usize = 3;
/// Retry delays after the server stops answering, in seconds.
const BACKOFF: [i64; 6] = [1, 2, 4, 8, 15, 30];

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

fn reachable(state: &State) -> bool {
    !matches!(state.conn, Connection::Unreachable { .. })
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

pub fn on_version(state: &mut State, reply: Reply<String>, fx: &mut Vec<Effect>) {
    state.flight.version = false;
    match reply {
        Ok(v) => {
            // Tags or ps may have answered first: announce the connection now, with
            // the version, instead of with a placeholder.
            let late = state.version.is_none() && matches!(state.conn, Connection::Connected);
            state.version = Some(clean(&v));
            if late {
                announce(state);
            }
            mark_ok(state, fx);
        }
        Err(e) if e.is_connection() => connection_failed(state, &e, true),
        Err(e) => {
            // It answered, just not with a version: talk to it anyway.
            mark_ok(state, fx);
            note_error(
                state,
                format!("cannot read the Ollama version: {}", e.plain()),
            );
        }
    }
    state.dirty = true;
}

/// A reply arrived: the server is there. After an outage, fetch everything again.
fn mark_ok(state: &mut State, fx: &mut Vec<Effect>) {
    let was = std::mem::replace(&mut state.conn, Connection::Connected);
    match was {
        Connection::Connected => return,
        Connection::Slow { .. } => {}
        // With the version still on its way, `on_version` announces it.
        Connection::Connecting if state.flight.version => {}
        Connection::Connecting => announce(state),
        Connection::Unreachable { .. } => {
            let text = format!("reconnected to {}", state.host_label);
            state.log.push(state.now, LogKind::Connect, text);
            fetch_tags(state, fx);
            fetch_ps(state, fx);
        }
    }
    state.dirty = true;
}

fn announce(state: &mut State) {
    let text = match &state.version {
        Some(v) => format!("connected to Ollama {v} at {}", state.host_label),
        None => format!("connected to Ollama at {}", state.host_label),
    };
    state.log.push(state.now, LogKind::Connect, text);
}

/// `probe` is the version request that drives the retries; other requests that
/// fail while the server is already known to be down change nothing.
fn connection_failed(state: &mut State, e: &OllamaError, probe: bool) {
    if !probe && matches!(state.conn, Connection::Unreachable { .. }) {
        return;
    }
    let error = e.plain();
    if matches!(e, OllamaError::Timeout { .. })
        && matches!(state.conn, Connection::Connected | Connection::Slow { .. })
    {
        if !matches!(state.conn, Connection::Slow { .. }) {
            state.log.push(state.now, LogKind::Error, &error);
        }
        state.conn = Connection::Slow { error };
        state.dirty = true;
        return;
    }
    let attempt = match &state.conn {
        Connection::Unreachable { attempt, .. } => attempt + 1,
        Connection::Connected | Connection::Slow { .. } => {
            state
                .log
                .push(state.now, LogKind::Error, format!("lost Ollama: {error}"));
            0
        }
        Connection::Connecting => {
            state.log.push(state.now, LogKind::Error, &error);
            0
        }
    };
    let delay = BACKOFF[(attempt as usize).min(BACKOFF.len() - 1)];
    let retry_at = state
        .now
        .checked_add(Duration::from_secs(delay as u64))
        .unwrap_or(state.now);
    state.conn = Connection::Unreachable {
        error,
        retry_at,
        attempt,
    };
    state.dirty = true;
}

fn note_error(state: &mut State, text: String) {
    let text = clean(&text);
    let repeated = state.notice.as_ref().is_some_and(|n| n.text == text);
    if !repeated {
        state.log.push(state.now, LogKind::Error, &text);
    }
    state.notify(text, true);
}

pub fn on_tags(state: &mut State, reply: Reply<Vec<ModelEntry>>, fx: &mut Vec<Effect>) {
    state.flight.tags = false;
    match reply {
        Ok(models) => {
            mark_ok(state, fx);
            if !state.tags_loaded || models != state.models {
                state.models = models;
                state.tags_loaded = true;
                derive::refresh(state);
                state.dirty = true;
            }
            schedule_shows(state, fx);
        }
        Err(e) if e.is_connection() => connection_failed(state, &e, false),
        Err(e) => note_error(state, format!("cannot list models: {}", e.plain())),
    }
}

pub fn on_ps(state: &mut State, reply: Reply<Vec<RunningModel>>, fx: &mut Vec<Effect>) {
    state.flight.ps = false;
    match reply {
        Ok(running) => {
            mark_ok(state, fx);
            if !state.ps_loaded || running != state.running {
                if state.ps_loaded {
                    note_changes(state, &running);
                }
                state.running = running;
                state.ps_loaded = true;
                derive::refresh(state);
                state.dirty = true;
            }
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
                note_error(state, format!("cannot list loaded models: {}", e.plain()));
            }
        }
    }
}

/// Logs models that appeared or vanished since the last poll. A model that vanished
/// with keep-alive left, and that we did not unload, was evicted.
fn note_changes(state: &mut State, new: &[RunningModel]) {
    note_gone(state, new);
    note_appeared(state, new);
}

fn note_gone(state: &mut State, new: &[RunningModel]) {
    let now = state.now;
    let gone: Vec<RunningModel> = state
        .running
        .iter()
        .filter(|old| !new.iter().any(|m| same_model(&m.name, &old.name)))
        .cloned()
        .collect();
    for old in gone {
        let name = clean(&old.name);
        if state.expect_gone.remove(&normalize(&old.name)) {
            continue;
        }
        let left = match old.expiry(now) {
            Expiry::Forever => Some("kept forever".to_string()),
            Expiry::At(t) if t.as_second() > now.as_second() + 2 => Some(format!(
                "{} of keep-alive left",
                crate::format::countdown_between(now, t)
            )),
            _ => None,
        };
        match left {
            Some(left) => {
                let text = format!("{name} was evicted ({left})");
                state.log.push(now, LogKind::Evict, text);
                state.history.mark(now, EventKind::Evict, &old.name);
            }
            None => {
                let text = format!("{name} unloaded (keep-alive ran out)");
                state.log.push(now, LogKind::Unload, text);
                state.history.mark(now, EventKind::Unload, &old.name);
            }
        }
    }
}

fn note_appeared(state: &mut State, new: &[RunningModel]) {
    let now = state.now;
    for m in new {
        let known = state.running.iter().any(|o| same_model(&o.name, &m.name));
        let ours = state.expect_loaded.remove(&normalize(&m.name));
        if !known && !ours && state.op_for(&m.name).is_none() {
            let text = format!("{} loaded by another client", clean(&m.name));
            state.log.push(now, LogKind::Load, text);
            state.history.mark(now, EventKind::Load, &m.name);
        }
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
            state.shows.insert(key, ShowInfo::from_response(&show));
            derive::refresh(state);
            state.dirty = true;
        }
        // The polls notice a lost server; this model is simply tried again later.
        Err(e) if e.is_connection() => return,
        Err(e) => {
            state.show_failed.insert(key);
            let text = format!("cannot read details of {}: {}", clean(model), e.plain());
            state.log.push(state.now, LogKind::Error, text);
        }
    }
    schedule_shows(state, fx);
}

/// Asks for `/api/show` of the selected model first, then the others in table
/// order, a few at a time.
pub fn schedule_shows(state: &mut State, fx: &mut Vec<Effect>) {
    if !reachable(state) {
        return;
    }
    let order = state
        .selected_index()
        .into_iter()
        .chain(state.view.iter().copied())
        .collect::<Vec<_>>();
    for i in order {
        if state.flight.shows.len() >= SHOW_PARALLEL {
            break;
        }
        let Some(entry) = state.models.get(i) else {
            continue;
        };
        let key = State::show_key(entry);
        if state.shows.contains_key(&key)
            || state.show_failed.contains(&key)
            || state.flight.shows.contains(&key)
        {
            continue;
        }
        state.flight.shows.insert(key.clone());
        fx.push(Effect::FetchShow {
            key,
            model: entry.name.clone(),
        });
    }
}
