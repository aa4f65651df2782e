//! `pull NAME`: downloads a model through Ollama with its progress, after saying
//! whether it will fit here when its size can be known.

use std::future::Future;
use std::time::Instant;

use futures_util::StreamExt;

use super::pull_view::{Bars, Lines, PullView};
use super::{CommandError, Outcome, pull_fit};
use crate::config::Config;
use crate::format::{gb, human_bytes};
use crate::memory::MemoryPlan;
use crate::ollama::{Client, OllamaError, PullEvent};
use crate::sanitize::clean;

/// How a `pull` goes about it.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Progress bars (stdout is a terminal) instead of plain lines.
    pub bars: bool,
    /// Whose memory to judge the fit by; `None` says nothing about the fit.
    pub memory: Option<MemoryPlan>,
}

/// Pulls `model` until Ollama says success, the stream fails or `cancel` resolves
/// (Ctrl-C). Dropping the stream closes the connection, which cancels the pull at
/// the server; Ollama keeps the parts already fetched, so pulling again resumes.
pub async fn pull(
    client: &Client,
    config: &Config,
    model: &str,
    opts: PullOptions,
    cancel: impl Future<Output = ()>,
) -> Result<Outcome, CommandError> {
    tracing::debug!(model, "pull");
    if let Some(plan) = &opts.memory {
        if let Some(note) = pull_fit::note(client, config, plan, model).await {
            println!("{note}");
        }
    }
    let mut view: Box<dyn PullView> = if opts.bars {
        Box::new(Bars::new())
    } else {
        Box::new(Lines::new(std::io::stdout()))
    };
    let started = Instant::now();
    let result = tokio::select! {
        r = stream(client, model, view.as_mut()) => r,
        () = cancel => Err(CommandError::Cancelled(format!(
            "stopped pulling {}; run the same command again to go on from where it stopped",
            clean(model)
        ))),
    };
    view.finish(result.is_ok());
    result?;
    let tally = view.tally();
    let fetched = match tally.downloaded() {
        0 => "already up to date".to_string(),
        n => format!(
            "{} fetched in {:.1} s",
            human_bytes(n),
            started.elapsed().as_secs_f64()
        ),
    };
    Ok(Outcome {
        message: format!("pulled {} ({}, {fetched})", clean(model), gb(tally.total())),
        warning: None,
        partial: false,
    })
}

/// Feeds the events to `view` until success.
async fn stream(client: &Client, model: &str, view: &mut dyn PullView) -> Result<(), CommandError> {
    let events = client
        .pull(model)
        .await
        .map_err(|e| pull_error(client, model, e))?;
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        match event.map_err(|e| pull_error(client, model, e))? {
            PullEvent::Success => {
                view.status("success");
                return Ok(());
            }
            PullEvent::Status(s) => view.status(&clean(&s)),
            PullEvent::Layer {
                status,
                digest,
                total,
                completed,
            } => view.layer(&clean(&status), &digest, total, completed, Instant::now()),
        }
    }
    Err(CommandError::Broken {
        url: client.base_url().to_string(),
        reason: "the pull stopped before Ollama said success".into(),
    })
}

/// Ollama's pull errors in plain words: a 400 for a malformed name, an `{"error"}`
/// line (status 200) for a name the registry does not know.
fn pull_error(client: &Client, model: &str, e: OllamaError) -> CommandError {
    tracing::debug!(model, error = %e, "pull failed");
    let message = match &e {
        OllamaError::Status { status: 400, .. } => {
            "that is not a valid model name (names look like name:tag or host/namespace/name:tag)"
                .to_string()
        }
        OllamaError::Status { message, .. } if message.contains("file does not exist") => {
            format!("the registry has no model of that name or tag ({message}); check the spelling")
        }
        OllamaError::Status { message, .. } => message.clone(),
        _ => return CommandError::from_ollama(client, model, "pull", e),
    };
    CommandError::Server {
        action: "pull",
        model: clean(model),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_errors_say_what_to_do() {
        let client = Client::new("http://127.0.0.1:9").expect("client");
        let bad = OllamaError::status(400, r#"{"error":"invalid model name"}"#);
        let text = pull_error(&client, "bad name!", bad).to_string();
        assert!(text.contains("not a valid model name"), "{text}");
        let missing = OllamaError::Status {
            status: 200,
            message: "pull model manifest: file does not exist".into(),
        };
        let text = pull_error(&client, "nope:7b", missing).to_string();
        assert!(
            text.contains("could not pull nope:7b") && text.contains("no model of that name"),
            "{text}"
        );
    }
}
