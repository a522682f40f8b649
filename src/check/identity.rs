//! The mesh identity, across all renders. What Istio reads for it:
//! - meshID and trust domain: the `istio` ConfigMap's `mesh` (pkg/config/mesh) and the
//!   injector's `values` (`global.meshID`), which become every proxy's metadata;
//! - the network: the control-plane Namespace label `topology.istio.io/network`
//!   (pilot/pkg/serviceregistry/kube/controller/network.go, ambient networks.go), the
//!   injector's `global.network`, the gateway pods' label, ztunnel's `NETWORK`;
//! - the cluster: istiod's `CLUSTER_ID` (pilot/pkg/features), the injector's
//!   `global.multiCluster.clusterName`, ztunnel's `ISTIO_META_CLUSTER_ID`;
//! - the mode: `PILOT_ENABLE_AMBIENT` and `AMBIENT_ENABLE_MULTI_NETWORK` on istiod.

use serde_json::Value;

use super::istio::{self as ist};
use super::model::Render;
use super::topology::ClusterView;
use super::{CheckInfo, Ctx, Findings, ObjectRef};
use crate::generate::sidecar_gateway::SELECTOR_LABEL;
use crate::transform::istio::NETWORK_LABEL;

pub const MESH_ID: &str = "mesh-id";
pub const TRUST_DOMAIN: &str = "trust-domain";
pub const NETWORK: &str = "network";
pub const CLUSTER_ID: &str = "cluster-id";
pub const NETWORKS_UNIQUE: &str = "networks-unique";
pub const MODE: &str = "mode";

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: MESH_ID, reads: &["ConfigMap"], about: "the same meshID everywhere (mesh config defaultConfig.meshId, injector global.meshID)" },
    CheckInfo { id: TRUST_DOMAIN, reads: &["ConfigMap"], about: "the same trust domain everywhere, or the cluster's own where the config gives one (mesh config trustDomain)" },
    CheckInfo { id: NETWORK, reads: &["Namespace", "ConfigMap", "Deployment", "DaemonSet"], about: "each cluster's network on its control-plane Namespace, injector values, east-west gateway pods and ztunnel" },
    CheckInfo { id: CLUSTER_ID, reads: &["Deployment", "ConfigMap", "DaemonSet"], about: "CLUSTER_ID (istiod), clusterName (injector) and ISTIO_META_CLUSTER_ID (ztunnel) equal the cluster name" },
    CheckInfo { id: NETWORKS_UNIQUE, reads: &["ConfigMap"], about: "meshNetworks puts each cluster's registry under its own network only" },
    CheckInfo { id: MODE, reads: &["Deployment", "DaemonSet"], about: "the data-plane mode of each render (istiod's PILOT_ENABLE_AMBIENT, AMBIENT_ENABLE_MULTI_NETWORK, ztunnel) is the config's" },
];

fn expect(
    out: &mut Findings,
    check: &'static str,
    c: &ClusterView,
    obj: Option<ObjectRef>,
    field: &str,
    got: Option<&str>,
    want: &str,
) {
    match got {
        Some(v) if v == want => {}
        Some(v) => out.error(check, &c.name, obj, format!("field {field}: {v:?} but the mesh says {want:?}")),
        None => out.error(check, &c.name, obj, format!("field {field}: not set, the mesh says {want:?}")),
    }
}

