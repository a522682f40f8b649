//! The generated cert-manager `Certificate`s against cert-manager's own CRD schema
//! (testdata/corpus/cert-manager-crds.yaml: the cert-manager chart v1.21.1, rendered with
//! `crds.enabled=true`), where an unknown or mistyped field is a failure.

#[path = "support/common.rs"]
mod common;
#[path = "support/crd_schema.rs"]
mod crd_schema;

use common::*;
use serde_json::{json, Value};

fn schemas() -> std::collections::HashMap<(String, String, String), Value> {
    crd_schema::crd_schemas(&objects(&read(corpus().join("cert-manager-crds.yaml"))))
}

const CONFIGS: &[(&str, &[&str])] = &[
    ("testdata/configs/trust-two-clusters.yaml", &["us", "eu"]),
    ("testdata/configs/trust-two-clusters-ambient.yaml", &["us", "eu"]),
    ("testdata/configs/trust-three-clusters.yaml", &["us", "eu", "ap"]),
    ("testdata/configs/trust-three-clusters-ambient.yaml", &["us", "eu", "ap"]),
];

#[test]
fn the_corpus_holds_the_cert_manager_crds_of_a_known_release() {
    let crds = objects(&read(corpus().join("cert-manager-crds.yaml")));
    for crd in &crds {
        assert_eq!(crd["metadata"]["labels"]["app.kubernetes.io/version"], "v1.21.1", "{:?}", key(crd));
    }
    let versions = crd_schema::crd_versions(&crds);
    assert!(versions.iter().any(|v| v.kind == "Certificate" && v.version == "v1" && v.served && v.storage));
}

#[test]
fn every_generated_certificate_validates() {
    let schemas = schemas();
    let mut validated = 0;
    for (config, clusters) in CONFIGS {
        let chart = if config.contains("ambient") { "istiod-ambient.yaml" } else { "istiod.yaml" };
        let chart = read(corpus().join(chart));
        for cluster in *clusters {
            for input in ["", chart.as_str()] {
                // A remote's control plane is the remote profile; a full istiod there is refused.
                if cluster == &"ap" && config == &"testdata/configs/trust-three-clusters.yaml" && !input.is_empty() {
                    continue;
                }
                let output = if input.is_empty() { generate(config, Some(cluster)) } else { run(input, config, Some(cluster)) };
                for cert in objects(&output).iter().filter(|v| v["kind"] == "Certificate") {
                    if let Err(problems) = crd_schema::validate_object(&schemas, cert) {
                        panic!("{config} --cluster {cluster}: the Certificate is invalid:\n{}", problems.join("\n"));
                    }
                    // CEL rules are not checked by the validator; the Certificate CRD has none
                    // on the fields we set, which this keeps true.
                    let spec_schema = &schemas[&("cert-manager.io".into(), "v1".into(), "Certificate".into())];
                    assert!(crd_schema::unchecked_cel_rules(spec_schema, cert).is_empty());
                    validated += 1;
                }
            }
        }
    }
    // Two and three clusters, both modes, both flows; the remote (three-cluster sidecar ap)
    // gets none and has no istiod render: 2*2 + 2*2 + 2*2 + 3*2.
    assert_eq!(validated, 18);
}

#[test]
fn the_validator_rejects_a_broken_certificate() {
    // Guards the guard: without it the test above could pass on a validator that accepts anything.
    let schemas = schemas();
    let good = json!({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "cacerts", "namespace": "istio-system"},
        "spec": {"secretName": "cacerts", "isCA": true, "commonName": "us",
            "usages": ["cert sign"], "issuerRef": {"name": "mesh-root", "kind": "ClusterIssuer"}}
    });
    assert_eq!(crd_schema::validate_object(&schemas, &good), Ok(()));
    for (path, bad) in [
        ("/spec/isCA", json!("true")),
        ("/spec/usages", json!(["certificate sign"])),
        ("/spec/privateKey", json!({"algorithm": "DSA"})),
        ("/spec/issureRef", json!({"name": "x"})),
    ] {
        let mut broken = good.clone();
        let (parent, field) = path.rsplit_once('/').unwrap();
        broken.pointer_mut(if parent.is_empty() { "" } else { parent }).unwrap()[field] = bad;
        assert!(crd_schema::validate_object(&schemas, &broken).is_err(), "{path} was accepted");
    }
    let mut no_secret = good.clone();
    no_secret["spec"].as_object_mut().unwrap().remove("secretName");
    assert!(crd_schema::validate_object(&schemas, &no_secret).is_err(), "secretName is required");
}
