//! Every call the config allows, traced the way Istio routes it.
//!
//! Sidecar (istio/istio pilot/pkg/xds/endpoints/endpoint_builder.go and
//! pilot/pkg/model/network.go): the caller's proxy knows the host from a MESH_INTERNAL,
//! STATIC ServiceEntry whose endpoint is on the target's network; istiod replaces that
//! endpoint by the network's gateway from `meshNetworks`, and `security.istio.io/tlsMode:
//! istio` turns on mTLS with SNI `outbound_.<port>_._.<host>`. The target's gateway
//! (pilot/pkg/networking/core/gateway.go, AUTO_PASSTHROUGH) forwards that SNI only to a
//! service with that host in its own registry: the export ServiceEntry selecting local pods.
//!
//! Ambient (pilot/pkg/serviceregistry/ambient/networks.go, services.go): the caller's
//! `istio-remote` peer Gateway names the target network's address and HBONE port; the
//! target's `istio-east-west` Gateway terminates HBONE 15008; the target's Service is
//! global when it matches the mesh's `serviceScopeConfigs` (the `istio.io/global` label).

use std::collections::HashMap;

use serde_json::Value;

use super::identity::TRUST_DOMAIN;
pub use super::istio::HBONE_PORT;
use super::istio::TLS_MODE_LABEL;
use super::istio::{self as ist, host_covers};
use super::model::{Obj, Render};
use super::topology::{ClusterView, PortView, ServiceView};
use super::{export_to, mtls, sidecar_scope, CheckInfo, Ctx, Findings, Level, ObjectRef, PathResult};
use crate::config::ServiceType;
use crate::generate::sidecar_gateway::SELECTOR_LABEL;
use crate::transform::global_services::GLOBAL_LABEL;
use crate::transform::istio::{
    DNS_CAPTURE_METADATA, EAST_WEST_GATEWAY_CLASS, NETWORK_LABEL, REMOTE_GATEWAY_CLASS, REVISION_LABEL,
};

/// The label a revision tag's injector carries (istio/istio pkg/revisions/tag_watcher.go).
const TAG_LABEL: &str = "istio.io/tag";

pub const IMPORT: &str = "import";
pub const DNS_CAPTURE: &str = "dns-capture";
pub const GATEWAY_VIEW: &str = "gateway-view";
pub const GATEWAY_LISTENER: &str = "gateway-listener";
pub const GATEWAY_NODE_PORT: &str = "gateway-node-port";
pub const EXPORT: &str = "export";
pub const EXPORT_WORKLOADS: &str = "export-workloads";
pub const SERVICE_PORT: &str = "service-port";

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: IMPORT, reads: &["ServiceEntry", "Gateway", "Service"], about: "the caller has the import: a MESH_INTERNAL STATIC ServiceEntry with the host, port and a VIP, and an endpoint on the target network labelled tlsMode: istio (ambient: the peer Gateway)" },
    CheckInfo { id: DNS_CAPTURE, reads: &["ConfigMap"], about: "the sidecar DNS proxy is on (ISTIO_META_DNS_CAPTURE) where the host is not a Kubernetes Service" },
    CheckInfo { id: GATEWAY_VIEW, reads: &["ConfigMap", "Gateway", "Service"], about: "the caller's view of the target network's gateway (meshNetworks entry or peer Gateway: address and port) matches the target's gateway as configured and rendered" },
    CheckInfo { id: GATEWAY_NODE_PORT, reads: &["Service"], about: "a NodePort gateway pins the nodePort that callers dial (warning)" },
    CheckInfo { id: GATEWAY_LISTENER, reads: &["Gateway", "Deployment", "Service", "MutatingWebhookConfiguration"], about: "the target's east-west gateway listens: 15443 AUTO_PASSTHROUGH with a host covering the host, or HBONE 15008" },
    CheckInfo { id: EXPORT, reads: &["ServiceEntry", "Service", "ConfigMap"], about: "the target has the export half: a ServiceEntry with workloadSelector, or (ambient) a global Service" },
    CheckInfo { id: EXPORT_WORKLOADS, reads: &["ServiceEntry", "Deployment", "StatefulSet", "DaemonSet", "Pod"], about: "the export selects pods of a workload of the render, when that namespace's workloads are in it" },
    CheckInfo { id: SERVICE_PORT, reads: &["Service", "ServiceEntry", "Deployment", "StatefulSet", "DaemonSet", "Pod"], about: "the called port exists on the Service and the export, and the export's targetPort is a port the selected pods declare" },
];

/// A reason a step failed: the finding, which also becomes the path's reason.
pub struct Fail {
    pub check: &'static str,
    pub level: Level,
    pub cluster: String,
    pub object: Option<ObjectRef>,
    pub message: String,
}

impl Fail {
    pub fn error(check: &'static str, cluster: &str, object: Option<ObjectRef>, message: String) -> Fail {
        Fail { check, level: Level::Error, cluster: cluster.to_owned(), object, message }
    }
}

/// Per-render facts read once (a mesh of 100 clusters has ~20 000 paths).
struct RenderIndex<'a> {
    /// ServiceEntries by host.
    entries: HashMap<&'a str, Vec<&'a Obj>>,
    /// Workloads (objects with a pod template and a namespace) by namespace.
    workloads: HashMap<&'a str, Vec<&'a Obj>>,
    mesh_networks: Option<(&'a Obj, Value)>,
}

