//! End-to-end runs of the built eastwest through the real clients: Helm 4.1 (post-renderer
//! plugin installed from this checkout), Helm 3.17 (`--post-renderer <executable>`) and
//! `kubectl kustomize` 1.35 (legacy exec plugin under functions/plugins), plus a plain pipe.
//! See testdata/e2e/FINDINGS.md for how each client hands manifests to a post-renderer.
//!
//! The clients come from `make tools` (scripts/fetch-tools.sh), in `$EASTWEST_TOOLS/bin` or
//! `<repo>/.tools/bin`. A missing client fails the test: these tests never skip.
//!
//! Every test runs in its own temp directory with its own Helm homes, error log and
//! environment, so the tests run in parallel and never read or write the user's Helm setup.
//! A failing test leaves its directory behind and names it in the panic message.

#[path = "support/common.rs"]
mod common;

use common::run_with_stdin;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");
const HELM4_FILENAME: &str = "postrenderer.helm.sh/postrender-filename";
const CREATED_BY: &str = "app.kubernetes.io/created-by";
const NETWORK_LABEL: &str = "topology.istio.io/network";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repo_path(rel: &str) -> String {
    repo().join(rel).display().to_string()
}

/// A client binary from `make tools`; a missing one fails the test with the fix.
fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("EASTWEST_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo().join(".tools"));
    let path = dir.join("bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make tools` (or `bash scripts/fetch-tools.sh`) to fetch the real Helm 4, Helm 3 \
         and kubectl used by these end-to-end tests (set EASTWEST_TOOLS to use another tools directory)",
        path.display()
    );
    path
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One test's private world: temp dir, Helm homes, error log, a clean environment.
struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("eastwest-e2e-{test}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for sub in ["data/plugins", "config", "cache", "work"] {
            std::fs::create_dir_all(root.join(sub)).unwrap_or_else(|e| panic!("mkdir {}: {e}", root.display()));
        }
        Sandbox { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn error_log(&self) -> PathBuf {
        self.path("eastwest-error.log")
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// `program` with the sandbox environment: nothing Helm-, kustomize- or eastwest-related
    /// inherited from the caller, every Helm home and the error log inside the sandbox.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.setup(&mut cmd);
        cmd
    }

    /// Like `command`, but in a new session without a controlling terminal, so eastwest's
    /// Helm 4 error copy to /dev/tty does not land on the terminal running `cargo test`.
    fn detached_command(&self, program: impl AsRef<OsStr>) -> Command {
        match find_on_path("setsid") {
            Some(setsid) => {
                let mut cmd = Command::new(setsid);
                cmd.arg("-w").arg(program);
                self.setup(&mut cmd);
                cmd
            }
            None => self.command(program),
        }
    }

    fn setup(&self, cmd: &mut Command) {
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if ["HELM_", "KUSTOMIZE_", "EASTWEST_"].iter().any(|p| key.starts_with(p)) {
                cmd.env_remove(key);
            }
        }
        cmd.env("HELM_DATA_HOME", self.path("data"))
            .env("HELM_CONFIG_HOME", self.path("config"))
            .env("HELM_CACHE_HOME", self.path("cache"))
            .env("HELM_PLUGINS", self.path("data/plugins"))
            .env("EASTWEST_BIN", EASTWEST)
            .env("EASTWEST_ERROR_LOG", self.error_log())
            .env("KUSTOMIZE_PLUGIN_HOME", repo().join("functions/plugins"))
            .current_dir(self.path("work"))
            .stdin(Stdio::null());
    }

    /// Install the Helm 4 plugin from this checkout (Helm symlinks the checkout).
    fn install_helm4_plugin(&self) {
        let out = run(self.command(tool("helm4")).args(["plugin", "install"]).arg(repo()));
        expect_success(&out, "helm4 plugin install <repo>");
        let list = run(self.command(tool("helm4")).args(["plugin", "list"]));
        expect_success(&list, "helm4 plugin list");
        assert!(
            stdout(&list).lines().any(|l| l.split_whitespace().next() == Some("eastwest")),
            "helm4 plugin list does not show eastwest after install:\n{}",
            stdout(&list)
        );
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("e2e: kept {} for inspection", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn expect_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstderr:\n{}\nstdout:\n{}",
        out.status,
        stderr(out),
        stdout(out)
    );
}

fn expect_failure(out: &Output, what: &str) {
    assert!(!out.status.success(), "{what} should fail but exited 0:\nstdout:\n{}", stdout(out));
}

/// One object of a client's output: its JSON and the raw text of its document (which holds
/// Helm's `# Source:` comment).
struct Doc {
    value: Value,
    text: String,
}

impl Doc {
    fn str_at(&self, pointer: &str) -> Option<&str> {
        self.value.pointer(pointer).and_then(Value::as_str)
    }

    fn kind(&self) -> &str {
        self.str_at("/kind").unwrap_or("")
    }

    fn name(&self) -> &str {
        self.str_at("/metadata/name").unwrap_or("")
    }

    fn namespace(&self) -> &str {
        self.str_at("/metadata/namespace").unwrap_or("")
    }

    fn generated(&self) -> bool {
        self.value.pointer("/metadata/labels").and_then(|l| l.get(CREATED_BY)).and_then(Value::as_str)
            == Some("eastwest")
    }

    /// Helm's `# Source: <file>` line of this document.
    fn source(&self) -> Option<&str> {
        self.text.lines().find_map(|l| l.trim().strip_prefix("# Source: ")).map(str::trim)
    }

    fn label(&self) -> String {
        format!("{} {}/{}", self.kind(), self.namespace(), self.name())
    }
}

/// Parse a client's output with eastwest's own reader (kubectl-free).
fn docs(text: &str) -> Vec<Doc> {
    let input = eastwest::read::Input::parse(text).unwrap_or_else(|e| panic!("output does not parse: {e}\n{text}"));
    let objects = input.objects().unwrap_or_else(|e| panic!("output objects: {e}\n{text}"));
    objects
        .iter()
        .map(|o| {
            let doc = &input.docs[o.doc];
            Doc { value: eastwest::read::node_json(o.node), text: text[doc.start..doc.end].to_owned() }
        })
        .collect()
}

fn find<'a>(docs: &'a [Doc], kind: &str, namespace: &str, name: &str) -> &'a Doc {
    docs.iter().find(|d| d.kind() == kind && d.namespace() == namespace && d.name() == name).unwrap_or_else(|| {
        let have: Vec<String> = docs.iter().map(Doc::label).collect();
        panic!("no {kind} {namespace}/{name} in the output; objects: {have:#?}")
    })
}

