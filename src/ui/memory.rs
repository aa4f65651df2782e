//! The memory pane: RAM (with the configured buffer marked), swap, one gauge per
//! GPU, and the history chart.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{gb_short, pad};
use super::theme::Theme;
use super::{chart, pane};
use crate::app::State;
use crate::memory::MemorySnapshot;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    // Whose memory: only "this machine" goes unsaid.
    let title = if state.memory_origin == "this machine" {
        " Memory ".to_string()
    } else {
        format!(" Memory · {} ", clean(&state.memory_origin))
    };
    let block = pane(Line::styled(title, theme.bold()), false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines(state, inner, theme)), inner);
}

/// What the pane shows inside its border. Also how `update` tells whether a new
/// reading changes anything on screen.
pub fn lines(state: &State, inner: Rect, theme: &Theme) -> Vec<Line<'static>> {
    if let Some(why) = &state.memory_error {
        let width = (inner.width as usize).saturating_sub(1).max(1);
        let text = format!("cannot read memory: {}", clean(why));
        return textwrap_lines(&text, width)
            .into_iter()
            .take(inner.height as usize)
            .map(|l| Line::styled(format!(" {l}"), theme.bad()))
            .collect();
    }
    if let Some(why) = &state.memory_unknown {
        // "memory of that host unknown — see --memory-url", one part a line.
        return clean(why)
            .split(" — ")
            .map(|part| Line::styled(format!(" {part}"), theme.warn()))
            .collect();
    }
    let Some(mem) = &state.memory else {
        return vec![Line::styled(" reading memory…", theme.dim())];
    };
    let width = inner.width as usize;
    let mut lines = gauges(mem, state.config.ram_buffer_bytes(), width, theme);
    let room = (inner.height as usize).saturating_sub(lines.len());
    if room >= 3 {
        let what = if mem.gpus.is_empty() {
            "RAM"
        } else {
            "RAM+VRAM"
        };
        let label = format!(" {what} used · last 5 min");
        lines.push(Line::styled(pad(&label, width), theme.dim()));
        let max = mem.ram_total + mem.vram_total();
        // A y-axis on the left: the total at the top, 0 at the bottom.
        let axis = [gb_short(max), "0".to_string()];
        let gutter = axis.iter().map(|a| a.chars().count()).max().unwrap_or(1) + 1;
        let chart_w = width.saturating_sub(gutter + 1);
        let legend = room >= 5 && width >= 20;
        let bar_rows = room - if legend { 3 } else { 2 };
        let cols = chart::columns(&state.history, state.now, chart_w, max);
        let bars = chart::bars(&cols, bar_rows);
        let last = bars.len().saturating_sub(1);
        for (i, row) in bars.into_iter().enumerate() {
            let tick = match i {
                0 => axis[0].as_str(),
                i if i == last => axis[1].as_str(),
                _ => "",
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{tick:>w$}┤", w = gutter), theme.dim()),
                Span::styled(row, theme.accent()),
            ]));
        }
        let marks = chart::marks(&state.history, state.now, chart_w);
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(gutter + 1)),
            Span::styled(marks.to_string(), theme.warn()),
        ]));
        if legend {
            let text = super::format::first_fitting(
                vec![
                    " ↑ load ↓ unload ✕ evicted ★ pin ↻ reload ! failed".into(),
                    " ↑load ↓unload ✕evict ★pin ↻reload !fail".into(),
                    " ↑load ↓unload ✕evict !fail".into(),
                    " ↑↓ ✕ ! (? help)".into(),
                ],
                width,
            );
            lines.push(Line::styled(
                super::format::truncate(&text, width),
                theme.dim(),
            ));
        }
    }
    lines
}

/// `free 18.0G · buffer 2.0G`, shortened to what fits in `width` cells.
fn free_line(available: u64, buffer: u64, width: usize) -> String {
    let (free, buffer) = (gb_short(available), gb_short(buffer));
    [
        format!(" free {free} · buffer {buffer}"),
        format!(" free {free} · buf {buffer}"),
        format!(" free {free}"),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= width)
    .unwrap_or_default()
}

fn gauges(mem: &MemorySnapshot, buffer: u64, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![gauge(
        "RAM",
        mem.ram_used,
        buffer,
        mem.ram_total,
        width,
        theme,
    )];
    lines.push(Line::styled(
        free_line(mem.ram_available, buffer, width),
        theme.dim(),
    ));
    if mem.swap_total > 0 {
        lines.push(gauge(
            "swap",
            mem.swap_used,
            0,
            mem.swap_total,
            width,
            theme,
        ));
    }
    for (i, g) in mem.gpus.iter().enumerate() {
        let label = if mem.gpus.len() == 1 {
            "GPU".to_string()
        } else {
            format!("GPU{i}")
        };
        lines.push(gauge(&label, g.used, 0, g.total, width, theme));
        if width >= 40 && !g.name.is_empty() {
            lines.push(Line::styled(
                format!("      {}", clean(&g.name)),
                theme.dim(),
            ));
        }
    }
    lines
}

/// `RAM  ████▒▒░░░░ 18.2/32G`: █ used, ▒ the buffer kept free, ░ free.
fn gauge(
    label: &str,
    used: u64,
    buffer: u64,
    total: u64,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let value = format!(
        " {}/{}",
        gb_short(used).trim_end_matches('G'),
        gb_short(total)
    );
    let bar_w = width.saturating_sub(7 + value.chars().count()).max(4);
    let cells = |b: u64| {
        if total == 0 {
            0
        } else {
            ((b as f64 / total as f64) * bar_w as f64).round() as usize
        }
    };
    let used_c = cells(used).min(bar_w);
    let buf_c = cells(buffer).min(bar_w - used_c);
    let free_c = bar_w - used_c - buf_c;
    let fill = if total > 0 && used as f64 / total as f64 > 0.9 {
        theme.bad()
    } else {
        theme.good()
    };
    Line::from(vec![
        Span::raw(format!(" {}", pad(label, 5))),
        Span::styled("█".repeat(used_c), fill),
        Span::styled("▒".repeat(buf_c), theme.warn()),
        Span::styled("░".repeat(free_c), theme.dim()),
        Span::raw(value),
    ])
}

/// Splits `text` into lines of at most `width` characters at spaces.
fn textwrap_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}
