//! Loads, pins and unloads: starting them and asking first when a model does not
//! fit. How they went is `done.rs`.

use super::log::LogKind;
use super::msg::Effect;
use super::state::{Confirm, Op, OpKind, State};
use super::{derive, keeper};
use crate::duration::KeepAlive;
use crate::fit::{Evict, Verdict};
use crate::format::gb;
use crate::kind::Kind;
use crate::names::{normalize, same_model};
use crate::ollama::LoadSpec;
use crate::sanitize::clean;

/// The model the keys act on.
fn target(state: &State) -> Option<String> {
    state.target().map(str::to_string)
}

/// Asks first when the load would make Ollama evict models, or cannot fit at all;
/// returns whether a question was asked.
fn confirm_if_short(state: &mut State, name: &str, pin: bool) -> bool {
    let Some((_, row)) = state.model_row(name) else {
        return false;
    };
    let verb = if pin { "Pin" } else { "Load" };
    let text = match &row.verdict {
        Verdict::NoFit { short_by } => format!(
            "{} needs {}, {} free — short {} even with everything else unloaded. {verb} anyway? y/n",
            clean(name),
            gb(row.need.bytes),
            gb(state.free_bytes()),
            gb(*short_by),
        ),
        Verdict::FitsIfUnloaded { unload, why, .. } => {
            let names: Vec<String> = unload
                .iter()
                .map(|u| {
                    let pinned = if state.config.is_pinned(u) {
                        " (pinned)"
                    } else {
                        ""
                    };
                    format!("{}{pinned}", clean(u))
                })
                .collect();
            let reason = match why {
                Evict::CountLimit(n) => format!("{n} models are loaded, the server's limit"),
                Evict::Memory => format!("{} does not fit beside them", clean(name)),
            };
            format!(
                "Ollama will evict {} to load {}: {reason}. {verb} anyway? y/n",
                names.join(", "),
                clean(name)
            )
        }
        _ => return false,
    };
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
    if refused_cloud(state, &name, "load") {
        return;
    }
    if let Some(op) = state.op_for(&name) {
        let text = format!("already {} {}", op.verb(), clean(&op.model));
        return state.notify(text, false);
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

/// Cloud models are never loaded, pinned or unloaded here: says so, sends nothing.
fn refused_cloud(state: &mut State, name: &str, verb: &str) -> bool {
    if state.kind_of(name) != Kind::Cloud {
        return false;
    }
    state.notify(crate::kind::cloud_refusal(name, verb), true);
    true
}

/// What a load of `kind` sends: forever for pins (a pinned model loads pinned:
/// the default would undo the pin), the configured default or nothing (the
/// server's keep-alive) for a plain load, a finite one for an unpin; with the
/// loaded runner's context so Ollama does not reload it (`ollama-api.md` §9.4).
fn spec_for(state: &State, name: &str, kind: OpKind) -> LoadSpec {
    let keep_alive = match kind {
        OpKind::Load if state.config.is_pinned(name) => Some(KeepAlive::Forever),
        OpKind::Load => state.config.default_keep_alive(),
        OpKind::Unpin => Some(state.config.unpin_keep_alive()),
        _ => Some(KeepAlive::Forever),
    };
    LoadSpec {
        embedding: state.kind_of(name) == Kind::Embedding,
        keep_alive,
        // The loaded runner's context, else ours (`num_ctx` in the config) when set.
        num_ctx: state
            .runner_of(name)
            .and_then(|r| r.context_length)
            .or(state.config.num_ctx),
    }
}

fn start(state: &mut State, name: &str, kind: OpKind, fx: &mut Vec<Effect>) {
    let op = Op {
        kind,
        model: name.to_string(),
        started: state.now,
        was_loaded: state.is_loaded(name),
    };
    let text = format!("{} {}…", op.verb(), clean(name));
    state.ops.push(op);
    // Asked for again: a late arrival of the cancelled load is now wanted.
    state.cancelled.remove(&normalize(name));
    let model = name.to_string();
    fx.push(match kind {
        OpKind::Unload => Effect::Unload {
            embedding: state.kind_of(name) == Kind::Embedding,
            model,
        },
        _ => Effect::Load {
            spec: spec_for(state, name, kind),
            model,
        },
    });
    state.notify(text, false);
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
    state.notify(text, kind == LogKind::Error);
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
    if !state.config.is_pinned(&name) && refused_cloud(state, &name, "pin") {
        return;
    }
    if state.op_for(&name).is_some() {
        let text = format!("{} is busy; try again when it is done", clean(&name));
        return state.notify(text, false);
    }
    if state.config.is_pinned(&name) {
        unpin(state, &name);
        if state.is_loaded(&name) {
            start(state, &name, OpKind::Unpin, fx);
        } else {
            state.notify(format!("unpinned {}", clean(&name)), false);
        }
        save_pin(state, &name, false, fx);
    } else if state.is_loaded(&name) || !confirm_if_short(state, &name, true) {
        pin(state, &name, fx);
    }
}

/// `u`: unload; a pinned model is unpinned first so nothing loads it again. A
/// load in progress is cancelled instead.
pub fn unload(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    let pinned = state.config.is_pinned(&name);
    if !pinned && refused_cloud(state, &name, "unload") {
        return;
    }
    if pinned {
        unpin(state, &name);
    }
    if cancel_load(state, &name, fx) {
        // Nothing more to send: if the model arrives anyway it is unloaded then.
    } else if state.is_loaded(&name) || state.op_for(&name).is_some() {
        state.expect_gone.insert(normalize(&name));
        start(state, &name, OpKind::Unload, fx);
    } else if pinned {
        state.notify(format!("unpinned {}", clean(&name)), false);
    } else {
        state.notify(format!("{} is not loaded", clean(&name)), false);
    }
    if pinned {
        save_pin(state, &name, false, fx);
    }
}

/// Drops a load or pin of a model that is not loaded yet; returns whether there
/// was one. `update` unloads the model should it still arrive (`data::on_ps`).
fn cancel_load(state: &mut State, name: &str, fx: &mut Vec<Effect>) -> bool {
    let loading = |o: &Op| same_model(&o.model, name) && !o.was_loaded && o.kind != OpKind::Unload;
    let Some(pos) = state.ops.iter().position(loading) else {
        return false;
    };
    let op = state.ops.remove(pos);
    state.cancelled.insert(normalize(name));
    fx.push(Effect::CancelLoad { model: op.model });
    let text = format!("load cancelled: {}", clean(name));
    state.log.push(state.now, LogKind::Unload, &text);
    state.notify(text, false);
    true
}
