//! `/api/show` answers kept on disk by digest. A digest names one manifest, whose
//! answer never changes, so a second start asks only for digests never seen. One
//! cache serves the dashboard, the keeper and the commands. Entries live in the
//! platform cache directory, one small JSON file each, written atomically; a
//! corrupt or unreadable entry is ignored (and asked for again).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ollama::{Client, ModelDetails, OllamaError, ShowResponse};

/// What is kept of an answer: what the fit rules and the details pane read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    details: ModelDetails,
    model_info: Map<String, Value>,
    capabilities: Vec<String>,
    parameters: String,
    /// The Modelfile's `FROM` line (the weights blob), or empty.
    from: String,
}

#[derive(Debug, Clone, Default)]
pub struct ShowCache {
    dir: Option<PathBuf>,
}

impl ShowCache {
    /// The platform cache directory's `show/`.
    pub fn platform() -> ShowCache {
        let dir = directories::ProjectDirs::from("", "", "model-orchestrator")
            .map(|d| d.cache_dir().join("show"));
        ShowCache { dir }
    }

    pub fn at(dir: &Path) -> ShowCache {
        ShowCache {
            dir: Some(dir.to_path_buf()),
        }
    }

    /// A cache that keeps nothing (tests, the demo).
    pub fn none() -> ShowCache {
        ShowCache { dir: None }
    }

    /// The file for `digest`; `None` unless it is plain hex (it comes from a server).
    fn file(&self, digest: &str) -> Option<PathBuf> {
        let ok = (12..=64).contains(&digest.len()) && digest.chars().all(|c| c.is_ascii_hexdigit());
        Some(
            self.dir
                .as_ref()?
                .join(format!("{}.json", digest.to_ascii_lowercase())),
        )
        .filter(|_| ok)
    }

    pub fn get(&self, digest: &str) -> Option<ShowResponse> {
        let text = std::fs::read_to_string(self.file(digest)?).ok()?;
        let e: Entry = serde_json::from_str(&text).ok()?;
        Some(ShowResponse {
            details: e.details,
            model_info: e.model_info,
            capabilities: e.capabilities,
            parameters: e.parameters,
            modelfile: e.from,
            modified_at: None,
        })
    }

    /// Keeps `show` for `digest`; failures only cost a later request.
    pub fn put(&self, digest: &str, show: &ShowResponse) {
        let Some(path) = self.file(digest) else {
            return;
        };
        let from = show
            .modelfile
            .lines()
            .find(|l| l.trim_start().starts_with("FROM "))
            .unwrap_or("")
            .to_string();
        let entry = Entry {
            details: show.details.clone(),
            model_info: show.model_info.clone(),
            capabilities: show.capabilities.clone(),
            parameters: show.parameters.clone(),
            from,
        };
        let _ = write(&path, &entry);
    }

    /// The answer for `name` (whose manifest digest is `digest`): from disk when
    /// seen before, else from the server, then kept.
    pub async fn show(
        &self,
        client: &Client,
        name: &str,
        digest: &str,
    ) -> Result<ShowResponse, OllamaError> {
        if let Some(hit) = self.get(digest) {
            return Ok(hit);
        }
        let show = client.show(name).await?;
        self.put(digest, &show);
        Ok(show)
    }
}

fn write(path: &Path, entry: &Entry) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, entry)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> ShowResponse {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/show-llama3.1.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        serde_json::from_str(&text).expect("parses")
    }

    #[test]
    fn an_answer_comes_back_with_the_same_architecture() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        let digest = "46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e";
        assert!(cache.get(digest).is_none());
        let show = answer();
        cache.put(digest, &show);
        let back = cache.get(digest).expect("kept");
        assert_eq!(back.architecture(), show.architecture());
        assert_eq!(back.capabilities, show.capabilities);
    }

    #[test]
    fn corrupt_entries_and_odd_digests_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ShowCache::at(dir.path());
        std::fs::write(dir.path().join("abcdefabcdef.json"), "{not json").expect("write");
        assert!(cache.get("abcdefabcdef").is_none());
        // A digest from a server never names a path outside the cache.
        cache.put("../../etc/passwd", &answer());
        assert!(cache.get("../../etc/passwd").is_none());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
        assert!(ShowCache::none().get("abcdefabcdef").is_none());
    }
}
