//! KRM function conformance of the eastwest binary (ResourceList in, ResourceList out), as
//! kustomize (`--enable-exec`), kpt and other orchestrators run it. No external tools needed:
//! outputs are read with eastwest's own reader.
//!
//! What the KRM functions spec asks and these tests check:
//! - the answer is a `config.kubernetes.io/v1` ResourceList;
//! - items that came in keep their orchestrator annotations (`config.kubernetes.io/path`,
//!   `.../index`, `internal.config.kubernetes.io/*`, `kustomize.config.k8s.io/id`) exactly;
//! - items the function adds are complete objects with a (path, index) of their own;
//! - a failure exits 1 and still answers a ResourceList, with `results` saying why.

#[path = "support/common.rs"]
mod common;

use common::run_with_stdin;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use serde_json::{json, Value};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");

const PATH: &str = "config.kubernetes.io/path";
const INDEX: &str = "config.kubernetes.io/index";
const INTERNAL_PATH: &str = "internal.config.kubernetes.io/path";
const INTERNAL_INDEX: &str = "internal.config.kubernetes.io/index";
const KUSTOMIZE_ID: &str = "kustomize.config.k8s.io/id";
const ORCHESTRATOR_ANNOTATIONS: [&str; 5] = [PATH, INDEX, INTERNAL_PATH, INTERNAL_INDEX, KUSTOMIZE_ID];

/// The functionConfig used by every case (indented as a ResourceList field).
const FUNCTION_CONFIG: &str = "\
functionConfig:
  apiVersion: eastwest.dev/v1alpha1
  kind: MeshNetwork
  metadata:
    name: training-mesh
    annotations:
      config.kubernetes.io/local-config: 'true'
  spec:
    meshID: training-mesh
    trustDomain: corp.local
    cluster: us
    clusters:
    - name: us
      network: us-net
      locality: us-east-1
      gateway: {address: us-ew.example.com}
    - name: eu
      network: eu-net
      locality: eu-west-1
      gateway: {address: 203.0.113.10}
    services:
    - name: echo
      namespace: echo
      clusters: [eu]
      hosts: [echo.eu.mesh.local]
      ports: [{name: http, number: 80, protocol: HTTP}]
";

/// The annotation blocks of the input items, in the quoting styles kustomize and kpt use.
const NS_ANNOTATIONS: &str = "    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'resources.yaml'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'resources.yaml'
      kustomize.config.k8s.io/id: |
        kind: Namespace
        name: istio-system
        version: v1
";
const ISTIOD_ANNOTATIONS: &str = "    annotations:
      config.kubernetes.io/index: \"1\"
      config.kubernetes.io/path: \"resources.yaml\"
      internal.config.kubernetes.io/index: \"1\"
      internal.config.kubernetes.io/path: \"resources.yaml\"
      kustomize.config.k8s.io/id: |
        group: apps
        kind: Deployment
        name: istiod
        namespace: istio-system
        version: v1
";
const CM_ANNOTATIONS: &str = "    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'istio-system/configmap_unrelated.yaml'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'istio-system/configmap_unrelated.yaml'
      kustomize.config.k8s.io/id: |
        kind: ConfigMap
        name: unrelated
        namespace: istio-system
        version: v1
";

fn namespace_item(extra_metadata: &str) -> String {
    format!(
        "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: istio-system\n{extra_metadata}{NS_ANNOTATIONS}"
    )
}

fn istiod_item() -> String {
    format!(
        "- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: istiod
    namespace: istio-system
{ISTIOD_ANNOTATIONS}    labels:
      app: istiod
      istio: pilot
  spec:
    selector:
      matchLabels:
        istio: pilot
    template:
      metadata:
        labels:
          app: istiod
          istio: pilot
      spec:
        containers:
        - name: discovery
          image: registry.istio.io/testing/pilot:latest
          env:
          - name: CLUSTER_ID
            value: Kubernetes
"
    )
}

/// An object no transform touches: it must come out exactly as it went in.
fn unrelated_item() -> String {
    format!(
        "- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: unrelated
    namespace: istio-system
{CM_ANNOTATIONS}  data:
    key: \"value with  two spaces\"  # a comment
    other: 'x'
"
    )
}

fn resource_list(items: &[String], function_config: &str) -> String {
    let mut text = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for item in items {
        text.push_str(item);
    }
    text.push_str(function_config);
    text
}

