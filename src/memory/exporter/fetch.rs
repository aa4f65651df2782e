//! Fetching exporter pages over HTTP, and the [`MemorySource`] that does it on each
//! reading.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use tokio::runtime::Handle;

use super::{ExporterError, ExporterReading, parse_metrics};
use crate::memory::{MemorySnapshot, MemorySource};
use crate::sanitize::clean;

/// Per page: a reading is due every second or so, and an exporter answers in
/// milliseconds; one that takes longer is as good as gone.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// node_exporter pages are a few hundred KiB; a URL that streams more is not one.
const MAX_BODY: usize = 16 << 20;

/// How much of an error page goes into the message.
const MAX_SNIPPET: usize = 200;

/// Reads every page (at once) and merges them into one snapshot; see the module
/// docs. Any page that fails fails the whole reading, with its URL in the error:
/// a snapshot without one of the GPUs would overstate what fits.
pub async fn read_exporters(
    client: &reqwest::Client,
    urls: &[String],
) -> Result<MemorySnapshot, ExporterError> {
    if urls.is_empty() {
        return Err(ExporterError::NoUrls);
    }
    let pages = join_all(urls.iter().map(|url| read_page(client, url))).await;
    let mut merged = ExporterReading::default();
    for (url, page) in urls.iter().zip(pages) {
        merged.merge(page.map_err(|e| e.at(url))?);
    }
    merged.into_snapshot(urls)
}

async fn read_page(client: &reqwest::Client, url: &str) -> Result<ExporterReading, ExporterError> {
    let reading = parse_metrics(&fetch_text(client, url).await?)?;
    if reading.is_empty() {
        return Err(ExporterError::NoFigures);
    }
    Ok(reading)
}

async fn fetch_text(client: &reqwest::Client, url: &str) -> Result<String, ExporterError> {
    let mut resp = client
        .get(url)
        // The classic text format: exporters that speak OpenMetrics only do so
        // when asked.
        .header(ACCEPT, "text/plain;version=0.0.4;q=1.0,*/*;q=0.1")
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(request_error)?;
    let status = resp.status();
    let html = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = read_body(&mut resp).await?;
    if !status.is_success() {
        return Err(ExporterError::Status {
            status: status.as_u16(),
            body: snippet(&body),
        });
    }
    if html {
        return Err(ExporterError::NotPrometheus {
            reason: "the page is HTML".into(),
        });
    }
    String::from_utf8(body).map_err(|_| ExporterError::NotPrometheus {
        reason: "the page is not UTF-8 text".into(),
    })
}

async fn read_body(resp: &mut reqwest::Response) -> Result<Vec<u8>, ExporterError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ExporterError::NotPrometheus {
                reason: format!("the page is larger than {} MiB", MAX_BODY >> 20),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of an error page, sanitised; HTML is left out as noise.
fn snippet(body: &[u8]) -> String {
    let text = clean(String::from_utf8_lossy(body).trim());
    if text.starts_with('<') {
        return String::new();
    }
    match text.char_indices().nth(MAX_SNIPPET) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn request_error(e: reqwest::Error) -> ExporterError {
    if e.is_timeout() {
        ExporterError::Timeout {
            after: FETCH_TIMEOUT,
        }
    } else if e.is_builder() {
        ExporterError::BadUrl {
            reason: innermost(&e),
        }
    } else {
        ExporterError::Unreachable {
            reason: innermost(&e),
        }
    }
}

/// reqwest's own message is "error sending request"; the cause at the bottom of the
/// chain ("Connection refused") is what the user can act on.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    clean(&inner.to_string())
}

/// The last error of an [`ExporterMemory`], readable after the source has been
/// moved into the reading task.
#[derive(Debug, Clone, Default)]
pub struct LastError(Arc<Mutex<Option<String>>>);

impl LastError {
    /// The error of the latest reading; `None` once a reading succeeds again.
    pub fn get(&self) -> Option<String> {
        lock(&self.0).clone()
    }

    fn set(&self, error: Option<String>) {
        *lock(&self.0) = error;
    }
}

/// A poisoned lock only means a panic elsewhere; the text is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Exporters as a [`MemorySource`]. `read` blocks on `handle` for the HTTP requests,
/// so it must run off the runtime's worker threads (the dashboard reads memory in
/// `spawn_blocking`).
///
/// `MemorySource::read` cannot fail, so on an error it returns the last good
/// snapshot (all zeros before the first) and keeps the error for
/// [`ExporterMemory::last_error`]; [`ExporterMemory::try_read`] gives it directly.
#[derive(Debug)]
pub struct ExporterMemory {
    handle: Handle,
    client: reqwest::Client,
    urls: Vec<String>,
    last_good: MemorySnapshot,
    last_error: LastError,
}

impl ExporterMemory {
    /// `client` needs no timeout of its own: each request gets [`FETCH_TIMEOUT`].
    pub fn new(handle: Handle, client: reqwest::Client, urls: Vec<String>) -> Self {
        ExporterMemory {
            handle,
            client,
            urls,
            last_good: MemorySnapshot::default(),
            last_error: LastError::default(),
        }
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The error of the latest reading, if it failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.get()
    }

    /// A handle on the last error that stays valid after `self` is boxed away.
    pub fn error_slot(&self) -> LastError {
        self.last_error.clone()
    }

    /// One reading, with its error; also what `read` and `last_error` report.
    pub fn try_read(&mut self) -> Result<MemorySnapshot, ExporterError> {
        let result = self
            .handle
            .block_on(read_exporters(&self.client, &self.urls));
        match &result {
            Ok(snapshot) => {
                self.last_good = snapshot.clone();
                self.last_error.set(None);
            }
            Err(e) => self.last_error.set(Some(e.to_string())),
        }
        result
    }
}

impl MemorySource for ExporterMemory {
    fn read(&mut self) -> MemorySnapshot {
        self.try_read().unwrap_or_else(|_| self.last_good.clone())
    }

    fn last_error(&self) -> Option<String> {
        ExporterMemory::last_error(self)
    }
}
