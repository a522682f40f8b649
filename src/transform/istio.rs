//! Recognising Istio's own objects in a rendered stream, the way Istio's charts render them.

use crate::config::Mesh;
use crate::read::Object;
use crate::yaml::Node;

/// The label Istio reads for a workload's, a gateway's or the control plane namespace's network.
pub const NETWORK_LABEL: &str = "topology.istio.io/network";

const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"];

/// Path from the object to its pod template's root (metadata and spec), if it has one.
pub fn pod_template_path(obj: &Object) -> Option<&'static [&'static str]> {
    match (obj.group(), obj.kind) {
        ("apps" | "batch", k) if WORKLOAD_KINDS.contains(&k) => Some(&["spec", "template"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        ("", "Pod") => Some(&[]),
        _ => None,
    }
}

pub fn pod_template<'a>(obj: &Object<'a>) -> Option<&'a Node> {
    pod_template_path(obj).and_then(|p| obj.node.path(p))
}

pub fn pod_label<'a>(obj: &Object<'a>, key: &str) -> Option<&'a str> {
    pod_template(obj)?.path(&["metadata", "labels", key]).and_then(Node::as_str)
}

fn pod_annotation<'a>(obj: &Object<'a>, key: &str) -> Option<&'a str> {
    pod_template(obj)?.path(&["metadata", "annotations", key]).and_then(Node::as_str)
}

/// The containers of a workload's pod template.
pub fn containers<'a>(obj: &Object<'a>) -> &'a [Node] {
    pod_template(obj).and_then(|t| t.path(&["spec", "containers"])).map_or(&[], Node::items)
}

pub fn has_container(obj: &Object, name: &str) -> bool {
    containers(obj).iter().any(|c| c.get("name").and_then(Node::as_str) == Some(name))
}

/// The value of a container's plain env var.
pub fn env_value<'a>(obj: &Object<'a>, container: &str, name: &str) -> Option<&'a str> {
    let c = containers(obj).iter().find(|c| c.get("name").and_then(Node::as_str) == Some(container))?;
    let var = c.get("env")?.items().iter().find(|e| e.get("name").and_then(Node::as_str) == Some(name))?;
    var.get("value").and_then(Node::as_str)
}

/// Does a container's env var take its value from `valueFrom`?
pub fn env_value_from(obj: &Object, container: &str, name: &str) -> bool {
    let Some(c) = containers(obj).iter().find(|c| c.get("name").and_then(Node::as_str) == Some(container)) else {
        return false;
    };
    let var =
        c.get("env").map_or(&[][..], Node::items).iter().find(|e| e.get("name").and_then(Node::as_str) == Some(name));
    var.and_then(|v| v.get("valueFrom")).is_some_and(|v| !v.is_null())
}

/// istiod: the Deployment running pilot's `discovery` container.
pub fn is_istiod(obj: &Object) -> bool {
    obj.is("apps", "Deployment")
        && (pod_label(obj, "app") == Some("istiod") || pod_label(obj, "istio") == Some("pilot"))
        && has_container(obj, "discovery")
}

/// An Istio gateway Deployment: pods injected with the `gateway` template (the gateway
/// chart), or the classic `istio: *gateway` pods.
pub fn is_gateway(obj: &Object) -> bool {
    obj.is("apps", "Deployment")
        && (pod_annotation(obj, "inject.istio.io/templates") == Some("gateway")
            || pod_label(obj, "istio").is_some_and(|v| v.ends_with("gateway")))
}

/// The gateway that other networks reach this cluster through.
pub fn is_eastwest_gateway(obj: &Object, mesh: &Mesh) -> bool {
    let gw = &mesh.cluster().gateway;
    is_gateway(obj)
        && (pod_label(obj, "istio") == Some("eastwestgateway")
            || (obj.name == gw.name && obj.namespace.unwrap_or("default") == gw.namespace))
}

/// ztunnel, the ambient node proxy.
pub fn is_ztunnel(obj: &Object) -> bool {
    obj.is("apps", "DaemonSet") && pod_label(obj, "app") == Some("ztunnel")
}

/// The mTLS passthrough and HBONE ports a network gateway Service listens on, and the
/// label that moves the first (istio/istio pilot/pkg/serviceregistry/kube/controller/network.go,
/// `getGatewayDetails`: a labelled Service listening on neither is no gateway).
const NETWORK_GATEWAY_PORT: u32 = 15443;
const NETWORK_GATEWAY_HBONE_PORT: u32 = 15008;

