//! What the keeper did, in plain words, for the dashboard's event log and memory chart
//! and for the headless driver's stderr.

use jiff::Timestamp;

/// The kind of thing that happened, so the UI can mark it (e.g. on the memory chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeeperEventKind {
    /// A pin's keep-alive was reset by another client; re-pinning.
    Repinning,
    Repinned,
    /// A pinned model dropped out of memory; loading it again.
    Reloading,
    Reloaded,
    /// A pinned model is missing and does not fit now.
    WaitingForMemory,
    /// A pinned model is not installed on the server.
    NotInstalled,
    /// A request failed; the keeper backs off.
    Failed,
    /// `/api/ps` failed: the keeper sends nothing until it answers again.
    ServerDown,
    ServerBack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperEvent {
    pub at: Timestamp,
    /// The model concerned, as written in the pin list.
    pub model: Option<String>,
    pub kind: KeeperEventKind,
    /// One plain sentence; server text in it has been cleaned.
    pub message: String,
}

/// `4m58s`, `12s`, `1h5m`: short, for messages.
pub fn short_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// Decimal gigabytes as Ollama prints them: `42 GB`, `4.7 GB`, `0.3 GB`.
pub fn gigabytes(bytes: u64) -> String {
    let gb = bytes as f64 / 1e9;
    if gb >= 10.0 {
        format!("{} GB", gb.trunc())
    } else {
        format!("{:.1} GB", (gb * 10.0).trunc() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(short_duration(298), "4m58s");
        assert_eq!(short_duration(300), "5m");
        assert_eq!(short_duration(12), "12s");
        assert_eq!(short_duration(3900), "1h5m");
        assert_eq!(short_duration(-3), "0s");
        assert_eq!(gigabytes(42_400_000_000), "42 GB");
        assert_eq!(gigabytes(4_730_000_000), "4.7 GB");
        assert_eq!(gigabytes(12_000_000_000), "12 GB");
    }
}
