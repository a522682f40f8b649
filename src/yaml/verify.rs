//! Every edit is checked before a byte is written: the edited document is read back and
//! compared, as data, with what was meant — the input's data with exactly the planned
//! changes applied. Text that reads back as anything else (an entry at the wrong column, a
//! block scalar that lost its final newlines, an alias whose meaning moved) is an internal
//! error, never output.
//!
//! The meaning side is computed on plain JSON, independently of the text editor; embedded
//! documents (the mesh config's YAML, the injector's JSON) are compared as data too.

use serde_json::Value;

use super::edit::{Change, OnConflict};
use super::node::parse_documents;

/// Apply `change` to data the way the editor means it. Embedded documents are decoded
/// into data first (see [`decode_embedded`]). Conflicts were decided by the editor already;
/// here every `Set` is a write.
pub fn plan(target: &mut Value, change: &Change) {
    match change {
        Change::Set { value, on_conflict: OnConflict::Replace | OnConflict::Error } => *target = value.clone(),
        Change::Map(entries) => {
            if change.is_noop() {
                return;
            }
            if target.is_null() || is_empty_collection(target) {
                *target = Value::Object(Default::default());
            }
            let Value::Object(map) = target else { return };
            for (key, sub) in entries {
                match sub {
                    Change::Remove => {
                        map.shift_remove(key);
                    }
                    sub if sub.is_noop() => {}
                    sub => plan(map.entry(key.clone()).or_insert(Value::Null), sub),
                }
            }
        }
        Change::Keyed { field, items } => {
            if change.is_noop() {
                return;
            }
            if target.is_null() || is_empty_collection(target) {
                *target = Value::Array(Vec::new());
            }
            let Value::Array(list) = target else { return };
            for (key, sub) in items {
                match list.iter_mut().find(|item| item.get(field).and_then(Value::as_str) == Some(key)) {
                    Some(item) => plan(item, sub),
                    None if sub.is_noop() => {}
                    None => {
                        let mut item = serde_json::json!({ field.as_str(): key });
                        plan(&mut item, sub);
                        list.push(item);
                    }
                }
            }
        }
        Change::Remove => {}
        Change::Append(values) => {
            if values.is_empty() {
                return;
            }
            if target.is_null() || is_empty_collection(target) {
                *target = Value::Array(Vec::new());
            }
            if let Value::Array(list) = target {
                list.extend(values.iter().cloned());
            }
        }
        Change::EmbeddedJson(inner) | Change::EmbeddedYaml(inner) => {
            if inner.is_noop() {
                return;
            }
            *target = decode(target, matches!(change, Change::EmbeddedJson(_)));
            plan(target, inner);
        }
    }
}

/// The editor treats an empty `{}` or `[]` as absent (it writes the new value over it).
fn is_empty_collection(value: &Value) -> bool {
    matches!(value, Value::Object(m) if m.is_empty()) || matches!(value, Value::Array(a) if a.is_empty())
}

/// Replace each embedded document the change reaches by its data, so it compares as data.
pub fn decode_embedded(target: &mut Value, change: &Change) {
    match change {
        Change::Map(entries) => {
            if let Value::Object(map) = target {
                for (key, sub) in entries {
                    if let Some(child) = map.get_mut(key) {
                        decode_embedded(child, sub);
                    }
                }
            }
        }
        Change::Keyed { field, items } => {
            if let Value::Array(list) = target {
                for (key, sub) in items {
                    if let Some(item) =
                        list.iter_mut().find(|item| item.get(field).and_then(Value::as_str) == Some(key))
                    {
                        decode_embedded(item, sub);
                    }
                }
            }
        }
        Change::EmbeddedJson(inner) | Change::EmbeddedYaml(inner) if !inner.is_noop() => {
            *target = decode(target, matches!(change, Change::EmbeddedJson(_)));
            decode_embedded(target, inner);
        }
        _ => {}
    }
}

/// The data of an embedded document (null when empty; the text itself when unreadable,
/// which then compares unequal to anything decoded).
fn decode(value: &Value, json: bool) -> Value {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Null => return Value::Null,
        other => return other.clone(),
    };
    if text.trim().is_empty() {
        return Value::Null;
    }
    if json {
        return serde_json::from_str(text).unwrap_or_else(|_| value.clone());
    }
    match parse_documents(text, 0) {
        Ok(docs) => docs.first().map_or(Value::Null, |d| d.root.to_json(&super::Anchors::none())),
        Err(_) => value.clone(),
    }
}

/// The first path (`/a/b/0`) where two values differ, for the error message.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    // Equal data is the common case: compare whole before building any path.
    if a == b {
        return None;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let child = format!("{path}/{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(found) = first_difference(p, q, &child) {
                            return Some(found);
                        }
                    }
                    _ => return Some(child),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}/{i}")))
        }
        _ if a == b => None,
        _ => Some(if path.is_empty() { "/".to_owned() } else { path.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plans_changes_on_data_and_compares_embedded_documents_as_data() {
        let mut c = Change::default();
        c.path(&["data", "mesh"]).embedded_yaml().key("trustDomain").set("corp.local", OnConflict::Error);
        c.path(&["metadata", "labels", "n"]).set("x", OnConflict::Error);
        let mut expected = json!({"data": {"mesh": "trustDomain: cluster.local\nother: 1\n"}, "metadata": {}});
        plan(&mut expected, &c);
        assert_eq!(
            expected,
            json!({"data": {"mesh": {"trustDomain": "corp.local", "other": 1}}, "metadata": {"labels": {"n": "x"}}})
        );
        let mut actual =
            json!({"data": {"mesh": "# c\nother: 1\ntrustDomain: corp.local\n"}, "metadata": {"labels": {"n": "x"}}});
        decode_embedded(&mut actual, &c);
        assert_eq!(first_difference(&expected, &actual, ""), None);
        let mut wrong = json!({"data": {"mesh": "other: 1\ntrustDomain: corp.local\n  x: 1\n"}, "metadata": {"labels": {"n": "x"}}});
        decode_embedded(&mut wrong, &c);
        assert_eq!(first_difference(&expected, &wrong, "").as_deref(), Some("/data/mesh"));
    }
}
