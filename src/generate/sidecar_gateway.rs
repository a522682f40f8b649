//! The sidecar-mode east-west gateway: what Istio's `gateway` chart renders with
//! `networkGateway=<network>`, built from typed Kubernetes resources.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements,
    SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, Sysctl,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{to_value, Generated};
use crate::config::{Mesh, ServiceType};
use crate::transform::istio::{self, NETWORK_LABEL};

/// The pod label the cross-network Gateways select, whatever the gateway is called.
pub const SELECTOR_LABEL: (&str, &str) = istio::EASTWEST_POD_LABEL;

/// Service ports of an east-west gateway: health, mTLS passthrough, istiod, webhook.
pub fn service_ports(mesh: &Mesh) -> Vec<(&'static str, i32)> {
    vec![
        ("status-port", 15021),
        ("tls", mesh.cluster().gateway.port as i32),
        ("tls-istiod", 15012),
        ("tls-webhook", 15017),
    ]
}

fn labels(mesh: &Mesh) -> BTreeMap<String, String> {
    let name = &mesh.cluster().gateway.name;
    BTreeMap::from([
        ("app".to_owned(), name.clone()),
        (SELECTOR_LABEL.0.to_owned(), SELECTOR_LABEL.1.to_owned()),
        ("app.kubernetes.io/name".to_owned(), name.clone()),
        // The gateway's own pods must never be captured by ambient.
        ("istio.io/dataplane-mode".to_owned(), "none".to_owned()),
        (NETWORK_LABEL.to_owned(), mesh.network().to_owned()),
    ])
}

fn meta(mesh: &Mesh, labels: BTreeMap<String, String>) -> ObjectMeta {
    let gw = &mesh.cluster().gateway;
    ObjectMeta {
        name: Some(gw.name.clone()),
        namespace: Some(gw.namespace.clone()),
        labels: Some(labels),
        ..Default::default()
    }
}

pub fn objects(mesh: &Mesh, revision: Option<&str>) -> Vec<Generated> {
    let mut object_labels = labels(mesh);
    // The network label belongs on the pods and the Service, as the chart puts it.
    object_labels.remove(NETWORK_LABEL);
    let file = "eastwest-gateway";
    let values: Vec<Value> = vec![
        to_value(&ServiceAccount { metadata: meta(mesh, object_labels.clone()), ..Default::default() }),
        to_value(&role(mesh, object_labels.clone())),
        to_value(&role_binding(mesh, object_labels.clone())),
        to_value(&service(mesh)),
        to_value(&deployment(mesh, object_labels.clone(), revision)),
        autoscaler(mesh, object_labels),
    ];
    values.into_iter().map(|value| Generated { value, file }).collect()
}

/// The gateway reads TLS secrets of its namespace (for SDS), like the chart's Role.
fn role(mesh: &Mesh, labels: BTreeMap<String, String>) -> Role {
    Role {
        metadata: meta(mesh, labels),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".into()]),
            verbs: vec!["get".into(), "watch".into(), "list".into()],
            ..Default::default()
        }]),
    }
}

fn role_binding(mesh: &Mesh, labels: BTreeMap<String, String>) -> RoleBinding {
    let name = mesh.cluster().gateway.name.clone();
    RoleBinding {
        metadata: meta(mesh, labels),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: name.clone() },
        subjects: Some(vec![Subject { kind: "ServiceAccount".into(), name, ..Default::default() }]),
    }
}

fn service(mesh: &Mesh) -> Service {
    let gw = &mesh.cluster().gateway;
    let mut metadata = meta(mesh, labels(mesh));
    let mut annotations = gw.annotations.clone();
    if gw.service_type == ServiceType::NodePort {
        // Istio uses node addresses for a NodePort gateway only with this annotation; `{}`
        // means every node.
        annotations.entry("traffic.istio.io/nodeSelector".into()).or_insert_with(|| "{}".into());
    }
    if !annotations.is_empty() {
        metadata.annotations = Some(annotations);
    }
    if gw.port != istio::DEFAULT_TLS_PORT {
        // istio/istio pilot/pkg/serviceregistry/kube/controller/network.go: a gateway's
        // mTLS port other than 15443 is read from this label.
        if let Some(labels) = metadata.labels.as_mut() {
            labels.insert(istio::GATEWAY_PORT_LABEL.into(), gw.port.to_string());
        }
    }
    let ports = service_ports(mesh)
        .into_iter()
        .map(|(name, port)| ServicePort {
            name: Some(name.into()),
            port,
            target_port: Some(IntOrString::Int(port)),
            protocol: Some("TCP".into()),
            // The node port other clusters are told to dial (meshNetworks is used as
            // written, istio/istio pilot/pkg/model/network.go), so it is pinned.
            node_port: (gw.service_type == ServiceType::NodePort && port as u64 == gw.port)
                .then(|| gw.node_port() as i32),
            ..Default::default()
        })
        .collect();
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(gw.service_type.as_str().into()),
            load_balancer_ip: gw.load_balancer_ip.clone(),
            ports: Some(ports),
            selector: Some(selector(mesh)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn selector(mesh: &Mesh) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".to_owned(), mesh.cluster().gateway.name.clone()),
        (SELECTOR_LABEL.0.to_owned(), SELECTOR_LABEL.1.to_owned()),
    ])
}

