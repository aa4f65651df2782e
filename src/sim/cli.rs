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
    /// How fast pulls download, in MB per second (0: each layer at once).
    #[arg(long, value_name = "MB_PER_S", default_value_t = 200.0)]
    pub pull_speed: f64,
    /// Simulated RAM in GiB.
    #[arg(long, value_name = "GB", default_value_t = 32.0)]
    pub ram: f64,
    /// A simulated GPU with its VRAM in GiB, e.g. `RTX 4090:24` (repeatable).
    #[arg(long = "gpu", value_name = "NAME:GB", value_parser = parse_gpu)]
    pub gpus: Vec<GpuSpec>,
    /// Simulated swap in GiB (all of it free until RAM runs out).
    #[arg(long = "swap", value_name = "GB", default_value_t = 0.0)]
    pub swap: f64,
    /// OLLAMA_MAX_LOADED_MODELS (default: the version's automatic value).
    #[arg(long, value_name = "N")]
    pub max_loaded: Option<usize>,
    /// OLLAMA_NUM_PARALLEL (default: the version's automatic value).
    #[arg(long, value_name = "N")]
    pub num_parallel: Option<u64>,
    /// OLLAMA_CONTEXT_LENGTH (default: the version's default context).
    #[arg(long, value_name = "TOKENS")]
    pub context_length: Option<u64>,
    /// OLLAMA_KV_CACHE_TYPE: f16, q8_0 or q4_0.
    #[arg(long, value_name = "TYPE", default_value = "f16")]
    pub kv_cache_type: String,
    /// OLLAMA_FLASH_ATTENTION.
    #[arg(long)]
    pub flash_attention: bool,
    /// OLLAMA_GPU_OVERHEAD in bytes, reserved on each GPU.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub gpu_overhead: u64,
    /// The version `/api/version` reports; it picks that version's scheduling
    /// (e.g. 0.5.7, 0.12.6, 0.33.0-rc2; 0.0.0 is the newest).
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
        let finite = [self.ram, self.load_speed, self.swap, self.pull_speed]
            .iter()
            .all(|f| f.is_finite());
        let negative = self.load_speed < 0.0 || self.swap < 0.0 || self.pull_speed < 0.0;
        if !finite || self.ram <= 0.0 || negative {
            return Err(eyre!(
                "--ram must be above 0, --load-speed, --pull-speed and --swap not negative"
            ));
        }
        let kv_cache_type = self.kv_cache_type.to_ascii_lowercase();
        if !matches!(kv_cache_type.as_str(), "f16" | "q8_0" | "q4_0") {
            return Err(eyre!(
                "--kv-cache-type must be f16, q8_0 or q4_0, not {:?}",
                self.kv_cache_type
            ));
        }
        let ram_total = (self.ram * GIB) as u64;
        Ok(SimOptions {
            port: self.port,
            catalog,
            load_speed: (self.load_speed * GB) as u64,
            pull_speed: (self.pull_speed * 1e6) as u64,
            ram_total,
            // The OS and other programs use some RAM too.
            ram_other: ram_total / 8,
            gpus: self.gpus.clone(),
            swap_total: (self.swap * GIB) as u64,
            max_loaded: self.max_loaded,
            num_parallel: self.num_parallel,
            context_length: self.context_length,
            kv_cache_type,
            flash_attention: self.flash_attention,
            gpu_overhead: self.gpu_overhead,
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
            "--pull-speed",
            "50",
            "--ram",
            "16",
            "--gpu",
            "RTX 4090:24",
            "--gpu",
            "A:8",
            "--max-loaded",
            "2",
            "--num-parallel",
            "4",
            "--context-length",
            "8192",
            "--kv-cache-type",
            "q8_0",
            "--flash-attention",
            "--gpu-overhead",
            "1000",
            "--swap",
            "8",
            "--version",
            "0.33.0-rc2",
        ])
        .expect("valid flags");
        let Cmd::Sim(args) = top.cmd;
        let o = args.options().expect("valid options");
        assert_eq!(o.port, 4242);
        assert_eq!(o.load_speed, 500_000_000);
        assert_eq!(o.pull_speed, 50_000_000);
        assert_eq!(o.ram_total, 16 << 30);
        assert_eq!(o.gpus.len(), 2);
        assert_eq!(o.gpus[0].name, "RTX 4090");
        assert_eq!(o.gpus[0].vram, 24 << 30);
        assert_eq!(o.max_loaded, Some(2));
        assert_eq!((o.num_parallel, o.context_length), (Some(4), Some(8192)));
        assert_eq!(
            (o.kv_cache_type.as_str(), o.flash_attention),
            ("q8_0", true)
        );
        assert_eq!((o.gpu_overhead, o.swap_total), (1000, 8 << 30));
        assert_eq!(o.version, "0.33.0-rc2");
    }

    #[test]
    fn unset_limits_are_the_versions_own() {
        let top = Top::try_parse_from(["mo", "sim"]).expect("no flags");
        let Cmd::Sim(args) = top.cmd;
        let o = args.options().expect("valid options");
        assert_eq!(
            (o.max_loaded, o.num_parallel, o.context_length),
            (None, None, None)
        );
        assert_eq!((o.kv_cache_type.as_str(), o.swap_total), ("f16", 0));
        let bad = Top::try_parse_from(["mo", "sim", "--kv-cache-type", "q5_1"]).expect("parses");
        let Cmd::Sim(args) = bad.cmd;
        assert!(args.options().is_err());
    }

    #[test]
    fn rejects_bad_gpus() {
        assert!(parse_gpu("nogb").is_err());
        assert!(parse_gpu("x:zero").is_err());
        assert!(parse_gpu(":8").is_err());
        assert!(parse_gpu("x:-1").is_err());
    }
}
