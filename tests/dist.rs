//! `make dist` (scripts/dist.sh) with the real Helm 4: the archive is made by Helm's own
//! `helm plugin package`, signed with a throwaway gpg key made here, installed with
//! signature verification on into private Helm homes, and then run as a post-renderer with
//! nothing of the checkout or of Rust on PATH. A wrong key and a changed archive must be
//! refused.
//!
//! The archive holds the binary this test suite built (EASTWEST_RELEASE_BIN), so the test
//! needs no release build; `make dist` itself packs target/release/eastwest.

#[path = "support/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{objects, ok, repo, text};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("EASTWEST_TOOLS").map(PathBuf::from).unwrap_or_else(|| repo().join(".tools"));
    let path = dir.join("bin").join(name);
    assert!(path.is_file(), "{} is missing: run `make tools`", path.display());
    path
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A temp dir with its own GNUPGHOME; the gpg-agent it starts is stopped on drop.
struct World {
    root: PathBuf,
}

impl World {
    fn new(name: &str) -> World {
        let root = std::env::temp_dir().join(format!("eastwest-dist-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["gnupg", "dist", "helm/data/plugins", "helm/config", "helm/cache", "work"] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root.join("gnupg"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        World { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn gpg(&self, home: &str) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", self.path(home)).args(["--batch", "--no-tty"]);
        cmd
    }

    /// A key without passphrase, exported in the legacy keyring format Helm reads.
    fn make_key(&self, home: &str, user: &str) -> (PathBuf, PathBuf) {
        std::fs::create_dir_all(self.path(home)).expect("mkdir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(self.path(home), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        ok(
            &run(self.gpg(home).args(["--passphrase", "", "--quick-gen-key", user, "rsa2048", "sign", "never"])),
            "gpg --quick-gen-key",
        );
        let secret = self.path(&format!("{home}-secring.gpg"));
        let public = self.path(&format!("{home}-pubring.gpg"));
        let out = run(self.gpg(home).arg("--export-secret-keys"));
        std::fs::write(&secret, &out.stdout).expect("write secring");
        let out = run(self.gpg(home).arg("--export"));
        std::fs::write(&public, &out.stdout).expect("write pubring");
        assert!(!out.stdout.is_empty(), "gpg exported no public key");
        (secret, public)
    }

    /// Helm 4 with private homes and a PATH without the checkout, cargo or eastwest.
    fn helm(&self) -> Command {
        let mut cmd = Command::new(tool("helm4"));
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.path("work"))
            .env("HELM_DATA_HOME", self.path("helm/data"))
            .env("HELM_CONFIG_HOME", self.path("helm/config"))
            .env("HELM_CACHE_HOME", self.path("helm/cache"))
            .env("HELM_PLUGINS", self.path("helm/data/plugins"))
            .env("EASTWEST_ERROR_LOG", self.path("error.log"))
            .current_dir(self.path("work"));
        cmd
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for home in ["gnupg", "other"] {
            if self.path(home).is_dir() {
                let _ =
                    Command::new("gpgconf").env("GNUPGHOME", self.path(home)).args(["--kill", "gpg-agent"]).output();
            }
        }
        if std::thread::panicking() {
            eprintln!("dist: kept {} for inspection", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// `make dist`'s script with a signing key; returns the archive.
fn dist(world: &World, secret: &Path) -> PathBuf {
    let out = run(Command::new("bash")
        .arg(repo().join("scripts/dist.sh"))
        .env("DIST", world.path("dist"))
        .env("EASTWEST_RELEASE_BIN", EASTWEST)
        .env("HELM", tool("helm4"))
        .env("SIGN_KEY", "eastwest dist test")
        .env("KEYRING", secret)
        .env("HELM_DATA_HOME", world.path("helm/data"))
        .env("HELM_CONFIG_HOME", world.path("helm/config"))
        .env("HELM_CACHE_HOME", world.path("helm/cache")));
    let printed = ok(&out, "scripts/dist.sh");
    let archive = world.path("dist/eastwest-0.1.0.tgz");
    assert!(printed.lines().any(|l| Path::new(l) == archive), "dist.sh printed {printed:?}");
    assert!(archive.is_file() && world.path("dist/eastwest-0.1.0.tgz.prov").is_file(), "no archive and .prov");
    archive
}

#[test]
fn signed_archive_installs_with_verification_and_post_renders() {
    let world = World::new("signed");
    let (secret, public) = world.make_key("gnupg", "eastwest dist test <dist-test@example.invalid>");
    let archive = dist(&world, &secret);

    // Archive contents: plugin.yaml, the wrapper, the binary, and nothing else of the checkout.
    let listing = ok(&run(Command::new("tar").arg("tzf").arg(&archive)), "tar tzf");
    let entries: Vec<&str> = listing.lines().map(|l| l.trim_end_matches('/')).collect();
    let is_dir = |e: &str| entries.iter().any(|other| other.starts_with(&format!("{e}/")));
    let mut files: Vec<&str> = entries.iter().copied().filter(|e| !is_dir(e)).collect();
    files.sort();
    assert_eq!(files, ["eastwest/bin/eastwest", "eastwest/plugin.yaml", "eastwest/scripts/helm-plugin-run.sh"]);

    // Verification is Helm's default for archives; say it anyway.
    let out = run(world.helm().args(["plugin", "install", "--verify"]).arg(&archive).arg("--keyring").arg(&public));
    let said = ok(&out, "helm plugin install <archive> --verify");
    assert!(said.contains("Plugin Hash Verified") && said.contains("eastwest dist test"), "{said}");
    let list = ok(&run(world.helm().args(["plugin", "list"])), "helm plugin list");
    let row = list.lines().find(|l| l.starts_with("eastwest")).unwrap_or_else(|| panic!("not listed:\n{list}"));
    assert!(row.contains("signed") && row.contains("postrenderer/v1"), "{row}");
    let installed = world.path("helm/data/plugins/eastwest");
    assert!(installed.join("bin/eastwest").is_file(), "no binary in {}", installed.display());
    let link = std::fs::symlink_metadata(&installed).expect("installed plugin");
    assert!(!link.file_type().is_symlink(), "installed as a link into the checkout, not unpacked");

    // Run it as a post-renderer: the chart and config are copied out of the checkout first.
    let chart = world.path("work/istiod-mini");
    ok(&run(Command::new("cp").arg("-r").arg(repo().join("testdata/charts/istiod-mini")).arg(&chart)), "cp chart");
    std::fs::copy(repo().join("testdata/configs/two-clusters.yaml"), world.path("work/mesh.yaml")).expect("copy");
    let out = run(world.helm().args(["template", "istiod", "./istiod-mini", "-n", "istio-system"]).args([
        "--post-renderer",
        "eastwest",
        "--post-renderer-args=--config=mesh.yaml",
    ]));
    let rendered = ok(&out, "helm template --post-renderer eastwest (installed archive)");
    let objs = objects(&rendered);
    let generated: Vec<&serde_json::Value> =
        objs.iter().filter(|o| o["metadata"]["labels"]["app.kubernetes.io/created-by"] == "eastwest").collect();
    assert!(
        generated.iter().any(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "istio-eastwestgateway")
            && generated.iter().any(|o| o["kind"] == "ServiceEntry"),
        "the installed plugin did not generate the mesh set:\n{rendered}"
    );
    let istiod = objs.iter().find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "istiod").expect("istiod");
    let env = istiod.pointer("/spec/template/spec/containers/0/env").and_then(|e| e.as_array()).expect("env");
    assert!(env.iter().any(|e| e["name"] == "CLUSTER_ID" && e["value"] == "us"), "{env:?}");
}

#[test]
fn install_refuses_a_wrong_key_and_a_changed_archive() {
    let world = World::new("refused");
    let (secret, public) = world.make_key("gnupg", "eastwest dist test <dist-test@example.invalid>");
    let (_, other_public) = world.make_key("other", "someone else <other@example.invalid>");
    let archive = dist(&world, &secret);

    let out = run(world.helm().args(["plugin", "install"]).arg(&archive).arg("--keyring").arg(&other_public));
    assert!(!out.status.success(), "installed with a keyring that lacks the signer:\n{}", text(&out.stdout));
    assert!(!world.path("helm/data/plugins/eastwest").exists(), "a refused plugin was left installed");

    // Same name, different bytes: the .prov's hash no longer matches.
    let mut bytes = std::fs::read(&archive).expect("read archive");
    bytes.extend_from_slice(&[0; 512]);
    std::fs::write(&archive, bytes).expect("write archive");
    let out = run(world.helm().args(["plugin", "install"]).arg(&archive).arg("--keyring").arg(&public));
    assert!(!out.status.success(), "installed a changed archive:\n{}", text(&out.stdout));
    assert!(!world.path("helm/data/plugins/eastwest").exists(), "a refused plugin was left installed");
}
