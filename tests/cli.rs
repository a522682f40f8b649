//! The command line as a new user meets it: nothing dangerous by default (an empty stream
//! writes nothing; the standalone set only from `eastwest generate`), "did you mean" for
//! typos, `completions` without a shell, and another format on stdin named as such.

#[path = "support/common.rs"]
mod common;

use std::process::{Command, Output};

use common::{key, objects, repo, run_with_stdin, text};

const EASTWEST: &str = env!("CARGO_BIN_EXE_eastwest");
const TWO_CLUSTERS: &str = "testdata/configs/two-clusters.yaml";

fn eastwest(args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(EASTWEST);
    cmd.args(args).current_dir(repo()).env_remove("HELM_PLUGIN_NAME");
    run_with_stdin(&mut cmd, stdin)
}

/// A usage error: exit 2, one line on stderr, nothing on stdout.
fn usage_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "usage error wrote stdout: {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("eastwest: "), "{err}");
    err
}

/// `helm template ... | eastwest --config mesh.yaml | kubectl apply -f -` where helm failed:
/// eastwest reads nothing and must write nothing (Helm 4 then reports empty output).
#[test]
fn empty_stdin_writes_nothing_and_succeeds() {
    let out = eastwest(&["--config", TWO_CLUSTERS], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "empty input wrote:\n{}", text(&out.stdout));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    // A stream without objects comes back as it was (its bytes kept), with nothing added.
    for input in ["\n", "---\n# only a comment\n"] {
        let out = eastwest(&["--config", TWO_CLUSTERS], input);
        assert_eq!(out.status.code(), Some(0), "input {input:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), input, "input {input:?} got objects added");
    }
}

/// The cluster-specific standalone set, asked for by name; `--cluster` picks the cluster.
#[test]
fn generate_prints_the_standalone_set_for_the_named_cluster() {
    let out = eastwest(&["generate", "--config", "testdata/configs/three-clusters.yaml", "--cluster", "ap"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let objs = objects(&text(&out.stdout));
    let keys: Vec<_> = objs.iter().map(key).collect();
    assert!(keys.contains(&("Namespace".into(), String::new(), "istio-system".into())), "{keys:?}");
    assert!(keys.contains(&("Gateway".into(), "istio-system".into(), "cross-network-gateway".into())), "{keys:?}");
    let namespace = objs.iter().find(|o| o["kind"] == "Namespace").expect("namespace");
    let network = &namespace["metadata"]["labels"]["topology.istio.io/network"];
    let mesh = common::read(repo().join("testdata/configs/three-clusters.yaml"));
    assert!(mesh.contains(&format!("network: {}", network.as_str().unwrap_or("?"))), "network {network}");
    // The same as the library's standalone run (and so the golden *-standalone cases).
    assert_eq!(text(&out.stdout), common::generate("testdata/configs/three-clusters.yaml", Some("ap")));
}

#[test]
fn generate_without_a_config_is_a_usage_error() {
    let err = usage_line(&eastwest(&["generate"], ""));
    assert!(err.contains("eastwest generate --config mesh.yaml"), "{err}");
}

#[test]
fn a_mistyped_subcommand_gets_did_you_mean() {
    let err = usage_line(&eastwest(&["schma"], ""));
    assert!(err.contains("did you mean 'schema'"), "{err}");
    let err = usage_line(&eastwest(&["generat", "--config", TWO_CLUSTERS], ""));
    assert!(err.contains("did you mean 'generate'"), "{err}");
}

#[test]
fn a_mistyped_flag_gets_did_you_mean() {
    let err = usage_line(&eastwest(&["--confg", TWO_CLUSTERS], ""));
    assert!(err.contains("'--confg'") && err.contains("did you mean '--config'"), "{err}");
    let err = usage_line(&eastwest(&["generate", "--clustr", "eu"], ""));
    assert!(err.contains("did you mean '--cluster'"), "{err}");
}

/// A config path that is not like any subcommand keeps the plain file error.
#[test]
fn a_missing_config_file_is_named() {
    let err = usage_line(&eastwest(&["no-such-mesh-file.yaml"], ""));
    assert!(err.contains("cannot read config no-such-mesh-file.yaml"), "{err}");
}

#[test]
fn completions_without_a_shell_lists_the_shells() {
    let err = usage_line(&eastwest(&["completions"], ""));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(err.contains(shell), "{shell} missing: {err}");
    }
    assert!(err.contains("SHELL"), "names the argument: {err}");
    let out = eastwest(&["completions", "bash"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("_eastwest"), "not a bash completion script");
}

#[test]
fn toml_on_stdin_is_named_as_not_kubernetes() {
    let toml = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n";
    let out = eastwest(&["--config", TWO_CLUSTERS], toml);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("not Kubernetes YAML or JSON") && err.contains("TOML"), "{err}");
    assert!(!err.contains("invalid JSON"), "{err}");
    let out = eastwest(&["--config", TWO_CLUSTERS], "# settings\ntoken = \"s3cret\"\n");
    let err = text(&out.stderr);
    assert!(err.contains("TOML") && err.contains("line 2"), "{err}");
    assert!(!err.contains("s3cret"), "echoed the value: {err}");
}

/// Real YAML errors keep their own message: the sniffing only names other formats.
#[test]
fn yaml_errors_are_not_mistaken_for_toml() {
    let out = eastwest(&["--config", TWO_CLUSTERS], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("invalid YAML") && !err.contains("TOML"), "{err}");
}

/// Run with a terminal on stdin (a user typing `eastwest --config mesh.yaml` alone), eastwest
/// says what it expects instead of waiting or printing anything. `script` gives the terminal.
#[test]
fn a_terminal_on_stdin_is_a_usage_error_that_names_generate() {
    let command = format!("'{EASTWEST}' --config {TWO_CLUSTERS}; echo \"exit=$?\"");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(repo())
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let shown = text(&out.stdout).replace('\r', "");
    assert!(shown.contains("exit=2"), "{shown}");
    assert!(shown.contains("stdin (it is a terminal)") && shown.contains("eastwest generate --config"), "{shown}");
    assert!(!shown.contains("kind:"), "printed manifests: {shown}");
}
