//! The installed-models table. Only the visible rows are built, so hundreds of
//! models cost no more than a screenful.

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::{gb_short, pad, pad_left, pad_name};
use super::layout::Areas;
use super::theme::Theme;
use crate::app::state::{Connection, Focus, OpKind, Row, SortKey, State};
use crate::fit::{Landing, NeedSource, Verdict};
use crate::format::split_text;
use crate::ollama::ModelEntry;
use crate::sanitize::clean;

/// The longest a name column gets: on a wide terminal the figures stay next to
/// the name instead of drifting to the far edge.
pub const NAME_MAX: usize = 44;

/// Which optional columns fit in `width` cells: the name keeps at least 14 cells,
/// then SIZE, PARAMS, QUANT and MODIFIED appear as room allows.
pub struct Columns {
    params: bool,
    quant: bool,
    size: bool,
    modified: bool,
    name: usize,
}

impl Columns {
    pub fn for_width(width: usize) -> Columns {
        // cursor + three flags, need, fit, a right margin
        let fixed = 4 + 7 + 11 + 1;
        let room = width.saturating_sub(fixed);
        let size = room >= 14 + 7;
        let params = room >= 18 + 7 + 7;
        let quant = room >= 18 + 7 + 7 + 8;
        // The date matters less than a name that is not cut.
        let modified = room >= 32 + 7 + 7 + 8 + 10;
        let extra = [(size, 7), (params, 7), (quant, 8), (modified, 10)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| w)
            .sum::<usize>();
        Columns {
            params,
            quant,
            size,
            modified,
            name: room.saturating_sub(extra).clamp(6, NAME_MAX),
        }
    }

    /// Each header cell: its text, its width, and the sort key a click on it picks.
    fn cells(&self) -> Vec<(&'static str, usize, Option<SortKey>, bool)> {
        let mut cells = vec![("NAME", self.name, Some(SortKey::Name), false)];
        if self.params {
            cells.push(("PARAMS", 7, None, true));
        }
        if self.quant {
            cells.push((" QUANT", 8, None, false));
        }
        if self.size {
            cells.push(("SIZE", 7, Some(SortKey::Size), true));
        }
        cells.push(("NEED", 7, Some(SortKey::Need), true));
        if self.modified {
            cells.push(("MODIFIED", 10, Some(SortKey::Modified), true));
        }
        cells.push(("  FIT", 11, Some(SortKey::Fit), false));
        cells
    }
}

/// The sort key of the header cell at column `x` of a table `width` cells wide
/// (both inside the border), for mouse clicks.
pub fn header_hit(width: usize, x: usize) -> Option<SortKey> {
    let mut at = 4;
    for (_, w, key, _) in Columns::for_width(width).cells() {
        if (at..at + w).contains(&x) {
            return key;
        }
        at += w;
    }
    None
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let mut block = super::pane(title(state, theme), state.focus == Focus::Models, theme);
    let body = Areas::new(frame.area()).map_or(area, |a| a.models_body());
    if let Some(pos) = super::position(state.scroll, body.height as usize, state.view.len(), theme)
    {
        block = block.title_bottom(pos);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cols = Columns::for_width(inner.width as usize);
    let header = Rect { height: 1, ..inner };
    frame.render_widget(Paragraph::new(header_line(&cols, state, theme)), header);
    if let Some(lines) = empty_text(state, theme) {
        let text = Paragraph::new(lines).wrap(Wrap { trim: false });
        frame.render_widget(text, body.inner(Margin::new(1, 0)));
        return;
    }
    let best = match &state.best {
        Some(Ok(p)) => Some(p.model.as_str()),
        _ => None,
    };
    let rows: Vec<Line<'_>> = state
        .view
        .iter()
        .enumerate()
        .skip(state.scroll)
        .take(body.height as usize)
        .filter_map(|(pos, &i)| {
            let (m, r) = (state.models.get(i)?, state.rows.get(i)?);
            let is_best = best.is_some_and(|b| crate::names::same_model(b, &m.name));
            let cursor = pos == state.selected;
            let mut line = row_line(m, r, is_best, cursor, &cols, state, theme);
            if cursor {
                line = line.style(if state.focus == Focus::Models {
                    theme.selected()
                } else {
                    theme.bold()
                });
            }
            Some(line)
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), body);
}

/// `Installed 120 · sort size ▼ · /lla▏ 3 of 120`: the count is what the table
/// holds after the filter.
fn title<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let count = if !state.tags_loaded {
        String::new()
    } else if state.filter.is_empty() {
        format!("{} ", state.models.len())
    } else {
        format!("{} of {} ", state.view.len(), state.models.len())
    };
    let mut spans = vec![
        Span::styled(" Installed ", theme.bold()),
        Span::raw(count),
        Span::styled(
            format!(
                "· sort {} {} ",
                state.sort.as_str(),
                state.sort.arrow(state.sort_reversed)
            ),
            theme.dim(),
        ),
    ];
    spans.extend(super::filter_span(
        &state.filter,
        state.filter_editing(false),
        theme,
    ));
    Line::from(spans)
}

fn header_line<'a>(cols: &Columns, state: &State, theme: &Theme) -> Line<'a> {
    let mut s = "    ".to_string();
    for (text, w, key, right) in cols.cells() {
        let text = if key == Some(state.sort) {
            format!("{}{}", text, state.sort.arrow(state.sort_reversed))
        } else {
            text.to_string()
        };
        let cell = if right {
            pad_left(&text, w)
        } else {
            pad(&text, w)
        };
        s.push_str(&cell);
    }
    Line::styled(s, theme.dim())
}

