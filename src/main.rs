//! Entry point: parses the command line, loads the config, resolves the host and runs
//! the dashboard or a non-interactive command.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};
use model_orchestrator::cli::{Cli, Command};
use model_orchestrator::commands;
use model_orchestrator::config::{self, Config};
use model_orchestrator::dashboard::{self, DashboardOptions};
use model_orchestrator::headless;
use model_orchestrator::host;
use model_orchestrator::memory::{ExporterMemory, LazySystemMemory, MemoryPlan, MemorySource};
use model_orchestrator::ollama::Client;
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
        if cli.command.is_some() {
            return Err(eyre!(
                "--demo opens the dashboard on its own; to try the commands, run `model-orchestrator sim` and point --host at the URL it prints"
            ));
        }
        return demo(config, config_warning).await;
    }
    let client = Client::new(&host.base_url()).map_err(|e| eyre!(e))?;
    let path = config_path.as_deref();
    let plan = MemoryPlan::choose(&host, &cli.memory_urls, &config.memory_urls);
    match cli.command {
        None => {
            let (memory, memory_unknown) = memory_source(&plan);
            dashboard::run(DashboardOptions {
                client,
                config,
                config_path,
                memory,
                host_label: host.to_string(),
                demo: false,
                warnings: config_warning.into_iter().collect(),
                memory_origin: plan.label(),
                memory_unknown,
                learned_path: model_orchestrator::fit::learned::default_path(),
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Memory { json }) => commands::memory(&plan, json).await,
        Some(Command::Load {
            name,
            keep_alive,
            yes,
        }) => {
            let opts = headless::LoadOptions {
                keep_alive,
                yes,
                memory: Some(plan.clone()),
            };
            Ok(headless::report(
                headless::load(&client, &config, &name, opts).await,
            ))
        }
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
        Some(Command::List { json }) => commands::list(&client, &config, &plan, json).await,
        Some(Command::Ps { json }) => commands::ps(&client, &config, json).await,
        Some(Command::Select { task, json }) => {
            commands::select(&client, &config, &plan, task, json).await
        }
        Some(Command::Sim(_)) => Ok(ExitCode::SUCCESS),
    }
}

/// Where the dashboard reads memory: this machine, exporters, or nowhere (with
/// the reason shown in place of verdicts).
fn memory_source(plan: &MemoryPlan) -> (Box<dyn MemorySource>, Option<String>) {
    match plan {
        MemoryPlan::Local => (Box::new(LazySystemMemory::default()), None),
        MemoryPlan::Exporters(urls) => (exporters(urls.clone()), None),
        MemoryPlan::Unknown { .. } => (
            Box::new(LazySystemMemory::default()),
            Some(model_orchestrator::memory::whose::UNKNOWN_HINT.to_string()),
        ),
    }
}

fn exporters(urls: Vec<String>) -> Box<dyn MemorySource> {
    let handle = tokio::runtime::Handle::current();
    Box::new(ExporterMemory::new(handle, reqwest::Client::new(), urls))
}

/// `--demo`: the dashboard against an in-process stand-in with simulated memory.
/// Pins are kept for this run only, so a demo never edits the user's config.
async fn demo(config: Config, config_warning: Option<String>) -> Result<ExitCode> {
    let server = sim::start(sim::SimOptions::demo())
        .await
        .map_err(|e| eyre!("cannot start the demo server: {e}"))?;
    let client = Client::new(&server.url()).map_err(|e| eyre!(e))?;
    // The demo reads the stand-in's memory the way a remote host's is read.
    let metrics = format!("{}/metrics", server.url());
    let memory = exporters(vec![metrics.clone()]);
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
        memory_origin: model_orchestrator::memory::whose::exporter_label(&metrics),
        memory_unknown: None,
        learned_path: None,
    })
    .await;
    server.shutdown().await;
    result.map(|()| ExitCode::SUCCESS)
}
