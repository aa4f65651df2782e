//! Whether a missing pinned model fits now, for the headless driver: `/api/tags` for
//! the file size (refreshed at most every `refresh.installed_secs`), `/api/show` for
//! the architecture (once per model), and `fit::need` + `fit::verdict`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::Room;
use crate::aliases::Aliases;
use crate::config::Config;
use crate::fit::{self, Verdict};
use crate::kind::Kind;
use crate::memory::MemorySnapshot;
use crate::names::{normalize, same_model};
use crate::ollama::{Architecture, Client, ModelEntry, RunningModel};

#[derive(Debug, Default)]
pub struct RoomJudge {
    tags: Option<Vec<ModelEntry>>,
    tags_at: Option<Instant>,
    /// Per normalised name; `None` when `/api/show` failed (only the file size is used).
    arch: HashMap<String, Option<Architecture>>,
    /// `/api/show` capabilities per normalised name (older `/api/tags` has none).
    caps: HashMap<String, Vec<String>>,
    /// The server's band and settings (the version is asked once).
    pub server: Option<fit::Server>,
    pub settings: fit::ServerSettings,
    /// Configured keep-alives of the loaded models, for Ollama's eviction order.
    pub book: fit::KeepAliveBook,
    /// `/api/show` answers by digest.
    pub cache: crate::show_cache::ShowCache,
}

impl RoomJudge {
    /// Fetches what judging `missing` needs and does not have yet. Failures are not
    /// fatal: without tags a model is given the benefit of the doubt (Ollama itself
    /// says no if it cannot load it), without show only the file size counts.
    pub async fn prepare(&mut self, client: &Client, missing: &[String], config: &Config) {
        if missing.is_empty() {
            return;
        }
        if self.server.is_none() {
            if let Ok(v) = client.version().await {
                self.server = Some(fit::Server::new(Some(&v), self.settings.clone()));
            }
        }
        let max_age = Duration::from_secs_f64(config.refresh.installed_secs.max(0.1));
        let stale = self.tags_at.is_none_or(|t| t.elapsed() >= max_age);
        if stale {
            self.tags_at = Some(Instant::now());
            if let Ok(tags) = client.tags().await {
                self.tags = Some(tags);
            }
        }
        for name in missing {
            let Some(entry) = self.entry(name) else {
                continue;
            };
            let key = normalize(&entry.name);
            if entry.is_remote() || self.arch.contains_key(&key) {
                continue;
            }
            let show = self
                .cache
                .show(client, &entry.name, &entry.digest)
                .await
                .ok();
            if let Some(s) = &show {
                self.caps.insert(key.clone(), s.capabilities.clone());
            }
            self.arch.insert(key, show.map(|s| s.architecture()));
        }
    }

    fn entry(&self, name: &str) -> Option<&ModelEntry> {
        self.tags
            .as_ref()?
            .iter()
            .find(|m| same_model(&m.name, name))
    }

    /// Names, digests and weights blobs of what is installed, as far as known.
    pub fn aliases(&self) -> Aliases {
        let tags = self.tags.as_deref().unwrap_or_default();
        Aliases::new(tags.iter().map(|m| {
            let arch = self.arch.get(&normalize(&m.name)).and_then(Option::as_ref);
            (m, arch.and_then(|a| a.weights_blob.as_deref()))
        }))
    }

    /// How `name` loads: through generate, the embedding routes, or not at all.
    pub fn kind(&self, name: &str) -> Kind {
        let entry = self.entry(name);
        let key = entry.map(|e| normalize(&e.name)).unwrap_or_default();
        let arch = self.arch.get(&key).and_then(Option::as_ref);
        let caps = self.caps.get(&key).map_or(&[][..], Vec::as_slice);
        Kind::of(name, entry, caps, arch)
    }

