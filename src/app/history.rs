//! A short memory history for the chart, with load / unload / eviction marks.

use std::collections::VecDeque;

use jiff::Timestamp;

/// How far back the chart looks.
pub const WINDOW_SECS: i64 = 300;
/// Readings are compared at this resolution (the gauges show 0.1 GB).
const QUANTUM: u64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at: Timestamp,
    pub ram_used: u64,
    pub vram_used: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Load,
    Unload,
    Evict,
}

impl MarkKind {
    pub fn symbol(self) -> char {
        match self {
            MarkKind::Load => '↑',
            MarkKind::Unload => '↓',
            MarkKind::Evict => '✕',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub at: Timestamp,
    pub kind: MarkKind,
    pub model: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub samples: VecDeque<Sample>,
    pub marks: VecDeque<Mark>,
}

impl History {
    /// Adds a reading; returns whether the chart looks different afterwards.
    pub fn push(&mut self, s: Sample) -> bool {
        let q = |v: u64| v / QUANTUM;
        let flat = self
            .samples
            .iter()
            .all(|p| q(p.ram_used) == q(s.ram_used) && q(p.vram_used) == q(s.vram_used));
        self.samples.push_back(s);
        let dropped = self.expire(s.at);
        // A flat line stays the same flat line; anything else shifts left.
        !flat || dropped || !self.marks.is_empty() || self.samples.len() == 1
    }

    pub fn mark(&mut self, at: Timestamp, kind: MarkKind, model: &str) {
        self.marks.push_back(Mark {
            at,
            kind,
            model: model.to_string(),
        });
        self.expire(at);
    }

    fn expire(&mut self, now: Timestamp) -> bool {
        let cutoff = now.as_second() - WINDOW_SECS;
        let before = self.samples.len() + self.marks.len();
        while self
            .samples
            .front()
            .is_some_and(|s| s.at.as_second() < cutoff)
        {
            self.samples.pop_front();
        }
        while self
            .marks
            .front()
            .is_some_and(|m| m.at.as_second() < cutoff)
        {
            self.marks.pop_front();
        }
        before != self.samples.len() + self.marks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).expect("valid time")
    }

    #[test]
    fn flat_readings_do_not_change_the_chart() {
        let mut h = History::default();
        let s = |t, ram| Sample {
            at: at(t),
            ram_used: ram,
            vram_used: 0,
        };
        assert!(h.push(s(0, 8_000_000_000)));
        assert!(!h.push(s(1, 8_010_000_000)));
        assert!(h.push(s(2, 9_000_000_000)));
    }

    #[test]
    fn old_samples_and_marks_expire() {
        let mut h = History::default();
        h.mark(at(0), MarkKind::Load, "a");
        h.push(Sample {
            at: at(1),
            ram_used: 1,
            vram_used: 0,
        });
        h.push(Sample {
            at: at(WINDOW_SECS + 5),
            ram_used: 1,
            vram_used: 0,
        });
        assert!(h.marks.is_empty());
        assert_eq!(h.samples.len(), 1);
    }
}