fn eastwest(input: &str) -> Output {
    run_with_stdin(Command::new(EASTWEST).env_remove("HELM_PLUGIN_NAME"), input)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The output's single document as JSON, checked to be a config.kubernetes.io/v1 ResourceList.
fn resource_list_json(text: &str) -> Value {
    let input = eastwest::read::Input::parse(text).unwrap_or_else(|e| panic!("output does not parse: {e}\n{text}"));
    assert_eq!(input.shape, eastwest::read::Shape::ResourceList, "output is not a ResourceList:\n{text}");
    let docs: Vec<&eastwest::read::Doc> = input.docs.iter().filter(|d| !d.root.is_null()).collect();
    assert_eq!(docs.len(), 1, "output has {} documents:\n{text}", docs.len());
    // Every item must also read as a Kubernetes object.
    input.objects().unwrap_or_else(|e| panic!("output items: {e}\n{text}"));
    let root = eastwest::read::node_json(&docs[0].root);
    assert_eq!(root.get("apiVersion"), Some(&json!("config.kubernetes.io/v1")), "{text}");
    assert_eq!(root.get("kind"), Some(&json!("ResourceList")), "{text}");
    root
}

fn items(list: &Value) -> Vec<Value> {
    list.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
}

type Key = (String, String, String);

fn key(v: &Value) -> Key {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_owned();
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

fn annotation<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.pointer("/metadata/annotations").and_then(|a| a.get(name)).and_then(Value::as_str)
}

fn find<'a>(items: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    items.iter().find(|v| key(v) == (kind.to_owned(), ns.to_owned(), name.to_owned())).unwrap_or_else(|| {
        let have: Vec<Key> = items.iter().map(key).collect();
        panic!("no {kind} {ns}/{name} among the items: {have:#?}")
    })
}

/// Generated items are complete and each sits at a (path, index) of its own that no input
/// item uses; returns how many there were.
fn check_generated(input_items: &[Value], output_items: &[Value]) -> usize {
    let input_keys: BTreeSet<Key> = input_items.iter().map(key).collect();
    let mut taken: BTreeMap<(String, String), String> = BTreeMap::new();
    for item in input_items {
        if let (Some(p), Some(i)) = (annotation(item, PATH), annotation(item, INDEX)) {
            taken.insert((p.to_owned(), i.to_owned()), format!("input {:?}", key(item)));
        }
    }
    let mut generated = 0;
    for item in output_items.iter().filter(|v| !input_keys.contains(&key(v))) {
        generated += 1;
        let (kind, _, name) = key(item);
        assert!(
            item.get("apiVersion").and_then(Value::as_str).is_some_and(|s| !s.is_empty()),
            "generated item without apiVersion: {item:#}"
        );
        assert!(!kind.is_empty() && !name.is_empty(), "generated item without kind or metadata.name: {item:#}");
        let path = annotation(item, PATH).unwrap_or_else(|| panic!("generated {kind}/{name} has no {PATH}"));
        let index = annotation(item, INDEX).unwrap_or_else(|| panic!("generated {kind}/{name} has no {INDEX}"));
        assert_eq!(annotation(item, INTERNAL_PATH), Some(path), "generated {kind}/{name}: {INTERNAL_PATH}");
        assert_eq!(annotation(item, INTERNAL_INDEX), Some(index), "generated {kind}/{name}: {INTERNAL_INDEX}");
        assert!(index.parse::<u32>().is_ok(), "generated {kind}/{name}: index {index:?} is not a number");
        assert!(!path.is_empty() && !path.starts_with('/'), "generated {kind}/{name}: path {path:?}");
        if let Some(owner) = taken.insert((path.to_owned(), index.to_owned()), format!("generated {:?}", key(item))) {
            panic!("generated {kind}/{name} sits at ({path}, {index}), which {owner} already uses");
        }
    }
    generated
}

