//! Loads, pins and unloads: starting them and asking first when a model does not
//! fit. How they went is `done.rs`.

use super::log::LogKind;
use super::msg::Effect;
use super::state::{Confirm, Focus, Notice, Op, OpKind, State};
use super::{derive, keeper};
use crate::fit::Verdict;
use crate::format::gb;
use crate::names::{normalize, same_model};
use crate::sanitize::clean;

/// The model the keys act on: the selected row of the focused pane.
pub fn target(state: &State) -> Option<String> {
    match state.focus {
        Focus::Models => state.selected_model().map(|m| m.name.clone()),
        Focus::Loaded => state
            .loaded_order()
            .get(state.loaded_selected)
            .map(|m| m.name.clone()),
    }
}

pub(super) fn notice(state: &mut State, text: String, error: bool) {
    state.notice = Some(Notice {
        text: clean(&text),
        error,
    });
    state.dirty = true;
}

fn verdict_of<'a>(state: &'a State, name: &str) -> Option<&'a Verdict> {
    let i = state
        .models
        .iter()
        .position(|m| same_model(&m.name, name))?;
    state.rows.get(i).map(|r| &r.verdict)
}

pub(super) fn is_loaded(state: &State, name: &str) -> bool {
    state.running.iter().any(|m| same_model(&m.name, name))
}

/// Asks first when the model cannot fit; returns whether a question was asked.
fn confirm_if_short(state: &mut State, name: &str, pin: bool) -> bool {
    let Some(Verdict::NoFit { .. }) = verdict_of(state, name) else {
        return false;
    };
    let need = state
        .models
        .iter()
        .position(|m| same_model(&m.name, name))
        .and_then(|i| state.rows.get(i))
        .map_or(0, |r| r.need.bytes);
    let verb = if pin { "Pin" } else { "Load" };
    let free = state.free_bytes();
    let short = if need > free {
        format!("short {}", gb(need - free))
    } else {
        format!(
            "less than the {} buffer left",
            gb(state.config.ram_buffer_bytes())
        )
    };
    let text = format!(
        "{} needs {}, {} free — {short}. {verb} anyway? y/n",
        clean(name),
        gb(need),
        gb(free),
    );
    state.confirm = Some(Confirm {
        model: name.to_string(),
        pin,
        text,
    });
    state.dirty = true;
    true
}

pub fn request_load(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    if let Some(op) = state.op_for(&name) {
        let text = format!("{} {} already", clean(&op.model), op.kind.verb());
        return notice(state, text, false);
    }
    if !confirm_if_short(state, &name, false) {
        start(state, &name, OpKind::Load, fx);
    }
}

/// The user answered yes to the question.
pub fn confirmed(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(c) = state.confirm.take() else {
        return;
    };
    if c.pin {
        pin(state, &c.model, fx);
    } else {
        start(state, &c.model, OpKind::Load, fx);
    }
}

fn start(state: &mut State, name: &str, kind: OpKind, fx: &mut Vec<Effect>) {
    state.ops.push(Op {
        kind,
        model: name.to_string(),
        started: state.now,
        was_loaded: is_loaded(state, name),
    });
    let model = name.to_string();
    fx.push(match kind {
        OpKind::Pin | OpKind::Repin | OpKind::Reload => Effect::Pin { model },
        OpKind::Unload => Effect::Unload { model },
        // A pinned model loads pinned: the default keep-alive would undo the pin.
        OpKind::Load if state.config.is_pinned(name) => Effect::Pin { model },
        OpKind::Load | OpKind::Unpin => Effect::Load {
            model,
            keep_alive: state.config.default_keep_alive(),
        },
    });
    notice(state, format!("{} {}…", kind.verb(), clean(name)), false);
}

/// Records a pin change in the config file when there is one; otherwise it lasts
/// for this run, and the user is told so.
fn save_pin(state: &mut State, name: &str, pinned: bool, fx: &mut Vec<Effect>) {
    keeper::pins_changed(state);
    derive::refresh(state);
    if state.config_path.is_some() {
        let model = name.to_string();
        fx.push(Effect::SavePin { model, pinned });
        return;
    }
    let (text, kind) = if state.demo {
        ("demo: pins last until you quit", LogKind::Info)
    } else {
        (
            "pins not saved: no config file location; they last until you quit",
            LogKind::Error,
        )
    };
    // Once in the log is enough; the status line says it each time.
    if !state.log.recent().any(|e| e.text == text) {
        state.log.push(state.now, kind, text);
    }
    notice(state, text.to_string(), kind == LogKind::Error);
}

fn unpin(state: &mut State, name: &str) {
    state
        .config
        .keep_alive_models
        .retain(|p| !same_model(p, name));
    state
        .log
        .push(state.now, LogKind::Pin, format!("unpinned {name}"));
}

/// Pins and loads with keep-alive forever; the log entry comes when it is done.
fn pin(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    state.config.keep_alive_models.push(name.to_string());
    start(state, name, OpKind::Pin, fx);
    save_pin(state, name, true, fx);
}

/// `p`: pin (keep loaded forever, remembered in the config) or unpin.
pub fn toggle_pin(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    if state.op_for(&name).is_some() {
        return notice(state, format!("{} is busy", clean(&name)), false);
    }
    if state.config.is_pinned(&name) {
        unpin(state, &name);
        if is_loaded(state, &name) {
            start(state, &name, OpKind::Unpin, fx);
        } else {
            notice(state, format!("unpinned {}", clean(&name)), false);
        }
        save_pin(state, &name, false, fx);
    } else if is_loaded(state, &name) || !confirm_if_short(state, &name, true) {
        pin(state, &name, fx);
    }
}

/// `u`: unload; a pinned model is unpinned first so nothing loads it again.
pub fn unload(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    let pinned = state.config.is_pinned(&name);
    if pinned {
        unpin(state, &name);
    }
    if is_loaded(state, &name) || state.op_for(&name).is_some() {
        state.expect_gone.insert(normalize(&name));
        start(state, &name, OpKind::Unload, fx);
    } else if pinned {
        notice(state, format!("unpinned {}", clean(&name)), false);
    } else {
        notice(state, format!("{} is not loaded", clean(&name)), false);
    }
    if pinned {
        save_pin(state, &name, false, fx);
    }
}
