//! eastwest: a render-time filter that turns an Istio install into a multi-network mesh.
//!
//! The pipeline, one module per step: [`read`] the stream, load the [`config`], run the
//! [`transform`]s (edits to objects already there) and [`generate`] (new objects), then
//! [`write`] the result in the shape it came in. [`run`] ties them together.

pub mod config;
pub mod error;
pub mod generate;
pub mod read;
pub mod transform;
pub mod write;
pub mod yaml;

use serde_json::{json, Value};

use config::Mesh;
use error::Error;
use read::{node_json, Input, Object, Shape};
use yaml::{Change, Editor, OnConflict, Slot};

/// Where the config comes from when it is not in the stream.
pub struct ConfigFile {
    /// Shown in messages (the path).
    pub origin: String,
    pub text: String,
}

#[derive(Default)]
pub struct Options {
    /// `--config PATH` or the positional path; wins over functionConfig and the stream.
    pub config: Option<ConfigFile>,
    /// `--cluster NAME`: which cluster is rendered, overriding `spec.cluster`.
    pub cluster: Option<String>,
}

/// A failed run: the error, and for KRM functions the ResourceList that reports it.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    /// A ResourceList with `results` (only when the input was a ResourceList).
    pub output: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, output: None }
    }
}

fn is_mesh_network(obj: &Object) -> bool {
    obj.kind == config::KIND && obj.group() == "eastwest.dev"
}

/// Find the config: an explicit file, else the ResourceList's functionConfig, else the one
/// MeshNetwork document of the stream.
fn load_config(input: &Input, objects: &[Object], options: &Options) -> Result<Mesh, Error> {
    let cluster = options.cluster.as_deref();
    if let Some(file) = &options.config {
        return config::from_text(&file.text, &file.origin, cluster);
    }
    if let Some(function_config) = input.function_config() {
        return config::from_value(node_json(function_config), cluster)
            .map_err(|e| prefix_config_error(e, "functionConfig"));
    }
    let mut in_stream = objects.iter().filter(|o| is_mesh_network(o));
    match (in_stream.next(), in_stream.next()) {
        (Some(obj), None) => config::from_value(node_json(obj.node), cluster)
            .map_err(|e| prefix_config_error(e, &obj.doc_ref().to_string())),
        (Some(_), Some(second)) => Err(Error::Input(format!(
            "{}: a second MeshNetwork config in the stream; keep exactly one",
            second.doc_ref()
        ))),
        (None, _) => Err(Error::Usage(
            "no config: pass --config mesh.yaml, a ResourceList functionConfig, or a MeshNetwork document in the stream"
                .into(),
        )),
    }
}

fn prefix_config_error(e: Error, origin: &str) -> Error {
    match e {
        Error::Config { field, message } => Error::Config { field, message: format!("{message} (in {origin})") },
        other => other,
    }
}

/// Run the whole filter over one input text.
pub fn run(text: &str, options: &Options) -> Result<String, Failure> {
    let mut out = Vec::with_capacity(text.len() + 4096);
    run_to(text, options, &mut out)?;
    String::from_utf8(out).map_err(|e| Error::Io(e.to_string()).into())
}

/// Run the filter and stream the result to `out`. Everything that can fail is decided
/// before the first byte is written, so an error never leaves half a stream behind.
pub fn run_to(text: &str, options: &Options, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let input = Input::parse_keeping(text, read::Keep::KindsWhere(transform::reads_kind))?;
    match run_parsed(&input, options) {
        Ok(rendered) => rendered.write_to(text, out).map_err(|e| Error::Io(e.to_string()).into()),
        Err(error) if input.shape == Shape::ResourceList => {
            let output = krm_failure(&input, &error);
            Err(Failure { error, output })
        }
        Err(error) => Err(error.into()),
    }
}

fn run_parsed(input: &Input, options: &Options) -> Result<write::Rendered, Error> {
    let all = input.objects()?;
    let mut mesh = load_config(input, &all, options)?;
    let removed: Vec<usize> = all.iter().enumerate().filter(|(_, o)| is_mesh_network(o)).map(|(i, _)| i).collect();
    // Transforms and generators see the objects without the config itself; indexes into
    // `all` are kept so the writer can find each object again.
    let kept: Vec<usize> = (0..all.len()).filter(|i| !removed.contains(i)).collect();
    let view: Vec<Object> = kept.iter().map(|&i| all[i].clone()).collect();
    transform::adopt_control_plane_namespace(&mut mesh, &view)?;
    let view_edits = transform::run(&mesh, &view)?;
    let generated = generate::run(&mesh, input, &view)?;
    let mut edits = transform::Edits::default();
    for (i, change) in view_edits.changes {
        edits.changes.insert(kept[i], change);
    }
    write::render(input, &write::Plan { edits, removed, generated, objects: &all })
}

/// The input ResourceList with a `results` entry for the error (KRM function convention:
/// the orchestrator shows results, and judges by the exit code).
fn krm_failure(input: &Input, error: &Error) -> Option<String> {
    let doc = input.docs.first()?;
    let mut result = json!({"message": error.to_string(), "severity": "error"});
    if let Error::Object { doc: at, field, .. } = error {
        let mut reference = json!({"apiVersion": at.api_version, "kind": at.kind, "name": at.name});
        if let Some(ns) = &at.namespace {
            reference["namespace"] = Value::String(ns.clone());
        }
        result["resourceRef"] = reference;
        result["field"] = json!({"path": field});
    }
    let mut change = Change::default();
    change.key("results").set(Value::Array(vec![result]), OnConflict::Replace);
    let mut editor = Editor::new(input.text, &doc.root);
    editor.apply(&doc.root, Slot::Root, &change, "").ok()?;
    Some(yaml::apply_patches(input.text, editor.patches))
}
