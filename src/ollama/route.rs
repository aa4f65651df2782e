//! Which endpoint loads, pins or unloads a model, by its kind and the server's
//! version (`ollama-api.md` §3.2, §3.3, §9.1). Pure, so the rules are tested alone.

use serde_json::{Value, json};

use crate::duration::KeepAlive;
use crate::fit::server::parse_version;

/// A load as the caller means it; the client picks the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadSpec {
    /// Embedding-only (`crate::kind::Kind::Embedding`).
    pub embedding: bool,
    /// `None` leaves the keep-alive to the server (`OLLAMA_KEEP_ALIVE`, or a
    /// loaded runner's own).
    pub keep_alive: Option<KeepAlive>,
    /// The loaded runner's `context_length`, so a re-pin does not reload it.
    pub num_ctx: Option<u64>,
}

impl LoadSpec {
    pub fn pin(embedding: bool, num_ctx: Option<u64>) -> LoadSpec {
        LoadSpec {
            embedding,
            keep_alive: Some(KeepAlive::Forever),
            num_ctx,
        }
    }
}

/// The endpoint a load or unload goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/generate` without a prompt.
    Generate,
    /// `POST /api/embed` without `input`.
    Embed,
    /// `POST /api/embeddings` with `"prompt": ""`.
    Embeddings,
}

impl Route {
    pub fn path(self) -> &'static str {
        match self {
            Route::Generate => "/api/generate",
            Route::Embed => "/api/embed",
            Route::Embeddings => "/api/embeddings",
        }
    }

    /// The request body: the model, and only what the caller chose to send.
    pub fn body(self, model: &str, keep_alive: Option<KeepAlive>, num_ctx: Option<u64>) -> Value {
        let mut body = json!({ "model": model });
        if self == Route::Embeddings {
            // `EmbeddingsHandler`: "an empty request loads the model".
            body["prompt"] = "".into();
        }
        if let Some(k) = keep_alive {
            body["keep_alive"] = k.to_json();
        }
        if let Some(n) = num_ctx {
            body["options"] = json!({ "num_ctx": n });
        }
        body
    }
}

/// Unknown or development versions count as the newest (`fit::server::parse_version`).
fn at_least(version: Option<&str>, want: (u64, u64, u64)) -> bool {
    version.and_then(parse_version).is_none_or(|v| v >= want)
}

/// Generate refuses embedding-only models in every version (400 "does not support
/// generate", v0.1.48 `GenerateHandler` "embedding models do not support generate").
/// `/api/embed` without input loads from v0.3.6 (`EmbedHandler` schedules before
/// the empty-input return; v0.3.0–v0.3.5 returned first); `/api/embeddings` with an
/// empty prompt loads in every version (`EmbeddingsHandler`, v0.1.48 – v0.33.0-rc2).
pub fn load_route(embedding: bool, version: Option<&str>) -> Route {
    match (embedding, version) {
        (false, _) => Route::Generate,
        (true, Some(_)) if at_least(version, (0, 3, 6)) => Route::Embed,
        (true, _) => Route::Embeddings,
    }
}

/// `GenerateHandler`'s unload branch (empty prompt, keep_alive 0) exists from
/// v0.3.11; it runs before the capability check, so it unloads embedding models too.
pub fn has_unload_branch(version: Option<&str>) -> bool {
    at_least(version, (0, 3, 11))
}

/// Where keep_alive 0 goes: the unload branch, or on older servers the model's
/// load route (a load with keep_alive 0 expires at once). Older servers load a
/// model that is not loaded first: send it only for a loaded model.
pub fn unload_route(embedding: bool, version: Option<&str>) -> Route {
    if has_unload_branch(version) {
        Route::Generate
    } else {
        load_route(embedding, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_models_load_through_the_embedding_routes_by_version() {
        assert_eq!(load_route(false, Some("0.1.48")), Route::Generate);
        assert_eq!(load_route(true, Some("0.1.48")), Route::Embeddings);
        assert_eq!(load_route(true, Some("0.3.5")), Route::Embeddings);
        assert_eq!(load_route(true, Some("0.3.6")), Route::Embed);
        assert_eq!(load_route(true, Some("0.33.0-rc2")), Route::Embed);
        assert_eq!(load_route(true, None), Route::Embeddings, "safe everywhere");
    }

    #[test]
    fn unload_uses_the_generate_branch_from_0_3_11() {
        assert!(!has_unload_branch(Some("0.3.10")));
        assert!(has_unload_branch(Some("0.3.11")));
        assert_eq!(unload_route(true, Some("0.5.7")), Route::Generate);
        assert_eq!(unload_route(true, Some("0.3.6")), Route::Embed);
        assert_eq!(unload_route(false, Some("0.2.0")), Route::Generate);
    }

    #[test]
    fn bodies_carry_only_what_was_chosen() {
        let b = Route::Embeddings.body("nomic-embed-text", Some(KeepAlive::Forever), None);
        assert_eq!(
            b,
            json!({"model":"nomic-embed-text","prompt":"","keep_alive":-1})
        );
        let b = Route::Generate.body("m", None, Some(8192));
        assert_eq!(b, json!({"model":"m","options":{"num_ctx":8192}}));
        assert_eq!(Route::Embed.body("m", None, None), json!({"model":"m"}));
    }
}
