//! The keeper: a pure state machine that decides when a pin must be re-applied. It
//! does no I/O: feed it `/api/ps` results and request outcomes, run the actions it
//! returns, and show its statuses and events.

use jiff::{SignedDuration, Timestamp};

use super::event::{KeeperEvent, KeeperEventKind as Kind};
use crate::aliases::Aliases;
use crate::format::{countdown, gb};
use crate::kind::cloud_name;
use crate::names::same_model;
use crate::ollama::{OllamaError, RunningModel};
use crate::sanitize::clean;

/// First retry delay after a failure; doubles per failure up to `BACKOFF_CAP_SECS`.
pub const BACKOFF_FIRST_SECS: i64 = 2;
pub const BACKOFF_CAP_SECS: i64 = 60;
/// A pinned model that drops out this soon after we reloaded it was pushed out by
/// something else that needs the memory: reloading at once would ping-pong.
pub const RELOAD_GRACE_SECS: i64 = 60;

/// A request the caller must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeeperAction {
    /// Loaded but no longer kept forever: send keep_alive -1 again, with the
    /// runner's `context_length` as `num_ctx` so Ollama does not reload it under
    /// the default keep-alive (`needsReload`, `ollama-api.md` §9.4).
    Repin { model: String, num_ctx: Option<u64> },
    /// Not loaded: load with keep_alive -1.
    Reload { model: String },
}

impl KeeperAction {
    pub fn model(&self) -> &str {
        match self {
            KeeperAction::Repin { model, .. } | KeeperAction::Reload { model } => model,
        }
    }

    /// What to send for a model of this kind; a reload takes `default_ctx` (the
    /// config's `num_ctx`), a re-pin the loaded runner's context.
    pub fn spec(&self, embedding: bool, default_ctx: Option<u64>) -> crate::ollama::LoadSpec {
        let num_ctx = match self {
            KeeperAction::Repin { num_ctx, .. } => num_ctx.or(default_ctx),
            KeeperAction::Reload { .. } => default_ctx,
        };
        crate::ollama::LoadSpec::pin(embedding, num_ctx)
    }
}

/// Where a pinned model stands, for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// Not seen in `/api/ps` yet.
    Pending,
    /// Loaded and kept forever.
    Held,
    /// Another client reset its keep-alive; -1 is being sent again.
    Repinning,
    /// It dropped out (restart, eviction); loading it again.
    Reloading,
    /// Missing and does not fit now; retried when memory frees. Zero figures mean the
    /// caller did not say.
    WaitingForMemory { need: u64, free: u64 },
    /// Not installed on the server: nothing is sent until it is.
    NotInstalled,
    /// A request failed; the next one waits until `until`.
    Backoff { until: Timestamp, attempts: u32 },
    /// Ollama refused it for good ("does not support …", incompatible, 404,
    /// 401/403): not tried again until the installed model changes or it is
    /// pinned again.
    CannotLoad { reason: String },
    /// A cloud model: it runs remotely, there is nothing to keep loaded.
    Remote,
}

impl PinStatus {
    /// A short label for a table cell.
    pub fn label(&self, now: Timestamp) -> String {
        match self {
            PinStatus::Pending => "pinned".into(),
            PinStatus::Held => "held".into(),
            PinStatus::Repinning => "re-pinning".into(),
            PinStatus::Reloading => "reloading".into(),
            PinStatus::WaitingForMemory { .. } => "pinned — waiting for room".into(),
            PinStatus::NotInstalled => "pinned — not installed".into(),
            PinStatus::CannotLoad { reason } => format!("pin cannot load: {reason}"),
            PinStatus::Remote => "pinned — runs remotely".into(),
            PinStatus::Backoff { until, .. } => {
                let secs = until.duration_since(now).as_secs().max(0);
                format!(
                    "retry in {}",
                    countdown(std::time::Duration::from_secs(secs.unsigned_abs()))
                )
            }
        }
    }
}

/// Whether a missing pinned model can be loaded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Room {
    Fits,
    Short {
        need: u64,
        free: u64,
    },
    /// Loading it now would make Ollama evict these loaded models.
    WouldEvict(Vec<String>),
    NotInstalled,
    /// A cloud model: never loaded here.
    Remote,
}

