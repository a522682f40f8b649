//! The real rendered charts through eastwest: everything it does not mean to change comes
//! out exactly as it went in (byte for byte per untouched document), and a YAML 1.1-faithful
//! reading of input and output differs only at the fields eastwest owns.

#[path = "support/common.rs"]
mod common;

use common::*;
use serde_json::Value;

const CONFIG: &str = "testdata/configs/two-clusters.yaml";

/// Fields eastwest may change in an existing object (JSON pointers, as prefixes).
fn allowed(kind: &str, path: &str) -> bool {
    const NETWORK: &str = "topology.istio.io~1network";
    let label = path == format!("/metadata/labels/{NETWORK}")
        || path == format!("/spec/template/metadata/labels/{NETWORK}")
        || (path == "/metadata/labels" || path == "/spec/template/metadata/labels");
    let env = path.starts_with("/spec/template/spec/containers/") && path.contains("/env");
    let config_map = kind == "ConfigMap" && ["/data/values", "/data/mesh", "/data/meshNetworks"].contains(&path);
    label || env || config_map
}

/// What may change inside the ConfigMaps' embedded documents.
fn embedded_allowed(field: &str, path: &str) -> bool {
    match field {
        "/data/values" => ["/global/network", "/global/meshID", "/global/multiCluster/clusterName"].contains(&path),
        "/data/mesh" => {
            ["/trustDomain", "/defaultConfig/meshId"].contains(&path)
                || path.starts_with("/defaultConfig/proxyMetadata")
        }
        "/data/meshNetworks" => path.starts_with("/networks"),
        _ => false,
    }
}

fn parse_embedded(field: &str, text: &str) -> Value {
    if field == "/data/values" {
        return serde_json::from_str(text).expect("values JSON");
    }
    objects_of_any(text)
}

fn objects_of_any(text: &str) -> Value {
    let docs = eastwest::yaml::parse_documents(text, 0).expect("embedded YAML");
    docs.first().map(|d| eastwest::read::node_json(&d.root)).unwrap_or(Value::Null)
}

/// The text of each object's document, keyed like the objects.
fn doc_texts(text: &str) -> Vec<((String, String, String), String)> {
    let input = eastwest::read::Input::parse(text).expect("parses");
    input
        .objects()
        .expect("objects")
        .iter()
        .map(|o| {
            let doc = &input.docs[o.doc];
            (key(&eastwest::read::node_json(o.node)), text[doc.start..doc.end].to_owned())
        })
        .collect()
}

fn check_file(name: &str) -> (usize, usize) {
    let input = read(corpus().join(name));
    let output = run(&input, CONFIG, None);
    assert_eq!(run(&output, CONFIG, None), output, "{name}: not idempotent");

    let before = objects(&input);
    let after = objects(&output);
    let texts_before = doc_texts(&input);
    let texts_after = doc_texts(&output);
    let mut changed = 0;
    for (i, old) in before.iter().enumerate() {
        let k = key(old);
        let new =
            after.iter().find(|v| key(v) == k).unwrap_or_else(|| panic!("{name}: {k:?} is missing from the output"));
        if old == new {
            // Untouched: the whole document, comments and quoting included, is unchanged.
            let (_, a) = &texts_before[i];
            let (_, b) = texts_after.iter().find(|(kk, _)| kk == &k).expect("text");
            assert_eq!(a, b, "{name}: untouched {k:?} changed bytes");
            continue;
        }
        changed += 1;
        let mut paths = Vec::new();
        diff_paths(old, new, "", &mut paths);
        for path in paths {
            assert!(allowed(&k.0, &path), "{name}: {k:?} changed at {path}, which eastwest does not own");
            if k.0 == "ConfigMap" {
                let field = path.as_str();
                let a = parse_embedded(field, old.pointer(field).and_then(Value::as_str).unwrap_or(""));
                let b = parse_embedded(field, new.pointer(field).and_then(Value::as_str).unwrap_or(""));
                let mut inner = Vec::new();
                diff_paths(&a, &b, "", &mut inner);
                for p in inner {
                    assert!(embedded_allowed(field, &p), "{name}: {k:?} {field} changed at {p}");
                }
            }
        }
    }
    let has_istiod = before.iter().any(|v| key(v).0 == "Deployment" && key(v).2 == "istiod");
    let added: Vec<&Value> = after.iter().filter(|v| !before.iter().any(|o| key(o) == key(v))).collect();
    for v in &added {
        assert_eq!(
            v.pointer("/metadata/labels/app.kubernetes.io~1created-by").and_then(Value::as_str),
            Some("eastwest"),
            "{name}: added object {:?} lacks provenance",
            key(v)
        );
    }
    assert_eq!(!added.is_empty(), has_istiod, "{name}: generated objects go with istiod only");
    (changed, added.len())
}

#[test]
fn corpus_keeps_what_it_does_not_own() {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .expect("testdata/corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "corpus incomplete: {names:?}");
    let mut report = Vec::new();
    for name in &names {
        let (changed, added) = check_file(name);
        report.push((name.clone(), changed, added));
    }
    let get = |n: &str| report.iter().find(|r| r.0 == n).map(|r| (r.1, r.2)).expect("in corpus");
    // istiod: injector values, mesh config and the Deployment's env change; the set is added.
    assert_eq!(get("istiod.yaml").0, 3, "{report:?}");
    assert!(get("istiod.yaml").1 >= 7, "{report:?}");
    // ztunnel: its DaemonSet gets NETWORK, ISTIO_META_CLUSTER_ID and the pod label.
    assert_eq!(get("ztunnel.yaml"), (1, 0));
    // An ingress gateway gets the network label on its pods only: its Service exposes
    // neither 15443 nor 15008, so it is no network gateway (issue 10 item 9).
    assert_eq!(get("gateway.yaml"), (1, 0));
    // Unrelated charts come through untouched.
    for other in ["argo-cd.yaml", "kube-prometheus-stack.yaml", "podinfo.yaml", "istio-base.yaml"] {
        assert_eq!(get(other), (0, 0), "{other}");
    }
}

#[test]
fn untouched_streams_are_byte_identical() {
    for name in ["argo-cd.yaml", "kube-prometheus-stack-crds.yaml", "podinfo.yaml", "istio-base.yaml"] {
        let input = read(corpus().join(name));
        assert!(run(&input, CONFIG, None) == input, "{name} changed");
    }
}

#[test]
fn helm_post_renderer_inputs_keep_their_framing() {
    for (name, marker) in [
        ("postrender-input-helm3-istiod.yaml", "# Source: istiod/templates/deployment.yaml"),
        (
            "postrender-input-helm4-istiod.yaml",
            "postrenderer.helm.sh/postrender-filename: 'istiod/templates/deployment.yaml'",
        ),
    ] {
        let input = read(corpus().join(name));
        let output = run(&input, CONFIG, None);
        assert!(output.contains(marker), "{name}: lost {marker}");
        let sources_in = input.matches("# Source:").count();
        assert_eq!(output.matches("# Source:").count(), sources_in, "{name}");
    }
    let helm4 = run(&read(corpus().join("postrender-input-helm4-istiod.yaml")), CONFIG, None);
    for v in objects(&helm4) {
        let file = v.pointer("/metadata/annotations/postrenderer.helm.sh~1postrender-filename").and_then(Value::as_str);
        assert!(file.is_some_and(|f| !f.starts_with("generated-by-postrender")), "{:?} has no file name", key(&v));
    }
}
