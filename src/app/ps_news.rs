//! What changed in `/api/ps` between two polls, in the event log and on the chart:
//! models that appeared, unloaded, or were evicted.

use super::log::LogKind;
use super::state::State;
use crate::memory::EventKind;
use crate::names::{normalize, same_model};
use crate::ollama::{Expiry, RunningModel};
use crate::sanitize::clean;

/// Logs models that appeared or vanished since the last poll. A model that vanished
/// with keep-alive left, and that we did not unload, was evicted.
pub fn note_changes(state: &mut State, new: &[RunningModel]) {
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
