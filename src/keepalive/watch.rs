//! The headless keeper follows the config file: a pin added or removed from the
//! dashboard or with `pin`/`unpin` takes effect without a restart.

use std::path::PathBuf;
use std::time::SystemTime;

use jiff::Timestamp;

use super::{Keeper, KeeperEvent, KeeperEventKind};
use crate::config::Config;
use crate::names::normalize;

pub struct ConfigWatch {
    path: Option<PathBuf>,
    config: Config,
    /// Modification time of the last version read; `None` when the file was missing.
    seen: Option<SystemTime>,
}

pub fn pins_event(message: String) -> KeeperEvent {
    KeeperEvent {
        at: Timestamp::now(),
        model: None,
        kind: KeeperEventKind::PinsChanged,
        message,
    }
}

impl ConfigWatch {
    pub fn new(path: Option<PathBuf>, config: Config) -> ConfigWatch {
        let seen = path.as_ref().and_then(|p| modified(p));
        ConfigWatch { path, config, seen }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn describe(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "the config (no config file location on this system)".into(),
        }
    }

    /// Re-reads the file when it changed; applies new pins to `keeper`.
    pub fn refresh(&mut self, keeper: &mut Keeper) -> Option<KeeperEvent> {
        let path = self.path.clone()?;
        let now_seen = modified(&path);
        if now_seen == self.seen {
            return None;
        }
        self.seen = now_seen;
        match Config::load_from(&path) {
            Ok(config) => {
                let changed = pin_set(&config) != pin_set(&self.config);
                self.config = config;
                if !changed {
                    return None;
                }
                keeper.set_pins(&self.config.keep_alive_models);
                let list = self.config.keep_alive_models.join(", ");
                let message = if list.is_empty() {
                    format!("pins changed in {}: none left", path.display())
                } else {
                    format!("pins changed in {}: now keeping {list}", path.display())
                };
                Some(pins_event(message))
            }
            Err(e) => Some(KeeperEvent {
                at: Timestamp::now(),
                model: None,
                kind: KeeperEventKind::ConfigBroken,
                message: format!("{e} — keeping the previous pins"),
            }),
        }
    }
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn pin_set(config: &Config) -> Vec<String> {
    let mut v: Vec<String> = config
        .keep_alive_models
        .iter()
        .map(|p| normalize(p))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_pin_changes_and_keeps_pins_when_the_file_breaks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "keep_alive_models = [\"a:1\"]\n").expect("write");
        let config = Config::load_from(&path).expect("valid");
        let mut keeper = Keeper::new(&config.keep_alive_models, Timestamp::now());
        let mut watch = ConfigWatch::new(Some(path.clone()), config);
        assert!(watch.refresh(&mut keeper).is_none(), "nothing changed yet");

        crate::pins::save_pin(&path, "b:2", true).expect("saved");
        // Coarse file systems may keep the same mtime: force a visible change.
        watch.seen = None;
        let event = watch.refresh(&mut keeper).expect("pins changed");
        assert_eq!(event.kind, KeeperEventKind::PinsChanged);
        assert!(keeper.is_pinned("b:2") && keeper.is_pinned("a:1"));

        std::fs::write(&path, "keep_alive_models = [").expect("write");
        watch.seen = None;
        let event = watch.refresh(&mut keeper).expect("reported");
        assert_eq!(event.kind, KeeperEventKind::ConfigBroken);
        assert!(keeper.is_pinned("b:2"), "previous pins stay");
    }
}
