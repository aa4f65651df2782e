//! Figures derived from the raw data: per-model need and verdict, the filtered and
//! sorted view, the best pick, the eviction order. Recomputed when inputs change so
//! drawing stays cheap.

use std::cmp::Ordering;

use super::state::{Row, SortKey, State};
use crate::fit::{self, Verdict};
use crate::names::same_model;
use crate::select::{Candidate, select_best_model};

/// Recomputes the rows of the models at `indices` only (a `/api/show` answer
/// changes one model's figures, not the others'); the view and the best pick,
/// which depend on every row, are rebuilt by [`settle`] once a batch of messages
/// is through, so 10,000 answers do not cost 10,000 sorts.
pub fn refresh_rows(state: &mut State, indices: &[usize]) {
    let scene = state.scene();
    let fresh: Vec<(usize, Row)> = indices
        .iter()
        .filter_map(|&i| {
            let m = state.models.get(i)?;
            let j = scene.judge(model_of(state, m));
            let row = Row {
                pinned: state.config.is_pinned(&m.name),
                loaded: matches!(j.verdict, Verdict::Loaded),
                need: j.need,
                verdict: j.verdict,
            };
            Some((i, row))
        })
        .collect();
    drop(scene);
    for (i, row) in fresh {
        if let Some(slot) = state.rows.get_mut(i) {
            *slot = row;
        }
    }
    state.derive_pending = true;
}

/// Rebuilds the view and the best pick if rows changed since the last time.
pub fn settle(state: &mut State) {
    if !state.derive_pending {
        return;
    }
    let keep = state.selected_model().map(|m| m.name.clone());
    state.best = best_pick(state);
    rebuild_view(state);
    if let Some(name) = keep {
        select_name(state, &name);
    }
    clamp_selection(state);
    state.derive_pending = false;
}

/// Recomputes rows, view and best pick, keeping the cursor on the same model.
pub fn refresh(state: &mut State) {
    refresh_keeping(state);
}

/// [`refresh`], handing back the rows it replaced (to see what changed on screen
/// without a copy of 10,000 rows).
pub fn refresh_keeping(state: &mut State) -> Vec<Row> {
    state.derive_pending = false;
    let keep = state.selected_model().map(|m| m.name.clone());
    state.aliases = crate::aliases::Aliases::new(state.models.iter().map(|m| {
        let blob = state
            .show_for(m)
            .and_then(|s| s.arch.weights_blob.as_deref());
        (m, blob)
    }));
    state.keeper.set_aliases(state.aliases.clone());
    let scene = state.scene();
    let rows = state
        .models
        .iter()
        .map(|m| {
            let j = scene.judge(model_of(state, m));
            Row {
                pinned: state.config.is_pinned(&m.name),
                loaded: matches!(j.verdict, Verdict::Loaded),
                need: j.need,
                verdict: j.verdict,
            }
        })
        .collect();
    let order = scene.residents.iter().map(|r| r.name.clone()).collect();
    drop(scene);
    let before = std::mem::replace(&mut state.rows, rows);
    state.evict_order = order;
    state.best = best_pick(state);
    rebuild_view(state);
    if let Some(name) = keep {
        select_name(state, &name);
    }
    clamp_selection(state);
    before
}

/// The model as the fit rules see it: entry, architecture, embedding-only.
pub fn model_of<'a>(state: &'a State, m: &'a crate::ollama::ModelEntry) -> fit::Model<'a> {
    let show = state.show_for(m);
    let caps = show
        .map(|s| s.capabilities.as_slice())
        .filter(|c| !c.is_empty())
        .unwrap_or(&m.capabilities);
    fit::Model {
        entry: m,
        arch: show.map(|s| &s.arch),
        embedding_only: fit::embedding_only(caps, show.map(|s| &s.arch)),
    }
}