fn env_var<'a>(deployment: &'a Doc, container: &str, name: &str) -> Option<&'a str> {
    let containers = deployment.value.pointer("/spec/template/spec/containers")?.as_array()?;
    let c = containers.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(container))?;
    let var = c.get("env")?.as_array()?.iter().find(|e| e.get("name").and_then(Value::as_str) == Some(name))?;
    var.get("value").and_then(Value::as_str)
}

fn two_clusters() -> String {
    repo_path("testdata/configs/two-clusters.yaml")
}

const CHART_ISTIOD: &str = "testdata/charts/istiod-mini";
const CHART_APP: &str = "testdata/charts/app";
const HOOK_JOB: &str = "istiod-mini-post-install";

/// A config with an unknown field, based on testdata/e2e/mesh.yaml.
fn bad_config_unknown_field() -> String {
    let good = read(repo().join("testdata/e2e/mesh.yaml"));
    let bad = good.replacen("  cluster: us\n", "  cluster: us\n  bogusField: 1\n", 1);
    assert_ne!(good, bad, "testdata/e2e/mesh.yaml changed shape; fix the bad-config edit");
    bad
}

/// Checks shared by the Helm runs of the istiod-mini chart with two-clusters.yaml.
fn check_istiod_mini(out: &[Doc], baseline: &[Doc]) {
    let istiod = find(out, "Deployment", "istio-system", "istiod");
    assert_eq!(env_var(istiod, "discovery", "CLUSTER_ID"), Some("us"), "istiod CLUSTER_ID:\n{}", istiod.text);
    assert!(!istiod.generated(), "istiod must not be marked as created by eastwest");

    let gw = find(out, "Deployment", "istio-system", "istio-eastwestgateway");
    assert!(gw.generated(), "the east-west gateway Deployment carries {CREATED_BY}: eastwest:\n{}", gw.text);
    assert_eq!(
        gw.str_at("/spec/template/metadata/labels/topology.istio.io~1network"),
        Some("us-net"),
        "east-west gateway pods carry the network label:\n{}",
        gw.text
    );
    let gw_svc = find(out, "Service", "istio-system", "istio-eastwestgateway");
    assert_eq!(
        gw_svc.value.pointer("/metadata/labels").and_then(|l| l.get(NETWORK_LABEL)).and_then(Value::as_str),
        Some("us-net"),
        "east-west gateway Service carries the network label:\n{}",
        gw_svc.text
    );
    // us exports nothing, so nothing of us is forwarded across networks (least exposure).
    assert!(
        !out.iter().any(|d| d.kind() == "Gateway" && d.name() == "cross-network-gateway"),
        "us exports no service, so no cross-network-gateway"
    );
    find(out, "ServiceEntry", "echo", "echo-import");

    // Everything the chart rendered is still there, and the hook came through untouched.
    for b in baseline {
        find(out, b.kind(), b.namespace(), b.name());
    }
    let hook_before = find(baseline, "Job", "istio-system", HOOK_JOB);
    let hook_after = find(out, "Job", "istio-system", HOOK_JOB);
    assert_eq!(
        hook_after.value, hook_before.value,
        "the post-install hook changed:\nbefore:\n{}\nafter:\n{}",
        hook_before.text, hook_after.text
    );
    assert_eq!(hook_after.source(), Some("istiod-mini/templates/hook-post-install.yaml"));

    // No object is left carrying Helm 4's internal file-name annotation.
    for d in out {
        let annotations = d.value.pointer("/metadata/annotations");
        assert!(
            annotations.and_then(|a| a.get(HELM4_FILENAME)).is_none(),
            "{} still carries {HELM4_FILENAME}:\n{}",
            d.label(),
            d.text
        );
    }
}

