//! Every check a config must pass before anything is rendered with it.

use std::collections::HashSet;
use std::net::IpAddr;

use super::{Mesh, MeshNetwork, Mode, Role, ServiceType, API_VERSION, KIND};
use crate::error::Error;

/// A Kubernetes label value: at most 63 characters, alphanumerics with `-_.` inside.
pub fn is_label_value(s: &str) -> bool {
    s.len() <= 63
        && (s.is_empty()
            || (s.starts_with(|c: char| c.is_ascii_alphanumeric())
                && s.ends_with(|c: char| c.is_ascii_alphanumeric())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))))
}

/// An RFC 1123 label (names of clusters, namespaces, ports).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An RFC 1123 subdomain (host names, trust domains).
pub fn is_dns_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A service host: a DNS name, optionally with a leading `*.` wildcard.
fn is_host(s: &str) -> bool {
    is_dns_name(s.strip_prefix("*.").unwrap_or(s))
}

/// Istio's port protocols.
const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "TCP", "TLS"];

fn check_port(field: &str, number: u64) -> Result<(), Error> {
    if (1..=65535).contains(&number) {
        Ok(())
    } else {
        Err(Error::config(field, format!("port {number} is outside 1-65535")))
    }
}

fn check_locality(field: &str, locality: &str) -> Result<(), Error> {
    let parts: Vec<&str> = locality.split('/').collect();
    if parts.len() > 3 || parts.iter().any(|p| !is_label_value(p) || p.is_empty()) {
        return Err(Error::config(field, format!("{locality:?} is not region[/zone[/subzone]]")));
    }
    Ok(())
}

fn check_env_name(field: &str, name: &str) -> Result<(), Error> {
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::config(field, format!("{name:?} is not an environment variable name")))
    }
}

fn need(ok: bool, field: String, message: String) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::config(field, message))
    }
}

