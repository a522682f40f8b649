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
const GATEWAY_PORT_LABEL: &str = "networking.istio.io/gatewayPort";

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
