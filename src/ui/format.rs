//! Numbers and times as the dashboard prints them.

use ratatui::text::Span;

const GB: f64 = 1e9;

/// `6.1 GB`, `42 GB` at 100 GB and more, `986 MB` below a gigabyte.
pub fn gb(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes == 0 {
        "0 GB".into()
    } else if b >= 100.0 * GB {
        format!("{:.0} GB", b / GB)
    } else if b >= GB {
        format!("{:.1} GB", b / GB)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

/// Compact form for table cells: `6.1G`, `42G`, `986M`.
pub fn gb_short(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 100.0 * GB {
        format!("{:.0}G", b / GB)
    } else if b >= GB {
        format!("{:.1}G", b / GB)
    } else if bytes == 0 {
        "0".into()
    } else {
        format!("{:.0}M", b / 1e6)
    }
}

/// A keep-alive countdown: `4m 12s`, `1h 03m`, `12s`.
pub fn countdown(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// How long something took: `3.2s`, `1m 05s`.
pub fn elapsed_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        countdown((ms / 1000) as u64)
    }
}

/// Display width of `s` in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` cut to `max` cells, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut or padded with spaces to exactly `w` cells, left-aligned.
pub fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let n = w.saturating_sub(width(&t));
    format!("{t}{}", " ".repeat(n))
}

/// Right-aligned in `w` cells.
pub fn pad_left(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let n = w.saturating_sub(width(&t));
    format!("{}{t}", " ".repeat(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times() {
        assert_eq!(gb(6_120_000_000), "6.1 GB");
        assert_eq!(gb(142_000_000_000), "142 GB");
        assert_eq!(gb(986_000_000), "986 MB");
        assert_eq!(gb_short(4_900_000_000), "4.9G");
        assert_eq!(countdown(252), "4m 12s");
        assert_eq!(countdown(3780), "1h 03m");
        assert_eq!(countdown(9), "9s");
        assert_eq!(elapsed_ms(3_240), "3.2s");
        assert_eq!(elapsed_ms(65_000), "1m 05s");
    }

    #[test]
    fn truncation_counts_cells() {
        assert_eq!(truncate("llama3.1:8b", 20), "llama3.1:8b");
        assert_eq!(truncate("qwen2.5-coder:32b", 8), "qwen2.5…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(width(&truncate("模型模型模型", 5)), 5);
    }
}
