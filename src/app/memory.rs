//! Memory readings: into the history, into the verdicts, and onto the screen only
//! when something drawn changes at the precision it is drawn (RAM "used" moves by
//! kilobytes every second; the gauges show tenths of a gigabyte).

use std::hash::{DefaultHasher, Hash, Hasher};

use ratatui::layout::{Margin, Rect};

use super::derive;
use super::state::{Row, State};
use crate::fit::Verdict;
use crate::format::gb;
use crate::memory::{MemorySnapshot, Sample};
use crate::ui::layout::Areas;
use crate::ui::theme::Theme;

pub fn on_memory(state: &mut State, snapshot: MemorySnapshot) {
    let recovered = state.memory_error.take().is_some();
    if recovered {
        state.dirty = true;
    }
    let free_before = free_shown(state);
    state
        .history
        .push(Sample::from_snapshot(state.now, &snapshot));
    let moved = recovered
        || state.judged_memory.as_ref().is_none_or(|j| {
            judge_again(j, &snapshot, state.judged_at, state.now, state.models.len())
        });
    state.memory = Some(snapshot);
    // Unjudged, the rows and the pick are as drawn: only the free figures can move.
    let mut judged_anew = false;
    if moved {
        state.judged_memory = state.memory.clone();
        state.judged_at = Some(state.now);
        let best = state.best.clone();
        let rows = derive::refresh_keeping(state);
        judged_anew = state.best != best || !same_on_screen(&rows, &state.rows);
    }
    let pane = pane_digest(state);
    if pane != state.memory_drawn || judged_anew || free_shown(state) != free_before {
        state.memory_drawn = pane;
        state.dirty = true;
    }
}

/// Memory drift below which verdicts are not judged again.
const DRIFT: u64 = 8 << 20;

/// Drift that is judged at once however many models there are: a model loading
/// or a program starting beside Ollama.
const BIG_DRIFT: u64 = 256 << 20;

/// Judging 10,000 models a second for a few kilobytes of drift is wasted work:
/// verdicts are judged again when a figure moved by more than `DRIFT`; with many
/// models (judging 10,000 costs tens of milliseconds) small drift waits a second
/// per thousand models (at most 10 s) and only `BIG_DRIFT` is judged at once. A
/// load or unload is judged when `/api/ps` shows it, whatever the memory does.
fn judge_again(
    judged: &MemorySnapshot,
    now_read: &MemorySnapshot,
    judged_at: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
    models: usize,
) -> bool {
    if !moved(judged, now_read, DRIFT) {
        return false;
    }
    let wait_secs = (models / 1000).min(10) as i64;
    let waited = judged_at.is_none_or(|at| now.as_second() - at.as_second() >= wait_secs);
    waited || moved(judged, now_read, BIG_DRIFT)
}

fn moved(a: &MemorySnapshot, b: &MemorySnapshot, drift: u64) -> bool {
    let far = |x: u64, y: u64| x.abs_diff(y) > drift;
    far(a.ram_available, b.ram_available)
        || far(a.swap_used, b.swap_used)
        || a.gpus.len() != b.gpus.len()
        || a.gpus
            .iter()
            .zip(&b.gpus)
            .any(|(x, y)| far(x.free(), y.free()) || x.total != y.total)
}

/// The exporters failed: verdicts become unknown rather than judged on stale or
/// zero figures, and the pane says why. Logged once per new reason.
pub fn on_memory_failed(state: &mut State, why: String) {
    let why = crate::sanitize::clean(&why);
    if state.memory_error.as_deref() == Some(why.as_str()) {
        return;
    }
    state.log.push(
        state.now,
        super::log::LogKind::Error,
        format!("cannot read memory: {why}"),
    );
    state.memory_error = Some(why);
    derive::refresh(state);
    state.dirty = true;
}

/// Where the memory pane draws inside its border at the current size; kept in the
/// state because solving the layout costs more than the rest of a reading.
pub fn pane_area(state: &State) -> Rect {
    let screen = Rect::new(0, 0, state.size.0, state.size.1);
    Areas::new(screen).map_or(Rect::default(), |a| a.memory.inner(Margin::new(1, 1)))
}

/// A digest of the memory pane as it would be drawn now (gauges, chart columns and
/// marks), so a reading that moves nothing on screen costs no frame.
pub fn pane_digest(state: &State) -> u64 {
    let inner = state.memory_area;
    if inner.is_empty() {
        return 0;
    }
    let lines = crate::ui::memory::lines(state, inner, &Theme::new(state.color));
    let mut h = DefaultHasher::new();
    lines.hash(&mut h);
    h.finish()
}

/// The free RAM and VRAM figures as printed.
fn free_shown(state: &State) -> (String, String) {
    let vram = state.memory.as_ref().map_or(0, MemorySnapshot::vram_free);
    (gb(state.free_bytes()), gb(vram))
}

/// Whether each row's verdict reads the same, in the words and precision it is
/// printed (a shortfall moving by a few megabytes does not).
fn same_on_screen(before: &[Row], after: &[Row]) -> bool {
    before.len() == after.len()
        && before.iter().zip(after).all(|(a, b)| {
            derive::verdict_rank(&a.verdict) == derive::verdict_rank(&b.verdict)
                && match (&a.verdict, &b.verdict) {
                    (Verdict::NoFit { short_by: x }, Verdict::NoFit { short_by: y }) => {
                        x == y || gb(*x) == gb(*y)
                    }
                    (
                        Verdict::FitsIfUnloaded { unload: x, .. },
                        Verdict::FitsIfUnloaded { unload: y, .. },
                    ) => x == y,
                    _ => true,
                }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(ram_available_mib: u64) -> MemorySnapshot {
        MemorySnapshot {
            ram_total: 32 << 30,
            ram_available: ram_available_mib << 20,
            ..MemorySnapshot::default()
        }
    }

    fn at(s: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_700_000_000 + s).expect("valid")
    }

    #[test]
    fn small_drift_waits_longer_the_more_models_there_are() {
        let judged = reading(10_000);
        let t0 = Some(at(0));
        // A few MiB never count.
        assert!(!judge_again(&judged, &reading(10_004), t0, at(60), 16));
        // 10 MiB: at once with 16 models, after 10 s with 10,000.
        assert!(judge_again(&judged, &reading(10_010), t0, at(1), 16));
        assert!(!judge_again(&judged, &reading(10_010), t0, at(1), 10_000));
        assert!(!judge_again(&judged, &reading(10_010), t0, at(9), 10_000));
        assert!(judge_again(&judged, &reading(10_010), t0, at(10), 10_000));
        // A model's worth of memory is judged at once, whatever the count.
        assert!(judge_again(&judged, &reading(10_300), t0, at(1), 10_000));
    }
}
