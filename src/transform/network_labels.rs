//! `topology.istio.io/network` where Istio reads it: the control plane's Namespace,
//! gateway and ztunnel pods, the Services of network gateways (those exposing 15443 or
//! 15008: istiod takes any Service with the label as a candidate network gateway), and
//! workloads in listed namespaces.

use super::istio::{self, NETWORK_LABEL};
use super::{conflict_policy, Edits};
use crate::config::Mesh;
use crate::read::Object;
use crate::yaml::Change;
use std::sync::Arc;

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) {
    let network = mesh.network();
    let policy = conflict_policy(mesh);
    let gateways: Vec<&Object> = objects.iter().filter(|o| istio::is_gateway(o)).collect();
    // The label change per pod template path, built once and shared by every workload
    // that has no other change (see `Edits::share`).
    let mut shared: Vec<(&'static [&'static str], Arc<Change>)> = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        let label_object = (obj.is("", "Namespace") && obj.name == mesh.spec.istio_namespace)
            || (gateways.iter().any(|gw| istio::service_selects(obj, gw)) && istio::is_network_gateway_service(obj));
        if label_object {
            edits.object(i).path(&["metadata", "labels", NETWORK_LABEL]).set(network, policy);
        }
        let Some(template) = istio::pod_template_path(obj) else { continue };
        let in_workload_namespace =
            obj.namespace.is_some_and(|ns| mesh.spec.workload_namespaces.iter().any(|w| w == ns));
        if istio::is_gateway(obj) || istio::is_ztunnel(obj) || in_workload_namespace {
            let label = |change: &mut Change| {
                change.path(template).path(&["metadata", "labels", NETWORK_LABEL]).set(network, policy)
            };
            let at = match shared.iter().position(|(path, _)| *path == template) {
                Some(at) => at,
                None => {
                    let mut change = Change::default();
                    label(&mut change);
                    shared.push((template, Arc::new(change)));
                    shared.len() - 1
                }
            };
            if !edits.share(i, &shared[at].1) {
                label(edits.object(i));
            }
        }
    }
}
