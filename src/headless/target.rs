//! What a command must know about a model before it sends a load, pin or unload:
//! its kind (completion, embedding-only, cloud: `crate::kind`) and the runner that
//! serves it, matched by name, digest or weights blob (`crate::aliases`).

use super::CommandError;
use crate::aliases::Aliases;
use crate::kind::{Kind, cloud_name};
use crate::names::same_model;
use crate::ollama::{Client, ModelEntry, OllamaError, RunningModel};

pub(super) struct Target {
    pub kind: Kind,
    pub installed: bool,
    /// The runner serving it (maybe under another name), when loaded.
    pub runner: Option<RunningModel>,
}

impl Target {
    /// The loaded runner's context (≥ 0.10), sent again so Ollama does not reload
    /// it over a different `num_ctx` (`needsReload`, `ollama-api.md` §9.4).
    pub fn num_ctx(&self) -> Option<u64> {
        self.runner.as_ref().and_then(|r| r.context_length)
    }

    pub fn embedding(&self) -> bool {
        self.kind == Kind::Embedding
    }
}

/// `/api/ps` (absent before 0.1.38: nothing loaded), then `/api/tags` and the
/// `/api/show` of the model and of the loaded ones. A cloud name asks nothing.
pub(super) async fn target(
    client: &Client,
    model: &str,
    action: &'static str,
) -> Result<Target, CommandError> {
    if cloud_name(model) {
        return Ok(Target {
            kind: Kind::Cloud,
            installed: true,
            runner: None,
        });
    }
    let fail = |e| CommandError::from_ollama(client, model, action, e);
    let running = match client.ps().await {
        Ok(r) => r,
        Err(OllamaError::Status { status: 404, .. }) => Vec::new(),
        Err(e) => return Err(fail(e)),
    };
    let tags = client.tags().await.map_err(fail)?;
    let entry = tags.iter().find(|m| same_model(&m.name, model));
    let (caps, arch) = match entry.filter(|e| !e.is_remote()) {
        Some(e) => match client.show(&e.name).await {
            Ok(s) => (s.capabilities.clone(), Some(s.architecture())),
            Err(_) => (Vec::new(), None),
        },
        None => (Vec::new(), None),
    };
    let kind = Kind::of(model, entry, &caps, arch.as_ref());
    let blob = arch.as_ref().and_then(|a| a.weights_blob.clone());
    let aliases = aliases(client, &tags, &running, entry, blob).await;
    Ok(Target {
        kind,
        installed: entry.is_some(),
        runner: aliases.runner(model, &running).cloned(),
    })
}

/// The weights blobs of the target and of loaded models it does not share a
/// digest with: enough to tell a Modelfile derivative of the same weights.
async fn aliases(
    client: &Client,
    tags: &[ModelEntry],
    running: &[RunningModel],
    target: Option<&ModelEntry>,
    target_blob: Option<String>,
) -> Aliases {
    let Some(target) = target else {
        return Aliases::new(tags.iter().map(|m| (m, None)));
    };
    let mut blobs: Vec<(ModelEntry, Option<String>)> = vec![(target.clone(), target_blob)];
    let others = running.iter().filter(|r| r.digest != target.digest);
    for r in others {
        let Some(e) = tags.iter().find(|m| m.digest == r.digest) else {
            continue;
        };
        let blob = client
            .show(&e.name)
            .await
            .ok()
            .and_then(|s| s.architecture().weights_blob);
        blobs.push((e.clone(), blob));
    }
    Aliases::new(blobs.iter().map(|(m, b)| (m, b.as_deref())))
}
