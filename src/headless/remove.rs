//! `rm NAME [--yes]`: deletes a model from disk. Like `ollama rm` (`cmd/cmd.go`
//! `DeleteHandler`) it unloads the model first, because `/api/delete` leaves a loaded
//! runner in memory; a pinned model is unpinned before that, so a running `keep`
//! does not load it again in between.

use std::io::{BufRead, Write};
use std::path::Path;

use super::{CommandError, Outcome};
use crate::config::Config;
use crate::format::gb;
use crate::names::same_model;
use crate::ollama::{Client, ModelEntry};
use crate::pins::{PinChange, save_pin};
use crate::sanitize::clean;

/// Whether the user agreed to the delete, or can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `--yes`.
    Yes,
    /// Ask on the terminal.
    Ask,
    /// No terminal to ask on, and no `--yes`.
    CannotAsk,
}

/// What is true of the model before the delete.
struct Target {
    entry: ModelEntry,
    loaded: bool,
    pinned: bool,
}

pub async fn remove(
    client: &Client,
    config: &Config,
    config_path: Option<&Path>,
    model: &str,
    confirm: Confirm,
) -> Result<Outcome, CommandError> {
    let target = find(client, config, model).await?;
    agreed(confirm, &target)?;
    let mut done = Vec::new();
    let mut warnings = Vec::new();
    if target.pinned {
        match unpin(config_path, &target.entry.name) {
            Ok(text) => done.push(text),
            Err(w) => warnings.push(w),
        }
    }
    if target.loaded {
        match client.unload(&target.entry.name).await {
            Ok(_) => done.push("unloaded first".into()),
            Err(e) => warnings.push(format!(
                "could not unload it first ({}); it stays in memory until it expires",
                e.plain()
            )),
        }
    }
    delete(client, &target, done, warnings).await
}

/// Goes on only with `--yes` or a "y" on the terminal.
fn agreed(confirm: Confirm, target: &Target) -> Result<(), CommandError> {
    let name = clean(&target.entry.name);
    match confirm {
        Confirm::Yes => Ok(()),
        Confirm::CannotAsk => Err(CommandError::Refused(format!(
            "not deleting {name} without asking: pass --yes (there is no terminal to ask on)"
        ))),
        Confirm::Ask if ask(&question(target)) => Ok(()),
        Confirm::Ask => Err(CommandError::Refused(format!("left {name} as it is"))),
    }
}

async fn delete(
    client: &Client,
    target: &Target,
    mut done: Vec<String>,
    warnings: Vec<String>,
) -> Result<Outcome, CommandError> {
    let name = clean(&target.entry.name);
    let size = gb(target.entry.size);
    let deleted = client.delete(&target.entry.name).await;
    tracing::debug!(model = %name, ok = deleted.is_ok(), "delete");
    match deleted {
        Ok(()) => {
            done.insert(0, size);
            Ok(Outcome {
                message: format!("deleted {name} ({})", done.join("; ")),
                partial: !warnings.is_empty(),
                warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
            })
        }
        Err(e) if done.is_empty() => Err(CommandError::from_ollama(client, &name, "delete", e)),
        // Something changed already: say what, and that the delete did not happen.
        Err(e) => Ok(Outcome {
            message: format!("{name} was not deleted ({})", done.join("; ")),
            warning: Some(format!("Ollama could not delete {name}: {}", e.plain())),
            partial: true,
        }),
    }
}

/// The installed model, whether it is loaded and whether it is pinned.
async fn find(client: &Client, config: &Config, model: &str) -> Result<Target, CommandError> {
    let tags = client
        .tags()
        .await
        .map_err(|e| CommandError::from_ollama(client, model, "delete", e))?;
    let Some(entry) = tags.into_iter().find(|m| same_model(&m.name, model)) else {
        return Err(CommandError::Server {
            action: "delete",
            model: clean(model),
            message: "it is not installed (`model-orchestrator list` shows what is)".into(),
        });
    };
    let loaded = match client.ps().await {
        Ok(running) => running.iter().any(|r| same_model(&r.name, &entry.name)),
        Err(e) if e.is_connection() => {
            return Err(CommandError::from_ollama(client, model, "delete", e));
        }
        // Cannot tell: unloading a model that is not loaded does no harm.
        Err(_) => true,
    };
    let pinned = config.is_pinned(&entry.name) || config.is_pinned(model);
    Ok(Target {
        entry,
        loaded,
        pinned,
    })
}

/// "Delete llama3.1:8b (4.9 GB)? It is loaded: it will be unloaded first. [y/N] "
fn question(t: &Target) -> String {
    let mut q = format!(
        "Delete {} ({}) from disk?",
        clean(&t.entry.name),
        gb(t.entry.size)
    );
    if t.loaded {
        q.push_str(" It is loaded: it will be unloaded first.");
    }
    if t.pinned {
        q.push_str(" It is pinned: it will be unpinned.");
    }
    q.push_str(" [y/N] ");
    q
}

/// Asks on stderr and reads the answer from stdin; only "y" or "yes" agree.
fn ask(question: &str) -> bool {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Removes the pin from the config; the text says where, the error why not.
fn unpin(config_path: Option<&Path>, model: &str) -> Result<String, String> {
    let Some(path) = config_path else {
        return Err("it stays in keep_alive_models: there is no config file location".into());
    };
    match save_pin(path, model, false) {
        Ok(PinChange::Removed) => Ok(format!("unpinned, removed from {}", path.display())),
        Ok(_) => Ok("unpinned".into()),
        Err(e) => Err(format!("it stays in keep_alive_models: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_names_the_model_its_size_and_what_happens_first() {
        let t = Target {
            entry: ModelEntry {
                name: "llama3.1:8b".into(),
                size: 4_920_753_328,
                ..ModelEntry::default()
            },
            loaded: true,
            pinned: true,
        };
        assert_eq!(
            question(&t),
            "Delete llama3.1:8b (4.9 GB) from disk? It is loaded: it will be unloaded first. It is pinned: it will be unpinned. [y/N] "
        );
    }
}
