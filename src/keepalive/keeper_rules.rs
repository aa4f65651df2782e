//! The keeper's transitions: what a poll means for one pin, and what a request's
//! outcome does to it.

use jiff::Timestamp;

use super::{
    InFlight, Keeper, KeeperAction, Kind, PinStatus, RELOAD_GRACE_SECS, Reported, Room, after,
    backoff_secs, clean, countdown, gb,
};
use crate::ollama::{Expiry, OllamaError, RunningModel};

impl Keeper {
    /// A pinned model that is loaded: held, or reset by another client.
    pub(super) fn judge_loaded(
        &mut self,
        i: usize,
        now: Timestamp,
        r: &RunningModel,
    ) -> Option<KeeperAction> {
        let pin = &mut self.pins[i];
        pin.reported = None;
        // Someone loaded it after all: whatever refused it before is gone.
        pin.blocked = None;
        let reason = match r.expiry(now) {
            // No expiry at all (very old servers): nothing to judge, leave it be.
            Expiry::Forever | Expiry::Unknown => {
                let settled = pin
                    .reloaded_at
                    .is_none_or(|t| now.duration_since(t).as_secs() >= RELOAD_GRACE_SECS);
                if settled {
                    pin.failures = 0;
                    pin.reloaded_at = None;
                }
                pin.retry_at = None;
                pin.stale_expiry = None;
                pin.status = PinStatus::Held;
                return None;
            }
            Expiry::At(t) => format!(
                "another client set its keep-alive; it would have unloaded in {}",
                secs_text(t.duration_since(now).as_secs())
            ),
            Expiry::Stopping => "it was being unloaded".to_string(),
        };
        if r.expires_at.is_some() && pin.stale_expiry == r.expires_at {
            // Already re-pinned; Ollama shows the new expiry once the running request ends.
            pin.status = PinStatus::Held;
            return None;
        }
        if pin.backing_off(now) {
            return None;
        }
        pin.status = PinStatus::Repinning;
        pin.in_flight = Some(InFlight {
            repin: true,
            since: now,
            trigger: r.expires_at,
            reason: reason.clone(),
        });
        // One line per event: the outcome (`on_result`) says what happened.
        Some(KeeperAction::Repin {
            model: pin.name.clone(),
            num_ctx: r.context_length,
        })
    }

    /// A pinned model that is not in memory: reload it, or wait.
    pub(super) fn judge_missing(
        &mut self,
        i: usize,
        now: Timestamp,
        room: Room,
        gone: super::Gone,
    ) -> Option<KeeperAction> {
        let name = self.pins[i].name.clone();
        let pin = &mut self.pins[i];
        pin.stale_expiry = None;
        if let Some(t) = pin.reloaded_at.take()
            && now.duration_since(t).as_secs() < RELOAD_GRACE_SECS
        {
            let secs = now.duration_since(t).as_secs();
            let when = if secs < 1 {
                "right".to_string()
            } else {
                secs_text(secs)
            };
            let msg = if gone == super::Gone::Restart {
                format!("Ollama restarted {when} after {name} was reloaded")
            } else {
                format!(
                    "{name} dropped out again {when} after it was reloaded (something else needs the memory)"
                )
            };
            self.fail(i, now, false, msg);
            return None;
        }
        let pin = &mut self.pins[i];
        if pin.backing_off(now) || pin.blocked.is_some() {
            return None;
        }
        match room {
            Room::Remote => {
                pin.status = PinStatus::Remote;
                if pin.reported != Some(Reported::Remote) {
                    pin.reported = Some(Reported::Remote);
                    let msg = format!(
                        "{}: nothing is sent",
                        crate::kind::cloud_refusal(&name, "keep loaded")
                    );
                    self.event(now, Some(&name), Kind::Remote, msg);
                }
                None
            }
            Room::NotInstalled => {
                pin.status = PinStatus::NotInstalled;
                if pin.reported != Some(Reported::NotInstalled) {
                    pin.reported = Some(Reported::NotInstalled);
                    let msg =
                        format!("{name} is pinned but not installed — run `ollama pull {name}`");
                    self.event(now, Some(&name), Kind::NotInstalled, msg);
                }
                None
            }
            Room::WouldEvict(victims) => {
                pin.status = PinStatus::WaitingForMemory { need: 0, free: 0 };
                if pin.reported != Some(Reported::Waiting) {
                    pin.reported = Some(Reported::Waiting);
                    let names: Vec<String> =
                        victims.iter().map(|v| crate::sanitize::clean(v)).collect();
                    let msg = format!(
                        "{name} pinned — waiting for room (loading it now would evict {})",
                        names.join(", ")
                    );
                    self.event(now, Some(&name), Kind::WaitingForMemory, msg);
                }
                None
            }
            Room::Short { need, free } => {
                pin.status = PinStatus::WaitingForMemory { need, free };
                if pin.reported != Some(Reported::Waiting) {
                    pin.reported = Some(Reported::Waiting);
                    let figures = if need > 0 {
                        format!(" (needs {}, {} free)", gb(need), gb(free))
                    } else {
                        String::new()
                    };
                    let msg = format!("{name} pinned — waiting for room{figures}");
                    self.event(now, Some(&name), Kind::WaitingForMemory, msg);
                }
                None
            }
            Room::Fits => {
                pin.reported = None;
                pin.status = PinStatus::Reloading;
                let reason = gone.reason().to_string();
                pin.in_flight = Some(InFlight {
                    repin: false,
                    since: now,
                    trigger: None,
                    reason,
                });
                Some(KeeperAction::Reload { model: name })
            }
        }
    }

