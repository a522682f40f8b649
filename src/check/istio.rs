//! What Istio reads out of rendered objects, as the checks need it: mesh config, pod
//! templates, selectors, host patterns, `exportTo`. Facts shared with the generator
//! (label keys, ports) come from `transform::istio` and `generate::*`.

use serde_json::Value;

use super::model::{string_map, Obj, Render};

pub use crate::transform::istio::{HBONE_PORT, TLS_MODE_LABEL};

/// Workload kinds and where their pod template is (JSON pointer).
pub fn pod_template(o: &Obj) -> Option<&Value> {
    let pointer = match (o.group(), o.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => "/spec/template",
        ("batch", "CronJob") => "/spec/jobTemplate/spec/template",
        ("", "Pod") => "",
        _ => return None,
    };
    o.value.pointer(pointer)
}

pub fn pod_labels(o: &Obj) -> Vec<(&str, &str)> {
    string_map(pod_template(o).and_then(|t| t.pointer("/metadata/labels")))
}

pub fn pod_label<'a>(o: &'a Obj, key: &str) -> Option<&'a str> {
    pod_template(o)?.pointer("/metadata/labels")?.get(key)?.as_str()
}

/// Workloads (objects with a pod template) of a render.
pub fn workloads(r: &Render) -> impl Iterator<Item = &Obj> {
    r.objects.iter().filter(|o| pod_template(o).is_some())
}

/// A plain env var of a container of the pod template.
pub fn env_value<'a>(o: &'a Obj, container: &str, name: &str) -> Option<&'a str> {
    let containers = pod_template(o)?.pointer("/spec/containers")?.as_array()?;
    let c = containers.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(container))?;
    let var = c.get("env")?.as_array()?.iter().find(|e| e.get("name").and_then(Value::as_str) == Some(name))?;
    var.get("value").and_then(Value::as_str)
}

/// Do all `selector` pairs appear in `labels`? (An empty selector selects nothing here.)
pub fn selects(selector: &[(&str, &str)], labels: &[(&str, &str)]) -> bool {
    !selector.is_empty() && selector.iter().all(|s| labels.contains(s))
}

/// A Kubernetes LabelSelector (`matchLabels`, `matchExpressions`) against labels. An absent
/// or empty selector matches everything, as Kubernetes reads it.
pub fn label_selector_matches(selector: Option<&Value>, labels: &[(&str, &str)]) -> bool {
    let Some(sel) = selector else { return true };
    let get = |k: &str| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v);
    if !string_map(sel.get("matchLabels")).iter().all(|(k, v)| get(k) == Some(v)) {
        return false;
    }
    sel.get("matchExpressions").and_then(Value::as_array).is_none_or(|exprs| {
        exprs.iter().all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map_or(vec![], |v| v.iter().filter_map(Value::as_str).collect());
            match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => get(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => get(key).is_none_or(|v| !values.contains(&v)),
                "Exists" => get(key).is_some(),
                "DoesNotExist" => get(key).is_none(),
                _ => false,
            }
        })
    })
}

/// Does a host pattern (`*`, `*.suffix` or a name) cover `host`? Same rule as the generator.
pub fn host_covers(pattern: &str, host: &str) -> bool {
    pattern == "*" || crate::generate::expose::covers(pattern, host)
}

/// Do two host patterns overlap (some host matches both)?
pub fn hosts_overlap(a: &str, b: &str) -> bool {
    a == b || host_covers(a, b) || host_covers(b, a)
}

/// A Gateway or Sidecar host entry `ns/host` (or bare `host`, meaning `*/host`).
pub fn split_ns_host(entry: &str) -> (&str, &str) {
    entry.split_once('/').unwrap_or(("*", entry))
}

/// Strings of a JSON array field.
pub fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array).map_or(vec![], |a| a.iter().filter_map(Value::as_str).collect())
}

/// The `exportTo` of an Istio object: the field, else the `networking.istio.io/exportTo`
/// annotation (comma-separated), else `None` (the mesh default, public unless changed).
pub fn export_to(o: &Obj) -> Option<Vec<String>> {
    let field = strings(o.at("/spec/exportTo"));
    if !field.is_empty() {
        return Some(field.into_iter().map(str::to_owned).collect());
    }
    o.annotation("networking.istio.io/exportTo")
        .map(|a| a.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// Is an object with this exportTo (in `own_ns`) visible from namespace `from_ns`?
/// istio/istio pilot/pkg/model/push_context.go (serviceExportTo): `*` public, `~` none,
/// `.` own namespace, else the named namespaces.
pub fn visible(export_to: &Option<Vec<String>>, own_ns: &str, from_ns: &str) -> bool {
    let Some(list) = export_to else { return true };
    if list.iter().any(|e| e == "*") {
        return true;
    }
    if list.iter().any(|e| e == "~") {
        return false;
    }
    list.iter().any(|e| (e == "." && own_ns == from_ns) || e == from_ns)
}

/// The `istio` mesh config (or its revisioned `istio-<rev>`) of a render, parsed.
pub fn mesh_config<'a>(r: &'a Render, istio_ns: &str) -> Option<(&'a Obj, Value)> {
    let cm = config_map(r, istio_ns, "istio", "mesh")?;
    let text = cm.str_at("/data/mesh")?;
    Some((cm, parse_embedded_yaml(text)?))
}

/// The `meshNetworks` of the `istio` ConfigMap, parsed (`None`: the ConfigMap or key is absent).
pub fn mesh_networks<'a>(r: &'a Render, istio_ns: &str) -> Option<(&'a Obj, Value)> {
    let cm = config_map(r, istio_ns, "istio", "meshNetworks")?;
    let text = cm.str_at("/data/meshNetworks")?;
    Some((cm, parse_embedded_yaml(text).unwrap_or(Value::Null)))
}

/// The injector's `values` JSON.
pub fn injector_values<'a>(r: &'a Render, istio_ns: &str) -> Option<(&'a Obj, Value)> {
    let cm = config_map(r, istio_ns, "istio-sidecar-injector", "values")?;
    let text = cm.str_at("/data/values")?;
    Some((cm, serde_json::from_str(text).ok()?))
}

/// The ConfigMap `base` or `base-<revision>` that has `key` in its data (`istio` alone
/// would also match `istio-sidecar-injector` by prefix, which has no `mesh`).
fn config_map<'a>(r: &'a Render, ns: &str, base: &str, key: &str) -> Option<&'a Obj> {
    r.kind("", "ConfigMap").find(|o| {
        o.in_ns(ns)
            && (o.name == base || o.name.strip_prefix(base).is_some_and(|rest| rest.starts_with('-')))
            && o.at("/data").and_then(|d| d.get(key)).is_some()
    })
}

/// YAML text embedded in a ConfigMap value, read with the crate's own reader.
pub fn parse_embedded_yaml(text: &str) -> Option<Value> {
    let docs = crate::yaml::parse_documents(text, 0).ok()?;
    docs.iter().find(|d| !d.root.is_null()).map(|d| crate::read::node_json(&d.root))
}

/// istiod Deployments of a render (pilot's `discovery` container).
pub fn istiods(r: &Render) -> impl Iterator<Item = &Obj> {
    r.kind("apps", "Deployment").filter(|o| {
        (pod_label(o, "app") == Some("istiod") || pod_label(o, "istio") == Some("pilot"))
            && pod_template(o)
                .and_then(|t| t.pointer("/spec/containers"))
                .and_then(Value::as_array)
                .is_some_and(|cs| cs.iter().any(|c| c.get("name").and_then(Value::as_str) == Some("discovery")))
    })
}
