//! A fixed-capacity history of memory readings and of the events that explain them
//! (a load, an eviction ...), for the dashboard's chart. Both rings allocate once, at
//! creation: pushing never allocates.

use jiff::Timestamp;

use super::MemorySnapshot;

/// Ten minutes at one sample a second.
pub const DEFAULT_SAMPLES: usize = 600;
pub const DEFAULT_EVENTS: usize = 128;
/// Longer model names are cut (at a character boundary) so event slots never grow.
pub const MAX_EVENT_NAME: usize = 128;

/// One reading, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at: Timestamp,
    pub ram_used: u64,
    pub vram_used: u64,
    pub swap_used: u64,
}

impl Sample {
    pub fn from_snapshot(at: Timestamp, snap: &MemorySnapshot) -> Sample {
        Sample {
            at,
            ram_used: snap.ram_used,
            vram_used: snap.vram_used(),
            swap_used: snap.swap_used,
        }
    }
}

/// Which figure of a sample a chart line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Ram,
    Vram,
    Swap,
}

impl Series {
    pub fn of(self, s: &Sample) -> u64 {
        match self {
            Series::Ram => s.ram_used,
            Series::Vram => s.vram_used,
            Series::Swap => s.swap_used,
        }
    }
}

/// What happened to a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Load,
    LoadFailed,
    Unload,
    /// Dropped out of `/api/ps` without our asking (keep-alive ran out, evicted).
    Evict,
    Pin,
    Unpin,
    /// A pinned model loaded again after it dropped out.
    KeeperReload,
}

impl EventKind {
    /// A short word for chart markers and the log.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Load => "load",
            EventKind::LoadFailed => "load failed",
            EventKind::Unload => "unload",
            EventKind::Evict => "evicted",
            EventKind::Pin => "pin",
            EventKind::Unpin => "unpin",
            EventKind::KeeperReload => "reload pinned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    pub at: Timestamp,
    pub kind: EventKind,
    /// The model's name as given (not cleaned: clean it before drawing).
    pub model: String,
}

/// A ring: `items` fills up to its capacity, then `head` marks the oldest slot.
#[derive(Debug, Clone)]
struct Ring<T> {
    items: Vec<T>,
    cap: usize,
    head: usize,
}

impl<T> Ring<T> {
    fn new(capacity: usize) -> Ring<T> {
        let cap = capacity.max(1);
        Ring {
            items: Vec::with_capacity(cap),
            cap,
            head: 0,
        }
    }

    /// The slot to overwrite when full (the oldest), moving `head` on.
    fn oldest_slot(&mut self) -> Option<&mut T> {
        if self.items.len() < self.cap {
            return None;
        }
        let i = self.head;
        self.head = (self.head + 1) % self.cap;
        self.items.get_mut(i)
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        let (newer, older) = self.items.split_at(self.head);
        older.iter().chain(newer.iter())
    }
}

/// Recent samples and events, oldest first.
#[derive(Debug, Clone)]
pub struct MemoryHistory {
    samples: Ring<Sample>,
    events: Ring<HistoryEvent>,
}

impl Default for MemoryHistory {
    fn default() -> Self {
        MemoryHistory::new(DEFAULT_SAMPLES, DEFAULT_EVENTS)
    }
}

impl MemoryHistory {
    /// Room for `samples` readings and `events` events (each at least 1).
    pub fn new(samples: usize, events: usize) -> MemoryHistory {
        MemoryHistory {
            samples: Ring::new(samples),
            events: Ring::new(events),
        }
    }

    pub fn push(&mut self, sample: Sample) {
        match self.samples.oldest_slot() {
            Some(slot) => *slot = sample,
            None => self.samples.items.push(sample),
        }
    }

    /// Records an event; the name is copied into a slot allocated at creation.
    pub fn mark(&mut self, at: Timestamp, kind: EventKind, model: &str) {
        let model = truncate(model, MAX_EVENT_NAME);
        match self.events.oldest_slot() {
            Some(slot) => {
                slot.at = at;
                slot.kind = kind;
                slot.model.clear();
                slot.model.push_str(model);
            }
            None => {
                let mut name = String::with_capacity(MAX_EVENT_NAME);
                name.push_str(model);
                self.events.items.push(HistoryEvent {
                    at,
                    kind,
                    model: name,
                });
            }
        }
    }

    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &Sample> + Clone {
        self.samples.iter()
    }

    pub fn events(&self) -> impl DoubleEndedIterator<Item = &HistoryEvent> + Clone {
        self.events.iter()
    }

    /// Samples at or after `since`, newest first (what a chart window shows).
    pub fn samples_since(&self, since: Timestamp) -> impl Iterator<Item = &Sample> {
        self.samples.iter().rev().take_while(move |s| s.at >= since)
    }

    /// Events at or after `since`, oldest first (the chart's window).
    pub fn events_since(&self, since: Timestamp) -> impl DoubleEndedIterator<Item = &HistoryEvent> {
        self.events.iter().filter(move |e| e.at >= since)
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.samples.iter().next_back()
    }

    pub fn len(&self) -> usize {
        self.samples.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.samples.cap
    }

    /// Chart points for one series: (seconds relative to `now`, ≤ 0; gigabytes),
    /// oldest first, written into `out` (cleared first) so a caller that keeps its
    /// buffer allocates nothing per frame.
    pub fn points_into(&self, series: Series, now: Timestamp, out: &mut Vec<(f64, f64)>) {
        out.clear();
        out.extend(self.samples.iter().map(|s| {
            let secs = s.at.duration_since(now).as_secs_f64();
            (secs, series.of(s) as f64 / 1e9)
        }));
    }

    /// The largest value of a series in the history (for the chart's y bound).
    pub fn max(&self, series: Series) -> u64 {
        self.samples.iter().map(|s| series.of(s)).max().unwrap_or(0)
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests;