pub fn check(doc: MeshNetwork, cluster_override: Option<&str>) -> Result<Mesh, Error> {
    need(
        doc.api_version == API_VERSION,
        "apiVersion".into(),
        format!("must be {API_VERSION}, not {:?}", doc.api_version),
    )?;
    need(doc.kind == KIND, "kind".into(), format!("must be {KIND}, not {:?}", doc.kind))?;
    let mut spec = doc.spec;
    need(
        !spec.mesh_id.is_empty() && is_label_value(&spec.mesh_id),
        "spec.meshID".into(),
        format!("{:?} is not a valid label value (non-empty, at most 63 of [A-Za-z0-9-_.])", spec.mesh_id),
    )?;
    need(
        is_dns_name(&spec.trust_domain),
        "spec.trustDomain".into(),
        format!("{:?} is not a DNS name", spec.trust_domain),
    )?;
    need(
        is_dns_label(&spec.istio_namespace),
        "spec.istioNamespace".into(),
        format!("{:?} is not a namespace name", spec.istio_namespace),
    )?;
    need(!spec.clusters.is_empty(), "spec.clusters".into(), "must list at least one cluster".into())?;

    let mut names: HashSet<String> = HashSet::new();
    let mut networks = HashSet::new();
    for (i, c) in spec.clusters.iter().enumerate() {
        let at = format!("spec.clusters[{i}]");
        need(
            is_dns_label(&c.name),
            format!("{at}.name"),
            format!("{:?} is not a valid cluster name (lowercase RFC 1123 label)", c.name),
        )?;
        need(names.insert(c.name.clone()), format!("{at}.name"), format!("duplicate cluster name {:?}", c.name))?;
        need(
            !c.network.is_empty() && is_label_value(&c.network),
            format!("{at}.network"),
            format!("{:?} is not a valid network name (a label value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends)", c.network),
        )?;
        need(
            networks.insert(c.network.as_str()),
            format!("{at}.network"),
            format!("network {:?} is used by two clusters", c.network),
        )?;
        if let Some(loc) = &c.locality {
            check_locality(&format!("{at}.locality"), loc)?;
        }
        let g = &c.gateway;
        let addr_ok = g.address.parse::<IpAddr>().is_ok() || is_dns_name(&g.address);
        need(
            addr_ok,
            format!("{at}.gateway.address"),
            format!("{:?} is neither an IP address nor a DNS name", g.address),
        )?;
        check_port(&format!("{at}.gateway.port"), g.port)?;
        need(is_dns_label(&g.name), format!("{at}.gateway.name"), format!("{:?} is not a valid name", g.name))?;
        need(
            is_dns_label(&g.namespace),
            format!("{at}.gateway.namespace"),
            format!("{:?} is not a namespace name", g.namespace),
        )?;
        if let Some(p) = g.node_port {
            need(
                g.service_type == ServiceType::NodePort,
                format!("{at}.gateway.nodePort"),
                "is only used with serviceType: NodePort".into(),
            )?;
            need(
                (30000..=32767).contains(&p),
                format!("{at}.gateway.nodePort"),
                format!("{p} is outside the default node port range 30000-32767"),
            )?;
        }
        if let Some(p) = g.external_port {
            check_port(&format!("{at}.gateway.externalPort"), p)?;
        }
        // Nothing in Istio reads an `istio.io/expose-istiod` label, and on an istio-east-west
        // Gateway a Passthrough listener routes only what a TLSRoute sends it
        // (pilot/pkg/config/kube/gateway/gateway_collection.go); ambient has no remote
        // cluster that would dial istiod there. Sidecar exposes istiod by
        // spec.generate.exposeIstiod.
        need(
            !g.expose_istiod,
            format!("{at}.gateway.exposeIstiod"),
            match spec.mode {
                Mode::Ambient => "exposes nothing in ambient mode (no remote clusters; a Passthrough listener without a TLSRoute routes nowhere); drop it".into(),
                Mode::Sidecar => "is not read in sidecar mode; istiod is exposed through spec.generate.exposeIstiod (automatic for a primary with remotes)".into(),
            },
        )?;
        for (caller, address) in &g.address_from {
            let field = format!("{at}.gateway.addressFrom[{caller:?}]");
            need(
                spec.clusters.iter().any(|o| &o.name == caller && o.name != c.name),
                field.clone(),
                format!("{caller:?} is not another cluster of the mesh"),
            )?;
            // A remote's proxies are configured by its primary's istiod, with the
            // primary's meshNetworks: they dial what the primary dials.
            need(
                spec.clusters.iter().any(|o| &o.name == caller && o.role == Role::Primary),
                field.clone(),
                format!("{caller:?} is a remote cluster: its proxies dial what its primary dials, so key addressFrom by the primary"),
            )?;
            need(
                address.parse::<IpAddr>().is_ok() || is_dns_name(address),
                field,
                format!("{address:?} is neither an IP address nor a DNS name"),
            )?;
        }
        if spec.mode == Mode::Ambient {
            // istiod creates the ambient gateway's Service and picks its node ports, so
            // peers could never be told which one to dial.
            need(
                g.service_type != ServiceType::NodePort,
                format!("{at}.gateway.serviceType"),
                "NodePort cannot be used in ambient mode: istiod creates the gateway Service and its node port is not known to the peers' istio-remote Gateways".into(),
            )?;
            // Ambient multicluster is multi-primary: each cluster's istiod reads its own
            // peer Gateways (pilot/pkg/serviceregistry/ambient/networks.go).
            need(
                c.role == Role::Primary,
                format!("{at}.role"),
                "remote clusters are not supported in ambient mode (ambient multicluster is multi-primary: every cluster runs its own istiod)".into(),
            )?;
        }
        if let Some(ip) = &g.load_balancer_ip {
            need(
                ip.parse::<IpAddr>().is_ok(),
                format!("{at}.gateway.loadBalancerIP"),
                format!("{ip:?} is not an IP address"),
            )?;
        }
    }

    check_primaries(&mut spec)?;
    if let Some(rev) = &spec.revision {
        need(is_dns_label(rev), "spec.revision".into(), format!("{rev:?} is not a revision name (RFC 1123 label)"))?;
    }

    let current = match cluster_override.or(spec.cluster.as_deref()) {
        Some(name) => spec.clusters.iter().position(|c| c.name == name).ok_or_else(|| {
            let field = if cluster_override.is_some() { "--cluster" } else { "spec.cluster" };
            Error::config(field, format!("unknown cluster {name:?} (known: {})", known(&spec)))
        })?,
        None if spec.clusters.len() == 1 => 0,
        None => return Err(Error::config("spec.cluster", "say which cluster is rendered (spec.cluster or --cluster)")),
    };

    for (i, link) in spec.links.iter().flatten().enumerate() {
        for (end, name) in [("from", &link.from), ("to", &link.to)] {
            need(
                names.contains(name.as_str()),
                format!("spec.links[{i}].{end}"),
                format!("unknown cluster {name:?} (known: {})", known(&spec)),
            )?;
        }
        need(link.from != link.to, format!("spec.links[{i}]"), "links a cluster to itself".into())?;
    }

    let mut service_keys = HashSet::new();
    for (i, s) in spec.services.iter().enumerate() {
        let at = format!("spec.services[{i}]");
        need(is_dns_label(&s.name), format!("{at}.name"), format!("{:?} is not a valid service name", s.name))?;
        need(
            is_dns_label(&s.namespace),
            format!("{at}.namespace"),
            format!("{:?} is not a namespace name", s.namespace),
        )?;
        need(
            service_keys.insert((&s.namespace, &s.name)),
            format!("{at}.name"),
            format!("service {}/{} is listed twice", s.namespace, s.name),
        )?;
        need(!s.clusters.is_empty(), format!("{at}.clusters"), "must name the clusters the service runs in".into())?;
        for (j, c) in s.clusters.iter().enumerate() {
            need(
                names.contains(c.as_str()),
                format!("{at}.clusters[{j}]"),
                format!("unknown cluster {c:?} (known: {})", known(&spec)),
            )?;
        }
        for (j, h) in s.hosts.iter().enumerate() {
            need(is_host(h), format!("{at}.hosts[{j}]"), format!("{h:?} is not a DNS name"))?;
            // istio/istio pilot/pkg/serviceregistry/ambient/services.go: only Kubernetes
            // Services labelled istio.io/global get Global scope, and the istio-east-west
            // gateway builds chains only for those (pilot/pkg/networking/core/waypoint.go);
            // ztunnel's inner CONNECT names the Service's own host (src/proxy/outbound.rs).
            need(
                spec.mode != Mode::Ambient || *h == s.kubernetes_host(),
                format!("{at}.hosts[{j}]"),
                format!(
                    "{h:?}: in ambient mode a service crosses networks only as its Kubernetes Service, called by its FQDN {:?} (an east-west gateway has no route for other hosts); drop hosts or list only that",
                    s.kubernetes_host()
                ),
            )?;
        }
        need(!s.ports.is_empty(), format!("{at}.ports"), "must list at least one port".into())?;
        let mut port_names = HashSet::new();
        for (j, p) in s.ports.iter().enumerate() {
            let pat = format!("{at}.ports[{j}]");
            check_port(&format!("{pat}.number"), p.number)?;
            if let Some(t) = p.target_port {
                check_port(&format!("{pat}.targetPort"), t)?;
            }
            need(is_dns_label(&p.name), format!("{pat}.name"), format!("{:?} is not a valid port name", p.name))?;
            need(port_names.insert(&p.name), format!("{pat}.name"), format!("duplicate port name {:?}", p.name))?;
            need(
                PROTOCOLS.contains(&p.protocol.as_str()),
                format!("{pat}.protocol"),
                format!("{:?} is not one of {}", p.protocol, PROTOCOLS.join(", ")),
            )?;
        }
        for (j, sa) in s.service_accounts.iter().enumerate() {
            need(
                is_dns_name(sa),
                format!("{at}.serviceAccounts[{j}]"),
                format!("{sa:?} is not a service account name"),
            )?;
            // Sidecar callers verify the pods through the Kubernetes Service or the
            // exporting ServiceEntry; only ambient's imported ServiceEntry carries them.
            need(
                spec.mode == Mode::Ambient,
                format!("{at}.serviceAccounts"),
                "is read only in ambient mode (the identities a caller's ztunnel accepts); drop it".into(),
            )?;
        }
        for (k, v) in &s.selector {
            need(
                is_label_value(v) && !k.is_empty(),
                format!("{at}.selector[{k:?}]"),
                format!("{v:?} is not a label value"),
            )?;
        }
    }

    check_failover(&spec)?;
    check_ambient_reach(&spec)?;

    for (i, ns) in spec.workload_namespaces.iter().enumerate() {
        need(is_dns_label(ns), format!("spec.workloadNamespaces[{i}]"), format!("{ns:?} is not a namespace name"))?;
    }
    for (component, env) in
        [("istiod", &spec.env.istiod), ("gateway", &spec.env.gateway), ("ztunnel", &spec.env.ztunnel)]
    {
        for name in env.keys() {
            check_env_name(&format!("spec.env.{component}[{name:?}]"), name)?;
        }
    }
    check_trust(&spec)?;
    // Hosts default to the Service's own FQDN (the only host ambient can carry).
    for s in &mut spec.services {
        if s.hosts.is_empty() {
            s.hosts.push(s.kubernetes_host());
        }
    }
    check_remote_only_services(&spec)?;
    Ok(Mesh { spec, current })
}

