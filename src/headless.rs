//! The non-interactive commands behind `keep`, `load`, `unload`, `pin` and `unpin`.
//! Each waits for Ollama's answer and returns an [`Outcome`] to print, or a
//! [`CommandError`] in plain words.
//!
//! Exit codes (see [`Outcome::exit_code`], [`CommandError::exit_code`]):
//! - 0: done;
//! - 1: failed, nothing changed (unknown model, not enough memory, Ollama down, ...);
//! - 3: done at the server but not saved (or saved but not applied at the server):
//!   e.g. `pin` loaded the model forever but the config file is broken or read-only,
//!   so the pin will not survive a restart. The warning on stderr says why.
//! - 130: stopped with Ctrl-C (a `pull`), as shells report SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::config::Config;
use crate::duration::KeepAlive;
use crate::keepalive::{run_keeper, shutdown_signal};
use crate::memory::MemorySource;
use crate::ollama::{Client, LoadSpec, OllamaError};
use crate::sanitize::clean;

/// Exit code when the change holds at the server but was not saved, or the reverse.
pub const EXIT_PARTIAL: u8 = 3;

/// Exit code after Ctrl-C: 128 + SIGINT, what a shell shows for an interrupted command.
pub const EXIT_CANCELLED: u8 = 130;

/// What a command did: `message` for stdout, `warning` for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub message: String,
    pub warning: Option<String>,
    /// Only part of the command took effect (see the module docs).
    pub partial: bool,
}

impl Outcome {
    fn done(message: String) -> Outcome {
        Outcome {
            message,
            warning: None,
            partial: false,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        if self.partial {
            ExitCode::from(EXIT_PARTIAL)
        } else {
            ExitCode::SUCCESS
        }
    }

    pub fn print(&self) {
        println!("{}", self.message);
        if let Some(w) = &self.warning {
            eprintln!("warning: {w}");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("model '{model}' not found — run `ollama pull {model}`")]
    NotFound { model: String },
    #[error("not enough memory to load {model}: {message}")]
    OutOfMemory { model: String, message: String },
    #[error(
        "cannot reach Ollama at {url}: {reason}. Start it with `ollama serve` (or `systemctl start ollama`), or point --host or OLLAMA_HOST at it"
    )]
    ServerDown { url: String, reason: String },
    #[error("Ollama at {url} did not answer within {secs}s; it may be busy: try again later")]
    Slow { url: String, secs: u64 },
    #[error("the connection to Ollama at {url} broke before it answered: {reason}")]
    Broken { url: String, reason: String },
    #[error(
        "loading {model} would make Ollama evict {victims}, pinned; pass --yes to load it anyway"
    )]
    WouldEvictPinned { model: String, victims: String },
    #[error("{}", crate::kind::cloud_refusal(.model, .verb))]
    Remote { model: String, verb: &'static str },
    #[error("model '{model}' is not installed, so it is not loaded either")]
    NotInstalled { model: String },
    #[error("{model} is not pinned{where_}: nothing to unpin")]
    NotPinned { model: String, where_: String },
    #[error("Ollama could not {action} {model}: {message}")]
    Server {
        action: &'static str,
        model: String,
        message: String,
    },
    /// Nothing was done: the user said no, or could not be asked.
    #[error("{0}")]
    Refused(String),
    /// Stopped with Ctrl-C.
    #[error("{0}")]
    Cancelled(String),
}

impl CommandError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CommandError::Cancelled(_) => ExitCode::from(EXIT_CANCELLED),
            _ => ExitCode::FAILURE,
        }
    }

    fn from_ollama(client: &Client, model: &str, action: &'static str, e: OllamaError) -> Self {
        let model = clean(model);
        if e.is_not_found() {
            CommandError::NotFound { model }
        } else if e.is_out_of_memory() {
            let message = e.server_message().unwrap_or_default().to_string();
            CommandError::OutOfMemory { model, message }
        } else if e.is_connection() {
            let url = client.base_url().to_string();
            match e {
                OllamaError::Timeout { after, .. } => CommandError::Slow {
                    url,
                    secs: after.as_secs(),
                },
                OllamaError::Broken { reason, .. } => CommandError::Broken {
                    url,
                    reason: clean(&reason),
                },
                other => CommandError::ServerDown {
                    url,
                    reason: connection_reason(&other),
                },
            }
        } else {
            CommandError::Server {
                action,
                model,
                message: e.plain(),
            }
        }
    }
}

fn connection_reason(e: &OllamaError) -> String {
    match e {
        OllamaError::Unreachable { reason, .. } => clean(reason),
        other => other.to_string(),
    }
}

/// Prints the outcome or the error and gives the exit code, for `main`.
pub fn report(result: Result<Outcome, CommandError>) -> ExitCode {
    match result {
        Ok(outcome) => {
            outcome.print();
            outcome.exit_code()
        }
        Err(e) => {
            eprintln!("model-orchestrator: {e}");
            e.exit_code()
        }
    }
}

