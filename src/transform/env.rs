//! Environment variables Istio's binaries read for multi-network operation.
//!
//! An existing variable of the same name is replaced (value set, `valueFrom` dropped), never
//! duplicated: Kubernetes would keep the last twin and hide the first.

use super::istio;
use super::Edits;
use crate::config::Mesh;
use crate::error::Error;
use crate::read::Object;
use crate::yaml::{Change, OnConflict};

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) -> Result<(), Error> {
    let network = mesh.network();
    let cluster = mesh.cluster().name.as_str();
    for (i, obj) in objects.iter().enumerate() {
        let Some(template) = istio::pod_template_path(obj) else { continue };
        let mut vars: Vec<(&str, &str)> = Vec::new();
        let container = if istio::is_istiod(obj) {
            vars.push(("CLUSTER_ID", cluster));
            if mesh.has_remotes() {
                // Without it the primary never takes charge of its remotes (istio/istio
                // pilot/pkg/serviceregistry/kube/controller/multicluster.go).
                vars.push((istio::EXTERNAL_ISTIOD_ENV, "true"));
            }
            if mesh.ambient() {
                if istio::env_value(obj, "discovery", "PILOT_ENABLE_AMBIENT") != Some("true") {
                    return Err(Error::Object {
                        doc: Box::new(obj.doc_ref()),
                        field: "spec.template.spec.containers[name=discovery].env[name=PILOT_ENABLE_AMBIENT]".into(),
                        message: "must be \"true\" for mode: ambient (install istiod with the ambient profile)".into(),
                    });
                }
                vars.push(("AMBIENT_ENABLE_MULTI_NETWORK", "true"));
            }
            vars.extend(mesh.spec.env.istiod.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            "discovery"
        } else if istio::is_ztunnel(obj) {
            vars.push(("NETWORK", network));
            vars.push(("ISTIO_META_CLUSTER_ID", cluster));
            vars.extend(mesh.spec.env.ztunnel.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            "istio-proxy"
        } else if istio::is_gateway(obj) {
            if istio::is_eastwest_gateway(obj, mesh) {
                vars.push(("ISTIO_META_REQUESTED_NETWORK_VIEW", network));
            }
            vars.extend(mesh.spec.env.gateway.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            "istio-proxy"
        } else {
            continue;
        };
        if vars.is_empty() || !istio::has_container(obj, container) {
            continue;
        }
        let env = edits.object(i).path(template).path(&["spec", "containers"]).item("name", container).key("env");
        for (name, value) in vars {
            set_env(env, name, value);
        }
    }
    Ok(())
}

fn set_env(env: &mut Change, name: &str, value: &str) {
    let var = env.item("name", name);
    var.key("value").set(value, OnConflict::Replace);
    var.key("valueFrom").remove();
}
