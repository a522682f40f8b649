//! Every YAML form Kubernetes reads (sigs.k8s.io/yaml over go-yaml, YAML 1.1 rules) comes
//! out right: the output reads back, with the crate's own YAML 1.1 reader, as exactly the
//! input's data plus the intended change, and a second run changes nothing.

#[path = "support/common.rs"]
mod common;

use serde_json::{json, Value};

/// Cluster `us` on network `us-net`; workloads in namespace `apps` get the network label;
/// `us` imports `echo` from `eu`, so the mesh config gets DNS capture.
const MESH: &str = "apiVersion: eastwest.dev/v1alpha1
kind: MeshNetwork
metadata: {name: m}
spec:
  meshID: m
  trustDomain: corp.local
  cluster: us
  workloadNamespaces: [apps]
  clusters:
  - {name: us, network: us-net, gateway: {address: 192.0.2.1}}
  - {name: eu, network: eu-net, gateway: {address: 192.0.2.2}}
  services:
  - {name: echo, namespace: echo, clusters: [eu], hosts: [echo.eu.mesh.local], ports: [{name: http, number: 80}]}
";

const NET: &str = "topology.istio.io/network";

fn run(input: &str) -> Result<String, String> {
    let options = eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: "mesh.yaml".into(), text: MESH.into() }),
        cluster: None,
        standalone: false,
    };
    eastwest::run(input, &options).map_err(|f| f.error.to_string())
}

/// Run, check the output is a fixed point, and return it with its objects as data.
fn run_twice(input: &str) -> (String, Vec<Value>) {
    let out = run(input).unwrap_or_else(|e| panic!("eastwest failed: {e}\n{input}"));
    let again = run(&out).unwrap_or_else(|e| panic!("second run failed: {e}\n{out}"));
    assert_eq!(again, out, "a second run changed the output");
    let objects = common::objects(&out);
    (out, objects)
}

/// Set the value at a JSON pointer, creating mappings on the way.
fn set(value: &mut Value, pointer: &str, new: Value) {
    let mut slot = value;
    for part in pointer.trim_start_matches('/').split('/') {
        let key = part.replace("~1", "/").replace("~0", "~");
        if slot.is_null() {
            *slot = json!({});
        }
        slot = slot.as_object_mut().expect("a mapping on the way").entry(key).or_insert(Value::Null);
    }
    *slot = new;
}

/// The input's objects with `edit` applied must equal the output's first objects.
fn assert_means(input: &str, objects: &[Value], edit: impl FnOnce(&mut Vec<Value>)) {
    let mut expected = common::objects(input);
    edit(&mut expected);
    assert_eq!(&objects[..expected.len()], &expected[..]);
}

#[test]
fn anchored_block_mapping_takes_the_entry_at_its_keys_column() {
    let input =
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels: &nslabels\n    team: mesh\n";
    let (out, objects) = run_twice(input);
    assert!(out.contains("  labels: &nslabels\n    team: mesh\n    topology.istio.io/network: us-net\n"), "{out}");
    assert_means(input, &objects, |e| set(&mut e[0], "/metadata/labels/topology.istio.io~1network", json!("us-net")));
}

#[test]
fn tagged_block_mapping_takes_the_entry_at_its_keys_column() {
    let input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels: !!map\n    team: mesh\n";
    let (_, objects) = run_twice(input);
    assert_means(input, &objects, |e| set(&mut e[0], "/metadata/labels/topology.istio.io~1network", json!("us-net")));
}

#[test]
fn anchored_mapping_inside_the_embedded_mesh_config() {
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    defaultConfig:\n      proxyMetadata: &pm\n        ISTIO_META_X: \"1\"\n    trustDomain: cluster.local\n";
    let (_, objects) = run_twice(input);
    let mesh = objects[0].pointer("/data/mesh").and_then(Value::as_str).expect("mesh");
    let data = common::objects(&format!("apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nspec:\n{}", indent(mesh)));
    assert_eq!(
        data[0]["spec"],
        json!({"defaultConfig": {"meshId": "m", "proxyMetadata": {"ISTIO_META_X": "1", "ISTIO_META_DNS_CAPTURE": "true"}}, "trustDomain": "corp.local"})
    );
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// `labels: &l {app: api}` … `selector: *l`: Kubernetes reads each alias as a copy, so
/// labelling the pods must not change the Deployment's selector or its own labels.
#[test]
fn aliases_of_an_edited_mapping_keep_their_meaning() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: apps\n  labels: &l {app: api}\nspec:\n  selector:\n    matchLabels: *l\n  template:\n    metadata:\n      labels: *l\n    spec:\n      containers:\n      - {name: api, image: api}\n";
    let (_, objects) = run_twice(input);
    assert_means(input, &objects, |e| {
        set(&mut e[0], "/spec/template/metadata/labels/topology.istio.io~1network", json!("us-net"))
    });
    assert_eq!(objects[0].pointer("/spec/selector/matchLabels"), Some(&json!({"app": "api"})));
}

