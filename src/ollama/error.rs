//! Typed client errors, each able to say what went wrong in plain words.

use std::time::Duration;

use crate::sanitize::clean;

/// Lower-cased substrings Ollama itself uses to classify out-of-memory failures
/// (`llm/status.go`), plus the CPU fit check's wording.
const OOM_SUBSTRINGS: &[&str] = &[
    "out of memory",
    "out of device memory",
    "cudamalloc failed",
    "hipmalloc failed",
    "failed to allocate",
    "allocation failed",
    "not enough memory",
    "insufficient memory",
    "vk_error_out_of_device_memory",
    "erroroutofmemory",
    "requires more system memory",
    // v0.2.0–v0.2.1 `processPending`: "requested model (X) is too large for this
    // system (Y)".
    "is too large for this system",
    // v0.13 – v0.2x `llm/server.go`: "model failed to load, this may be due to
    // resource limitations or an internal error ..."; at runtime "model runner has
    // unexpectedly stopped, this may be due to resource limitations ...".
    "may be due to resource limitations",
];

/// Errors that trying again cannot fix: the model cannot do this, the server
/// cannot run it, it is not there, or we may not use it.
const PERMANENT_SUBSTRINGS: &[&str] = &[
    // `GenerateHandler` / `ChatHandler` capability checks: v0.2.0 – v0.33.0-rc2
    // "… does not support generate", v0.1.48 "embedding models do not support …".
    "does not support",
    "do not support",
    // ≥ 0.30 `llm/llama_server.go`: old-format models newer servers cannot run.
    "may be incompatible with your version of ollama",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OllamaError {
    /// Connection refused, DNS failure, no route.
    #[error("cannot reach Ollama at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// No answer in time.
    #[error("Ollama at {url} did not answer within {}s", .after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    /// The server answered with an error status.
    #[error("Ollama answered {status}: {message}")]
    Status { status: u16, message: String },
    /// The connection broke while the reply was being read.
    #[error("connection to {url} broke while reading the reply: {reason}")]
    Broken { url: String, reason: String },
    /// The reply was not what the API describes.
    #[error("unexpected reply from {url}: {reason} (body starts: {excerpt:?})")]
    Decode {
        url: String,
        reason: String,
        excerpt: String,
    },
    /// Something answers at the address, but not Ollama.
    #[error("this does not look like Ollama (GET / did not answer \"Ollama is running\"): {url}")]
    NotOllama { url: String },
    /// A setting such as the host URL is unusable.
    #[error("{0}")]
    Config(String),
}

impl OllamaError {
    pub fn status(status: u16, body: &str) -> Self {
        // `{"error": "..."}` normally; old servers send plain text (`404 page not found`).
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_else(|| body.trim().to_string());
        let message = if message.is_empty() {
            canonical_reason(status).to_string()
        } else {
            clean(&message)
        };
        OllamaError::Status { status, message }
    }

    pub fn decode(url: &str, reason: impl std::fmt::Display, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(&body[..body.len().min(80)]);
        OllamaError::Decode {
            url: url.to_string(),
            reason: clean(&reason.to_string()),
            excerpt: clean(&text),
        }
    }

    /// The server's own message, when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            OllamaError::Status { message, .. } => Some(message),
            _ => None,
        }
    }

    pub fn is_out_of_memory(&self) -> bool {
        self.server_message().is_some_and(|m| {
            let m = m.to_lowercase();
            OOM_SUBSTRINGS.iter().any(|s| m.contains(s))
        })
    }

    /// Retrying cannot help until the model or the setup changes (`ollama-api.md`
    /// §3.4, §9.7): "does not support …", "may be incompatible with your version
    /// of Ollama", 404, 401 and 403.
    pub fn is_permanent(&self) -> bool {
        match self {
            OllamaError::Status { status, message } => {
                let m = message.to_lowercase();
                matches!(status, 401 | 403 | 404)
                    || PERMANENT_SUBSTRINGS.iter().any(|s| m.contains(s))
            }
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, OllamaError::Status { status: 404, .. })
    }

    /// Network-level trouble: the server may come back by itself.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            OllamaError::Unreachable { .. }
                | OllamaError::Timeout { .. }
                | OllamaError::Broken { .. }
        )
    }

    /// One short sentence for a status line or stderr.
    pub fn plain(&self) -> String {
        match self {
            OllamaError::Status { message, .. } if self.is_out_of_memory() => {
                format!("not enough memory: {message}")
            }
            // Ollama's own 404 texts already say "not found": say it once.
            OllamaError::Status { status, message }
                if *status == 404 && !message.to_lowercase().contains("not found") =>
            {
                format!("not found: {message}")
            }
            OllamaError::Status { message, .. } => message.clone(),
            OllamaError::Decode { excerpt, .. } => {
                format!("Ollama sent a reply this program cannot read (it starts: {excerpt:?})")
            }
            other => other.to_string(),
        }
    }
}

