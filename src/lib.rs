//! eastwest: a render-time filter that turns an Istio install into a multi-network mesh.
//!
//! The pipeline, one module per step: [`read`] the stream, load the [`config`], run the
//! [`transform`]s (edits to objects already there) and [`generate`] (new objects), then
//! [`write`] the result in the shape it came in. [`run`] ties them together.

pub mod check;
pub mod config;
pub mod error;
pub mod generate;
pub mod graph;
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
    /// Add the cluster's whole standalone set (`eastwest generate`). Never inferred from an
    /// empty input: a failed `helm template | eastwest | kubectl apply` must apply nothing.
    pub standalone: bool,
}

/// Probably a mistake, maybe intended: the run goes on. The CLI prints each as one line
/// on stderr (`eastwest: warning: ...`) and exits 0; a KRM ResourceList output carries
/// each as a `results` entry of severity `warning`.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The document it is about, if any (else it is about the config).
    pub doc: Option<error::DocRef>,
    /// The field path (in the document, or in the config when `doc` is None).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.doc {
            Some(doc) => write!(f, "{doc}: field {}: {}", self.field, self.message),
            None => write!(f, "config: field {}: {}", self.field, self.message),
        }
    }
}

/// The functionConfig annotation that makes a KRM function a generator of the standalone
/// set (`"true"`), since a ResourceList has no command line to say `generate`.
pub const STANDALONE_ANNOTATION: &str = "eastwest.dev/standalone";

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
fn load_config(input: &Input, objects: &[Object], options: &Options, from_file: Option<Loaded>) -> Result<Mesh, Error> {
    let cluster = options.cluster.as_deref();
    if let Some(loaded) = from_file {
        return loaded;
    }
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
    run_with_warnings(text, options).map(|(out, _)| out)
}

/// Run the whole filter; the output and the warnings.
pub fn run_with_warnings(text: &str, options: &Options) -> Result<(String, Vec<Warning>), Failure> {
    let mut out = Vec::with_capacity(text.len() + 4096);
    let warnings = run_to(text, options, &mut out)?;
    let out = String::from_utf8(out).map_err(|e| Failure::from(Error::Io(e.to_string())))?;
    Ok((out, warnings))
}

/// Run the filter and stream the result to `out`; returns the warnings. Everything that
/// can fail is decided before the first byte is written, so an error never leaves half a
/// stream behind.
pub fn run_to(text: &str, options: &Options, out: &mut dyn std::io::Write) -> Result<Vec<Warning>, Failure> {
    // A config given as a file is known before the input is read: workloads outside its
    // workload namespaces are then kept as small as unread kinds. (A config that does not
    // load is reported by run_parsed, after the input's own errors, as always; the file is
    // loaded only once.)
    let early = options.config.as_ref().map(|f| config::from_text(&f.text, &f.origin, options.cluster.as_deref()));
    // Without a file, a MeshNetwork document at the top level of a YAML stream is found by
    // its text first, for the same pruning. That guess only saves memory: if the config the
    // parsed stream really holds names other workload namespaces, the input is read again
    // with nothing pruned, so a wrong guess can never drop a workload a transform edits.
    let guessed = if early.is_none() { guess_config(text, options.cluster.as_deref()) } else { None };
    let workloads = match &early {
        Some(loaded) => loaded.as_ref().ok().map(|mesh| &mesh.spec.workload_namespaces[..]),
        None => guessed.as_deref(),
    };
    let mut input = Input::parse_pruned(text, read::Keep::Transforms, workloads)?;
    let mut result = run_parsed(&input, options, early, guessed.as_deref());
    if let Ok(None) = result {
        input = Input::parse_pruned(text, read::Keep::Transforms, None)?;
        result = run_parsed(&input, options, None, None);
    }
    // Without a guess, run_parsed always renders.
    let result = result.and_then(|r| r.ok_or_else(|| Error::Io("the config changed while reading".into())));
    match result {
        Ok((rendered, warnings)) if input.shape == Shape::ResourceList && !warnings.is_empty() => {
            let mut buffer = Vec::new();
            rendered.write_to(text, &mut buffer).map_err(|e| Failure::from(Error::Io(e.to_string())))?;
            let buffer = String::from_utf8(buffer).map_err(|e| Failure::from(Error::Io(e.to_string())))?;
            let with_results = krm_with_results(&buffer, &warnings)?;
            out.write_all(with_results.as_bytes()).map_err(|e| Error::Io(e.to_string()))?;
            Ok(warnings)
        }
        Ok((rendered, warnings)) => {
            rendered.write_to(text, out).map_err(|e| Failure::from(Error::Io(e.to_string())))?;
            Ok(warnings)
        }
        Err(error) if input.shape == Shape::ResourceList => {
            let output = krm_failure(&input, &error);
            Err(Failure { error, output })
        }
        Err(error) => Err(error.into()),
    }
}

