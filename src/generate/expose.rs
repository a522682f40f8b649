//! Istio `Gateway`s on the east-west gateway (sidecar mode): mTLS passthrough for services,
//! and istiod for remote clusters.

use serde_json::{json, Value};

use super::sidecar_gateway::SELECTOR_LABEL;
use super::Generated;
use crate::config::Mesh;

/// The Gateway hosts Istio's own samples use: every `*.local` service.
pub const DEFAULT_HOST: &str = "*.local";

/// Does `pattern` (a host or `*.suffix` wildcard) cover `host`?
pub fn covers(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
        None => pattern == host,
    }
}

/// `*.local` plus each exported host it does not cover, each once. Overlapping
/// AUTO_PASSTHROUGH hosts would make Envoy reject the whole listener.
pub fn passthrough_hosts<'a>(exported: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut hosts = vec![DEFAULT_HOST.to_owned()];
    let mut extra: Vec<&str> = exported.collect();
    extra.sort();
    extra.dedup();
    // Wildcards first, so a host one of them covers is not added beside it.
    extra.sort_by_key(|h| !h.starts_with("*."));
    for host in extra {
        if !hosts.iter().any(|h| covers(h, host) || h == host) {
            hosts.push(host.to_owned());
        }
    }
    hosts
}

fn selector() -> Value {
    json!({ SELECTOR_LABEL.0: SELECTOR_LABEL.1 })
}

pub fn cross_network_gateway(mesh: &Mesh, hosts: Vec<String>) -> Generated {
    let ns = &mesh.cluster().gateway.namespace;
    let value = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "cross-network-gateway", "namespace": ns},
        "spec": {
            "selector": selector(),
            "servers": [{
                "port": {"number": mesh.cluster().gateway.port, "name": "tls", "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": hosts,
            }],
        },
    });
    Generated { value, file: "expose-services" }
}

/// istiod's xDS (15012) and webhook (15017) passed through to istiod, for remote clusters.
pub fn istiod(mesh: &Mesh) -> Vec<Generated> {
    let ns = &mesh.cluster().gateway.namespace;
    let istiod_host = format!("istiod.{}.svc.cluster.local", mesh.spec.istio_namespace);
    let gateway = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "istiod-gateway", "namespace": ns},
        "spec": {
            "selector": selector(),
            "servers": [
                {"port": {"name": "tls-istiod", "number": 15012, "protocol": "TLS"}, "tls": {"mode": "PASSTHROUGH"}, "hosts": ["*"]},
                {"port": {"name": "tls-istiodwebhook", "number": 15017, "protocol": "TLS"}, "tls": {"mode": "PASSTHROUGH"}, "hosts": ["*"]},
            ],
        },
    });
    let route = |port: u16, target: u16| {
        json!({
            "match": [{"port": port, "sniHosts": ["*"]}],
            "route": [{"destination": {"host": istiod_host, "port": {"number": target}}}],
        })
    };
    let virtual_service = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "istiod-vs", "namespace": ns},
        "spec": {
            "hosts": ["*"],
            "gateways": ["istiod-gateway"],
            "tls": [route(15012, 15012), route(15017, 443)],
        },
    });
    vec![
        Generated { value: gateway, file: "expose-istiod" },
        Generated { value: virtual_service, file: "expose-istiod" },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_subdomains_only() {
        assert!(covers("*.local", "echo.eu.mesh.local"));
        assert!(!covers("*.local", "echo.mesh.global"));
        assert!(!covers("*.local", "local"));
        assert!(covers("a.b", "a.b"));
    }

    #[test]
    fn only_uncovered_hosts_are_added() {
        let hosts =
            passthrough_hosts(["echo.eu.mesh.local", "echo.mesh.global", "*.mesh.global", "b.mesh.global"].into_iter());
        assert_eq!(hosts, vec!["*.local", "*.mesh.global"]);
    }
}
