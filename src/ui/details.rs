//! Details of the selected model: what it is, what it needs at the configured
//! context, and why it fits or not. Each line comes in a long and a short wording:
//! the longest that fits the pane is drawn, so a narrow pane loses words, not lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Padding, Paragraph, Wrap};

use super::format::{first_fitting, join_wrapped};
use super::models::prefer;
use super::theme::Theme;
use crate::app::State;
use crate::app::state::Row;
use crate::fit::{Need, NeedSource, Verdict};
use crate::format::{gb, gpu_share, split_text};
use crate::names::same_model;
use crate::ollama::ModelEntry;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    if let Some(op) = selected_pull(state) {
        return pull_render(frame, area, op, state, theme);
    }
    if state.focus == crate::app::state::Focus::Log {
        return event_render(frame, area, state, theme);
    }
    let chosen = state.target().and_then(|name| state.model_row(name));
    let title = match chosen {
        Some((m, _)) => Line::styled(format!(" {} ", clean(&m.name)), theme.bold()),
        None => Line::styled(" Details ", theme.bold()),
    };
    let block = super::pane(title, false, theme).padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines = match chosen {
        Some((m, r)) => model_lines(m, r, state, width, theme),
        None => {
            let words = ["select a model to see what it needs", "select a model"];
            let text = first_fitting(words.map(String::from).to_vec(), width);
            vec![Line::styled(text, theme.dim())]
        }
    };
    lines.extend(best_lines(state, width, theme));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn model_lines<'a>(
    m: &ModelEntry,
    r: &Row,
    state: &State,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines: Vec<Line<'a>> = join_wrapped(&facts(m, state), " · ", width)
        .into_iter()
        .map(Line::raw)
        .collect();
    let show = state.show_for(m);
    let fetched = show.is_some() || state.show_failed.contains(&State::show_key(m));
    lines.push(Line::raw(first_fitting(need_text(&r.need, fetched), width)));
    let (variants, style) = verdict_text(m, &r.verdict, state, theme);
    lines.push(Line::styled(first_fitting(variants, width), style));
    if let Some(c) = &r.need.context {
        let mut words = context_text(c);
        let largest = state
            .scene()
            .largest_fitting_context(crate::app::derive::model_of(state, m));
        if let Some(max) = largest.filter(|&n| n != c.num_ctx) {
            words.insert(
                0,
                format!("{} · fits now up to {}", words[0], short_ctx(max)),
            );
        }
        lines.push(Line::styled(first_fitting(words, width), theme.dim()));
    }
    // Capabilities matter less than whether it fits: they come after.
    let caps = show.map_or(&m.capabilities, |s| &s.capabilities);
    if !caps.is_empty() {
        let mut items: Vec<String> = caps.iter().map(|c| clean(c)).collect();
        items[0] = format!("can: {}", items[0]);
        for line in join_wrapped(&items, ", ", width) {
            lines.push(Line::styled(line, theme.dim()));
        }
    }
    lines
}

/// `llama · 8.0B · Q4_K_M · 32 layers · ctx 131072`, from `/api/show` when it
/// answered, else from `/api/tags`.
fn facts(m: &ModelEntry, state: &State) -> Vec<String> {
    let show = state.show_for(m);
    let family = prefer(show.map(|s| &s.family), &m.details.family);
    let params = prefer(show.map(|s| &s.parameter_size), &m.details.parameter_size);
    let quant = prefer(show.map(|s| &s.quantization), &m.details.quantization_level);
    let mut facts: Vec<String> = [family, params, quant]
        .into_iter()
        .filter(|f| !f.is_empty())
        .map(|f| clean(f))
        .collect();
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
    facts.extend(ctx.map(|c| format!("max ctx {}", short_ctx(c))));
    facts
}

/// "needs 6.1 GB (4.9 file + 1.2 KV + 0.3 graph)", longest wording first.
fn need_text(need: &Need, fetched: bool) -> Vec<String> {
    let t = gb(need.bytes);
    let g = |b: &u64| format!("{:.1}", *b as f64 / 1e9);
    match &need.source {
        NeedSource::Override => vec![
            format!("needs {t} (set in model_sizes)"),
            format!("needs {t} (configured)"),
        ],
        NeedSource::Remote => vec![
            "runs remotely: needs no local memory".into(),
            "runs remotely".into(),
        ],
        NeedSource::Estimate { file, kv, graph } => vec![
            format!(
                "needs {t} ({} file + {} KV + {} graph)",
                g(file),
                g(kv),
                g(graph)
            ),
            format!("needs {t} ({} + {} KV)", g(file), g(kv)),
            format!("needs {t}"),
        ],
        NeedSource::Predicted { file, kv } => vec![
            format!(
                "needs {t} ({} file + {} KV, Ollama's pre-check)",
                g(file),
                g(kv)
            ),
            format!("needs {t} ({} + {} KV)", g(file), g(kv)),
            format!("needs {t}"),
        ],
        NeedSource::Observed { estimate: Some(e) } => vec![
            format!("needs {t} (seen loaded; estimate {})", gb(*e)),
            format!("needs {t} (seen; est. {})", gb(*e)),
            format!("needs {t}"),
        ],
        NeedSource::Observed { estimate: None } => vec![
            format!("needs {t} (seen loaded before)"),
            format!("needs {t}"),
        ],
        NeedSource::FileSize if fetched => vec![
            format!("needs ≥ {t} (file; KV size unknown)"),
            format!("needs ≥ {t} (file only)"),
        ],
        NeedSource::FileSize => vec![
            format!("needs ≥ {t} (file; reading details…)"),
            format!("needs ≥ {t} (reading…)"),
        ],
    }
}

