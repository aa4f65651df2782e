//! Names that share one runner. Ollama keys loaded runners by the weights blob
//! (`server/sched.go` `loaded[modelPath]`, v0.1.48 – v0.33.0-rc2), so `qwen3:8b`
//! and `qwen3:latest` (same digest), an `ollama cp` copy, or a Modelfile `FROM`
//! derivative are one runner, listed in `/api/ps` under the name that loaded it
//! (`ollama-api.md` §9.3). Everything that asks "is this model loaded?" asks here.

use crate::names::{normalize, same_model};
use crate::ollama::{ModelEntry, RunningModel};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Known {
    name: String,
    digest: String,
    /// `sha256-…` from `/api/show`'s modelfile, when it was read.
    blob: Option<String>,
}

/// What is installed, by name, digest and weights blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    known: Vec<Known>,
}

impl Aliases {
    /// Installed models with the weights blob of each where known.
    pub fn new<'a>(models: impl IntoIterator<Item = (&'a ModelEntry, Option<&'a str>)>) -> Aliases {
        let known = models
            .into_iter()
            .map(|(m, blob)| Known {
                name: normalize(&m.name),
                digest: m.digest.clone(),
                blob: blob.map(str::to_string),
            })
            .collect();
        Aliases { known }
    }

    fn by_name(&self, name: &str) -> Option<&Known> {
        let name = normalize(name);
        self.known.iter().find(|k| k.name == name)
    }

    /// The digest of the installed model `name`.
    pub fn digest(&self, name: &str) -> Option<&str> {
        self.by_name(name)
            .map(|k| k.digest.as_str())
            .filter(|d| !d.is_empty())
    }

    fn blob_of_digest(&self, digest: &str) -> Option<&str> {
        self.known
            .iter()
            .filter(|k| !digest.is_empty() && k.digest == digest)
            .find_map(|k| k.blob.as_deref())
    }

    /// Whether `r` is the runner of the installed model `name`: the same name,
    /// the same digest, or the same weights blob.
    pub fn runs(&self, name: &str, r: &RunningModel) -> bool {
        if same_model(name, &r.name) {
            return true;
        }
        let Some(k) = self.by_name(name) else {
            return false;
        };
        if !k.digest.is_empty() && k.digest == r.digest {
            return true;
        }
        let theirs = self.blob_of_digest(&r.digest);
        k.blob.is_some() && k.blob.as_deref() == theirs
    }

    /// The runner that serves `name`, if one is loaded.
    pub fn runner<'r>(&self, name: &str, running: &'r [RunningModel]) -> Option<&'r RunningModel> {
        running
            .iter()
            .find(|r| same_model(name, &r.name))
            .or_else(|| running.iter().find(|r| self.runs(name, r)))
    }

    /// The pin (one of `pins`) that `r` serves, if any.
    pub fn pin_of<'p>(&self, pins: &'p [String], r: &RunningModel) -> Option<&'p str> {
        pins.iter().map(String::as_str).find(|p| self.runs(p, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, digest: &str) -> ModelEntry {
        ModelEntry {
            name: name.into(),
            digest: digest.into(),
            ..ModelEntry::default()
        }
    }

    fn running(name: &str, digest: &str) -> RunningModel {
        RunningModel {
            name: name.into(),
            digest: digest.into(),
            ..RunningModel::default()
        }
    }

    #[test]
    fn same_digest_or_same_weights_blob_is_one_runner() {
        let models = [
            entry("qwen3:8b", "d1"),
            entry("qwen3:latest", "d1"),
            entry("mine:latest", "d2"),
            entry("other:1b", "d3"),
        ];
        let blobs = [Some("sha256-w"), None, Some("sha256-w"), Some("sha256-x")];
        let a = Aliases::new(models.iter().zip(blobs));
        let r = running("qwen3:8b", "d1");
        assert!(a.runs("qwen3", &r), "same digest");
        assert!(a.runs("mine", &r), "a FROM derivative of the same weights");
        assert!(!a.runs("other:1b", &r));
        let list = [r.clone()];
        assert_eq!(
            a.runner("QWEN3:latest", &list).map(|r| r.name.as_str()),
            Some("qwen3:8b")
        );
        let pins = vec!["mine".to_string()];
        assert_eq!(a.pin_of(&pins, &r), Some("mine"));
        assert!(
            Aliases::default().runs("qwen3:8b", &r),
            "by name, knowing nothing"
        );
    }
}
