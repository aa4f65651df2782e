//! Everything that happens (`Msg`) and everything `update` asks the runtime to do
//! (`Effect`). User intents are `keymap::Action`s, reached through `Msg::Key`.

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;

use crate::memory::MemorySnapshot;
use crate::ollama::{LoadSpec, ModelEntry, OllamaError, PullEvent, RunningModel, ShowResponse};

pub use super::types::OpId;

pub type Reply<T> = Result<T, OllamaError>;

#[derive(Debug, Clone)]
pub enum Msg {
    /// The runtime's clock: sent before each batch and by the countdown tick.
    Clock(Timestamp),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Memory(MemorySnapshot),
    /// The memory of the machine Ollama runs on could not be read (an exporter failed).
    MemoryFailed(String),
    /// The `/api/ps` timer fired.
    PollPs,
    /// The `/api/tags` timer fired.
    PollTags,
    Version(Reply<String>),
    Tags(Reply<Vec<ModelEntry>>),
    Ps(Reply<Vec<RunningModel>>),
    Show {
        key: String,
        model: String,
        reply: Box<Reply<ShowResponse>>,
    },
    /// An operation is on its way (a pull's bytes, "unloaded first").
    OpProgress {
        id: OpId,
        event: OpEvent,
    },
    /// An operation ended: done, or failed with Ollama's error.
    OpDone {
        id: OpId,
        reply: Reply<()>,
    },
    /// The config file was (or was not) updated with a pin change; the error is
    /// `PinSaveError`'s message.
    PinsSaved(Result<(), String>),
    /// The config file changed on disk: its pins (or why it cannot be read). The
    /// file is the one source of pins for every running instance.
    PinsInFile(Result<Vec<String>, String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    FetchVersion,
    FetchTags,
    FetchPs,
    FetchShow {
        key: String,
        model: String,
    },
    /// Starts operation `id`; it reports with `Msg::OpProgress` and one `Msg::OpDone`.
    Start {
        id: OpId,
        request: Request,
    },
    /// Drops operation `id` (the user cancelled it): no answer comes back.
    Cancel {
        id: OpId,
    },
    /// Puts text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Add (`pinned`) or remove `model` in the config file's `keep_alive_models`.
    SavePin {
        model: String,
        pinned: bool,
    },
    /// Write the learned needs to their file.
    SaveLearned(crate::fit::Learned),
    Quit,
}

/// What an operation asks of Ollama.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A load, pin (keep-alive forever) or unpin, through the route its kind needs
    /// (`ollama::route`).
    Load {
        model: String,
        spec: LoadSpec,
    },
    Unload {
        model: String,
        embedding: bool,
    },
    /// `/api/pull`, streamed as `OpEvent::Pull`.
    Pull {
        model: String,
    },
    /// `/api/delete`, after an unload when `unload_first` names the route
    /// (`Some(embedding)`): the API leaves a loaded runner in memory, `ollama rm`
    /// unloads it first (`cmd/cmd.go` `DeleteHandler`).
    Delete {
        model: String,
        unload_first: Option<bool>,
    },
}

/// Progress of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpEvent {
    Pull(PullEvent),
    /// A step said in words, e.g. "could not unload it first: …".
    Note(String),
}
