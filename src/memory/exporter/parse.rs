//! From Prometheus text to memory figures. The text parser is lenient: a line it
//! cannot read is skipped, so one odd metric never hides the memory figures.

use prometheus_parse::{Labels, Sample, Scrape, Value};

use super::{ExporterError, ExporterReading, RamFigures, SwapFigures};
use crate::memory::GpuMemory;
use crate::sanitize::clean;

const MIB: f64 = (1u64 << 20) as f64;

/// Reads the memory figures out of one exporter page. Unknown metrics are ignored;
/// a page with metrics but none of ours gives an empty reading (see
/// [`ExporterReading::is_empty`]). Text that is not Prometheus metrics at all (HTML,
/// JSON, nothing) is an error.
pub fn parse_metrics(text: &str) -> Result<ExporterReading, ExporterError> {
    let samples = samples(text)?;
    let mut gpus = dcgm_gpus(&samples);
    gpus.extend(nvidia_smi_gpus(&samples));
    Ok(ExporterReading {
        ram: node_ram(&samples),
        swap: node_swap(&samples),
        gpus,
    })
}

fn samples(text: &str) -> Result<Vec<Sample>, ExporterError> {
    let not = |reason: &str| ExporterError::NotPrometheus {
        reason: reason.into(),
    };
    match text.trim_start().chars().next() {
        None => return Err(not("the page is empty")),
        Some('<') => return Err(not("the page is HTML")),
        Some('{' | '[') => return Err(not("the page is JSON")),
        Some(_) => {}
    }
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = Scrape::parse(lines).map_err(|e| not(&clean(&e.to_string())))?;
    if scrape.samples.is_empty() {
        return Err(not("no metric line in the page"));
    }
    Ok(scrape.samples)
}

/// Every series of `metric` with a plain number (histograms and summaries are not
/// memory figures).
fn series<'a>(samples: &'a [Sample], metric: &'a str) -> impl Iterator<Item = (&'a Labels, f64)> {
    samples
        .iter()
        .filter(move |s| s.metric == metric)
        .filter_map(|s| match s.value {
            Value::Gauge(v) | Value::Untyped(v) | Value::Counter(v) => Some((&s.labels, v)),
            Value::Histogram(_) | Value::Summary(_) => None,
        })
}

/// The first series of a metric without a GPU dimension, in bytes.
fn first_bytes(samples: &[Sample], metric: &str) -> Option<u64> {
    series(samples, metric).find_map(|(_, v)| bytes(v))
}

/// Negative, NaN and infinite values are not memory sizes: treated as missing.
fn bytes(v: f64) -> Option<u64> {
    (v.is_finite() && v >= 0.0).then(|| v.round() as u64)
}

fn node_ram(samples: &[Sample]) -> Option<RamFigures> {
    Some(RamFigures {
        total: first_bytes(samples, "node_memory_MemTotal_bytes")?,
        available: first_bytes(samples, "node_memory_MemAvailable_bytes")?,
    })
}

/// Without `SwapTotal` all we know is what is free, so that much is taken as the
/// whole swap, none of it used.
fn node_swap(samples: &[Sample]) -> Option<SwapFigures> {
    let free = first_bytes(samples, "node_memory_SwapFree_bytes")?;
    let total = first_bytes(samples, "node_memory_SwapTotal_bytes").unwrap_or(free);
    Some(SwapFigures { total, free })
}

/// Series grouped by a key, in the order the keys first appear.
struct Groups<K, T>(Vec<(K, T)>);

impl<K: PartialEq, T: Default> Groups<K, T> {
    fn new() -> Self {
        Groups(Vec::new())
    }

