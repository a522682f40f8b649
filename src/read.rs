//! Reading the input: find the documents, parse every one of them, and find the Kubernetes
//! objects inside (a plain stream, a `kind: List`, a KRM `ResourceList`, or JSON).
//!
//! Documents are found by their `---` lines before parsing, so they can be parsed on all
//! cores at once and so each keeps its exact byte range for the writer.

use serde_json::Value;

use crate::error::{DocRef, Error};
use crate::yaml::node::{parse_documents_pruned, parse_documents_with_items, Pruning, IDENTITY_KEYS};
use crate::yaml::Node;

/// How the input was framed; the output answers in the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A multi-document YAML stream (what Helm and `kustomize build` produce).
    Stream,
    /// One document holding `kind: List` with `items`.
    List,
    /// A KRM function's `ResourceList` (config.kubernetes.io/v1).
    ResourceList,
    /// One or more JSON values, concatenated (as kubectl reads them).
    Json,
}

/// One parsed document and the bytes it was parsed from.
pub struct Doc {
    /// 1-based position in the stream, as people count documents.
    pub number: usize,
    /// The chunk of input this document came from (including its `---` line).
    pub start: usize,
    pub end: usize,
    /// Shared, not owned: every document kept by its identity points at one empty
    /// placeholder, so it costs a pointer here instead of a whole node.
    pub root: std::sync::Arc<Node>,
    /// What stands in for parts of the tree that were not kept.
    pub slim: Slim,
    /// Parts of the tree no transform reads were dropped (the edit check then reads the
    /// document's text again in full).
    pub cut: bool,
}

/// What a document keeps in place of a tree (one field, not two: it is paid per document).
pub enum Slim {
    /// Nothing: `root` is the tree, whole or cut down (see [`Doc::cut`]).
    Tree,
    /// For a document no transform reads: its identity, while `root` is the empty
    /// placeholder. Many small documents then cost a few strings each, not a tree.
    Identity(Identity),
    /// For a List or ResourceList: the identity of each item kept only by its identity
    /// (by item index, in order), whose node in `items` is then an empty placeholder. A
    /// list of 50 000 items is pruned item by item, as a stream is document by document.
    Items(Box<[(usize, Identity)]>),
}

impl Doc {
    /// The identity of a document kept only by it.
    pub fn identity(&self) -> Option<&Identity> {
        match &self.slim {
            Slim::Identity(identity) => Some(identity),
            _ => None,
        }
    }

    /// The items of this List kept only by their identity, by item index.
    pub fn item_identities(&self) -> &[(usize, Identity)] {
        match &self.slim {
            Slim::Items(items) => items,
            _ => &[],
        }
    }
}

/// What is kept of a document no transform reads: enough to name it and find it again.
/// One allocation, since there is one per document: common apiVersions and kinds are
/// indexes into [`COMMON_NAMES`], and the other parts share one string.
#[derive(Debug)]
pub struct Identity {
    /// The apiVersion and kind when not common, then the namespace (when set), the name.
    text: Box<str>,
    /// Where in `text` the apiVersion, kind and namespace end.
    ends: [u32; 3],
    /// Index into COMMON_NAMES, or SPELLED_OUT (the part is in `text`).
    api_version: u8,
    kind: u8,
    has_namespace: bool,
}

const SPELLED_OUT: u8 = u8::MAX;

/// apiVersions and kinds charts render by the thousand.
const COMMON_NAMES: &[&str] = &[
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
    "monitoring.coreos.com/v1",
    "networking.istio.io/v1",
    "security.istio.io/v1",
    "gateway.networking.k8s.io/v1",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "Ingress",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "Endpoints",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "Gateway",
    "HTTPRoute",
    "VirtualService",
    "DestinationRule",
    "ServiceEntry",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "EnvoyFilter",
    "Sidecar",
    "Telemetry",
    "PriorityClass",
    "StorageClass",
    "LimitRange",
    "ResourceQuota",
];

fn common_index(text: &str) -> u8 {
    COMMON_NAMES.iter().position(|n| *n == text).and_then(|i| u8::try_from(i).ok()).unwrap_or(SPELLED_OUT)
}

