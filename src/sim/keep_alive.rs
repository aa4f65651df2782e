//! `keep_alive` in a request body, read the way Ollama's `Duration.UnmarshalJSON` does.

use serde_json::Value;

use crate::duration::KeepAlive;

/// `None` when absent or `null` (keep the runner's setting); an error text for
/// values real servers reject with 400.
pub fn parse(value: Option<&Value>) -> Result<Option<KeepAlive>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let secs = n.as_f64().ok_or_else(|| format!("invalid number {n}"))?;
            Ok(Some(KeepAlive::from_seconds(secs)))
        }
        Some(Value::String(s)) => KeepAlive::parse(s).map(Some).map_err(|e| e.to_string()),
        Some(other) => Err(format!("Unsupported type: '{}'", go_type(other))),
    }
}

/// The Go type name `encoding/json` decodes a value into.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Null => "<nil>",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::duration::MAX_DURATION;

    #[test]
    fn every_form_real_servers_accept_or_reject() {
        let p = |v: Value| parse(Some(&v));
        assert_eq!(parse(None), Ok(None));
        assert_eq!(p(Value::Null), Ok(None));
        assert_eq!(
            p(json!(300)),
            Ok(Some(KeepAlive::For(Duration::from_secs(300))))
        );
        assert_eq!(
            p(json!(0.5)),
            Ok(Some(KeepAlive::For(Duration::from_millis(500))))
        );
        assert_eq!(p(json!(-1)), Ok(Some(KeepAlive::Forever)));
        assert_eq!(p(json!("-1m")), Ok(Some(KeepAlive::Forever)));
        assert_eq!(p(json!("0")), Ok(Some(KeepAlive::UNLOAD)));
        assert_eq!(
            p(json!("300")),
            Err("time: missing unit in duration \"300\"".into())
        );
        assert_eq!(p(json!(true)), Err("Unsupported type: 'bool'".into()));
    }

    #[test]
    fn out_of_range_values_answer_as_go_does() {
        let p = |v: Value| parse(Some(&v));
        assert_eq!(
            p(json!("3000000h")),
            Err("time: invalid duration \"3000000h\"".into())
        );
        assert_eq!(
            p(json!("9223372036854775808ns")),
            Err("time: invalid duration \"9223372036854775808ns\"".into())
        );
        assert_eq!(
            p(json!("-9223372036854775808ns")),
            Ok(Some(KeepAlive::Forever))
        );
        assert_eq!(
            p(json!("9223372036854775807ns")),
            Ok(Some(KeepAlive::For(MAX_DURATION)))
        );
        // A number past int64 nanoseconds: capped (Go's own result is platform-defined).
        assert_eq!(p(json!(1e300)), Ok(Some(KeepAlive::For(MAX_DURATION))));
    }
}
