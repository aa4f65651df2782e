//! Where each pane goes. Shared by drawing and by mouse handling, so a click lands
//! on the row that was drawn there.

use ratatui::layout::{Constraint, Layout, Margin, Rect};

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub models: Rect,
    pub memory: Rect,
    pub loaded: Rect,
    pub details: Rect,
    /// Zero height on very short terminals.
    pub log: Rect,
    pub status: Rect,
}

impl Areas {
    /// `None` when the terminal is below the minimum size.
    pub fn new(area: Rect) -> Option<Areas> {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            return None;
        }
        let h = area.height;
        let log_h = match h {
            0..20 => 0,
            20..30 => 5,
            30..45 => 8,
            _ => 10,
        };
        let mid_h = match h {
            0..30 => 6,
            30..45 => 9,
            _ => 11,
        };
        let [top, mid, log, status] = Layout::vertical([
            Constraint::Min(6),
            Constraint::Length(mid_h),
            Constraint::Length(log_h),
            Constraint::Length(2),
        ])
        .areas(area);
        let mem_w = match area.width {
            0..70 => 24,
            70..100 => 30,
            100..140 => 38,
            _ => 46,
        };
        let [models, memory] =
            Layout::horizontal([Constraint::Min(30), Constraint::Length(mem_w)]).areas(top);
        let [loaded, details] =
            Layout::horizontal([Constraint::Percentage(46), Constraint::Percentage(54)]).areas(mid);
        Some(Areas {
            models,
            memory,
            loaded,
            details,
            log,
            status,
        })
    }

    /// The table rows under the header, inside the border.
    pub fn models_body(&self) -> Rect {
        let inner = self.models.inner(Margin::new(1, 1));
        Rect {
            y: inner.y.saturating_add(1),
            height: inner.height.saturating_sub(1),
            ..inner
        }
    }

    pub fn loaded_body(&self) -> Rect {
        self.loaded.inner(Margin::new(1, 1))
    }
}
