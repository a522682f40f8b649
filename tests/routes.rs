//! Issue 10: every mode the config accepts routes in real Istio, or is refused at render
//! time. One test (or more) per numbered item; each comment names the Istio source
//! (istio/istio at commit 86c9f01fd735, istio/ztunnel at 62d826530e5c) whose behaviour
//! the shape follows. Output is read back as data, never only compared as text.

#[path = "support/common.rs"]
mod common;
#[path = "support/crd_schema.rs"]
mod crd_schema;

use common::*;
use serde_json::{json, Value};

/// Run with an inline config (JSON is YAML); the error text on failure.
fn run_inline(config: &Value, cluster: &str, input: &str) -> Result<(String, Vec<eastwest::Warning>), String> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "inline".into(), text: config.to_string() }),
        cluster: Some(cluster.to_owned()),
        // An empty input stands for the standalone set (`eastwest generate`).
        standalone: input.is_empty(),
    };
    eastwest::run_with_warnings(input, &options).map_err(|f| f.error.to_string())
}

fn ok(config: &Value, cluster: &str, input: &str) -> Vec<Value> {
    let (out, _) = run_inline(config, cluster, input).unwrap_or_else(|e| panic!("eastwest failed: {e}"));
    objects(&out)
}

fn refused(config: &Value, cluster: &str) -> String {
    match run_inline(config, cluster, "") {
        Ok(_) => panic!("expected a refusal for {config:#}"),
        Err(e) => e,
    }
}

fn find<'a>(objs: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|v| key(v) == (kind.into(), ns.into(), name.into()))
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} in {:?}", objs.iter().map(key).collect::<Vec<_>>()))
}

fn has(objs: &[Value], kind: &str, name: &str) -> bool {
    objs.iter().any(|v| key(v).0 == kind && key(v).2 == name)
}

fn mesh(mode: &str, clusters: Value, services: Value) -> Value {
    json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "mode": mode, "clusters": clusters, "services": services},
    })
}

