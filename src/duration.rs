//! Go-style durations (`5m`, `1h30m`, `500ms`, `-1s`), the syntax Ollama uses for
//! `keep_alive` and `OLLAMA_KEEP_ALIVE`, read exactly as Go's `time.ParseDuration`.

use std::fmt::Write as _;
use std::time::Duration;

/// Go's `time.Duration` is int64 nanoseconds: the longest one, in nanoseconds.
const MAX_NANOS: u64 = (1 << 63) - 1;
/// The magnitude of the most negative one (-2^63 ns), Go's parsing bound.
const MIN_MAGNITUDE: u64 = 1 << 63;

/// Go's longest `time.Duration` (about 292 years); Ollama stores "forever" as this.
pub const MAX_DURATION: Duration = Duration::from_nanos(MAX_NANOS);

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
        Ok(if negative {
            KeepAlive::Forever
        } else {
            KeepAlive::For(Duration::from_nanos(nanos))
        })
    }

    /// Parses the way Ollama's `envconfig.KeepAlive` reads `OLLAMA_KEEP_ALIVE`:
    /// spaces, then quotes, trimmed (`envconfig.Var`); a Go duration, else a bare
    /// integer of seconds; negative means forever. Ollama silently uses 5m for an
    /// invalid value; this returns the error so callers can say so before falling back.
    pub fn parse_env(s: &str) -> Result<KeepAlive, DurationError> {
        let t = s.trim().trim_matches(['"', '\'']);
        Self::parse(t).or_else(|e| {
            t.parse::<i64>()
                .map(Self::from_whole_seconds)
                .map_err(|_| e)
        })
    }

    /// `time.Duration(n) * time.Second` from `envconfig.KeepAlive`. Go's int64
    /// multiply wraps past about 292 years (into arbitrary, even negative, values);
    /// this saturates at [`MAX_DURATION`] instead.
    fn from_whole_seconds(n: i64) -> KeepAlive {
        match u64::try_from(n) {
            Err(_) => KeepAlive::Forever,
            Ok(secs) => KeepAlive::For(Duration::from_nanos(
                secs.saturating_mul(1_000_000_000).min(MAX_NANOS),
            )),
        }
    }

    /// A JSON number of seconds, as Ollama's `api.Duration.UnmarshalJSON` reads it:
    /// negative is forever, otherwise `time.Duration(t * float64(time.Second))`,
    /// computed in float64 and truncated. Past int64 range Go leaves that conversion
    /// to the platform (amd64 gives math.MinInt64, which Ollama's scheduler treats
    /// as "unload now"; arm64 saturates); this caps at [`MAX_DURATION`], Ollama's
    /// own "forever". NaN, which JSON cannot carry, counts as forever.
    pub fn from_seconds(secs: f64) -> KeepAlive {
        if secs < 0.0 || secs.is_nan() {
            return KeepAlive::Forever;
        }
        let nanos = secs * 1e9;
        if nanos >= MIN_MAGNITUDE as f64 {
            KeepAlive::For(MAX_DURATION)
        } else {
            KeepAlive::For(Duration::from_nanos(nanos as u64))
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
            // Ollama would turn these seconds back into nanoseconds past int64 (see
            // `from_seconds`); -1 gives it the same maximum without that risk.
            KeepAlive::For(d) if d.as_secs_f64() * 1e9 >= MIN_MAGNITUDE as f64 => {
                serde_json::Value::from(-1)
            }
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

/// Go's `ParseDuration` errors; the fields hold the raw text, displayed quoted as
/// Go's `time.quote` does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration {}", quote(.0))]
    Invalid(String),
    #[error("time: missing unit in duration {}", quote(.0))]
    MissingUnit(String),
    #[error("time: unknown unit {} in duration {}", quote(.unit), quote(.input))]
    UnknownUnit { unit: String, input: String },
}

/// Parses like Go's `time.ParseDuration` into (negative, nanoseconds). The
/// magnitude is at most 2^63 - 1, or 2^63 when negative; `negative` is only set
/// for a non-zero value.
pub fn parse_go_duration(input: &str) -> Result<(bool, u64), DurationError> {
    parse_bytes(input.as_bytes()).map_err(|fault| match fault {
        Fault::Invalid => DurationError::Invalid(input.to_string()),
        Fault::MissingUnit => DurationError::MissingUnit(input.to_string()),
        // A unit starts and ends beside ASCII digits or '.', or at the ends, so
        // it is whole UTF-8 here and the conversion loses nothing.
        Fault::UnknownUnit(unit) => DurationError::UnknownUnit {
            unit: String::from_utf8_lossy(unit).into_owned(),
            input: input.to_string(),
        },
    })
}

/// Why a duration was refused; the caller adds the input text.
#[derive(Debug, PartialEq, Eq)]
enum Fault<'a> {
    Invalid,
    MissingUnit,
    UnknownUnit(&'a [u8]),
}

/// Go's `ParseDuration` over bytes, as Go strings are: `[-+]?([0-9]*(\.[0-9]*)?unit)+`.
fn parse_bytes(input: &[u8]) -> Result<(bool, u64), Fault<'_>> {
    let (negative, mut s) = match input.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, input),
    };
    // Go: "0" alone, signed or not, needs no unit.
    if s == b"0" {
        return Ok((false, 0));
    }
    if s.is_empty() {
        return Err(Fault::Invalid);
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let (nanos, rest) = component(s)?;
        s = rest;
        // Go adds in uint64 and checks afterwards, so 2^63 + 2^63 wraps to 0 and
        // passes; mirrored so the answer is Go's.
        total = total.wrapping_add(nanos);
        if total > MIN_MAGNITUDE {
            return Err(Fault::Invalid);
        }
    }
    if !negative && total > MAX_NANOS {
        return Err(Fault::Invalid);
    }
    Ok((negative && total > 0, total))
}

