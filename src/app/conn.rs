//! What the replies say about the connection: the version, connected, slow or
//! unreachable with retries on a backoff, and errors the server reports.

use std::time::Duration;

use super::data::{fetch_ps, fetch_tags};
use super::log::LogKind;
use super::msg::{Effect, Reply};
use super::state::{Connection, Poll, State};
use crate::ollama::OllamaError;
use crate::sanitize::clean;

/// Retry delays after the server stops answering, in seconds. Capped at 10 s: a
/// refused local connection costs next to nothing, and a restarted Ollama should show
/// up within seconds, not half a minute.
const BACKOFF: [i64; 5] = [1, 2, 4, 8, 10];

pub fn reachable(state: &State) -> bool {
    !matches!(state.conn, Connection::Unreachable { .. })
}

pub fn on_version(state: &mut State, reply: Reply<String>, fx: &mut Vec<Effect>) {
    state.flight.version = false;
    match reply {
        Ok(v) => {
            // Tags or ps may have answered first: announce the connection now, with
            // the version, instead of with a placeholder.
            let late = state.version.is_none() && matches!(state.conn, Connection::Connected);
            state.version = Some(clean(&v));
            state.server = crate::fit::Server::new(Some(&v), state.server_settings.clone());
            super::derive::refresh(state);
            if late {
                announce(state);
            }
            mark_ok(state, fx);
            poll_answered(state, Poll::Version);
        }
        Err(e) if e.is_connection() => connection_failed(state, &e, true),
        Err(e) => {
            // It answered, just not with a version: talk to it anyway.
            mark_ok(state, fx);
            let text = format!("cannot read the Ollama version: {}", e.plain());
            note_poll_error(state, Poll::Version, text);
        }
    }
    state.dirty = true;
}

/// A reply arrived: the server is there. After an outage, fetch everything again.
pub fn mark_ok(state: &mut State, fx: &mut Vec<Effect>) {
    let was = std::mem::replace(&mut state.conn, Connection::Connected);
    if matches!(
        was,
        Connection::Slow { .. } | Connection::Unreachable { .. }
    ) {
        recovered(state);
    }
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

/// The server misbehaved and answers properly again: errors from that time leave
/// the status line, and details that failed then are asked for again.
fn recovered(state: &mut State) {
    if state.notice.as_ref().is_some_and(|n| n.error) {
        state.notice = None;
    }
    state.show_failed.clear();
}

/// `poll` answered: the notice of its earlier failure, if still shown, is stale.
pub fn poll_answered(state: &mut State, poll: Poll) {
    state.failing.remove(&poll);
    match &state.notice {
        Some(n) if n.poll == Some(poll) && n.error => recovered(state),
        // "refreshing…" waits for this answer, and goes with it.
        Some(n) if n.poll == Some(poll) => state.notice = None,
        _ => return,
    }
    state.dirty = true;
}

/// A notice that waits for a poll ("refreshing…") is stale once the server is
/// gone: the connection status says what is going on.
fn drop_waiting_notice(state: &mut State) {
    if state
        .notice
        .as_ref()
        .is_some_and(|n| !n.error && n.poll.is_some())
    {
        state.notice = None;
    }
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
pub fn connection_failed(state: &mut State, e: &OllamaError, probe: bool) {
    drop_waiting_notice(state);
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
            // Whatever is missing when it answers again went with the restart.
            state.restart_suspected = true;
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

/// A poll answered with an error (not a lost connection): shown until it answers.
pub fn note_poll_error(state: &mut State, poll: Poll, text: String) {
    state.failing.insert(poll);
    note_error(state, text);
    if let Some(n) = state.notice.as_mut() {
        n.poll = Some(poll);
    }
}

pub fn note_error(state: &mut State, text: String) {
    let text = clean(&text);
    let repeated = state.notice.as_ref().is_some_and(|n| n.text == text);
    if !repeated {
        state.log.push(state.now, LogKind::Error, &text);
    }
    state.notify(text, true);
}
