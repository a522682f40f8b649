//! Writing the result: the input text with each object's changes spliced in, removed
//! documents cut out, and generated objects added, in the shape the input came in.

use serde_json::Value;

use crate::error::Error;
use crate::read::{node_json, Input, Object, Shape};
use crate::transform::Edits;
use crate::yaml::edit::write_patched;
use crate::yaml::{emit, verify, Change, Editor, Node, Patch, Slot};

/// Everything the pipeline decided, for one input.
pub struct Plan<'a> {
    pub edits: Edits,
    /// Objects to drop from the output (the in-stream MeshNetwork config).
    pub removed: Vec<usize>,
    pub generated: Vec<Value>,
    pub objects: &'a [Object<'a>],
}

/// The decided output: patches to the input text, and text to add at its end.
pub struct Rendered {
    pub patches: Vec<Patch>,
    pub tail: String,
}

impl Rendered {
    /// Stream the patched input and the tail, without building the whole output first.
    pub fn write_to(mut self, text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_patched(text, &mut self.patches, out)?;
        out.write_all(self.tail.as_bytes())?;
        out.flush()
    }
}

pub fn render(input: &Input, plan: &Plan) -> Result<Rendered, Error> {
    let text = input.text;
    let mut patches: Vec<Patch> = Vec::new();
    let mut tail = String::new();
    // Set once a List or ResourceList took the generated objects as items.
    let mut appended_to_list = false;
    // What the edit check cost, shown by `make bench` (EASTWEST_TIMINGS=1).
    let mut verify_time = std::time::Duration::ZERO;
    let mut verified = 0usize;

    // Changes and removals per document, gathered once (objects know their document), kept
    // only for the documents that have any: not a list per input document.
    let mut changes_in: std::collections::BTreeMap<usize, Vec<(usize, &Change)>> = Default::default();
    for (&i, change) in &plan.edits.changes {
        changes_in.entry(plan.objects[i].doc).or_default().push((i, change));
    }
    let mut removed_in: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for &i in &plan.removed {
        removed_in.entry(plan.objects[i].doc).or_default().push(i);
    }
    let none_changed: Vec<(usize, &Change)> = Vec::new();
    let none_removed: Vec<usize> = Vec::new();

    for (doc_index, doc) in input.docs.iter().enumerate() {
        let changed = changes_in.get(&doc_index).unwrap_or(&none_changed);
        let removed = removed_in.get(&doc_index).unwrap_or(&none_removed);
        let append_here = input.holds_items(doc) && !plan.generated.is_empty();
        if changed.is_empty() && removed.is_empty() && !append_here {
            continue;
        }
        let mut editor = Editor::new(text, &doc.root);
        // Which patches each object's change wrote (for checking a list item by item).
        let mut owned: Vec<(usize, &Change, std::ops::Range<usize>)> = Vec::with_capacity(changed.len());
        for &(i, change) in changed {
            let obj = &plan.objects[i];
            let before = editor.patches.len();
            editor.apply(obj.node, Slot::Root, change, "").map_err(|e| Error::Object {
                doc: Box::new(obj.doc_ref()),
                field: e.field,
                message: e.message,
            })?;
            owned.push((i, change, before..editor.patches.len()));
        }
        for &i in removed {
            match (plan.objects[i].item, plan.objects[i].list) {
                (Some(item), Some(items)) => editor.remove_item(items, item),
                (Some(_), None) => {}
                (None, _) => {
                    editor.patches.push(Patch { start: doc.start, end: doc.end, text: String::new(), rank: 0 })
                }
            }
        }
        if append_here && !appended_to_list {
            appended_to_list = true;
            let mut change = Change::default();
            *change.key("items") = Change::Append(plan.generated.clone());
            editor
                .apply(&doc.root, Slot::Root, &change, "")
                .map_err(|e| Error::Input(format!("document {}: field {}: {}", doc.number, e.field, e.message)))?;
        }
        let whole_document_removed = removed.iter().any(|&i| plan.objects[i].item.is_none());
        if !whole_document_removed && !editor.patches.is_empty() {
            let appended =
                if append_here && appended_to_list_by(doc_index, input, plan) { &plan.generated[..] } else { &[] };
            let started = std::time::Instant::now();
            let by_item =
                removed.is_empty().then(|| verify_list(input, doc_index, &editor.patches, &owned, appended, plan));
            match by_item.flatten() {
                Some(checked) => checked?,
                None => verify_document(input, doc_index, &editor.patches, changed, removed, appended, plan)?,
            }
            verify_time += started.elapsed();
            verified += 1;
        }
        patches.append(&mut editor.patches);
    }

    if !plan.generated.is_empty() && !appended_to_list {
        let needs_newline = !text.is_empty() && !text.ends_with('\n');
        if needs_newline {
            tail.push('\n');
        }
        for value in &plan.generated {
            if input.shape == Shape::Json {
                tail.push_str(&serde_json::to_string_pretty(value).map_err(|e| Error::Io(e.to_string()))?);
                tail.push('\n');
            } else {
                tail.push_str("---\n");
                tail.push_str(&emit::document(value));
            }
        }
    }
    if std::env::var_os("EASTWEST_TIMINGS").is_some() {
        eprintln!(
            "eastwest timings: edit check {:.3} ms for {verified} of {} documents",
            verify_time.as_secs_f64() * 1000.0,
            input.docs.len()
        );
    }
    // Generated documents end their lines the way the stream does.
    if uses_crlf(text) {
        tail = tail.replace('\n', "\r\n");
    }
    Ok(Rendered { patches, tail })
}

