//! Go-style durations (`5m`, `1h30m`, `500ms`, `-1s`), the syntax Ollama uses for
//! `keep_alive` and `OLLAMA_KEEP_ALIVE`.

use std::time::Duration;

/// A keep-alive as Ollama understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeepAlive {
    /// Keep loaded forever (any negative value).
    Forever,
    /// Keep loaded this long after the last request; zero unloads.
    For(Duration),
}

impl KeepAlive {
    pub const UNLOAD: KeepAlive = KeepAlive::For(Duration::ZERO);

    /// Parses a Go duration string; a negative value means forever. A bare number
    /// without a unit is rejected, as real servers do for JSON strings.
    pub fn parse(s: &str) -> Result<KeepAlive, DurationError> {
        let (negative, nanos) = parse_go_duration(s)?;
        if negative && nanos > 0 {
            Ok(KeepAlive::Forever)
        } else {
            Ok(KeepAlive::For(Duration::from_nanos(
                u64::try_from(nanos).unwrap_or(u64::MAX),
            )))
        }
    }

    /// Parses the way `OLLAMA_KEEP_ALIVE` is read: a bare integer means seconds.
    pub fn parse_env(s: &str) -> Result<KeepAlive, DurationError> {
        let t = s.trim();
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Self::from_seconds(n as f64));
        }
        Self::parse(t)
    }

    /// A JSON number of seconds, as the API takes it (fractions allowed, negative = forever).
    pub fn from_seconds(secs: f64) -> KeepAlive {
        if secs < 0.0 {
            KeepAlive::Forever
        } else if secs.is_finite() {
            KeepAlive::For(Duration::from_secs_f64(secs.min(1e12)))
        } else {
            KeepAlive::Forever
        }
    }

    pub fn is_unload(&self) -> bool {
        matches!(self, KeepAlive::For(d) if d.is_zero())
    }

    /// The value sent on the wire: always a JSON number of seconds, never a unit-less
    /// string (which servers reject with 400).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            KeepAlive::Forever => serde_json::Value::from(-1),
            KeepAlive::For(d) if d.subsec_nanos() == 0 => serde_json::Value::from(d.as_secs()),
            KeepAlive::For(d) => serde_json::Value::from(d.as_secs_f64()),
        }
    }
}

impl std::fmt::Display for KeepAlive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeepAlive::Forever => f.write_str("forever"),
            KeepAlive::For(d) => f.write_str(&format_go_duration(*d)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration \"{0}\"")]
    Invalid(String),
    #[error("time: missing unit in duration \"{0}\"")]
    MissingUnit(String),
    #[error("time: unknown unit \"{unit}\" in duration \"{input}\"")]
    UnknownUnit { unit: String, input: String },
}

/// Parses a Go `time.ParseDuration` string into (negative, nanoseconds).
pub fn parse_go_duration(input: &str) -> Result<(bool, u128), DurationError> {
    let invalid = || DurationError::Invalid(input.to_string());
    let mut s = input;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok((false, 0));
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let num = &s[..num_end];
        if num.is_empty() || num == "." {
            return Err(invalid());
        }
        let value: f64 = num.parse().map_err(|_| invalid())?;
        s = &s[num_end..];
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        s = &s[unit_end..];
        let scale = match unit {
            "" => return Err(DurationError::MissingUnit(input.to_string())),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(DurationError::UnknownUnit {
                    unit: other.to_string(),
                    input: input.to_string(),
                });
            }
        };
        total += value * scale;
    }
    Ok((negative, total.round() as u128))
}

/// A Go duration without its zero parts: `5m`, `1h30m`, `45s`, `500ms` (Go itself
/// prints `5m0s`; both parse back the same).
pub fn format_go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return if d.is_zero() {
            "0s".to_string()
        } else {
            format!("{}ms", d.as_millis())
        };
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    [(h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(
            KeepAlive::parse("5m"),
            Ok(KeepAlive::For(Duration::from_secs(300)))
        );
        assert_eq!(
            KeepAlive::parse("1h30m"),
            Ok(KeepAlive::For(Duration::from_secs(5400)))
        );
        assert_eq!(
            KeepAlive::parse("500ms"),
            Ok(KeepAlive::For(Duration::from_millis(500)))
        );
        assert_eq!(
            KeepAlive::parse("1.5s"),
            Ok(KeepAlive::For(Duration::from_millis(1500)))
        );
        assert_eq!(KeepAlive::parse("0"), Ok(KeepAlive::UNLOAD));
        assert_eq!(KeepAlive::parse("0s"), Ok(KeepAlive::UNLOAD));
        assert_eq!(KeepAlive::parse("-1m"), Ok(KeepAlive::Forever));
        assert_eq!(KeepAlive::parse("-1s"), Ok(KeepAlive::Forever));
    }

    #[test]
    fn rejects_what_go_rejects() {
        assert_eq!(
            KeepAlive::parse("300"),
            Err(DurationError::MissingUnit("300".into()))
        );
        assert_eq!(
            KeepAlive::parse("-1"),
            Err(DurationError::MissingUnit("-1".into()))
        );
        assert!(matches!(
            KeepAlive::parse("1d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(KeepAlive::parse("").is_err());
        assert!(KeepAlive::parse("m").is_err());
    }

    #[test]
    fn env_form_accepts_bare_seconds() {
        assert_eq!(
            KeepAlive::parse_env("3600"),
            Ok(KeepAlive::For(Duration::from_secs(3600)))
        );
        assert_eq!(KeepAlive::parse_env("-1"), Ok(KeepAlive::Forever));
    }

    #[test]
    fn wire_form_is_a_number() {
        assert_eq!(KeepAlive::Forever.to_json(), serde_json::json!(-1));
        assert_eq!(KeepAlive::UNLOAD.to_json(), serde_json::json!(0));
        assert_eq!(
            KeepAlive::For(Duration::from_secs(300)).to_json(),
            serde_json::json!(300)
        );
        assert_eq!(
            KeepAlive::For(Duration::from_millis(500)).to_json(),
            serde_json::json!(0.5)
        );
    }

    #[test]
    fn displays_as_short_go_durations_that_parse_back() {
        for (secs, text) in [(300, "5m"), (45, "45s"), (5400, "1h30m"), (3605, "1h5s")] {
            let k = KeepAlive::For(Duration::from_secs(secs));
            assert_eq!(k.to_string(), text);
            assert_eq!(KeepAlive::parse(text), Ok(k));
        }
        assert_eq!(
            KeepAlive::For(Duration::from_millis(500)).to_string(),
            "500ms"
        );
        assert_eq!(KeepAlive::Forever.to_string(), "forever");
    }
}
