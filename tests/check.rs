//! `eastwest check`: correct meshes (rendered by eastwest itself over the real charts in
//! testdata/corpus and the app chart) check clean, and each check catches its own broken
//! mesh, made from a correct render by one small change of the data.
//!
//! The renders of a cluster: the istiod release run through eastwest, the standalone set
//! (which repeats the mesh-wide objects; check keeps the last of an object given twice,
//! as `kubectl apply` does), each service's app release run through eastwest, and the
//! `cacerts` Secret from a CA chain built here with openssl.

#[path = "support/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{json, Value};

const TWO: &str = "testdata/check/two-clusters.yaml";
const THREE: &str = "testdata/check/three-clusters.yaml";
const AMBIENT: &str = "testdata/check/three-clusters-ambient.yaml";
const PRIMARY_REMOTE: &str = "testdata/check/primary-remote.yaml";
const FQDN: &str = "testdata/check/two-clusters-service-host.yaml";

/// The cluster's standalone set (`eastwest generate`).
fn standalone(config: &str, cluster: &str) -> String {
    common::generate(config, Some(cluster))
}

/// What `helm template NAME testdata/charts/app -n NS` renders (see
/// testdata/golden/app-export-eu/input.yaml), for one service of a config.
fn app_chart(name: &str, ns: &str, labels: &[(&str, &str)], port: u64, target: u64) -> String {
    let sel: String = labels.iter().map(|(k, v)| format!("\n      {k}: {v}")).collect();
    let pod: String = labels.iter().map(|(k, v)| format!("\n        {k}: {v}")).collect();
    format!(
        "---\n# Source: app/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: \"{ns}\"\n  labels:\n    app: {name}\n    app.kubernetes.io/managed-by: \"Helm\"\nspec:\n  selector:{sel2}\n  ports:\n    - name: http\n      port: {port}\n      targetPort: {target}\n      protocol: TCP\n---\n# Source: app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: \"{ns}\"\nspec:\n  replicas: 1\n  selector:\n    matchLabels:{sel}\n  template:\n    metadata:\n      labels:{pod}\n    spec:\n      containers:\n        - name: {name}\n          image: \"registry.k8s.io/e2e-test-images/agnhost:2.45\"\n          ports:\n            - name: http\n              containerPort: {target}\n              protocol: TCP\n",
        sel2 = labels.iter().map(|(k, v)| format!("\n    {k}: {v}")).collect::<String>(),
    )
}

/// The config as data (the tests read which services run where).
fn config_value(config: &str) -> Value {
    common::objects(&common::read(common::repo().join(config))).remove(0)
}

// ---------------------------------------------------------------------------------------
// Certificates, built once per test run with the openssl CLI.

struct Pki {
    dir: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("check-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("pki dir");
        std::fs::write(
            dir.join("ext.cnf"),
            "[ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             [leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .expect("ext");
        for root in ["root", "other-root"] {
            openssl(
                &dir,
                &[
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    &format!("{root}.key"), "-out", &format!("{root}.pem"), "-days", "3650", "-subj",
                    &format!("/O=eastwest-test/CN={root}"), "-addext", "basicConstraints=critical,CA:true", "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            );
        }
        // (name, signed by, extensions, days)
        for (name, by, ext, days) in [
            ("us", "root", "ca", "730"),
            ("eu", "root", "ca", "730"),
            ("eu-other", "other-root", "ca", "730"),
            ("eu-leaf", "root", "leaf", "730"),
            ("eu-soon", "root", "ca", "10"),
            // A two-level chain: root -> eu-mid -> eu-sub (istiod signs with eu-sub).
            ("eu-mid", "root", "ca", "730"),
            ("eu-sub", "eu-mid", "ca", "730"),
        ] {
            openssl(
                &dir,
                &[
                    "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj",
                    &format!("/O=eastwest-test/CN={name}-intermediate"),
                ],
            );
            openssl(
                &dir,
                &[
                    "x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{by}.pem"), "-CAkey",
                    &format!("{by}.key"), "-set_serial", "0x1234", "-out", &format!("{name}.pem"), "-days", days,
                    "-extfile", "ext.cnf", "-extensions", ext,
                ],
            );
        }
        Pki { dir }
    })
}

fn file(name: &str) -> String {
    common::read(pki().dir.join(name))
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A `cacerts` Secret in the istiod form (ca-cert.pem, ca-key.pem, cert-chain.pem,
/// root-cert.pem) for intermediate `name` under `root`.
fn cacerts(name: &str, root: &str) -> Value {
    let (ca, key, root) = (file(&format!("{name}.pem")), file(&format!("{name}.key")), file(&format!("{root}.pem")));
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "cacerts", "namespace": "istio-system"},
        "data": {
            "ca-cert.pem": b64(&ca), "ca-key.pem": b64(&key),
            "cert-chain.pem": b64(&format!("{ca}{root}")), "root-cert.pem": b64(&root),
        },
    })
}

/// A `cacerts` Secret whose CA is signed by intermediate(s): `chain` lists them from the
/// CA's issuer up (cert-chain.pem is the CA, then `chain`, then the root).
fn cacerts_chain(name: &str, chain: &[&str], root: &str) -> Value {
    let mut secret = cacerts(name, root);
    let mut text = file(&format!("{name}.pem"));
    for c in chain {
        text.push_str(&file(&format!("{c}.pem")));
    }
    text.push_str(&file(&format!("{root}.pem")));
    secret["data"]["cert-chain.pem"] = json!(b64(&text));
    secret
}

/// The same CA in the `kubernetes.io/tls` form istiod also reads (tls.crt, tls.key, ca.crt).
fn cacerts_tls(name: &str, root: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "cacerts", "namespace": "istio-system"},
        "data": {
            "tls.crt": b64(&file(&format!("{name}.pem"))), "tls.key": b64(&file(&format!("{name}.key"))),
            "ca.crt": b64(&file(&format!("{root}.pem"))),
        },
    })
}

// ---------------------------------------------------------------------------------------
// Meshes.

struct Mesh {
    config: &'static str,
    /// Each cluster's render, as the text eastwest wrote.
    texts: Vec<(String, String)>,
    /// The same renders as data, for the one small change a test makes.
    objects: Vec<(String, Vec<Value>)>,
}

