//! Wire types for the Ollama API, tolerant of every server version from 0.1.38 on:
//! every field but the name defaults, `families` may be null, timestamps may be the
//! zero time or centuries ahead, unknown fields are ignored.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{lenient_opt_u64, lenient_u64, null_default, opt_time};

/// An expiry more than this far ahead means "kept forever" (the CLI's rule).
pub const FOREVER_THRESHOLD_SECS: i64 = 20 * 365 * 86_400;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelDetails {
    #[serde(default, deserialize_with = "null_default")]
    pub parent_model: String,
    #[serde(default, deserialize_with = "null_default")]
    pub format: String,
    #[serde(default, deserialize_with = "null_default")]
    pub family: String,
    #[serde(default, deserialize_with = "null_default")]
    pub families: Option<Vec<String>>,
    #[serde(default, deserialize_with = "null_default")]
    pub parameter_size: String,
    #[serde(default, deserialize_with = "null_default")]
    pub quantization_level: String,
    #[serde(
        default,
        deserialize_with = "lenient_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_length: Option<u64>,
    #[serde(
        default,
        deserialize_with = "lenient_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub embedding_length: Option<u64>,
}

/// One entry of `GET /api/tags`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ModelEntry {
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub model: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub modified_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub size: u64,
    #[serde(default, deserialize_with = "null_default")]
    pub digest: String,
    #[serde(default, deserialize_with = "null_default")]
    pub details: ModelDetails,
    #[serde(default, deserialize_with = "null_default")]
    pub capabilities: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub remote_model: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub remote_host: Option<String>,
}

impl ModelEntry {
    /// A cloud stub: listed locally, runs remotely, needs no local memory.
    pub fn is_remote(&self) -> bool {
        self.remote_model.as_deref().is_some_and(|s| !s.is_empty())
            || self.remote_host.as_deref().is_some_and(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TagsResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub models: Vec<ModelEntry>,
}

/// One entry of `GET /api/ps`: a model in memory.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RunningModel {
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub model: String,
    /// Total memory the runner occupies (RAM + VRAM), not the file size.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub size: u64,
    /// Missing on 0.1.38–0.1.41 when zero.
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub size_vram: Option<u64>,
    #[serde(default, deserialize_with = "null_default")]
    pub digest: String,
    #[serde(default, deserialize_with = "null_default")]
    pub details: ModelDetails,
    #[serde(default, deserialize_with = "opt_time")]
    pub expires_at: Option<Timestamp>,
    /// Only on 0.10.0 and later.
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub context_length: Option<u64>,
}

/// When a loaded model goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Pinned (`keep_alive` negative): an expiry more than 20 years ahead.
    Forever,
    /// Unloads at this time.
    At(Timestamp),
    /// The expiry has passed: the model is being unloaded.
    Stopping,
    /// The server did not say.
    Unknown,
}

impl RunningModel {
    pub fn vram(&self) -> u64 {
        self.size_vram.unwrap_or(0)
    }

    pub fn expiry(&self, now: Timestamp) -> Expiry {
        match self.expires_at {
            None => Expiry::Unknown,
            Some(t) if t.as_second() - now.as_second() > FOREVER_THRESHOLD_SECS => Expiry::Forever,
            Some(t) if t <= now => Expiry::Stopping,
            Some(t) => Expiry::At(t),
        }
    }

    /// The `PROCESSOR` column of `ollama ps`.
    pub fn processor(&self) -> String {
        let (size, vram) = (self.size, self.vram());
        if vram == 0 {
            "100% CPU".into()
        } else if vram == size {
            "100% GPU".into()
        } else if vram > size || size == 0 {
            "Unknown".into()
        } else {
            let cpu = (((size - vram) as f64 / size as f64) * 100.0).round() as u64;
            format!("{cpu}%/{}% CPU/GPU", 100 - cpu)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PsResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub models: Vec<RunningModel>,
}

/// `POST /api/show`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ShowResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub details: ModelDetails,
    #[serde(default, deserialize_with = "null_default")]
    pub model_info: Map<String, Value>,
    #[serde(default, deserialize_with = "null_default")]
    pub capabilities: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub parameters: String,
    /// Only its `FROM` line is kept (see [`ShowResponse::weights_blob`]).
    #[serde(default, deserialize_with = "null_default")]
    pub modelfile: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub modified_at: Option<Timestamp>,
}

/// What `/api/show`'s `model_info` says about the architecture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Architecture {
    pub name: String,
    pub parameter_count: Option<u64>,
    pub block_count: Option<u64>,
    pub context_length: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    /// Per-layer KV heads when the model gives an array, else one value.
    pub head_count_kv: Vec<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    /// Smallest per-layer KV head count (Ollama's `HeadCountKVMin`).
    pub head_count_kv_min: Option<u64>,
    pub vocab_size: Option<u64>,
    /// Sliding-window attention size (gemma2/3, gpt-oss).
    pub sliding_window: Option<u64>,
    /// `PARAMETER num_ctx` of the Modelfile, from `/api/show` `parameters`.
    pub modelfile_num_ctx: Option<u64>,
    /// The weights blob (`sha256-…`) from the Modelfile's `FROM` line: aliases and
    /// derivatives of the same weights share one runner, keyed by this path.
    pub weights_blob: Option<String>,
}

