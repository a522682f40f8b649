//! Review of issue 10's shapes against Istio's source (istio/istio 86c9f01fd735,
//! istio/ztunnel 62d826530e5c): each test names the code that reads the generated field.

#[path = "support/common.rs"]
mod common;

use common::*;
use serde_json::{json, Value};

fn run_inline(config: &Value, cluster: &str, input: &str) -> Result<Vec<Value>, String> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "inline".into(), text: config.to_string() }),
        cluster: Some(cluster.to_owned()),
        // An empty input stands for the standalone set (`eastwest generate`).
        standalone: input.is_empty(),
    };
    eastwest::run_with_warnings(input, &options).map(|(out, _)| objects(&out)).map_err(|f| f.error.to_string())
}

fn find<'a>(objs: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|v| key(v) == (kind.into(), ns.into(), name.into()))
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} in {:?}", objs.iter().map(key).collect::<Vec<_>>()))
}

/// A revisioned istiod's Service is `istiod-<rev>` (istio/istio
/// manifests/charts/istio-control/istio-discovery/templates/service.yaml), and Istio's own
/// samples/multicluster/expose-istiod-rev.yaml.tmpl routes the gateway's 15012/15017 there:
/// a VirtualService to `istiod.<ns>` would send remotes' xDS and webhook calls nowhere.
#[test]
fn exposed_istiod_routes_to_the_revisions_service() {
    let east = objects(&generate("testdata/configs/primary-remote.yaml", Some("east")));
    let vs = find(&east, "VirtualService", "istio-system", "istiod-vs");
    let hosts: Vec<&str> = vs["spec"]["tls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"][0]["destination"]["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["istiod-canary.istio-system.svc.cluster.local"; 2]);

    // Without a revision: the chart's plain `istiod`.
    let config = json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "clusters": [
            {"name": "main", "network": "n1", "gateway": {"address": "192.0.2.1"}},
            {"name": "edge", "network": "n2", "role": "remote", "gateway": {"address": "192.0.2.2"}}]}
    });
    let objs = run_inline(&config, "main", "").expect("runs");
    let vs = find(&objs, "VirtualService", "istio-system", "istiod-vs");
    assert_eq!(vs["spec"]["tls"][0]["route"][0]["destination"]["host"], "istiod.istio-system.svc.cluster.local");
}

fn ambient_pair(service_accounts: Option<Value>) -> Value {
    let mut echo = json!({"name": "echo", "namespace": "echo", "clusters": ["eu"], "selector": {"app": "echo"},
                          "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]});
    if let Some(sa) = service_accounts {
        echo["serviceAccounts"] = sa;
    }
    json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "mode": "ambient", "trustDomain": "corp.local", "clusters": [
            {"name": "us", "network": "us-net", "gateway": {"address": "192.0.2.1"}},
            {"name": "eu", "network": "eu-net", "gateway": {"address": "192.0.2.2"}}],
            "services": [echo]}
    })
}

fn warnings_of(config: &Value, cluster: &str) -> Vec<eastwest::Warning> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "inline".into(), text: config.to_string() }),
        cluster: Some(cluster.to_owned()),
        standalone: true,
    };
    eastwest::run_with_warnings("", &options).expect("runs").1
}

/// Ambient through an east-west gateway, ztunnel checks the inner tunnel's peer only
/// against the destination service's SANs (istio/ztunnel src/proxy/outbound.rs
/// build_request_through_gateway: `final_sans: upstream.service_sans()`, and
/// src/tls/workload.rs IdentityVerifier matches nothing when the list is empty). For a
/// ServiceEntry those SANs are its `subjectAltNames` (istio/istio
/// pilot/pkg/serviceregistry/ambient/services.go; only Global Kubernetes Services get the
/// remote workloads' accounts added, ambient/multicluster.go SplitHorizonServices). So the
/// imported ServiceEntry names the pods' identities.
#[test]
fn ambient_import_names_the_remote_pods_identities() {
    let objs = run_inline(&ambient_pair(Some(json!(["echo", "echo-canary"]))), "us", "").expect("runs");
    let se = find(&objs, "ServiceEntry", "echo", "echo-import");
    assert_eq!(
        se["spec"]["subjectAltNames"],
        json!(["spiffe://corp.local/ns/echo/sa/echo", "spiffe://corp.local/ns/echo/sa/echo-canary"])
    );
    assert!(warnings_of(&ambient_pair(Some(json!(["echo"]))), "us").is_empty());

    // Absent: the Kubernetes default account, said on stderr (it is right only if the
    // pods run as `default`).
    let config = ambient_pair(None);
    let objs = run_inline(&config, "us", "").expect("runs");
    let se = find(&objs, "ServiceEntry", "echo", "echo-import");
    assert_eq!(se["spec"]["subjectAltNames"], json!(["spiffe://corp.local/ns/echo/sa/default"]));
    let warnings = warnings_of(&config, "us");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "spec.services[0].serviceAccounts");
    // The exporting side imports nothing, so it has nothing to warn about.
    assert!(warnings_of(&config, "eu").is_empty());
}