impl From<bool> for Room {
    fn from(fits: bool) -> Room {
        if fits {
            Room::Fits
        } else {
            Room::Short { need: 0, free: 0 }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Waiting,
    NotInstalled,
    Remote,
}

#[derive(Debug, Clone)]
struct InFlight {
    repin: bool,
    since: Timestamp,
    /// The expiry that made us re-pin, with a sentence about it.
    trigger: Option<Timestamp>,
    reason: String,
}

#[derive(Debug, Clone)]
struct Pin {
    name: String,
    status: PinStatus,
    in_flight: Option<InFlight>,
    failures: u32,
    retry_at: Option<Timestamp>,
    last_error_was_connection: bool,
    /// The expiry seen when a re-pin succeeded. While a request of another client
    /// runs, Ollama keeps showing the old expiry although -1 is already set, so the
    /// same value again is not a new reset.
    stale_expiry: Option<Timestamp>,
    reloaded_at: Option<Timestamp>,
    reported: Option<Reported>,
    /// Refused for good while the installed model had this digest ("" unknown).
    blocked: Option<String>,
}

impl Pin {
    fn new(name: String) -> Pin {
        Pin {
            name,
            status: PinStatus::Pending,
            in_flight: None,
            failures: 0,
            retry_at: None,
            last_error_was_connection: false,
            stale_expiry: None,
            reloaded_at: None,
            reported: None,
            blocked: None,
        }
    }

    fn backing_off(&self, now: Timestamp) -> bool {
        self.retry_at.is_some_and(|t| now < t)
    }
}

/// Keeps pinned models loaded. See the module docs for the rules.
#[derive(Debug, Clone)]
pub struct Keeper {
    pins: Vec<Pin>,
    server_up: Option<bool>,
    events: Vec<KeeperEvent>,
    /// Which runner serves which pin: by name, digest or weights blob.
    aliases: Aliases,
    /// Names `/api/ps` listed last time (normalised), to tell why a pin is gone.
    last_running: Vec<String>,
}

/// Why a pinned model is no longer loaded, as far as two polls tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gone {
    /// Every model went at once, or the server did not answer in between.
    Restart,
    /// Another model came in as it went.
    Evicted,
    /// It went and nothing came in: another client unloaded it, or it expired.
    Unloaded,
    /// It was not loaded the last time either.
    NotLoaded,
}

impl Gone {
    pub(super) fn reason(self) -> &'static str {
        match self {
            Gone::Restart => "Ollama restarted",
            Gone::Evicted => "it was evicted",
            Gone::Unloaded => "it was unloaded",
            Gone::NotLoaded => "it was not loaded",
        }
    }
}

fn after(now: Timestamp, secs: i64) -> Timestamp {
    now.checked_add(SignedDuration::from_secs(secs))
        .unwrap_or(now)
}

/// 2 s, 4 s, 8 s, … capped at 60 s.
pub fn backoff_secs(failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(10);
    (BACKOFF_FIRST_SECS << doublings).min(BACKOFF_CAP_SECS)
}

impl Keeper {
    pub fn new<S: AsRef<str>>(pins: impl IntoIterator<Item = S>, _now: Timestamp) -> Keeper {
        let mut keeper = Keeper {
            pins: Vec::new(),
            server_up: None,
            events: Vec::new(),
            aliases: Aliases::default(),
            last_running: Vec::new(),
        };
        keeper.set_pins(pins);
        keeper
    }

    /// Replaces the pin list: pins that stay keep their state, new ones start
    /// `Pending`, dropped ones are forgotten (a late result for them is ignored).
    pub fn set_pins<S: AsRef<str>>(&mut self, pins: impl IntoIterator<Item = S>) {
        let mut next: Vec<Pin> = Vec::new();
        for name in pins {
            let name = name.as_ref().trim();
            if name.is_empty() || next.iter().any(|p| same_model(&p.name, name)) {
                continue;
            }
            let kept = self
                .pins
                .iter()
                .position(|p| same_model(&p.name, name))
                .map(|i| self.pins.swap_remove(i));
            next.push(kept.unwrap_or_else(|| Pin::new(name.to_string())));
        }
        self.pins = next;
    }

    /// What is installed: a pin loaded under an alias is held, not missing, and a
    /// pin Ollama refused for good is tried again once its digest changes.
    pub fn set_aliases(&mut self, aliases: Aliases) {
        self.aliases = aliases;
        for pin in &mut self.pins {
            let now = self.aliases.digest(&pin.name).unwrap_or_default();
            if pin.blocked.as_deref().is_some_and(|d| d != now) {
                pin.blocked = None;
                pin.failures = 0;
                pin.retry_at = None;
                pin.status = PinStatus::Pending;
            }
        }
    }

