//! `--log-file PATH`: a debug log of this program's own events (HTTP requests and
//! their outcome, errors) appended to a file. Nothing is logged without the flag,
//! and never to the terminal, where it would tear the dashboard's screen.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use color_eyre::eyre::{Result, WrapErr, eyre};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// Starts logging to `path` (appending; created when missing).
pub fn to_file(path: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .wrap_err_with(|| format!("cannot open the log file {}", path.display()))?;
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(true);
    // Only this crate: the HTTP and terminal libraries would drown it.
    let filter = Targets::new().with_target("model_orchestrator", Level::DEBUG);
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init()
        .map_err(|e| eyre!("cannot start the log: {e}"))?;
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "log started");
    Ok(())
}