fn canonical_reason(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorised",
        403 => "forbidden (the server refused this host name)",
        404 => "not found",
        405 => "method not allowed",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "server busy",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_plain_text_errors() {
        let e = OllamaError::status(404, r#"{"error":"model 'foo' not found"}"#);
        assert_eq!(e.server_message(), Some("model 'foo' not found"));
        assert!(e.is_not_found());
        let e = OllamaError::status(404, "404 page not found");
        assert_eq!(e.server_message(), Some("404 page not found"));
        let e = OllamaError::status(403, "");
        assert!(e.plain().contains("forbidden"));
    }

    /// Every out-of-memory text of `ollama-api.md` §3.4 and §9.7, by version.
    #[test]
    fn out_of_memory_texts_of_every_version() {
        let table = [
            // v0.2.2 – v0.12.10 `llm/server.go` `NewLlamaServer` CPU fit check.
            (
                "model requires more system memory (12.3 GiB) than is available (9.8 GiB)",
                true,
            ),
            // 0.12.x `ErrLoadRequiredFull`.
            (
                "model requires more system memory than is currently available unable to load full model on GPU",
                true,
            ),
            // v0.12.10 `llm/server.go`: the runner's last stderr line.
            (
                "llama runner process has terminated: cudaMalloc failed: out of memory",
                true,
            ),
            (
                "llama runner process has terminated: error loading model: unknown model architecture",
                false,
            ),
            // v0.2.0 – v0.2.1 `processPending`.
            (
                "requested model (40.0 GiB) is too large for this system (31.0 GiB)",
                true,
            ),
            // v0.13 – v0.2x `llm/server.go`.
            (
                "model failed to load, this may be due to resource limitations or an internal error, check ollama server logs for details",
                true,
            ),
            (
                "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details",
                true,
            ),
            // ≥ 0.30 `llm/status.go` `outOfMemorySubstrings`.
            (
                "llama-server process no longer running: exit status 1 ggml_backend_cuda_buffer_type_alloc_buffer: allocation failed",
                true,
            ),
            (
                "llama-server process no longer running: 2 error: failed to allocate buffer",
                true,
            ),
            ("hipMalloc failed: out of memory", true),
            ("vk::Device::allocateMemory: ErrorOutOfMemory", true),
            ("not enough memory to load the model", true),
            ("insufficient memory for the KV cache", true),
            (
                "timed out waiting for llama runner to start - progress 0.00 - ",
                false,
            ),
            (
                "this model may be incompatible with your version of Ollama. If you previously pulled this model, try updating it by running `ollama pull x`",
                false,
            ),
        ];
        for (msg, oom) in table {
            let body = serde_json::json!({ "error": msg }).to_string();
            assert_eq!(
                OllamaError::status(500, &body).is_out_of_memory(),
                oom,
                "{msg}"
            );
        }
    }

    #[test]
    fn permanent_errors_are_told_apart() {
        let e = |status, msg: &str| {
            OllamaError::status(status, &serde_json::json!({ "error": msg }).to_string())
        };
        assert!(e(400, "\"nomic-embed-text\" does not support generate").is_permanent());
        assert!(e(400, "embedding models do not support generate").is_permanent());
        assert!(e(500, "llama-server process no longer running: this model may be incompatible with your version of Ollama.").is_permanent());
        assert!(e(404, "model 'x' not found").is_permanent());
        assert!(e(401, "unauthorized").is_permanent());
        assert!(e(403, "").is_permanent());
        assert!(!e(500, "cudaMalloc failed: out of memory").is_permanent());
        assert!(
            !e(
                503,
                "server busy, please try again.  maximum pending requests exceeded"
            )
            .is_permanent()
        );
        let down = OllamaError::Unreachable {
            url: "u".into(),
            reason: "refused".into(),
        };
        assert!(!down.is_permanent());
    }

    #[test]
    fn recognises_ollama_out_of_memory_texts() {
        for msg in [
            "model requires more system memory (12.3 GiB) than is available (9.8 GiB)",
            "llama runner process has terminated: cudaMalloc failed: out of memory",
            "ggml_backend_cuda_buffer_type_alloc_buffer: allocation failed",
            "VK_ERROR_OUT_OF_DEVICE_MEMORY",
        ] {
            let body = serde_json::json!({ "error": msg }).to_string();
            let e = OllamaError::status(500, &body);
            assert!(e.is_out_of_memory(), "{msg}");
            assert!(e.plain().starts_with("not enough memory"));
        }
        let e = OllamaError::status(500, r#"{"error":"model runner has unexpectedly stopped"}"#);
        assert!(!e.is_out_of_memory());
    }

    #[test]
    fn undecodable_replies_read_plainly() {
        let e = OllamaError::decode(
            "http://h/api/ps",
            "expected value at line 1",
            b"<html>\x1b[31m",
        );
        assert_eq!(
            e.plain(),
            "Ollama sent a reply this program cannot read (it starts: \"<html>\")"
        );
        assert!(e.to_string().contains("expected value at line 1"));
    }

    #[test]
    fn server_text_is_sanitised() {
        let e = OllamaError::status(500, "{\"error\":\"bad\\u001b[2Jthing\\u0007\"}");
        assert_eq!(e.server_message(), Some("badthing"));
    }
}