/// Is `doc_index` the first document holding items, the one generated objects go to?
fn appended_to_list_by(doc_index: usize, input: &Input, plan: &Plan) -> bool {
    !plan.generated.is_empty() && input.docs.iter().position(|d| input.holds_items(d)) == Some(doc_index)
}

/// Where an object sits in its document: at once for the document itself or an item of
/// its top-level list, else by a search through nested Lists.
fn object_path(root: &Node, obj: &Object) -> Option<Vec<usize>> {
    if std::ptr::eq(root, obj.node) {
        return Some(Vec::new());
    }
    if let (Some(item), Some(list)) = (obj.item, obj.list) {
        if root.get("items").is_some_and(|items| std::ptr::eq(items, list)) {
            return Some(vec![item]);
        }
    }
    locate(root, obj.node, 0)
}

/// The item indexes leading from `root` through nested `items` lists to `target`.
fn locate(root: &Node, target: &Node, depth: usize) -> Option<Vec<usize>> {
    if std::ptr::eq(root, target) {
        return Some(Vec::new());
    }
    if depth > 16 {
        return None;
    }
    let items = root.get("items")?.items();
    items.iter().enumerate().find_map(|(i, item)| {
        let mut path = locate(item, target, depth + 1)?;
        path.insert(0, i);
        Some(path)
    })
}

fn at_path<'v>(value: &'v mut Value, path: &[usize]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, &i| v.get_mut("items")?.get_mut(i))
}