fn correct(config: &'static str) -> Mesh {
    let cfg = config_value(config);
    let ambient = cfg.pointer("/spec/mode").and_then(Value::as_str) == Some("ambient");
    let clusters: Vec<String> =
        cfg["spec"]["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    let remotes: Vec<String> = cfg["spec"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == "remote")
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    let mut texts = Vec::new();
    for cluster in &clusters {
        let control_plane = if ambient {
            format!(
                "{}\n---\n{}",
                common::read(common::corpus().join("istiod-ambient.yaml")),
                common::read(common::corpus().join("ztunnel.yaml"))
            )
        } else {
            common::read(common::corpus().join("istiod.yaml"))
        };
        if remotes.contains(cluster) {
            // A remote applies no istiod: its workloads, gateway and Namespace, while its
            // Istio config goes with its primary's (istiod reads config from its own cluster).
            let own = keep_kinds(&standalone(config, cluster), |group| group != "networking.istio.io");
            texts.push((cluster.clone(), common::run(&own, config, Some(cluster))));
            continue;
        }
        let mut text = common::run(&control_plane, config, Some(cluster));
        text.push_str("\n---\n");
        text.push_str(&standalone(config, cluster));
        for svc in cfg["spec"]["services"].as_array().unwrap() {
            if !svc["clusters"].as_array().unwrap().iter().any(|c| c == cluster.as_str()) {
                continue;
            }
            let labels: Vec<(&str, &str)> =
                svc["selector"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
            let port = svc["ports"][0]["number"].as_u64().unwrap();
            let target = svc["ports"][0]["targetPort"].as_u64().unwrap_or(8080);
            let chart =
                app_chart(svc["name"].as_str().unwrap(), svc["namespace"].as_str().unwrap(), &labels, port, target);
            text.push_str("\n---\n");
            text.push_str(&common::run(&chart, config, Some(cluster)));
        }
        text.push_str("\n---\n");
        text.push_str(&serde_json::to_string(&cacerts(if cluster == "us" { "us" } else { "eu" }, "root")).unwrap());
        text.push('\n');

        texts.push((cluster.clone(), text));
    }
    let objects = texts.iter().map(|(c, t)| (c.clone(), common::objects(t))).collect();
    Mesh { config, texts, objects }
}

/// The documents of a stream whose API group passes `keep`, as JSON objects.
fn keep_kinds(text: &str, keep: impl Fn(&str) -> bool) -> String {
    common::objects(text)
        .into_iter()
        .filter(|o| keep(o["apiVersion"].as_str().unwrap_or("").rsplit_once('/').map_or("", |(g, _)| g)))
        .map(|o| serde_json::to_string(&o).unwrap() + "\n")
        .collect()
}

fn two() -> Mesh {
    correct(TWO)
}

impl Mesh {
    fn render(&mut self, cluster: &str) -> &mut Vec<Value> {
        &mut self.objects.iter_mut().find(|(c, _)| c == cluster).expect("cluster").1
    }

    /// The last object of that kind, namespace and name (the one check keeps).
    fn get(&mut self, cluster: &str, kind: &str, ns: &str, name: &str) -> &mut Value {
        self.render(cluster)
            .iter_mut()
            .rev()
            .find(|v| common::key(v) == (kind.to_owned(), ns.to_owned(), name.to_owned()))
            .unwrap_or_else(|| panic!("{cluster} has no {kind} {ns}/{name}"))
    }

    fn remove(&mut self, cluster: &str, kind: &str, ns: &str, name: &str) {
        let key = (kind.to_owned(), ns.to_owned(), name.to_owned());
        let render = self.render(cluster);
        let before = render.len();
        render.retain(|v| common::key(v) != key);
        assert!(render.len() < before, "{cluster} had no {kind} {ns}/{name}");
    }

    fn push(&mut self, cluster: &str, v: Value) {
        self.render(cluster).push(v);
    }

    /// Edit a key of the `istio` ConfigMap (embedded YAML) by replacing text in it.
    fn edit_istio_config_map(&mut self, cluster: &str, key: &str, from: &str, to: &str) {
        let pointer = format!("/data/{key}");
        let field = self.get(cluster, "ConfigMap", "istio-system", "istio").pointer_mut(&pointer).expect("field");
        let text = field.as_str().expect("string").to_owned();
        assert!(text.contains(from), "{pointer} does not contain {from:?}");
        *field = Value::String(text.replacen(from, to, 1));
    }

    /// Run the real binary over the renders as data (JSON objects, one file per cluster).
    fn check(&self) -> Outcome {
        let dir = scratch();
        let args: Vec<String> = self
            .objects
            .iter()
            .map(|(c, objects)| {
                let path = dir.join(format!("{c}.json"));
                let text: String = objects.iter().map(|o| serde_json::to_string_pretty(o).unwrap() + "\n").collect();
                std::fs::write(&path, text).unwrap();
                format!("{c}={}", path.display())
            })
            .collect();
        let outcome = run_check(self.config, &args, None);
        let _ = std::fs::remove_dir_all(&dir);
        outcome
    }

    /// Run the binary over the renders exactly as eastwest wrote them (YAML).
    fn check_texts(&self) -> Outcome {
        let dir = scratch();
        let args: Vec<String> = self
            .texts
            .iter()
            .map(|(c, text)| {
                let path = dir.join(format!("{c}.yaml"));
                std::fs::write(&path, text).unwrap();
                format!("{c}={}", path.display())
            })
            .collect();
        let outcome = run_check(self.config, &args, None);
        let _ = std::fs::remove_dir_all(&dir);
        outcome
    }
}

fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "check-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Outcome {
    code: i32,
    report: Value,
    stderr: String,
}

impl Outcome {
    fn ids(&self, list: &str) -> Vec<String> {
        self.report[list]
            .as_array()
            .map_or(vec![], |a| a.iter().map(|f| f["check"].as_str().unwrap().to_owned()).collect())
    }

    fn errors(&self) -> Vec<String> {
        self.ids("errors")
    }

    fn warnings(&self) -> Vec<String> {
        self.ids("warnings")
    }

    fn finding(&self, list: &str, check: &str) -> &Value {
        self.report[list]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["check"] == check))
            .unwrap_or_else(|| panic!("no {list} {check} in {:#}", self.report))
    }

    fn paths(&self) -> &Vec<Value> {
        self.report["paths"].as_array().expect("paths")
    }

    /// The mesh fails with exactly this error check (others may follow from it only when
    /// listed), and the message names cluster and object.
    fn fails_with(&self, check: &str) -> Value {
        assert_eq!(self.code, 1, "exit code; stderr: {}; report: {:#}", self.stderr, self.report);
        let ids = self.errors();
        assert!(ids.iter().all(|i| i == check), "only {check} expected, got {ids:?}: {:#}", self.report);
        self.finding("errors", check).clone()
    }

    fn clean(&self) {
        assert_eq!(self.code, 0, "stderr: {}; report: {:#}", self.stderr, self.report);
        assert!(self.errors().is_empty() && self.warnings().is_empty(), "findings: {:#}", self.report);
        assert!(!self.paths().is_empty());
        assert!(
            self.paths().iter().all(|p| p["ok"] == true && !p["to"].as_array().unwrap().is_empty()),
            "{:#}",
            self.report
        );
    }
}

fn run_check(config: &str, renders: &[String], stdin: Option<&str>) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eastwest"));
    cmd.current_dir(common::repo()).args(["check", "--config", config, "--output", "json"]).args(renders);
    let out = common::run_with_stdin(&mut cmd, stdin.unwrap_or(""));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let report =
        if stdout.trim().is_empty() { Value::Null } else { serde_json::from_str(&stdout).expect("JSON report") };
    Outcome { code: out.status.code().unwrap_or(-1), report, stderr: String::from_utf8_lossy(&out.stderr).to_string() }
}

