//! What a pull in the dashboard has fetched: per layer and overall, with a speed
//! over the last seconds and the time left at that speed. Fed by
//! `Msg::OpProgress` with Ollama's NDJSON events (`server/download.go`
//! `blobDownload.Wait` sends `total`/`completed` per layer digest).

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::ollama::PullEvent;
use crate::sanitize::clean;

/// How far back the speed looks.
const WINDOW_MS: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProgress {
    pub digest: String,
    pub total: u64,
    pub completed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullProgress {
    /// The server's last status line ("pulling manifest", "verifying sha256 digest").
    pub status: String,
    pub layers: Vec<LayerProgress>,
    /// (time, bytes completed) samples over the last `WINDOW_MS`, oldest first.
    samples: VecDeque<(i64, u64)>,
}

impl PullProgress {
    /// Records one event; returns whether something drawn changed (a new layer or
    /// status, or the overall percentage moved).
    pub fn record(&mut self, now: Timestamp, event: &PullEvent) -> bool {
        let before = (self.percent(), self.layers.len(), self.status.clone());
        match event {
            PullEvent::Status(s) => self.status = clean(s),
            PullEvent::Success => self.status = "success".into(),
            PullEvent::Layer {
                status,
                digest,
                total,
                completed,
            } => {
                self.status = clean(status);
                match self.layers.iter_mut().find(|l| &l.digest == digest) {
                    Some(l) => {
                        l.total = *total;
                        l.completed = (*completed).max(l.completed);
                    }
                    None => self.layers.push(LayerProgress {
                        digest: clean(digest),
                        total: *total,
                        completed: *completed,
                    }),
                }
                self.sample(now.as_millisecond());
            }
        }
        before != (self.percent(), self.layers.len(), self.status.clone())
    }

    fn sample(&mut self, at: i64) {
        let done = self.completed();
        match self.samples.back_mut() {
            // Many lines arrive in one millisecond: keep the latest figure.
            Some(last) if last.0 == at => last.1 = done,
            _ => self.samples.push_back((at, done)),
        }
        // Keep one sample older than the window, so the span covers all of it.
        while self.samples.len() > 2 && self.samples.get(1).is_some_and(|s| at - s.0 >= WINDOW_MS) {
            self.samples.pop_front();
        }
    }

    /// The size of every layer seen so far: the model's size once the manifest's
    /// layers have all been announced.
    pub fn total(&self) -> u64 {
        self.layers.iter().map(|l| l.total).sum()
    }

    pub fn completed(&self) -> u64 {
        self.layers.iter().map(|l| l.completed.min(l.total)).sum()
    }

    /// Whole percent of the bytes seen so far; `None` before the first layer.
    pub fn percent(&self) -> Option<u64> {
        let total = self.total();
        (total > 0).then(|| self.completed() * 100 / total)
    }

    /// Bytes a second over the last few seconds; `None` until time has passed.
    pub fn speed(&self, now: Timestamp) -> Option<f64> {
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        // A stalled download slows down on screen too: the window ends now.
        let span = (now.as_millisecond().max(last.0) - first.0) as f64 / 1000.0;
        (span >= 0.5).then(|| last.1.saturating_sub(first.1) as f64 / span)
    }

    /// Seconds left at the current speed.
    pub fn eta_secs(&self, now: Timestamp) -> Option<u64> {
        let speed = self.speed(now).filter(|s| *s > 0.0)?;
        let left = self.total().saturating_sub(self.completed());
        Some((left as f64 / speed).ceil() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(digest: &str, total: u64, completed: u64) -> PullEvent {
        PullEvent::Layer {
            status: format!("pulling {digest}"),
            digest: digest.into(),
            total,
            completed,
        }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_700_000_000_000 + ms).expect("valid")
    }

    #[test]
    fn overall_figures_sum_the_layers_and_the_speed_follows_the_window() {
        let mut p = PullProgress::default();
        assert!(p.record(at(0), &PullEvent::Status("pulling manifest".into())));
        assert_eq!(p.percent(), None);
        p.record(at(0), &layer("sha256:aa", 1_000_000_000, 0));
        p.record(at(0), &layer("sha256:bb", 1_000, 1_000));
        p.record(at(2_000), &layer("sha256:aa", 1_000_000_000, 200_000_000));
        assert_eq!(p.total(), 1_000_001_000);
        assert_eq!(p.percent(), Some(20));
        // 200 MB in 2 s, then 2 s of nothing: the speed halves as time passes.
        assert_eq!(p.speed(at(2_000)).map(|s| s.round()), Some(100_000_000.0));
        assert_eq!(p.speed(at(4_000)).map(|s| s.round()), Some(50_000_000.0));
        assert_eq!(p.eta_secs(at(2_000)), Some(8));
    }

    #[test]
    fn a_repeated_figure_redraws_nothing_and_old_samples_leave_the_window() {
        let mut p = PullProgress::default();
        p.record(at(0), &layer("sha256:aa", 100, 10));
        assert!(!p.record(at(10), &layer("sha256:aa", 100, 10)));
        for s in 1..=20 {
            p.record(at(s * 1_000), &layer("sha256:aa", 100, 10 + s as u64));
        }
        assert!(p.samples.len() <= 7, "{:?}", p.samples);
        assert_eq!(p.speed(at(20_000)).map(|s| s.round()), Some(1.0));
    }

    #[test]
    fn server_text_is_cleaned() {
        let mut p = PullProgress::default();
        p.record(
            at(0),
            &PullEvent::Status("pulling \u{1b}[31mmanifest".into()),
        );
        assert!(!p.status.contains('\u{1b}'), "{}", p.status);
    }
}
