//! `exportTo` (the field, or the `networking.istio.io/exportTo` annotation) that hides a
//! ServiceEntry: istio/istio pilot/pkg/model/push_context.go (serviceExportTo,
//! initServiceRegistry) drops a service from every namespace it is not exported to, the
//! east-west gateway's namespace included.

use serde_json::Value;

use super::istio::{self as ist};
use super::model::Obj;
use super::paths::Fail;
use super::topology::ClusterView;
use super::{CheckInfo, Ctx, Level, ObjectRef};

pub const EXPORT_TO: &str = "export-to";

pub const CHECKS: &[CheckInfo] = &[CheckInfo {
    id: EXPORT_TO,
    reads: &["ServiceEntry", "ConfigMap"],
    about: "exportTo (field or networking.istio.io/exportTo annotation, or the mesh's defaultServiceExportTo) does not hide the export from the gateway's namespace or the import from callers",
}];

/// The effective exportTo: the object's own, else the mesh default.
fn effective(ctx: &Ctx, cluster: &str, se: &Obj) -> Option<Vec<String>> {
    ist::export_to(se).or_else(|| {
        let mesh = ctx.mesh_config(cluster)?;
        let list: Vec<String> = mesh
            .get("defaultServiceExportTo")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        (!list.is_empty()).then_some(list)
    })
}

/// The import must be visible to callers: hidden from everyone is an error, visible to
/// some namespaces only is a warning (callers elsewhere cannot reach the host).
pub fn import_hidden(ctx: &Ctx, caller: &ClusterView, se: &Obj) -> Option<Fail> {
    let list = effective(ctx, &caller.config_cluster, se)?;
    if list.iter().any(|e| e == "*") {
        return None;
    }
    let own = se.ns();
    let visible_somewhere = list.iter().any(|e| e == "." || (e != "~" && !e.is_empty()));
    let (level, message) = if list.iter().any(|e| e == "~") || !visible_somewhere {
        (Level::Error, "hides the import from every namespace, so no caller can reach its hosts".to_owned())
    } else {
        let names: Vec<&str> = list.iter().map(|e| if e == "." { own } else { e.as_str() }).collect();
        (
            Level::Warning,
            format!(
                "makes the import visible only to namespace(s) {}: callers elsewhere cannot reach its hosts",
                names.join(", ")
            ),
        )
    };
    Some(Fail {
        check: EXPORT_TO,
        level,
        cluster: caller.name.clone(),
        object: Some(ObjectRef::of(se)),
        message: format!("exportTo {list:?} {message}"),
    })
}

/// The export must be visible to the east-west gateway's namespace.
pub fn export_hidden(ctx: &Ctx, target: &ClusterView, se: &Obj) -> Option<Fail> {
    let list = effective(ctx, &target.config_cluster, se);
    let gw_ns = &target.gateway.namespace;
    if ist::visible(&list, se.ns(), gw_ns) {
        return None;
    }
    Some(Fail::error(
        EXPORT_TO,
        &target.name,
        Some(ObjectRef::of(se)),
        format!("exportTo {:?} hides the export from the east-west gateway's namespace {gw_ns}, so the gateway cannot resolve its hosts", list.unwrap_or_default()),
    ))
}
