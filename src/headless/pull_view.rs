//! How `pull` shows its progress: bars per layer and overall on a terminal
//! (indicatif), plain lines otherwise (one per status change, at most one progress
//! line a second per layer, so a log or a pipe stays readable).

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::format::{countdown, human_bytes};

/// What a pull shows, event by event. Texts come cleaned of control characters.
pub trait PullView {
    /// A status-only line ("pulling manifest", "verifying sha256 digest", ...).
    fn status(&mut self, status: &str);
    /// Bytes of one layer; `status` is the server's "pulling <12 hex>".
    fn layer(&mut self, status: &str, digest: &str, total: u64, completed: u64, now: Instant);
    /// The pull ended; `ok` is false after an error or Ctrl-C.
    fn finish(&mut self, ok: bool);
    fn tally(&self) -> &Tally;
}

/// One layer as seen so far.
#[derive(Debug, Clone)]
struct Layer {
    digest: String,
    total: u64,
    completed: u64,
    /// When it was first seen and how far it was then: the base of its speed.
    first: (Instant, u64),
    printed: Instant,
    done: bool,
}

impl Layer {
    /// Bytes a second since it was first seen; `None` before any time has passed.
    fn speed(&self, now: Instant) -> Option<f64> {
        let secs = now.duration_since(self.first.0).as_secs_f64();
        (secs > 0.0).then(|| self.completed.saturating_sub(self.first.1) as f64 / secs)
    }
}

/// The layers of a pull in the order they came.
#[derive(Debug, Default)]
pub struct Tally {
    layers: Vec<Layer>,
}

impl Tally {
    /// Records a progress line; `true` when the layer is new.
    fn record(&mut self, digest: &str, total: u64, completed: u64, now: Instant) -> bool {
        if let Some(l) = self.layers.iter_mut().find(|l| l.digest == digest) {
            l.total = total;
            l.completed = completed.max(l.completed);
            return false;
        }
        self.layers.push(Layer {
            digest: digest.to_string(),
            total,
            completed,
            first: (now, completed),
            printed: now,
            done: false,
        });
        true
    }

    fn get_mut(&mut self, digest: &str) -> Option<&mut Layer> {
        self.layers.iter_mut().find(|l| l.digest == digest)
    }

    /// The size of every layer seen.
    pub fn total(&self) -> u64 {
        self.layers.iter().map(|l| l.total).sum()
    }

    pub fn completed(&self) -> u64 {
        self.layers.iter().map(|l| l.completed.min(l.total)).sum()
    }

    /// Bytes fetched by this pull (layers already on disk count zero).
    pub fn downloaded(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.completed.min(l.total).saturating_sub(l.first.1))
            .sum()
    }
}

/// Plain lines for logs and pipes.
pub struct Lines<W: Write> {
    out: W,
    tally: Tally,
    last_status: Option<String>,
}

impl<W: Write> Lines<W> {
    pub fn new(out: W) -> Self {
        Lines {
            out,
            tally: Tally::default(),
            last_status: None,
        }
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    // A closed pipe must not stop the pull: write errors are ignored.
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }
}

/// At most one progress line a second per layer.
const PRINT_EVERY: Duration = Duration::from_secs(1);

impl<W: Write> PullView for Lines<W> {
    fn status(&mut self, status: &str) {
        if self.last_status.as_deref() != Some(status) {
            self.line(status);
            self.last_status = Some(status.to_string());
        }
    }

    fn layer(&mut self, status: &str, digest: &str, total: u64, completed: u64, now: Instant) {
        self.last_status = Some(status.to_string());
        let new = self.tally.record(digest, total, completed, now);
        let Some(l) = self.tally.get_mut(digest) else {
            return;
        };
        let text = if l.done {
            return;
        } else if completed >= total && new {
            l.done = true;
            format!("{status}: {}, already here", human_bytes(total))
        } else if new {
            format!("{status}: {}", human_bytes(total))
        } else if completed >= total {
            l.done = true;
            let secs = now.duration_since(l.first.0).as_secs_f64();
            format!("{status}: done, {} in {secs:.1} s", human_bytes(total))
        } else if now.duration_since(l.printed) >= PRINT_EVERY {
            l.printed = now;
            progress_text(status, l, now)
        } else {
            return;
        };
        self.line(&text);
    }