impl Identity {
    /// `None` when a part is too long to be indexed (then the document keeps its tree).
    fn of(obj: &Object) -> Option<Self> {
        let api_version = common_index(obj.api_version);
        let kind = common_index(obj.kind);
        let mut text = String::new();
        let mut ends = [0u32; 3];
        if api_version == SPELLED_OUT {
            text.push_str(obj.api_version);
        }
        ends[0] = u32::try_from(text.len()).ok()?;
        if kind == SPELLED_OUT {
            text.push_str(obj.kind);
        }
        ends[1] = u32::try_from(text.len()).ok()?;
        text.push_str(obj.namespace.unwrap_or(""));
        ends[2] = u32::try_from(text.len()).ok()?;
        text.push_str(obj.name);
        Some(Identity { text: text.into_boxed_str(), ends, api_version, kind, has_namespace: obj.namespace.is_some() })
    }

    /// The `i`-th part spelled out in `text` (apiVersion, kind, namespace).
    fn part(&self, i: usize) -> &str {
        let at = |i: usize| self.ends.get(i).map_or(0, |&e| e as usize);
        let start = if i == 0 { 0 } else { at(i - 1) };
        self.text.get(start..at(i)).unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        COMMON_NAMES.get(usize::from(self.api_version)).copied().unwrap_or_else(|| self.part(0))
    }

    pub fn kind(&self) -> &str {
        COMMON_NAMES.get(usize::from(self.kind)).copied().unwrap_or_else(|| self.part(1))
    }

    pub fn namespace(&self) -> Option<&str> {
        self.has_namespace.then(|| self.part(2))
    }

    pub fn name(&self) -> &str {
        let start = self.ends[2] as usize;
        self.text.get(start..).unwrap_or("")
    }
}

/// The whole input, parsed.
pub struct Input<'a> {
    pub text: &'a str,
    pub shape: Shape,
    pub docs: Vec<Doc>,
    /// What the reader kept of each document (an edited document is read back the same way).
    pub keep: Keep,
}

/// A Kubernetes object somewhere in the input.
#[derive(Clone)]
pub struct Object<'a> {
    /// Which document it is in, and (for lists) which item.
    pub doc: usize,
    pub item: Option<usize>,
    pub node: &'a Node,
    /// The `items` sequence holding it, for an item of a List or ResourceList.
    pub list: Option<&'a Node>,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// 1-based position among the list items, or of the document in a stream.
    pub number: usize,
}

impl Object<'_> {
    pub fn doc_ref(&self) -> DocRef {
        DocRef {
            number: self.number,
            in_list: self.item.is_some(),
            api_version: self.api_version.to_owned(),
            kind: self.kind.to_owned(),
            namespace: self.namespace.map(str::to_owned),
            name: self.name.to_owned(),
        }
    }

    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.node.path(&["metadata", "annotations", key]).and_then(Node::as_str)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.node.path(&["metadata", "labels", key]).and_then(Node::as_str)
    }
}

/// Split off a byte order mark; offsets stay relative to the full text.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// Byte ranges of the chunks between `---` document markers.
pub fn split_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut chunk_start = bom_len(text);
    let is_marker = |at: usize| {
        text[at..].starts_with("---")
            && text.as_bytes().get(at + 3).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    };
    // Only lines starting with `---` can be markers: search for those (a vectorised
    // substring search) instead of walking every line.
    let body = chunk_start;
    let candidates = memchr::memmem::find_iter(&text.as_bytes()[body..], b"\n---").map(|i| body + i + 1);
    for line_start in candidates {
        if is_marker(line_start) && line_start > chunk_start {
            chunks.push((chunk_start, line_start));
            chunk_start = line_start;
        }
    }
    if chunk_start < text.len() || chunks.is_empty() {
        chunks.push((chunk_start, text.len()));
    }
    chunks
}

/// Byte ranges of concatenated JSON values, or `None` when the text is not JSON.
fn split_json(text: &str) -> Option<Result<Vec<(usize, usize)>, String>> {
    let body_start = bom_len(text);
    let first = text[body_start..].trim_start();
    if !first.starts_with(['{', '[']) {
        return None;
    }
    let mut ranges = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(&text[body_start..]).into_iter::<serde::de::IgnoredAny>();
    let mut start = body_start;
    while let Some(item) = stream.next() {
        if let Err(e) = item {
            // serde_json's own text ends with the position again; keep it once.
            let text = e.to_string();
            let what = text.split(" at line ").next().unwrap_or(&text);
            return Some(Err(format!("invalid JSON at line {} column {}: {what}", e.line(), e.column())));
        }
        let end = body_start + stream.byte_offset();
        ranges.push((start, end));
        start = end;
    }
    Some(Ok(ranges))
}