fn helm_template(sandbox: &Sandbox, helm: &str, release: &str, chart: &str, ns: &str) -> Command {
    let mut cmd = sandbox.command(tool(helm));
    cmd.args(["template", release]).arg(repo().join(chart)).args(["-n", ns]);
    cmd
}

/// 1. Helm 4 with the plugin installed from the checkout.
#[test]
fn helm4_plugin_post_renders_istiod() {
    tool("helm4");
    let sb = Sandbox::new("helm4");
    sb.install_helm4_plugin();
    let baseline = run(&mut helm_template(&sb, "helm4", "istiod", CHART_ISTIOD, "istio-system"));
    expect_success(&baseline, "helm4 template (no post-renderer)");
    let out = run(helm_template(&sb, "helm4", "istiod", CHART_ISTIOD, "istio-system")
        .args(["--post-renderer", "eastwest"])
        .arg(format!("--post-renderer-args=--config={}", two_clusters())));
    expect_success(&out, "helm4 template --post-renderer eastwest");
    let text = stdout(&out);
    let out_docs = docs(&text);
    check_istiod_mini(&out_docs, &docs(&stdout(&baseline)));

    assert!(!text.contains("generated-by-postrender"), "a document lost its file name:\n{text}");
    let mut generated = 0;
    for d in &out_docs {
        let source = d.source().unwrap_or_else(|| panic!("{} has no # Source line:\n{}", d.label(), d.text));
        if d.generated() {
            generated += 1;
            assert!(
                source.starts_with("eastwest/") && source.ends_with(".yaml") && source.len() > "eastwest/.yaml".len(),
                "generated {} is filed as {source}, expected eastwest/<file>.yaml",
                d.label()
            );
        } else {
            assert!(source.starts_with("istiod-mini/templates/"), "chart object {} filed as {source}", d.label());
        }
    }
    assert!(generated >= 3, "expected the generated set, found {generated} generated objects:\n{text}");
    assert!(!sb.error_log().exists(), "a successful run wrote {}", sb.error_log().display());
}

