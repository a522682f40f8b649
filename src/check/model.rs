//! One model of the whole mesh: every cluster's render read once with the crate's own
//! reader, its objects indexed by kind, namespace and name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::read::{node_json, Input, Keep};

/// Kinds some check reads beyond their identity; the reader cuts every other document down
/// to apiVersion, kind and metadata as it parses (CRDs, RBAC, webhooks are most of a render).
pub fn read_in_full(kind: &str) -> bool {
    // What the transforms read (workloads, Services, Namespaces, ConfigMaps), plus Istio's
    // routing and security objects and the CA material.
    crate::transform::reads_kind(kind)
        || matches!(
            kind,
            "Secret"
                | "ServiceEntry"
                | "WorkloadEntry"
                | "Gateway"
                | "Sidecar"
                | "DestinationRule"
                | "PeerAuthentication"
                | "Certificate"
                | "MutatingWebhookConfiguration"
        )
}

/// One Kubernetes object of a render, as data.
pub struct Obj {
    pub api_version: String,
    pub kind: String,
    /// `None` when the manifest leaves it to `kubectl apply -n` (matches any namespace).
    pub namespace: Option<String>,
    pub name: String,
    pub value: Value,
}

impl Obj {
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    /// Is the object in namespace `ns` (a manifest without one is applied wherever asked)?
    pub fn in_ns(&self, ns: &str) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == ns)
    }

    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }

    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }

    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        self.value.pointer(pointer).and_then(Value::as_str)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.value.get("metadata")?.get("labels")?.get(key)?.as_str()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.value.get("metadata")?.get("annotations")?.get(key)?.as_str()
    }

    pub fn labels(&self) -> Vec<(&str, &str)> {
        string_map(self.at("/metadata/labels"))
    }
}

/// A `{key: "value"}` mapping's string entries.
pub fn string_map(v: Option<&Value>) -> Vec<(&str, &str)> {
    v.and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
        .unwrap_or_default()
}

/// Everything that will be applied to one cluster.
pub struct Render {
    pub cluster: String,
    pub objects: Vec<Obj>,
    by_kind: HashMap<String, Vec<usize>>,
}

impl Render {
    /// The same object (group, kind, namespace, name) given twice is one object in the
    /// cluster: the one applied last wins, as with `kubectl apply` (a render made of the
    /// istiod release plus the standalone set repeats the mesh-wide objects).
    pub fn new(cluster: &str, objects: Vec<Obj>) -> Render {
        let mut last: HashMap<(String, String, String, String), usize> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            last.insert((o.group().to_owned(), o.kind.clone(), o.ns().to_owned(), o.name.clone()), i);
        }
        let objects: Vec<Obj> = objects
            .into_iter()
            .enumerate()
            .filter(|(i, o)| {
                last.get(&(o.group().to_owned(), o.kind.clone(), o.ns().to_owned(), o.name.clone())) == Some(i)
            })
            .map(|(_, o)| o)
            .collect();
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            by_kind.entry(o.kind.clone()).or_default().push(i);
        }
        Render { cluster: cluster.to_owned(), objects, by_kind }
    }

    /// Every object of a kind (any API group; callers check the group where it matters).
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Obj> + 'a {
        self.by_kind.get(kind).map_or(&[][..], Vec::as_slice).iter().map(move |&i| &self.objects[i])
    }

    /// Objects of a group and kind.
    pub fn kind<'a>(&'a self, group: &'a str, kind: &str) -> impl Iterator<Item = &'a Obj> + 'a {
        self.of_kind(kind).filter(move |o| o.group() == group)
    }

    pub fn get(&self, group: &str, kind: &str, ns: &str, name: &str) -> Option<&Obj> {
        self.of_kind(kind).find(|o| o.group() == group && o.name == name && (kind == "Namespace" || o.in_ns(ns)))
    }
}

/// Read one `CLUSTER=PATH` argument: a file, `-` (stdin) or a directory of YAML/JSON files.
/// Anything unreadable is a usage error: check cannot judge what it cannot read.
pub fn load(cluster: &str, path: &str, stdin: &mut Option<String>) -> Result<Render, Error> {
    let mut texts: Vec<(String, String)> = Vec::new();
    if path == "-" {
        let Some(text) = stdin.take() else {
            return Err(Error::Usage(format!("{cluster}=-: stdin can be read only once")));
        };
        texts.push(("stdin".to_owned(), text));
    } else {
        let p = Path::new(path);
        let files = if p.is_dir() { manifest_files(p)? } else { vec![p.to_owned()] };
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::Usage(format!("{cluster}={path}: cannot read {}: {e}", file.display())))?;
            texts.push((file.display().to_string(), text));
        }
    }
    let mut objects = Vec::new();
    for (origin, text) in &texts {
        let input = Input::parse_keeping(text, Keep::KindsWhere(read_in_full))
            .map_err(|e| Error::Usage(format!("{cluster}={origin}: {e}")))?;
        for o in input.objects().map_err(|e| Error::Usage(format!("{cluster}={origin}: {e}")))? {
            objects.push(Obj {
                api_version: o.api_version.to_owned(),
                kind: o.kind.to_owned(),
                namespace: o.namespace.map(str::to_owned),
                name: o.name.to_owned(),
                value: node_json(o.node),
            });
        }
    }
    Ok(Render::new(cluster, objects))
}

/// The YAML and JSON files under a directory, in a stable (sorted) order.
fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| Error::Usage(format!("cannot read directory {}: {e}", d.display())))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::Usage(format!("cannot read {}: {e}", d.display())))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
