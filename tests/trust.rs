//! A shared root of trust (issue 13): the `cacerts` Certificate each primary's istiod signs
//! with, per-cluster trust domains with `trustDomainAliases`, and what is refused.
//!
//! The facts the Certificate is built on, from Istio's source (istio/istio 86c9f01fd735):
//! - pilot/pkg/bootstrap/istio_ca.go `detectSigningCABundleAndCRL`: istiod mounts the
//!   `cacerts` Secret; when `tls.crt` is present the `kubernetes.io/tls` shape wins
//!   (signing cert `tls.crt`, key `tls.key`, root `ca.crt`, chain `tls.crt` + `ca.crt`),
//!   otherwise the four keys `ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`
//!   (names in security/pkg/pki/ca/ca.go).
//! - security/pkg/pki/ca/ca.go `NewPluggedCertIstioCAOptions`: the signing certificate
//!   must be a CA (`isCA: true`); security/pkg/pki/util/keycertbundle.go `Verify` checks the
//!   chain up to `ca.crt` with Go's default key usage, so the intermediate must carry no
//!   extended key usage that excludes server auth (we set key usages only).
//! - security/pkg/pki/ca/ca.go `BuildSecret`: a `cacerts` Secret with the key
//!   `istio-generated` is treated as Istio's own self-signed CA; cert-manager never writes it.
//! - pilot/pkg/security/trustdomain/bundle.go and pilot/pkg/security/model/authentication.go:
//!   identities of the mesh config's `trustDomainAliases` are accepted like the local trust
//!   domain's (authorization principals, SAN matching for mTLS).

#[path = "support/common.rs"]
mod common;

use common::*;
use serde_json::{json, Value};

const TWO: &str = "testdata/configs/trust-two-clusters.yaml";
const TWO_AMBIENT: &str = "testdata/configs/trust-two-clusters-ambient.yaml";
const THREE: &str = "testdata/configs/trust-three-clusters.yaml";
const THREE_AMBIENT: &str = "testdata/configs/trust-three-clusters-ambient.yaml";

/// The standalone set of one cluster (`eastwest generate`).
fn standalone(config: &str, cluster: &str) -> String {
    generate(config, Some(cluster))
}

/// The Helm flow: the real istiod chart render (sidecar or ambient profile) through eastwest.
fn helm_istiod(config: &str, cluster: &str) -> String {
    run(&istiod_chart(config), config, Some(cluster))
}

/// The istiod chart rendered with the profile the config's mode needs.
fn istiod_chart(config: &str) -> String {
    let chart = if read(repo().join(config)).contains("mode: ambient") { "istiod-ambient.yaml" } else { "istiod.yaml" };
    read(corpus().join(chart))
}

fn certificates(output: &str) -> Vec<Value> {
    objects(output).into_iter().filter(|v| v["kind"] == "Certificate").collect()
}

fn the_certificate(output: &str) -> Value {
    let mut found = certificates(output);
    assert_eq!(found.len(), 1, "expected one Certificate");
    found.remove(0)
}

/// The `istio` ConfigMap's mesh config, read back as data.
fn mesh_config(output: &str) -> Value {
    let cm = objects(output)
        .into_iter()
        .find(|v| v["kind"] == "ConfigMap" && v["metadata"]["name"] == "istio")
        .expect("istio ConfigMap");
    let text = cm["data"]["mesh"].as_str().expect("data.mesh");
    let docs = eastwest::yaml::parse_documents(text, 0).expect("mesh config is YAML");
    eastwest::read::node_json(&docs[0].root)
}

fn inline(config: Value, cluster: Option<&str>) -> eastwest::Options {
    eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "inline".into(), text: config.to_string() }),
        cluster: cluster.map(str::to_owned),
        standalone: false,
    }
}

fn base_config() -> Value {
    json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "trustDomain": "corp.local", "cluster": "a", "clusters": [
            {"name": "a", "network": "n1", "gateway": {"address": "192.0.2.1"}},
            {"name": "b", "network": "n2", "gateway": {"address": "192.0.2.2"}}],
            "trust": {"certManager": {"issuerRef": {"kind": "ClusterIssuer", "name": "mesh-root"}}}}
    })
}

fn config_error(edit: impl FnOnce(&mut Value)) -> String {
    let mut config = base_config();
    edit(&mut config);
    match eastwest::run("", &inline(config, None)) {
        Ok(_) => panic!("config must be refused"),
        Err(f) => f.error.to_string(),
    }
}

