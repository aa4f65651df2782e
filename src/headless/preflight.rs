//! Before a command-line load: which loaded models Ollama will evict for it, judged
//! like the dashboard judges (the server's band, its memory, the eviction order).
//! Only the target's and the loaded models' details are fetched; any failure skips
//! the check and leaves the decision to the server.

use crate::config::Config;
use crate::fit;
use crate::memory::MemoryPlan;
use crate::names::same_model;
use crate::ollama::{Architecture, Client, ModelEntry};

/// The models Ollama evicts to load `model` now, next to go first; empty when it
/// fits beside them or the check cannot be made.
pub async fn victims(
    client: &Client,
    config: &Config,
    plan: &MemoryPlan,
    model: &str,
) -> Vec<String> {
    let Ok(tags) = client.tags().await else {
        return Vec::new();
    };
    let Some(entry) = tags.iter().find(|m| same_model(&m.name, model)) else {
        return Vec::new();
    };
    let arch: Option<Architecture> = client
        .show(&entry.name)
        .await
        .ok()
        .map(|s| s.architecture());
    let Some(judged) = judge(client, config, plan, entry, arch.as_ref()).await else {
        return Vec::new();
    };
    match judged.verdict {
        fit::Verdict::FitsIfUnloaded { unload, .. } => unload,
        _ => Vec::new(),
    }
}

/// `entry` judged against what is loaded now and the memory `plan` reads, like the
/// dashboard judges; `None` when the loaded models or the memory cannot be read.
pub async fn judge(
    client: &Client,
    config: &Config,
    plan: &MemoryPlan,
    entry: &ModelEntry,
    arch: Option<&Architecture>,
) -> Option<fit::Judgement> {
    let running = client.ps().await.ok()?;
    let memory = crate::commands::host_memory(plan).await?;
    let version = client.version().await.ok();
    let server = fit::Server::new(version.as_deref(), crate::server_env::settings(config));
    let mut book = fit::KeepAliveBook::default();
    let now = jiff::Timestamp::now();
    book.observe(&running, now);
    let scene =
        fit::Scene::new(&server, Some(&memory), &running, config).order(&book, |_| None, now);
    Some(scene.judge(fit::Model {
        entry,
        arch,
        embedding_only: fit::embedding_only(&entry.capabilities, arch),
    }))
}
