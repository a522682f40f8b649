//! The README's recipes, run as written, so the README cannot drift from the tool.
//!
//! A fenced block whose info string is `sh {test ...}` is a runnable recipe; `yaml
//! {file=NAME}` is a file the recipes use (the config, saved as mesh.yaml). Each recipe runs
//! with `bash -euo pipefail` in a sandbox, in order, twice (a recipe must survive being
//! run again, as a user re-running the README would), with:
//! - `helm`: the real Helm 4 (`{test helm=3}`: Helm 3) behind a small shim for what cannot
//!   happen offline: `helm repo ...` does nothing, `istio/istiod` is the local
//!   testdata/charts/istiod-mini, and `install`/`upgrade` add `--dry-run=client` (no cluster;
//!   Helm 3.17 still dials the cluster then, so under Helm 3 `install` runs as `template`,
//!   which takes the same flags and runs the same post-renderer);
//! - `eastwest`: the binary under test; `kubectl`: the real one for `kubectl kustomize`,
//!   while `kubectl ... apply -f -` records its stdin (no cluster) for the checks below;
//! - the current directory: a temp dir holding the README's files (`{test cwd=checkout}`:
//!   the checkout, for recipes that say to run there); Helm homes inside the sandbox.

#[path = "support/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{objects, repo};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");

#[derive(Debug)]
struct Recipe {
    /// Line of the opening fence in README.md.
    line: usize,
    script: String,
    helm: &'static str,
    in_checkout: bool,
}