/// Read the edited document back and compare it, as data, with the input's data plus
/// exactly the planned changes, removals and appended items. Any difference is an
/// internal error: the stream is not written.
fn verify_document(
    input: &Input,
    doc_index: usize,
    doc_patches: &[Patch],
    changed: &[(usize, &Change)],
    removed: &[usize],
    appended: &[Value],
    plan: &Plan,
) -> Result<(), Error> {
    let doc = &input.docs[doc_index];
    let index_in_chunk = input.docs[..doc_index].iter().rev().take_while(|d| d.start == doc.start).count();
    // A document the reader cut down is compared whole: its text is read again in full,
    // so nothing outside the part kept in memory can change unseen.
    let keep = if doc.cut { crate::read::Keep::Everything } else { input.keep };
    let mut expected = if doc.cut {
        match crate::read::reparse(&input.text[doc.start..doc.end], index_in_chunk, keep) {
            Ok(Some(full)) => node_json(&full),
            _ => return Err(internal(doc.number, "the document does not read again")),
        }
    } else {
        node_json(&doc.root)
    };
    let mut decoded_changes: Vec<(Vec<usize>, &Change)> = Vec::new();
    for &(i, change) in changed {
        let path = object_path(&doc.root, &plan.objects[i])
            .ok_or_else(|| internal(doc.number, "cannot find an edited object"))?;
        if let Some(target) = at_path(&mut expected, &path) {
            verify::plan(target, change);
        }
        decoded_changes.push((path, change));
    }
    let mut removals: Vec<(Vec<usize>, usize)> = Vec::new();
    for &i in removed {
        let obj = &plan.objects[i];
        if let (Some(item), Some(list)) = (obj.item, obj.list) {
            let owner = object_path(&doc.root, obj).map(|mut p| {
                p.pop();
                p
            });
            if let Some(owner) = owner.filter(|_| list.items().get(item).is_some_and(|n| std::ptr::eq(n, obj.node))) {
                removals.push((owner, item));
            }
        }
    }
    // Later items first, so earlier indexes stay right.
    removals.sort_by(|a, b| b.cmp(a));
    for (path, _) in &mut decoded_changes {
        for (owner, item) in &removals {
            if path.len() > owner.len() && path.starts_with(owner) && path[owner.len()] > *item {
                path[owner.len()] -= 1;
            }
        }
    }
    for (owner, item) in removals {
        if let Some(Value::Array(items)) = at_path(&mut expected, &owner).and_then(|v| v.get_mut("items")) {
            if item < items.len() {
                items.remove(item);
            }
        }
    }
    if !appended.is_empty() {
        let mut change = Change::default();
        *change.key("items") = Change::Append(appended.to_vec());
        verify::plan(&mut expected, &change);
    }

    // The document's own text with its patches applied, read back as the reader read it.
    let mut local: Vec<Patch> = doc_patches
        .iter()
        .map(|p| Patch { start: p.start - doc.start, end: p.end - doc.start, text: p.text.clone(), rank: p.rank })
        .collect();
    let mut edited = Vec::new();
    let _ = crate::yaml::edit::write_patched(&input.text[doc.start..doc.end], &mut local, &mut edited);
    let edited = String::from_utf8(edited).map_err(|_| internal(doc.number, "the edit is not UTF-8"))?;
    let root = match crate::read::reparse(&edited, index_in_chunk, keep) {
        Ok(Some(root)) => root,
        Ok(None) => return Err(internal(doc.number, "the edited document is gone")),
        Err(message) => return Err(internal(doc.number, &format!("the edited text is not valid YAML ({message})"))),
    };
    let mut actual = node_json(&root);
    for (path, change) in decoded_changes {
        if let Some(target) = at_path(&mut actual, &path) {
            verify::decode_embedded(target, change);
        }
    }
    match verify::first_difference(&expected, &actual, "") {
        None => Ok(()),
        Some(at) => Err(internal(doc.number, &format!("the edited text would not read back as intended at {at}"))),
    }
}

/// Where each item of an `items` list sits, read alone. Block items: from the start of the
/// line of its dash to the start of the next item's (the last: to the end of the list's
/// last line). Flow items (JSON): the item's own span. Also where the text before the
/// items ends and the text after them starts. `None` when a block item does not start
/// with a dash on its own line (then the list is checked whole).
fn item_regions(text: &str, items: &Node, doc_end: usize) -> Option<ItemRegions> {
    let (first, last) = (items.items().first()?, items.items().last()?);
    if items.is_flow() {
        let regions: Vec<(usize, usize)> = items.items().iter().map(|i| (i.start, i.end)).collect();
        return Some(ItemRegions { regions, before: first.start, after: last.end });
    }
    let mut starts = Vec::with_capacity(items.items().len());
    for item in items.items() {
        let before = text.get(..item.start)?.trim_end_matches([' ', '\t']);
        let dash = before.len().checked_sub(1).filter(|&d| before.as_bytes()[d] == b'-')?;
        let line = before[..dash].rfind('\n').map_or(0, |i| i + 1);
        if !before[line..dash].bytes().all(|b| b == b' ') {
            return None;
        }
        starts.push(line);
    }
    let last_end = match text.get(..items.end)? {
        t if t.ends_with('\n') => items.end,
        _ => text.get(items.end..doc_end)?.find('\n').map_or(doc_end, |i| items.end + i + 1),
    };
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(last_end));
    let regions: Vec<(usize, usize)> = starts.iter().copied().zip(ends).collect();
    Some(ItemRegions { before: *starts.first()?, after: last_end, regions })
}

struct ItemRegions {
    regions: Vec<(usize, usize)>,
    /// The end of the document's text before its first item, the start after its last.
    before: usize,
    after: usize,
}

