//! The bad-input table: what the built `eastwest` answers to broken, hostile or odd input.
//!
//! Every error row checks the whole contract: exit code 1 (2 for usage), nothing on stdout,
//! exactly one line on stderr starting `eastwest: `, naming the document and/or the field.
//! Accepted rows check exit 0 and an empty stderr.
//!
//! Inputs live in `testdata/bad-input/` when they are readable, and are generated here when
//! they are huge or binary. `testdata/bad-input/TABLE.md` shows what each row answers;
//! regenerate it after a change of messages with
//!
//!     EASTWEST_WRITE_TABLE=1 cargo test --test bad_input table
//!
//! Without that variable the `table` test only checks that TABLE.md has a row for each case.

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_eastwest");
/// A run that takes longer than this is a hang.
const DEADLINE: Duration = Duration::from_secs(60);
const GIB: u64 = 1024 * 1024 * 1024;
/// The default of `--max-input-bytes`.
const DEFAULT_LIMIT: u64 = 512 * 1024 * 1024;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bad(name: &str) -> String {
    root().join("testdata/bad-input").join(name).display().to_string()
}

/// testdata/configs/two-clusters.yaml: renders cluster `us` on network `us-net`.
fn mesh_config() -> String {
    root().join("testdata/configs/two-clusters.yaml").display().to_string()
}

// --- running the binary ------------------------------------------------------------------

/// What a run printed and how it ended.
struct Outcome {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
    /// Bytes of stdin the child took before it stopped reading.
    fed: u64,
    elapsed: Duration,
}

impl Outcome {
    fn describe(&self) -> String {
        format!(
            "status {:?}, {} bytes on stdout, {} bytes fed, {:?}\nstderr:\n{}",
            self.status,
            self.stdout.len(),
            self.fed,
            self.elapsed,
            self.stderr
        )
    }
}

/// Where stdin comes from: bytes, or `total` bytes of `chunk` repeated, written by a thread
/// as the child reads them (never all in memory on this side).
enum Feed {
    Bytes(Vec<u8>),
    Stream { chunk: Vec<u8>, total: u64 },
}

/// Write the feed to the child's stdin; a closed pipe (the child stopped reading) just
/// ends the feed. Returns how many bytes went in.
fn feeder(mut stdin: std::process::ChildStdin, feed: Feed) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut fed = 0u64;
        // write() rather than write_all(), so a partly taken chunk still counts.
        let mut write = |mut buf: &[u8], fed: &mut u64| -> bool {
            while !buf.is_empty() {
                match stdin.write(buf) {
                    Ok(0) => return false,
                    Ok(n) => {
                        *fed += n as u64;
                        buf = &buf[n..];
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => return false,
                    Err(e) => panic!("writing stdin: {e}"),
                }
            }
            true
        };
        match feed {
            Feed::Bytes(bytes) => {
                write(&bytes, &mut fed);
            }
            Feed::Stream { chunk, total } => while fed < total && write(&chunk, &mut fed) {},
        }
        fed
    })
}

fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        out
    })
}

