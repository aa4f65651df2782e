//! Starting operations — loads, pins, unloads, pulls, deletes — and asking first
//! when one costs something (evicting models, deleting files). Each gets an id
//! (`begin`); how it went is `done.rs`.

use super::log::LogKind;
use super::modal::{Modal, Prompt, PromptKind};
use super::msg::{Effect, Request};
use super::state::{Confirm, Confirmed, Focus, Op, OpId, OpKind, State};
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

/// Records a new operation and returns its id; the caller sends its request.
pub fn begin(state: &mut State, kind: OpKind, model: &str, keep_alive: Option<KeepAlive>) -> OpId {
    state.next_op += 1;
    let id = OpId(state.next_op);
    let op = Op {
        id,
        kind,
        model: model.to_string(),
        started: state.now,
        was_loaded: state.is_loaded(model),
        keep_alive,
        pull: (kind == OpKind::Pull).then(Default::default),
        notes: Vec::new(),
    };
    state.ops.push(op);
    state.dirty = true;
    id
}

fn ask(state: &mut State, title: &str, text: String, on_yes: Confirmed) {
    state.modal = Some(Modal::Confirm(Confirm {
        title: title.to_string(),
        text,
        on_yes,
    }));
    state.dirty = true;
}

/// Asks first when the load would make Ollama evict models, or cannot fit at all;
/// returns whether a question was asked.
fn confirm_if_short(
    state: &mut State,
    name: &str,
    pin: bool,
    keep_alive: Option<KeepAlive>,
) -> bool {
    let Some((_, row)) = state.model_row(name) else {
        return false;
    };
    let verb = if pin { "Pin" } else { "Load" };
    let (title, text) = match &row.verdict {
        Verdict::NoFit { short_by } => (
            "Does not fit",
            format!(
                "{} needs {}, {} free — short {} even with everything else unloaded. {verb} anyway?",
                clean(name),
                gb(row.need.bytes),
                gb(state.free_bytes()),
                gb(*short_by),
            ),
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
            (
                "Evicts loaded models",
                format!(
                    "Ollama will evict {} to load {}: {reason}. {verb} anyway?",
                    names.join(", "),
                    clean(name)
                ),
            )
        }
        _ => return false,
    };
    let on_yes = Confirmed::Load {
        model: name.to_string(),
        pin,
        keep_alive,
    };
    ask(state, title, text, on_yes);
    true
}

/// Enter / `l`: load with the default keep-alive.
pub fn request_load(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    load(state, &name, None, fx);
}

/// A load with `keep_alive` when given, else the default one.
fn load(state: &mut State, name: &str, keep_alive: Option<KeepAlive>, fx: &mut Vec<Effect>) {
    if refused_cloud(state, name, "load") {
        return;
    }
    if let Some(op) = state.op_for(name) {
        let text = format!("already {} {}", op.verb(), clean(&op.model));
        return state.notify(text, false);
    }
    if !confirm_if_short(state, name, false, keep_alive) {
        start(state, name, OpKind::Load, keep_alive, fx);
    }
}

