//! New objects that make the networks one mesh, for the cluster being rendered.
//!
//! A Helm release must not contain objects another release owns, so the mesh-wide set
//! goes with the control plane: it is emitted when the stream holds istiod, or when asked
//! for (`standalone`: `eastwest generate`, the standalone set for pipes and GitOps). The exporting half of a
//! service goes with that service's own Service. Anything already in the stream under the
//! same kind, namespace and name is left alone, which also keeps the filter idempotent.

pub mod ambient;
pub mod expose;
pub mod service_entries;
pub mod sidecar_gateway;

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Mesh;
use crate::error::Error;
use crate::read::{Input, Object, Shape};
use crate::transform::istio::{self, NETWORK_LABEL};

/// Marks what eastwest created, without touching the `managed-by` label Helm relies on.
pub const CREATED_BY: (&str, &str) = ("app.kubernetes.io/created-by", "eastwest");
/// Helm 4 files post-rendered documents under this annotation (then strips it).
pub const HELM4_FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

/// A generated object and the file name it is filed under (Helm 4, KRM paths).
pub struct Generated {
    pub value: Value,
    pub file: &'static str,
}

pub fn to_value(resource: &impl Serialize) -> Value {
    serde_json::to_value(resource).unwrap_or(Value::Null)
}

fn key_of(value: &Value) -> (String, String, String) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    (text(value.get("kind")), text(value.pointer("/metadata/namespace")), text(value.pointer("/metadata/name")))
}

fn namespace(mesh: &Mesh) -> Generated {
    let value = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": mesh.spec.istio_namespace, "labels": { NETWORK_LABEL: mesh.network() }},
    });
    Generated { value, file: "namespace" }
}

/// Everything to add for this input, decorated and in a fixed order.
pub fn run(mesh: &Mesh, input: &Input, objects: &[Object], standalone: bool) -> Result<Vec<Value>, Error> {
    let with_control_plane = objects.iter().any(istio::is_istiod);
    let wanted = &mesh.spec.generate;
    let mut out: Vec<Generated> = Vec::new();

    if standalone && wanted.namespace {
        out.push(namespace(mesh));
    }
    if standalone || with_control_plane {
        if mesh.ambient() {
            if wanted.east_west_gateway {
                out.push(ambient::eastwest_gateway(mesh));
            }
            if wanted.peer_gateways {
                out.extend(mesh.callable_peers().map(|peer| ambient::peer_gateway(mesh, peer)));
            }
        } else {
            if wanted.east_west_gateway {
                out.extend(sidecar_gateway::objects(mesh));
            }
            if wanted.expose_services {
                let exported = mesh
                    .spec
                    .services
                    .iter()
                    .filter(|s| s.clusters.contains(&mesh.cluster().name))
                    .flat_map(|s| s.hosts.iter().map(String::as_str));
                out.push(expose::cross_network_gateway(mesh, expose::passthrough_hosts(exported)));
            }
            if mesh.expose_istiod() {
                out.extend(expose::istiod(mesh));
            }
        }
        if wanted.service_entries {
            let vips = service_entries::vips(mesh);
            for svc in &mesh.spec.services {
                let vip = &vips[&(svc.namespace.clone(), svc.name.clone())];
                out.extend(service_entries::import(mesh, svc, vip));
            }
        }
    }
    if wanted.service_entries {
        for (index, svc) in mesh.spec.services.iter().enumerate() {
            if !svc.clusters.contains(&mesh.cluster().name) {
                continue;
            }
            let stream_service = objects.iter().find(|o| {
                o.is("", "Service") && o.name == svc.name && o.namespace.is_none_or(|ns| ns == svc.namespace)
            });
            if standalone || stream_service.is_some() {
                out.push(service_entries::export(svc, index, stream_service)?);
            }
        }
    }

    let mut seen: HashSet<(String, String, String)> =
        objects.iter().map(|o| (o.kind.to_owned(), o.namespace.unwrap_or("").to_owned(), o.name.to_owned())).collect();
    let helm4 = objects.iter().any(|o| o.annotation(HELM4_FILENAME).is_some());
    let mut krm_paths = (input.shape == Shape::ResourceList).then(|| {
        objects
            .iter()
            .flat_map(|o| ["config.kubernetes.io/path", "internal.config.kubernetes.io/path"].map(|k| o.annotation(k)))
            .flatten()
            .map(str::to_owned)
            .collect::<HashSet<String>>()
    });
    let mut values = Vec::new();
    for generated in out {
        if !seen.insert(key_of(&generated.value)) {
            continue;
        }
        values.push(decorate(generated, helm4, krm_paths.as_mut()));
    }
    Ok(values)
}

/// A path under `eastwest/` for a generated KRM item that no other item uses.
fn fresh_path(value: &Value, taken: &mut HashSet<String>) -> String {
    let (kind, ns, name) = key_of(value);
    let ns = if ns.is_empty() { "_cluster".to_owned() } else { ns };
    let base = format!("eastwest/{}_{}_{}", ns, kind.to_lowercase(), name);
    let mut path = format!("{base}.yaml");
    let mut n = 1;
    while !taken.insert(path.clone()) {
        n += 1;
        path = format!("{base}-{n}.yaml");
    }
    path
}

/// Provenance, and the file names Helm 4 and KRM orchestrators file the object under.
fn decorate(generated: Generated, helm4: bool, krm_paths: Option<&mut HashSet<String>>) -> Value {
    let mut value = generated.value;
    let krm_path = krm_paths.map(|taken| fresh_path(&value, taken));
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else { return value };
    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
    labels[CREATED_BY.0] = json!(CREATED_BY.1);
    let mut annotations = Vec::new();
    if helm4 {
        annotations.push((HELM4_FILENAME.to_owned(), format!("eastwest/{}.yaml", generated.file)));
    }
    if let Some(path) = krm_path {
        // A fresh file per object, so no two items share a path and index (kpt refuses that).
        for prefix in ["config.kubernetes.io", "internal.config.kubernetes.io"] {
            annotations.push((format!("{prefix}/path"), path.clone()));
            annotations.push((format!("{prefix}/index"), "0".to_owned()));
        }
    }
    if !annotations.is_empty() {
        let target = metadata.entry("annotations").or_insert_with(|| json!({}));
        for (k, v) in annotations {
            target[k] = json!(v);
        }
    }
    // Name first, as people write metadata (typed resources serialise alphabetically).
    let mut ordered = serde_json::Map::new();
    for key in ["name", "namespace", "labels", "annotations"] {
        if let Some(v) = metadata.remove(key) {
            ordered.insert(key.to_owned(), v);
        }
    }
    ordered.append(metadata);
    *metadata = ordered;
    value
}
