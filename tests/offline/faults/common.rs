//! Rendering into a test buffer and the checks every frame must pass.
#![allow(dead_code)]

use model_orchestrator::app::State;
use model_orchestrator::ollama::{ModelEntry, OllamaError};
use model_orchestrator::ui::layout::Areas;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::ui_fixtures::{GB, screen};

/// Draws `state` at `w`×`h` (after a resize to it) and returns the buffer.
pub fn frame(state: &mut State, w: u16, h: u16) -> Buffer {
    screen(state, w, h).backend().buffer().clone()
}

/// The rows of the buffer as text.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let w = buf.area.width.max(1) as usize;
    buf.content
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

pub fn text(buf: &Buffer) -> String {
    rows(buf).join("\n")
}

/// The whole screen with runs of spaces squeezed, so a message that the layout
/// pads or wraps can still be found by its words.
pub fn squeezed(buf: &Buffer) -> String {
    text(buf).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Characters that must never reach the terminal: C0, DEL, C1 (ESC among them) and
/// the bidirectional overrides and isolates that reorder what follows them.
pub fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// No cell holds a control character or a bidi override.
pub fn assert_no_controls(buf: &Buffer) {
    let w = buf.area.width.max(1) as usize;
    if let Some(i) = buf
        .content
        .iter()
        .position(|c| c.symbol().chars().any(forbidden))
    {
        panic!(
            "cell ({},{}) holds {:?}\n{}",
            i % w,
            i / w,
            buf.content[i].symbol(),
            text(buf)
        );
    }
}

fn at(buf: &Buffer, x: u16, y: u16) -> &str {
    buf[(x, y)].symbol()
}

/// Every pane of the layout for this size has its four rounded corners and its
/// left and right edges: no text ran over a border.
pub fn assert_borders(buf: &Buffer) {
    let Some(areas) = Areas::new(buf.area) else {
        return;
    };
    let panes = [
        ("models", areas.models),
        ("memory", areas.memory),
        ("loaded", areas.loaded),
        ("details", areas.details),
        ("log", areas.log),
    ];
    for (name, r) in panes {
        if r.height == 0 {
            continue;
        }
        assert_pane(buf, name, r);
    }
}

fn assert_pane(buf: &Buffer, name: &str, r: Rect) {
    let (l, t) = (r.x, r.y);
    let (rt, b) = (r.x + r.width - 1, r.y + r.height - 1);
    let corners = [(l, t, "╭"), (rt, t, "╮"), (l, b, "╰"), (rt, b, "╯")];
    for (x, y, want) in corners {
        assert_eq!(
            at(buf, x, y),
            want,
            "{name} pane corner at ({x},{y}) at {}×{}\n{}",
            buf.area.width,
            buf.area.height,
            text(buf)
        );
    }
    for y in t + 1..b {
        for x in [l, rt] {
            assert_eq!(
                at(buf, x, y),
                "│",
                "{name} pane edge at ({x},{y}) at {}×{}\n{}",
                buf.area.width,
                buf.area.height,
                text(buf)
            );
        }
    }
    // The bottom edge may carry the scroll position at its right end.
    let bottom: String = (l + 1..rt).map(|x| at(buf, x, b)).collect();
    assert!(
        bottom.starts_with('─') && !bottom.contains(['│', '╭', '╮', '╰', '╯']),
        "{name} pane bottom {bottom:?} at {}×{}\n{}",
        buf.area.width,
        buf.area.height,
        text(buf)
    );
}

/// Both checks, at once.
pub fn assert_sound(buf: &Buffer) {
    assert_no_controls(buf);
    assert_borders(buf);
}

/// `needle` (squeezed the same way) appears on the screen.
pub fn assert_shows(buf: &Buffer, needle: &str) {
    let hay = squeezed(buf);
    let needle = needle.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        hay.contains(&needle),
        "{needle:?} not on screen:\n{}",
        text(buf)
    );
}

pub fn refused() -> OllamaError {
    OllamaError::Unreachable {
        url: "http://127.0.0.1:11434/api/version".into(),
        reason: "Connection refused (os error 111)".into(),
    }
}

pub fn server_error(message: &str) -> OllamaError {
    OllamaError::Status {
        status: 500,
        message: message.into(),
    }
}

/// An installed model with a digest of its own (`id`).
pub fn model(name: &str, id: usize, size_gb: f64) -> ModelEntry {
    serde_json::from_value(serde_json::json!({
        "name": name, "model": name,
        "modified_at": "2025-07-01T10:00:00Z",
        "size": (size_gb * GB as f64) as u64,
        "digest": format!("{id:064x}"),
        "details": {"format": "gguf", "family": "llama", "families": ["llama"],
                    "parameter_size": "7B", "quantization_level": "Q4_0"}
    }))
    .expect("valid model entry")
}

/// `n` distinct installed models with made-up names.
pub fn many_models(n: usize) -> Vec<ModelEntry> {
    (0..n)
        .map(|i| model(&format!("zoo/m{i:05}:q4"), i + 1, 1.0 + (i % 50) as f64))
        .collect()
}

/// The checks above catch what they look for (a check that cannot fail proves
/// nothing).
#[test]
fn the_frame_checks_can_fail() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
    // No panes drawn at all: the borders check fails.
    assert!(catch_unwind(AssertUnwindSafe(|| assert_borders(&buf))).is_err());
    assert_no_controls(&buf);
    buf[(3, 3)].set_symbol("\u{1b}");
    assert!(catch_unwind(AssertUnwindSafe(|| assert_no_controls(&buf))).is_err());
    buf[(3, 3)].set_symbol("a\u{202E}");
    assert!(catch_unwind(AssertUnwindSafe(|| assert_no_controls(&buf))).is_err());
    buf[(3, 3)].set_symbol("x");
    assert_no_controls(&buf);
    assert!(catch_unwind(AssertUnwindSafe(|| assert_shows(&buf, "hello"))).is_err());
}

/// The cursor is on a row of the view and that row is on screen.
pub fn assert_selection_sane(s: &State) {
    if s.view.is_empty() {
        assert_eq!(s.selected, 0);
        assert_eq!(s.scroll, 0);
        return;
    }
    assert!(
        s.selected < s.view.len(),
        "{} of {}",
        s.selected,
        s.view.len()
    );
    assert!(
        s.scroll <= s.selected,
        "scroll {} > {}",
        s.scroll,
        s.selected
    );
    if let Some(a) = Areas::new(Rect::new(0, 0, s.size.0, s.size.1)) {
        let rows = usize::from(a.models_body().height.max(1));
        assert!(
            s.selected < s.scroll + rows,
            "selected {} below the {rows} rows from {} at {:?}",
            s.selected,
            s.scroll,
            s.size
        );
    }
}
