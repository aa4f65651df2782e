//! Entry point: parses the command line, loads the config, resolves the host and runs
//! the dashboard or a non-interactive command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};
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
    // The dashboard, `keep` and the commands wait on the network almost always: one
    // thread (plus the blocking pool for memory readings) wakes less and holds less
    // memory than a pool of workers. The stand-in serves many clients at once.
    let mut builder = if matches!(cli.command, Some(Command::Sim(_))) {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("model-orchestrator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            tracing::debug!(error = %format!("{e:#}"), "failed");
            eprintln!("model-orchestrator: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(path) = &cli.log_file {
        model_orchestrator::logging::to_file(path)?;
    }
    if let Some(code) = print_only(&cli)? {
        return Ok(code);
    }
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
    // Key bindings that do not work are said by every command, so a mistake in
    // `[keys]` is seen before the dashboard is opened; the dashboard logs them too.
    if cli.command.is_some() {
        let (_, key_warnings) = model_orchestrator::keymap::KeyMap::with_overrides(&config.keys);
        for w in key_warnings {
            eprintln!("model-orchestrator: warning: {w}");
        }
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
        Some(Command::Unload {
            name: Some(name),
            all: false,
        }) => Ok(headless::report(
            headless::unload(&client, &config, &name).await,
        )),
        Some(Command::Unload { .. }) => Ok(headless::report(
            headless::unload_all(&client, &config, path).await,
        )),
        Some(Command::Pull { name }) => {
            let opts = headless::PullOptions {
                bars: std::io::stdout().is_terminal(),
                memory: Some(plan.clone()),
            };
            let result = headless::pull(&client, &config, &name, opts, ctrl_c()).await;
            Ok(headless::report(result))
        }
        Some(Command::Rm { name, yes }) => {
            let confirm = confirm(yes);
            Ok(headless::report(
                headless::remove(&client, &config, path, &name, confirm).await,
            ))
        }
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
        Some(Command::Sim(_) | Command::Completions { .. } | Command::Manpage) => {
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The commands that only print something about the program itself.
fn print_only(cli: &Cli) -> Result<Option<ExitCode>> {
    match &cli.command {
        Some(Command::Completions { shell }) => {
            model_orchestrator::cli::print_completions(*shell);
            Ok(Some(ExitCode::SUCCESS))
        }
        Some(Command::Manpage) => {
            model_orchestrator::cli::print_manpage().wrap_err("cannot write the manual page")?;
            Ok(Some(ExitCode::SUCCESS))
        }
        _ => Ok(None),
    }
}

/// Resolves on Ctrl-C; never, when the signal cannot be watched.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `rm`: ask only where someone can answer (stdin and stderr on a terminal).
fn confirm(yes: bool) -> headless::Confirm {
    if yes {
        headless::Confirm::Yes
    } else if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        headless::Confirm::Ask
    } else {
        headless::Confirm::CannotAsk
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
