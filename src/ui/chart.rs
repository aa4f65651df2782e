//! A small block-character chart of memory use over the last minutes, with a row
//! of event marks underneath (↑ load, ↓ unload, ✕ eviction, ★ pin, ↻ a pinned model
//! loaded again, ! a failed load).

use jiff::{SignedDuration, Timestamp};
use ratatui::text::Line;

use crate::memory::{EventKind, MemoryHistory};

/// How far back the chart looks.
pub const WINDOW_SECS: i64 = 300;

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The mark drawn for an event.
pub fn symbol(kind: EventKind) -> char {
    match kind {
        EventKind::Load => '↑',
        EventKind::LoadFailed => '!',
        EventKind::Unload => '↓',
        EventKind::Evict => '✕',
        EventKind::Pin => '★',
        EventKind::Unpin => '☆',
        EventKind::KeeperReload => '↻',
    }
}

fn window_start(now: Timestamp) -> Timestamp {
    now.checked_sub(SignedDuration::from_secs(WINDOW_SECS))
        .unwrap_or(now)
}

/// The highest reading (RAM + VRAM used) per column, as a fraction of `max`;
/// `None` where there was no reading yet.
pub fn columns(
    history: &MemoryHistory,
    now: Timestamp,
    width: usize,
    max: u64,
) -> Vec<Option<f64>> {
    let mut cols = vec![None; width];
    if width == 0 || max == 0 {
        return cols;
    }
    for s in history.samples_since(window_start(now)) {
        if let Some(c) = column_of(s.at, now, width) {
            let used = s.ram_used + s.vram_used;
            let v = (used as f64 / max as f64).clamp(0.0, 1.0);
            cols[c] = Some(cols[c].map_or(v, |old: f64| old.max(v)));
        }
    }
    cols
}

/// The column a moment falls in: the right edge is now.
fn column_of(at: Timestamp, now: Timestamp, width: usize) -> Option<usize> {
    let age = now.as_second() - at.as_second();
    if !(0..WINDOW_SECS).contains(&age) {
        return None;
    }
    let from_right = (age as usize * width) / WINDOW_SECS as usize;
    Some(width - 1 - from_right)
}

/// `height` text rows of bars, top row first.
pub fn bars(cols: &[Option<f64>], height: usize) -> Vec<String> {
    (0..height)
        .map(|row| {
            let floor = (height - 1 - row) as f64;
            cols.iter()
                .map(|c| match c {
                    None => ' ',
                    Some(v) => {
                        let eighths = ((v * height as f64 - floor) * 8.0).round();
                        LEVELS[eighths.clamp(0.0, 8.0) as usize]
                    }
                })
                .collect()
        })
        .collect()
}

/// The marks row: the symbol of the latest event in each column.
pub fn marks(history: &MemoryHistory, now: Timestamp, width: usize) -> Line<'static> {
    let mut row = vec![' '; width];
    for e in history.events_since(window_start(now)) {
        if let Some(c) = column_of(e.at, now, width) {
            row[c] = symbol(e.kind);
        }
    }
    Line::raw(row.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Sample;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).expect("valid time")
    }

    fn sample(t: i64, ram_used: u64) -> Sample {
        Sample {
            at: at(t),
            ram_used,
            vram_used: 0,
            swap_used: 0,
        }
    }

    #[test]
    fn full_and_half_columns() {
        let mut h = MemoryHistory::default();
        h.push(sample(0, 50));
        let cols = columns(&h, at(0), 10, 100);
        assert_eq!(cols[9], Some(0.5));
        assert_eq!(cols[0], None);
        let rows = bars(&cols, 2);
        assert_eq!(rows[0].chars().last(), Some(' '));
        assert_eq!(rows[1].chars().last(), Some('█'));
    }

    #[test]
    fn old_readings_and_marks_leave_the_window() {
        let mut h = MemoryHistory::default();
        h.push(sample(0, 100));
        h.mark(at(0), EventKind::KeeperReload, "a");
        h.mark(at(WINDOW_SECS - 10), EventKind::Pin, "b");
        h.push(sample(WINDOW_SECS - 10, 50));
        let now = at(WINDOW_SECS + 1);
        let cols = columns(&h, now, 10, 100);
        assert_eq!(cols.iter().flatten().count(), 1, "{cols:?}");
        let row = marks(&h, now, 10).to_string();
        assert_eq!(row.trim(), "★", "{row:?}");
    }
}
