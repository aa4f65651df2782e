//! The help overlay (every key, with the user's overrides) and the confirmation
//! dialog.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::format::pad;
use super::theme::Theme;
use crate::app::State;
use crate::keymap::Action;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let mut lines: Vec<Line<'_>> = Action::ALL
        .iter()
        .map(|a| {
            let keys = state.keymap.keys_for(*a).join(" ");
            Line::from(vec![
                ratatui::text::Span::styled(format!(" {} ", pad(&keys, 14)), theme.accent()),
                ratatui::text::Span::raw(a.describe()),
            ])
        })
        .collect();
    lines.push(Line::raw(format!(
        " {} close help · clear filter",
        pad("Esc", 14)
    )));
    lines.push(Line::raw(format!(
        " {} click selects · wheel scrolls",
        pad("mouse", 14)
    )));
    lines.push(Line::styled(
        " ▶ best pick  ● loaded  ★ pinned  ~ size not final  ⏏ evicted next",
        theme.dim(),
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 72.min(area.width);
    let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, rect);
    let block = super::pane(
        Line::styled(" Keys (? or Esc closes) ", theme.bold()),
        true,
        theme,
    );
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn confirm(frame: &mut Frame<'_>, area: Rect, text: &str, theme: &Theme) {
    let width = 64.min(area.width.saturating_sub(4));
    let rect = area.centered(Constraint::Length(width), Constraint::Length(6));
    frame.render_widget(Clear, rect);
    let block = super::pane(Line::styled(" Does not fit ", theme.bold()), true, theme)
        .border_style(theme.bad())
        .padding(ratatui::widgets::Padding::horizontal(1));
    let body = vec![
        Line::raw(text.to_string()),
        Line::raw(""),
        Line::styled("y go ahead · n / Esc cancel", theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(body).block(block).wrap(Wrap { trim: false }),
        rect,
    );
}
