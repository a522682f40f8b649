//! The `MeshNetwork` config resource: what the whole mesh looks like, and which cluster is
//! being rendered.
//!
//! The field names are a contract shared with users' files, kustomize configs and tests;
//! unknown fields are errors so that a typo never silently changes nothing.

mod validate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::yaml::parse_documents;

pub const API_VERSION: &str = "eastwest.dev/v1alpha1";
pub const KIND: &str = "MeshNetwork";

/// The config document as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "MeshNetwork", description = "eastwest config: the clusters and networks of one Istio mesh")]
pub struct MeshNetwork {
    /// Must be `eastwest.dev/v1alpha1`.
    pub api_version: String,
    /// Must be `MeshNetwork`.
    pub kind: String,
    #[serde(default)]
    pub metadata: Metadata,
    pub spec: Spec,
}

/// Only what tools put on a config resource; kustomize and kpt add annotations.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Envoy sidecars; cross-network traffic goes through a gateway's 15443 (mTLS with SNI).
    #[default]
    Sidecar,
    /// ztunnel and waypoints; cross-network traffic is HBONE to the gateway's 15008.
    Ambient,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    /// Istio's meshID, the same in every cluster.
    #[serde(rename = "meshID")]
    pub mesh_id: String,
    /// SPIFFE trust domain shared by all clusters.
    #[serde(default = "default_trust_domain")]
    pub trust_domain: String,
    #[serde(default)]
    pub mode: Mode,
    /// The cluster being rendered (`--cluster NAME` overrides it).
    #[serde(default)]
    pub cluster: Option<String>,
    /// Every cluster of the mesh, one network each.
    pub clusters: Vec<Cluster>,
    /// Which cluster may call which. Absent: every cluster may call every other.
    #[serde(default)]
    pub links: Option<Vec<Link>>,
    /// Services callable across networks.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Namespaces whose workloads get the network label (besides Istio's own).
    #[serde(default)]
    pub workload_namespaces: Vec<String>,
    /// Namespace of the control plane.
    #[serde(default = "default_istio_namespace")]
    pub istio_namespace: String,
    /// Extra environment variables per component, set as written.
    #[serde(default)]
    pub env: ComponentEnv,
    /// Replace a different existing network label or mesh value instead of failing.
    #[serde(default)]
    pub override_existing: bool,
    /// Switch generated groups of resources on or off.
    #[serde(default)]
    pub generate: Generate,
    /// The shared root of trust: where each cluster's istiod gets its signing intermediate.
    #[serde(default)]
    pub trust: Trust,
    /// The control plane's revision (`istio.io/rev`), when istiod runs as `istiod-<revision>`.
    /// Absent: taken from the istiod Deployment in the stream, else none.
    #[serde(default)]
    pub revision: Option<String>,
    /// Forward every `*.local` service through the east-west gateway (Istio's samples),
    /// instead of only the exported hosts.
    #[serde(default)]
    pub expose_all: bool,
}

fn default_trust_domain() -> String {
    "cluster.local".to_owned()
}

fn default_istio_namespace() -> String {
    "istio-system".to_owned()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    pub network: String,
    /// `region[/zone[/subzone]]`.
    #[serde(default)]
    pub locality: Option<String>,
    /// `primary` runs istiod; a `remote` is served by a primary's istiod (exposed to it).
    #[serde(default)]
    pub role: Role,
    /// A remote's primary: the cluster whose istiod serves it and holds its Istio config.
    /// Default: the mesh's only primary.
    #[serde(default)]
    pub primary: Option<String>,
    pub gateway: GatewayConfig,
    /// This cluster's SPIFFE trust domain, when it differs from `spec.trustDomain`
    /// (meshes being merged); the other clusters then accept it as an alias.
    #[serde(default)]
    pub trust_domain: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Primary,
    Remote,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayConfig {
    /// How other networks reach this cluster's east-west gateway: an IP or a DNS name
    /// (a load balancer hostname works).
    pub address: String,
    /// Port other networks use for mTLS passthrough (sidecar) traffic.
    #[serde(default = "default_tls_port")]
    pub port: u64,
    #[serde(default = "default_gateway_name")]
    pub name: String,
    #[serde(default = "default_istio_namespace")]
    pub namespace: String,
    #[serde(default)]
    pub service_type: ServiceType,
    /// Annotations for the gateway Service (cloud load balancer settings).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    /// Refused when true: Istio reads no such setting (sidecar mode uses
    /// `spec.generate.exposeIstiod`). Kept so old configs fail with a clear message.
    #[serde(default)]
    pub expose_istiod: bool,
    /// `serviceType: NodePort`: the node port pinned for the mTLS port (default 31443),
    /// which other clusters dial.
    #[serde(default)]
    pub node_port: Option<u64>,
    /// The port other clusters dial when a load balancer maps it to the gateway's port
    /// (443 outside, 15443 on the gateway).
    #[serde(default)]
    pub external_port: Option<u64>,
    /// Per caller cluster, the address that caller reaches this gateway at (private links, NAT).
    #[serde(default)]
    pub address_from: BTreeMap<String, String>,
}

/// The node port pinned for the mTLS port of a NodePort gateway, unless configured.
pub const DEFAULT_NODE_PORT: u64 = 31443;

impl GatewayConfig {
    pub fn node_port(&self) -> u64 {
        self.node_port.unwrap_or(DEFAULT_NODE_PORT)
    }
}

impl Service {
    /// The Kubernetes Service's own name: what callers use in ambient, and the default host.
    pub fn kubernetes_host(&self) -> String {
        format!("{}.{}.svc.cluster.local", self.name, self.namespace)
    }
}

fn default_tls_port() -> u64 {
    15443
}

fn default_gateway_name() -> String {
    "istio-eastwestgateway".to_owned()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ServiceType {
    #[default]
    LoadBalancer,
    NodePort,
    ClusterIP,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::NodePort => "NodePort",
            ServiceType::ClusterIP => "ClusterIP",
        }
    }
}

