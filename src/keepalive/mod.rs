//! Pins that hold. A pinned model is loaded with keep_alive -1, but that is a
//! priority, not a lock: another client can send its own keep_alive, an Ollama
//! restart drops every model, and eviction can push a pin out. The [`Keeper`] watches
//! `/api/ps` and puts pins back, without ever hammering the server:
//!
//! - one request in flight per model, and no request for a model held forever;
//! - reset by another client → re-pin at once (one `keep_alive: -1` request);
//! - missing and fits → reload; missing and does not fit → wait, silently, until it
//!   fits; not installed → reported once, never requested;
//! - a failure → backoff 2 s, 4 s, … 60 s; a model pushed out again soon after a
//!   reload counts as a failure (no ping-pong with another model);
//! - `/api/ps` failing → no requests at all until it answers again.

mod driver;
mod event;
mod keeper;
mod room;
mod watch;

pub use driver::{DOWN_POLL_CAP, log_event, run_keeper, run_keeper_with, shutdown_signal};

pub use event::{KeeperEvent, KeeperEventKind};
pub use keeper::{
    BACKOFF_CAP_SECS, BACKOFF_FIRST_SECS, Keeper, KeeperAction, PinStatus, RELOAD_GRACE_SECS, Room,
    backoff_secs,
};
pub use room::{RoomJudge, room_for};
