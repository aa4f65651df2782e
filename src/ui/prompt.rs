//! The one-line prompts: a model to pull, a keep-alive for a load. The line shows
//! its cursor; under it, what Enter will do and whether the model fits here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::format::{truncate, width as width_of};
use super::theme::Theme;
use crate::app::State;
use crate::app::line_edit::LineEdit;
use crate::app::state::{Prompt, PromptKind};
use crate::fit::Judgement;
use crate::names::same_model;
use crate::sanitize::clean;

pub fn render(frame: &mut Frame<'_>, area: Rect, p: &Prompt, state: &State, theme: &Theme) {
    let width = 72.min(area.width.saturating_sub(2)).max(10);
    let inner_w = width.saturating_sub(4) as usize;
    let (title, hint) = match &p.kind {
        PromptKind::Pull => (
            " Pull a model ".to_string(),
            "name, name:tag or host/namespace/name:tag".to_string(),
        ),
        PromptKind::KeepAlive { model } => (
            format!(" Load {} with keep-alive ", clean(model)),
            "how long it stays loaded when idle: 30m, 2h, 90s, -1 forever".to_string(),
        ),
    };
    let mut lines = vec![
        input_line(&p.line, inner_w, theme),
        Line::styled(truncate(&hint, inner_w), theme.dim()),
    ];
    if let Some(e) = &p.error {
        lines.push(Line::styled(clean(e), theme.bad()));
    } else if let Some(info) = info(p, state) {
        lines.push(Line::raw(info));
    }
    lines.push(Line::styled(
        truncate(
            "Enter go · Esc cancel · Ctrl-U clear · Ctrl-W word",
            inner_w,
        ),
        theme.dim(),
    ));
    let rows = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w.max(1)).max(1) as u16)
        .sum::<u16>();
    let height = (rows + 2).min(area.height);
    let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, rect);
    let block = super::pane(Line::styled(title, theme.bold()), true, theme)
        .padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// `› text` with the cursor drawn as a reversed cell; the text scrolls left when
/// the cursor would leave the line.
fn input_line<'a>(line: &LineEdit, width: usize, theme: &Theme) -> Line<'a> {
    let chars: Vec<char> = line.text().chars().collect();
    let room = width.saturating_sub(3).max(1);
    let cursor = line.cursor().min(chars.len());
    let mut start = 0;
    while width_of(&chars[start..cursor].iter().collect::<String>()) >= room {
        start += 1;
    }
    let before: String = chars[start..cursor].iter().collect();
    let at: String = chars.get(cursor).map_or(" ".into(), |c| c.to_string());
    let after: String = chars
        .get(cursor + 1..)
        .map_or(String::new(), |r| r.iter().collect());
    let after = truncate(&after, room.saturating_sub(width_of(&before) + 1));
    Line::from(vec![
        Span::styled("› ", theme.accent()),
        Span::raw(before),
        Span::styled(at, theme.bold().add_modifier(Modifier::REVERSED)),
        Span::raw(after),
    ])
}

/// What the typed text means here: for a pull of a model already installed, its
/// size and whether it fits (Ollama's API gives sizes only for installed models);
/// for a keep-alive, how it reads.
fn info(p: &Prompt, state: &State) -> Option<String> {
    let text = p.line.text().trim();
    match &p.kind {
        PromptKind::Pull => {
            let (entry, row) = state
                .models
                .iter()
                .position(|m| same_model(&m.name, text))
                .and_then(|i| Some((state.models.get(i)?, state.rows.get(i)?)))?;
            let judged = Judgement {
                need: row.need.clone(),
                verdict: row.verdict.clone(),
            };
            let note = crate::headless::pull_fit::describe(entry, Some(&judged));
            Some(format!("installed: {note} — pulling updates it"))
        }
        PromptKind::KeepAlive { model } => match crate::app::parse_keep_alive(text) {
            Ok(crate::duration::KeepAlive::Forever) => Some(format!(
                "{} stays loaded until unloaded (not a pin: a restart drops it)",
                clean(model)
            )),
            Ok(k) => Some(format!(
                "{} unloads after {} idle",
                clean(model),
                crate::app::keep_alive_text(k)
            )),
            Err(_) => None,
        },
    }
}