/// The runnable recipes and the named files of README.md.
fn parse(readme: &str) -> (Vec<Recipe>, Vec<(String, String)>) {
    let mut recipes = Vec::new();
    let mut files = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let body: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| !l.starts_with("```")).collect();
        let text = body.iter().map(|l| format!("{l}\n")).collect::<String>();
        let attrs = info.split_once('{').and_then(|(_, rest)| rest.strip_suffix('}')).unwrap_or("");
        let mut words = attrs.split_whitespace();
        match (info.split_whitespace().next(), words.next()) {
            (Some("sh"), Some("test")) => {
                let mut recipe = Recipe { line: number + 1, script: text, helm: "helm4", in_checkout: false };
                for word in words {
                    match word {
                        "helm=3" => recipe.helm = "helm3",
                        "helm=4" => recipe.helm = "helm4",
                        "cwd=checkout" => recipe.in_checkout = true,
                        other => panic!("README.md line {}: unknown recipe attribute {other:?}", number + 1),
                    }
                }
                recipes.push(recipe);
            }
            (_, Some(file)) if file.starts_with("file=") => files.push((file["file=".len()..].to_owned(), text)),
            _ => {}
        }
    }
    (recipes, files)
}

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("EASTWEST_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo().join(".tools"));
    let path = dir.join("bin").join(name);
    assert!(path.is_file(), "{} is missing: run `make tools`", path.display());
    path
}

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write shim");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = std::env::temp_dir().join(format!("eastwest-readme-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["bin", "work", "home", "applied", "helm/data/plugins", "helm/config", "helm/cache"] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        std::os::unix::fs::symlink(EASTWEST, root.join("bin/eastwest")).expect("symlink");
        write_exe(
            &root.join("bin/kubectl"),
            &format!(
                "#!/usr/bin/env bash\n\
                 # README recipe test: kubectl kustomize is real; apply records its stdin (no cluster).\n\
                 case \" $* \" in\n\
                 *' kustomize '*) exec '{kubectl}' \"$@\" ;;\n\
                 *' apply '*) n=$(ls '{applied}' | wc -l); cat > '{applied}'/$n.yaml; echo \"recorded kubectl $*\" >&2 ;;\n\
                 *) echo \"recipe test: kubectl $* is not simulated\" >&2; exit 1 ;;\n\
                 esac\n",
                kubectl = tool("kubectl").display(),
                applied = root.join("applied").display(),
            ),
        );
        Sandbox { root }
    }

    fn helm_shim(&self, real: &Path, helm3: bool) {
        let install = if helm3 { "args[0]=template" } else { "args+=(--dry-run=client)" };
        write_exe(
            &self.root.join("bin/helm"),
            &format!(
                "#!/usr/bin/env bash\n\
                 # README recipe test: the real Helm, offline and without a cluster.\n\
                 if [ \"${{1:-}}\" = repo ]; then echo \"recipe test: skipped helm $*\" >&2; exit 0; fi\n\
                 args=()\n\
                 for a in \"$@\"; do\n\
                 case $a in istio/istiod) args+=('{chart}') ;; *) args+=(\"$a\") ;; esac\n\
                 done\n\
                 case ${{1:-}} in install|upgrade) {install} ;; esac\n\
                 exec '{real}' \"${{args[@]}}\"\n",
                chart = repo().join("testdata/charts/istiod-mini").display(),
                real = real.display(),
            ),
        );
    }

    fn run(&self, recipe: &Recipe) -> Output {
        self.helm_shim(&tool(recipe.helm), recipe.helm == "helm3");
        let script = self.root.join("recipe.sh");
        std::fs::write(&script, &recipe.script).expect("write recipe");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.root.join("bin")];
        dirs.extend(std::env::split_paths(&path));
        let mut cmd = Command::new("bash");
        cmd.args(["-euo", "pipefail"]).arg(&script);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if ["HELM_", "KUSTOMIZE_", "EASTWEST_", "KUBECONFIG"].iter().any(|p| key.starts_with(p)) {
                cmd.env_remove(key);
            }
        }
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("HOME", self.root.join("home"))
            .env("HELM_DATA_HOME", self.root.join("helm/data"))
            .env("HELM_CONFIG_HOME", self.root.join("helm/config"))
            .env("HELM_CACHE_HOME", self.root.join("helm/cache"))
            .env("HELM_PLUGINS", self.root.join("helm/data/plugins"))
            // The plugin wrapper and the kustomize plugin run this binary, not a stale build.
            .env("EASTWEST_BIN", EASTWEST)
            .env("EASTWEST_ERROR_LOG", self.root.join("eastwest-error.log"))
            .current_dir(if recipe.in_checkout { repo() } else { self.root.join("work") })
            .stdin(Stdio::null());
        cmd.output().unwrap_or_else(|e| panic!("cannot run bash: {e}"))
    }

    fn applied(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> =
            std::fs::read_dir(self.root.join("applied")).expect("read_dir").flatten().map(|e| e.path()).collect();
        names.sort_by_key(|p| p.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<usize>().ok()));
        names.iter().map(common::read).collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("readme: kept {} for inspection", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn created_by_eastwest(objs: &[Value]) -> usize {
    objs.iter().filter(|o| o["metadata"]["labels"]["app.kubernetes.io/created-by"] == "eastwest").count()
}

#[test]
fn every_readme_recipe_runs_as_written() {
    let readme = common::read(repo().join("README.md"));
    let (recipes, files) = parse(&readme);
    assert!(recipes.len() >= 8, "expected the README's runnable recipes, found {}: {recipes:?}", recipes.len());
    assert!(files.iter().any(|(name, _)| name == "mesh.yaml"), "README names no mesh.yaml block");

    let sb = Sandbox::new();
    for (name, text) in &files {
        std::fs::write(sb.root.join("work").join(name), text).expect("write README file");
    }
    for round in 1..=2 {
        let _ = std::fs::remove_dir_all(sb.root.join("applied"));
        std::fs::create_dir_all(sb.root.join("applied")).expect("mkdir");
        for recipe in &recipes {
            let out = sb.run(recipe);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let context = format!(
                "README.md line {} (run {round}) {}:\n{}\nstderr:\n{stderr}\nstdout:\n{stdout}",
                recipe.line, out.status, recipe.script
            );
            assert!(out.status.success(), "recipe failed: {context}");
            // A recipe that renders (post-renderer, kustomize, kpt) shows eastwest's work.
            if recipe.script.contains("--post-renderer")
                || recipe.script.contains("kustomize")
                || recipe.script.contains("kpt ")
            {
                assert!(stdout.contains("app.kubernetes.io/created-by: eastwest"), "no generated object: {context}");
                assert!(stdout.contains("topology.istio.io/network"), "no network label: {context}");
            }
        }
        // What the recipes piped into `kubectl apply`: the pipe's augmented istiod, then
        // cluster eu's standalone set. Read back as data.
        let applied = sb.applied();
        assert_eq!(applied.len(), 2, "expected two kubectl apply runs, got {}", applied.len());
        let pipe = objects(&applied[0]);
        let istiod = pipe.iter().find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "istiod");
        let env = istiod.and_then(|d| d.pointer("/spec/template/spec/containers/0/env")).and_then(Value::as_array);
        let env = env.unwrap_or_else(|| panic!("the pipe applied no istiod:\n{}", applied[0]));
        assert!(env.iter().any(|e| e["name"] == "CLUSTER_ID" && e["value"] == "us"), "{env:?}");
        assert!(created_by_eastwest(&pipe) >= 3, "the pipe applied no generated set:\n{}", applied[0]);
        let standalone = objects(&applied[1]);
        let ns = standalone.iter().find(|o| o["kind"] == "Namespace").expect("standalone Namespace");
        assert_eq!(ns["metadata"]["labels"]["topology.istio.io/network"], "eu-net");
        // echo runs in eu under its own Service name: eu's gateway passes that host through
        // (the Kubernetes Service is the export half, so no export ServiceEntry is needed).
        let gateway = standalone
            .iter()
            .find(|o| o["kind"] == "Gateway" && o["metadata"]["name"] == "cross-network-gateway")
            .expect("eu's cross-network-gateway");
        assert_eq!(gateway["spec"]["servers"][0]["hosts"], serde_json::json!(["echo.echo.svc.cluster.local"]));
        assert_eq!(created_by_eastwest(&standalone), standalone.len());
    }
}

/// The parser itself: attributes, files, and blocks that are not recipes.
#[test]
fn recipe_blocks_are_found() {
    let text = "x\n```sh {test}\necho a\n```\n```sh\nnot run\n```\n```yaml {file=m.yaml}\nk: v\n```\n\
                ```sh {test helm=3 cwd=checkout}\necho b\n```\n";
    let (recipes, files) = parse(text);
    assert_eq!(recipes.len(), 2);
    assert_eq!(recipes[0].script, "echo a\n");
    assert_eq!(recipes[0].line, 2);
    assert!(recipes[1].in_checkout && recipes[1].helm == "helm3");
    assert_eq!(files, vec![("m.yaml".to_owned(), "k: v\n".to_owned())]);
}
