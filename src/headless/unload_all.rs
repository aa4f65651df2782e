//! `unload --all`: unloads every loaded model. A pinned one is unpinned first (its
//! entry leaves keep_alive_models), or a running `keep` would load it right back.

use std::path::Path;

use super::{CommandError, Outcome};
use crate::config::Config;
use crate::ollama::Client;
use crate::pins::save_pin;
use crate::sanitize::clean;

pub async fn unload_all(
    client: &Client,
    config: &Config,
    config_path: Option<&Path>,
) -> Result<Outcome, CommandError> {
    let running = client
        .ps()
        .await
        .map_err(|e| CommandError::from_ollama(client, "every model", "unload", e))?;
    if running.is_empty() {
        return Ok(Outcome::done("nothing was loaded".into()));
    }
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    let mut failed = 0;
    for r in &running {
        match unload_one(client, config, config_path, &r.name, &mut warnings).await {
            Some(line) => lines.push(line),
            None => failed += 1,
        }
    }
    if failed == running.len() && lines.is_empty() {
        return Err(CommandError::Server {
            action: "unload",
            model: "any model".into(),
            message: warnings.join("; "),
        });
    }
    Ok(Outcome {
        message: lines.join("\n"),
        partial: !warnings.is_empty(),
        warning: (!warnings.is_empty()).then(|| warnings.join("\n")),
    })
}

/// Unpins (when pinned) and unloads one model: the line to print, or `None` when
/// the unload failed. Problems go to `warnings`.
async fn unload_one(
    client: &Client,
    config: &Config,
    config_path: Option<&Path>,
    model: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let name = clean(model);
    let mut unpinned = false;
    if config.is_pinned(model) {
        match unpin(config_path, model) {
            Ok(()) => unpinned = true,
            Err(w) => warnings.push(format!("{name} stays pinned: {w}")),
        }
    }
    match client.unload(model).await {
        Ok(_) if unpinned => Some(format!("unpinned and unloaded {name}")),
        Ok(_) => Some(format!("unloaded {name}")),
        Err(e) => {
            warnings.push(format!("could not unload {name}: {}", e.plain()));
            None
        }
    }
}

fn unpin(config_path: Option<&Path>, model: &str) -> Result<(), String> {
    let path = config_path.ok_or("there is no config file location")?;
    save_pin(path, model, false)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