/// serviceAccounts is read only by ambient's imported ServiceEntry; in sidecar mode the
/// caller's Envoy takes the identities from the Kubernetes Service's pods
/// (pilot/pkg/model/push_context.go ServiceAccounts), so the field would do nothing.
#[test]
fn service_accounts_are_refused_in_sidecar_mode() {
    let mut config = ambient_pair(Some(json!(["echo"])));
    config["spec"]["mode"] = json!("sidecar");
    let err = run_inline(&config, "us", "").expect_err("refused");
    assert!(err.contains("spec.services[0].serviceAccounts"), "{err}");
    config["spec"]["mode"] = json!("ambient");
    config["spec"]["services"][0]["serviceAccounts"] = json!(["Not_A_Name"]);
    let err = run_inline(&config, "us", "").expect_err("refused");
    assert!(err.contains("spec.services[0].serviceAccounts[0]"), "{err}");
}

/// The peer Gateway: istiod reads gatewayClassName `istio-remote`, the
/// `topology.istio.io/network` label, `status.addresses` (which it copies from
/// `spec.addresses` for this unmanaged class, pilot/pkg/config/kube/gateway/conversion.go
/// reportUnmanagedGatewayStatus) of type IPAddress or Hostname, the first HBONE listener's
/// port, and the service account from `gateway.istio.io/service-account` (else
/// `<name>-istio-remote`, pilot/pkg/serviceregistry/kube/conversion.go GatewaySA), all in
/// pilot/pkg/serviceregistry/ambient/networks.go localK8sGatewayToNetworkGateways. The
/// trust domain is the local mesh's (ambient/workloads.go convertGateway), so no
/// annotation claims otherwise.
#[test]
fn peer_gateway_carries_only_what_istiod_reads() {
    let objs = run_inline(&ambient_pair(Some(json!(["echo"]))), "us", "").expect("runs");
    let peer = find(&objs, "Gateway", "istio-system", "istio-remote-peer-eu");
    assert_eq!(peer["spec"]["gatewayClassName"], "istio-remote");
    assert_eq!(peer["metadata"]["labels"]["topology.istio.io/network"], "eu-net");
    assert_eq!(peer["spec"]["addresses"], json!([{"type": "IPAddress", "value": "192.0.2.2"}]));
    let hbone: Vec<&Value> =
        peer["spec"]["listeners"].as_array().unwrap().iter().filter(|l| l["protocol"] == "HBONE").collect();
    assert_eq!(hbone.len(), 1);
    assert_eq!(hbone[0]["port"], 15008);
    let annotations = peer["metadata"]["annotations"].as_object().unwrap();
    let keys: Vec<&str> =
        annotations.keys().map(String::as_str).filter(|k| k.starts_with("gateway.istio.io/")).collect();
    assert_eq!(keys, ["gateway.istio.io/service-account"]);
    assert_eq!(annotations["gateway.istio.io/service-account"], "istio-eastwestgateway");
}

/// `gateway.exposeIstiod` wrote an `istio.io/expose-istiod` label that nothing in istio/istio
/// reads, and a 15012 Passthrough listener on the istio-east-west Gateway, which routes only
/// what a TLSRoute attaches (pilot/pkg/config/kube/gateway/gateway_collection.go: listeners
/// other than 15008 are converted like any Gateway listener); ambient has no remote clusters
/// to dial it. Sidecar mode never read the field. So it is refused, naming the field.
#[test]
fn gateway_expose_istiod_is_refused() {
    let mut config = ambient_pair(Some(json!(["echo"])));
    config["spec"]["clusters"][0]["gateway"]["exposeIstiod"] = json!(true);
    let err = run_inline(&config, "us", "").expect_err("refused");
    assert!(err.contains("spec.clusters[0].gateway.exposeIstiod"), "{err}");
    config["spec"]["mode"] = json!("sidecar");
    config["spec"]["services"][0].as_object_mut().unwrap().remove("serviceAccounts");
    let err = run_inline(&config, "us", "").expect_err("refused");
    assert!(err.contains("spec.generate.exposeIstiod"), "{err}");
}

fn primary_remote(services: Value) -> Value {
    json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "clusters": [
            {"name": "east", "network": "east-net", "gateway": {"address": "192.0.2.1"}},
            {"name": "west", "network": "west-net", "role": "remote", "primary": "east", "gateway": {"address": "192.0.2.2"}},
            {"name": "north", "network": "north-net", "gateway": {"address": "192.0.2.3"}}],
            "services": services}
    })
}

