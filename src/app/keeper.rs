//! The keep-alive keeper inside the dashboard: every `/api/ps` answer goes to the
//! pure `Keeper`, its requests become effects (tracked as ops, so a model never has
//! two loads in flight), their outcomes go back to it, and what it did lands in the
//! event log and on the memory chart.

use super::log::LogKind;
use super::msg::{Effect, Reply, Request};
use super::state::{OpKind, State};
use crate::keepalive::{KeeperAction, KeeperEventKind as Kind, PinStatus, Room, room_for};
use crate::memory::EventKind;
use crate::names::{normalize, same_model};
use crate::ollama::{OllamaError, RunningModel};

/// The keeper follows the pin list of the state (config pins plus this session's).
pub fn pins_changed(state: &mut State) {
    state.keeper.set_pins(&state.config.keep_alive_models);
    state.dirty = true;
}

/// The config file changed: its pins replace ours, so a pin or unpin made in
/// another dashboard, with `pin`/`unpin` or by hand is followed here too. Compared
/// with the file as last read, not with our pins, so a save of ours still on its
/// way is not undone by an older read.
pub fn on_pins_in_file(state: &mut State, read: Result<Vec<String>, String>) {
    let pins = match read {
        Ok(p) => p,
        Err(e) => {
            let text = format!("{e} — keeping the previous pins");
            super::conn::note_error(state, text);
            return;
        }
    };
    let same = |a: &[String], b: &[String]| {
        let key = |v: &[String]| {
            let mut k: Vec<String> = v.iter().map(|p| normalize(p)).collect();
            k.sort();
            k.dedup();
            k
        };
        key(a) == key(b)
    };
    if state.file_pins.as_deref().is_some_and(|f| same(f, &pins)) {
        return;
    }
    state.file_pins = Some(pins.clone());
    if same(&state.config.keep_alive_models, &pins) {
        return;
    }
    let list = if pins.is_empty() {
        "none left".to_string()
    } else {
        format!("now keeping {}", pins.join(", "))
    };
    state.config.keep_alive_models = pins;
    pins_changed(state);
    super::derive::refresh(state);
    let text = format!("pins changed in the config file: {list}");
    state.log.push(state.now, LogKind::Pin, text);
}

/// A successful `/api/ps`: lets the keeper judge every pin and starts what it asks.
pub fn on_ps(state: &mut State, fx: &mut Vec<Effect>) {
    // Room is judged from the table's verdicts: wait until they rest on real data.
    if !state.tags_loaded || state.memory.is_none() {
        return;
    }
    let before = statuses(state);
    let view = keeper_view(state);
    let State {
        keeper,
        models,
        rows,
        memory,
        config,
        now,
        ..
    } = state;
    let empty = Default::default();
    let memory = memory.as_ref().unwrap_or(&empty);
    let actions = keeper.on_ps(*now, &view, |name| {
        let Some(i) = models.iter().position(|m| same_model(&m.name, name)) else {
            return Room::NotInstalled;
        };
        rows.get(i).map_or(Room::Fits, |r| {
            room_for(&r.verdict, r.need.bytes, memory, config)
        })
    });
    for action in actions {
        start(state, action, fx);
    }
    drain(state);
    if statuses(state) != before {
        state.dirty = true;
    }
}

/// `/api/ps` failed: the keeper sends nothing until it answers again.
pub fn on_ps_error(state: &mut State, error: &OllamaError) {
    state.keeper.on_ps_error(state.now, error);
    drain(state);
}

/// A request the keeper asked for finished.
pub fn on_done(state: &mut State, model: &str, reply: Reply<()>) {
    let ok = reply.is_ok();
    if ok && !state.is_loaded(model) {
        // Its appearance in the next ps is the keeper's doing, not another client's.
        state.expect_loaded.insert(normalize(model));
    }
    state.keeper.on_result(model, state.now, reply);
    drain(state);
    state.dirty = true;
}

fn statuses(state: &State) -> Vec<(String, PinStatus)> {
    state
        .keeper
        .statuses()
        .map(|(n, s)| (n.to_string(), s.clone()))
        .collect()
}

/// What the keeper is shown: `/api/ps`, with a model the user is loading or pinning
/// right now shown as held, so the keeper never sends a second load for it.
fn keeper_view(state: &State) -> Vec<RunningModel> {
    let user_busy = |name: &str| {
        state
            .ops
            .iter()
            .any(|o| !o.kind.is_keepers() && same_model(&o.model, name))
    };
    let mut view: Vec<RunningModel> = state
        .running
        .iter()
        .filter(|m| !user_busy(&m.name))
        .cloned()
        .collect();
    for op in state.ops.iter().filter(|o| !o.kind.is_keepers()) {
        if state.keeper.is_pinned(&op.model) && !view.iter().any(|m| same_model(&m.name, &op.model))
        {
            view.push(RunningModel {
                name: op.model.clone(),
                model: op.model.clone(),
                // No expiry: the keeper leaves such a model be.
                expires_at: None,
                ..RunningModel::default()
            });
        }
    }
    view
}

/// Both actions are a load with keep_alive -1: on a loaded model it only resets the
/// timer, on a missing one it loads it.
fn start(state: &mut State, action: KeeperAction, fx: &mut Vec<Effect>) {
    let model = action.model().to_string();
    if state.op_for(&model).is_some() {
        // Cannot happen (busy models are shown as held), but never send a second load.
        let busy = OllamaError::Config("another request for it is still running".into());
        state.keeper.on_result(&model, state.now, Err(busy));
        return;
    }
    let kind = match action {
        KeeperAction::Repin { .. } => OpKind::Repin,
        KeeperAction::Reload { .. } => OpKind::Reload,
    };
    let embedding = state.kind_of(&model) == crate::kind::Kind::Embedding;
    let spec = action.spec(embedding, state.config.num_ctx);
    let id = super::ops::begin(state, kind, &model, spec.keep_alive);
    fx.push(Effect::Start {
        id,
        request: Request::Load { model, spec },
    });
}

/// Moves the keeper's events into the log and onto the chart.
fn drain(state: &mut State) {
    let has_pins = state.keeper.pins().next().is_some();
    for e in state.keeper.take_events() {
        let (log, mark) = match e.kind {
            Kind::PinsChanged => (LogKind::Pin, None),
            Kind::Repinned => (LogKind::Pin, Some(EventKind::Pin)),
            Kind::Reloaded => (LogKind::Load, Some(EventKind::KeeperReload)),
            Kind::WaitingForMemory | Kind::Remote => (LogKind::Info, None),
            Kind::Failed => (LogKind::Error, Some(EventKind::LoadFailed)),
            Kind::CannotLoad => (LogKind::Error, Some(EventKind::LoadFailed)),
            Kind::NotInstalled | Kind::ConfigBroken => (LogKind::Error, None),
            // The dashboard reports the connection itself; say more only for pins.
            Kind::ServerDown | Kind::ServerBack if !has_pins => continue,
            Kind::ServerDown | Kind::ServerBack => (LogKind::Info, None),
        };
        state.log.push(e.at, log, &e.message);
        if let (Some(kind), Some(model)) = (mark, &e.model) {
            state.history.mark(e.at, kind, model);
        }
        state.dirty = true;
    }
}

/// Whether a pin status counts down on screen (`retry in 12s`).
pub fn ticking(state: &State) -> bool {
    state
        .keeper
        .statuses()
        .any(|(_, s)| matches!(s, PinStatus::Backoff { .. }))
}
