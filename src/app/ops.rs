//! Loads, pins and unloads: starting them, asking first when a model does not fit,
//! and reporting how they went.

use super::data::{fetch_ps, fetch_tags};
use super::log::LogKind;
use super::msg::{Effect, Reply};
use super::state::{Confirm, Focus, Notice, Op, OpKind, State};
use super::{derive, keeper};
use crate::duration::KeepAlive;
use crate::fit::Verdict;
use crate::memory::EventKind;
use crate::names::{normalize, same_model};
use crate::ollama::OllamaError;
use crate::sanitize::clean;
use crate::ui::format::{elapsed_ms, gb};

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

fn notice(state: &mut State, text: String, error: bool) {
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

fn is_loaded(state: &State, name: &str) -> bool {
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

fn finish(state: &mut State, name: &str, unload: bool) -> Option<Op> {
    let pos = state
        .ops
        .iter()
        .position(|o| same_model(&o.model, name) && (o.kind == OpKind::Unload) == unload)?;
    Some(state.ops.remove(pos))
}

/// Ollama's error in plain words; out of memory says how much was missing.
fn plain_error(state: &State, name: &str, e: &OllamaError) -> String {
    if e.is_out_of_memory() {
        let need = state
            .models
            .iter()
            .position(|m| same_model(&m.name, name))
            .and_then(|i| state.rows.get(i))
            .map(|r| (gb(r.need.bytes), r.need.bytes));
        let free = gb(state.free_bytes());
        // The estimate said it fits: do not claim a shortage the figures contradict.
        return match need {
            Some((need, bytes)) if bytes > state.free_bytes() => {
                format!("not enough memory: needs {need}, {free} free")
            }
            Some((need, _)) => {
                format!("Ollama ran out of memory (estimate: needs {need}, {free} free)")
            }
            None => format!("not enough memory: {free} free"),
        };
    }
    e.plain()
}

pub fn on_load_done(
    state: &mut State,
    name: &str,
    keep_alive: KeepAlive,
    reply: Reply<()>,
    fx: &mut Vec<Effect>,
) {
    if reply.as_ref().is_err_and(OllamaError::is_not_found) {
        fetch_tags(state, fx);
    }
    let op = finish(state, name, false);
    match op {
        Some(op) if op.kind.is_keepers() => keeper::on_done(state, name, reply),
        op => user_load_done(state, name, op, keep_alive, reply),
    }
    fetch_ps(state, fx);
}

/// A load, pin or unpin the user asked for finished.
fn user_load_done(
    state: &mut State,
    name: &str,
    op: Option<Op>,
    keep_alive: KeepAlive,
    reply: Reply<()>,
) {
    let kind = op.as_ref().map_or(OpKind::Load, |o| o.kind);
    let shown = clean(name);
    let now = state.now;
    match reply {
        Ok(()) if kind == OpKind::Unpin => {
            state.history.mark(now, EventKind::Unpin, name);
            let text = format!("{shown} now unloads after {keep_alive} idle");
            report(state, LogKind::Pin, text.clone(), text, false);
        }
        Ok(()) => {
            if !is_loaded(state, name) {
                state.expect_loaded.insert(normalize(name));
            }
            let text = loaded_text(state, &shown, op.as_ref());
            let mark = match op {
                Some(o) if o.kind == OpKind::Pin && o.was_loaded => EventKind::Pin,
                _ => EventKind::Load,
            };
            state.history.mark(now, mark, name);
            report(state, LogKind::Load, text.clone(), text, false);
        }
        Err(e) => {
            state.history.mark(now, EventKind::LoadFailed, name);
            let text = format!("cannot load {shown}: {}", plain_error(state, name, &e));
            // The log keeps the server's own words too, for the curious.
            let logged = match e.server_message() {
                Some(m) if e.is_out_of_memory() => format!("{text} (Ollama: {m})"),
                _ => text.clone(),
            };
            report(state, LogKind::Error, logged, text, true);
        }
    }
}

/// "loaded mistral:7b in 3.2s"; a pin of a model already loaded loads nothing.
fn loaded_text(state: &State, shown: &str, op: Option<&Op>) -> String {
    let took = op
        .map(|o| elapsed_ms(state.now.as_millisecond() - o.started.as_millisecond()))
        .map(|t| format!(" in {t}"))
        .unwrap_or_default();
    match op {
        Some(o) if o.kind == OpKind::Pin && o.was_loaded => {
            format!("pinned {shown} (kept loaded forever)")
        }
        Some(o) if o.kind == OpKind::Pin => format!("loaded and pinned {shown}{took}"),
        _ => format!("loaded {shown}{took}"),
    }
}

fn report(state: &mut State, kind: LogKind, logged: String, shown: String, error: bool) {
    state.log.push(state.now, kind, logged);
    notice(state, shown, error);
}

pub fn on_unload_done(state: &mut State, name: &str, reply: Reply<()>, fx: &mut Vec<Effect>) {
    finish(state, name, true);
    let shown = clean(name);
    match reply {
        Ok(()) => {
            state.history.mark(state.now, EventKind::Unload, name);
            let text = format!("unloaded {shown}");
            state.log.push(state.now, LogKind::Unload, &text);
            notice(state, text, false);
        }
        Err(e) => {
            state.expect_gone.remove(&normalize(name));
            let text = format!("cannot unload {shown}: {}", e.plain());
            state.log.push(state.now, LogKind::Error, &text);
            notice(state, text, true);
        }
    }
    fetch_ps(state, fx);
}

/// A failed save keeps the change for this run and says why it did not stick.
pub fn on_pins_saved(state: &mut State, result: Result<(), String>) {
    if let Err(e) = result {
        let text = format!("{e} — the pin change lasts until you quit");
        state.log.push(state.now, LogKind::Error, &text);
        notice(state, text, true);
    }
}
