//! `GET /metrics`: the simulated memory as the Prometheus exporters on Ollama's
//! machine would report it, so the remote-memory reader can be tried against the
//! stand-in. node_exporter lines for RAM and swap, then the GPUs as dcgm-exporter
//! reports them (MiB) or, with `?format=nvidia_smi`, as nvidia_gpu_exporter does
//! (bytes). Not an Ollama route: never faulted, never recorded.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::control::SimControl;
use super::server::Shared;
use crate::memory::{GpuMemory, MemorySnapshot};

/// What Prometheus client libraries send for the classic text format.
pub(crate) const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

const MIB: u64 = 1 << 20;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/metrics", get(metrics))
}

/// Which GPU exporter the page imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GpuFormat {
    Dcgm,
    NvidiaSmi,
}

impl GpuFormat {
    /// `format=dcgm` (the default) or `format=nvidia_smi`; other parameters ignored.
    fn from_query(query: Option<&str>) -> Result<GpuFormat, String> {
        let mut formats = query
            .unwrap_or_default()
            .split('&')
            .filter_map(|p| p.strip_prefix("format="));
        match formats.next_back() {
            None | Some("dcgm") => Ok(GpuFormat::Dcgm),
            Some("nvidia_smi") => Ok(GpuFormat::NvidiaSmi),
            Some(other) => Err(format!(
                "unknown format '{}': use dcgm or nvidia_smi\n",
                crate::sanitize::clean(other)
            )),
        }
    }
}

async fn metrics(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let format = match GpuFormat::from_query(uri.query()) {
        Ok(f) => f,
        Err(message) => {
            return (
                StatusCode::BAD_REQUEST,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                message,
            )
                .into_response();
        }
    };
    // Expired models leave memory at once, as they do from /api/ps.
    shared.sweep();
    let body = render(&SimControl::new(shared).memory(), format);
    (StatusCode::OK, [(CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}

/// The whole page.
pub(crate) fn render(m: &MemorySnapshot, format: GpuFormat) -> String {
    let mut out = String::new();
    node(&mut out, m);
    match format {
        GpuFormat::Dcgm => dcgm(&mut out, &m.gpus),
        GpuFormat::NvidiaSmi => nvidia_smi(&mut out, &m.gpus),
    }
    out
}

/// One metric family: HELP, TYPE gauge, then `name{labels} value` per series.
fn gauge(out: &mut String, name: &str, help: &str, series: &[(String, u64)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
    for (labels, value) in series {
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        out.push_str(&format!("{name}{labels} {value}\n"));
    }
}

fn node(out: &mut String, m: &MemorySnapshot) {
    let swap_free = m.swap_total.saturating_sub(m.swap_used);
    for (field, value) in [
        ("MemTotal", m.ram_total),
        ("MemAvailable", m.ram_available),
        ("SwapTotal", m.swap_total),
        ("SwapFree", swap_free),
    ] {
        let name = format!("node_memory_{field}_bytes");
        let help = format!("Memory information field {field}_bytes.");
        gauge(out, &name, &help, &[(String::new(), value)]);
    }
}

/// dcgm-exporter's default labels; the UUIDs are made up but stable per index.
fn dcgm_labels(i: usize, gpu: &GpuMemory) -> String {
    format!(
        "gpu=\"{i}\",UUID=\"GPU-{}\",pci_bus_id=\"00000000:{:02X}:00.0\",device=\"nvidia{i}\",\
         modelName=\"{}\",Hostname=\"sim\"",
        uuid(i),
        i + 1,
        escape(&gpu.name)
    )
}

/// Whole MiB, as DCGM reports: free rounds down, so what it says is free is.
fn dcgm(out: &mut String, gpus: &[GpuMemory]) {
    let mib = |g: &GpuMemory| (g.total / MIB, g.free() / MIB);
    let free: Vec<(String, u64)> = gpus
        .iter()
        .enumerate()
        .map(|(i, g)| (dcgm_labels(i, g), mib(g).1))
        .collect();
    let used: Vec<(String, u64)> = gpus
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (total, free) = mib(g);
            (dcgm_labels(i, g), total.saturating_sub(free))
        })
        .collect();
    gauge(
        out,
        "DCGM_FI_DEV_FB_FREE",
        "Framebuffer memory free (in MiB).",
        &free,
    );
    gauge(
        out,
        "DCGM_FI_DEV_FB_USED",
        "Framebuffer memory used (in MiB).",
        &used,
    );
}

/// nvidia_gpu_exporter: memory series carry only `uuid`; `nvidia_smi_gpu_info`
/// maps it to the name and index.
fn nvidia_smi(out: &mut String, gpus: &[GpuMemory]) {
    let per_gpu = |value: fn(&GpuMemory) -> u64| -> Vec<(String, u64)> {
        gpus.iter()
            .enumerate()
            .map(|(i, g)| (format!("uuid=\"{}\"", uuid(i)), value(g)))
            .collect()
    };
    let info: Vec<(String, u64)> = gpus
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let labels = format!(
                "uuid=\"{}\",name=\"{}\",index=\"{i}\",driver_version=\"sim\"",
                uuid(i),
                escape(&g.name)
            );
            (labels, 1)
        })
        .collect();
    gauge(
        out,
        "nvidia_smi_gpu_info",
        "A metric with a constant '1' value labeled by gpu uuid, name, index, driver_version.",
        &info,
    );
    gauge(
        out,
        "nvidia_smi_memory_total_bytes",
        "memory.total [MiB]",
        &per_gpu(|g| g.total),
    );
    gauge(
        out,
        "nvidia_smi_memory_free_bytes",
        "memory.free [MiB]",
        &per_gpu(GpuMemory::free),
    );
    gauge(
        out,
        "nvidia_smi_memory_used_bytes",
        "memory.used [MiB]",
        &per_gpu(|g| g.used),
    );
}

