//! Loaded models: size, CPU/GPU split, context, a live keep-alive countdown, which
//! one Ollama would evict next, loads still in progress, and pinned models that are
//! not loaded with what the keeper is doing about them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{first_fitting, gb_short, pad, pad_left, pad_name, width as width_of};
use super::theme::Theme;
use crate::app::State;
use crate::app::loaded_rows::LoadedRow;
use crate::app::state::{Focus, Op, OpKind};
use crate::format::countdown_between;
use crate::keepalive::PinStatus;
use crate::keymap::Action;
use crate::ollama::{Expiry, RunningModel};
use crate::sanitize::clean;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A spinner frame and the elapsed time of `op`, e.g. `⠹ 12s`.
pub fn progress(op: &Op, state: &State) -> String {
    let secs = (state.now.as_second() - op.started.as_second()).max(0) as usize;
    format!(
        "{} {}",
        SPINNER[secs % SPINNER.len()],
        countdown_between(op.started, state.now)
    )
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Focus::Loaded;
    let order = state.loaded_order();
    let rows = state.loaded_rows();
    let block = super::pane(title(state, &rows, area.width, theme), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines: Vec<Line<'_>> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let line = match row {
                LoadedRow::Running(m) => {
                    model_line(m, i == 0 && order.len() > 1, width, state, theme)
                }
                LoadedRow::Pending(op) if op.kind == OpKind::Pull => {
                    pull_line(op, width, state, theme)
                }
                LoadedRow::Pending(op) => pending_line(op, width, state, theme),
                LoadedRow::Pin(name, status) => pin_line(name, status, width, state, theme),
            };
            // Every row can be selected, and the keys act on the one highlighted.
            if focused && i == state.loaded_selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    if rows.is_empty() {
        lines.extend(nothing_loaded(width, state, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `Loaded 1 · 1 loading · 1 pulling · 2 pins waiting · ⏏ next to go`: each
/// kind of row the pane shows is counted.
fn title<'a>(state: &State, rows: &[LoadedRow<'_>], width: u16, theme: &Theme) -> Line<'a> {
    let (mut pending, mut pulls, mut pins) = (0, 0, 0);
    for r in rows {
        match r {
            LoadedRow::Pending(op) if op.kind == OpKind::Pull => pulls += 1,
            LoadedRow::Pending(_) => pending += 1,
            LoadedRow::Pin(..) => pins += 1,
            LoadedRow::Running(_) => {}
        }
    }
    let mut extra = String::new();
    for (n, what) in [
        (pending, "loading"),
        (pulls, "pulling"),
        (pins, "pinned, not loaded"),
    ] {
        if n > 0 {
            extra.push_str(&format!("· {n} {what} "));
        }
    }
    let mut spans = vec![
        Span::styled(" Loaded ", theme.bold()),
        Span::raw(format!("{} ", state.running.len())),
        Span::styled(extra.clone(), theme.warn()),
    ];
    let used = 10 + width_of(&extra);
    if state.running.len() > 1 && (width as usize) >= used + 20 {
        spans.push(Span::styled("· ⏏ next to go ", theme.dim()));
    }
    Line::from(spans)
}

/// `⇣ qwen2.5:7b  ██████░░░░ 61% 2.9/4.7 GB 85 MB/s 21s`: a pull with its bar,
/// share, bytes, speed and time left, as many as fit.
fn pull_line<'a>(op: &Op, width: usize, state: &State, theme: &Theme) -> Line<'a> {
    let p = op.pull.clone().unwrap_or_default();
    let mut right = match p.percent() {
        None => format!(
            "{}…",
            if p.status.is_empty() {
                "starting"
            } else {
                &p.status
            }
        ),
        Some(pct) => {
            let mut r = format!("{pct:>3}%");
            if width >= 44 {
                r.push_str(&format!(
                    " {}/{}",
                    gb_short(p.completed()),
                    gb_short(p.total())
                ));
            }
            if width >= 54
                && let Some(speed) = p.speed(state.now)
            {
                r.push_str(&format!(" {}/s", crate::format::size(speed as u64)));
            }
            if let Some(eta) = p.eta_secs(state.now).filter(|_| width >= 62) {
                r.push_str(&format!(
                    " {}",
                    crate::format::countdown(std::time::Duration::from_secs(eta))
                ));
            }
            r
        }
    };
    let bar_w = if width >= 40 { 10 } else { 0 };
    let mut right_w = width_of(&right) + if bar_w > 0 { bar_w + 1 } else { 0 };
    if right_w + 10 > width {
        right = super::format::truncate(&right, width.saturating_sub(12));
        right_w = width_of(&right);
    }
    let name_w = width
        .saturating_sub(right_w + 3)
        .clamp(6, super::models::NAME_MAX);
    let mut spans = vec![
        Span::styled("⇣", theme.warn()),
        Span::raw(format!(" {} ", pad_name(&clean(&op.model), name_w))),
    ];
    if bar_w > 0 {
        let filled = p.percent().map_or(0, |pct| (pct as usize * bar_w) / 100);
        spans.push(Span::styled("█".repeat(filled), theme.accent()));
        spans.push(Span::styled(
            format!("{} ", "░".repeat(bar_w - filled)),
            theme.dim(),
        ));
    }
    spans.push(Span::styled(right, theme.warn()));
    Line::from(spans)
}

/// A hint when nothing is loaded, nothing is on its way and nothing is pinned.
fn nothing_loaded<'a>(width: usize, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let key = state.keymap.hint(Action::Load);
    let hint = first_fitting(
        vec![
            format!(" {key} loads the selected model"),
            format!(" {key} loads a model"),
        ],
        width.saturating_sub(1),
    );
    let pull = state.keymap.hint(Action::Pull);
    vec![
        Line::styled(" nothing loaded", theme.dim()),
        Line::styled(hint, theme.dim()),
        Line::styled(
            first_fitting(
                vec![
                    format!(" {pull} pulls a new one by name"),
                    format!(" {pull} pulls"),
                ],
                width.saturating_sub(1),
            ),
            theme.dim(),
        ),
    ]
}