/// Which documents keep their whole tree after parsing. Every document is parsed (so broken
/// YAML anywhere is reported), but one nobody will read is cut down at once, which keeps
/// memory near the size of the input.
#[derive(Clone, Copy)]
pub enum Keep {
    Everything,
    /// Documents of these kinds whole; every other one its apiVersion, kind and metadata.
    KindsWhere(fn(&str) -> bool),
    /// What eastwest's transforms and generators read, and no more: documents of
    /// `transform::reads_kind` kinds whole (of ConfigMaps only Istio's, see
    /// `transform::reads_named`), workloads that are not Istio's own their identity and pod
    /// metadata, every other document only its identity (apiVersion, kind, namespace, name)
    /// and the tools' annotations. For many small documents.
    Transforms,
}

impl Keep {
    fn kinds(self) -> Option<fn(&str) -> bool> {
        match self {
            Keep::Everything => None,
            Keep::KindsWhere(keep_kind) => Some(keep_kind),
            Keep::Transforms => Some(crate::transform::reads_kind),
        }
    }
}

/// What [`prune`] did to a document.
pub(crate) enum Pruned {
    Whole,
    /// Parts dropped; still editable where transforms edit it.
    Cut,
    /// Only its identity kept.
    Identity(Identity),
}

/// The `spec.workloadNamespaces` of a config known before the input is read (`--config`),
/// for [`Keep::Transforms`]: a workload outside them that is none of Istio's own is then
/// never read beyond its identity and metadata, so its pod template is not kept either.
/// `None` when the config comes from the stream itself.
pub type WorkloadNamespaces<'n> = Option<&'n [String]>;

pub(crate) fn prune(root: &mut Node, keep: Keep, workloads: WorkloadNamespaces) -> Pruned {
    let Some(wanted) = keep.kinds() else { return Pruned::Whole };
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind.is_empty() || matches!(kind, "List" | "ResourceList") {
        return Pruned::Whole;
    }
    if let Keep::KindsWhere(_) = keep {
        if wanted(kind) {
            return Pruned::Whole;
        }
        if let crate::yaml::Content::Map { entries, .. } = &mut root.content {
            entries.retain(|(k, _)| matches!(k.scalar_text(), Some("apiVersion" | "kind" | "metadata")));
            entries.shrink_to_fit();
        }
        return Pruned::Cut;
    }
    let name = root.path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("");
    if wanted(kind) && crate::transform::reads_named(kind, name) {
        let read = object(0, None, root, 0).ok();
        let partly = read.as_ref().and_then(crate::transform::only_pod_metadata_read);
        // Outside the workload namespaces no transform edits the pod template (see
        // transform::network_labels): the workload is pruned like any unread kind below.
        let outside =
            |obj: &Object| workloads.is_some_and(|w| !obj.namespace.is_some_and(|ns| w.iter().any(|n| n == ns)));
        let read_as_unread = partly.is_some() && read.as_ref().is_some_and(outside);
        if !read_as_unread {
            return match partly {
                Some(template) if keep_only_path(root, template) => Pruned::Cut,
                _ => Pruned::Whole,
            };
        }
    }
    // An object whose metadata holds nothing but its name, namespace, and labels and
    // annotations eastwest never reads on it, and whose identity reads cleanly, keeps only
    // those strings (no tree): the many small documents case. Any other keeps apiVersion,
    // kind and metadata as a tree, since generators read the network label and the tools'
    // annotations on any object.
    let plain_metadata = root.get("metadata").is_some_and(|m| {
        !m.is_alias()
            && !m.has_merge()
            && m.entries().iter().all(|(k, v)| match k.scalar_text() {
                Some("name" | "namespace") => true,
                Some("labels") => unread_strings(v, &[crate::transform::istio::NETWORK_LABEL]),
                Some("annotations") => unread_strings(v, TOOL_ANNOTATIONS),
                _ => false,
            })
    });
    if plain_metadata {
        if let Some(identity) = object(0, None, root, 0).ok().and_then(|obj| Identity::of(&obj)) {
            let start = root.start;
            let content = crate::yaml::Content::Scalar {
                text: Box::default(),
                style: crate::yaml::node::Style::Plain,
                tag: None,
            };
            // The span stays: a list item's placeholder still says where the item is.
            *root = Node { start, end: root.end, anchor: 0, content };
            return Pruned::Identity(identity);
        }
    }
    if let crate::yaml::Content::Map { entries, .. } = &mut root.content {
        entries.retain(|(k, _)| matches!(k.scalar_text(), Some("apiVersion" | "kind" | "metadata")));
        entries.shrink_to_fit();
    }
    Pruned::Cut
}

