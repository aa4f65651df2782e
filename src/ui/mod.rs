//! Drawing: a pure function of `&State`, one module per pane.
//!
//! ```text
//! ┌ Installed 12 · sort name ───────────────────┐┌ Memory ───────────────┐
//! │    NAME            PARAMS QUANT  SIZE  NEED  ││ RAM  ████▒▒░░ 18/32G  │
//! │ ▶● llama3.1:8b     8.0B  Q4_K_M 4.9G  6.1G  ││ swap ░░░░░░░░  0/8.0G │
//! │  ★ mistral:7b      7.2B  Q4_0   4.1G  4.8G  ││ GPU0 ███░░░░░ 4.1/24G │
//! │                                             ││ ▁▂▂▃▅▅▅▅▆▆ RAM 5 min  │
//! └─────────────────────────────────────────────┘└───────────────────────┘
//! ┌ Loaded 1 ─────────────────┐┌ llama3.1:8b ─────────────────────────────┐
//! │ ● llama3.1:8b 5.4G 4m 12s ││ llama · 8.0B · Q4_K_M · 32 layers        │
//! │                           ││ needs 6.1 GB (4.9 file + 1.2 KV @4096)   │
//! └───────────────────────────┘└──────────────────────────────────────────┘
//! ┌ Events ──────────────────────────────────────────────────────────────┐
//! │ 12:01:03 ↑ loaded llama3.1:8b in 3.2s                                │
//! └──────────────────────────────────────────────────────────────────────┘
//!  ● connected · Ollama 0.10.1 · 127.0.0.1:11434 │ task general ▶ …
//!  last outcome or error                          ? help  Enter load  q quit
//! ```
//! Below 60×16 a "terminal too small" notice replaces the layout.

pub mod chart;
pub mod details;
pub mod format;
pub mod help;
pub mod layout;
pub mod loaded;
pub mod log;
pub mod memory;
pub mod models;
pub mod prompt;
pub mod status;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::State;
use crate::app::state::Modal;
use layout::{Areas, MIN_HEIGHT, MIN_WIDTH};
use theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    let theme = Theme::new(state.color);
    let area = frame.area();
    let Some(areas) = Areas::new(area) else {
        return too_small(frame, area, &theme);
    };
    models::render(frame, areas.models, state, &theme);
    memory::render(frame, areas.memory, state, &theme);
    loaded::render(frame, areas.loaded, state, &theme);
    details::render(frame, areas.details, state, &theme);
    if areas.log.height > 0 {
        log::render(frame, areas.log, state, &theme);
    }
    status::render(frame, areas.status, state, &theme);
    match &state.modal {
        Some(Modal::Confirm(c)) => help::confirm(frame, area, c, &theme),
        Some(Modal::Help { scroll }) => help::render(frame, area, state, *scroll, &theme),
        Some(Modal::Prompt(p)) => prompt::render(frame, area, p, state, &theme),
        // The filter line is drawn in the title of the pane it filters.
        Some(Modal::Filter { .. }) | None => {}
    }
}

fn too_small(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let text = vec![
        Line::styled(
            format!("terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT})"),
            theme.warn(),
        ),
        Line::styled(format!("now {}×{}", area.width, area.height), theme.dim()),
        Line::raw("q quits"),
    ];
    let h = (text.len() as u16).min(area.height);
    let rect = area.centered_vertically(Constraint::Length(h));
    frame.render_widget(Paragraph::new(text).centered(), rect);
}

/// `· /text▏` in a pane's title: the filter being typed (with the cursor) or kept.
pub fn filter_span<'a>(
    text: &str,
    editing: bool,
    theme: &Theme,
) -> Option<ratatui::text::Span<'a>> {
    if !editing && text.is_empty() {
        return None;
    }
    let cursor = if editing { "▏" } else { "" };
    let text = format!("· /{}{cursor} ", crate::sanitize::clean(text));
    Some(ratatui::text::Span::styled(text, theme.accent()))
}

/// ` 12–31 of 120 ` for a pane's bottom edge when `total` rows do not all fit in
/// `rows`; `first` counts from 0.
pub fn position<'a>(first: usize, rows: usize, total: usize, theme: &Theme) -> Option<Line<'a>> {
    if total <= rows || rows == 0 {
        return None;
    }
    let last = (first + rows).min(total);
    let text = format!(" {}–{last} of {total} ", first + 1);
    Some(Line::styled(text, theme.dim()).right_aligned())
}

/// A pane's frame: rounded border, title, highlighted when focused.
pub fn pane<'a>(title: Line<'a>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(ratatui::widgets::BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(title)
}