/// "ctx 32k: this server's default for 25.8 GB of VRAM", longest wording first.
pub fn context_text(c: &crate::fit::Context) -> Vec<String> {
    use crate::fit::ContextSource as S;
    let k = short_ctx(c.num_ctx);
    let (long, short) = match c.source {
        S::Override => (
            "num_ctx in your config".to_string(),
            "your num_ctx".to_string(),
        ),
        S::Loaded => (
            "what the loaded runner got".to_string(),
            "as loaded".to_string(),
        ),
        S::Modelfile => ("the model's Modelfile".to_string(), "Modelfile".to_string()),
        S::ServerSetting => (
            "OLLAMA_CONTEXT_LENGTH".to_string(),
            "server setting".to_string(),
        ),
        S::VersionDefault => (
            "this server version's default".to_string(),
            "server default".to_string(),
        ),
        S::VramDefault { total_vram: 0 } => (
            "this server's default without a GPU".to_string(),
            "server default".to_string(),
        ),
        S::VramDefault { total_vram } => (
            format!("this server's default for {} of VRAM", gb(total_vram)),
            format!("default for {} VRAM", gb(total_vram)),
        ),
    };
    let (capped_long, capped_short) = if c.capped {
        (", cut to the trained length", " (trained max)")
    } else {
        ("", "")
    };
    let slots = if c.slots > 1 {
        format!(" × {} slots", c.slots)
    } else {
        String::new()
    };
    vec![
        format!("ctx {k}{slots}: {long}{capped_long}"),
        format!("ctx {k}{slots}: {short}{capped_short}"),
        format!("ctx {k}{slots}: {short}"),
        format!("ctx {k}{slots}"),
    ]
}

/// 4096 → "4k", 32768 → "32k", 2000 → "2000".
pub fn short_ctx(n: u64) -> String {
    if n >= 1024 && n % 1024 == 0 {
        format!("{}k", n / 1024)
    } else {
        n.to_string()
    }
}

/// Why it fits or not, longest wording first.
fn verdict_text(
    m: &ModelEntry,
    v: &Verdict,
    state: &State,
    theme: &Theme,
) -> (Vec<String>, ratatui::style::Style) {
    use crate::fit::{Evict, Landing};
    let free = gb(state.free_bytes());
    match v {
        Verdict::Loaded => (loaded_text(m, state), theme.accent()),
        Verdict::Fits(Landing::Gpu) => {
            let vram = gb(state.memory.as_ref().map_or(0, |m| m.vram_free()));
            let words = vec![
                format!("fits beside what is loaded, all on the GPU ({vram} VRAM free)"),
                format!("fits in VRAM ({vram} free)"),
                "fits in VRAM".into(),
            ];
            (words, theme.good())
        }
        Verdict::Fits(Landing::Split { gpu_percent }) => {
            let words = vec![
                format!(
                    "fits, {} — slower (the rest in RAM)",
                    split_text(*gpu_percent)
                ),
                format!("fits, {} — slower", split_text(*gpu_percent)),
                format!("fits, {}", split_text(*gpu_percent)),
            ];
            (words, theme.warn())
        }
        Verdict::Fits(Landing::Cpu) => {
            let words = vec![format!("fits in RAM · {free} free"), "fits in RAM".into()];
            (words, theme.good())
        }
        Verdict::FitsIfUnloaded { unload, why, .. } => {
            let names: Vec<String> = unload.iter().map(|n| clean(n)).collect();
            let names = names.join(", ");
            let pinned = unload.iter().any(|u| state.config.is_pinned(u));
            let pin_note = if pinned { " (pinned!)" } else { "" };
            let reason = match why {
                Evict::CountLimit(n) => format!("{n} models loaded, the server's limit"),
                Evict::Memory => "no room beside what is loaded".to_string(),
            };
            let words = vec![
                format!("loading evicts {names}{pin_note}: {reason}"),
                format!("loading evicts {names}{pin_note}"),
                format!("evicts {names}"),
            ];
            (words, theme.warn())
        }
        Verdict::NoFit { short_by } => {
            let short = gb(*short_by);
            let words = vec![
                format!("{free} free → short {short} even with everything else unloaded"),
                format!("short {short} even with others unloaded"),
                format!("does not fit: short {short}"),
            ];
            (words, theme.bad())
        }
        Verdict::Unknown => {
            let words = vec![
                crate::memory::whose::UNKNOWN_HINT.to_string(),
                "memory of that host unknown".into(),
            ];
            (words, theme.dim())
        }
        Verdict::Remote => {
            let words = vec![
                "runs remotely: never loaded into this server's memory".into(),
                "runs remotely".into(),
            ];
            (words, theme.dim())
        }
    }
}

