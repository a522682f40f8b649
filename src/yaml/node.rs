//! A YAML node tree that remembers where every node sits in the source text.
//!
//! Offsets are byte offsets into the whole input, so an edit anywhere can be expressed as
//! "replace bytes a..b with this text" and everything else is left exactly as written.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

use super::scalar::resolve_plain;

/// Deeper nesting than this is refused: no Kubernetes object comes close, and it keeps
/// recursion over the tree bounded.
pub const MAX_DEPTH: usize = 256;
/// Aliases may not expand a document beyond this many nodes (the "billion laughs" guard).
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Boxed strings, not `String`s: a node is 64 bytes instead of 80, which on many small
    /// documents is most of the memory.
    Scalar {
        text: Box<str>,
        style: Style,
        tag: Option<Box<str>>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    /// `*name`: the anchor's id and a shared copy of the node it names, so readers see
    /// through an alias the way Kubernetes does (each alias reads as a copy).
    Alias(usize, Arc<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte offset of the node's first character (after any anchor or tag for collections
    /// whose start the parser reports there).
    pub start: usize,
    /// Byte offset just past the node. For block scalars this is where the next token
    /// starts, which may be the beginning of a following line.
    pub end: usize,
    pub anchor: usize,
    pub content: Content,
}

/// One parsed document of a chunk.
#[derive(Debug)]
pub struct ParsedDoc {
    pub root: Node,
}

/// A syntax problem at a byte offset of the input.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl Node {
    /// The node an alias names (itself for anything else).
    pub fn resolved(&self) -> &Node {
        let mut node = self;
        // Aliases never chain deeper than the anchors defined before them; bound it anyway.
        for _ in 0..MAX_DEPTH {
            match &node.content {
                Content::Alias(_, target) => node = target,
                _ => return node,
            }
        }
        node
    }

    pub fn is_alias(&self) -> bool {
        matches!(self.content, Content::Alias(..))
    }

    /// A `<<` merge key (YAML 1.1, which Kubernetes reads): plain `<<` or tagged `!!merge`.
    pub fn is_merge_key(&self) -> bool {
        match &self.resolved().content {
            Content::Scalar { text, style: Style::Plain, tag: None } => &**text == "<<",
            Content::Scalar { tag: Some(t), .. } => t.ends_with(":merge"),
            _ => false,
        }
    }

    /// The mappings a `<<` value merges in, in priority order (a mapping, or a list of them).
    fn merge_sources(&self) -> Vec<&Node> {
        let value = self.resolved();
        match &value.content {
            Content::Map { .. } => vec![value],
            Content::Seq { items, .. } => items.iter().map(Node::resolved).filter(|n| n.is_map()).collect(),
            _ => Vec::new(),
        }
    }

    /// Does this mapping take entries from `<<` merge keys?
    pub fn has_merge(&self) -> bool {
        self.entries().iter().any(|(k, _)| k.is_merge_key())
    }

    /// The value of `key`, read as Kubernetes reads it: through aliases, and from `<<`
    /// merges when the mapping does not set it itself.
    pub fn get(&self, key: &str) -> Option<&Node> {
        if let Some((_, v)) = self.entry(key) {
            return Some(v);
        }
        self.merged_get(key, 0)
    }

    /// The value `key` gets from this mapping's `<<` merges only.
    pub fn merged_get(&self, key: &str, depth: usize) -> Option<&Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let merges = self.entries().iter().filter(|(k, _)| k.is_merge_key());
        for (_, value) in merges {
            for source in value.merge_sources() {
                if let Some((_, v)) = source.entry(key) {
                    return Some(v);
                }
                if let Some(v) = source.merged_get(key, depth + 1) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// The explicit entry for `key` (not one provided by a merge).
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.resolved().content {
            Content::Map { entries, .. } => entries.iter().find(|(k, _)| k.scalar_text() == Some(key)),
            _ => None,
        }
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The raw text of a scalar, whatever it resolves to.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.resolved().content {
            Content::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The scalar's value when Kubernetes would read it as a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.resolved().content {
            Content::Scalar { text, style: Style::Plain, tag: None } => {
                matches!(resolve_plain(text), Value::String(_)).then_some(&**text)
            }
            Content::Scalar { text, tag: Some(t), .. }
                if !t.ends_with(":str") && t.starts_with("tag:yaml.org,2002:") =>
            {
                matches!(scalar_to_json(text, Style::Plain, Some(t)), Value::String(_)).then_some(&**text)
            }
            Content::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The explicit entries of a mapping (through an alias; `<<` entries included as
    /// written: see [`Node::merged_entries`] for what Kubernetes reads).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.resolved().content {
            Content::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// Every key and value of a mapping as Kubernetes reads it: explicit entries first,
    /// then the keys `<<` merges provide and the mapping does not set.
    pub fn merged_entries(&self) -> Vec<(&Node, &Node)> {
        if !self.has_merge() {
            return self.entries().iter().map(|(k, v)| (k, v)).collect();
        }
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.collect_merged(&mut seen, &mut out, 0);
        out
    }

    /// go-yaml's order: the mapping's own keys win, then each merged mapping in turn, each
    /// with its own merges already applied.
    fn collect_merged<'n>(
        &'n self,
        seen: &mut std::collections::HashSet<&'n str>,
        out: &mut Vec<(&'n Node, &'n Node)>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for (k, v) in self.entries().iter().filter(|(k, _)| !k.is_merge_key()) {
            if k.scalar_text().is_none_or(|name| seen.insert(name)) {
                out.push((k, v));
            }
        }
        for (_, value) in self.entries().iter().filter(|(k, _)| k.is_merge_key()) {
            for source in value.merge_sources() {
                source.collect_merged(seen, out, depth + 1);
            }
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.resolved().content {
            Content::Seq { items, .. } => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.resolved().content, Content::Map { .. })
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.resolved().content, Content::Seq { .. })
    }

    pub fn is_flow(&self) -> bool {
        matches!(self.content, Content::Map { flow: true, .. } | Content::Seq { flow: true, .. })
    }

    /// An absent value (`key:` with nothing after it, `~`, `null`).
    pub fn is_null(&self) -> bool {
        matches!(&self.content, Content::Scalar { text, style: Style::Plain, tag: None }
            if resolve_plain(text).is_null())
    }

    /// The node as JSON, read the way Kubernetes reads YAML (1.1 scalars, aliases expanded,
    /// `<<` merges applied).
    pub fn to_json(&self, _anchors: &Anchors) -> Value {
        self.json()
    }

    fn json(&self) -> Value {
        match &self.content {
            Content::Scalar { text, style, tag } => scalar_to_json(text, *style, tag.as_deref()),
            Content::Map { .. } => {
                let mut map = serde_json::Map::new();
                for (k, v) in self.merged_entries() {
                    let key = match k.json() {
                        Value::String(s) => s,
                        Value::Null => "null".to_owned(),
                        other => other.to_string(),
                    };
                    // An explicit key wins over a merged one, and the first merge over later ones.
                    map.entry(key).or_insert_with(|| v.json());
                }
                Value::Object(map)
            }
            Content::Seq { items, .. } => Value::Array(items.iter().map(Node::json).collect()),
            Content::Alias(_, target) => target.json(),
        }
    }
}

fn scalar_to_json(text: &str, style: Style, tag: Option<&str>) -> Value {
    match (style, tag) {
        (Style::Plain, None) => resolve_plain(text),
        (_, Some(t)) if t.ends_with(":str") => Value::String(text.to_owned()),
        (_, Some(t)) if t.ends_with(":int") || t.ends_with(":float") || t.ends_with(":bool") => resolve_plain(text),
        (_, Some(t)) if t.ends_with(":null") => Value::Null,
        _ => Value::String(text.to_owned()),
    }
}

/// Kept for callers of [`Node::to_json`]: aliases now carry the node they name, so
/// nothing needs collecting.
pub struct Anchors<'a> {
    _root: std::marker::PhantomData<&'a Node>,
}

impl<'a> Anchors<'a> {
    pub fn of(_root: &'a Node) -> Self {
        Anchors { _root: std::marker::PhantomData }
    }

    pub fn none() -> Anchors<'static> {
        Anchors { _root: std::marker::PhantomData }
    }
}

/// Maps the parser's character positions to byte offsets of the input. The parser asks
/// for positions almost in order, so a cursor walks the text instead of a table holding
/// one entry per character (which cost as much memory as the document, eight times over).
struct Offsets<'a> {
    base: usize,
    ascii: bool,
    text: &'a str,
    /// The last position asked for: (character index, byte offset).
    cursor: std::cell::Cell<(usize, usize)>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        Offsets { base, ascii: text.is_ascii(), text, cursor: std::cell::Cell::new((0, 0)) }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return self.base + char_index.min(self.text.len());
        }
        let (mut chars, mut bytes) = self.cursor.get();
        while chars < char_index && bytes < self.text.len() {
            bytes += self.text[bytes..].chars().next().map_or(1, char::len_utf8);
            chars += 1;
        }
        while chars > char_index && bytes > 0 {
            bytes -= 1;
            while !self.text.is_char_boundary(bytes) {
                bytes -= 1;
            }
            chars -= 1;
        }
        self.cursor.set((chars, bytes));
        self.base + bytes
    }
}

