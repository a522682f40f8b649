//! A remote cluster's control-plane Namespace names the primary that takes charge of it.
//! istio/istio pilot/pkg/serviceregistry/kube/controller/multicluster.go reads the
//! annotation once, when the primary processes the remote's secret.

use super::istio::CONTROL_PLANE_CLUSTERS_ANNOTATION;
use super::{conflict_policy, Edits};
use crate::config::Mesh;
use crate::read::Object;

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) {
    let Some(primary) = crate::generate::remote_primary(mesh) else { return };
    let policy = conflict_policy(mesh);
    for (i, obj) in objects.iter().enumerate() {
        if obj.is("", "Namespace") && obj.name == mesh.spec.istio_namespace {
            edits.object(i).path(&["metadata", "annotations", CONTROL_PLANE_CLUSTERS_ANNOTATION]).set(primary, policy);
        }
    }
}