fn path_from<'a>(o: &'a Outcome, from: &str, host: &str) -> &'a Value {
    o.paths().iter().find(|p| p["from"] == from && p["host"] == host).unwrap_or_else(|| panic!("no path {from} {host}"))
}

// ---------------------------------------------------------------------------------------
// Correct meshes.

#[test]
fn correct_two_cluster_mesh_checks_clean_with_every_path_ok() {
    // The seed scenario, rendered by eastwest over the real istiod chart and the app chart.
    let mesh = two();
    let o = mesh.check_texts();
    o.clean();
    // One path per caller x host x port the config allows: us calls echo in eu.
    assert_eq!(o.paths().len(), 1, "{:#}", o.report);
    let p = &o.paths()[0];
    assert_eq!(
        (p["from"].as_str(), p["service"].as_str(), p["host"].as_str(), p["port"].as_u64()),
        (Some("us"), Some("echo/echo"), Some("echo.eu.mesh.local"), Some(80))
    );
    assert_eq!(p["to"], json!(["eu"]));
    assert!(p.get("reason").is_none());
    // The JSON keys are a contract.
    let keys: Vec<&String> = o.report.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["errors", "warnings", "paths"]);
    // The same renders as data (JSON) check the same.
    mesh.check().clean();
}

#[test]
fn correct_three_cluster_mesh_checks_clean_with_every_path_ok() {
    // Links one way and both ways; a host outside *.local (an extra AUTO_PASSTHROUGH host).
    let o = correct(THREE).check_texts();
    o.clean();
    // us->eu echo; eu->ap api on two hosts. ap may call eu, but nothing it calls runs there... echo does.
    let mut got: Vec<(String, String)> = o
        .paths()
        .iter()
        .map(|p| (p["from"].as_str().unwrap().to_owned(), p["host"].as_str().unwrap().to_owned()))
        .collect();
    got.sort();
    let want = [
        ("ap", "echo.eu.mesh.local"),
        ("eu", "api.mesh.global"),
        ("eu", "api.shop.global"),
        ("us", "echo.eu.mesh.local"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
}

#[test]
fn correct_three_cluster_ambient_mesh_checks_clean() {
    // Ambient: istio/istio pilot/pkg/serviceregistry/ambient/networks.go reads the peer
    // Gateway (istio-remote, network label, typed address, HBONE listener); services.go
    // makes a Service global by the mesh's serviceScopeConfigs.
    let o = correct(AMBIENT).check_texts();
    o.clean();
    assert!(o.paths().iter().any(|p| p["from"] == "eu" && p["service"] == "shop/api" && p["to"] == json!(["ap"])));
}

// ---------------------------------------------------------------------------------------
// Identity.

#[test]
fn mesh_id_differs_in_one_render() {
    // pkg/config/mesh: defaultConfig.meshId becomes every proxy's ISTIO_META_MESH_ID.
    let mut mesh = two();
    mesh.edit_istio_config_map("eu", "mesh", "meshId: training-mesh", "meshId: other-mesh");
    let f = mesh.check().fails_with("mesh-id");
    assert_eq!(f["cluster"], "eu");
    assert_eq!(f["object"], json!({"kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}));
    assert!(f["message"].as_str().unwrap().contains("other-mesh"));
}

#[test]
fn trust_domain_differs_in_one_render() {
    // Workload SPIFFE identities carry the trust domain; peers reject a foreign one.
    let mut mesh = two();
    mesh.edit_istio_config_map("us", "mesh", "trustDomain: corp.local", "trustDomain: cluster.local");
    assert_eq!(mesh.check().fails_with("trust-domain")["cluster"], "us");
}

#[test]
fn control_plane_namespace_on_the_wrong_network() {
    // pilot/pkg/serviceregistry/kube/controller/network.go reads the system namespace label.
    let mut mesh = two();
    mesh.get("eu", "Namespace", "", "istio-system")["metadata"]["labels"]["topology.istio.io/network"] =
        json!("us-net");
    let f = mesh.check().fails_with("network");
    assert_eq!(f["object"]["kind"], "Namespace");
    assert!(f["message"].as_str().unwrap().contains("eu-net"));
}

#[test]
fn istiod_cluster_id_is_not_the_cluster_name() {
    // pilot/pkg/features: CLUSTER_ID names the local registry meshNetworks' fromRegistry refers to.
    let mut mesh = two();
    let d = mesh.get("us", "Deployment", "istio-system", "istiod");
    let env = d.pointer_mut("/spec/template/spec/containers/0/env").unwrap().as_array_mut().unwrap();
    let var = env.iter_mut().find(|e| e["name"] == "CLUSTER_ID").unwrap();
    var["value"] = json!("Kubernetes");
    let f = mesh.check().fails_with("cluster-id");
    assert!(f["message"].as_str().unwrap().contains("\"Kubernetes\""));
}

#[test]
fn mesh_networks_files_a_registry_under_another_network() {
    // pilot/pkg/model/network.go: meshNetworks `fromRegistry` assigns a registry's endpoints to a network.
    let mut mesh = two();
    // eu-net's endpoints now come from us's registry.
    mesh.edit_istio_config_map("us", "meshNetworks", "fromRegistry: eu", "fromRegistry: us");
    assert!(mesh.check().fails_with("networks-unique")["message"]
        .as_str()
        .unwrap()
        .contains("cluster us is on network us-net"));
}

#[test]
fn ambient_mesh_with_a_sidecar_mode_istiod() {
    // AMBIENT_ENABLE_MULTI_NETWORK switches istiod's ambient index to other networks.
    let mut mesh = correct(AMBIENT);
    let d = mesh.get("ap", "Deployment", "istio-system", "istiod");
    let env = d.pointer_mut("/spec/template/spec/containers/0/env").unwrap().as_array_mut().unwrap();
    env.retain(|e| e["name"] != "AMBIENT_ENABLE_MULTI_NETWORK");
    assert_eq!(mesh.check().fails_with("mode")["cluster"], "ap");
}

// ---------------------------------------------------------------------------------------
// Call paths (sidecar): pilot/pkg/xds/endpoints/endpoint_builder.go, pilot/pkg/model/network.go,
// pilot/pkg/networking/core/gateway.go.

#[test]
fn caller_without_the_import() {
    // pilot/pkg/serviceregistry/serviceentry/conversion.go: no ServiceEntry, no service for the host.
    let mut mesh = two();
    mesh.remove("us", "ServiceEntry", "echo", "echo-import");
    let o = mesh.check();
    let f = o.fails_with("import");
    assert_eq!(f["cluster"], "us");
    let p = path_from(&o, "us", "echo.eu.mesh.local");
    assert_eq!((p["ok"].as_bool(), p["to"].as_array().map(Vec::len)), (Some(false), Some(0)));
    assert!(p["reason"].as_str().unwrap().contains("no ServiceEntry"));
}

#[test]
fn import_endpoint_without_istio_tls_mode() {
    // Without security.istio.io/tlsMode: istio there is no auto-mTLS (endpoint_builder.go).
    let mut mesh = two();
    let se = mesh.get("us", "ServiceEntry", "echo", "echo-import");
    se["spec"]["endpoints"][0]["labels"] = json!({});
    let f = mesh.check().fails_with("import");
    assert!(f["message"].as_str().unwrap().contains("tlsMode"));
}

#[test]
fn import_on_the_wrong_network() {
    // pilot/pkg/xds/endpoints/endpoint_builder.go: the endpoint's network picks the gateway.
    let mut mesh = two();
    mesh.get("us", "ServiceEntry", "echo", "echo-import")["spec"]["endpoints"][0]["network"] = json!("us-net");
    assert!(mesh.check().fails_with("import")["message"].as_str().unwrap().contains("eu-net"));
}

#[test]
fn dns_capture_off_where_the_host_is_not_a_kubernetes_service() {
    // pkg/dns (istio-agent DNS proxy): only with ISTIO_META_DNS_CAPTURE do apps resolve ServiceEntry hosts.
    let mut mesh = two();
    mesh.edit_istio_config_map("us", "mesh", "ISTIO_META_DNS_CAPTURE: \"true\"", "ISTIO_META_DNS_CAPTURE: \"false\"");
    assert_eq!(mesh.check().fails_with("dns-capture")["cluster"], "us");
}

#[test]
fn callers_mesh_networks_has_another_gateway_address() {
    // pilot/pkg/model/network.go: meshNetworks gateways are where remote endpoints go.
    let mut mesh = two();
    mesh.edit_istio_config_map("us", "meshNetworks", "203.0.113.10", "203.0.113.99");
    let f = mesh.check().fails_with("gateway-view");
    assert!(f["message"].as_str().unwrap().contains("203.0.113.99"));
}

#[test]
fn targets_gateway_not_auto_passthrough() {
    // gateway.go: only AUTO_PASSTHROUGH servers route by the SNI Istio clients send.
    let mut mesh = two();
    mesh.get("eu", "Gateway", "istio-system", "cross-network-gateway")["spec"]["servers"][0]["tls"]["mode"] =
        json!("PASSTHROUGH");
    assert_eq!(mesh.check().fails_with("gateway-listener")["cluster"], "eu");
}

#[test]
fn targets_gateway_hosts_do_not_cover_the_host() {
    // pilot/pkg/networking/core/gateway.go: AUTO_PASSTHROUGH filter chains match the SNI against the server hosts.
    let mut mesh = two();
    mesh.get("eu", "Gateway", "istio-system", "cross-network-gateway")["spec"]["servers"][0]["hosts"] =
        json!(["*.global"]);
    assert!(mesh.check().fails_with("gateway-listener")["message"].as_str().unwrap().contains("echo.eu.mesh.local"));
}

#[test]
fn target_without_the_export() {
    // pilot/pkg/networking/core/gateway.go: the SNI must name a service in the gateway's own registry.
    let mut mesh = two();
    mesh.remove("eu", "ServiceEntry", "echo", "echo-export");
    assert_eq!(mesh.check().fails_with("export")["cluster"], "eu");
}

#[test]
fn export_selects_no_pods_of_the_render() {
    // pilot/pkg/serviceregistry/serviceentry/controller.go: workloadSelector picks the pods behind the host.
    let mut mesh = two();
    mesh.get("eu", "ServiceEntry", "echo", "echo-export")["spec"]["workloadSelector"]["labels"] =
        json!({"app": "ekko"});
    assert!(mesh.check().fails_with("export-workloads")["message"].as_str().unwrap().contains("app=ekko"));
}

#[test]
fn exported_port_missing_on_the_service() {
    // pilot/pkg/model/service.go: the SNI carries the port, which must be a port of the service.
    let mut mesh = two();
    mesh.get("eu", "Service", "echo", "echo")["spec"]["ports"][0]["port"] = json!(8081);
    let f = mesh.check().fails_with("service-port");
    assert_eq!(f["object"], json!({"kind": "Service", "namespace": "echo", "name": "echo"}));
}

#[test]
fn node_port_gateway_without_a_pinned_node_port_is_a_warning() {
    // pilot/pkg/model/network.go: a meshNetworks gateway is dialled at the port given; an unpinned nodePort is unknown until applied.
    let mut mesh = two();
    let svc = mesh.get("eu", "Service", "istio-system", "istio-eastwestgateway");
    svc["spec"]["type"] = json!("NodePort");
    for p in svc["spec"]["ports"].as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("nodePort");
    }
    let o = mesh.check();
    assert_eq!(o.code, 0, "{:#}", o.report);
    assert_eq!(o.warnings(), ["gateway-node-port"]);
}

#[test]
fn node_port_gateway_pinned_elsewhere_than_callers_dial() {
    // pilot/pkg/model/network.go: callers dial the meshNetworks port, which must be the pinned nodePort.
    let mut mesh = two();
    let svc = mesh.get("eu", "Service", "istio-system", "istio-eastwestgateway");
    svc["spec"]["type"] = json!("NodePort");
    let tls = svc["spec"]["ports"].as_array_mut().unwrap().iter_mut().find(|p| p["port"] == 15443).unwrap();
    tls["nodePort"] = json!(31443);
    // us's meshNetworks still says 15443.
    assert!(mesh.check().fails_with("gateway-view")["message"].as_str().unwrap().contains("203.0.113.10:31443"));
}

#[test]
fn ambient_caller_without_the_peer_gateway() {
    // pilot/pkg/serviceregistry/ambient/networks.go: network gateways come from istio-remote Gateways.
    let mut mesh = correct(AMBIENT);
    mesh.remove("us", "Gateway", "istio-system", "istio-remote-peer-eu");
    let o = mesh.check();
    assert_eq!(o.fails_with("import")["cluster"], "us");
    assert!(!path_from(&o, "us", "echo.echo.svc.cluster.local")["ok"].as_bool().unwrap());
}

#[test]
fn ambient_peer_gateway_with_another_address() {
    // pilot/pkg/serviceregistry/ambient/networks.go: typed addresses and the HBONE listener port.
    let mut mesh = correct(AMBIENT);
    mesh.get("us", "Gateway", "istio-system", "istio-remote-peer-eu")["spec"]["addresses"] =
        json!([{"type": "IPAddress", "value": "192.0.2.1"}]);
    assert_eq!(mesh.check().fails_with("gateway-view")["cluster"], "us");
}

#[test]
fn ambient_service_not_global() {
    // pilot/pkg/serviceregistry/ambient/services.go (matchServiceScope): only GLOBAL services cross networks.
    let mut mesh = correct(AMBIENT);
    mesh.get("eu", "Service", "echo", "echo")["metadata"]["labels"].as_object_mut().unwrap().remove("istio.io/global");
    assert_eq!(mesh.check().fails_with("export")["cluster"], "eu");
}

#[test]
fn ambient_target_without_the_east_west_gateway() {
    // pilot/pkg/serviceregistry/ambient/networks.go: the target's istio-east-west Gateway terminates HBONE.
    let mut mesh = correct(AMBIENT);
    mesh.remove("eu", "Gateway", "istio-system", "istio-eastwestgateway");
    assert_eq!(mesh.check().fails_with("gateway-listener")["cluster"], "eu");
}

// ---------------------------------------------------------------------------------------
// What users add.

#[test]
fn root_namespace_sidecar_hides_the_host() {
    // pilot/pkg/model/sidecar.go: the root namespace's Sidecar is every namespace's default.
    let mut mesh = two();
    mesh.push(
        "us",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default", "namespace": "istio-system"},
               "spec": {"egress": [{"hosts": ["./*", "istio-system/*"]}]}}),
    );
    let f = mesh.check().fails_with("sidecar-egress");
    assert_eq!(f["object"], json!({"kind": "Sidecar", "namespace": "istio-system", "name": "default"}));
}

#[test]
fn namespace_sidecar_hiding_the_host_is_a_warning() {
    // pilot/pkg/model/sidecar.go: a namespace's own Sidecar replaces the root default for that namespace only.
    let mut mesh = two();
    mesh.push(
        "us",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default", "namespace": "web"},
               "spec": {"egress": [{"hosts": ["./*"]}]}}),
    );
    let o = mesh.check();
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(), ["sidecar-egress"]);
}