/// `from` may call services running in `to` (through `to`'s gateway).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Link {
    pub from: String,
    pub to: String,
    /// Also let `to` call `from`.
    #[serde(default)]
    pub bidirectional: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Service {
    pub name: String,
    pub namespace: String,
    /// Clusters the service runs in.
    pub clusters: Vec<String>,
    /// Host names callers use. Default (and in ambient the only choice): the Service's
    /// FQDN `<name>.<namespace>.svc.cluster.local`.
    #[serde(default)]
    pub hosts: Vec<String>,
    pub ports: Vec<ServicePort>,
    /// Pod labels of the service's workloads, when its Service is not in the stream.
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// Clusters in failover order, written as `localityLbSetting` in every cluster.
    #[serde(default)]
    pub failover: Vec<String>,
    /// Ambient: the Kubernetes service accounts the service's pods run as. A caller's
    /// ztunnel accepts the far end of the tunnel only under these identities (the imported
    /// ServiceEntry's `subjectAltNames`). Absent: `default`, with a warning.
    #[serde(default)]
    pub service_accounts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServicePort {
    pub name: String,
    pub number: u64,
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// The workloads' port, when the Service is not in the stream (default: `number`).
    #[serde(default)]
    pub target_port: Option<u64>,
}

fn default_protocol() -> String {
    "TCP".to_owned()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentEnv {
    #[serde(default)]
    pub istiod: BTreeMap<String, String>,
    #[serde(default)]
    pub gateway: BTreeMap<String, String>,
    #[serde(default)]
    pub ztunnel: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Generate {
    /// Sidecar: the gateway Deployment, Service and RBAC. Ambient: the Gateway API Gateway.
    #[serde(default = "yes")]
    pub east_west_gateway: bool,
    /// The Gateway that passes other networks' mTLS through to local services.
    #[serde(default = "yes")]
    pub expose_services: bool,
    /// Expose istiod through the gateway (automatic when a remote cluster is in the mesh).
    #[serde(default)]
    pub expose_istiod: Option<bool>,
    /// meshNetworks in the `istio` ConfigMap (sidecar).
    #[serde(default = "yes")]
    pub mesh_networks: bool,
    /// ServiceEntries (and DestinationRules) for cross-network services.
    #[serde(default = "yes")]
    pub service_entries: bool,
    /// Ambient: the remote networks' peer Gateways.
    #[serde(default = "yes")]
    pub peer_gateways: bool,
    /// The istio-system Namespace with its network label, when the stream lacks it.
    #[serde(default = "yes")]
    pub namespace: bool,
}

fn yes() -> bool {
    true
}

impl Default for Generate {
    fn default() -> Self {
        Generate {
            east_west_gateway: true,
            expose_services: true,
            expose_istiod: None,
            mesh_networks: true,
            service_entries: true,
            peer_gateways: true,
            namespace: true,
        }
    }
}

// ---- spec.trust and clusters[].trustDomain (issue 13: a shared root of trust) ----

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Trust {
    /// Each primary cluster gets a cert-manager `Certificate` named `cacerts` (an
    /// intermediate CA for istiod) from this issuer, which must hand out one root everywhere.
    #[serde(default)]
    pub cert_manager: Option<CertManagerTrust>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertManagerTrust {
    pub issuer_ref: IssuerRef,
    /// Lifetime of the intermediate, a Go duration (`8760h`); cert-manager's default if absent.
    #[serde(default)]
    pub duration: Option<String>,
    /// How long before expiry cert-manager renews it (`720h`).
    #[serde(default)]
    pub renew_before: Option<String>,
    #[serde(default)]
    pub private_key: Option<PrivateKeySpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IssuerRef {
    /// `Issuer`, `ClusterIssuer`, or an external issuer's kind.
    pub kind: String,
    pub name: String,
    #[serde(default = "default_issuer_group")]
    pub group: String,
}

fn default_issuer_group() -> String {
    "cert-manager.io".to_owned()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrivateKeySpec {
    #[serde(default)]
    pub algorithm: Option<KeyAlgorithm>,
    /// RSA: bits (2048-8192); ECDSA: curve size (256, 384 or 521).
    #[serde(default)]
    pub size: Option<u64>,
}

/// cert-manager's key algorithms, spelled as cert-manager spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum KeyAlgorithm {
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "ECDSA")]
    Ecdsa,
    Ed25519,
}

impl KeyAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Ecdsa => "ECDSA",
            KeyAlgorithm::Ed25519 => "Ed25519",
        }
    }
}

