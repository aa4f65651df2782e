//! Everything that happens (`Msg`) and everything `update` asks the runtime to do
//! (`Effect`). User intents are `keymap::Action`s, reached through `Msg::Key`.

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;

use crate::duration::KeepAlive;
use crate::memory::MemorySnapshot;
use crate::ollama::{LoadSpec, ModelEntry, OllamaError, RunningModel, ShowResponse};

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
    /// A load or pin (a load with keep-alive forever) or an unpin finished.
    /// `keep_alive` `None`: none was sent, the server chose.
    LoadDone {
        model: String,
        keep_alive: Option<KeepAlive>,
        reply: Reply<()>,
    },
    UnloadDone {
        model: String,
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
    /// A load, pin (keep-alive forever) or unpin, through the route its kind
    /// needs (`ollama::route`).
    Load {
        model: String,
        spec: LoadSpec,
    },
    /// Drop the load request in flight for `model` (the user cancelled it).
    CancelLoad {
        model: String,
    },
    Unload {
        model: String,
        embedding: bool,
    },
    /// Add (`pinned`) or remove `model` in the config file's `keep_alive_models`.
    SavePin {
        model: String,
        pinned: bool,
    },
    /// Write the learned needs to their file.
    SaveLearned(crate::fit::Learned),
    Quit,
}