#[test]
fn export_to_hides_the_export_from_the_gateway() {
    // pilot/pkg/model/push_context.go: exportTo "." keeps the entry in its own namespace.
    let mut mesh = two();
    mesh.get("eu", "ServiceEntry", "echo", "echo-export")["spec"]["exportTo"] = json!(["."]);
    assert!(mesh.check().fails_with("export-to")["message"].as_str().unwrap().contains("istio-system"));
}

#[test]
fn export_to_annotation_hides_the_import_from_callers() {
    // pilot/pkg/model/push_context.go (serviceExportTo): the networking.istio.io/exportTo annotation, "~" hides it.
    let mut mesh = two();
    mesh.get("us", "ServiceEntry", "echo", "echo-import")["metadata"]["annotations"] =
        json!({"networking.istio.io/exportTo": "~"});
    assert_eq!(mesh.check().fails_with("export-to")["cluster"], "us");
}

#[test]
fn peer_authentication_disable_on_the_target_workloads() {
    // pilot/pkg/security/authn: the workload's policy wins over namespace and mesh.
    let mut mesh = two();
    mesh.push(
        "eu",
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "plain", "namespace": "echo"},
               "spec": {"selector": {"matchLabels": {"app": "echo"}}, "mtls": {"mode": "DISABLE"}}}),
    );
    assert_eq!(mesh.check().fails_with("peer-authentication")["object"]["name"], "plain");
}