fn uuid(i: usize) -> String {
    format!("5e1f0000-0000-4000-8000-{i:012x}")
}

/// Label values escape backslash, double quote and line feed.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> MemorySnapshot {
        MemorySnapshot {
            ram_total: 64 << 30,
            ram_available: 60 << 30,
            ram_used: 4 << 30,
            swap_total: 8 << 30,
            swap_used: 1 << 30,
            gpus: vec![GpuMemory {
                name: "RTX \"4090\"".into(),
                total: 24 << 30,
                used: (5 << 30) + 12345,
            }],
        }
    }

    #[test]
    fn node_lines_are_exact_bytes() {
        let page = render(&snapshot(), GpuFormat::Dcgm);
        assert!(page.contains("\nnode_memory_MemTotal_bytes 68719476736\n"));
        assert!(page.contains("\nnode_memory_MemAvailable_bytes 64424509440\n"));
        assert!(page.contains("\nnode_memory_SwapFree_bytes 7516192768\n"));
        assert!(page.starts_with("# HELP node_memory_MemTotal_bytes "));
    }

    #[test]
    fn dcgm_lines_are_whole_mib_with_free_rounded_down() {
        let page = render(&snapshot(), GpuFormat::Dcgm);
        let labels = "gpu=\"0\",UUID=\"GPU-5e1f0000-0000-4000-8000-000000000000\",\
                      pci_bus_id=\"00000000:01:00.0\",device=\"nvidia0\",\
                      modelName=\"RTX \\\"4090\\\"\",Hostname=\"sim\"";
        // 19 GiB minus 12345 bytes free: 19455 MiB and a bit, so 19455.
        assert!(page.contains(&format!("DCGM_FI_DEV_FB_FREE{{{labels}}} 19455\n")));
        assert!(page.contains(&format!("DCGM_FI_DEV_FB_USED{{{labels}}} 5121\n")));
        assert!(!page.contains("nvidia_smi"));
    }

    #[test]
    fn nvidia_smi_lines_are_bytes_keyed_by_uuid() {
        let page = render(&snapshot(), GpuFormat::NvidiaSmi);
        let uuid = "uuid=\"5e1f0000-0000-4000-8000-000000000000\"";
        assert!(page.contains(&format!(
            "nvidia_smi_memory_total_bytes{{{uuid}}} 25769803776\n"
        )));
        assert!(page.contains(&format!(
            "nvidia_smi_memory_used_bytes{{{uuid}}} 5368721465\n"
        )));
        assert!(page.contains(",name=\"RTX \\\"4090\\\"\",index=\"0\""));
        assert!(!page.contains("DCGM"));
    }

    #[test]
    fn format_comes_from_the_query() {
        assert_eq!(GpuFormat::from_query(None), Ok(GpuFormat::Dcgm));
        assert_eq!(
            GpuFormat::from_query(Some("x=1&format=nvidia_smi")),
            Ok(GpuFormat::NvidiaSmi)
        );
        assert_eq!(
            GpuFormat::from_query(Some("format=dcgm")),
            Ok(GpuFormat::Dcgm)
        );
        let err = GpuFormat::from_query(Some("format=\u{1b}[2Jrocm")).expect_err("unknown");
        assert!(err.starts_with("unknown format 'rocm'"), "{err}");
    }
}
