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

/// The exported hosts, each once, without those another listed wildcard covers.
/// Overlapping AUTO_PASSTHROUGH hosts would make Envoy reject the whole listener. With
/// `expose_all`, `*.local` leads (Istio's samples: every mesh service reachable).
pub fn passthrough_hosts<'a>(exported: impl Iterator<Item = &'a str>, expose_all: bool) -> Vec<String> {
    let mut hosts: Vec<String> = if expose_all { vec![DEFAULT_HOST.to_owned()] } else { Vec::new() };
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

/// The AUTO_PASSTHROUGH Gateway for every gateway this istiod configures (a primary's and
/// its remotes', which carry the same pod label): only the hosts of services that run in
/// those clusters, so a service nobody exported cannot be reached from another network.
/// One server per distinct gateway port. None when nothing is exported (a server needs hosts).
pub fn cross_network_gateway(mesh: &Mesh) -> Option<Generated> {
    let group = mesh.config_group();
    let exported = mesh
        .spec
        .services
        .iter()
        .filter(|s| group.iter().any(|c| s.clusters.contains(&c.name)))
        .flat_map(|s| s.hosts.iter().map(String::as_str));
    let hosts = passthrough_hosts(exported, mesh.spec.expose_all);
    if hosts.is_empty() {
        return None;
    }
    let mut ports: Vec<u64> = group.iter().map(|c| c.gateway.port).collect();
    ports.sort();
    ports.dedup();
    // The rendered cluster's own port first, named as before.
    ports.sort_by_key(|p| *p != mesh.cluster().gateway.port);
    let servers: Vec<Value> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let name = if i == 0 { "tls".to_owned() } else { format!("tls-{port}") };
            json!({
                "port": {"number": port, "name": name, "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": hosts,
            })
        })
        .collect();
    let ns = &mesh.cluster().gateway.namespace;
    let value = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "cross-network-gateway", "namespace": ns},
        "spec": {"selector": selector(), "servers": servers},
    });
    Some(Generated { value, file: "expose-services" })
}

/// The Service of istiod of `revision`: the istiod chart names it `istiod-<revision>`
/// (manifests/charts/istio-control/istio-discovery/templates/service.yaml), as Istio's
/// samples/multicluster/expose-istiod-rev.yaml.tmpl routes to.
pub fn istiod_host(mesh: &Mesh, revision: Option<&str>) -> String {
    let name = match revision {
        Some(rev) => format!("istiod-{rev}"),
        None => "istiod".to_owned(),
    };
    format!("{name}.{}.svc.cluster.local", mesh.spec.istio_namespace)
}

/// istiod's xDS (15012) and webhook (15017) passed through to istiod, for remote clusters.
pub fn istiod(mesh: &Mesh, revision: Option<&str>) -> Vec<Generated> {
    let ns = &mesh.cluster().gateway.namespace;
    let istiod_host = istiod_host(mesh, revision);
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
        let hosts = passthrough_hosts(
            ["echo.eu.mesh.local", "echo.mesh.global", "*.mesh.global", "b.mesh.global"].into_iter(),
            true,
        );
        assert_eq!(hosts, vec!["*.local", "*.mesh.global"]);
        // Item 14 (least exposure): without exposeAll only the exported hosts are forwarded.
        let hosts = passthrough_hosts(["echo.eu.mesh.local", "echo.mesh.global"].into_iter(), false);
        assert_eq!(hosts, vec!["echo.eu.mesh.local", "echo.mesh.global"]);
    }
}
