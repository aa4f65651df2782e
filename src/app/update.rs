//! The pure heart of the dashboard: `update(&mut State, Msg) -> Vec<Effect>`.
//! No I/O, no clock reads: time comes in with `Msg::Clock`.

use jiff::{SignedDuration, Timestamp};

use super::msg::{Effect, Msg};
use super::state::{Connection, State};
use super::{data, derive, done, input};
use crate::memory::{MemoryHistory, MemorySnapshot, Sample};
use crate::ui::chart::WINDOW_SECS;

/// Readings are compared at this resolution (the gauges show 0.1 GB).
const QUANTUM: u64 = 100_000_000;

/// Applies one message; returns what the runtime must do next. Sets `state.dirty`
/// when something visible changed.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Clock(now) => clock(state, now, &mut fx),
        Msg::Key(key) => input::on_key(state, key, &mut fx),
        Msg::Mouse(m) => input::on_mouse(state, m, &mut fx),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            input::ensure_visible(state);
            state.dirty = true;
        }
        Msg::Memory(snapshot) => memory(state, snapshot),
        Msg::PollPs => data::poll_ps(state, &mut fx),
        Msg::PollTags => data::poll_tags(state, &mut fx),
        Msg::Version(reply) => data::on_version(state, reply, &mut fx),
        Msg::Tags(reply) => data::on_tags(state, reply, &mut fx),
        Msg::Ps(reply) => data::on_ps(state, reply, &mut fx),
        Msg::Show { key, model, reply } => data::on_show(state, key, &model, *reply, &mut fx),
        Msg::LoadDone {
            model,
            keep_alive,
            reply,
        } => done::on_load_done(state, &model, keep_alive, reply, &mut fx),
        Msg::UnloadDone { model, reply } => done::on_unload_done(state, &model, reply, &mut fx),
        Msg::PinsSaved(result) => done::on_pins_saved(state, result),
    }
    fx
}

/// The first messages: find out what is there.
pub fn start(state: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    data::fetch_all(state, &mut fx);
    fx
}

/// Moves the clock. Redraws only when a visible second changed; retries the
/// connection when its countdown runs out.
fn clock(state: &mut State, now: Timestamp, fx: &mut Vec<Effect>) {
    let ticking = state.needs_clock();
    let new_second = now.as_second() != state.now.as_second();
    state.now = now;
    if ticking && new_second {
        state.dirty = true;
    }
    if let Connection::Unreachable { retry_at, .. } = state.conn
        && now >= retry_at
        && !state.flight.version
    {
        state.flight.version = true;
        fx.push(Effect::FetchVersion);
    }
}

fn memory(state: &mut State, snapshot: MemorySnapshot) {
    let changed = state.memory.as_ref().is_none_or(|old| {
        let q = |v: u64| v / QUANTUM;
        q(old.ram_used) != q(snapshot.ram_used)
            || q(old.ram_available) != q(snapshot.ram_available)
            || q(old.swap_used) != q(snapshot.swap_used)
            || old.gpus.len() != snapshot.gpus.len()
            || old
                .gpus
                .iter()
                .zip(&snapshot.gpus)
                .any(|(a, b)| q(a.used) != q(b.used) || q(a.total) != q(b.total))
    });
    let sample = Sample::from_snapshot(state.now, &snapshot);
    let chart_moved = chart_moves(&state.history, &sample);
    state.history.push(sample);
    state.memory = Some(snapshot);
    if changed {
        derive::refresh(state);
    }
    if changed || chart_moved {
        state.dirty = true;
    }
}

/// Whether the chart looks different once `next` is added: a flat line stays the
/// same flat line; anything else (a change, a mark, the window edge passing a
/// reading) shifts it left.
fn chart_moves(history: &MemoryHistory, next: &Sample) -> bool {
    let window = SignedDuration::from_secs(WINDOW_SECS);
    let since = next.at.checked_sub(window).unwrap_or(next.at);
    let Some(latest) = history.latest() else {
        return true;
    };
    let q = |s: &Sample| ((s.ram_used + s.vram_used) / QUANTUM, s.swap_used / QUANTUM);
    let flat = history.samples_since(since).all(|s| q(s) == q(next));
    let prev_since = latest.at.checked_sub(window).unwrap_or(latest.at);
    let edge_passed = history.samples_since(prev_since).any(|s| s.at < since);
    let marked = history.events_since(since).next().is_some();
    !flat || edge_passed || marked
}
