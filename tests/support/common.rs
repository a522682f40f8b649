// Shared helpers for the integration tests (included with #[path]; not every test file
// uses every helper).
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real rendered charts, kept in the checkout (testdata/corpus/README.md names their sources).
pub fn corpus() -> PathBuf {
    repo().join("testdata/corpus")
}

pub fn read(path: impl AsRef<std::path::Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn options(config: &str, cluster: Option<&str>) -> eastwest::Options {
    eastwest::Options {
        config: Some(eastwest::ConfigFile { origin: config.to_owned(), text: read(repo().join(config)) }),
        cluster: cluster.map(str::to_owned),
        standalone: false,
    }
}

pub fn run(input: &str, config: &str, cluster: Option<&str>) -> String {
    eastwest::run(input, &options(config, cluster)).unwrap_or_else(|f| panic!("eastwest failed: {}", f.error))
}

/// The cluster's standalone set, as `eastwest generate --config CONFIG [--cluster NAME]` writes it.
pub fn generate(config: &str, cluster: Option<&str>) -> String {
    let options = eastwest::Options { standalone: true, ..options(config, cluster) };
    eastwest::run("", &options).unwrap_or_else(|f| panic!("eastwest generate failed: {}", f.error))
}

/// Every object of a stream as JSON, read the way Kubernetes reads YAML.
pub fn objects(text: &str) -> Vec<Value> {
    let input = eastwest::read::Input::parse(text).unwrap_or_else(|e| panic!("output does not parse: {e}"));
    let objects = input.objects().unwrap_or_else(|e| panic!("output objects: {e}"));
    objects.iter().map(|o| eastwest::read::node_json(o.node)).collect()
}

pub fn key(v: &Value) -> (String, String, String) {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_owned();
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

/// JSON-pointer paths where `a` and `b` differ (a whole array when lengths differ).
pub fn diff_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff_paths(p, q, &child, out),
                    _ => out.push(child),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_paths(p, q, &format!("{path}/{i}"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(path.to_owned()),
    }
}

/// Run `cmd` with `input` on stdin (written from a thread, so a large input cannot
/// deadlock against a full stdout pipe) and collect its output.
pub fn run_with_stdin(cmd: &mut std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let text = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("stdin writer").expect("write stdin");
    out
}

/// A process's output as text (lossy: messages may hold any byte).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Assert a command succeeded, showing its stderr and stdout when not; its stdout.
pub fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstderr:\n{}\nstdout:\n{}",
        out.status,
        text(&out.stderr),
        text(&out.stdout)
    );
    text(&out.stdout)
}