#[test]
fn peer_authentication_strict_on_the_workload_overrides_a_disabled_namespace() {
    // pilot/pkg/security/authn/policy_applier.go: the most specific policy wins.
    let mut mesh = two();
    mesh.push(
        "eu",
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "ns", "namespace": "echo"},
               "spec": {"mtls": {"mode": "DISABLE"}}}),
    );
    mesh.push(
        "eu",
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "echo", "namespace": "echo"},
               "spec": {"selector": {"matchLabels": {"app": "echo"}}, "mtls": {"mode": "STRICT"}}}),
    );
    mesh.check().clean();
}

#[test]
fn destination_rule_replaces_istio_mtls() {
    // pilot/pkg/networking/core/cluster_tls.go: a DestinationRule's TLS wins over auto-mTLS.
    let mut mesh = two();
    mesh.push(
        "us",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "echo-tls", "namespace": "echo"},
               "spec": {"host": "*.mesh.local", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}}),
    );
    assert!(mesh.check().fails_with("destination-rule-tls")["message"].as_str().unwrap().contains("SIMPLE"));
}

#[test]
fn two_service_entries_for_one_host_in_one_namespace() {
    // push_context.go initServiceRegistry keeps the oldest Service per host and namespace.
    let mut mesh = two();
    let mut twin = mesh.get("eu", "ServiceEntry", "echo", "echo-export").clone();
    twin["metadata"]["name"] = json!("echo-export-twin");
    mesh.push("eu", twin);
    assert_eq!(mesh.check().fails_with("service-entry-conflict")["cluster"], "eu");
}

#[test]
fn service_entries_with_conflicting_protocols() {
    // IST0177 (pkg/config/analysis/analyzers/serviceentry).
    let mut mesh = two();
    let mut other = mesh.get("eu", "ServiceEntry", "echo", "echo-export").clone();
    other["metadata"]["namespace"] = json!("web");
    other["spec"]["ports"][0]["protocol"] = json!("TCP");
    other["spec"]["workloadSelector"]["labels"] = json!({"app": "web"});
    mesh.push("eu", other);
    assert!(mesh.check().fails_with("service-entry-conflict")["message"].as_str().unwrap().contains("IST0177"));
}

#[test]
fn two_gateways_on_one_port_and_host() {
    // IST0145 (pkg/config/analysis/analyzers/gateway/conflictinggateway.go).
    let mut mesh = two();
    mesh.push(
        "eu",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "tls-ingress", "namespace": "istio-system"},
               "spec": {"selector": {"istio": "eastwestgateway"},
                        "servers": [{"port": {"number": 15443, "name": "tls2", "protocol": "TLS"}, "tls": {"mode": "SIMPLE", "credentialName": "x"}, "hosts": ["*.local"]}]}}),
    );
    assert_eq!(mesh.check().fails_with("gateway-conflict")["object"]["name"], "tls-ingress");
}

#[test]
fn overlapping_auto_passthrough_hosts() {
    // istio/istio#42050: Envoy rejects a listener whose SNI matches overlap.
    let mut mesh = two();
    mesh.get("eu", "Gateway", "istio-system", "cross-network-gateway")["spec"]["servers"][0]["hosts"] =
        json!(["*.local", "echo.eu.mesh.local"]);
    assert_eq!(mesh.check().fails_with("passthrough-overlap")["cluster"], "eu");
}

// ---------------------------------------------------------------------------------------
// Known-broken mixes (istio/istio#57878, #60609).

#[test]
fn sidecar_workload_in_an_ambient_multi_network_cluster() {
    // istio/istio#57878; pilot/pkg/features: AMBIENT_ENABLE_MULTI_NETWORK.
    let mut mesh = correct(AMBIENT);
    let d = mesh.get("eu", "Deployment", "echo", "echo");
    d["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] = json!("true");
    assert!(mesh.check().fails_with("mixed-modes")["message"].as_str().unwrap().contains("57878"));
}

#[test]
fn classic_east_west_gateway_next_to_ambient_multi_network() {
    // istio/istio#60609; pilot/pkg/networking/core/gateway.go (AUTO_PASSTHROUGH).
    let mut mesh = correct(AMBIENT);
    mesh.push(
        "ap",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "cross-network-gateway", "namespace": "istio-system"},
               "spec": {"selector": {"istio": "eastwestgateway"},
                        "servers": [{"port": {"number": 15443, "name": "tls", "protocol": "TLS"}, "tls": {"mode": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}]}}),
    );
    assert!(mesh.check().fails_with("mixed-modes")["message"].as_str().unwrap().contains("60609"));
}

