//! One rule for every value eastwest injects: a value already set to something else is an
//! error naming both values, unless `spec.overrideExisting: true`; only the charts' own
//! defaults (`trustDomain: cluster.local`, `CLUSTER_ID: Kubernetes`) are replaced without
//! a word. One test per value, each with its own small input, read back as data.

#[path = "support/common.rs"]
mod common;

use serde_json::{json, Value};

fn mesh(mode: &str, override_existing: bool) -> String {
    format!(
        "apiVersion: eastwest.dev/v1alpha1
kind: MeshNetwork
metadata: {{name: m}}
spec:
  meshID: m
  trustDomain: corp.local
  mode: {mode}
  cluster: us
  overrideExisting: {override_existing}
  clusters:
  - {{name: us, network: us-net, gateway: {{address: 192.0.2.1}}}}
  - {{name: eu, network: eu-net, gateway: {{address: 192.0.2.2}}}}
  services:
  - {{name: echo, namespace: echo, clusters: [eu, us], hosts: [echo.echo.svc.cluster.local], ports: [{{name: http, number: 80}}]}}
"
    )
}

fn run(input: &str, mode: &str, override_existing: bool) -> Result<String, String> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "mesh.yaml".into(), text: mesh(mode, override_existing) }),
        cluster: None,
        standalone: false,
    };
    eastwest::run(input, &options).map_err(|f| f.error.to_string())
}

/// Without overrideExisting: an error naming the field and both values. With it: the
/// config's value, read back from the output.
fn assert_rule(input: &str, mode: &str, field: &str, existing: &str, wanted: &str, read: impl Fn(&[Value]) -> Value) {
    let err = run(input, mode, false).expect_err("a different existing value is an error");
    assert!(err.contains(field), "names the field {field}: {err}");
    assert!(err.contains(&format!("{existing:?}")) && err.contains(&format!("{wanted:?}")), "names both values: {err}");
    assert!(err.contains("overrideExisting"), "{err}");
    let out = run(input, mode, true).expect("overrideExisting replaces it");
    assert_eq!(read(&common::objects(&out)), json!(wanted), "{out}");
}

fn istiod(env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: istiod, namespace: istio-system}}\nspec:\n  template:\n    metadata:\n      labels: {{app: istiod}}\n    spec:\n      containers:\n      - name: discovery\n        image: pilot\n        env:\n{env}"
    )
}

fn ztunnel(env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: ztunnel, namespace: istio-system}}\nspec:\n  template:\n    metadata:\n      labels: {{app: ztunnel}}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: ztunnel\n        env:\n{env}"
    )
}

fn env_of(objects: &[Value], name: &str) -> Value {
    let env = objects[0].pointer("/spec/template/spec/containers/0/env").and_then(Value::as_array).expect("env");
    env.iter().find(|v| v["name"] == name).map(|v| v["value"].clone()).unwrap_or(Value::Null)
}

fn mesh_config(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio, namespace: istio-system}}\ndata:\n  mesh: |-\n{data}")
}

/// The embedded mesh config of the first object, as data.
fn mesh_data(objects: &[Value]) -> Value {
    let text = objects[0].pointer("/data/mesh").and_then(Value::as_str).expect("mesh");
    let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
    common::objects(&format!("apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nspec:\n{indented}"))[0]["spec"].clone()
}

#[test]
fn mesh_config_trust_domain() {
    let input = mesh_config("    trustDomain: other.local\n");
    assert_rule(&input, "sidecar", "trustDomain", "other.local", "corp.local", |o| mesh_data(o)["trustDomain"].clone());
    // The chart default is replaced without a word.
    let out = run(&mesh_config("    trustDomain: cluster.local\n"), "sidecar", false).expect("chart default");
    assert_eq!(mesh_data(&common::objects(&out))["trustDomain"], "corp.local");
}

#[test]
fn mesh_config_dns_capture() {
    let input = mesh_config("    defaultConfig:\n      proxyMetadata:\n        ISTIO_META_DNS_CAPTURE: \"false\"\n");
    assert_rule(&input, "sidecar", "ISTIO_META_DNS_CAPTURE", "false", "true", |o| {
        mesh_data(o)["defaultConfig"]["proxyMetadata"]["ISTIO_META_DNS_CAPTURE"].clone()
    });
}

#[test]
fn mesh_config_mesh_id() {
    let input = mesh_config("    defaultConfig:\n      meshId: other\n");
    assert_rule(&input, "sidecar", "meshId", "other", "m", |o| mesh_data(o)["defaultConfig"]["meshId"].clone());
}

#[test]
fn mesh_networks_entry_of_a_network() {
    let input = format!(
        "{}  meshNetworks: |-\n    networks:\n      us-net:\n        endpoints: [{{fromRegistry: other}}]\n",
        mesh_config("    trustDomain: cluster.local\n")
    );
    let err = run(&input, "sidecar", false).expect_err("a different network entry");
    assert!(err.contains("us-net") && err.contains("other") && err.contains("overrideExisting"), "{err}");
    run(&input, "sidecar", true).expect("replaced with overrideExisting");
}

