//! A `Sidecar` whose egress hosts hide an imported host: istio/istio
//! pilot/pkg/model/sidecar.go (DefaultSidecarScopeForNamespace, ConvertToSidecarScope):
//! a proxy sees only the services its Sidecar's egress `namespace/host` entries select.
//! The root namespace's Sidecar without a workloadSelector applies to every namespace
//! without its own.

use serde_json::Value;

use super::istio::{self as ist, host_covers};
use super::model::Obj;
use super::paths::Fail;
use super::topology::ClusterView;
use super::{CheckInfo, Ctx, Level, ObjectRef};

pub const SIDECAR_EGRESS: &str = "sidecar-egress";

pub const CHECKS: &[CheckInfo] = &[CheckInfo {
    id: SIDECAR_EGRESS,
    reads: &["Sidecar", "ConfigMap"],
    about: "a root-namespace or namespace-wide Sidecar's egress hosts do not hide an imported host",
}];

/// Does a Sidecar's egress let proxies see `host` from a ServiceEntry in `se_ns`?
fn egress_sees(sidecar: &Obj, se_ns: &str, host: &str) -> bool {
    let Some(egress) = sidecar.at("/spec/egress").and_then(Value::as_array) else { return true };
    if egress.is_empty() {
        return true;
    }
    egress.iter().any(|listener| {
        ist::strings(listener.get("hosts")).iter().any(|entry| {
            let (ns, pattern) = ist::split_ns_host(entry);
            let ns_ok = ns == "*" || ns == se_ns || (ns == "." && sidecar.in_ns(se_ns));
            ns_ok && host_covers(pattern, host)
        })
    })
}

pub fn hides(ctx: &Ctx, caller: &ClusterView, se_ns: &str, host: &str) -> Vec<Fail> {
    let root_ns = ctx.root_namespace(&caller.config_cluster).to_owned();
    let mut out = Vec::new();
    for render in ctx.config_renders(&caller.name) {
        for sc in render.kind("networking.istio.io", "Sidecar") {
            if sc.at("/spec/workloadSelector").is_some() || egress_sees(sc, se_ns, host) {
                continue;
            }
            let is_root = sc.namespace.as_deref() == Some(root_ns.as_str());
            let (level, scope) = if is_root {
                (Level::Error, "every namespace without its own Sidecar".to_owned())
            } else {
                (Level::Warning, format!("namespace {}", sc.ns()))
            };
            out.push(Fail {
                check: SIDECAR_EGRESS,
                level,
                cluster: render.cluster.clone(),
                object: Some(ObjectRef::of(sc)),
                message: format!("field spec.egress[].hosts: hides {host} ({se_ns}) from the proxies of {scope}"),
            });
        }
    }
    out
}
