//! What the keeper did, in plain words, for the dashboard's event log and memory chart
//! and for the headless driver's stderr.

use jiff::Timestamp;

/// The kind of thing that happened, so the UI can mark it (e.g. on the memory chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeeperEventKind {
    /// A pin's keep-alive, reset by another client, was set back to forever.
    Repinned,
    /// A pinned model that dropped out was loaded again.
    Reloaded,
    /// A pinned model is missing and does not fit now.
    WaitingForMemory,
    /// A pinned model is not installed on the server.
    NotInstalled,
    /// A request failed; the keeper backs off.
    Failed,
    /// Ollama refused the pin for good; not tried again until the model changes.
    CannotLoad,
    /// A cloud model is pinned: nothing is sent for it.
    Remote,
    /// `/api/ps` failed: the keeper sends nothing until it answers again.
    ServerDown,
    ServerBack,
    /// The headless driver started, or read a changed pin list from the config file.
    PinsChanged,
    /// The config file changed but does not parse: the previous pins stay.
    ConfigBroken,
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
