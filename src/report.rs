//! The non-interactive views: `list`, `ps` and `select`, as rows that serialise to
//! stable JSON (snake_case keys, sizes in bytes) or print as aligned text tables.

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Config;
use crate::fit::{self, NeedSource, Verdict};
use crate::format::size;
use crate::inventory::Inventory;
use crate::memory::MemorySnapshot;
use crate::ollama::Expiry;
use crate::sanitize::clean;
use crate::select::{self, Candidate, NoPick, Pick, Task};

mod table;
use table::Table;

/// One installed model (`list --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRow {
    pub name: String,
    pub size: u64,
    pub parameter_size: String,
    pub quantization: String,
    pub family: String,
    pub families: Vec<String>,
    pub modified_at: Option<String>,
    pub digest: String,
    pub capabilities: Vec<String>,
    /// Bytes the model needs in memory now.
    pub need: u64,
    /// `override`, `estimate`, `predicted`, `observed`, `file_size` or `remote`.
    pub need_source: &'static str,
    /// The context the need is computed at (what the server will load it with).
    pub num_ctx: Option<u64>,
    /// `loaded`, `fits_gpu`, `fits`, `fits_if_unloaded`, `no_fit`, `unknown`
    /// (memory of that host unknown) or `remote` (a cloud model).
    pub verdict: &'static str,
    /// Share of the model on the GPU when it loads split between CPU and GPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_percent: Option<u8>,
    /// For `fits_if_unloaded`: the loaded models Ollama evicts first, next to go first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unload: Vec<String>,
    /// For `fits_if_unloaded`: `memory`, or `count_limit` (OLLAMA_MAX_LOADED_MODELS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evicts_for: Option<&'static str>,
    /// For `no_fit`: bytes missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_by: Option<u64>,
    pub loaded: bool,
    pub pinned: bool,
}

/// One loaded model (`ps --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunningRow {
    pub name: String,
    pub size: u64,
    pub size_vram: u64,
    /// As `ollama ps` prints it: `100% GPU`, `48%/52% CPU/GPU`.
    pub processor: String,
    pub context_length: Option<u64>,
    /// RFC 3339, or null when the server gave none.
    pub expires_at: Option<String>,
    /// `forever`, `stopping`, `unknown`, or the RFC 3339 expiry.
    pub until: String,
    pub pinned: bool,
    /// The configured keep-alive in seconds (-1 forever), or null when unknown.
    pub keep_alive: Option<f64>,
    /// Whether Ollama evicts this one first when it needs room.
    pub evicted_next: bool,
}

/// `select --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectRow {
    pub task: &'static str,
    pub model: Option<String>,
    pub verdict: Option<&'static str>,
    pub reason: String,
}

pub fn verdict_key(v: &Verdict) -> &'static str {
    v.key()
}

fn need_key(s: &NeedSource) -> &'static str {
    match s {
        NeedSource::Override => "override",
        NeedSource::Estimate { .. } => "estimate",
        NeedSource::Predicted { .. } => "predicted",
        NeedSource::Observed { .. } => "observed",
        NeedSource::FileSize => "file_size",
        NeedSource::Remote => "remote",
    }
}

/// The scene the commands judge in: the server's band, `mem` (None: unknown),
/// and the loaded models in Ollama's eviction order as far as one reading tells.
pub fn scene<'a>(
    inv: &'a Inventory,
    server: &'a fit::Server,
    mem: Option<&'a MemorySnapshot>,
    config: &'a Config,
    book: &fit::KeepAliveBook,
) -> fit::Scene<'a> {
    fit::Scene::new(server, mem, &inv.running, config).order(
        book,
        |r| inv.weights_of(r),
        Timestamp::now(),
    )
}