/// (a) Items keep the orchestrator's annotations, byte for byte; generated items are
/// complete and get their own path and index.
#[test]
fn resource_list_round_trip_keeps_annotations_and_adds_placed_items() {
    let input_items = [namespace_item(""), istiod_item(), unrelated_item()];
    let input = resource_list(&input_items, FUNCTION_CONFIG);
    let out = eastwest(&input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "exit status; stderr: {}\n{text}", stderr(&out));
    assert!(stderr(&out).is_empty(), "stderr on success: {}", stderr(&out));
    let list = resource_list_json(&text);
    let before = items(&resource_list_json(&input));
    let after = items(&list);

    for block in [NS_ANNOTATIONS, ISTIOD_ANNOTATIONS, CM_ANNOTATIONS] {
        assert!(text.contains(block), "annotation block not kept byte for byte:\n{block}\noutput:\n{text}");
    }
    assert!(text.contains(&unrelated_item()), "the untouched ConfigMap item changed:\n{text}");
    for item in &before {
        let (kind, ns, name) = key(item);
        let kept = find(&after, &kind, &ns, &name);
        for a in ORCHESTRATOR_ANNOTATIONS {
            assert_eq!(annotation(kept, a), annotation(item, a), "{kind} {ns}/{name}: annotation {a}");
        }
    }

    // The transforms ran on the items.
    let ns = find(&after, "Namespace", "", "istio-system");
    assert_eq!(ns.pointer("/metadata/labels/topology.istio.io~1network"), Some(&json!("us-net")));
    let istiod = find(&after, "Deployment", "istio-system", "istiod");
    assert_eq!(istiod.pointer("/spec/template/spec/containers/0/env/0/value"), Some(&json!("us")));

    let generated = check_generated(&before, &after);
    assert!(generated >= 3, "only {generated} generated items:\n{text}");
    find(&after, "Deployment", "istio-system", "istio-eastwestgateway");
    find(&after, "HorizontalPodAutoscaler", "istio-system", "istio-eastwestgateway");
    find(&after, "ServiceEntry", "echo", "echo-import");
    // Helm 4's file-name annotation is for Helm only.
    assert!(!text.contains("postrenderer.helm.sh"), "{text}");
}

/// A generated item must not land on a (path, index) an input item already holds, even
/// one under `eastwest/` (e.g. left there by an earlier function or a hand edit).
#[test]
fn generated_items_avoid_paths_input_items_hold() {
    let taken = "eastwest/istio-system_horizontalpodautoscaler_istio-eastwestgateway.yaml";
    let squatter = format!(
        "- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: squatter
    namespace: istio-system
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: '{taken}'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: '{taken}'
"
    );
    let input = resource_list(&[namespace_item(""), istiod_item(), squatter], FUNCTION_CONFIG);
    let out = eastwest(&input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let before = items(&resource_list_json(&input));
    let after = items(&resource_list_json(&text));
    find(&after, "HorizontalPodAutoscaler", "istio-system", "istio-eastwestgateway");
    check_generated(&before, &after);
}

/// (b) A bad functionConfig: exit 1, and a ResourceList whose results say why.
#[test]
fn bad_function_config_reports_error_result() {
    let bad = FUNCTION_CONFIG.replacen("    cluster: us\n", "    cluster: us\n    bogusField: 1\n", 1);
    assert_ne!(bad, FUNCTION_CONFIG);
    let input = resource_list(&[namespace_item(""), istiod_item()], &bad);
    let out = eastwest(&input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "exit status; stdout:\n{text}");
    let list = resource_list_json(&text);
    let results = list.get("results").and_then(Value::as_array).unwrap_or_else(|| panic!("no results:\n{text}"));
    assert!(!results.is_empty(), "empty results:\n{text}");
    assert_eq!(results[0].get("severity"), Some(&json!("error")), "{text}");
    let message = results[0].get("message").and_then(Value::as_str).unwrap_or("");
    assert!(message.contains("bogusField"), "message does not name the field: {message}");
    // The items are handed back unchanged.
    assert_eq!(items(&list), items(&resource_list_json(&input)));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "stderr is one line: {err}");
    assert!(err.contains("bogusField"), "{err}");
}

/// (c) A conflict on an item: the result points at the item and the field.
#[test]
fn conflict_on_item_reports_resource_ref_and_field() {
    let labelled = namespace_item("    labels:\n      topology.istio.io/network: eu-net\n");
    let input = resource_list(&[labelled, istiod_item()], FUNCTION_CONFIG);
    let out = eastwest(&input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "exit status; stdout:\n{text}");
    let list = resource_list_json(&text);
    let results = list.get("results").and_then(Value::as_array).unwrap_or_else(|| panic!("no results:\n{text}"));
    let first = &results[0];
    assert_eq!(first.get("severity"), Some(&json!("error")), "{text}");
    assert_eq!(
        first.get("resourceRef"),
        Some(&json!({"apiVersion": "v1", "kind": "Namespace", "name": "istio-system"})),
        "{text}"
    );
    let field =
        first.pointer("/field/path").and_then(Value::as_str).unwrap_or_else(|| panic!("no field.path:\n{text}"));
    assert!(field.starts_with("metadata.labels"), "field.path {field:?} does not name metadata.labels");
    assert!(field.contains("topology.istio.io/network"), "field.path {field:?} does not name the label");
    let message = first.get("message").and_then(Value::as_str).unwrap_or("");
    assert!(message.contains("eu-net") && message.contains("us-net"), "{message}");
}

