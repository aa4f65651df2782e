//! Needs learned from `/api/ps`: what a loaded model really took (`size`,
//! `size_vram`) at its `context_length`, remembered per digest and context in a
//! small JSON file in the platform data directory. A digest's weights never change,
//! so an observation stays true; a corrupt file is ignored with a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ollama::RunningModel;

/// At most this many observations are kept (oldest digests dropped first would
/// need timestamps; a plain cap keeps the file small).
const MAX_ENTRIES: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub size: u64,
    pub size_vram: u64,
}

/// Observations keyed by `digest@num_ctx`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    entries: BTreeMap<String, Observation>,
}

fn key(digest: &str, num_ctx: u64) -> String {
    format!("{digest}@{num_ctx}")
}

impl Learned {
    pub fn get(&self, digest: &str, num_ctx: u64) -> Option<Observation> {
        if digest.is_empty() {
            return None;
        }
        self.entries.get(&key(digest, num_ctx)).copied()
    }

    /// Takes in what `/api/ps` shows; returns whether anything new was learned.
    /// Needs a `context_length` (≥ 0.10) and a finished load (a loading runner
    /// reports a zero or partial size).
    pub fn observe(&mut self, running: &[RunningModel]) -> bool {
        let mut changed = false;
        for r in running {
            let Some(ctx) = r.context_length.filter(|&c| c > 0) else {
                continue;
            };
            if r.digest.is_empty() || r.size == 0 {
                continue;
            }
            let seen = Observation {
                size: r.size,
                size_vram: r.vram(),
            };
            let k = key(&r.digest, ctx);
            if self.entries.get(&k) != Some(&seen) && self.entries.len() < MAX_ENTRIES {
                self.entries.insert(k, seen);
                changed = true;
            }
        }
        changed
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Where the file lives: the platform data directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "model-orchestrator")
        .map(|d| d.data_dir().join("learned-needs.json"))
}

/// Reads the file; a missing file is empty, a corrupt one is empty plus a warning.
pub fn load(path: &Path) -> (Learned, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Learned::default(), None),
        Err(e) => {
            return (
                Learned::default(),
                Some(format!("cannot read {}: {e}", path.display())),
            );
        }
    };
    match serde_json::from_str(&text) {
        Ok(l) => (l, None),
        Err(e) => (
            Learned::default(),
            Some(format!(
                "ignoring {} (not readable: {e}); it will be written anew",
                path.display()
            )),
        ),
    }
}

/// Writes atomically: a temporary file in the same directory, then a rename.
pub fn save(path: &Path, learned: &Learned) -> Result<(), String> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(learned).map_err(|e| e.to_string())?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot replace {}: {}", path.display(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(digest: &str, ctx: Option<u64>, size: u64) -> RunningModel {
        RunningModel {
            name: "m:latest".into(),
            digest: digest.into(),
            size,
            size_vram: Some(size / 2),
            context_length: ctx,
            ..RunningModel::default()
        }
    }

    #[test]
    fn learns_per_digest_and_context_only_with_a_context() {
        let mut l = Learned::default();
        assert!(!l.observe(&[runner("abc", None, 5)]));
        assert!(l.observe(&[runner("abc", Some(4096), 10)]));
        assert!(!l.observe(&[runner("abc", Some(4096), 10)]));
        assert_eq!(
            l.get("abc", 4096),
            Some(Observation {
                size: 10,
                size_vram: 5
            })
        );
        assert_eq!(l.get("abc", 8192), None);
        assert_eq!(l.get("", 4096), None);
    }

    #[test]
    fn round_trips_and_a_corrupt_file_is_ignored_with_a_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("learned.json");
        let mut l = Learned::default();
        l.observe(&[runner("abc", Some(4096), 10)]);
        save(&path, &l).expect("saved");
        assert_eq!(load(&path), (l, None));
        std::fs::write(&path, "{not json").expect("write");
        let (empty, warning) = load(&path);
        assert!(empty.is_empty());
        assert!(warning.expect("warned").contains("ignoring"));
        assert_eq!(
            load(&dir.path().join("missing.json")),
            (Learned::default(), None)
        );
    }
}
