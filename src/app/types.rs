//! The pieces `State` is made of: connection, focus, sort order, what `/api/show`
//! said, derived rows, operations in flight, questions and notices.

use std::collections::HashSet;

use jiff::Timestamp;

use crate::fit::{Need, Verdict};
use crate::ollama::{Architecture, ShowResponse};

/// Where the connection to Ollama stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// First contact not answered yet.
    Connecting,
    Connected,
    /// The server accepted the connection but did not answer in time.
    Slow {
        error: String,
    },
    /// Nothing answers; the next try is at `retry_at`.
    Unreachable {
        error: String,
        retry_at: Timestamp,
        attempt: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Models,
    Loaded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Size,
    Need,
    Modified,
    Fit,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Size,
            SortKey::Size => SortKey::Need,
            SortKey::Need => SortKey::Modified,
            SortKey::Modified => SortKey::Fit,
            SortKey::Fit => SortKey::Name,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Need => "need",
            SortKey::Modified => "modified",
            SortKey::Fit => "fit",
        }
    }
}

/// What `/api/show` told us about one model, kept by digest.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowInfo {
    pub arch: Architecture,
    pub capabilities: Vec<String>,
    pub family: String,
    pub parameter_size: String,
    pub quantization: String,
}

impl ShowInfo {
    pub fn from_response(r: &ShowResponse) -> ShowInfo {
        ShowInfo {
            arch: r.architecture(),
            capabilities: r.capabilities.clone(),
            family: r.details.family.clone(),
            parameter_size: r.details.parameter_size.clone(),
            quantization: r.details.quantization_level.clone(),
        }
    }
}

/// Derived per installed model (same index as `State::models`).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub need: Need,
    pub verdict: Verdict,
    pub pinned: bool,
    pub loaded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Load,
    Pin,
    Unpin,
    Unload,
    /// The keeper re-applies keep_alive -1 that another client reset.
    Repin,
    /// The keeper loads a pinned model that dropped out.
    Reload,
}

impl OpKind {
    pub fn verb(self) -> &'static str {
        match self {
            OpKind::Load => "loading",
            OpKind::Pin => "pinning",
            OpKind::Unpin => "unpinning",
            OpKind::Unload => "unloading",
            OpKind::Repin => "re-pinning",
            OpKind::Reload => "reloading",
        }
    }

    /// Started by the keeper, not by a key.
    pub fn is_keepers(self) -> bool {
        matches!(self, OpKind::Repin | OpKind::Reload)
    }
}

/// A load, pin or unload that has been sent and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub model: String,
    pub started: Timestamp,
    /// The model was in `/api/ps` when the op started (a pin then loads nothing).
    pub was_loaded: bool,
}

impl Op {
    /// What is being done, in words: a load of a model already loaded only resets
    /// its keep-alive.
    pub fn verb(&self) -> &'static str {
        match self.kind {
            OpKind::Load if self.was_loaded => "refreshing",
            kind => kind.verb(),
        }
    }
}

/// A question the user must answer before something costly happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub model: String,
    pub pin: bool,
    pub text: String,
}

/// The last outcome, shown in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// The poll whose failure this reports: the notice goes when it answers again.
    pub poll: Option<Poll>,
}

/// The requests the dashboard repeats on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Poll {
    Version,
    Tags,
    Ps,
}

/// Fetches in progress, so polls never overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InFlight {
    pub version: bool,
    pub tags: bool,
    pub ps: bool,
    /// Show keys (digest, else name) being fetched.
    pub shows: HashSet<String>,
}