/// The standalone set: what `eastwest generate --config` writes, as (kind, ns, name).
fn standalone_set() -> BTreeSet<Key> {
    let config_text: String =
        FUNCTION_CONFIG.lines().skip(1).map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l))).collect();
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "functionConfig".into(), text: config_text }),
        cluster: None,
        standalone: true,
    };
    let standalone = eastwest::run("", &options).unwrap_or_else(|f| panic!("standalone run: {}", f.error));
    let input = eastwest::read::Input::parse(&standalone).expect("standalone output parses");
    let objects = input.objects().expect("objects");
    let set: BTreeSet<Key> = objects.iter().map(|o| key(&eastwest::read::node_json(o.node))).collect();
    assert!(set.contains(&("Namespace".into(), String::new(), "istio-system".into())), "{set:?}");
    assert!(set.contains(&("Service".into(), "istio-system".into(), "istio-eastwestgateway".into())), "{set:?}");
    set
}

fn check_standalone_answer(input: &str) {
    let want = standalone_set();
    let out = eastwest(input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "input:\n{input}\nstderr: {}", stderr(&out));
    let after = items(&resource_list_json(&text));
    let got: BTreeSet<Key> = after.iter().map(key).collect();
    assert_eq!(got, want, "items differ from the standalone set:\n{text}");
    assert_eq!(after.len(), want.len(), "duplicate items:\n{text}");
    assert_eq!(check_generated(&[], &after), want.len());
}

/// An empty ResourceList as a filter gets nothing added: the standalone set is only ever
/// asked for, never inferred from missing input.
fn check_nothing_added(input: &str) {
    let out = eastwest(input);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "input:\n{input}\nstderr: {}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(items(&resource_list_json(&text)), Vec::<Value>::new(), "items were added:\n{text}");
}

/// The functionConfig of a KRM generator: the same config, annotated to ask for the set.
fn generator_config() -> String {
    FUNCTION_CONFIG.replacen(
        "      config.kubernetes.io/local-config: 'true'\n",
        &format!(
            "      config.kubernetes.io/local-config: 'true'\n      {}: 'true'\n",
            eastwest::STANDALONE_ANNOTATION
        ),
        1,
    )
}

/// (d) No items (`items: []`) in a filter: nothing is added.
#[test]
fn empty_items_get_nothing_added() {
    check_nothing_added(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{FUNCTION_CONFIG}"
    ));
}

/// (d) No `items` field at all (the spec allows leaving it out when there are none).
#[test]
fn missing_items_get_nothing_added() {
    check_nothing_added(&format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{FUNCTION_CONFIG}"));
}

/// A generator (`eastwest.dev/standalone: "true"` on the functionConfig) with no items:
/// the standalone set, as `eastwest generate --config` gives it.
#[test]
fn generator_empty_items_get_the_standalone_set() {
    let config = generator_config();
    assert!(config.contains(eastwest::STANDALONE_ANNOTATION), "{config}");
    check_standalone_answer(&format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{config}"));
}

/// A generator with no `items` field at all.
#[test]
fn generator_missing_items_get_the_standalone_set() {
    check_standalone_answer(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{}",
        generator_config()
    ));
}

/// The generator's ResourceList written as JSON (YAML's subset; kyaml-based orchestrators accept it).
#[test]
fn generator_empty_items_json_get_the_standalone_set() {
    let yaml = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{}", generator_config());
    let input = eastwest::read::Input::parse(&yaml).expect("parses");
    let json = serde_json::to_string(&eastwest::read::node_json(&input.docs[0].root)).expect("json");
    assert!(json.contains("\"items\":[]"), "{json}");
    check_standalone_answer(&json);
}

/// A generator annotation with any other value than "true" is not a request.
#[test]
fn generator_annotation_false_adds_nothing() {
    let config = generator_config().replace(
        &format!("{}: 'true'", eastwest::STANDALONE_ANNOTATION),
        &format!("{}: 'false'", eastwest::STANDALONE_ANNOTATION),
    );
    check_nothing_added(&format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{config}"));
}
