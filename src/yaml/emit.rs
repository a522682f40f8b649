//! Writing new YAML text: block style for documents and inserted entries, JSON-compatible
//! flow style inside flow collections and JSON documents.

use serde_json::Value;

use super::scalar::{double_quoted, plain_is_safe, write_scalar};

/// A mapping key as written in block style.
pub fn key(name: &str) -> String {
    if plain_is_safe(name) {
        name.to_owned()
    } else {
        double_quoted(name)
    }
}

/// A value in JSON (and so YAML flow) syntax.
pub fn flow(value: &Value) -> String {
    match value {
        Value::String(s) => double_quoted(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", double_quoted(k), flow(v))).collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => write_scalar(other),
    }
}

fn is_collection(value: &Value) -> bool {
    match value {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

/// A multi-line string that reads back identically as a literal block scalar.
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.contains('\r')
        && !s.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.ends_with("\n\n")
        && !s.lines().any(|l| l.ends_with([' ', '\t']))
}

/// What follows `key:` for a value written at block indentation `indent` (the column of
/// the key): ` scalar`, ` |-` plus lines, or a newline and a nested block (with no final
/// newline, so callers decide how the line ends).
pub fn value_after_colon(value: &Value, indent: usize) -> String {
    match value {
        Value::String(s) if literal_ok(s) => literal_block(s, indent + 2),
        Value::Object(_) | Value::Array(_) if is_collection(value) => {
            let mut out = String::from("\n");
            block(value, indent + 2, &mut out);
            out.pop();
            out
        }
        other => format!(" {}", inline(other)),
    }
}

/// ` |-` or ` |` followed by the content lines indented to `indent`, no final newline.
pub fn literal_block(s: &str, indent: usize) -> String {
    let chomp = if s.ends_with('\n') { "" } else { "-" };
    let mut out = format!(" |{chomp}");
    let pad = " ".repeat(indent);
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn inline(value: &Value) -> String {
    match value {
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::String(s) if literal_ok(s) => double_quoted(s),
        other => write_scalar(other),
    }
}

/// Append `value` as block lines at `indent`, every line ending in a newline.
pub fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                out.push_str(&value_after_colon(v, indent));
                out.push('\n');
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push_str(&seq_item(item, indent));
                out.push('\n');
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

/// `- value` for a sequence whose dashes sit at column `dash_col`; no final newline.
pub fn seq_item(value: &Value, dash_col: usize) -> String {
    match value {
        Value::Object(_) | Value::Array(_) if is_collection(value) => {
            let mut body = String::new();
            block(value, dash_col + 2, &mut body);
            body.pop();
            // The first line shares the dash's line.
            format!("- {}", &body[dash_col + 2..])
        }
        Value::String(s) if literal_ok(s) => format!("-{}", literal_block(s, dash_col + 2)),
        other => format!("- {}", inline(other)),
    }
}

/// A whole document in block style, ending in a newline.
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_read_back_as_written() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a.b/c": "on"}},
            "data": {"script": "line one\nline two\n", "empty": "", "mode": "0644"},
            "list": [{"name": "a", "value": "1"}, "b", [], {}],
            "nested": [[1, 2]]
        });
        let text = document(&v);
        let docs = crate::yaml::node::parse_documents(&text, 0).expect(&text);
        let root = &docs[0].root;
        assert_eq!(root.to_json(&crate::yaml::node::Anchors::of(root)), v, "{text}");
        assert!(text.contains("a.b/c: \"on\""), "{text}");
        assert!(text.contains("script: |\n    line one\n    line two\n"), "{text}");
    }

    #[test]
    fn flow_is_json() {
        let v = json!({"a": ["x", 1, true, null], "b": {"c": "yes"}});
        let back: Value = serde_json::from_str(&flow(&v)).expect("json");
        assert_eq!(back, v);
    }
}