/// A config file loaded before the input was read.
type Loaded = Result<Mesh, Error>;

/// The workload namespaces of the config, found by its text before parsing: a
/// ResourceList's `functionConfig` (which kpt and kustomize write after the items), else
/// the stream's one MeshNetwork document.
fn guess_config(text: &str, cluster: Option<&str>) -> Option<Vec<String>> {
    guess_function_config(text, cluster).or_else(|| guess_stream_config(text, cluster))
}

/// The workload namespaces of a top-level `functionConfig:` written as a block.
fn guess_function_config(text: &str, cluster: Option<&str>) -> Option<Vec<String>> {
    let key = "\nfunctionConfig:";
    let mut hits = memchr::memmem::find_iter(text.as_bytes(), key.as_bytes());
    let at = hits.next()? + 1;
    if hits.next().is_some() {
        return None;
    }
    // The block ends at the next line that starts in column 0 with anything but a comment.
    let body = at + key.len() - 1;
    let end = text[body..]
        .match_indices('\n')
        .map(|(i, _)| body + i + 1)
        .find(|&line| text[line..].starts_with(|c: char| !matches!(c, ' ' | '\t' | '\r' | '\n' | '#')))
        .unwrap_or(text.len());
    let docs = yaml::parse_documents(text.get(at..end)?, 0).ok()?;
    let function_config = docs.first()?.root.get("functionConfig")?;
    config::from_value(node_json(function_config), cluster).ok().map(|mesh| mesh.spec.workload_namespaces)
}

/// The workload namespaces of the one MeshNetwork document of a YAML stream, found by its
/// text (`kind: MeshNetwork` at the start of a line, between `---` lines) before parsing.
fn guess_stream_config(text: &str, cluster: Option<&str>) -> Option<Vec<String>> {
    let finder = memchr::memmem::Finder::new(b"\nkind: MeshNetwork");
    let mut hits = finder.find_iter(text.as_bytes());
    let at = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    let start = text[..at].rfind("\n---").map_or(0, |i| i + 4);
    let end = text[at..].find("\n---").map_or(text.len(), |i| at + i);
    let doc = text.get(start..end)?;
    config::from_text(doc, "stream", cluster).ok().map(|mesh| mesh.spec.workload_namespaces)
}

