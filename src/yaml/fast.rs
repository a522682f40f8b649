//! A fast reader for the YAML that renderers write, with a way out to the full parser.
//!
//! Helm, kustomize and kubectl all write the same narrow dialect: block mappings and
//! sequences, plain and quoted scalars, literal and folded block scalars, short flow
//! collections and comments; kubectl and KRM orchestrators also write JSON (a document
//! that is one flow collection), which it reads too. This reader understands only that dialect and builds exactly
//! the tree the full parser ([`super::node::parse_events`]) builds from it: the same text,
//! styles and byte spans. The moment it meets anything else (anchors, tags, explicit keys,
//! tabs, directives, several documents in one chunk, or any syntax error) it gives up and
//! returns `None`, and the caller parses the chunk again with the full parser, which also
//! writes the error message. So this module can make a chunk faster to read but never
//! change what it means; the tests (`fast/tests.rs`, `tests/fast_reader.rs`) and the
//! `fast_reader` fuzz target hold it to that.
//!
//! Why it exists: the full parser's scanner took about 60% of eastwest's time on big
//! inputs (README, "Performance").

use std::borrow::Cow;

use super::node::tight;
use std::collections::HashSet;

use super::node::{Content, ItemHook, Node, ParsedDoc, Pruning, Style, IDENTITY_KEYS};

/// The column given for a flow collection at the root (JSON): its lines may start in any
/// column, and a quoted scalar in it may not run over lines (those go to the full parser).
const ROOT_FLOW: usize = usize::MAX;
/// Deeper documents go to the full parser, which enforces its own limit with a message.
const MAX_DEPTH: usize = 64;
/// YAML limits an implicit key to 1024 characters.
const MAX_KEY_LEN: usize = 1024;
/// What [`Reader::at`] answers past the end of the text (a real NUL is never read: see
/// [`only_plain_characters`]).
const EOF: u8 = 0;

/// Parse a chunk holding one document, or `None` when the full parser must do it.
pub fn parse(text: &str, base: usize, pruning: Option<Pruning>) -> Option<Vec<ParsedDoc>> {
    parse_with_items(text, base, pruning, None).map(|(docs, _)| docs)
}

/// [`parse`], handing each item of a List's or ResourceList's block `items` to `item_hook`
/// as soon as it is read (so a long list is pruned item by item, never held whole). Also
/// says whether the hook saw the items; if not (flow `items`), the caller hands them over.
pub fn parse_with_items(
    text: &str,
    base: usize,
    pruning: Option<Pruning>,
    item_hook: Option<ItemHook<'_>>,
) -> Option<(Vec<ParsedDoc>, bool)> {
    if !only_plain_characters(text.as_bytes()) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        base,
        pos: 0,
        depth: 0,
        storing: true,
        drop_next_collection: false,
        saw_marker: false,
        item_hook,
        item_pruning: pruning,
        list_root: false,
        items_next: false,
        items_hooked: false,
    };
    let root = reader.document(pruning)?;
    Some((vec![ParsedDoc { root }], reader.items_hooked))
}

/// No tab, carriage return or other control character, no BOM, and none of the characters
/// YAML 1.1 counts as line breaks (NEL, LS, PS): those are the full parser's business.
fn only_plain_characters(bytes: &[u8]) -> bool {
    // Most chunks are pure printable ASCII; an or-fold over a block compiles to SIMD.
    let suspicious = |block: &[u8]| block.iter().fold(false, |any, &c| any | ((c < 0x20 && c != b'\n') | (c >= 0x7F)));
    for (n, block) in bytes.chunks(64).enumerate() {
        if suspicious(block) {
            let at = n * 64;
            for (i, &c) in block.iter().enumerate() {
                let next = |k: usize| bytes.get(at + i + k).copied();
                let refused = match c {
                    b'\n' => false,
                    0..=0x1F | 0x7F => true,
                    0xC2 => matches!(next(1), Some(0x80..=0x9F)),
                    0xE2 => next(1) == Some(0x80) && matches!(next(2), Some(0xA8 | 0xA9)),
                    0xEF => matches!((next(1), next(2)), (Some(0xBB), Some(0xBF)) | (Some(0xBF), Some(0xBE | 0xBF))),
                    _ => false,
                };
                if refused {
                    return false;
                }
            }
        }
    }
    true
}

