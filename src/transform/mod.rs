//! Edits to objects already in the stream, one module per concern. Each transform only
//! describes what it wants ([`Change`]); the writer turns that into in-place text edits.

pub mod control_plane;
pub mod env;
pub mod global_services;
pub mod istio;
pub mod mesh_values;
pub mod network_labels;

use std::collections::BTreeMap;

use crate::config::Mesh;
use crate::error::Error;
use crate::read::Object;
use crate::yaml::{Change, OnConflict};

/// The changes wanted per object (by index into the object list).
#[derive(Default)]
pub struct Edits {
    pub changes: BTreeMap<usize, Change>,
}

impl Edits {
    pub fn object(&mut self, index: usize) -> &mut Change {
        self.changes.entry(index).or_default()
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

/// What to do with an existing different value that the config also sets.
pub fn conflict_policy(mesh: &Mesh) -> OnConflict {
    if mesh.spec.override_existing {
        OnConflict::Replace
    } else {
        OnConflict::Error
    }
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
