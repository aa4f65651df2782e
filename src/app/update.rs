//! The pure heart of the dashboard: `update(&mut State, Msg) -> Vec<Effect>`.
//! No I/O, no clock reads: time comes in with `Msg::Clock`.

use jiff::Timestamp;

use super::history::Sample;
use super::msg::{Effect, Msg};
use super::state::{Connection, State};
use super::{data, derive, input, ops};
use crate::memory::MemorySnapshot;

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
        } => ops::on_load_done(state, &model, keep_alive, reply, &mut fx),
        Msg::UnloadDone { model, reply } => ops::on_unload_done(state, &model, reply, &mut fx),
        Msg::PinsSaved(result) => ops::on_pins_saved(state, result),
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
        let q = |v: u64| v / 100_000_000;
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
    let vram_used = snapshot.gpus.iter().map(|g| g.used).sum();
    let chart_moved = state.history.push(Sample {
        at: state.now,
        ram_used: snapshot.ram_used,
        vram_used,
    });
    state.memory = Some(snapshot);
    if changed {
        derive::refresh(state);
    }
    if changed || chart_moved {
        state.dirty = true;
    }
}
