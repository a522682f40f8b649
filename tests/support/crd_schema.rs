// Validate Kubernetes objects against the structural OpenAPI v3 schemas of their
// CustomResourceDefinitions, the way the API server would judge a create or an apply.
//
// Include it from an integration test with
//
//     #[path = "support/crd_schema.rs"]
//     mod crd_schema;
//
// Depends only on `serde_json` (with `preserve_order`) and std.
//
// What the API server does with a custom resource, and what this module does about it:
//
// * **Defaulting** (`default`) happens before validation: a missing property whose schema
//   has a default counts as present. This module applies the defaults to a copy first.
// * **Pruning**: a field the schema does not know is dropped silently (or rejected with
//   `fieldValidation=Strict`), unless an enclosing object has
//   `x-kubernetes-preserve-unknown-fields: true`. A `null` in a field that is not
//   `nullable` is dropped too (or replaced by its default). Both are silent data loss, so
//   both are reported as problems here.
// * **Validation**: `type`, `x-kubernetes-int-or-string`, `nullable`, `enum`, `format`
//   (int32/uint32/int64/uint64/float ranges on integers and numbers; byte, date-time,
//   date, ipv4, ipv6, cidr, uuid on strings), `minimum`/`maximum` (with the OpenAPI 3.0
//   boolean `exclusiveMinimum`/`exclusiveMaximum`), `multipleOf`,
//   `minLength`/`maxLength` (in characters, like Go's rune count), `pattern` (RE2 subset,
//   see below), `minItems`/`maxItems`, `uniqueItems`, `x-kubernetes-list-type: set|map`
//   (duplicate entries), `minProperties`/`maxProperties`, `required`, `properties`,
//   `additionalProperties` (schema or bool), `items`, `allOf`, `anyOf`, `oneOf`, `not`.
// * **Root and `metadata`**: `apiVersion`, `kind` and `metadata` are always allowed at the
//   root even when the schema does not list them (Istio's CRDs list only `spec` and
//   `status`). `metadata` is checked as an `ObjectMeta`: known fields only, `name` a
//   DNS-1123 subdomain (required unless `generateName`), `namespace` a DNS-1123 label,
//   label keys/values and annotation keys in Kubernetes syntax, annotations at most 256 KiB.
// * A top-level `status` is reported: every Istio and Gateway API CRD enables the status
//   subresource, so the API server ignores `status` sent with the main resource.
//
// Not checked (a test that needs them must check them by hand):
//
// * `x-kubernetes-validations` (CEL rules). `unchecked_cel_rules` lists the rules that
//   would have applied to a given value, so a test can print or assert on them.
// * `pattern`s that use RE2 features outside the small subset implemented here (classes
//   like `[[:alpha:]]`, `\b`, `\pL`, flags like `(?i)`): such a pattern is skipped, and
//   `unsupported_patterns` lists them. Every pattern in the Istio and Gateway API CRDs is
//   inside the subset.
// * String formats other than those listed above (hostname, email, uri, mac, duration,
//   ...): skipped.
// * Admission webhooks (Istio's `istiod-default-validator` applies more rules), immutable
//   fields, and anything that depends on the stored object (ratcheting, update rules).

use serde_json::{Map, Value};
use std::collections::HashMap;

/// (group, version, kind), e.g. ("networking.istio.io", "v1", "Gateway").
#[allow(dead_code)]
pub type SchemaKey = (String, String, String);

/// One version of one CRD, as declared in its `spec.versions`.
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdVersion {
    pub group: String,
    pub kind: String,
    pub version: String,
    pub served: bool,
    pub storage: bool,
    pub deprecated: bool,
}

/// Every CRD among `docs` (also inside `kind: List` documents).
#[allow(dead_code)]
fn crd_docs(docs: &[Value]) -> Vec<&Value> {
    let mut out = Vec::new();
    for d in docs {
        if d.get("kind").and_then(Value::as_str) == Some("List") {
            if let Some(items) = d.get("items").and_then(Value::as_array) {
                out.extend(crd_docs(items));
            }
            continue;
        }
        let is_crd = d.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
            && d.get("apiVersion").and_then(Value::as_str).is_some_and(|a| a.starts_with("apiextensions.k8s.io/"));
        if is_crd {
            out.push(d);
        }
    }
    out
}

/// All versions of all CRDs in `docs`, with their served/storage/deprecated flags.
#[allow(dead_code)]
pub fn crd_versions(docs: &[Value]) -> Vec<CrdVersion> {
    let mut out = Vec::new();
    for crd in crd_docs(docs) {
        let spec = &crd["spec"];
        let group = spec["group"].as_str().unwrap_or_default().to_string();
        let kind = spec["names"]["kind"].as_str().unwrap_or_default().to_string();
        if let Some(versions) = spec["versions"].as_array() {
            for v in versions {
                out.push(CrdVersion {
                    group: group.clone(),
                    kind: kind.clone(),
                    version: v["name"].as_str().unwrap_or_default().to_string(),
                    served: v["served"].as_bool().unwrap_or(true),
                    storage: v["storage"].as_bool().unwrap_or(false),
                    deprecated: v["deprecated"].as_bool().unwrap_or(false),
                });
            }
        } else if let Some(version) = spec["version"].as_str() {
            // apiextensions.k8s.io/v1beta1 with a single `spec.version`.
            out.push(CrdVersion {
                group: group.clone(),
                kind: kind.clone(),
                version: version.to_string(),
                served: true,
                storage: true,
                deprecated: false,
            });
        }
    }
    out
}

/// All CRD versions found in a list of parsed documents:
/// key (group, version, kind) -> `openAPIV3Schema`.
///
/// Only versions the API server serves (`served` not false) are returned: an object of an
/// unserved version is rejected, so [`validate_object`] must not find a schema for it.
/// A later document overrides an earlier one with the same key.
#[allow(dead_code)]
pub fn crd_schemas(docs: &[Value]) -> HashMap<SchemaKey, Value> {
    let mut out = HashMap::new();
    for crd in crd_docs(docs) {
        let spec = &crd["spec"];
        let group = spec["group"].as_str().unwrap_or_default().to_string();
        let kind = spec["names"]["kind"].as_str().unwrap_or_default().to_string();
        // v1beta1 CRDs may carry one schema for all versions.
        let shared = spec.get("validation").and_then(|v| v.get("openAPIV3Schema")).cloned();
        if let Some(versions) = spec["versions"].as_array() {
            for v in versions {
                if v["served"].as_bool() == Some(false) {
                    continue;
                }
                let name = v["name"].as_str().unwrap_or_default().to_string();
                let schema = v.get("schema").and_then(|s| s.get("openAPIV3Schema")).cloned().or_else(|| shared.clone());
                if let Some(schema) = schema {
                    out.insert((group.clone(), name, kind.clone()), schema);
                }
            }
        } else if let (Some(version), Some(schema)) = (spec["version"].as_str(), shared) {
            out.insert((group.clone(), version.to_string(), kind.clone()), schema);
        }
    }
    out
}