/// Annotations eastwest reads on objects of any kind (Helm 4's post-renderer file, KRM
/// orchestrators' file and index).
const TOOL_ANNOTATIONS: &[&str] = &[
    crate::generate::HELM4_FILENAME,
    "config.kubernetes.io/path",
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "internal.config.kubernetes.io/index",
];

/// Labels or annotations of an object kept only by its identity: a plain mapping of plain
/// keys, none of them one that eastwest reads on objects of any kind (the network label:
/// a Gateway API Gateway's, see generate::has_eastwest_gateway).
fn unread_strings(map: &Node, read: &[&str]) -> bool {
    (map.is_null() || map.is_map())
        && !map.has_merge()
        && map.entries().iter().all(|(k, _)| k.scalar_text().is_some_and(|t| !t.starts_with('<') && !read.contains(&t)))
}

/// Keep the identity keys and, along `path` (explicit block or flow keys, no aliases or
/// merges on the way), only the keys leading to the node at its end and its `metadata`,
/// which stay whole. Nothing is cut when the path is not written out plainly.
fn keep_only_path(root: &mut Node, path: &[&str]) -> bool {
    let mut node: &Node = root;
    for key in path.iter().chain(&["metadata"]) {
        if node.is_alias() || node.has_merge() || node.anchor != 0 {
            return false;
        }
        match node.entry(key) {
            Some((_, value)) => node = value,
            None => return false,
        }
    }
    // An anchor in the part that may be edited: its aliases elsewhere must stay in view,
    // so they can be written out as copies of the old value.
    if has_anchor(node, 0) {
        return false;
    }
    let mut node = root;
    for level in 0..=path.len() {
        let key = path.get(level).copied().unwrap_or("metadata");
        let crate::yaml::Content::Map { entries, .. } = &mut node.content else { return true };
        entries
            .retain(|(k, _)| k.scalar_text().is_some_and(|t| t == key || (level == 0 && IDENTITY_KEYS.contains(&t))));
        entries.shrink_to_fit();
        if level == path.len() {
            return true;
        }
        let Some((_, next)) = entries.iter_mut().find(|(k, _)| k.scalar_text() == Some(key)) else { return true };
        node = next;
    }
    true
}

fn has_anchor(node: &Node, depth: usize) -> bool {
    node.anchor != 0
        || depth > crate::yaml::node::MAX_DEPTH
        || match &node.content {
            crate::yaml::Content::Map { entries, .. } => {
                entries.iter().any(|(k, v)| has_anchor(k, depth + 1) || has_anchor(v, depth + 1))
            }
            crate::yaml::Content::Seq { items, .. } => items.iter().any(|i| has_anchor(i, depth + 1)),
            _ => false,
        }
}

/// Parse one document's text again as the reader did (same pruning): the `index`-th
/// document of the chunk. For checking an edited document.
pub(crate) fn reparse(text: &str, index: usize, keep: Keep) -> Result<Option<Node>, String> {
    let pruning = keep.kinds().map(|keep_kind| Pruning { keep_kind });
    let mut docs = parse_documents_pruned(text, 0, pruning).map_err(|e| e.message)?;
    if index >= docs.len() {
        return Ok(None);
    }
    let mut root = docs.swap_remove(index).root;
    if let Pruned::Identity(_) = prune(&mut root, keep, None) {
        return Err("an edited document lost its kind".to_owned());
    }
    Ok(Some(root))
}

/// A syntax error: byte offset and message.
type ChunkError = (usize, String);