/// The same with the anchor on the pod template's labels, which the edit changes: the
/// aliases after it are written out as copies of the old value.
#[test]
fn an_edited_anchor_leaves_its_aliases_as_they_were() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: apps}\nspec:\n  template:\n    metadata:\n      labels: &l\n        app: api\n    spec:\n      containers:\n      - {name: api, image: api}\n  selector:\n    matchLabels: *l\n";
    let (_, objects) = run_twice(input);
    assert_means(input, &objects, |e| {
        set(&mut e[0], "/spec/template/metadata/labels/topology.istio.io~1network", json!("us-net"))
    });
    assert_eq!(objects[0].pointer("/spec/selector/matchLabels"), Some(&json!({"app": "api"})));
}

/// `labels: *labels` on a gateway's pods and `selector: *gw` on its Service: read through
/// (the gateway is recognised, its Service found) and edited as copies.
#[test]
fn values_reached_through_an_alias_are_read_and_edited_as_copies() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ew\n  namespace: istio-system\n  labels: &gw\n    istio: eastwestgateway\nspec:\n  selector:\n    matchLabels: *gw\n  template:\n    metadata:\n      labels: *gw\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxyv2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ew\n  namespace: istio-system\n  labels: {app: ew}\nspec:\n  selector: &sel {istio: eastwestgateway}\n  ports:\n  - {name: tls, port: 15443}\n";
    let (_, objects) = run_twice(input);
    assert_eq!(objects[0].pointer("/spec/template/metadata/labels/topology.istio.io~1network"), Some(&json!("us-net")));
    assert_eq!(objects[0].pointer("/metadata/labels"), Some(&json!({"istio": "eastwestgateway"})));
    assert_eq!(objects[0].pointer("/spec/selector/matchLabels"), Some(&json!({"istio": "eastwestgateway"})));
    assert_eq!(objects[1].pointer("/metadata/labels"), Some(&json!({"app": "ew", NET: "us-net"})));
}

/// `metadata: {<<: {labels: {app: db}}}`: the merged labels stay, so the selector still
/// matches.
#[test]
fn labels_from_a_merge_key_are_kept() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: apps}\nspec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {<<: {labels: {app: db}}}\n    spec:\n      containers:\n      - {name: db, image: db}\n";
    let (_, objects) = run_twice(input);
    assert_eq!(objects[0].pointer("/spec/template/metadata/labels"), Some(&json!({"app": "db", NET: "us-net"})));
}

#[test]
fn merged_block_mapping_keeps_its_merged_keys() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: apps}\nbase: &base\n  labels:\n    app: db\nspec:\n  template:\n    metadata:\n      <<: *base\n      annotations: {a: b}\n    spec:\n      containers:\n      - {name: db, image: db}\n";
    let (_, objects) = run_twice(input);
    assert_means(input, &objects, |e| {
        set(&mut e[0], "/spec/template/metadata/labels/topology.istio.io~1network", json!("us-net"))
    });
}

#[test]
fn keep_chomping_scalar_before_the_insert_point_keeps_its_blank_lines() {
    let input = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels:\n    team: mesh\n  annotations:\n    note: |+\n      keep\n\n\n";
    let (_, objects) = run_twice(input);
    assert_eq!(objects[0].pointer("/metadata/annotations/note"), Some(&json!("keep\n\n\n")));
    assert_means(input, &objects, |e| set(&mut e[0], "/metadata/labels/topology.istio.io~1network", json!("us-net")));
    let last =
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n  labels:\n    note: |+\n      keep\n\n";
    let (_, objects) = run_twice(last);
    assert_means(last, &objects, |e| set(&mut e[0], "/metadata/labels/topology.istio.io~1network", json!("us-net")));
}

const ISTIOD_ITEM: &str = "  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: istiod\n    namespace: istio-system\n  spec:\n    template:\n      metadata:\n        labels: {app: istiod}\n      spec:\n        containers:\n        - name: discovery\n          image: pilot\n";