#[test]
fn istiod_cluster_id() {
    let input = istiod("        - {name: CLUSTER_ID, value: cluster1}\n");
    assert_rule(&input, "sidecar", "CLUSTER_ID", "cluster1", "us", |o| env_of(o, "CLUSTER_ID"));
    let out =
        run(&istiod("        - {name: CLUSTER_ID, value: Kubernetes}\n"), "sidecar", false).expect("chart default");
    assert_eq!(env_of(&common::objects(&out), "CLUSTER_ID"), "us");
}

#[test]
fn istiod_cluster_id_from_value_from() {
    let input = istiod("        - name: CLUSTER_ID\n          valueFrom: {configMapKeyRef: {name: c, key: k}}\n");
    let err = run(&input, "sidecar", false).expect_err("valueFrom is a value");
    assert!(err.contains("env[name=CLUSTER_ID].valueFrom") && err.contains("\"us\""), "{err}");
    let out = run(&input, "sidecar", true).expect("override");
    let objects = common::objects(&out);
    assert_eq!(
        objects[0].pointer("/spec/template/spec/containers/0/env/0"),
        Some(&json!({"name": "CLUSTER_ID", "value": "us"}))
    );
}

#[test]
fn istiod_ambient_multi_network() {
    let input = istiod("        - {name: PILOT_ENABLE_AMBIENT, value: \"true\"}\n        - {name: AMBIENT_ENABLE_MULTI_NETWORK, value: \"false\"}\n");
    assert_rule(&input, "ambient", "AMBIENT_ENABLE_MULTI_NETWORK", "false", "true", |o| {
        env_of(o, "AMBIENT_ENABLE_MULTI_NETWORK")
    });
}

#[test]
fn ztunnel_network() {
    let input = ztunnel("        - {name: NETWORK, value: other-net}\n");
    assert_rule(&input, "ambient", "NETWORK", "other-net", "us-net", |o| env_of(o, "NETWORK"));
}

#[test]
fn ztunnel_cluster_id() {
    let input = ztunnel("        - {name: ISTIO_META_CLUSTER_ID, value: cluster1}\n");
    assert_rule(&input, "ambient", "ISTIO_META_CLUSTER_ID", "cluster1", "us", |o| env_of(o, "ISTIO_META_CLUSTER_ID"));
    let out = run(&ztunnel("        - {name: ISTIO_META_CLUSTER_ID, value: Kubernetes}\n"), "ambient", false)
        .expect("chart default");
    assert_eq!(env_of(&common::objects(&out), "ISTIO_META_CLUSTER_ID"), "us");
}

#[test]
fn eastwest_gateway_requested_network_view() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-eastwestgateway, namespace: istio-system}\nspec:\n  template:\n    metadata:\n      labels: {istio: eastwestgateway}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxyv2\n        env:\n        - {name: ISTIO_META_REQUESTED_NETWORK_VIEW, value: eu-net}\n";
    assert_rule(input, "sidecar", "ISTIO_META_REQUESTED_NETWORK_VIEW", "eu-net", "us-net", |o| {
        env_of(o, "ISTIO_META_REQUESTED_NETWORK_VIEW")
    });
}

#[test]
fn network_label_on_the_control_plane_namespace() {
    let input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels: {topology.istio.io/network: eu-net}\n";
    assert_rule(input, "sidecar", "topology.istio.io/network", "eu-net", "us-net", |o| {
        o[0].pointer("/metadata/labels/topology.istio.io~1network").cloned().unwrap_or(Value::Null)
    });
}

#[test]
fn ambient_global_service_label() {
    let input = "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  namespace: echo\n  labels: {istio.io/global: \"false\"}\nspec:\n  selector: {app: echo}\n  ports: [{port: 80}]\n";
    assert_rule(input, "ambient", "istio.io/global", "false", "true", |o| {
        o[0].pointer("/metadata/labels/istio.io~1global").cloned().unwrap_or(Value::Null)
    });
}

#[test]
fn injector_values_network() {
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  values: '{\"global\": {\"network\": \"eu-net\", \"meshID\": \"\"}}'\n";
    let err = run(input, "sidecar", false).expect_err("a different network");
    assert!(err.contains("global.network") && err.contains("eu-net") && err.contains("us-net"), "{err}");
    run(input, "sidecar", true).expect("override");
}

/// Variables the user names in `spec.env` are set as written: they are the user's own.
#[test]
fn user_env_is_set_as_written() {
    let config = mesh("sidecar", false).replace("  clusters:\n", "  env:\n    istiod: {PILOT_X: \"1\"}\n  clusters:\n");
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "mesh.yaml".into(), text: config }),
        cluster: None,
        standalone: false,
    };
    let input = istiod("        - {name: PILOT_X, value: \"0\"}\n");
    let out = eastwest::run(&input, &options).map_err(|f| f.error.to_string()).expect("runs");
    assert_eq!(env_of(&common::objects(&out), "PILOT_X"), "1");
}