/// One `[0-9]*(\.[0-9]*)?unit` run: its nanoseconds and what follows it.
fn component(s: &[u8]) -> Result<(u64, &[u8]), Fault<'_>> {
    if !s.first().is_some_and(|c| *c == b'.' || c.is_ascii_digit()) {
        return Err(Fault::Invalid);
    }
    let (whole, rest) = leading_int(s).ok_or(Fault::Invalid)?;
    let had_whole = rest.len() != s.len();
    let (frac, scale, rest, had_frac) = match rest.strip_prefix(b".") {
        Some(after) => {
            let (frac, scale, rest) = leading_fraction(after);
            (frac, scale, rest, rest.len() != after.len())
        }
        None => (0, 1.0, rest, false),
    };
    // Go: "." needs a digit on at least one side (".s" is refused).
    if !had_whole && !had_frac {
        return Err(Fault::Invalid);
    }
    let unit_len = rest
        .iter()
        .take_while(|c| !(**c == b'.' || c.is_ascii_digit()))
        .count();
    let (unit, rest) = rest.split_at(unit_len);
    if unit.is_empty() {
        return Err(Fault::MissingUnit);
    }
    let per = unit_nanos(unit).ok_or(Fault::UnknownUnit(unit))?;
    let nanos = scaled(whole, frac, scale, per).ok_or(Fault::Invalid)?;
    Ok((nanos, rest))
}

/// Go's `leadingInt`: the leading digits, `None` past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let (digits, rest) = s.split_at(s.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut x: u64 = 0;
    for &c in digits {
        if x > MIN_MAGNITUDE / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > MIN_MAGNITUDE {
            return None;
        }
    }
    Some((x, rest))
}

