//! The configuration file: where it lives, what it holds, and how a broken one is
//! reported (file, line and column; never silently replaced).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::duration::KeepAlive;

pub const GB: f64 = 1e9;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Ollama's address; `--host` and `OLLAMA_HOST` take precedence.
    pub host: Option<String>,
    /// Memory kept free on top of what a model needs, in GB.
    pub ram_buffer_gb: f64,
    /// keep_alive sent with a plain load (a Go duration such as "5m"). Unset, no
    /// keep_alive is sent and the server's own (`OLLAMA_KEEP_ALIVE`) applies.
    pub default_keep_alive: Option<String>,
    /// Pinned models: kept loaded forever, and loaded again whenever they drop out.
    pub keep_alive_models: Vec<String>,
    /// What a model needs in memory, in GB, overriding the estimate.
    pub model_sizes: BTreeMap<String, f64>,
    /// Context length sent with every load and used for memory estimates; unset,
    /// the server picks it (and the estimates follow the server's rule).
    pub num_ctx: Option<u64>,
    /// Prometheus exporters that report the memory of the machine Ollama runs on
    /// (node_exporter, dcgm-exporter, nvidia_gpu_exporter).
    pub memory_urls: Vec<String>,
    /// The server's `OLLAMA_*` settings, when they cannot be read from it.
    pub server: ServerConfig,
    pub tasks: TaskPrefs,
    pub refresh: Refresh,
    /// Key → action overrides for the dashboard, e.g. `"x" = "unload"`.
    pub keys: BTreeMap<String, String>,
}

/// Mirrors of the server's environment (`OLLAMA_*`), which the API does not show.
/// Unset fields are read from a local server where possible, else the version's
/// default applies.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub context_length: Option<u64>,
    pub num_parallel: Option<u64>,
    pub max_loaded_models: Option<u64>,
    pub flash_attention: Option<bool>,
    pub kv_cache_type: Option<String>,
    /// Bytes, as `OLLAMA_GPU_OVERHEAD`.
    pub gpu_overhead: Option<u64>,
    /// A Go duration or seconds, as `OLLAMA_KEEP_ALIVE`.
    pub keep_alive: Option<String>,
}