fn index<'a>(r: &'a Render, istio_ns: &str) -> RenderIndex<'a> {
    let mut entries: HashMap<&str, Vec<&Obj>> = HashMap::new();
    for se in r.kind("networking.istio.io", "ServiceEntry") {
        for h in ist::strings(se.at("/spec/hosts")) {
            entries.entry(h).or_default().push(se);
        }
    }
    let mut workloads: HashMap<&str, Vec<&Obj>> = HashMap::new();
    for w in ist::workloads(r) {
        if let Some(ns) = w.namespace.as_deref() {
            workloads.entry(ns).or_default().push(w);
        }
    }
    RenderIndex { entries, workloads, mesh_networks: ist::mesh_networks(r, istio_ns) }
}

struct Tracer<'c, 'a> {
    ctx: &'c Ctx<'a>,
    idx: Vec<RenderIndex<'a>>,
    /// Cached results of the steps that do not depend on the whole path.
    gateway_steps: HashMap<(usize, usize), Result<(), String>>,
    listener_steps: HashMap<(usize, String), Result<(), String>>,
}

pub fn run(ctx: &Ctx, findings: &mut Findings) -> Vec<PathResult> {
    let topo = ctx.topo;
    let mut t = Tracer {
        ctx,
        idx: ctx.renders.iter().map(|r| index(r, &topo.istio_namespace)).collect(),
        gateway_steps: HashMap::new(),
        listener_steps: HashMap::new(),
    };
    let mut out = Vec::new();
    for caller in &topo.clusters {
        for svc in &topo.services {
            let targets: Vec<&ClusterView> = topo.targets(&caller.name, svc).collect();
            if targets.is_empty() {
                continue;
            }
            for host in &svc.hosts {
                for port in &svc.ports {
                    let mut to = Vec::new();
                    let mut reasons = Vec::new();
                    if t.stays_local(caller, svc, host) {
                        // Ambient: a cluster that runs the service calls its own instances
                        // (a remote Service is merged in only with remote secrets).
                        out.push(PathResult {
                            from: caller.name.clone(),
                            service: svc.key(),
                            host: host.clone(),
                            port: port.number,
                            to: vec![caller.name.clone()],
                            ok: true,
                            reason: None,
                        });
                        continue;
                    }
                    for target in &targets {
                        match t.trace(caller, target, svc, host, port, findings) {
                            Ok(()) => to.push(target.name.clone()),
                            Err(reason) => reasons.push(format!("{}: {reason}", target.name)),
                        }
                    }
                    let ok = reasons.is_empty();
                    out.push(PathResult {
                        from: caller.name.clone(),
                        service: svc.key(),
                        host: host.clone(),
                        port: port.number,
                        to,
                        ok,
                        reason: (!ok).then(|| reasons.join("; ")),
                    });
                }
            }
        }
    }
    // Every gateway a cluster may call, with or without a service to call there now: the
    // caller's meshNetworks entry (or peer Gateway) routes every endpoint istiod learns on
    // that network (pilot/pkg/model/network.go), so a render made from another config's
    // address is wrong before the first service is exported.
    for caller in &topo.clusters {
        for target in &topo.clusters {
            if target.network == caller.network || !topo.can_call(&caller.name, &target.name) {
                continue;
            }
            let key = (pos(ctx, &caller.name), pos(ctx, &target.name));
            if !t.gateway_steps.contains_key(&key) {
                let r = t.gateway_view(caller, target, findings);
                t.gateway_steps.insert(key, r);
            }
        }
    }
    out
}

fn pos(ctx: &Ctx, cluster: &str) -> usize {
    ctx.position(cluster)
}

/// Record a failed step as a finding; errors end the path, warnings do not.
fn record(findings: &mut Findings, fail: Fail) -> Result<(), String> {
    let message = fail.message.clone();
    let level = fail.level;
    findings.add(
        level,
        super::Finding { check: fail.check, cluster: fail.cluster, message: fail.message, object: fail.object },
    );
    match level {
        Level::Error => Err(message),
        Level::Warning => Ok(()),
    }
}

/// What a step that looks an object up found, and how the step went (a failed lookup is
/// recorded like any failed step).
fn found<T>(lookup: Result<Option<T>, Box<Fail>>, findings: &mut Findings) -> (Option<T>, Result<(), String>) {
    match lookup {
        Ok(object) => (object, Ok(())),
        Err(fail) => (None, record(findings, *fail)),
    }
}

