//! Environment variables Istio's binaries read for multi-network operation.
//!
//! An existing variable of the same name is edited, never duplicated: Kubernetes would
//! keep the last twin and hide the first. The values eastwest derives from the config
//! follow the one rule for existing values: a different value already set (or a
//! `valueFrom`) is an error naming both unless `spec.overrideExisting: true`; only the
//! chart's own default (`CLUSTER_ID: Kubernetes`) is replaced without a word. Variables
//! the user lists in `spec.env` are set as written (the user named them).

use super::istio;
use super::{conflict_policy, Edits};
use crate::config::Mesh;
use crate::error::Error;
use crate::read::Object;
use crate::yaml::{Change, OnConflict};

/// One variable eastwest sets: its value, and the chart default it may replace silently.
struct Var<'a> {
    name: &'a str,
    value: &'a str,
    /// `Some(default)`: derived from the config (the one rule applies); `None`: named by
    /// the user in `spec.env` (set as written).
    rule: Option<Option<&'static str>>,
}

fn derived<'a>(name: &'a str, value: &'a str, chart_default: Option<&'static str>) -> Var<'a> {
    Var { name, value, rule: Some(chart_default) }
}

fn user_vars(vars: &std::collections::BTreeMap<String, String>) -> impl Iterator<Item = Var<'_>> {
    vars.iter().map(|(k, v)| Var { name: k, value: v, rule: None })
}

pub fn apply(mesh: &Mesh, objects: &[Object], edits: &mut Edits) -> Result<(), Error> {
    let network = mesh.network();
    let cluster = mesh.cluster().name.as_str();
    let policy = conflict_policy(mesh);
    for (i, obj) in objects.iter().enumerate() {
        let Some(template) = istio::pod_template_path(obj) else { continue };
        let mut vars: Vec<Var> = Vec::new();
        let container = if istio::is_istiod(obj) {
            vars.push(derived("CLUSTER_ID", cluster, Some("Kubernetes")));
            if mesh.has_remotes() {
                // Without it the primary never takes charge of its remotes (istio/istio
                // pilot/pkg/serviceregistry/kube/controller/multicluster.go). The chart renders
                // it only when asked, so any value already there was someone's choice.
                vars.push(derived(istio::EXTERNAL_ISTIOD_ENV, "true", None));
            }
            if mesh.ambient() {
                if istio::env_value(obj, "discovery", "PILOT_ENABLE_AMBIENT") != Some("true") {
                    return Err(Error::Object {
                        doc: Box::new(obj.doc_ref()),
                        field: "spec.template.spec.containers[name=discovery].env[name=PILOT_ENABLE_AMBIENT]".into(),
                        message: "must be \"true\" for mode: ambient (install istiod with the ambient profile)".into(),
                    });
                }
                vars.push(derived("AMBIENT_ENABLE_MULTI_NETWORK", "true", None));
            }
            vars.extend(user_vars(&mesh.spec.env.istiod));
            "discovery"
        } else if istio::is_ztunnel(obj) {
            vars.push(derived("NETWORK", network, None));
            vars.push(derived("ISTIO_META_CLUSTER_ID", cluster, Some("Kubernetes")));
            vars.extend(user_vars(&mesh.spec.env.ztunnel));
            "istio-proxy"
        } else if istio::is_gateway(obj) {
            if istio::is_eastwest_gateway(obj, mesh) {
                vars.push(derived("ISTIO_META_REQUESTED_NETWORK_VIEW", network, None));
            }
            vars.extend(user_vars(&mesh.spec.env.gateway));
            "istio-proxy"
        } else {
            continue;
        };
        if vars.is_empty() || !istio::has_container(obj, container) {
            continue;
        }
        let field = |name: &str| format!("{}.spec.containers[name={container}].env[name={name}]", template.join("."));
        let env = edits.object(i).path(template).path(&["spec", "containers"]).item("name", container).key("env");
        for var in vars {
            let on_conflict = match var.rule {
                None => OnConflict::Replace,
                Some(Some(default)) if istio::env_value(obj, container, var.name) == Some(default) => {
                    OnConflict::Replace
                }
                Some(_) => policy,
            };
            if on_conflict == OnConflict::Error && istio::env_value_from(obj, container, var.name) {
                return Err(Error::Object {
                    doc: Box::new(obj.doc_ref()),
                    field: format!("{}.valueFrom", field(var.name)),
                    message: format!(
                        "is already set (valueFrom) but the config says {:?} (set spec.overrideExisting: true to replace it)",
                        var.value
                    ),
                });
            }
            set_env(env, var.name, var.value, on_conflict);
        }
    }
    Ok(())
}

fn set_env(env: &mut Change, name: &str, value: &str, on_conflict: OnConflict) {
    let var = env.item("name", name);
    var.key("value").set(value, on_conflict);
    var.key("valueFrom").remove();
}
