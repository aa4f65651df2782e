//! Command-line interface: the dashboard by default, plus non-interactive commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "model-orchestrator",
    version,
    about = "A terminal dashboard for local LLMs served by Ollama: what is installed, what fits in memory now, what is loaded, and pins that hold.",
    after_help = "With no command, opens the dashboard. Host: --host, then OLLAMA_HOST, then the config file, then http://127.0.0.1:11434."
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/model-orchestrator/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Ollama's address, parsed like OLLAMA_HOST (overrides OLLAMA_HOST and the config).
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,

    /// A Prometheus exporter that reports the memory of the machine Ollama runs on
    /// (node_exporter, dcgm-exporter, nvidia_gpu_exporter); repeatable. Used instead
    /// of this machine's memory, even for a local server.
    #[arg(long = "memory-url", global = true, value_name = "URL")]
    pub memory_urls: Vec<String>,

    /// Open the dashboard against a built-in simulated Ollama (no Ollama needed).
    #[arg(long)]
    pub demo: bool,

    /// Write a debug log (HTTP requests, errors) to this file; nothing is logged
    /// anywhere without it.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Installed models with size, need, fit verdict, loaded and pinned.
    #[command(visible_alias = "ls")]
    List {
        /// One JSON object per model, in an array.
        #[arg(long)]
        json: bool,
    },
    /// Loaded models with size, CPU/GPU split, context and expiry.
    Ps {
        /// One JSON object per loaded model, in an array.
        #[arg(long)]
        json: bool,
    },
    /// The best model for a task that fits now: its name on stdout, the reason on
    /// stderr (exit code 1 when nothing fits).
    Select {
        /// general, code, debug or embedding.
        #[arg(long, default_value = "general")]
        task: crate::select::Task,
        /// The pick, its verdict and the reason as one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// This machine's memory as the fit rules see it: RAM, swap and each GPU.
    Memory {
        /// RAM, swap and GPUs as one JSON object, in bytes.
        #[arg(long)]
        json: bool,
    },
    /// Load a model and wait until it is in memory.
    Load {
        /// Model name, e.g. llama3.1:8b.
        name: String,
        /// How long to keep it loaded after its last use ("30m", "1h"; "-1m" = forever).
        /// Default: forever for a pinned model, else the config's default_keep_alive;
        /// unset, none is sent and the server's OLLAMA_KEEP_ALIVE applies.
        // Hyphen values allowed: "-1m" (forever) is a value here, not a flag.
        #[arg(
            long,
            value_name = "DUR",
            value_parser = parse_keep_alive,
            allow_hyphen_values = true
        )]
        keep_alive: Option<crate::duration::KeepAlive>,
        /// Load even when Ollama would evict a pinned model to make room.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Unload a model now, or every loaded model with --all.
    #[command(visible_alias = "stop")]
    Unload {
        /// Model name, e.g. llama3.1:8b.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Unload every loaded model; pinned ones are unpinned first so `keep` lets
        /// them go.
        #[arg(long)]
        all: bool,
    },
    /// Keep a model loaded forever and save it to keep_alive_models.
    Pin {
        /// Model name, e.g. llama3.1:8b.
        name: String,
    },
    /// Remove a model from keep_alive_models and let it expire normally.
    Unpin {
        /// Model name, e.g. llama3.1:8b.
        name: String,
    },
    /// Download a model through Ollama, with progress: bars on a terminal, plain
    /// lines otherwise. Says first whether it will fit, when its size is known.
    /// Ctrl-C stops it (exit code 130); pulling again goes on from there.
    Pull {
        /// Model name: name:tag or host/namespace/name:tag.
        name: String,
    },
    /// Delete a model from disk, after asking; a loaded model is unloaded first and
    /// a pinned one unpinned.
    Rm {
        /// Model name, e.g. llama3.1:8b.
        name: String,
        /// Delete without asking (needed when there is no terminal to ask on).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Print a shell completion script, e.g.
    /// `model-orchestrator completions bash > ~/.local/share/bash-completion/completions/model-orchestrator`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `model-orchestrator manpage | man -l -`.
    Manpage,
    /// Keep pinned models loaded, without a UI (logs to stderr; stop with Ctrl-C).
    Keep,
    /// Run the built-in stand-in for Ollama (prints its URL first).
    Sim(crate::sim::cli::SimArgs),
}

/// `completions SHELL`: the script on stdout.
pub fn print_completions(shell: clap_complete::Shell) {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(
        shell,
        &mut cmd,
        "model-orchestrator",
        &mut std::io::stdout(),
    );
}

/// `manpage`: the manual page in roff on stdout.
pub fn print_manpage() -> std::io::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(cmd).render(&mut std::io::stdout())
}

fn parse_keep_alive(s: &str) -> Result<crate::duration::KeepAlive, String> {
    crate::duration::KeepAlive::parse_env(s).map_err(|e| e.to_string())
}

impl clap::ValueEnum for crate::select::Task {
    fn value_variants<'a>() -> &'a [Self] {
        &crate::select::Task::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::duration::KeepAlive;

    fn load_keep_alive(args: &[&str]) -> Option<KeepAlive> {
        match Cli::try_parse_from(args).expect("parses").command {
            Some(Command::Load { keep_alive, .. }) => keep_alive,
            other => panic!("not a load: {other:?}"),
        }
    }

    #[test]
    fn load_takes_a_negative_keep_alive_as_forever() {
        for args in [
            &[
                "model-orchestrator",
                "load",
                "llama3.1:8b",
                "--keep-alive",
                "-1m",
            ][..],
            &[
                "model-orchestrator",
                "load",
                "llama3.1:8b",
                "--keep-alive=-1m",
            ],
            &[
                "model-orchestrator",
                "load",
                "--keep-alive",
                "-1m",
                "llama3.1:8b",
            ],
        ] {
            assert_eq!(load_keep_alive(args), Some(KeepAlive::Forever), "{args:?}");
        }
        assert_eq!(
            load_keep_alive(&["model-orchestrator", "load", "x", "--keep-alive", "-1"]),
            Some(KeepAlive::Forever)
        );
    }

    /// Every argument and subcommand says what it is for in `--help`.
    #[test]
    fn every_flag_and_command_is_described() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                let sub_path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(sub_path.clone());
                }
                walk(sub, &sub_path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&<Cli as clap::CommandFactory>::command(), "", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn ollama_spellings_are_aliases() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).expect("parses").command;
        assert!(matches!(
            parse(&["mo", "ls"]),
            Some(Command::List { json: false })
        ));
        assert!(matches!(
            parse(&["mo", "stop", "x"]),
            Some(Command::Unload {
                name: Some(_),
                all: false
            })
        ));
        assert!(matches!(
            parse(&["mo", "unload", "--all"]),
            Some(Command::Unload {
                name: None,
                all: true
            })
        ));
        assert!(Cli::try_parse_from(["mo", "unload"]).is_err());
        assert!(Cli::try_parse_from(["mo", "unload", "x", "--all"]).is_err());
        assert!(matches!(
            parse(&["mo", "rm", "x", "-y"]),
            Some(Command::Rm { yes: true, .. })
        ));
    }

    #[test]
    fn load_still_refuses_a_bad_keep_alive() {
        let err = Cli::try_parse_from(["model-orchestrator", "load", "x", "--keep-alive", "-1d"])
            .expect_err("refused");
        assert!(
            err.to_string()
                .contains(r#"time: unknown unit "d" in duration "-1d""#),
            "{err}"
        );
    }
}
