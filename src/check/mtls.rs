//! What replaces Istio mTLS on a path. The east-west gateway passes through only Istio
//! mTLS with SNI `outbound_.<port>_._.<host>` (istio/istio pilot/pkg/networking/core/
//! gateway.go, AUTO_PASSTHROUGH), so:
//! - a `DestinationRule` whose TLS mode for the host is not ISTIO_MUTUAL makes the caller
//!   send something else (pilot/pkg/networking/core/cluster_tls.go);
//! - a `PeerAuthentication` with mode DISABLE on the target workloads makes them refuse
//!   the mTLS the gateway forwards (pilot/pkg/security/authn/policy_applier.go; the most
//!   specific policy wins: workload, then namespace, then the root namespace).

use serde_json::Value;

use super::istio::{self as ist, host_covers};
use super::model::Obj;
use super::paths::{self, Fail};
use super::topology::{ClusterView, ServiceView};
use super::{CheckInfo, Ctx, ObjectRef};

pub const PEER_AUTHENTICATION: &str = "peer-authentication";
pub const DESTINATION_RULE_TLS: &str = "destination-rule-tls";

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: PEER_AUTHENTICATION, reads: &["PeerAuthentication", "ServiceEntry", "Service"], about: "no PeerAuthentication with mode DISABLE on the target workloads (workload, namespace or mesh-wide, port-level included)" },
    CheckInfo { id: DESTINATION_RULE_TLS, reads: &["DestinationRule"], about: "no DestinationRule in the caller replaces Istio mTLS (tls.mode other than ISTIO_MUTUAL) for the host and port" },
];

pub fn destination_rule_tls(ctx: &Ctx, caller: &ClusterView, host: &str, port: u64) -> Option<Fail> {
    for render in ctx.config_renders(&caller.name) {
        for dr in render.kind("networking.istio.io", "DestinationRule") {
            let Some(pattern) = dr.str_at("/spec/host") else { continue };
            if !host_covers(pattern, host) {
                continue;
            }
            let policy = dr.at("/spec/trafficPolicy");
            let port_level = policy
                .and_then(|p| p.get("portLevelSettings"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|s| s.pointer("/port/number").and_then(Value::as_u64) == Some(port))
                .and_then(|s| s.pointer("/tls/mode"));
            let (field, mode) = match port_level {
                Some(m) => (format!("spec.trafficPolicy.portLevelSettings[port={port}].tls.mode"), m.as_str()),
                None => (
                    "spec.trafficPolicy.tls.mode".to_owned(),
                    policy.and_then(|p| p.pointer("/tls/mode")).and_then(Value::as_str),
                ),
            };
            if let Some(mode) = mode {
                if mode != "ISTIO_MUTUAL" {
                    return Some(Fail::error(
                        DESTINATION_RULE_TLS,
                        &render.cluster,
                        Some(ObjectRef::of(dr)),
                        format!("field {field}: {mode} replaces Istio mTLS for {host}:{port}, which the east-west gateway needs to pass the call through"),
                    ));
                }
            }
        }
    }
    None
}

fn mode_of(pa: &Obj, target_port: Option<u64>) -> Option<(String, &str)> {
    if let Some(port) = target_port {
        if let Some(m) = pa.at(&format!("/spec/portLevelMtls/{port}/mode")).and_then(Value::as_str) {
            return Some((format!("spec.portLevelMtls.{port}.mode"), m));
        }
    }
    pa.at("/spec/mtls/mode").and_then(Value::as_str).map(|m| ("spec.mtls.mode".to_owned(), m))
}

pub fn peer_authentication_disable(
    ctx: &Ctx,
    target: &ClusterView,
    svc: &ServiceView,
    export: Option<&Obj>,
    port: u64,
) -> Option<Fail> {
    let render = ctx.render(&target.name);
    // Policies are Istio config: a remote's live in its primary's render.
    let pas: Vec<&Obj> = ctx
        .config_renders(&target.name)
        .into_iter()
        .flat_map(|r| r.kind("security.istio.io", "PeerAuthentication"))
        .collect();
    if pas.is_empty() {
        return None;
    }
    // The target pods' labels: workloads the export selects, else the selector itself.
    let selector: Vec<(&str, &str)> = export.map(paths::workload_selector).unwrap_or_default();
    let service = render.get("", "Service", &svc.namespace, &svc.name);
    let selector: Vec<(&str, &str)> = if selector.is_empty() {
        service.map(|s| super::model::string_map(s.at("/spec/selector"))).unwrap_or_default()
    } else {
        selector
    };
    let pods: Vec<Vec<(&str, &str)>> = ist::workloads(render)
        .filter(|w| w.in_ns(&svc.namespace) && ist::selects(&selector, &ist::pod_labels(w)))
        .map(|w| ist::pod_labels(w))
        .collect();
    let pods = if pods.is_empty() { vec![selector.clone()] } else { pods };
    let target_port = export
        .and_then(|se| {
            se.at("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|p| p.get("number").and_then(Value::as_u64) == Some(port))
                .and_then(|p| p.get("targetPort").and_then(Value::as_u64))
        })
        .or_else(|| {
            service.and_then(|s| paths::service_ports(s).into_iter().find(|p| p.port == port).map(|p| p.target))
        })
        .or(Some(port));
    let root_ns = ctx.root_namespace(&target.config_cluster).to_owned();
    for labels in &pods {
        let workload = pas.iter().find(|p| {
            p.in_ns(&svc.namespace) && p.namespace.is_some() && {
                let sel = super::model::string_map(p.at("/spec/selector/matchLabels"));
                ist::selects(&sel, labels)
            }
        });
        let namespace = pas
            .iter()
            .find(|p| p.namespace.as_deref() == Some(svc.namespace.as_str()) && p.at("/spec/selector").is_none());
        let mesh =
            pas.iter().find(|p| p.namespace.as_deref() == Some(root_ns.as_str()) && p.at("/spec/selector").is_none());
        let levels = [(workload, target_port), (namespace, None), (mesh, None)];
        for (pa, port_level) in levels {
            let Some(pa) = pa else { continue };
            match mode_of(pa, port_level) {
                Some((_, "UNSET")) | None => continue,
                Some((field, "DISABLE")) => {
                    return Some(Fail::error(
                        PEER_AUTHENTICATION,
                        &target.name,
                        Some(ObjectRef::of(pa)),
                        format!("field {field}: DISABLE on the pods of {}, which then refuse the mTLS the east-west gateway forwards", svc.key()),
                    ))
                }
                Some(_) => break,
            }
        }
    }
    None
}
