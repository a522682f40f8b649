//! The generator and `eastwest check` agree: for every config of testdata/configs, the
//! renders eastwest itself writes for every cluster, made the way the README tells a user
//! to make them, check clean, with one ok path per caller × host × port the config allows.
//!
//! Each cluster's render is a directory, as in the README's CI recipe ("Check before you
//! apply"), read in name order:
//! - `00-namespace.yaml`: `kubectl create namespace istio-system --dry-run=client -o yaml`
//!   through eastwest (the labelled control-plane Namespace);
//! - a primary: `10-istiod.yaml`, the istiod chart through eastwest (testdata/corpus/
//!   istiod.yaml; ambient: istiod-ambient.yaml and ztunnel.yaml);
//! - a remote ("Primary-remote, step by step"): `05-standalone.yaml`, the standalone set
//!   (step 2), then `10-remote.yaml`, the istiod chart's remote profile through eastwest
//!   (step 3; the real chart's remote profile, testdata/check/remote-*.yaml);
//! - a config with `spec.revision: canary`: the istiod chart rendered with that revision
//!   (testdata/check/istiod-canary.yaml), as a user installs it;
//! - `20-<service>.yaml` for each service where it runs: its own Service and Deployment
//!   (what `helm template NAME testdata/charts/app` renders) through eastwest.

#[path = "support/common.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use eastwest::check::{self, Report};

const CONFIGS: &str = "testdata/configs";
/// The istiod chart rendered with `--set revision=canary`, and its remote profile for
/// primary-remote's west (the commands are at the top of each file): a config with
/// `spec.revision: canary` is installed with them, as the README tells.
const ISTIOD_CANARY: &str = "testdata/check/istiod-canary.yaml";
const REMOTE_CANARY_WEST: &str = "testdata/check/remote-canary-west.yaml";
/// The remote profile (no revision) for trust-three-clusters' ap.
const REMOTE_AP: &str = "testdata/check/remote-ap.yaml";

/// `kubectl create namespace istio-system --dry-run=client -o yaml` (kubectl 1.33).
const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: istio-system\nspec: {}\nstatus: {}\n";

