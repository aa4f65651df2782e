//! The pure heart of the dashboard: `update(&mut State, Msg) -> Vec<Effect>`.
//! No I/O, no clock reads: time comes in with `Msg::Clock`.

use jiff::Timestamp;

use super::derive;
use super::msg::{Effect, Msg};
use super::state::{Connection, State};
use super::{conn, data, done, input, keeper, memory};

/// Applies one message; returns what the runtime must do next. Sets `state.dirty`
/// when something visible changed.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    // Answers of `/api/show` come in bursts: their view and best pick are rebuilt
    // once, by the next other message or the loop's `settle` before a frame.
    let batchable = matches!(
        msg,
        Msg::Show { .. } | Msg::Clock(_) | Msg::OpProgress { .. }
    );
    match msg {
        Msg::Clock(now) => clock(state, now, &mut fx),
        Msg::Key(key) => input::on_key(state, key, &mut fx),
        Msg::Mouse(m) => input::on_mouse(state, m, &mut fx),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            input::ensure_visible(state);
            state.memory_area = memory::pane_area(state);
            state.memory_drawn = memory::pane_digest(state);
            state.dirty = true;
        }
        Msg::Memory(snapshot) => memory::on_memory(state, snapshot),
        Msg::MemoryFailed(why) => memory::on_memory_failed(state, why),
        Msg::PollPs => data::poll_ps(state, &mut fx),
        Msg::PollTags => data::poll_tags(state, &mut fx),
        Msg::Version(reply) => conn::on_version(state, reply, &mut fx),
        Msg::Tags(reply) => data::on_tags(state, reply, &mut fx),
        Msg::Ps(reply) => data::on_ps(state, reply, &mut fx),
        Msg::Show { key, model, reply } => data::on_show(state, key, &model, *reply, &mut fx),
        Msg::OpProgress { id, event } => done::on_op_progress(state, id, event),
        Msg::OpDone { id, reply } => done::on_op_done(state, id, reply, &mut fx),
        Msg::PinsSaved(result) => done::on_pins_saved(state, result),
        Msg::PinsInFile(read) => keeper::on_pins_in_file(state, read),
    }
    if !batchable {
        derive::settle(state);
    }
    // An operation that ended or a pin that changed can take the row under the
    // Loaded pane's cursor away.
    derive::clamp_loaded(state);
    fx
}

/// Finishes deferred work before a frame is drawn (see `update`).
pub fn settle(state: &mut State) {
    derive::settle(state);
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