/// "loaded: 6.1 GB in memory, 100% GPU", from `/api/ps`.
fn loaded_text(m: &ModelEntry, state: &State) -> Vec<String> {
    let running = state.running.iter().find(|r| same_model(&r.name, &m.name));
    running.map_or(vec!["loaded".to_string()], |r| {
        let (size, split) = (gb(r.size), split_text(gpu_share(r.size, r.vram())));
        vec![
            format!("loaded: {size} in memory, {split}"),
            format!("loaded: {size}, {split}"),
            format!("loaded: {size}"),
        ]
    })
}

/// The selector's pick: the model on one line, why on the next.
fn best_lines<'a>(state: &State, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let task = state.task.as_str();
    let fit = |long: String, short: String| first_fitting(vec![long, short], width);
    match &state.best {
        Some(Ok(p)) => {
            let model = clean(&p.model);
            vec![
                Line::styled(
                    fit(
                        format!("▶ best for {task}: {model}"),
                        format!("▶ best: {model}"),
                    ),
                    theme.accent(),
                ),
                Line::styled(format!("  {}", clean(&p.reason)), theme.dim()),
            ]
        }
        Some(Err(no)) => vec![Line::styled(
            format!("▶ no pick for {task}: {}", clean(&no.reason)),
            theme.dim(),
        )],
        None => vec![Line::styled(
            fit(
                format!("▶ best for {task}: waiting for data"),
                "▶ best: waiting for data".into(),
            ),
            theme.dim(),
        )],
    }
}

/// The pull under the cursor of the Loaded pane, when that is what is selected.
fn selected_pull(state: &State) -> Option<&crate::app::state::Op> {
    if state.focus != crate::app::state::Focus::Loaded {
        return None;
    }
    let rows = state.loaded_rows();
    let id = rows.get(state.loaded_selected)?.op_id()?;
    state
        .op(id)
        .filter(|o| o.kind == crate::app::state::OpKind::Pull)
}

/// A pull: overall bytes, speed and time left, each layer, and whether the model
/// will fit here judged from the bytes announced so far.
fn pull_render(
    frame: &mut Frame<'_>,
    area: Rect,
    op: &crate::app::state::Op,
    state: &State,
    theme: &Theme,
) {
    use crate::format::{countdown, size};
    let title = Line::styled(format!(" pulling {} ", clean(&op.model)), theme.bold());
    let block = super::pane(title, false, theme).padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let p = op.pull.clone().unwrap_or_default();
    let mut lines = Vec::new();
    let mut overall = match p.percent() {
        Some(pct) => format!("{pct}% · {} of {}", size(p.completed()), size(p.total())),
        None => "waiting for the manifest…".to_string(),
    };
    if let Some(speed) = p.speed(state.now) {
        overall.push_str(&format!(" · {}/s", size(speed as u64)));
    }
    if let Some(eta) = p.eta_secs(state.now) {
        overall.push_str(&format!(
            " · {} left",
            countdown(std::time::Duration::from_secs(eta))
        ));
    }
    lines.push(Line::raw(overall));
    if !p.status.is_empty() {
        lines.push(Line::styled(
            super::format::truncate(&p.status, width),
            theme.dim(),
        ));
    }
    let room = (inner.height as usize).saturating_sub(lines.len() + 2);
    for l in p.layers.iter().rev().take(room) {
        let pct = (l.completed.min(l.total) * 100)
            .checked_div(l.total)
            .unwrap_or(0);
        let short: String = l
            .digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        lines.push(Line::styled(
            format!("{short} {pct:>3}% of {}", size(l.total)),
            theme.dim(),
        ));
    }
    if p.total() > 0 {
        let entry = ModelEntry {
            name: op.model.clone(),
            size: p.total(),
            ..ModelEntry::default()
        };
        let judged = state.scene().judge(crate::fit::Model {
            entry: &entry,
            arch: None,
            embedding_only: false,
        });
        let note = crate::headless::pull_fit::describe(&entry, Some(&judged));
        lines.push(Line::raw(format!(
            "{note} (from the bytes announced so far)"
        )));
    }
    lines.push(Line::styled(
        "Esc or u cancels (a new pull resumes it)",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The event at the top of the focused events pane, in full: its line there may
/// be cut at the pane's edge.
fn event_render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let block = super::pane(Line::styled(" Event ", theme.bold()), false, theme)
        .padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let entry = state.log.matching(&state.log_filter).nth(state.log_scroll);
    let lines = match entry {
        Some(e) => vec![Line::from(vec![
            ratatui::text::Span::styled(
                e.at.to_zoned(state.tz.clone())
                    .strftime("%H:%M:%S ")
                    .to_string(),
                theme.dim(),
            ),
            ratatui::text::Span::raw(e.text.clone()),
        ])],
        None => vec![Line::styled("no event selected", theme.dim())],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