// ---------------------------------------------------------------------------------------
// Trust (issue 13): a real chain, one root, two intermediates.

#[test]
fn cacerts_chains_to_one_root_in_both_secret_formats() {
    // pilot/pkg/bootstrap/istio_ca.go (detectSigningCABundleAndCRL): tls.crt/tls.key/ca.crt wins over the istiod form.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts_tls("eu", "root");
    mesh.check().clean();
}

#[test]
fn cacerts_with_a_different_root_fails() {
    // security/pkg/pki/ca/ca.go: each istiod signs with its cacerts; peers verify against their root-cert.pem.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts("eu-other", "other-root");
    let o = mesh.check();
    let f = o.fails_with("trust-root");
    assert_eq!(f["cluster"], "eu");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("SHA256"));
    // Never key material, never PEM.
    let text = o.report.to_string();
    assert!(!text.contains("BEGIN") && !text.contains(&b64(&file("eu-other.key"))[..40]));
}

#[test]
fn cacerts_with_a_leaf_instead_of_an_intermediate_fails() {
    // security/pkg/pki/ca/ca.go (NewPluggedCertIstioCAOptions): the signing certificate must be a CA.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts("eu-leaf", "root");
    let f = mesh.check();
    assert!(f.fails_with("ca-cert")["message"].as_str().unwrap().contains("not a CA"));
}

#[test]
fn cacerts_whose_intermediate_is_not_signed_by_the_root_fails() {
    // security/pkg/pki/util/keycertbundle.go: the chain must verify up to root-cert.pem.
    let mut mesh = two();
    // eu's intermediate with the other root as its declared root.
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts("eu", "other-root");
    assert!(mesh.check().fails_with("ca-cert")["message"].as_str().unwrap().contains("does not chain"));
}

#[test]
fn cacerts_expiring_within_thirty_days_is_a_warning() {
    // security/pkg/pki/util/keycertbundle.go: an expired CA certificate stops signing.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts("eu-soon", "root");
    let o = mesh.check();
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(), ["cert-expiry"]);
}

#[test]
fn cluster_without_cacerts_is_a_warning() {
    // pilot/pkg/bootstrap/istio_ca.go: without cacerts istiod creates its own self-signed root.
    let mut mesh = two();
    mesh.remove("us", "Secret", "istio-system", "cacerts");
    let o = mesh.check();
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(), ["cacerts-missing"]);
    assert_eq!(o.finding("warnings", "cacerts-missing")["cluster"], "us");
}

fn certificate(issuer: &str, is_ca: bool) -> Value {
    json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "cacerts", "namespace": "istio-system"},
           "spec": {"secretName": "cacerts", "isCA": is_ca, "commonName": "istio-ca",
                    "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"}}})
}

#[test]
fn cert_manager_certificates_with_one_issuer_check_clean() {
    // cert-manager writes cacerts in the tls.crt/tls.key/ca.crt form istiod reads (istio_ca.go).
    let mut mesh = two();
    for c in ["us", "eu"] {
        mesh.remove(c, "Secret", "istio-system", "cacerts");
        mesh.push(c, certificate("mesh-root", true));
    }
    mesh.check().clean();
}

#[test]
fn cert_manager_certificates_with_different_issuers_warn() {
    // Two issuers may or may not share a root: not provable offline.
    let mut mesh = two();
    for (c, issuer) in [("us", "mesh-root"), ("eu", "eu-root")] {
        mesh.remove(c, "Secret", "istio-system", "cacerts");
        mesh.push(c, certificate(issuer, true));
    }
    let o = mesh.check();
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(), ["ca-issuer"]);
}

#[test]
fn cert_manager_certificate_not_a_ca_fails() {
    // security/pkg/pki/ca/ca.go: istiod refuses a signing certificate that is not a CA.
    let mut mesh = two();
    for (c, is_ca) in [("us", true), ("eu", false)] {
        mesh.remove(c, "Secret", "istio-system", "cacerts");
        mesh.push(c, certificate("mesh-root", is_ca));
    }
    assert_eq!(mesh.check().fails_with("ca-cert")["cluster"], "eu");
}

// ---------------------------------------------------------------------------------------
// Interface: inputs, exit codes, text report.

#[test]
fn renders_from_a_directory_and_stdin() {
    let mesh = two();
    let dir = scratch();
    let us = dir.join("us");
    std::fs::create_dir_all(us.join("nested")).unwrap();
    // Split the us render over two files of a directory.
    let text = &mesh.texts[0].1;
    let cut = text.find("\n---\n# Source: istiod/templates/service.yaml").unwrap_or(text.len() / 2);
    let cut = text[..cut].rfind("\n---").unwrap_or(0);
    std::fs::write(us.join("a.yaml"), &text[..cut]).unwrap();
    std::fs::write(us.join("nested/b.yml"), &text[cut..]).unwrap();
    std::fs::write(us.join("README.md"), "not a manifest").unwrap();
    let o = run_check(TWO, &[format!("us={}", us.display()), "eu=-".into()], Some(&mesh.texts[1].1));
    o.clean();
}