/// `⠹ llama3.1:70b  loading… 12s`
fn pending_line<'a>(op: &Op, width: usize, state: &State, theme: &Theme) -> Line<'a> {
    let right = format!("{}… {}", op.verb(), progress(op, state));
    let name_w = width.saturating_sub(right.chars().count() + 3);
    Line::from(vec![
        Span::raw(format!(" {} ", pad_name(&clean(&op.model), name_w))),
        Span::styled(right, theme.warn()),
    ])
}

/// `★ llama3.1:70b   pinned — waiting for room`: a pinned model that is not loaded.
fn pin_line<'a>(
    name: &str,
    status: &PinStatus,
    width: usize,
    state: &State,
    theme: &Theme,
) -> Line<'a> {
    let (label, style) = match status {
        PinStatus::Pending | PinStatus::Held => ("pinned".to_string(), theme.dim()),
        PinStatus::NotInstalled => (status.label(state.now), theme.bad()),
        _ => (status.label(state.now), theme.warn()),
    };
    // The star already says pinned: drop words when the name needs the room.
    let label = match label.strip_prefix("pinned — ") {
        Some(_) if width < 28 && matches!(status, PinStatus::WaitingForMemory { .. }) => {
            "waiting".to_string()
        }
        Some(short) if width < width_of(&label) + 16 => short.to_string(),
        _ => label,
    };
    let name_w = width.saturating_sub(width_of(&label) + 4).max(6);
    Line::from(vec![
        Span::styled("★", theme.pin()),
        Span::raw(format!(" {} ", pad_name(&clean(name), name_w))),
        Span::styled(label, style),
    ])
}

/// `ctx 4096`, `ctx 128k`: four characters at most, so columns line up.
fn ctx_text(ctx: u64) -> String {
    if ctx >= 10_000 && ctx % 1024 == 0 {
        format!(" ctx {}", pad(&format!("{}k", ctx / 1024), 4))
    } else {
        format!(" ctx {}", pad(&ctx.to_string(), 4))
    }
}

/// When it goes: a countdown, "∞ pinned", "stopping", or the spinner of an op.
fn until(
    m: &RunningModel,
    wide: bool,
    state: &State,
    theme: &Theme,
) -> (String, ratatui::style::Style) {
    if let Some(op) = state.op_for(&m.name) {
        return (progress(op, state), theme.warn());
    }
    match m.expiry(state.now) {
        // Forever is only a pin when it is in the pin list: another client may
        // hold a model with keep_alive -1 that nothing here will put back.
        Expiry::Forever if state.is_pinned_runner(m) => ("∞ pinned".into(), theme.pin()),
        Expiry::Forever if wide => ("∞ held forever (not pinned)".into(), theme.accent()),
        Expiry::Forever => ("∞ not pinned".into(), theme.accent()),
        Expiry::Stopping => ("stopping".into(), theme.warn()),
        Expiry::Unknown => ("?".into(), theme.dim()),
        Expiry::At(t) => (countdown_between(state.now, t), theme.good()),
    }
}

/// `CPU`, `GPU`, or the GPU share when split (`41% GPU`): one way everywhere.
fn split(m: &RunningModel) -> String {
    crate::format::split_text(crate::format::gpu_share(m.size, m.vram()))
}

fn model_line<'a>(
    m: &RunningModel,
    next_out: bool,
    width: usize,
    state: &State,
    theme: &Theme,
) -> Line<'a> {
    let (until, style) = until(m, width >= 60, state, theme);
    let until = pad_left(&until, 9);
    // Room for: pin symbol, name, size, split, context, until, eviction marker. The
    // name comes first: below 30 cells the size goes (the details pane has it).
    let mut right = if width >= 30 {
        pad_left(&gb_short(m.size), 6)
    } else {
        String::new()
    };
    let ctx = m.context_length.map(ctx_text).unwrap_or_default();
    if width >= 46 {
        right.push_str(&pad_left(&split(m), 8));
        right.push_str(&ctx);
    } else if width >= 36 {
        right.push_str(&pad_left(&split(m), 8));
    }
    let name_w = width
        .saturating_sub(2 + width_of(&right) + width_of(&until) + 2)
        .clamp(6, super::models::NAME_MAX);
    let pinned = state.is_pinned_runner(m);
    let (symbol, symbol_style) = if pinned {
        ("★", theme.pin())
    } else {
        ("●", theme.accent())
    };
    Line::from(vec![
        Span::styled(symbol, symbol_style),
        Span::raw(format!(" {}", pad_name(&clean(&m.name), name_w))),
        Span::raw(right),
        Span::styled(until, style),
        Span::styled(if next_out { " ⏏" } else { "  " }, theme.warn()),
    ])
}
