//! The event log, newest first, with local times.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::cut_words;
use super::theme::Theme;
use crate::app::State;
use crate::app::log::LogKind;
use crate::app::state::Focus;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Focus::Log;
    let shown = state.log_shown();
    let mut title = vec![
        Span::styled(" Events ", theme.bold()),
        Span::raw(if state.log_filter.is_empty() {
            format!("{shown} ")
        } else {
            format!("{shown} of {} ", state.log.len())
        }),
    ];
    title.extend(super::filter_span(
        &state.log_filter,
        state.filter_editing(true),
        theme,
    ));
    let mut block = super::pane(Line::from(title), focused, theme);
    let rows = area.height.saturating_sub(2) as usize;
    let scroll = state.log_scroll.min(shown.saturating_sub(1));
    if let Some(pos) = super::position(scroll, rows, shown, theme) {
        block = block.title_bottom(pos);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines: Vec<Line<'_>> = state
        .log
        .matching(&state.log_filter)
        .skip(scroll)
        .take(inner.height as usize)
        .enumerate()
        .map(|(i, e)| {
            let time =
                e.at.to_zoned(state.tz.clone())
                    .strftime("%H:%M:%S")
                    .to_string();
            let style = match e.kind {
                LogKind::Error => theme.bad(),
                LogKind::Evict => theme.warn(),
                LogKind::Pin => theme.pin(),
                LogKind::Load | LogKind::Unload | LogKind::Connect => theme.good(),
                LogKind::Info => theme.dim(),
            };
            // Prose is cut between words, with an ellipsis.
            let text = cut_words(&e.text, width.saturating_sub(13));
            let line = Line::from(vec![
                Span::styled(format!(" {time} "), theme.dim()),
                Span::styled(format!("{} ", e.kind.symbol()), style),
                Span::raw(text),
            ]);
            if focused && i == 0 {
                line.style(theme.bold())
            } else {
                line
            }
        })
        .collect();
    let lines = if lines.is_empty() && !state.log_filter.is_empty() {
        vec![Line::styled(
            format!(
                " no event mentions “{}” · Esc clears the filter",
                clean(&state.log_filter)
            ),
            theme.dim(),
        )]
    } else if lines.is_empty() {
        vec![Line::styled(
            " nothing yet · loads, unloads, pulls and evictions appear here",
            theme.dim(),
        )]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
