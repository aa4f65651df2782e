//! The help overlay (every key, with the user's overrides) and the confirmation
//! dialog.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::format::pad;
use super::theme::Theme;
use crate::app::State;
use crate::keymap::Action;

/// The moves, folded onto one line when the terminal is too short for all keys.
const MOVES: [Action; 6] = [
    Action::SelectNext,
    Action::SelectPrev,
    Action::PageDown,
    Action::PageUp,
    Action::First,
    Action::Last,
];

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let line = |keys: String, what: &str| {
        Line::from(vec![
            Span::styled(format!(" {} ", pad(&keys, 14)), theme.accent()),
            Span::raw(what.to_string()),
        ])
    };
    // All of it takes 22 rows with the border; shorter terminals get the moves on
    // one line and lose the mouse line first.
    let short = Action::ALL.len() as u16 + 5 > area.height;
    let mut lines: Vec<Line<'_>> = Vec::new();
    if short {
        let keys: Vec<String> = MOVES
            .iter()
            .filter_map(|a| state.keymap.keys_for(*a).first().cloned())
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", keys.join(" ")), theme.accent()),
            Span::raw(" move"),
        ]));
    }
    for a in Action::ALL.iter().filter(|a| !(short && MOVES.contains(a))) {
        lines.push(line(state.keymap.keys_for(*a).join(" "), a.describe()));
    }
    lines.push(line("Esc".into(), "close help · clear filter"));
    if !short {
        lines.push(line("mouse".into(), "click selects · wheel scrolls"));
    }
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
    // Borders and padding take 4 columns; the question, a blank line and the key
    // hint must all show, however narrow the terminal.
    let text_lines = wrapped_lines(text, width.saturating_sub(4).max(1) as usize);
    let height = (text_lines + 4).min(area.height as usize) as u16;
    let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, rect);
    // The question either names who Ollama evicts or says it cannot fit.
    let title = if text.starts_with("Ollama will evict") {
        " Evicts loaded models "
    } else {
        " Does not fit "
    };
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
