//! Scalars as Kubernetes reads them.
//!
//! Kubernetes decodes manifests with a YAML 1.1 reader (go-yaml v2 behind sigs.k8s.io/yaml),
//! so a plain `0644` is the octal integer 420, `yes`/`on`/`y` are booleans and `12:30` is a
//! base-60 integer. Reading goes through [`resolve_plain`]; writing goes through
//! [`write_scalar`], which quotes every string that any YAML 1.1 or 1.2 reader could take
//! for something else.

use serde_json::{Number, Value};

/// The value a plain (unquoted, untagged) scalar has under YAML 1.1 resolution.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = resolve_bool(text) {
        return Value::Bool(b);
    }
    if let Some(n) = resolve_int(text) {
        return Value::Number(n);
    }
    if let Some(f) = resolve_float(text) {
        return f;
    }
    Value::String(text.to_owned())
}

fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn digits_in(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.bytes().any(|b| b != b'_') && s.chars().all(|c| c == '_' || c.is_digit(radix))
}

fn parse_radix(s: &str, radix: u32, negative: bool) -> Option<Number> {
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let magnitude = i128::from_str_radix(&cleaned, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    if let Ok(v) = i64::try_from(value) {
        Some(Number::from(v))
    } else if let Ok(v) = u64::try_from(value) {
        Some(Number::from(v))
    } else {
        // Out of 64-bit range: a float, as go-yaml falls back to.
        Number::from_f64(value as f64)
    }
}

fn resolve_int(text: &str) -> Option<Number> {
    let (negative, body) = split_sign(text);
    if body.is_empty() {
        return None;
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return digits_in(bin, 2).then(|| parse_radix(bin, 2, negative))?;
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return digits_in(hex, 16).then(|| parse_radix(hex, 16, negative))?;
    }
    if body == "0" {
        return Some(Number::from(0));
    }
    if let Some(oct) = body.strip_prefix('0') {
        return digits_in(oct, 8).then(|| parse_radix(oct, 8, negative))?;
    }
    if body.contains(':') {
        return resolve_base60(body, negative);
    }
    if body.as_bytes()[0].is_ascii_digit() && digits_in(body, 10) {
        return parse_radix(body, 10, negative);
    }
    None
}

/// YAML 1.1 sexagesimal integers: `190:20:30` is 685230.
fn resolve_base60(body: &str, negative: bool) -> Option<Number> {
    let mut parts = body.split(':');
    let head = parts.next()?;
    if !head.starts_with(|c: char| c.is_ascii_digit() && c != '0') || !digits_in(head, 10) {
        return None;
    }
    let mut total: i128 = head.replace('_', "").parse().ok()?;
    for part in parts {
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digit: i128 = part.parse().ok()?;
        if digit > 59 {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(digit)?;
    }
    i64::try_from(if negative { -total } else { total }).ok().map(Number::from)
}

fn resolve_float(text: &str) -> Option<Value> {
    let (negative, body) = split_sign(text);
    let special = match body {
        ".inf" | ".Inf" | ".INF" => Some(if negative { "-.inf" } else { ".inf" }),
        ".nan" | ".NaN" | ".NAN" if text == body => Some(".nan"),
        _ => None,
    };
    if let Some(name) = special {
        // JSON has no infinities: keep a marker string so two readings still compare equal.
        return Some(Value::String(format!("!!float {name}")));
    }
    // [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?  (plus go-yaml's 1e3 form)
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
        i += 1;
    }
    let int_part = i;
    let mut dot = false;
    if i < bytes.len() && bytes[i] == b'.' {
        dot = true;
        i += 1;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
            i += 1;
        }
    }
    let mantissa_digits = body[..i].bytes().filter(u8::is_ascii_digit).count();
    if mantissa_digits == 0 {
        return None;
    }
    let mut exp = false;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j == start {
            return None;
        }
        exp = true;
        i = j;
    }
    if i != bytes.len() || (!dot && !exp) || (int_part == 0 && !dot) {
        return None;
    }
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let f: f64 = cleaned.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// True when `text` may be written plain and still read back as the same string by both
/// YAML 1.1 and 1.2 readers. Deliberately narrow: anything unusual gets quotes.
pub fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/') {
        return false;
    }
    if !text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')) {
        return false;
    }
    if text.ends_with(['.', '-']) {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    !matches!(lower.as_str(), "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null")
}

/// A YAML double-quoted scalar for `text` (also a valid JSON string).
pub fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Line separators and BOMs are line breaks or noise to some YAML readers.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An inline (single-line) scalar for a JSON value.
pub fn write_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain_is_safe(s) => s.clone(),
        Value::String(s) => double_quoted(s),
        // Collections are written by the emitter; as a scalar they become JSON flow.
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml11_traps_resolve_like_kubernetes() {
        assert_eq!(resolve_plain("0644"), json!(420));
        assert_eq!(resolve_plain("0o644"), json!("0o644"));
        assert_eq!(resolve_plain("yes"), json!(true));
        assert_eq!(resolve_plain("on"), json!(true));
        assert_eq!(resolve_plain("y"), json!(true));
        assert_eq!(resolve_plain("N"), json!(false));
        assert_eq!(resolve_plain("1_000"), json!(1000));
        assert_eq!(resolve_plain("12:30"), json!(750));
        assert_eq!(resolve_plain("0x1F"), json!(31));
        assert_eq!(resolve_plain("-0b101"), json!(-5));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("1e3"), json!(1000.0));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("<<"), json!("<<"));
        assert_eq!(resolve_plain("2001-12-14"), json!("2001-12-14"));
        assert_eq!(resolve_plain("v1"), json!("v1"));
        assert_eq!(resolve_plain("."), json!("."));
        assert_eq!(resolve_plain("1.2.3"), json!("1.2.3"));
    }

    #[test]
    fn risky_strings_are_quoted() {
        for s in [
            "on",
            "yes",
            "y",
            "N",
            "0777",
            "1_000",
            "2001-12-14",
            "12:30",
            "<<",
            "",
            "1e3",
            "null",
            "~",
            "-",
            "a: b",
            " lead",
            "#x",
            "*x",
            "&x",
            "!x",
            "1.0",
            ".5",
            "True",
        ] {
            assert!(!plain_is_safe(s), "{s:?} must be quoted");
            assert!(write_scalar(&json!(s)).starts_with('"'), "{s:?}");
        }
        for s in ["us-net", "istio-system", "topology.istio.io/network", "v1", "/etc/x"] {
            assert!(plain_is_safe(s), "{s:?} can stay plain");
        }
    }

    #[test]
    fn double_quoting_escapes_line_breaks_and_controls() {
        assert_eq!(double_quoted("a\"b\\c\nd\u{2028}"), "\"a\\\"b\\\\c\\nd\\u2028\"");
    }
}