impl ServerConfig {
    pub fn settings(&self) -> crate::fit::ServerSettings {
        crate::fit::ServerSettings {
            context_length: self.context_length,
            num_parallel: self.num_parallel,
            max_loaded_models: self.max_loaded_models,
            flash_attention: self.flash_attention,
            kv_cache_type: self.kv_cache_type.clone(),
            gpu_overhead: self.gpu_overhead,
            keep_alive: self
                .keep_alive
                .as_deref()
                .and_then(|k| KeepAlive::parse_env(k).ok()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskPrefs {
    /// Name fragments that mark a code model.
    pub code_patterns: Vec<String>,
    /// General-purpose families, most preferred first.
    pub general_families: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Refresh {
    pub memory_secs: f64,
    pub loaded_secs: f64,
    pub installed_secs: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: None,
            ram_buffer_gb: 2.0,
            default_keep_alive: None,
            keep_alive_models: Vec::new(),
            model_sizes: BTreeMap::new(),
            num_ctx: None,
            memory_urls: Vec::new(),
            server: ServerConfig::default(),
            tasks: TaskPrefs::default(),
            refresh: Refresh::default(),
            keys: BTreeMap::new(),
        }
    }
}

impl Default for TaskPrefs {
    fn default() -> Self {
        TaskPrefs {
            code_patterns: vec!["code".into(), "coder".into()],
            general_families: ["llama3", "mistral", "qwen", "gemma", "phi"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            memory_secs: 1.0,
            loaded_secs: 2.0,
            installed_secs: 10.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("config file {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl ConfigError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Read { path, .. }
            | ConfigError::Parse { path, .. }
            | ConfigError::Invalid { path, .. } => path,
        }
    }
}

impl Config {
    /// The buffer in bytes.
    pub fn ram_buffer_bytes(&self) -> u64 {
        (self.ram_buffer_gb.max(0.0) * GB) as u64
    }

    /// The keep-alive a plain load sends: `None` leaves it to the server (users set
    /// `OLLAMA_KEEP_ALIVE=24h` there; `ollama-api.md` §9.4).
    pub fn default_keep_alive(&self) -> Option<KeepAlive> {
        let text = self.default_keep_alive.as_deref()?;
        KeepAlive::parse_env(text).ok()
    }

    /// What an unpin sends: the plain-load default, else the server's
    /// `OLLAMA_KEEP_ALIVE` as configured or detected, else Ollama's 5m
    /// (`envconfig.KeepAlive`).
    pub fn unpin_keep_alive(&self) -> KeepAlive {
        self.default_keep_alive()
            .or(crate::server_env::settings(self).keep_alive)
            .unwrap_or(KeepAlive::For(std::time::Duration::from_secs(300)))
    }

    /// Whether `name` is pinned (names compare case-insensitively, as Ollama does).
    pub fn is_pinned(&self, name: &str) -> bool {
        self.keep_alive_models
            .iter()
            .any(|p| crate::names::same_model(p, name))
    }

    /// The `model_sizes` override for `name`, in bytes.
    pub fn size_override(&self, name: &str) -> Option<u64> {
        self.model_sizes
            .iter()
            .find(|(k, _)| crate::names::same_model(k, name))
            .map(|(_, gb)| (gb.max(0.0) * GB) as u64)
    }

    /// Parses config text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if let Some(Err(e)) = self.default_keep_alive.as_deref().map(KeepAlive::parse_env) {
            return Err(invalid(format!("default_keep_alive: {e}")));
        }
        if let Some(k) = &self.server.keep_alive {
            if let Err(e) = KeepAlive::parse_env(k) {
                return Err(invalid(format!("server.keep_alive: {e}")));
            }
        }
        if let Some(t) = &self.server.kv_cache_type {
            if !["f16", "q8_0", "q4_0"].contains(&t.to_lowercase().as_str()) {
                return Err(invalid(
                    "server.kv_cache_type must be f16, q8_0 or q4_0".into(),
                ));
            }
        }
        if !(self.ram_buffer_gb.is_finite() && self.ram_buffer_gb >= 0.0) {
            return Err(invalid("ram_buffer_gb must be a number ≥ 0".into()));
        }
        for (k, v) in [
            ("memory_secs", self.refresh.memory_secs),
            ("loaded_secs", self.refresh.loaded_secs),
            ("installed_secs", self.refresh.installed_secs),
        ] {
            if !(v.is_finite() && v >= 0.1) {
                return Err(invalid(format!("refresh.{k} must be at least 0.1")));
            }
        }
        Ok(())
    }

    /// Loads from `path`; a missing file gives the defaults.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// `~/.config/model-orchestrator/config.toml` on Linux, the platform's equivalent
/// elsewhere; `None` when there is no home directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "model-orchestrator")
        .map(|d| d.config_dir().join("config.toml"))
}

/// The config to use: `--config PATH`, else the platform path, else defaults. Returns
/// the path it belongs to (where pins are saved), if any.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let path = explicit.map(Path::to_path_buf).or_else(default_path);
    match path {
        Some(p) => Ok((Config::load_from(&p)?, Some(p))),
        None => Ok((Config::default(), None)),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_file_parses_to_the_defaults_plus_its_examples() {
        let text = include_str!("../config.toml.sample");
        let cfg = Config::from_toml(text, Path::new("config.toml.sample"));
        let cfg = match cfg {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(cfg.ram_buffer_gb, 2.0);
        assert_eq!(cfg.num_ctx, None);
        assert_eq!(cfg.default_keep_alive, None, "left to the server");
        assert_eq!(cfg.refresh, Refresh::default());
        assert_eq!(cfg.tasks, TaskPrefs::default());
    }

    #[test]
    fn empty_file_is_the_defaults() {
        let cfg = Config::from_toml("", Path::new("c.toml")).ok();
        assert_eq!(cfg, Some(Config::default()));
    }

    #[test]
    fn broken_file_names_line_and_column() {
        let text = "ram_buffer_gb = 2.0\nnum_ctx = \"lots\"\n";
        match Config::from_toml(text, Path::new("/x/c.toml")) {
            Err(ConfigError::Parse { line, column, .. }) => {
                assert_eq!((line, column), (2, 11));
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let msg = Config::from_toml("keep_alive_models = [", Path::new("c.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.starts_with("config file c.toml:1:"), "{msg}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        assert!(Config::from_toml("ram_bufer_gb = 3", Path::new("c")).is_err());
        assert!(Config::from_toml("default_keep_alive = \"1d\"", Path::new("c")).is_err());
        assert!(Config::from_toml("ram_buffer_gb = -1", Path::new("c")).is_err());
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().ok();
        let path = dir.as_ref().map(|d| d.path().join("none.toml"));
        let cfg = path.map(|p| Config::load_from(&p).ok());
        assert_eq!(cfg, Some(Some(Config::default())));
    }

    #[test]
    fn pins_and_overrides_match_names_case_insensitively() {
        let text = "keep_alive_models = [\"Llama3.1:8B\"]\n[model_sizes]\n\"phi3:mini\" = 2.5\n";
        let cfg = Config::from_toml(text, Path::new("c")).unwrap_or_default();
        assert!(cfg.is_pinned("llama3.1:8b"));
        assert!(!cfg.is_pinned("llama3.1:70b"));
        assert_eq!(cfg.size_override("PHI3:mini"), Some(2_500_000_000));
    }
}
