//! A List or ResourceList is read item by item, as a stream is document by document
//! (issue "never writes a wrong stream", memory on many small documents): items nothing
//! reads keep only their identity, edited items are checked alone. These tests hold the
//! result to what the same objects give as a plain stream, read back as data.

#[path = "support/common.rs"]
mod common;

use serde_json::Value;

/// Two clusters, with a workload namespace: its Deployments get the network label on their
/// pods, every other Deployment is only read (and so kept by its identity alone).
const CONFIG: &str = "\
apiVersion: eastwest.dev/v1alpha1
kind: MeshNetwork
metadata: {name: items}
spec:
  meshID: items
  cluster: us
  workloadNamespaces: [apps]
  clusters:
  - {name: us, network: us-net, gateway: {address: 192.0.2.1}}
  - {name: eu, network: eu-net, gateway: {address: 192.0.2.2}}
";

fn options(config: Option<&str>) -> eastwest::Options {
    eastwest::Options {
        config: config.map(|text| eastwest::ConfigFile { origin: "mesh.yaml".into(), text: text.into() }),
        ..Default::default()
    }
}

fn deployment(i: usize, ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: {ns}\n  labels: {{app: app-{i}}}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n        args: |\n          --port=80\n"
    )
}

/// The istiod chart, then small Deployments and ConfigMaps in and out of the workload
/// namespace, ending with a Deployment that is edited (so its item is cut down in memory
/// and generated items are added right after it).
fn documents() -> Vec<String> {
    let istiod = common::read(common::corpus().join("istiod.yaml"));
    let mut docs: Vec<String> = eastwest::read::split_chunks(&istiod)
        .into_iter()
        .map(|(start, end)| {
            istiod[start..end].lines().filter(|l| !l.starts_with("---")).map(|l| format!("{l}\n")).collect()
        })
        .filter(|d: &String| d.lines().any(|l| l.starts_with("kind:")))
        .collect();
    for i in 0..40 {
        docs.push(deployment(i, if i % 4 == 0 { "apps" } else { "default" }));
        docs.push(format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: default\ndata:\n  key: value-{i}\n"));
    }
    docs.push(deployment(99, "apps"));
    docs
}

fn as_stream(docs: &[String]) -> String {
    docs.iter().map(|d| format!("---\n{d}")).collect()
}

/// Each document as an item: its first line after the dash, the rest indented under it.
fn as_items(docs: &[String]) -> String {
    let mut out = String::new();
    for doc in docs {
        let mut first = true;
        for line in doc.lines() {
            let prefix = if line.is_empty() {
                ""
            } else if first && !line.starts_with('#') {
                first = false;
                "- "
            } else {
                "  "
            };
            out.push_str(prefix);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn resource_list(docs: &[String]) -> String {
    let function_config: String = CONFIG.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{}functionConfig:\n{function_config}",
        as_items(docs)
    )
}

/// An object without the annotations KRM orchestrators use to place items (the function
/// gives its generated items a path and an index of their own).
fn without_placement(mut v: Value) -> Value {
    if let Some(Value::Object(annotations)) = v.pointer_mut("/metadata/annotations") {
        annotations.retain(|k, _| !k.contains("config.kubernetes.io/"));
        if annotations.is_empty() {
            if let Some(Value::Object(metadata)) = v.pointer_mut("/metadata") {
                metadata.remove("annotations");
            }
        }
    }
    v
}

fn assert_same_objects(list_output: &[Value], stream_output: &[Value]) {
    assert_eq!(list_output.len(), stream_output.len(), "object counts");
    for (i, (a, b)) in list_output.iter().zip(stream_output).enumerate() {
        let (a, b) = (without_placement(a.clone()), without_placement(b.clone()));
        let mut diff = Vec::new();
        common::diff_paths(&a, &b, "", &mut diff);
        assert!(diff.is_empty(), "object {i} {:?} differs at {diff:?}", common::key(&b));
    }
}

#[test]
fn a_resource_list_renders_its_items_as_the_same_objects_render_as_a_stream() {
    let docs = documents();
    let stream = eastwest::run(&as_stream(&docs), &options(Some(CONFIG))).expect("stream renders");
    let stream_objects = common::objects(&stream);
    assert!(stream_objects.len() > docs.len(), "the mesh adds objects (east-west gateway, ...)");

    let input = resource_list(&docs);
    // The config is only in the functionConfig, after the items: it is found first anyway,
    // and the Deployments outside `apps` are kept by their identity alone.
    let parsed = eastwest::read::Input::parse_keeping(&input, eastwest::read::Keep::Transforms).expect("parses");
    let guessed = eastwest::read::Input::parse_pruned(&input, eastwest::read::Keep::Transforms, Some(&["apps".into()]))
        .expect("parses");
    assert!(guessed.docs[0].item_identities().len() > parsed.docs[0].item_identities().len());
    assert!(parsed.docs[0].item_identities().len() >= 40, "ConfigMaps and Services nothing reads");

    let output = eastwest::run(&input, &options(None)).expect("resource list renders");
    let out = eastwest::read::Input::parse(&output).expect("the output reads back");
    assert_eq!(out.shape, eastwest::read::Shape::ResourceList);
    let list_objects: Vec<Value> =
        out.objects().expect("objects").iter().map(|o| eastwest::read::node_json(o.node)).collect();
    assert_same_objects(&list_objects, &stream_objects);
    // The edited last item is whole, with its pod template's label, before the new items.
    let last = &list_objects[docs.len() - 1];
    assert_eq!(last.pointer("/metadata/name"), Some(&Value::from("app-99")));
    assert_eq!(last.pointer("/spec/template/metadata/labels/topology.istio.io~1network"), Some(&Value::from("us-net")));
    assert_eq!(last.pointer("/spec/template/spec/containers/0/args"), Some(&Value::from("--port=80\n")));
    // Idempotent: the output is its own output.
    assert_eq!(eastwest::run(&output, &options(None)).expect("second run"), output);
}

#[test]
fn a_list_renders_its_items_as_the_same_objects_render_as_a_stream() {
    let docs = documents();
    let stream = common::objects(&eastwest::run(&as_stream(&docs), &options(Some(CONFIG))).expect("stream"));
    for items in [as_items(&docs), as_items(&docs).lines().map(|l| format!("  {l}\n")).collect::<String>()] {
        let input = format!("apiVersion: v1\nkind: List\nitems:\n{items}");
        let output = eastwest::run(&input, &options(Some(CONFIG))).expect("list renders");
        assert_same_objects(&common::objects(&output), &stream);
    }
}

/// A text that looks like a config but is not the one the input holds: the input is read
/// again with nothing pruned, so the real config's workloads are still edited.
#[test]
fn a_wrong_guess_of_the_config_is_read_again_in_full() {
    let decoy: String = CONFIG.replace("[apps]", "[elsewhere]").lines().map(|l| format!("  {l}\n")).collect();
    let docs = documents();
    let input = format!(
        "apiVersion: example.com/v1\nkind: Holder\nmetadata: {{name: decoy}}\nfunctionConfig:\n{decoy}---\n{CONFIG}{}",
        as_stream(&docs)
    );
    let output = common::objects(&eastwest::run(&input, &options(None)).expect("renders"));
    let labelled = output
        .iter()
        .filter(|o| o.pointer("/spec/template/metadata/labels/topology.istio.io~1network").is_some())
        .filter(|o| o.pointer("/metadata/namespace") == Some(&Value::from("apps")))
        .count();
    assert_eq!(labelled, 11, "every Deployment in apps is labelled");
}

/// The same objects as one JSON List (what `kubectl get -o json` writes): read item by
/// item by the fast reader, each edited item checked alone.
#[test]
fn a_json_list_renders_its_items_as_the_same_objects_render_as_a_stream() {
    let docs = documents();
    let stream = common::objects(&eastwest::run(&as_stream(&docs), &options(Some(CONFIG))).expect("stream"));
    let items: Vec<Value> = docs.iter().flat_map(|d| common::objects(d)).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    for input in [serde_json::to_string_pretty(&list).expect("json"), list.to_string()] {
        let parsed =
            eastwest::read::Input::parse_pruned(&input, eastwest::read::Keep::Transforms, Some(&["apps".into()]))
                .expect("parses");
        assert!(parsed.docs[0].item_identities().len() >= 40, "items nothing reads: identity only");
        let output = eastwest::run(&input, &options(Some(CONFIG))).expect("json list renders");
        assert!(output.trim_start().starts_with('{'), "answered as JSON");
        assert_same_objects(&common::objects(&output), &stream);
        assert_eq!(eastwest::run(&output, &options(Some(CONFIG))).expect("second run"), output, "idempotent");
    }
}
