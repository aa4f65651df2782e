//! Human-readable sizes and durations, matching what Ollama's own CLI prints.

use std::time::Duration;

use jiff::Timestamp;

/// Ollama's `format.HumanBytes`: decimal units, integers from 10 up (truncated), one
/// decimal below 10 when fractional.
pub fn human_bytes(b: u64) -> String {
    let (value, unit) = match b {
        b if b >= 1_000_000_000_000 => (b as f64 / 1e12, "TB"),
        b if b >= 1_000_000_000 => (b as f64 / 1e9, "GB"),
        b if b >= 1_000_000 => (b as f64 / 1e6, "MB"),
        b if b >= 1_000 => (b as f64 / 1e3, "KB"),
        b => return format!("{b} B"),
    };
    if value >= 10.0 {
        format!("{} {unit}", value.trunc() as u64)
    } else if value.fract() == 0.0 {
        format!("{} {unit}", value as u64)
    } else {
        // Go's %.1f rounds: 3.97e9 prints as "4.0 GB".
        format!("{value:.1} {unit}")
    }
}

/// A size in the one rounding the dashboard and the commands share: `4.9`+`G`,
/// `142`+`G`, `986`+`M` (decimal units, as Ollama's).
pub fn size_parts(bytes: u64) -> (String, &'static str) {
    const GB: f64 = 1e9;
    let b = bytes as f64;
    if b >= 100.0 * GB {
        (format!("{:.0}", b / GB), "G")
    } else if b >= GB {
        (format!("{:.1}", b / GB), "G")
    } else if bytes == 0 {
        ("0".into(), "")
    } else if bytes < 1_000_000 {
        ("<1".into(), "M")
    } else {
        (format!("{:.0}", b / 1e6), "M")
    }
}

/// A table's size cell in the commands: `4.9 GB`, `142 GB`, `986 MB`.
pub fn size(bytes: u64) -> String {
    match size_parts(bytes) {
        (n, "") => n,
        (n, unit) => format!("{n} {unit}B"),
    }
}

/// Always GB with one decimal, for figures users compare ("needs 6.1 GB, 3.9 GB free").
pub fn gb(b: u64) -> String {
    format!("{:.1} GB", b as f64 / 1e9)
}

/// The GPU's share of a model in memory, rounded as `ollama ps` rounds it
/// (`cmd/cmd.go` `ListRunningHandler`: the CPU share is rounded, the GPU gets
/// the rest), so the dashboard, the commands and `ollama ps` agree.
pub fn gpu_share(total: u64, vram: u64) -> u8 {
    if total == 0 || vram == 0 {
        return 0;
    }
    if vram >= total {
        return 100;
    }
    let cpu = ((total - vram) as f64 / total as f64 * 100.0).round() as u8;
    100 - cpu.min(100)
}

/// A CPU/GPU split, written one way everywhere: `GPU`, `CPU`, `41% GPU`.
pub fn split_text(gpu_percent: u8) -> String {
    match gpu_percent {
        0 => "CPU".into(),
        100 => "GPU".into(),
        n => format!("{n}% GPU"),
    }
}

/// A short countdown: "45s", "4m 12s", "1h 05m".
pub fn countdown(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The countdown from `from` to `to`, never below zero.
pub fn countdown_between(from: Timestamp, to: Timestamp) -> String {
    let secs = (to.as_second() - from.as_second()).max(0).unsigned_abs();
    countdown(Duration::from_secs(secs))
}

/// How long something took: "3.2s", "1m 05s".
pub fn elapsed_ms(ms: i64) -> String {
    let ms = ms.max(0).unsigned_abs();
    if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        countdown(Duration::from_millis(ms))
    }
}

/// Ollama's `format.HumanTime` wording for a span: "3 weeks", "About an hour".
pub fn human_span(d: Duration) -> String {
    let s = d.as_secs_f64();
    let (minute, hour, day) = (60.0, 3600.0, 86_400.0);
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if s < 1.0 {
        "Less than a second".into()
    } else if s < minute {
        plural(s as u64, "second")
    } else if s < 2.0 * minute {
        "About a minute".into()
    } else if s < hour {
        plural((s / minute) as u64, "minute")
    } else if s < 2.0 * hour {
        "About an hour".into()
    } else if s < 48.0 * hour {
        plural((s / hour).round() as u64, "hour")
    } else if s < 14.0 * day {
        plural((s / day).round() as u64, "day")
    } else if s < 60.0 * day {
        plural((s / (7.0 * day)).round() as u64, "week")
    } else if s < 730.0 * day {
        plural((s / (30.0 * day)).round() as u64, "month")
    } else {
        plural((s / (365.0 * day)).round() as u64, "year")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_like_ollama() {
        assert_eq!(human_bytes(4_683_075_271), "4.7 GB");
        assert_eq!(human_bytes(3_970_000_000), "4.0 GB");
        assert_eq!(human_bytes(4_000_000_000), "4 GB");
        assert_eq!(human_bytes(14_900_000_000), "14 GB");
        assert_eq!(human_bytes(669_000_000), "669 MB");
        assert_eq!(human_bytes(986_000_000), "986 MB");
        assert_eq!(human_bytes(512), "512 B");
    }

    #[test]
    fn countdowns() {
        assert_eq!(countdown(Duration::from_secs(45)), "45s");
        assert_eq!(countdown(Duration::from_secs(252)), "4m 12s");
        assert_eq!(countdown(Duration::from_secs(3900)), "1h 05m");
        let t = |s: i64| Timestamp::from_second(1_700_000_000 + s).expect("valid time");
        assert_eq!(countdown_between(t(0), t(252)), "4m 12s");
        assert_eq!(countdown_between(t(9), t(0)), "0s");
        assert_eq!(elapsed_ms(3_240), "3.2s");
        assert_eq!(elapsed_ms(65_000), "1m 05s");
    }

    #[test]
    fn spans() {
        assert_eq!(human_span(Duration::from_secs(21 * 86_400)), "3 weeks");
        assert_eq!(human_span(Duration::from_secs(90)), "About a minute");
        assert_eq!(human_span(Duration::from_secs(299)), "4 minutes");
        assert_eq!(human_span(Duration::from_millis(10)), "Less than a second");
    }
}