/// Parse chunks on up to two threads; each chunk is independent YAML.
fn parse_chunks(
    text: &str,
    chunks: &[(usize, usize)],
    keep: Keep,
    workloads: WorkloadNamespaces,
) -> Result<Vec<Doc>, Error> {
    // Each document becomes its `Doc` at once (numbered afterwards): no intermediate
    // vectors per chunk, which cost as much as the documents themselves on many small ones.
    let placeholder = std::sync::Arc::new(Node {
        start: 0,
        end: 0,
        anchor: 0,
        content: crate::yaml::Content::Scalar {
            text: Box::default(),
            style: crate::yaml::node::Style::Plain,
            tag: None,
        },
    });
    let parse_one = |start: usize, end: usize, out: &mut Vec<Doc>| -> Result<(), ChunkError> {
        let pruning = keep.kinds().map(|keep_kind| Pruning { keep_kind });
        // Each item of a list is pruned as it is read, like a document of a stream.
        // By (document in the chunk, item): a hook may see an item twice (see
        // parse_documents_with_items), the last call counts.
        let mut item_identities: std::collections::BTreeMap<(usize, usize), Identity> = Default::default();
        let mut items_cut: std::collections::BTreeSet<usize> = Default::default();
        let mut prune_item = |doc: usize, index: usize, item: &mut Node| match prune(item, keep, workloads) {
            Pruned::Whole => {}
            Pruned::Cut => {
                items_cut.insert(doc);
            }
            Pruned::Identity(identity) => {
                // The placeholder ends where the item's text does (a collection's span may
                // run on to the next token), so text can be added right after it.
                item.end = text.get(..item.end).map_or(item.end, |t| t.trim_end().len().max(item.start));
                items_cut.insert(doc);
                item_identities.insert((doc, index), identity);
            }
        };
        let hook = keep.kinds().map(|_| &mut prune_item as &mut dyn FnMut(usize, usize, &mut Node));
        let docs =
            parse_documents_with_items(&text[start..end], start, pruning, hook).map_err(|e| (e.offset, e.message))?;
        let mut item_identities = item_identities.into_iter().peekable();
        out.extend(docs.into_iter().enumerate().map(|(d, mut parsed)| {
            let (identity, cut) = match prune(&mut parsed.root, keep, workloads) {
                Pruned::Whole => (None, items_cut.contains(&d)),
                Pruned::Cut => (None, true),
                Pruned::Identity(identity) => (Some(identity), false),
            };
            let mut items = Vec::new();
            while let Some(((_, index), identity)) = item_identities.next_if(|((of, _), _)| *of == d) {
                items.push((index, identity));
            }
            let (root, slim) = match identity {
                Some(identity) => (placeholder.clone(), Slim::Identity(identity)),
                None if !items.is_empty() => (std::sync::Arc::new(parsed.root), Slim::Items(items.into())),
                None => (std::sync::Arc::new(parsed.root), Slim::Tree),
            };
            Doc { number: 0, start, end, root, slim, cut }
        }));
        Ok(())
    };
    let total: usize = chunks.iter().map(|(s, e)| e - s).sum();
    let parsed = if total < 256 * 1024 || chunks.len() < 2 {
        let mut out = Vec::with_capacity(chunks.len());
        chunks.iter().try_for_each(|&(start, end)| parse_one(start, end, &mut out)).map(|()| out)
    } else {
        // Each core takes one contiguous half of the input by bytes (a huge document in one
        // half leaves the other core the rest, as sharing chunk by chunk would). The halves
        // are in input order, so the second is appended to the first: no sorted copy of the
        // whole document list, which on many small documents is as large as the input.
        let half = total / 2;
        let mut seen = 0;
        let mid = chunks
            .iter()
            .position(|(s, e)| {
                seen += e - s;
                seen > half
            })
            .map_or(chunks.len(), |i| i + 1)
            .min(chunks.len() - 1);
        let (first, second) = chunks.split_at(mid);
        let worker = |part: &[(usize, usize)]| -> Result<Vec<Doc>, ChunkError> {
            // One document per chunk, as streams are written.
            let mut mine = Vec::with_capacity(part.len());
            part.iter().try_for_each(|&(start, end)| parse_one(start, end, &mut mine)).map(|()| mine)
        };
        let (a, b) = std::thread::scope(|scope| {
            let handle = scope.spawn(|| worker(second));
            let a = worker(first);
            (a, handle.join().unwrap_or_else(|_| Err((0, "parser thread failed".to_owned()))))
        });
        // Report the error that comes first in the input.
        match (a, b) {
            (Ok(mut a), Ok(b)) => {
                a.reserve_exact(b.len());
                a.extend(b);
                Ok(a)
            }
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
            (Err(e1), Err(e2)) => Err(if e1.0 <= e2.0 { e1 } else { e2 }),
        }
    };
    let numbers = document_numbers(text, chunks);
    let number_at = |offset: usize| {
        let i = chunks.partition_point(|&(_, end)| end <= offset).min(chunks.len().saturating_sub(1));
        (numbers.get(i).copied().unwrap_or(1), chunks.get(i).map_or("", |&(s, e)| &text[s..e]))
    };
    let parsed = parsed.map_err(|(offset, message)| {
        let (number, chunk) = number_at(offset);
        Error::Syntax { line_col: line_col(text, offset), message, document: number, what: identity_hint(chunk) }
    })?;
    let mut docs = parsed;
    for doc in &mut docs {
        doc.number = number_at(doc.start).0;
    }
    Ok(docs)
}