    /// The room for `name` given the memory now and what is loaded.
    pub fn room(
        &self,
        name: &str,
        memory: &MemorySnapshot,
        running: &[RunningModel],
        config: &Config,
    ) -> Room {
        if self.tags.is_none() {
            return Room::Fits;
        }
        let Some(entry) = self.entry(name) else {
            return Room::NotInstalled;
        };
        let arch = self
            .arch
            .get(&normalize(&entry.name))
            .and_then(Option::as_ref);
        let fallback = fit::Server::new(None, self.settings.clone());
        let server = self.server.as_ref().unwrap_or(&fallback);
        let weights = |r: &RunningModel| {
            let e = self.tags.as_ref()?.iter().find(|m| m.digest == r.digest)?;
            self.arch
                .get(&normalize(&e.name))?
                .as_ref()?
                .weights_blob
                .clone()
        };
        let scene = fit::Scene::new(server, Some(memory), running, config).order(
            &self.book,
            weights,
            jiff::Timestamp::now(),
        );
        let model = fit::Model {
            entry,
            arch,
            embedding_only: fit::embedding_only(&entry.capabilities, arch),
        };
        let j = scene.judge(model);
        room_for(&j.verdict, j.need.bytes, memory, config)
    }
}

/// The room a fit verdict leaves for a missing pinned model that needs `need` bytes.
/// The headless driver and the dashboard both judge through this.
///
/// A pin is brought back only when Ollama would load it beside what is loaded:
/// making room would evict a model someone is using, so the keeper waits for it to
/// expire instead of fighting over memory. A load that does not land wholly on the
/// GPU also keeps the RAM buffer free.
pub fn room_for(verdict: &Verdict, need: u64, memory: &MemorySnapshot, config: &Config) -> Room {
    let free = memory.ram_available + memory.vram_free();
    let short = || Room::Short {
        need: need + config.ram_buffer_bytes(),
        free,
    };
    match verdict {
        Verdict::Loaded | Verdict::Fits(fit::Landing::Gpu) => Room::Fits,
        Verdict::Fits(_) if need + config.ram_buffer_bytes() <= free => Room::Fits,
        Verdict::Fits(_) | Verdict::NoFit { .. } => short(),
        Verdict::FitsIfUnloaded { unload, .. } => Room::WouldEvict(unload.clone()),
        // Nothing to judge by: the server decides, as before memory was read.
        Verdict::Unknown => Room::Fits,
        // A cloud model is never loaded here: nothing is ever sent for it.
        Verdict::Remote => Room::Remote,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge_with(models: &[(&str, u64)]) -> RoomJudge {
        RoomJudge {
            tags: Some(
                models
                    .iter()
                    .map(|(n, size)| ModelEntry {
                        name: n.to_string(),
                        size: *size,
                        ..ModelEntry::default()
                    })
                    .collect(),
            ),
            tags_at: Some(Instant::now()),
            ..RoomJudge::default()
        }
    }

    fn ram(available: u64) -> MemorySnapshot {
        MemorySnapshot {
            ram_total: 64_000_000_000,
            ram_available: available,
            ..MemorySnapshot::default()
        }
    }

    #[test]
    fn judges_by_file_size_buffer_and_free_memory() {
        let judge = judge_with(&[("small:1b", 1_000_000_000), ("big:70b", 40_000_000_000)]);
        let config = Config::default();
        let mem = ram(12_000_000_000);
        assert_eq!(judge.room("Small:1B", &mem, &[], &config), Room::Fits);
        assert_eq!(
            judge.room("big:70b", &mem, &[], &config),
            Room::Short {
                need: 42_000_000_000,
                free: 12_000_000_000
            }
        );
        assert_eq!(
            judge.room("absent:1", &mem, &[], &config),
            Room::NotInstalled
        );
    }

    #[test]
    fn without_tags_the_server_decides() {
        let judge = RoomJudge::default();
        assert_eq!(
            judge.room("x:1", &ram(0), &[], &Config::default()),
            Room::Fits
        );
    }

    #[test]
    fn a_model_that_needs_others_unloaded_waits() {
        let judge = judge_with(&[("mid:8b", 8_000_000_000)]);
        let other = RunningModel {
            name: "other:7b".into(),
            size: 6_000_000_000,
            ..RunningModel::default()
        };
        let room = judge.room("mid:8b", &ram(5_000_000_000), &[other], &Config::default());
        assert_eq!(room, Room::WouldEvict(vec!["other:7b".into()]));
    }
}
