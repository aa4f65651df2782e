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
        let name = clean(&r.name);
        let unpinned = if config.is_pinned(&r.name) {
            match unpin(config_path, &r.name) {
                Ok(()) => true,
                Err(w) => {
                    warnings.push(format!("{name} stays pinned: {w}"));
                    false
                }
            }
        } else {
            false
        };
        match client.unload(&r.name).await {
            Ok(_) if unpinned => lines.push(format!("unpinned and unloaded {name}")),
            Ok(_) => lines.push(format!("unloaded {name}")),
            Err(e) => {
                failed += 1;
                warnings.push(format!("could not unload {name}: {}", e.plain()));
            }
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

fn unpin(config_path: Option<&Path>, model: &str) -> Result<(), String> {
    let path = config_path.ok_or("there is no config file location")?;
    save_pin(path, model, false)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
