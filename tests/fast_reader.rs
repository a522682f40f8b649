//! The fast YAML reader against the full parser on every document of the real corpus: it
//! must build the same tree (text, styles, byte spans), and it must actually take the
//! corpus, since that is what the benchmark's speed rests on.

#[path = "support/common.rs"]
mod common;

use eastwest::read::split_chunks;
use eastwest::transform::reads_kind;
use eastwest::yaml::fast;
use eastwest::yaml::node::{parse_events, Pruning};
use eastwest::yaml::{Content, Node};

/// Where two trees first differ: a path and both nodes' heads, for a readable failure.
fn first_difference(a: &Node, b: &Node, path: &str, text: &str, base: usize) -> Option<String> {
    let show = |n: &Node| {
        let src = text.get(n.start - base..n.end - base).unwrap_or("?");
        let head = match &n.content {
            Content::Scalar { text, style, .. } => format!("{style:?} {text:?}"),
            Content::Map { flow, entries } => format!("map flow={flow} len={}", entries.len()),
            Content::Seq { flow, items } => format!("seq flow={flow} len={}", items.len()),
            Content::Alias(id, _) => format!("alias {id}"),
        };
        format!("{}..{} {head} source {src:?}", n.start, n.end)
    };
    let children = match (&a.content, &b.content) {
        (Content::Map { entries: x, flow: f }, Content::Map { entries: y, flow: g })
            if x.len() == y.len() && f == g =>
        {
            x.iter()
                .zip(y)
                .enumerate()
                .flat_map(|(i, ((ka, va), (kb, vb)))| {
                    let key = ka.scalar_text().unwrap_or("?").to_owned();
                    [(ka, kb, format!("{path}.<key {i}>")), (va, vb, format!("{path}.{key}"))]
                })
                .collect()
        }
        (Content::Seq { items: x, flow: f }, Content::Seq { items: y, flow: g }) if x.len() == y.len() && f == g => {
            x.iter().zip(y).enumerate().map(|(i, (va, vb))| (va, vb, format!("{path}[{i}]"))).collect()
        }
        (Content::Scalar { .. }, Content::Scalar { .. }) if a.content == b.content => Vec::new(),
        _ => return Some(format!("{path}: fast {} / full {}", show(a), show(b))),
    };
    if (a.start, a.end) != (b.start, b.end) {
        return Some(format!("{path}: fast {} / full {}", show(a), show(b)));
    }
    children.into_iter().find_map(|(x, y, p)| first_difference(x, y, &p, text, base))
}

#[test]
fn fast_reader_builds_the_full_parsers_tree_for_every_corpus_document() {
    let mut files: Vec<_> = std::fs::read_dir(common::corpus())
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus missing");
    let mut declined = Vec::new();
    let mut chunks_read = 0;
    for path in &files {
        let text = common::read(path);
        for (start, end) in split_chunks(&text) {
            let chunk = &text[start..end];
            for pruning in [None, Some(Pruning { keep_kind: reads_kind })] {
                let Some(fast) = fast::parse(chunk, start, pruning) else {
                    declined.push(format!("{}@{start}: {:?}", path.display(), chunk.get(..80)));
                    continue;
                };
                let full = parse_events(chunk, start, pruning).expect("the full parser reads the corpus");
                assert_eq!(fast.len(), full.len());
                for (a, b) in fast.iter().zip(&full) {
                    if let Some(diff) = first_difference(&a.root, &b.root, "", chunk, start) {
                        panic!("{} at byte {start}: the readers build different trees: {diff}", path.display());
                    }
                    assert!(a.root == b.root);
                }
                chunks_read += 1;
            }
        }
    }
    declined.sort();
    declined.dedup();
    assert!(chunks_read > 600, "only {chunks_read} chunks read");
    assert!(declined.is_empty(), "{} corpus chunks left to the full parser:\n{}", declined.len(), declined.join("\n"));
}

/// A mapping written as the one item of a sequence at the root (how the edit check reads an
/// edited item of a long List alone, see write::verify_list): every corpus document so
/// written reads the same with both readers.
#[test]
fn fast_reader_builds_the_full_parsers_tree_for_a_root_sequence_item() {
    let text = common::read(common::corpus().join("istiod.yaml"));
    let mut read = 0;
    for (start, end) in split_chunks(&text) {
        let body: Vec<&str> = text[start..end]
            .lines()
            .filter(|l| !l.starts_with("---") && !l.starts_with('#') && !l.is_empty())
            .collect();
        if body.is_empty() {
            continue;
        }
        let item: String =
            body.iter().enumerate().map(|(i, l)| format!("{}{l}\n", if i == 0 { "- " } else { "  " })).collect();
        let Some(fast) = fast::parse(&item, 7, None) else { continue };
        let full = parse_events(&item, 7, None).expect("the full parser reads it");
        assert_eq!(fast.len(), full.len());
        if let Some(diff) = first_difference(&fast[0].root, &full[0].root, "", &item, 7) {
            panic!("the readers build different trees for {:?}: {diff}", item.get(..120));
        }
        assert!(fast[0].root == full[0].root);
        read += 1;
    }
    assert!(read >= 15, "only {read} items read by the fast reader");
}

/// Every corpus document written as JSON (as kubectl and KRM orchestrators may send it),
/// pretty and compact: read by the fast reader, the same tree as the full parser's.
#[test]
fn fast_reader_builds_the_full_parsers_tree_for_json() {
    let text = common::read(common::corpus().join("istiod.yaml"));
    let input = eastwest::read::Input::parse(&text).expect("corpus parses");
    let mut read = 0;
    for obj in input.objects().expect("objects") {
        let value = eastwest::read::node_json(obj.node);
        for json in [serde_json::to_string_pretty(&value).expect("json"), value.to_string()] {
            let Some(fast) = fast::parse(&json, 5, None) else { continue };
            let full = parse_events(&json, 5, None).expect("the full parser reads JSON");
            if let Some(diff) = first_difference(&fast[0].root, &full[0].root, "", &json, 5) {
                panic!("the readers build different trees for {:?}: {diff}", json.get(..120));
            }
            assert!(fast[0].root == full[0].root);
            read += 1;
        }
    }
    assert!(read >= 30, "only {read} JSON documents read by the fast reader");
}