fn best_pick(state: &State) -> Option<Result<crate::select::Pick, crate::select::NoPick>> {
    if state.models.is_empty() {
        return None;
    }
    let memory = state.memory.as_ref()?;
    let candidates: Vec<Candidate<'_>> = state
        .models
        .iter()
        .zip(&state.rows)
        .map(|(m, r)| Candidate {
            entry: m,
            need: r.need.bytes,
            verdict: &r.verdict,
            capabilities: state
                .show_for(m)
                .map(|s| s.capabilities.as_slice())
                .unwrap_or(m.capabilities.as_slice()),
        })
        .collect();
    Some(select_best_model(
        state.task,
        &candidates,
        memory,
        &state.config.keep_alive_models,
        &state.config,
    ))
}

/// Applies the filter and the sort order.
pub fn rebuild_view(state: &mut State) {
    let needle = state.filter.to_lowercase();
    let mut view: Vec<usize> = (0..state.models.len())
        .filter(|&i| needle.is_empty() || state.models[i].name.to_lowercase().contains(&needle))
        .collect();
    view.sort_by(|&a, &b| compare(state, a, b));
    state.view = view;
}

fn compare<'a>(state: &'a State, a: usize, b: usize) -> Ordering {
    let (ma, mb) = (&state.models[a], &state.models[b]);
    // Compared lower-cased char by char: building two lower-case strings for each
    // of the 130,000 comparisons of a 10,000-model sort cost most of the sort.
    let by_name = || {
        if ma.name.is_ascii() && mb.name.is_ascii() {
            let lower = |s: &'a str| s.bytes().map(|b| b.to_ascii_lowercase());
            lower(&ma.name).cmp(lower(&mb.name))
        } else {
            let lower = |s: &'a str| s.chars().flat_map(char::to_lowercase);
            lower(&ma.name).cmp(lower(&mb.name))
        }
    };
    let need = |i: usize| state.rows.get(i).map_or(0, |r| r.need.bytes);
    let primary = match state.sort {
        SortKey::Name => Ordering::Equal,
        SortKey::Size => mb.size.cmp(&ma.size),
        SortKey::Need => need(b).cmp(&need(a)),
        SortKey::Modified => mb.modified_at.cmp(&ma.modified_at),
        SortKey::Fit => {
            let rank = |i: usize| state.rows.get(i).map_or(9, |r| verdict_rank(&r.verdict));
            rank(a).cmp(&rank(b)).then_with(|| need(a).cmp(&need(b)))
        }
    };
    let order = primary.then_with(by_name);
    if state.sort_reversed {
        order.reverse()
    } else {
        order
    }
}

/// Best first: loaded, on the GPU, split, on the CPU, after evicting, remote,
/// unknown, does not fit.
pub fn verdict_rank(v: &Verdict) -> u8 {
    match v {
        Verdict::Loaded => 0,
        Verdict::Fits(fit::Landing::Gpu) => 1,
        Verdict::Fits(fit::Landing::Split { .. }) => 2,
        Verdict::Fits(fit::Landing::Cpu) => 3,
        Verdict::FitsIfUnloaded { .. } => 4,
        Verdict::Remote => 5,
        Verdict::Unknown => 6,
        Verdict::NoFit { .. } => 7,
    }
}

pub fn select_name(state: &mut State, name: &str) -> bool {
    let pos = state
        .view
        .iter()
        .position(|&i| same_model(&state.models[i].name, name));
    if let Some(p) = pos {
        state.selected = p;
    }
    pos.is_some()
}

/// Keeps both cursors on a row after the lists changed, and the table scrolled to
/// show the cursor (a shorter list must not leave it scrolled past its end).
pub fn clamp_selection(state: &mut State) {
    state.selected = state.selected.min(state.view.len().saturating_sub(1));
    super::input::ensure_visible(state);
    clamp_loaded(state);
}

/// Keeps the Loaded pane's cursor on a row: its rows come and go with loads in
/// flight and pins, not only with `/api/ps`. An emptied pane hands the focus
/// back to the table.
pub fn clamp_loaded(state: &mut State) {
    let rows = state.loaded_rows().len();
    if state.focus == super::state::Focus::Loaded && rows == 0 {
        state.focus = super::state::Focus::Models;
    }
    state.loaded_selected = state.loaded_selected.min(rows.saturating_sub(1));
}
