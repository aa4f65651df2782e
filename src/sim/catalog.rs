//! The models the stand-in knows: installed ones and ones it can pull. The default
//! catalog is `assets/catalog.json`, embedded in the binary.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::SimError;
use crate::ollama::{Architecture, ModelDetails, ShowResponse};

const EMBEDDED: &str = include_str!("../../assets/catalog.json");

/// One model as it would sit in an Ollama models directory.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CatalogModel {
    /// Display name with its tag, e.g. `llama3.1:8b`.
    pub name: String,
    /// On-disk size in bytes (sum of the manifest's layers).
    pub size: u64,
    /// Manifest digest: 64 lowercase hex characters.
    pub digest: String,
    /// RFC 3339, as real servers send it (local zone offset).
    pub modified_at: String,
    /// Installed now; otherwise only available through `/api/pull`.
    #[serde(default = "yes")]
    pub installed: bool,
    pub details: ModelDetails,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub model_info: Map<String, Value>,
    /// `/api/show` `parameters`: newline-joined `%-30s %#v` lines.
    #[serde(default)]
    pub parameters: String,
    /// Digest of the weights blob (64 lowercase hex). Aliases and copies share it,
    /// and with it one runner. Default: derived from `digest`.
    #[serde(default)]
    pub weights: Option<String>,
    /// A cloud model (≥ 0.12.0): generate is proxied to this host; it never
    /// enters the scheduler.
    #[serde(default)]
    pub remote_host: Option<String>,
    #[serde(default)]
    pub remote_model: Option<String>,
}

fn yes() -> bool {
    true
}

impl CatalogModel {
    /// Architecture figures read from `model_info`, the way the client reads them.
    pub fn architecture(&self) -> Architecture {
        ShowResponse {
            details: self.details.clone(),
            model_info: self.model_info.clone(),
            ..ShowResponse::default()
        }
        .architecture()
    }

    /// The weights blob digest: the `weights` field, else one derived from the
    /// manifest digest (the same manifest always gives the same blob).
    pub fn weights(&self) -> String {
        match &self.weights {
            Some(w) => w.clone(),
            None => derived_weights(&self.digest),
        }
    }

    /// `m.Config.RemoteHost != "" && m.Config.RemoteModel != ""` (v0.12.0
    /// `GenerateHandler`).
    pub fn is_remote(&self) -> bool {
        let set = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        set(&self.remote_host) && set(&self.remote_model)
    }

    /// Whether the model can answer `/api/generate` and `/api/chat`.
    pub fn can_complete(&self) -> bool {
        self.capabilities.is_empty() || self.capabilities.iter().any(|c| c == "completion")
    }
}

/// 64 hex characters from four FNV-1a hashes of the manifest digest.
fn derived_weights(digest: &str) -> String {
    (0u64..4)
        .map(|seed| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for b in digest.bytes().chain(*b"weights") {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            format!("{h:016x}")
        })
        .collect()
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// A list of models, with `installed` marking what is on disk at start.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Catalog {
    pub models: Vec<CatalogModel>,
}

impl Catalog {
    /// The catalog shipped with the crate.
    pub fn embedded() -> Catalog {
        // The embedded file is checked by a test; an empty catalog is a safe fallback.
        Catalog::from_json(EMBEDDED).unwrap_or(Catalog { models: Vec::new() })
    }

    pub fn from_json(text: &str) -> Result<Catalog, SimError> {
        let catalog: Catalog = serde_json::from_str(text).map_err(|e| SimError::Catalog {
            origin: "catalog".into(),
            reason: e.to_string(),
        })?;
        catalog.validate()?;
        Ok(catalog)
    }

