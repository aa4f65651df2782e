//! Text in terminal cells: widths, cutting and padding, and the short `4.9G` form
//! for table cells. Sizes and times in words are `crate::format`.

use ratatui::text::Span;

/// Compact form for table cells: `6.1G`, `142G`, `986M`.
pub fn gb_short(bytes: u64) -> String {
    let (n, unit) = crate::format::size_parts(bytes);
    format!("{n}{unit}")
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

/// A model name cut to `max` cells keeping its tag when the tag is short, so
/// `qwen2.5-coder:1.5b` and `qwen2.5-coder:32b` stay apart (`qwen2.…:1.5b`).
/// `:latest` and long tags say less than the name: those are cut at the end.
pub fn short_name(name: &str, max: usize) -> String {
    if width(name) <= max {
        return name.to_string();
    }
    match name.rsplit_once(':') {
        Some((base, tag)) if tag != "latest" && width(tag) < max / 2 => {
            let tag = format!(":{tag}");
            format!("{}{tag}", truncate(base, max - width(&tag)))
        }
        _ => truncate(name, max),
    }
}

/// Prose cut to `max` cells between words, ending in `…` when cut; a single word
/// longer than the line is cut inside it.
pub fn cut_words(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for word in s.split(' ') {
        let next = if out.is_empty() {
            word.to_string()
        } else {
            format!("{out} {word}")
        };
        if width(&next) + 1 > max {
            break;
        }
        out = next;
    }
    if out.is_empty() {
        return truncate(s, max);
    }
    out.push('…');
    out
}

/// A model name cut with [`short_name`] and padded to exactly `w` cells.
pub fn pad_name(name: &str, w: usize) -> String {
    pad(&short_name(name, w), w)
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

/// `items` joined with `sep` on as few lines of `max` cells as they need, breaking
/// only between items, never inside one (an item wider than a line is cut).
pub fn join_wrapped(items: &[String], sep: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if width(line) + width(sep) + width(item) <= max => {
                line.push_str(sep);
                line.push_str(item);
            }
            _ => lines.push(truncate(item, max)),
        }
    }
    lines
}

/// The first of `variants` (longest first) that fits in `max` cells; else the last,
/// to be wrapped by the caller.
pub fn first_fitting(variants: Vec<String>, max: usize) -> String {
    let last = variants.len().saturating_sub(1);
    variants
        .into_iter()
        .enumerate()
        .find(|(i, v)| *i == last || width(v) <= max)
        .map(|(_, v)| v)
        .unwrap_or_default()
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

    #[test]
    fn prose_is_cut_between_words() {
        assert_eq!(
            cut_words("loaded llama3.1:8b in 3.2s", 40),
            "loaded llama3.1:8b in 3.2s"
        );
        assert_eq!(
            cut_words("loaded llama3.1:8b in 3.2s", 22),
            "loaded llama3.1:8b in…"
        );
        assert_eq!(
            cut_words("loaded llama3.1:8b in 3.2s", 20),
            "loaded llama3.1:8b…"
        );
        assert_eq!(cut_words("supercalifragilistic", 8), "superca…");
        assert!(width(&cut_words("a b c d e f g h", 6)) <= 6);
    }

    #[test]
    fn cut_names_keep_a_short_tag() {
        assert_eq!(short_name("qwen2.5-coder:1.5b", 12), "qwen2.…:1.5b");
        assert_eq!(short_name("qwen2.5-coder:32b", 12), "qwen2.5…:32b");
        assert_eq!(short_name("qwen2.5-coder:7b", 12), "qwen2.5-…:7b");
        assert_eq!(short_name("qwen2.5:7b-instruct-q8_0", 12), "qwen2.5:7b-…");
        assert_eq!(short_name("nomic-embed-text:latest", 12), "nomic-embed…");
        assert_eq!(short_name("llama3.1:8b", 12), "llama3.1:8b");
        assert_eq!(short_name("no-tag-at-all-here", 12), "no-tag-at-a…");
        assert_eq!(width(&pad_name("deepseek-coder-v2:16b", 19)), 19);
    }

    #[test]
    fn wrapping_breaks_between_items_only() {
        let items: Vec<String> = ["llama", "7B", "Q4_0", "32 layers", "ctx 16384"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            join_wrapped(&items, " · ", 38),
            vec!["llama · 7B · Q4_0 · 32 layers", "ctx 16384"]
        );
        assert_eq!(join_wrapped(&items, " · ", 80).len(), 1);
        assert_eq!(join_wrapped(&items[3..], " · ", 5), vec!["32 l…", "ctx …"]);
    }

    #[test]
    fn the_longest_variant_that_fits_is_chosen() {
        let v = || {
            vec![
                "a long way".to_string(),
                "short".into(),
                "x y z w v u".into(),
            ]
        };
        assert_eq!(first_fitting(v(), 20), "a long way");
        assert_eq!(first_fitting(v(), 6), "short");
        assert_eq!(first_fitting(v(), 3), "x y z w v u");
    }
}