/// Does a chunk hold anything but markers, comments and blank lines?
fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|line| {
        let t = line.trim();
        !(t.is_empty() || t.starts_with('#') || t == "..." || t == "---" || t.starts_with("--- #") || t == "\u{feff}")
    })
}

/// The number people would give each chunk's document: `---`-separated documents that
/// hold something, counted from 1 (a chunk of comments shares the next one's number).
fn document_numbers(text: &str, chunks: &[(usize, usize)]) -> Vec<usize> {
    let mut number = 0;
    chunks
        .iter()
        .map(|&(s, e)| {
            if has_content(&text[s..e]) {
                number += 1;
            }
            number.max(1)
        })
        .collect()
}

/// `Secret default/x`, read from the raw text of a document that does not parse, so an
/// error can still say which object it is about. Only identity fields are read: never data.
fn identity_hint(chunk: &str) -> Option<String> {
    let value = |line: &str, key: &str| {
        line.strip_prefix(key)
            .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|v| !v.is_empty() && !v.contains(' '))
    };
    let mut kind = None;
    let (mut name, mut namespace) = (None, None);
    let mut in_metadata = false;
    for line in chunk.lines() {
        if !line.starts_with(' ') {
            in_metadata = line.trim_end() == "metadata:";
            kind = kind.or_else(|| value(line, "kind:"));
        } else if in_metadata {
            name = name.or_else(|| value(line, "  name:"));
            namespace = namespace.or_else(|| value(line, "  namespace:"));
        }
    }
    let kind = kind?;
    Some(match (namespace, name) {
        (Some(ns), Some(n)) => format!("{kind} {ns}/{n}"),
        (None, Some(n)) => format!("{kind} {n}"),
        _ => kind,
    })
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

impl<'a> Input<'a> {
    /// Parse keeping every tree whole (for tests and tools that read everything).
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        Self::parse_keeping(text, Keep::Everything)
    }

    pub fn parse_keeping(text: &'a str, keep: Keep) -> Result<Self, Error> {
        Self::parse_pruned(text, keep, None)
    }

    /// [`Input::parse_keeping`], with the config's workload namespaces when already known.
    pub fn parse_pruned(text: &'a str, keep: Keep, workloads: WorkloadNamespaces) -> Result<Self, Error> {
        if let Some(json) = split_json(text) {
            match json {
                Ok(ranges) => {
                    let docs = parse_chunks(text, &ranges, keep, workloads)?;
                    // A JSON List stays Shape::Json (answered as JSON); see `holds_items`.
                    let shape = match list_shape(&docs) {
                        Some(Shape::ResourceList) => Shape::ResourceList,
                        _ => Shape::Json,
                    };
                    return Ok(Input { text, shape, docs, keep });
                }
                Err(message) => {
                    // Maybe YAML flow style after all; if not, the JSON message is the useful one.
                    let chunks = split_chunks(text);
                    return match parse_chunks(text, &chunks, keep, workloads) {
                        Ok(docs) => Ok(Input { text, shape: list_shape(&docs).unwrap_or(Shape::Stream), docs, keep }),
                        Err(_) => Err(Error::Input(message)),
                    };
                }
            }
        }
        let chunks = split_chunks(text);
        let docs = parse_chunks(text, &chunks, keep, workloads)?;
        let shape = list_shape(&docs).unwrap_or(Shape::Stream);
        Ok(Input { text, shape, docs, keep })
    }

    /// Is this document a container (List, ResourceList) whose `items` are the objects?
    pub fn holds_items(&self, doc: &Doc) -> bool {
        match self.shape {
            Shape::List | Shape::ResourceList => true,
            Shape::Json => doc.root.get("kind").and_then(Node::as_str) == Some("List"),
            Shape::Stream => false,
        }
    }

    /// The objects of the input, in order. Empty documents are skipped; anything that is
    /// not a Kubernetes object is an error.
    pub fn objects(&self) -> Result<Vec<Object<'_>>, Error> {
        // One object per document in a stream: no room to spare (many small documents).
        let mut objects = Vec::with_capacity(self.docs.len());
        for (doc_index, doc) in self.docs.iter().enumerate() {
            let root = &doc.root;
            if self.holds_items(doc) {
                let mut counter = 0;
                push_items(doc_index, root, doc.item_identities(), &mut counter, 0, &mut objects)?;
            } else if is_nested_list(root) {
                // A `kind: List` document among others: kubectl reads its items as objects.
                let mut counter = 0;
                push_items(doc_index, root, doc.item_identities(), &mut counter, 1, &mut objects)?;
            } else if let Some(id) = doc.identity() {
                objects.push(Object {
                    doc: doc_index,
                    item: None,
                    node: root,
                    list: None,
                    api_version: id.api_version(),
                    kind: id.kind(),
                    name: id.name(),
                    namespace: id.namespace(),
                    number: doc.number,
                });
            } else if !root.is_null() {
                objects.push(object(doc_index, None, root, doc.number)?);
            }
        }
        Ok(objects)
    }

    /// The ResourceList's `functionConfig`, if any.
    pub fn function_config(&self) -> Option<&Node> {
        match self.shape {
            Shape::ResourceList => self.docs.first()?.root.get("functionConfig").filter(|n| !n.is_null()),
            _ => None,
        }
    }
}

