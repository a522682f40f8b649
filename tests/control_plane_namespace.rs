//! Never half-augment: a control plane rendered into another namespace
//! (`helm template -n istio-control --set global.istioNamespace=istio-control`) changes
//! as a whole — istiod's Deployment and its ConfigMaps — with the namespace taken from
//! istiod's own, or is refused with one clear line.

#[path = "support/common.rs"]
mod common;

use serde_json::Value;

fn config(istio_namespace: Option<&str>) -> String {
    let ns = istio_namespace.map(|n| format!("  istioNamespace: {n}\n")).unwrap_or_default();
    format!(
        "apiVersion: eastwest.dev/v1alpha1\nkind: MeshNetwork\nmetadata: {{name: m}}\nspec:\n  meshID: m\n  trustDomain: corp.local\n  cluster: us\n{ns}  clusters:\n  - {{name: us, network: us-net, gateway: {{address: 192.0.2.1}}}}\n  - {{name: eu, network: eu-net, gateway: {{address: 192.0.2.2}}}}\n"
    )
}

fn run(input: &str, istio_namespace: Option<&str>) -> Result<String, String> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "mesh.yaml".into(), text: config(istio_namespace) }),
        cluster: None,
        standalone: false,
    };
    eastwest::run(input, &options).map_err(|f| f.error.to_string())
}

fn control_plane(ns: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio, namespace: {ns}}}\ndata:\n  mesh: |-\n    trustDomain: cluster.local\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio-sidecar-injector, namespace: {ns}}}\ndata:\n  values: '{{\"global\": {{\"network\": \"\"}}}}'\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: istiod, namespace: {ns}}}\nspec:\n  template:\n    metadata:\n      labels: {{app: istiod}}\n    spec:\n      containers:\n      - name: discovery\n        image: pilot\n        env:\n        - {{name: CLUSTER_ID, value: Kubernetes}}\n"
    )
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn namespace_is_taken_from_istiod_when_the_config_does_not_say() {
    let out = run(&control_plane("istio-control"), None).expect("runs");
    let objects = common::objects(&out);
    let mesh = find(&objects, "ConfigMap", "istio")["data"]["mesh"].as_str().expect("mesh").to_owned();
    assert!(mesh.contains("trustDomain: corp.local"), "the mesh config changed too: {mesh}");
    let values = find(&objects, "ConfigMap", "istio-sidecar-injector")["data"]["values"].as_str().expect("values");
    let values: Value = serde_json::from_str(values).expect("json");
    assert_eq!(values["global"]["network"], "us-net");
    let env = &find(&objects, "Deployment", "istiod")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["value"], "us");
    assert_eq!(run(&out, None).expect("second run"), out);
}

#[test]
fn a_config_naming_another_namespace_is_refused() {
    let err = run(&control_plane("istio-control"), Some("mesh-system")).expect_err("refused");
    assert_eq!(
        err,
        "document 3 (Deployment istio-control/istiod): field metadata.namespace: istiod is in namespace \"istio-control\" but spec.istioNamespace says \"mesh-system\"; set spec.istioNamespace: istio-control"
    );
}

#[test]
fn istiods_in_two_namespaces_are_refused() {
    let input = format!("{}---\n{}", control_plane("istio-a"), control_plane("istio-b"));
    let err = run(&input, None).expect_err("refused");
    assert!(err.contains("istio-a") && err.contains("istio-b") && err.contains("metadata.namespace"), "{err}");
}