#[test]
fn every_primary_gets_an_intermediate_ca_certificate_istiod_can_read() {
    for (config, clusters) in
        [(TWO, &["us", "eu"][..]), (TWO_AMBIENT, &["us", "eu"]), (THREE_AMBIENT, &["us", "eu", "ap"])]
    {
        for &cluster in clusters {
            for (flow, output) in [("standalone", standalone(config, cluster)), ("helm", helm_istiod(config, cluster))]
            {
                let cert = the_certificate(&output);
                let at = format!("{config} {cluster} {flow}");
                assert_eq!(cert["apiVersion"], "cert-manager.io/v1", "{at}");
                assert_eq!(cert["metadata"]["name"], "cacerts", "{at}");
                assert_eq!(cert["metadata"]["namespace"], "istio-system", "{at}");
                let spec = &cert["spec"];
                // The Secret istiod mounts at ./etc/cacerts, and a CA certificate in it.
                assert_eq!(spec["secretName"], "cacerts", "{at}");
                assert_eq!(spec["isCA"], true, "{at}");
                // The subject names the cluster, within X.509's 64 characters.
                assert_eq!(spec["commonName"], cluster, "{at}");
                assert_eq!(spec["subject"]["organizationalUnits"], json!(["trust-mesh"]), "{at}");
                let usages: Vec<&str> = spec["usages"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
                assert!(usages.contains(&"cert sign"), "{at}: {usages:?}");
                for eku in ["server auth", "client auth", "any"] {
                    assert!(!usages.contains(&eku), "{at}: an extended key usage narrows what istiod may sign");
                }
                assert_eq!(spec["issuerRef"]["group"], "cert-manager.io", "{at}");
                assert_eq!(spec["privateKey"]["rotationPolicy"], "Always", "{at}");
            }
        }
    }
}

#[test]
fn the_config_reaches_the_certificate_as_written() {
    let cert = the_certificate(&standalone(TWO, "us"));
    let spec = &cert["spec"];
    assert_eq!(spec["issuerRef"], json!({"name": "mesh-root", "kind": "ClusterIssuer", "group": "cert-manager.io"}));
    assert_eq!(spec["duration"], "8760h");
    assert_eq!(spec["renewBefore"], "720h");
    assert_eq!(spec["privateKey"], json!({"rotationPolicy": "Always", "algorithm": "ECDSA", "size": 256}));

    let cert = the_certificate(&standalone(THREE, "eu"));
    assert_eq!(cert["spec"]["issuerRef"]["kind"], "Issuer");
    assert_eq!(cert["spec"]["privateKey"]["algorithm"], "RSA");
    assert_eq!(cert["spec"]["privateKey"]["size"], 4096);
    // Unset: cert-manager's own defaults apply, nothing is invented.
    assert!(cert["spec"].get("duration").is_none() && cert["spec"].get("renewBefore").is_none());

    let mut config = base_config();
    config["spec"]["istioNamespace"] = json!("mesh-system");
    config["spec"]["meshID"] = json!("other-mesh");
    config["spec"]["trust"]["certManager"]["issuerRef"] =
        json!({"kind": "AWSPCAClusterIssuer", "name": "pca", "group": "awspca.cert-manager.io"});
    let cert = the_certificate(&eastwest::run("", &eastwest::Options { standalone: true, ..inline(config, Some("b")) }).expect("runs"));
    assert_eq!(cert["metadata"]["namespace"], "mesh-system");
    assert_eq!(cert["spec"]["commonName"], "b");
    assert_eq!(cert["spec"]["subject"]["organizationalUnits"], json!(["other-mesh"]));
    assert_eq!(cert["spec"]["issuerRef"]["group"], "awspca.cert-manager.io");
}

#[test]
fn only_control_plane_renders_of_primaries_get_one() {
    // A remote is served by its primary's istiod: no signing CA of its own.
    assert!(certificates(&standalone(THREE, "ap")).is_empty());
    // A remote's control plane is the istiod chart's remote profile (a full istiod there is
    // refused, see tests/routes.rs): its render gets no Certificate either.
    let remote_profile = read(repo().join("testdata/golden/primary-remote-west-remote-profile/input.yaml"));
    assert!(certificates(&run(&remote_profile, THREE, Some("ap"))).is_empty());
    assert_eq!(certificates(&standalone(THREE, "us")).len(), 1);
    // An application chart is not the control plane.
    assert!(certificates(&run(&read(corpus().join("podinfo.yaml")), TWO, Some("us"))).is_empty());
    // Without spec.trust nothing changes.
    assert!(certificates(&standalone("testdata/configs/two-clusters.yaml", "us")).is_empty());
    assert!(certificates(&helm_istiod("testdata/configs/two-clusters.yaml", "us")).is_empty());
}

#[test]
fn a_cacerts_certificate_already_in_the_stream_is_left_alone() {
    let own = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: cacerts\n  namespace: istio-system\nspec:\n  secretName: cacerts\n  isCA: true\n  issuerRef: {name: corp-ca, kind: ClusterIssuer}\n";
    let input = format!("{}\n---\n{own}", read(corpus().join("istiod.yaml")));
    let output = run(&input, TWO, Some("us"));
    let cert = the_certificate(&output);
    assert_eq!(cert["spec"]["issuerRef"]["name"], "corp-ca");
    assert!(output.contains(own), "the user's Certificate comes out byte for byte");
}

#[test]
fn no_key_material_and_no_secret_is_ever_written() {
    // cert-manager makes the key in the cluster; eastwest only writes the request.
    let secrets = |text: &str| objects(text).into_iter().filter(|v| v["kind"] == "Secret").count();
    for (config, cluster) in [(TWO, "us"), (THREE, "eu"), (TWO_AMBIENT, "eu"), (THREE_AMBIENT, "ap")] {
        for (input, output) in
            [(String::new(), standalone(config, cluster)), (istiod_chart(config), helm_istiod(config, cluster))]
        {
            assert!(!output.contains("PRIVATE KEY") && !output.contains("BEGIN CERTIFICATE"), "{config} {cluster}");
            assert_eq!(secrets(&output), secrets(&input), "{config} {cluster}: a Secret was added");
        }
    }
}

#[test]
fn each_cluster_accepts_the_other_clusters_trust_domains_as_aliases() {
    // eu keeps its own trust domain; us and ap use the mesh's.
    let eu = mesh_config(&helm_istiod(THREE, "eu"));
    assert_eq!(eu["trustDomain"], "eu.corp.example");
    assert_eq!(eu["trustDomainAliases"], json!(["corp.local"]));
    let us = mesh_config(&helm_istiod(THREE, "us"));
    assert_eq!(us["trustDomain"], "corp.local");
    assert_eq!(us["trustDomainAliases"], json!(["eu.corp.example"]));

    // Three different trust domains: each lists the two others, sorted, once.
    let mut config = base_config();
    config["spec"]["clusters"] = json!([
        {"name": "a", "network": "n1", "trustDomain": "a.example", "gateway": {"address": "192.0.2.1"}},
        {"name": "b", "network": "n2", "trustDomain": "b.example", "gateway": {"address": "192.0.2.2"}},
        {"name": "c", "network": "n3", "gateway": {"address": "192.0.2.3"}},
        {"name": "d", "network": "n4", "trustDomain": "b.example", "gateway": {"address": "192.0.2.4"}}]);
    let chart = read(corpus().join("istiod.yaml"));
    let a = mesh_config(&eastwest::run(&chart, &inline(config.clone(), Some("a"))).expect("runs"));
    assert_eq!(a["trustDomain"], "a.example");
    assert_eq!(a["trustDomainAliases"], json!(["b.example", "corp.local"]));
    let c = mesh_config(&eastwest::run(&chart, &inline(config, Some("c"))).expect("runs"));
    assert_eq!(c["trustDomain"], "corp.local");
    assert_eq!(c["trustDomainAliases"], json!(["a.example", "b.example"]));

    // One trust domain everywhere: no aliases written at all.
    assert!(mesh_config(&helm_istiod(TWO, "us")).get("trustDomainAliases").is_none());
}

#[test]
fn a_different_existing_alias_list_is_an_error_unless_override_existing() {
    let chart = read(corpus().join("istiod.yaml")).replace(
        "    trustDomain: cluster.local\n",
        "    trustDomain: cluster.local\n    trustDomainAliases:\n    - old.example\n",
    );
    assert!(chart.contains("old.example"));
    let mut config = base_config();
    config["spec"]["clusters"][1]["trustDomain"] = json!("b.example");
    let err = eastwest::run(&chart, &inline(config.clone(), Some("a"))).expect_err("refused").error.to_string();
    assert!(err.contains("trustDomainAliases"), "{err}");
    config["spec"]["overrideExisting"] = json!(true);
    let out = eastwest::run(&chart, &inline(config, Some("a"))).expect("runs with overrideExisting");
    assert_eq!(mesh_config(&out)["trustDomainAliases"], json!(["b.example"]));
}

#[test]
fn ambient_with_different_trust_domains_is_refused_with_one_line_that_says_why() {
    let mut config = base_config();
    config["spec"]["mode"] = json!("ambient");
    config["spec"]["clusters"][1]["trustDomain"] = json!("b.example");
    let path = std::env::temp_dir().join(format!("eastwest-trust-ambient-{}.yaml", std::process::id()));
    std::fs::write(&path, config.to_string()).expect("write config");
    let out = run_with_stdin(std::process::Command::new(env!("CARGO_BIN_EXE_eastwest")).arg("--config").arg(&path), "");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for part in ["spec.clusters[1].trustDomain", "ambient", "istio/istio#58511", "#61608"] {
        assert!(stderr.contains(part), "{part} missing from: {stderr}");
    }

    // The same trust domain spelled per cluster is one trust domain: accepted.
    let mut same = base_config();
    same["spec"]["mode"] = json!("ambient");
    same["spec"]["clusters"][1]["trustDomain"] = json!("corp.local");
    assert!(eastwest::run("", &inline(same, None)).is_ok());
    // Sidecar mode merges trust domains with aliases: accepted.
    let mut sidecar = base_config();
    sidecar["spec"]["clusters"][1]["trustDomain"] = json!("b.example");
    assert!(eastwest::run("", &inline(sidecar, None)).is_ok());
}

#[test]
fn bad_trust_settings_are_refused_naming_the_field() {
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|c| c["spec"]["clusters"][0]["trustDomain"] = json!("Not A Domain")), "spec.clusters[0].trustDomain"),
        (
            Box::new(|c| {
                c["spec"]["clusters"][1]["role"] = json!("remote");
                c["spec"]["clusters"][1]["trustDomain"] = json!("b.example");
            }),
            "spec.clusters[1].trustDomain",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["duration"] = json!("1 year")),
            "spec.trust.certManager.duration",
        ),
        (Box::new(|c| c["spec"]["trust"]["certManager"]["duration"] = json!("30m")), "spec.trust.certManager.duration"),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["renewBefore"] = json!("2m")),
            "spec.trust.certManager.renewBefore",
        ),
        // renewBefore must be below duration (the default duration is 90 days = 2160h).
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["renewBefore"] = json!("2160h")),
            "spec.trust.certManager.renewBefore",
        ),
        (
            Box::new(|c| {
                c["spec"]["trust"]["certManager"]["duration"] = json!("24h");
                c["spec"]["trust"]["certManager"]["renewBefore"] = json!("1h30m");
            }),
            "",
        ),
        (
            // Fractions and units Go accepts; `ms` is milliseconds, not minutes then seconds.
            Box::new(|c| {
                c["spec"]["trust"]["certManager"]["duration"] = json!("1.5h");
                c["spec"]["trust"]["certManager"]["renewBefore"] = json!("300000ms");
            }),
            "",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["renewBefore"] = json!("299999ms")),
            "spec.trust.certManager.renewBefore",
        ),
        (Box::new(|c| c["spec"]["trust"]["certManager"]["duration"] = json!("h")), "spec.trust.certManager.duration"),
        (Box::new(|c| c["spec"]["trust"]["certManager"]["duration"] = json!("")), "spec.trust.certManager.duration"),
        (Box::new(|c| c["spec"]["trust"]["certManager"]["duration"] = json!("10d")), "spec.trust.certManager.duration"),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["privateKey"] = json!({"algorithm": "ECDSA", "size": 2048})),
            "spec.trust.certManager.privateKey.size",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["privateKey"] = json!({"algorithm": "RSA", "size": 1024})),
            "spec.trust.certManager.privateKey.size",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["privateKey"] = json!({"size": 256})),
            "spec.trust.certManager.privateKey.size",
        ),
        (
            Box::new(|c| {
                c["spec"]["trust"]["certManager"]["privateKey"] = json!({"algorithm": "Ed25519", "size": 256})
            }),
            "spec.trust.certManager.privateKey.size",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["privateKey"] = json!({"algorithm": "DSA"})),
            "spec.trust.certManager.privateKey.algorithm",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["issuerRef"]["kind"] = json!("Isuer")),
            "spec.trust.certManager.issuerRef.kind",
        ),
        (
            Box::new(|c| c["spec"]["trust"]["certManager"]["issuerRef"]["name"] = json!("Mesh Root")),
            "spec.trust.certManager.issuerRef.name",
        ),
        (
            Box::new(|c| {
                c["spec"]["trust"]["certManager"]["issuerRef"].as_object_mut().unwrap().remove("kind");
            }),
            "spec.trust.certManager.issuerRef",
        ),
        (Box::new(|c| c["spec"]["trust"]["certManager"]["isCA"] = json!(true)), "spec.trust.certManager"),
        (Box::new(|c| c["spec"]["trust"]["vault"] = json!({})), "spec.trust"),
    ];
    for (i, (edit, field)) in cases.into_iter().enumerate() {
        if field.is_empty() {
            // A valid combination among the invalid ones: it must pass.
            let mut config = base_config();
            edit(&mut config);
            assert!(eastwest::run("", &inline(config, None)).is_ok(), "case {i} should be accepted");
            continue;
        }
        let err = config_error(edit);
        assert!(err.contains(field), "case {i}: {field} not named in: {err}");
    }
}

#[test]
fn the_config_schema_describes_the_trust_fields() {
    let schema = eastwest::config::json_schema().to_string();
    for name in ["certManager", "issuerRef", "renewBefore", "privateKey", "trustDomain"] {
        assert!(schema.contains(&format!("\"{name}\"")), "{name} missing from the JSON schema");
    }
}