/// Does anything in the tree name an anchor? Then items cannot be read one by one.
fn has_alias(node: &Node, depth: usize) -> bool {
    depth > crate::yaml::node::MAX_DEPTH
        || match &node.content {
            crate::yaml::Content::Alias(..) => true,
            crate::yaml::Content::Map { entries, .. } => {
                entries.iter().any(|(k, v)| has_alias(k, depth + 1) || has_alias(v, depth + 1))
            }
            crate::yaml::Content::Seq { items, .. } => items.iter().any(|i| has_alias(i, depth + 1)),
            crate::yaml::Content::Scalar { .. } => false,
        }
}

/// The changes planned in one item of a list (at item paths, see [`at_path`]) and the
/// indexes of the patches they wrote.
type EditedItem<'c> = (Vec<(Vec<usize>, &'c Change)>, Vec<usize>);

/// Check a List or ResourceList item by item, as a stream is checked document by document:
/// each edited item is read back alone (its own lines, a one-item sequence) and compared
/// with its data plus its planned changes; the rest of the document (its keys around
/// `items`, and the appended items) is read back with no items in it. A long list then
/// costs what its edited items cost, never a second copy of the whole list.
///
/// `None` when this cannot be done faithfully (aliases, items not each on their own dash
/// line, a patch outside its item): the caller checks the document whole.
fn verify_list(
    input: &Input,
    doc_index: usize,
    doc_patches: &[Patch],
    owned: &[(usize, &Change, std::ops::Range<usize>)],
    appended: &[Value],
    plan: &Plan,
) -> Option<Result<(), Error>> {
    let doc = &input.docs[doc_index];
    let text = input.text;
    let items = doc.root.get("items").filter(|i| i.is_seq() && !i.items().is_empty())?;
    // Directives (`%TAG`) give tags their meaning in the whole document, not in one item.
    if has_alias(&doc.root, 0) || text.get(doc.start..doc.end)?.lines().any(|l| l.starts_with('%')) {
        return None;
    }
    let ItemRegions { regions, before: first, after: last } = item_regions(text, items, doc.end)?;
    let within = |p: &Patch, (start, end): (usize, usize)| p.start >= start && p.end <= end;
    // Edited items, each with its objects and the patches they wrote.
    let mut by_item: std::collections::BTreeMap<usize, EditedItem> = Default::default();
    let mut is_owned = vec![false; doc_patches.len()];
    for (i, change, range) in owned {
        let mut path = object_path(&doc.root, &plan.objects[*i])?;
        let top = std::mem::replace(path.first_mut()?, 0);
        let entry = by_item.entry(top).or_default();
        entry.0.push((path, *change));
        for p in range.clone() {
            if !within(doc_patches.get(p)?, *regions.get(top)?) {
                return None;
            }
            entry.1.push(p);
            is_owned[p] = true;
        }
    }
    let rest: Vec<&Patch> = doc_patches.iter().zip(&is_owned).filter(|(_, o)| !**o).map(|(p, _)| p).collect();
    if !rest.iter().all(|p| within(p, (doc.start, first)) || within(p, (last, doc.end))) {
        return None;
    }
    for (top, (planned, patch_indexes)) in &by_item {
        let (start, end) = regions[*top];
        let patches: Vec<&Patch> = patch_indexes.iter().filter_map(|&p| doc_patches.get(p)).collect();
        let checked = verify_region(text, &[(start, end)], true, &patches, planned, &[], |what| {
            internal(doc.number, &format!("item {}: {what}", top + 1))
        })?;
        if checked.is_err() {
            return Some(checked);
        }
    }
    if !rest.is_empty() || !appended.is_empty() {
        // With the last item, so that items appended after it (`, {...}` in a flow list)
        // still read in place.
        let last_item = *regions.last()?;
        let around = [(doc.start, first), last_item, (last, doc.end)];
        return verify_region(text, &around, false, &rest, &[], appended, |what| internal(doc.number, what));
    }
    Some(Ok(()))
}

