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
pub mod trust;

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{json, Value};

use crate::config::{Mesh, Role};
use crate::error::Error;
use crate::read::{Input, Object, Shape};
use crate::transform::istio::{self, NETWORK_LABEL};
use crate::yaml::Node;
use crate::Warning;

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
    let mut value = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": mesh.spec.istio_namespace, "labels": { NETWORK_LABEL: mesh.network() }},
    });
    if let Some(primary) = remote_primary(mesh) {
        value["metadata"]["annotations"] = json!({ istio::CONTROL_PLANE_CLUSTERS_ANNOTATION: primary });
    }
    Generated { value, file: "namespace" }
}

/// For a remote cluster, the primary that takes charge of it: istio/istio
/// pilot/pkg/serviceregistry/kube/controller/multicluster.go reads
/// `topology.istio.io/controlPlaneClusters` on the remote's control-plane Namespace.
pub fn remote_primary(mesh: &Mesh) -> Option<&str> {
    let me = mesh.cluster();
    (me.role == Role::Remote).then(|| mesh.config_cluster_of(me).name.as_str())
}

/// The control plane revision generated gateways must carry: the config's, else the
/// istiod Deployment's in the stream.
pub fn revision<'a>(mesh: &'a Mesh, objects: &[Object<'a>]) -> Option<String> {
    mesh.spec
        .revision
        .clone()
        .or_else(|| objects.iter().filter(|o| istio::is_istiod(o)).find_map(istio::revision_of).map(str::to_owned))
}

/// A remote's control-plane render (the istiod chart with the remote profile): it has the
/// injector's ConfigMap or webhook but no istiod Deployment.
fn is_remote_control_plane(obj: &Object) -> bool {
    (obj.is("", "ConfigMap") || obj.kind == "MutatingWebhookConfiguration")
        && obj.name.starts_with("istio-sidecar-injector")
}

/// An east-west gateway the stream already brings: a gateway Deployment whose pods are
/// labelled `istio: eastwestgateway`, or a Service labelled with this network that exposes
/// the mTLS port (sidecar), or a Gateway API Gateway labelled with this network (ambient).
fn network_label<'a>(o: &Object<'a>) -> Option<&'a str> {
    o.node.path(&["metadata", "labels", NETWORK_LABEL]).and_then(Node::as_str)
}

fn has_eastwest_gateway(mesh: &Mesh, objects: &[Object]) -> bool {
    let tls_port = mesh.cluster().gateway.port.to_string();
    objects.iter().any(|o| {
        (mesh.ambient() && o.is("gateway.networking.k8s.io", "Gateway") && network_label(o) == Some(mesh.network()))
            || (istio::is_gateway(o)
                && istio::pod_label(o, istio::EASTWEST_POD_LABEL.0) == Some(istio::EASTWEST_POD_LABEL.1))
            || (o.is("", "Service")
                && o.node.path(&["metadata", "labels", NETWORK_LABEL]).and_then(Node::as_str) == Some(mesh.network())
                && o.node
                    .path(&["spec", "ports"])
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|p| p.get("port").and_then(Node::scalar_text) == Some(tls_port.as_str())))
    })
}

