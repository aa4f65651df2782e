//! What the replies say about the connection: the version, connected, slow or
//! unreachable with retries on a backoff, and errors the server reports.

use std::time::Duration;

use super::data::{fetch_ps, fetch_tags};
use super::log::LogKind;
use super::msg::{Effect, Reply};
use super::state::{Connection, State};
use crate::ollama::OllamaError;
use crate::sanitize::clean;

/// Retry delays after the server stops answering, in seconds.
const BACKOFF: [i64; 6] = [1, 2, 4, 8, 15, 30];

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
pub fn mark_ok(state: &mut State, fx: &mut Vec<Effect>) {
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
pub fn connection_failed(state: &mut State, e: &OllamaError, probe: bool) {
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

pub fn note_error(state: &mut State, text: String) {
    let text = clean(&text);
    let repeated = state.notice.as_ref().is_some_and(|n| n.text == text);
    if !repeated {
        state.log.push(state.now, LogKind::Error, &text);
    }
    state.notify(text, true);
}