/// Test 2: Helm 4 with a bad config, run as CI and Argo CD run it: no terminal (`setsid`, stdin
/// from /dev/null). Helm 4.1 drops a failed plugin's stderr (internal/plugin/
/// runtime_subprocess.go, runPostrenderer sets cmd.Stderr to its own buffer and executeCmd
/// reports only `plugin "eastwest" exited with error`), but it prints a post-rendered
/// document that is not a mapping (pkg/action/action.go, splitAndDeannotate: `error parsing
/// YAML: wrong node kind ... node contents: "<text>"`). So eastwest's message must be in
/// Helm's own error, for `template` and for `install` alike, and in the log with a timestamp.
fn helm4_bad_config_reaches_the_user(action: &[&str], label: &str) {
    tool("helm4");
    let sb = Sandbox::new(label);
    sb.install_helm4_plugin();
    let bad = sb.write("bad-mesh.yaml", &bad_config_unknown_field());
    let mut cmd = sb.detached_command(tool("helm4"));
    cmd.args(action)
        .arg(repo().join(CHART_ISTIOD))
        .args(["-n", "istio-system", "--post-renderer", "eastwest"])
        .arg(format!("--post-renderer-args=--config={}", bad.display()));
    let out = run(&mut cmd);
    expect_failure(&out, &format!("helm4 {} with a bad config", action.join(" ")));
    let err = stderr(&out);
    assert!(
        err.contains("eastwest: config: field spec.bogusField"),
        "helm4 {} without a terminal does not show eastwest's message:\n{err}",
        action[0]
    );
    assert!(!stdout(&out).contains("kind: Deployment"), "helm printed manifests after a failure:\n{}", stdout(&out));
    assert!(sb.error_log().exists(), "eastwest did not write {} under Helm 4", sb.error_log().display());
    let log = read(sb.error_log());
    let line = log
        .lines()
        .find(|l| l.contains("eastwest: ") && l.contains("bogusField"))
        .unwrap_or_else(|| panic!("no eastwest line naming bogusField in the error log:\n{log}"));
    assert!(line.contains("spec.bogusField"), "the logged line names the field path: {line}");
    // `2026-11-23T10:04:05Z eastwest: ...`: an RFC 3339 UTC timestamp first.
    let (stamp, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no timestamp: {line}"));
    let shape: String = stamp.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }).collect();
    assert_eq!(shape, "0000-00-00T00:00:00Z", "log line does not start with a UTC timestamp: {line}");
    assert!(rest.starts_with("eastwest: "), "{line}");
}

#[test]
fn helm4_template_bad_config_reaches_the_user_without_a_terminal() {
    helm4_bad_config_reaches_the_user(&["template", "istiod"], "helm4-bad-template");
}

/// A usage error (the config path is wrong) reaches the user the same way.
#[test]
fn helm4_missing_config_file_reaches_the_user_without_a_terminal() {
    tool("helm4");
    let sb = Sandbox::new("helm4-missing-config");
    sb.install_helm4_plugin();
    let mut cmd = sb.detached_command(tool("helm4"));
    cmd.args(["template", "istiod"]).arg(repo().join(CHART_ISTIOD)).args([
        "-n",
        "istio-system",
        "--post-renderer",
        "eastwest",
        "--post-renderer-args=--config=no-such-mesh.yaml",
    ]);
    let out = run(&mut cmd);
    expect_failure(&out, "helm4 template with a missing config file");
    let err = stderr(&out);
    assert!(err.contains("eastwest: cannot read config no-such-mesh.yaml"), "message not shown:\n{err}");
}

/// `install` needs no cluster with `--dry-run=client`, and runs the post-renderer the same way.
#[test]
fn helm4_install_bad_config_reaches_the_user_without_a_terminal() {
    helm4_bad_config_reaches_the_user(&["install", "istiod", "--dry-run=client"], "helm4-bad-install");
}

