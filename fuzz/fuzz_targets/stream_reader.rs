//! Any stdin text: reading it and running the whole filter must never panic; a successful
//! run must keep every field of every input object (eastwest adds and edits, it never drops
//! a key), and must be a fixed point (running again on the output changes nothing). The
//! edit check must hold: every edited document reads back as the input plus the planned
//! changes, so the run never reports an internal error.
#![no_main]

use std::collections::HashMap;

use eastwest::read::{node_json, Input};
use eastwest::{ConfigFile, Options};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Fixed valid configs; the first input byte picks one (or none: the config then has to
/// come from the stream, a ResourceList's functionConfig or a MeshNetwork document).
const CONFIGS: &[(&str, &str)] = &[
    ("two-clusters.yaml", include_str!("../../testdata/configs/two-clusters.yaml")),
    ("three-clusters-ambient.yaml", include_str!("../../testdata/configs/three-clusters-ambient.yaml")),
];

fn options(selector: u8) -> Options {
    match usize::from(selector) % (CONFIGS.len() + 1) {
        i if i < CONFIGS.len() => Options {
            config: Some(ConfigFile { origin: CONFIGS[i].0.to_owned(), text: CONFIGS[i].1.to_owned() }),
            cluster: None,
            standalone: false,
        },
        _ => Options { config: None, cluster: None, standalone: false },
    }
}

/// The objects of a text as JSON, by identity (apiVersion, kind, namespace, name), in order.
/// (apiVersion, kind, namespace, name): a tuple, since any of them may hold any character.
type Identity = (String, String, String, String);

fn objects_by_identity(text: &str) -> Option<HashMap<Identity, Vec<Value>>> {
    let input = Input::parse(text).ok()?;
    let mut out: HashMap<Identity, Vec<Value>> = HashMap::new();
    for obj in input.objects().ok()? {
        let id = (
            obj.api_version.to_owned(),
            obj.kind.to_owned(),
            obj.namespace.unwrap_or("").to_owned(),
            obj.name.to_owned(),
        );
        out.entry(id).or_default().push(node_json(obj.node));
    }
    Some(out)
}

/// The first path of `before` (through maps and lists) that `after` no longer has.
fn lost_path(before: &Value, after: &Value, path: &str) -> Option<String> {
    match before {
        Value::Object(map) => {
            let Value::Object(now) = after else { return Some(format!("{path} (no longer a map)")) };
            map.iter()
                // The env transform replaces valueFrom by the value the config sets.
                .filter(|(k, _)| k.as_str() != "valueFrom")
                .find_map(|(k, v)| match now.get(k) {
                    None => Some(format!("{path}.{k}")),
                    Some(w) => lost_path(v, w, &format!("{path}.{k}")),
                })
        }
        Value::Array(items) => {
            let Value::Array(now) = after else { return Some(format!("{path} (no longer a list)")) };
            if now.len() < items.len() {
                return Some(format!("{path} (lost items)"));
            }
            items.iter().zip(now).enumerate().find_map(|(i, (v, w))| lost_path(v, w, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

/// Every object of the input is still in the output with all of its keys (the MeshNetwork
/// config itself is consumed, so it is exempt).
fn assert_kept(input: &str, output: &str) {
    let Some(before) = objects_by_identity(input) else { return };
    let after =
        objects_by_identity(output).unwrap_or_else(|| panic!("output does not read back\n--- output ---\n{output}"));
    for (id, objs) in &before {
        if id.1 == "MeshNetwork" {
            continue;
        }
        let now = after.get(id).map_or(&[][..], Vec::as_slice);
        assert!(now.len() >= objs.len(), "object {id:?} lost\n--- input ---\n{input}\n--- output ---\n{output}");
        for (b, a) in objs.iter().zip(now) {
            if let Some(path) = lost_path(b, a, "") {
                panic!("object {id:?} lost field {path}\n--- input ---\n{input}\n--- output ---\n{output}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);

    // The reader alone: every shape, every object.
    if let Ok(input) = Input::parse(&text) {
        let _ = input.objects().map(|objects| objects.len());
        let _ = input.function_config();
    }

    let options = options(selector);
    let first = match eastwest::run(&text, &options) {
        Ok(first) => first,
        Err(failure) => {
            let message = failure.error.to_string();
            assert!(
                !message.starts_with("internal error"),
                "an edit did not read back as planned: {message}\n--- input ---\n{text}"
            );
            return;
        }
    };
    assert_kept(&text, &first);
    match eastwest::run(&first, &options) {
        Ok(second) => assert!(
            second == first,
            "not idempotent: a second run changed the output\n--- input ---\n{text}\n--- first ---\n{first}\n--- second ---\n{second}"
        ),
        // With the config in the stream, the first run removes it, so the output alone may
        // legitimately lack a config. With a fixed config the output must be accepted again.
        Err(failure) => assert!(
            options.config.is_none(),
            "the output of a successful run is refused: {}\n--- input ---\n{text}\n--- first ---\n{first}",
            failure.error
        ),
    }
});
