//! Everything the dashboard knows. Rendering is a pure function of this, including
//! the clock (`now`), so screens can be snapshot-tested.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::log::EventLog;
pub use super::modal::{Modal, Prompt, PromptKind};
pub use super::types::{
    Confirm, Confirmed, Connection, Focus, InFlight, Notice, Op, OpId, OpKind, Poll, Row, ShowInfo,
    SortKey,
};
use crate::config::Config;
use crate::keepalive::Keeper;
use crate::keymap::KeyMap;
use crate::memory::{MemoryHistory, MemorySnapshot};
use crate::names::same_model;
use crate::ollama::{ModelEntry, RunningModel};
use crate::sanitize::clean;
use crate::select::{NoPick, Pick, Task};

pub struct State {
    pub now: Timestamp,
    pub tz: TimeZone,
    pub config: Config,
    pub config_path: Option<PathBuf>,
    pub keymap: KeyMap,
    pub host_label: String,
    pub demo: bool,
    pub color: bool,
    /// Terminal size (columns, rows), from resize events.
    pub size: (u16, u16),
    pub conn: Connection,
    pub version: Option<String>,
    /// The server's band and settings: what the verdicts replay.
    pub server: crate::fit::Server,
    /// The server's settings as far as known (the config's mirror, else detected).
    pub server_settings: crate::fit::ServerSettings,
    /// Configured keep-alive of each loaded model, for Ollama's eviction order.
    pub book: crate::fit::KeepAliveBook,
    /// Needs seen in `/api/ps` before, per digest and context.
    pub learned: crate::fit::Learned,
    /// Why the memory of the machine Ollama runs on is unknown, when it is.
    pub memory_unknown: Option<String>,
    /// Why the last memory reading failed, while it does.
    pub memory_error: Option<String>,
    /// Whose memory the memory pane shows ("this machine", an exporter URL).
    pub memory_origin: String,
    pub models: Vec<ModelEntry>,
    pub tags_loaded: bool,
    pub running: Vec<RunningModel>,
    pub ps_loaded: bool,
    /// `/api/ps` is missing (Ollama older than 0.1.38): stop asking.
    pub ps_unsupported: bool,
    pub shows: HashMap<String, ShowInfo>,
    /// Show keys that failed for a reason other than the connection: not retried.
    pub show_failed: HashSet<String>,
    pub memory: Option<MemorySnapshot>,
    pub history: MemoryHistory,
    /// Digest of the memory pane as last drawn (`app::memory`).
    pub memory_drawn: u64,
    /// The memory pane inside its border at the current size (`app::memory`).
    pub memory_area: ratatui::layout::Rect,
    pub rows: Vec<Row>,
    /// Models whose details are still to be fetched, in the order to fetch them.
    pub show_queue: std::collections::VecDeque<usize>,
    /// The number of models `show_queue` was built for.
    pub show_queue_for: usize,
    /// Rows changed since the view and the best pick were last rebuilt
    /// (`derive::settle`).
    pub derive_pending: bool,
    /// The memory reading the verdicts were last judged with.
    pub judged_memory: Option<MemorySnapshot>,
    /// When the verdicts were last judged for a memory reading.
    pub judged_at: Option<Timestamp>,
    /// Names of the loaded models in Ollama's eviction order (next to go first).
    pub evict_order: Vec<String>,
    /// Indices into `models`, filtered and sorted: what the table shows.
    pub view: Vec<usize>,
    pub best: Option<Result<Pick, NoPick>>,
    pub selected: usize,
    pub scroll: usize,
    pub loaded_selected: usize,
    pub focus: Focus,
    pub filter: String,
    /// Shows only the events whose text holds it (a model's name, say).
    pub log_filter: String,
    /// Events scrolled past, newest first (0 shows the newest).
    pub log_scroll: usize,
    pub sort: SortKey,
    /// The sort runs the other way (`S`).
    pub sort_reversed: bool,
    pub task: Task,
    /// What takes the keys first (help, a question, a prompt, the filter line).
    pub modal: Option<Modal>,
    /// Operations started and not ended, oldest first.
    pub ops: Vec<Op>,
    /// The last operation id given out.
    pub next_op: u64,
    /// Normalised names we asked to unload: their disappearance is not an eviction.
    pub expect_gone: HashSet<String>,
    /// Normalised names we just loaded: their appearance in ps is no news.
    pub expect_loaded: HashSet<String>,
    pub log: EventLog,
    /// Keeps pinned models loaded; its pins are `config.keep_alive_models`.
    pub keeper: Keeper,
    /// Which runner serves which installed model (by digest and weights blob).
    pub aliases: crate::aliases::Aliases,
    /// Normalised names whose load the user cancelled: unloaded if they arrive.
    pub cancelled: HashSet<String>,
    /// The pins the config file held when last read (`Msg::PinsInFile`).
    pub file_pins: Option<Vec<String>>,
    /// The connection dropped: models missing from the next `/api/ps` went with
    /// an Ollama restart, not one by one.
    pub restart_suspected: bool,
    pub notice: Option<Notice>,
    /// Polls whose last answer was an error (not a lost connection).
    pub failing: HashSet<Poll>,
    pub flight: InFlight,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    pub quit: bool,
}