/// 3. Helm 3 with the wrapper script as the post-renderer executable.
#[test]
fn helm3_post_renderer_executable() {
    tool("helm3");
    let sb = Sandbox::new("helm3");
    let baseline = run(&mut helm_template(&sb, "helm3", "istiod", CHART_ISTIOD, "istio-system"));
    expect_success(&baseline, "helm3 template (no post-renderer)");
    let out = run(helm_template(&sb, "helm3", "istiod", CHART_ISTIOD, "istio-system")
        .arg("--post-renderer")
        .arg(repo().join("scripts/helm-plugin-run.sh"))
        .arg("--post-renderer-args")
        .arg(format!("--config={}", two_clusters())));
    expect_success(&out, "helm3 template --post-renderer scripts/helm-plugin-run.sh");
    let text = stdout(&out);
    let out_docs = docs(&text);
    check_istiod_mini(&out_docs, &docs(&stdout(&baseline)));
    assert!(!text.contains("generated-by-postrender"), "{text}");
    // Helm 3 passes no file names, so eastwest must not invent Helm 4's annotation.
    assert!(!text.contains(HELM4_FILENAME), "{text}");
    assert!(!text.contains("eastwest/"), "Helm 3 output names Helm 4 file names:\n{text}");
    assert!(!sb.error_log().exists(), "a successful run wrote {}", sb.error_log().display());

    // The binary itself works as the post-renderer too.
    let direct = run(helm_template(&sb, "helm3", "istiod", CHART_ISTIOD, "istio-system")
        .args(["--post-renderer", EASTWEST, "--post-renderer-args"])
        .arg(format!("--config={}", two_clusters())));
    expect_success(&direct, "helm3 template --post-renderer <eastwest binary>");
    assert_eq!(stdout(&direct), text, "the wrapper and the binary give different output");
}

#[test]
fn helm3_post_renderer_bad_config_shows_the_error() {
    tool("helm3");
    let sb = Sandbox::new("helm3-bad");
    let bad = sb.write("bad-mesh.yaml", &bad_config_unknown_field());
    let out = run(helm_template(&sb, "helm3", "istiod", CHART_ISTIOD, "istio-system")
        .arg("--post-renderer")
        .arg(repo().join("scripts/helm-plugin-run.sh"))
        .arg("--post-renderer-args")
        .arg(format!("--config={}", bad.display())));
    expect_failure(&out, "helm3 template with a bad config");
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.starts_with("eastwest: ") && l.contains("spec.bogusField")),
        "helm3 stderr shows eastwest's message naming the field:\n{err}"
    );
    assert!(stdout(&out).trim().is_empty(), "helm3 printed manifests although the post-renderer failed");
    // Not under Helm 4 (no HELM_PLUGIN_NAME): stderr is seen, so no log file.
    assert!(!sb.error_log().exists(), "eastwest wrote {} outside Helm 4", sb.error_log().display());
}

/// 4. kubectl kustomize with the legacy exec plugin.
#[test]
fn kustomize_legacy_plugin() {
    tool("kubectl");
    let sb = Sandbox::new("kustomize");
    let out = run(sb
        .command(tool("kubectl"))
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(repo().join("kustomization-examples/legacy-plugin")));
    expect_success(&out, "kubectl kustomize --enable-alpha-plugins kustomization-examples/legacy-plugin");
    let text = stdout(&out);
    let out_docs = docs(&text);
    let ns = find(&out_docs, "Namespace", "", "istio-system");
    assert_eq!(
        ns.value.pointer("/metadata/labels").and_then(|l| l.get(NETWORK_LABEL)).and_then(Value::as_str),
        Some("us-net"),
        "istio-system Namespace:\n{}",
        ns.text
    );
    let istiod = find(&out_docs, "Deployment", "istio-system", "istiod");
    assert_eq!(env_var(istiod, "discovery", "CLUSTER_ID"), Some("us"), "{}", istiod.text);
    let gw = find(&out_docs, "Deployment", "istio-system", "istio-eastwestgateway");
    assert!(gw.generated());
    assert_eq!(gw.str_at("/spec/template/metadata/labels/topology.istio.io~1network"), Some("us-net"));
    find(&out_docs, "Service", "istio-system", "istio-eastwestgateway");
    find(&out_docs, "HorizontalPodAutoscaler", "istio-system", "istio-eastwestgateway");
    find(&out_docs, "ServiceEntry", "echo", "echo-import");
    // kustomize's bookkeeping annotations do not leak into the build.
    for leaked in ["kustomize.config.k8s.io/id", "config.kubernetes.io/", HELM4_FILENAME] {
        assert!(!text.contains(leaked), "{leaked} leaked into the build:\n{text}");
    }
}

