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
use crate::config::{Cluster, Mesh, Service};
use crate::error::Error;
use crate::read::Object;
use crate::transform::istio::TLS_MODE_LABEL;
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

/// How the rendered cluster's istiod learns a service.
pub enum Shape<'a> {
    /// It runs only outside this istiod's clusters: one ServiceEntry whose address-less
    /// endpoints istiod swaps for each remote network's gateway.
    Import { remotes: Vec<&'a Cluster> },
    /// It runs in a cluster this istiod serves: the local instances (the Kubernetes
    /// Service, or a ServiceEntry selecting the pods for a custom host) plus one
    /// address-less WorkloadEntry per remote network that runs it.
    Local { outside: Vec<&'a Cluster>, places: usize },
}

/// One shape per service, in config order. Never two objects with the same host in one
/// config cluster: istio/istio pilot/pkg/model/push_context.go resolves a host defined
/// twice by creation time, so an import beside an export would hide one of them.
pub fn plan(mesh: &Mesh) -> Vec<(usize, &Service, Shape<'_>)> {
    let mut out = Vec::new();
    let me = &mesh.cluster().name;
    for (index, svc) in mesh.spec.services.iter().enumerate() {
        if mesh.ambient() {
            // Ambient: the exported Service (labelled istio.io/global) is the local half,
            // and a cluster that runs the service calls its own instances.
            if svc.clusters.contains(me) {
                continue;
            }
            let remotes: Vec<&Cluster> = mesh.callable_peers().filter(|p| svc.clusters.contains(&p.name)).collect();
            if !remotes.is_empty() {
                out.push((index, svc, Shape::Import { remotes }));
            }
            continue;
        }
        let group = mesh.config_group();
        let in_group = group.iter().filter(|c| svc.clusters.contains(&c.name)).count();
        let outside: Vec<&Cluster> =
            mesh.group_callable_peers().into_iter().filter(|p| svc.clusters.contains(&p.name)).collect();
        if in_group > 0 {
            let places = in_group + outside.len();
            out.push((index, svc, Shape::Local { outside, places }));
        } else if !outside.is_empty() {
            out.push((index, svc, Shape::Import { remotes: outside }));
        }
    }
    out
}

/// Hosts that need a ServiceEntry where the service runs: all but the Kubernetes
/// Service's own name, which the Service already defines.
fn custom_hosts(svc: &Service) -> Vec<&str> {
    let own = svc.kubernetes_host();
    svc.hosts.iter().map(String::as_str).filter(|h| *h != own).collect()
}

/// Does the local half of `svc` consist of any object at all?
pub fn needs_local_objects(svc: &Service, outside: &[&Cluster]) -> bool {
    !custom_hosts(svc).is_empty() || !outside.is_empty() || !svc.failover.is_empty()
}

/// The endpoint (or WorkloadEntry spec) for a remote network: no address, the network,
/// the locality, and the label that turns on auto-mTLS (without it the client sends plain
/// text and the gateway resets it). istio/istio pilot/pkg/xds/endpoints/endpoint_builder.go
/// replaces an endpoint on another network by that network's gateway.
fn remote_endpoint(peer: &Cluster, extra_labels: &BTreeMap<String, String>) -> Value {
    let mut labels: serde_json::Map<String, Value> = extra_labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    labels.insert(TLS_MODE_LABEL.0.to_owned(), json!(TLS_MODE_LABEL.1));
    let mut endpoint = json!({"network": peer.network, "labels": labels});
    if let Some(locality) = &peer.locality {
        endpoint["locality"] = json!(locality);
    }
    endpoint
}

/// The import half, for a cluster that may call the service's remote instances.
pub fn import(mesh: &Mesh, svc: &Service, remotes: &[&Cluster]) -> Vec<Generated> {
    let vips = vips(mesh);
    let Some(vip) = vips.get(&(svc.namespace.clone(), svc.name.clone())) else { return Vec::new() };
    let endpoints: Vec<Value> = remotes.iter().map(|peer| remote_endpoint(peer, &BTreeMap::new())).collect();
    let mut entry = json!({
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
    if mesh.ambient() {
        entry["spec"]["subjectAltNames"] = json!(ambient_sans(mesh, svc, remotes));
    }
    let file = "service-imports";
    let mut out = vec![Generated { value: entry, file }];
    if remotes.len() > 1 || !svc.failover.is_empty() {
        out.extend(destination_rules(mesh, svc, file));
    }
    out
}

/// Ambient: the identities a caller's ztunnel accepts at the far end of the inner tunnel.
/// Through an east-west gateway ztunnel checks the inner TLS peer only against the
/// service's SANs (ztunnel src/proxy/outbound.rs build_request_through_gateway,
/// `final_sans: upstream.service_sans()`; src/tls/workload.rs IdentityVerifier), and for a
/// ServiceEntry those are its `subjectAltNames` (istio/istio
/// pilot/pkg/serviceregistry/ambient/services.go); none would fail every handshake.
/// `spiffe://<trust domain>/ns/<namespace>/sa/<account>` as pkg/spiffe writes it.
pub fn ambient_sans(mesh: &Mesh, svc: &Service, remotes: &[&Cluster]) -> Vec<String> {
    let default = ["default".to_owned()];
    let accounts: &[String] = if svc.service_accounts.is_empty() { &default } else { &svc.service_accounts };
    let mut sans: Vec<String> = remotes
        .iter()
        .flat_map(|peer| {
            let td = mesh.trust_domain_of(peer);
            accounts.iter().map(move |sa| format!("spiffe://{td}/ns/{}/sa/{sa}", svc.namespace))
        })
        .collect();
    sans.sort();
    sans.dedup();
    sans
}

/// Instances in more than one place: outlier detection switches on locality-aware
/// balancing (istio/istio pilot/pkg/networking/core/loadbalancer/loadbalancer.go applies
/// locality LB only with outlier detection), so calls stay local while they can;
/// `failover` orders the regions explicitly, the same in every cluster.
fn destination_rules(mesh: &Mesh, svc: &Service, file: &'static str) -> Vec<Generated> {
    // Without maxEjectionPercent Istio leaves Envoy's default of 10% (at least one host;
    // istio/istio pilot/pkg/networking/core/cluster_traffic_policy.go applyOutlierDetection),
    // so a locality with several failing endpoints would never be emptied and traffic would
    // not fail over; Istio's own failover test ejects up to 100%
    // (tests/integration/pilot/locality_test.go).
    let mut policy = json!({
        "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s", "maxEjectionPercent": 100},
    });
    let regions: Vec<&str> = svc
        .failover
        .iter()
        .filter_map(|c| mesh.cluster_named(c)?.locality.as_deref())
        .map(|l| l.split('/').next().unwrap_or(l))
        .collect();
    if regions.len() > 1 {
        let pairs: Vec<Value> = regions.windows(2).map(|w| json!({"from": w[0], "to": w[1]})).collect();
        policy["loadBalancer"] = json!({"localityLbSetting": {"enabled": true, "failover": pairs}});
    }
    svc.hosts
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = if i == 0 { svc.name.clone() } else { format!("{}-{i}", svc.name) };
            Generated {
                value: json!({
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "DestinationRule",
                    "metadata": {"name": format!("{name}-locality"), "namespace": svc.namespace},
                    "spec": {"host": host, "trafficPolicy": policy},
                }),
                file,
            }
        })
        .collect()
}