#[test]
fn usage_errors_exit_2() {
    let mesh = two();
    let dir = scratch();
    let us = dir.join("us.yaml");
    std::fs::write(&us, &mesh.texts[0].1).unwrap();
    let us_arg = format!("us={}", us.display());
    for (args, needle) in [
        (vec![us_arg.clone()], "no render for cluster eu"),
        (vec![us_arg.clone(), "eu=/nonexistent/eu.yaml".into()], "cannot read"),
        (vec![us_arg.clone(), format!("ap={}", us.display())], "unknown cluster \"ap\""),
        (vec![us_arg.clone(), "eu".into()], "not CLUSTER=PATH"),
        (vec!["us=-".into(), "eu=-".into()], "stdin can be read only once"),
        (vec![us_arg.clone(), us_arg.clone()], "given twice"),
    ] {
        let o = run_check(TWO, &args, None);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(o.report.is_null(), "nothing on stdout");
    }
    // Invalid YAML is unreadable input.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "kind: ConfigMap\nmetadata: {name: x\n").unwrap();
    let o = run_check(TWO, &[us_arg, format!("eu={}", bad.display())], None);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn text_report_names_cluster_object_and_field_then_the_matrix() {
    let mut mesh = two();
    mesh.get("us", "ServiceEntry", "echo", "echo-import")["spec"]["endpoints"][0]["labels"] = json!({});
    let dir = scratch();
    let args: Vec<String> = mesh
        .objects
        .iter()
        .map(|(c, objects)| {
            let path = dir.join(format!("{c}.json"));
            std::fs::write(
                &path,
                serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": objects})).unwrap(),
            )
            .unwrap();
            format!("{c}={}", path.display())
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .current_dir(common::repo())
        .args(["check", "--config", TWO])
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "error: [import] cluster us ServiceEntry echo/echo-import: field spec.endpoints[network=eu-net].labels"
        ),
        "{text}"
    );
    assert!(text.contains("reachability"), "{text}");
    let row = text.lines().find(|l| l.trim_start().starts_with("us ")).expect("us row");
    assert!(row.contains("FAIL"), "{text}");
}

#[test]
fn every_check_id_is_documented_once() {
    let ids: Vec<&str> = eastwest::check::all_checks().iter().map(|c| c.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate check id in {ids:?}");
    // The README section (docs-check-section.md until it is pasted into README.md).
    let docs = ["README.md", "docs-check-section.md"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(common::repo().join(f)).ok())
        .find(|t| t.contains("## Check before you apply"))
        .expect("the Check before you apply section");
    for id in ids {
        assert!(docs.contains(&format!("| `{id}` |")), "check id {id} is not in the README's list");
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{id} is not kebab-case");
    }
}

// ---------------------------------------------------------------------------------------
// Other shapes of a correct import, as the generator may write them (issue 10: one object
// per host where a service is both local and remote).

/// us's import as a ServiceEntry selecting an address-less WorkloadEntry on eu's network
/// (pilot/pkg/serviceregistry/serviceentry/conversion.go converts selected WorkloadEntries
/// like inline endpoints).
fn import_through_workload_entry(mesh: &mut Mesh, we_labels: Value) {
    let se = mesh.get("us", "ServiceEntry", "echo", "echo-import");
    let spec = se["spec"].as_object_mut().unwrap();
    spec.remove("endpoints");
    spec.insert("workloadSelector".into(), json!({"labels": {"app": "echo"}}));
    mesh.push(
        "us",
        json!({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry", "metadata": {"name": "echo-eu-net", "namespace": "echo"},
               "spec": {"network": "eu-net", "locality": "eu-west-1", "labels": we_labels}}),
    );
}

#[test]
fn import_through_a_workload_entry_checks_clean() {
    // pilot/pkg/serviceregistry/serviceentry/conversion.go: selected WorkloadEntries are endpoints.
    let mut mesh = two();
    import_through_workload_entry(&mut mesh, json!({"app": "echo", "security.istio.io/tlsMode": "istio"}));
    mesh.check().clean();
}

#[test]
fn workload_entry_import_without_istio_tls_mode_fails() {
    // pilot/pkg/xds/endpoints/endpoint_builder.go: tlsMode decides auto-mTLS per endpoint.
    let mut mesh = two();
    import_through_workload_entry(&mut mesh, json!({"app": "echo"}));
    assert!(mesh.check().fails_with("import")["message"].as_str().unwrap().contains("tlsMode"));
}

#[test]
fn import_without_a_vip_fails_only_when_istiod_does_not_allocate_one() {
    // pilot/pkg/features/pilot.go: PILOT_ENABLE_IP_AUTOALLOCATE (default on) gives
    // address-less ServiceEntries a VIP the DNS proxy answers with.
    let mut mesh = two();
    mesh.get("us", "ServiceEntry", "echo", "echo-import")["spec"].as_object_mut().unwrap().remove("addresses");
    mesh.check().clean();
    let d = mesh.get("us", "Deployment", "istio-system", "istiod");
    let env = d.pointer_mut("/spec/template/spec/containers/0/env").unwrap().as_array_mut().unwrap();
    env.push(json!({"name": "PILOT_ENABLE_IP_AUTOALLOCATE", "value": "false"}));
    assert!(mesh.check().fails_with("import")["message"].as_str().unwrap().contains("no VIP"));
}

#[test]
fn remote_caller_uses_its_primarys_istio_config() {
    // A remote's proxies get their config from the primary's istiod, which reads Istio
    // config (ServiceEntries, meshNetworks, mesh config) from its own cluster
    // (pilot/pkg/bootstrap/configcontroller.go) and sees the primary's pods itself, with
    // their network (pilot/pkg/serviceregistry/kube/controller/multicluster.go).
    let mut mesh = correct(PRIMARY_REMOTE);
    let east_mesh = mesh.get("east", "ConfigMap", "istio-system", "istio")["data"]["mesh"].as_str().unwrap().to_owned();
    if !east_mesh.contains("ISTIO_META_DNS_CAPTURE") {
        // The generator before issue 10 switched DNS capture on only for a primary's own
        // imports, not its remotes' callers: check catches exactly that, then we fix it.
        assert_eq!(mesh.check().fails_with("dns-capture")["cluster"], "east");
        let fixed = east_mesh.replacen(
            "defaultConfig:\n",
            "defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n",
            1,
        );
        mesh.get("east", "ConfigMap", "istio-system", "istio")["data"]["mesh"] = json!(fixed);
    }
    let o = mesh.check();
    o.clean();
    assert_eq!(path_from(&o, "west", "echo.east.mesh.local")["to"], json!(["east"]));
    // Without the entry for the host in the primary's render, the remote's call fails, and
    // the message says where it looked.
    mesh.remove("east", "ServiceEntry", "echo", "echo-export");
    let o = mesh.check();
    assert_eq!(o.code, 1);
    let west = o.report["errors"].as_array().unwrap().iter().find(|f| f["cluster"] == "west").expect("west's finding");
    assert_eq!(west["check"], "import");
    assert!(west["message"].as_str().unwrap().contains("cluster west or its primary east"), "{west}");
}

#[test]
fn ambient_caller_without_the_import() {
    // Without remote secrets istiod knows a remote network's instances only from the import
    // (pilot/pkg/serviceregistry/ambient/services.go indexes ServiceEntries too).
    let mut mesh = correct(AMBIENT);
    mesh.remove("us", "ServiceEntry", "echo", "echo-import");
    assert_eq!(mesh.check().fails_with("import")["cluster"], "us");
}

#[test]
fn cacerts_signed_through_a_second_intermediate_checks_clean() {
    // root -> eu-mid -> eu-sub: cert-chain.pem carries eu-mid, which links eu-sub to the root.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts_chain("eu-sub", &["eu-mid"], "root");
    mesh.check().clean();
}

#[test]
fn cacerts_missing_the_middle_of_its_chain_fails() {
    // security/pkg/pki/util/keycertbundle.go: cert-chain.pem must link the CA to the root.
    let mut mesh = two();
    *mesh.get("eu", "Secret", "istio-system", "cacerts") = cacerts_chain("eu-sub", &[], "root");
    assert!(mesh.check().fails_with("ca-cert")["message"].as_str().unwrap().contains("does not chain"));
}

#[test]
fn config_maps_are_found_by_name_and_key_in_any_order() {
    // `istio` and `istio-sidecar-injector` share a prefix; a revisioned `istio-<rev>` is
    // the same ConfigMap for istiod (pilot/pkg/bootstrap/configcontroller.go reads the
    // revision's mesh config).
    let mut mesh = two();
    let render = mesh.render("us");
    let at = render.iter().position(|v| common::key(v).2 == "istio-sidecar-injector").unwrap();
    let injector = render.remove(at);
    render.insert(0, injector);
    mesh.check().clean();
}

#[test]
fn cacerts_that_is_not_base64_or_pem_fails_without_echoing_it() {
    let mut mesh = two();
    let secret = mesh.get("eu", "Secret", "istio-system", "cacerts");
    secret["data"]["ca-cert.pem"] = json!("c2VjcmV0!!not-base64");
    let o = mesh.check();
    assert!(o.fails_with("ca-cert")["message"].as_str().unwrap().contains("not valid base64"));
    assert!(!o.report.to_string().contains("c2VjcmV0"));
    // A private key where the certificate should be: no certificate, and no key in the report.
    let key = file("eu.key");
    mesh.get("eu", "Secret", "istio-system", "cacerts")["data"]["ca-cert.pem"] = json!(b64(&key));
    let o = mesh.check();
    assert!(o.fails_with("ca-cert")["message"].as_str().unwrap().contains("holds no certificate"));
    assert!(!o.report.to_string().contains(&b64(&key)[..32]));
}

/// Run the checks in-process (no files), for many variations quickly.
fn check_in_process(config: &str, objects: &[(String, Vec<Value>)]) -> eastwest::check::Report {
    use eastwest::check::model::{Obj, Render};
    let topo = eastwest::check::topology::from_text(&common::read(common::repo().join(config)), config).unwrap();
    let renders: Vec<Render> = objects
        .iter()
        .map(|(cluster, values)| {
            let objs = values
                .iter()
                .map(|v| {
                    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
                    Obj {
                        api_version: s("/apiVersion").unwrap_or_default(),
                        kind: s("/kind").unwrap_or_default(),
                        namespace: s("/metadata/namespace"),
                        name: s("/metadata/name").unwrap_or_default(),
                        value: v.clone(),
                    }
                })
                .collect();
            Render::new(cluster, objs)
        })
        .collect();
    eastwest::check::check(&topo, &renders, eastwest::check::now())
}

#[test]
fn no_panic_whatever_shape_the_fields_have() {
    // Every field of every Istio, Gateway API and core object the checks read, replaced in
    // turn by values of the wrong type: check reports or ignores, never panics.
    for config in [TWO, AMBIENT] {
        let mesh = correct(config);
        assert!(check_in_process(config, &mesh.objects).errors.is_empty());
        let junk = [json!(null), json!("x"), json!(7), json!([1, {"a": "b"}]), json!({"": {}})];
        for (ci, (_, objects)) in mesh.objects.iter().enumerate() {
            for (oi, object) in objects.iter().enumerate() {
                let Some(spec) = object.get("spec").or(object.get("data")).and_then(Value::as_object) else { continue };
                let top = if object.get("spec").is_some() { "spec" } else { "data" };
                for key in spec.keys() {
                    for j in &junk {
                        let mut variant = mesh.objects.clone();
                        variant[ci].1[oi][top][key] = j.clone();
                        let report = check_in_process(config, &variant);
                        let _ = serde_json::to_string(&report).unwrap();
                    }
                }
            }
        }
    }
}

#[test]
fn every_kind_a_check_reads_is_read_in_full() {
    // The reader prunes other kinds to their identity; a check reading a pruned kind would
    // silently see nothing.
    for c in eastwest::check::all_checks() {
        for kind in c.reads {
            assert!(eastwest::check::model::read_in_full(kind), "{} reads {kind}, which the reader prunes", c.id);
        }
    }
}

#[test]
fn mesh_wide_peer_authentication_disable_in_the_root_namespace() {
    // pilot/pkg/security/authn/policy_applier.go: the root namespace's policy without a
    // selector applies to every workload without a more specific one.
    let mut mesh = two();
    mesh.push(
        "eu",
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"},
               "spec": {"mtls": {"mode": "DISABLE"}}}),
    );
    let f = mesh.check().fails_with("peer-authentication");
    assert_eq!(f["object"], json!({"kind": "PeerAuthentication", "namespace": "istio-system", "name": "default"}));
    // Port-level DISABLE on the workload's target port, under a STRICT workload policy.
    let mut mesh = two();
    mesh.push(
        "eu",
        json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "echo", "namespace": "echo"},
               "spec": {"selector": {"matchLabels": {"app": "echo"}}, "mtls": {"mode": "STRICT"}, "portLevelMtls": {"8080": {"mode": "DISABLE"}}}}),
    );
    assert!(mesh.check().fails_with("peer-authentication")["message"].as_str().unwrap().contains("portLevelMtls.8080"));
}