    pub fn from_file(path: &Path) -> Result<Catalog, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Catalog {
            origin: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Catalog::from_json(&text).map_err(|e| match e {
            SimError::Catalog { reason, .. } => SimError::Catalog {
                origin: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// The model called `name` (case-insensitive, implicit `:latest`).
    pub fn find(&self, name: &str) -> Option<&CatalogModel> {
        self.models
            .iter()
            .find(|m| crate::names::same_model(&m.name, name))
    }

    fn validate(&self) -> Result<(), SimError> {
        let bad = |reason: String| SimError::Catalog {
            origin: "catalog".into(),
            reason,
        };
        for m in &self.models {
            if !is_hex64(&m.digest) {
                return Err(bad(format!("{}: digest must be 64 lowercase hex", m.name)));
            }
            if m.weights.as_deref().is_some_and(|w| !is_hex64(w)) {
                return Err(bad(format!("{}: weights must be 64 lowercase hex", m.name)));
            }
            if crate::ollama::wire::parse_time(&m.modified_at).is_none() {
                return Err(bad(format!("{}: modified_at is not RFC 3339", m.name)));
            }
            if !m.name.contains(':') {
                return Err(bad(format!("{}: name needs a tag", m.name)));
            }
        }
        Ok(())
    }
}

/// Adds the tag Ollama prints when a name has none, keeping the case given.
pub fn with_tag(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_parses_and_holds_the_required_models() {
        let c = Catalog::from_json(EMBEDDED).expect("embedded catalog must parse");
        for name in [
            "llama3.1:8b",
            "llama3.1:70b",
            "llama3.2:3b",
            "qwen2.5-coder:1.5b",
            "qwen2.5-coder:7b",
            "qwen2.5-coder:32b",
            "deepseek-coder-v2:16b",
            "codellama:7b",
            "mistral:7b",
            "gemma2:9b",
            "phi3:mini",
            "phi4-mini",
            "qwen2.5:7b",
            "qwen2.5:7b-instruct-q8_0",
            "nomic-embed-text",
        ] {
            assert!(c.find(name).is_some(), "{name} missing");
        }
        let llama = c.find("llama3.1:8b").expect("llama3.1:8b");
        let arch = llama.architecture();
        assert_eq!(arch.block_count, Some(32));
        assert_eq!(arch.head_count_kv, vec![8]);
        // 128 KiB per token: 8192 tokens = 1 GiB (ollama/ollama#7622), by hand:
        // 2 (K and V) × 32 layers × 8 KV heads × 128 (4096 / 32 heads) × 2 bytes.
        let head_dim = arch.embedding_length.unwrap_or(0) / 32;
        let kv = 2 * 32 * 8 * head_dim * 2 * 8192;
        assert_eq!(kv, 1 << 30);
        assert!(
            c.find("codellama:7b")
                .is_some_and(|m| m.details.families.is_none())
        );
        assert!(c.models.iter().any(|m| !m.installed));
        assert!(
            c.models
                .iter()
                .any(|m| m.details.quantization_level == "unknown")
        );
        let nomic = c.find("nomic-embed-text").expect("nomic");
        assert!(!nomic.can_complete());
    }

    #[test]
    fn weights_default_to_a_stable_digest_of_their_own() {
        let c = Catalog::embedded();
        let llama = c.find("llama3.1:8b").expect("llama3.1:8b");
        let w = llama.weights();
        assert!(is_hex64(&w), "{w}");
        assert_ne!(w, llama.digest);
        assert_eq!(w, llama.clone().weights(), "deterministic");
        let other = c.find("mistral:7b").expect("mistral:7b").weights();
        assert_ne!(w, other);
    }

    #[test]
    fn rejects_bad_digests_and_times() {
        let text = r#"{"models":[{"name":"a:1","size":1,"digest":"abc","modified_at":"2025-01-01T00:00:00Z","details":{}}]}"#;
        assert!(Catalog::from_json(text).is_err());
        let text = text
            .replace("\"abc\"", &format!("\"{}\"", "a".repeat(64)))
            .replace("2025-01-01T00:00:00Z", "yesterday");
        assert!(Catalog::from_json(&text).is_err());
    }

    #[test]
    fn tag_is_added_only_when_missing() {
        assert_eq!(with_tag("llava"), "llava:latest");
        assert_eq!(with_tag("Llava:7b"), "Llava:7b");
        assert_eq!(
            with_tag("localhost:5000/ns/m"),
            "localhost:5000/ns/m:latest"
        );
    }
}