/// A Service istiod may take as a network gateway: one exposing (as its `port`) 15443, or
/// the port its `networking.istio.io/gatewayPort` label names, or 15008. Only such
/// Services carry the network label; an ordinary ingress gateway's Service must not.
pub fn is_network_gateway_service(service: &Object) -> bool {
    let mtls_port =
        service.label(GATEWAY_PORT_LABEL).and_then(|p| p.trim().parse().ok()).unwrap_or(NETWORK_GATEWAY_PORT);
    let ports = service.node.path(&["spec", "ports"]).map_or(&[][..], Node::items);
    ports
        .iter()
        .filter_map(|p| p.get("port")?.scalar_text()?.trim().parse::<u32>().ok())
        .any(|port| port == mtls_port || port == NETWORK_GATEWAY_HBONE_PORT)
}

/// A Service whose selector picks the pods of `workload`.
pub fn service_selects(service: &Object, workload: &Object) -> bool {
    if !service.is("", "Service") || service.namespace != workload.namespace {
        return false;
    }
    let Some(selector) = service.node.path(&["spec", "selector"]) else { return false };
    let entries = selector.merged_entries();
    !entries.is_empty()
        && entries.iter().all(|(k, v)| match (k.as_str(), v.as_str()) {
            (Some(k), Some(v)) => pod_label(workload, k) == Some(v),
            _ => false,
        })
}

// --- Facts shared by the generator and the checker (istio/istio and ztunnel sources) -----

/// HBONE, the tunnel port every ambient cross-network connection uses (ztunnel
/// src/proxy/outbound.rs; istio pilot/pkg/serviceregistry/ambient/networks.go reads it
/// from the peer Gateway's HBONE listener).
pub const HBONE_PORT: u16 = 15008;
/// The sidecar-mode mTLS passthrough port of an east-west gateway.
pub const DEFAULT_TLS_PORT: u64 = 15443;
/// Pod label of the east-west gateway; the cross-network Gateways select it.
pub const EASTWEST_POD_LABEL: (&str, &str) = ("istio", "eastwestgateway");
/// The Service label that names a gateway's mTLS port when it is not 15443
/// (pilot/pkg/serviceregistry/kube/controller/network.go).
pub const GATEWAY_PORT_LABEL: &str = "networking.istio.io/gatewayPort";
/// Gateway API: the Service type istiod gives a gateway it deploys
/// (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go).
pub const SERVICE_TYPE_ANNOTATION: &str = "networking.istio.io/service-type";
/// The control plane revision a pod or Gateway belongs to (pkg/revisions/tag_watcher.go).
pub const REVISION_LABEL: &str = "istio.io/rev";
/// On a remote's control-plane Namespace: the primaries that take charge of it
/// (pilot/pkg/serviceregistry/kube/controller/multicluster.go).
pub const CONTROL_PLANE_CLUSTERS_ANNOTATION: &str = "topology.istio.io/controlPlaneClusters";
/// istiod env: this istiod serves remote clusters (multicluster.go).
pub const EXTERNAL_ISTIOD_ENV: &str = "EXTERNAL_ISTIOD";
/// Endpoint label that turns on auto-mTLS towards it.
pub const TLS_MODE_LABEL: (&str, &str) = ("security.istio.io/tlsMode", "istio");
/// Ambient: a Service shared across networks (pilot/pkg/serviceregistry/ambient/services.go).
pub const GLOBAL_SERVICE_LABEL: &str = "istio.io/global";

/// The SNI a sidecar sends through an AUTO_PASSTHROUGH gateway for `host:port`
/// (pilot/pkg/model/service.go BuildSubsetKey / BuildDNSSrvSubsetKey).
pub fn passthrough_sni(port: u64, host: &str) -> String {
    format!("outbound_.{port}_._.{host}")
}

/// The revision of an istiod Deployment (`istio.io/rev`), when not the default.
pub fn revision_of<'a>(obj: &Object<'a>) -> Option<&'a str> {
    let rev = obj.node.path(&["metadata", "labels", REVISION_LABEL]).and_then(Node::as_str)?;
    (rev != "default" && !rev.is_empty()).then_some(rev)
}

// Facts Istio reads that both the generator and `eastwest check` rely on.

/// Proxy metadata (mesh config `defaultConfig.proxyMetadata`) that turns on the sidecar DNS
/// proxy, which resolves ServiceEntry hosts to their VIPs.
pub const DNS_CAPTURE_METADATA: &str = "ISTIO_META_DNS_CAPTURE";
/// Gateway API class of an ambient cluster's own east-west gateway (istiod deploys it).
pub const EAST_WEST_GATEWAY_CLASS: &str = "istio-east-west";
/// Gateway API class of a peer Gateway that points at another network's gateway.
pub const REMOTE_GATEWAY_CLASS: &str = "istio-remote";
/// The Secret istiod takes its signing CA from (pilot/pkg/bootstrap/istio_ca.go).
pub const CACERTS_SECRET: &str = "cacerts";
