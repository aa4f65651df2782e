//! Picking the best model for a task. Pure: no I/O.
//!
//! In the reasons, "free" is what the dashboard shows as free (available RAM + free
//! VRAM), and the RAM buffer is named beside the need, so the figures add up.

mod rank;

use std::cmp::Reverse;

use crate::config::Config;
use crate::fit::{self, Verdict};
use crate::format::gb;
use crate::memory::MemorySnapshot;
use crate::names::{self, same_model};
use crate::ollama::ModelEntry;
use crate::sanitize::clean;

pub use rank::{is_embedding, suits};

/// What the user wants a model for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Task {
    #[default]
    General,
    Code,
    Debug,
    Embedding,
}

impl Task {
    pub const ALL: [Task; 4] = [Task::General, Task::Code, Task::Debug, Task::Embedding];

    pub fn as_str(self) -> &'static str {
        match self {
            Task::General => "general",
            Task::Code => "code",
            Task::Debug => "debug",
            Task::Embedding => "embedding",
        }
    }

    /// The next task in the cycle (`t` in the dashboard).
    pub fn next(self) -> Task {
        match self {
            Task::General => Task::Code,
            Task::Code => Task::Debug,
            Task::Debug => Task::Embedding,
            Task::Embedding => Task::General,
        }
    }
}

impl std::str::FromStr for Task {
    type Err = String;
    fn from_str(s: &str) -> Result<Task, String> {
        match s.to_ascii_lowercase().as_str() {
            "general" | "chat" => Ok(Task::General),
            "code" | "code_generation" | "coding" => Ok(Task::Code),
            "debug" | "debugging" => Ok(Task::Debug),
            "embedding" | "embed" | "embeddings" => Ok(Task::Embedding),
            other => Err(format!(
                "unknown task {other:?}: use general, code, debug or embedding"
            )),
        }
    }
}

/// One installed model as the selector sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub entry: &'a ModelEntry,
    /// Bytes it needs (see `fit::Scene::judge`).
    pub need: u64,
    /// What Ollama will do if it is loaded now (see `fit::Scene::judge`).
    pub verdict: &'a Verdict,
    /// From `/api/show` (or `/api/tags` on ≥ 0.30); empty when unknown.
    pub capabilities: &'a [String],
}

/// The selector's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub model: String,
    /// `Loaded` or `Fits`: a pick never makes Ollama evict anything.
    pub verdict: Verdict,
    /// One line, e.g. "llama3.1:8b needs 6.1 GB, 3.9 GB free → phi3:mini".
    pub reason: String,
}

/// Nothing suitable fits; says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPick {
    pub reason: String,
    /// The most preferred model that fits once Ollama evicts loaded, unpinned
    /// models (its verdict is `FitsIfUnloaded`), when there is one.
    pub unload_for: Option<Pick>,
}

/// A suitable candidate with what the ranking needs.
struct Ranked<'c, 'a> {
    cand: &'c Candidate<'a>,
    tier: usize,
    size: u64,
    verdict: Verdict,
}

