//! Golden tests: each folder of testdata/golden is one reviewed case.
//!
//! `case` names the config (repo-relative), optionally the `cluster` and the `input`
//! (absent: empty input, the standalone set). `expected.*` is the reviewed output.
//! Every case also checks determinism and idempotence. `make golden` rewrites the
//! expected files; read the diff before committing it.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Case {
    dir: PathBuf,
    config: Option<String>,
    cluster: Option<String>,
    input: Option<PathBuf>,
    /// The config of the second (idempotence) run when the first took it from the stream,
    /// which removes it from the output.
    rerun_config: Option<String>,
}

fn load(dir: &Path) -> Case {
    let text = std::fs::read_to_string(dir.join("case")).expect("case file");
    let mut case = Case { dir: dir.to_owned(), config: None, cluster: None, input: None, rerun_config: None };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once('=').expect("key=value");
        match key {
            "config" => case.config = Some(value.to_owned()),
            "cluster" => case.cluster = Some(value.to_owned()),
            "input" => case.input = Some(repo().join(value)),
            "rerun-config" => case.rerun_config = Some(value.to_owned()),
            other => panic!("unknown case key {other}"),
        }
    }
    case
}

fn run(case: &Case, input: &str) -> Result<String, String> {
    run_with(case, case.config.as_ref(), input)
}

fn run_with(case: &Case, config: Option<&String>, input: &str) -> Result<String, String> {
    let config = config.map(|path| eastwest::ConfigFile {
        origin: path.clone(),
        text: std::fs::read_to_string(repo().join(path)).expect("config"),
    });
    // A case without input is the standalone set (`eastwest generate`).
    let options = eastwest::Options { config, cluster: case.cluster.clone(), standalone: case.input.is_none() };
    eastwest::run(input, &options).map_err(|f| f.error.to_string())
}

#[test]
fn golden_cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("testdata/golden"))
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("case").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "golden cases missing");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for dir in dirs {
        let case = load(&dir);
        let input = case.input.as_ref().map(|p| std::fs::read_to_string(p).expect("input")).unwrap_or_default();
        let ext = if case.input.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e == "json")) {
            "json"
        } else {
            "yaml"
        };
        let expected_path = case.dir.join(format!("expected.{ext}"));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let output = match run(&case, &input) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!("{name}: failed: {e}"));
                continue;
            }
        };
        if update {
            std::fs::write(&expected_path, &output).expect("write golden");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if output != expected {
            failures.push(format!(
                "{name}: output differs from {} (run `make golden` and review the diff)",
                expected_path.display()
            ));
            continue;
        }
        match run_with(&case, case.rerun_config.as_ref().or(case.config.as_ref()), &output) {
            Ok(again) if again == output => {}
            Ok(_) => failures.push(format!("{name}: not idempotent: a second run changed the output")),
            Err(e) => failures.push(format!("{name}: second run failed: {e}")),
        }
        if run(&case, &input).ok().as_deref() != Some(output.as_str()) {
            failures.push(format!("{name}: not deterministic"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