    fn entry(&mut self, key: K) -> &mut T {
        let at = match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.0.push((key, T::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

/// A label holding a number (a GPU index), for ordering; unknown ones go last.
fn order(labels: &Labels, name: &str) -> u32 {
    labels
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX)
}

/// One dcgm-exporter device: a GPU, or a MIG instance of one.
#[derive(Default)]
struct DcgmFb {
    order: (u32, u32),
    name: String,
    free: Option<u64>,
    used: Option<u64>,
    reserved: u64,
}

/// dcgm-exporter: `DCGM_FI_DEV_FB_{FREE,USED,RESERVED}` in MiB, one series per
/// `gpu` (and per `GPU_I_ID` under MIG). Newer DCGM reports the driver's reservation
/// apart; it counts as used, as everything that is not free does.
fn dcgm_gpus(samples: &[Sample]) -> Vec<GpuMemory> {
    let mut groups: Groups<(String, String), DcgmFb> = Groups::new();
    for metric in [
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_RESERVED",
    ] {
        for (labels, v) in series(samples, metric) {
            let label = |n: &str| labels.get(n).unwrap_or_default().to_string();
            let fb = groups.entry((label("gpu"), label("GPU_I_ID")));
            if fb.name.is_empty() {
                fb.order = (order(labels, "gpu"), order(labels, "GPU_I_ID"));
                fb.name = dcgm_name(labels);
            }
            let value = bytes(v * MIB);
            match metric {
                "DCGM_FI_DEV_FB_FREE" => fb.free = value,
                "DCGM_FI_DEV_FB_USED" => fb.used = value,
                _ => fb.reserved = value.unwrap_or(0),
            }
        }
    }
    let mut fbs: Vec<DcgmFb> = groups.0.into_iter().map(|(_, fb)| fb).collect();
    fbs.sort_by_key(|fb| fb.order);
    fbs.into_iter()
        .filter_map(|fb| {
            let used = fb.used?.saturating_add(fb.reserved);
            Some(GpuMemory {
                name: fb.name,
                total: fb.free?.saturating_add(used),
                used,
            })
        })
        .collect()
}

fn dcgm_name(labels: &Labels) -> String {
    let model = labels.get("modelName").map(clean).unwrap_or_default();
    let base = if model.is_empty() {
        format!("GPU {}", clean(labels.get("gpu").unwrap_or("?")))
    } else {
        model
    };
    match labels.get("GPU_I_PROFILE").map(clean) {
        Some(profile) if !profile.is_empty() => format!("{base} MIG {profile}"),
        _ => base,
    }
}

/// One nvidia_gpu_exporter GPU, in bytes.
#[derive(Default)]
struct SmiGpu {
    total: Option<u64>,
    free: Option<u64>,
    used: Option<u64>,
    reserved: u64,
}

/// nvidia_gpu_exporter: `nvidia_smi_memory_{total,free,used,reserved}_bytes` with
/// only a `uuid` label; the name and index are on `nvidia_smi_gpu_info` for the
/// same uuid.
fn nvidia_smi_gpus(samples: &[Sample]) -> Vec<GpuMemory> {
    let mut groups: Groups<String, SmiGpu> = Groups::new();
    for metric in [
        "nvidia_smi_memory_total_bytes",
        "nvidia_smi_memory_free_bytes",
        "nvidia_smi_memory_used_bytes",
        "nvidia_smi_memory_reserved_bytes",
    ] {
        for (labels, v) in series(samples, metric) {
            let uuid = labels.get("uuid").unwrap_or_default().to_string();
            let gpu = groups.entry(uuid);
            let value = bytes(v);
            match metric {
                "nvidia_smi_memory_total_bytes" => gpu.total = value,
                "nvidia_smi_memory_free_bytes" => gpu.free = value,
                "nvidia_smi_memory_used_bytes" => gpu.used = value,
                _ => gpu.reserved = value.unwrap_or(0),
            }
        }
    }
    let info: Vec<&Labels> = series(samples, "nvidia_smi_gpu_info")
        .map(|(l, _)| l)
        .collect();
    let mut gpus: Vec<(u32, GpuMemory)> = groups
        .0
        .into_iter()
        .filter_map(|(uuid, gpu)| {
            let labels = info.iter().find(|l| l.get("uuid") == Some(uuid.as_str()));
            let memory = smi_memory(gpu, smi_name(&uuid, labels.copied()))?;
            Some((labels.map_or(u32::MAX, |l| order(l, "index")), memory))
        })
        .collect();
    gpus.sort_by_key(|(index, _)| *index);
    gpus.into_iter().map(|(_, g)| g).collect()
}

/// `memory.used` leaves out the reservation; everything not free counts as used.
fn smi_memory(gpu: SmiGpu, name: String) -> Option<GpuMemory> {
    let total = match (gpu.total, gpu.free, gpu.used) {
        (Some(total), _, _) => total,
        (None, Some(free), Some(used)) => free.saturating_add(used).saturating_add(gpu.reserved),
        _ => return None,
    };
    let used = match (gpu.free, gpu.used) {
        (Some(free), _) => total.saturating_sub(free),
        (None, Some(used)) => used.saturating_add(gpu.reserved),
        (None, None) => return None,
    };
    Some(GpuMemory { name, total, used })
}

fn smi_name(uuid: &str, info: Option<&Labels>) -> String {
    match info.and_then(|l| l.get("name")).map(clean) {
        Some(name) if !name.is_empty() => name,
        _ => format!("GPU {}", clean(uuid)),
    }
}
