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
    /// The event log, scrolled with the move keys.
    Log,
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

    /// Whether this key's natural order is ascending (A→Z); sizes, dates and fit go
    /// largest, newest, best first.
    pub fn ascending(self) -> bool {
        self == SortKey::Name
    }

    /// ▲ ascending, ▼ descending, as the table runs now.
    pub fn arrow(self, reversed: bool) -> &'static str {
        if self.ascending() != reversed {
            "▲"
        } else {
            "▼"
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

/// Names one operation from start to end, so its progress and its answer find it
/// however many run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u64);

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
    /// Downloads a model (`/api/pull`), streaming progress.
    Pull,
    /// Deletes a model from disk, unloading it first when it is loaded.
    Delete,
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
            OpKind::Pull => "pulling",
            OpKind::Delete => "deleting",
        }
    }

    /// Started by the keeper, not by a key.
    pub fn is_keepers(self) -> bool {
        matches!(self, OpKind::Repin | OpKind::Reload)
    }

    /// Sends a load request (generate or embed): the model arrives in `/api/ps`.
    pub fn loads(self) -> bool {
        matches!(
            self,
            OpKind::Load | OpKind::Pin | OpKind::Unpin | OpKind::Repin | OpKind::Reload
        )
    }
}

/// An operation that has started and not ended yet. Its lifecycle: started (it is
/// in `State::ops`), progress (`Msg::OpProgress`), then done or failed
/// (`Msg::OpDone`) or cancelled by the user (removed here; its late answer finds
/// no op and is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub id: OpId,
    pub kind: OpKind,
    pub model: String,
    pub started: Timestamp,
    /// The model was in `/api/ps` when the op started (a pin then loads nothing).
    pub was_loaded: bool,
    /// The keep-alive a load sent; `None`: none, the server chose.
    pub keep_alive: Option<crate::duration::KeepAlive>,
    /// What a pull has fetched so far, layer by layer.
    pub pull: Option<super::pull::PullProgress>,
    /// Side notes the runtime sent on the way ("unloaded first").
    pub notes: Vec<String>,
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

/// What a "y" to a question does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Load (or pin) although Ollama evicts models for it or it does not fit.
    Load {
        model: String,
        pin: bool,
        keep_alive: Option<crate::duration::KeepAlive>,
    },
    /// Delete from disk (unpinned and unloaded first).
    Delete { model: String },
    /// Unload every loaded model, unpinning the pinned ones.
    UnloadAll,
}

/// A question the user must answer before something costly happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub text: String,
    pub on_yes: Confirmed,
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