/// Render a parsed input. `guessed`: the workload namespaces the input was pruned for,
/// found by text before parsing; `Ok(None)` when the config the input really holds names
/// others (the caller then reads the input again with nothing pruned).
fn run_parsed(
    input: &Input,
    options: &Options,
    from_file: Option<Loaded>,
    guessed: Option<&[String]>,
) -> Result<Option<(write::Rendered, Vec<Warning>)>, Error> {
    let all = input.objects()?;
    let loaded = load_config(input, &all, options, from_file);
    if let Some(guess) = guessed {
        if loaded.as_ref().map_or(true, |mesh| mesh.spec.workload_namespaces != guess) {
            return Ok(None);
        }
    }
    let mut mesh = loaded?;
    let configs: Vec<usize> = all.iter().enumerate().filter(|(_, o)| is_mesh_network(o)).map(|(i, _)| i).collect();
    // A config document is taken out of a stream (it is not for the cluster), but a
    // ResourceList item is the orchestrator's file: kpt deletes the package's mesh.yaml when
    // a function drops it, and kpt and kustomize leave local-config items out themselves.
    let removed = if input.shape == Shape::ResourceList { Vec::new() } else { configs.clone() };
    // Transforms and generators see the objects without the config itself; indexes into
    // `all` are kept so the writer can find each object again.
    // Without a config document in the stream (the usual `--config` run), or with one first
    // or last (where people put it), the view borrows `all`: no copy of an object list as
    // long as the input's document count.
    let view: std::borrow::Cow<[Object]> = match configs[..] {
        [] => std::borrow::Cow::Borrowed(&all),
        [0] => std::borrow::Cow::Borrowed(&all[1..]),
        [last] if last + 1 == all.len() => std::borrow::Cow::Borrowed(&all[..last]),
        _ => std::borrow::Cow::Owned(
            all.iter().enumerate().filter(|(i, _)| !configs.contains(i)).map(|(_, o)| o.clone()).collect(),
        ),
    };
    transform::adopt_control_plane_namespace(&mut mesh, &view)?;
    let view_edits = transform::run(&mesh, &view)?;
    let standalone = options.standalone || asks_for_standalone(input);
    let (generated, warnings) = generate::run(&mesh, input, &view, standalone)?;
    drop(view);
    // Index in the view -> index in `all`: past each config document, one further.
    let kept = |i: usize| configs.iter().fold(i, |at, &c| if c <= at { at + 1 } else { at });
    let mut edits = transform::Edits::default();
    for (i, change) in view_edits.changes {
        edits.changes.insert(kept(i), change);
    }
    let rendered = write::render(input, &write::Plan { edits, removed, generated, objects: &all })?;
    Ok(Some((rendered, warnings)))
}

/// A `results` entry in the shape KRM orchestrators show.
fn krm_result(message: String, severity: &str, doc: Option<&error::DocRef>, field: &str) -> Value {
    let mut result = json!({"message": message, "severity": severity});
    if let Some(at) = doc {
        let mut reference = json!({"apiVersion": at.api_version, "kind": at.kind, "name": at.name});
        if let Some(ns) = &at.namespace {
            reference["namespace"] = Value::String(ns.clone());
        }
        result["resourceRef"] = reference;
    }
    if !field.is_empty() {
        result["field"] = json!({"path": field});
    }
    result
}

/// The rendered ResourceList with the warnings as `results` of severity warning.
fn krm_with_results(rendered: &str, warnings: &[Warning]) -> Result<String, Error> {
    // Only the ResourceList's own keys are edited: each item is read (the output is
    // checked to be YAML) but kept as an empty placeholder spanning its text, so a list of
    // 50 000 items is not held as a tree a second time.
    let mut forget_item = |_: usize, _: usize, item: &mut yaml::Node| {
        let end = rendered.get(..item.end).map_or(item.end, |t| t.trim_end().len().max(item.start));
        let content = yaml::Content::Scalar { text: Box::default(), style: yaml::node::Style::Plain, tag: None };
        *item = yaml::Node { start: item.start, end, anchor: 0, content };
    };
    let docs = yaml::node::parse_documents_with_items(rendered, 0, None, Some(&mut forget_item))
        .map_err(|e| Error::Io(format!("the ResourceList written does not read back: {}", e.message)))?;
    let Some(doc) = docs.first() else { return Ok(rendered.to_owned()) };
    let results: Vec<Value> =
        warnings.iter().map(|w| krm_result(w.to_string(), "warning", w.doc.as_ref(), &w.field)).collect();
    let mut change = Change::default();
    change.key("results").set(Value::Array(results), OnConflict::Replace);
    let mut editor = Editor::new(rendered, &doc.root);
    editor
        .apply(&doc.root, Slot::Root, &change, "")
        .map_err(|_| Error::Io("cannot add the warnings to the ResourceList's results".into()))?;
    Ok(yaml::apply_patches(rendered, editor.patches))
}

/// A KRM functionConfig annotated `eastwest.dev/standalone: "true"`.
fn asks_for_standalone(input: &Input) -> bool {
    input.function_config().is_some_and(|fc| {
        let annotation = format!("/metadata/annotations/{}", STANDALONE_ANNOTATION.replace('/', "~1"));
        node_json(fc).pointer(&annotation).and_then(Value::as_str) == Some("true")
    })
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