#[test]
fn kustomize_legacy_plugin_bad_config_fails() {
    tool("kubectl");
    let sb = Sandbox::new("kustomize-bad");
    let example = repo().join("kustomization-examples/legacy-plugin");
    for file in ["kustomization.yaml", "resources.yaml"] {
        sb.write(&format!("kust/{file}"), &read(example.join(file)));
    }
    let good = read(example.join("mesh.yaml"));
    let bad = good.replacen("  cluster: us\n", "  cluster: us\n  bogusField: 1\n", 1);
    assert_ne!(good, bad, "legacy-plugin/mesh.yaml changed shape; fix the bad-config edit");
    sb.write("kust/mesh.yaml", &bad);
    let out = run(sb.command(tool("kubectl")).args(["kustomize", "--enable-alpha-plugins"]).arg(sb.path("kust")));
    expect_failure(&out, "kubectl kustomize with a bad MeshNetwork");
    let err = stderr(&out);
    assert!(err.contains("eastwest: ") && err.contains("spec.bogusField"), "kubectl stderr:\n{err}");
    assert!(stdout(&out).trim().is_empty(), "kubectl printed a build although the plugin failed");
}

/// 5. A plain pipe: `helm4 template echo app | eastwest --config <cluster eu>`.
#[test]
fn pipe_app_chart_exports_service() {
    tool("helm4");
    let sb = Sandbox::new("pipe");
    let rendered = run(&mut helm_template(&sb, "helm4", "echo", CHART_APP, "echo"));
    expect_success(&rendered, "helm4 template echo testdata/charts/app");
    let original = read(two_clusters());
    let eu = original.replacen("  cluster: us\n", "  cluster: eu\n", 1);
    assert_ne!(original, eu, "two-clusters.yaml changed shape; fix the cluster edit");
    let config = sb.write("mesh-eu.yaml", &eu);

    let out = run_with_stdin(sb.command(EASTWEST).arg("--config").arg(&config), &stdout(&rendered));
    expect_success(&out, "eastwest --config <cluster eu>");
    let text = stdout(&out);
    let out_docs = docs(&text);
    let export = find(&out_docs, "ServiceEntry", "echo", "echo-export");
    assert!(export.generated());
    assert_eq!(export.str_at("/apiVersion"), Some("networking.istio.io/v1"));
    assert_eq!(export.value.pointer("/spec/workloadSelector/labels"), Some(&json!({"app": "echo"})), "{}", export.text);
    assert_eq!(export.value.pointer("/spec/hosts"), Some(&json!(["echo.eu.mesh.local"])), "{}", export.text);
    let ports = export.value.pointer("/spec/ports").and_then(Value::as_array).expect("ports");
    assert_eq!(ports.len(), 1, "{}", export.text);
    assert_eq!(ports[0].get("number"), Some(&json!(80)));
    assert_eq!(ports[0].get("targetPort"), Some(&json!(8080)), "{}", export.text);
    // No istiod in this release: the mesh-wide set belongs to the control plane's release.
    for d in &out_docs {
        assert!(
            !d.generated() || (d.kind() == "ServiceEntry" && d.name() == "echo-export"),
            "the app release got {} from eastwest:\n{}",
            d.label(),
            d.text
        );
    }
    find(&out_docs, "Service", "echo", "echo");
    find(&out_docs, "Deployment", "echo", "echo");
    assert!(!sb.error_log().exists());

    // `--cluster eu` with the unchanged config gives the same result.
    let flag = run_with_stdin(
        sb.command(EASTWEST).arg("--config").arg(two_clusters()).args(["--cluster", "eu"]),
        &stdout(&rendered),
    );
    expect_success(&flag, "eastwest --config two-clusters.yaml --cluster eu");
    assert_eq!(stdout(&flag), text, "--cluster eu and spec.cluster: eu differ");
}
