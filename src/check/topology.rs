//! The config seen as the whole mesh (no "current cluster"): who runs what, who may call
//! whom, and how each gateway is reached.
//!
//! The config is validated by `eastwest::config`; fields newer than this checker's config
//! struct (a remote's `primary`, `nodePort`, `externalPort`, `addressFrom`, `exposeAll`,
//! default hosts) are read from the raw document when present, so the checker follows the
//! generator as it grows.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::{self, Mesh, Role, ServiceType};
use crate::error::Error;

pub struct Topology {
    pub mesh: Mesh,
    pub mesh_id: String,
    pub trust_domain: String,
    pub ambient: bool,
    pub istio_namespace: String,
    pub clusters: Vec<ClusterView>,
    pub services: Vec<ServiceView>,
}

pub struct ClusterView {
    pub name: String,
    pub network: String,
    pub role: Role,
    /// The cluster whose istiod serves this one and holds its Istio config (a remote's primary).
    pub config_cluster: String,
    /// The cluster's own SPIFFE trust domain (`clusters[].trustDomain`), else the mesh's.
    pub trust_domain: String,
    pub gateway: GatewayView,
}

pub struct GatewayView {
    pub address: String,
    /// Per caller cluster, the address that caller dials instead.
    pub address_from: BTreeMap<String, String>,
    /// The port the gateway pods listen on for mTLS passthrough.
    pub port: u64,
    pub name: String,
    pub namespace: String,
    pub service_type: ServiceType,
    pub node_port: Option<u64>,
    pub external_port: Option<u64>,
}

impl GatewayView {
    pub fn address_for(&self, caller: &str) -> &str {
        self.address_from.get(caller).map_or(self.address.as_str(), String::as_str)
    }
}

pub struct ServiceView {
    pub name: String,
    pub namespace: String,
    pub clusters: Vec<String>,
    pub hosts: Vec<String>,
    pub ports: Vec<PortView>,
}

pub struct PortView {
    pub name: String,
    pub number: u64,
    pub protocol: String,
}

impl ServiceView {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl Topology {
    pub fn cluster(&self, name: &str) -> Option<&ClusterView> {
        self.clusters.iter().find(|c| c.name == name)
    }

    pub fn can_call(&self, from: &str, to: &str) -> bool {
        self.mesh.can_call(from, to)
    }

    /// Clusters running `svc` that `from` may call across networks.
    pub fn targets<'a>(&'a self, from: &'a str, svc: &'a ServiceView) -> impl Iterator<Item = &'a ClusterView> + 'a {
        self.clusters
            .iter()
            .filter(move |c| c.name != from && svc.clusters.contains(&c.name) && self.can_call(from, &c.name))
    }
}

/// Read and validate the config text as the whole mesh.
pub fn from_text(text: &str, origin: &str) -> Result<Topology, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = crate::yaml::parse_documents(text, 0).map_err(|e| {
        let (line, col) = crate::read::line_col(text, e.offset);
        Error::config("", format!("{origin}: invalid YAML at line {line} column {col}: {}", e.message))
    })?;
    let raw = docs
        .iter()
        .filter(|d| !d.root.is_null())
        .map(|d| crate::read::node_json(&d.root))
        .find(|v| v.get("kind").and_then(Value::as_str) == Some(config::KIND))
        .ok_or_else(|| Error::config("", format!("{origin}: no document with kind {}", config::KIND)))?;
    // Validation wants a rendered cluster; any will do, check reads the mesh as a whole.
    let first = raw.pointer("/spec/clusters/0/name").and_then(Value::as_str).map(str::to_owned);
    let mesh = config::from_value(raw.clone(), first.as_deref())?;
    Ok(build(mesh, &raw))
}

fn build(mesh: Mesh, raw: &Value) -> Topology {
    let spec = &mesh.spec;
    let raw_cluster = |i: usize| raw.pointer(&format!("/spec/clusters/{i}")).cloned().unwrap_or(Value::Null);
    let first_primary = spec.clusters.iter().find(|c| c.role == Role::Primary).map(|c| c.name.clone());
    let clusters = spec
        .clusters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let rc = raw_cluster(i);
            let primary = rc.get("primary").and_then(Value::as_str).map(str::to_owned);
            let config_cluster = match c.role {
                Role::Primary => c.name.clone(),
                Role::Remote => primary.or_else(|| first_primary.clone()).unwrap_or_else(|| c.name.clone()),
            };
            let g = rc.get("gateway").cloned().unwrap_or(Value::Null);
            let address_from = g
                .get("addressFrom")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            // `{caller: address}` or `{caller: {address: ...}}`.
                            let a = v.as_str().or_else(|| v.get("address").and_then(Value::as_str))?;
                            Some((k.clone(), a.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let node_port = g.get("nodePort").and_then(Value::as_u64);
            ClusterView {
                name: c.name.clone(),
                network: c.network.clone(),
                role: c.role,
                config_cluster,
                trust_domain: rc
                    .get("trustDomain")
                    .and_then(Value::as_str)
                    .map_or_else(|| spec.trust_domain.clone(), str::to_owned),
                gateway: GatewayView {
                    address: c.gateway.address.clone(),
                    address_from,
                    port: c.gateway.port,
                    name: c.gateway.name.clone(),
                    namespace: c.gateway.namespace.clone(),
                    service_type: c.gateway.service_type,
                    node_port,
                    external_port: g.get("externalPort").and_then(Value::as_u64),
                },
            }
        })
        .collect();
    let services = spec
        .services
        .iter()
        .map(|s| ServiceView {
            name: s.name.clone(),
            namespace: s.namespace.clone(),
            clusters: s.clusters.clone(),
            hosts: if s.hosts.is_empty() {
                vec![format!("{}.{}.svc.cluster.local", s.name, s.namespace)]
            } else {
                s.hosts.clone()
            },
            ports: s
                .ports
                .iter()
                .map(|p| PortView { name: p.name.clone(), number: p.number, protocol: p.protocol.clone() })
                .collect(),
        })
        .collect();
    Topology {
        mesh_id: spec.mesh_id.clone(),
        trust_domain: spec.trust_domain.clone(),
        ambient: mesh.ambient(),
        istio_namespace: spec.istio_namespace.clone(),
        clusters,
        services,
        mesh,
    }
}
