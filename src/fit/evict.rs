//! Who Ollama evicts next, and the configured keep-alive each loaded model has.
//!
//! `findRunnerToUnload` sorts runners with `ByDurationAndName` (server/sched.go,
//! v0.2.0 – v0.33): the configured `sessionDuration` ascending (forever is
//! `MaxInt64`, so last), ties by model path (the weights blob), then takes the first
//! idle one. The configured keep-alive is not in `/api/ps`; it is exact for our own
//! requests and inferred from `expires_at` otherwise: when `expires_at` moves on,
//! a request has just ended and `expires_at − now` is the keep-alive.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::schedule::Resident;
use crate::duration::KeepAlive;
use crate::names::normalize;
use crate::ollama::{Expiry, RunningModel};

/// `OLLAMA_KEEP_ALIVE`'s default (`envconfig.KeepAlive`): what a load without
/// `keep_alive` gets when the server's setting is not known.
pub const OLLAMA_KEEP_ALIVE: KeepAlive = KeepAlive::For(Duration::from_secs(300));

/// `expires_at` jumps of less than this are clock noise, not a new request.
const JUMP: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    keep_alive: KeepAlive,
    /// From our own request, or from an `expires_at` that moved on.
    exact: bool,
    last_expiry: Option<Timestamp>,
}

/// What we know of each loaded model's configured keep-alive, by digest and name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeepAliveBook {
    seen: HashMap<String, Seen>,
}

impl KeepAliveBook {
    /// We sent `keep_alive` for `name` (None: the server's default applies, which is
    /// `server_default` when known).
    pub fn requested(
        &mut self,
        name: &str,
        keep_alive: Option<KeepAlive>,
        server_default: Option<KeepAlive>,
    ) {
        let key = normalize(name);
        match keep_alive.or(server_default) {
            Some(k) => {
                self.seen.insert(
                    key,
                    Seen {
                        keep_alive: k,
                        exact: true,
                        last_expiry: None,
                    },
                );
            }
            None => {
                self.seen.remove(&key);
            }
        }
    }

    /// Takes in a `/api/ps` reply: new models get a first-seen guess, models whose
    /// `expires_at` moved on get `expires_at − now`; models gone are forgotten.
    pub fn observe(&mut self, running: &[RunningModel], now: Timestamp) {
        let mut next = HashMap::new();
        for r in running {
            let key = normalize(&r.name);
            let before = self.seen.get(&key).copied();
            if let Some(seen) = observe_one(before, r, now) {
                next.insert(key, seen);
            }
        }
        self.seen = next;
    }

    /// The configured keep-alive of `r`, or `None` when it cannot be told.
    pub fn configured(&self, r: &RunningModel, now: Timestamp) -> Option<KeepAlive> {
        match self.seen.get(&normalize(&r.name)) {
            Some(s) => Some(s.keep_alive),
            None => observe_one(None, r, now).map(|s| s.keep_alive),
        }
    }

    /// Whether the keep-alive of `r` is known exactly.
    pub fn exact(&self, r: &RunningModel) -> bool {
        self.seen.get(&normalize(&r.name)).is_some_and(|s| s.exact)
    }
}

fn observe_one(before: Option<Seen>, r: &RunningModel, now: Timestamp) -> Option<Seen> {
    let expiry = r.expires_at?;
    if matches!(r.expiry(now), Expiry::Forever) {
        return Some(Seen {
            keep_alive: KeepAlive::Forever,
            exact: true,
            last_expiry: Some(expiry),
        });
    }
    let left = || {
        let secs = expiry.duration_since(now).as_secs_f64().max(0.0);
        KeepAlive::For(Duration::from_secs(secs.round() as u64))
    };
    match before {
        // Our own request: keep its value until the server says otherwise.
        Some(s) if s.last_expiry.is_none() => Some(Seen {
            last_expiry: Some(expiry),
            ..s
        }),
        Some(s) => {
            let moved = s
                .last_expiry
                .is_some_and(|t| expiry.duration_since(t).as_secs_f64() > JUMP.as_secs_f64());
            if moved {
                Some(Seen {
                    keep_alive: left(),
                    exact: true,
                    last_expiry: Some(expiry),
                })
            } else {
                Some(Seen {
                    last_expiry: Some(expiry),
                    ..s
                })
            }
        }
        None => Some(Seen {
            keep_alive: left(),
            exact: false,
            last_expiry: Some(expiry),
        }),
    }
}

/// Sort key of `ByDurationAndName`: nanoseconds as Go's `uint64(sessionDuration)`.
fn duration_key(k: Option<KeepAlive>, default: KeepAlive) -> u128 {
    match k.unwrap_or(default) {
        KeepAlive::Forever => i64::MAX as u128,
        KeepAlive::For(d) => d.as_nanos().min(i64::MAX as u128),
    }
}