enum Frame {
    Map {
        start: usize,
        anchor: usize,
        flow: bool,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
    Seq {
        start: usize,
        anchor: usize,
        flow: bool,
        items: Vec<Node>,
    },
    /// A collection inside a skipped subtree: parsed and checked, never stored. Mappings
    /// remember their keys only, for the duplicate-key check.
    Skipped {
        start: usize,
        anchor: usize,
        keys: Option<Vec<(String, usize)>>,
        expecting_key: bool,
    },
}

/// Which top-level subtrees a document keeps. Every event is still parsed and checked;
/// this only decides what is stored.
#[derive(Clone, Copy)]
pub struct Pruning {
    /// Kinds whose documents are kept whole.
    pub keep_kind: fn(&str) -> bool,
}

pub(crate) const IDENTITY_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Parse every document of `text`, which sits at byte `base` of the whole input.
pub fn parse_documents(text: &str, base: usize) -> Result<Vec<ParsedDoc>, SyntaxError> {
    parse_documents_pruned(text, base, None)
}

/// Called with (document index in the chunk, item index, item) for each item of a
/// document that is a List or ResourceList, so a reader can cut each item down as if it
/// were a document of its own.
pub type ItemHook<'h> = &'h mut dyn FnMut(usize, usize, &mut Node);

/// Parse, storing of a document whose `kind` fails `pruning` (when `kind` comes before
/// the other top-level keys, as renderers write it) only apiVersion, kind and metadata.
///
/// The common case goes through the fast reader ([`super::fast`]); anything it does not
/// handle, errors included, through the full parser.
pub fn parse_documents_pruned(
    text: &str,
    base: usize,
    pruning: Option<Pruning>,
) -> Result<Vec<ParsedDoc>, SyntaxError> {
    parse_documents_with_items(text, base, pruning, None)
}

/// [`parse_documents_pruned`], giving every item of each List or ResourceList document
/// (`kind: List` or `ResourceList` with an `items` sequence) to `item_hook`, in order. The
/// readers do so while they read (items pruned one by one, never a whole list in memory).
/// A hook may see an item again (the full parser reads again after a tab it does not
/// take): the last call for an item is the one that counts.
pub fn parse_documents_with_items(
    text: &str,
    base: usize,
    pruning: Option<Pruning>,
    mut item_hook: Option<ItemHook<'_>>,
) -> Result<Vec<ParsedDoc>, SyntaxError> {
    let (mut docs, hooked) = match super::fast::parse_with_items(text, base, pruning, reborrow(&mut item_hook)) {
        Some(parsed) => parsed,
        None => (parse_events_like_go_yaml(text, base, pruning, reborrow(&mut item_hook))?, true),
    };
    // The fast reader hands over block items only; flow `items` are handed over here.
    if let (Some(hook), false) = (item_hook, hooked) {
        for (d, doc) in docs.iter_mut().enumerate() {
            let is_list = matches!(doc.root.get("kind").and_then(Node::as_str), Some("List" | "ResourceList"));
            if let (true, Content::Map { entries, .. }) = (is_list, &mut doc.root.content) {
                if let Some((_, Node { content: Content::Seq { items, .. }, .. })) =
                    entries.iter_mut().find(|(k, _)| k.scalar_text() == Some("items"))
                {
                    for (i, item) in items.iter_mut().enumerate() {
                        hook(d, i, item);
                    }
                }
            }
        }
    }
    Ok(docs)
}

/// The hook again, for one more call that takes it (a hook outlives each parse).
fn reborrow<'s>(hook: &'s mut Option<ItemHook<'_>>) -> Option<ItemHook<'s>> {
    hook.as_mut().map(|h| &mut **h as &mut dyn FnMut(usize, usize, &mut Node))
}

/// saphyr-parser's message when a tab follows `:` in a flow collection.
const TAB_AFTER_COLON: &str = "':' must be followed by a valid YAML whitespace";

/// [`parse_events`], accepting what go-yaml (Kubernetes' reader) accepts and saphyr-parser
/// does not: a tab after `:` in a flow mapping (`{a:<TAB>b}`). Each such tab the parser
/// stops at is read as a space, in a copy of the same length, so every offset still
/// points into the original text. Tabs inside quoted text never stop the parser.
fn parse_events_like_go_yaml(
    text: &str,
    base: usize,
    pruning: Option<Pruning>,
    mut item_hook: Option<ItemHook<'_>>,
) -> Result<Vec<ParsedDoc>, SyntaxError> {
    let mut copy: Option<String> = None;
    for _ in 0..256 {
        let current = copy.as_deref().unwrap_or(text);
        match parse_events_with_items(current, base, pruning, reborrow(&mut item_hook)) {
            Err(e) if e.message == TAB_AFTER_COLON => {
                let at = e.offset - base;
                let bytes = current.as_bytes();
                if at < 2 || bytes.get(at - 1) != Some(&b'\t') || bytes.get(at - 2) != Some(&b':') {
                    return Err(e);
                }
                let mut fixed = current.to_owned();
                fixed.replace_range(at - 1..at, " ");
                copy = Some(fixed);
            }
            other => return other,
        }
    }
    parse_events_with_items(copy.as_deref().unwrap_or(text), base, pruning, item_hook)
}

/// [`parse_documents_pruned`] with the full parser alone: built from saphyr-parser's events.
pub fn parse_events(text: &str, base: usize, pruning: Option<Pruning>) -> Result<Vec<ParsedDoc>, SyntaxError> {
    parse_events_with_items(text, base, pruning, None)
}

/// [`parse_events`], handing each item of a List's or ResourceList's `items` to
/// `item_hook` as soon as it is complete (see [`parse_documents_with_items`]). Anchors
/// inside an item were copied for their aliases before, so pruning it changes no alias.
fn parse_events_with_items(
    text: &str,
    base: usize,
    pruning: Option<Pruning>,
    mut item_hook: Option<ItemHook<'_>>,
) -> Result<Vec<ParsedDoc>, SyntaxError> {
    let offsets = Offsets::new(text, base);
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    // Expanded size of each anchored node, and of the document so far.
    let mut anchor_sizes: HashMap<usize, u64> = HashMap::new();
    let mut expanded: u64 = 0;
    // A shared copy of every anchored node, for the aliases that name it.
    let mut anchored: HashMap<usize, Arc<Node>> = HashMap::new();
    // Set once the root mapping's `kind` says this document need not be kept whole.
    let mut skip_rest = false;
    // Set once the root mapping's `kind` says it is a List or ResourceList.
    let mut list_root = false;

    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                return Err(SyntaxError { offset: offsets.byte(e.marker().index()), message: e.info().to_owned() })
            }
        };
        let (start, end) = span_bytes(&offsets, &span);
        let finished: Option<Node> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => None,
            Event::DocumentStart(_) => {
                expanded = 0;
                anchor_sizes.clear();
                anchored.clear();
                skip_rest = false;
                list_root = false;
                None
            }
            Event::DocumentEnd => {
                if let Some(node) = root.take() {
                    docs.push(ParsedDoc { root: node });
                }
                None
            }
            Event::Alias(id) => {
                let size = anchor_sizes.get(&id).copied().unwrap_or(1);
                expanded = expanded.saturating_add(size);
                if expanded > MAX_EXPANDED_NODES {
                    return Err(SyntaxError {
                        offset: start,
                        message: format!("aliases expand the document beyond {MAX_EXPANDED_NODES} nodes (alias bomb?)"),
                    });
                }
                // An anchor inside a subtree that was not stored reads as null.
                let target = anchored.get(&id).cloned().unwrap_or_else(|| {
                    Arc::new(Node {
                        start,
                        end: start,
                        anchor: 0,
                        content: Content::Scalar { text: Box::default(), style: Style::Plain, tag: None },
                    })
                });
                Some(Node { start, end, anchor: 0, content: Content::Alias(id, target) })
            }
            Event::Scalar(value, style, anchor, tag) => {
                expanded = expanded.saturating_add(1);
                if anchor != 0 {
                    anchor_sizes.insert(anchor, 1);
                }
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix).into_boxed_str());
                if let [Frame::Map { key: Some(k), .. }] = stack.as_slice() {
                    if k.scalar_text() == Some("kind") {
                        list_root = matches!(value.as_ref(), "List" | "ResourceList");
                        if pruning.is_some_and(|p| !(p.keep_kind)(&value)) {
                            skip_rest = !list_root;
                        }
                    }
                }
                // The parser's span of a quoted scalar can run on over the spaces and the
                // comment after its closing quote; they are not the scalar's.
                let end = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        closing_quote_end(text_at(text, &offsets, start, end)).map_or(end, |len| start + len)
                    }
                    _ => end,
                };
                Some(Node {
                    start,
                    end,
                    anchor,
                    content: Content::Scalar { text: value.into(), style: style_of(style), tag },
                })
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        offset: start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                let is_map = matches!(event, Event::MappingStart(..));
                expanded = expanded.saturating_add(1);
                if anchor != 0 {
                    // Remember where the collection started counting, to size it on close.
                    anchor_sizes.insert(anchor, expanded);
                }
                let under_skipped = matches!(stack.last(), Some(Frame::Skipped { .. }));
                let skipped_top_level = skip_rest
                    && matches!(stack.as_slice(), [Frame::Map { key: Some(k), .. }]
                        if !k.scalar_text().is_some_and(|t| IDENTITY_KEYS.contains(&t)));
                stack.push(if under_skipped || skipped_top_level {
                    Frame::Skipped { start, anchor, keys: is_map.then(Vec::new), expecting_key: true }
                } else {
                    // A flow collection starts at its bracket; the event's span may put an
                    // anchor or tag before it and spaces or a comment after it. A block
                    // collection's span holds no bracket (anchors and tags cannot).
                    let bracket = text_at(text, &offsets, start, end).find(['{', '[']);
                    let flow = bracket.is_some();
                    let node_start = start + bracket.unwrap_or(0);
                    if is_map {
                        Frame::Map { start: node_start, anchor, flow, entries: Vec::new(), key: None }
                    } else {
                        Frame::Seq { start: node_start, anchor, flow, items: Vec::new() }
                    }
                });
                None
            }
            Event::MappingEnd | Event::SequenceEnd => {
                // Just past a flow collection's closing bracket (the event's span can run on
                // over a comment after it).
                let closing_end =
                    if text_at(text, &offsets, start, end).starts_with([']', '}']) { start + 1 } else { end };
                let frame = stack
                    .pop()
                    .ok_or_else(|| SyntaxError { offset: start, message: "unbalanced collection end".to_owned() })?;
                let node = match frame {
                    Frame::Map { start: node_start, anchor, flow, entries, .. } => {
                        check_duplicate_keys(&entries)?;
                        let mut node = Node {
                            start: node_start,
                            end: start,
                            anchor,
                            content: Content::Map { entries: tight(entries), flow },
                        };
                        node.end = if flow { closing_end } else { block_end(&node) };
                        node
                    }
                    Frame::Seq { start: node_start, anchor, flow, items } => {
                        let mut node = Node {
                            start: node_start,
                            end: start,
                            anchor,
                            content: Content::Seq { items: tight(items), flow },
                        };
                        node.end = if flow { closing_end } else { block_end(&node) };
                        node
                    }
                    Frame::Skipped { start: node_start, anchor, keys, .. } => {
                        if let Some(keys) = keys {
                            check_duplicate_key_names(&keys)?;
                        }
                        // A placeholder, empty at the subtree's start; the subtree itself
                        // was checked and dropped.
                        let content = Content::Scalar { text: Box::default(), style: Style::Plain, tag: None };
                        Node { start: node_start, end: node_start, anchor, content }
                    }
                };
                if node.anchor != 0 {
                    let began = anchor_sizes.get(&node.anchor).copied().unwrap_or(expanded);
                    anchor_sizes.insert(node.anchor, expanded.saturating_sub(began) + 1);
                }
                Some(node)
            }
        };
        if let Some(mut node) = finished {
            if node.anchor != 0 {
                anchored.insert(node.anchor, Arc::new(node.clone()));
            }
            let list_item = list_root
                && matches!(stack.as_slice(), [Frame::Map { key: Some(k), .. }, Frame::Seq { .. }]
                    if k.scalar_text() == Some("items"));
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => {
                    if let Some(hook) = item_hook.as_mut().filter(|_| list_item) {
                        hook(docs.len(), items.len(), &mut node);
                    }
                    items.push(node)
                }
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
                Some(Frame::Skipped { keys: None, .. }) => {}
                Some(Frame::Skipped { keys: Some(keys), expecting_key, .. }) => {
                    if *expecting_key {
                        if let Content::Scalar { text, .. } = node.content {
                            keys.push((text.into(), node.start));
                        }
                    }
                    *expecting_key = !*expecting_key;
                }
            }
        }
    }
    if let Some(node) = root.take() {
        docs.push(ParsedDoc { root: node });
    }
    Ok(docs)
}

