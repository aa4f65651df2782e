//! The async HTTP client. Quick calls (version, tags, ps, show) have an overall
//! timeout; loads have none, because a 40 GB model can take minutes to load.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::error::OllamaError;
use super::route::{self, LoadSpec};
use super::types::{
    GenerateResponse, ModelEntry, PsResponse, PullEvent, PullLine, RunningModel, ShowResponse,
    TagsResponse, VersionResponse,
};
use crate::duration::KeepAlive;

pub type Result<T> = std::result::Result<T, OllamaError>;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const QUICK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    quick_timeout: Duration,
    /// The server's version once asked: it decides the load and unload routes.
    version: Arc<Mutex<Option<String>>>,
}

impl Client {
    /// `base` is a resolved URL such as `http://127.0.0.1:11434` (see `config::HostUrl`).
    pub fn new(base: &str) -> Result<Self> {
        Self::with_timeouts(base, CONNECT_TIMEOUT, QUICK_TIMEOUT)
    }

    pub fn with_timeouts(base: &str, connect: Duration, quick: Duration) -> Result<Self> {
        install_tls();
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("model-orchestrator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OllamaError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            quick_timeout: quick,
            version: Arc::default(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn version(&self) -> Result<String> {
        let v: VersionResponse = self.get_json("/api/version").await?;
        if let Ok(mut cached) = self.version.lock() {
            *cached = Some(v.version.clone());
        }
        Ok(v.version)
    }

    /// The version as far as it can be learnt: asked once, `None` when the server
    /// does not say (the routes then assume the newest, `route::at_least`).
    pub async fn known_version(&self) -> Option<String> {
        let cached = self.version.lock().ok().and_then(|v| v.clone());
        match cached {
            Some(v) => Some(v),
            None => self.version().await.ok(),
        }
    }

    /// Loads `model` through the route its kind and the server's version need
    /// (`route::load_route`) and waits until it is in memory.
    pub async fn load_with(&self, model: &str, spec: &LoadSpec) -> Result<()> {
        let version = self.known_version().await;
        let route = route::load_route(spec.embedding, version.as_deref());
        let body = route.body(model, spec.keep_alive, spec.num_ctx);
        let req = self.http.post(self.url(route.path())).json(&body);
        let _: serde_json::Value = self.send_json(route.path(), req, None).await?;
        Ok(())
    }

    /// Sends keep_alive 0 through `route::unload_route`. On servers older than
    /// 0.3.11 that loads a model first: callers check it is loaded.
    pub async fn unload_with(&self, model: &str, embedding: bool) -> Result<()> {
        let version = self.known_version().await;
        let route = route::unload_route(embedding, version.as_deref());
        let body = route.body(model, Some(KeepAlive::UNLOAD), None);
        let req = self
            .http
            .post(self.url(route.path()))
            .timeout(self.quick_timeout)
            .json(&body);
        let _: serde_json::Value = self
            .send_json(route.path(), req, Some(self.quick_timeout))
            .await?;
        Ok(())
    }

    pub async fn tags(&self) -> Result<Vec<ModelEntry>> {
        let t: TagsResponse = self.get_json("/api/tags").await?;
        Ok(t.models)
    }

    pub async fn ps(&self) -> Result<Vec<RunningModel>> {
        let p: PsResponse = self.get_json("/api/ps").await?;
        Ok(p.models)
    }

    pub async fn show(&self, model: &str) -> Result<ShowResponse> {
        let req = self
            .http
            .post(self.url("/api/show"))
            .timeout(self.quick_timeout)
            .json(&json!({ "model": model }));
        self.send_json("/api/show", req, Some(self.quick_timeout))
            .await
    }

    /// Loads `model` (an empty generate request) and waits until it is in memory.
    /// `None` keeps whatever keep-alive the server would use.
    pub async fn load(
        &self,
        model: &str,
        keep_alive: Option<KeepAlive>,
    ) -> Result<GenerateResponse> {
        let mut body = json!({ "model": model });
        if let Some(k) = keep_alive {
            body["keep_alive"] = k.to_json();
        }
        let req = self.http.post(self.url("/api/generate")).json(&body);
        self.send_json("/api/generate", req, None).await
    }

    /// Asks the server to unload `model` (keep_alive 0); returns at once.
    pub async fn unload(&self, model: &str) -> Result<GenerateResponse> {
        let body = json!({ "model": model, "keep_alive": KeepAlive::UNLOAD.to_json() });
        let req = self
            .http
            .post(self.url("/api/generate"))
            .timeout(self.quick_timeout)
            .json(&body);
        self.send_json("/api/generate", req, Some(self.quick_timeout))
            .await
    }

    /// Loads `model` and keeps it loaded forever (keep_alive -1).
    pub async fn pin(&self, model: &str) -> Result<GenerateResponse> {
        self.load(model, Some(KeepAlive::Forever)).await
    }

    /// Deletes a model from disk. Success is a 200 with an empty body.
    pub async fn delete(&self, model: &str) -> Result<()> {
        let req = self
            .http
            .delete(self.url("/api/delete"))
            .timeout(self.quick_timeout)
            .json(&json!({ "model": model }));
        let path = "/api/delete";
        tracing::debug!(url = %self.url(path), model, "DELETE");
        let resp = req.send().await.map_err(|e| self.map_err(path, e, None))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.map_err(path, e, None))?;
        if status.is_success() {
            Ok(())
        } else {
            Err(OllamaError::status(
                status.as_u16(),
                &String::from_utf8_lossy(&body),
            ))
        }
    }

    /// Starts a pull and returns its progress as a stream of typed events. An error
    /// line inside the stream (sent with status 200) comes out as an `Err`.
    pub async fn pull(&self, model: &str) -> Result<impl Stream<Item = Result<PullEvent>> + use<>> {
        let path = "/api/pull";
        let url = self.url(path);
        tracing::debug!(%url, model, "POST");
        let resp = self
            .http
            .post(&url)
            .json(&json!({ "model": model, "stream": true }))
            .send()
            .await
            .map_err(|e| self.map_err(path, e, None))?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.bytes().await.unwrap_or_default();
            return Err(OllamaError::status(
                status.as_u16(),
                &String::from_utf8_lossy(&body),
            ));
        }
        let bytes = resp.bytes_stream();
        let state = (bytes, Vec::<u8>::new(), false, url);
        Ok(futures_util::stream::unfold(
            state,
            |(mut bytes, mut buf, finished, url)| async move {
                if finished {
                    return None;
                }
                loop {
                    if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        let trimmed = line.trim_ascii();
                        if trimmed.is_empty() {
                            continue;
                        }
                        let item = decode_pull_line(&url, trimmed);
                        let done = item.is_err() || matches!(item, Ok(PullEvent::Success));
                        return Some((item, (bytes, buf, done, url)));
                    }
                    match bytes.next().await {
                        Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                        Some(Err(e)) => {
                            let err = OllamaError::Broken {
                                url: url.clone(),
                                reason: error_chain(&e),
                            };
                            return Some((Err(err), (bytes, buf, true, url)));
                        }
                        None => {
                            let rest = std::mem::take(&mut buf);
                            let trimmed = rest.trim_ascii();
                            if trimmed.is_empty() {
                                return None;
                            }
                            let item = decode_pull_line(&url, trimmed);
                            return Some((item, (bytes, buf, true, url)));
                        }
                    }
                }
            },
        ))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let req = self.http.get(self.url(path)).timeout(self.quick_timeout);
        self.send_json(path, req, Some(self.quick_timeout)).await
    }

