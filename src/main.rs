//! Entry point: parses the command line, loads the config, resolves the host and runs
//! the dashboard or a non-interactive command.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};
use model_orchestrator::cli::{Cli, Command};
use model_orchestrator::config::{self, Config};
use model_orchestrator::dashboard::{self, DashboardOptions};
use model_orchestrator::headless;
use model_orchestrator::host;
use model_orchestrator::inventory::{self, Inventory};
use model_orchestrator::memory::{LazySystemMemory, MemorySnapshot, MemorySource, SystemMemory};
use model_orchestrator::ollama::{Client, OllamaError};
use model_orchestrator::report;
use model_orchestrator::sim;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("model-orchestrator: {e}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("model-orchestrator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("model-orchestrator: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(Command::Sim(args)) = cli.command {
        model_orchestrator::sim::cli::run(args).await?;
        return Ok(ExitCode::SUCCESS);
    }
    // A broken config file is reported and left as it is; this run uses the defaults,
    // so the dashboard and the keeper keep working while the user fixes it.
    let (config, config_path, config_warning) = match config::load(cli.config.as_deref()) {
        Ok((config, path)) => (config, path, None),
        Err(e) => {
            let warning =
                format!("{e}; using the defaults for this run (the file is left as it is)");
            (
                Config::default(),
                Some(e.path().to_path_buf()),
                Some(warning),
            )
        }
    };
    if let (Some(w), Some(_)) = (&config_warning, &cli.command) {
        eprintln!("model-orchestrator: warning: {w}");
    }
    let env_host = std::env::var("OLLAMA_HOST").ok();
    let host = host::resolve(
        cli.host.as_deref(),
        env_host.as_deref(),
        config.host.as_deref(),
    );
    if cli.demo {
        return demo(config, config_warning).await;
    }
    let client = Client::new(&host.base_url()).map_err(|e| eyre!(e))?;
    let path = config_path.as_deref();
    match cli.command {
        None => {
            dashboard::run(DashboardOptions {
                client,
                config,
                config_path,
                memory: Box::new(LazySystemMemory::default()),
                host_label: host.to_string(),
                demo: false,
                warnings: config_warning.into_iter().collect(),
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Memory { json }) => memory(json),
        Some(Command::Load { name, keep_alive }) => Ok(headless::report(
            headless::load(&client, &config, &name, keep_alive).await,
        )),
        Some(Command::Unload { name }) => Ok(headless::report(
            headless::unload(&client, &config, &name).await,
        )),
        Some(Command::Pin { name }) => {
            Ok(headless::report(headless::pin(&client, path, &name).await))
        }
        Some(Command::Unpin { name }) => Ok(headless::report(
            headless::unpin(&client, &config, path, &name).await,
        )),
        Some(Command::Keep) => {
            let memory = Box::new(LazySystemMemory::default());
            headless::keep(client, config, config_path, memory).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::List { json }) => list(&client, &config, json).await,
        Some(Command::Ps { json }) => ps(&client, &config, json).await,
        Some(Command::Select { task, json }) => select(&client, &config, task, json).await,
        Some(Command::Sim(_)) => Ok(ExitCode::SUCCESS),
    }
}

async fn fetch(client: &Client) -> Result<Inventory> {
    inventory::fetch(client)
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
    match model_orchestrator::memory::SystemMemory::new() {
        Ok(mut m) => m.read(),
        Err(e) => {
            eprintln!("model-orchestrator: cannot read memory: {e}");
            MemorySnapshot::default()
        }
    }
}

/// `--demo`: the dashboard against an in-process stand-in with simulated memory.
/// Pins are kept for this run only, so a demo never edits the user's config.
async fn demo(config: Config, config_warning: Option<String>) -> Result<ExitCode> {
    let server = sim::start(sim::SimOptions::demo())
        .await
        .map_err(|e| eyre!("cannot start the demo server: {e}"))?;
    let client = Client::new(&server.url()).map_err(|e| eyre!(e))?;
    let memory = Box::new(sim::SimMemory::new(server.control()));
    let result = dashboard::run(DashboardOptions {
        client,
        config: Config {
            keep_alive_models: Vec::new(),
            ..config
        },
        config_path: None,
        memory,
        host_label: format!("demo {}", server.url().trim_start_matches("http://")),
        demo: true,
        warnings: config_warning.into_iter().collect(),
    })
    .await;
    server.shutdown().await;
    result.map(|()| ExitCode::SUCCESS)
}

fn memory(json: bool) -> Result<ExitCode> {
    let snap = match SystemMemory::new() {
        Ok(mut m) => m.read(),
        Err(e) => return Err(eyre!("cannot read memory: {e}")),
    };
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
        use model_orchestrator::format::human_bytes as hb;
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
                model_orchestrator::sanitize::clean(&g.name),
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

async fn list(client: &Client, config: &Config, json: bool) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let rows = report::model_rows(&inv, &memory_now(), config);
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", report::list_table(&rows, jiff::Timestamp::now()));
    }
    Ok(ExitCode::SUCCESS)
}

async fn ps(client: &Client, config: &Config, json: bool) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let now = jiff::Timestamp::now();
    let rows = report::running_rows(&inv, config, now);
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", report::ps_table(&rows, now));
    }
    Ok(ExitCode::SUCCESS)
}

async fn select(
    client: &Client,
    config: &Config,
    task: model_orchestrator::select::Task,
    json: bool,
) -> Result<ExitCode> {
    let inv = fetch(client).await?;
    let result = report::select(task, &inv, &memory_now(), config);
    let row = report::select_row(task, &result);
    if json {
        print_json(&row)?;
    } else if let Some(model) = &row.model {
        println!("{model}\n{}", row.reason);
    } else {
        eprintln!("nothing fits for {}: {}", task.as_str(), row.reason);
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