/// Sidecar: a service called by its Kubernetes FQDN that runs in a remote but not in the
/// remote's primary, and also in another network outside that primary's clusters. Its
/// instances there are address-less WorkloadEntries in the primary, and only the config
/// cluster's Kubernetes Services select WorkloadEntries (istio/istio
/// pilot/pkg/serviceregistry/kube/controller/multicluster.go initializeCluster appends
/// the kube WorkloadInstanceHandler for the config cluster only; controller.go
/// serviceInstancesFromWorkloadInstances). The Service lives only in the remote, so
/// nothing would select them and the FQDN would silently reach the remote's pods only.
fn check_remote_only_services(spec: &super::Spec) -> Result<(), Error> {
    if spec.mode != Mode::Sidecar {
        return Ok(());
    }
    let can_call = |from: &str, to: &str| match &spec.links {
        None => true,
        Some(links) => {
            links.iter().any(|l| (l.from == from && l.to == to) || (l.bidirectional && l.from == to && l.to == from))
        }
    };
    for primary in spec.clusters.iter().filter(|c| c.role == Role::Primary) {
        let group: Vec<&str> = spec
            .clusters
            .iter()
            .filter(|c| c.name == primary.name || c.primary.as_deref() == Some(primary.name.as_str()))
            .map(|c| c.name.as_str())
            .collect();
        for (i, s) in spec.services.iter().enumerate() {
            if s.clusters.contains(&primary.name) || !s.hosts.contains(&s.kubernetes_host()) {
                continue;
            }
            let Some(remote) = s.clusters.iter().find(|c| group.contains(&c.as_str())) else { continue };
            let outside: Vec<&str> = s
                .clusters
                .iter()
                .map(String::as_str)
                .filter(|c| !group.contains(c) && group.iter().any(|g| can_call(g, c)))
                .collect();
            need(
                outside.is_empty(),
                format!("spec.services[{i}].clusters"),
                format!(
                    "{}/{} runs in remote {remote:?} but not in its primary {:?}, and also in {}: only the primary's own Services select the WorkloadEntries for those instances, so its FQDN {:?} would reach {remote:?} only; run it in {:?} too, or give it hosts other than the FQDN",
                    s.namespace,
                    s.name,
                    primary.name,
                    outside.join(", "),
                    s.kubernetes_host(),
                    primary.name
                ),
            )?;
        }
    }
    Ok(())
}

