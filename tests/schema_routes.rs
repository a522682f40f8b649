//! Every object eastwest generates, for every config in testdata/configs and every cluster,
//! in every render that writes something (standalone, the control plane's, each exported
//! service's own), against the schema the API server applies: the CRD schemas of Istio
//! (istio-base) and the Gateway API for custom resources, the Kubernetes types
//! (k8s-openapi) for built-in kinds. Plus the semantic rules Istio's validating webhook
//! adds on top of the CRD schema for the shapes issue 10 writes.

#[path = "support/common.rs"]
mod common;
#[path = "support/crd_schema.rs"]
mod crd_schema;

use std::collections::{BTreeSet, HashMap};

use common::*;
use serde_json::{json, Value};

fn schemas() -> HashMap<(String, String, String), Value> {
    let mut docs = objects(&read(corpus().join("istio-base.yaml")));
    docs.extend(objects(&read(corpus().join("crd-gateway-api-gateways.yaml"))));
    crd_schema::crd_schemas(&docs)
}

fn generated(v: &Value) -> bool {
    v.pointer("/metadata/labels/app.kubernetes.io~1created-by") == Some(&json!("eastwest"))
}

/// A built-in object read into its Kubernetes type and written back: a field the type does
/// not know (a typo, a misplaced key) is dropped, which this reports.
fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(obj: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(obj.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut paths = Vec::new();
    diff_paths(obj, &back, "", &mut paths);
    if paths.is_empty() {
        Ok(())
    } else {
        Err(format!("not kept by the Kubernetes type at {paths:?}"))
    }
}

fn validate_builtin(obj: &Value) -> Option<Result<(), String>> {
    use k8s_openapi::api;
    Some(match (obj["apiVersion"].as_str()?, obj["kind"].as_str()?) {
        ("v1", "Namespace") => roundtrip::<api::core::v1::Namespace>(obj),
        ("v1", "Service") => roundtrip::<api::core::v1::Service>(obj),
        ("v1", "ServiceAccount") => roundtrip::<api::core::v1::ServiceAccount>(obj),
        ("apps/v1", "Deployment") => roundtrip::<api::apps::v1::Deployment>(obj),
        ("rbac.authorization.k8s.io/v1", "Role") => roundtrip::<api::rbac::v1::Role>(obj),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => roundtrip::<api::rbac::v1::RoleBinding>(obj),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            roundtrip::<api::autoscaling::v2::HorizontalPodAutoscaler>(obj)
        }
        _ => return None,
    })
}

/// What istio/istio pkg/config/validation/validation.go (the validating webhook) refuses
/// beyond the CRD schema, for the fields eastwest writes.
fn istio_semantics(obj: &Value) -> Result<(), String> {
    match obj["kind"].as_str().unwrap_or("") {
        // validateWorkloadEntry: an empty address needs a network.
        "WorkloadEntry" => {
            let spec = &obj["spec"];
            if spec.get("address").is_none() && spec["network"].as_str().unwrap_or("").is_empty() {
                return Err("address-less WorkloadEntry without network".into());
            }
        }
        "ServiceEntry" if obj["spec"]["resolution"] == "STATIC" => {
            for ep in obj["spec"]["endpoints"].as_array().into_iter().flatten() {
                if ep.get("address").is_none() && ep["network"].as_str().unwrap_or("").is_empty() {
                    return Err("address-less endpoint without network".into());
                }
            }
            if obj["spec"].get("endpoints").is_some() && obj["spec"].get("workloadSelector").is_some() {
                return Err("only one of workloadSelector or endpoints".into());
            }
        }
        // pkg/config/validation/agent/validation.go ValidateLocalityLbSetting: failover
        // regions differ, carry no '/' or '*', and need outlier detection to act
        // (pilot/pkg/networking/core/loadbalancer/loadbalancer.go).
        "DestinationRule" => {
            let policy = &obj["spec"]["trafficPolicy"];
            let lb = &policy["loadBalancer"]["localityLbSetting"];
            for f in lb["failover"].as_array().into_iter().flatten() {
                let (from, to) = (f["from"].as_str().unwrap_or(""), f["to"].as_str().unwrap_or(""));
                if from == to || from.contains(['/', '*']) || to.contains(['/', '*']) || from.is_empty() {
                    return Err(format!("bad failover {f}"));
                }
            }
            if policy.get("outlierDetection").is_none() {
                return Err("no outlierDetection: locality failover would never act".into());
            }
        }
        _ => {}
    }
    Ok(())
}

/// The Service of a configured service, as its own render would bring it.
fn service_stream(svc: &Value) -> String {
    let ports: Vec<Value> = svc["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| json!({"name": p["name"], "port": p["number"], "targetPort": p.get("targetPort").unwrap_or(&p["number"])}))
        .collect();
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": svc["name"], "namespace": svc["namespace"]},
        "spec": {"selector": svc.get("selector").cloned().unwrap_or(json!({"app": svc["name"]})), "ports": ports},
    });
    service.to_string()
}