/// Wait for the child, killing it (and failing) when it hangs.
fn wait(child: &mut Child, start: Instant) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("wait for eastwest") {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("eastwest did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Run eastwest with `args`, stdin from `feed`; `close_stdout` drops the reading end of
/// stdout at once (a consumer that went away).
fn run_with(args: &[String], feed: Feed, close_stdout: bool) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start eastwest");
    let stdout = child.stdout.take().expect("stdout");
    let stdout = if close_stdout {
        drop(stdout);
        None
    } else {
        Some(reader(stdout))
    };
    let stderr = reader(child.stderr.take().expect("stderr"));
    let fed = feeder(child.stdin.take().expect("stdin"), feed);
    let status = wait(&mut child, start);
    let elapsed = start.elapsed();
    Outcome {
        status,
        stdout: stdout.map(|h| h.join().expect("stdout reader")).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
        fed: fed.join().expect("stdin feeder"),
        elapsed,
    }
}

// --- the rows --------------------------------------------------------------------------------

/// Stdin of a row.
enum Input {
    /// A file in testdata/bad-input/.
    File(&'static str),
    Text(&'static str),
    Generated(fn() -> Vec<u8>),
}

/// Command-line arguments of a row.
enum Args {
    /// `--config testdata/configs/two-clusters.yaml`
    Mesh,
    /// `--config testdata/bad-input/FILE`
    ConfigFile(&'static str),
    /// As written; `@FILE` stands for testdata/bad-input/FILE, `@MESH` for the usual config.
    Raw(&'static [&'static str]),
}

enum Expect {
    /// Refused: this exit code, one `eastwest: ` line naming each of `names`, and none of
    /// `hides` (secret values) anywhere in the output.
    Error { code: i32, names: &'static [&'static str], hides: &'static [&'static str] },
    /// Accepted: exit 0, stderr empty, stdout holding each of `shows`.
    Accepted { shows: &'static [&'static str], note: &'static str },
}

struct Case {
    /// The `input` column of TABLE.md.
    input: &'static str,
    args: Args,
    stdin: Input,
    expect: Expect,
}

fn args_of(args: &Args) -> Vec<String> {
    match args {
        Args::Mesh => vec!["--config".into(), mesh_config()],
        Args::ConfigFile(f) => vec!["--config".into(), bad(f)],
        Args::Raw(list) => list
            .iter()
            .map(|a| match (a.strip_prefix('@'), *a) {
                (_, "@MESH") => mesh_config(),
                (Some(f), _) => bad(f),
                (None, a) => a.to_owned(),
            })
            .collect(),
    }
}

fn stdin_of(input: &Input) -> Vec<u8> {
    match input {
        Input::File(f) => std::fs::read(bad(f)).unwrap_or_else(|e| panic!("read {f}: {e}")),
        Input::Text(t) => t.as_bytes().to_vec(),
        Input::Generated(f) => f(),
    }
}

fn run_case(case: &Case) -> Outcome {
    run_with(&args_of(&case.args), Feed::Bytes(stdin_of(&case.stdin)), false)
}

/// The error contract: code, nothing on stdout, one `eastwest: ` line naming `names`.
fn assert_error(what: &str, out: &Outcome, code: i32, names: &[&str], hides: &[&str]) {
    let ctx = format!("row {what:?}: {}", out.describe());
    assert_eq!(out.status.code(), Some(code), "wrong exit code; {ctx}");
    assert!(out.stdout.is_empty(), "stdout must stay empty on error; {ctx}");
    assert!(out.stderr.ends_with('\n'), "stderr must be one whole line; {ctx}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr must be exactly one line; {ctx}");
    assert!(lines[0].starts_with("eastwest: "), "stderr must start with `eastwest: `; {ctx}");
    for name in names {
        assert!(lines[0].contains(name), "the message must name {name:?}; {ctx}");
    }
    for secret in hides {
        assert!(!out.stderr.contains(secret), "the message leaks {secret:?}; {ctx}");
    }
    assert!(!out.stderr.contains("panicked"), "{ctx}");
}

fn check(case: &Case) -> Outcome {
    let out = run_case(case);
    match &case.expect {
        Expect::Error { code, names, hides } => assert_error(case.input, &out, *code, names, hides),
        Expect::Accepted { shows, .. } => {
            let ctx = format!("row {:?}: {}", case.input, out.describe());
            assert_eq!(out.status.code(), Some(0), "must be accepted; {ctx}");
            assert!(out.stderr.is_empty(), "stderr must stay empty; {ctx}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            for s in *shows {
                assert!(stdout.contains(s), "stdout must hold {s:?}; {ctx}\nstdout:\n{stdout}");
            }
        }
    }
    out
}

// Generated inputs.

const NAMESPACE_DOC: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: echo\n---\n";

/// Billion laughs: nine levels of ten aliases, 10^9 strings once expanded.
fn alias_bomb() -> Vec<u8> {
    let mut text = String::from(NAMESPACE_DOC);
    text.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n  namespace: echo\n  annotations:\n");
    text.push_str("    a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    for pair in levels.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 10].join(",");
        text.push_str(&format!("    {}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text.into_bytes()
}

/// `[` 100 000 deep (flow).
fn deep_flow() -> Vec<u8> {
    let n = 100_000;
    format!(
        "{NAMESPACE_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(n),
        "]".repeat(n)
    )
    .into_bytes()
}

/// `- - - … x`: block sequences 100 000 deep on one line.
fn deep_block() -> Vec<u8> {
    format!(
        "{NAMESPACE_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata:\n{}x\n",
        "- ".repeat(100_000)
    )
    .into_bytes()
}

/// Latin-1 bytes in a double-quoted string of document 2.
const NON_UTF8_PREFIX: &[u8] = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: echo\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bin}\ndata: {k: \"caf";

fn non_utf8() -> Vec<u8> {
    let mut bytes = NON_UTF8_PREFIX.to_vec();
    bytes.extend_from_slice(b"\xe9 \xff\xfe\"}\n");
    bytes
}

macro_rules! rows {
    ($($name:ident => $case:expr;)*) => {
        fn all_cases() -> Vec<Case> {
            vec![$($case),*]
        }
        $(
            #[test]
            fn $name() {
                check(&$case);
            }
        )*
    };
}

rows! {
    yaml_tab_indentation => Case {
        input: "invalid YAML: a tab indents `name` (document 2)",
        args: Args::Mesh, stdin: Input::File("tab-indentation.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "line 9"], hides: &[] },
    };
    yaml_unclosed_quote => Case {
        input: "invalid YAML: `name: \"unclosed` (document 2)",
        args: Args::Mesh, stdin: Input::File("unclosed-quote.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "line 9"], hides: &[] },
    };
    yaml_bad_indentation => Case {
        input: "invalid YAML: `namespace` less indented than `name` (document 2)",
        args: Args::Mesh, stdin: Input::File("bad-indentation.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "line 10"], hides: &[] },
    };
    yaml_duplicate_keys => Case {
        input: "duplicate key `metadata.name` (document 2)",
        args: Args::Mesh, stdin: Input::File("duplicate-keys.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "name"], hides: &[] },
    };
    yaml_alias_bomb => Case {
        input: "alias bomb: billion laughs, 9 levels of 10 aliases (document 2)",
        args: Args::Mesh, stdin: Input::Generated(alias_bomb),
        expect: Expect::Error { code: 1, names: &["document 2", "alias"], hides: &[] },
    };
    yaml_nesting_flow_100000 => Case {
        input: "nesting 100 000 deep: `[[[…]]]` (document 2)",
        args: Args::Mesh, stdin: Input::Generated(deep_flow),
        expect: Expect::Error { code: 1, names: &["document 2"], hides: &[] },
    };
    yaml_nesting_block_100000 => Case {
        input: "nesting 100 000 deep: `- - - … x` (document 2)",
        args: Args::Mesh, stdin: Input::Generated(deep_block),
        expect: Expect::Error { code: 1, names: &["document 2"], hides: &[] },
    };
    non_utf8_bytes => Case {
        input: "non-UTF-8 bytes (Latin-1 `é`, 0xff 0xfe) at byte 125",
        args: Args::Mesh, stdin: Input::Generated(non_utf8),
        expect: Expect::Error { code: 1, names: &["UTF-8", "offset 125"], hides: &[] },
    };
    bom_and_crlf_accepted => Case {
        input: "a byte order mark and CRLF line ends",
        args: Args::Mesh, stdin: Input::File("bom-crlf.yaml"),
        expect: Expect::Accepted {
            shows: &["\u{feff}---\r\n", "topology.istio.io/network: us-net\r\n"],
            note: "both Namespaces, BOM and CRLF kept; istio-system gets its network label (CRLF too)",
        },
    };
    empty_stream_accepted => Case {
        input: "an empty stream",
        args: Args::Mesh, stdin: Input::Text(""),
        expect: Expect::Accepted {
            shows: &[],
            note: "nothing on stdout: the standalone set only comes from `eastwest generate`",
        },
    };
    comments_only_accepted => Case {
        input: "a stream of comments and `---` only",
        args: Args::Mesh, stdin: Input::File("comments-only.yaml"),
        expect: Expect::Accepted {
            shows: &["---"],
            note: "written back as it came (no objects, nothing added)",
        },
    };
    truncated_yaml => Case {
        input: "a truncated document: `metadata: {name: cut, labels: {app: x` then EOF (document 2)",
        args: Args::Mesh, stdin: Input::File("truncated.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "line 8"], hides: &[] },
    };
    truncated_json => Case {
        input: "truncated JSON: the second of two objects stops inside a key",
        args: Args::Mesh, stdin: Input::File("truncated.json"),
        expect: Expect::Error { code: 1, names: &["JSON", "line 2"], hides: &[] },
    };
    document_is_a_scalar => Case {
        input: "a document that is a scalar (document 2)",
        args: Args::Mesh, stdin: Input::File("scalar-document.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2", "scalar"], hides: &[] },
    };
    document_is_a_list => Case {
        input: "a document that is a list (document 1)",
        args: Args::Mesh, stdin: Input::File("list-document.yaml"),
        expect: Expect::Error { code: 1, names: &["document 1", "list"], hides: &[] },
    };
    resource_list_without_items => Case {
        input: "a ResourceList without `items`",
        args: Args::Mesh, stdin: Input::File("resourcelist-without-items.yaml"),
        expect: Expect::Accepted {
            shows: &["kind: ResourceList"],
            note: "read as an empty list: the ResourceList back with nothing added",
        },
    };
    config_unknown_field => Case {
        input: "config: unknown field `spec.workloadNamespace` (for workloadNamespaces)",
        args: Args::ConfigFile("config-unknown-field.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["config", "spec.workloadNamespace"], hides: &[] },
    };
    config_missing_field => Case {
        input: "config: `spec.clusters[0].network` missing",
        args: Args::ConfigFile("config-missing-field.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[0]", "network"], hides: &[] },
    };
    config_bad_network_name => Case {
        input: "config: network `us net`",
        args: Args::ConfigFile("config-bad-network.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[0].network", "us net"], hides: &[] },
    };
    config_bad_address => Case {
        input: "config: gateway address `eu gateway!`",
        args: Args::ConfigFile("config-bad-address.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[1].gateway.address"], hides: &[] },
    };
    config_port_0 => Case {
        input: "config: gateway port 0",
        args: Args::ConfigFile("config-port-0.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[0].gateway.port", "0"], hides: &[] },
    };
    config_port_70000 => Case {
        input: "config: gateway port 70000",
        args: Args::ConfigFile("config-port-70000.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[1].gateway.port", "70000"], hides: &[] },
    };
    config_duplicate_cluster_names => Case {
        input: "config: two clusters named `us`",
        args: Args::ConfigFile("config-duplicate-cluster.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[2].name", "us"], hides: &[] },
    };
    config_link_unknown_cluster => Case {
        input: "config: a link to unknown cluster `ap`",
        args: Args::ConfigFile("config-link-unknown-cluster.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.links[0].to", "ap"], hides: &[] },
    };
    config_service_unknown_cluster => Case {
        input: "config: a service running in unknown cluster `ap`",
        args: Args::ConfigFile("config-service-unknown-cluster.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.services[0].clusters[1]", "ap"], hides: &[] },
    };
    config_invalid_yaml => Case {
        input: "config: invalid YAML (unclosed flow sequence)",
        args: Args::ConfigFile("config-invalid-yaml.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["config-invalid-yaml.yaml", "line"], hides: &[] },
    };
    network_label_conflict => Case {
        input: "Namespace istio-system already labelled `topology.istio.io/network: eu-net`, config says us-net (document 2)",
        args: Args::Mesh, stdin: Input::File("network-label-conflict.yaml"),
        expect: Expect::Error {
            code: 1,
            names: &["document 2", "Namespace istio-system", "topology.istio.io/network", "eu-net", "us-net"],
            hides: &[],
        },
    };
    secret_invalid_yaml => Case {
        input: "a Secret with invalid YAML on a data line: `token: supersecret: c2VjcmV0LXZhbHVl` (document 2)",
        args: Args::Mesh, stdin: Input::File("secret-invalid.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2"], hides: &["c2VjcmV0LXZhbHVl", "supersecret"] },
    };
    secret_unclosed_quote => Case {
        input: "a Secret with an unclosed quote: `password: \"supersecret` (document 2)",
        args: Args::Mesh, stdin: Input::File("secret-unclosed-quote.yaml"),
        expect: Expect::Error { code: 1, names: &["document 2"], hides: &["c2VjcmV0LXZhbHVl", "supersecret"] },
    };
    usage_no_config => Case {
        input: "usage: no --config and no MeshNetwork in the stream",
        args: Args::Raw(&[]), stdin: Input::Text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: echo\n"),
        expect: Expect::Error { code: 2, names: &["--config"], hides: &[] },
    };
    usage_config_unreadable => Case {
        input: "usage: --config names a file that does not exist",
        args: Args::Raw(&["--config", "@does-not-exist.yaml"]), stdin: Input::Text(""),
        expect: Expect::Error { code: 2, names: &["does-not-exist.yaml"], hides: &[] },
    };
    usage_unknown_flag => Case {
        input: "usage: an unknown flag `--bogus`",
        args: Args::Raw(&["--config", "@MESH", "--bogus"]), stdin: Input::Text(""),
        expect: Expect::Error { code: 2, names: &["--bogus"], hides: &[] },
    };
    usage_bad_flag_value => Case {
        input: "usage: `--max-input-bytes lots`",
        args: Args::Raw(&["--config", "@MESH", "--max-input-bytes", "lots"]), stdin: Input::Text(""),
        expect: Expect::Error { code: 2, names: &["--max-input-bytes"], hides: &[] },
    };
    // --- issue 10 (routes): combinations that would install and route nowhere ------------
    routes_ambient_custom_host => Case {
        input: "config, ambient: a service host other than its Service's FQDN (`echo.mesh.global`)",
        args: Args::ConfigFile("config-ambient-custom-host.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.services[0].hosts[0]", "echo.echo.svc.cluster.local"], hides: &[] },
    };
    routes_ambient_two_remote_networks => Case {
        input: "config, ambient: cluster us would reach `echo` in two remote networks (eu, ap)",
        args: Args::ConfigFile("config-ambient-two-remotes.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.services[0].clusters", "eu, ap"], hides: &[] },
    };
    routes_ambient_nodeport => Case {
        input: "config, ambient: a gateway with `serviceType: NodePort`",
        args: Args::ConfigFile("config-ambient-nodeport.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[1].gateway.serviceType", "NodePort"], hides: &[] },
    };
    routes_ambient_remote => Case {
        input: "config, ambient: a cluster with `role: remote`",
        args: Args::ConfigFile("config-ambient-remote.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[2].role", "multi-primary"], hides: &[] },
    };
    routes_remote_without_primary => Case {
        input: "config: a remote cluster in a mesh with two primaries, no `primary` named",
        args: Args::ConfigFile("config-remote-no-primary.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[2].primary", "us, eu"], hides: &[] },
    };
    routes_remote_with_full_istiod => Case {
        input: "a remote cluster's render (primary-remote.yaml, `--cluster west`) containing a full istiod Deployment (document 5)",
        args: Args::Raw(&["--config", "@../configs/primary-remote.yaml", "--cluster", "west"]),
        stdin: Input::File("../e2e/helm3-istiod-mini-input.yaml"),
        expect: Expect::Error { code: 1, names: &["document 5", "Deployment istio-system/istiod", "profile=remote"], hides: &[] },
    };
    routes_failover_without_locality => Case {
        input: "config: `failover: [eu, ap]` where ap has no locality",
        args: Args::ConfigFile("config-failover-no-locality.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.services[0].failover[1]", "locality"], hides: &[] },
    };
    routes_node_port_out_of_range => Case {
        input: "config: `nodePort: 443`",
        args: Args::ConfigFile("config-nodeport-out-of-range.yaml"), stdin: Input::Text(""),
        expect: Expect::Error { code: 1, names: &["spec.clusters[1].gateway.nodePort", "30000-32767"], hides: &[] },
    };
    routes_service_without_exported_port => Case {
        input: "an exported service's Service without the configured port 9080 (primary-remote.yaml, `--cluster east`)",
        args: Args::Raw(&["--config", "@../configs/primary-remote.yaml", "--cluster", "east"]),
        stdin: Input::File("service-missing-port.yaml"),
        expect: Expect::Error { code: 1, names: &["spec.services[1].ports[0].number", "9080", "SNI"], hides: &[] },
    };
    // --- YAML forms, the existing-value rule and the control plane namespace (issue 9) ---
    yaml_anchored_value_replaced => Case {
        input: "an anchored env value `value: &cluster Kubernetes` that an alias repeats (document 2)",
        args: Args::Mesh, stdin: Input::File("anchored-env-value.yaml"),
        expect: Expect::Accepted {
            shows: &["{name: CLUSTER_ID, value: \"us\"}", "{name: ISTIO_META_CLUSTER_ID, value: \"Kubernetes\"}"],
            note: "CLUSTER_ID set; the alias keeps its old value, written out",
        },
    };
    yaml_comment_after_dash => Case {
        input: "a ResourceList whose items start `- # comment` (as kpt sends them)",
        args: Args::Mesh, stdin: Input::File("resourcelist-comment-after-dash.yaml"),
        expect: Expect::Accepted {
            shows: &["\n- apiVersion: v1\n  kind: ServiceAccount\n"],
            note: "generated items indented like the existing ones",
        },
    };
    existing_trust_domain_conflict => Case {
        input: "mesh config `trustDomain: other.local`, config says corp.local (document 2)",
        args: Args::Mesh, stdin: Input::File("trust-domain-conflict.yaml"),
        expect: Expect::Error {
            code: 1,
            names: &["document 2", "ConfigMap istio-system/istio", "data.mesh.trustDomain", "other.local", "corp.local"],
            hides: &[],
        },
    };
    istiod_namespace_mismatch => Case {
        input: "istiod rendered into istio-control, config says `istioNamespace: mesh-system` (document 2)",
        args: Args::ConfigFile("config-istio-namespace.yaml"), stdin: Input::File("istiod-other-namespace.yaml"),
        expect: Expect::Error {
            code: 1,
            names: &["document 2", "Deployment istio-control/istiod", "metadata.namespace", "mesh-system"],
            hides: &[],
        },
    };
}

