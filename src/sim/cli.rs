//! `model-orchestrator sim`: runs the stand-in until SIGINT or SIGTERM. The first
//! line on stdout is its URL, so scripts can read it.

use std::io::Write;
use std::path::PathBuf;

use color_eyre::eyre::{WrapErr, eyre};

use super::{Catalog, GpuSpec, SimOptions};

const GB: f64 = 1e9;
const GIB: f64 = (1u64 << 30) as f64;

#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A catalog JSON file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// How fast models load, in GB per second.
    #[arg(long, value_name = "GB_PER_S", default_value_t = 2.0)]
    pub load_speed: f64,
    /// Simulated RAM in GiB.
    #[arg(long, value_name = "GB", default_value_t = 32.0)]
    pub ram: f64,
    /// A simulated GPU with its VRAM in GiB, e.g. `RTX 4090:24` (repeatable).
    #[arg(long = "gpu", value_name = "NAME:GB", value_parser = parse_gpu)]
    pub gpus: Vec<GpuSpec>,
    /// OLLAMA_MAX_LOADED_MODELS.
    #[arg(long, default_value_t = 3)]
    pub max_loaded: usize,
    /// The version `/api/version` reports.
    #[arg(long = "version", value_name = "VERSION", default_value = "0.12.6")]
    pub server_version: String,
}

fn parse_gpu(s: &str) -> Result<GpuSpec, String> {
    let (name, gb) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("expected NAME:GB, got {s:?}"))?;
    let gb: f64 = gb
        .trim()
        .parse()
        .map_err(|_| format!("{gb:?} is not a number of GB"))?;
    if name.trim().is_empty() || !gb.is_finite() || gb <= 0.0 {
        return Err(format!("expected NAME:GB with GB above 0, got {s:?}"));
    }
    Ok(GpuSpec {
        name: name.trim().to_string(),
        vram: (gb * GIB) as u64,
    })
}

impl SimArgs {
    pub fn options(&self) -> color_eyre::Result<SimOptions> {
        let catalog = match &self.catalog {
            Some(path) => Catalog::from_file(path).wrap_err("cannot use the catalog")?,
            None => Catalog::embedded(),
        };
        let finite = self.ram.is_finite() && self.load_speed.is_finite();
        if !finite || self.ram <= 0.0 || self.load_speed < 0.0 {
            return Err(eyre!("--ram must be above 0 and --load-speed not negative"));
        }
        let ram_total = (self.ram * GIB) as u64;
        Ok(SimOptions {
            port: self.port,
            catalog,
            load_speed: (self.load_speed * GB) as u64,
            ram_total,
            // The OS and other programs use some RAM too.
            ram_other: ram_total / 8,
            gpus: self.gpus.clone(),
            max_loaded: self.max_loaded,
            version: self.server_version.clone(),
            ..SimOptions::default()
        })
    }
}

pub async fn run(args: SimArgs) -> color_eyre::Result<()> {
    let server = super::start(args.options()?)
        .await
        .wrap_err("cannot start the Ollama stand-in")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", server.url()).wrap_err("cannot write to stdout")?;
    out.flush().wrap_err("cannot write to stdout")?;
    drop(out);
    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> color_eyre::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).wrap_err("cannot watch SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.wrap_err("cannot watch SIGINT"),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> color_eyre::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .wrap_err("cannot watch Ctrl-C")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    #[command(version)]
    struct Top {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(clap::Subcommand)]
    enum Cmd {
        Sim(SimArgs),
    }

    #[test]
    fn parses_every_flag_under_a_versioned_parent() {
        let top = Top::try_parse_from([
            "mo",
            "sim",
            "--port",
            "4242",
            "--load-speed",
            "0.5",
            "--ram",
            "16",
            "--gpu",
            "RTX 4090:24",
            "--gpu",
            "A:8",
            "--max-loaded",
            "2",
            "--version",
            "0.33.0-rc2",
        ])
        .expect("valid flags");
        let Cmd::Sim(args) = top.cmd;
        let o = args.options().expect("valid options");
        assert_eq!(o.port, 4242);
        assert_eq!(o.load_speed, 500_000_000);
        assert_eq!(o.ram_total, 16 << 30);
        assert_eq!(o.gpus.len(), 2);
        assert_eq!(o.gpus[0].name, "RTX 4090");
        assert_eq!(o.gpus[0].vram, 24 << 30);
        assert_eq!(o.max_loaded, 2);
        assert_eq!(o.version, "0.33.0-rc2");
    }

    #[test]
    fn rejects_bad_gpus() {
        assert!(parse_gpu("nogb").is_err());
        assert!(parse_gpu("x:zero").is_err());
        assert!(parse_gpu(":8").is_err());
        assert!(parse_gpu("x:-1").is_err());
    }
}