impl Mesh {
    /// A cluster's trust domain: its own override, else the mesh's.
    pub fn trust_domain_of<'a>(&'a self, cluster: &'a Cluster) -> &'a str {
        cluster.trust_domain.as_deref().unwrap_or(&self.spec.trust_domain)
    }

    /// The rendered cluster's trust domain.
    pub fn trust_domain(&self) -> &str {
        self.trust_domain_of(self.cluster())
    }

    /// The other clusters' trust domains that differ from this one's, sorted, each once:
    /// the mesh config's `trustDomainAliases`. Empty when all clusters share one.
    pub fn trust_domain_aliases(&self) -> Vec<String> {
        let own = self.trust_domain();
        let mut aliases: Vec<String> = self
            .spec
            .clusters
            .iter()
            .map(|c| self.trust_domain_of(c))
            .filter(|td| *td != own)
            .map(str::to_owned)
            .collect();
        aliases.sort();
        aliases.dedup();
        aliases
    }
}

// ---- end of spec.trust ----

/// A validated config with the rendered cluster resolved.
#[derive(Debug, Clone)]
pub struct Mesh {
    pub spec: Spec,
    /// Index of the cluster being rendered in `spec.clusters`.
    pub current: usize,
}

impl Mesh {
    pub fn cluster(&self) -> &Cluster {
        &self.spec.clusters[self.current]
    }

    pub fn cluster_named(&self, name: &str) -> Option<&Cluster> {
        self.spec.clusters.iter().find(|c| c.name == name)
    }

    pub fn network(&self) -> &str {
        &self.cluster().network
    }

    pub fn ambient(&self) -> bool {
        self.spec.mode == Mode::Ambient
    }

    /// May cluster `from` call services running in cluster `to`?
    pub fn can_call(&self, from: &str, to: &str) -> bool {
        if from == to {
            return true;
        }
        match &self.spec.links {
            None => true,
            Some(links) => links
                .iter()
                .any(|l| (l.from == from && l.to == to) || (l.bidirectional && l.from == to && l.to == from)),
        }
    }

    /// Other clusters this one may call, in config order.
    pub fn callable_peers(&self) -> impl Iterator<Item = &Cluster> {
        let me = &self.cluster().name;
        self.spec.clusters.iter().filter(move |c| &c.name != me && self.can_call(me, &c.name))
    }

    /// Other clusters that may call this one.
    pub fn callers(&self) -> impl Iterator<Item = &Cluster> {
        let me = &self.cluster().name;
        self.spec.clusters.iter().filter(move |c| &c.name != me && self.can_call(&c.name, me))
    }

    /// The primary whose istiod serves `cluster` and reads its Istio config: the cluster
    /// itself for a primary (validation guarantees a remote's primary exists).
    pub fn config_cluster_of<'a>(&'a self, cluster: &'a Cluster) -> &'a Cluster {
        match (cluster.role, &cluster.primary) {
            (Role::Remote, Some(p)) => self.cluster_named(p).unwrap_or(cluster),
            _ => cluster,
        }
    }

