//! The event log: what happened, when, in plain words.

use std::collections::VecDeque;

use jiff::Timestamp;

const CAPACITY: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Info,
    Load,
    Unload,
    Pin,
    Evict,
    Connect,
    Error,
}

impl LogKind {
    /// A symbol so the log reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            LogKind::Info => "·",
            LogKind::Load => "↑",
            LogKind::Unload => "↓",
            LogKind::Pin => "★",
            LogKind::Evict => "✕",
            LogKind::Connect => "⇄",
            LogKind::Error => "!",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: Timestamp,
    pub kind: LogKind,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
}

impl EventLog {
    /// `text` may hold server text: it is cleaned here, once.
    pub fn push(&mut self, at: Timestamp, kind: LogKind, text: impl AsRef<str>) {
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            at,
            kind,
            text: crate::sanitize::clean(text.as_ref()),
        });
    }

    /// Newest first.
    pub fn recent(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().rev()
    }

    /// Newest first, only those whose text holds `filter` (any case).
    pub fn matching<'a>(&'a self, filter: &'a str) -> impl Iterator<Item = &'a LogEntry> + 'a {
        let needle = filter.to_lowercase();
        self.recent()
            .filter(move |e| needle.is_empty() || e.text.to_lowercase().contains(&needle))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
