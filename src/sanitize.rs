//! Text that came from a server is never drawn raw: control characters could move the
//! cursor, change colours or retitle the terminal.

/// Returns `s` with escape sequences (CSI, OSC) and every other control character
/// removed (C0, DEL, C1), bidirectional overrides dropped, and tabs and line breaks
/// turned into single spaces so one-line cells stay one line.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters up to a final byte in @..~
                Some('[') => {
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                // OSC (window titles, hyperlinks): up to BEL or ESC \
                Some(']') => {
                    while let Some(n) = chars.next() {
                        if n == '\u{7}' {
                            break;
                        }
                        if n == '\u{1b}' {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' | '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn strips_escape_sequences_and_c1_controls() {
        assert_eq!(clean("llama\u{1b}[31m3\u{7}"), "llama3");
        assert_eq!(clean("x\u{1b}]0;pwned\u{7}y"), "xy");
        assert_eq!(clean("x\u{1b}]8;;http://a\u{1b}\\y"), "xy");
        assert_eq!(clean("a\u{9b}b\u{7f}c"), "abc");
    }

    #[test]
    fn keeps_unicode_and_flattens_line_breaks() {
        assert_eq!(clean("qwen2.5-coder:7b ★"), "qwen2.5-coder:7b ★");
        assert_eq!(clean("out of\nmemory\r\n"), "out of memory ");
        assert_eq!(clean("evil\u{202E}txt"), "eviltxt");
    }
}
