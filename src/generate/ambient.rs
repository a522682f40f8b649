//! Ambient multicluster: the east-west gateway as a Gateway API `Gateway` (istiod deploys
//! it), and one `istio-remote` peer Gateway per remote network this cluster may call.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::Generated;
use crate::config::{Cluster, Mesh, ServiceType};
use crate::transform::istio::{self, HBONE_PORT, NETWORK_LABEL};

fn tls_passthrough_listener(name: &str, port: u16, protocol: &str) -> Value {
    json!({"name": name, "port": port, "protocol": protocol, "tls": {"mode": "Passthrough"}})
}

/// This cluster's east-west gateway. The name override pins the Deployment and
/// ServiceAccount istiod creates to the Gateway's own name, which peers refer to.
pub fn eastwest_gateway(mesh: &Mesh, revision: Option<&str>) -> Generated {
    let gw = &mesh.cluster().gateway;
    let mut labels = json!({ NETWORK_LABEL: mesh.network() });
    if let Some(rev) = revision {
        // Only the istiod of that revision claims the Gateway (pkg/revisions/tag_watcher.go).
        labels[istio::REVISION_LABEL] = json!(rev);
    }
    let listeners = vec![json!({
        "name": "mesh",
        "port": HBONE_PORT,
        "protocol": "HBONE",
        "tls": {"mode": "Terminate", "options": {"gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL"}},
    })];
    let mut annotations = json!({"gateway.istio.io/name-override": gw.name});
    for (k, v) in &gw.annotations {
        annotations[k] = json!(v);
    }
    if gw.service_type != ServiceType::LoadBalancer {
        // istiod creates the Service with this type
        // (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go).
        annotations[istio::SERVICE_TYPE_ANNOTATION] = json!(gw.service_type.as_str());
    }
    let mut spec = json!({"gatewayClassName": "istio-east-west", "listeners": listeners});
    if let Some(ip) = &gw.load_balancer_ip {
        // The Gateway API way to ask for a fixed load balancer address.
        spec["addresses"] = json!([{"type": "IPAddress", "value": ip}]);
    }
    let value = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": gw.name, "namespace": gw.namespace, "labels": labels, "annotations": annotations},
        "spec": spec,
    });
    Generated { value, file: "eastwest-gateway" }
}

/// How a remote's gateway is addressed: Gateway API wants the type spelled out (istiod
/// skips untyped entries).
fn address(address: &str) -> Value {
    let kind = if address.parse::<IpAddr>().is_ok() { "IPAddress" } else { "Hostname" };
    json!({"type": kind, "value": address})
}

/// A remote network's gateway as this cluster's istiod sees it. It lives in the peer's
/// own gateway namespace: istiod takes the gateway identity's namespace from the peer
/// Gateway's namespace (pilot/pkg/serviceregistry/ambient/networks.go) and ztunnel checks
/// the tunnel's SAN against it (ztunnel src/state.rs). The HBONE listener's port is the
/// port this cluster dials (networks.go reads it as the gateway's HBONE port).
pub fn peer_gateway(mesh: &Mesh, peer: &Cluster) -> Generated {
    let (dial_address, dial_port) = mesh.dial(peer, &mesh.cluster().name);
    let listeners = vec![tls_passthrough_listener("cross-network", dial_port as u16, "HBONE")];
    let value = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": format!("istio-remote-peer-{}", peer.name),
            "namespace": peer.gateway.namespace,
            "labels": { NETWORK_LABEL: peer.network },
            // The gateway's identity is <namespace>/<this account> (kube.GatewaySA in
            // pilot/pkg/serviceregistry/kube/conversion.go); its trust domain is always the
            // local mesh's (ambient/workloads.go convertGateway, pickTrustDomain).
            "annotations": { "gateway.istio.io/service-account": peer.gateway.name },
        },
        "spec": {"gatewayClassName": "istio-remote", "addresses": [address(&dial_address)], "listeners": listeners},
    });
    Generated { value, file: "peer-gateways" }
}
