//! Unit tests of the three-way merge: one per rule, with hand-written sides.

use super::*;

const PATH: &str = "customers/ada.yaml";

fn merge(base: &str, ours: &str, theirs: &str) -> MergeResult {
    merge_customer(
        Some(base.as_bytes()),
        ours.as_bytes(),
        theirs.as_bytes(),
        PATH,
    )
}

fn clean(base: &str, ours: &str, theirs: &str) -> String {
    let result = merge(base, ours, theirs);
    let text = String::from_utf8(result.bytes.clone()).unwrap();
    assert!(result.is_clean(), "{:?}\n{text}", result.conflicts);
    text
}

const BASE: &str =
    "name: Ada\nemail: ada@example.com\ninteractions:\n  - date: 2025-03-01\n    kind: call\n";

#[test]
fn both_sides_log_the_same_customer() {
    let ours = format!("{BASE}  - date: 2025-04-02\n    kind: email\n    summary: from ours\n");
    let theirs = format!("{BASE}  - date: 2025-04-01\n    kind: call\n    summary: from theirs\n");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        format!("{BASE}  - date: 2025-04-01\n    kind: call\n    summary: from theirs\n  - date: 2025-04-02\n    kind: email\n    summary: from ours\n")
    );
}