/// The HorizontalPodAutoscaler Istio's gateway chart renders by default
/// (manifests/charts/gateway/templates/hpa.yaml, autoscaling 1-5 replicas at 80% CPU; its
/// PodDisruptionBudget is off by default, so none is written).
fn autoscaler(mesh: &Mesh, labels: BTreeMap<String, String>) -> Value {
    let name = &mesh.cluster().gateway.name;
    serde_json::json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": to_value(&meta(mesh, labels)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 1,
            "maxReplicas": 5,
            "metrics": [{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"averageUtilization": 80, "type": "Utilization"}},
            }],
        },
    })
}

fn deployment(mesh: &Mesh, labels_on_object: BTreeMap<String, String>, revision: Option<&str>) -> Deployment {
    let gw = &mesh.cluster().gateway;
    let mut pod_labels = labels(mesh);
    pod_labels.insert("sidecar.istio.io/inject".into(), "true".into());
    if let Some(rev) = revision {
        // Like the chart's `revision=<rev>`: only that revision's injector takes these pods
        // (istio/istio pkg/revisions/tag_watcher.go).
        pod_labels.insert(istio::REVISION_LABEL.into(), rev.into());
    }
    let annotations = BTreeMap::from([
        // The injector fills in the proxy with its `gateway` template.
        ("inject.istio.io/templates".to_owned(), "gateway".to_owned()),
        ("prometheus.io/path".to_owned(), "/stats/prometheus".to_owned()),
        ("prometheus.io/port".to_owned(), "15020".to_owned()),
        ("prometheus.io/scrape".to_owned(), "true".to_owned()),
        ("sidecar.istio.io/inject".to_owned(), "true".to_owned()),
    ]);
    let mut env = vec![EnvVar {
        name: "ISTIO_META_REQUESTED_NETWORK_VIEW".into(),
        value: Some(mesh.network().to_owned()),
        ..Default::default()
    }];
    env.extend(
        mesh.spec
            .env
            .gateway
            .iter()
            .filter(|(k, _)| k.as_str() != "ISTIO_META_REQUESTED_NETWORK_VIEW")
            .map(|(k, v)| EnvVar { name: k.clone(), value: Some(v.clone()), ..Default::default() }),
    );
    let quantity = |s: &str| Quantity(s.to_owned());
    let container = Container {
        name: "istio-proxy".into(),
        // "auto": the sidecar injector replaces it with the proxy image.
        image: Some("auto".into()),
        env: Some(env),
        ports: Some(vec![ContainerPort {
            container_port: 15090,
            protocol: Some("TCP".into()),
            name: Some("http-envoy-prom".into()),
            ..Default::default()
        }]),
        resources: Some(ResourceRequirements {
            limits: Some(BTreeMap::from([("cpu".into(), quantity("2000m")), ("memory".into(), quantity("1024Mi"))])),
            requests: Some(BTreeMap::from([("cpu".into(), quantity("100m")), ("memory".into(), quantity("128Mi"))])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    Deployment {
        metadata: meta(mesh, labels_on_object),
        spec: Some(DeploymentSpec {
            selector: LabelSelector { match_labels: Some(selector(mesh)), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    annotations: Some(annotations),
                    labels: Some(pod_labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(gw.name.clone()),
                    security_context: Some(PodSecurityContext {
                        // Lets the proxy bind low ports without privileges.
                        sysctls: Some(vec![Sysctl {
                            name: "net.ipv4.ip_unprivileged_port_start".into(),
                            value: "0".into(),
                        }]),
                        ..Default::default()
                    }),
                    containers: vec![container],
                    termination_grace_period_seconds: Some(30),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}
