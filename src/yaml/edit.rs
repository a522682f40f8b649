//! In-place edits of parsed YAML.
//!
//! A transform describes what it wants as a [`Change`] tree ("under metadata.labels, set
//! this key"; "in the containers list, the item named discovery, its env item named
//! CLUSTER_ID, value = x"). [`Editor::apply`] walks the change and the parsed node together
//! and turns every real difference into a text [`Patch`]: a value replaced in its span, an
//! entry inserted after the last one at the mapping's indentation, an item appended to a
//! sequence. Nothing else in the document is rewritten, so comments, quoting, key order and
//! YAML 1.1 subtleties of untouched fields survive byte for byte.

use serde_json::Value;

use super::emit;
use super::node::{parse_documents, Anchors, Content, Node, Style};

/// What to do when a field already holds a different, non-empty value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    Replace,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The field must hold exactly this value.
    Set { value: Value, on_conflict: OnConflict },
    /// Descend into a mapping (created when missing). An empty list changes nothing.
    Map(Vec<(String, Change)>),
    /// Descend into a list of mappings identified by `field` (Kubernetes' merge keys:
    /// containers and env by `name`); missing items are appended.
    Keyed { field: String, items: Vec<(String, Change)> },
    /// The mapping entry must not exist.
    Remove,
    /// Add these items at the end of a sequence (created when missing).
    Append(Vec<Value>),
    /// The string holds a JSON document; edit inside it.
    EmbeddedJson(Box<Change>),
    /// The string holds a YAML document; edit inside it (in place, like any document).
    EmbeddedYaml(Box<Change>),
}

impl Default for Change {
    fn default() -> Self {
        Change::Map(Vec::new())
    }
}

impl Change {
    pub fn is_noop(&self) -> bool {
        match self {
            Change::Map(entries) => entries.iter().all(|(_, c)| c.is_noop()),
            Change::Keyed { items, .. } => items.iter().all(|(_, c)| c.is_noop()),
            Change::EmbeddedJson(c) | Change::EmbeddedYaml(c) => c.is_noop(),
            Change::Append(values) => values.is_empty(),
            _ => false,
        }
    }

    /// The change for mapping key `name`, created empty when missing.
    pub fn key(&mut self, name: &str) -> &mut Change {
        if !matches!(self, Change::Map(_)) {
            *self = Change::Map(Vec::new());
        }
        let Change::Map(entries) = self else { unreachable!("just made a map") };
        find_or_add(entries, name)
    }

    /// Follow several mapping keys.
    pub fn path(&mut self, names: &[&str]) -> &mut Change {
        names.iter().fold(self, |change, name| change.key(name))
    }

    /// The change for the list item whose `field` equals `value`.
    pub fn item(&mut self, field: &str, value: &str) -> &mut Change {
        if !matches!(self, Change::Keyed { .. }) {
            *self = Change::Keyed { field: field.to_owned(), items: Vec::new() };
        }
        let Change::Keyed { items, .. } = self else { unreachable!("just made a list") };
        find_or_add(items, value)
    }

    pub fn set(&mut self, value: impl Into<Value>, on_conflict: OnConflict) {
        *self = Change::Set { value: value.into(), on_conflict };
    }

    pub fn remove(&mut self) {
        *self = Change::Remove;
    }

    pub fn embedded_json(&mut self) -> &mut Change {
        if !matches!(self, Change::EmbeddedJson(_)) {
            *self = Change::EmbeddedJson(Box::default());
        }
        let Change::EmbeddedJson(inner) = self else { unreachable!() };
        inner
    }

    pub fn embedded_yaml(&mut self) -> &mut Change {
        if !matches!(self, Change::EmbeddedYaml(_)) {
            *self = Change::EmbeddedYaml(Box::default());
        }
        let Change::EmbeddedYaml(inner) = self else { unreachable!() };
        inner
    }

    /// The value this change creates where nothing exists yet.
    pub fn to_value(&self) -> Value {
        let mut value = Value::Null;
        // Applying to null cannot conflict: every Set is a plain write there.
        let _ = apply_to_value(&mut value, self, "");
        value
    }
}

/// The change stored under `key`, added empty when missing (order of first use is kept).
fn find_or_add<'c>(entries: &'c mut Vec<(String, Change)>, key: &str) -> &'c mut Change {
    let index = match entries.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            // One slot at a time: a change tree lives until the output is written, one per
            // edited object, and almost every level holds one key (the first growth of a
            // Vec makes room for four, 4 x 104 bytes per level).
            entries.reserve_exact(1);
            entries.push((key.to_owned(), Change::default()));
            entries.len() - 1
        }
    };
    &mut entries[index].1
}

/// The span to delete for one element of a flow collection, separator included: up to the
/// next element, else back to the previous one, else just the element.
fn flow_removal(element: (usize, usize), prev_end: Option<usize>, next_start: Option<usize>) -> (usize, usize) {
    match (next_start, prev_end) {
        (Some(next), _) => (element.0, next),
        (None, Some(prev)) => (prev, element.1),
        (None, None) => element,
    }
}