/// The local half, where the service runs in a cluster this istiod serves: a ServiceEntry
/// selecting the pods for each host that is not the Kubernetes Service's own (so the
/// gateway can resolve the SNI; on a primary it also selects the remotes' pods,
/// PILOT_ENABLE_SERVICEENTRY_SELECT_PODS in kube/controller/multicluster.go), and one
/// address-less WorkloadEntry per remote network that runs it. The WorkloadEntries carry
/// the pods' labels, so that ServiceEntry and the Kubernetes Service both select them
/// (serviceentry/conversion.go converts them exactly like inline endpoints; the kube
/// controller's WorkloadInstanceHandler adds them to matching Services).
pub fn local(
    mesh: &Mesh,
    svc: &Service,
    index: usize,
    stream_service: Option<&Object>,
    outside: &[&Cluster],
    places: usize,
) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    if !needs_local_objects(svc, outside) {
        return Ok(out);
    }
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
    // The WorkloadEntries must match the Kubernetes Service's whole selector to be
    // selected by it (istio/istio pilot/pkg/serviceregistry/kube/controller/controller.go
    // serviceInstancesFromWorkloadInstances: `selector.Match(wi.Endpoint.Labels)`), and the
    // configured selector for the exporting ServiceEntry: they carry both.
    let mut entry_labels = selector.clone();
    let service_selector = stream_service.and_then(|s| s.node.path(&["spec", "selector"]));
    for (k, v) in service_selector.map_or(&[][..], Node::entries) {
        let (Some(k), Some(v)) = (k.as_str(), v.scalar_text()) else { continue };
        match entry_labels.get(k) {
            Some(ours) if ours != v => {
                return Err(Error::config(
                    field(&format!(".selector[{k:?}]")),
                    format!("is {ours:?} but Service {} selects {k}={v:?}: its pods must match both", svc.name),
                ))
            }
            _ => {
                entry_labels.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    let mut ports = Vec::new();
    for (j, p) in svc.ports.iter().enumerate() {
        // The port is part of the SNI callers send: it must exist on the Service.
        let from_service = match stream_service {
            Some(service) => Some(
                target_port_of(service, p.number)
                    .map_err(|m| Error::config(field(&format!(".ports[{j}].number")), m))?,
            ),
            None => None,
        };
        let target = match (p.target_port, from_service) {
            (Some(t), _) => t,
            (None, Some(Ok(t))) => t,
            (None, Some(Err(m))) => return Err(Error::config(field(&format!(".ports[{j}].targetPort")), m)),
            (None, None) => p.number,
        };
        ports.push(json!({"number": p.number, "protocol": p.protocol, "name": p.name, "targetPort": target}));
    }
    let hosts = custom_hosts(svc);
    let file = "service-exports";
    if !hosts.is_empty() {
        out.push(Generated {
            value: json!({
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": {"name": format!("{}-export", svc.name), "namespace": svc.namespace},
                "spec": {
                    "hosts": hosts,
                    "ports": ports,
                    "location": "MESH_INTERNAL",
                    "resolution": "STATIC",
                    "workloadSelector": {"labels": selector},
                },
            }),
            file,
        });
    }
    for peer in outside {
        out.push(Generated {
            value: json!({
                "apiVersion": "networking.istio.io/v1",
                "kind": "WorkloadEntry",
                "metadata": {"name": format!("{}-{}", svc.name, peer.name), "namespace": svc.namespace},
                "spec": remote_endpoint(peer, &entry_labels),
            }),
            file,
        });
    }
    if places > 1 || !svc.failover.is_empty() {
        out.extend(destination_rules(mesh, svc, file));
    }
    Ok(out)
}

/// The numeric targetPort the stream's Service maps `port` to. Outer error: the Service
/// has no such port; inner error: it maps it to a named port.
fn target_port_of(service: &Object, port: u64) -> Result<Result<u64, String>, String> {
    let ports = service.node.path(&["spec", "ports"]).map_or(&[][..], Node::items);
    let Some(entry) =
        ports.iter().find(|p| p.get("port").and_then(Node::scalar_text) == Some(port.to_string().as_str()))
    else {
        return Err(format!(
            "Service {} has no port {port}, and the port is part of the SNI callers send",
            service.name
        ));
    };
    Ok(match entry.get("targetPort") {
        None => Ok(port),
        Some(t) => match t.scalar_text().and_then(|s| s.parse::<u64>().ok()) {
            Some(n) if (1..=65535).contains(&n) => Ok(n),
            _ => Err(format!(
                "Service {} maps port {port} to a named targetPort; set targetPort to the number",
                service.name
            )),
        },
    })
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
