//! `eastwest graph`: DOT that the real Graphviz lays out, Mermaid with one subgraph per
//! network, one arrow per allowed link, and each service with where it runs and who calls it.

#[path = "support/common.rs"]
mod common;

use std::process::Command;

/// Every config of testdata/configs (the seed scenario and the examples of each issue).
fn configs() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(common::repo().join("testdata/configs"))
        .expect("testdata/configs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| format!("testdata/configs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

fn graph(config: &str, format: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eastwest"));
    cmd.current_dir(common::repo()).args(["graph", "--config", config]);
    if let Some(f) = format {
        cmd.args(["--format", f]);
    }
    let out = cmd.output().expect("eastwest runs");
    assert!(out.status.success(), "{config}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Lay DOT out with Graphviz (Debian's `graphviz`, installed by `make tools`).
fn dot_to_svg(dot: &str) -> String {
    let out = common::run_with_stdin(Command::new("dot").arg("-Tsvg"), dot);
    assert!(out.status.success(), "dot rejected the graph: {}\n{dot}", String::from_utf8_lossy(&out.stderr));
    unescape(&String::from_utf8(out.stdout).expect("svg"))
}

/// Graphviz writes `-` in SVG text as `&#45;`.
fn unescape(svg: &str) -> String {
    svg.replace("&#45;", "-").replace("&amp;", "&")
}

#[test]
fn dot_output_is_laid_out_by_graphviz_for_every_config() {
    let configs = configs();
    assert!(configs.len() >= 4, "{configs:?}");
    for config in &configs {
        let dot = graph(config, Some("dot"));
        let svg = dot_to_svg(&dot);
        assert!(svg.contains("<svg"), "{config}");
        // Graphviz drew what the config says: every network and gateway address.
        let cfg = &common::objects(&common::read(common::repo().join(config)))[0];
        for c in cfg["spec"]["clusters"].as_array().unwrap() {
            let network = c["network"].as_str().unwrap();
            let address = c["gateway"]["address"].as_str().unwrap();
            assert!(svg.contains(&format!("network {network}")), "{config}: {network}");
            assert!(svg.contains(address), "{config}: {address}");
            // Callers that dial another address are drawn with it.
            for (caller, other) in c["gateway"]["addressFrom"].as_object().into_iter().flatten() {
                let other = other.as_str().or(other["address"].as_str()).unwrap();
                assert!(svg.contains(&format!("from {caller}: {other}")), "{config}: {caller} -> {other}");
            }
        }
    }
}

#[test]
fn dot_has_one_cluster_box_per_network_and_one_arrow_per_link() {
    let dot = graph("testdata/configs/three-clusters.yaml", Some("dot"));
    assert_eq!(dot.matches("subgraph cluster_").count(), 3);
    // links: us->eu, eu<->ap.
    assert_eq!(dot.matches("label=\"calls\"").count(), 3, "{dot}");
    assert!(dot.contains("c0 -> g1 [label=\"calls\""), "us calls eu's gateway: {dot}");
    assert!(!dot.contains("c1 -> g0 [label=\"calls\""), "eu may not call us: {dot}");
    // The NodePort gateway and the service lists.
    assert!(dot.contains("runs in: eu, ap"), "{dot}");
    assert!(dot.contains("called from: us, eu, ap"), "{dot}");
}

#[test]
fn mermaid_is_the_default_and_groups_clusters_by_network() {
    let text = graph("testdata/configs/two-clusters.yaml", None);
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    assert_eq!(text.matches("  subgraph ").count(), 2);
    assert!(text.contains("network us-net") && text.contains("network eu-net"));
    assert!(text.contains("us-ew.example.com:15443"));
    assert_eq!(text.matches("-->|calls|").count(), 2);
    assert!(
        text.contains("service echo/echo<br/>echo.eu.mesh.local 80/HTTP<br/>runs in: eu<br/>called from: us"),
        "{text}"
    );
    assert_eq!(graph("testdata/configs/two-clusters.yaml", Some("mermaid")), text, "deterministic");
}

#[test]
fn ambient_gateways_show_the_hbone_port() {
    let text = graph("testdata/configs/three-clusters-ambient.yaml", Some("dot"));
    assert!(text.contains("203.0.113.10:15008 (HBONE)"), "{text}");
}

#[test]
fn readme_picture_is_the_seed_scenario_drawn_by_graph() {
    // docs/mesh.svg is made by scripts/mesh-picture.sh from the seed config.
    let svg = unescape(&common::read(common::repo().join("docs/mesh.svg")));
    for text in [
        "training-mesh",
        "corp.local",
        "network us-net",
        "network eu-net",
        "us-ew.example.com:15443",
        "203.0.113.10:15443",
    ] {
        assert!(svg.contains(text), "docs/mesh.svg lacks {text}; rerun scripts/mesh-picture.sh");
    }
}

#[test]
fn bad_config_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .current_dir(common::repo())
        .args(["graph", "--config", "testdata/bad-input/config-link-unknown-cluster.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("spec.links[0].to"));
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .current_dir(common::repo())
        .args(["graph", "--config", "does-not-exist.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