/// `keep`: runs the keeper until SIGINT or SIGTERM.
pub async fn keep(
    client: Client,
    config: Config,
    config_path: Option<PathBuf>,
    memory: Box<dyn MemorySource>,
) -> color_eyre::Result<()> {
    run_keeper(client, config, config_path, memory, shutdown_signal()).await?;
    eprintln!("model-orchestrator keep: stopped; pinned models stay loaded in Ollama");
    Ok(())
}

/// How a `load` goes about it.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub keep_alive: Option<KeepAlive>,
    /// Load even when Ollama would evict a pinned model for it.
    pub yes: bool,
    /// Whose memory to judge the load by; `None` skips the check.
    pub memory: Option<crate::memory::MemoryPlan>,
}

/// Refuses, before anything is sent, to load, pin or unload a cloud model.
fn refuse_cloud(
    target: &target::Target,
    model: &str,
    verb: &'static str,
) -> Result<(), CommandError> {
    if target.kind == crate::kind::Kind::Cloud {
        return Err(CommandError::Remote {
            model: clean(model),
            verb,
        });
    }
    Ok(())
}

/// Stops a load that would make Ollama evict a pinned model, unless `--yes`;
/// names any other model it evicts.
async fn check_victims(
    client: &Client,
    config: &Config,
    model: &str,
    opts: &LoadOptions,
) -> Result<(), CommandError> {
    let evicts = match &opts.memory {
        Some(plan) => preflight::victims(client, config, plan, model).await,
        None => Vec::new(),
    };
    let pinned_victims: Vec<String> = evicts
        .iter()
        .filter(|v| config.is_pinned(v))
        .map(|v| clean(v))
        .collect();
    if !pinned_victims.is_empty() && !opts.yes {
        return Err(CommandError::WouldEvictPinned {
            model: clean(model),
            victims: pinned_victims.join(", "),
        });
    }
    if !evicts.is_empty() {
        let names: Vec<String> = evicts.iter().map(|v| clean(v)).collect();
        eprintln!(
            "Ollama will evict {} to load {}",
            names.join(", "),
            clean(model)
        );
    }
    Ok(())
}

/// `load NAME [--keep-alive DUR]`. Without a keep-alive: the config's default if
/// set, forever for a pinned model (a plain load must not undo a pin), else none.
pub async fn load(
    client: &Client,
    config: &Config,
    model: &str,
    opts: LoadOptions,
) -> Result<Outcome, CommandError> {
    let target = target::target(client, model, "load").await?;
    refuse_cloud(&target, model, "load")?;
    check_victims(client, config, model, &opts).await?;
    let keep_alive = opts.keep_alive;
    let pinned = config.is_pinned(model);
    // A plain load sends no keep-alive unless one was asked for: the server's
    // OLLAMA_KEEP_ALIVE applies (`ollama-api.md` §9.4). A pin must not be undone.
    let chosen = keep_alive.or(if pinned {
        Some(KeepAlive::Forever)
    } else {
        config.default_keep_alive()
    });
    let spec = LoadSpec {
        embedding: target.embedding(),
        keep_alive: chosen,
        num_ctx: target.num_ctx().or(config.num_ctx),
    };
    let started = Instant::now();
    client
        .load_with(model, &spec)
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "load", e))?;
    let took = started.elapsed().as_secs_f64();
    let mut outcome = Outcome::done(format!(
        "loaded {} in {took:.1} s, {}",
        clean(model),
        kept_for_chosen(chosen)
    ));
    if pinned && chosen != Some(KeepAlive::Forever) {
        outcome.warning = Some(format!(
            "{} is pinned: a running `model-orchestrator keep` will set it back to forever",
            clean(model)
        ));
    }
    Ok(outcome)
}

mod pin;
mod preflight;
mod target;
pub use pin::{pin, unload, unpin};
mod pull;
pub mod pull_fit;
mod pull_view;
mod remove;
mod unload_all;
pub use pull::{PullOptions, pull};
pub use remove::{Confirm, remove};
pub use unload_all::unload_all;

/// `kept_for`, or what the server decides when nothing was sent.
pub fn kept_for_chosen(k: Option<KeepAlive>) -> String {
    match k {
        Some(k) => kept_for(k),
        None => "kept as long as the server's keep-alive says".into(),
    }
}

/// "kept for 5m", "kept loaded forever".
pub fn kept_for(k: KeepAlive) -> String {
    match k {
        KeepAlive::Forever => "kept loaded forever".into(),
        KeepAlive::For(d) if d.is_zero() => "unloaded right away".into(),
        KeepAlive::For(d) => format!("kept for {}", crate::duration::format_go_duration(d)),
    }
}

#[cfg(test)]
#[path = "headless_tests.rs"]
mod tests;