    async fn send_json<T: DeserializeOwned>(
        &self,
        path: &str,
        req: reqwest::RequestBuilder,
        timeout: Option<Duration>,
    ) -> Result<T> {
        tracing::debug!(url = %self.url(path), "request");
        let resp = req
            .send()
            .await
            .map_err(|e| self.map_err(path, e, timeout))?;
        let status = resp.status();
        tracing::debug!(url = %self.url(path), status = status.as_u16(), "answered");
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.map_err(path, e, timeout))?;
        if !status.is_success() {
            let err = OllamaError::status(status.as_u16(), &String::from_utf8_lossy(&body));
            // Ollama answers errors in JSON; gin's plain `404 page not found` also
            // comes from an Ollama too old for the route, so ask `/` which it is.
            let plain = serde_json::from_slice::<serde_json::Value>(&body).is_err();
            if plain && status.as_u16() == 404 {
                return Err(self.unless_not_ollama(err).await);
            }
            return Err(err);
        }
        match serde_json::from_slice(&body) {
            Ok(v) => Ok(v),
            Err(e) => {
                let err = OllamaError::decode(&self.url(path), e, &body);
                Err(self.unless_not_ollama(err).await)
            }
        }
    }

    /// `err`, or `NotOllama` when `GET /` does not answer "Ollama is running"
    /// (`server/routes.go` `GenerateRoutes`, every version): a web page or another
    /// service at this address says nothing useful in its own words.
    async fn unless_not_ollama(&self, err: OllamaError) -> OllamaError {
        let req = self.http.get(self.url("/")).timeout(self.quick_timeout);
        let text = match req.send().await {
            Ok(resp) => resp.text().await.unwrap_or_default(),
            Err(_) => return err,
        };
        if text.trim() == "Ollama is running" {
            err
        } else {
            OllamaError::NotOllama {
                url: self.base.clone(),
            }
        }
    }

    fn map_err(&self, path: &str, e: reqwest::Error, timeout: Option<Duration>) -> OllamaError {
        let url = self.url(path);
        tracing::debug!(%url, error = %error_chain(&e), "request failed");
        if e.is_timeout() {
            OllamaError::Timeout {
                url,
                after: timeout.unwrap_or(CONNECT_TIMEOUT),
            }
        } else if e.is_connect() {
            OllamaError::Unreachable {
                url,
                reason: error_chain(&e),
            }
        } else if e.is_body() || e.is_decode() || e.is_request() {
            OllamaError::Broken {
                url,
                reason: error_chain(&e),
            }
        } else {
            OllamaError::Unreachable {
                url,
                reason: error_chain(&e),
            }
        }
    }
}

/// TLS (for a server behind an https proxy) uses ring through rustls. The provider is
/// process-wide and must be in place before any reqwest client is built; installing
/// it twice is harmless.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A bare reqwest client with the TLS set-up above, for raw requests such as the
/// stand-in's admin routes.
pub fn raw_http() -> reqwest::Client {
    install_tls();
    reqwest::Client::new()
}

fn decode_pull_line(url: &str, line: &[u8]) -> Result<PullEvent> {
    let parsed: PullLine =
        serde_json::from_slice(line).map_err(|e| OllamaError::decode(url, e, line))?;
    parsed.into_event().map_err(|message| OllamaError::Status {
        status: 200,
        message: crate::sanitize::clean(&message),
    })
}

/// The innermost cause is usually the useful one ("Connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    crate::sanitize::clean(&inner.to_string())
}