/// The seed's hierarchy: (1) a loaded suitable model wins; (2) code tasks prefer code
/// models, else general families in configured order; (3) what does not fit is
/// dropped; (4) fall back to a smaller quantization of the same model, then smaller
/// sizes of the same family, then smaller families.
///
/// Suitable candidates are ranked by (tier, parameter count ↓, file size ↓, name):
/// within a tier bigger models come first, and a smaller quantization (same
/// parameters, smaller file) comes right after its bigger sibling, so walking the
/// ranking to the first model that fits is exactly the fallback order. `pins` adds to
/// the config's pins: a model Ollama would evict a pin for is never picked.
///
/// A pick must also leave the RAM buffer free when it does not land wholly on the
/// GPU: Ollama knows nothing of the buffer, the selector keeps it for the user.
pub fn select_best_model(
    task: Task,
    models: &[Candidate<'_>],
    memory: &MemorySnapshot,
    pins: &[String],
    config: &Config,
) -> Result<Pick, NoPick> {
    let buffer = config.ram_buffer_bytes();
    let pinned = |n: &str| config.is_pinned(n) || pins.iter().any(|p| same_model(p, n));
    let general = rank::GeneralFamilies::new(&config.tasks);
    let mut ranked: Vec<Ranked<'_, '_>> = models
        .iter()
        .filter(|c| suits(task, c))
        .map(|c| Ranked {
            cand: c,
            tier: rank::tier(task, c, &config.tasks, &general),
            size: rank::size_rank(c),
            verdict: with_buffer(c, memory, buffer, &pinned),
        })
        .collect();
    ranked.sort_by_cached_key(|r| {
        let e = r.cand.entry;
        (
            r.tier,
            Reverse(r.size),
            Reverse(e.size),
            e.name.to_lowercase(),
        )
    });
    let room = room(memory, buffer);
    // (1) A loaded model wins, unless a model of a kind the task wants more fits
    // (a loaded chat model does not beat a code model that fits, for code).
    let class = |r: &Ranked<'_, '_>| rank::class(task, r.cand, &config.tasks);
    let wanted = ranked
        .iter()
        .filter(|r| r.verdict.fits_now())
        .map(class)
        .min();
    if let Some(r) = ranked
        .iter()
        .find(|r| r.verdict == Verdict::Loaded && Some(class(r)) == wanted)
    {
        let reason = format!("{} is already loaded", clean(&r.cand.entry.name));
        return Ok(pick(r, reason));
    }
    match ranked.iter().find(|r| r.verdict.fits_now()) {
        Some(r) => Ok(pick(r, fit_reason(task, &ranked[0], r, room))),
        None => Err(no_pick(task, &ranked, room)),
    }
}

/// The verdict as the selector uses it: a fit that eats into the buffer, or an
/// eviction of a pinned model, does not count as fitting.
fn with_buffer(
    c: &Candidate<'_>,
    memory: &MemorySnapshot,
    buffer: u64,
    pinned: &dyn Fn(&str) -> bool,
) -> Verdict {
    let free = memory.ram_available.saturating_add(memory.vram_free());
    match c.verdict {
        Verdict::Fits(l) if *l != fit::Landing::Gpu && c.need.saturating_add(buffer) > free => {
            Verdict::NoFit {
                short_by: c.need.saturating_add(buffer) - free,
            }
        }
        Verdict::FitsIfUnloaded { unload, .. } if unload.iter().any(|u| pinned(u)) => {
            Verdict::NoFit { short_by: 0 }
        }
        v => v.clone(),
    }
}

fn pick(r: &Ranked<'_, '_>, reason: String) -> Pick {
    Pick {
        model: r.cand.entry.name.clone(),
        verdict: r.verdict.clone(),
        reason,
    }
}

/// Memory as the reasons quote it: the same "free" the dashboard shows (available
/// RAM + free VRAM), with the buffer named separately so the figures add up.
#[derive(Clone, Copy)]
struct Room {
    free: u64,
    buffer: u64,
}

fn room(memory: &MemorySnapshot, buffer: u64) -> Room {
    Room {
        free: memory.ram_available.saturating_add(memory.vram_free()),
        buffer,
    }
}

/// "8.5 GB (+2.0 GB buffer), 6.0 GB free"
fn needs_vs_free(need: u64, room: Room) -> String {
    if room.buffer == 0 {
        format!("{}, {} free", gb(need), gb(room.free))
    } else {
        format!(
            "{} (+{} buffer), {} free",
            gb(need),
            gb(room.buffer),
            gb(room.free)
        )
    }
}

fn fit_reason(task: Task, top: &Ranked<'_, '_>, chosen: &Ranked<'_, '_>, room: Room) -> String {
    let name = clean(&chosen.cand.entry.name);
    if std::ptr::eq(top, chosen) {
        return format!(
            "best {} model that fits: {name} (needs {} of {} free)",
            task.as_str(),
            gb(chosen.cand.need),
            gb(room.free)
        );
    }
    let (t, c) = (top.cand.entry, chosen.cand.entry);
    let why = if names::base(&t.name).eq_ignore_ascii_case(names::base(&c.name))
        && top.size == chosen.size
    {
        "smaller quantization"
    } else if top.tier == chosen.tier {
        "smaller model"
    } else {
        "next preference"
    };
    format!(
        "{} needs {} → {name} ({why})",
        clean(&t.name),
        needs_vs_free(top.cand.need, room)
    )
}

fn no_pick(task: Task, ranked: &[Ranked<'_, '_>], room: Room) -> NoPick {
    let Some(smallest) = ranked
        .iter()
        .min_by_key(|r| (r.cand.need, r.cand.entry.name.as_str()))
    else {
        return NoPick {
            reason: format!("no installed model suits the {} task", task.as_str()),
            unload_for: None,
        };
    };
    let mut reason = format!(
        "nothing suitable fits: the smallest, {}, needs {}",
        clean(&smallest.cand.entry.name),
        needs_vs_free(smallest.cand.need, room)
    );
    let unload_for = ranked.iter().find_map(|r| match &r.verdict {
        Verdict::FitsIfUnloaded { unload, .. } => Some((r, unload)),
        _ => None,
    });
    let unload_for = unload_for.map(|(r, unload)| {
        let unload: Vec<String> = unload.iter().map(|n| clean(n)).collect();
        let (unload, name) = (unload.join(", "), clean(&r.cand.entry.name));
        reason.push_str(&format!("; unloading {unload} makes room for {name}"));
        pick(r, format!("unload {unload} to make room for {name}"))
    });
    NoPick { reason, unload_for }
}

#[cfg(test)]
mod tests;