pub fn run(ctx: &Ctx, out: &mut Findings) {
    let topo = ctx.topo;
    let ns = &topo.istio_namespace;
    for (c, render) in topo.clusters.iter().zip(ctx.renders) {
        if let Some((cm, mesh)) = ist::mesh_config(render, ns) {
            let obj = Some(ObjectRef::of(cm));
            let td = mesh.get("trustDomain").and_then(Value::as_str).unwrap_or("cluster.local");
            expect(out, TRUST_DOMAIN, c, obj.clone(), "data.mesh.trustDomain", Some(td), &c.trust_domain);
            let mid = mesh.pointer("/defaultConfig/meshId").and_then(Value::as_str);
            expect(out, MESH_ID, c, obj, "data.mesh.defaultConfig.meshId", mid, &topo.mesh_id);
        }
        if let Some((cm, values)) = ist::injector_values(render, ns) {
            let obj = Some(ObjectRef::of(cm));
            let s = |p: &str| values.pointer(p).and_then(Value::as_str);
            expect(out, MESH_ID, c, obj.clone(), "data.values.global.meshID", s("/global/meshID"), &topo.mesh_id);
            expect(out, NETWORK, c, obj.clone(), "data.values.global.network", s("/global/network"), &c.network);
            expect(
                out,
                CLUSTER_ID,
                c,
                obj,
                "data.values.global.multiCluster.clusterName",
                s("/global/multiCluster/clusterName"),
                &c.name,
            );
        }
        match render.get("", "Namespace", "", ns) {
            Some(n) => expect(out, NETWORK, c, Some(ObjectRef::of(n)), &format!("metadata.labels[\"{NETWORK_LABEL}\"]"), n.label(NETWORK_LABEL), &c.network),
            None if topo.ambient => out.warning(
                NETWORK,
                &c.name,
                Some(ObjectRef::new("Namespace", "", ns)),
                format!("not in the render; in ambient its {NETWORK_LABEL} label is the cluster's only network source: label it {} by hand (check cannot see that)", c.network),
            ),
            None => {}
        }
        for d in render.kind("apps", "Deployment") {
            let eastwest = (d.name == c.gateway.name && d.in_ns(&c.gateway.namespace))
                || ist::pod_label(d, SELECTOR_LABEL.0) == Some(SELECTOR_LABEL.1);
            if eastwest && ist::pod_template(d).is_some() {
                expect(
                    out,
                    NETWORK,
                    c,
                    Some(ObjectRef::of(d)),
                    &format!("spec.template.metadata.labels[\"{NETWORK_LABEL}\"]"),
                    ist::pod_label(d, NETWORK_LABEL),
                    &c.network,
                );
            }
        }
        for d in ist::istiods(render) {
            expect(
                out,
                CLUSTER_ID,
                c,
                Some(ObjectRef::of(d)),
                "spec.template.spec.containers[name=discovery].env[name=CLUSTER_ID]",
                ist::env_value(d, "discovery", "CLUSTER_ID"),
                &c.name,
            );
        }
        for z in render.kind("apps", "DaemonSet").filter(|d| ist::pod_label(d, "app") == Some("ztunnel")) {
            let obj = Some(ObjectRef::of(z));
            expect(
                out,
                NETWORK,
                c,
                obj.clone(),
                "spec.template.spec.containers[name=istio-proxy].env[name=NETWORK]",
                ist::env_value(z, "istio-proxy", "NETWORK"),
                &c.network,
            );
            expect(
                out,
                CLUSTER_ID,
                c,
                obj,
                "spec.template.spec.containers[name=istio-proxy].env[name=ISTIO_META_CLUSTER_ID]",
                ist::env_value(z, "istio-proxy", "ISTIO_META_CLUSTER_ID"),
                &c.name,
            );
        }
        mesh_networks(ctx, c, render, out);
        mode(ctx, c, render, out);
    }
}

/// meshNetworks must not file a cluster's registry under another cluster's network.
fn mesh_networks(ctx: &Ctx, c: &ClusterView, render: &Render, out: &mut Findings) {
    let Some((cm, value)) = ist::mesh_networks(render, &ctx.topo.istio_namespace) else { return };
    let Some(networks) = value.get("networks").and_then(Value::as_object) else { return };
    for (network, spec) in networks {
        for e in spec.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
            let Some(registry) = e.get("fromRegistry").and_then(Value::as_str) else { continue };
            if let Some(owner) = ctx.topo.cluster(registry) {
                if &owner.network != network {
                    out.error(
                        NETWORKS_UNIQUE,
                        &c.name,
                        Some(ObjectRef::of(cm)),
                        format!("field data.meshNetworks.networks.{network}.endpoints: fromRegistry {registry} but cluster {registry} is on network {}", owner.network),
                    );
                }
            }
        }
    }
}

fn mode(ctx: &Ctx, c: &ClusterView, render: &Render, out: &mut Findings) {
    let ambient = ctx.topo.ambient;
    for d in ist::istiods(render) {
        let on = ist::env_value(d, "discovery", "PILOT_ENABLE_AMBIENT") == Some("true");
        let multi = ist::env_value(d, "discovery", "AMBIENT_ENABLE_MULTI_NETWORK") == Some("true");
        let obj = Some(ObjectRef::of(d));
        if ambient && !on {
            out.error(MODE, &c.name, obj.clone(), "field spec.template.spec.containers[name=discovery].env[name=PILOT_ENABLE_AMBIENT]: not \"true\" but the mesh is ambient".into());
        }
        if ambient && !multi {
            out.error(MODE, &c.name, obj.clone(), "field spec.template.spec.containers[name=discovery].env[name=AMBIENT_ENABLE_MULTI_NETWORK]: not \"true\", so istiod ignores other networks".into());
        }
        if !ambient && multi {
            out.error(MODE, &c.name, obj, "field spec.template.spec.containers[name=discovery].env[name=AMBIENT_ENABLE_MULTI_NETWORK]: \"true\" in a sidecar mesh (ambient multi-network changes how sidecar traffic is routed)".into());
        }
    }
    if !ambient {
        for z in render.kind("apps", "DaemonSet").filter(|d| ist::pod_label(d, "app") == Some("ztunnel")) {
            out.warning(
                MODE,
                &c.name,
                Some(ObjectRef::of(z)),
                "ztunnel in a cluster of a sidecar mesh: eastwest routes sidecar traffic only here".into(),
            );
        }
    }
}