/// Go's `leadingFraction`: the digits after the point as (value, 10^digits kept).
/// Digits that would overflow are consumed but dropped, truncating the fraction.
/// The scale is a float64 built by repeated `* 10`, as in Go, so it rounds the same.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let (digits, rest) = s.split_at(s.iter().take_while(|c| c.is_ascii_digit()).count());
    let (mut x, mut scale) = (0u64, 1.0f64);
    for &c in digits {
        if x > MAX_NANOS / 10 {
            break;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > MIN_MAGNITUDE {
            break;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, rest)
}

/// Nanoseconds per unit, Go's `unitMap`.
fn unit_nanos(unit: &[u8]) -> Option<u64> {
    match std::str::from_utf8(unit).ok()? {
        "ns" => Some(1),
        // U+00B5 micro sign and U+03BC Greek mu, both accepted by Go.
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        "m" => Some(60_000_000_000),
        "h" => Some(3_600_000_000_000),
        _ => None,
    }
}

/// `whole.frac` units in nanoseconds, `None` past 2^63 (Go's checks in
/// `ParseDuration`). The whole part is exact integer math. The fraction uses Go's
/// own float64 expression so results truncate exactly as Go's do: exact integer
/// math would differ (Go reads `0.3333333333333333333h` as 20m, not 20m - 1ns).
fn scaled(whole: u64, frac: u64, scale: f64, per: u64) -> Option<u64> {
    if whole > MIN_MAGNITUDE / per {
        return None;
    }
    let mut v = whole * per;
    if frac > 0 {
        // frac < scale, so this is below `per` (at most 3.6e12): no overflow.
        v += (frac as f64 * (per as f64 / scale)) as u64;
        if v > MIN_MAGNITUDE {
            return None;
        }
    }
    Some(v)
}

/// Go's `time.quote` (not `strconv.Quote`): printable ASCII kept with `"` and `\`
/// escaped, every byte of anything else written as `\xNN`.
fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

fn quote_bytes(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() && c >= ' ' {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            } else {
                push_hex(&mut out, c.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
        push_hex(&mut out, chunk.invalid());
    }
    out.push('"');
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "\\x{b:02x}");
    }
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

    const NS: i128 = 1;
    const US: i128 = 1_000 * NS;
    const MS: i128 = 1_000 * US;
    const S: i128 = 1_000 * MS;
    const M: i128 = 60 * S;
    const H: i128 = 60 * M;
    const MAX: i128 = i64::MAX as i128;
    const MIN: i128 = i64::MIN as i128;

    /// A parse as Go reports it: signed nanoseconds, or the error text.
    fn go(s: &str) -> Result<i128, String> {
        parse_go_duration(s)
            .map(|(negative, n)| {
                if negative {
                    -i128::from(n)
                } else {
                    i128::from(n)
                }
            })
            .map_err(|e| e.to_string())
    }

    /// Every case of Go's `src/time/time_test.go` `parseDurationTests`, plus the two
    /// extremes from `TestParseDurationRoundTrip`.
    #[test]
    fn go_parse_duration_tests() {
        let cases: &[(&str, i128)] = &[
            // simple
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            // sign
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            // decimal
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * MS),
            ("5.s", 5 * S),
            (".5s", 500 * MS),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4 * MS),
            ("1.0040s", S + 4 * MS),
            ("100.00100s", 100 * S + MS),
            // different units
            ("10ns", 10 * NS),
            ("11us", 11 * US),
            ("12\u{b5}s", 12 * US),
            ("12\u{3bc}s", 12 * US),
            ("13ms", 13 * MS),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            // composite durations
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500 * MS),
            ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
            (
                "1h2m3s4ms5us6ns",
                H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS,
            ),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
            // large value
            ("52763797000ns", 52763797000 * NS),
            // more than 9 digits after the decimal point (golang.org/issue/6617)
            ("0.3333333333333333333h", 20 * M),
            // 1<<53+1 cannot be stored exactly in a float64
            ("9007199254740993ns", (1 << 53) + 1),
            // the largest durations an int64 of nanoseconds holds
            ("9223372036854775807ns", MAX),
            ("9223372036854775.807us", MAX),
            ("9223372036s854ms775us807ns", MAX),
            ("-9223372036854775808ns", MIN),
            ("-9223372036854775.808us", MIN),
            ("-9223372036s854ms775us808ns", MIN),
            // largest negative value
            ("-9223372036854775808ns", MIN),
            // largest negative round trip value (golang.org/issue/48629)
            ("-2562047h47m16.854775808s", MIN),
            // huge string (golang.org/issue/15011)
            ("0.100000000000000000000h", 6 * M),
            // the first overflow check in leadingFraction
            ("0.830103483285477580700h", 49 * M + 48 * S + 372539827 * NS),
            // TestParseDurationRoundTrip: Duration(MaxInt64/MinInt64).String()
            ("2562047h47m16.854775807s", MAX),
            ("-2562047h47m16.854775808s", MIN),
        ];
        for (input, want) in cases {
            assert_eq!(go(input), Ok(*want), "{input:?}");
        }
    }

    /// Every case of Go's `src/time/time_test.go` `parseDurationErrorTests`, with
    /// the full message Go builds (its test only checks the quoted part).
    #[test]
    fn go_parse_duration_error_tests() {
        let invalid = |q: &str| format!("time: invalid duration {q}");
        let cases: &[(&str, String)] = &[
            // invalid
            ("", invalid(r#""""#)),
            ("3", r#"time: missing unit in duration "3""#.to_string()),
            ("-", invalid(r#""-""#)),
            ("s", invalid(r#""s""#)),
            (".", invalid(r#"".""#)),
            ("-.", invalid(r#""-.""#)),
            (".s", invalid(r#"".s""#)),
            ("+.s", invalid(r#""+.s""#)),
            (
                "1d",
                r#"time: unknown unit "d" in duration "1d""#.to_string(),
            ),
            ("\u{FFFD}", invalid(r#""\xef\xbf\xbd""#)),
            (
                "\u{FFFD} hello \u{FFFD} world",
                invalid(r#""\xef\xbf\xbd hello \xef\xbf\xbd world""#),
            ),
            // overflow
            (
                "9223372036854775810ns",
                invalid(r#""9223372036854775810ns""#),
            ),
            (
                "9223372036854775808ns",
                invalid(r#""9223372036854775808ns""#),
            ),
            (
                "-9223372036854775809ns",
                invalid(r#""-9223372036854775809ns""#),
            ),
            ("9223372036854776us", invalid(r#""9223372036854776us""#)),
            ("3000000h", invalid(r#""3000000h""#)),
            (
                "9223372036854775.808us",
                invalid(r#""9223372036854775.808us""#),
            ),
            (
                "9223372036854ms775us808ns",
                invalid(r#""9223372036854ms775us808ns""#),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(go(input).as_ref(), Err(want), "{input:?}");
        }
        // Go's cases that are not UTF-8 cannot be a &str; the byte parser and the
        // quoting they exercise are checked directly.
        for (input, quoted) in [
            (&b"\x85\x85"[..], r#""\x85\x85""#),
            (b"\xffff", r#""\xffff""#),
            (b"hello \xffff world", r#""hello \xffff world""#),
        ] {
            assert_eq!(parse_bytes(input), Err(Fault::Invalid), "{input:?}");
            assert_eq!(quote_bytes(input), quoted);
        }
    }

    #[test]
    fn fractions_truncate_as_go_does() {
        assert_eq!(go("1.5h"), Ok(90 * M));
        assert_eq!(go("1.0000000000000000000001s"), Ok(S));
        assert_eq!(go(&format!("1.{}5s", "0".repeat(400))), Ok(S));
        // Go computes the fraction in float64 and truncates: 0.1 * 9999999999.
        assert_eq!(go("0.9999999999s"), Ok(999_999_999));
        assert_eq!(
            go("5."),
            Err(r#"time: missing unit in duration "5.""#.into())
        );
        assert_eq!(
            go("1.5"),
            Err(r#"time: missing unit in duration "1.5""#.into())
        );
    }

    #[test]
    fn overflow_edges_match_go() {
        assert_eq!(go("2562047h47m16.854775807s"), Ok(MAX));
        assert_eq!(
            go("2562047h47m16.854775808s"),
            Err(r#"time: invalid duration "2562047h47m16.854775808s""#.into())
        );
        assert!(go("9223372036854775808ns1ns").is_err());
        // Go's uint64 sum wraps here (2^63 + 2^63 = 0) and it answers 0.
        assert_eq!(go("9223372036854775808ns9223372036854775808ns"), Ok(0));
        assert_eq!(
            go("99999999999999999999ns"),
            Err(r#"time: invalid duration "99999999999999999999ns""#.into())
        );
    }

    #[test]
    fn errors_quote_like_go_time_quote() {
        assert_eq!(
            go("1\""),
            Err(r#"time: unknown unit "\"" in duration "1\"""#.into())
        );
        assert_eq!(
            go("1\\"),
            Err(r#"time: unknown unit "\\" in duration "1\\""#.into())
        );
        assert_eq!(
            go("1\u{e9}"),
            Err(r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#.into())
        );
        assert_eq!(
            go("1\t"),
            Err(r#"time: unknown unit "\x09" in duration "1\x09""#.into())
        );
        assert_eq!(go(" 1s"), Err(r#"time: invalid duration " 1s""#.into()));
    }

    #[test]
    fn huge_values_stay_in_gos_range() {
        assert_eq!(
            KeepAlive::parse("9223372036854775807ns"),
            Ok(KeepAlive::For(MAX_DURATION))
        );
        assert_eq!(
            KeepAlive::parse("-9223372036854775808ns"),
            Ok(KeepAlive::Forever)
        );
        assert_eq!(KeepAlive::parse("-0s"), Ok(KeepAlive::UNLOAD));
        assert_eq!(
            KeepAlive::parse("3000000h").map_err(|e| e.to_string()),
            Err(r#"time: invalid duration "3000000h""#.into())
        );
    }

    #[test]
    fn json_seconds_read_as_ollama_does() {
        assert_eq!(KeepAlive::from_seconds(-0.5), KeepAlive::Forever);
        assert_eq!(KeepAlive::from_seconds(-0.0), KeepAlive::UNLOAD);
        // float64 seconds * 1e9, truncated.
        assert_eq!(
            KeepAlive::from_seconds(0.1),
            KeepAlive::For(Duration::from_nanos(100_000_000))
        );
        assert_eq!(
            KeepAlive::from_seconds(1.5),
            KeepAlive::For(Duration::from_millis(1500))
        );
        // Past int64 nanoseconds Go's conversion is platform-defined; capped here.
        for huge in [9_223_372_036.854_776, 1e12, 1e300, f64::INFINITY] {
            assert_eq!(
                KeepAlive::from_seconds(huge),
                KeepAlive::For(MAX_DURATION),
                "{huge}"
            );
        }
        assert_eq!(
            KeepAlive::from_seconds(9_223_372_036.0),
            KeepAlive::For(Duration::from_secs(9_223_372_036))
        );
    }

    #[test]
    fn env_form_matches_ollama_envconfig() {
        let env = |s: &str| KeepAlive::parse_env(s);
        assert_eq!(env("10m"), Ok(KeepAlive::For(Duration::from_secs(600))));
        assert_eq!(env("\"10m\""), Ok(KeepAlive::For(Duration::from_secs(600))));
        assert_eq!(env(" '30' "), Ok(KeepAlive::For(Duration::from_secs(30))));
        assert_eq!(env("+30"), Ok(KeepAlive::For(Duration::from_secs(30))));
        assert_eq!(env("0"), Ok(KeepAlive::UNLOAD));
        assert_eq!(env("-0"), Ok(KeepAlive::UNLOAD));
        assert_eq!(env("-5"), Ok(KeepAlive::Forever));
        assert_eq!(env("-1h"), Ok(KeepAlive::Forever));
        // Go wraps time.Duration(n) * time.Second; saturated here.
        assert_eq!(env("9223372036854775807"), Ok(KeepAlive::For(MAX_DURATION)));
        assert_eq!(env("-9223372036854775808"), Ok(KeepAlive::Forever));
        // Invalid: Ollama falls back to 5m; the error is reported first here.
        assert_eq!(
            env("1d").map_err(|e| e.to_string()),
            Err(r#"time: unknown unit "d" in duration "1d""#.into())
        );
        assert_eq!(
            env("99999999999999999999").map_err(|e| e.to_string()),
            Err(r#"time: invalid duration "99999999999999999999""#.into())
        );
    }

    #[test]
    fn too_long_for_ollamas_float_goes_out_as_forever() {
        assert_eq!(
            KeepAlive::For(MAX_DURATION).to_json(),
            serde_json::json!(-1)
        );
        assert_eq!(
            KeepAlive::For(Duration::from_secs(9_223_372_036)).to_json(),
            serde_json::json!(9_223_372_036u64)
        );
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