/// An object that is itself a `v1` List with `items`: its items are the objects.
fn is_nested_list(node: &Node) -> bool {
    node.get("kind").and_then(Node::as_str) == Some("List")
        && node.get("apiVersion").and_then(Node::as_str) == Some("v1")
        && node.get("items").is_some_and(Node::is_seq)
}

/// The items of a List or ResourceList, and of every List inside it, numbered in order.
/// `identities`: the items of this list kept only by their identity (see
/// [`Doc::item_identities`]; the reader prunes only the document's own list).
fn push_items<'a>(
    doc: usize,
    list: &'a Node,
    identities: &'a [(usize, Identity)],
    counter: &mut usize,
    depth: usize,
    out: &mut Vec<Object<'a>>,
) -> Result<(), Error> {
    let Some(items) = list.get("items") else { return Ok(()) };
    let mut identities = identities.iter().peekable();
    for (i, item) in items.items().iter().enumerate() {
        if let Some((_, id)) = identities.next_if(|(at, _)| *at == i) {
            *counter += 1;
            out.push(Object {
                doc,
                item: Some(i),
                node: item,
                list: Some(items),
                api_version: id.api_version(),
                kind: id.kind(),
                name: id.name(),
                namespace: id.namespace(),
                number: *counter,
            });
            continue;
        }
        if depth < 16 && is_nested_list(item) {
            push_items(doc, item, &[], counter, depth + 1, out)?;
            continue;
        }
        *counter += 1;
        let mut obj = object(doc, Some(i), item, *counter)?;
        obj.list = Some(items);
        out.push(obj);
    }
    Ok(())
}

/// A single document holding a List or ResourceList decides the shape.
fn list_shape(docs: &[Doc]) -> Option<Shape> {
    let non_empty: Vec<&Doc> = docs.iter().filter(|d| !d.root.is_null() || d.identity().is_some()).collect();
    let [doc] = non_empty.as_slice() else { return None };
    let kind = doc.root.get("kind").and_then(Node::as_str)?;
    let api = doc.root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    match kind {
        "ResourceList" if api.starts_with("config.kubernetes.io/") => Some(Shape::ResourceList),
        "List" if doc.root.get("items").is_some() => Some(Shape::List),
        _ => None,
    }
}

fn object(doc: usize, item: Option<usize>, node: &Node, number: usize) -> Result<Object<'_>, Error> {
    let place = |what: &str| match item {
        Some(_) => format!("item {number}"),
        None => format!("document {number}{what}"),
    };
    let shape = match &node.content {
        crate::yaml::Content::Map { .. } => None,
        crate::yaml::Content::Seq { .. } => Some("a list"),
        crate::yaml::Content::Alias(..) => Some("an alias"),
        crate::yaml::Content::Scalar { .. } => Some("a scalar"),
    };
    if let Some(what) = shape {
        return Err(Error::Input(format!("{} is {what}, not a Kubernetes object", place(""))));
    }
    let field = |key: &str| -> Result<&str, Error> {
        node.get(key)
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Input(format!("{}: field {key}: missing or not a string", place(""))))
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    let metadata = node.get("metadata");
    let name =
        metadata.and_then(|m| m.get("name").or_else(|| m.get("generateName"))).and_then(Node::as_str).unwrap_or("");
    let namespace = metadata.and_then(|m| m.get("namespace")).and_then(Node::as_str);
    Ok(Object { doc, item, node, list: None, api_version, kind, name, namespace, number })
}

