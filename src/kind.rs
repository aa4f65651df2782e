//! What kind of model a name is, for loading, pinning and unloading: one that
//! completes (generate), one that only embeds, or one that runs remotely.
//! `ollama-api.md` §9.1, §9.2.

use crate::ollama::{Architecture, ModelEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Loads through `/api/generate`.
    #[default]
    Completion,
    /// `/api/generate` refuses it: loads through the embedding routes.
    Embedding,
    /// A cloud model: never in this server's memory; loading it means nothing.
    Cloud,
}

impl Kind {
    /// `entry` (from `/api/tags`) and what `/api/show` said, when known.
    /// Capabilities from show win over those from tags (older servers list none).
    pub fn of(
        name: &str,
        entry: Option<&ModelEntry>,
        show_caps: &[String],
        arch: Option<&Architecture>,
    ) -> Kind {
        if cloud_name(name) || entry.is_some_and(|e| e.is_remote() || cloud_name(&e.name)) {
            return Kind::Cloud;
        }
        let caps = match entry {
            Some(e) if show_caps.is_empty() => e.capabilities.as_slice(),
            _ => show_caps,
        };
        // Before `/api/show` answers, the family in `/api/tags` is the architecture.
        let family = entry.filter(|_| arch.is_none() && caps.is_empty());
        if family.is_some_and(|e| e.details.family.contains("bert")) {
            return Kind::Embedding;
        }
        if crate::fit::embedding_only(caps, arch) {
            Kind::Embedding
        } else {
            Kind::Completion
        }
    }
}

/// `:cloud`, or a tag ending in `-cloud` (`gpt-oss:120b-cloud`): Ollama sends these
/// to its cloud service (`internal/modelref/modelref.go` `parseSourceSuffix`,
/// v0.33.0-rc2; the `-cloud` tags since v0.12.0).
pub fn cloud_name(name: &str) -> bool {
    let tag = crate::names::tag(name).to_ascii_lowercase();
    let explicit = name.trim().to_ascii_lowercase().ends_with(":cloud");
    explicit || tag == "cloud" || tag.ends_with("-cloud")
}

/// The sentence every refusal to load, pin or unload a cloud model uses.
pub fn cloud_refusal(name: &str, verb: &str) -> String {
    format!(
        "{} runs remotely (a cloud model): there is nothing to {verb} in this server's memory",
        crate::sanitize::clean(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_names_and_remote_entries() {
        assert!(cloud_name("gpt-oss:120b-cloud"));
        assert!(cloud_name("qwen3-coder:480b:cloud"));
        assert!(cloud_name("kimi-k2:cloud"));
        assert!(!cloud_name("llama3.1:8b"));
        assert!(!cloud_name("cloud-model:7b"));
        let entry = ModelEntry {
            name: "x:1".into(),
            remote_host: Some("https://ollama.com:443".into()),
            ..ModelEntry::default()
        };
        assert_eq!(Kind::of("x:1", Some(&entry), &[], None), Kind::Cloud);
    }

    #[test]
    fn embedding_by_capabilities_else_by_architecture() {
        let caps = vec!["embedding".to_string()];
        assert_eq!(Kind::of("e:1", None, &caps, None), Kind::Embedding);
        let both = vec!["embedding".to_string(), "completion".to_string()];
        assert_eq!(Kind::of("e:1", None, &both, None), Kind::Completion);
        let bert = Architecture {
            name: "nomic-bert".into(),
            ..Architecture::default()
        };
        assert_eq!(Kind::of("e:1", None, &[], Some(&bert)), Kind::Embedding);
        assert_eq!(Kind::of("e:1", None, &[], None), Kind::Completion);
    }
}
