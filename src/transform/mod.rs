//! Edits to objects already in the stream, one module per concern. Each transform only
//! describes what it wants ([`Change`]); the writer turns that into in-place text edits.

pub mod control_plane;
pub mod env;
pub mod global_services;
pub mod istio;
pub mod mesh_values;
pub mod network_labels;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Mesh;
use crate::error::Error;
use crate::read::Object;
use crate::yaml::{Change, OnConflict};

/// The changes wanted per object (by index into the object list). A change is shared
/// between objects that want the same one (the network label of every workload in a
/// workload namespace): tens of thousands of workloads hold one tree, not one each.
#[derive(Default)]
pub struct Edits {
    pub changes: BTreeMap<usize, Arc<Change>>,
}

impl Edits {
    /// The object's own change, to edit; a shared one is copied first.
    pub fn object(&mut self, index: usize) -> &mut Change {
        Arc::make_mut(self.changes.entry(index).or_default())
    }

    /// Give the object `shared` when it has no change yet and tell whether it did; an
    /// object with a change of its own is left to the caller (`object`).
    pub fn share(&mut self, index: usize, shared: &Arc<Change>) -> bool {
        match self.changes.entry(index) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(Arc::clone(shared));
                true
            }
            std::collections::btree_map::Entry::Occupied(_) => false,
        }
    }
}

/// Kinds any transform or generator reads beyond their identity; the reader may cut every
/// other document down to apiVersion, kind and metadata.
pub fn reads_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "Pod"
            | "Service"
            | "ConfigMap"
            | "MeshNetwork"
    )
}

/// Of the kinds above, the objects whose content is read, by name: of ConfigMaps only
/// Istio's own (`istio`, `istio-<revision>`, `istio-sidecar-injector[-<revision>]`).
pub fn reads_named(kind: &str, name: &str) -> bool {
    kind != "ConfigMap" || name.starts_with("istio")
}

/// For a workload that is none of Istio's own (istiod, a gateway, ztunnel), the only part
/// any transform reads or edits: its pod template's `metadata` (the network label of
/// workloads in `spec.workloadNamespaces`). `None`: the object is read whole.
pub fn only_pod_metadata_read(obj: &Object) -> Option<&'static [&'static str]> {
    let template = istio::pod_template_path(obj)?;
    if template.is_empty() || istio::is_istiod(obj) || istio::is_gateway(obj) || istio::is_ztunnel(obj) {
        return None;
    }
    Some(template)
}

/// What to do with an existing different value that the config also sets.
pub fn conflict_policy(mesh: &Mesh) -> OnConflict {
    if mesh.spec.override_existing {
        OnConflict::Replace
    } else {
        OnConflict::Error
    }
}

/// `spec.istioNamespace` when the config does not set it (src/config's default).
const DEFAULT_ISTIO_NAMESPACE: &str = "istio-system";

/// The control plane's namespace comes from the stream when istiod is in it: a chart
/// rendered with `-n istio-control --set global.istioNamespace=istio-control` keeps its
/// Deployment and its ConfigMaps there, and all of them must change, never only some.
/// A config that names another namespace explicitly is refused, as are istiods in two
/// namespaces.
pub fn adopt_control_plane_namespace(mesh: &mut Mesh, objects: &[Object]) -> Result<(), Error> {
    let mut istiods = objects.iter().filter(|o| istio::is_istiod(o)).filter_map(|o| o.namespace.map(|ns| (o, ns)));
    let Some((first, namespace)) = istiods.next() else { return Ok(()) };
    if let Some((other, elsewhere)) = istiods.find(|(_, ns)| ns != &namespace) {
        return Err(Error::Object {
            doc: Box::new(other.doc_ref()),
            field: "metadata.namespace".into(),
            message: format!(
                "istiod is in namespace {elsewhere:?} here but in {namespace:?} in {}; render one control plane namespace at a time",
                first.doc_ref()
            ),
        });
    }
    let configured = &mesh.spec.istio_namespace;
    if configured == namespace {
        return Ok(());
    }
    if configured != DEFAULT_ISTIO_NAMESPACE {
        return Err(Error::Object {
            doc: Box::new(first.doc_ref()),
            field: "metadata.namespace".into(),
            message: format!(
                "istiod is in namespace {namespace:?} but spec.istioNamespace says {configured:?}; set spec.istioNamespace: {namespace}"
            ),
        });
    }
    mesh.spec.istio_namespace = namespace.to_owned();
    Ok(())
}

/// Run every transform over the objects.
pub fn run(mesh: &Mesh, objects: &[Object]) -> Result<Edits, Error> {
    let mut edits = Edits::default();
    network_labels::apply(mesh, objects, &mut edits);
    mesh_values::apply(mesh, objects, &mut edits);
    env::apply(mesh, objects, &mut edits)?;
    global_services::apply(mesh, objects, &mut edits);
    control_plane::apply(mesh, objects, &mut edits);
    Ok(edits)
}
