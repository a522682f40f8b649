//! A MeshNetwork config inside the stream (first or last document) gives the same result as
//! the same config passed with --config, also where workloads are pruned while parsing
//! (src/lib.rs finds the config by its text first and re-reads the input if that guess and
//! the parsed config disagree). Read back as data.

#[path = "support/common.rs"]
mod common;

use common::*;
use serde_json::Value;

const CONFIG: &str = "apiVersion: eastwest.dev/v1alpha1\nkind: MeshNetwork\nmetadata: {name: m}\nspec:\n  meshID: m\n  cluster: us\n  workloadNamespaces: [apps]\n  clusters:\n  - {name: us, network: us-net, gateway: {address: 192.0.2.1}}\n  - {name: eu, network: eu-net, gateway: {address: 192.0.2.2}}\n";

fn deployment(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n"
    )
}

fn network_of(objs: &[Value], name: &str) -> Value {
    let d = objs.iter().find(|o| o["metadata"]["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    d["spec"]["template"]["metadata"]["labels"]["topology.istio.io/network"].clone()
}

fn run_text(input: &str, config: Option<&str>) -> Vec<Value> {
    let options = eastwest::Options {
        config: config.map(|text| eastwest::ConfigFile { origin: "mesh.yaml".into(), text: text.to_owned() }),
        cluster: None,
        standalone: false,
    };
    let out = eastwest::run(input, &options).unwrap_or_else(|f| panic!("eastwest failed: {}", f.error));
    objects(&out)
}

#[test]
fn config_first_or_last_in_the_stream_works_like_config_flag() {
    let workloads = format!("---\n{}---\n{}", deployment("in-apps", "apps"), deployment("elsewhere", "default"));
    let with_flag = run_text(&workloads, Some(CONFIG));
    assert_eq!(network_of(&with_flag, "in-apps"), "us-net");
    assert_eq!(network_of(&with_flag, "elsewhere"), Value::Null);
    for input in [format!("---\n{CONFIG}{workloads}"), format!("{workloads}---\n{CONFIG}")] {
        let in_stream = run_text(&input, None);
        assert!(!in_stream.iter().any(|o| o["kind"] == "MeshNetwork"), "the config document is taken out");
        assert_eq!(in_stream, with_flag, "{input}");
    }
}

#[test]
fn a_config_in_the_middle_of_the_stream_works_too() {
    let input = format!("---\n{}---\n{CONFIG}---\n{}", deployment("in-apps", "apps"), deployment("also", "apps"));
    let objs = run_text(&input, None);
    assert_eq!(network_of(&objs, "in-apps"), "us-net");
    assert_eq!(network_of(&objs, "also"), "us-net");
}