impl<'a> Tracer<'_, 'a> {
    fn trace(
        &mut self,
        caller: &ClusterView,
        target: &ClusterView,
        svc: &ServiceView,
        host: &str,
        port: &PortView,
        findings: &mut Findings,
    ) -> Result<(), String> {
        // Every step runs even after one fails, so one report shows every problem of a
        // path; the path's reason lists them in the order a call meets them.
        let mut errors: Vec<String> = Vec::new();
        let mut note = |r: Result<(), String>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        let key = (pos(self.ctx, &caller.name), pos(self.ctx, &target.name));
        let gateway = match self.gateway_steps.get(&key) {
            Some(r) => r.clone(),
            None => {
                let r = self.gateway_view(caller, target, findings);
                self.gateway_steps.insert(key, r.clone());
                r
            }
        };
        note(gateway);
        let lkey = (key.1, host.to_owned());
        let listener = match self.listener_steps.get(&lkey) {
            Some(r) => r.clone(),
            None => {
                let r = self.listener(target, svc, host).map_or(Ok(()), |f| record(findings, f));
                self.listener_steps.insert(lkey, r.clone());
                r
            }
        };
        note(listener);
        // Both modes: without remote secrets, istiod learns a remote network's instances only
        // from the import (ambient/services.go indexes ServiceEntries like sidecar mode).
        let (import, step) = found(self.import(caller, target, svc, host, port), findings);
        note(step);
        if let Some(se) = import {
            if let Some(f) = export_to::import_hidden(self.ctx, caller, se) {
                note(record(findings, f));
            }
            if !self.ctx.topo.ambient {
                for f in sidecar_scope::hides(self.ctx, caller, se.ns(), host) {
                    note(record(findings, f));
                }
            }
        }
        if self.ctx.topo.ambient {
            if let Some(f) = self.ambient_export(target, svc, port) {
                note(record(findings, f));
            }
            return if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) };
        }
        if let Some(f) = self.dns_capture(caller, svc, host) {
            note(record(findings, f));
        }
        if let Some(f) = mtls::destination_rule_tls(self.ctx, caller, host, port.number) {
            note(record(findings, f));
        }
        let (export, step) = found(self.export(target, svc, host, port), findings);
        note(step);
        if let Some(se) = export {
            if let Some(f) = export_to::export_hidden(self.ctx, target, se) {
                note(record(findings, f));
            }
            if let Some(f) = self.export_workloads(target, svc, se, port) {
                note(record(findings, f));
            }
        } else if let Some(service) = self.kube_service(&target.name, host) {
            // The host is the Service's own name: its exportTo annotation must let the
            // east-west gateway's namespace see it.
            if let Some(f) = export_to::export_hidden(self.ctx, target, service) {
                note(record(findings, f));
            }
        }
        if let Some(f) = self.service_port(target, svc, port) {
            note(record(findings, f));
        }
        if let Some(f) = mtls::peer_authentication_disable(self.ctx, target, svc, export, port.number) {
            note(record(findings, f));
        }
        if let Some(f) = self.foreign_trust_domain(caller, target) {
            note(record(findings, f));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    fn idx_of(&self, cluster: &str) -> &RenderIndex<'a> {
        &self.idx[pos(self.ctx, cluster)]
    }

    /// Index entries of a cluster's Istio config (its render, and its primary's for a remote).
    fn config_idx(&self, cluster: &ClusterView) -> Vec<&RenderIndex<'a>> {
        let mut out = vec![self.idx_of(&cluster.name)];
        if cluster.config_cluster != cluster.name {
            out.push(self.idx_of(&cluster.config_cluster));
        }
        out
    }

    /// The port callers must dial for the target's gateway, from its config and its
    /// rendered Service. `Err` when the rendered Service cannot carry the traffic.
    fn dial_port(&self, target: &ClusterView, findings: &mut Findings) -> Result<u64, String> {
        let gw = &target.gateway;
        if self.ctx.topo.ambient {
            return Ok(gw.external_port.unwrap_or(u64::from(HBONE_PORT)));
        }
        let render = self.ctx.render(&target.name);
        let service = render.get("", "Service", &gw.namespace, &gw.name);
        let Some(service) = service else {
            // Not rendered here (another release owns it): the config is all there is.
            return Ok(gw.external_port.or(gw.node_port).unwrap_or(gw.port));
        };
        let entry = service_ports(service).into_iter().find(|p| p.target == gw.port);
        let Some(entry) = entry else {
            let f = Fail::error(
                GATEWAY_LISTENER,
                &target.name,
                Some(ObjectRef::of(service)),
                format!("field spec.ports: no port forwards to the gateway's mTLS port {}", gw.port),
            );
            return record(findings, f).map(|_| 0);
        };
        if let Some(external) = gw.external_port {
            return Ok(external);
        }
        let service_type = service.str_at("/spec/type").unwrap_or("ClusterIP");
        if service_type == "NodePort" || gw.service_type == ServiceType::NodePort {
            return match entry.node_port.or(gw.node_port) {
                Some(n) => Ok(n),
                None => {
                    findings.warning(
                        GATEWAY_NODE_PORT,
                        &target.name,
                        Some(ObjectRef::of(service)),
                        format!(
                            "field spec.ports[name={}].nodePort: not pinned, so Kubernetes picks one when applied and callers' meshNetworks port {} cannot be proven (set gateway.nodePort)",
                            entry.name, entry.port
                        ),
                    );
                    Ok(entry.port)
                }
            };
        }
        Ok(entry.port)
    }

    /// The caller's view of the target network's gateway.
    fn gateway_view(&self, caller: &ClusterView, target: &ClusterView, findings: &mut Findings) -> Result<(), String> {
        let port = self.dial_port(target, findings)?;
        // meshNetworks and peer Gateways belong to the caller's istiod (a remote's primary).
        let address = target.gateway.address_for(&caller.config_cluster);
        if self.ctx.topo.ambient {
            return match self.peer_gateway(caller, target, address, port) {
                Ok(()) => Ok(()),
                Err(f) => record(findings, *f),
            };
        }
        let cfg_cluster = &caller.config_cluster;
        let Some((cm, networks)) = self.idx_of(cfg_cluster).mesh_networks.as_ref() else {
            let f = Fail::error(
                GATEWAY_VIEW,
                cfg_cluster,
                None,
                format!(
                    "no meshNetworks (ConfigMap {}/istio, data.meshNetworks) in the render: istiod cannot replace endpoints on network {} by its gateway",
                    self.ctx.topo.istio_namespace, target.network
                ),
            );
            return record(findings, f);
        };
        let gateways =
            networks.pointer(&format!("/networks/{}/gateways", target.network.replace('~', "~0").replace('/', "~1")));
        let entries = gateways.and_then(Value::as_array).cloned().unwrap_or_default();
        let obj = Some(ObjectRef::of(cm));
        if entries.is_empty() {
            return record(
                findings,
                Fail::error(
                    GATEWAY_VIEW,
                    cfg_cluster,
                    obj,
                    format!(
                        "field data.meshNetworks.networks.{}.gateways: missing, so the target network has no gateway",
                        target.network
                    ),
                ),
            );
        }
        let matches = |e: &Value| {
            e.get("address").and_then(Value::as_str) == Some(address)
                && e.get("port").and_then(|p| p.as_u64().or_else(|| p.as_str()?.parse().ok())) == Some(port)
        };
        if entries.iter().any(matches) {
            return Ok(());
        }
        let seen: Vec<String> = entries
            .iter()
            .map(|e| {
                let a =
                    e.get("address").and_then(Value::as_str).or(e.get("registryServiceName").and_then(Value::as_str));
                format!("{}:{}", a.unwrap_or("?"), e.get("port").map_or("?".to_owned(), |p| p.to_string()))
            })
            .collect();
        record(
            findings,
            Fail::error(
                GATEWAY_VIEW,
                cfg_cluster,
                obj,
                format!(
                    "field data.meshNetworks.networks.{}.gateways: {} but cluster {}'s gateway is {address}:{port}",
                    target.network,
                    seen.join(", "),
                    target.name
                ),
            ),
        )
    }

    /// Ambient: the caller's `istio-remote` peer Gateway for the target network.
    fn peer_gateway(
        &self,
        caller: &ClusterView,
        target: &ClusterView,
        address: &str,
        port: u64,
    ) -> Result<(), Box<Fail>> {
        let renders = self.ctx.config_renders(&caller.name);
        let peers: Vec<&Obj> = renders
            .iter()
            .flat_map(|r| r.kind("gateway.networking.k8s.io", "Gateway"))
            .filter(|g| {
                g.str_at("/spec/gatewayClassName") == Some(REMOTE_GATEWAY_CLASS)
                    && g.label(NETWORK_LABEL) == Some(&target.network)
            })
            .collect();
        if peers.is_empty() {
            return Err(Box::new(Fail::error(
                IMPORT,
                &caller.name,
                None,
                format!(
                    "no istio-remote peer Gateway labelled {NETWORK_LABEL}: {}: ztunnel has no way to network {}",
                    target.network, target.network
                ),
            )));
        }
        for g in &peers {
            let addresses: Vec<&str> = g.at("/spec/addresses").and_then(Value::as_array).map_or(vec![], |a| {
                a.iter()
                    .filter(|x| matches!(x.get("type").and_then(Value::as_str), Some("IPAddress" | "Hostname")))
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .collect()
            });
            let hbone = g.at("/spec/listeners").and_then(Value::as_array).into_iter().flatten().any(|l| {
                l.get("protocol").and_then(Value::as_str) == Some("HBONE")
                    && l.get("port").and_then(Value::as_u64) == Some(port)
            });
            if addresses.contains(&address) && hbone {
                return Ok(());
            }
        }
        let g = peers[0];
        Err(Box::new(Fail::error(
            GATEWAY_VIEW,
            &caller.name,
            Some(ObjectRef::of(g)),
            format!(
                "fields spec.addresses / spec.listeners: the peer Gateway for network {} must give typed address {address} and an HBONE listener on {port}, as cluster {}'s gateway is configured",
                target.network, target.name
            ),
        )))
    }

    /// The target's east-west gateway listens for this host.
    fn listener(&self, target: &ClusterView, svc: &ServiceView, host: &str) -> Option<Fail> {
        let render = self.ctx.render(&target.name);
        let gw = &target.gateway;
        if self.ctx.topo.ambient {
            let ok = render.kind("gateway.networking.k8s.io", "Gateway").any(|g| {
                g.in_ns(&gw.namespace)
                    && g.str_at("/spec/gatewayClassName") == Some(EAST_WEST_GATEWAY_CLASS)
                    && g.label(NETWORK_LABEL) == Some(&target.network)
                    && g.at("/spec/listeners").and_then(Value::as_array).into_iter().flatten().any(|l| {
                        l.get("protocol").and_then(Value::as_str) == Some("HBONE")
                            && l.get("port").and_then(Value::as_u64) == Some(u64::from(HBONE_PORT))
                    })
            });
            return (!ok).then(|| {
                Fail::error(
                    GATEWAY_LISTENER,
                    &target.name,
                    None,
                    format!(
                        "no istio-east-west Gateway in namespace {} labelled {NETWORK_LABEL}: {} with an HBONE listener on {HBONE_PORT}",
                        gw.namespace, target.network
                    ),
                )
            });
        }
        // The pods of the east-west gateway: the configured Deployment, else any pods
        // labelled the way the generator's Gateways select them.
        let pods: Vec<&Obj> = render
            .kind("apps", "Deployment")
            .filter(|d| {
                (d.name == gw.name && d.in_ns(&gw.namespace))
                    || ist::pod_label(d, SELECTOR_LABEL.0) == Some(SELECTOR_LABEL.1)
            })
            .collect();
        if pods.is_empty() {
            return Some(Fail::error(
                GATEWAY_LISTENER,
                &target.name,
                None,
                format!("no east-west gateway Deployment {}/{} in the render", gw.namespace, gw.name),
            ));
        }
        if let Some(f) = self.uninjected_gateway(target, &pods) {
            return Some(f);
        }
        let pod_labels: Vec<Vec<(&str, &str)>> = pods.iter().map(|d| ist::pod_labels(d)).collect();
        let gateways = self.config_renders(target).into_iter().flat_map(|r| r.kind("networking.istio.io", "Gateway"));
        for g in gateways {
            let selector = super::model::string_map(g.at("/spec/selector"));
            if !pod_labels.iter().any(|l| ist::selects(&selector, l)) {
                continue;
            }
            for server in g.at("/spec/servers").and_then(Value::as_array).into_iter().flatten() {
                let on_port = server.pointer("/port/number").and_then(Value::as_u64) == Some(gw.port);
                let passthrough = server.pointer("/tls/mode").and_then(Value::as_str) == Some("AUTO_PASSTHROUGH");
                let covers = ist::strings(server.get("hosts")).iter().any(|entry| {
                    let (ns, pattern) = ist::split_ns_host(entry);
                    (ns == "*" || ns == svc.namespace || (ns == "." && g.in_ns(&svc.namespace)))
                        && host_covers(pattern, host)
                });
                if on_port && passthrough && covers {
                    return None;
                }
            }
        }
        Some(Fail::error(
            GATEWAY_LISTENER,
            &target.name,
            None,
            format!(
                "no Gateway on the east-west gateway pods has a server on port {} with tls.mode AUTO_PASSTHROUGH and a host covering {host}",
                gw.port
            ),
        ))
    }

    /// The target's sidecars accept a client certificate only from the trust domains of
    /// their mesh config, `trustDomain` and `trustDomainAliases` (istio/istio
    /// pilot/pkg/networking/plugin/authn/util.go `TrustDomainsForValidation`, matched as
    /// `spiffe://<domain>/` SAN prefixes in pilot/pkg/security/model/authentication.go
    /// `ApplyToCommonTLSContext`). The gateway passes TLS through, so the caller's own
    /// identity arrives: its istiod's trust domain (a remote's is its primary's).
    fn foreign_trust_domain(&self, caller: &ClusterView, target: &ClusterView) -> Option<Fail> {
        let topo = self.ctx.topo;
        let caller_domain = &topo.cluster(&caller.config_cluster)?.trust_domain;
        let render = self.ctx.render(&target.config_cluster);
        let (cm, mesh) = ist::mesh_config(render, &topo.istio_namespace)?;
        let own = mesh.get("trustDomain").and_then(Value::as_str).unwrap_or("cluster.local");
        let aliases = ist::strings(mesh.get("trustDomainAliases"));
        if own == caller_domain || aliases.contains(&caller_domain.as_str()) {
            return None;
        }
        Some(Fail::error(
            TRUST_DOMAIN,
            &target.config_cluster,
            Some(ObjectRef::of(cm)),
            format!(
                "field data.mesh.trustDomainAliases: cluster {}'s callers are of trust domain {caller_domain:?}, which is neither trustDomain {own:?} nor an alias, so cluster {}'s sidecars refuse their certificates",
                caller.name, target.name
            ),
        ))
    }

    /// The gateway pods are injected only by the injector of the revision they are labelled
    /// with (`istio.io/rev`, none = `default`): each revision's webhook selects its own
    /// label (istio/istio manifests/charts/istio-control/istio-discovery/templates/
    /// mutatingwebhook.yaml), a revision tag's webhook its tag. Without the proxy the pods
    /// never listen. Judged only when the render holds injectors at all (else the control
    /// plane is applied another way).
    fn uninjected_gateway(&self, target: &ClusterView, pods: &[&Obj]) -> Option<Fail> {
        let render = self.ctx.render(&target.name);
        let mut served: Vec<&str> = Vec::new();
        for w in render.kind("admissionregistration.k8s.io", "MutatingWebhookConfiguration") {
            if !(w.name.starts_with("istio-sidecar-injector") || w.name.starts_with("istio-revision-tag")) {
                continue;
            }
            served.push(w.label(REVISION_LABEL).unwrap_or("default"));
            served.extend(w.label(TAG_LABEL));
        }
        if served.is_empty() {
            return None;
        }
        let d = pods.iter().find(|d| !served.contains(&ist::pod_label(d, REVISION_LABEL).unwrap_or("default")))?;
        let revision = ist::pod_label(d, REVISION_LABEL).unwrap_or("default");
        served.sort_unstable();
        served.dedup();
        Some(Fail::error(
            GATEWAY_LISTENER,
            &target.name,
            Some(ObjectRef::of(d)),
            format!(
                "field spec.template.metadata.labels[\"{REVISION_LABEL}\"]: the gateway pods are of revision {revision:?}, but the render's sidecar injectors are of revision {}: no injector takes them, so they get no proxy and never listen (spec.revision must be the istiod release's revision)",
                served.join(", ")
            ),
        ))
    }

    /// The caller's import ServiceEntry for the host and port.
    fn import(
        &self,
        caller: &ClusterView,
        target: &ClusterView,
        svc: &ServiceView,
        host: &str,
        port: &PortView,
    ) -> Result<Option<&'a Obj>, Box<Fail>> {
        let candidates: Vec<&'a Obj> = self
            .config_idx(caller)
            .into_iter()
            .flat_map(|i| i.entries.get(host).cloned().unwrap_or_default())
            .collect();
        let kube_service = self.kube_service(&caller.name, host);
        let where_ = if caller.config_cluster == caller.name {
            format!("cluster {}", caller.name)
        } else {
            format!("cluster {} or its primary {}", caller.name, caller.config_cluster)
        };
        // Caller and target served by one istiod (a primary and its remotes): istiod sees
        // the target's pods and Services itself, with their network
        // (pilot/pkg/serviceregistry/kube/controller/multicluster.go).
        let same_istiod = caller.config_cluster == target.config_cluster;
        let target_service = if same_istiod { self.kube_service(&target.name, host) } else { None };
        if candidates.is_empty() && kube_service.is_none() && target_service.is_none() {
            return Err(Box::new(Fail::error(
                IMPORT,
                &caller.name,
                None,
                format!("no ServiceEntry for host {host} in the render of {where_}: {} cannot be called", svc.key()),
            )));
        }
        let mut last: Option<Fail> = None;
        for se in candidates {
            let selector = workload_selector(se);
            let endpoints = self.endpoints_of(caller, se.ns(), se.at("/spec/endpoints"), &selector);
            let pods_seen = same_istiod && !selector.is_empty() && self.has_pods(target, se.ns(), &selector);
            match import_problem(se, &endpoints, pods_seen, target, host, port) {
                None => {
                    let has_vip = !ist::strings(se.at("/spec/addresses")).is_empty();
                    if !has_vip && kube_service.is_none() && !self.auto_allocates(caller) {
                        last = Some(Fail::error(
                            IMPORT,
                            &caller.name,
                            Some(ObjectRef::of(se)),
                            format!("field spec.addresses: no VIP for {host} and istiod's PILOT_ENABLE_IP_AUTOALLOCATE is off, so the application cannot resolve it"),
                        ));
                        continue;
                    }
                    return Ok(Some(se));
                }
                Some(message) => last = Some(Fail::error(IMPORT, &caller.name, Some(ObjectRef::of(se)), message)),
            }
        }
        // The host is the caller's own Kubernetes Service: remote instances come in as
        // WorkloadEntries its selector picks (kube controller WorkloadInstanceHandler).
        if same_istiod {
            if let Some(service) = target_service {
                return match service_ports(service).iter().any(|p| p.port == port.number) {
                    true => Ok(None),
                    false => Err(Box::new(Fail::error(
                        SERVICE_PORT,
                        &target.name,
                        Some(ObjectRef::of(service)),
                        format!("field spec.ports: no port {} for {host}", port.number),
                    ))),
                };
            }
        }
        if let Some(service) = kube_service {
            let selector = super::model::string_map(service.at("/spec/selector"));
            let endpoints = self.endpoints_of(caller, service.ns(), None, &selector);
            let problem = if !service_ports(service).iter().any(|p| p.port == port.number) {
                Some(format!("field spec.ports: no port {} for {host}", port.number))
            } else {
                endpoints_problem(&endpoints, target)
            };
            match problem {
                None => return Ok(None),
                Some(m) => {
                    last = Some(Fail::error(
                        IMPORT,
                        &caller.name,
                        Some(ObjectRef::of(service)),
                        format!("{m} (WorkloadEntries its selector picks)"),
                    ))
                }
            }
        }
        Err(Box::new(last.unwrap_or_else(|| Fail::error(IMPORT, &caller.name, None, "no usable import".into()))))
    }

    /// Ambient, the caller runs the service and imports nothing for the host: its calls
    /// go to its own instances.
    fn stays_local(&self, caller: &ClusterView, svc: &ServiceView, host: &str) -> bool {
        self.ctx.topo.ambient
            && svc.clusters.contains(&caller.name)
            && self.config_idx(caller).iter().all(|i| i.entries.get(host).is_none_or(Vec::is_empty))
    }

    /// A cluster's Istio config renders, borrowed for the whole trace.
    fn config_renders(&self, cluster: &ClusterView) -> Vec<&'a Render> {
        let renders: &'a [Render] = self.ctx.renders;
        let mut out = vec![&renders[pos(self.ctx, &cluster.name)]];
        if cluster.config_cluster != cluster.name {
            out.push(&renders[pos(self.ctx, &cluster.config_cluster)]);
        }
        out
    }

    /// Does the target's render have pods in `ns` the selector picks (or no workloads of
    /// that namespace at all, when they are rendered elsewhere)?
    fn has_pods(&self, target: &ClusterView, ns: &str, selector: &[(&str, &str)]) -> bool {
        let workloads = self.idx_of(&target.name).workloads.get(ns).map_or(&[][..], Vec::as_slice);
        workloads.is_empty() || workloads.iter().any(|w| ist::selects(selector, &ist::pod_labels(w)))
    }

    /// Does istiod give ServiceEntries without addresses a VIP (default on)?
    fn auto_allocates(&self, caller: &ClusterView) -> bool {
        !self
            .ctx
            .config_renders(&caller.name)
            .iter()
            .flat_map(|r| ist::istiods(r))
            .any(|d| ist::env_value(d, "discovery", "PILOT_ENABLE_IP_AUTOALLOCATE") == Some("false"))
    }

    /// An entry's endpoints: inline ones, and the WorkloadEntries of its namespace that its
    /// selector picks (pilot/pkg/serviceregistry/serviceentry/conversion.go treats both alike).
    fn endpoints_of(
        &self,
        caller: &ClusterView,
        ns: &str,
        inline: Option<&'a Value>,
        selector: &[(&str, &str)],
    ) -> Vec<&'a Value> {
        let mut out: Vec<&'a Value> = inline.and_then(Value::as_array).into_iter().flatten().collect();
        if selector.is_empty() {
            return out;
        }
        for render in self.config_renders(caller) {
            for we in render.kind("networking.istio.io", "WorkloadEntry") {
                let Some(spec) = we.at("/spec") else { continue };
                let labels = super::model::string_map(spec.get("labels"));
                if we.in_ns(ns) && ist::selects(selector, &labels) {
                    out.push(spec);
                }
            }
        }
        out
    }

    /// The Kubernetes Service whose cluster-local name is the host (resolved by cluster DNS).
    fn kube_service(&self, cluster: &str, host: &str) -> Option<&'a Obj> {
        let (name_ns, _) = host.split_once(".svc.")?;
        let (name, ns) = name_ns.split_once('.')?;
        let renders: &'a [Render] = self.ctx.renders;
        let render = &renders[pos(self.ctx, cluster)];
        render.get("", "Service", ns, name)
    }

    fn is_kube_service(&self, cluster: &str, host: &str) -> bool {
        self.kube_service(cluster, host).is_some()
    }

    fn dns_capture(&self, caller: &ClusterView, svc: &ServiceView, host: &str) -> Option<Fail> {
        if self.is_kube_service(&caller.name, host) {
            return None;
        }
        let Some(mesh) = self.ctx.mesh_config(&caller.config_cluster) else {
            return Some(Fail {
                check: DNS_CAPTURE,
                level: Level::Warning,
                cluster: caller.config_cluster.clone(),
                object: None,
                message: format!(
                    "no istio mesh config in the render, so whether the sidecar DNS proxy resolves {host} cannot be checked"
                ),
            });
        };
        let on = mesh
            .pointer("/defaultConfig/proxyMetadata")
            .and_then(|m| m.get(DNS_CAPTURE_METADATA))
            .and_then(Value::as_str)
            == Some("true");
        (!on).then(|| {
            Fail::error(
                DNS_CAPTURE,
                &caller.config_cluster,
                Some(ObjectRef::new("ConfigMap", &self.ctx.topo.istio_namespace, "istio")),
                format!(
                    "field data.mesh.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: not \"true\", and {host} ({}) is not a Kubernetes Service there, so applications cannot resolve it",
                    svc.key()
                ),
            )
        })
    }

    /// The target's export ServiceEntry (or the Kubernetes Service itself, when the host is
    /// its cluster-local name and the gateway's registry therefore knows it).
    fn export(
        &self,
        target: &ClusterView,
        svc: &ServiceView,
        host: &str,
        port: &PortView,
    ) -> Result<Option<&'a Obj>, Box<Fail>> {
        // A remote's Istio config (its export included) lives in its primary's render.
        let entries: Vec<&'a Obj> = self
            .config_idx(target)
            .into_iter()
            .flat_map(|i| i.entries.get(host).cloned().unwrap_or_default())
            .filter(|se| !workload_selector(se).is_empty())
            .collect();
        if entries.is_empty() {
            if self.is_kube_service(&target.name, host) {
                return Ok(None);
            }
            return Err(Box::new(Fail::error(
                EXPORT,
                &target.name,
                None,
                format!(
                    "no ServiceEntry with a workloadSelector for host {host}: the east-west gateway cannot resolve the SNI of calls to {}",
                    svc.key()
                ),
            )));
        }
        let mut last = None;
        for se in entries {
            if se.str_at("/spec/location") != Some("MESH_INTERNAL") {
                last = Some(Fail::error(
                    EXPORT,
                    &target.name,
                    Some(ObjectRef::of(se)),
                    "field spec.location: must be MESH_INTERNAL for the gateway to pass mTLS through".into(),
                ));
                continue;
            }
            if !se_ports(se).contains(&port.number) {
                last = Some(Fail::error(
                    SERVICE_PORT,
                    &target.name,
                    Some(ObjectRef::of(se)),
                    format!("field spec.ports: no port {} ({}) for {host}", port.number, port.name),
                ));
                continue;
            }
            return Ok(Some(se));
        }
        Err(Box::new(last.unwrap_or_else(|| Fail::error(EXPORT, &target.name, None, "no usable export".into()))))
    }

    fn export_workloads(&self, target: &ClusterView, svc: &ServiceView, se: &Obj, port: &PortView) -> Option<Fail> {
        let ns = se.namespace.as_deref().unwrap_or(&svc.namespace);
        let in_ns: &[&Obj] = self.idx_of(&target.name).workloads.get(ns).map_or(&[], Vec::as_slice);
        if in_ns.is_empty() {
            return None;
        }
        let selector = workload_selector(se);
        let selected: Vec<&&Obj> = in_ns.iter().filter(|w| ist::selects(&selector, &ist::pod_labels(w))).collect();
        if !selected.is_empty() {
            // The gateway forwards to the entry's targetPort on the pods (the port when
            // unset): it must be a port the selected containers declare, when they declare any.
            let entry = se
                .at("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|p| p.get("number").and_then(as_port) == Some(port.number));
            let target_port = entry.and_then(|p| p.get("targetPort").and_then(as_port)).unwrap_or(port.number);
            let declared: Vec<u64> = selected.iter().flat_map(|w| container_ports(w)).collect();
            if declared.is_empty() || declared.contains(&target_port) {
                return None;
            }
            return Some(Fail::error(
                SERVICE_PORT,
                &target.name,
                Some(ObjectRef::of(se)),
                format!(
                    "field spec.ports[number={}].targetPort: the pods it selects listen on {} (containerPort), not {target_port}",
                    port.number,
                    declared.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let sel: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Some(Fail::error(
            EXPORT_WORKLOADS,
            &target.name,
            Some(ObjectRef::of(se)),
            format!(
                "field spec.workloadSelector.labels: {} selects no pods of the {} workload(s) of namespace {ns} in the render",
                sel.join(","),
                in_ns.len()
            ),
        ))
    }

    fn service_port(&self, target: &ClusterView, svc: &ServiceView, port: &PortView) -> Option<Fail> {
        let service = self.ctx.render(&target.name).get("", "Service", &svc.namespace, &svc.name)?;
        let ports = service_ports(service);
        (!ports.iter().any(|p| p.port == port.number)).then(|| {
            Fail::error(
                SERVICE_PORT,
                &target.name,
                Some(ObjectRef::of(service)),
                format!("field spec.ports: no port {} ({}) that the config exports", port.number, port.name),
            )
        })
    }

    /// Ambient export: the target's Service matches a GLOBAL `serviceScopeConfigs` entry
    /// (or carries `istio.io/global: "true"` when the mesh config is not in the render).
    fn ambient_export(&self, target: &ClusterView, svc: &ServiceView, port: &PortView) -> Option<Fail> {
        let render = self.ctx.render(&target.name);
        let Some(service) = render.get("", "Service", &svc.namespace, &svc.name) else {
            return Some(Fail::error(
                EXPORT,
                &target.name,
                None,
                format!("no Service {} in the render: nothing for other networks to reach", svc.key()),
            ));
        };
        let labels = service.labels();
        let global = match self.ctx.mesh_config(&target.name).and_then(|m| m.get("serviceScopeConfigs")) {
            Some(Value::Array(scopes)) => scopes.iter().any(|s| {
                let ns_labels = render.get("", "Namespace", "", &svc.namespace).map(|n| n.labels()).unwrap_or_default();
                s.get("scope").and_then(Value::as_str) == Some("GLOBAL")
                    && ist::label_selector_matches(s.get("servicesSelector"), &labels)
                    && ist::label_selector_matches(s.get("namespaceSelector"), &ns_labels)
            }),
            _ => service.label(GLOBAL_LABEL) == Some("true"),
        };
        if !global {
            return Some(Fail::error(
                EXPORT,
                &target.name,
                Some(ObjectRef::of(service)),
                format!("field metadata.labels[\"{GLOBAL_LABEL}\"]: the Service is not global (no GLOBAL serviceScopeConfigs entry matches it), so other networks never see it"),
            ));
        }
        self.service_port(target, svc, port)
    }
}

pub fn workload_selector(se: &Obj) -> Vec<(&str, &str)> {
    super::model::string_map(se.at("/spec/workloadSelector/labels"))
}

pub fn se_ports(se: &Obj) -> Vec<u64> {
    se.at("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("number").and_then(as_port))
        .collect()
}

fn as_port(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// Why an import ServiceEntry does not route to `target`, if it does not.
fn import_problem(
    se: &Obj,
    endpoints: &[&Value],
    pods_seen: bool,
    target: &ClusterView,
    host: &str,
    port: &PortView,
) -> Option<String> {
    if se.str_at("/spec/location") != Some("MESH_INTERNAL") {
        return Some(
            "field spec.location: not MESH_INTERNAL, so the caller does not use Istio mTLS and the gateway cannot route it"
                .into(),
        );
    }
    if se.str_at("/spec/resolution") != Some("STATIC") {
        return Some(format!(
            "field spec.resolution: {} instead of STATIC, so istiod does not replace the remote endpoint by the gateway",
            se.str_at("/spec/resolution").unwrap_or("NONE (default)")
        ));
    }
    if !se_ports(se).contains(&port.number) {
        return Some(format!("field spec.ports: no port {} for {host}", port.number));
    }
    if pods_seen {
        return None;
    }
    endpoints_problem(endpoints, target)
}

/// Is one of the endpoints (inline or WorkloadEntry) on the target's network, with mTLS?
fn endpoints_problem(endpoints: &[&Value], target: &ClusterView) -> Option<String> {
    let on_network: Vec<&&Value> =
        endpoints.iter().filter(|e| e.get("network").and_then(Value::as_str) == Some(&target.network)).collect();
    if on_network.is_empty() {
        return Some(format!(
            "field spec.endpoints: none on network {} (cluster {}), inline or as a selected WorkloadEntry",
            target.network, target.name
        ));
    }
    let mtls = on_network.iter().any(|e| {
        e.get("labels").and_then(|l| l.get(TLS_MODE_LABEL.0)).and_then(Value::as_str) == Some(TLS_MODE_LABEL.1)
    });
    if !mtls {
        return Some(format!(
            "field spec.endpoints[network={}].labels: no security.istio.io/tlsMode: istio, so the caller sends plain text and the gateway resets it",
            target.network
        ));
    }
    None
}

/// The container ports a workload's pod template declares.
fn container_ports(w: &Obj) -> Vec<u64> {
    ist::pod_template(w)
        .and_then(|t| t.pointer("/spec/containers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c.get("ports").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|p| p.get("containerPort").and_then(as_port))
        .collect()
}

pub struct ServicePortEntry {
    pub name: String,
    pub port: u64,
    pub target: u64,
    pub node_port: Option<u64>,
}

/// A Service's ports with numeric target ports (a named targetPort counts as the port).
pub fn service_ports(service: &Obj) -> Vec<ServicePortEntry> {
    service
        .at("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let port = p.get("port").and_then(as_port)?;
            Some(ServicePortEntry {
                name: p.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                port,
                target: p.get("targetPort").and_then(as_port).unwrap_or(port),
                node_port: p.get("nodePort").and_then(as_port),
            })
        })
        .collect()
}