fn cluster(name: &str, extra: Value) -> Value {
    let mut c = json!({"name": name, "network": format!("{name}-net"), "locality": format!("{name}-1"),
                       "gateway": {"address": format!("{name}.example.com")}});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            if k == "gateway" {
                for (gk, gv) in v.as_object().into_iter().flatten() {
                    c["gateway"][gk] = gv.clone();
                }
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    c
}

fn echo(clusters: &[&str]) -> Value {
    json!({"name": "echo", "namespace": "echo", "clusters": clusters, "selector": {"app": "echo"},
           "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]})
}

fn istiod_stream() -> String {
    read(repo().join("testdata/e2e/helm3-istiod-mini-input.yaml"))
}

// --- Ambient ------------------------------------------------------------------------------

/// Item 1. Only Kubernetes Services labelled istio.io/global get Global scope
/// (istio/istio pilot/pkg/serviceregistry/ambient/services.go), the istio-east-west gateway
/// builds chains only for those (pilot/pkg/networking/core/waypoint.go,
/// AllLocalNetworkGlobalServices in ambient/ambientindex.go), and ztunnel's inner CONNECT
/// names `<host>:<port>` (ztunnel src/proxy/outbound.rs). So hosts default to the FQDN,
/// and any other host in ambient is refused on its field.
#[test]
fn item01_ambient_hosts_default_to_the_service_fqdn_and_others_are_refused() {
    let config = mesh("ambient", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([echo(&["eu"])]));
    let objs = ok(&config, "us", "");
    let import = find(&objs, "ServiceEntry", "echo", "echo-import");
    assert_eq!(import["spec"]["hosts"], json!(["echo.echo.svc.cluster.local"]));

    let mut custom = echo(&["eu"]);
    custom["hosts"] = json!(["echo.mesh.global"]);
    let e =
        refused(&mesh("ambient", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([custom])), "us");
    assert!(e.contains("spec.services[0].hosts[0]") && e.contains("echo.echo.svc.cluster.local"), "{e}");

    // Sidecar mode keeps custom hosts.
    let mut custom = echo(&["eu"]);
    custom["hosts"] = json!(["echo.mesh.global"]);
    let objs =
        ok(&mesh("sidecar", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([custom])), "us", "");
    assert_eq!(find(&objs, "ServiceEntry", "echo", "echo-import")["spec"]["hosts"], json!(["echo.mesh.global"]));
}

/// Item 2. Address-less endpoints of one ServiceEntry share a workload UID and krt keeps
/// the last (istio/istio pilot/pkg/serviceregistry/ambient/helpers.go, workloads.go); one
/// ServiceEntry per network loses too (selectWorkloadServices in ambient/services.go keeps
/// the oldest; workloads.go "pruned by deduplication"). Refused, whichever cluster renders.
#[test]
fn item02_ambient_service_in_two_remote_networks_of_one_caller_is_refused() {
    let clusters = json!([cluster("us", json!({})), cluster("eu", json!({})), cluster("ap", json!({}))]);
    for rendered in ["us", "eu", "ap"] {
        let e = refused(&mesh("ambient", clusters.clone(), json!([echo(&["eu", "ap"])])), rendered);
        assert!(e.contains("spec.services[0].clusters") && e.contains("\"us\"") && e.contains("eu, ap"), "{e}");
    }
    // With links that give each caller one remote network, it renders.
    let mut config = mesh("ambient", clusters, json!([echo(&["eu", "ap"])]));
    config["spec"]["links"] = json!([{"from": "us", "to": "eu"}]);
    let objs = ok(&config, "us", "");
    let endpoints = &find(&objs, "ServiceEntry", "echo", "echo-import")["spec"]["endpoints"];
    assert_eq!(endpoints.as_array().map(Vec::len), Some(1));
    assert_eq!(endpoints[0]["network"], "eu-net");
}

/// Item 3. istiod takes a peer gateway's identity namespace from the peer Gateway's own
/// namespace (istio/istio pilot/pkg/serviceregistry/ambient/networks.go, ServiceAccount
/// Namespace: gw.Namespace) and ztunnel checks the tunnel SAN against it (ztunnel
/// src/state.rs), so the peer Gateway sits in the peer's gateway.namespace.
#[test]
fn item03_peer_gateway_lives_in_the_peers_gateway_namespace() {
    let objs = objects(&generate("testdata/configs/three-clusters-ambient.yaml", Some("eu")));
    let peer = find(&objs, "Gateway", "istio-gateways", "istio-remote-peer-ap");
    assert_eq!(peer["spec"]["gatewayClassName"], "istio-remote");
    assert_eq!(peer["metadata"]["annotations"]["gateway.istio.io/service-account"], "istio-eastwestgateway");
    assert_eq!(peer["metadata"]["labels"]["topology.istio.io/network"], "ap-net");
    // A peer in the default namespace stays in istio-system.
    let objs = objects(&generate("testdata/configs/three-clusters-ambient.yaml", Some("ap")));
    find(&objs, "Gateway", "istio-system", "istio-remote-peer-eu");
}

/// Item 4. istiod creates the east-west gateway's Service with the type named by the
/// `networking.istio.io/service-type` annotation
/// (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go); a fixed address is
/// Gateway API `spec.addresses`. NodePort is refused: istiod picks the node port, so no
/// peer could be told which one to dial.
#[test]
fn item04_ambient_service_type_and_address() {
    let eu = objects(&generate("testdata/configs/three-clusters-ambient.yaml", Some("eu")));
    let gw = find(&eu, "Gateway", "istio-system", "istio-eastwestgateway");
    assert_eq!(gw["metadata"]["annotations"]["networking.istio.io/service-type"], "ClusterIP");
    let ap = objects(&generate("testdata/configs/three-clusters-ambient.yaml", Some("ap")));
    let gw = find(&ap, "Gateway", "istio-gateways", "istio-eastwestgateway");
    assert_eq!(gw["spec"]["addresses"], json!([{"type": "IPAddress", "value": "198.51.100.7"}]));
    assert!(gw["metadata"]["annotations"].get("networking.istio.io/service-type").is_none());

    let config = mesh(
        "ambient",
        json!([cluster("us", json!({})), cluster("eu", json!({"gateway": {"serviceType": "NodePort"}}))]),
        json!([]),
    );
    let e = refused(&config, "us");
    assert!(e.contains("spec.clusters[1].gateway.serviceType") && e.contains("NodePort"), "{e}");
}

// --- Primary-remote -----------------------------------------------------------------------

const PR: &str = "testdata/configs/primary-remote.yaml";

fn istio_config(objs: &[Value]) -> Vec<(String, String, String)> {
    objs.iter()
        .filter(|v| v["apiVersion"].as_str().is_some_and(|a| a.starts_with("networking.istio.io/")))
        .map(key)
        .collect()
}

/// Item 5. istiod reads Istio config only from its config cluster
/// (istio/istio pilot/pkg/bootstrap/configcontroller.go), so a remote's render has none,
/// and its primary's render carries the remote's exported hosts on the shared
/// cross-network-gateway. A primary's ServiceEntry with a workloadSelector also selects the
/// remote's pods (PILOT_ENABLE_SERVICEENTRY_SELECT_PODS, kube/controller/multicluster.go).
#[test]
fn item05_all_istio_config_of_a_remote_is_in_its_primarys_render() {
    let west = objects(&generate(PR, Some("west")));
    assert!(istio_config(&west).is_empty(), "a remote's render carries Istio config: {:?}", istio_config(&west));
    find(&west, "Deployment", "istio-system", "istio-eastwestgateway");

    let east = objects(&generate(PR, Some("east")));
    let gw = find(&east, "Gateway", "istio-system", "cross-network-gateway");
    let hosts = &gw["spec"]["servers"][0]["hosts"];
    assert!(hosts.as_array().is_some_and(|h| h.contains(&json!("reviews.shop.svc.cluster.local"))), "{hosts}");
    // reviews runs only in the remote: east's istiod sees its Kubernetes Service there, so
    // no ServiceEntry may define that host a second time.
    assert!(!has(&east, "ServiceEntry", "reviews-import") && !has(&east, "ServiceEntry", "reviews-export"));

    // The remote profile render of west (no istiod): only the gateway's Kubernetes objects.
    let input = read(repo().join("testdata/golden/primary-remote-west-remote-profile/input.yaml"));
    let out = objects(&run(&input, PR, Some("west")));
    assert!(istio_config(&out).is_empty());
    find(&out, "Service", "istio-system", "istio-eastwestgateway");
}

/// Item 6. Without EXTERNAL_ISTIOD=true on the primary and the controlPlaneClusters
/// annotation on the remote's control-plane Namespace, the primary never takes charge of
/// the remote (istio/istio pilot/pkg/serviceregistry/kube/controller/multicluster.go). A
/// full istiod in a remote's render is refused.
#[test]
fn item06_primary_takes_charge_of_its_remote() {
    let east = objects(&run(&istiod_stream(), PR, Some("east")));
    let istiod = find(&east, "Deployment", "istio-system", "istiod");
    let env = &istiod["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array().into_iter().flatten().any(|e| e["name"] == "EXTERNAL_ISTIOD" && e["value"] == "true"),
        "{env}"
    );
    // north is a primary without remotes: no EXTERNAL_ISTIOD, no istiod exposure.
    let north = objects(&run(&istiod_stream(), PR, Some("north")));
    let env = &find(&north, "Deployment", "istio-system", "istiod")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(!env.as_array().into_iter().flatten().any(|e| e["name"] == "EXTERNAL_ISTIOD"));
    assert!(!has(&north, "Gateway", "istiod-gateway"));

    let west = objects(&generate(PR, Some("west")));
    let ns = find(&west, "Namespace", "", "istio-system");
    assert_eq!(ns["metadata"]["annotations"]["topology.istio.io/controlPlaneClusters"], "east");
    let input = read(repo().join("testdata/golden/primary-remote-west-remote-profile/input.yaml"));
    let ns_out = objects(&run(&input, PR, Some("west")));
    assert_eq!(
        find(&ns_out, "Namespace", "", "istio-system")["metadata"]["annotations"]
            ["topology.istio.io/controlPlaneClusters"],
        "east"
    );

    let e = eastwest::run(&istiod_stream(), &options(PR, Some("west"))).err().map(|f| f.error.to_string());
    let e = e.expect("a full istiod in a remote's render is refused");
    assert!(e.contains("Deployment istio-system/istiod") && e.contains("remote"), "{e}");

    // A remote must name its primary when there are several.
    let mut config = mesh(
        "sidecar",
        json!([cluster("a", json!({})), cluster("b", json!({})), cluster("r", json!({"role": "remote"}))]),
        json!([]),
    );
    let e = refused(&config, "a");
    assert!(e.contains("spec.clusters[2].primary"), "{e}");
    config["spec"]["clusters"][2]["primary"] = json!("b");
    ok(&config, "a", "");
}

// --- Gateways -----------------------------------------------------------------------------

/// Item 7. meshNetworks addresses are used as written (istio/istio pilot/pkg/model/network.go)
/// and istiod maps node ports only for gateways it discovers itself
/// (kube/conversion.go, kube/controller/controller.go), so the node port is pinned on the
/// Service and the same port is what the other clusters dial.
#[test]
fn item07_nodeport_is_pinned_and_dialled() {
    let west = objects(&generate(PR, Some("west")));
    let svc = find(&west, "Service", "istio-system", "istio-eastwestgateway");
    let tls = svc["spec"]["ports"].as_array().and_then(|p| p.iter().find(|p| p["name"] == "tls")).cloned();
    assert_eq!(tls.map(|p| p["nodePort"].clone()), Some(json!(32443)));
    assert_eq!(svc["spec"]["type"], "NodePort");

    let north = objects(&run(&istiod_stream(), PR, Some("north")));
    let networks = mesh_networks(&north);
    assert_eq!(networks["west-net"]["gateways"][0], json!({"address": "192.0.2.20", "port": 32443}));

    // Default node port when none is configured.
    let config = mesh(
        "sidecar",
        json!([cluster("us", json!({})), cluster("eu", json!({"gateway": {"serviceType": "NodePort"}}))]),
        json!([]),
    );
    let eu = ok(&config, "eu", "");
    let svc = find(&eu, "Service", "istio-system", "istio-eastwestgateway");
    assert!(svc["spec"]["ports"].as_array().into_iter().flatten().any(|p| p["nodePort"] == 31443));
}

fn mesh_networks(objs: &[Value]) -> Value {
    let cm = find(objs, "ConfigMap", "istio-system", "istio");
    let text = cm["data"]["meshNetworks"].as_str().unwrap_or("");
    let parsed = objects(&format!("apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nvalue:\n{}", indent(text)));
    parsed[0]["value"]["networks"].clone()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Item 8. A gateway mTLS port other than 15443 is read from the Service label
/// `networking.istio.io/gatewayPort` (istio/istio pilot/pkg/serviceregistry/kube/controller/network.go).
#[test]
fn item08_custom_port_gets_the_gateway_port_label() {
    let north = objects(&generate(PR, Some("north")));
    let svc = find(&north, "Service", "istio-system", "istio-eastwestgateway");
    assert_eq!(svc["metadata"]["labels"]["networking.istio.io/gatewayPort"], "16443");
    let gw = find(&north, "Gateway", "istio-system", "cross-network-gateway");
    assert_eq!(gw["spec"]["servers"][0]["port"]["number"], 16443);
    let east = objects(&generate(PR, Some("east")));
    let svc = find(&east, "Service", "istio-system", "istio-eastwestgateway");
    assert!(svc["metadata"]["labels"].get("networking.istio.io/gatewayPort").is_none());
}

/// Item 10. With a revisioned control plane, only that revision's injector and gateway
/// controller take objects labelled `istio.io/rev: <rev>` (istio/istio
/// pkg/revisions/tag_watcher.go), as the gateway chart labels them with `revision=<rev>`.
/// The revision comes from the config or from the istiod Deployment in the stream.
#[test]
fn item10_generated_gateways_carry_the_revision() {
    let east = objects(&generate(PR, Some("east")));
    let dep = find(&east, "Deployment", "istio-system", "istio-eastwestgateway");
    assert_eq!(dep["spec"]["template"]["metadata"]["labels"]["istio.io/rev"], "canary");

    let header = "  name: istiod\n  namespace: \"istio-system\"\n  labels:\n    app: istiod\n    istio: pilot\n    istio.io/rev: \"default\"\n";
    let stream = istiod_stream().replacen(
        &format!("kind: Deployment\nmetadata:\n{header}"),
        &format!(
            "kind: Deployment\nmetadata:\n{}",
            header.replace("istiod\n", "istiod-canary\n").replace("\"default\"", "canary")
        ),
        1,
    );
    assert!(stream.contains("istio.io/rev: canary"), "the fixture changed; adapt the test");
    let out = objects(&run(&stream, "testdata/configs/two-clusters.yaml", None));
    let dep = find(&out, "Deployment", "istio-system", "istio-eastwestgateway");
    assert_eq!(dep["spec"]["template"]["metadata"]["labels"]["istio.io/rev"], "canary");

    let mut config = mesh("ambient", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([]));
    config["spec"]["revision"] = json!("canary");
    let objs = ok(&config, "us", "");
    let gw = find(&objs, "Gateway", "istio-system", "istio-eastwestgateway");
    assert_eq!(gw["metadata"]["labels"]["istio.io/rev"], "canary");
}

/// Item 11. Istio's gateway chart renders a HorizontalPodAutoscaler by default
/// (manifests/charts/gateway/templates/hpa.yaml) and no PodDisruptionBudget
/// (podDisruptionBudget: {} in its values.yaml). Compared with the real render.
#[test]
fn item11_hpa_matches_the_gateway_chart() {
    let chart = objects(&read(corpus().join("gateway-eastwest-us.yaml")));
    let ours = objects(&generate("testdata/configs/two-clusters.yaml", None));
    let pick = |set: &[Value]| {
        let mut v = find(set, "HorizontalPodAutoscaler", "istio-system", "istio-eastwestgateway").clone();
        v["metadata"] = json!({});
        v
    };
    assert_eq!(pick(&chart)["spec"], pick(&ours)["spec"]);
    assert!(!chart.iter().any(|v| key(v).0 == "PodDisruptionBudget"));
    assert!(!ours.iter().any(|v| key(v).0 == "PodDisruptionBudget"));
}

/// Issue 9, second bullet: a stream that already has an east-west gateway (pods labelled
/// `istio: eastwestgateway`) gets no second one.
#[test]
fn issue09_an_existing_eastwest_gateway_is_not_generated_twice() {
    let stream = format!("{}---\n{}", istiod_stream(), read(corpus().join("gateway-eastwest-us.yaml")));
    let out = objects(&run(&stream, "testdata/configs/two-clusters.yaml", None));
    let deployments =
        out.iter().filter(|v| key(v) == ("Deployment".into(), "istio-system".into(), "istio-eastwestgateway".into()));
    assert_eq!(deployments.count(), 1);
    assert!(!out
        .iter()
        .any(|v| v["metadata"]["labels"]["app.kubernetes.io/created-by"] == "eastwest" && key(v).0 == "Deployment"));
}

// --- Services -----------------------------------------------------------------------------

/// Item 12. The export half goes with the service's own Service; an istiod-only render of
/// a cluster that runs an exported service warns (stderr / KRM results), and a configured
/// port missing from the Service is refused (the port is part of the SNI,
/// pilot/pkg/model/service.go BuildSubsetKey: outbound_.<port>_._.<host>).
#[test]
fn item12_missing_export_half_warns_and_missing_port_is_refused() {
    let (_, warnings) = eastwest::run_with_warnings(&istiod_stream(), &options(PR, Some("east"))).expect("runs");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "spec.services[1]");
    assert!(warnings[0].message.contains("shop/ratings"), "{}", warnings[0]);

    // The Service in the stream, without the configured port: refused.
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: ratings, namespace: shop}\nspec:\n  selector: {app: ratings}\n  ports: [{name: http, port: 8080}]\n";
    let e = eastwest::run(service, &options(PR, Some("east"))).err().map(|f| f.error.to_string()).unwrap_or_default();
    assert!(e.contains("spec.services[1].ports[0].number") && e.contains("9080"), "{e}");

    // With the port, the local half is written and nothing is warned.
    let service = service.replace("port: 8080", "port: 9080, targetPort: 8080");
    let (out, warnings) = eastwest::run_with_warnings(&service, &options(PR, Some("east"))).expect("runs");
    assert!(warnings.is_empty(), "{warnings:?}");
    let objs = objects(&out);
    let se = find(&objs, "ServiceEntry", "shop", "ratings-export");
    assert_eq!(se["spec"]["ports"][0]["targetPort"], 8080);
    assert_eq!(
        eastwest::transform::istio::passthrough_sni(9080, "ratings.mesh.global"),
        "outbound_.9080_._.ratings.mesh.global"
    );
}

/// Item 12, KRM: warnings come back as `results` of severity warning, with exit 0.
#[test]
fn item12_warnings_are_krm_results() {
    let mut list: String = [
        "apiVersion: config.kubernetes.io/v1",
        "kind: ResourceList",
        "items:",
        "- apiVersion: apps/v1",
        "  kind: Deployment",
        "  metadata: {name: istiod, namespace: istio-system}",
        "  spec:",
        "    template:",
        "      metadata: {labels: {app: istiod}}",
        "      spec:",
        "        containers:",
        "        - {name: discovery, image: pilot}",
        "functionConfig:",
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect();
    list.push_str(&indent(&read(repo().join(PR))));
    let (out, warnings) = eastwest::run_with_warnings(&list, &eastwest::Options::default()).expect("runs");
    assert_eq!(warnings.len(), 1);
    let parsed = eastwest::read::Input::parse(&out).expect("output parses");
    let doc = parsed.docs.first().map(|d| eastwest::read::node_json(&d.root)).unwrap_or_default();
    let results = doc["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 1, "{out}");
    assert_eq!(results[0]["severity"], "warning");
    assert_eq!(results[0]["field"]["path"], "spec.services[1]");
}

/// Item 13. Two services with one host tie on creation time (istio/istio
/// pilot/pkg/model/push_context.go), so a cluster that runs a service and calls its other
/// instances gets one ServiceEntry (the pods) plus address-less WorkloadEntries for the
/// other networks, converted exactly like inline endpoints
/// (pilot/pkg/serviceregistry/serviceentry/conversion.go convertWorkloadEntryToWorkloadInstance)
/// and swapped for the network's gateway (pilot/pkg/xds/endpoints/endpoint_builder.go).
/// Hosts that are a Kubernetes Service get no ServiceEntry at all: the Service selects the
/// WorkloadEntries (kube/controller/controller.go WorkloadInstanceHandler).
#[test]
fn item13_one_object_per_host_per_cluster() {
    for config in [PR, "testdata/configs/three-clusters.yaml", "testdata/configs/two-clusters.yaml"] {
        for c in ["east", "west", "north", "us", "eu", "ap"] {
            let Ok(out) = eastwest::run("", &eastwest::Options { standalone: true, ..options(config, Some(c)) }) else { continue };
            let objs = objects(&out);
            let mut seen = std::collections::HashSet::new();
            for se in objs.iter().filter(|v| key(v).0 == "ServiceEntry") {
                for h in se["spec"]["hosts"].as_array().into_iter().flatten() {
                    let ns = se["metadata"]["namespace"].as_str().unwrap_or("");
                    assert!(seen.insert((ns.to_owned(), h.clone())), "{config} {c}: host {h} defined twice");
                }
            }
        }
    }
    let east = objects(&generate(PR, Some("east")));
    let se = find(&east, "ServiceEntry", "shop", "ratings-export");
    assert_eq!(se["spec"]["workloadSelector"]["labels"], json!({"app": "ratings"}));
    assert!(se["spec"].get("endpoints").is_none());
    let we = find(&east, "WorkloadEntry", "shop", "ratings-north");
    assert_eq!(we["spec"]["network"], "north-net");
    assert_eq!(we["spec"]["labels"], json!({"app": "ratings", "security.istio.io/tlsMode": "istio"}));
    assert!(we["spec"].get("address").is_none());
    assert!(!has(&east, "ServiceEntry", "ratings-import"));

    // DNS capture where a cluster's callers need a host that is no Kubernetes Service.
    let east = objects(&run(&istiod_stream(), PR, Some("east")));
    let mesh = find(&east, "ConfigMap", "istio-system", "istio")["data"]["mesh"].as_str().unwrap_or("").to_owned();
    assert!(mesh.contains("ISTIO_META_DNS_CAPTURE: \"true\""), "{mesh}");
}

// --- Least exposure -----------------------------------------------------------------------

/// Item 14. The AUTO_PASSTHROUGH gateway forwards only the SNIs whose hosts it lists
/// (istio/istio pilot/pkg/networking/core/gateway.go), so listing the exported hosts keeps
/// everything else unreachable from other networks; exposeAll restores `*.local`.
#[test]
fn item14_only_exported_hosts_cross_unless_expose_all() {
    let eu = objects(&generate("testdata/configs/three-clusters.yaml", Some("eu")));
    let gw = find(&eu, "Gateway", "istio-system", "cross-network-gateway");
    assert_eq!(gw["spec"]["servers"][0]["hosts"], json!(["api.mesh.global", "api.shop.global", "echo.eu.mesh.local"]));
    let us = objects(&generate("testdata/configs/two-clusters.yaml", Some("us")));
    assert!(!has(&us, "Gateway", "cross-network-gateway"), "us exports nothing");

    let mut config =
        mesh("sidecar", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([echo(&["eu"])]));
    config["spec"]["exposeAll"] = json!(true);
    let eu = ok(&config, "eu", "");
    let gw = find(&eu, "Gateway", "istio-system", "cross-network-gateway");
    assert_eq!(gw["spec"]["servers"][0]["hosts"], json!(["*.local"]));
}

// --- What operators ask for ---------------------------------------------------------------

/// Items 15 and 16. Each caller is told the address it reaches a gateway at and the port
/// it dials: meshNetworks (sidecar; used as written, pilot/pkg/model/network.go) and the
/// peer Gateway's address and HBONE listener port (ambient; ambient/networks.go).
#[test]
fn item15_16_address_from_and_external_port() {
    let east = objects(&run(&istiod_stream(), PR, Some("east")));
    assert_eq!(mesh_networks(&east)["north-net"]["gateways"][0], json!({"address": "10.20.0.5", "port": 443}));
    let west_view = objects(&run(&istiod_stream(), PR, Some("north")));
    assert_eq!(
        mesh_networks(&west_view)["north-net"]["gateways"][0],
        json!({"address": "north-ew.example.com", "port": 443})
    );

    let config = mesh(
        "ambient",
        json!([
            cluster("us", json!({})),
            cluster("eu", json!({"gateway": {"externalPort": 443, "addressFrom": {"us": "10.0.0.9"}}}))
        ]),
        json!([]),
    );
    let us = ok(&config, "us", "");
    let peer = find(&us, "Gateway", "istio-system", "istio-remote-peer-eu");
    assert_eq!(peer["spec"]["addresses"], json!([{"type": "IPAddress", "value": "10.0.0.9"}]));
    assert_eq!(peer["spec"]["listeners"][0]["port"], 443);
    let e = refused(
        &mesh(
            "sidecar",
            json!([cluster("us", json!({"gateway": {"addressFrom": {"ap": "10.0.0.1"}}})), cluster("eu", json!({}))]),
            json!([]),
        ),
        "us",
    );
    assert!(e.contains("spec.clusters[0].gateway.addressFrom[\"ap\"]"), "{e}");
}

/// Item 17. `failover` becomes localityLbSetting.failover (region to region), with the
/// outlier detection locality failover needs (istio/istio
/// pilot/pkg/networking/core/loadbalancer/loadbalancer.go), the same in every cluster.
#[test]
fn item17_failover_order_is_the_same_everywhere() {
    let mut rules = Vec::new();
    for c in ["east", "north"] {
        let objs = objects(&generate(PR, Some(c)));
        let dr = find(&objs, "DestinationRule", "shop", "ratings-locality").clone();
        assert!(dr["spec"]["trafficPolicy"]["outlierDetection"].is_object());
        rules.push(dr["spec"].clone());
    }
    assert_eq!(rules[0], rules[1]);
    assert_eq!(
        rules[0]["trafficPolicy"]["loadBalancer"]["localityLbSetting"]["failover"],
        json!([{"from": "eu-north-1", "to": "us-east-1"}])
    );
    let mut svc = echo(&["eu"]);
    svc["failover"] = json!(["ap"]);
    let e = refused(&mesh("sidecar", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([svc])), "us");
    assert!(e.contains("spec.services[0].failover[0]"), "{e}");
}

/// Every object generated for the new configs validates against the real CRD schemas.
#[test]
fn new_shapes_validate_against_the_crds() {
    let mut docs = objects(&read(corpus().join("istio-base.yaml")));
    docs.extend(objects(&read(corpus().join("crd-gateway-api-gateways.yaml"))));
    let schemas = crd_schema::crd_schemas(&docs);
    let mut kinds = std::collections::BTreeSet::new();
    for (config, clusters) in
        [(PR, ["east", "west", "north"]), ("testdata/configs/three-clusters-ambient.yaml", ["us", "eu", "ap"])]
    {
        for c in clusters {
            for obj in objects(&generate(config, Some(c))) {
                let api = obj["apiVersion"].as_str().unwrap_or("");
                if api.starts_with("networking.istio.io/") || api.starts_with("gateway.networking.k8s.io/") {
                    crd_schema::validate_object(&schemas, &obj)
                        .unwrap_or_else(|p| panic!("{config} {c}: {:?}: {}", key(&obj), p.join("; ")));
                    kinds.insert(key(&obj).0);
                }
            }
        }
    }
    for kind in ["WorkloadEntry", "ServiceEntry", "DestinationRule", "Gateway", "VirtualService"] {
        assert!(kinds.contains(kind), "{kind} not generated: {kinds:?}");
    }
}

/// Item 12, CLI: each warning is one line `eastwest: warning: ...` on stderr, exit 0, and
/// the output is complete.
#[test]
fn item12_cli_prints_warnings_and_exits_0() {
    let out = run_with_stdin(
        std::process::Command::new(env!("CARGO_BIN_EXE_eastwest")).args([
            "--config",
            &repo().join(PR).display().to_string(),
            "--cluster",
            "east",
        ]),
        &istiod_stream(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("eastwest: warning: config: field spec.services[1]: "), "{stderr}");
    assert!(objects(&String::from_utf8_lossy(&out.stdout)).iter().any(|v| key(v).2 == "istiod"));
}

/// Issue 9, second bullet, ambient: a Gateway API Gateway labelled with this network is
/// the east-west gateway already; no second one is generated beside it.
#[test]
fn issue09_an_existing_ambient_eastwest_gateway_is_not_generated_twice() {
    let config = mesh("ambient", json!([cluster("us", json!({})), cluster("eu", json!({}))]), json!([]));
    let existing = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: my-ew\n  namespace: istio-system\n  labels: {topology.istio.io/network: us-net}\nspec:\n  gatewayClassName: istio-east-west\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n";
    let stream = format!("{}---\n{existing}", read(corpus().join("istiod-ambient.yaml")));
    let out = ok(&config, "us", &stream);
    let gateways: Vec<_> = out.iter().filter(|v| v["spec"]["gatewayClassName"] == "istio-east-west").collect();
    assert_eq!(gateways.len(), 1, "{:?}", gateways.iter().map(|v| key(v)).collect::<Vec<_>>());
    find(&out, "Gateway", "istio-system", "istio-remote-peer-eu");
}

/// Item 12, ambient: the local half is the `istio.io/global` label on the Service
/// (istio/istio pilot/pkg/serviceregistry/ambient/services.go); an istiod-only render of a
/// cluster that runs an exported service warns that it is not written.
#[test]
fn item12_ambient_missing_global_service_warns() {
    let stream = read(corpus().join("istiod-ambient.yaml"));
    let options = options("testdata/configs/three-clusters-ambient.yaml", Some("eu"));
    let (_, warnings) = eastwest::run_with_warnings(&stream, &options).expect("runs");
    let fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["spec.services[0]", "spec.services[1]"], "{warnings:?}");
    assert!(warnings[0].message.contains("istio.io/global"), "{}", warnings[0]);
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: echo}\nspec:\n  selector: {app: echo}\n  ports: [{name: http, port: 80}]\n";
    let (out, warnings) = eastwest::run_with_warnings(service, &options).expect("runs");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(objects(&out)[0]["metadata"]["labels"]["istio.io/global"], "true");
}

/// Item 13 / primary-remote: a primary's mesh config reaches its remotes' proxies, so DNS
/// capture is on when a remote's callers need it even if the primary's own do not.
#[test]
fn item13_dns_capture_counts_the_remotes_callers() {
    let config = json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "clusters": [
            cluster("p", json!({})), cluster("r", json!({"role": "remote", "primary": "p"})), cluster("x", json!({}))],
            "links": [{"from": "r", "to": "x"}],
            "services": [echo(&["x"])]},
    });
    let objs = ok(&config, "p", &istiod_stream());
    let mesh = find(&objs, "ConfigMap", "istio-system", "istio")["data"]["mesh"].as_str().unwrap_or("").to_owned();
    assert!(mesh.contains("ISTIO_META_DNS_CAPTURE"), "{mesh}");
}