    /// The outcome of a request the keeper asked for.
    pub fn on_result(&mut self, model: &str, now: Timestamp, result: Result<(), OllamaError>) {
        let Some(i) = self.find(model) else { return };
        let Some(flight) = self.pins[i].in_flight.take() else {
            return;
        };
        let name = self.pins[i].name.clone();
        let took = now.duration_since(flight.since).as_secs_f64();
        match result {
            Ok(()) => {
                let pin = &mut self.pins[i];
                pin.retry_at = None;
                pin.status = PinStatus::Held;
                let (kind, msg) = if flight.repin {
                    pin.stale_expiry = flight.trigger;
                    (
                        Kind::Repinned,
                        format!("re-pinned {name} ({})", flight.reason),
                    )
                } else {
                    pin.reloaded_at = Some(now);
                    let msg = format!("reloaded {name} in {took:.1}s ({})", flight.reason);
                    (Kind::Reloaded, msg)
                };
                self.event(now, Some(&name), kind, msg);
            }
            Err(e) if e.is_permanent() => self.cannot_load(i, now, &e),
            Err(e) => {
                let what = if flight.repin { "re-pin" } else { "reload" };
                let msg = format!("could not {what} {name}: {}", clean(&e.plain()));
                self.fail(i, now, e.is_connection(), msg);
            }
        }
    }

    /// Ollama refused the pin for good: stop asking until the installed model
    /// changes (a new digest, `set_aliases`), someone loads it, or it is pinned
    /// again (`set_pins` forgets the old pin).
    fn cannot_load(&mut self, i: usize, now: Timestamp, e: &OllamaError) {
        let digest = self.aliases.digest(&self.pins[i].name).unwrap_or_default();
        let pin = &mut self.pins[i];
        pin.blocked = Some(digest.to_string());
        pin.retry_at = None;
        let reason = clean(&e.plain());
        pin.status = if e.is_not_found() {
            PinStatus::NotInstalled
        } else {
            PinStatus::CannotLoad {
                reason: reason.clone(),
            }
        };
        let name = pin.name.clone();
        let msg = format!(
            "{name}: pin cannot load: {reason} — not tried again until the model changes or it is pinned again"
        );
        self.event(now, Some(&name), Kind::CannotLoad, msg);
    }

    /// Counts a failure and backs off: 2 s, 4 s, … up to the cap.
    fn fail(&mut self, i: usize, now: Timestamp, connection: bool, msg: String) {
        let pin = &mut self.pins[i];
        pin.failures = pin.failures.saturating_add(1);
        let wait = backoff_secs(pin.failures);
        let until = after(now, wait);
        pin.retry_at = Some(until);
        pin.last_error_was_connection = connection;
        pin.status = PinStatus::Backoff {
            until,
            attempts: pin.failures,
        };
        let name = pin.name.clone();
        let msg = format!("{msg} — next try in {}", secs_text(wait));
        self.event(now, Some(&name), Kind::Failed, msg);
    }
}

fn secs_text(secs: i64) -> String {
    countdown(std::time::Duration::from_secs(secs.max(0).unsigned_abs()))
}