/// Read a node as JSON for typed decoding (config, embedded values).
pub fn node_json(node: &Node) -> Value {
    node.to_json(&crate::yaml::Anchors::of(node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_at_marker_lines_only() {
        let text = "a: 1\n---\nb: 2\n--- # c\nc: 3\n----\n---x\n";
        let chunks = split_chunks(text);
        let parts: Vec<&str> = chunks.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(parts, vec!["a: 1\n", "---\nb: 2\n", "--- # c\nc: 3\n----\n---x\n"]);
    }

    #[test]
    fn finds_objects_in_every_shape() {
        let stream = Input::parse(
            "\u{feff}---\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: a}\r\n...\r\n---\r\n# nothing\r\n",
        )
        .expect("stream");
        assert_eq!(stream.shape, Shape::Stream);
        assert_eq!(stream.objects().expect("objects").len(), 1);
        let list = Input::parse(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n",
        )
        .expect("list");
        assert_eq!(list.shape, Shape::List);
        let json = Input::parse("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"b\"}}").expect("json");
        assert_eq!(json.shape, Shape::Json);
        assert_eq!(json.objects().expect("objects")[1].name, "b");
        let rl = Input::parse(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {kind: MeshNetwork}\n",
        )
        .expect("rl");
        assert_eq!(rl.shape, Shape::ResourceList);
        assert!(rl.function_config().is_some());
    }

    #[test]
    fn scalars_and_lists_are_not_objects() {
        for text in ["just a string\n", "- a\n- b\n", "---\nkind: X\n"] {
            let input = Input::parse(text).expect("parses");
            assert!(input.objects().is_err(), "{text}");
        }
    }

    #[test]
    fn workloads_outside_the_known_workload_namespaces_keep_only_their_identity() {
        let deployment = |ns: &str| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\n  labels: {{app: web}}\nspec:\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers: [{{name: web, image: nginx}}]\n")
        };
        let text = format!("{}---\n{}", deployment("apps"), deployment("default"));
        let workloads = vec!["apps".to_owned()];
        let input = Input::parse_pruned(&text, Keep::Transforms, Some(&workloads)).expect("parses");
        // In a workload namespace: the pod metadata stays, for the network label.
        assert!(input.docs[0].cut && input.docs[0].identity().is_none());
        assert!(input.docs[0].root.path(&["spec", "template", "metadata", "labels", "app"]).is_some());
        // Outside: nothing edits it, so only its identity is kept.
        assert!(input.docs[1].identity().is_some() && input.docs[1].root.is_null());
        let objects = input.objects().expect("objects");
        assert_eq!(
            (objects[1].api_version, objects[1].kind, objects[1].namespace, objects[1].name),
            ("apps/v1", "Deployment", Some("default"), "web")
        );
        // Parts that are not common names are spelled out in the identity's one string.
        let widget =
            Input::parse_keeping("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", Keep::Transforms)
                .expect("parses");
        let id = widget.docs[0].identity().expect("identity only");
        assert_eq!((id.api_version(), id.kind(), id.namespace(), id.name()), ("example.com/v1", "Widget", None, "w"));
        // Without a known config (it may come in the stream), both keep their pod metadata.
        let input = Input::parse_keeping(&text, Keep::Transforms).expect("parses");
        assert!(input.docs.iter().all(|d| d.cut && d.identity().is_none()));
    }

    #[test]
    fn documents_no_transform_reads_keep_their_identity_and_metadata() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns1\n  labels: {a: b}\n  annotations:\n    postrenderer.helm.sh/postrender-filename: chart/s.yaml\ndata: {k: dg==}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns1, labels: {app: x}, annotations: {note: y}}\ndata: {k: v}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  labels: {topology.istio.io/network: n1}\nspec: {gatewayClassName: istio}\n";
        let input = Input::parse_keeping(text, Keep::Transforms).expect("parses");
        let objects = input.objects().expect("objects");
        // An annotation eastwest reads on any object (Helm 4's file): metadata kept as a
        // tree, the rest cut.
        assert_eq!((objects[0].kind, objects[0].namespace, objects[0].name), ("Secret", Some("ns1"), "s"));
        assert_eq!(objects[0].annotation(crate::generate::HELM4_FILENAME), Some("chart/s.yaml"));
        assert_eq!(objects[0].label("a"), Some("b"));
        assert!(objects[0].node.get("data").is_none());
        // The network label (read on Gateway API Gateways): kept too.
        assert_eq!(objects[2].label(crate::transform::istio::NETWORK_LABEL), Some("n1"));
        assert!(input.docs[2].identity().is_none());
        // A name, a namespace, and labels and annotations nothing reads: only the identity
        // strings, no tree.
        assert!(input.docs[1].identity().is_some() && input.docs[1].root.is_null());
        assert_eq!((objects[1].kind, objects[1].namespace, objects[1].name), ("ConfigMap", Some("ns1"), "cm"));
    }
}
