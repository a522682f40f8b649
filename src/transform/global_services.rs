//! Ambient shares a Service across networks only when it carries `istio.io/global: "true"`.

use super::{conflict_policy, Edits};
use crate::config::Mesh;
use crate::read::Object;

pub const GLOBAL_LABEL: &str = "istio.io/global";

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) {
    if !mesh.ambient() {
        return;
    }
    let me = &mesh.cluster().name;
    for (i, obj) in objects.iter().enumerate() {
        if !obj.is("", "Service") {
            continue;
        }
        let exported =
            mesh.spec.services.iter().any(|s| {
                s.name == obj.name && obj.namespace.is_none_or(|ns| ns == s.namespace) && s.clusters.contains(me)
            });
        if exported {
            edits.object(i).path(&["metadata", "labels", GLOBAL_LABEL]).set("true", conflict_policy(mesh));
        }
    }
}