// --- rows that stream ----------------------------------------------------------------------

/// One MiB of a harmless, valid YAML stream: ConfigMaps, then a comment to fill it up.
fn filler_chunk() -> Vec<u8> {
    const SIZE: usize = 1 << 20;
    let doc = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler, namespace: echo}\ndata: {k: v}\n";
    let mut chunk = Vec::with_capacity(SIZE);
    while chunk.len() + doc.len() <= SIZE {
        chunk.extend_from_slice(doc);
    }
    match SIZE - chunk.len() {
        0 => {}
        1 => chunk.push(b'\n'),
        rest => {
            chunk.push(b'#');
            chunk.resize(SIZE - 1, b' ');
            chunk.push(b'\n');
            debug_assert!(rest >= 2);
        }
    }
    assert_eq!(chunk.len(), SIZE);
    chunk
}

const HUGE_SMALL_LIMIT_INPUT: &str = "a 1 GiB input (streamed) with `--max-input-bytes 1048576`";
const HUGE_DEFAULT_LIMIT_INPUT: &str = "a 1 GiB input (streamed) with the default limit (512 MiB)";
const STDOUT_CLOSED_INPUT: &str = "stdout closed before eastwest writes (4 MiB input)";

fn huge_input_small_limit() -> Outcome {
    let args = vec!["--config".into(), mesh_config(), "--max-input-bytes".into(), "1048576".into()];
    run_with(&args, Feed::Stream { chunk: filler_chunk(), total: GIB }, false)
}

