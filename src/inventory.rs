//! Everything the server says about its models, fetched together: installed (tags),
//! loaded (ps) and, per model, the architecture and capabilities (show).

use std::collections::HashMap;

use futures_util::StreamExt;

use crate::ollama::{Architecture, Client, ModelEntry, OllamaError, RunningModel};

/// How many `/api/show` calls run at once.
const SHOW_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub models: Vec<ModelEntry>,
    pub running: Vec<RunningModel>,
    /// Architecture per model name, where `/api/show` answered.
    pub arch: HashMap<String, Architecture>,
    /// Capabilities per model name: from `/api/tags` on ≥ 0.30, else `/api/show`.
    pub capabilities: HashMap<String, Vec<String>>,
    /// What `/api/version` answered, when it did.
    pub version: Option<String>,
}

impl Inventory {
    /// The model as the fit rules see it.
    pub fn model<'a>(&'a self, m: &'a ModelEntry) -> crate::fit::Model<'a> {
        let arch = self.arch.get(&m.name);
        crate::fit::Model {
            entry: m,
            arch,
            embedding_only: crate::fit::embedding_only(self.capabilities_of(&m.name), arch),
        }
    }

    /// The weights blob of a loaded model, from the `/api/show` of the installed
    /// model with the same digest.
    pub fn weights_of(&self, r: &RunningModel) -> Option<String> {
        let m = self.models.iter().find(|m| m.digest == r.digest)?;
        self.arch.get(&m.name)?.weights_blob.clone()
    }

    /// Which runner serves which installed model: by digest and weights blob.
    pub fn aliases(&self) -> crate::aliases::Aliases {
        crate::aliases::Aliases::new(self.models.iter().map(|m| {
            let blob = self
                .arch
                .get(&m.name)
                .and_then(|a| a.weights_blob.as_deref());
            (m, blob)
        }))
    }

    pub fn capabilities_of(&self, name: &str) -> &[String] {
        self.capabilities.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Fetches tags, ps and show. A server older than 0.1.38 has no `/api/ps` (plain 404):
/// that reads as "nothing loaded". A failing `/api/show` only loses the estimate.
pub async fn fetch(client: &Client) -> Result<Inventory, OllamaError> {
    fetch_with(client, &crate::show_cache::ShowCache::none()).await
}

/// As [`fetch`], with `/api/show` answers from (and into) `cache`.
pub async fn fetch_with(
    client: &Client,
    cache: &crate::show_cache::ShowCache,
) -> Result<Inventory, OllamaError> {
    let models = client.tags().await?;
    let version = client.version().await.ok();
    let running = match client.ps().await {
        Ok(r) => r,
        Err(OllamaError::Status { status: 404, .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let shows: Vec<_> = futures_util::stream::iter(models.iter().filter(|m| !m.is_remote()))
        .map(|m| async move { (m.name.clone(), cache.show(client, &m.name, &m.digest).await) })
        .buffer_unordered(SHOW_CONCURRENCY)
        .collect()
        .await;
    let mut inv = Inventory {
        capabilities: models
            .iter()
            .filter(|m| !m.capabilities.is_empty())
            .map(|m| (m.name.clone(), m.capabilities.clone()))
            .collect(),
        models,
        running,
        arch: HashMap::new(),
        version,
    };
    for (name, show) in shows {
        let Ok(show) = show else { continue };
        if !show.capabilities.is_empty() {
            inv.capabilities
                .entry(name.clone())
                .or_insert_with(|| show.capabilities.clone());
        }
        inv.arch.insert(name, show.architecture());
    }
    Ok(inv)
}
