//! `pin`, `unpin` and `unload`: the commands that touch pins.

use std::path::Path;

use super::{CommandError, Outcome, kept_for};
use crate::config::Config;
use crate::names::same_model;
use crate::ollama::Client;
use crate::pins::{PinChange, save_pin};
use crate::sanitize::clean;

/// `pin NAME`: loads the model with keep_alive -1 now, then saves it to the config.
/// A failed save keeps the pin for as long as Ollama runs and exits with
/// `EXIT_PARTIAL`.
pub async fn pin(
    client: &Client,
    config_path: Option<&Path>,
    model: &str,
) -> Result<Outcome, CommandError> {
    client
        .pin(model)
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "pin", e))?;
    let name = clean(model);
    let Some(path) = config_path else {
        return Ok(Outcome {
            message: format!("pinned {name} (kept loaded forever; not saved)"),
            warning: Some(
                "there is no config file location on this system; pass --config PATH to save pins"
                    .into(),
            ),
            partial: true,
        });
    };
    Ok(match save_pin(path, model, true) {
        Ok(change) => {
            let saved = match change {
                PinChange::Unchanged => "already saved in",
                _ => "saved to",
            };
            Outcome {
                message: format!(
                    "pinned {name} (kept loaded forever; {saved} {})",
                    path.display()
                ),
                warning: None,
                partial: false,
            }
        }
        Err(e) => Outcome {
            message: format!(
                "pinned {name} (kept loaded forever until Ollama restarts; not saved)"
            ),
            warning: Some(e.to_string()),
            partial: true,
        },
    })
}

/// `unpin NAME`: removes it from the config first (so a running `keep` lets go), then,
/// if it is loaded, sends the default keep-alive so it unloads when idle. A model
/// that is not loaded is not loaded just to be unpinned.
pub async fn unpin(
    client: &Client,
    config: &Config,
    config_path: Option<&Path>,
    model: &str,
) -> Result<Outcome, CommandError> {
    let name = clean(model);
    let (saved, save_warning, removed) = match config_path.map(|p| (p, save_pin(p, model, false))) {
        None => (
            None,
            Some("there is no config file location on this system".into()),
            false,
        ),
        Some((p, Ok(PinChange::Removed))) => {
            (Some(format!("removed from {}", p.display())), None, true)
        }
        Some((p, Ok(_))) => (
            Some(format!("it was not pinned in {}", p.display())),
            None,
            false,
        ),
        Some((_, Err(e))) => (None, Some(e.to_string()), false),
    };
    let server = reset_keep_alive(client, config, model).await;
    let server = match (server, &saved) {
        (Ok(text), _) => text,
        // Nothing changed anywhere: a plain failure.
        (Err(e), _) if !removed => return Err(e),
        (Err(e), None) => return Err(e),
        (Err(e), Some(s)) => {
            return Ok(Outcome {
                message: format!("unpinned {name} ({s})"),
                warning: Some(format!("Ollama was not told: {e}")),
                partial: true,
            });
        }
    };
    let detail = match &saved {
        Some(s) => format!("{server}; {s}"),
        None => format!("{server}; not saved"),
    };
    Ok(Outcome {
        message: format!("unpinned {name} ({detail})"),
        partial: save_warning.is_some(),
        warning: save_warning,
    })
}

/// Sends the default keep-alive to a loaded model; says what happened.
async fn reset_keep_alive(
    client: &Client,
    config: &Config,
    model: &str,
) -> Result<String, CommandError> {
    let running = client
        .ps()
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "unpin", e))?;
    if !running.iter().any(|r| same_model(&r.name, model)) {
        return Ok("not loaded".into());
    }
    let keep = config.default_keep_alive();
    client
        .load(model, Some(keep))
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "unpin", e))?;
    Ok(format!("loaded, now {} after its last use", kept_for(keep)))
}

/// `unload NAME`. A pinned model gets a warning: `keep` would load it again.
pub async fn unload(
    client: &Client,
    config: &Config,
    model: &str,
) -> Result<Outcome, CommandError> {
    let name = clean(model);
    // Unloading a model that is not loaded succeeds at the server; say so plainly.
    let loaded = match client.ps().await {
        Ok(r) => r.iter().any(|m| same_model(&m.name, model)),
        // Down or too slow for ps: the unload would only wait as long again.
        Err(e) if e.is_connection() => {
            return Err(CommandError::from_ollama(client, model, "unload", e));
        }
        Err(_) => true,
    };
    client
        .unload(model)
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "unload", e))?;
    let message = if loaded {
        format!("unloaded {name}")
    } else {
        format!("{name} was not loaded")
    };
    let warning = config.is_pinned(model).then(|| {
        format!(
            "{name} is pinned: a running `model-orchestrator keep` will load it again; `model-orchestrator unpin {name}` stops that"
        )
    });
    Ok(Outcome {
        message,
        warning,
        partial: false,
    })
}
