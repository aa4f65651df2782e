//! Details of the selected model: what it is, what it needs at the configured
//! context, and why it fits or not.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Padding, Paragraph, Wrap};

use super::models::prefer;
use super::theme::Theme;
use crate::app::State;
use crate::app::state::Row;
use crate::fit::{Need, NeedSource, Verdict};
use crate::format::gb;
use crate::names::same_model;
use crate::ollama::ModelEntry;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let chosen = chosen(state);
    let title = match chosen {
        Some((m, _)) => Line::styled(format!(" {} ", clean(&m.name)), theme.bold()),
        None => Line::styled(" Details ", theme.bold()),
    };
    let block = super::pane(title, false, theme).padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = match chosen {
        Some((m, r)) => model_lines(m, r, state, theme),
        None => vec![Line::styled(
            " select a model to see what it needs",
            theme.dim(),
        )],
    };
    lines.extend(best_lines(state, theme));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The model the details follow: the cursor of the focused pane.
fn chosen(state: &State) -> Option<(&ModelEntry, &Row)> {
    state.model_row(state.target()?)
}

fn model_lines<'a>(m: &ModelEntry, r: &Row, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let show = state.show_for(m);
    let mut facts: Vec<String> = Vec::new();
    let family = prefer(show.map(|s| &s.family), &m.details.family);
    let params = prefer(show.map(|s| &s.parameter_size), &m.details.parameter_size);
    let quant = prefer(show.map(|s| &s.quantization), &m.details.quantization_level);
    for f in [family, params, quant] {
        if !f.is_empty() {
            facts.push(clean(f));
        }
    }
    if let Some(s) = show {
        if !s.arch.name.is_empty() && s.arch.name != *family {
            facts.push(clean(&s.arch.name));
        }
        if let Some(n) = s.arch.block_count {
            facts.push(format!("{n} layers"));
        }
    }
    let ctx = show
        .and_then(|s| s.arch.context_length)
        .or(m.details.context_length);
    if let Some(c) = ctx {
        facts.push(format!("ctx {c}"));
    }
    let mut lines = vec![Line::raw(facts.join(" · "))];
    let caps = show.map_or(&m.capabilities, |s| &s.capabilities);
    if !caps.is_empty() {
        let caps: Vec<String> = caps.iter().map(|c| clean(c)).collect();
        lines.push(Line::styled(
            format!("can: {}", caps.join(", ")),
            theme.dim(),
        ));
    }
    let fetched = show.is_some() || state.show_failed.contains(&State::show_key(m));
    lines.push(Line::raw(need_text(&r.need, fetched)));
    lines.push(verdict_line(m, &r.verdict, state, theme));
    lines
}

/// "needs 6.1 GB (4.9 file + 1.2 KV @4096)"
pub fn need_text(need: &Need, fetched: bool) -> String {
    let total = gb(need.bytes);
    match &need.source {
        NeedSource::Override => format!("needs {total} (set in model_sizes)"),
        NeedSource::Remote => "runs in the cloud: needs no local memory".into(),
        NeedSource::Estimate {
            file,
            kv_cache,
            num_ctx,
        } => {
            let g = |b: &u64| format!("{:.1}", *b as f64 / 1e9);
            format!(
                "needs {total} ({} file + {} KV @{num_ctx})",
                g(file),
                g(kv_cache)
            )
        }
        NeedSource::FileSize if fetched => format!("needs ≥ {total} (file; KV size unknown)"),
        NeedSource::FileSize => format!("needs ≥ {total} (file; reading details…)"),
    }
}

fn verdict_line<'a>(m: &ModelEntry, v: &Verdict, state: &State, theme: &Theme) -> Line<'a> {
    let free = gb(state.free_bytes());
    let buffer = gb(state.config.ram_buffer_bytes());
    let (text, style) = match v {
        Verdict::Loaded => {
            let running = state.running.iter().find(|r| same_model(&r.name, &m.name));
            let text = running.map_or("loaded".to_string(), |r| {
                format!("loaded: {} in memory, {}", gb(r.size), r.processor())
            });
            (text, theme.accent())
        }
        Verdict::FitsGpu => {
            let vram = state.memory.as_ref().map_or(0, |m| m.vram_free());
            (
                format!("fits in free VRAM ({} free)", gb(vram)),
                theme.good(),
            )
        }
        Verdict::Fits => (
            format!("fits · {free} free, {buffer} kept as buffer"),
            theme.good(),
        ),
        Verdict::FitsIfUnloaded { unload } => {
            let names: Vec<String> = unload.iter().map(|n| clean(n)).collect();
            (
                format!("{free} free → unload {} to fit", names.join(", ")),
                theme.warn(),
            )
        }
        Verdict::NoFit { short_by } => (
            format!(
                "{free} free → short {} (with the {buffer} buffer) even with others unloaded",
                gb(*short_by)
            ),
            theme.bad(),
        ),
    };
    Line::styled(text, style)
}

/// The selector's pick: the model on one line, why on the next.
fn best_lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let task = state.task.as_str();
    match &state.best {
        Some(Ok(p)) => vec![
            Line::styled(
                format!("▶ best for {task}: {}", clean(&p.model)),
                theme.accent(),
            ),
            Line::styled(format!("  {}", clean(&p.reason)), theme.dim()),
        ],
        Some(Err(no)) => vec![Line::styled(
            format!("▶ no pick for {task}: {}", clean(&no.reason)),
            theme.dim(),
        )],
        None => vec![Line::styled(
            format!("▶ best for {task}: waiting for data"),
            theme.dim(),
        )],
    }
}
