//! `eastwest graph`: the mesh of a config as a picture for review. Clusters are grouped by
//! network, each with its east-west gateway (address and port); an arrow from a cluster to
//! a gateway means the cluster may call services behind it; each service shows where it
//! runs and which clusters call it. Mermaid renders inline on GitHub and GitLab; DOT is
//! for Graphviz.

use std::fmt::Write as _;

use crate::check::topology::{ClusterView, Topology};
use crate::config::{Role, ServiceType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

/// Node ids are generated, never taken from names, so no name can break the syntax.
struct Ids<'a> {
    topo: &'a Topology,
}

impl Ids<'_> {
    fn cluster(&self, name: &str) -> String {
        format!("c{}", self.topo.clusters.iter().position(|c| c.name == name).unwrap_or(0))
    }
    fn gateway(&self, name: &str) -> String {
        format!("g{}", self.topo.clusters.iter().position(|c| c.name == name).unwrap_or(0))
    }
}

fn gateway_label(topo: &Topology, c: &ClusterView) -> String {
    let g = &c.gateway;
    let port = if topo.ambient {
        g.external_port.unwrap_or(u64::from(crate::check::paths::HBONE_PORT))
    } else {
        g.external_port.or(if g.service_type == ServiceType::NodePort { g.node_port } else { None }).unwrap_or(g.port)
    };
    let what = if topo.ambient { "HBONE" } else { "mTLS" };
    let mut label = format!("{} gateway\n{}:{port} ({what})", c.name, g.address);
    // Callers that dial another address (private links, NAT).
    for (caller, address) in &g.address_from {
        label.push_str(&format!("\nfrom {caller}: {address}:{port}"));
    }
    label
}

fn cluster_label(c: &ClusterView) -> String {
    match c.role {
        Role::Primary => format!("cluster {}", c.name),
        Role::Remote => format!("cluster {} (remote of {})", c.name, c.config_cluster),
    }
}

fn service_label(topo: &Topology, i: usize) -> String {
    let s = &topo.services[i];
    let ports: Vec<String> = s.ports.iter().map(|p| format!("{}/{}", p.number, p.protocol)).collect();
    let callers: Vec<&str> =
        topo.clusters.iter().filter(|c| topo.targets(&c.name, s).next().is_some()).map(|c| c.name.as_str()).collect();
    format!(
        "service {}\n{} {}\nruns in: {}\ncalled from: {}",
        s.key(),
        s.hosts.join(", "),
        ports.join(","),
        s.clusters.join(", "),
        if callers.is_empty() { "-".to_owned() } else { callers.join(", ") }
    )
}

/// The networks in config order, each with its clusters.
fn networks(topo: &Topology) -> Vec<(&str, Vec<&ClusterView>)> {
    let mut out: Vec<(&str, Vec<&ClusterView>)> = Vec::new();
    for c in &topo.clusters {
        match out.iter_mut().find(|(n, _)| *n == c.network) {
            Some((_, list)) => list.push(c),
            None => out.push((&c.network, vec![c])),
        }
    }
    out
}

/// Caller -> target pairs the config allows across clusters.
fn links(topo: &Topology) -> Vec<(&ClusterView, &ClusterView)> {
    let mut out = Vec::new();
    for a in &topo.clusters {
        for b in &topo.clusters {
            if a.name != b.name && topo.can_call(&a.name, &b.name) {
                out.push((a, b));
            }
        }
    }
    out
}

pub fn render(topo: &Topology, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(topo),
        Format::Dot => dot(topo),
    }
}

fn mermaid_text(s: &str) -> String {
    // Mermaid labels: quotes as entities, line breaks as <br/>.
    s.replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;").replace('\n', "<br/>")
}

fn mermaid(topo: &Topology) -> String {
    let ids = Ids { topo };
    let mut out = String::from("flowchart LR\n");
    for (i, (network, clusters)) in networks(topo).iter().enumerate() {
        let _ = writeln!(out, "  subgraph n{i}[\"{}\"]", mermaid_text(&format!("network {network}")));
        for c in clusters {
            let _ = writeln!(out, "    {}[\"{}\"]", ids.cluster(&c.name), mermaid_text(&cluster_label(c)));
            let _ = writeln!(out, "    {}{{{{\"{}\"}}}}", ids.gateway(&c.name), mermaid_text(&gateway_label(topo, c)));
        }
        out.push_str("  end\n");
    }
    for (a, b) in links(topo) {
        let _ = writeln!(out, "  {} -->|calls| {}", ids.cluster(&a.name), ids.gateway(&b.name));
    }
    for c in &topo.clusters {
        let _ = writeln!(out, "  {} -.- {}", ids.gateway(&c.name), ids.cluster(&c.name));
    }
    for (i, s) in topo.services.iter().enumerate() {
        let _ = writeln!(out, "  s{i}[(\"{}\")]", mermaid_text(&service_label(topo, i)));
        for c in &s.clusters {
            let _ = writeln!(out, "  {} ---|runs| s{i}", ids.cluster(c));
        }
    }
    out
}

fn dot_text(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot(topo: &Topology) -> String {
    let ids = Ids { topo };
    let mut out = String::new();
    let _ = writeln!(out, "digraph mesh {{");
    let _ = writeln!(
        out,
        "  label={};",
        dot_text(&format!(
            "mesh {} (trust domain {}, {})",
            topo.mesh_id,
            topo.trust_domain,
            if topo.ambient { "ambient" } else { "sidecar" }
        ))
    );
    out.push_str("  labelloc=t;\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, (network, clusters)) in networks(topo).iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_n{i} {{");
        let _ = writeln!(out, "    label={};", dot_text(&format!("network {network}")));
        out.push_str("    style=rounded; color=gray50;\n");
        for c in clusters {
            let _ = writeln!(
                out,
                "    {} [shape=box, style=filled, fillcolor=lightblue, label={}];",
                ids.cluster(&c.name),
                dot_text(&cluster_label(c))
            );
            let _ = writeln!(
                out,
                "    {} [shape=hexagon, label={}];",
                ids.gateway(&c.name),
                dot_text(&gateway_label(topo, c))
            );
            let _ = writeln!(
                out,
                "    {} -> {} [style=dashed, arrowhead=none];",
                ids.gateway(&c.name),
                ids.cluster(&c.name)
            );
        }
        out.push_str("  }\n");
    }
    for (a, b) in links(topo) {
        let _ =
            writeln!(out, "  {} -> {} [label=\"calls\", color=darkgreen];", ids.cluster(&a.name), ids.gateway(&b.name));
    }
    for (i, s) in topo.services.iter().enumerate() {
        let _ = writeln!(
            out,
            "  s{i} [shape=cylinder, style=filled, fillcolor=lightyellow, label={}];",
            dot_text(&service_label(topo, i))
        );
        for c in &s.clusters {
            let _ = writeln!(out, "  {} -> s{i} [label=\"runs\", style=dotted, arrowhead=none];", ids.cluster(c));
        }
    }
    out.push_str("}\n");
    out
}