/// Validate `obj` (which has `apiVersion`/`kind`) against the matching schema.
///
/// `Err` holds one line per problem, each starting with the JSON path of the offending
/// field (`spec.servers[0].tls.mode: ...`). It is also `Err` when no schema is known for
/// the object's apiVersion/kind.
#[allow(dead_code)]
pub fn validate_object(schemas: &HashMap<SchemaKey, Value>, obj: &Value) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let map = match obj.as_object() {
        Some(m) => m,
        None => return Err(vec![format!("<root>: must be an object, got {}", json_type(obj))]),
    };
    let api_version = match map.get("apiVersion") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        Some(other) => return Err(vec![format!("apiVersion: must be a non-empty string, got {}", short(other))]),
        None => return Err(vec!["apiVersion: required field is missing".to_string()]),
    };
    let kind = match map.get("kind") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        Some(other) => return Err(vec![format!("kind: must be a non-empty string, got {}", short(other))]),
        None => return Err(vec!["kind: required field is missing".to_string()]),
    };
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    if version.is_empty() || version.contains('/') || (group.is_empty() && api_version.contains('/')) {
        return Err(vec![format!("apiVersion: {api_version:?} is not GROUP/VERSION")]);
    }
    let key = (group.to_string(), version.to_string(), kind.to_string());
    let schema = match schemas.get(&key) {
        Some(s) => s,
        None => {
            let mut known: Vec<&str> =
                schemas.keys().filter(|(g, _, k)| g == group && k == kind).map(|(_, v, _)| v.as_str()).collect();
            known.sort_unstable();
            let hint = if known.is_empty() {
                String::new()
            } else {
                format!(" (served versions of {kind}.{group}: {})", known.join(", "))
            };
            return Err(vec![format!("<root>: no CRD schema known for apiVersion {api_version} kind {kind}{hint}")]);
        }
    };

    let mut defaulted = obj.clone();
    apply_defaults(schema, &mut defaulted);
    check(schema, &defaulted, "", Mode::Structural, true, &mut problems);

    // metadata is ObjectMeta whatever the CRD says.
    validate_object_meta(defaulted.get("metadata"), &mut problems);

    if map.contains_key("status") {
        problems.push(
            "status: set on the object itself; with the status subresource (every Istio and \
             Gateway API CRD has it) the API server ignores it on create/update"
                .to_string(),
        );
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Validate `value` against `schema` as a structural schema node at `path` ("" for the
/// root, otherwise e.g. "spec"). Defaults are applied to a copy first, as the API server
/// does. Problems are appended to `problems`.
#[allow(dead_code)]
pub fn validate(schema: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let mut defaulted = value.clone();
    apply_defaults(schema, &mut defaulted);
    check(schema, &defaulted, path, Mode::Structural, false, problems);
}

/// Fill in `default`s of missing properties, recursively, like the API server's
/// structural defaulting (which runs before validation). Nulls are left alone: they are
/// reported by the validation.
#[allow(dead_code)]
pub fn apply_defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(props) = props {
                for (k, ps) in props {
                    if !map.contains_key(k) {
                        if let Some(d) = ps.get("default") {
                            map.insert(k.clone(), d.clone());
                        }
                    }
                }
            }
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (k, v) in map.iter_mut() {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => apply_defaults(ps, v),
                    None => {
                        if let Some(a) = additional {
                            apply_defaults(a, v)
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items").filter(|i| i.is_object()) {
                for v in items {
                    apply_defaults(is, v);
                }
            }
        }
        _ => {}
    }
}

/// The CEL rules (`x-kubernetes-validations`) this module does not evaluate but the API
/// server would, for the parts of `value` that are present: "path: rule  [message]".
#[allow(dead_code)]
pub fn unchecked_cel_rules(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut defaulted = value.clone();
    apply_defaults(schema, &mut defaulted);
    collect_cel(schema, &defaulted, "", &mut out);
    out
}

/// Every `pattern` in `schema` (anywhere, including combinator branches) that this
/// module's regex subset cannot compile, and so would skip. Empty for the Istio and
/// Gateway API CRDs; a test can assert that to be sure no pattern goes unchecked.
#[allow(dead_code)]
pub fn unsupported_patterns(schema: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("pattern", Value::String(p)) => {
                            if let Err(e) = Regex::new(p) {
                                out.push(format!("{p:?}: {e}"));
                            }
                        }
                        // Literal data, not schemas.
                        ("default" | "enum" | "example" | "x-kubernetes-validations", _) => {}
                        _ => walk(x, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut out);
    out
}

fn collect_cel(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(rules) = schema.get("x-kubernetes-validations").and_then(Value::as_array) {
        for r in rules {
            let rule = r.get("rule").and_then(Value::as_str).unwrap_or("?");
            let msg = r.get("message").and_then(Value::as_str).unwrap_or("");
            out.push(format!("{}: {rule}  [{msg}]", display(path)));
        }
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (k, v) in map {
                if let Some(ps) = props.and_then(|p| p.get(k)) {
                    collect_cel(ps, v, &join(path, k), out);
                } else if let Some(a) = additional {
                    collect_cel(a, v, &key_path(path, k), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    collect_cel(is, v, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// The validator proper.

/// `Structural`: the schema node is part of the structural schema, so unknown fields are
/// pruned and non-nullable nulls dropped (both reported). `Branch`: inside allOf / anyOf /
/// oneOf / not, plain JSON-schema semantics (properties not listed are fine).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Structural,
    Branch,
}

fn check(schema: &Value, value: &Value, path: &str, mode: Mode, root: bool, out: &mut Vec<String>) {
    let s = match schema {
        Value::Object(s) => s,
        Value::Bool(false) => {
            out.push(format!("{}: not allowed by the schema (false)", display(path)));
            return;
        }
        _ => return,
    };
    let p = display(path);
    let int_or_string = flag(s, "x-kubernetes-int-or-string");
    let ty = s.get("type").and_then(Value::as_str);

    if value.is_null() {
        if flag(s, "nullable") {
            return;
        }
        if mode == Mode::Structural {
            out.push(format!(
                "{p}: null is not allowed (not nullable: the API server drops the field or replaces it with its default)"
            ));
            return;
        }
        if int_or_string || ty.is_some() {
            out.push(format!(
                "{p}: must be of type {}, got null",
                if int_or_string { "integer or string" } else { ty.unwrap_or("?") }
            ));
            return;
        }
    } else if int_or_string {
        if !(value.is_string() || as_integer(value).is_some()) {
            out.push(format!("{p}: must be an integer or a string, got {}", json_type(value)));
            return;
        }
    } else if let Some(t) = ty {
        if !type_matches(t, value) {
            out.push(format!("{p}: must be of type {t}, got {} {}", json_type(value), short(value)));
            return;
        }
    }

    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.iter().any(|o| json_eq(o, value)) {
            let list: Vec<String> = options.iter().map(short).collect();
            out.push(format!("{p}: {} is not one of the allowed values [{}]", short(value), list.join(", ")));
        }
    }

    match value {
        Value::String(text) => check_string(s, text, p, out),
        Value::Number(_) => check_number(s, ty, value, p, out),
        Value::Array(items) => check_array(s, items, path, mode, out),
        Value::Object(map) => check_object(s, map, path, mode, root, out),
        _ => {}
    }

    check_combinators(s, value, path, out);
}

fn check_string(s: &Map<String, Value>, text: &str, p: &str, out: &mut Vec<String>) {
    let len = text.chars().count() as u64;
    if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
        if len < min {
            out.push(format!("{p}: {text:?} is shorter than minLength {min}"));
        }
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
        if len > max {
            out.push(format!("{p}: length {len} is longer than maxLength {max}"));
        }
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        // A pattern outside the supported RE2 subset is skipped (see the module docs).
        if let Ok(re) = Regex::new(pattern) {
            if !re.is_match(text) {
                out.push(format!("{p}: {text:?} does not match pattern {pattern:?}"));
            }
        }
    }
    if let Some(format) = s.get("format").and_then(Value::as_str) {
        if let Some(false) = string_format_ok(format, text) {
            out.push(format!("{p}: {text:?} is not a valid {format}"));
        }
    }
}

/// Some(ok) for the formats checked here, None for formats this module does not check
/// (including numeric formats, which do not apply to strings).
fn string_format_ok(format: &str, text: &str) -> Option<bool> {
    use std::net::{IpAddr, Ipv4Addr};
    Some(match format {
        // Go's strfmt: net.ParseIP plus a '.' (ipv4) or ':' (ipv6) in the text.
        "ipv4" => text.parse::<Ipv4Addr>().is_ok() || (text.parse::<IpAddr>().is_ok() && text.contains('.')),
        "ipv6" => text.parse::<IpAddr>().is_ok() && text.contains(':'),
        "cidr" => match text.split_once('/') {
            Some((ip, bits)) => match (ip.parse::<IpAddr>(), bits.parse::<u8>()) {
                (Ok(IpAddr::V4(_)), Ok(b)) => b <= 32 && !bits.starts_with('+'),
                (Ok(IpAddr::V6(_)), Ok(b)) => b <= 128 && !bits.starts_with('+'),
                _ => false,
            },
            None => false,
        },
        "byte" => is_base64(text),
        "date-time" | "datetime" => Regex::new(
            r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:?[0-9]{2})$",
        )
        .map(|r| r.is_match(text))
        .unwrap_or(true),
        "date" => Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$").map(|r| r.is_match(text)).unwrap_or(true),
        "uuid" => Regex::new(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
            .map(|r| r.is_match(text))
            .unwrap_or(true),
        _ => return None,
    })
}

fn is_base64(text: &str) -> bool {
    let b = text.as_bytes();
    if (b.len() & 3) != 0 {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return false;
    }
    b[..b.len() - pad].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

fn check_number(s: &Map<String, Value>, ty: Option<&str>, value: &Value, p: &str, out: &mut Vec<String>) {
    let int = as_integer(value);
    let f = value.as_f64().unwrap_or(0.0);
    let format = s.get("format").and_then(Value::as_str).unwrap_or("");
    // kube-openapi checks that the value fits the type/format (int64 for a bare integer).
    let range: Option<(i128, i128)> = match (ty, format) {
        (Some("integer"), "int32") => Some((i32::MIN as i128, i32::MAX as i128)),
        (Some("integer"), "uint32") => Some((0, u32::MAX as i128)),
        (Some("integer"), "uint64") => Some((0, u64::MAX as i128)),
        (Some("integer"), _) => Some((i64::MIN as i128, i64::MAX as i128)),
        _ => None,
    };
    if let (Some((lo, hi)), Some(i)) = (range, int) {
        if i < lo || i > hi {
            let f = if format.is_empty() { "int64" } else { format };
            out.push(format!("{p}: {i} does not fit format {f}"));
        }
    }
    if ty == Some("number") && (format == "float" || format == "float32") && f.abs() > f32::MAX as f64 {
        out.push(format!("{p}: {f} does not fit format {format}"));
    }
    let cmp = |bound: &Value| -> Option<std::cmp::Ordering> {
        match (int, as_integer(bound)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => f.partial_cmp(&bound.as_f64()?),
        }
    };
    use std::cmp::Ordering::*;
    if let Some(min) = s.get("minimum") {
        let exclusive = flag(s, "exclusiveMinimum");
        match cmp(min) {
            Some(Less) => out.push(format!("{p}: {} is less than minimum {}", short(value), short(min))),
            Some(Equal) if exclusive => out.push(format!("{p}: {} must be greater than {}", short(value), short(min))),
            _ => {}
        }
    }
    if let Some(max) = s.get("maximum") {
        let exclusive = flag(s, "exclusiveMaximum");
        match cmp(max) {
            Some(Greater) => out.push(format!("{p}: {} is greater than maximum {}", short(value), short(max))),
            Some(Equal) if exclusive => out.push(format!("{p}: {} must be less than {}", short(value), short(max))),
            _ => {}
        }
    }
    if let Some(m) = s.get("multipleOf") {
        let ok = match (int, as_integer(m)) {
            (Some(a), Some(b)) if b != 0 => a % b == 0,
            _ => match m.as_f64() {
                Some(mf) if mf > 0.0 => {
                    let q = f / mf;
                    (q - q.round()).abs() < 1e-9
                }
                _ => true,
            },
        };
        if !ok {
            out.push(format!("{p}: {} is not a multiple of {}", short(value), short(m)));
        }
    }
}

fn check_array(s: &Map<String, Value>, items: &[Value], path: &str, mode: Mode, out: &mut Vec<String>) {
    let p = display(path);
    let n = items.len() as u64;
    if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
        if n < min {
            out.push(format!("{p}: has {n} items, fewer than minItems {min}"));
        }
    }
    if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
        if n > max {
            out.push(format!("{p}: has {n} items, more than maxItems {max}"));
        }
    }
    let list_type = s.get("x-kubernetes-list-type").and_then(Value::as_str);
    if flag(s, "uniqueItems") || list_type == Some("set") {
        for i in 0..items.len() {
            if let Some(j) = (0..i).find(|&j| json_eq(&items[j], &items[i])) {
                out.push(format!("{p}[{i}]: duplicate of {p}[{j}] in a list that must hold unique values"));
            }
        }
    }
    if list_type == Some("map") {
        let keys: Vec<&str> = s
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|k| k.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let key_of = |v: &Value| -> Option<Vec<Value>> { keys.iter().map(|k| v.get(*k).cloned()).collect() };
        if !keys.is_empty() {
            for i in 0..items.len() {
                let ki = match key_of(&items[i]) {
                    Some(k) => k,
                    None => continue, // a missing key is reported by `required`
                };
                let dup = (0..i)
                    .find(|&j| key_of(&items[j]).is_some_and(|kj| kj.iter().zip(&ki).all(|(a, b)| json_eq(a, b))));
                if let Some(j) = dup {
                    let shown: Vec<String> = keys.iter().zip(&ki).map(|(k, v)| format!("{k}={}", short(v))).collect();
                    out.push(format!(
                        "{p}[{i}]: duplicate map-list key ({}) already used by {p}[{j}]",
                        shown.join(", ")
                    ));
                }
            }
        }
    }
    if let Some(item_schema) = s.get("items").filter(|i| i.is_object()) {
        for (i, v) in items.iter().enumerate() {
            check(item_schema, v, &format!("{path}[{i}]"), mode, false, out);
        }
    }
}

const ROOT_IMPLICIT: [&str; 3] = ["apiVersion", "kind", "metadata"];

fn check_object(
    s: &Map<String, Value>,
    map: &Map<String, Value>,
    path: &str,
    mode: Mode,
    root: bool,
    out: &mut Vec<String>,
) {
    let p = display(path);
    let n = map.len() as u64;
    if let Some(min) = s.get("minProperties").and_then(Value::as_u64) {
        if n < min {
            out.push(format!("{p}: has {n} properties, fewer than minProperties {min}"));
        }
    }
    if let Some(max) = s.get("maxProperties").and_then(Value::as_u64) {
        if n > max {
            out.push(format!("{p}: has {n} properties, more than maxProperties {max}"));
        }
    }
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                out.push(format!("{}: required field is missing", join(path, r)));
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let additional = s.get("additionalProperties");
    let preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
    let implicit = root || flag(s, "x-kubernetes-embedded-resource");
    for (k, v) in map {
        if let Some(ps) = props.and_then(|pr| pr.get(k)) {
            // The CRD's own schema for metadata is only `type: object` (plus optional
            // name/generateName rules); the rest of ObjectMeta is checked separately.
            let child_mode = if implicit && k == "metadata" { Mode::Branch } else { mode };
            check(ps, v, &join(path, k), child_mode, false, out);
            continue;
        }
        if implicit && ROOT_IMPLICIT.contains(&k.as_str()) {
            continue; // checked by validate_object / validate_object_meta
        }
        match additional {
            Some(a @ Value::Object(_)) => check(a, v, &key_path(path, k), mode, false, out),
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => {
                out.push(format!("{}: unknown field (additionalProperties is false)", join(path, k)))
            }
            _ => {
                if mode == Mode::Structural && !preserve {
                    out.push(format!(
                        "{}: unknown field (not in the schema: the API server would prune it)",
                        join(path, k)
                    ));
                }
            }
        }
    }
}

fn check_combinators(s: &Map<String, Value>, value: &Value, path: &str, out: &mut Vec<String>) {
    let p = display(path);
    let branch_problems = |b: &Value| -> Vec<String> {
        let mut v = Vec::new();
        check(b, value, path, Mode::Branch, false, &mut v);
        v
    };
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for b in all {
            out.extend(branch_problems(b));
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        let results: Vec<Vec<String>> = any.iter().map(branch_problems).collect();
        if !results.iter().any(Vec::is_empty) {
            let why: Vec<String> =
                any.iter().zip(&results).map(|(b, r)| format!("{} ({})", describe(b), r.join("; "))).collect();
            out.push(format!("{p}: matches none of anyOf: {}", why.join(" | ")));
        }
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let matched: Vec<usize> =
            one.iter().enumerate().filter(|(_, b)| branch_problems(b).is_empty()).map(|(i, _)| i).collect();
        if matched.len() != 1 {
            let shown: Vec<String> = if matched.is_empty() {
                one.iter().map(describe).collect()
            } else {
                matched.iter().map(|&i| describe(&one[i])).collect()
            };
            out.push(format!("{p}: must match exactly one of oneOf, matched {}: {}", matched.len(), shown.join(" | ")));
        }
    }
    if let Some(not) = s.get("not") {
        if branch_problems(not).is_empty() {
            out.push(format!("{p}: must not match {}", describe(not)));
        }
    }
}

/// A short human description of a combinator branch (Istio's branches mostly carry only
/// `required` lists and a `not` of them).
fn describe(schema: &Value) -> String {
    let s = match schema.as_object() {
        Some(s) => s,
        None => return short(schema),
    };
    let keys: Vec<&str> = s.keys().map(String::as_str).filter(|k| *k != "description").collect();
    if keys == ["required"] {
        let r: Vec<&str> =
            s["required"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        return format!("requires [{}]", r.join(", "));
    }
    if keys == ["not"] {
        return format!("not({})", describe(&s["not"]));
    }
    if keys == ["anyOf"] {
        let parts: Vec<String> = s["anyOf"].as_array().map(|a| a.iter().map(describe).collect()).unwrap_or_default();
        return format!("anyOf({})", parts.join(", "));
    }
    let mut text = schema.to_string();
    if text.len() > 160 {
        let mut cut = 157;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

// ---------------------------------------------------------------------------------------
// ObjectMeta.

/// ObjectMeta as the API server decodes and validates it. (A CRD's own `metadata` schema,
/// which may only narrow name/generateName, is applied by `check` at the root.)
fn validate_object_meta(meta: Option<&Value>, out: &mut Vec<String>) {
    let meta = match meta {
        Some(Value::Object(m)) => m,
        Some(other) => {
            out.push(format!("metadata: must be an object, got {}", json_type(other)));
            return;
        }
        None => {
            out.push("metadata.name: required field is missing (no metadata)".to_string());
            return;
        }
    };
    let string_field = |k: &str, v: &Value, out: &mut Vec<String>| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                out.push(format!("metadata.{k}: must be a string, got {}", json_type(other)));
                None
            }
        }
    };
    if !meta.contains_key("name") && !meta.contains_key("generateName") {
        out.push("metadata.name: required field is missing".to_string());
    }
    for (k, v) in meta {
        match k.as_str() {
            "name" => {
                if let Some(name) = string_field(k, v, out) {
                    if !is_dns1123_subdomain(&name) {
                        out.push(format!(
                            "metadata.name: {name:?} is not a DNS-1123 subdomain (lowercase alphanumerics, '-', '.', at most 253)"
                        ));
                    }
                }
            }
            "generateName" => {
                if let Some(prefix) = string_field(k, v, out) {
                    let trimmed = prefix.trim_end_matches('-');
                    if !trimmed.is_empty() && !is_dns1123_subdomain(trimmed) {
                        out.push(format!("metadata.generateName: {prefix:?} is not a valid name prefix"));
                    }
                }
            }
            "namespace" => {
                if let Some(ns) = string_field(k, v, out) {
                    if !ns.is_empty() && !is_dns1123_label(&ns) {
                        out.push(format!(
                            "metadata.namespace: {ns:?} is not a DNS-1123 label (lowercase alphanumerics and '-', at most 63)"
                        ));
                    }
                }
            }
            "labels" => match v {
                Value::Object(labels) => {
                    for (lk, lv) in labels {
                        if !is_qualified_name(lk) {
                            out.push(format!("metadata.labels[{lk}]: invalid label key"));
                        }
                        match lv {
                            Value::String(s) if is_label_value(s) => {}
                            Value::String(s) => out.push(format!(
                                "metadata.labels[{lk}]: {s:?} is not a valid label value (at most 63 alphanumerics, '-', '_', '.', alphanumeric at both ends)"
                            )),
                            other => out.push(format!(
                                "metadata.labels[{lk}]: must be a string, got {}",
                                json_type(other)
                            )),
                        }
                    }
                }
                other => out.push(format!("metadata.labels: must be a map of strings, got {}", json_type(other))),
            },
            "annotations" => match v {
                Value::Object(annotations) => {
                    let mut total = 0usize;
                    for (ak, av) in annotations {
                        total += ak.len();
                        if !is_qualified_name(&ak.to_ascii_lowercase()) {
                            out.push(format!("metadata.annotations[{ak}]: invalid annotation key"));
                        }
                        match av {
                            Value::String(s) => total += s.len(),
                            other => out.push(format!(
                                "metadata.annotations[{ak}]: must be a string, got {}",
                                json_type(other)
                            )),
                        }
                    }
                    if total > 256 * 1024 {
                        out.push(format!("metadata.annotations: total size {total} exceeds 262144 bytes"));
                    }
                }
                other => out.push(format!("metadata.annotations: must be a map of strings, got {}", json_type(other))),
            },
            "finalizers" => match v {
                Value::Array(items) => {
                    for (i, f) in items.iter().enumerate() {
                        match f.as_str() {
                            Some(s) if is_qualified_name(s) => {}
                            _ => out.push(format!("metadata.finalizers[{i}]: {} is not a qualified name", short(f))),
                        }
                    }
                }
                other => out.push(format!("metadata.finalizers: must be an array, got {}", json_type(other))),
            },
            "ownerReferences" => match v {
                Value::Array(refs) => {
                    for (i, r) in refs.iter().enumerate() {
                        let rp = format!("metadata.ownerReferences[{i}]");
                        match r.as_object() {
                            Some(r) => {
                                for req in ["apiVersion", "kind", "name", "uid"] {
                                    match r.get(req) {
                                        Some(Value::String(s)) if !s.is_empty() => {}
                                        _ => out.push(format!("{rp}.{req}: required string is missing")),
                                    }
                                }
                                for (rk, rv) in r {
                                    match rk.as_str() {
                                        "apiVersion" | "kind" | "name" | "uid" => {}
                                        "controller" | "blockOwnerDeletion" => {
                                            if !rv.is_boolean() {
                                                out.push(format!("{rp}.{rk}: must be a boolean"));
                                            }
                                        }
                                        _ => out.push(format!("{rp}.{rk}: unknown field (dropped)")),
                                    }
                                }
                            }
                            None => out.push(format!("{rp}: must be an object")),
                        }
                    }
                }
                other => out.push(format!("metadata.ownerReferences: must be an array, got {}", json_type(other))),
            },
            "uid" | "resourceVersion" | "selfLink" => {
                string_field(k, v, out);
            }
            // kubectl and Helm commonly emit `creationTimestamp: null`.
            "creationTimestamp" | "deletionTimestamp" => {
                if !v.is_null() {
                    string_field(k, v, out);
                }
            }
            "generation" | "deletionGracePeriodSeconds" => {
                if as_integer(v).is_none() {
                    out.push(format!("metadata.{k}: must be an integer, got {}", json_type(v)));
                }
            }
            "managedFields" => {
                if !v.is_array() {
                    out.push(format!("metadata.managedFields: must be an array, got {}", json_type(v)));
                }
            }
            _ => out.push(format!("metadata.{k}: unknown ObjectMeta field (the API server would drop it)")),
        }
    }
}

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_dns1123_subdomain(s: &str) -> bool {
    // Labels of the subdomain regex have no length limit of their own; the whole has 253.
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63 characters.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Label and annotation keys: an optional DNS-1123 subdomain prefix and '/', then a name.
fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        None => is_qualified_name_part(s),
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
    }
}

fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

// ---------------------------------------------------------------------------------------
// Small helpers.

fn flag(s: &Map<String, Value>, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// An integral JSON number (Kubernetes accepts 3.0 where an integer is expected).
fn as_integer(v: &Value) -> Option<i128> {
    if let Some(i) = v.as_i64() {
        return Some(i as i128);
    }
    if let Some(u) = v.as_u64() {
        return Some(u as i128);
    }
    match v.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.8e19 => Some(f as i128),
        _ => None,
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => as_integer(v).is_some(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON equality where 1 == 1.0.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (as_integer(a), as_integer(b)) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn short(v: &Value) -> String {
    let mut text = v.to_string();
    if text.chars().count() > 80 {
        text = text.chars().take(77).collect::<String>() + "...";
    }
    text
}

fn display(path: &str) -> &str {
    if path.is_empty() {
        "<root>"
    } else {
        path
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Path of a map entry (additionalProperties): `spec.selector[istio]`.
fn key_path(path: &str, key: &str) -> String {
    format!("{path}[{key}]")
}

// ---------------------------------------------------------------------------------------
// A small regular-expression matcher for the `pattern` keyword.
//
// Kubernetes matches patterns with Go's RE2 `MatchString` (unanchored search). Supported
// here: literals, `.`, `^`, `$`, `[...]` / `[^...]` with ranges and escapes, `\d \w \s`
// (and negations outside classes), escaped punctuation, `\n \t \r \f \v`, groups `(...)`
// and `(?:...)`, alternation `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (lazy `?`
// suffixes accepted; laziness does not change whether there is a match). Anything else
// makes `Regex::new` fail, and the caller then skips the pattern.
//
// Matching computes the set of end positions reachable from a start position, so it is
// polynomial (no exponential backtracking).

#[derive(Debug)]
enum Node {
    Lit(char),
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Cat(Vec<Node>),
    Alt(Vec<Node>),
    Rep(Box<Node>, u32, Option<u32>),
}

#[derive(Debug)]
struct Regex {
    root: Node,
}

impl Regex {
    fn new(pattern: &str) -> Result<Regex, String> {
        let mut p = ReParser { c: pattern.chars().collect(), i: 0 };
        let root = p.alt()?;
        if p.i != p.c.len() {
            return Err(format!("unexpected {:?} at {}", p.c[p.i], p.i));
        }
        Ok(Regex { root })
    }

    fn is_match(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        (0..=s.len()).any(|start| !ends(&self.root, &s, start).is_empty())
    }
}

struct ReParser {
    c: Vec<char>,
    i: usize,
}

impl ReParser {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn alt(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.cat()?];
        while self.peek() == Some('|') {
            self.i += 1;
            branches.push(self.cat()?);
        }
        Ok(if branches.len() == 1 { branches.pop().unwrap() } else { Node::Alt(branches) })
    }

    fn cat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let mut atom = self.atom()?;
            while let Some((min, max)) = self.quantifier()? {
                atom = Node::Rep(Box::new(atom), min, max);
            }
            items.push(atom);
        }
        Ok(Node::Cat(items))
    }

    /// `* + ? {n} {n,} {n,m}` (and a lazy `?` after them), or None.
    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let q = match self.peek() {
            Some('*') => {
                self.i += 1;
                (0, None)
            }
            Some('+') => {
                self.i += 1;
                (1, None)
            }
            Some('?') => {
                self.i += 1;
                (0, Some(1))
            }
            Some('{') => {
                // Only a well-formed {n}, {n,} or {n,m} is a quantifier; else a literal '{'.
                let rest: String = self.c[self.i..].iter().collect();
                let close = match rest.find('}') {
                    Some(c) => c,
                    None => return Ok(None),
                };
                let body = &rest[1..close];
                let parse = |t: &str| -> Option<u32> {
                    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
                        t.parse().ok()
                    } else {
                        None
                    }
                };
                let q = match body.split_once(',') {
                    None => parse(body).map(|n| (n, Some(n))),
                    Some((a, "")) => parse(a).map(|n| (n, None)),
                    Some((a, b)) => match (parse(a), parse(b)) {
                        (Some(a), Some(b)) if a <= b => Some((a, Some(b))),
                        _ => None,
                    },
                };
                match q {
                    Some(q) => {
                        self.i += body.chars().count() + 2;
                        q
                    }
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        if self.peek() == Some('?') {
            self.i += 1; // lazy
        }
        Ok(Some(q))
    }

    fn atom(&mut self) -> Result<Node, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.i += 1;
        match c {
            '(' => {
                if self.peek() == Some('?') {
                    if self.c.get(self.i + 1) == Some(&':') {
                        self.i += 2;
                    } else {
                        return Err("unsupported group flags or named group".into());
                    }
                }
                let inner = self.alt()?;
                if self.peek() != Some(')') {
                    return Err("missing )".into());
                }
                self.i += 1;
                Ok(inner)
            }
            '[' => self.class(),
            '.' => Ok(Node::Class(vec![('\n', '\n')], true)),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '\\' => {
                let (ranges, negated) = self.escape(false)?;
                Ok(Node::Class(ranges, negated))
            }
            '*' | '+' | '?' => Err(format!("missing argument to repetition operator {c}")),
            ')' => Err("unexpected )".into()),
            c => Ok(Node::Lit(c)),
        }
    }

    /// After a backslash: the character set it stands for.
    fn escape(&mut self, in_class: bool) -> Result<(Vec<(char, char)>, bool), String> {
        let c = self.peek().ok_or("trailing backslash")?;
        self.i += 1;
        let digits = vec![('0', '9')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        let space = vec![('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];
        Ok(match c {
            'd' => (digits, false),
            'w' => (word, false),
            's' => (space, false),
            'D' | 'W' | 'S' if in_class => return Err("negated class escape inside []".into()),
            'D' => (digits, true),
            'W' => (word, true),
            'S' => (space, true),
            'n' => (vec![('\n', '\n')], false),
            't' => (vec![('\t', '\t')], false),
            'r' => (vec![('\r', '\r')], false),
            'f' => (vec![('\x0c', '\x0c')], false),
            'v' => (vec![('\x0b', '\x0b')], false),
            c if c.is_ascii_punctuation() => (vec![(c, c)], false),
            c => return Err(format!("unsupported escape \\{c}")),
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let mut ranges = Vec::new();
        let negated = self.peek() == Some('^');
        if negated {
            self.i += 1;
        }
        let mut first = true;
        loop {
            let c = self.peek().ok_or("missing ]")?;
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == '[' && self.c.get(self.i + 1) == Some(&':') {
                return Err("POSIX classes are not supported".into());
            }
            self.i += 1;
            let lo = if c == '\\' {
                let (set, _) = self.escape(true)?;
                if set.len() != 1 || set[0].0 != set[0].1 {
                    ranges.extend(set);
                    continue;
                }
                set[0].0
            } else {
                c
            };
            // A range `lo-hi`, unless the '-' is last before ']'.
            if self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|&n| n != ']') {
                self.i += 1;
                let h = self.peek().ok_or("missing ]")?;
                self.i += 1;
                let hi = if h == '\\' {
                    let (set, _) = self.escape(true)?;
                    if set.len() != 1 || set[0].0 != set[0].1 {
                        return Err("bad range end".into());
                    }
                    set[0].0
                } else {
                    h
                };
                if hi < lo {
                    return Err("invalid range".into());
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Class(ranges, negated))
    }
}

/// All positions where a match of `node` starting at `pos` can end (sorted, unique).
fn ends(node: &Node, s: &[char], pos: usize) -> Vec<usize> {
    match node {
        Node::Lit(c) => {
            if s.get(pos) == Some(c) {
                vec![pos + 1]
            } else {
                vec![]
            }
        }
        Node::Class(ranges, negated) => match s.get(pos) {
            Some(&c) if ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated => {
                vec![pos + 1]
            }
            _ => vec![],
        },
        Node::Start => {
            if pos == 0 {
                vec![pos]
            } else {
                vec![]
            }
        }
        Node::End => {
            if pos == s.len() {
                vec![pos]
            } else {
                vec![]
            }
        }
        Node::Cat(items) => {
            let mut set = vec![pos];
            for item in items {
                set = step(item, s, &set);
                if set.is_empty() {
                    break;
                }
            }
            set
        }
        Node::Alt(branches) => {
            let mut out: Vec<usize> = branches.iter().flat_map(|b| ends(b, s, pos)).collect();
            out.sort_unstable();
            out.dedup();
            out
        }
        Node::Rep(inner, min, max) => {
            let mut result = if *min == 0 { vec![pos] } else { vec![] };
            let mut seen = result.clone();
            let mut frontier = vec![pos];
            let mut count = 0u32;
            while !frontier.is_empty() && max.is_none_or(|m| count < m) {
                count += 1;
                let next = step(inner, s, &frontier);
                if count >= *min {
                    // Past the minimum, a position already reached adds nothing new.
                    frontier = next.into_iter().filter(|p| !seen.contains(p)).collect();
                    seen.extend(frontier.iter().copied());
                    result.extend(frontier.iter().copied());
                } else {
                    frontier = next;
                }
            }
            result.sort_unstable();
            result.dedup();
            result
        }
    }
}

fn step(node: &Node, s: &[char], from: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = from.iter().flat_map(|&p| ends(node, s, p)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value, value: Value) -> Vec<String> {
        let mut out = Vec::new();
        validate(&schema, &value, "spec", &mut out);
        out
    }

    fn ok(schema: Value, value: Value) {
        let p = problems(schema, value);
        assert!(p.is_empty(), "unexpected problems: {p:#?}");
    }

    fn bad(schema: Value, value: Value, needle: &str) {
        let p = problems(schema, value);
        assert!(p.iter().any(|m| m.contains(needle)), "expected a problem containing {needle:?}, got {p:#?}");
    }

    #[test]
    fn types() {
        let s = json!({"type": "object", "properties": {
            "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
            "b": {"type": "boolean"}, "a": {"type": "array", "items": {"type": "string"}},
            "o": {"type": "object", "properties": {"x": {"type": "string"}}}}});
        ok(s.clone(), json!({"s": "x", "i": 3, "n": 1.5, "b": true, "a": ["x"], "o": {"x": "y"}}));
        ok(s.clone(), json!({"i": 3.0, "n": 2}));
        bad(s.clone(), json!({"s": 1}), "spec.s: must be of type string");
        bad(s.clone(), json!({"i": "3"}), "spec.i: must be of type integer");
        bad(s.clone(), json!({"i": 3.5}), "spec.i: must be of type integer");
        bad(s.clone(), json!({"n": "1"}), "spec.n: must be of type number");
        bad(s.clone(), json!({"b": "true"}), "spec.b: must be of type boolean");
        bad(s.clone(), json!({"a": [1]}), "spec.a[0]: must be of type string");
        bad(s.clone(), json!({"a": "x"}), "spec.a: must be of type array");
        bad(s, json!({"o": []}), "spec.o: must be of type object");
    }

    #[test]
    fn required_and_defaults() {
        let s = json!({"type": "object", "required": ["a", "mode"], "properties": {
            "a": {"type": "string"},
            "mode": {"type": "string", "default": "Terminate", "enum": ["Terminate", "Passthrough"]}}});
        ok(s.clone(), json!({"a": "x"})); // mode is defaulted before validation
        bad(s, json!({"mode": "Passthrough"}), "spec.a: required field is missing");
        let mut v = json!({"a": "x"});
        apply_defaults(
            &json!({"properties": {"a": {"type": "string"}, "b": {"type": "object",
            "default": {}, "properties": {"c": {"type": "integer", "default": 7}}}}}),
            &mut v,
        );
        assert_eq!(v, json!({"a": "x", "b": {"c": 7}}));
    }

    #[test]
    fn unknown_fields_are_pruned() {
        let s = json!({"type": "object", "properties": {"tls": {"type": "object",
            "properties": {"mode": {"type": "string"}}}}});
        ok(s.clone(), json!({"tls": {"mode": "SIMPLE"}}));
        bad(s.clone(), json!({"tls": {"mdoe": "SIMPLE"}}), "spec.tls.mdoe: unknown field");
        bad(s, json!({"tls": {}, "extra": 1}), "spec.extra: unknown field");
        // An object with neither properties nor preserve-unknown-fields keeps nothing.
        bad(json!({"type": "object"}), json!({"x": 1}), "spec.x: unknown field");
    }

    #[test]
    fn preserve_unknown_fields() {
        let s = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"known": {"type": "integer"}}});
        ok(s.clone(), json!({"anything": {"deep": [1, "two"]}, "known": 1}));
        bad(s, json!({"known": "one"}), "spec.known: must be of type integer");
        // Preserving applies to its own level only.
        let nested = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}}});
        bad(nested, json!({"inner": {"b": 1}}), "spec.inner.b: unknown field");
    }

    #[test]
    fn additional_properties() {
        let s = json!({"type": "object", "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "closed": {"type": "object", "additionalProperties": false, "properties": {"a": {}}},
            "open": {"type": "object", "additionalProperties": true}}});
        ok(
            s.clone(),
            json!({"labels": {"a": "b", "security.istio.io/tlsMode": "istio"},
            "closed": {"a": 1}, "open": {"z": [1]}}),
        );
        bad(s.clone(), json!({"labels": {"a": 1}}), "spec.labels[a]: must be of type string");
        bad(s, json!({"closed": {"b": 1}}), "spec.closed.b: unknown field (additionalProperties is false)");
    }

    #[test]
    fn enums() {
        let s = json!({"type": "string", "enum": ["PASSTHROUGH", "AUTO_PASSTHROUGH"]});
        ok(s.clone(), json!("AUTO_PASSTHROUGH"));
        bad(s, json!("AUTO-PASSTHROUGH"), "is not one of the allowed values");
        ok(json!({"type": "integer", "enum": [1, 2]}), json!(2.0));
    }

    #[test]
    fn nullable() {
        let s = json!({"type": "object", "properties": {
            "n": {"type": "boolean", "nullable": true}, "m": {"type": "boolean"}}});
        ok(s.clone(), json!({"n": null, "m": false}));
        bad(s, json!({"m": null}), "spec.m: null is not allowed");
        bad(json!({"type": "array", "items": {"type": "string"}}), json!(["a", null]), "spec[1]: null");
    }

    #[test]
    fn int_or_string() {
        let s = json!({"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true});
        ok(s.clone(), json!(8080));
        ok(s.clone(), json!("50%"));
        bad(s.clone(), json!(true), "must be an integer or a string");
        bad(s, json!(1.5), "must be an integer or a string");
    }

    #[test]
    fn numeric_formats_and_bounds() {
        ok(json!({"type": "integer", "format": "int32"}), json!(2147483647));
        bad(json!({"type": "integer", "format": "int32"}), json!(2147483648u64), "does not fit format int32");
        bad(json!({"type": "integer", "format": "int32"}), json!(-2147483649i64), "does not fit format int32");
        ok(json!({"type": "integer", "format": "uint32"}), json!(4294967295u64));
        bad(json!({"type": "integer", "format": "uint32"}), json!(-1), "does not fit format uint32");
        bad(json!({"type": "integer"}), json!(9223372036854775808u64), "does not fit format int64");
        let port = json!({"type": "integer", "minimum": 1, "maximum": 65535});
        ok(port.clone(), json!(15443));
        bad(port.clone(), json!(0), "less than minimum 1");
        bad(port, json!(65536), "greater than maximum 65535");
        let excl = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
            "maximum": 1, "exclusiveMaximum": true});
        ok(excl.clone(), json!(0.5));
        bad(excl.clone(), json!(0), "must be greater than 0");
        bad(excl, json!(1.0), "must be less than 1");
        ok(json!({"type": "integer", "multipleOf": 5}), json!(15));
        bad(json!({"type": "integer", "multipleOf": 5}), json!(16), "not a multiple of 5");
    }

    #[test]
    fn string_lengths() {
        let s = json!({"type": "string", "minLength": 2, "maxLength": 3});
        ok(s.clone(), json!("ab"));
        ok(s.clone(), json!("äöü")); // characters, not bytes
        bad(s.clone(), json!("a"), "shorter than minLength 2");
        bad(s, json!("abcd"), "longer than maxLength 3");
    }

    #[test]
    fn patterns() {
        let name = json!({"type": "string",
            "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"});
        ok(name.clone(), json!("mesh"));
        ok(name.clone(), json!("a.b-c.d"));
        bad(name.clone(), json!("Mesh"), "does not match pattern");
        bad(name, json!("a..b"), "does not match pattern");
        // Unanchored alternation, as in Gateway API's protocol pattern.
        let proto = json!({"type": "string", "pattern":
            "^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$"});
        ok(proto.clone(), json!("HBONE"));
        ok(proto.clone(), json!("example.com/Custom"));
        bad(proto, json!("HB ONE"), "does not match pattern");
    }

    #[test]
    fn regex_engine() {
        let m = |p: &str, t: &str| Regex::new(p).unwrap().is_match(t);
        assert!(m("abc", "xxabcxx"));
        assert!(!m("^abc$", "xxabc"));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^a{2,}$", "aaaaa"));
        assert!(m("^x{$", "x{")); // '{' without a valid bound is a literal
        assert!(m("(^$|^[a-f0-9]{64}$)", ""));
        assert!(m(r"^\d+\.\d+$", "1.25"));
        assert!(!m(r"^\d+\.\d+$", "1x25"));
        assert!(m(r"^[^/]+$", "abc"));
        assert!(!m(r"^[^/]+$", "a/c"));
        assert!(m(r"^[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$", "a/b-c_~%!$&'()*+,;=:"));
        assert!(m("^(?:ab)+$", "abab"));
        assert!(m("^(a*)*$", "aaaa")); // nested stars terminate
        assert!(m("^(a|ab)(c|bcd)(d*)$", "abcd"));
        assert!(m("^.$", "ü"));
        assert!(Regex::new("(?i)abc").is_err());
        assert!(Regex::new("[[:alpha:]]").is_err());
        assert!(Regex::new(r"\bword").is_err());
        assert!(Regex::new("(ab").is_err());
        assert!(Regex::new("*a").is_err());
    }

    #[test]
    fn unsupported_patterns_are_listed() {
        let s = json!({"properties": {"a": {"type": "string", "pattern": "^[a-z]+$"},
            "b": {"type": "string", "pattern": "(?i)abc"}},
            "oneOf": [{"properties": {"c": {"pattern": "[[:alpha:]]"}}}]});
        let u = unsupported_patterns(&s);
        assert_eq!(u.len(), 2, "{u:?}");
        // An unsupported pattern is skipped, not failed.
        ok(s, json!({"b": "xyz"}));
    }

    #[test]
    fn string_formats() {
        let ip = json!({"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]});
        ok(ip.clone(), json!("10.0.0.1"));
        ok(ip.clone(), json!("fd00::1"));
        bad(ip, json!("10.0.0.256"), "matches none of anyOf");
        ok(json!({"type": "string", "format": "byte"}), json!("aGVsbG8="));
        bad(json!({"type": "string", "format": "byte"}), json!("not base64!"), "is not a valid byte");
        ok(json!({"type": "string", "format": "date-time"}), json!("2026-11-23T08:05:00Z"));
        ok(json!({"type": "string", "format": "date-time"}), json!("2026-11-23T08:05:00.123+01:00"));
        bad(json!({"type": "string", "format": "date-time"}), json!("yesterday"), "is not a valid date-time");
        ok(json!({"type": "string", "format": "cidr"}), json!("10.0.0.0/8"));
        bad(json!({"type": "string", "format": "cidr"}), json!("10.0.0.0/33"), "is not a valid cidr");
        ok(json!({"type": "string", "format": "int32"}), json!("x")); // numeric formats ignore strings
        ok(json!({"type": "string", "format": "hostname"}), json!("!")); // unchecked format
    }

    #[test]
    fn arrays() {
        let s = json!({"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}});
        ok(s.clone(), json!(["a"]));
        bad(s.clone(), json!([]), "fewer than minItems 1");
        bad(s, json!(["a", "b", "c"]), "more than maxItems 2");
        let set = json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}});
        ok(set.clone(), json!(["a", "b"]));
        bad(set, json!(["a", "b", "a"]), "spec[2]: duplicate of spec[0]");
        let map = json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}});
        ok(map.clone(), json!([{"name": "a", "port": 1}, {"name": "b", "port": 1}]));
        bad(
            map.clone(),
            json!([{"name": "a", "port": 1}, {"name": "a", "port": 2}]),
            "duplicate map-list key (name=\"a\")",
        );
        bad(map, json!([{"port": 1}]), "spec[0].name: required field is missing");
        bad(json!({"type": "array", "uniqueItems": true}), json!([1, 1.0]), "duplicate");
    }

    #[test]
    fn object_property_counts() {
        let s = json!({"type": "object", "minProperties": 1, "maxProperties": 2,
            "additionalProperties": {"type": "string"}});
        ok(s.clone(), json!({"a": "1"}));
        bad(s.clone(), json!({}), "fewer than minProperties 1");
        bad(s, json!({"a": "1", "b": "2", "c": "3"}), "more than maxProperties 2");
    }

    fn istio_string_match() -> Value {
        // The shape Istio generates for a protobuf `oneof`: none or exactly one field.
        json!({"type": "object", "properties": {
            "exact": {"type": "string"}, "prefix": {"type": "string"}, "regex": {"type": "string"}},
            "oneOf": [
                {"not": {"anyOf": [{"required": ["exact"]}, {"required": ["prefix"]}, {"required": ["regex"]}]}},
                {"required": ["exact"]}, {"required": ["prefix"]}, {"required": ["regex"]}]})
    }

    #[test]
    fn one_of_mutually_exclusive_fields() {
        ok(istio_string_match(), json!({}));
        ok(istio_string_match(), json!({"exact": "a"}));
        ok(istio_string_match(), json!({"regex": "a.*"}));
        bad(
            istio_string_match(),
            json!({"exact": "a", "prefix": "b"}),
            "must match exactly one of oneOf, matched 2: requires [exact] | requires [prefix]",
        );
        // Branches do not prune: the structural part still does.
        bad(istio_string_match(), json!({"exakt": "a"}), "spec.exakt: unknown field");
    }

    #[test]
    fn one_of_with_properties_and_defaults() {
        // Gateway API's address shape: type defaults to IPAddress, then value must be an IP.
        let s = json!({"type": "object", "properties": {
            "type": {"type": "string", "default": "IPAddress"}, "value": {"type": "string"}},
            "oneOf": [
                {"properties": {"type": {"enum": ["IPAddress"]}, "value": {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}}},
                {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}}]});
        ok(s.clone(), json!({"value": "192.0.2.1"}));
        ok(s.clone(), json!({"type": "Hostname", "value": "gw.example.com"}));
        bad(s, json!({"value": "gw.example.com"}), "must match exactly one of oneOf, matched 0");
    }

    #[test]
    fn any_all_not() {
        let any = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "anyOf": [{"required": ["a"]}, {"required": ["b"]}]});
        ok(any.clone(), json!({"a": "x", "b": "y"}));
        bad(any, json!({}), "matches none of anyOf");
        let all = json!({"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 5}]});
        ok(all.clone(), json!(3));
        bad(all, json!(6), "greater than maximum 5");
        let not = json!({"type": "string", "not": {"enum": ["*"]}});
        ok(not.clone(), json!("a"));
        bad(not, json!("*"), "must not match");
    }

    fn tiny_crd() -> Value {
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {"type": "object",
                            "properties": {"size": {"type": "integer"}}}, "status": {"type": "object",
                            "x-kubernetes-preserve-unknown-fields": true}}}}},
                    {"name": "v1alpha1", "served": false, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    }

    #[test]
    fn crd_schema_extraction() {
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}}),
            json!({"apiVersion": "v1", "kind": "List", "items": [tiny_crd()]}),
        ];
        let schemas = crd_schemas(&docs);
        assert_eq!(schemas.len(), 1);
        assert!(schemas.contains_key(&("example.com".into(), "v1".into(), "Widget".into())));
        let versions = crd_versions(&docs);
        assert_eq!(versions.len(), 2);
        assert!(versions[0].storage && versions[0].served && !versions[1].served);
    }

    #[test]
    fn objects_and_metadata() {
        let schemas = crd_schemas(&[tiny_crd()]);
        let good = json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w-1.a", "namespace": "ns", "labels": {"app.kubernetes.io/name": "w", "empty": ""},
                "annotations": {"example.com/Note": "free text: anything goes"}, "creationTimestamp": null},
            "spec": {"size": 3}});
        assert_eq!(validate_object(&schemas, &good), Ok(()));

        let with = |f: &dyn Fn(&mut Value)| {
            let mut o = good.clone();
            f(&mut o);
            validate_object(&schemas, &o).unwrap_err().join("\n")
        };
        assert!(with(&|o| o["apiVersion"] = json!("example.com/v1alpha1")).contains("no CRD schema known"));
        assert!(with(&|o| o["apiVersion"] = json!("example.com/v1alpha1"))
            .contains("served versions of Widget.example.com: v1"));
        assert!(with(&|o| o["kind"] = json!(3)).contains("kind: must be a non-empty string"));
        assert!(with(&|o| {
            o.as_object_mut().unwrap().remove("apiVersion");
        })
        .contains("apiVersion: required"));
        assert!(with(&|o| o["spec"]["size"] = json!("3")).contains("spec.size: must be of type integer"));
        assert!(with(&|o| o["spec"]["colour"] = json!("red")).contains("spec.colour: unknown field"));
        assert!(with(&|o| o["extra"] = json!(1)).contains("extra: unknown field"));
        assert!(with(&|o| o["status"] = json!({})).contains("status: set on the object itself"));
        assert!(with(&|o| o["metadata"]["name"] = json!("Upper"))
            .contains("metadata.name: \"Upper\" is not a DNS-1123 subdomain"));
        assert!(with(&|o| {
            o["metadata"].as_object_mut().unwrap().remove("name");
        })
        .contains("metadata.name: required"));
        assert!(with(&|o| o["metadata"]["namespace"] = json!("a.b")).contains("metadata.namespace"));
        assert!(with(&|o| o["metadata"]["labels"]["bad key!"] = json!("x")).contains("invalid label key"));
        assert!(with(&|o| o["metadata"]["labels"]["k"] = json!("-x")).contains("not a valid label value"));
        assert!(with(&|o| o["metadata"]["labels"]["k"] = json!(1)).contains("metadata.labels[k]: must be a string"));
        assert!(with(&|o| o["metadata"]["annotations"]["a/b/c"] = json!("x")).contains("invalid annotation key"));
        assert!(with(&|o| o["metadata"]["annotations"]["n"] = json!(true))
            .contains("metadata.annotations[n]: must be a string"));
        assert!(with(&|o| o["metadata"]["lables"] = json!({})).contains("metadata.lables: unknown ObjectMeta field"));
        assert!(with(&|o| o["metadata"] = json!("x")).contains("metadata: must be an object"));
    }

    #[test]
    fn metadata_schema_may_narrow_the_name() {
        let mut crd = tiny_crd();
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["metadata"] =
            json!({"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}});
        let schemas = crd_schemas(&[crd]);
        let o =
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "abcdef", "namespace": "n"}});
        let err = validate_object(&schemas, &o).unwrap_err();
        assert!(err.iter().any(|e| e.contains("metadata.name: length 6 is longer than maxLength 5")), "{err:?}");
    }

    #[test]
    fn cel_rules_are_listed_not_checked() {
        let s = json!({"type": "object", "x-kubernetes-validations": [{"rule": "self.a < 3", "message": "small"}],
            "properties": {"a": {"type": "integer"}, "b": {"type": "string",
                "x-kubernetes-validations": [{"rule": "self != '*'", "message": "no wildcard"}]}}});
        ok(s.clone(), json!({"a": 5}));
        assert_eq!(unchecked_cel_rules(&s, &json!({"a": 5})), vec!["<root>: self.a < 3  [small]".to_string()]);
        assert_eq!(unchecked_cel_rules(&s, &json!({"b": "*"})).len(), 2);
    }
}