/// kpt sends `- # comment` before each item (kustomization-examples/krm-exec): the
/// generated items must be indented like the existing ones.
#[test]
fn comment_after_the_dash_in_a_resource_list() {
    let input = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # istiod\n{ISTIOD_ITEM}- # the namespace\n  apiVersion: v1\n  kind: Namespace\n  metadata: {{name: istio-system}}\n"
    );
    let (out, objects) = run_twice(&input);
    assert!(objects.len() > 5, "generated items appended: {out}");
    assert_eq!(objects[1].pointer("/metadata/labels"), Some(&json!({NET: "us-net"})));
    assert_eq!(
        objects[0].pointer("/spec/template/spec/containers/0/env"),
        Some(&json!([{"name": "CLUSTER_ID", "value": "us"}]))
    );
    assert!(
        objects.iter().any(|o| o["kind"] == "ServiceAccount" && o["metadata"]["name"] == "istio-eastwestgateway"),
        "{out}"
    );
}

#[test]
fn comment_after_the_dash_in_a_kind_list() {
    let input = format!("apiVersion: v1\nkind: List\nitems:\n-   # istiod, indented items\n  {}", &ISTIOD_ITEM[2..]);
    let (out, objects) = run_twice(&input);
    assert!(objects.len() > 5, "{out}");
    assert!(out.contains("\n- apiVersion: v1\n  kind: ServiceAccount\n"), "{out}");
}

/// go-yaml accepts a tab after `:` in a flow mapping.
#[test]
fn tab_after_colon_in_a_flow_mapping() {
    let input = "apiVersion: v1\nkind: Namespace\nmetadata: {name:\tistio-system, labels: {team:\tmesh}}\n";
    let (_, objects) = run_twice(input);
    assert_eq!(objects[0].pointer("/metadata/labels"), Some(&json!({"team": "mesh", NET: "us-net"})));
}

#[test]
fn objects_in_a_list_inside_a_list_are_seen() {
    let input = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: istio-system\n";
    let (_, objects) = run_twice(input);
    assert_eq!(objects[0].pointer("/metadata/labels"), Some(&json!({NET: "us-net"})));
    // A List document among others in a stream, too.
    let stream = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a, namespace: apps}}\n---\n{input}");
    let (_, objects) = run_twice(&stream);
    assert_eq!(objects[1].pointer("/metadata/labels"), Some(&json!({NET: "us-net"})));
}

#[test]
fn crlf_streams_get_crlf_generated_documents() {
    let input =
        format!("{}\r\n", ISTIOD_ITEM.lines().map(|l| l.get(2..).unwrap_or("")).collect::<Vec<_>>().join("\r\n"));
    let (out, objects) = run_twice(&input);
    assert!(objects.len() > 5);
    let bare = out.match_indices('\n').filter(|(i, _)| *i == 0 || out.as_bytes()[i - 1] != b'\r').count();
    assert_eq!(bare, 0, "every line ends with CRLF:\n{out}");
}

/// An anchored value the config replaces (`value: &cluster Kubernetes`, repeated by
/// `*cluster`): the value changes, and the alias keeps meaning the old one.
#[test]
fn an_anchored_value_is_replaced_and_its_alias_keeps_the_old_one() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  template:\n    metadata:\n      labels: {app: istiod}\n    spec:\n      containers:\n      - name: discovery\n        image: pilot\n        env:\n        - name: CLUSTER_ID\n          value: &cluster Kubernetes\n        - name: ISTIO_META_CLUSTER_ID\n          value: *cluster\n";
    let (_, objects) = run_twice(input);
    assert_eq!(
        objects[0].pointer("/spec/template/spec/containers/0/env"),
        Some(&json!([{"name": "CLUSTER_ID", "value": "us"}, {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}]))
    );
}

/// A Service whose selector is an alias (`selector: *l`) is in the stream: its exporting
/// ServiceEntry selects the pods it names (cluster eu runs `echo` in two-clusters.yaml).
#[test]
fn a_service_selector_reached_through_an_alias_is_read() {
    let input = "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  namespace: echo\n  labels: &l {app: echo}\nspec:\n  selector: *l\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n";
    let out = common::run(input, "testdata/configs/two-clusters.yaml", Some("eu"));
    let objects = common::objects(&out);
    let export = objects.iter().find(|o| o["metadata"]["name"] == "echo-export").expect("echo-export");
    assert_eq!(export.pointer("/spec/workloadSelector/labels"), Some(&json!({"app": "echo"})), "{out}");
    assert_eq!(objects[0], common::objects(input)[0], "the Service itself is unchanged");
}