/// Words that read without colour; colour only reinforces them.
pub fn verdict_label(v: &Verdict, theme: &Theme) -> (String, Style) {
    match v {
        Verdict::Loaded => ("● loaded".into(), theme.accent()),
        Verdict::Fits(Landing::Gpu) => ("✓ GPU".into(), theme.good()),
        Verdict::Fits(Landing::Split { gpu_percent }) => {
            (format!("✓ {}", split_text(*gpu_percent)), theme.warn())
        }
        Verdict::Fits(Landing::Cpu) => ("✓ fits".into(), theme.good()),
        Verdict::FitsIfUnloaded { .. } => ("⇄ evicts".into(), theme.warn()),
        Verdict::NoFit { short_by } => (format!("✗ -{}", gb_short(*short_by)), theme.bad()),
        Verdict::Unknown => ("? unknown".into(), theme.dim()),
        Verdict::Remote => ("☁ remote".into(), theme.dim()),
    }
}

fn row_line<'a>(
    m: &ModelEntry,
    r: &Row,
    best: bool,
    cursor: bool,
    cols: &Columns,
    state: &State,
    theme: &Theme,
) -> Line<'a> {
    let flag = |on: bool, c: &'a str, style: Style| {
        if on {
            Span::styled(c, style)
        } else {
            Span::raw(" ")
        }
    };
    let show = state.show_for(m);
    let params = prefer(show.map(|s| &s.parameter_size), &m.details.parameter_size);
    let quant = prefer(show.map(|s| &s.quantization), &m.details.quantization_level);
    let mut spans = vec![
        flag(cursor, "›", theme.bold()),
        flag(best, "▶", theme.accent()),
        flag(r.loaded, "●", theme.accent()),
        flag(r.pinned, "★", theme.pin()),
        Span::raw(pad_name(&clean(&m.name), cols.name)),
    ];
    if cols.params {
        spans.push(Span::raw(pad_left(&clean(params), 7)));
    }
    if cols.quant {
        spans.push(Span::raw(format!(" {}", pad(&clean(quant), 7))));
    }
    let (size, need) = size_and_need(m, r);
    if cols.size {
        spans.push(Span::raw(pad_left(&size, 7)));
    }
    spans.push(Span::raw(pad_left(&need, 7)));
    if cols.modified {
        let age = modified_ago(m, state);
        spans.push(Span::styled(pad_left(&age, 10), theme.dim()));
    }
    // An operation on the model says so until it ends: "loading" until loaded.
    let (label, style) = match state.op_for(&m.name) {
        Some(op) if op.kind == OpKind::Pull => {
            let pct = op.pull.as_ref().and_then(|p| p.percent());
            let text = pct.map_or("⇣ pulling".to_string(), |p| format!("⇣ {p}%"));
            (text, theme.warn())
        }
        Some(op) if !(op.kind.loads() && r.loaded && !op.was_loaded) => {
            (op.verb().to_string(), theme.warn())
        }
        _ => verdict_label(&r.verdict, theme),
    };
    spans.push(Span::styled(format!("  {label}"), style));
    Line::from(spans)
}

/// The SIZE and NEED cells: `4.9G`, `cloud`; `~4.9G` when the need is only the file
/// size because the KV cache is not known yet.
fn size_and_need(m: &ModelEntry, r: &Row) -> (String, String) {
    let size = if m.is_remote() {
        "cloud".into()
    } else {
        gb_short(m.size)
    };
    let approx = if r.need.source == NeedSource::FileSize {
        "~"
    } else {
        ""
    };
    (size, format!("{approx}{}", gb_short(r.need.bytes)))
}

/// `3h ago`, `5d ago`, `2y ago`: when the model was pulled or changed.
fn modified_ago(m: &ModelEntry, state: &State) -> String {
    let Some(at) = m.modified_at else {
        return "-".into();
    };
    let secs = (state.now.as_second() - at.as_second()).max(0);
    let (n, unit) = match secs {
        0..3600 => (secs / 60, "m"),
        3600..86_400 => (secs / 3600, "h"),
        86_400..1_209_600 => (secs / 86_400, "d"),
        1_209_600..63_072_000 => (secs / 604_800, "w"),
        _ => (secs / 31_536_000, "y"),
    };
    format!("{n}{unit} ago")
}

/// What the table says when it has no rows to show (wrapped to the pane).
fn empty_text<'a>(state: &State, theme: &Theme) -> Option<Vec<Line<'a>>> {
    if !state.view.is_empty() {
        return None;
    }
    let lines = if let (false, Connection::Unreachable { .. }) = (state.tags_loaded, &state.conn) {
        vec![
            Line::styled(
                format!("Ollama is not answering at {}", clean(&state.host_label)),
                theme.bad(),
            ),
            Line::raw("Start it with `ollama serve`; this reconnects by itself."),
            Line::styled(
                "No Ollama here? `model-orchestrator --demo` shows the dashboard against a simulated one.",
                theme.dim(),
            ),
        ]
    } else if !state.tags_loaded {
        vec![Line::styled("asking Ollama for its models…", theme.dim())]
    } else if state.models.is_empty() {
        vec![
            Line::raw("No models installed yet."),
            Line::raw(format!(
                "{} pulls one by name, for example llama3.2",
                state.keymap.hint(crate::keymap::Action::Pull)
            )),
        ]
    } else {
        vec![Line::styled(
            format!(
                "no model matches “{}” · Esc clears the filter",
                clean(&state.filter)
            ),
            theme.dim(),
        )]
    };
    Some(lines)
}

/// The `/api/show` value when it has one, else the `/api/tags` one.
pub fn prefer<'a>(show: Option<&'a String>, tags: &'a String) -> &'a String {
    show.filter(|s| !s.is_empty()).unwrap_or(tags)
}
