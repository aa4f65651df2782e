//! The event log, newest first, with local times.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::State;
use crate::app::log::LogKind;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let block = super::pane(Line::styled(" Events ", theme.bold()), false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line<'_>> = state
        .log
        .recent()
        .take(inner.height as usize)
        .map(|e| {
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
            Line::from(vec![
                Span::styled(format!(" {time} "), theme.dim()),
                Span::styled(format!("{} ", e.kind.symbol()), style),
                Span::raw(e.text.clone()),
            ])
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled(" nothing yet", theme.dim())]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
