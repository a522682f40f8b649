//! ServiceEntries that route one network's calls to another network's workloads.
//!
//! How Istio makes it work: the caller's sidecar opens mTLS to the remote east-west
//! gateway's 15443 with SNI `outbound_.<port>_._.<host>`; the AUTO_PASSTHROUGH gateway
//! forwards that SNI only to a MESH_INTERNAL service that exists under that host in *its
//! own* registry. So every exported service has two halves:
//! - import (callers): the host with a VIP, and an endpoint that has no address but a
//!   remote `network`. istiod swaps such an endpoint for that network's gateway
//!   (meshNetworks or the peer Gateway), and the `tlsMode: istio` label turns on auto-mTLS.
//! - export (where it runs): the same host selecting the local pods, so the gateway can
//!   resolve the SNI.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::Generated;
use crate::config::{Mesh, Service};
use crate::error::Error;
use crate::read::Object;
use crate::yaml::Node;

/// Istio's own auto-allocation range for ServiceEntry VIPs (Class E, never routed).
const VIP_PREFIX: [u8; 2] = [240, 240];

fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// A stable VIP per service, the same in every cluster: hashed from the service's first
/// host, probing past collisions in a fixed (sorted) order so every cluster agrees.
pub fn vips(mesh: &Mesh) -> HashMap<(String, String), String> {
    let mut keys: Vec<(&str, &str, &str)> =
        mesh.spec.services.iter().map(|s| (s.hosts[0].as_str(), s.namespace.as_str(), s.name.as_str())).collect();
    keys.sort();
    let mut taken = std::collections::HashSet::new();
    let mut out = HashMap::new();
    for (host, ns, name) in keys {
        let mut slot = fnv1a(host) % 65536;
        // Skip network (.0) and broadcast-looking (.255) last octets, and taken slots.
        while slot % 256 == 0 || slot % 256 == 255 || !taken.insert(slot) {
            slot = (slot + 1) % 65536;
        }
        let ip = format!("{}.{}.{}.{}", VIP_PREFIX[0], VIP_PREFIX[1], slot / 256, slot % 256);
        out.insert((ns.to_owned(), name.to_owned()), ip);
    }
    out
}

fn ports(svc: &Service) -> Vec<Value> {
    svc.ports.iter().map(|p| json!({"number": p.number, "protocol": p.protocol, "name": p.name})).collect()
}

/// The import half, for a cluster that may call the service's remote instances.
pub fn import(mesh: &Mesh, svc: &Service, vip: &str) -> Vec<Generated> {
    let me = &mesh.cluster().name;
    let remotes: Vec<_> = mesh.callable_peers().filter(|peer| svc.clusters.iter().any(|c| c == &peer.name)).collect();
    if remotes.is_empty() {
        return Vec::new();
    }
    let endpoints: Vec<Value> = remotes
        .iter()
        .map(|peer| {
            let mut endpoint = json!({
                "network": peer.network,
                // Without it the client sends plain text and the gateway resets it.
                "labels": {"security.istio.io/tlsMode": "istio"},
            });
            if let Some(locality) = &peer.locality {
                endpoint["locality"] = json!(locality);
            }
            endpoint
        })
        .collect();
    let entry = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": format!("{}-import", svc.name), "namespace": svc.namespace},
        "spec": {
            "hosts": svc.hosts,
            "addresses": [vip],
            "ports": ports(svc),
            "location": "MESH_INTERNAL",
            "resolution": "STATIC",
            "endpoints": endpoints,
        },
    });
    let file = "service-imports";
    let mut out = vec![Generated { value: entry, file }];
    // Instances in more than one place: outlier detection switches on locality-aware
    // balancing, so calls stay local (or nearest) while healthy instances exist there.
    let runs_here = svc.clusters.iter().any(|c| c == me);
    if runs_here || remotes.len() > 1 {
        for (i, host) in svc.hosts.iter().enumerate() {
            let name = if i == 0 { svc.name.clone() } else { format!("{}-{i}", svc.name) };
            out.push(Generated {
                value: json!({
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "DestinationRule",
                    "metadata": {"name": format!("{name}-locality"), "namespace": svc.namespace},
                    "spec": {
                        "host": host,
                        "trafficPolicy": {
                            "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s"},
                        },
                    },
                }),
                file,
            });
        }
    }
    out
}

/// The export half: the host, selecting the Service's pods, so the local east-west
/// gateway can resolve what callers ask for.
pub fn export(svc: &Service, index: usize, stream_service: Option<&Object>) -> Result<Generated, Error> {
    let field = |rest: &str| format!("spec.services[{index}]{rest}");
    let selector: BTreeMap<String, String> = match stream_service.and_then(|s| s.node.path(&["spec", "selector"])) {
        Some(sel) if !sel.entries().is_empty() && svc.selector.is_empty() => {
            sel.entries().iter().filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned()))).collect()
        }
        _ => svc.selector.clone(),
    };
    if selector.is_empty() {
        return Err(Error::config(
            field(".selector"),
            format!(
                "the pods of {}/{} are unknown: its Service is not in the stream, so set selector",
                svc.namespace, svc.name
            ),
        ));
    }
    let mut ports = Vec::new();
    for (j, p) in svc.ports.iter().enumerate() {
        let target = match (p.target_port, stream_service) {
            (Some(t), _) => t,
            (None, Some(service)) => target_port_of(service, p.number)
                .map_err(|m| Error::config(field(&format!(".ports[{j}].targetPort")), m))?,
            (None, None) => p.number,
        };
        ports.push(json!({"number": p.number, "protocol": p.protocol, "name": p.name, "targetPort": target}));
    }
    Ok(Generated {
        value: json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": format!("{}-export", svc.name), "namespace": svc.namespace},
            "spec": {
                "hosts": svc.hosts,
                "ports": ports,
                "location": "MESH_INTERNAL",
                "resolution": "STATIC",
                "workloadSelector": {"labels": selector},
            },
        }),
        file: "service-exports",
    })
}

/// The numeric targetPort the stream's Service maps `port` to.
fn target_port_of(service: &Object, port: u64) -> Result<u64, String> {
    let ports = service.node.path(&["spec", "ports"]).map_or(&[][..], Node::items);
    let Some(entry) =
        ports.iter().find(|p| p.get("port").and_then(Node::scalar_text) == Some(port.to_string().as_str()))
    else {
        return Err(format!("Service {} has no port {port}", service.name));
    };
    match entry.get("targetPort") {
        None => Ok(port),
        Some(t) => match t.scalar_text().and_then(|s| s.parse::<u64>().ok()) {
            Some(n) if (1..=65535).contains(&n) => Ok(n),
            _ => Err(format!(
                "Service {} maps port {port} to a named targetPort; set targetPort to the number",
                service.name
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vips_are_stable_distinct_and_in_range() {
        let text = include_str!("../../testdata/configs/two-clusters.yaml");
        let mesh = crate::config::from_text(text, "t", None).expect("config");
        let a = vips(&mesh);
        let b = vips(&mesh);
        assert_eq!(a, b);
        let ip = &a[&("echo".to_owned(), "echo".to_owned())];
        assert!(ip.starts_with("240.240."), "{ip}");
        assert!(!ip.ends_with(".0") && !ip.ends_with(".255"));
    }
}
