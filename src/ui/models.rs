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
use crate::app::state::{Connection, Focus, Row, State};
use crate::fit::{Landing, NeedSource, Verdict};
use crate::ollama::ModelEntry;
use crate::sanitize::clean;

/// Which optional columns fit in `width` cells: the name keeps at least 14 cells,
/// then PARAMS, QUANT and SIZE appear as room allows.
struct Columns {
    params: bool,
    quant: bool,
    size: bool,
    name: usize,
}

impl Columns {
    fn for_width(width: usize) -> Columns {
        // cursor + three flags, need, fit, a right margin
        let fixed = 4 + 7 + 10 + 1;
        let room = width.saturating_sub(fixed);
        let size = room >= 14 + 7;
        let params = room >= 18 + 7 + 7;
        let quant = room >= 18 + 7 + 7 + 8;
        let extra = [(size, 7), (params, 7), (quant, 8)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| w)
            .sum::<usize>();
        Columns {
            params,
            quant,
            size,
            name: room.saturating_sub(extra).max(6),
        }
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let block = super::pane(title(state, theme), state.focus == Focus::Models, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cols = Columns::for_width(inner.width as usize);
    let body = Areas::new(frame.area()).map_or(inner, |a| a.models_body());
    let header = Rect { height: 1, ..inner };
    frame.render_widget(Paragraph::new(header_line(&cols, theme)), header);
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

fn title<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(" Installed ", theme.bold()),
        Span::raw(if state.tags_loaded {
            format!("{} ", state.models.len())
        } else {
            String::new()
        }),
        Span::styled(format!("· sort {} ", state.sort.as_str()), theme.dim()),
    ];
    if state.filter_editing || !state.filter.is_empty() {
        let cursor = if state.filter_editing { "▏" } else { "" };
        spans.push(Span::styled(
            format!(
                "· /{}{cursor} ({}) ",
                clean(&state.filter),
                state.view.len()
            ),
            theme.accent(),
        ));
    }
    Line::from(spans)
}

fn header_line<'a>(cols: &Columns, theme: &Theme) -> Line<'a> {
    let mut s = format!("    {}", pad("NAME", cols.name));
    if cols.params {
        s.push_str(&pad_left("PARAMS", 7));
    }
    if cols.quant {
        s.push(' ');
        s.push_str(&pad("QUANT", 7));
    }
    if cols.size {
        s.push_str(&pad_left("SIZE", 7));
    }
    s.push_str(&pad_left("NEED", 7));
    s.push_str("  FIT");
    Line::styled(s, theme.dim())
}

/// Words that read without colour; colour only reinforces them.
pub fn verdict_label(v: &Verdict, theme: &Theme) -> (String, Style) {
    match v {
        Verdict::Loaded => ("● loaded".into(), theme.accent()),
        Verdict::Fits(Landing::Gpu) => ("✓ GPU".into(), theme.good()),
        Verdict::Fits(Landing::Split { gpu_percent }) => {
            (format!("✓ {gpu_percent}%G"), theme.warn())
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
    let (label, style) = verdict_label(&r.verdict, theme);
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
            Line::raw("Start it with `ollama serve`."),
            Line::styled("It reconnects by itself.", theme.dim()),
        ]
    } else if !state.tags_loaded {
        vec![Line::styled("asking Ollama for its models…", theme.dim())]
    } else if state.models.is_empty() {
        vec![
            Line::raw("No models installed yet."),
            Line::raw("Pull one, for example:"),
            Line::styled("  ollama pull llama3.2", theme.dim()),
        ]
    } else {
        vec![Line::styled(
            format!("no model matches “{}” (Esc clears)", clean(&state.filter)),
            theme.dim(),
        )]
    };
    Some(lines)
}

/// The `/api/show` value when it has one, else the `/api/tags` one.
pub fn prefer<'a>(show: Option<&'a String>, tags: &'a String) -> &'a String {
    show.filter(|s| !s.is_empty()).unwrap_or(tags)
}