#[test]
fn export_to_annotation_on_a_kubernetes_service_hides_it_from_the_gateway() {
    // pilot/pkg/serviceregistry/kube/conversion.go reads networking.istio.io/exportTo on a
    // Service. Host = the Service's own name: the Service itself is the export (issue 10's
    // generator writes no ServiceEntry for it).
    let mut mesh = correct(FQDN);
    // Before issue 10 the generator also wrote an export entry for the Service's own name.
    if mesh.render("eu").iter().any(|v| common::key(v).2 == "echo-export") {
        mesh.remove("eu", "ServiceEntry", "echo", "echo-export");
    }
    mesh.check().clean();
    mesh.get("eu", "Service", "echo", "echo")["metadata"]["annotations"] = json!({"networking.istio.io/exportTo": "."});
    let f = mesh.check().fails_with("export-to");
    assert_eq!(f["object"], json!({"kind": "Service", "namespace": "echo", "name": "echo"}));
}

#[test]
fn every_problem_of_a_path_is_reported_at_once() {
    let mut mesh = two();
    mesh.edit_istio_config_map("us", "mesh", "ISTIO_META_DNS_CAPTURE: \"true\"", "ISTIO_META_DNS_CAPTURE: \"false\"");
    mesh.remove("eu", "ServiceEntry", "echo", "echo-export");
    let o = mesh.check();
    assert_eq!(o.code, 1);
    let mut ids = o.errors();
    ids.sort();
    assert_eq!(ids, ["dns-capture", "export"]);
    let reason = path_from(&o, "us", "echo.eu.mesh.local")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("ISTIO_META_DNS_CAPTURE") && reason.contains("workloadSelector"), "{reason}");
}

#[test]
fn renders_in_krm_resource_list_and_list_shapes() {
    let mesh = two();
    let dir = scratch();
    let us = dir.join("us.json");
    let eu = dir.join("eu.yaml");
    let rl = json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": mesh.objects[0].1});
    std::fs::write(&us, serde_json::to_string(&rl).unwrap()).unwrap();
    // YAML with a `kind: List` wrapper (JSON is YAML).
    let list = json!({"apiVersion": "v1", "kind": "List", "items": mesh.objects[1].1});
    std::fs::write(&eu, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    run_check(TWO, &[format!("us={}", us.display()), format!("eu={}", eu.display())], None).clean();
}

#[test]
fn export_target_port_the_pods_do_not_listen_on() {
    // pilot/pkg/serviceregistry/serviceentry/conversion.go: a workloadSelector entry's
    // endpoints take targetPort (else the port) on the pods. The standalone set, made
    // without the Service, maps 80 to 80; applied after the app's render it would win.
    let mut mesh = two();
    mesh.get("eu", "ServiceEntry", "echo", "echo-export")["spec"]["ports"][0]["targetPort"] = json!(80);
    let f = mesh.check().fails_with("service-port");
    assert!(f["message"].as_str().unwrap().contains("listen on 8080"), "{f}");
}