/// Read back the text made of `parts` of the input, before and after `patches` (which lie
/// inside the parts), and compare the data: the first with `planned` changes (at item
/// paths) and `appended` items applied must equal the second. `None` when the parts do
/// not read alone as they were meant to (the caller then checks the document whole):
/// never an error for text eastwest did not write.
fn verify_region(
    text: &str,
    parts: &[(usize, usize)],
    lone_item: bool,
    patches: &[&Patch],
    planned: &[(Vec<usize>, &Change)],
    appended: &[Value],
    fail: impl Fn(&str) -> Error,
) -> Option<Result<(), Error>> {
    let mut original = String::new();
    let mut offsets = Vec::with_capacity(parts.len());
    for &(start, end) in parts {
        offsets.push(original.len());
        original.push_str(text.get(start..end).unwrap_or_default());
    }
    // Each patch in the first part that holds it (one at the seam of two parts is the
    // same place in the joined text either way).
    let mut local = Vec::with_capacity(patches.len());
    for p in patches {
        let Some(i) = parts.iter().position(|&(start, end)| p.start >= start && p.end <= end) else { continue };
        let at = |x: usize| x - parts[i].0 + offsets[i];
        local.push(Patch { start: at(p.start), end: at(p.end), text: p.text.clone(), rank: p.rank });
    }
    let read = |t: &str| -> Result<Value, String> {
        match crate::read::reparse(t, 0, crate::read::Keep::Everything) {
            Ok(Some(root)) => Ok(node_json(&root)),
            Ok(None) => Ok(Value::Null),
            Err(message) => Err(message),
        }
    };
    // A lone item (a one-item block sequence, or a flow item's own text) is read as
    // `{items: [item]}`, where the item paths apply.
    let as_list = |v: Value| match v {
        Value::Array(_) if lone_item => serde_json::json!({ "items": v }),
        v if lone_item => serde_json::json!({ "items": [v] }),
        v => v,
    };
    let mut expected = as_list(read(&original).ok()?);
    if lone_item && expected["items"].as_array().map(Vec::len) != Some(1) {
        return None;
    }
    for (path, change) in planned {
        if let Some(target) = at_path(&mut expected, path) {
            verify::plan(target, change);
        }
    }
    if !appended.is_empty() {
        let mut change = Change::default();
        *change.key("items") = Change::Append(appended.to_vec());
        verify::plan(&mut expected, &change);
    }
    let mut edited = Vec::new();
    let _ = crate::yaml::edit::write_patched(&original, &mut local, &mut edited);
    let Ok(edited) = String::from_utf8(edited) else { return Some(Err(fail("the edit is not UTF-8"))) };
    let mut actual = match read(&edited) {
        Ok(value) => as_list(value),
        Err(message) => return Some(Err(fail(&format!("the edited text is not valid YAML ({message})")))),
    };
    for (path, change) in planned {
        if let Some(target) = at_path(&mut actual, path) {
            verify::decode_embedded(target, change);
        }
    }
    Some(match verify::first_difference(&expected, &actual, "") {
        None => Ok(()),
        Some(at) => Err(fail(&format!("the edited text would not read back as intended at {at}"))),
    })
}

fn internal(document: usize, what: &str) -> Error {
    Error::Input(format!("internal error: document {document}: {what}; nothing was written (please report this input)"))
}

