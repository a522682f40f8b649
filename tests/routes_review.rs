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
    let east = objects(&run("", "testdata/configs/primary-remote.yaml", Some("east")));
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