/// The loaded models in the order Ollama evicts them. `path` gives a model's
/// weights blob where `/api/show` told it (the tie-break); else its name stands in.
pub fn eviction_order(
    running: &[RunningModel],
    book: &KeepAliveBook,
    path: impl Fn(&RunningModel) -> Option<String>,
    default: KeepAlive,
    now: Timestamp,
) -> Vec<Resident> {
    let mut keyed: Vec<(u128, Option<String>, &RunningModel)> = running
        .iter()
        .map(|r| (duration_key(book.configured(r, now), default), path(r), r))
        .collect();
    let tie =
        |w: &Option<String>, r: &RunningModel| w.clone().unwrap_or_else(|| normalize(&r.name));
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| tie(&a.1, a.2).cmp(&tie(&b.1, b.2)))
    });
    keyed
        .into_iter()
        .map(|(_, weights, r)| Resident {
            name: r.name.clone(),
            size: r.size,
            size_vram: r.vram(),
            weights,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn run(name: &str, expires: &str) -> RunningModel {
        RunningModel {
            name: name.into(),
            size: 1,
            expires_at: Some(at(expires)),
            ..RunningModel::default()
        }
    }

    const FIVE_MIN: KeepAlive = KeepAlive::For(Duration::from_secs(300));

    #[test]
    fn shortest_configured_keep_alive_goes_first_not_least_time_left() {
        // ByDurationAndName (sched.go): a 10m model with 1 minute left stays behind a
        // 5m model with 4 minutes left.
        let now = at("2026-01-01T00:00:00Z");
        let mut book = KeepAliveBook::default();
        book.requested(
            "long:latest",
            Some(KeepAlive::For(Duration::from_secs(600))),
            None,
        );
        book.requested("short:latest", Some(FIVE_MIN), None);
        book.requested("pin:latest", Some(KeepAlive::Forever), None);
        let running = [
            run("long:latest", "2026-01-01T00:01:00Z"),
            run("short:latest", "2026-01-01T00:04:00Z"),
            run("pin:latest", "2318-01-01T00:00:00Z"),
        ];
        book.observe(&running, now);
        let order = eviction_order(&running, &book, |_| None, FIVE_MIN, now);
        let names: Vec<&str> = order.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["short:latest", "long:latest", "pin:latest"]);
    }

    #[test]
    fn ties_go_by_weights_path_then_name() {
        let now = at("2026-01-01T00:00:00Z");
        let book = KeepAliveBook::default();
        let running = [
            run("a:latest", "2026-01-01T00:05:00Z"),
            run("b:latest", "2026-01-01T00:05:00Z"),
        ];
        let path = |r: &RunningModel| {
            Some(
                if r.name.starts_with('a') {
                    "sha256-ff"
                } else {
                    "sha256-00"
                }
                .to_string(),
            )
        };
        let order = eviction_order(&running, &book, path, FIVE_MIN, now);
        assert_eq!(order[0].name, "b:latest");
        let by_name = eviction_order(&running, &book, |_| None, FIVE_MIN, now);
        assert_eq!(by_name[0].name, "a:latest");
    }

    #[test]
    fn keep_alive_is_inferred_from_expires_at_and_refined_when_it_moves() {
        let mut book = KeepAliveBook::default();
        let t0 = at("2026-01-01T00:00:00Z");
        // First seen with 3 minutes left: a guess of 3 minutes, not exact.
        let first = [run("x:latest", "2026-01-01T00:03:00Z")];
        book.observe(&first, t0);
        assert_eq!(
            book.configured(&first[0], t0),
            Some(KeepAlive::For(Duration::from_secs(180)))
        );
        assert!(!book.exact(&first[0]));
        // A request ends at t1 and expires_at jumps to t1 + 10m: that is the keep-alive.
        let t1 = at("2026-01-01T00:02:00Z");
        let later = [run("x:latest", "2026-01-01T00:12:00Z")];
        book.observe(&later, t1);
        assert_eq!(
            book.configured(&later[0], t1),
            Some(KeepAlive::For(Duration::from_secs(600)))
        );
        assert!(book.exact(&later[0]));
        // Forever is forever.
        let pinned = [run("x:latest", "2318-01-01T00:00:00Z")];
        book.observe(&pinned, t1);
        assert_eq!(book.configured(&pinned[0], t1), Some(KeepAlive::Forever));
        // Gone models are forgotten.
        book.observe(&[], t1);
        assert!(!book.exact(&pinned[0]));
    }

    #[test]
    fn our_own_request_is_exact_until_the_server_moves_it() {
        let mut book = KeepAliveBook::default();
        let t0 = at("2026-01-01T00:00:00Z");
        book.requested("x", Some(KeepAlive::For(Duration::from_secs(1800))), None);
        let r = [run("x:latest", "2026-01-01T00:29:58Z")];
        book.observe(&r, t0);
        assert_eq!(
            book.configured(&r[0], t0),
            Some(KeepAlive::For(Duration::from_secs(1800)))
        );
        assert!(book.exact(&r[0]));
    }
}