/// Does the stream end its lines with CRLF (judged by its first line break)?
fn uses_crlf(text: &str) -> bool {
    text.find('\n').is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::OnConflict;

    /// The check itself: a correct edit passes, the same edit at a wrong column, or one
    /// that changes anything else, is an internal error.
    #[test]
    fn verification_refuses_an_edit_that_reads_back_wrong() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {k: v}\n";
        let input = Input::parse(text).expect("parses");
        let objects = input.objects().expect("objects");
        let mut change = Change::default();
        change.path(&["metadata", "annotations", "x"]).set("val", OnConflict::Error);
        let plan = Plan { edits: Edits::default(), removed: Vec::new(), generated: Vec::new(), objects: &objects };
        let changed = [(0, &change)];
        let at = text.len();
        let patch = |t: &str| vec![Patch { start: at, end: at, text: t.to_owned(), rank: 0 }];
        let right = patch("  annotations:\n    x: val\n");
        verify_document(&input, 0, &right, &changed, &[], &[], &plan).expect("the right edit passes");
        for wrong in
            ["    annotations:\n    x: val\n", "  annotations:\n    x: \"n\"\n", "  annotations:\n    x: val\n  z: 1\n"]
        {
            let err = verify_document(&input, 0, &patch(wrong), &changed, &[], &[], &plan).expect_err(wrong);
            assert!(err.to_string().starts_with("internal error: document 1: "), "{err}");
        }
    }

    /// A long list is checked item by item: an edited item that reads back wrong is an
    /// internal error naming the item; a patch outside its item's lines, or an alias in
    /// the list, sends the list to the whole-document check instead.
    #[test]
    fn a_list_is_checked_item_by_item() {
        let item = |name: &str, ns: &str| {
            format!("- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {{name: {name}, namespace: {ns}}}\n  spec:\n    template:\n      metadata:\n        labels: {{app: {name}}}\n      spec:\n        containers: [{{name: a, image: a}}]\n")
        };
        let text = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{}{}{}functionConfig: {{kind: X}}\n",
            item("a", "other"),
            item("b", "apps"),
            item("c", "other")
        );
        let workloads = vec!["apps".to_owned()];
        let input = Input::parse_pruned(&text, crate::read::Keep::Transforms, Some(&workloads)).expect("parses");
        assert_eq!(input.docs[0].item_identities().len(), 2, "items a and c: identity only");
        let objects = input.objects().expect("objects");
        assert_eq!(objects.iter().map(|o| o.name).collect::<Vec<_>>(), ["a", "b", "c"]);
        let mut change = Change::default();
        change.path(&["spec", "template", "metadata", "labels", "net"]).set("n1", OnConflict::Error);
        let plan = Plan { edits: Edits::default(), removed: Vec::new(), generated: Vec::new(), objects: &objects };
        let labels_end = text.find("app: b}").expect("b's labels") + "app: b".len();
        let at = |start: usize, end: usize, t: &str| Patch { start, end, text: t.to_owned(), rank: 0 };
        let right = [at(labels_end, labels_end, ", net: n1")];
        let owned = [(1, &change, 0..1)];
        assert!(matches!(verify_list(&input, 0, &right, &owned, &[], &plan), Some(Ok(()))));
        // Item b's image changed as well: caught, and named.
        let image = text
            .find("image: a}]\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: c")
            .expect("b's image");
        let wrong = [right[0].clone(), at(image + 7, image + 8, "z")];
        let owned_both = [(1, &change, 0..2)];
        let err = verify_list(&input, 0, &wrong, &owned_both, &[], &plan).expect("checked by item").expect_err("wrong");
        assert!(err.to_string().contains("item 2") && err.to_string().contains("/containers/0/image"), "{err}");
        // The same wrong patch, but written by nobody: outside every item's owner, the
        // list goes to the whole-document check.
        assert!(verify_list(&input, 0, &wrong, &owned, &[], &plan).is_none());
    }

    /// A workload cut down to its pod metadata by the reader is still compared whole: a
    /// change in a part not kept in memory is caught.
    #[test]
    fn verification_reads_a_cut_document_in_full() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: apps}\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      containers: [{name: a, image: a}]\n";
        let input = Input::parse_keeping(text, crate::read::Keep::Transforms).expect("parses");
        assert!(input.docs[0].cut, "a plain workload keeps only its pod metadata");
        let objects = input.objects().expect("objects");
        let mut change = Change::default();
        change.path(&["spec", "template", "metadata", "labels", "net"]).set("n1", OnConflict::Error);
        let plan = Plan { edits: Edits::default(), removed: Vec::new(), generated: Vec::new(), objects: &objects };
        let changed = [(0, &change)];
        let at = text.find("}\n    spec:").expect("labels end");
        let label = Patch { start: at, end: at, text: ", net: n1".to_owned(), rank: 0 };
        verify_document(&input, 0, std::slice::from_ref(&label), &changed, &[], &[], &plan).expect("right edit");
        let replicas = text.find("replicas: 1").expect("replicas") + "replicas: ".len();
        let wrong = Patch { start: replicas, end: replicas + 1, text: "2".to_owned(), rank: 0 };
        let err = verify_document(&input, 0, &[label, wrong], &changed, &[], &[], &plan).expect_err("replicas changed");
        assert!(err.to_string().contains("/spec/replicas"), "{err}");
    }
}
