//! What changed in `/api/ps` between two polls, in the event log and on the chart:
//! models that appeared, unloaded, or were evicted.

use super::log::LogKind;
use super::state::{OpKind, State};
use crate::memory::EventKind;
use crate::names::{normalize, same_model};
use crate::ollama::{Expiry, RunningModel};
use crate::sanitize::clean;

/// Logs models that appeared or vanished since the last poll, each once, with
/// the reason that fits: an expiry, an eviction (something else was loading), an
/// Ollama restart (all gone at once, or the connection dropped), or another client.
pub fn note_changes(state: &mut State, new: &[RunningModel]) {
    note_gone(state, new);
    note_appeared(state, new);
    state.restart_suspected = false;
}

/// Why a model with keep-alive left is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gone {
    Restart,
    Evicted,
    Unloaded,
}

/// `early`: how many vanished with keep-alive left.
fn why_gone(state: &State, new: &[RunningModel], early: usize) -> Gone {
    let everything = new.is_empty() && early >= 2;
    let arrived = new
        .iter()
        .any(|m| !state.running.iter().any(|o| same_model(&o.name, &m.name)));
    let loading = state
        .ops
        .iter()
        .any(|o| o.kind != OpKind::Unload && !o.was_loaded);
    if state.restart_suspected || everything {
        Gone::Restart
    } else if arrived || loading {
        Gone::Evicted
    } else {
        Gone::Unloaded
    }
}

fn note_gone(state: &mut State, new: &[RunningModel]) {
    let now = state.now;
    let gone: Vec<RunningModel> = state
        .running
        .iter()
        .filter(|old| !new.iter().any(|m| same_model(&m.name, &old.name)))
        .filter(|old| !state.expect_gone.contains(&normalize(&old.name)))
        .cloned()
        .collect();
    for old in &state.running {
        if !new.iter().any(|m| same_model(&m.name, &old.name)) {
            state.expect_gone.remove(&normalize(&old.name));
        }
    }
    let early = gone.iter().filter(|g| time_left(g, now).is_some()).count();
    let why = why_gone(state, new, early);
    let mut restarted = Vec::new();
    for old in gone {
        let name = clean(&old.name);
        let left = time_left(&old, now);
        let (kind, mark, text) = match (left, why) {
            (None, _) => (
                LogKind::Unload,
                EventKind::Unload,
                format!("{name} unloaded (keep-alive ran out)"),
            ),
            (Some(_), Gone::Restart) => {
                restarted.push(name);
                continue;
            }
            (Some(left), Gone::Evicted) => (
                LogKind::Evict,
                EventKind::Evict,
                format!("{name} was evicted ({left})"),
            ),
            (Some(left), Gone::Unloaded) => (
                LogKind::Unload,
                EventKind::Unload,
                format!("{name} unloaded by another client ({left})"),
            ),
        };
        state.log.push(now, kind, text);
        state.history.mark(now, mark, &old.name);
    }
    if !restarted.is_empty() {
        let text = format!(
            "Ollama restarted: {} no longer loaded",
            restarted.join(", ")
        );
        state.log.push(now, LogKind::Unload, text);
    }
}

/// "kept forever", "4m of keep-alive left"; `None` when it had run out.
fn time_left(old: &RunningModel, now: jiff::Timestamp) -> Option<String> {
    match old.expiry(now) {
        Expiry::Forever => Some("kept forever".to_string()),
        Expiry::At(t) if t.as_second() > now.as_second() + 2 => Some(format!(
            "{} of keep-alive left",
            crate::format::countdown_between(now, t)
        )),
        _ => None,
    }
}

fn note_appeared(state: &mut State, new: &[RunningModel]) {
    let now = state.now;
    for m in new {
        let known = state.running.iter().any(|o| same_model(&o.name, &m.name));
        let ours = state.expect_loaded.remove(&normalize(&m.name))
            || state.cancelled.contains(&normalize(&m.name));
        if !known && !ours && state.op_for(&m.name).is_none() {
            let text = format!("{} loaded by another client", clean(&m.name));
            state.log.push(now, LogKind::Load, text);
            state.history.mark(now, EventKind::Load, &m.name);
        }
    }
}