/// The user answered yes to the question.
pub fn confirmed(state: &mut State, on_yes: Confirmed, fx: &mut Vec<Effect>) {
    match on_yes {
        Confirmed::Load {
            model, pin: true, ..
        } => pin(state, &model, fx),
        Confirmed::Load {
            model, keep_alive, ..
        } => start(state, &model, OpKind::Load, keep_alive, fx),
        Confirmed::Delete { model } => delete(state, &model, fx),
        Confirmed::UnloadAll => unload_all(state, fx),
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
/// the default would undo the pin), the one typed at `L`, the configured default
/// or nothing (the server's keep-alive) for a plain load, a finite one for an
/// unpin; with the loaded runner's context so Ollama does not reload it
/// (`ollama-api.md` §9.4).
fn spec_for(state: &State, name: &str, kind: OpKind, typed: Option<KeepAlive>) -> LoadSpec {
    let keep_alive = match kind {
        OpKind::Load if state.config.is_pinned(name) => Some(KeepAlive::Forever),
        OpKind::Load => typed.or(state.config.default_keep_alive()),
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

/// Starts a load, pin, unpin or unload of `name`.
fn start(
    state: &mut State,
    name: &str,
    kind: OpKind,
    typed: Option<KeepAlive>,
    fx: &mut Vec<Effect>,
) {
    let model = name.to_string();
    let request = match kind {
        OpKind::Unload => Request::Unload {
            embedding: state.kind_of(name) == Kind::Embedding,
            model,
        },
        _ => Request::Load {
            spec: spec_for(state, name, kind, typed),
            model,
        },
    };
    let keep_alive = match &request {
        Request::Load { spec, .. } => spec.keep_alive,
        _ => None,
    };
    let id = begin(state, kind, name, keep_alive);
    // Asked for again: a late arrival of the cancelled load is now wanted.
    state.cancelled.remove(&normalize(name));
    fx.push(Effect::Start { id, request });
    let verb = state.op(id).map_or("", Op::verb);
    let text = format!("{verb} {}…", clean(name));
    state.notify(text, false);
}

/// Unloads `name` as an operation of its own (a cancelled load that arrived anyway).
pub fn start_unload(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    state.expect_gone.insert(normalize(name));
    start(state, name, OpKind::Unload, None, fx);
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
    start(state, name, OpKind::Pin, None, fx);
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
            start(state, &name, OpKind::Unpin, None, fx);
        } else {
            state.notify(format!("unpinned {}", clean(&name)), false);
        }
        save_pin(state, &name, false, fx);
    } else if state.is_loaded(&name) || !confirm_if_short(state, &name, true, None) {
        pin(state, &name, fx);
    }
}

/// `u`: unload; a pinned model is unpinned first so nothing loads it again. A
/// load or pull in progress is cancelled instead.
pub fn unload(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    if cancel_pull(state, &name, fx) {
        return;
    }
    unload_one(state, &name, fx);
}

fn unload_one(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    let pinned = state.config.is_pinned(name);
    if !pinned && refused_cloud(state, name, "unload") {
        return;
    }
    if pinned {
        unpin(state, name);
    }
    if cancel_load(state, name, fx) {
        // Nothing more to send: if the model arrives anyway it is unloaded then.
    } else if state.is_loaded(name) || state.op_for(name).is_some() {
        start_unload(state, name, fx);
    } else if pinned {
        state.notify(format!("unpinned {}", clean(name)), false);
    } else {
        state.notify(format!("{} is not loaded", clean(name)), false);
    }
    if pinned {
        save_pin(state, name, false, fx);
    }
}

/// Drops a load or pin of a model that is not loaded yet; returns whether there
/// was one. `update` unloads the model should it still arrive (`data::on_ps`).
fn cancel_load(state: &mut State, name: &str, fx: &mut Vec<Effect>) -> bool {
    let loading = |o: &Op| same_model(&o.model, name) && !o.was_loaded && o.kind.loads();
    let Some(pos) = state.ops.iter().position(loading) else {
        return false;
    };
    let op = state.ops.remove(pos);
    state.cancelled.insert(normalize(name));
    fx.push(Effect::Cancel { id: op.id });
    let text = format!("load cancelled: {}", clean(name));
    state.log.push(state.now, LogKind::Unload, &text);
    state.notify(text, false);
    true
}

/// Drops a pull of `name` in progress; returns whether there was one. Ollama
/// keeps what it fetched: pulling again goes on from there.
pub fn cancel_pull(state: &mut State, name: &str, fx: &mut Vec<Effect>) -> bool {
    let pulling = |o: &Op| o.kind == OpKind::Pull && same_model(&o.model, name);
    let Some(pos) = state.ops.iter().position(pulling) else {
        return false;
    };
    let op = state.ops.remove(pos);
    fx.push(Effect::Cancel { id: op.id });
    let text = format!(
        "pull cancelled: {} (pulling it again goes on from where it stopped)",
        clean(name)
    );
    state.log.push(state.now, LogKind::Unload, &text);
    state.notify(text, false);
    derive::clamp_selection(state);
    true
}

/// `P`: asks for the name of a model to pull.
pub fn request_pull(state: &mut State) {
    state.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Pull, "")));
}