/// Where a comment starts in a line segment that holds no scalar text (only dashes,
/// anchors, tags and spaces): a `#` at the start or after a space.
fn comment_start(segment: &str) -> Option<usize> {
    let bytes = segment.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')))
}

/// A field path for messages: `spec.template.spec.containers[name=discovery].env`.
fn join(path: &str, key: &str) -> String {
    let simple = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), simple) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

fn join_item(path: &str, field: &str, value: &str) -> String {
    format!("{path}[{field}={value}]")
}

/// A failed edit: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct EditError {
    pub field: String,
    pub message: String,
}

fn conflict(field: &str, existing: &Value, wanted: &Value) -> EditError {
    EditError {
        field: field.to_owned(),
        message: format!(
            "is already {} but the config says {} (set spec.overrideExisting: true to replace it)",
            existing, wanted
        ),
    }
}

fn is_empty_value(v: &Value) -> bool {
    matches!(v, Value::Null) || matches!(v, Value::String(s) if s.is_empty())
}

/// Apply a change to a JSON value (embedded JSON, and values built from scratch).
/// Returns whether anything changed.
pub fn apply_to_value(target: &mut Value, change: &Change, path: &str) -> Result<bool, EditError> {
    match change {
        Change::Set { value, on_conflict } => {
            if target == value {
                return Ok(false);
            }
            if *on_conflict == OnConflict::Error && !is_empty_value(target) {
                return Err(conflict(path, target, value));
            }
            *target = value.clone();
            Ok(true)
        }
        Change::Map(entries) => {
            if entries.iter().all(|(_, c)| c.is_noop()) && !target.is_null() {
                return Ok(false);
            }
            if target.is_null() {
                *target = Value::Object(Default::default());
            }
            let Value::Object(map) = target else {
                return Err(EditError { field: path.to_owned(), message: "is not a mapping".into() });
            };
            let mut changed = false;
            for (key, sub) in entries {
                let field = join(path, key);
                if matches!(sub, Change::Remove) {
                    changed |= map.shift_remove(key).is_some();
                    continue;
                }
                let slot = map.entry(key.clone()).or_insert(Value::Null);
                changed |= apply_to_value(slot, sub, &field)?;
            }
            Ok(changed)
        }
        Change::Keyed { field, items } => {
            if target.is_null() {
                *target = Value::Array(Vec::new());
            }
            let Value::Array(list) = target else {
                return Err(EditError { field: path.to_owned(), message: "is not a list".into() });
            };
            let mut changed = false;
            for (key, sub) in items {
                let item_path = join_item(path, field, key);
                let found = list.iter_mut().find(|item| item.get(field).and_then(Value::as_str) == Some(key));
                match found {
                    Some(item) => changed |= apply_to_value(item, sub, &item_path)?,
                    None => {
                        let mut item = serde_json::json!({ field.as_str(): key });
                        apply_to_value(&mut item, sub, &item_path)?;
                        list.push(item);
                        changed = true;
                    }
                }
            }
            Ok(changed)
        }
        Change::Remove => Ok(false),
        Change::Append(values) => {
            if target.is_null() {
                *target = Value::Array(Vec::new());
            }
            let Value::Array(list) = target else {
                return Err(EditError { field: path.to_owned(), message: "is not a list".into() });
            };
            list.extend(values.iter().cloned());
            Ok(!values.is_empty())
        }
        Change::EmbeddedJson(inner) | Change::EmbeddedYaml(inner) => {
            // Embedded text held in a JSON value (only used when building from scratch).
            let text = target.as_str().unwrap_or("").to_owned();
            match edit_embedded(&text, change_is_json(change), inner, path)? {
                Some(new_text) => {
                    *target = Value::String(new_text);
                    Ok(true)
                }
                None => Ok(false),
            }
        }
    }
}

fn change_is_json(change: &Change) -> bool {
    matches!(change, Change::EmbeddedJson(_))
}

/// Edit embedded JSON or YAML text; `None` when nothing changes.
fn edit_embedded(text: &str, json: bool, change: &Change, path: &str) -> Result<Option<String>, EditError> {
    let bad = |what: String| EditError { field: path.to_owned(), message: what };
    if json {
        let mut value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(text).map_err(|e| bad(format!("holds invalid JSON: {e}")))?
        };
        if !apply_to_value(&mut value, change, path)? {
            return Ok(None);
        }
        let mut out = serde_json::to_string_pretty(&value).map_err(|e| bad(e.to_string()))?;
        if text.ends_with('\n') {
            out.push('\n');
        }
        return Ok(Some(out));
    }
    let docs = parse_documents(text, 0)
        .map_err(|e| bad(format!("holds invalid YAML: {} (at byte {})", e.message, e.offset)))?;
    match docs.first() {
        None => {
            let value = change.to_value();
            Ok((!value.is_null()).then(|| emit::document(&value)))
        }
        Some(doc) if doc.root.is_null() => {
            let value = change.to_value();
            Ok((!value.is_null()).then(|| emit::document(&value)))
        }
        Some(doc) => {
            let mut editor = Editor::new(text, &doc.root);
            editor.apply(&doc.root, Slot::Root, change, path)?;
            if editor.patches.is_empty() {
                return Ok(None);
            }
            Ok(Some(apply_patches(text, editor.patches)))
        }
    }
}

