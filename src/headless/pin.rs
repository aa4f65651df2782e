//! `pin`, `unpin` and `unload`: the commands that touch pins.

use std::path::Path;

use super::{CommandError, Outcome, kept_for};
use crate::config::Config;
use crate::kind::Kind;
use crate::ollama::{Client, LoadSpec};
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
    let target = super::target::target(client, model, "pin").await?;
    super::refuse_cloud(&target, model, "pin")?;
    let spec = LoadSpec::pin(target.embedding(), target.num_ctx());
    client
        .load_with(model, &spec)
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
        Some((p, Ok(_))) => {
            return Err(CommandError::NotPinned {
                model: name,
                where_: format!(" in {}", p.display()),
            });
        }
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

/// Sends a finite keep-alive to a loaded model (or the runner it shares); says
/// what happened. A load without one would keep the runner's -1 (`useLoadedRunner`
/// from v0.2.0), so the unpin would not take.
async fn reset_keep_alive(
    client: &Client,
    config: &Config,
    model: &str,
) -> Result<String, CommandError> {
    let target = super::target::target(client, model, "unpin").await?;
    if target.kind == Kind::Cloud || target.runner.is_none() {
        return Ok("not loaded".into());
    }
    let keep = config.unpin_keep_alive();
    let spec = LoadSpec {
        embedding: target.embedding(),
        keep_alive: Some(keep),
        num_ctx: target.num_ctx(),
    };
    client
        .load_with(model, &spec)
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "unpin", e))?;
    Ok(format!("loaded, now {} after its last use", kept_for(keep)))
}

/// `unload NAME`. Nothing is sent for a model that is not loaded: before 0.3.11
/// keep_alive 0 would load it first (`ollama-api.md` §3.3). A pinned model gets a
/// warning: `keep` would load it again.
pub async fn unload(
    client: &Client,
    config: &Config,
    model: &str,
) -> Result<Outcome, CommandError> {
    let name = clean(model);
    let target = super::target::target(client, model, "unload").await?;
    super::refuse_cloud(&target, model, "unload")?;
    let message = if target.runner.is_some() {
        client
            .unload_with(model, target.embedding())
            .await
            .map_err(|e| CommandError::from_ollama(client, model, "unload", e))?;
        format!("unloaded {name}")
    } else if target.installed {
        format!("{name} was not loaded")
    } else {
        return Err(CommandError::NotInstalled { model: name });
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
