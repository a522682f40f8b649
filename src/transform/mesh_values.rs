//! The mesh identity in the ConfigMaps Istio really reads: the sidecar injector's `values`
//! JSON (network, meshID, cluster name for injected proxies) and the `istio` ConfigMap's
//! `mesh` (trust domain, meshId, DNS capture) and `meshNetworks` (how to reach each
//! network's gateway, so istiod needs no remote secrets to route across networks).

use super::{conflict_policy, Edits};
use crate::config::Mesh;
use crate::read::Object;
use crate::yaml::{parse_documents, Change, Node, OnConflict};

/// ConfigMap names carry the revision suffix when one is set (`istio-<rev>`).
fn is_named(obj: &Object, base: &str) -> bool {
    obj.name == base || obj.name.strip_prefix(base).is_some_and(|rest| rest.starts_with('-'))
}

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) {
    let policy = conflict_policy(mesh);
    let in_istio_ns = |o: &Object| o.namespace.is_none_or(|ns| ns == mesh.spec.istio_namespace);
    for (i, obj) in objects.iter().enumerate() {
        if !obj.is("", "ConfigMap") || !in_istio_ns(obj) {
            continue;
        }
        if is_named(obj, "istio-sidecar-injector") && obj.node.path(&["data", "values"]).is_some() {
            let values = edits.object(i).path(&["data", "values"]).embedded_json();
            let global = values.key("global");
            global.key("network").set(mesh.network(), policy);
            global.key("meshID").set(mesh.spec.mesh_id.as_str(), policy);
            global.path(&["multiCluster", "clusterName"]).set(mesh.cluster().name.as_str(), policy);
        } else if is_named(obj, "istio") && obj.node.path(&["data", "mesh"]).is_some() {
            let change = edits.object(i);
            let trust_domain = obj.node.path(&["data", "mesh"]).and_then(Node::as_str).and_then(trust_domain_of);
            set_mesh_config(mesh, change.path(&["data", "mesh"]).embedded_yaml(), policy, trust_domain.as_deref());
            if !mesh.ambient() && mesh.spec.generate.mesh_networks {
                set_mesh_networks(mesh, change.path(&["data", "meshNetworks"]).embedded_yaml(), policy);
            }
        }
    }
}

/// The chart's default trust domain, the one value replaced without a word.
const CHART_TRUST_DOMAIN: &str = "cluster.local";

/// `trustDomain` of a mesh config text, when it is readable and set.
fn trust_domain_of(mesh_config: &str) -> Option<String> {
    let docs = parse_documents(mesh_config, 0).ok()?;
    docs.first()?.root.get("trustDomain").and_then(Node::as_str).map(str::to_owned)
}

fn set_mesh_config(mesh: &Mesh, config: &mut Change, policy: OnConflict, existing_trust_domain: Option<&str>) {
    // The chart always renders its default trust domain: that one is replaced; any other
    // value someone chose follows the rule for existing values.
    let trust_policy = if existing_trust_domain == Some(CHART_TRUST_DOMAIN) { OnConflict::Replace } else { policy };
    config.key("trustDomain").set(mesh.trust_domain(), trust_policy);
    let aliases = mesh.trust_domain_aliases();
    if !aliases.is_empty() {
        // Other clusters' trust domains, accepted as this one's (pilot/pkg/security/trustdomain).
        config.key("trustDomainAliases").set(aliases, policy);
    }
    config.path(&["defaultConfig", "meshId"]).set(mesh.spec.mesh_id.as_str(), policy);
    if mesh.needs_dns_capture() {
        // Apps resolve imported hosts through the sidecar's DNS proxy (to the VIPs).
        config.path(&["defaultConfig", "proxyMetadata", "ISTIO_META_DNS_CAPTURE"]).set("true", policy);
    }
}

/// Does this cluster import any service from another network?
pub fn imports_any(mesh: &Mesh) -> bool {
    mesh.spec.generate.service_entries
        && mesh.spec.services.iter().any(|s| mesh.callable_peers().any(|p| s.clusters.contains(&p.name)))
}

/// Every network: its registry (the cluster) and its gateway address.
fn set_mesh_networks(mesh: &Mesh, config: &mut Change, policy: OnConflict) {
    let networks = config.key("networks");
    for cluster in &mesh.spec.clusters {
        let value = serde_json::json!({
            "endpoints": [{"fromRegistry": cluster.name}],
            "gateways": [{"address": mesh.dial(cluster, &mesh.cluster().name).0, "port": mesh.dial(cluster, &mesh.cluster().name).1}],
        });
        networks.key(&cluster.network).set(value, policy);
    }
}
