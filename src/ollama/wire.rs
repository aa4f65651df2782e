//! Lenient deserialisers: real servers from 0.1.x to today omit fields, send `null`
//! where later versions send values, and use the zero time as "unset".

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

/// `null` or a missing field becomes the type's default.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Any JSON number (negative becomes 0, fractions truncate) or `null` as bytes.
pub fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(lenient_opt_u64(d)?.unwrap_or(0))
}

/// Like [`lenient_u64`] but keeps "absent" apart from zero.
pub fn lenient_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|i| i.max(0) as u64))
            .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }))
}

/// An RFC 3339 timestamp with any offset. The zero time (`0001-01-01T00:00:00Z`) and
/// anything unparsable become `None`; years past 2300 (a "forever" expiry) are kept.
pub fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let v = Option::<String>::deserialize(d)?;
    Ok(v.and_then(|s| parse_time(&s)))
}

pub fn parse_time(s: &str) -> Option<Timestamp> {
    let ts: Timestamp = s.trim().parse().ok()?;
    // Go's zero time, and anything before 1971, means "no value".
    (ts.as_second() > 365 * 86_400).then_some(ts)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_with_offsets_zero_and_far_future() {
        let a = parse_time("2025-07-11T18:44:02.665974994+02:00").map(|t| t.as_second());
        let b = parse_time("2025-07-11T16:44:02Z").map(|t| t.as_second());
        assert_eq!(a, b);
        assert!(parse_time("0001-01-01T00:00:00Z").is_none());
        let far = parse_time("2318-03-04T10:00:00.5-08:00");
        assert!(far.is_some_and(|t| t.as_second() > 10_000_000_000));
        assert!(parse_time("yesterday").is_none());
    }
}
