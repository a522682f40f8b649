//! Ambient multicluster: the east-west gateway as a Gateway API `Gateway` (istiod deploys
//! it), and one `istio-remote` peer Gateway per remote network this cluster may call.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::Generated;
use crate::config::{Cluster, Mesh};
use crate::transform::istio::NETWORK_LABEL;

/// HBONE, the tunnel port every ambient cross-network connection uses.
const HBONE_PORT: u16 = 15008;

fn tls_passthrough_listener(name: &str, port: u16, protocol: &str) -> Value {
    json!({"name": name, "port": port, "protocol": protocol, "tls": {"mode": "Passthrough"}})
}

/// This cluster's east-west gateway. The name override pins the Deployment and
/// ServiceAccount istiod creates to the Gateway's own name, which peers refer to.
pub fn eastwest_gateway(mesh: &Mesh) -> Generated {
    let gw = &mesh.cluster().gateway;
    let mut labels = json!({ NETWORK_LABEL: mesh.network() });
    let mut listeners = vec![json!({
        "name": "mesh",
        "port": HBONE_PORT,
        "protocol": "HBONE",
        "tls": {"mode": "Terminate", "options": {"gateway.istio.io/tls-terminate-mode": "ISTIO_MUTUAL"}},
    })];
    if gw.expose_istiod {
        labels["istio.io/expose-istiod"] = json!("15012");
        listeners.push(tls_passthrough_listener("xds-tls", 15012, "TLS"));
    }
    let mut annotations = json!({"gateway.istio.io/name-override": gw.name});
    for (k, v) in &gw.annotations {
        annotations[k] = json!(v);
    }
    let value = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": gw.name, "namespace": gw.namespace, "labels": labels, "annotations": annotations},
        "spec": {"gatewayClassName": "istio-east-west", "listeners": listeners},
    });
    Generated { value, file: "eastwest-gateway" }
}

/// How a remote's gateway is addressed: Gateway API wants the type spelled out (istiod
/// skips untyped entries).
fn address(peer: &Cluster) -> Value {
    let kind = if peer.gateway.address.parse::<IpAddr>().is_ok() { "IPAddress" } else { "Hostname" };
    json!({"type": kind, "value": peer.gateway.address})
}

pub fn peer_gateway(mesh: &Mesh, peer: &Cluster) -> Generated {
    let mut listeners = vec![tls_passthrough_listener("cross-network", HBONE_PORT, "HBONE")];
    if peer.gateway.expose_istiod {
        listeners.push(tls_passthrough_listener("xds-tls", 15012, "TLS"));
    }
    let value = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": format!("istio-remote-peer-{}", peer.name),
            "namespace": mesh.spec.istio_namespace,
            "labels": { NETWORK_LABEL: peer.network },
            "annotations": {
                "gateway.istio.io/service-account": peer.gateway.name,
                "gateway.istio.io/trust-domain": mesh.spec.trust_domain,
            },
        },
        "spec": {"gatewayClassName": "istio-remote", "addresses": [address(peer)], "listeners": listeners},
    });
    Generated { value, file: "peer-gateways" }
}
