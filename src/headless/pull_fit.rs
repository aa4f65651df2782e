//! Before a pull: the model's size and whether it will fit here, when they can be
//! known. Ollama's API gives a model's size only once it is installed (pulling an
//! installed model updates it); for a new model nothing is said.

use super::preflight;
use crate::config::Config;
use crate::fit::{Judgement, Landing, Verdict};
use crate::format::gb;
use crate::memory::MemoryPlan;
use crate::names::same_model;
use crate::ollama::{Architecture, Client, ModelEntry};
use crate::sanitize::clean;

/// One sentence: the size, the need and the verdict; `None` when the size is unknown.
pub async fn note(
    client: &Client,
    config: &Config,
    plan: &MemoryPlan,
    model: &str,
) -> Option<String> {
    let (entry, arch) = known_entry(client, model).await?;
    let judged = preflight::judge(client, config, plan, &entry, arch.as_ref()).await;
    Some(describe(&entry, judged.as_ref()))
}

/// The model as installed here, with its details.
async fn known_entry(client: &Client, model: &str) -> Option<(ModelEntry, Option<Architecture>)> {
    let tags = client.tags().await.ok()?;
    let entry = tags.into_iter().find(|m| same_model(&m.name, model))?;
    let arch = client
        .show(&entry.name)
        .await
        .ok()
        .map(|s| s.architecture());
    Some((entry, arch))
}

/// "llama3.2:1b is 1.3 GB; it needs about 2.1 GB to run: it will fit here, in RAM."
pub fn describe(entry: &ModelEntry, judged: Option<&Judgement>) -> String {
    let name = clean(&entry.name);
    let size = gb(entry.size);
    let Some(j) = judged else {
        return format!(
            "{name} is {size}; whether it fits here is unknown (the loaded models or the memory of Ollama's machine cannot be read)"
        );
    };
    let need = gb(j.need.bytes);
    match &j.verdict {
        Verdict::Unknown => format!(
            "{name} is {size}; it needs about {need} to run; whether it fits here is unknown (see --memory-url)"
        ),
        Verdict::Remote => format!("{name} runs remotely, not in this machine's memory"),
        v => format!(
            "{name} is {size}; it needs about {need} to run: {}",
            fit_clause(v)
        ),
    }
}

fn fit_clause(v: &Verdict) -> String {
    match v {
        Verdict::Loaded => "it is loaded now".into(),
        Verdict::Fits(Landing::Gpu) => "it will fit here, on the GPU".into(),
        Verdict::Fits(Landing::Split { gpu_percent }) => {
            format!(
                "it will fit here, {} (slower)",
                crate::format::split_text(*gpu_percent)
            )
        }
        Verdict::Fits(Landing::Cpu) => "it will fit here, in RAM".into(),
        Verdict::FitsIfUnloaded { unload, .. } => {
            let names: Vec<String> = unload.iter().map(|n| clean(n)).collect();
            format!(
                "it will fit here once Ollama evicts {} to load it",
                names.join(", ")
            )
        }
        Verdict::NoFit { short_by } => format!(
            "it will not fit here, even with everything else unloaded (short by {})",
            gb(*short_by)
        ),
        Verdict::Unknown | Verdict::Remote => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{Need, NeedSource};

    fn judged(verdict: Verdict) -> Judgement {
        Judgement {
            need: Need {
                bytes: 2_100_000_000,
                source: NeedSource::FileSize,
                context: None,
            },
            verdict,
        }
    }

    fn entry() -> ModelEntry {
        ModelEntry {
            name: "llama3.2:1b".into(),
            size: 1_321_098_329,
            ..ModelEntry::default()
        }
    }

    #[test]
    fn says_the_size_the_need_and_the_verdict() {
        let text = describe(&entry(), Some(&judged(Verdict::Fits(Landing::Cpu))));
        assert_eq!(
            text,
            "llama3.2:1b is 1.3 GB; it needs about 2.1 GB to run: it will fit here, in RAM"
        );
        let text = describe(
            &entry(),
            Some(&judged(Verdict::NoFit {
                short_by: 500_000_000,
            })),
        );
        assert!(text.ends_with("(short by 0.5 GB)"), "{text}");
        let text = describe(&entry(), None);
        assert!(text.contains("unknown"), "{text}");
    }
}
