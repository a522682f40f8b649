//! Only network gateways carry the network label on their Service. istiod takes any
//! Service labelled `topology.istio.io/network` as a candidate network gateway and uses it
//! when it listens on the mTLS port (15443, or the port named by the
//! `networking.istio.io/gatewayPort` label) or on HBONE 15008
//! (istio/istio pilot/pkg/serviceregistry/kube/controller/network.go, getGatewayDetails).
//! So an ordinary ingress gateway's Service is left alone; its pods keep their label.

#[path = "support/common.rs"]
mod common;

use serde_json::{json, Value};

fn run(input: &str) -> String {
    common::run(input, "testdata/configs/two-clusters.yaml", None)
}

fn gateway(name: &str, ports: &str, service_labels: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: istio-system}}\nspec:\n  template:\n    metadata:\n      labels: {{istio: {name}}}\n    spec:\n      containers:\n      - {{name: istio-proxy, image: proxyv2}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: istio-system\n  labels: {{app: {name}{service_labels}}}\nspec:\n  selector: {{istio: {name}}}\n  ports: {ports}\n"
    )
}

fn net(obj: &Value) -> Option<&Value> {
    obj.pointer("/metadata/labels/topology.istio.io~1network")
}

fn pod_net(obj: &Value) -> Option<&Value> {
    obj.pointer("/spec/template/metadata/labels/topology.istio.io~1network")
}

#[test]
fn an_ingress_gateway_service_gets_no_network_label() {
    let out = run(&gateway("ingressgateway", "[{name: http2, port: 80}, {name: https, port: 443}]", ""));
    let objects = common::objects(&out);
    assert_eq!(pod_net(&objects[0]), Some(&json!("us-net")), "pods keep their label");
    assert_eq!(net(&objects[1]), None, "{out}");
}

#[test]
fn a_service_exposing_15443_or_15008_gets_it() {
    for ports in ["[{name: tls, port: 15443}]", "[{name: hbone, port: 15008}]", "[{name: tls, port: \"15443\"}]"] {
        let out = run(&gateway("mygateway", ports, ""));
        let objects = common::objects(&out);
        assert_eq!(net(&objects[1]), Some(&json!("us-net")), "{ports}: {out}");
    }
}

#[test]
fn the_gateway_port_label_moves_the_mtls_port() {
    let out = run(&gateway("mygateway", "[{name: tls, port: 16443}]", ", networking.istio.io/gatewayPort: \"16443\""));
    assert_eq!(net(&common::objects(&out)[1]), Some(&json!("us-net")), "{out}");
    let out = run(&gateway("mygateway", "[{name: tls, port: 15443}]", ", networking.istio.io/gatewayPort: \"16443\""));
    assert_eq!(net(&common::objects(&out)[1]), None, "{out}");
}