/// Each remote names (or defaults to) an existing primary; primaries name none.
fn check_primaries(spec: &mut super::Spec) -> Result<(), Error> {
    let primaries: Vec<String> =
        spec.clusters.iter().filter(|c| c.role == Role::Primary).map(|c| c.name.clone()).collect();
    for (i, c) in spec.clusters.iter_mut().enumerate() {
        let field = format!("spec.clusters[{i}].primary");
        match (c.role, &c.primary) {
            (Role::Primary, Some(_)) => {
                return Err(Error::config(field, "only a remote cluster names a primary"));
            }
            (Role::Primary, None) => {}
            (Role::Remote, Some(p)) => need(
                primaries.contains(p),
                field,
                format!("{p:?} is not a primary cluster (primaries: {})", primaries.join(", ")),
            )?,
            (Role::Remote, None) if primaries.len() == 1 => c.primary = Some(primaries[0].clone()),
            (Role::Remote, None) => {
                return Err(Error::config(
                    field,
                    format!(
                        "say which primary serves remote cluster {:?} (primaries: {})",
                        c.name,
                        if primaries.is_empty() { "none".to_owned() } else { primaries.join(", ") }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `failover` names clusters the service runs in, each once, each with its own region.
fn check_failover(spec: &super::Spec) -> Result<(), Error> {
    for (i, s) in spec.services.iter().enumerate() {
        let mut regions = HashSet::new();
        for (j, name) in s.failover.iter().enumerate() {
            let field = format!("spec.services[{i}].failover[{j}]");
            need(s.clusters.contains(name), field.clone(), format!("{name:?} is not one of the service's clusters"))?;
            let locality = spec.clusters.iter().find(|c| &c.name == name).and_then(|c| c.locality.as_deref());
            let Some(locality) = locality else {
                return Err(Error::config(
                    field,
                    format!("cluster {name:?} has no locality; failover is by region, so set spec.clusters[].locality"),
                ));
            };
            let region = locality.split('/').next().unwrap_or(locality);
            need(
                regions.insert(region.to_owned()),
                field,
                format!("region {region:?} is listed twice; failover orders regions"),
            )?;
        }
    }
    Ok(())
}

/// Ambient: a caller must reach each service in at most one remote network. istio/istio
/// pilot/pkg/serviceregistry/ambient/helpers.go and workloads.go give the address-less
/// endpoints of one ServiceEntry the same workload UID, and krt keeps only the last; one
/// ServiceEntry per network does not help either, since selectWorkloadServices
/// (ambient/services.go) keeps only the oldest service per host and namespace and the
/// others' endpoints are "pruned by deduplication" (workloads.go).
fn check_ambient_reach(spec: &super::Spec) -> Result<(), Error> {
    if spec.mode != Mode::Ambient {
        return Ok(());
    }
    let can_call = |from: &str, to: &str| match &spec.links {
        None => true,
        Some(links) => {
            links.iter().any(|l| (l.from == from && l.to == to) || (l.bidirectional && l.from == to && l.to == from))
        }
    };
    for (i, s) in spec.services.iter().enumerate() {
        for caller in &spec.clusters {
            if s.clusters.contains(&caller.name) {
                continue;
            }
            let reached: Vec<&str> = s
                .clusters
                .iter()
                .filter(|c| **c != caller.name && can_call(&caller.name, c))
                .map(String::as_str)
                .collect();
            need(
                reached.len() <= 1,
                format!("spec.services[{i}].clusters"),
                format!(
                    "in ambient mode cluster {:?} would reach {}/{} in {} remote networks ({}), but istiod keeps only one network's endpoints of an imported host; limit spec.links so each caller reaches it in one remote cluster",
                    caller.name,
                    s.namespace,
                    s.name,
                    reached.len(),
                    reached.join(", ")
                ),
            )?;
        }
    }
    Ok(())
}

fn known(spec: &super::Spec) -> String {
    spec.clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
}

// ---- spec.trust and clusters[].trustDomain (issue 13) ----

/// A Go duration (`8760h`, `1h30m`, `90s`), the form cert-manager's `duration` and
/// `renewBefore` take, in seconds.
fn go_duration_seconds(text: &str) -> Option<f64> {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1e-9),
        ("us", 1e-6),
        ("\u{b5}s", 1e-6),
        ("\u{3bc}s", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    let mut rest = text;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // Longest unit first, so `ms` is not read as `m` followed by `s`.
        let (unit, scale) = UNITS.iter().filter(|(u, _)| rest.starts_with(u)).max_by_key(|(u, _)| u.len())?;
        total += number * scale;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

fn check_trust(spec: &super::Spec) -> Result<(), Error> {
    for (i, c) in spec.clusters.iter().enumerate() {
        let Some(td) = &c.trust_domain else { continue };
        let field = format!("spec.clusters[{i}].trustDomain");
        need(is_dns_name(td), field.clone(), format!("{td:?} is not a DNS name"))?;
        // A remote's workloads are signed by a primary's istiod, in that istiod's trust domain.
        need(
            c.role != super::Role::Remote || *td == spec.trust_domain,
            field.clone(),
            format!("{td:?}: a remote cluster's identities come from its primary's istiod, in the primary's trust domain; set trustDomain on the primary"),
        )?;
        // ztunnel and the east-west gateways of ambient mode still fail between different
        // trust domains; eastwest refuses rather than render a mesh that cannot connect.
        need(
            spec.mode != super::Mode::Ambient || *td == spec.trust_domain,
            field,
            format!(
                "{td:?} differs from spec.trustDomain {:?}: ambient mode does not work across trust domains on current Istio (istio/istio#58511, #61608); use one spec.trustDomain",
                spec.trust_domain
            ),
        )?;
    }
    let Some(cm) = &spec.trust.cert_manager else { return Ok(()) };
    let at = "spec.trust.certManager";
    let issuer = &cm.issuer_ref;
    need(
        is_dns_name(&issuer.name),
        format!("{at}.issuerRef.name"),
        format!("{:?} is not a valid issuer name", issuer.name),
    )?;
    need(
        is_dns_name(&issuer.group),
        format!("{at}.issuerRef.group"),
        format!("{:?} is not an API group", issuer.group),
    )?;
    if issuer.group == "cert-manager.io" {
        need(
            matches!(issuer.kind.as_str(), "Issuer" | "ClusterIssuer"),
            format!("{at}.issuerRef.kind"),
            format!("{:?}: cert-manager.io issuers are Issuer or ClusterIssuer", issuer.kind),
        )?;
    } else {
        need(!issuer.kind.is_empty(), format!("{at}.issuerRef.kind"), "must name the issuer's kind".into())?;
    }
    // cert-manager's own limits (internal/apis/certmanager/validation/certificate.go):
    // duration at least 1h (default 90 days), renewBefore at least 5m and below duration.
    let duration = match &cm.duration {
        Some(text) => {
            let seconds = go_duration_seconds(text).ok_or_else(|| {
                Error::config(format!("{at}.duration"), format!("{text:?} is not a duration like 8760h"))
            })?;
            need(
                seconds >= 3600.0,
                format!("{at}.duration"),
                format!("{text:?} is shorter than 1h (cert-manager's minimum)"),
            )?;
            seconds
        }
        None => 90.0 * 24.0 * 3600.0,
    };
    if let Some(text) = &cm.renew_before {
        let seconds = go_duration_seconds(text).ok_or_else(|| {
            Error::config(format!("{at}.renewBefore"), format!("{text:?} is not a duration like 720h"))
        })?;
        need(
            seconds >= 300.0,
            format!("{at}.renewBefore"),
            format!("{text:?} is shorter than 5m (cert-manager's minimum)"),
        )?;
        need(
            seconds < duration,
            format!("{at}.renewBefore"),
            format!(
                "{text:?} is not shorter than the duration {}",
                cm.duration.as_deref().unwrap_or("2160h (cert-manager's default)")
            ),
        )?;
    }
    if let Some(key) = &cm.private_key {
        use super::KeyAlgorithm;
        let field = format!("{at}.privateKey.size");
        match (key.algorithm.unwrap_or(KeyAlgorithm::Rsa), key.size) {
            (_, None) => {}
            (KeyAlgorithm::Rsa, Some(size)) => {
                need((2048..=8192).contains(&size), field, format!("{size} is not an RSA size from 2048 to 8192"))?
            }
            (KeyAlgorithm::Ecdsa, Some(size)) => {
                need(matches!(size, 256 | 384 | 521), field, format!("{size} is not an ECDSA size (256, 384 or 521)"))?
            }
            (KeyAlgorithm::Ed25519, Some(_)) => {
                return Err(Error::config(field, "Ed25519 keys have no size; leave it out"));
            }
        }
    }
    Ok(())
}

// ---- end of spec.trust ----