/// Replace `start..end` of the input with `text` (an insertion when they are equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Orders insertions at one point: higher first. Deeper (more indented) entries must
    /// come before their parents' new siblings, and a missing final newline before both.
    pub rank: usize,
}

/// Insertions at one point come out highest rank first: a value written after its key's
/// colon, then the newline a text without a final one gets, then new lines (deeper first).
const VALUE_AFTER_COLON_RANK: usize = usize::MAX;
const FINAL_NEWLINE_RANK: usize = usize::MAX - 1;

/// Apply patches to a text. Patches never overlap; insertions at one point keep their order.
pub fn apply_patches(text: &str, mut patches: Vec<Patch>) -> String {
    let mut out = Vec::with_capacity(text.len() + patches.iter().map(|p| p.text.len()).sum::<usize>());
    // Writing to a Vec cannot fail.
    let _ = write_patched(text, &mut patches, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Stream `text` with `patches` applied (sorting them first).
pub fn write_patched(text: &str, patches: &mut [Patch], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    patches.sort_by_key(|p| (p.start, p.end, std::cmp::Reverse(p.rank)));
    let mut at = 0;
    for p in patches.iter() {
        if p.start < at {
            continue; // defensive: an overlapping patch would corrupt the text
        }
        out.write_all(&text.as_bytes()[at..p.start])?;
        out.write_all(p.text.as_bytes())?;
        at = p.end;
    }
    out.write_all(&text.as_bytes()[at..])
}

/// Where a node sits, which decides how a replacement is written.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    /// The root of a document (or of a list item handled as an object).
    Root,
    /// A block mapping value: the key's column and the byte after its colon.
    BlockValue { key_col: usize, after_colon: usize },
    /// A block sequence item with its dash at `dash_col`.
    BlockItem { dash_col: usize },
    /// Anything inside a flow collection: replacements are JSON-style flow text.
    Flow,
}

/// Collects the patches for one document.
pub struct Editor<'t> {
    text: &'t str,
    root: &'t Node,
    anchors: Anchors<'t>,
    /// Anchors whose node this editor changed: every alias naming one is written out as a
    /// copy of the original, since Kubernetes reads each alias as a copy.
    changed_anchors: std::collections::HashSet<usize>,
    newline: &'static str,
    final_newline_added: bool,
    /// Empty flow collections that already received an entry.
    filled_flow: std::collections::HashSet<usize>,
    pub patches: Vec<Patch>,
}

impl<'t> Editor<'t> {
    pub fn new(text: &'t str, root: &'t Node) -> Self {
        // Look only at this document's own lines: the text may be a whole stream.
        let own = text.get(root.start..root.end.max(root.start)).unwrap_or(text);
        let newline =
            if own.contains("\r\n") || text[root.end.min(text.len())..].starts_with("\r\n") { "\r\n" } else { "\n" };
        Editor {
            text,
            root,
            anchors: Anchors::of(root),
            changed_anchors: Default::default(),
            newline,
            final_newline_added: false,
            filled_flow: Default::default(),
            patches: Vec::new(),
        }
    }

    fn push(&mut self, start: usize, end: usize, text: String) {
        let rank = if start == end { text.len() - text.trim_start_matches(' ').len() } else { 0 };
        self.push_ranked(start, end, text, rank);
    }

    fn push_ranked(&mut self, start: usize, end: usize, text: String, rank: usize) {
        let text = if self.newline == "\n" { text } else { text.replace('\n', self.newline) };
        self.patches.push(Patch { start, end, text, rank });
    }

    /// Where new lines go after `pos`; a text without a final newline gets one first.
    fn line_insert_point(&mut self, pos: usize) -> usize {
        let at = self.after_line(pos);
        if at == self.text.len() && !self.text.ends_with('\n') && !self.final_newline_added {
            self.final_newline_added = true;
            let newline = self.newline.to_owned();
            self.patches.push(Patch { start: at, end: at, text: newline, rank: FINAL_NEWLINE_RANK });
        }
        at
    }

    /// The column of byte `pos` (indentation is ASCII spaces, so bytes are columns).
    pub fn column(&self, pos: usize) -> usize {
        pos - self.line_start(pos)
    }

    /// YAML also ends a line with a lone CR (old Mac files), so both breaks count here.
    fn line_start(&self, pos: usize) -> usize {
        self.text[..pos].rfind(['\n', '\r']).map_or(0, |i| i + 1)
    }

    /// The byte after the end of the line holding `pos` (or the end of the text).
    fn after_line(&self, pos: usize) -> usize {
        match self.text[pos..].find(['\n', '\r']) {
            Some(i) if self.text[pos + i..].starts_with("\r\n") => pos + i + 2,
            Some(i) => pos + i + 1,
            None => self.text.len(),
        }
    }

