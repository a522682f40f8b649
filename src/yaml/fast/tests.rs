//! The fast reader must build exactly the full parser's tree, or step aside. The corpus
//! and the `fast_reader` fuzz target check the same on more text; these cases name the
//! corners one by one.

use super::parse;
use crate::yaml::node::{parse_events, Pruning};

/// Does the fast reader take `text`? When it does, its tree must be the full parser's.
fn takes(text: &str) -> bool {
    let mut taken = false;
    for pruning in [None, Some(Pruning { keep_kind: |kind| kind == "ConfigMap" })] {
        let Some(fast) = parse(text, 7, pruning) else { continue };
        let full = parse_events(text, 7, pruning)
            .unwrap_or_else(|e| panic!("fast reader took what the full parser refuses ({})\n{text}", e.message));
        assert_eq!(fast.len(), full.len(), "{text}");
        for (a, b) in fast.iter().zip(&full) {
            assert_eq!(a.root, b.root, "trees differ for:\n{text}");
        }
        taken = true;
    }
    taken
}

#[test]
fn takes_what_renderers_write_and_builds_the_same_tree() {
    let cases = [
        "a: 1\n",
        "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        "--- # comment\na: b\n",
        "---\n# Source: template that renders nothing\n",
        "a: b # comment\nc: 'it''s'\nd: \"\\u00e9\\t\\\"\"\n",
        "k:\n  - a\n  - b: c\n    d: e\n  -\n  - # comment\n    x: y\n",
        "k:\n- a\n- b\nnext: 1\n",
        "k:\n- - a\n  - b\n- c\n",
        "k:\n  x: foo\n    bar\n\n    baz\n",
        "k: \"one\n  two\n\n  three\"\nl: 'a\n  b'\n",
        "k: |\n  one\n    two\n\n  three\n\nnext: 1\n",
        "k: |-\n\n  lead\n",
        "k: |+\n  keep\n\n\nnext: 1\n",
        "k: >\n  a\n  b\n\n  c\n",
        "k: >-\n  a\n  b\n",
        "k: |2-\n\n    two more\nnext: 1\n",
        "k: |\n  x\n# comment at column 0\nnext: 1\n",
        "k:\n  - |\n    x\n  - y\n",
        "k: [a, \"b\", 'c', {d: e}, [], {}]\n",
        "k: {\"a\":1, \"b\": [true, null]}\n",
        "k: [\n    one,\n    two # comment\n  ]\n",
        "k: [ # comment after the bracket\n    one]\nl: { # and here\n    a: b}\n",
        "k:\n  {}\nl:\n  \"on its own line\"\n",
        "k:   \nl: # comment\nm: ~\n",
        "args:\n- --probe-addr=:8081\n- http://x:80/#frag\n- a#b\n",
        "\"quoted key\": 1\n'single': 2\nkey with spaces  : 3\n",
        "kind: Secret\nmetadata:\n  name: s\ndata:\n  a: b\nstringData: {c: d}\nitems:\n- x\n",
        "kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n",
        "a: é ünïcode\nb: \"日本\"\n",
        // JSON, and YAML written as one flow collection.
        "{\"a\": 1}\n",
        "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"k\": [1, 2.5, true, null]}\n  ]\n}",
        "[a, {b: c}]\n",
        // A sequence at the root (one list item read alone by the edit check).
        "- a\n- b\n",
        "- apiVersion: v1\n  kind: ConfigMap\n  data:\n    k: |\n      v\n# between\n- x: 1\n",
    ];
    for text in cases {
        assert!(takes(text), "the fast reader declined:\n{text}");
    }
}

#[test]
fn leaves_everything_else_to_the_full_parser() {
    let cases = [
        // Valid YAML outside the dialect.
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "? a\n: b\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1\n...\n",
        "a: 1\n--- b: 2\n",
        "a: 1\n---\nb: 2\n",
        "---\n---\n",
        "a:\n- x\n---\n",
        "... :\n..].: 2\n",
        "{a: 1}: b\n",
        "{\"a\": \"two\n  lines\"}\n",
        "just a scalar\n",
        "  a: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "a: [x, ]\n",
        "a: {b:[c]}\n",
        "a: [r  -]\n",
        "a: {b:{c: d}}\n",
        "a: >\n  x\n    more indented\n",
        "a: |\n  x",
        "a: |\n    x\n\n    ",
        "a: \"x\\\n  y\"\n",
        "",
        "# only a comment\n",
        // Errors, whose messages the full parser writes.
        "a: b: c\n",
        "a: 1\na: 2\n",
        "a: [1, 2\n",
        "a: \"unclosed\n",
        "a:\n  b: 1\n c: 2\n",
        "a: 1\n  b: 2\n",
        "a:\n  - x\n  y: 1\n",
    ];
    for text in cases {
        assert!(!takes(text), "the fast reader took:\n{text}");
    }
}

#[test]
fn deep_nesting_goes_to_the_full_parser() {
    let mut text = String::new();
    for depth in 0..100 {
        text.push_str(&" ".repeat(depth));
        text.push_str("k:\n");
    }
    assert!(!takes(&text));
}
