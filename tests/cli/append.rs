//! `crm log` on every shape of file that `crm check` accepts: hand-written layouts of
//! `interactions` (block, compact, flow, empty, null, quoted key, missing), document
//! markers, footers, CRLF and BOM. For each, the new entry must land where the table says,
//! every other byte must stay (crm only inserts lines, and takes out an empty value such
//! as `[]`), and the result must read back and pass `crm check`. Layouts crm will not
//! append to are refused with `path:line:col`, a reason and a fix, and left untouched.

use crate::common;

use common::{TempBook, TODAY};
use serde_json::Value;

const SUMMARY: &str = "first, then more";

/// The new entry as a block list item at `indent` spaces, with `newline`.
fn block_entry(indent: usize, newline: &str) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}- date: {TODAY}{newline}{pad}  kind: call{newline}{pad}  summary: \"{SUMMARY}\"{newline}"
    )
}

/// The new entry as a flow mapping.
fn flow_entry() -> String {
    format!("{{date: {TODAY}, kind: call, summary: \"{SUMMARY}\"}}")
}

/// Expands `{E0}`, `{E2}`, `{E4}` (block entries at that indent, `\n`), `{C2}` (at
/// indent 2 with `\r\n`), `{R2}` (at indent 2 with `\r`) and `{F}` (a flow entry) in
/// an expected file.
fn expand(template: &str) -> String {
    template
        .replace("{E0}", &block_entry(0, "\n"))
        .replace("{E2}", &block_entry(2, "\n"))
        .replace("{E4}", &block_entry(4, "\n"))
        .replace("{C2}", &block_entry(2, "\r\n"))
        .replace("{R2}", &block_entry(2, "\r"))
        .replace("{F}", &flow_entry())
}