pub fn model_rows(inv: &Inventory, scene: &fit::Scene<'_>, config: &Config) -> Vec<ModelRow> {
    inv.models
        .iter()
        .map(|m| {
            let fit::Judgement { need, verdict } = scene.judge(inv.model(m));
            ModelRow {
                name: clean(&m.name),
                size: m.size,
                parameter_size: clean(&m.details.parameter_size),
                quantization: clean(&m.details.quantization_level),
                family: clean(&m.details.family),
                families: m
                    .details
                    .families
                    .iter()
                    .flatten()
                    .map(|f| clean(f))
                    .collect(),
                modified_at: m.modified_at.map(|t| t.to_string()),
                digest: clean(&m.digest),
                capabilities: inv
                    .capabilities_of(&m.name)
                    .iter()
                    .map(|c| clean(c))
                    .collect(),
                need: need.bytes,
                need_source: need_key(&need.source),
                num_ctx: need.context.map(|c| c.num_ctx),
                verdict: verdict_key(&verdict),
                gpu_percent: match &verdict {
                    Verdict::Fits(fit::Landing::Split { gpu_percent })
                    | Verdict::FitsIfUnloaded {
                        landing: fit::Landing::Split { gpu_percent },
                        ..
                    } => Some(*gpu_percent),
                    _ => None,
                },
                unload: match &verdict {
                    Verdict::FitsIfUnloaded { unload, .. } => {
                        unload.iter().map(|u| clean(u)).collect()
                    }
                    _ => Vec::new(),
                },
                evicts_for: match &verdict {
                    Verdict::FitsIfUnloaded {
                        why: fit::Evict::Memory,
                        ..
                    } => Some("memory"),
                    Verdict::FitsIfUnloaded {
                        why: fit::Evict::CountLimit(_),
                        ..
                    } => Some("count_limit"),
                    _ => None,
                },
                short_by: match verdict {
                    Verdict::NoFit { short_by } => Some(short_by),
                    _ => None,
                },
                loaded: matches!(verdict, Verdict::Loaded),
                pinned: config.is_pinned(&m.name),
            }
        })
        .collect()
}

pub fn running_rows(
    inv: &Inventory,
    scene: &fit::Scene<'_>,
    book: &fit::KeepAliveBook,
    config: &Config,
    now: Timestamp,
) -> Vec<RunningRow> {
    let next = scene.next_to_go();
    // A pin held under an alias (same digest or weights blob) is still a pin.
    let aliases = inv.aliases();
    inv.running
        .iter()
        .map(|r| RunningRow {
            name: clean(&r.name),
            size: r.size,
            size_vram: r.vram(),
            processor: r.processor(),
            context_length: r.context_length,
            expires_at: r.expires_at.map(|t| t.to_string()),
            until: match r.expiry(now) {
                Expiry::Forever => "forever".into(),
                Expiry::Stopping => "stopping".into(),
                Expiry::Unknown => "unknown".into(),
                Expiry::At(t) => t.to_string(),
            },
            pinned: aliases.pin_of(&config.keep_alive_models, r).is_some(),
            keep_alive: book.configured(r, now).map(|k| match k {
                crate::duration::KeepAlive::Forever => -1.0,
                crate::duration::KeepAlive::For(d) => d.as_secs_f64(),
            }),
            evicted_next: next.is_some_and(|n| n == r.name),
        })
        .collect()
}

pub fn select(
    task: Task,
    inv: &Inventory,
    scene: &fit::Scene<'_>,
    mem: &MemorySnapshot,
    config: &Config,
) -> Result<Pick, NoPick> {
    let judged: Vec<fit::Judgement> = inv
        .models
        .iter()
        .map(|m| scene.judge(inv.model(m)))
        .collect();
    let candidates: Vec<Candidate<'_>> = inv
        .models
        .iter()
        .zip(&judged)
        .map(|(entry, j)| Candidate {
            entry,
            need: j.need.bytes,
            verdict: &j.verdict,
            capabilities: inv.capabilities_of(&entry.name),
        })
        .collect();
    select::select_best_model(task, &candidates, mem, &config.keep_alive_models, config)
}

pub fn select_row(task: Task, result: &Result<Pick, NoPick>) -> SelectRow {
    match result {
        Ok(p) => SelectRow {
            task: task.as_str(),
            model: Some(clean(&p.model)),
            verdict: Some(verdict_key(&p.verdict)),
            reason: clean(&p.reason),
        },
        Err(n) => SelectRow {
            task: task.as_str(),
            model: None,
            verdict: None,
            reason: clean(&n.reason),
        },
    }
}

