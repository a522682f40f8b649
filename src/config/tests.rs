use super::*;
use serde_json::json;

fn example() -> serde_json::Value {
    let text = include_str!("../../testdata/configs/two-clusters.yaml");
    let docs = parse_documents(text, 0).expect("example parses");
    crate::read::node_json(&docs[0].root)
}

fn with(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Mesh, Error> {
    let mut v = example();
    edit(&mut v);
    from_value(v, None)
}

fn error_of(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    with(edit).expect_err("config must be refused").to_string()
}

#[test]
fn the_readme_example_is_valid() {
    let mesh = with(|_| {}).expect("valid");
    assert_eq!(mesh.cluster().name, "us");
    assert_eq!(mesh.network(), "us-net");
    assert_eq!(mesh.spec.trust_domain, "corp.local");
    assert!(mesh.can_call("us", "eu") && mesh.can_call("eu", "us"));
}

#[test]
fn cluster_flag_overrides_the_file() {
    let mesh = from_value(example(), Some("eu")).expect("valid");
    assert_eq!(mesh.network(), "eu-net");
    let err = from_value(example(), Some("mars")).unwrap_err().to_string();
    assert!(err.contains("--cluster") && err.contains("\"mars\""), "{err}");
}

#[test]
fn every_bad_field_is_named() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["spec"]["bogus"] = json!(1)), "field spec.bogus: unknown field `bogus`"),
        (
            Box::new(|v| {
                v["spec"].as_object_mut().unwrap().remove("meshID");
            }),
            "missing field `meshID`",
        ),
        (Box::new(|v| v["spec"]["clusters"][0]["network"] = json!("us net!")), "field spec.clusters[0].network"),
        (
            Box::new(|v| v["spec"]["clusters"][1]["gateway"]["address"] = json!("not_an address")),
            "field spec.clusters[1].gateway.address",
        ),
        (Box::new(|v| v["spec"]["services"][0]["ports"][0]["number"] = json!(0)), "port 0 is outside 1-65535"),
        (Box::new(|v| v["spec"]["services"][0]["ports"][0]["number"] = json!(70000)), "port 70000 is outside 1-65535"),
        (Box::new(|v| v["spec"]["clusters"][1]["name"] = json!("us")), "duplicate cluster name \"us\""),
        (
            Box::new(|v| v["spec"]["clusters"][1]["network"] = json!("us-net")),
            "network \"us-net\" is used by two clusters",
        ),
        (
            Box::new(|v| v["spec"]["links"] = json!([{"from": "us", "to": "mars"}])),
            "field spec.links[0].to: unknown cluster \"mars\"",
        ),
        (
            Box::new(|v| v["spec"]["services"][0]["clusters"] = json!(["mars"])),
            "field spec.services[0].clusters[0]: unknown cluster",
        ),
        (Box::new(|v| v["spec"]["mode"] = json!("mesh")), "field spec.mode: unknown variant `mesh`"),
        (Box::new(|v| v["spec"]["clusters"][0]["locality"] = json!("a/b/c/d")), "field spec.clusters[0].locality"),
        (Box::new(|v| v["kind"] = json!("Mesh")), "field kind: must be MeshNetwork"),
        (
            Box::new(|v| v["spec"]["services"][0]["ports"][0]["protocol"] = json!("UDP")),
            "field spec.services[0].ports[0].protocol",
        ),
    ];
    for (edit, expected) in cases {
        let err = error_of(edit);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn links_are_one_way_unless_bidirectional() {
    let mesh = with(|v| v["spec"]["links"] = json!([{"from": "us", "to": "eu"}])).expect("valid");
    assert!(mesh.can_call("us", "eu"));
    assert!(!mesh.can_call("eu", "us"));
    let mesh =
        with(|v| v["spec"]["links"] = json!([{"from": "us", "to": "eu", "bidirectional": true}])).expect("valid");
    assert!(mesh.can_call("eu", "us"));
}

#[test]
fn schema_lists_the_contract_fields() {
    let schema = json_schema().to_string();
    for field in ["meshID", "trustDomain", "clusters", "services", "gateway", "locality", "links"] {
        assert!(schema.contains(&format!("\"{field}\"")), "{field} missing from schema");
    }
}
