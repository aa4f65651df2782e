//! The help overlay (every key, with the user's overrides) and the confirmation
//! dialog.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::format::pad;
use super::theme::Theme;
use crate::app::State;
use crate::app::state::Confirm;
use crate::keymap::Action;

/// Every key with what it does (the user's own bindings included), what Esc and
/// the mouse do, and what each symbol means. Scrolls when the terminal is short.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: u16, theme: &Theme) {
    let line = |keys: String, what: &str| {
        Line::from(vec![
            Span::styled(format!(" {} ", pad(&keys, 16)), theme.accent()),
            Span::raw(what.to_string()),
        ])
    };
    let mut lines: Vec<Line<'_>> = Action::ALL
        .iter()
        .map(|a| line(state.keymap.keys_for(*a).join(" "), a.describe()))
        .collect();
    lines.push(line(
        "Esc".into(),
        "back: close this, clear the filter, cancel the pull under the cursor",
    ));
    lines.push(line(
        "in prompts".into(),
        "Backspace, Ctrl-U clears, Ctrl-W deletes a word, Enter, Esc",
    ));
    lines.push(line(
        "mouse".into(),
        "click selects or sorts by a column · wheel scrolls",
    ));
    lines.push(Line::raw(""));
    for legend in LEGEND {
        lines.push(Line::styled(format!(" {legend}"), theme.dim()));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 80.min(area.width);
    let visible = height.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(visible);
    let scroll = scroll.min(max_scroll);
    let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, rect);
    let more = if max_scroll > 0 {
        format!(
            " Keys · {}/{} · j/k scroll · Esc closes ",
            scroll + visible,
            lines.len()
        )
    } else {
        " Keys (? or Esc closes) ".to_string()
    };
    let block = super::pane(Line::styled(more, theme.bold()), true, theme);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}

/// One meaning per symbol, everywhere on screen; lines short enough for 60 cells.
pub const LEGEND: [&str; 8] = [
    "▶ best pick  ● loaded  ★ pinned  ⏏ evicted next",
    "~ size not final (details not read yet)  ⇣ pulling",
    "✓ GPU · ✓ 41% GPU · ✓ fits (RAM): fits now",
    "⇄ fits once Ollama evicts  ✗ short by  ? memory unknown",
    "☁ runs remotely",
    "chart: ↑ load  ↓ unload  ✕ evicted  ★ pin  ☆ unpin",
    "       ↻ pin reloaded  ! failed load",
    "sort: ▲ ascending (A→Z)  ▼ largest, newest, best first",
];

pub fn confirm(frame: &mut Frame<'_>, area: Rect, c: &Confirm, theme: &Theme) {
    let text = c.text.as_str();
    let width = 64.min(area.width.saturating_sub(4));
    // Borders and padding take 4 columns; the question, a blank line and the key
    // hint must all show, however narrow the terminal.
    let text_lines = wrapped_lines(text, width.saturating_sub(4).max(1) as usize);
    let height = (text_lines + 4).min(area.height as usize) as u16;
    let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, rect);
    let title = format!(" {} ", c.title);
    let block = super::pane(Line::styled(title, theme.bold()), true, theme)
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

/// How many lines `text` takes when word-wrapped to `width` cells (a word longer
/// than a line is broken across lines).
fn wrapped_lines(text: &str, width: usize) -> usize {
    let mut lines = 1;
    let mut used = 0;
    for word in text.split(' ') {
        let w = super::format::width(word);
        if used > 0 && used + 1 + w <= width {
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines += 1;
        }
        let spill = w.saturating_sub(1) / width;
        lines += spill;
        used = w - spill * width;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrapped_lines;

    #[test]
    fn counts_word_wrapped_lines() {
        assert_eq!(wrapped_lines("short", 20), 1);
        assert_eq!(wrapped_lines("aaaa bbbb cccc", 9), 2);
        assert_eq!(wrapped_lines("aaaa bbbb cccc", 4), 3);
        assert_eq!(wrapped_lines("abcdefghij", 4), 3);
    }
}