#[test]
fn every_generated_object_of_every_config_validates() {
    let schemas = schemas();
    let sidecar_istiod = read(repo().join("testdata/e2e/helm3-istiod-mini-input.yaml"));
    let ambient_istiod = read(corpus().join("istiod-ambient.yaml"));
    let mut kinds = BTreeSet::new();
    let mut validated = 0;
    let mut configs: Vec<_> = std::fs::read_dir(repo().join("testdata/configs"))
        .expect("configs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 9, "{configs:?}");
    for path in configs {
        let config = format!("testdata/configs/{}", path.file_name().unwrap().to_string_lossy());
        let spec = objects(&read(&path)).into_iter().next().expect("a config")["spec"].clone();
        let ambient = spec["mode"] == "ambient";
        let istiod = if ambient { &ambient_istiod } else { &sidecar_istiod };
        for cluster in spec["clusters"].as_array().expect("clusters") {
            let name = cluster["name"].as_str().expect("name");
            let remote = cluster["role"] == "remote";
            let mut renders = vec![("standalone", String::new())];
            if !remote {
                renders.push(("istiod", istiod.clone()));
            }
            for svc in spec["services"].as_array().into_iter().flatten() {
                if svc["clusters"].as_array().is_some_and(|c| c.contains(&json!(name))) {
                    renders.push(("service", service_stream(svc)));
                }
            }
            for (render, input) in renders {
                let opts = eastwest::Options { standalone: render == "standalone", ..options(&config, Some(name)) };
                let out = match eastwest::run(&input, &opts) {
                    Ok(out) => out,
                    // The one refusal a valid config meets: the standalone set cannot know
                    // the pods of a service configured without a selector.
                    Err(f) if render == "standalone" && f.error.to_string().contains(".selector") => continue,
                    Err(f) => panic!("{config} --cluster {name} ({render}): {}", f.error),
                };
                for obj in objects(&out).iter().filter(|v| generated(v)) {
                    let at = format!("{config} --cluster {name} ({render}): {:?}", key(obj));
                    let api = obj["apiVersion"].as_str().unwrap_or("");
                    if api.starts_with("networking.istio.io/") || api.starts_with("gateway.networking.k8s.io/") {
                        if let Err(problems) = crd_schema::validate_object(&schemas, obj) {
                            panic!("{at} is invalid:\n{}", problems.join("\n"));
                        }
                        istio_semantics(obj).unwrap_or_else(|e| panic!("{at}: {e}"));
                    } else if let Some(result) = validate_builtin(obj) {
                        result.unwrap_or_else(|e| panic!("{at}: {e}"));
                    } else {
                        continue;
                    }
                    let class = obj["spec"]["gatewayClassName"].as_str().map(|c| format!(" {c}")).unwrap_or_default();
                    kinds.insert(format!("{api} {}{class}", obj["kind"].as_str().unwrap_or("")));
                    validated += 1;
                }
            }
        }
    }
    for kind in [
        "apps/v1 Deployment",
        "autoscaling/v2 HorizontalPodAutoscaler",
        "gateway.networking.k8s.io/v1 Gateway istio-east-west",
        "gateway.networking.k8s.io/v1 Gateway istio-remote",
        "networking.istio.io/v1 DestinationRule",
        "networking.istio.io/v1 Gateway",
        "networking.istio.io/v1 ServiceEntry",
        "networking.istio.io/v1 VirtualService",
        "networking.istio.io/v1 WorkloadEntry",
        "rbac.authorization.k8s.io/v1 Role",
        "rbac.authorization.k8s.io/v1 RoleBinding",
        "v1 Namespace",
        "v1 Service",
        "v1 ServiceAccount",
    ] {
        assert!(kinds.contains(kind), "no {kind} was generated and validated: {kinds:?}");
    }
    assert!(validated >= 100, "only {validated} objects validated");
}

/// Guards the guards: a misplaced field in a built-in kind and a failover without outlier
/// detection must fail, or the test above proves nothing.
#[test]
fn the_checks_reject_broken_objects() {
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": "x"}, "spec": {"maxReplicas": 5, "minReplica": 1,
                     "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}}});
    assert!(validate_builtin(&hpa).is_some_and(|r| r.is_err()));
    let dr = json!({"kind": "DestinationRule", "spec": {"host": "a", "trafficPolicy": {"loadBalancer":
                    {"localityLbSetting": {"failover": [{"from": "us-east-1", "to": "eu-west-1"}]}}}}});
    assert!(istio_semantics(&dr).is_err());
    let we = json!({"kind": "WorkloadEntry", "spec": {"labels": {"app": "a"}}});
    assert!(istio_semantics(&we).is_err());
}
