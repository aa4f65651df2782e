//! How loads, pins and unloads went: the log line, the status line, the chart mark.

use super::data::{fetch_ps, fetch_tags};
use super::keeper;
use super::log::LogKind;
use super::msg::{Effect, OpEvent, Reply};
use super::state::{Op, OpId, OpKind, State};
use crate::duration::KeepAlive;
use crate::format::{elapsed_ms, gb};
use crate::memory::EventKind;
use crate::names::normalize;
use crate::ollama::OllamaError;
use crate::sanitize::clean;

/// Ollama's error in plain words; out of memory says how much was missing.
fn plain_error(state: &State, name: &str, e: &OllamaError) -> String {
    if e.is_out_of_memory() {
        let need = state
            .model_row(name)
            .map(|(_, r)| (gb(r.need.bytes), r.need.bytes));
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

/// Operation `id` made progress. A cancelled one is gone: its news is dropped.
pub fn on_op_progress(state: &mut State, id: OpId, event: OpEvent) {
    let now = state.now;
    let Some(op) = state.ops.iter_mut().find(|o| o.id == id) else {
        return;
    };
    let changed = match (&event, op.pull.as_mut()) {
        (OpEvent::Pull(e), Some(p)) => p.record(now, e),
        (OpEvent::Note(n), _) => {
            op.notes.push(clean(n));
            true
        }
        (OpEvent::Pull(_), None) => false,
    };
    if changed {
        state.dirty = true;
    }
}

/// Operation `id` ended. One that was cancelled is no longer in `ops`: a late
/// answer changes nothing (a load that lands anyway is unloaded by `on_ps`).
pub fn on_op_done(state: &mut State, id: OpId, reply: Reply<()>, fx: &mut Vec<Effect>) {
    let Some(pos) = state.ops.iter().position(|o| o.id == id) else {
        return;
    };
    let op = state.ops.remove(pos);
    state.dirty = true;
    match op.kind {
        OpKind::Pull => return pull_done(state, &op, reply, fx),
        OpKind::Delete => return delete_done(state, &op, reply, fx),
        OpKind::Unload => return unload_done(state, &op, reply, fx),
        _ => {}
    }
    let name = op.model.clone();
    if reply.as_ref().is_err_and(OllamaError::is_not_found) {
        fetch_tags(state, fx);
    }
    if reply.is_ok() {
        // Our own request: its keep-alive is the runner's configured one.
        state.book.requested(&name, op.keep_alive, None);
    }
    if op.kind.is_keepers() {
        keeper::on_done(state, &name, reply);
    } else {
        let keep_alive = op.keep_alive;
        user_load_done(state, &name, Some(op), keep_alive, reply);
    }
    fetch_ps(state, fx);
}

fn took(state: &State, op: &Op) -> String {
    elapsed_ms(state.now.as_millisecond() - op.started.as_millisecond())
}

/// A pull ended: the new model appears with the next `/api/tags`.
fn pull_done(state: &mut State, op: &Op, reply: Reply<()>, fx: &mut Vec<Effect>) {
    let shown = clean(&op.model);
    match reply {
        Ok(()) => {
            let size = op.pull.as_ref().map(|p| p.total()).unwrap_or(0);
            let size = if size > 0 {
                format!(" ({})", gb(size))
            } else {
                String::new()
            };
            let text = format!("pulled {shown}{size} in {}", took(state, op));
            report(state, LogKind::Load, text.clone(), text, false);
            fetch_tags(state, fx);
        }
        Err(e) => {
            let text = format!("cannot pull {shown}: {}", e.plain());
            report(state, LogKind::Error, text.clone(), text, true);
        }
    }
    super::derive::clamp_selection(state);
}

/// A delete ended; notes say whether the unload before it went wrong.
fn delete_done(state: &mut State, op: &Op, reply: Reply<()>, fx: &mut Vec<Effect>) {
    let shown = clean(&op.model);
    let size = state
        .model_row(&op.model)
        .map(|(m, _)| format!(" ({})", gb(m.size)))
        .unwrap_or_default();
    let notes = if op.notes.is_empty() {
        String::new()
    } else {
        format!("; {}", op.notes.join("; "))
    };
    match reply {
        Ok(()) => {
            state.history.mark(state.now, EventKind::Unload, &op.model);
            let text = format!("deleted {shown}{size}{notes}");
            let error = !op.notes.is_empty();
            report(state, LogKind::Unload, text.clone(), text, error);
        }
        Err(e) => {
            state.expect_gone.remove(&normalize(&op.model));
            let text = format!("cannot delete {shown}: {}{notes}", e.plain());
            report(state, LogKind::Error, text.clone(), text, true);
        }
    }
    fetch_tags(state, fx);
    fetch_ps(state, fx);
}

/// A load, pin or unpin the user asked for finished.
fn user_load_done(
    state: &mut State,
    name: &str,
    op: Option<Op>,
    keep_alive: Option<KeepAlive>,
    reply: Reply<()>,
) {
    let kind = op.as_ref().map_or(OpKind::Load, |o| o.kind);
    let shown = clean(name);
    let now = state.now;
    match reply {
        Ok(()) if kind == OpKind::Unpin => {
            state.history.mark(now, EventKind::Unpin, name);
            let text = match keep_alive {
                Some(k) => format!("{shown} now unloads after {k} idle"),
                None => format!("{shown} now unloads when the server's keep-alive runs out"),
            };
            report(state, LogKind::Pin, text.clone(), text, false);
        }
        Ok(()) => {
            if !state.is_loaded(name) {
                state.expect_loaded.insert(normalize(name));
            }
            let text = loaded_text(state, &shown, op.as_ref(), keep_alive);
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

/// "loaded mistral:7b in 3.2s". A load or pin of a model that was already loaded
/// loads nothing: it only sets the keep-alive, and says so.
fn loaded_text(
    state: &State,
    shown: &str,
    op: Option<&Op>,
    keep_alive: Option<KeepAlive>,
) -> String {
    let took = op
        .map(|o| elapsed_ms(state.now.as_millisecond() - o.started.as_millisecond()))
        .map(|t| format!(" in {t}"))
        .unwrap_or_default();
    let was_loaded = op.is_some_and(|o| o.was_loaded);
    let pin = op.is_some_and(|o| o.kind == OpKind::Pin);
    match (pin, was_loaded, keep_alive) {
        (true, true, _) => format!("pinned {shown} (kept loaded forever)"),
        (true, false, _) => format!("loaded and pinned {shown}{took}"),
        (false, true, Some(KeepAlive::Forever)) => format!("{shown} stays loaded (pinned)"),
        (false, true, Some(k)) => format!("{shown} stays loaded: keep-alive reset to {k}"),
        (false, true, None) => format!("{shown} stays loaded"),
        (false, false, Some(KeepAlive::Forever)) => format!("loaded {shown}{took} (pinned)"),
        (false, false, _) => format!("loaded {shown}{took}"),
    }
}

fn report(state: &mut State, kind: LogKind, logged: String, shown: String, error: bool) {
    state.log.push(state.now, kind, logged);
    state.notify(shown, error);
}

fn unload_done(state: &mut State, op: &Op, reply: Reply<()>, fx: &mut Vec<Effect>) {
    let name = op.model.as_str();
    let shown = clean(name);
    match reply {
        Ok(()) => {
            state.history.mark(state.now, EventKind::Unload, name);
            let text = format!("unloaded {shown}");
            state.log.push(state.now, LogKind::Unload, &text);
            state.notify(text, false);
        }
        Err(e) => {
            state.expect_gone.remove(&normalize(name));
            let text = format!("cannot unload {shown}: {}", e.plain());
            state.log.push(state.now, LogKind::Error, &text);
            state.notify(text, true);
        }
    }
    fetch_ps(state, fx);
}

/// A failed save keeps the change for this run and says why it did not stick.
pub fn on_pins_saved(state: &mut State, result: Result<(), String>) {
    if let Err(e) = result {
        let text = format!("{e} — the pin change lasts until you quit");
        state.log.push(state.now, LogKind::Error, &text);
        state.notify(text, true);
    }
}