/// (name, file before, file after `crm log c call "first, then more"`).
const SHAPES: &[(&str, &str, &str)] = &[
    (
        "block list",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n{E2}",
    ),
    (
        "compact block list at the key's indentation",
        "name: A\ninteractions:\n- date: 2025-01-01\n  kind: call\n",
        "name: A\ninteractions:\n- date: 2025-01-01\n  kind: call\n{E0}",
    ),
    (
        "deeper list with wide offsets",
        "name: A\ninteractions:\n    -   date: 2025-01-01\n        kind: call\n",
        "name: A\ninteractions:\n    -   date: 2025-01-01\n        kind: call\n    -   date: 2025-06-15\n        kind: call\n        summary: \"first, then more\"\n",
    ),
    (
        "comments in and after the list, unknown key after it",
        "# top\nname: A # inline\ninteractions: # the log\n  # first ever\n  - date: 2025-01-01\n    kind: call\n    items:\n      - one\n# between, at column 0\n  - date: 2025-02-01\n    kind: call\n    # closing note of the entry\n\n# about x-custom\nx-custom: {a: 1}\n",
        "# top\nname: A # inline\ninteractions: # the log\n  # first ever\n  - date: 2025-01-01\n    kind: call\n    items:\n      - one\n# between, at column 0\n  - date: 2025-02-01\n    kind: call\n    # closing note of the entry\n{E2}\n# about x-custom\nx-custom: {a: 1}\n",
    ),
    (
        "empty key before another key",
        "name: A\ninteractions:\nnotes: x\n",
        "name: A\ninteractions:\n{E2}notes: x\n",
    ),
    (
        "empty key with a comment under it",
        "name: A\ninteractions:\n  # nothing yet\nnotes: x\n",
        "name: A\ninteractions:\n  # nothing yet\n{E2}notes: x\n",
    ),
    (
        "empty key at the end without a final newline",
        "name: A\ninteractions:",
        "name: A\ninteractions:\n{E2}",
    ),
    (
        "empty flow list",
        "name: A\ninteractions: []\nnotes: x\n",
        "name: A\ninteractions:\n{E2}notes: x\n",
    ),
    (
        "empty flow list with a space inside",
        "name: A\ninteractions: [ ]\n",
        "name: A\ninteractions:\n{E2}",
    ),
    (
        "empty flow list with a spaced comment",
        "name: A\ninteractions: []   # none\n",
        "name: A\ninteractions:   # none\n{E2}",
    ),
    (
        "tab before an empty flow list",
        "name: A\ninteractions:\t[]\n",
        "name: A\ninteractions:\n{E2}",
    ),
    ("tilde", "name: A\ninteractions: ~\n", "name: A\ninteractions:\n{E2}"),
    (
        "null",
        "name: A\ninteractions: null # later\n",
        "name: A\ninteractions: # later\n{E2}",
    ),
    ("Null", "name: A\ninteractions: Null\n", "name: A\ninteractions:\n{E2}"),
    ("NULL", "name: A\ninteractions: NULL\n", "name: A\ninteractions:\n{E2}"),
    (
        "double-quoted key",
        "name: A\n\"interactions\":\n  - date: 2025-01-01\n    kind: call\n",
        "name: A\n\"interactions\":\n  - date: 2025-01-01\n    kind: call\n{E2}",
    ),
    (
        "single-quoted empty key",
        "name: A\n'interactions':\nnotes: x\n",
        "name: A\n'interactions':\n{E2}notes: x\n",
    ),
    (
        "quoted key with an empty flow list",
        "'name': A\n\"interactions\" : []\n",
        "'name': A\n\"interactions\" :\n{E2}",
    ),
    (
        "missing key",
        "name: A\nemail: a@example.com\n",
        "name: A\nemail: a@example.com\ninteractions:\n{E2}",
    ),
    (
        "missing key before blank lines and a footer comment",
        "name: A\npreferences:\n  coffee: black\n  # ask about tea\n\n# footer\n",
        "name: A\npreferences:\n  coffee: black\n  # ask about tea\ninteractions:\n{E2}\n# footer\n",
    ),
    (
        "missing key before a document end marker",
        "---\nname: A\n...\n",
        "---\nname: A\ninteractions:\n{E2}...\n",
    ),
    (
        "missing key after a directive and a commented start marker",
        "%YAML 1.2\n--- # the customer\nname: A\n",
        "%YAML 1.2\n--- # the customer\nname: A\ninteractions:\n{E2}",
    ),
    (
        "missing key after a block scalar that keeps its blank lines",
        "name: A\nnotes: |+\n  keep these\n\n\n",
        "name: A\nnotes: |+\n  keep these\n\n\ninteractions:\n{E2}",
    ),
    (
        "indented top-level mapping",
        "  name: A\n  interactions:\n    - date: 2025-01-01\n      kind: call\n",
        "  name: A\n  interactions:\n    - date: 2025-01-01\n      kind: call\n{E4}",
    ),
    (
        "list before a document end marker",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n...\n",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n{E2}...\n",
    ),
    (
        "CRLF line ends",
        "name: A\r\ninteractions:\r\n  - date: 2025-01-01\r\n    kind: call\r\n",
        "name: A\r\ninteractions:\r\n  - date: 2025-01-01\r\n    kind: call\r\n{C2}",
    ),
    (
        "CRLF with an empty flow list",
        "name: A\r\ninteractions: [] # none\r\nnotes: x\r\n",
        "name: A\r\ninteractions: # none\r\n{C2}notes: x\r\n",
    ),
    // Review finding: the shapes below passed `crm check`, but the line-based appender
    // misread them and `crm log` refused them as "crm's mistake".
    (
        "old Mac line ends (\\r alone)",
        "name: A\rinteractions:\r  - date: 2025-01-01\r    kind: call\r",
        "name: A\rinteractions:\r  - date: 2025-01-01\r    kind: call\r{R2}",
    ),
    (
        "flow list on the line after its key",
        "name: A\ninteractions:\n  [ {date: 2025-01-01, kind: call} ]\n",
        "name: A\ninteractions:\n  [ {date: 2025-01-01, kind: call}, {F} ]\n",
    ),
    (
        "quoted summary continued less indented than the list",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: \"long\n text\"\nnotes: x\n",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: \"long\n text\"\n{E2}notes: x\n",
    ),
    (
        "an `interactions:` line inside a quoted note",
        "name: A\nnotes: \"x\ninteractions: y\"\n",
        "name: A\nnotes: \"x\ninteractions: y\"\ninteractions:\n{E2}",
    ),
    (
        "a `- ` line inside a block scalar of the last entry",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: |\n      - a line of text\n\nnotes: x\n",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: |\n      - a line of text\n{E2}\nnotes: x\n",
    ),
    (
        "last entry ending on an empty value, before a comment about the next key",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    channel:\n# about notes\nnotes: x\n",
        "name: A\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    channel:\n{E2}# about notes\nnotes: x\n",
    ),
    (
        "byte-order mark",
        "\u{feff}name: A\ninteractions:\n",
        "\u{feff}name: A\ninteractions:\n{E2}",
    ),
    (
        "one-line flow list",
        "name: A\ninteractions: [{date: 2025-01-01, kind: call}]  # log\n",
        "name: A\ninteractions: [{date: 2025-01-01, kind: call}, {F}]  # log\n",
    ),
    (
        "multi-line flow list with a trailing comma and comments",
        "name: A\ninteractions: [\n  {date: 2025-01-01, kind: call, summary: \"a ] # b\"},  # first\n  # end\n]\nnotes: x\n",
        "name: A\ninteractions: [\n  {date: 2025-01-01, kind: call, summary: \"a ] # b\"}, {F}  # first\n  # end\n]\nnotes: x\n",
    ),
];