/// Sidecar, primary-remote: address-less WorkloadEntries reach a caller through a
/// Kubernetes Service only if that Service is in the config cluster's registry
/// (istio/istio pilot/pkg/serviceregistry/kube/controller/multicluster.go initializeCluster:
/// `m.serviceEntryController.AppendWorkloadHandler(kubeRegistry.WorkloadInstanceHandler)`
/// only when `configCluster`; controller.go serviceInstancesFromWorkloadInstances needs
/// the Service in that registry). A service called by its FQDN that runs in the remote and
/// in another primary, but not in the remote's primary, would reach the remote only:
/// refused. With a custom host the exporting ServiceEntry selects the WorkloadEntries
/// (serviceentry/conversion.go), so that is accepted, and so is running it in the primary.
#[test]
fn fqdn_service_only_in_a_remote_and_elsewhere_is_refused() {
    let svc = |clusters: Value, hosts: Value| {
        json!([{"name": "echo", "namespace": "echo", "clusters": clusters, "hosts": hosts, "selector": {"app": "echo"},
                "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}])
    };
    let err = run_inline(&primary_remote(svc(json!(["west", "north"]), json!([]))), "north", "").expect_err("refused");
    assert!(err.contains("spec.services[0].clusters") && err.contains("\"west\""), "{err}");
    // A custom host only: the export ServiceEntry in east selects the WorkloadEntry.
    let objs = run_inline(&primary_remote(svc(json!(["west", "north"]), json!(["echo.mesh.global"]))), "east", "")
        .expect("runs");
    let we = find(&objs, "WorkloadEntry", "echo", "echo-north");
    let se = find(&objs, "ServiceEntry", "echo", "echo-export");
    assert_eq!(se["spec"]["workloadSelector"]["labels"]["app"], "echo");
    assert_eq!(we["metadata"]["labels"].get("app"), None, "labels are on the spec");
    assert_eq!(we["spec"]["labels"]["app"], "echo");
    assert_eq!(we["spec"]["network"], "north-net");
    // Running in the primary too: east's Service selects it.
    run_inline(&primary_remote(svc(json!(["east", "west", "north"]), json!([]))), "east", "").expect("runs");
    // Only in the remote: nothing to select, nothing refused.
    run_inline(&primary_remote(svc(json!(["west"]), json!([]))), "east", "").expect("runs");
}

/// A WorkloadEntry joins a Kubernetes Service only if it matches the Service's whole
/// selector (istio/istio pilot/pkg/serviceregistry/kube/controller/controller.go
/// serviceInstancesFromWorkloadInstances, `selector.Match(wi.Endpoint.Labels)`). With a
/// configured selector narrower than the Service's, the entries carry both; a conflicting
/// value is refused on the selector's field.
#[test]
fn workload_entries_match_the_services_whole_selector() {
    let config = json!({
        "apiVersion": "eastwest.dev/v1alpha1", "kind": "MeshNetwork",
        "spec": {"meshID": "m", "clusters": [
            {"name": "us", "network": "us-net", "gateway": {"address": "192.0.2.1"}},
            {"name": "eu", "network": "eu-net", "gateway": {"address": "192.0.2.2"}}],
            "services": [{"name": "echo", "namespace": "echo", "clusters": ["us", "eu"], "selector": {"app": "echo"},
                          "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}]}
    });
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: echo}\nspec:\n  selector: {app: echo, version: v1}\n  ports: [{name: http, port: 80}]\n";
    let objs = run_inline(&config, "us", service).expect("runs");
    let we = find(&objs, "WorkloadEntry", "echo", "echo-eu");
    assert_eq!(we["spec"]["labels"]["app"], "echo");
    assert_eq!(we["spec"]["labels"]["version"], "v1");
    assert_eq!(we["spec"]["labels"]["security.istio.io/tlsMode"], "istio");

    let conflicting = service.replace("app: echo, version", "app: other, version");
    let err = run_inline(&config, "us", &conflicting).expect_err("refused");
    assert!(err.contains("spec.services[0].selector[\"app\"]"), "{err}");
}

/// Locality failover acts only through outlier detection (istio/istio
/// pilot/pkg/xds/endpoints/endpoint_builder.go applies failover priorities only with it),
/// and Istio passes `maxEjectionPercent` to Envoy only when set
/// (pilot/pkg/networking/core/cluster_traffic_policy.go applyOutlierDetection), leaving
/// Envoy's 10% otherwise: a region with several failing endpoints would keep most of its
/// traffic. Istio's own failover test ejects up to 100% (tests/integration/pilot/locality_test.go).
#[test]
fn failover_destination_rules_can_empty_a_locality() {
    let objs = objects(&generate("testdata/configs/primary-remote.yaml", Some("east")));
    let drs: Vec<&Value> = objs.iter().filter(|v| key(v).0 == "DestinationRule").collect();
    assert!(!drs.is_empty());
    for dr in drs {
        let policy = &dr["spec"]["trafficPolicy"];
        assert_eq!(policy["outlierDetection"]["maxEjectionPercent"], 100, "{dr:#}");
        assert_eq!(
            policy["loadBalancer"]["localityLbSetting"]["failover"],
            json!([{"from": "eu-north-1", "to": "us-east-1"}])
        );
    }
}
