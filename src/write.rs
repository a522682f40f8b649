//! Writing the result: the input text with each object's changes spliced in, removed
//! documents cut out, and generated objects added, in the shape the input came in.

use serde_json::Value;

use crate::error::Error;
use crate::read::{Input, Object, Shape};
use crate::transform::Edits;
use crate::yaml::edit::write_patched;
use crate::yaml::{emit, Change, Editor, Patch, Slot};

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

    // Changes and removals per document, gathered once (objects know their document).
    let mut changes_in: Vec<Vec<(usize, &Change)>> = vec![Vec::new(); input.docs.len()];
    for (&i, change) in &plan.edits.changes {
        changes_in[plan.objects[i].doc].push((i, change));
    }
    let mut removed_in: Vec<Vec<usize>> = vec![Vec::new(); input.docs.len()];
    for &i in &plan.removed {
        removed_in[plan.objects[i].doc].push(i);
    }

    for (doc_index, doc) in input.docs.iter().enumerate() {
        let changed = &changes_in[doc_index];
        let removed = &removed_in[doc_index];
        let append_here = input.holds_items(doc) && !plan.generated.is_empty();
        if changed.is_empty() && removed.is_empty() && !append_here {
            continue;
        }
        let mut editor = Editor::new(text, &doc.root);
        for &(i, change) in changed {
            let obj = &plan.objects[i];
            editor.apply(obj.node, Slot::Root, change, "").map_err(|e| Error::Object {
                doc: Box::new(obj.doc_ref()),
                field: e.field,
                message: e.message,
            })?;
        }
        for &i in removed {
            match (plan.objects[i].item, plan.objects[i].list) {
                (Some(item), Some(items)) => editor.remove_item(items, item),
                (Some(_), None) => {}
                (None, _) => editor.patches.push(Patch { start: doc.start, end: doc.end, text: String::new(), rank: 0 }),
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
    // Generated documents end their lines the way the stream does.
    if uses_crlf(text) {
        tail = tail.replace('\n', "\r\n");
    }
    Ok(Rendered { patches, tail })
}

/// Does the stream end its lines with CRLF (judged by its first line break)?
fn uses_crlf(text: &str) -> bool {
    text.find('\n').is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}