impl State {
    pub fn new(config: Config, host_label: String, now: Timestamp) -> State {
        let (keymap, warnings) = KeyMap::with_overrides(&config.keys);
        let mut log = EventLog::default();
        // Said on the status line too: a binding that does not work is found now,
        // not when the key is pressed.
        let notice = warnings.first().map(|w| Notice {
            text: match warnings.len() {
                1 => clean(w),
                n => format!("{} (and {} more in Events)", clean(w), n - 1),
            },
            error: true,
            poll: None,
        });
        for w in warnings {
            log.push(now, super::log::LogKind::Error, w);
        }
        let keeper = Keeper::new(&config.keep_alive_models, now);
        let pins_of_file = config.keep_alive_models.clone();
        let settings = config.server.settings();
        State {
            now,
            tz: TimeZone::UTC,
            config,
            config_path: None,
            keymap,
            host_label,
            demo: false,
            color: true,
            size: (80, 24),
            conn: Connection::Connecting,
            version: None,
            server: crate::fit::Server::new(None, settings.clone()),
            server_settings: settings,
            book: crate::fit::KeepAliveBook::default(),
            learned: crate::fit::Learned::default(),
            memory_unknown: None,
            memory_error: None,
            memory_origin: "this machine".into(),
            models: Vec::new(),
            tags_loaded: false,
            running: Vec::new(),
            ps_loaded: false,
            ps_unsupported: false,
            shows: HashMap::new(),
            show_failed: HashSet::new(),
            memory: None,
            history: MemoryHistory::default(),
            memory_drawn: 0,
            memory_area: ratatui::layout::Rect::default(),
            rows: Vec::new(),
            evict_order: Vec::new(),
            derive_pending: false,
            show_queue: std::collections::VecDeque::new(),
            show_queue_for: 0,
            judged_memory: None,
            judged_at: None,
            view: Vec::new(),
            best: None,
            selected: 0,
            scroll: 0,
            loaded_selected: 0,
            focus: Focus::Models,
            filter: String::new(),
            log_filter: String::new(),
            log_scroll: 0,
            sort: SortKey::Name,
            sort_reversed: false,
            task: Task::General,
            modal: None,
            ops: Vec::new(),
            next_op: 0,
            expect_gone: HashSet::new(),
            expect_loaded: HashSet::new(),
            log,
            keeper,
            aliases: crate::aliases::Aliases::default(),
            cancelled: HashSet::new(),
            file_pins: Some(pins_of_file),
            restart_suspected: false,
            notice,
            failing: HashSet::new(),
            flight: InFlight::default(),
            dirty: true,
            quit: false,
        }
    }

    /// The key `/api/show` results are cached under: the digest, else the name.
    pub fn show_key(entry: &ModelEntry) -> String {
        if entry.digest.is_empty() {
            crate::names::normalize(&entry.name)
        } else {
            entry.digest.clone()
        }
    }

    /// `show_key(entry) == key`, without building the key (10,000 models are
    /// compared on every answer).
    pub fn has_show_key(entry: &ModelEntry, key: &str) -> bool {
        if entry.digest.is_empty() {
            crate::names::normalize(&entry.name) == key
        } else {
            entry.digest == key
        }
    }

    pub fn show_for(&self, entry: &ModelEntry) -> Option<&ShowInfo> {
        if entry.digest.is_empty() {
            self.shows.get(&State::show_key(entry))
        } else {
            self.shows.get(entry.digest.as_str())
        }
    }

    /// The model under the cursor in the installed table.
    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    pub fn selected_model(&self) -> Option<&ModelEntry> {
        self.selected_index().and_then(|i| self.models.get(i))
    }

    /// Loaded models in the order the pane lists them: next to be evicted first.
    pub fn loaded_order(&self) -> Vec<&RunningModel> {
        self.evict_order
            .iter()
            .filter_map(|n| self.running.iter().find(|r| &r.name == n))
            .collect()
    }