/// Everything to add for this input, decorated and in a fixed order, and the warnings.
pub fn run(
    mesh: &Mesh,
    input: &Input,
    objects: &[Object],
    standalone: bool,
) -> Result<(Vec<Value>, Vec<Warning>), Error> {
    let remote = mesh.cluster().role == Role::Remote;
    if remote {
        if let Some(istiod) = objects.iter().find(|o| istio::is_istiod(o)) {
            return Err(Error::Object {
                doc: Box::new(istiod.doc_ref()),
                field: "kind".into(),
                message: format!(
                    "cluster {:?} is a remote served by {:?}'s istiod: render its control plane with the istiod chart's remote profile (profile=remote), not a full istiod",
                    mesh.cluster().name,
                    remote_primary(mesh).unwrap_or("its primary")
                ),
            });
        }
    }
    let with_control_plane =
        objects.iter().any(istio::is_istiod) || (remote && objects.iter().any(is_remote_control_plane));
    let wanted = &mesh.spec.generate;
    let revision = revision(mesh, objects);
    let mut out: Vec<Generated> = Vec::new();
    let mut warnings = Vec::new();

    if standalone && wanted.namespace {
        out.push(namespace(mesh));
    }
    let gateway_present = has_eastwest_gateway(mesh, objects);
    if standalone || with_control_plane {
        out.extend(trust::certificate(mesh));
        if mesh.ambient() {
            if wanted.east_west_gateway && !gateway_present {
                out.push(ambient::eastwest_gateway(mesh, revision.as_deref()));
            }
            if wanted.peer_gateways {
                out.extend(mesh.callable_peers().map(|peer| ambient::peer_gateway(mesh, peer)));
            }
        } else {
            if wanted.east_west_gateway && !gateway_present {
                out.extend(sidecar_gateway::objects(mesh, revision.as_deref()));
            }
            // Istio config of a remote lives in its primary's render (istio/istio
            // pilot/pkg/bootstrap/configcontroller.go: istiod reads only its config cluster).
            if wanted.expose_services && !remote {
                out.extend(expose::cross_network_gateway(mesh));
            }
            if mesh.expose_istiod() && !remote {
                out.extend(expose::istiod(mesh, revision.as_deref()));
            }
        }
    }
    if wanted.service_entries && !remote {
        let plan = service_entries::plan(mesh);
        for (index, svc, shape) in plan {
            match shape {
                service_entries::Shape::Import { remotes } if standalone || with_control_plane => {
                    out.extend(service_entries::import(mesh, svc, &remotes));
                    if mesh.ambient() && svc.service_accounts.is_empty() {
                        warnings.push(default_account_warning(mesh, svc, index, &remotes));
                    }
                }
                service_entries::Shape::Import { .. } => {}
                service_entries::Shape::Local { outside, places } => {
                    let runs_here = svc.clusters.contains(&mesh.cluster().name);
                    let stream_service = objects.iter().find(|o| {
                        o.is("", "Service") && o.name == svc.name && o.namespace.is_none_or(|ns| ns == svc.namespace)
                    });
                    // The local half goes with the Service's own render; for a service that
                    // runs only in this primary's remotes (whose Services are rendered for
                    // the remotes), with the control plane. Exactly one release owns it.
                    let emit = standalone || if runs_here { stream_service.is_some() } else { with_control_plane };
                    if emit {
                        let stream_service = stream_service.filter(|_| runs_here);
                        out.extend(service_entries::local(mesh, svc, index, stream_service, &outside, places)?);
                    } else if with_control_plane && runs_here && service_entries::needs_local_objects(svc, &outside) {
                        warnings.push(missing_export_warning(mesh, svc, index));
                    }
                }
            }
        }
    }
    if mesh.ambient() && with_control_plane && !standalone {
        let me = &mesh.cluster().name;
        for (index, svc) in mesh.spec.services.iter().enumerate() {
            let in_stream = objects
                .iter()
                .any(|o| o.is("", "Service") && o.name == svc.name && o.namespace.is_none_or(|ns| ns == svc.namespace));
            if svc.clusters.contains(me) && !in_stream && mesh.callers().next().is_some() {
                warnings.push(missing_export_warning(mesh, svc, index));
            }
        }
    }

    // A generated object the stream already holds (or generated twice) is left out. The set
    // is built from the few generated keys, and the stream's objects only looked up in it:
    // no owned key per input document.
    let keys: Vec<(String, String, String)> = out.iter().map(|g| key_of(&g.value)).collect();
    let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
    let generated_keys: HashSet<(&str, &str, &str)> =
        keys.iter().map(|(k, ns, n)| (k.as_str(), ns.as_str(), n.as_str())).collect();
    for o in objects {
        let key = (o.kind, o.namespace.unwrap_or(""), o.name);
        if generated_keys.contains(&key) {
            seen.insert(key);
        }
    }
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
    for (generated, (kind, ns, name)) in out.into_iter().zip(&keys) {
        if !seen.insert((kind.as_str(), ns.as_str(), name.as_str())) {
            continue;
        }
        values.push(decorate(generated, helm4, krm_paths.as_mut()));
    }
    warnings.extend(revision_mismatch(mesh, objects));
    Ok((values, warnings))
}

/// A cluster that runs an exported service is rendered without the service's Service
/// (the istiod chart alone): the half that lets other networks in is not written here.
/// `spec.revision` names another revision than the istiod Deployment in the stream: the
/// generated gateway pods would be labelled for an injector this release does not install
/// (each revision's webhook selects its own `istio.io/rev`, istio/istio manifests/charts/
/// istio-control/istio-discovery/templates/mutatingwebhook.yaml) and `istiod-vs` would route
/// to `istiod-<revision>`. Maybe intended (that revision installed by another release), so
/// a warning; `eastwest check` fails it when the render holds only other injectors.
fn revision_mismatch(mesh: &Mesh, objects: &[Object]) -> Option<Warning> {
    let wanted = mesh.spec.revision.as_deref()?;
    let istiod = objects.iter().find(|o| istio::is_istiod(o))?;
    let found = istio::revision_of(istiod);
    (found != Some(wanted)).then(|| Warning {
        doc: Some(istiod.doc_ref()),
        field: "metadata.labels[\"istio.io/rev\"]".into(),
        message: format!(
            "the istiod release is of revision {:?} but spec.revision is {wanted:?}: the generated gateway is labelled for revision {wanted:?}, whose injector this release does not install; render istiod with revision={wanted} or fix spec.revision",
            found.unwrap_or("default")
        ),
    })
}

fn missing_export_warning(mesh: &Mesh, svc: &crate::config::Service, index: usize) -> Warning {
    let what = if mesh.ambient() {
        "the istio.io/global label on its Service"
    } else {
        "the export half (the ServiceEntry or WorkloadEntries the remote gateway resolves the SNI with)"
    };
    Warning {
        doc: None,
        field: format!("spec.services[{index}]"),
        message: format!(
            "cluster {:?} runs {}/{} but its Service is not in this stream, so {what} is not written; run eastwest over the render that contains that Service too (or apply the standalone set)",
            mesh.cluster().name,
            svc.namespace,
            svc.name
        ),
    }
}

/// Ambient, an imported service without `serviceAccounts`: callers accept only the
/// `default` account at the far end of the tunnel, which is right only if its pods run so.
fn default_account_warning(
    mesh: &Mesh,
    svc: &crate::config::Service,
    index: usize,
    remotes: &[&crate::config::Cluster],
) -> Warning {
    let sans = service_entries::ambient_sans(mesh, svc, remotes);
    Warning {
        doc: None,
        field: format!("spec.services[{index}].serviceAccounts"),
        message: format!(
            "not set: callers' ztunnel will accept {}/{} only as {} (the imported ServiceEntry's subjectAltNames); list the service accounts its pods run as",
            svc.namespace,
            svc.name,
            sans.join(", ")
        ),
    }
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