/// `L`: asks for the keep-alive of a load, prefilled with the one a plain load
/// gets (the config's, else the server's `OLLAMA_KEEP_ALIVE`, else Ollama's 5m).
pub fn request_keep_alive(state: &mut State) {
    let Some(model) = target(state) else { return };
    if refused_cloud(state, &model, "load") {
        return;
    }
    let default = state
        .config
        .default_keep_alive()
        .or(state.server_settings.keep_alive)
        .unwrap_or(KeepAlive::For(std::time::Duration::from_secs(300)));
    let text = keep_alive_text(default);
    state.modal = Some(Modal::Prompt(Prompt::new(
        PromptKind::KeepAlive { model },
        &text,
    )));
}

/// A keep-alive as the user types it: `5m`, `2h`, `1h30m`, `-1` for forever.
pub fn keep_alive_text(k: KeepAlive) -> String {
    match k {
        KeepAlive::Forever => "-1".into(),
        k => {
            let mut s = k.to_string();
            for tail in ["0s", "0m"] {
                let cut = s.len().saturating_sub(tail.len());
                if s.ends_with(tail) && cut > 0 && !s[..cut].ends_with(|c: char| c.is_ascii_digit())
                {
                    s.truncate(cut);
                }
            }
            s
        }
    }
}

/// Enter in a prompt: starts what it asked for, or says why not (the prompt stays).
pub fn prompt_accepted(state: &mut State, p: &Prompt, fx: &mut Vec<Effect>) -> Result<(), String> {
    let text = p.line.text().trim();
    match &p.kind {
        PromptKind::Pull => {
            let name = pull_name(text)?;
            pull(state, &name, fx);
            Ok(())
        }
        PromptKind::KeepAlive { model } => {
            let k = parse_keep_alive(text)?;
            let model = model.clone();
            load(state, &model, Some(k), fx);
            Ok(())
        }
    }
}

/// A keep-alive typed at `L`, read as Ollama reads it (`api.Duration`: a Go
/// duration, or a number of seconds; negative is forever).
pub fn parse_keep_alive(text: &str) -> Result<KeepAlive, String> {
    if text.is_empty() {
        return Err("type a keep-alive: 30m, 2h, or -1 for forever".into());
    }
    match KeepAlive::parse_env(text) {
        Ok(KeepAlive::For(d)) if d.is_zero() => Err("0 unloads at once — use u to unload".into()),
        Ok(k) => Ok(k),
        Err(_) => Err(format!(
            "“{}” is not a keep-alive: try 30m, 2h, 90s or -1 (forever)",
            clean(text)
        )),
    }
}

/// A model name as `ollama pull` takes it: `name`, `name:tag`,
/// `namespace/name:tag` or `host/namespace/name:tag` (`types/model/name.go`
/// `ParseName`: no spaces; parts of letters, digits, `_`, `-`, `.`; a host may
/// carry a port).
pub fn pull_name(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("type a name: llama3.2, qwen2.5-coder:7b, or host/namespace/name:tag".into());
    }
    let bad = |why: &str| Err(format!("“{}” is not a model name: {why}", clean(text)));
    if text.chars().any(char::is_whitespace) {
        return bad("it has spaces");
    }
    let (path, tag) = match text.rsplit_once(':') {
        // A colon before the last slash is a host's port, not a tag.
        Some((p, t)) if !t.contains('/') => (p, Some(t)),
        _ => (text, None),
    };
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return bad("use name:tag or host/namespace/name:tag");
    }
    let ok = |s: &str, extra: &[char]| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c) || extra.contains(&c))
    };
    let (host, rest) = if parts.len() == 3 {
        (Some(parts[0]), &parts[1..])
    } else {
        (None, &parts[..])
    };
    if host.is_some_and(|h| !ok(h, &[':'])) || rest.iter().any(|p| !ok(p, &[])) {
        return bad("only letters, digits, _ - . are allowed");
    }
    if tag.is_some_and(|t| t.is_empty() || !ok(t, &[])) {
        return bad("the tag after : is empty or has odd characters");
    }
    Ok(text.to_string())
}

