//! Text in terminal cells: widths, cutting and padding, and the short `4.9G` form
//! for table cells. Sizes and times in words are `crate::format`.

use ratatui::text::Span;

/// Compact form for table cells: `6.1G`, `142G`, `986M`.
pub fn gb_short(bytes: u64) -> String {
    const GB: f64 = 1e9;
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
    fn short_sizes() {
        assert_eq!(gb_short(4_900_000_000), "4.9G");
        assert_eq!(gb_short(142_000_000_000), "142G");
        assert_eq!(gb_short(986_000_000), "986M");
        assert_eq!(gb_short(0), "0");
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
