//! Entry point: parses the command line, loads the config, resolves the host and runs
//! the dashboard or a non-interactive command.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};
use model_orchestrator::cli::{Cli, Command};
use model_orchestrator::config::{self, Config};
use model_orchestrator::host;
use model_orchestrator::inventory::{self, Inventory};
use model_orchestrator::memory::{MemorySnapshot, MemorySource};
use model_orchestrator::ollama::{Client, OllamaError};
use model_orchestrator::report;

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
    let (config, config_path) = config::load(cli.config.as_deref())?;
    let env_host = std::env::var("OLLAMA_HOST").ok();
    let host = host::resolve(
        cli.host.as_deref(),
        env_host.as_deref(),
        config.host.as_deref(),
    );
    let client = Client::new(&host.base_url()).map_err(|e| eyre!(e))?;
    let _ = (&config_path, cli.demo);
    match cli.command {
        None => Err(eyre!(
            "the dashboard is not wired yet; try `list`, `ps` or `select`"
        )),
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
    if matches!(
        e,
        OllamaError::Unreachable { .. } | OllamaError::Timeout { .. }
    ) {
        eyre!(
            "{e}\nIs Ollama running at {}? Start it with `ollama serve`, point --host or OLLAMA_HOST at it, or try `model-orchestrator --demo`.",
            client.base_url()
        )
    } else {
        eyre!(e.plain())
    }
}

fn memory_now() -> MemorySnapshot {
    model_orchestrator::memory::SystemMemory::new().read()
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
