//! The fast YAML reader against the full parser: whenever the fast reader takes a text, the
//! full parser must take it too and build the very same tree (text, style and byte span of
//! every node), with and without pruning. Declining is always allowed.
#![no_main]

use eastwest::yaml::fast;
use eastwest::yaml::node::{parse_events, Pruning};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for pruning in [None, Some(Pruning { keep_kind: |kind| kind == "ConfigMap" })] {
        let Some(fast) = fast::parse(text, 3, pruning) else { continue };
        let full = parse_events(text, 3, pruning)
            .unwrap_or_else(|e| panic!("the fast reader took what the full parser refuses ({})\n{text}", e.message));
        assert_eq!(fast.len(), full.len(), "document count differs\n{text}");
        for (a, b) in fast.iter().zip(&full) {
            assert!(a.root == b.root, "the trees differ\n{text}\n--- fast ---\n{:#?}\n--- full ---\n{:#?}", a.root, b.root);
        }
    }
});