    /// Is `cluster` served by the same istiod (config cluster) as the rendered one?
    pub fn in_my_group(&self, cluster: &Cluster) -> bool {
        self.config_cluster_of(cluster).name == self.config_cluster_of(self.cluster()).name
    }

    /// The clusters whose Istio config the rendered cluster's render carries: a primary and
    /// its remotes (istio/istio pilot/pkg/bootstrap/configcontroller.go: istiod reads Istio
    /// config only from its config cluster). Empty when rendering a remote.
    pub fn config_group(&self) -> Vec<&Cluster> {
        if self.cluster().role == Role::Remote {
            return Vec::new();
        }
        self.spec.clusters.iter().filter(|c| self.in_my_group(c)).collect()
    }

    /// Does the rendered primary serve remote clusters?
    pub fn has_remotes(&self) -> bool {
        self.cluster().role == Role::Primary && self.config_group().len() > 1
    }

    /// Clusters outside the rendered cluster's group that some member of the group may
    /// call: one istiod configures every member alike, so they share one import set.
    pub fn group_callable_peers(&self) -> Vec<&Cluster> {
        let group = self.config_group();
        self.spec
            .clusters
            .iter()
            .filter(|c| !self.in_my_group(c) && group.iter().any(|g| self.can_call(&g.name, &c.name)))
            .collect()
    }

    /// Where `caller` dials `target`'s east-west gateway: `addressFrom[caller]`, else the
    /// address; `externalPort`, else the pinned node port (NodePort), else the gateway's
    /// port (ambient: HBONE 15008).
    pub fn dial(&self, target: &Cluster, caller: &str) -> (String, u64) {
        let gw = &target.gateway;
        let address = gw.address_from.get(caller).unwrap_or(&gw.address).clone();
        let port = gw.external_port.unwrap_or_else(|| {
            if self.ambient() {
                u64::from(crate::transform::istio::HBONE_PORT)
            } else if gw.service_type == ServiceType::NodePort {
                gw.node_port()
            } else {
                gw.port
            }
        });
        (address, port)
    }

    /// Do the callers this cluster's mesh config reaches need the sidecar DNS proxy: some
    /// host they call (imported, or local under a name that is no Kubernetes Service) has
    /// no kube-dns record. A primary's mesh config also reaches its remotes' proxies (their
    /// injector is the primary's istiod), so they count as its callers.
    pub fn needs_dns_capture(&self) -> bool {
        if !self.spec.generate.service_entries {
            return false;
        }
        let group = self.config_group();
        let callers: Vec<&Cluster> = if group.is_empty() { vec![self.cluster()] } else { group };
        self.spec.services.iter().any(|s| {
            callers.iter().any(|caller| {
                let imported = s.clusters.iter().any(|c| *c != caller.name && self.can_call(&caller.name, c));
                let custom_local =
                    s.clusters.contains(&caller.name) && s.hosts.iter().any(|h| *h != s.kubernetes_host());
                imported || custom_local
            })
        })
    }

    /// Whether istiod must be reachable through the east-west gateway: for a primary that
    /// serves remote clusters (their proxies and webhook reach istiod through it).
    pub fn expose_istiod(&self) -> bool {
        self.spec.generate.expose_istiod.unwrap_or_else(|| self.has_remotes())
    }
}

/// Decode and validate a config from a JSON value (already read from YAML).
pub fn from_value(value: serde_json::Value, cluster_override: Option<&str>) -> Result<Mesh, Error> {
    let doc: MeshNetwork = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        Error::config(field, e.into_inner().to_string())
    })?;
    validate::check(doc, cluster_override)
}

/// Read a config file's text: the one MeshNetwork document in it.
pub fn from_text(text: &str, origin: &str, cluster_override: Option<&str>) -> Result<Mesh, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = parse_documents(text, 0).map_err(|e| {
        let (line, col) = crate::read::line_col(text, e.offset);
        Error::config("", format!("{origin}: invalid YAML at line {line} column {col}: {}", e.message))
    })?;
    let values: Vec<serde_json::Value> =
        docs.iter().filter(|d| !d.root.is_null()).map(|d| crate::read::node_json(&d.root)).collect();
    let mut configs = values.into_iter().filter(|v| v.get("kind").and_then(|k| k.as_str()) == Some(KIND));
    let Some(first) = configs.next() else {
        return Err(Error::config("", format!("{origin}: no document with kind {KIND}")));
    };
    if configs.next().is_some() {
        return Err(Error::config("", format!("{origin}: more than one {KIND} document")));
    }
    from_value(first, cluster_override)
}

/// The JSON Schema of the config, for editors.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(MeshNetwork)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
