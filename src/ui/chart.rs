//! A small block-character chart of memory use over the last minutes, with a row
//! of event marks underneath (↑ load, ↓ unload, ✕ eviction).

use jiff::Timestamp;
use ratatui::text::Line;

use crate::app::history::{History, WINDOW_SECS};

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The highest reading (RAM + VRAM used) per column, as a fraction of `max`;
/// `None` where there was no reading yet.
pub fn columns(history: &History, now: Timestamp, width: usize, max: u64) -> Vec<Option<f64>> {
    let mut cols = vec![None; width];
    if width == 0 || max == 0 {
        return cols;
    }
    for s in &history.samples {
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
pub fn marks(history: &History, now: Timestamp, width: usize) -> Line<'static> {
    let mut row = vec![' '; width];
    for m in &history.marks {
        if let Some(c) = column_of(m.at, now, width) {
            row[c] = m.kind.symbol();
        }
    }
    Line::raw(row.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::history::Sample;

    #[test]
    fn full_and_half_columns() {
        let now = Timestamp::from_second(1_700_000_000).expect("valid time");
        let mut h = History::default();
        h.push(Sample {
            at: now,
            ram_used: 50,
            vram_used: 0,
        });
        let cols = columns(&h, now, 10, 100);
        assert_eq!(cols[9], Some(0.5));
        assert_eq!(cols[0], None);
        let rows = bars(&cols, 2);
        assert_eq!(rows[0].chars().last(), Some(' '));
        assert_eq!(rows[1].chars().last(), Some('█'));
    }
}
