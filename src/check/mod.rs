//! `eastwest check`: prove at render time, offline, that the whole mesh routes.
//!
//! Shaped like Istio's own analyzers (istio/istio pkg/config/analysis/analyzers): every
//! render is read once into one [`model`] of the mesh; each check is one module that
//! declares its ids, the kinds it reads and its messages, and runs over that model. The
//! call-path tracer ([`paths`]) follows a call the way Istio routes it, and asks the
//! checks of what users add ([`sidecar_scope`], [`export_to`], [`mtls`]) on the way.

pub mod conflicts;
pub mod export_to;
pub mod identity;
pub mod istio;
pub mod mixed_modes;
pub mod model;
pub mod mtls;
pub mod paths;
pub mod sidecar_scope;
pub mod topology;
pub mod trust;

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::error::Error;
use model::{Obj, Render};
use topology::Topology;

/// One check's declaration, as Istio's analyzers declare theirs.
pub struct CheckInfo {
    pub id: &'static str,
    /// Kinds the check reads.
    pub reads: &'static [&'static str],
    /// What it proves, one line (also the README's list).
    pub about: &'static str,
}

/// Every check id, for the README and `--output json` consumers.
pub fn all_checks() -> Vec<&'static CheckInfo> {
    [
        identity::CHECKS,
        paths::CHECKS,
        sidecar_scope::CHECKS,
        export_to::CHECKS,
        mtls::CHECKS,
        conflicts::CHECKS,
        trust::CHECKS,
        mixed_modes::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn of(o: &Obj) -> ObjectRef {
        ObjectRef { kind: o.kind.clone(), namespace: o.ns().to_owned(), name: o.name.clone() }
    }

    pub fn new(kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef { kind: kind.to_owned(), namespace: namespace.to_owned(), name: name.to_owned() }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct Finding {
    pub check: &'static str,
    pub cluster: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathResult {
    pub from: String,
    pub service: String,
    pub host: String,
    pub port: u64,
    pub to: Vec<String>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub paths: Vec<PathResult>,
}

/// Findings as they are found; the same finding reached by many paths is kept once.
#[derive(Default)]
pub struct Findings {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    seen: HashSet<(Level, Finding)>,
}

impl Findings {
    pub fn add(&mut self, level: Level, finding: Finding) {
        if self.seen.insert((level, finding.clone())) {
            match level {
                Level::Error => self.errors.push(finding),
                Level::Warning => self.warnings.push(finding),
            }
        }
    }

    pub fn error(&mut self, check: &'static str, cluster: &str, object: Option<ObjectRef>, message: String) {
        self.add(Level::Error, Finding { check, cluster: cluster.to_owned(), message, object });
    }

    pub fn warning(&mut self, check: &'static str, cluster: &str, object: Option<ObjectRef>, message: String) {
        self.add(Level::Warning, Finding { check, cluster: cluster.to_owned(), message, object });
    }
}

/// The mesh as the checks see it: the config and one render per cluster (config order).
pub struct Ctx<'a> {
    pub topo: &'a Topology,
    pub renders: &'a [Render],
    /// Seconds since the Unix epoch, for certificate expiry.
    pub now: i64,
    /// Each render's `istio` mesh config, parsed once (many paths read it).
    pub mesh_configs: Vec<Option<serde_json::Value>>,
    /// Cluster name -> position in the config (and in `renders`).
    pub positions: std::collections::HashMap<String, usize>,
}

impl Ctx<'_> {
    pub fn position(&self, cluster: &str) -> usize {
        self.positions.get(cluster).copied().unwrap_or(0)
    }

    pub fn render(&self, cluster: &str) -> &Render {
        &self.renders[self.position(cluster)]
    }

    /// The cluster's mesh config (`istio` ConfigMap `data.mesh`), when its render has it.
    pub fn mesh_config(&self, cluster: &str) -> Option<&serde_json::Value> {
        self.mesh_configs.get(self.position(cluster))?.as_ref()
    }

    /// Istio's root namespace: the mesh config's `rootNamespace`, else the control plane's.
    pub fn root_namespace(&self, cluster: &str) -> &str {
        self.mesh_config(cluster)
            .and_then(|m| m.get("rootNamespace"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&self.topo.istio_namespace)
    }

    /// Where a cluster's Istio config lives: its own render, and for a remote, its primary's.
    pub fn config_renders(&self, cluster: &str) -> Vec<&Render> {
        let mut out = vec![self.render(cluster)];
        if let Some(c) = self.topo.cluster(cluster) {
            if c.config_cluster != cluster {
                out.push(self.render(&c.config_cluster));
            }
        }
        out
    }
}

/// Run every check over renders already read (in config order).
pub fn check(topo: &Topology, renders: &[Render], now: i64) -> Report {
    let mesh_configs = renders.iter().map(|r| istio::mesh_config(r, &topo.istio_namespace).map(|(_, v)| v)).collect();
    let positions = topo.clusters.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
    let ctx = Ctx { topo, renders, now, mesh_configs, positions };
    let mut findings = Findings::default();
    identity::run(&ctx, &mut findings);
    mixed_modes::run(&ctx, &mut findings);
    conflicts::run(&ctx, &mut findings);
    trust::run(&ctx, &mut findings);
    let paths = paths::run(&ctx, &mut findings);
    Report { errors: findings.errors, warnings: findings.warnings, paths }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Parse `CLUSTER=PATH` arguments against the config and read every render once.
/// Errors are usage errors (exit 2): a missing or unknown cluster, an unreadable input.
pub fn load_renders(
    topo: &Topology,
    args: &[String],
    stdin: impl FnOnce() -> Result<String, Error>,
) -> Result<Vec<Render>, Error> {
    let mut given: Vec<(String, String)> = Vec::new();
    for arg in args {
        let Some((cluster, path)) = arg.split_once('=') else {
            return Err(Error::Usage(format!("{arg:?} is not CLUSTER=PATH")));
        };
        if topo.cluster(cluster).is_none() {
            let known: Vec<&str> = topo.clusters.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::Usage(format!("unknown cluster {cluster:?} (known: {})", known.join(", "))));
        }
        if given.iter().any(|(c, _)| c == cluster) {
            return Err(Error::Usage(format!("cluster {cluster:?} given twice")));
        }
        given.push((cluster.to_owned(), path.to_owned()));
    }
    let missing: Vec<&str> =
        topo.clusters.iter().map(|c| c.name.as_str()).filter(|c| !given.iter().any(|(g, _)| g == c)).collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "no render for cluster {}: pass one CLUSTER=PATH per cluster of the config",
            missing.join(", ")
        )));
    }
    let mut stdin_text = if given.iter().any(|(_, p)| p == "-") { Some(stdin()?) } else { None };
    topo.clusters
        .iter()
        .map(|c| {
            let path = &given.iter().find(|(g, _)| g == &c.name).map(|(_, p)| p.clone()).unwrap_or_default();
            model::load(&c.name, path, &mut stdin_text)
        })
        .collect()
}

pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

fn object_text(o: &Option<ObjectRef>) -> String {
    match o {
        Some(o) if o.namespace.is_empty() => format!(" {} {}", o.kind, o.name),
        Some(o) => format!(" {} {}/{}", o.kind, o.namespace, o.name),
        None => String::new(),
    }
}

/// The short human report: findings, then the reachability matrix.
pub fn to_text(topo: &Topology, report: &Report) -> String {
    let mut out = String::new();
    for (label, list) in [("error", &report.errors), ("warning", &report.warnings)] {
        for f in list {
            let _ =
                writeln!(out, "{label}: [{}] cluster {}{}: {}", f.check, f.cluster, object_text(&f.object), f.message);
        }
    }
    let _ = writeln!(out, "{} error(s), {} warning(s)", report.errors.len(), report.warnings.len());
    let services: Vec<String> = topo.services.iter().map(|s| s.key()).collect();
    if services.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nreachability (caller cluster x exported service):");
    let width = topo.clusters.iter().map(|c| c.name.len()).max().unwrap_or(0).max(6);
    let cells: Vec<Vec<String>> = topo
        .clusters
        .iter()
        .map(|c| {
            services
                .iter()
                .map(|s| {
                    let ps: Vec<&PathResult> =
                        report.paths.iter().filter(|p| p.from == c.name && &p.service == s).collect();
                    if ps.is_empty() {
                        return "-".to_owned();
                    }
                    let mut to: Vec<&str> = ps.iter().flat_map(|p| p.to.iter().map(String::as_str)).collect();
                    to.sort();
                    to.dedup();
                    let status = if ps.iter().all(|p| p.ok) { "ok" } else { "FAIL" };
                    if to.is_empty() {
                        status.to_owned()
                    } else {
                        format!("{status} -> {}", to.join(","))
                    }
                })
                .collect()
        })
        .collect();
    let col: Vec<usize> = services
        .iter()
        .enumerate()
        .map(|(j, s)| cells.iter().map(|row| row[j].len()).chain([s.len()]).max().unwrap_or(0))
        .collect();
    let mut line = format!("  {:width$}", "from");
    for (s, w) in services.iter().zip(&col) {
        let _ = write!(line, "  {s:w$}");
    }
    let _ = writeln!(out, "{}", line.trim_end());
    for (c, row) in topo.clusters.iter().zip(&cells) {
        let mut line = format!("  {:width$}", c.name);
        for (cell, w) in row.iter().zip(&col) {
            let _ = write!(line, "  {cell:w$}");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let failed: Vec<&PathResult> = report.paths.iter().filter(|p| !p.ok).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nfailed paths:");
        for p in failed {
            let _ = writeln!(
                out,
                "  {} -> {} ({}:{}): {}",
                p.from,
                p.service,
                p.host,
                p.port,
                p.reason.as_deref().unwrap_or("")
            );
        }
    }
    out
}

/// The whole command: config text, `CLUSTER=PATH` arguments; returns the report.
pub fn run(
    config_text: &str,
    config_origin: &str,
    args: &[String],
    stdin: impl FnOnce() -> Result<String, Error>,
) -> Result<(Topology, Report), Error> {
    let topo = topology::from_text(config_text, config_origin).map_err(|e| match e {
        Error::Config { .. } => Error::Usage(e.to_string()),
        other => other,
    })?;
    let renders = load_renders(&topo, args, stdin)?;
    let report = check(&topo, &renders, now());
    Ok((topo, report))
}