    /// The scene every verdict on screen is judged in.
    pub fn scene(&self) -> crate::fit::Scene<'_> {
        let weights = |r: &RunningModel| {
            // By digest first: it settles the lookup with cheap comparisons.
            let by_digest = || {
                let digest = Some(r.digest.as_str()).filter(|d| !d.is_empty())?;
                self.models.iter().find(|m| m.digest == digest)
            };
            let entry = by_digest()
                .or_else(|| self.models.iter().find(|m| same_model(&m.name, &r.name)))?;
            self.show_for(entry)?.arch.weights_blob.clone()
        };
        let unknown = self.memory_unknown.is_some() || self.memory_error.is_some();
        let memory = if unknown { None } else { self.memory.as_ref() };
        crate::fit::Scene::new(&self.server, memory, &self.running, &self.config)
            .with_learned(&self.learned)
            .order(&self.book, weights, self.now)
    }

    pub fn op(&self, id: OpId) -> Option<&Op> {
        self.ops.iter().find(|o| o.id == id)
    }

    /// How many events the events pane can show (those passing its filter).
    pub fn log_shown(&self) -> usize {
        self.log.matching(&self.log_filter).count()
    }

    /// Whether the filter line is being typed in (for the models or the events).
    pub fn filter_editing(&self, log: bool) -> bool {
        matches!(&self.modal, Some(Modal::Filter { log: l, .. }) if *l == log)
    }

    pub fn op_for(&self, model: &str) -> Option<&Op> {
        self.ops.iter().find(|o| same_model(&o.model, model))
    }

    /// The model the keys and the details pane follow: the row under the cursor of
    /// the focused pane.
    pub fn target(&self) -> Option<&str> {
        match self.focus {
            Focus::Models | Focus::Log => self.selected_model().map(|m| m.name.as_str()),
            Focus::Loaded => self
                .loaded_rows()
                .get(self.loaded_selected)
                .map(|r| r.model()),
        }
    }

    /// The installed model called `name` and what was derived for it.
    pub fn model_row(&self, name: &str) -> Option<(&ModelEntry, &Row)> {
        let i = self.models.iter().position(|m| same_model(&m.name, name))?;
        Some((self.models.get(i)?, self.rows.get(i)?))
    }

    /// Whether `/api/ps` lists `name` or a runner it shares (an alias).
    pub fn is_loaded(&self, name: &str) -> bool {
        self.runner_of(name).is_some()
    }

    /// The runner serving `name`, maybe listed under another name.
    pub fn runner_of(&self, name: &str) -> Option<&RunningModel> {
        self.aliases.runner(name, &self.running)
    }

    /// How `name` loads: generate, the embedding routes, or not at all (cloud).
    pub fn kind_of(&self, name: &str) -> crate::kind::Kind {
        let entry = self.models.iter().find(|m| same_model(&m.name, name));
        let show = entry.and_then(|e| self.show_for(e));
        let caps = show.map_or(&[][..], |s| s.capabilities.as_slice());
        crate::kind::Kind::of(name, entry, caps, show.map(|s| &s.arch))
    }

    /// Connected, yet the repeated requests all come back with errors.
    pub fn answers_with_errors(&self) -> bool {
        matches!(self.conn, Connection::Connected)
            && self.failing.contains(&Poll::Tags)
            && (self.failing.contains(&Poll::Ps) || self.ps_unsupported)
    }

    /// Puts `text` (which may hold server text) in the status line.
    pub fn notify(&mut self, text: impl AsRef<str>, error: bool) {
        self.notice = Some(Notice {
            text: clean(text.as_ref()),
            error,
            poll: None,
        });
        self.dirty = true;
    }

    /// Whether anything on screen changes by itself each second (countdowns,
    /// spinners, the retry countdown): only then does the clock tick run.
    pub fn needs_clock(&self) -> bool {
        if !self.ops.is_empty()
            || matches!(self.conn, Connection::Unreachable { .. })
            || super::keeper::ticking(self)
        {
            return true;
        }
        self.running.iter().any(|m| {
            matches!(
                m.expiry(self.now),
                crate::ollama::Expiry::At(_) | crate::ollama::Expiry::Stopping
            )
        })
    }

    /// Bytes free for a new model: available RAM plus free VRAM.
    pub fn free_bytes(&self) -> u64 {
        self.memory
            .as_ref()
            .map_or(0, |m| m.ram_available + m.vram_free())
    }
}