/// Starts a pull in the background; its row in the Loaded pane shows the bytes,
/// the speed and the time left, and the cursor goes there (Esc cancels it).
pub fn pull(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    if let Some(op) = state.ops.iter().find(|o| same_model(&o.model, name)) {
        let text = format!("already {} {}", op.verb(), clean(&op.model));
        return state.notify(text, false);
    }
    let id = begin(state, OpKind::Pull, name, None);
    fx.push(Effect::Start {
        id,
        request: Request::Pull {
            model: name.to_string(),
        },
    });
    let text = format!("pulling {}…", clean(name));
    state.log.push(state.now, LogKind::Info, &text);
    state.notify(text, false);
    if let Some(row) = state
        .loaded_rows()
        .iter()
        .position(|r| r.op_id() == Some(id))
    {
        state.focus = Focus::Loaded;
        state.loaded_selected = row;
    }
}

/// `d`: asks before deleting, naming the model, its size, and what happens first.
pub fn request_delete(state: &mut State) {
    let Some(name) = target(state) else { return };
    let Some((entry, _)) = state.model_row(&name) else {
        return state.notify(format!("{} is not installed", clean(&name)), false);
    };
    if let Some(op) = state.op_for(&name) {
        let text = format!(
            "{} is busy ({}); try again when it is done",
            clean(&name),
            op.verb()
        );
        return state.notify(text, false);
    }
    let size = if entry.is_remote() {
        "a cloud model".to_string()
    } else {
        gb(entry.size)
    };
    let mut text = format!("Delete {} ({size}) from disk?", clean(&entry.name));
    if state.is_loaded(&name) {
        text.push_str(" It is loaded: it will be unloaded first.");
    }
    if state.config.is_pinned(&name) {
        text.push_str(" It is pinned: it will be unpinned.");
    }
    let model = entry.name.clone();
    ask(state, "Delete model", text, Confirmed::Delete { model });
}

/// Unpins, then deletes (the request unloads first when the model is loaded).
fn delete(state: &mut State, name: &str, fx: &mut Vec<Effect>) {
    if state.config.is_pinned(name) {
        unpin(state, name);
        save_pin(state, name, false, fx);
    }
    let unload_first = state
        .is_loaded(name)
        .then(|| state.kind_of(name) == Kind::Embedding);
    if unload_first.is_some() {
        state.expect_gone.insert(normalize(name));
    }
    let id = begin(state, OpKind::Delete, name, None);
    fx.push(Effect::Start {
        id,
        request: Request::Delete {
            model: name.to_string(),
            unload_first,
        },
    });
    state.notify(format!("deleting {}…", clean(name)), false);
}

/// `U`: asks before unloading everything, naming the pinned models it unpins.
pub fn request_unload_all(state: &mut State) {
    let names: Vec<String> = state.running.iter().map(|r| r.name.clone()).collect();
    if names.is_empty() {
        return state.notify("nothing is loaded", false);
    }
    let pinned: Vec<String> = names
        .iter()
        .filter(|n| state.config.is_pinned(n))
        .map(|n| clean(n))
        .collect();
    let mut text = match names.len() {
        1 => format!("Unload {}?", clean(&names[0])),
        n => format!(
            "Unload all {n} loaded models ({})?",
            names
                .iter()
                .map(|n| clean(n))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if !pinned.is_empty() {
        let verb = if pinned.len() == 1 { "is" } else { "are" };
        text.push_str(&format!(
            " {} {verb} pinned: unpinned first, so nothing loads {} back.",
            pinned.join(", "),
            if pinned.len() == 1 { "it" } else { "them" }
        ));
    }
    ask(state, "Unload all", text, Confirmed::UnloadAll);
}

/// Unloads every loaded model as `u` would, one operation each.
fn unload_all(state: &mut State, fx: &mut Vec<Effect>) {
    let names: Vec<String> = state.running.iter().map(|r| r.name.clone()).collect();
    for name in &names {
        if state.op_for(name).is_some_and(|o| o.kind == OpKind::Unload) {
            continue;
        }
        unload_one(state, name, fx);
    }
    state.notify(format!("unloading {} models…", names.len()), false);
}

/// `y`: the selected model's name onto the clipboard, through the terminal.
pub fn copy(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(name) = target(state) else { return };
    fx.push(Effect::Copy(name.clone()));
    state.notify(
        format!("copied {} (through the terminal: OSC 52)", clean(&name)),
        false,
    );
}