fn huge_input_default_limit() -> Outcome {
    run_with(&["--config".into(), mesh_config()], Feed::Stream { chunk: filler_chunk(), total: GIB }, false)
}

/// 4 MiB in 64 ConfigMaps of 64 KiB each: few documents, so the run is about the write.
fn stdout_closed() -> Outcome {
    let value = "x".repeat(64 * 1024);
    let mut input = String::new();
    for i in 0..64 {
        input.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big-{i}, namespace: echo}}\ndata:\n  k: {value}\n"
        ));
    }
    run_with(&["--config".into(), mesh_config()], Feed::Bytes(input.into_bytes()), true)
}

#[test]
fn huge_input_refused_at_a_smaller_limit() {
    let out = huge_input_small_limit();
    assert_error(HUGE_SMALL_LIMIT_INPUT, &out, 1, &["1048576", "--max-input-bytes"], &[]);
    assert!(out.fed < 64 << 20, "eastwest kept reading past its limit: {}", out.describe());
}

#[test]
fn huge_input_refused_at_the_default_limit() {
    let out = huge_input_default_limit();
    assert_error(HUGE_DEFAULT_LIMIT_INPUT, &out, 1, &[&DEFAULT_LIMIT.to_string(), "--max-input-bytes"], &[]);
    assert!(out.fed > DEFAULT_LIMIT, "refused before the limit: {}", out.describe());
    assert!(out.fed < GIB, "read the whole GiB instead of stopping at the limit: {}", out.describe());
    assert!(out.elapsed < Duration::from_secs(30), "refusal took too long: {}", out.describe());
}

