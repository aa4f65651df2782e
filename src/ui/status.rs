//! The two status lines: connection, version, host, task and progress on the first;
//! the last outcome or error and key hints on the second.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{cut_words, truncate, width};
use super::loaded::progress;
use super::theme::Theme;
use crate::app::State;
use crate::app::state::{Connection, Focus, Modal, OpKind};
use crate::format::countdown_between;
use crate::keymap::Action;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let w = area.width as usize;
    let lines = vec![first_line(state, theme, w), second_line(state, theme, w)];
    frame.render_widget(Paragraph::new(lines), area);
}

fn connection<'a>(state: &State, theme: &Theme) -> Span<'a> {
    match &state.conn {
        Connection::Connecting => Span::styled(" … connecting", theme.dim()),
        Connection::Connected if state.answers_with_errors() => {
            Span::styled(" ◐ answers with errors", theme.bad())
        }
        Connection::Connected => Span::styled(" ● connected", theme.good()),
        Connection::Slow { .. } => Span::styled(" ◐ slow to answer", theme.warn()),
        Connection::Unreachable { retry_at, .. } => {
            let text = if *retry_at <= state.now {
                " ✗ unreachable · retrying".to_string()
            } else {
                format!(
                    " ✗ unreachable · retry in {}",
                    countdown_between(state.now, *retry_at)
                )
            };
            Span::styled(text, theme.bad())
        }
    }
}

fn first_line<'a>(state: &State, theme: &Theme, w: usize) -> Line<'a> {
    let conn = connection(state, theme);
    let version = state
        .version
        .as_ref()
        .map(|v| Span::styled(format!(" · Ollama {v}"), theme.dim()));
    let host = Span::styled(format!(" · {}", clean(&state.host_label)), theme.dim());
    let demo = state.demo.then(|| Span::styled(" · DEMO", theme.accent()));
    let mut task = vec![Span::raw(format!(" │ task {}", state.task.as_str()))];
    if let Some(Ok(p)) = &state.best {
        task.push(Span::styled(
            format!(" ▶ {}", clean(&p.model)),
            theme.accent(),
        ));
    }
    let op = op_span(state, theme);
    // Progress and task matter more than the version and host: those go first
    // when the line is short.
    let essential: usize = conn.width()
        + demo.as_ref().map_or(0, Span::width)
        + task.iter().map(Span::width).sum::<usize>()
        + op.as_ref().map_or(0, Span::width);
    let mut spans = vec![conn];
    let mut room = w.saturating_sub(essential);
    if host.width() <= room {
        room -= host.width();
        if let Some(v) = version.filter(|v| v.width() <= room) {
            spans.push(v);
        }
        spans.push(host);
    }
    spans.extend(demo);
    spans.extend(task);
    spans.extend(op);
    clip(spans, w)
}

/// The first operation in flight, with a count of the others.
fn op_span<'a>(state: &State, theme: &Theme) -> Option<Span<'a>> {
    let op = state.ops.first()?;
    let more = match state.ops.len() {
        1 => String::new(),
        n => format!(" (+{})", n - 1),
    };
    let how = match op.pull.as_ref().and_then(|p| p.percent()) {
        Some(pct) => format!("{pct}%"),
        None => progress(op, state),
    };
    let text = format!(" │ {} {} {how}{more}", op.verb(), clean(&op.model));
    Some(Span::styled(text, theme.warn()))
}

/// Key hints for where the keys go now, as many as fit in `room` cells; `? help`
/// always comes first, so the way to every key is never cut off.
fn hints(state: &State, room: usize) -> String {
    if state.filter_editing(false) || state.filter_editing(true) {
        return " type to filter · Enter keeps · Esc clears ".into();
    }
    if matches!(state.modal, Some(Modal::Prompt(_))) {
        return " Enter go · Esc cancel ".into();
    }
    let k = |a: Action| state.keymap.hint(a);
    let mut items: Vec<String> = vec![format!(" {} help ", k(Action::Help))];
    let on_pull = state.focus == Focus::Loaded
        && state
            .loaded_rows()
            .get(state.loaded_selected)
            .and_then(|r| r.op_id())
            .and_then(|id| state.op(id))
            .is_some_and(|o| o.kind == OpKind::Pull);
    let rest: &[(Action, &str)] = match state.focus {
        Focus::Log => &[
            (Action::Filter, "filter events"),
            (Action::SelectNext, "older"),
            (Action::FocusNext, "next pane"),
            (Action::Quit, "quit"),
        ],
        _ if on_pull => &[(Action::FocusNext, "next pane"), (Action::Quit, "quit")],
        _ => &[
            (Action::Load, "load"),
            (Action::Pin, "pin"),
            (Action::Unload, "unload"),
            (Action::Pull, "pull"),
            (Action::Filter, "filter"),
            (Action::NextTask, "task"),
            (Action::Quit, "quit"),
        ],
    };
    if on_pull {
        items.push(" Esc cancel pull ".into());
    }
    items.extend(rest.iter().map(|(a, word)| format!(" {} {word} ", k(*a))));
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 && width(&out) + width(item) > room {
            break;
        }
        out.push_str(item);
    }
    out
}

fn second_line<'a>(state: &State, theme: &Theme, w: usize) -> Line<'a> {
    let (text, style) = match (&state.notice, &state.conn) {
        (Some(n), _) if n.error => (format!(" ! {}", n.text), theme.bad()),
        (_, Connection::Unreachable { .. }) => (
            " start Ollama with `ollama serve` (or try --demo)".to_string(),
            theme.bad(),
        ),
        (Some(n), _) => (format!(" {}", n.text), Style::default()),
        (None, _) => (String::new(), Style::default()),
    };
    // The message comes first, but never pushes out `? help`: the hints get at
    // least that much room.
    let help_w = width(&format!(" {} help ", state.keymap.hint(Action::Help)));
    let hints = hints(state, w.saturating_sub(width(&text)).max(help_w));
    let room = w.saturating_sub(width(&hints));
    let text = cut_words(&text, room);
    let gap = room.saturating_sub(width(&text));
    Line::from(vec![
        Span::styled(text, style),
        Span::raw(" ".repeat(gap)),
        Span::styled(hints, theme.dim()),
    ])
}

/// Cuts a line of spans to `w` cells.
fn clip(spans: Vec<Span<'_>>, w: usize) -> Line<'_> {
    let mut used = 0;
    let mut out = Vec::new();
    for s in spans {
        let sw = s.width();
        if used + sw <= w {
            used += sw;
            out.push(s);
        } else {
            let rest = truncate(&s.content, w - used);
            out.push(Span::styled(rest, s.style));
            break;
        }
    }
    Line::from(out)
}
