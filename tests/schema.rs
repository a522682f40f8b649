//! Generated objects against the real CRD schemas, and the sidecar east-west gateway
//! against what Istio's own `gateway` chart renders for the same network.

#[path = "support/common.rs"]
mod common;
#[path = "support/crd_schema.rs"]
mod crd_schema;

use common::*;
use serde_json::{json, Value};

fn schemas() -> std::collections::HashMap<(String, String, String), Value> {
    let mut docs = objects(&read(corpus().join("istio-base.yaml")));
    docs.extend(objects(&read(corpus().join("crd-gateway-api-gateways.yaml"))));
    crd_schema::crd_schemas(&docs)
}

fn is_crd_object(v: &Value) -> bool {
    let api = v["apiVersion"].as_str().unwrap_or("");
    api.starts_with("networking.istio.io/") || api.starts_with("gateway.networking.k8s.io/")
}

#[test]
fn every_generated_istio_and_gateway_api_object_validates() {
    let schemas = schemas();
    let mut validated = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for config in [
        "testdata/configs/two-clusters.yaml",
        "testdata/configs/three-clusters.yaml",
        "testdata/configs/three-clusters-ambient.yaml",
    ] {
        for cluster in ["us", "eu", "ap"] {
            let opts = eastwest::Options { standalone: true, ..options(config, Some(cluster)) };
            let Ok(output) = eastwest::run("", &opts) else { continue };
            for obj in objects(&output).iter().filter(|v| is_crd_object(v)) {
                if let Err(problems) = crd_schema::validate_object(&schemas, obj) {
                    panic!("{config} --cluster {cluster}: {:?} is invalid:\n{}", key(obj), problems.join("\n"));
                }
                kinds.insert(format!("{} {}", obj["apiVersion"].as_str().unwrap_or(""), key(obj).0));
                validated += 1;
            }
        }
    }
    let expected = [
        "gateway.networking.k8s.io/v1 Gateway",
        "networking.istio.io/v1 DestinationRule",
        "networking.istio.io/v1 Gateway",
        "networking.istio.io/v1 ServiceEntry",
    ];
    for kind in expected {
        assert!(kinds.contains(kind), "no {kind} was generated and validated: {kinds:?}");
    }
    assert!(validated >= 20, "only {validated} objects validated");
}

#[test]
fn istiod_exposure_validates() {
    let schemas = schemas();
    let config = json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "cluster": "main", "clusters": [
            {"name": "main", "network": "n1", "gateway": {"address": "192.0.2.1"}},
            {"name": "edge", "network": "n2", "role": "remote", "gateway": {"address": "192.0.2.2"}}]}
    });
    let opts = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "inline".into(), text: config.to_string() }),
        cluster: None,
        standalone: true,
    };
    let output = eastwest::run("", &opts).expect("runs");
    let objs = objects(&output);
    let names: Vec<String> = objs.iter().map(|v| key(v).2).collect();
    assert!(names.contains(&"istiod-gateway".to_owned()) && names.contains(&"istiod-vs".to_owned()), "{names:?}");
    for obj in objs.iter().filter(|v| is_crd_object(v)) {
        crd_schema::validate_object(&schemas, obj).unwrap_or_else(|p| panic!("{:?}: {}", key(obj), p.join("; ")));
    }
}

#[test]
fn the_validator_rejects_a_broken_object() {
    // Guards the guard: a typo'd field must fail, or the test above proves nothing.
    let schemas = schemas();
    let broken = json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "x", "namespace": "istio-system"},
        "spec": {"selector": {"istio": "eastwestgateway"}, "servers": [{
            "port": {"number": 15443, "name": "tls", "protocol": "TLS"},
            "tls": {"mdoe": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}]}
    });
    assert!(crd_schema::validate_object(&schemas, &broken).is_err());
}

/// Labels the chart adds for Helm bookkeeping, and ours for provenance.
const BOOKKEEPING: &[&str] = &[
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    "helm.sh/chart",
    "app.kubernetes.io/created-by",
];

fn normalize(v: &mut Value) {
    if let Value::Object(map) = v {
        for key in ["labels"] {
            if let Some(Value::Object(labels)) = map.get_mut(key) {
                for b in BOOKKEEPING {
                    labels.remove(*b);
                }
            }
        }
        map.retain(|_, child| !matches!(child, Value::Object(m) if m.is_empty()));
        for child in map.values_mut() {
            normalize(child);
        }
    } else if let Value::Array(items) = v {
        items.iter_mut().for_each(normalize);
    }
}

#[test]
fn sidecar_gateway_matches_the_istio_gateway_chart_field_by_field() {
    let chart = objects(&read(corpus().join("gateway-eastwest-us.yaml")));
    let ours = objects(&generate("testdata/configs/two-clusters.yaml", None));
    let mut compared = 0;
    for kind in ["ServiceAccount", "Role", "RoleBinding", "Service", "Deployment", "HorizontalPodAutoscaler"] {
        let find = |set: &[Value]| {
            let mut v = set
                .iter()
                .find(|v| key(v).0 == kind && key(v).2 == "istio-eastwestgateway")
                .cloned()
                .unwrap_or_else(|| panic!("no {kind}"));
            normalize(&mut v);
            v
        };
        let (theirs, mine) = (find(&chart), find(&ours));
        let mut paths = Vec::new();
        diff_paths(&theirs, &mine, "", &mut paths);
        assert!(paths.is_empty(), "{kind} differs from the chart at {paths:?}\nchart: {theirs:#}\nours: {mine:#}");
        compared += 1;
    }
    // The chart renders an HPA by default and no PodDisruptionBudget (issue 10 item 11).
    assert_eq!(compared, 6);
    assert!(!chart.iter().any(|v| key(v).0 == "PodDisruptionBudget"));
}