    fn finish(&mut self, _ok: bool) {
        let _ = self.out.flush();
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}

/// "pulling 74701a8c35f6: 45% of 1.3 GB, 180 MB/s, 4s left".
fn progress_text(status: &str, l: &Layer, now: Instant) -> String {
    let percent = l.completed.saturating_mul(100) / l.total.max(1);
    let mut text = format!("{status}: {percent}% of {}", human_bytes(l.total));
    if let Some(speed) = l.speed(now).filter(|s| *s > 0.0) {
        let left = l.total.saturating_sub(l.completed) as f64 / speed;
        let speed = human_bytes(speed as u64);
        text.push_str(&format!(
            ", {speed}/s, {} left",
            countdown(Duration::from_secs_f64(left))
        ));
    }
    text
}

/// Bars on a terminal: one per layer and one for the whole pull, with bytes, speed
/// and ETA; status lines print above them.
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    bars: Vec<(String, ProgressBar)>,
    tally: Tally,
    last_status: Option<String>,
}

const LAYER_TEMPLATE: &str = "{prefix:21} {percent:>3}% [{bar:30}] {decimal_bytes:>8}/{decimal_total_bytes:8} {decimal_bytes_per_sec:>10} {eta:>4}";
const OVERALL_TEMPLATE: &str = "{prefix:21} {percent:>3}% [{bar:30}] {decimal_bytes:>8}/{decimal_total_bytes:8} {decimal_bytes_per_sec:>10} eta {eta}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Bars {
    /// Draws to stdout (the caller checked that it is a terminal).
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let overall = multi.add(
            ProgressBar::new(0)
                .with_style(style(OVERALL_TEMPLATE))
                .with_prefix("total"),
        );
        Bars {
            multi,
            overall,
            bars: Vec::new(),
            tally: Tally::default(),
            last_status: None,
        }
    }

    fn bar(&mut self, status: &str, digest: &str, total: u64) -> ProgressBar {
        if let Some((_, b)) = self.bars.iter().find(|(d, _)| d == digest) {
            return b.clone();
        }
        let bar = ProgressBar::new(total)
            .with_style(style(LAYER_TEMPLATE))
            .with_prefix(status.to_string());
        let bar = self.multi.insert_before(&self.overall, bar);
        self.bars.push((digest.to_string(), bar.clone()));
        bar
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl PullView for Bars {
    fn status(&mut self, status: &str) {
        if self.last_status.as_deref() != Some(status) {
            let _ = self.multi.println(status);
            self.last_status = Some(status.to_string());
        }
    }

    fn layer(&mut self, status: &str, digest: &str, total: u64, completed: u64, now: Instant) {
        self.last_status = Some(status.to_string());
        self.tally.record(digest, total, completed, now);
        let bar = self.bar(status, digest, total);
        bar.set_length(total);
        bar.set_position(completed.min(total));
        if completed >= total {
            bar.finish();
        }
        self.overall.set_length(self.tally.total());
        self.overall.set_position(self.tally.completed());
    }

    fn finish(&mut self, ok: bool) {
        for (_, b) in &self.bars {
            if ok {
                // Ollama's last tick may come before a layer's last bytes.
                b.set_position(b.length().unwrap_or(0));
                b.finish();
            } else {
                b.abandon();
            }
        }
        if ok {
            self.overall.set_position(self.tally.total());
            self.overall.finish();
        } else {
            self.overall.abandon();
        }
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: Lines<Vec<u8>>) -> String {
        String::from_utf8(lines.into_inner()).expect("utf-8")
    }

    #[test]
    fn plain_lines_print_each_status_once_and_progress_once_a_second() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut v = Lines::new(Vec::new());
        v.status("pulling manifest");
        v.status("pulling manifest");
        let total = 1_000_000_000;
        for ms in (0..=2_500).step_by(100) {
            v.layer("pulling aaa", "sha256:a", total, ms * 200_000, at(ms));
        }
        v.layer("pulling aaa", "sha256:a", total, total, at(5_000));
        v.layer("pulling aaa", "sha256:a", total, total, at(5_060));
        v.layer("pulling bbb", "sha256:b", 110, 110, at(5_100));
        v.status("verifying sha256 digest");
        let out = text(v);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "pulling manifest",
                "pulling aaa: 1 GB",
                "pulling aaa: 20% of 1 GB, 200 MB/s, 4s left",
                "pulling aaa: 40% of 1 GB, 200 MB/s, 3s left",
                "pulling aaa: done, 1 GB in 5.0 s",
                "pulling bbb: 110 B, already here",
                "verifying sha256 digest",
            ]
        );
    }

    #[test]
    fn the_tally_counts_cached_layers_as_not_downloaded() {
        let now = Instant::now();
        let mut t = Tally::default();
        assert!(t.record("a", 100, 100, now));
        assert!(t.record("b", 50, 0, now));
        assert!(!t.record("b", 50, 50, now));
        assert_eq!((t.total(), t.completed(), t.downloaded()), (150, 150, 50));
    }
}
