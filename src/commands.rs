//! The read-only commands: `list`, `ps`, `select` and `memory`, printed as text
//! tables or JSON.

use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::config::Config;
use crate::inventory::{self, Inventory};
use crate::memory::{MemoryPlan, MemorySnapshot, MemorySource, SystemMemory};
use crate::ollama::{Client, OllamaError};
use crate::report;

async fn fetch(client: &Client) -> Result<Inventory> {
    inventory::fetch_with(client, &crate::show_cache::ShowCache::platform())
        .await
        .map_err(|e| explain(client, e))
}

/// Turns a client error into a message that tells the user what to do.
fn explain(client: &Client, e: OllamaError) -> color_eyre::Report {
    if matches!(e, OllamaError::Timeout { .. }) {
        // It accepted the connection: it runs, it is only slow.
        eyre!("{e}; it may be busy: try again later")
    } else if matches!(e, OllamaError::Unreachable { .. }) {
        eyre!(
            "{e}\nIs Ollama running at {}? Start it with `ollama serve`, point --host or OLLAMA_HOST at it, or try `model-orchestrator --demo`.",
            client.base_url()
        )
    } else {
        eyre!(e.plain())
    }
}

/// One reading of this machine's memory; without sysinfo support, zeros (and a note).
fn memory_now() -> MemorySnapshot {
    match crate::memory::SystemMemory::new() {
        Ok(mut m) => m.read(),
        Err(e) => {
            eprintln!("model-orchestrator: cannot read memory: {e}");
            MemorySnapshot::default()
        }
    }
}

/// `memory`: this machine's, or what `--memory-url` exporters report.
pub async fn memory(plan: &MemoryPlan, json: bool) -> Result<ExitCode> {
    let snap = match plan {
        MemoryPlan::Exporters(urls) => {
            let http = reqwest::Client::new();
            crate::memory::exporter::read_exporters(&http, urls)
                .await
                .map_err(|e| eyre!("cannot read memory: {e}"))?
        }
        _ => match SystemMemory::new() {
            Ok(mut m) => m.read(),
            Err(e) => return Err(eyre!("cannot read memory: {e}")),
        },
    };
    if let MemoryPlan::Unknown { host } = plan {
        eprintln!(
            "model-orchestrator: this is this machine's memory; Ollama at {} runs elsewhere — see --memory-url",
            crate::sanitize::clean(host)
        );
    }
    if json {
        let gpus: Vec<_> = snap
            .gpus
            .iter()
            .map(|g| {
                serde_json::json!({
                    "name": g.name, "total": g.total, "used": g.used, "free": g.free()
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "ram_total": snap.ram_total,
            "ram_available": snap.ram_available,
            "ram_used": snap.ram_used,
            "swap_total": snap.swap_total,
            "swap_used": snap.swap_used,
            "gpus": gpus,
        }))?;
    } else {
        use crate::format::human_bytes as hb;
        println!(
            "RAM    {} available of {} ({} used)",
            hb(snap.ram_available),
            hb(snap.ram_total),
            hb(snap.ram_used)
        );
        println!(
            "swap   {} used of {}",
            hb(snap.swap_used),
            hb(snap.swap_total)
        );
        if snap.gpus.is_empty() {
            println!("GPU    none found (NVIDIA through NVML, AMD through sysfs)");
        }
        for g in &snap.gpus {
            println!(
                "GPU    {}: {} free of {} ({} used)",
                crate::sanitize::clean(&g.name),
                hb(g.free()),
                hb(g.total),
                hb(g.used)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).wrap_err("cannot write JSON")?;
    println!("{text}");
    Ok(())
}

/// The memory of the machine Ollama runs on, as `plan` says to read it; `None`
/// (with a note on stderr) when it is unknown or its exporters fail.
pub async fn host_memory(plan: &MemoryPlan) -> Option<MemorySnapshot> {
    match plan {
        MemoryPlan::Local => Some(memory_now()),
        MemoryPlan::Exporters(urls) => {
            let http = reqwest::Client::new();
            match crate::memory::exporter::read_exporters(&http, urls).await {
                Ok(m) => Some(m),
                Err(e) => {
                    eprintln!("model-orchestrator: {e}; fit verdicts are unknown");
                    None
                }
            }
        }
        MemoryPlan::Unknown { .. } => {
            eprintln!("model-orchestrator: {}", crate::memory::whose::UNKNOWN_HINT);
            None
        }
    }
}

/// The server as the fit rules see it: its version band and settings.
fn server_of(inv: &Inventory, config: &Config) -> crate::fit::Server {
    crate::fit::Server::new(inv.version.as_deref(), crate::server_env::settings(config))
}

pub async fn list(
    client: &Client,
    config: &Config,
    plan: &MemoryPlan,
    json: bool,
) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let mem = host_memory(plan).await;
    let server = server_of(&inv, config);
    let book = crate::fit::KeepAliveBook::default();
    let scene = report::scene(&inv, &server, mem.as_ref(), config, &book);
    let rows = report::model_rows(&inv, &scene, config);
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", report::list_table(&rows, jiff::Timestamp::now()));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn ps(client: &Client, config: &Config, json: bool) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let now = jiff::Timestamp::now();
    let server = server_of(&inv, config);
    let mut book = crate::fit::KeepAliveBook::default();
    book.observe(&inv.running, now);
    let scene = report::scene(&inv, &server, None, config, &book);
    let rows = report::running_rows(&inv, &scene, &book, config, now);
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", report::ps_table(&rows, now));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn select(
    client: &Client,
    config: &Config,
    plan: &MemoryPlan,
    task: crate::select::Task,
    json: bool,
) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let mem = host_memory(plan).await;
    let server = server_of(&inv, config);
    let book = crate::fit::KeepAliveBook::default();
    let scene = report::scene(&inv, &server, mem.as_ref(), config, &book);
    let empty = MemorySnapshot::default();
    let result = report::select(task, &inv, &scene, mem.as_ref().unwrap_or(&empty), config);
    let row = report::select_row(task, &result);
    if json {
        print_json(&row)?;
    } else if let Some(model) = &row.model {
        // Only the name on stdout, so `ollama run $(model-orchestrator select)` works.
        println!("{model}");
        eprintln!("{}", row.reason);
    } else {
        eprintln!("nothing fits for {}: {}", task.as_str(), row.reason);
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