/// A mapping key as written: its text (decoded when quoted), style and where it sits.
struct Key<'t> {
    text: Cow<'t, str>,
    style: Style,
    start: usize,
    end: usize,
    /// Offset of the `:` that ends it.
    colon: usize,
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Offsets inside the reader are relative to the chunk; nodes get `base` added.
struct Reader<'t, 'h> {
    text: &'t str,
    bytes: &'t [u8],
    base: usize,
    /// Start of the next line not yet read.
    pos: usize,
    depth: usize,
    /// False inside a collection that pruning drops: it is still read and checked, not kept.
    storing: bool,
    /// Set by the root mapping before reading a value that pruning drops if it is a collection.
    drop_next_collection: bool,
    /// A `---` or `...` line came after the document's start.
    saw_marker: bool,
    /// Called with each item of the root List's `items` once it is read.
    item_hook: Option<ItemHook<'h>>,
    /// The pruning each such item is read with, as if it were a document of its own.
    item_pruning: Option<Pruning>,
    /// The root mapping's `kind` is List or ResourceList.
    list_root: bool,
    /// Set by the root mapping while it reads the value of `items`.
    items_next: bool,
    /// The hook was given the items.
    items_hooked: bool,
}

impl<'t> Reader<'t, '_> {
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(EOF)
    }

    fn is_line_end(&self, i: usize) -> bool {
        matches!(self.at(i), b'\n' | EOF)
    }

    fn line_end(&self, from: usize) -> usize {
        match self.bytes.get(from..).and_then(|rest| memchr::memchr(b'\n', rest)) {
            Some(i) => from + i,
            None => self.bytes.len(),
        }
    }

    fn next_line(&self, line_end: usize) -> usize {
        (line_end + 1).min(self.bytes.len())
    }

    fn spaces(&self, from: usize) -> usize {
        self.bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|&&c| c == b' ').count())
    }

    fn slice(&self, start: usize, end: usize) -> Option<&'t str> {
        self.text.get(start..end)
    }

    fn node(&self, start: usize, end: usize, content: Content) -> Node {
        Node { start: self.base + start, end: self.base + end, anchor: 0, content }
    }

    fn scalar(&self, start: usize, end: usize, text: Cow<'_, str>, style: Style) -> Node {
        // Inside a dropped collection only the shape is needed, not the text.
        let text = if self.storing { text.into_owned() } else { String::new() };
        self.node(start, end, Content::Scalar { text: text.into(), style, tag: None })
    }

    /// What the full parser leaves in place of a collection that pruning drops.
    fn placeholder(&self, start: usize) -> Node {
        self.node(start, start, Content::Scalar { text: Box::default(), style: Style::Plain, tag: None })
    }

    fn null(&mut self, at: usize) -> Option<Node> {
        Some(self.scalar(at, at, Cow::Borrowed(""), Style::Plain))
    }

    /// Open a collection: returns whether it is kept, after checking depth and size.
    fn enter(&mut self) -> Option<bool> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let kept = self.storing && !std::mem::take(&mut self.drop_next_collection);
        Some(std::mem::replace(&mut self.storing, kept))
    }

    /// Close a collection opened by [`Self::enter`], which returned `outer`.
    fn leave(&mut self, outer: bool) {
        self.depth -= 1;
        self.storing = outer;
    }

    /// Past blank and comment lines; the next line with content, as (line start, indent).
    /// A document marker (`---`, `...`) ends the content, as the end of the text does, and
    /// is remembered: it means another document, which this reader leaves alone.
    fn skip_to_content(&mut self) -> Option<(usize, usize)> {
        let (line, indent) = self.skip_blank_and_comment_lines()?;
        if indent == 0 && self.is_document_marker(line) {
            self.saw_marker = true;
            return None;
        }
        Some((line, indent))
    }

    fn is_document_marker(&self, line: usize) -> bool {
        let head = self.bytes.get(line..line + 3);
        matches!(head, Some(b"---" | b"...")) && matches!(self.at(line + 3), b' ' | b'\n' | EOF)
    }

    fn skip_blank_and_comment_lines(&mut self) -> Option<(usize, usize)> {
        while self.pos < self.bytes.len() {
            let indent = self.spaces(self.pos);
            let first = self.pos + indent;
            if self.is_line_end(first) || self.at(first) == b'#' {
                self.pos = self.next_line(self.line_end(first));
                continue;
            }
            return Some((self.pos, indent));
        }
        None
    }

    /// After a token ending at `from`, the line may hold only spaces and a comment; then
    /// reading goes on at the next line.
    fn end_line(&mut self, from: usize) -> Option<()> {
        let p = from + self.spaces(from);
        if self.is_line_end(p) || (self.at(p) == b'#' && p > from) {
            self.pos = self.next_line(self.line_end(p));
            Some(())
        } else {
            None
        }
    }

    /// From a line start, past lines holding only spaces: where that leaves, and how many.
    fn skip_blank_lines(&self, mut line: usize) -> (usize, usize) {
        let mut blank = 0;
        while line < self.bytes.len() && self.is_line_end(line + self.spaces(line)) {
            blank += 1;
            line = self.next_line(line + self.spaces(line));
        }
        (line, blank)
    }

    fn is_seq_entry(&self, at: usize) -> bool {
        self.at(at) == b'-' && matches!(self.at(at + 1), b' ' | b'\n' | EOF)
    }

    /// Can a plain scalar start at `at`? (`-`, `?` and `:` only before a non-space.)
    fn plain_starts(&self, at: usize, flow: bool) -> bool {
        match self.at(at) {
            b'-' | b'?' | b':' => {
                let next = self.at(at + 1);
                !(matches!(next, b' ' | b'\n' | EOF) || (flow && is_flow_indicator(next)))
            }
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@'
            | b'`' | b' ' | b'\n' | EOF => false,
            _ => true,
        }
    }

    // --- block structure ---------------------------------------------------------------

    /// One document: an optional `---` line, then a block mapping or sequence at column 0, then
    /// nothing.
    fn document(&mut self, pruning: Option<Pruning>) -> Option<Node> {
        let (mut line, mut indent) = self.skip_blank_and_comment_lines()?;
        if indent == 0 && self.bytes.get(line..line + 3) == Some(b"---") && self.is_document_marker(line) {
            self.end_line(line + 3)?;
            match self.skip_to_content() {
                Some(next) => (line, indent) = next,
                // `---` and comments (Helm writes those for templates that render nothing):
                // a null document, placed where the chunk ends.
                None if !self.saw_marker => return self.null(self.bytes.len()),
                None => return None,
            }
        }
        // A `...` line first ends a document that never started: the full parser's business.
        if indent != 0 || self.is_document_marker(line) {
            return None;
        }
        // A sequence at the root: not an object, but what one list item reads as alone
        // (the edit check reads each edited item of a long list so).
        let root = if self.is_seq_entry(line) {
            self.block_seq(line, 0, false)?
        } else if matches!(self.at(line), b'{' | b'[') {
            // JSON, or YAML written as one flow collection.
            let mut i = line;
            let node = self.flow_collection(&mut i, ROOT_FLOW)?;
            self.end_line(i)?;
            node
        } else {
            let first = self.key(line)?;
            self.block_map(first, 0, pruning)?
        };
        match self.skip_to_content() {
            None if !self.saw_marker => Some(root),
            _ => None,
        }
    }

    /// A block mapping whose first key, `first`, the caller has read, in column `col`. `pruning` is given
    /// for the root only: once `kind` says the document is pruned, its other top-level
    /// collections are read and checked but not kept (as the full parser does).
    fn block_map(&mut self, first: Key<'t>, col: usize, pruning: Option<Pruning>) -> Option<Node> {
        let outer = self.enter()?;
        let kept = self.storing;
        let start = first.start;
        let mut entries = Vec::new();
        let mut keys: Vec<Cow<'t, str>> = Vec::new();
        let mut end;
        let mut key = first;
        let mut drop_rest = false;
        loop {
            self.drop_next_collection = drop_rest && !IDENTITY_KEYS.contains(&key.text.as_ref());
            let root = self.depth == 1;
            self.items_next = root && self.list_root && key.text == "items" && self.item_hook.is_some();
            let value = self.map_value(key.colon, col)?;
            self.drop_next_collection = false;
            self.items_next = false;
            if let Content::Scalar { text, .. } = &value.content {
                if root && key.text == "kind" {
                    self.list_root = matches!(&**text, "List" | "ResourceList");
                }
                if pruning.is_some_and(|p| key.text == "kind" && !(p.keep_kind)(text)) {
                    drop_rest = !matches!(&**text, "List" | "ResourceList");
                }
            }
            end = value.end - self.base;
            if kept {
                let key_node = self.scalar(key.start, key.end, Cow::Borrowed(&key.text), key.style);
                entries.push((key_node, value));
            }
            keys.push(key.text);
            match self.skip_to_content() {
                Some((line, indent)) if indent == col && !self.is_seq_entry(line + indent) => {
                    key = self.key(line + indent)?
                }
                Some((_, indent)) if indent > col => return None,
                _ => break,
            }
        }
        if has_duplicates(&keys) {
            return None;
        }
        self.leave(outer);
        Some(if kept {
            self.node(start, end, Content::Map { entries: tight(entries), flow: false })
        } else {
            self.placeholder(start)
        })
    }

    /// A mapping key at `at`: a one-line plain or quoted scalar followed by `:` and a space.
    fn key(&self, at: usize) -> Option<Key<'t>> {
        let (text, style, end) = match self.at(at) {
            quote @ (b'"' | b'\'') => {
                let (text, end) = self.quoted_text(at, None)?;
                (text, quote_style(quote), end)
            }
            _ if self.plain_starts(at, false) => {
                let mut i = at;
                let colon = loop {
                    let rest = self.bytes.get(i..)?;
                    i += memchr::memchr3(b':', b'#', b'\n', rest)?;
                    match self.at(i) {
                        b':' if matches!(self.at(i + 1), b' ' | b'\n' | EOF) => break i,
                        b'#' if self.at(i.wrapping_sub(1)) == b' ' => return None,
                        b'\n' => return None,
                        _ => i += 1,
                    }
                };
                let text = self.slice(at, colon)?.trim_end_matches(' ');
                (Cow::Borrowed(text), Style::Plain, at + text.len())
            }
            _ => return None,
        };
        let colon = end + self.spaces(end);
        let ends_key = self.at(colon) == b':' && matches!(self.at(colon + 1), b' ' | b'\n' | EOF);
        (ends_key && end - at <= MAX_KEY_LEN).then_some(Key { text, style, start: at, end, colon })
    }

    /// The value after a key's `:` at `colon`, for a mapping in column `col`.
    fn map_value(&mut self, colon: usize, col: usize) -> Option<Node> {
        let after = colon + 1;
        let p = after + self.spaces(after);
        if self.is_line_end(p) || self.at(p) == b'#' {
            self.pos = self.next_line(self.line_end(p));
            // The full parser puts an absent value at the colon.
            return self.value_on_later_lines(col, colon, true);
        }
        self.value_on_line(p, col)
    }

    /// A value that starts on a later line: a collection indented past `col` (or a
    /// sequence in `col` itself, for a mapping value), or else null at `null_at`.
    fn value_on_later_lines(&mut self, col: usize, null_at: usize, sequence_in_col: bool) -> Option<Node> {
        if let Some((line, indent)) = self.skip_to_content() {
            let at = line + indent;
            if indent > col {
                if self.is_seq_entry(at) {
                    return self.block_seq(at, indent, false);
                }
                if let Some(key) = self.key(at) {
                    return self.block_map(key, indent, None);
                }
                // A flow collection or scalar on a line of its own (Helm writes `{}` so).
                if matches!(self.at(at), b'|' | b'>') {
                    return None;
                }
                return self.value_on_line(at, col);
            }
            if indent == col && sequence_in_col && self.is_seq_entry(at) {
                return self.block_seq(at, indent, true);
            }
        }
        self.null(null_at)
    }

    /// A block sequence whose first `-` is at `first`, in column `col`. `in_key_column`:
    /// the sequence is a mapping value written in the key's column, which the full parser
    /// reports as starting after the first `-` rather than at it.
    fn block_seq(&mut self, first: usize, col: usize, in_key_column: bool) -> Option<Node> {
        // The root List's `items` (the root mapping is depth 1 while its value is read).
        let list_items = std::mem::take(&mut self.items_next) && self.depth == 1;
        let outer = self.enter()?;
        let kept = self.storing;
        let mut items = Vec::new();
        let mut start = None;
        let mut end;
        let mut dash = first;
        loop {
            let after = dash + 1;
            let p = after + self.spaces(after);
            let item = if self.is_line_end(p) || self.at(p) == b'#' {
                let line_end = self.line_end(p);
                start.get_or_insert(if in_key_column { line_end } else { dash });
                self.pos = self.next_line(line_end);
                self.value_on_later_lines(col, line_end, false)?
            } else {
                start.get_or_insert(if in_key_column { p } else { dash });
                let p_col = col + (p - dash);
                if self.is_seq_entry(p) {
                    self.block_seq(p, p_col, false)?
                } else if let Some(key) = self.key(p) {
                    self.block_map(key, p_col, if list_items { self.item_pruning } else { None })?
                } else {
                    self.value_on_line(p, col)?
                }
            };
            end = item.end - self.base;
            if kept {
                let mut item = item;
                if let Some(hook) = self.item_hook.as_mut().filter(|_| list_items) {
                    hook(0, items.len(), &mut item);
                    self.items_hooked = true;
                }
                items.push(item);
            }
            match self.skip_to_content() {
                Some((line, indent)) if indent == col && self.is_seq_entry(line + indent) => dash = line + indent,
                Some((_, indent)) if indent > col || (indent == col && !in_key_column) => return None,
                _ => break,
            }
        }
        self.leave(outer);
        let start = start.unwrap_or(first);
        Some(if kept {
            self.node(start, end, Content::Seq { items: tight(items), flow: false })
        } else {
            self.placeholder(start)
        })
    }

    /// A scalar or flow collection starting at `p`, on the line of its key or `-`; `col`
    /// is the column of the mapping or sequence it belongs to.
    fn value_on_line(&mut self, p: usize, col: usize) -> Option<Node> {
        match self.at(p) {
            b'|' | b'>' => self.block_scalar(p, col),
            quote @ (b'"' | b'\'') => {
                let (text, end) = self.quoted_text(p, Some(col))?;
                self.end_line(end)?;
                Some(self.scalar(p, end, text, quote_style(quote)))
            }
            b'[' | b'{' => {
                let mut i = p;
                let node = self.flow_collection(&mut i, col)?;
                self.end_line(i)?;
                Some(node)
            }
            _ => self.plain(p, col),
        }
    }

    // --- scalars -----------------------------------------------------------------------

    /// One line of a plain scalar from `from`: where its text ends, where the line ends,
    /// and whether a comment ended it. `None` for `: ` inside (a mapping where a value
    /// must be: an error, left to the full parser).
    fn plain_line(&self, from: usize) -> Option<(usize, usize, bool)> {
        let mut i = from;
        loop {
            let found = self.bytes.get(i..).and_then(|rest| memchr::memchr3(b':', b'#', b'\n', rest));
            let Some(offset) = found else {
                let end = self.bytes.len();
                return Some((from + self.slice(from, end)?.trim_end_matches(' ').len(), end, false));
            };
            i += offset;
            match self.at(i) {
                b'\n' => return Some((from + self.slice(from, i)?.trim_end_matches(' ').len(), i, false)),
                b'#' if self.at(i.wrapping_sub(1)) == b' ' => {
                    return Some((from + self.slice(from, i)?.trim_end_matches(' ').len(), self.line_end(i), true))
                }
                b':' if matches!(self.at(i + 1), b' ' | b'\n' | EOF) => return None,
                _ => i += 1,
            }
        }
    }

    /// A plain scalar in block context, folding the lines that continue it (indented past
    /// `col`, not comments).
    fn plain(&mut self, p: usize, col: usize) -> Option<Node> {
        if !self.plain_starts(p, false) {
            return None;
        }
        let (mut end, line_end, mut commented) = self.plain_line(p)?;
        let mut folded: Option<String> = None;
        let mut next = self.next_line(line_end);
        while !commented {
            let (line, breaks) = self.skip_blank_lines(next);
            let indent = self.spaces(line);
            let first = line + indent;
            if self.at(first) == EOF || self.at(first) == b'#' || indent <= col {
                break;
            }
            // Any text may go on a plain scalar, except what would read as a new entry.
            if matches!(self.at(first), b'-' | b'?' | b':') && matches!(self.at(first + 1), b' ' | b'\n' | EOF) {
                return None;
            }
            let (text_end, line_end, comment) = self.plain_line(first)?;
            if self.storing {
                let text = folded.get_or_insert_with(|| self.text.get(p..end).unwrap_or_default().to_owned());
                if breaks == 0 {
                    text.push(' ');
                } else {
                    text.extend(std::iter::repeat_n('\n', breaks));
                }
                text.push_str(self.slice(first, text_end)?);
            }
            end = text_end;
            commented = comment;
            next = self.next_line(line_end);
        }
        self.pos = next;
        let text = match folded {
            Some(text) => Cow::Owned(text),
            None => Cow::Borrowed(self.slice(p, end)?),
        };
        Some(self.scalar(p, end, text, Style::Plain))
    }

    /// A quoted scalar opening at `open`: its decoded text and the offset after its closing
    /// quote. `col` is the column its continuation lines must be indented past; `None`
    /// allows one line only (keys).
    fn quoted_text(&self, open: usize, col: Option<usize>) -> Option<(Cow<'t, str>, usize)> {
        let quote = self.at(open);
        let double = quote == b'"';
        let body = open + 1;
        let stop = body + memchr::memchr3(quote, b'\\', b'\n', self.bytes.get(body..)?)?;
        if self.at(stop) == quote && (double || self.at(stop + 1) != b'\'') {
            return Some((Cow::Borrowed(self.slice(body, stop)?), stop + 1));
        }
        let mut out = String::new();
        let mut i = stop;
        let mut run = body;
        loop {
            let c = self.at(i);
            if c == EOF {
                return None;
            }
            if c == quote {
                out.push_str(self.slice(run, i)?);
                if !double && self.at(i + 1) == b'\'' {
                    out.push('\'');
                    i += 2;
                    run = i;
                    continue;
                }
                return Some((Cow::Owned(out), i + 1));
            }
            if c == b'\\' && double {
                out.push_str(self.slice(run, i)?);
                let (ch, len) = match self.at(i + 1) {
                    b'0' => ('\0', 2),
                    b'a' => ('\x07', 2),
                    b'b' => ('\x08', 2),
                    b't' => ('\t', 2),
                    b'n' => ('\n', 2),
                    b'v' => ('\x0b', 2),
                    b'f' => ('\x0c', 2),
                    b'r' => ('\r', 2),
                    b'e' => ('\x1b', 2),
                    b' ' => (' ', 2),
                    b'"' => ('"', 2),
                    b'/' => ('/', 2),
                    b'\\' => ('\\', 2),
                    b'N' => ('\u{85}', 2),
                    b'_' => ('\u{a0}', 2),
                    b'L' => ('\u{2028}', 2),
                    b'P' => ('\u{2029}', 2),
                    b'x' => (self.hex_char(i + 2, 2)?, 4),
                    b'u' => (self.hex_char(i + 2, 4)?, 6),
                    b'U' => (self.hex_char(i + 2, 8)?, 10),
                    // Escaped line breaks and anything unusual: the full parser's.
                    _ => return None,
                };
                out.push(ch);
                i += len;
                run = i;
                continue;
            }
            if c == b'\n' {
                let col = col?;
                // Spaces before a line break are not content; blank lines become newlines,
                // a single break a space.
                out.push_str(self.slice(run, i)?.trim_end_matches(' '));
                let (line, breaks) = self.skip_blank_lines(i + 1);
                let indent = self.spaces(line);
                if indent <= col || self.at(line + indent) == EOF {
                    return None;
                }
                if breaks == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', breaks));
                }
                i = line + indent;
                run = i;
                continue;
            }
            i += 1;
        }
    }

    fn hex_char(&self, from: usize, digits: usize) -> Option<char> {
        let hex = self.slice(from, from + digits)?;
        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        char::from_u32(u32::from_str_radix(hex, 16).ok()?)
    }

    /// A literal (`|`) or folded (`>`) block scalar whose indicator is at `p`, for a
    /// collection in column `col`. More-indented folded lines, whitespace-only lines
    /// longer than the indentation and empty scalars are left to the full parser.
    fn block_scalar(&mut self, p: usize, col: usize) -> Option<Node> {
        let literal = self.at(p) == b'|';
        let mut chomp = Chomp::Clip;
        let mut explicit_indent = None;
        let mut i = p + 1;
        // Chomping and indentation indicators, in either order, each at most once.
        for _ in 0..2 {
            match self.at(i) {
                b'-' | b'+' if matches!(chomp, Chomp::Clip) => {
                    chomp = if self.at(i) == b'-' { Chomp::Strip } else { Chomp::Keep };
                }
                c @ b'1'..=b'9' if explicit_indent.is_none() => explicit_indent = Some(col + usize::from(c - b'0')),
                _ => break,
            }
            i += 1;
        }
        if !matches!(self.at(i), b' ' | b'\n' | EOF) {
            return None;
        }
        self.end_line(i)?;
        let mut out = String::new();
        let mut line = self.pos;
        let mut indent = explicit_indent;
        let mut widest_leading_blank = 0;
        let mut breaks = 0;
        let mut start = None;
        // Where the scalar ends, as the full parser reports it: at the first non-space of
        // the line that ends it, after any trailing blank lines.
        let end = loop {
            if line >= self.bytes.len() {
                break self.bytes.len();
            }
            let spaces = self.spaces(line);
            let blank = self.is_line_end(line + spaces);
            let content_indent = match indent {
                None if blank => {
                    widest_leading_blank = widest_leading_blank.max(spaces);
                    breaks += 1;
                    line = self.next_line(line + spaces);
                    continue;
                }
                None => {
                    if spaces <= col || widest_leading_blank > spaces {
                        return None;
                    }
                    *indent.insert(spaces)
                }
                Some(content_indent) if blank => {
                    // Spaces past the indentation would be content of a blank-looking line.
                    if spaces > content_indent {
                        return None;
                    }
                    breaks += 1;
                    line = self.next_line(line + spaces);
                    continue;
                }
                Some(content_indent) if spaces < content_indent => break line + spaces,
                Some(content_indent) => content_indent,
            };
            let from = line + content_indent;
            let line_end = self.line_end(from);
            let text = self.slice(from, line_end)?;
            if !literal && (text.starts_with(' ') || (start.is_none() && breaks > 0)) {
                return None;
            }
            if self.storing {
                match (start.is_some(), literal) {
                    (false, _) => out.extend(std::iter::repeat_n('\n', breaks)),
                    (true, true) => out.extend(std::iter::repeat_n('\n', breaks + 1)),
                    (true, false) if breaks == 0 => out.push(' '),
                    (true, false) => out.extend(std::iter::repeat_n('\n', breaks)),
                }
                out.push_str(text);
            }
            start.get_or_insert(from);
            breaks = 0;
            line = self.next_line(line_end);
        };
        // A last line without a line break, blank or not: the full parser's (its chomping
        // differs there).
        let ends_unbroken = end == self.bytes.len() && !self.text.ends_with('\n');
        let start = start.filter(|_| !ends_unbroken)?;
        match chomp {
            Chomp::Clip => out.push('\n'),
            Chomp::Strip => {}
            Chomp::Keep => out.extend(std::iter::repeat_n('\n', breaks + 1)),
        }
        self.pos = if end == self.bytes.len() { end } else { line };
        let style = if literal { Style::Literal } else { Style::Folded };
        Some(self.scalar(start, end, Cow::Owned(out), style))
    }

    // --- flow collections --------------------------------------------------------------

    /// Spaces, line breaks and comments inside a flow collection; continuation lines must
    /// be indented past `col`.
    fn flow_space(&self, i: &mut usize, col: usize) -> Option<()> {
        loop {
            match self.at(*i) {
                b' ' => *i += 1,
                b'\n' => {
                    *i += 1;
                    let indent = self.spaces(*i);
                    if col != ROOT_FLOW && indent <= col && !self.is_line_end(*i + indent) {
                        return None;
                    }
                }
                b'#' if matches!(self.at(i.wrapping_sub(1)), b' ' | b'\n') => *i = self.line_end(*i),
                _ => return Some(()),
            }
        }
    }

    /// A flow mapping or sequence opening at `*i`; leaves `*i` after its closing bracket.
    fn flow_collection(&mut self, i: &mut usize, col: usize) -> Option<Node> {
        // The root List's `items` (the root mapping is depth 1 while its value is read).
        let list_items = std::mem::take(&mut self.items_next) && self.depth == 1;
        let outer = self.enter()?;
        let root = self.depth == 1;
        let kept = self.storing;
        let open = *i;
        let is_map = self.at(open) == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut entries = Vec::new();
        let mut items = Vec::new();
        let mut keys: Vec<Cow<'t, str>> = Vec::new();
        *i += 1;
        self.flow_space(i, col)?;
        while self.at(*i) != close {
            if is_map {
                let key_start = *i;
                let (key, style) = self.flow_scalar_text(i, col)?;
                let key_end = *i;
                // A key and its `:` share a line.
                *i += self.spaces(*i);
                if self.at(*i) != b':' {
                    return None;
                }
                *i += 1;
                // Only a quoted (JSON-like) key may have its value right after the `:`.
                if style == Style::Plain && !matches!(self.at(*i), b' ' | b'\n') {
                    return None;
                }
                self.flow_space(i, col)?;
                if matches!(self.at(*i), b',' | b'}') {
                    return None;
                }
                self.items_next = root && self.list_root && key == "items" && self.item_hook.is_some();
                let value = self.flow_node(i, col)?;
                self.items_next = false;
                if let (true, Content::Scalar { text, .. }) = (root && key == "kind", &value.content) {
                    self.list_root = matches!(&**text, "List" | "ResourceList");
                }
                if kept {
                    entries.push((self.scalar(key_start, key_end, Cow::Borrowed(&key), style), value));
                }
                keys.push(key);
            } else {
                let mut item = self.flow_node(i, col)?;
                if kept {
                    if let Some(hook) = self.item_hook.as_mut().filter(|_| list_items) {
                        hook(0, items.len(), &mut item);
                        self.items_hooked = true;
                    }
                    items.push(item);
                }
            }
            self.flow_space(i, col)?;
            match self.at(*i) {
                b',' => {
                    *i += 1;
                    self.flow_space(i, col)?;
                    // A trailing comma: valid, rare, the full parser's.
                    if self.at(*i) == close {
                        return None;
                    }
                }
                c if c == close => {}
                _ => return None,
            }
        }
        *i += 1;
        if has_duplicates(&keys) {
            return None;
        }
        self.leave(outer);
        let content = if is_map {
            Content::Map { entries: tight(entries), flow: true }
        } else {
            Content::Seq { items: tight(items), flow: true }
        };
        Some(if kept { self.node(open, *i, content) } else { self.placeholder(open) })
    }

    fn flow_node(&mut self, i: &mut usize, col: usize) -> Option<Node> {
        if matches!(self.at(*i), b'[' | b'{') {
            return self.flow_collection(i, col);
        }
        let start = *i;
        let (text, style) = self.flow_scalar_text(i, col)?;
        Some(self.scalar(start, *i, text, style))
    }

    /// A quoted or plain scalar inside a flow collection; leaves `*i` after it.
    fn flow_scalar_text(&self, i: &mut usize, col: usize) -> Option<(Cow<'t, str>, Style)> {
        let start = *i;
        match self.at(start) {
            quote @ (b'"' | b'\'') => {
                let (text, end) = self.quoted_text(start, Some(col))?;
                *i = end;
                Some((text, quote_style(quote)))
            }
            _ if self.plain_starts(start, true) => {
                let mut j = start;
                loop {
                    match self.at(j) {
                        b'\n' | EOF | b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' if matches!(self.at(j + 1), b' ' | b'\n' | EOF) || is_flow_indicator(self.at(j + 1)) => {
                            break
                        }
                        b'#' if self.at(j.wrapping_sub(1)) == b' ' => break,
                        // saphyr-parser reads an indicator after a space as a new token
                        // (and refuses `-]`); such words are its to judge.
                        b'-' | b'?' | b':' if self.at(j.wrapping_sub(1)) == b' ' => return None,
                        _ => j += 1,
                    }
                }
                let text = self.slice(start, j)?.trim_end_matches(' ');
                *i = start + text.len();
                Some((Cow::Borrowed(text), Style::Plain))
            }
            _ => None,
        }
    }
}

fn quote_style(quote: u8) -> Style {
    if quote == b'"' {
        Style::DoubleQuoted
    } else {
        Style::SingleQuoted
    }
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

fn has_duplicates(keys: &[Cow<'_, str>]) -> bool {
    if keys.len() <= 16 {
        return keys.iter().enumerate().any(|(i, key)| keys[i + 1..].contains(key));
    }
    let mut seen = HashSet::with_capacity(keys.len());
    !keys.iter().all(|key| seen.insert(key.as_ref()))
}

#[cfg(test)]
mod tests;