fn verdict_text(r: &ModelRow) -> String {
    match (r.verdict, r.short_by) {
        ("loaded", _) => "loaded".into(),
        ("fits_gpu", _) => "fits (GPU)".into(),
        ("fits", _) => match r.gpu_percent {
            Some(p) => format!("fits ({p}% GPU, slower)"),
            None => "fits".into(),
        },
        ("fits_if_unloaded", _) => format!("evicts {}", r.unload.join(", ")),
        ("unknown", _) => "unknown (see --memory-url)".into(),
        ("remote", _) => "runs remotely".into(),
        (_, Some(short)) => format!("short {}", size(short)),
        (other, None) => other.into(),
    }
}

pub fn list_table(rows: &[ModelRow], now: Timestamp) -> String {
    let mut t = Table::new(&[
        "NAME", "PARAMS", "QUANT", "SIZE", "NEED", "FIT", "LOADED", "PINNED", "MODIFIED",
    ]);
    for r in rows {
        let modified = r
            .modified_at
            .as_deref()
            .and_then(crate::ollama::wire::parse_time)
            .map(|t| {
                let ago = now.duration_since(t).unsigned_abs();
                format!("{} ago", crate::format::human_span(ago))
            })
            .unwrap_or_else(|| "-".into());
        t.row(vec![
            r.name.clone(),
            dash(&r.parameter_size),
            dash(&r.quantization),
            size(r.size),
            size(r.need),
            verdict_text(r),
            if r.loaded {
                "●".into()
            } else {
                String::new()
            },
            if r.pinned {
                "★".into()
            } else {
                String::new()
            },
            modified,
        ]);
    }
    t.render()
}

pub fn ps_table(rows: &[RunningRow], now: Timestamp) -> String {
    let mut t = Table::new(&[
        "NAME",
        "SIZE",
        "PROCESSOR",
        "CONTEXT",
        "UNTIL",
        "KEEP",
        "PINNED",
        "NEXT",
    ]);
    for r in rows {
        let until = match r.until.as_str() {
            "forever" => "Forever".to_string(),
            "stopping" => "Stopping...".to_string(),
            "unknown" => "-".to_string(),
            at => crate::ollama::wire::parse_time(at)
                .map(|t| {
                    let left = t.duration_since(now).unsigned_abs();
                    format!("{} from now", crate::format::human_span(left))
                })
                .unwrap_or_else(|| at.to_string()),
        };
        t.row(vec![
            r.name.clone(),
            size(r.size),
            crate::format::split_text(crate::format::gpu_share(r.size, r.size_vram)),
            r.context_length.map_or("-".into(), |c| c.to_string()),
            until,
            match r.keep_alive {
                None => "-".into(),
                Some(k) if k < 0.0 => "forever".into(),
                Some(k) => {
                    crate::duration::format_go_duration(std::time::Duration::from_secs_f64(k))
                }
            },
            if r.pinned {
                "★".into()
            } else {
                String::new()
            },
            // Who Ollama evicts first when it needs room (findRunnerToUnload).
            if r.evicted_next {
                "⏏".into()
            } else {
                String::new()
            },
        ]);
    }
    t.render()
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ollama::{ModelEntry, RunningModel};

    /// `ps` marks a runner pinned when the pin is an alias of it (same digest).
    #[test]
    fn a_runner_loaded_under_another_name_of_a_pin_reads_pinned() {
        let entry = |name: &str| ModelEntry {
            name: name.into(),
            digest: "d1".into(),
            ..ModelEntry::default()
        };
        let inv = Inventory {
            models: vec![entry("qwen3:8b"), entry("qwen3:latest")],
            running: vec![RunningModel {
                name: "qwen3:8b".into(),
                digest: "d1".into(),
                ..RunningModel::default()
            }],
            arch: Default::default(),
            capabilities: Default::default(),
            version: None,
        };
        let config = Config {
            keep_alive_models: vec!["qwen3".into()],
            ..Config::default()
        };
        let server = fit::Server::new(None, Default::default());
        let scene = fit::Scene::new(&server, None, &inv.running, &config);
        let book = fit::KeepAliveBook::default();
        let rows = running_rows(&inv, &scene, &book, &config, Timestamp::now());
        assert!(rows[0].pinned);
    }
}