/// What `crm show c --format json` says about the interactions.
fn interactions(book: &TempBook) -> Vec<Value> {
    let out = common::stdout_of(book.crm(&["show", "c", "--format", "json"]));
    let card: Value = serde_json::from_str(&out).unwrap();
    card["interactions"].as_array().unwrap().clone()
}

fn assert_check_is_clean(book: &TempBook, name: &str) {
    let output = book.crm(&["check"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{name}: crm check: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `text` with the empty value of its `interactions` line (`[]`, `~`, `null`, ...) and
/// the blanks before that value taken out: the one thing crm may remove from a file.
fn without_empty_value(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| empty_value_removed(line).unwrap_or_else(|| line.to_string()))
        .collect()
}

fn empty_value_removed(line: &str) -> Option<String> {
    let body = line.trim_start_matches([' ', '\u{feff}']);
    let value = ["interactions", "\"interactions\"", "'interactions'"]
        .iter()
        .find_map(|key| body.strip_prefix(key))?
        .trim_start()
        .strip_prefix(':')?;
    let trimmed = value.trim_start_matches([' ', '\t']);
    let rest = ["[ ]", "[]", "~", "null", "Null", "NULL"]
        .iter()
        .find_map(|empty| trimmed.strip_prefix(empty))?;
    (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        .then(|| format!("{}{rest}", &line[..line.len() - value.len()]))
}

/// Where `after` differs from `before`, as (byte offset, what `before` has there, what
/// `after` has there), from their longest common prefix and suffix.
fn changed_region(before: &str, after: &str) -> (usize, String, String) {
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let prefix = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    let room = b.len().min(a.len()) - prefix;
    let suffix = b
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    (
        prefix,
        String::from_utf8_lossy(&b[prefix..b.len() - suffix]).into_owned(),
        String::from_utf8_lossy(&a[prefix..a.len() - suffix]).into_owned(),
    )
}

#[test]
fn crm_log_appends_losslessly_to_every_shape_check_accepts() {
    for (name, before, expected) in SHAPES {
        let book = TempBook::without_git();
        book.customer("c", before);
        assert_check_is_clean(&book, name);
        let old = interactions(&book);

        let output = book.crm(&["log", "c", "call", SUMMARY]).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let after = book.read_customer("c");

        // Every original byte before the insertion point is kept, and after it too:
        // crm only inserted the entry (and took out an empty value such as `[]`).
        let (at, removed, added) = changed_region(&without_empty_value(before), &after);
        assert_eq!(
            removed, "",
            "{name}: crm changed bytes at offset {at}:\n{after}"
        );
        assert!(
            added.contains(TODAY) && added.contains(SUMMARY),
            "{name}: the new entry is not in the inserted text {added:?}"
        );
        assert_eq!(after, expand(expected), "{name}");

        // The result reads back with the old entries and the new one, and is clean.
        assert_check_is_clean(&book, name);
        let new = interactions(&book);
        assert_eq!(new.len(), old.len() + 1, "{name}: {after}");
        assert_eq!(new[..old.len()], old[..], "{name}");
        let last = new.last().unwrap();
        assert_eq!(last["date"], TODAY, "{name}");
        assert_eq!(last["kind"], "call", "{name}");
        assert_eq!(last["summary"], SUMMARY, "{name}");
    }
}

#[test]
fn a_second_append_follows_the_first_in_every_shape() {
    for (name, before, _) in SHAPES {
        let book = TempBook::without_git();
        book.customer("c", before);
        for summary in ["one", "two"] {
            book.crm(&["log", "c", "call", summary]).assert().success();
        }
        assert_check_is_clean(&book, name);
        let all = interactions(&book);
        let summaries: Vec<&Value> = all.iter().rev().take(2).collect();
        assert_eq!(summaries[1]["summary"], "one", "{name}");
        assert_eq!(summaries[0]["summary"], "two", "{name}");
    }
}

/// (name, file, where the refusal points, what its message and hint must say).
const REFUSED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "flow mapping",
        "{name: A, interactions: []}\n",
        "customers/c.yaml:1:1: ",
        "block-style",
        "one `key: value` per line",
    ),
    (
        "flow mapping on the start marker",
        "--- {name: A}\n",
        "customers/c.yaml:1:5: ",
        "block-style",
        "one `key: value` per line",
    ),
    (
        "anchored list",
        "name: A\ninteractions: &log\n  - date: 2025-01-01\n    kind: call\n",
        "customers/c.yaml:2:15: ",
        "`&log`",
        "remove `&log`",
    ),
    (
        "explicit key",
        "name: A\n? interactions\n: []\n",
        "customers/c.yaml:2:1: ",
        "`? interactions`",
        "as one `interactions:` line",
    ),
    (
        "block text ending the file without a line break",
        "name: A\nnotes: |\n  no line break",
        "customers/c.yaml:2:8: ",
        "`|` or `>` block",
        "end the file with a line break",
    ),
    (
        "tagged list",
        "name: A\ninteractions: !!seq\n  - date: 2025-01-01\n    kind: call\n",
        "customers/c.yaml:2:15: ",
        "`!!seq`",
        "remove `!!seq`",
    ),
];

#[test]
fn layouts_crm_will_not_rewrite_are_reported_by_check_and_refused_with_where_why_and_how() {
    for (name, before, location, why, how) in REFUSED {
        let book = TempBook::without_git();
        book.customer("c", before);
        // `crm check` says so first, at the same place and for the same reason.
        let checked = book.crm(&["check"]).output().unwrap();
        let problems = String::from_utf8_lossy(&checked.stderr);
        assert_eq!(checked.status.code(), Some(1), "{name}: {problems}");
        assert!(problems.starts_with(location), "{name}: {problems}");
        assert!(problems.contains(why), "{name}: {problems}");
        let output = book.crm(&["log", "c", "call", "hi"]).output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.starts_with(&format!("crm: error: {location}")),
            "{name}: {err}"
        );
        assert!(err.contains(why), "{name}: {err}");
        assert!(err.contains("nothing was written"), "{name}: {err}");
        assert!(err.contains("hint: with `crm edit c`"), "{name}: {err}");
        assert!(err.contains(how), "{name}: {err}");
        assert_eq!(book.read_customer("c"), *before, "{name}: file untouched");
    }
}

/// Review finding: a file whose top mapping carries a tag (`--- !customer`) passed
/// `crm check`, and then every append was refused as crm's mistake: the expectation
/// the result is compared with did not see through the tag.
#[test]
fn a_tagged_top_mapping_takes_appends() {
    for text in [
        "--- !customer\nname: A\n",
        "--- !\nname: A\ninteractions: []\n",
    ] {
        let book = TempBook::without_git();
        book.customer("c", text);
        assert_check_is_clean(&book, text);
        for _ in 0..2 {
            let output = book.crm(&["log", "c", "call", "hi"]).output().unwrap();
            assert!(
                output.status.success(),
                "{text:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert_eq!(interactions(&book).len(), 2, "{text:?}");
        assert_check_is_clean(&book, text);
    }
}