fn text_at<'t>(text: &'t str, offsets: &Offsets, start: usize, end: usize) -> &'t str {
    text.get(start - offsets.base..end - offsets.base).unwrap_or("")
}

/// The length of a quoted scalar's source up to and including its closing quote.
fn closing_quote_end(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let quote = *bytes.first()?;
    let mut i = 1;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\\' if quote == b'"' => i += 2,
            _ if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn span_bytes(offsets: &Offsets, span: &Span) -> (usize, usize) {
    (offsets.byte(span.start.index()), offsets.byte(span.end.index()))
}

fn style_of(style: ScalarStyle) -> Style {
    match style {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

/// A collection's children without the spare capacity growth left: a kept document lives
/// until the output is written, and spare slots of every small mapping (a pair of nodes
/// is 160 bytes, and the first growth makes room for four) cost more than the input.
///
/// Moved into a fresh allocation of the exact size rather than shrunk in place: shrinking
/// leaves the cut-off tail as a hole beside every kept collection, too small for the next
/// document's growing collections, while the freed growth buffer is exactly the size the
/// next one grows to and is reused at once.
pub(crate) fn tight<T>(mut children: Vec<T>) -> Vec<T> {
    if children.capacity() > children.len() {
        let mut exact = Vec::with_capacity(children.len());
        exact.append(&mut children);
        return exact;
    }
    children
}

/// Where a block collection really ends: the end of its last child, not the next token.
fn block_end(node: &Node) -> usize {
    match &node.content {
        Content::Map { entries, .. } => entries.last().map_or(node.start, |(_, v)| v.end),
        Content::Seq { items, .. } => items.last().map_or(node.start, |v| v.end),
        _ => node.end,
    }
}

fn check_duplicate_keys(entries: &[(Node, Node)]) -> Result<(), SyntaxError> {
    let key_of = |k: &Node| k.scalar_text().map(str::to_owned);
    if entries.len() <= 16 {
        for (i, (k, _)) in entries.iter().enumerate() {
            let Some(name) = key_of(k) else { continue };
            if let Some((dup, _)) =
                entries[i + 1..].iter().find(|(other, _)| other.scalar_text() == Some(name.as_str()))
            {
                return Err(duplicate(dup, &name));
            }
        }
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in entries {
        if let Some(name) = k.scalar_text() {
            if !seen.insert(name) {
                return Err(duplicate(k, name));
            }
        }
    }
    Ok(())
}

/// The same check for a skipped mapping, which keeps only its keys' text and offsets.
fn check_duplicate_key_names(keys: &[(String, usize)]) -> Result<(), SyntaxError> {
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    for (name, offset) in keys {
        if !seen.insert(name.as_str()) {
            return Err(SyntaxError { offset: *offset, message: format!("duplicate key {name:?}") });
        }
    }
    Ok(())
}

fn duplicate(key: &Node, name: &str) -> SyntaxError {
    SyntaxError { offset: key.start, message: format!("duplicate key {name:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_documents(text, 0).expect("parses");
        assert_eq!(docs.len(), 1);
        docs.remove(0).root
    }

    #[test]
    fn spans_are_byte_offsets_even_after_multibyte_text() {
        let text = "a: \"é\"\nb: 1\n";
        let root = one(text);
        let b = root.get("b").expect("b");
        assert_eq!(&text[b.start..b.end], "1");
    }

    #[test]
    fn block_collections_end_at_their_last_value() {
        let text = "a:\n  b: 1\n  c: [x]\nd: 2\n";
        let root = one(text);
        let a = root.get("a").expect("a");
        assert_eq!(&text[a.start..a.end], "b: 1\n  c: [x]");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n", 0).unwrap_err();
        assert!(err.message.contains("duplicate key \"a\""), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(100_000);
        let err = parse_documents(&text, 0).unwrap_err();
        // Either our own depth guard or the parser's recursion guard; never a stack overflow.
        assert!(err.message.contains("nesting deeper") || err.message.contains("recursion limit"), "{}", err.message);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='j' {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        let err = parse_documents(&text, 0).unwrap_err();
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn pruned_documents_keep_identity_and_still_check_everything() {
        let pruning = Some(Pruning { keep_kind: |k| k == "ConfigMap" });
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  a: b\n  c: [1, {d: e}]\n";
        let docs = parse_documents_pruned(text, 0, pruning).expect("parses");
        let root = &docs[0].root;
        assert_eq!(root.path(&["metadata", "name"]).and_then(Node::as_str), Some("s"));
        assert!(root.get("data").is_some_and(Node::is_null), "data is not stored");
        let kept = parse_documents_pruned("kind: ConfigMap\ndata: {a: b}\n", 0, pruning).expect("parses");
        assert!(kept[0].root.path(&["data", "a"]).is_some());
        let dup = "kind: Secret\ndata:\n  x:\n    a: 1\n    a: 2\n";
        let err = parse_documents_pruned(dup, 0, pruning).unwrap_err();
        assert!(err.message.contains("duplicate key \"a\""), "{}", err.message);
    }

    #[test]
    fn reads_like_kubernetes() {
        let root = one("mode: 0644\nq: \"0644\"\nt: !!str 12\nb: yes\n");
        let v = root.to_json(&Anchors::of(&root));
        assert_eq!(v, serde_json::json!({"mode": 420, "q": "0644", "t": "12", "b": true}));
    }

    #[test]
    fn merge_keys_read_like_go_yaml() {
        // Own keys win; then each merged mapping in turn, with its own merges applied.
        let root = one("a: &a {p: 1, <<: {q: 1}}\nb: &b {p: 2, q: 2, r: 2}\nc:\n  <<: [*a, *b]\n  p: 0\n");
        let c = root.get("c").expect("c");
        assert_eq!(c.to_json(&Anchors::none()), serde_json::json!({"p": 0, "q": 1, "r": 2}));
        assert_eq!(c.get("q").and_then(Node::scalar_text), Some("1"));
        assert_eq!(c.get("r").and_then(Node::scalar_text), Some("2"));
        let quoted = one("d: {\"<<\": {x: 1}}\n");
        assert_eq!(quoted.to_json(&Anchors::none()), serde_json::json!({"d": {"<<": {"x": 1}}}));
    }
}