    pub fn pins(&self) -> impl Iterator<Item = &str> {
        self.pins.iter().map(|p| p.name.as_str())
    }

    pub fn is_pinned(&self, model: &str) -> bool {
        self.find(model).is_some()
    }

    pub fn status(&self, model: &str) -> Option<&PinStatus> {
        self.find(model).map(|i| &self.pins[i].status)
    }

    pub fn statuses(&self) -> impl Iterator<Item = (&str, &PinStatus)> {
        self.pins.iter().map(|p| (p.name.as_str(), &p.status))
    }

    /// `None` before the first poll; `Some(false)` after `/api/ps` failed.
    pub fn server_up(&self) -> Option<bool> {
        self.server_up
    }

    /// Events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<KeeperEvent> {
        std::mem::take(&mut self.events)
    }

    /// Pinned models absent from `running` with no request in flight: the ones the
    /// caller must judge with `room` before calling `on_ps`.
    pub fn missing(&self, running: &[RunningModel]) -> Vec<String> {
        self.pins
            .iter()
            .filter(|p| p.in_flight.is_none())
            .filter(|p| self.aliases.runner(&p.name, running).is_none())
            .map(|p| p.name.clone())
            .collect()
    }

    fn find(&self, model: &str) -> Option<usize> {
        self.pins.iter().position(|p| same_model(&p.name, model))
    }

    fn event(&mut self, at: Timestamp, model: Option<&str>, kind: Kind, message: String) {
        self.events.push(KeeperEvent {
            at,
            model: model.map(str::to_string),
            kind,
            message,
        });
    }

    /// `/api/ps` failed: the server is down or broken, so nothing is sent.
    pub fn on_ps_error(&mut self, now: Timestamp, error: &OllamaError) {
        if self.server_up != Some(false) {
            let msg = format!(
                "{} — pins will be re-applied when Ollama answers again",
                error.plain()
            );
            self.event(now, None, Kind::ServerDown, msg);
        }
        self.server_up = Some(false);
    }

    /// A successful `/api/ps`: returns the requests to send now. `room` is asked only
    /// about pinned models that are missing (see `missing`).
    pub fn on_ps<R: Into<Room>>(
        &mut self,
        now: Timestamp,
        running: &[RunningModel],
        room: impl Fn(&str) -> R,
    ) -> Vec<KeeperAction> {
        let was_down = self.server_up == Some(false);
        let before = std::mem::replace(
            &mut self.last_running,
            running
                .iter()
                .map(|r| crate::names::normalize(&r.name))
                .collect(),
        );
        let everything = !before.is_empty() && running.is_empty();
        let arrived = self.last_running.iter().any(|n| !before.contains(n));
        let gone = |name: &str| {
            if was_down || everything {
                Gone::Restart
            } else if !before.contains(&crate::names::normalize(name)) {
                Gone::NotLoaded
            } else if arrived {
                Gone::Evicted
            } else {
                Gone::Unloaded
            }
        };
        if self.server_up == Some(false) {
            self.event(now, None, Kind::ServerBack, "Ollama answers again".into());
            // Failures while it was down say nothing about the pins themselves.
            for pin in self.pins.iter_mut().filter(|p| p.last_error_was_connection) {
                pin.retry_at = None;
            }
        }
        self.server_up = Some(true);
        let mut actions = Vec::new();
        for i in 0..self.pins.len() {
            if self.pins[i].in_flight.is_some() {
                continue;
            }
            let name = &self.pins[i].name;
            let entry = self.aliases.runner(name, running);
            let action = match entry {
                Some(r) => self.judge_loaded(i, now, r),
                // A cloud name is never asked about: nothing may be sent for it.
                None if cloud_name(name) => {
                    self.judge_missing(i, now, Room::Remote, Gone::NotLoaded)
                }
                None => {
                    let why = gone(name);
                    let r = room(name).into();
                    self.judge_missing(i, now, r, why)
                }
            };
            actions.extend(action);
        }
        actions
    }
}

#[path = "keeper_rules.rs"]
mod rules;

#[cfg(test)]
#[path = "keeper_tests.rs"]
mod tests;