impl ShowResponse {
    pub fn architecture(&self) -> Architecture {
        let info = &self.model_info;
        let name = info
            .get("general.architecture")
            .and_then(Value::as_str)
            .unwrap_or(&self.details.family)
            .to_string();
        let num = |key: &str| info.get(&format!("{name}.{key}")).and_then(first_number);
        let head_count_kv = match info.get(&format!("{name}.attention.head_count_kv")) {
            Some(Value::Array(a)) => a.iter().filter_map(first_number).collect(),
            Some(v) => first_number(v).into_iter().collect(),
            None => Vec::new(),
        };
        Architecture {
            parameter_count: info.get("general.parameter_count").and_then(first_number),
            block_count: num("block_count"),
            context_length: num("context_length"),
            embedding_length: num("embedding_length"),
            head_count: num("attention.head_count"),
            head_count_kv,
            key_length: num("attention.key_length"),
            value_length: num("attention.value_length"),
            head_count_kv_min: info
                .get(&format!("{name}.attention.head_count_kv"))
                .and_then(smallest_number),
            vocab_size: num("vocab_size"),
            sliding_window: num("attention.sliding_window"),
            modelfile_num_ctx: parameter(&self.parameters, "num_ctx"),
            weights_blob: self.weights_blob(),
            name,
        }
    }

    /// `sha256-<hex>` of the `FROM …/blobs/sha256-<hex>` line of the Modelfile.
    pub fn weights_blob(&self) -> Option<String> {
        self.modelfile.lines().find_map(|l| {
            let from = l.trim().strip_prefix("FROM ")?.trim();
            let blob = from.rsplit(['/', '\\']).next()?;
            let hex = blob
                .strip_prefix("sha256-")
                .or(blob.strip_prefix("sha256:"))?;
            let ok = !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
            ok.then(|| format!("sha256-{}", hex.to_ascii_lowercase()))
        })
    }
}

/// A numeric `PARAMETER` from `/api/show` `parameters` (`num_ctx    8192` lines).
fn parameter(parameters: &str, key: &str) -> Option<u64> {
    parameters.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next()? == key).then_some(())?;
        words.next()?.trim_matches('"').parse().ok()
    })
}

/// A number, or the smallest non-zero number of an array.
fn smallest_number(v: &Value) -> Option<u64> {
    match v {
        Value::Array(a) => a.iter().filter_map(first_number).filter(|&n| n > 0).min(),
        other => first_number(other),
    }
}

/// A number, or the largest number of an array (per-layer values).
fn first_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::Array(a) => a.iter().filter_map(first_number).max(),
        _ => None,
    }
}

/// The reply to a load or unload (`/api/generate` with no prompt).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GenerateResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub model: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub done: bool,
    /// Since 0.1.35: `load` or `unload`.
    #[serde(default)]
    pub done_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct VersionResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub version: String,
}

/// One line of the NDJSON stream from `POST /api/pull`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PullLine {
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub completed: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A typed pull progress event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullEvent {
    /// A status-only line ("pulling manifest", "verifying sha256 digest", ...).
    Status(String),
    /// Bytes of one layer.
    Layer {
        status: String,
        digest: String,
        total: u64,
        completed: u64,
    },
    Success,
}

impl PullLine {
    /// Turns a line into an event, or the server's mid-stream error message.
    pub fn into_event(self) -> Result<PullEvent, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.status == "success" {
            return Ok(PullEvent::Success);
        }
        match (self.digest, self.total) {
            (Some(digest), Some(total)) => Ok(PullEvent::Layer {
                status: self.status,
                digest,
                total,
                completed: self.completed.unwrap_or(0),
            }),
            _ => Ok(PullEvent::Status(self.status)),
        }
    }
}
