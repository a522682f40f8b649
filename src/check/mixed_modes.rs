//! Known-broken mixes of sidecar and ambient in one cluster:
//! - istio/istio#57878: with ambient multi-network on, sidecars receive the ambient
//!   east-west gateway as an endpoint and cannot talk to it (double HBONE);
//! - istio/istio#60609: ambient multi-network on next to a classic AUTO_PASSTHROUGH
//!   east-west gateway breaks the classic (sidecar) cross-network traffic.
//!
//! The switch istiod reads is `AMBIENT_ENABLE_MULTI_NETWORK` (pilot/pkg/features).

use serde_json::Value;

use super::istio::{self as ist};
use super::model::Render;
use super::{CheckInfo, Ctx, Findings, ObjectRef};

pub const MIXED_MODES: &str = "mixed-modes";

pub const CHECKS: &[CheckInfo] = &[CheckInfo {
    id: MIXED_MODES,
    reads: &["Deployment", "Namespace", "Gateway"],
    about: "no sidecar workloads or classic AUTO_PASSTHROUGH east-west gateway in a cluster with ambient multi-network on (istio/istio#57878, #60609)",
}];

pub fn ambient_multi_network(render: &Render) -> bool {
    ist::istiods(render).any(|d| ist::env_value(d, "discovery", "AMBIENT_ENABLE_MULTI_NETWORK") == Some("true"))
}

pub fn run(ctx: &Ctx, out: &mut Findings) {
    for render in ctx.renders {
        if !ambient_multi_network(render) {
            continue;
        }
        let injected_ns: Vec<&str> = render
            .kind("", "Namespace")
            .filter(|n| n.label("istio-injection") == Some("enabled") || n.label("istio.io/rev").is_some())
            .map(|n| n.name.as_str())
            .collect();
        for w in ist::workloads(render) {
            let gateway = ist::pod_template(w)
                .and_then(|t| t.pointer("/metadata/annotations/inject.istio.io~1templates"))
                .and_then(Value::as_str)
                == Some("gateway");
            let labelled = ist::pod_label(w, "sidecar.istio.io/inject") == Some("true");
            let in_injected_ns = w.namespace.as_deref().is_some_and(|ns| injected_ns.contains(&ns))
                && ist::pod_label(w, "sidecar.istio.io/inject") != Some("false");
            if !gateway && (labelled || in_injected_ns) {
                out.error(
                    MIXED_MODES,
                    &render.cluster,
                    Some(ObjectRef::of(w)),
                    "gets an Istio sidecar in a cluster with ambient multi-network on: sidecars receive the ambient east-west gateway as an endpoint and cannot reach it (istio/istio#57878)".into(),
                );
            }
        }
        for g in render.kind("networking.istio.io", "Gateway") {
            let classic = g
                .at("/spec/servers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|s| s.pointer("/tls/mode").and_then(Value::as_str) == Some("AUTO_PASSTHROUGH"));
            if classic {
                out.error(
                    MIXED_MODES,
                    &render.cluster,
                    Some(ObjectRef::of(g)),
                    "a classic AUTO_PASSTHROUGH east-west Gateway next to ambient multi-network: its sidecar traffic breaks (istio/istio#60609)".into(),
                );
            }
        }
    }
}