#[test]
fn stdout_closed_early_is_not_a_crash() {
    let out = stdout_closed();
    let ctx = out.describe();
    assert!(out.status.code().is_some(), "killed by a signal; {ctx}");
    assert!(!out.stderr.contains("panicked"), "panicked; {ctx}");
    assert_ne!(out.status.code(), Some(101), "panicked; {ctx}");
    if out.status.code() != Some(0) {
        assert_error(STDOUT_CLOSED_INPUT, &out, 1, &[], &[]);
    }
}

// --- TABLE.md ------------------------------------------------------------------------------

fn answer(out: &Outcome, note: Option<&str>) -> String {
    let code = match out.status.code() {
        Some(c) => format!("exit {c}"),
        None => format!("killed: {:?}", out.status),
    };
    // Paths relative to the repository, lines joined (a multi-line answer is a bug to see).
    let here = format!("{}/", root().display());
    let line = out.stderr.trim_end().replace(&here, "").replace('\n', " ⏎ ");
    // A double-backtick code span, since messages quote names in single backticks.
    let mut answer = if line.is_empty() { code } else { format!("{code}: `` {line} ``") };
    if let Some(note) = note {
        answer.push_str(&format!("; {note}"));
    }
    answer.replace('|', "\\|")
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[test]
fn table() {
    let path = root().join("testdata/bad-input/TABLE.md");
    let streamed = [HUGE_SMALL_LIMIT_INPUT, HUGE_DEFAULT_LIMIT_INPUT, STDOUT_CLOSED_INPUT];
    if std::env::var_os("EASTWEST_WRITE_TABLE").is_none() {
        let table = std::fs::read_to_string(&path).expect("testdata/bad-input/TABLE.md");
        let inputs = all_cases().into_iter().map(|c| c.input).chain(streamed);
        for input in inputs {
            assert!(
                table.contains(&format!("| {} |", md_cell(input))),
                "TABLE.md lacks the row {input:?}; regenerate it (see tests/bad_input.rs)"
            );
        }
        return;
    }
    let mut rows = Vec::new();
    for case in all_cases() {
        let out = run_case(&case);
        let note = match &case.expect {
            Expect::Accepted { note, .. } => Some(*note),
            Expect::Error { .. } => (out.status.code() == Some(0)).then_some("(accepted!)"),
        };
        rows.push((case.input, answer(&out, note)));
    }
    let huge = huge_input_small_limit();
    rows.push((HUGE_SMALL_LIMIT_INPUT, answer(&huge, Some(&format!("stopped reading after {} bytes", huge.fed)))));
    let huge = huge_input_default_limit();
    let note = format!("stopped reading after {} bytes, in {:.1} s", huge.fed, huge.elapsed.as_secs_f64());
    rows.push((HUGE_DEFAULT_LIMIT_INPUT, answer(&huge, Some(&note))));
    let closed = stdout_closed();
    rows.push((STDOUT_CLOSED_INPUT, answer(&closed, Some("a closed pipe is the reader's choice, not an error"))));

    let mut md = String::from(
        "# Bad input: what eastwest answers\n\n\
         Generated by `EASTWEST_WRITE_TABLE=1 cargo test --test bad_input table` from the rows of\n\
         `tests/bad_input.rs` (inputs in this directory, or generated there when huge or binary),\n\
         run with `--config testdata/configs/two-clusters.yaml` (cluster `us`, network `us-net`)\n\
         unless the row is about the config or the command line. Every error is one line on\n\
         stderr, exit 1 (2 for usage), nothing on stdout.\n\n\
         | input | eastwest answers |\n|---|---|\n",
    );
    for (input, answer) in rows {
        md.push_str(&format!("| {} | {} |\n", md_cell(input), answer));
    }
    std::fs::write(&path, md).expect("write TABLE.md");
}
