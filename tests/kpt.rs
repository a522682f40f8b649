//! End-to-end runs through kpt (1.0.0-beta.56, on PATH; `make tools` checks it), the
//! reference KRM function orchestrator: `kpt fn eval --exec` over each example's resources
//! with its mesh.yaml as `--fn-config`, a Kptfile pipeline run by `kpt fn render` (the
//! kpt example, eastwest as a mutator), a generator, and failures as kpt shows them.
//!
//! kpt rewrites the package in place, so every test works on a copy in its own temp dir and
//! reads the files back as data. eastwest is on PATH there as `eastwest` (a symlink to the
//! binary under test), which is how the kpt example's Kptfile names it.

#[path = "support/common.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use common::{objects, ok, repo, text};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");
const CREATED_BY: &str = "app.kubernetes.io/created-by";
const NETWORK_LABEL: &str = "topology.istio.io/network";

struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("eastwest-kpt-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("bin")).expect("mkdir");
        std::os::unix::fs::symlink(EASTWEST, root.join("bin/eastwest")).expect("symlink eastwest");
        Sandbox { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// kpt with eastwest first on PATH, a private HOME, run from the sandbox.
    fn kpt(&self) -> Command {
        let kpt = find_kpt();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.path("bin")];
        dirs.extend(std::env::split_paths(&path));
        let mut cmd = Command::new(kpt);
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("HOME", &self.root)
            .env_remove("HELM_PLUGIN_NAME")
            .current_dir(&self.root)
            .stdin(Stdio::null());
        cmd
    }

    /// A package directory holding copies of `files` (repo-relative), under their base names.
    fn package(&self, name: &str, files: &[&str]) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for file in files {
            let from = repo().join(file);
            let to = dir.join(from.file_name().expect("file name"));
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        }
        dir
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kpt: kept {} for inspection", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn find_kpt() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kpt"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("kpt is not on PATH: `make tools` installs it (Debian package google-cloud-cli-kpt)"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Every file of a package (relative path -> text).
fn files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("prefix").display().to_string();
                out.insert(rel, std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every object of every YAML file of a package, read back as data.
fn package_objects(dir: &Path) -> Vec<Value> {
    let mut all = Vec::new();
    for (name, content) in files(dir) {
        if name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kptfile" {
            all.extend(objects(&content));
        }
    }
    all
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name).unwrap_or_else(|| {
        panic!(
            "no {kind} {name} among {:?}",
            objs.iter().map(|o| (&o["kind"], &o["metadata"]["name"])).collect::<Vec<_>>()
        )
    })
}

/// What the examples' resources (Namespace istio-system, an istiod Deployment) must look like
/// after eastwest with the examples' mesh (cluster us on us-net; echo runs in eu).
fn check_mesh_applied(objs: &[Value]) {
    let ns = find(objs, "Namespace", "istio-system");
    assert_eq!(ns["metadata"]["labels"][NETWORK_LABEL], "us-net", "{ns}");
    let istiod = find(objs, "Deployment", "istiod");
    let env = istiod.pointer("/spec/template/spec/containers/0/env").and_then(Value::as_array).expect("istiod env");
    let cluster_id: Vec<&Value> = env.iter().filter(|e| e["name"] == "CLUSTER_ID").collect();
    assert_eq!(cluster_id.len(), 1, "{env:?}");
    assert_eq!(cluster_id[0]["value"], "us", "{env:?}");
    // us exports nothing, so it gets no cross-network-gateway (least exposure): its gateway,
    // and the import of echo, which runs in eu.
    assert!(!objs.iter().any(|o| o["metadata"]["name"] == "cross-network-gateway"));
    for (kind, name) in [("Deployment", "istio-eastwestgateway"), ("ServiceEntry", "echo-import")] {
        let obj = find(objs, kind, name);
        assert_eq!(obj["metadata"]["labels"][CREATED_BY], "eastwest", "{kind} {name} not marked generated: {obj}");
    }
    // Each object once: a second copy would be applied twice.
    let mut seen = std::collections::BTreeSet::new();
    for o in objs {
        let key = (o["kind"].to_string(), o["metadata"]["namespace"].to_string(), o["metadata"]["name"].to_string());
        assert!(seen.insert(key.clone()), "{key:?} twice");
    }
}

/// `kpt fn eval DIR --exec eastwest --fn-config <example>/mesh.yaml` over the resources of each
/// kustomize example (the three share them), then once more: nothing may change.
#[test]
fn fn_eval_exec_on_each_example() {
    for example in ["krm-exec", "krm-container", "legacy-plugin"] {
        let sb = Sandbox::new(example);
        let pkg = sb.package("pkg", &[&format!("kustomization-examples/{example}/resources.yaml")]);
        let config = repo().join(format!("kustomization-examples/{example}/mesh.yaml"));
        let eval = |sb: &Sandbox| {
            run(sb.kpt().args(["fn", "eval"]).arg(&pkg).args(["--exec", EASTWEST, "--fn-config"]).arg(&config))
        };
        let out = eval(&sb);
        ok(&out, &format!("kpt fn eval --exec on {example}"));
        assert!(text(&out.stderr).contains("[PASS]"), "{}", text(&out.stderr));
        let after = files(&pkg);
        check_mesh_applied(&package_objects(&pkg));
        // The resources' own comments are kept (only what eastwest changes is rewritten).
        assert!(after["resources.yaml"].contains("# A minimal Istio control plane"), "{}", after["resources.yaml"]);
        ok(&eval(&sb), &format!("second kpt fn eval on {example}"));
        assert_eq!(files(&pkg), after, "{example}: a second kpt fn eval changed the package");
    }
}

/// A config error: kpt fails the run, shows eastwest's message, records it as an error
/// result, and leaves the package as it was.
#[test]
fn fn_eval_bad_config_fails_with_results() {
    let sb = Sandbox::new("bad");
    let pkg = sb.package("pkg", &["kustomization-examples/krm-exec/resources.yaml"]);
    let before = files(&pkg);
    let mesh = common::read(repo().join("kustomization-examples/krm-exec/mesh.yaml"));
    let bad = sb.path("bad-mesh.yaml");
    std::fs::write(&bad, mesh.replace("  meshID: training-mesh\n", "  meshID: training-mesh\n  bogusField: 1\n"))
        .expect("write");
    let out = run(sb
        .kpt()
        .args(["fn", "eval"])
        .arg(&pkg)
        .args(["--exec", EASTWEST, "--fn-config"])
        .arg(&bad)
        .args(["--results-dir", "results"]));
    let err = text(&out.stderr);
    assert!(!out.status.success(), "kpt fn eval accepted a bad config:\n{err}");
    assert!(err.contains("[FAIL]") && err.contains("spec.bogusField"), "kpt does not show eastwest's message:\n{err}");
    let results = common::read(sb.path("results/results.yaml"));
    let parsed = objects(&results);
    let messages: Vec<&Value> = parsed
        .iter()
        .flat_map(|r| r["items"].as_array().into_iter().flatten())
        .flat_map(|item| item["results"].as_array().into_iter().flatten())
        .collect();
    assert!(
        messages
            .iter()
            .any(|r| r["severity"] == "error" && r["message"].as_str().is_some_and(|m| m.contains("spec.bogusField"))),
        "no error result naming the field in results.yaml:\n{results}"
    );
    assert_eq!(files(&pkg), before, "a failed run changed the package");
}

/// A generator: an empty package and a functionConfig annotated `eastwest.dev/standalone:
/// "true"` get the cluster's standalone set, filed under eastwest/.
#[test]
fn fn_eval_generator_writes_the_standalone_set() {
    let sb = Sandbox::new("generator");
    let pkg = sb.path("pkg");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    let mesh = common::read(repo().join("kustomization-examples/kpt/mesh.yaml"));
    let generator = mesh.replacen(
        "    config.kubernetes.io/local-config: \"true\"\n",
        &format!(
            "    config.kubernetes.io/local-config: \"true\"\n    {}: \"true\"\n",
            eastwest::STANDALONE_ANNOTATION
        ),
        1,
    );
    assert_ne!(generator, mesh, "the annotation was not added");
    let config = sb.path("generator.yaml");
    std::fs::write(&config, generator).expect("write");
    let out = run(sb.kpt().args(["fn", "eval"]).arg(&pkg).args(["--exec", "eastwest", "--fn-config"]).arg(&config));
    ok(&out, "kpt fn eval (generator)");
    let objs = package_objects(&pkg);
    let ns = find(&objs, "Namespace", "istio-system");
    assert_eq!(ns["metadata"]["labels"][NETWORK_LABEL], "us-net");
    find(&objs, "Deployment", "istio-eastwestgateway");
    find(&objs, "ServiceEntry", "echo-import");
    assert!(files(&pkg).keys().all(|f| f.starts_with("eastwest/")), "{:?}", files(&pkg).keys());
}

/// The kpt example: `kpt fn render --allow-exec` runs its Kptfile pipeline (eastwest as a
/// mutator with configPath: mesh.yaml). The Kptfile and mesh.yaml stay as they were, the
/// resources get the mesh, and a second render changes nothing.
#[test]
fn fn_render_kptfile_pipeline() {
    let sb = Sandbox::new("render");
    let pkg = sb.package(
        "kpt",
        &[
            "kustomization-examples/kpt/Kptfile",
            "kustomization-examples/kpt/mesh.yaml",
            "kustomization-examples/kpt/resources.yaml",
        ],
    );
    let before = files(&pkg);
    let out = run(sb.kpt().args(["fn", "render", "--allow-exec"]).arg(&pkg));
    ok(&out, "kpt fn render --allow-exec");
    assert!(text(&out.stderr).contains("[PASS] \"eastwest\""), "{}", text(&out.stderr));
    let after = files(&pkg);
    assert_eq!(after.get("Kptfile"), before.get("Kptfile"), "the Kptfile changed");
    assert_eq!(after.get("mesh.yaml"), before.get("mesh.yaml"), "mesh.yaml changed or was deleted");
    let objs: Vec<Value> =
        package_objects(&pkg).into_iter().filter(|o| o["kind"] != "Kptfile" && o["kind"] != "MeshNetwork").collect();
    check_mesh_applied(&objs);
    let out = run(sb.kpt().args(["fn", "render", "--allow-exec"]).arg(&pkg));
    ok(&out, "second kpt fn render");
    assert_eq!(files(&pkg), after, "a second render changed the package");
}

/// A render whose mesh.yaml is wrong fails as kpt shows failures, with eastwest's message,
/// and writes nothing.
#[test]
fn fn_render_bad_config_fails() {
    let sb = Sandbox::new("render-bad");
    let pkg = sb.package(
        "kpt",
        &[
            "kustomization-examples/kpt/Kptfile",
            "kustomization-examples/kpt/mesh.yaml",
            "kustomization-examples/kpt/resources.yaml",
        ],
    );
    let mesh = std::fs::read_to_string(pkg.join("mesh.yaml")).expect("read");
    std::fs::write(pkg.join("mesh.yaml"), mesh.replace("network: eu-net", "network: \"eu net\"")).expect("write");
    let before = files(&pkg);
    let out = run(sb.kpt().args(["fn", "render", "--allow-exec"]).arg(&pkg).args(["--results-dir", "results"]));
    let err = text(&out.stderr);
    assert!(!out.status.success(), "kpt fn render accepted a bad config:\n{err}");
    assert!(err.contains("[FAIL] \"eastwest\""), "{err}");
    assert!(
        err.contains("spec.clusters[1].network") && err.contains("eu net"),
        "kpt does not show eastwest's message:\n{err}"
    );
    assert!(common::read(sb.path("results/results.yaml")).contains("spec.clusters[1].network"));
    assert_eq!(files(&pkg), before, "a failed render changed the package");
}