    /// Is there anything but blank and comment lines in `text[from..to]`?
    fn holds_content(&self, from: usize, to: usize) -> bool {
        self.text.get(from..to).is_some_and(|t| {
            t.lines().any(|line| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#')
            })
        })
    }

    /// Where a node's own text really ends (block scalars and collections report the next
    /// token's position).
    pub fn value_end(&self, node: &Node) -> usize {
        match &node.content {
            Content::Map { entries, flow: false } => {
                let Some((_, last)) = entries.last() else { return node.end };
                let end = self.value_end(last);
                // A mapping the reader cut down (a list item kept for its metadata) ends
                // where its text ends, past the entries no longer in the tree.
                let text_end = self.text.get(..node.end).map_or(end, |t| t.trim_end().len());
                if text_end > end && self.holds_content(end, text_end) {
                    text_end
                } else {
                    end
                }
            }
            Content::Seq { items, flow: false } => items.last().map_or(node.end, |v| self.value_end(v)),
            Content::Scalar { style: Style::Literal | Style::Folded, .. } => {
                let mut end = node.end.min(self.text.len());
                let line = self.line_start(end);
                if self.text[line..end].trim().is_empty() {
                    // Step back over the line break itself, and blank lines before it. The
                    // header (`|-`) or the last content character stops the walk, also for
                    // an empty scalar, whose span sits on the following line.
                    end = line;
                    while end > 0 && matches!(self.text.as_bytes()[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
                        end -= 1;
                    }
                }
                if self.keeps_trailing_lines(node) {
                    // `|+`: the blank lines after the content are part of the value; new
                    // lines go after them, or the value would lose its final newlines.
                    end = self.after_blank_lines(end);
                }
                end
            }
            _ => node.end,
        }
    }

    /// Is this block scalar's chomping indicator `+` (keep)? The header (`|+`, `>2+`) is
    /// the last token before the content.
    fn keeps_trailing_lines(&self, node: &Node) -> bool {
        let start = node.start.min(self.text.len());
        // An empty block scalar's span starts at its header; one with content, after it.
        let header = if self.text[start..].starts_with(['|', '>']) {
            &self.text[start + 1..]
        } else {
            let before = &self.text[..start];
            let Some(header_at) = before.rfind(['|', '>']) else { return false };
            &before[header_at + 1..]
        };
        let header = header.split(['#', '\n', '\r']).next().unwrap_or("");
        header.trim_end().contains('+')
    }

    /// From the end of a line, past the whitespace-only lines that follow it: the
    /// position of the last such line's break (so the next line starts right after it).
    fn after_blank_lines(&self, mut end: usize) -> usize {
        let bytes = self.text.as_bytes();
        loop {
            let next_line = self.after_line(end);
            if next_line >= bytes.len() || next_line == end {
                return end;
            }
            let line_end = self.text[next_line..].find(['\n', '\r']).map_or(bytes.len(), |i| next_line + i);
            if !self.text[next_line..line_end].trim_matches([' ', '\t']).is_empty() || line_end == bytes.len() {
                return end;
            }
            end = line_end;
        }
    }

    /// The first byte after the colon that follows a mapping key.
    fn after_colon(&self, key: &Node) -> usize {
        let from = key.end.min(self.text.len());
        match self.text[from..].find(':') {
            Some(i) => from + i + 1,
            None => from,
        }
    }

    /// The column of the dash before a sequence item. Between the dash and the item there
    /// can be line breaks, comments (`- # first`), anchors and tags; step back over them.
    fn dash_col(&self, first_item: &Node) -> usize {
        let mut end = first_item.start.min(self.text.len());
        for _ in 0..64 {
            let line = self.line_start(end);
            let mut segment = &self.text[line..end];
            if let Some(hash) = comment_start(segment) {
                segment = &segment[..hash];
            }
            let trimmed = segment.trim_end_matches([' ', '\t']);
            if let Some(before_dash) = trimmed.strip_suffix('-') {
                if before_dash.is_empty() || before_dash.ends_with([' ', '\t']) {
                    return self.column(line + before_dash.len());
                }
            }
            let last_word = trimmed.rsplit([' ', '\t']).next().unwrap_or("");
            if !last_word.is_empty() && last_word.starts_with(['&', '!']) {
                end = line + trimmed.len() - last_word.len();
                continue;
            }
            if !trimmed.is_empty() || line == 0 {
                break;
            }
            // A blank or comment-only line: the dash is on a line above.
            end = line - 1;
            if end > 0 && self.text.as_bytes()[end] == b'\n' && self.text.as_bytes()[end - 1] == b'\r' {
                end -= 1;
            }
        }
        self.column(first_item.start)
    }

    fn child_slot(&self, parent: &Node, key: Option<&Node>, child: &Node) -> Slot {
        if parent.is_flow() {
            return Slot::Flow;
        }
        match key {
            Some(k) => Slot::BlockValue { key_col: self.column(k.start), after_colon: self.after_colon(k) },
            None => Slot::BlockItem { dash_col: self.dash_col(parent.items().first().unwrap_or(child)) },
        }
    }

    /// Walk `change` against `node`, recording a patch for every difference. Aliases that
    /// name a node the change touched keep their old meaning (they are written out).
    pub fn apply(&mut self, node: &Node, slot: Slot, change: &Change, path: &str) -> Result<(), EditError> {
        self.apply_at(node, slot, change, path)?;
        if !self.changed_anchors.is_empty() {
            self.copy_aliases_of_changed_anchors(self.root, Slot::Root, 0);
        }
        Ok(())
    }

    fn apply_at(&mut self, node: &Node, slot: Slot, change: &Change, path: &str) -> Result<(), EditError> {
        if change.is_noop() {
            return Ok(());
        }
        let before = self.patches.len();
        let result = self.apply_here(node, slot, change, path);
        if node.anchor != 0 && self.patches.len() > before {
            self.changed_anchors.insert(node.anchor);
        }
        result
    }

    /// Write out every alias of a changed anchor as a copy of what it named.
    fn copy_aliases_of_changed_anchors(&mut self, node: &Node, slot: Slot, depth: usize) {
        if depth > super::node::MAX_DEPTH {
            return;
        }
        match &node.content {
            Content::Alias(id, target) if self.changed_anchors.contains(id) => {
                let already =
                    self.patches.iter().any(|p| p.start <= node.start && node.end <= p.end && p.start < p.end);
                if !already {
                    let value = target.to_json(&self.anchors);
                    // Cannot fail: the node is an alias and the slot is not the root.
                    let _ = self.replace(node, slot, &value, "");
                }
            }
            Content::Map { entries, .. } => {
                for (k, v) in entries {
                    let child = self.child_slot(node, Some(k), v);
                    self.copy_aliases_of_changed_anchors(v, child, depth + 1);
                }
            }
            Content::Seq { items, .. } => {
                for item in items {
                    let child = self.child_slot(node, None, item);
                    self.copy_aliases_of_changed_anchors(item, child, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn apply_here(&mut self, node: &Node, slot: Slot, change: &Change, path: &str) -> Result<(), EditError> {
        if let Content::Alias(..) = node.content {
            // Kubernetes reads an alias as a copy: edit this copy alone, written out in full,
            // and leave the anchor and its other users as they are.
            let mut value = node.to_json(&self.anchors);
            if apply_to_value(&mut value, change, path)? {
                self.replace(node, slot, &value, path)?;
            }
            return Ok(());
        }
        match change {
            Change::Remove => Ok(()), // handled by the parent mapping
            Change::Set { value, on_conflict } => {
                let existing = node.to_json(&self.anchors);
                if &existing == value {
                    return Ok(());
                }
                if *on_conflict == OnConflict::Error && !is_empty_value(&existing) {
                    return Err(conflict(path, &existing, value));
                }
                self.replace(node, slot, value, path)
            }
            Change::Map(entries) => {
                if self.replaceable_whole(node, slot) {
                    return self.replace(node, slot, &change.to_value(), path);
                }
                if !node.is_map() {
                    return Err(EditError { field: path.to_owned(), message: "is not a mapping".into() });
                }
                for (key, sub) in entries {
                    let field = join(path, key);
                    match (node.entry(key), sub) {
                        (Some(_), Change::Remove) => self.remove_entry(node, key, &field)?,
                        (None, Change::Remove) if node.merged_get(key, 0).is_some() => {
                            return Err(EditError {
                                field,
                                message: "comes from a YAML merge key (<<); eastwest cannot remove it in place".into(),
                            });
                        }
                        (None, Change::Remove) => {}
                        (Some((k, v)), sub) => {
                            let child = self.child_slot(node, Some(k), v);
                            self.apply_at(v, child, sub, &field)?
                        }
                        (None, sub) if sub.is_noop() => {}
                        (None, sub) => match node.merged_get(key, 0) {
                            // A value from a `<<` merge: an explicit key replaces it whole,
                            // so write the merged value with the change applied.
                            Some(merged) => {
                                let mut value = merged.to_json(&self.anchors);
                                if apply_to_value(&mut value, sub, &field)? {
                                    self.insert_entry(node, key, &value);
                                }
                            }
                            None => {
                                let value = sub.to_value();
                                self.insert_entry(node, key, &value);
                            }
                        },
                    }
                }
                Ok(())
            }
            Change::Append(values) => {
                if self.replaceable_whole(node, slot) {
                    return self.replace(node, slot, &change.to_value(), path);
                }
                if !node.is_seq() {
                    return Err(EditError { field: path.to_owned(), message: "is not a list".into() });
                }
                for value in values {
                    self.append_item(node, value);
                }
                Ok(())
            }
            Change::Keyed { field, items } => {
                if self.replaceable_whole(node, slot) {
                    return self.replace(node, slot, &change.to_value(), path);
                }
                if !node.is_seq() {
                    return Err(EditError { field: path.to_owned(), message: "is not a list".into() });
                }
                for (key, sub) in items {
                    let item_path = join_item(path, field, key);
                    let found = node.items().iter().find(|item| item.get(field).and_then(Node::as_str) == Some(key));
                    match found {
                        Some(item) => {
                            let child = self.child_slot(node, None, item);
                            self.apply_at(item, child, sub, &item_path)?
                        }
                        None => {
                            let mut value = serde_json::json!({ field.as_str(): key });
                            apply_to_value(&mut value, sub, &item_path)?;
                            self.append_item(node, &value);
                        }
                    }
                }
                Ok(())
            }
            Change::EmbeddedJson(inner) | Change::EmbeddedYaml(inner) => {
                let text = match node.as_str() {
                    Some(t) => t.to_owned(),
                    None if node.is_null() => String::new(),
                    None => return Err(EditError { field: path.to_owned(), message: "is not a string".into() }),
                };
                if let Some(new_text) = edit_embedded(&text, change_is_json(change), inner, path)? {
                    self.replace(node, slot, &Value::String(new_text), path)?;
                }
                Ok(())
            }
        }
    }

    /// A null, or an empty `{}`/`[]` in block context: nothing in it to keep, so a change
    /// rewrites it whole (as block text) instead of filling the flow collection.
    fn replaceable_whole(&self, node: &Node, slot: Slot) -> bool {
        let empty_flow = node.is_flow() && node.entries().is_empty() && node.items().is_empty();
        node.is_null() || (empty_flow && matches!(slot, Slot::BlockValue { .. }) && node.anchor == 0)
    }

    fn replace(&mut self, node: &Node, slot: Slot, value: &Value, path: &str) -> Result<(), EditError> {
        if node.anchor != 0 {
            // The new text drops the anchor; every alias of it is written out as a copy of
            // the old value (see `copy_aliases_of_changed_anchors`), so nothing refers to it.
            self.changed_anchors.insert(node.anchor);
        }
        if node.is_alias() {
            // A copy written out by the anchor pass may already stand here; this one wins.
            self.patches.retain(|p| !(p.start == node.start && p.start < p.end));
        }
        match slot {
            Slot::Root => Err(EditError { field: path.to_owned(), message: "is not a mapping".into() }),
            Slot::Flow => {
                self.push(node.start, node.end, emit::flow(value));
                Ok(())
            }
            Slot::BlockValue { key_col, after_colon } => {
                let end = self.value_end(node).max(after_colon);
                // A null value at the end of its line shares its insertion point with
                // new lines after that line; the value belongs to the key's line, first.
                self.push_ranked(after_colon, end, emit::value_after_colon(value, key_col), VALUE_AFTER_COLON_RANK);
                Ok(())
            }
            Slot::BlockItem { .. } => {
                let text = match value {
                    Value::Object(_) | Value::Array(_) => emit::flow(value),
                    other => emit::value_after_colon(other, self.column(node.start)).trim_start().to_owned(),
                };
                self.push(node.start, self.value_end(node), text);
                Ok(())
            }
        }
    }

    fn insert_entry(&mut self, map: &Node, key: &str, value: &Value) {
        if map.is_flow() {
            let entry = format!("{}: {}", crate::yaml::scalar::double_quoted(key), emit::flow(value));
            match map.entries().last() {
                // After the last value, unless it is an implicit null (`{a}`, `{a: }`),
                // whose span says nothing useful: then just before the closing brace.
                Some((_, last)) if !matches!(&last.content, Content::Scalar { text, style: Style::Plain, .. } if text.is_empty()) => {
                    self.push(last.end, last.end, format!(", {entry}"))
                }
                Some(_) => {
                    let close = self.text[..map.end.saturating_sub(1)].trim_end().len();
                    self.push(close, close, format!(", {entry}"))
                }
                None => {
                    let text = self.entry_for_empty_flow(map, entry);
                    self.push(map.start + 1, map.start + 1, text);
                }
            }
            return;
        }
        // The first key's column: the mapping's own start can be an anchor or a tag
        // (`labels: &l` on the line above).
        let col = self.column(map.entries().first().map_or(map.start, |(k, _)| k.start));
        let at = self.line_insert_point(self.value_end(map));
        let text = format!("{}{}:{}\n", " ".repeat(col), emit::key(key), emit::value_after_colon(value, col));
        self.push(at, at, text);
    }

    /// The text for one more entry of an empty flow collection: the first one bare, the
    /// ones after it with a separating comma.
    fn entry_for_empty_flow(&mut self, collection: &Node, entry: String) -> String {
        if self.filled_flow.insert(collection.start) {
            entry
        } else {
            format!(", {entry}")
        }
    }

    fn append_item(&mut self, seq: &Node, value: &Value) {
        if seq.is_flow() {
            match seq.items().last() {
                Some(last) => self.push(last.end, last.end, format!(", {}", emit::flow(value))),
                None => {
                    let text = self.entry_for_empty_flow(seq, emit::flow(value));
                    self.push(seq.start + 1, seq.start + 1, text);
                }
            }
            return;
        }
        let Some(first) = seq.items().first() else { return };
        let dash_col = self.dash_col(first);
        let at = self.line_insert_point(self.value_end(seq));
        let text = format!("{}{}\n", " ".repeat(dash_col), emit::seq_item(value, dash_col));
        self.push(at, at, text);
    }

    /// Delete item `index` of a sequence (block: its lines; flow: the item and a comma).
    pub fn remove_item(&mut self, seq: &Node, index: usize) {
        let items = seq.items();
        let Some(item) = items.get(index) else { return };
        if seq.is_flow() {
            let prev_end = index.checked_sub(1).map(|p| items[p].end);
            let (start, end) = flow_removal((item.start, item.end), prev_end, items.get(index + 1).map(|n| n.start));
            self.push(start, end, String::new());
            return;
        }
        let dash = self.text[..item.start].trim_end_matches([' ', '\t', '\n', '\r']).len().saturating_sub(1);
        let start = self.line_start(dash);
        let end = self.after_line(self.value_end(item));
        self.push(start, end, String::new());
    }

    fn remove_entry(&mut self, map: &Node, key: &str, path: &str) -> Result<(), EditError> {
        let entries = map.entries();
        let Some(index) = entries.iter().position(|(k, _)| k.scalar_text() == Some(key)) else {
            return Ok(());
        };
        let (k, v) = &entries[index];
        if map.is_flow() {
            let prev_end = index.checked_sub(1).map(|p| entries[p].1.end);
            let next_start = entries.get(index + 1).map(|(next, _)| next.start);
            let (start, end) = flow_removal((k.start, v.end), prev_end, next_start);
            self.push(start, end, String::new());
            return Ok(());
        }
        let line = self.line_start(k.start);
        if !self.text[line..k.start].trim().is_empty() {
            return Err(EditError {
                field: path.to_owned(),
                message: "shares its line with a list dash; cannot remove it in place".into(),
            });
        }
        let end = self.after_line(self.value_end(v));
        self.push(line, end, String::new());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::node::parse_documents;
    use serde_json::json;

    fn edit(text: &str, change: &Change) -> Result<String, EditError> {
        let docs = parse_documents(text, 0).expect("parses");
        let root = &docs[0].root;
        let mut editor = Editor::new(text, root);
        editor.apply(root, Slot::Root, change, "")?;
        Ok(apply_patches(text, editor.patches))
    }

    fn reread(text: &str) -> Value {
        let docs = parse_documents(text, 0).expect(text);
        docs[0].root.to_json(&Anchors::of(&docs[0].root))
    }

    #[test]
    fn inserts_into_existing_and_missing_mappings() {
        let text = "# head\nmetadata:\n  name: x # keep\n  annotations:\n    a: \"on\"\nspec:\n  mode: 0644\n";
        let mut c = Change::default();
        c.path(&["metadata", "labels", "topology.istio.io/network"]).set("us-net", OnConflict::Error);
        c.path(&["metadata", "annotations", "b"]).set("yes", OnConflict::Error);
        let out = edit(text, &c).expect("edits");
        assert_eq!(
            out,
            "# head\nmetadata:\n  name: x # keep\n  annotations:\n    a: \"on\"\n    b: \"yes\"\n  labels:\n    topology.istio.io/network: us-net\nspec:\n  mode: 0644\n"
        );
        assert_eq!(edit(&out, &c).expect("again"), out, "idempotent");
    }

    #[test]
    fn conflicts_name_both_values() {
        let text = "metadata:\n  labels:\n    net: eu-net\n";
        let mut c = Change::default();
        c.path(&["metadata", "labels", "net"]).set("us-net", OnConflict::Error);
        let err = edit(text, &c).unwrap_err();
        assert_eq!(err.field, "metadata.labels.net");
        assert!(err.message.contains("\"eu-net\"") && err.message.contains("\"us-net\""), "{}", err.message);
        c.path(&["metadata", "labels", "net"]).set("us-net", OnConflict::Replace);
        assert_eq!(edit(text, &c).expect("replace"), "metadata:\n  labels:\n    net: us-net\n");
    }

    #[test]
    fn keyed_lists_update_or_append() {
        let text = "containers:\n- name: discovery\n  env:\n  - name: CLUSTER_ID\n    value: Kubernetes\n  - name: X\n    valueFrom:\n      fieldRef: {fieldPath: a}\n";
        let mut c = Change::default();
        let env = c.key("containers").item("name", "discovery").key("env");
        env.item("name", "CLUSTER_ID").key("value").set("us", OnConflict::Replace);
        env.item("name", "X").key("value").set("1", OnConflict::Replace);
        env.item("name", "X").key("valueFrom").remove();
        env.item("name", "NEW").key("value").set("true", OnConflict::Replace);
        let out = edit(text, &c).expect("edits");
        assert_eq!(
            reread(&out),
            json!({"containers": [{"name": "discovery", "env": [
                {"name": "CLUSTER_ID", "value": "us"},
                {"name": "X", "value": "1"},
                {"name": "NEW", "value": "true"}]}]}),
            "{out}"
        );
        assert_eq!(edit(&out, &c).expect("again"), out);
    }

    #[test]
    fn null_and_flow_values() {
        let text = "a:\nb: {}\nc: [1]\n";
        let mut c = Change::default();
        c.path(&["a", "x"]).set("1", OnConflict::Error);
        c.path(&["b", "y"]).set(json!({"z": true}), OnConflict::Error);
        c.key("c").item("name", "n").key("v").set(2, OnConflict::Error);
        let out = edit(text, &c);
        // c is a list of numbers: the keyed lookup appends a new item.
        let out = out.expect("edits");
        assert_eq!(
            reread(&out),
            json!({"a": {"x": "1"}, "b": {"y": {"z": true}}, "c": [1, {"name": "n", "v": 2}]}),
            "{out}"
        );
    }

    #[test]
    fn embedded_json_and_yaml() {
        let text = "data:\n  values: |-\n    {\n      \"global\": {\n        \"network\": \"\"\n      }\n    }\n  mesh: |-\n    # comment\n    defaultConfig:\n      discoveryAddress: istiod:15012\n    trustDomain: cluster.local\nz: 1\n";
        let mut c = Change::default();
        c.path(&["data", "values"]).embedded_json().path(&["global", "network"]).set("us-net", OnConflict::Error);
        let mesh = c.path(&["data", "mesh"]).embedded_yaml();
        mesh.key("trustDomain").set("corp.local", OnConflict::Replace);
        mesh.path(&["defaultConfig", "meshId"]).set("m", OnConflict::Replace);
        let out = edit(text, &c).expect("edits");
        assert!(out.contains("    # comment\n    defaultConfig:\n      discoveryAddress: istiod:15012\n      meshId: m\n    trustDomain: corp.local\nz: 1\n"), "{out}");
        assert!(out.contains("\"network\": \"us-net\""), "{out}");
        assert_eq!(edit(&out, &c).expect("again"), out);
    }

    #[test]
    fn flow_maps_ending_in_an_implicit_null_take_entries() {
        // Found by fuzzing: the null's span is not where the entry ends.
        for text in ["labels: {a}\n", "labels: {a: }\n"] {
            let mut c = Change::default();
            c.path(&["labels", "n"]).set("x", OnConflict::Error);
            let out = edit(text, &c).expect("edits");
            assert_eq!(reread(&out), json!({"labels": {"a": null, "n": "x"}}), "{out}");
        }
    }

    #[test]
    fn empty_block_scalars_are_replaced_in_place() {
        // Found by fuzzing: `|-` with no content, followed by a tagged sibling key.
        let text = "data:\n  nets: |-\n  ! other: {}\n";
        let mut c = Change::default();
        c.path(&["data", "nets"]).embedded_yaml().path(&["networks", "net"]).set("x", OnConflict::Replace);
        let out = edit(text, &c).expect("edits");
        assert_eq!(reread(&out), json!({"data": {"nets": "networks:\n  net: x\n", "other": {}}}), "{out}");
    }

    #[test]
    fn empty_flow_collections_take_several_entries() {
        let text = "{\"env\": [], \"labels\": {}}";
        let mut c = Change::default();
        c.key("env").item("name", "A").key("value").set("1", OnConflict::Replace);
        c.key("env").item("name", "B").key("value").set("2", OnConflict::Replace);
        c.path(&["labels", "x"]).set("1", OnConflict::Error);
        c.path(&["labels", "y"]).set("2", OnConflict::Error);
        let out = edit(text, &c).expect("edits");
        let back: Value = serde_json::from_str(&out).expect(&out);
        assert_eq!(
            back,
            json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "labels": {"x": "1", "y": "2"}})
        );
    }

    #[test]
    fn a_lone_cr_ends_a_line_too() {
        // Found by fuzzing: columns were counted from the previous LF.
        let text = "spec:\n  containers:\r  - name: proxy\n    image: x\n";
        let mut c = Change::default();
        c.path(&["spec", "containers"])
            .item("name", "proxy")
            .key("env")
            .item("name", "A")
            .key("value")
            .set("1", OnConflict::Replace);
        let out = edit(text, &c).expect("edits");
        assert_eq!(
            reread(&out),
            json!({"spec": {"containers": [{"name": "proxy", "image": "x", "env": [{"name": "A", "value": "1"}]}]}}),
            "{out:?}"
        );
    }

    #[test]
    fn crlf_documents_get_crlf_insertions() {
        let text = "metadata:\r\n  name: x\r\n";
        let mut c = Change::default();
        c.path(&["metadata", "labels", "a"]).set("b", OnConflict::Error);
        assert_eq!(edit(text, &c).expect("edits"), "metadata:\r\n  name: x\r\n  labels:\r\n    a: b\r\n");
    }

    #[test]
    fn an_empty_keep_block_scalar_keeps_its_blank_line() {
        // Found by fuzzing (the edit check refused it): an empty `|+` scalar's span starts
        // at its header, so its chomping was not seen and the entry went before its line.
        let text = "labels:\n  note: |+\n   \n";
        let mut c = Change::default();
        c.path(&["labels", "n"]).set("x", OnConflict::Error);
        let out = edit(text, &c).expect("edits");
        assert_eq!(reread(&out), json!({"labels": {"note": "\n", "n": "x"}}), "{out:?}");
    }
}