fn config_value(config: &str) -> Value {
    common::objects(&common::read(common::repo().join(config))).remove(0)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().map_or(vec![], |a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// eastwest over `input` for `cluster`, with the warnings it printed.
fn eastwest(input: &str, config: &str, cluster: &str) -> (String, Vec<String>) {
    let (out, warnings) = eastwest::run_with_warnings(input, &common::options(config, Some(cluster)))
        .unwrap_or_else(|f| panic!("eastwest --config {config} --cluster {cluster} failed: {}", f.error));
    (out, warnings.iter().map(ToString::to_string).collect())
}

/// A service's own release, as `helm template NAME testdata/charts/app -n NS` renders it
/// (see testdata/golden/app-export-eu/input.yaml), with every configured port: the pods
/// listen on `targetPort` (default: the port), and run as the first of `serviceAccounts`.
fn app_release(svc: &Value) -> String {
    let name = svc["name"].as_str().unwrap();
    let ns = svc["namespace"].as_str().unwrap();
    let labels: Vec<(String, String)> = match svc["selector"].as_object() {
        Some(m) => m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect(),
        None => vec![("app".to_owned(), name.to_owned())],
    };
    let map = |indent: &str| labels.iter().map(|(k, v)| format!("\n{indent}{k}: {v}")).collect::<String>();
    let mut service_ports = String::new();
    let mut container_ports = String::new();
    for p in svc["ports"].as_array().unwrap() {
        let port_name = p["name"].as_str().unwrap();
        let number = p["number"].as_u64().unwrap();
        let target = p["targetPort"].as_u64().unwrap_or(number);
        service_ports.push_str(&format!(
            "\n    - name: {port_name}\n      port: {number}\n      targetPort: {target}\n      protocol: TCP"
        ));
        container_ports.push_str(&format!(
            "\n            - name: {port_name}\n              containerPort: {target}\n              protocol: TCP"
        ));
    }
    let account = strs(&svc["serviceAccounts"]).into_iter().next();
    let (sa_doc, sa_field) = match &account {
        Some(sa) => (
            format!("---\n# Source: app/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: \"{ns}\"\n"),
            format!("\n      serviceAccountName: {sa}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "{sa_doc}---\n# Source: app/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: \"{ns}\"\n  labels:\n    app: {name}\n    app.kubernetes.io/managed-by: \"Helm\"\nspec:\n  selector:{sel}\n  ports:{service_ports}\n---\n# Source: app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: \"{ns}\"\nspec:\n  replicas: 1\n  selector:\n    matchLabels:{sel}\n  template:\n    metadata:\n      labels:{pod}\n    spec:{sa_field}\n      containers:\n        - name: {name}\n          image: \"registry.k8s.io/e2e-test-images/agnhost:2.45\"\n          ports:{container_ports}\n",
        sel = map("    "),
        pod = map("        "),
    )
}

/// Every cluster's render directory for `config`, under `root`; and every warning
/// eastwest printed while rendering, as `cluster: warning`.
fn render_mesh(config: &str, root: &Path) -> (Vec<(String, PathBuf)>, Vec<String>) {
    let cfg = config_value(config);
    let ambient = cfg.pointer("/spec/mode").and_then(Value::as_str) == Some("ambient");
    let revision = cfg.pointer("/spec/revision").and_then(Value::as_str);
    assert!(matches!(revision, None | Some("canary")), "{config}: no istiod render for revision {revision:?}");
    let control_plane = if revision.is_some() {
        assert!(!ambient, "{config}: no ambient istiod render for a revision");
        common::read(common::repo().join(ISTIOD_CANARY))
    } else if ambient {
        format!(
            "{}\n---\n{}",
            common::read(common::corpus().join("istiod-ambient.yaml")),
            common::read(common::corpus().join("ztunnel.yaml"))
        )
    } else {
        common::read(common::corpus().join("istiod.yaml"))
    };
    let mut dirs = Vec::new();
    let mut warnings = Vec::new();
    for c in cfg["spec"]["clusters"].as_array().unwrap() {
        let cluster = c["name"].as_str().unwrap();
        let dir = root.join(cluster);
        std::fs::create_dir_all(&dir).unwrap();
        let mut write = |file: &str, (text, w): (String, Vec<String>)| {
            std::fs::write(dir.join(file), text).unwrap();
            warnings.extend(w.into_iter().map(|w| format!("{cluster}: {w}")));
        };
        write("00-namespace.yaml", eastwest(NAMESPACE, config, cluster));
        if c["role"] == "remote" {
            write("05-standalone.yaml", (common::generate(config, Some(cluster)), vec![]));
            let profile = match (revision, cluster) {
                (Some("canary"), "west") => REMOTE_CANARY_WEST,
                (None, "ap") => REMOTE_AP,
                _ => panic!("{config}: no remote profile render for {cluster}"),
            };
            write("10-remote.yaml", eastwest(&common::read(common::repo().join(profile)), config, cluster));
        } else {
            write("10-istiod.yaml", eastwest(&control_plane, config, cluster));
        }
        for svc in cfg["spec"]["services"].as_array().into_iter().flatten() {
            if strs(&svc["clusters"]).iter().any(|s| s == cluster) {
                let file = format!("20-{}.yaml", svc["name"].as_str().unwrap());
                write(&file, eastwest(&app_release(svc), config, cluster));
            }
        }
        dirs.push((cluster.to_owned(), dir));
    }
    (dirs, warnings)
}

/// The calls the config allows, worked out from the config alone: (caller, namespace/name,
/// host, port) for each caller that may call a cluster (other than itself) running the
/// service (`spec.links`, absent: everyone calls everyone).
fn allowed_calls(cfg: &Value) -> BTreeSet<(String, String, String, u64)> {
    let clusters: Vec<String> =
        cfg["spec"]["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    let links = cfg.pointer("/spec/links").and_then(Value::as_array);
    let can_call = |from: &str, to: &str| match links {
        None => true,
        Some(links) => links.iter().any(|l| {
            (l["from"] == from && l["to"] == to) || (l["bidirectional"] == true && l["from"] == to && l["to"] == from)
        }),
    };
    let mut out = BTreeSet::new();
    for svc in cfg["spec"]["services"].as_array().into_iter().flatten() {
        let (name, ns) = (svc["name"].as_str().unwrap(), svc["namespace"].as_str().unwrap());
        let runs = strs(&svc["clusters"]);
        let mut hosts = strs(&svc["hosts"]);
        if hosts.is_empty() {
            hosts.push(format!("{name}.{ns}.svc.cluster.local"));
        }
        for from in &clusters {
            if !runs.iter().any(|to| to != from && can_call(from, to)) {
                continue;
            }
            for host in &hosts {
                for p in svc["ports"].as_array().unwrap() {
                    out.insert((from.clone(), format!("{ns}/{name}"), host.clone(), p["number"].as_u64().unwrap()));
                }
            }
        }
    }
    out
}

/// Check the render directories with the library, as `eastwest check` does.
fn check_dirs(config: &str, dirs: &[(String, PathBuf)]) -> Report {
    let text = common::read(common::repo().join(config));
    let args: Vec<String> = dirs.iter().map(|(c, d)| format!("{c}={}", d.display())).collect();
    let (_, report) = check::run(&text, config, &args, || Ok(String::new())).expect("check runs");
    report
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("check-agree-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn findings(list: &[check::Finding]) -> Vec<String> {
    list.iter().map(|f| format!("[{}] {}: {}", f.check, f.cluster, f.message)).collect()
}

/// Render the mesh of `config`, check it, and assert: no error, exactly `warnings`
/// (check id, cluster), and one ok path per allowed call.
fn assert_agree(config_file: &str, warnings: &[(&str, &str)]) {
    assert_agree_at(&format!("{CONFIGS}/{config_file}"), warnings);
}

fn assert_agree_at(config: &str, warnings: &[(&str, &str)]) {
    let config = config.to_owned();
    let root = scratch(config.rsplit('/').next().unwrap_or("").trim_end_matches(".yaml"));
    let (dirs, render_warnings) = render_mesh(&config, &root);
    let report = check_dirs(&config, &dirs);
    let context = format!(
        "{config}\nrender warnings: {render_warnings:#?}\nreport: {}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    // eastwest's own warnings: only that a control-plane render lacks the Service of a
    // service the cluster runs, whose export half the service's own release then carries.
    for w in &render_warnings {
        assert!(w.contains("but its Service is not in this stream"), "render warning {w}\n{context}");
    }
    assert!(report.errors.is_empty(), "errors: {:#?}\n{context}", findings(&report.errors));
    let mut got: Vec<(String, String)> =
        report.warnings.iter().map(|f| (f.check.to_owned(), f.cluster.clone())).collect();
    got.sort();
    let mut want: Vec<(String, String)> = warnings.iter().map(|(c, k)| (c.to_string(), k.to_string())).collect();
    want.sort();
    assert_eq!(got, want, "warnings\n{context}");
    let paths: Vec<(String, String, String, u64)> =
        report.paths.iter().map(|p| (p.from.clone(), p.service.clone(), p.host.clone(), p.port)).collect();
    let unique: BTreeSet<_> = paths.iter().cloned().collect();
    assert_eq!(unique.len(), paths.len(), "one path per caller x host x port\n{context}");
    assert_eq!(unique, allowed_calls(&config_value(&config)), "paths\n{context}");
    for p in &report.paths {
        assert!(p.ok && !p.to.is_empty(), "path {p:?} not ok\n{context}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn every_config_is_covered_here() {
    // A new config in testdata/configs must get its own test below.
    let mut names: Vec<String> = std::fs::read_dir(common::repo().join(CONFIGS))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let source = common::read(common::repo().join("tests/check_agree.rs"));
    for name in names {
        assert!(source.contains(&format!("\"{name}\",")), "{name} has no test in tests/check_agree.rs");
    }
}

// Without `spec.trust` the config leaves each primary's `cacerts` to the user (README "A
// shared root of trust"), and check says so once per primary (`cacerts-missing`): that is
// the only warning a correct mesh may carry. A remote has no CA of its own.

#[test]
fn two_clusters() {
    assert_agree("two-clusters.yaml", &[("cacerts-missing", "us"), ("cacerts-missing", "eu")]);
}

#[test]
fn three_clusters() {
    assert_agree(
        "three-clusters.yaml",
        &[("cacerts-missing", "us"), ("cacerts-missing", "eu"), ("cacerts-missing", "ap")],
    );
}

#[test]
fn three_clusters_ambient() {
    assert_agree(
        "three-clusters-ambient.yaml",
        &[("cacerts-missing", "us"), ("cacerts-missing", "eu"), ("cacerts-missing", "ap")],
    );
}

#[test]
fn primary_remote() {
    assert_agree("primary-remote.yaml", &[("cacerts-missing", "east"), ("cacerts-missing", "north")]);
}

#[test]
fn single_cluster() {
    assert_agree("single-cluster.yaml", &[("cacerts-missing", "a")]);
}

#[test]
fn trust_two_clusters() {
    assert_agree("trust-two-clusters.yaml", &[]);
}

#[test]
fn trust_two_clusters_ambient() {
    assert_agree("trust-two-clusters-ambient.yaml", &[]);
}

#[test]
fn trust_three_clusters() {
    assert_agree("trust-three-clusters.yaml", &[]);
}

#[test]
fn trust_three_clusters_ambient() {
    assert_agree("trust-three-clusters-ambient.yaml", &[]);
}

#[test]
fn the_binary_checks_the_two_cluster_renders_clean() {
    // `eastwest check --config ... us=DIR eu=DIR`, exactly as the README's CI recipe.
    let config = format!("{CONFIGS}/two-clusters.yaml");
    let root = scratch("binary");
    let (dirs, _) = render_mesh(&config, &root);
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .current_dir(common::repo())
        .args(["check", "--config", &config])
        .args(dirs.iter().map(|(c, d)| format!("{c}={}", d.display())))
        .output()
        .expect("eastwest check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("0 error(s)"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let _ = std::fs::remove_dir_all(&root);
}

/// Render the mesh of `config_file`, but `cluster` with a copy of the config in which
/// `from` is replaced by `to` (another gateway address): the pairing a pipeline gets when
/// one cluster is rendered from a stale or edited config. Checked against the original.
fn check_with_one_cluster_from_another_config(config_file: &str, cluster: &str, from: &str, to: &str) -> Report {
    let config = format!("{CONFIGS}/{config_file}");
    let root = scratch(&format!("pairing-{}-{cluster}", config_file.trim_end_matches(".yaml")));
    let (dirs, _) = render_mesh(&config, &root);
    let text = common::read(common::repo().join(&config));
    assert!(text.contains(from), "{config} does not contain {from}");
    let other = root.join("other-config.yaml");
    std::fs::write(&other, text.replacen(from, to, 1)).unwrap();
    let other = other.display().to_string();
    let (other_dirs, _) = render_mesh(&other, &root.join("other"));
    let dirs: Vec<(String, PathBuf)> = dirs
        .into_iter()
        .map(|(c, d)| if c == cluster { other_dirs.iter().find(|(o, _)| o == &c).unwrap().clone() } else { (c, d) })
        .collect();
    let report = check_dirs(&config, &dirs);
    let _ = std::fs::remove_dir_all(&root);
    report
}

#[test]
fn a_cluster_rendered_with_another_gateway_address_fails_gateway_view() {
    // eu rendered from a config that says us's gateway is elsewhere: eu's meshNetworks sends
    // its calls to us's network there (istio/istio pilot/pkg/model/network.go reads the
    // meshNetworks gateways as written).
    let report = check_with_one_cluster_from_another_config(
        "two-clusters.yaml",
        "eu",
        "address: us-ew.example.com",
        "address: us-ew.other.example.com",
    );
    let errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    assert_eq!(errors, [("gateway-view", "eu")], "{:#?}", findings(&report.errors));
    assert!(report.errors[0].message.contains("us-ew.other.example.com"), "{}", report.errors[0].message);
}

#[test]
fn a_caller_rendered_with_another_target_address_fails_its_path_with_gateway_view() {
    // us rendered from a config that puts eu's gateway elsewhere: us's call to echo in eu
    // goes to the wrong address.
    let report = check_with_one_cluster_from_another_config(
        "two-clusters.yaml",
        "us",
        "address: 203.0.113.10",
        "address: 203.0.113.99",
    );
    let errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    assert_eq!(errors, [("gateway-view", "us")], "{:#?}", findings(&report.errors));
    assert!(report.errors[0].message.contains("203.0.113.99"), "{}", report.errors[0].message);
    let failed: Vec<&check::PathResult> = report.paths.iter().filter(|p| !p.ok).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!((failed[0].from.as_str(), failed[0].service.as_str()), ("us", "echo/echo"));
}

#[test]
fn an_ambient_cluster_rendered_with_another_gateway_address_fails_gateway_view() {
    // Ambient: ap rendered from a config that says eu's gateway is at another address; ap's
    // istio-remote peer Gateway for eu-net carries it (istio/istio
    // pilot/pkg/serviceregistry/ambient/networks.go reads its addresses).
    let report = check_with_one_cluster_from_another_config(
        "three-clusters-ambient.yaml",
        "ap",
        "address: 203.0.113.10",
        "address: 203.0.113.99",
    );
    let errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    assert_eq!(errors, [("gateway-view", "ap")], "{:#?}", findings(&report.errors));
}

#[test]
fn a_stale_view_of_a_gateway_no_service_uses_yet_still_fails() {
    // trust-two-clusters exports no service, so no path is traced; eu's meshNetworks entry
    // for us-net still routes whatever istiod learns on that network.
    let report = check_with_one_cluster_from_another_config(
        "trust-two-clusters.yaml",
        "eu",
        "address: us-ew.example.com",
        "address: us-ew.other.example.com",
    );
    assert!(report.paths.is_empty());
    let errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    assert_eq!(errors, [("gateway-view", "eu")], "{:#?}", findings(&report.errors));
}

#[test]
fn a_primary_rendered_from_an_istiod_of_another_revision_fails_gateway_listener() {
    // primary-remote says `revision: canary`, but east's istiod release is rendered without
    // it: the generated gateway pods are labelled istio.io/rev: canary and the only injector
    // is the default one, whose webhooks select istio.io/rev: default or no label (istio/istio
    // manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml), so the
    // gateway gets no proxy and never listens.
    let config = format!("{CONFIGS}/primary-remote.yaml");
    let root = scratch("revision");
    let (dirs, _) = render_mesh(&config, &root);
    let east = &dirs.iter().find(|(c, _)| c == "east").unwrap().1;
    let (text, warnings) = eastwest(&common::read(common::corpus().join("istiod.yaml")), &config, "east");
    // eastwest itself says so (maybe that revision comes from another release).
    assert!(
        warnings.iter().any(|w| w.contains("Deployment istio-system/istiod")
            && w.contains("metadata.labels[\"istio.io/rev\"]")
            && w.contains("\"default\" but spec.revision is \"canary\"")),
        "{warnings:#?}"
    );
    std::fs::write(east.join("10-istiod.yaml"), text).unwrap();
    let report = check_dirs(&config, &dirs);
    let mut errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    errors.dedup();
    assert_eq!(errors, [("gateway-listener", "east")], "{:#?}", findings(&report.errors));
    let f = &report.errors[0];
    assert!(f.message.contains("\"canary\"") && f.message.contains("default"), "{}", f.message);
    assert_eq!(f.object.as_ref().map(|o| o.name.as_str()), Some("istio-eastwestgateway"));
    // Every call into east fails; calls into west and north do not.
    for p in &report.paths {
        assert_eq!(p.ok, !p.reason.as_deref().unwrap_or("").contains("east:"), "{p:?}");
    }
    assert!(report.paths.iter().any(|p| !p.ok));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn services_across_two_trust_domains() {
    // Each side's sidecars accept the other trust domain only as a trustDomainAliases entry
    // (istio/istio pilot/pkg/networking/plugin/authn/util.go, pilot/pkg/security/model/
    // authentication.go); eastwest lists every other cluster's domain there.
    let config = "testdata/check/trust-domains-services.yaml";
    assert_agree_at(config, &[("cacerts-missing", "us"), ("cacerts-missing", "eu")]);
    // Without the alias in eu's mesh config, us's and ap's calls to echo are refused.
    let root = scratch("trust-domains-broken");
    let (dirs, _) = render_mesh(config, &root);
    let istiod = dirs.iter().find(|(c, _)| c == "eu").unwrap().1.join("10-istiod.yaml");
    let text = common::read(&istiod);
    assert!(text.contains("    trustDomainAliases:\n      - corp.local\n"), "eu's mesh config lists corp.local");
    std::fs::write(&istiod, text.replacen("    trustDomainAliases:\n      - corp.local\n", "", 1)).unwrap();
    let report = check_dirs(config, &dirs);
    let errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    assert_eq!(errors, [("trust-domain", "eu"), ("trust-domain", "eu")], "{:#?}", findings(&report.errors));
    let mut failed: Vec<&str> = report.paths.iter().filter(|p| !p.ok).map(|p| p.from.as_str()).collect();
    failed.sort();
    assert_eq!(failed, ["ap", "us"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_remote_the_primary_does_not_take_in_charge_fails_cluster_id() {
    // istio/istio pilot/pkg/serviceregistry/kube/controller/multicluster.go checkShouldLead:
    // the primary leads a remote only with EXTERNAL_ISTIOD=true and its cluster ID in the
    // remote Namespace's topology.istio.io/controlPlaneClusters.
    let config = format!("{CONFIGS}/primary-remote.yaml");
    let root = scratch("takeover");
    let (dirs, _) = render_mesh(&config, &root);
    let dir = |c: &str| dirs.iter().find(|(d, _)| d == c).unwrap().1.clone();
    // west's Namespace applied last without the annotation (labelled by hand, say).
    std::fs::write(
        dir("west").join("99-namespace.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels: {topology.istio.io/network: west-net}\n",
    )
    .unwrap();
    let istiod = dir("east").join("10-istiod.yaml");
    let text = common::read(&istiod);
    let on = "- name: EXTERNAL_ISTIOD\n            value: \"true\"\n";
    assert!(text.contains(on), "east's istiod has EXTERNAL_ISTIOD=true");
    std::fs::write(&istiod, text.replacen(on, "- name: EXTERNAL_ISTIOD\n            value: \"false\"\n", 1)).unwrap();
    let report = check_dirs(&config, &dirs);
    let mut errors: Vec<(&str, &str, String)> = report
        .errors
        .iter()
        .map(|f| (f.check, f.cluster.as_str(), f.object.as_ref().map_or(String::new(), |o| o.kind.clone())))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [("cluster-id", "east", "Deployment".to_owned()), ("cluster-id", "west", "Namespace".to_owned())],
        "{:#?}",
        findings(&report.errors)
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_remote_injected_without_its_cluster_and_network_in_the_webhook_path_fails() {
    // The remote's pods are injected by east's istiod, whose injector values say east and
    // east-net; only /inject/cluster/west/net/west-net overrides them (istio/istio
    // pkg/kube/inject/webhook.go parseInjectEnvs, inject.go extractClusterAndNetwork).
    let config = format!("{CONFIGS}/primary-remote.yaml");
    let root = scratch("injection-path");
    let (dirs, _) = render_mesh(&config, &root);
    let remote = dirs.iter().find(|(c, _)| c == "west").unwrap().1.join("10-remote.yaml");
    let text = common::read(&remote);
    let right = "/inject/cluster/west/net/west-net";
    assert!(text.contains(right));
    // The chart's default path.
    std::fs::write(&remote, text.replace(right, "/inject")).unwrap();
    let report = check_dirs(&config, &dirs);
    let mut errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    errors.sort();
    errors.dedup();
    assert_eq!(errors, [("cluster-id", "west"), ("network", "west")], "{:#?}", findings(&report.errors));
    // A webhook by URL (the chart's istiodRemote.injectionURL): the path of the URL counts.
    let service = "    service:\n      name: istiod-canary\n      namespace: \"istio-system\"\n      path: \"/inject/cluster/west/net/west-net\"\n      port: 443\n";
    assert!(text.contains(service));
    let by_url =
        text.replace(service, "    url: \"https://east-ew.example.com:15017/inject/cluster/west/net/west-net\"\n");
    std::fs::write(&remote, &by_url).unwrap();
    let report = check_dirs(&config, &dirs);
    assert!(report.errors.is_empty(), "{:#?}", findings(&report.errors));
    std::fs::write(&remote, by_url.replace("/cluster/west/", "/cluster/east/")).unwrap();
    let report = check_dirs(&config, &dirs);
    let mut errors: Vec<(&str, &str)> = report.errors.iter().map(|f| (f.check, f.cluster.as_str())).collect();
    errors.dedup();
    assert_eq!(errors, [("cluster-id", "west")], "{:#?}", findings(&report.errors));
    assert!(report.errors[0].message.contains("\"east\""), "{}", report.errors[0].message);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_golden_remote_profile_input_checks_clean_as_wests_render() {
    // testdata/golden/primary-remote-west-remote-profile/input.yaml stands for the remote
    // profile in the golden and routes tests (webhook by URL, injector ConfigMap): made into
    // west's render in place of the real chart's, the mesh is as clean.
    let config = format!("{CONFIGS}/primary-remote.yaml");
    let root = scratch("golden-remote");
    let (dirs, _) = render_mesh(&config, &root);
    let remote = dirs.iter().find(|(c, _)| c == "west").unwrap().1.join("10-remote.yaml");
    let golden = common::read(common::repo().join("testdata/golden/primary-remote-west-remote-profile/input.yaml"));
    std::fs::write(&remote, eastwest(&golden, &config, "west").0).unwrap();
    let report = check_dirs(&config, &dirs);
    assert!(report.errors.is_empty(), "{:#?}", findings(&report.errors));
    assert!(!report.paths.is_empty() && report.paths.iter().all(|p| p.ok), "{:?}", report.paths);
    let _ = std::fs::remove_dir_all(&root);
}
