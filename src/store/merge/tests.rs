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
    assert!(
        result.is_clean(),
        "{:?}\n{text}\n{:?}",
        result.conflicts,
        result.how
    );
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

#[test]
fn same_date_puts_ours_first() {
    let ours = format!("{BASE}  - date: 2025-04-01\n    kind: call\n    summary: ours\n");
    let theirs = format!("{BASE}  - date: 2025-04-01\n    kind: email\n    summary: theirs\n");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        format!("{ours}  - date: 2025-04-01\n    kind: email\n    summary: theirs\n")
    );
}

#[test]
fn an_entry_dated_before_ours_goes_before_them() {
    let ours = format!("{BASE}  - date: 2025-05-01\n    kind: call\n");
    let theirs = format!("{BASE}  - date: 2025-04-01\n    kind: note\n");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        format!(
            "{BASE}  - date: 2025-04-01\n    kind: note\n  - date: 2025-05-01\n    kind: call\n"
        )
    );
}

#[test]
fn exact_duplicates_are_kept_once() {
    let entry = "  - date: 2025-04-01\n    kind: purchase\n    summary: beans\n    amount: 12.50\n";
    let ours = format!("{BASE}{entry}");
    let theirs = format!("{BASE}{entry}  - date: 2025-04-01\n    kind: call\n");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        format!("{ours}  - date: 2025-04-01\n    kind: call\n")
    );
    // Same date and kind but another amount is another purchase.
    let other = entry.replace("12.50", "13");
    let theirs = format!("{BASE}{other}");
    assert_eq!(clean(BASE, &ours, &theirs), format!("{ours}{other}"));
    // The same four fields in another key order are the same entry.
    let reordered =
        "  - kind: purchase\n    date: 2025-04-01\n    amount: 12.50\n    summary: beans\n";
    let theirs = format!("{BASE}{reordered}");
    assert_eq!(clean(BASE, &ours, &theirs), ours);
}

#[test]
fn entries_that_differ_in_any_other_field_are_both_kept() {
    // The same date, kind, summary and amount, but theirs has a note (or a field crm
    // does not know): dropping either would drop what someone wrote.
    let entry = "  - date: 2025-04-01\n    kind: purchase\n    summary: beans\n    amount: 12.50\n";
    let ours = format!("{BASE}{entry}");
    let noted = format!("{entry}    note: paid in cash\n");
    let theirs = format!("{BASE}{noted}");
    assert_eq!(clean(BASE, &ours, &theirs), format!("{ours}{noted}"));
}

#[test]
fn an_entry_edited_or_deleted_on_one_side_takes_that_side() {
    let base = format!("{BASE}  - date: 2025-03-05\n    kind: note\n    summary: typo\n");
    let edited = base.replace("typo", "fixed");
    let added = format!("{base}  - date: 2025-04-01\n    kind: call\n");
    assert_eq!(
        clean(&base, &added, &edited),
        format!("{edited}  - date: 2025-04-01\n    kind: call\n")
    );
    let deleted = BASE.to_string();
    assert_eq!(
        clean(&base, &added, &deleted),
        format!("{BASE}  - date: 2025-04-01\n    kind: call\n")
    );
    // And the other way round: ours edited, theirs appended.
    assert_eq!(
        clean(&base, &edited, &added),
        format!("{edited}  - date: 2025-04-01\n    kind: call\n")
    );
}

#[test]
fn an_entry_edited_differently_is_a_conflict_on_that_entry_alone() {
    let base =
        format!("{BASE}  - date: 2025-03-05\n    kind: note\n    summary: typo\nphone: \"1\"\n");
    let ours = base.replace("typo", "ours").replace("\"1\"", "\"2\"");
    let theirs = base
        .replace("typo", "theirs")
        .replace("phone:", "company: Acme\nphone:");
    let result = merge(&base, &ours, &theirs);
    let text = String::from_utf8(result.bytes).unwrap();
    assert_eq!(
        text,
        format!("{BASE}<<<<<<< ours\n  - date: 2025-03-05\n    kind: note\n    summary: ours\n=======\n  - date: 2025-03-05\n    kind: note\n    summary: theirs\n>>>>>>> theirs\ncompany: Acme\nphone: \"2\"\n")
    );
    assert_eq!(result.conflicts.len(), 1);
    let conflict = &result.conflicts[0];
    assert_eq!(conflict.line, 6);
    assert_eq!(
        conflict.subject,
        Subject::Entry {
            date: "2025-03-05".into(),
            kind: "note".into()
        }
    );
    assert!(conflict.to_string().starts_with("customers/ada.yaml:6:1: merge conflict in the note of 2025-03-05 in `interactions`: edited differently"), "{conflict}");
}

#[test]
fn edited_on_one_side_and_deleted_on_the_other_is_a_conflict() {
    let base = format!("{BASE}  - date: 2025-03-05\n    kind: note\n    summary: typo\n");
    let ours = base.replace("typo", "fixed");
    let result = merge(&base, &ours, BASE);
    let text = String::from_utf8(result.bytes).unwrap();
    assert_eq!(
        text,
        format!("{BASE}<<<<<<< ours\n  - date: 2025-03-05\n    kind: note\n    summary: fixed\n=======\n>>>>>>> theirs\n")
    );
    let result = merge(&base, BASE, &ours);
    assert_eq!(
        String::from_utf8(result.bytes).unwrap(),
        format!("{BASE}<<<<<<< ours\n=======\n  - date: 2025-03-05\n    kind: note\n    summary: fixed\n>>>>>>> theirs\n")
    );
    assert_eq!(result.conflicts.len(), 1);
    assert!(result.conflicts[0]
        .message
        .starts_with("deleted on our side and edited on theirs"));
}

#[test]
fn keys_changed_on_one_side_take_that_side() {
    let ours = BASE.replace("name: Ada", "name: Ada Lovelace");
    let theirs = BASE.replace("ada@example.com", "ada@lovelace.org");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        "name: Ada Lovelace\nemail: ada@lovelace.org\ninteractions:\n  - date: 2025-03-01\n    kind: call\n"
    );
    // Deleted on one side.
    let theirs = BASE.replace("email: ada@example.com\n", "");
    assert_eq!(
        clean(BASE, &ours, &theirs),
        "name: Ada Lovelace\ninteractions:\n  - date: 2025-03-01\n    kind: call\n"
    );
}

#[test]
fn a_key_changed_the_same_way_on_both_sides_is_clean() {
    let ours = BASE.replace("ada@example.com", "ada@lovelace.org # new");
    let theirs = BASE.replace("ada@example.com", "\"ada@lovelace.org\"");
    assert_eq!(clean(BASE, &ours, &theirs), ours);
}

#[test]
fn a_key_changed_differently_is_a_conflict_on_that_key_alone() {
    let ours = BASE
        .replace("ada@example.com", "a@ours.org")
        .replace("name: Ada", "name: Ada L");
    let theirs = BASE.replace("ada@example.com", "a@theirs.org");
    let result = merge(BASE, &ours, &theirs);
    let text = String::from_utf8(result.bytes).unwrap();
    assert_eq!(
        text,
        "name: Ada L\n<<<<<<< ours\nemail: a@ours.org\n=======\nemail: a@theirs.org\n>>>>>>> theirs\ninteractions:\n  - date: 2025-03-01\n    kind: call\n"
    );
    assert_eq!(result.conflicts.len(), 1);
    assert_eq!(result.conflicts[0].subject, Subject::Key("email".into()));
    assert_eq!(result.conflicts[0].line, 2);
    assert!(result.conflicts[0]
        .message
        .contains("ours `a@ours.org`, theirs `a@theirs.org`"));
}

#[test]
fn a_key_deleted_on_one_side_and_changed_on_the_other_is_a_conflict() {
    let ours = BASE.replace("email: ada@example.com\n", "");
    let theirs = BASE.replace("ada@example.com", "a@theirs.org");
    let text = String::from_utf8(merge(BASE, &ours, &theirs).bytes).unwrap();
    assert_eq!(
        text,
        "name: Ada\n<<<<<<< ours\n=======\nemail: a@theirs.org\n>>>>>>> theirs\ninteractions:\n  - date: 2025-03-01\n    kind: call\n"
    );
}

#[test]
fn tags_merge_as_a_set() {
    let base = "name: Ada\ntags: [vip, newsletter]\n";
    let ours = "name: Ada\ntags: [vip, newsletter, 'coffee']\n";
    let theirs = "name: Ada\ntags: [vip, wholesale]\n";
    assert_eq!(
        clean(base, ours, theirs),
        "name: Ada\ntags: [vip, 'coffee', wholesale]\n"
    );
    let ours = "name: Ada\ntags:\n  - vip\n  - newsletter\n  - coffee\n";
    assert_eq!(
        clean(base, ours, theirs),
        "name: Ada\ntags:\n  - vip\n  - coffee\n  - wholesale\n"
    );
}

#[test]
fn mappings_merge_key_by_key() {
    let base =
        "name: Ada\npreferences:\n  coffee: flat white\n  milk: oat\nfollow_up:\n  every: 30d\n";
    let ours = "name: Ada\npreferences:\n  coffee: espresso # since May\n  milk: oat\nfollow_up:\n  every: 30d\n";
    let theirs = "name: Ada\npreferences:\n    coffee: flat white\n    milk: soy\n    sugar: none\nfollow_up:\n  every: 14d\n";
    assert_eq!(
        clean(base, ours, theirs),
        "name: Ada\npreferences:\n  coffee: espresso # since May\n  milk: soy\n  sugar: none\nfollow_up:\n  every: 14d\n"
    );
    let ours = ours
        .replace("coffee: espresso", "coffee: latte")
        .replace("oat", "rice");
    let result = merge(base, &ours, theirs);
    assert_eq!(result.conflicts.len(), 1, "{:?}", result.conflicts);
    assert_eq!(
        result.conflicts[0].subject,
        Subject::Key("preferences.milk".into())
    );
}

#[test]
fn ours_bytes_survive_exactly() {
    let base = "# Ada, met at the fair\nname: 'Ada'   # as she writes it\nemail: ada@example.com\nshoe_size: 38 # unknown to crm\ninteractions:\n  # the first call\n  - date: 2025-03-01\n    kind: call\n    summary: \"first, \\\"hello\\\"\"\n\n# footer\n";
    let ours = base.replace("shoe_size: 38", "shoe_size: 39");
    let theirs = base
        .replace("email: ada@example.com", "email: ada@lovelace.org")
        .replace("\n\n# footer", "\n  - date: 2025-04-01\n    kind: email\n    summary: 'thanks, Ada'\n    by: bob\n\n# footer");
    let merged = clean(base, &ours, &theirs);
    assert_eq!(
        merged,
        "# Ada, met at the fair\nname: 'Ada'   # as she writes it\nemail: ada@lovelace.org\nshoe_size: 39 # unknown to crm\ninteractions:\n  # the first call\n  - date: 2025-03-01\n    kind: call\n    summary: \"first, \\\"hello\\\"\"\n  - date: 2025-04-01\n    kind: email\n    summary: 'thanks, Ada'\n    by: bob\n\n# footer\n"
    );
}

#[test]
fn a_side_that_does_not_read_is_a_conflict() {
    let theirs = format!("{BASE}  - date: 2025-04-01\n    kind: call\n  summary: [unclosed\n");
    let ours = BASE.replace("name: Ada", "name: Ada L");
    let result = merge(BASE, &ours, &theirs);
    assert!(!result.is_clean());
    assert_eq!(result.how, MergedBy::Lines);
    assert_eq!(result.conflicts[0].subject, Subject::File);
    assert!(
        result.conflicts[0]
            .message
            .starts_with("their side does not read as a customer file (customers/ada.yaml:"),
        "{}",
        result.conflicts[0].message
    );
}

#[test]
fn one_side_unchanged_gives_the_other_byte_for_byte() {
    let theirs = "name: [broken\n";
    let result = merge(BASE, BASE, theirs);
    assert!(result.is_clean());
    assert_eq!(result.bytes, theirs.as_bytes());
    assert_eq!(result.how, MergedBy::Trivial);
}

#[test]
fn keys_theirs_added_go_after_the_key_they_follow() {
    let ours = BASE.replace("name: Ada\n", "name: Ada\ncompany: Acme\n");
    let theirs = BASE.replace(
        "email: ada@example.com\n",
        "email: ada@example.com\nphone: \"+44 20\"\n",
    );
    assert_eq!(
        clean(BASE, &ours, &theirs),
        "name: Ada\ncompany: Acme\nemail: ada@example.com\nphone: \"+44 20\"\ninteractions:\n  - date: 2025-03-01\n    kind: call\n"
    );
}

#[test]
fn crlf_files_stay_crlf() {
    let base = BASE.replace('\n', "\r\n");
    let ours = format!("{base}  - date: 2025-04-02\r\n    kind: call\r\n");
    let theirs = format!("{BASE}  - date: 2025-04-01\n    kind: email\n")
        .replace("ada@example.com", "a@b.org");
    assert_eq!(
        clean(&base, &ours, &theirs),
        format!("{}  - date: 2025-04-01\r\n    kind: email\r\n  - date: 2025-04-02\r\n    kind: call\r\n", base.replace("ada@example.com", "a@b.org"))
    );
}

#[test]
fn flow_lists_get_flow_entries() {
    let base = "name: Ada\ninteractions: [{date: 2025-03-01, kind: call}]\n";
    let ours = "name: Ada\ninteractions: [{date: 2025-03-01, kind: call}, {date: 2025-04-02, kind: call}]\n";
    let theirs = "name: Ada\ninteractions:\n  - date: 2025-03-01\n    kind: call\n  - date: 2025-04-01\n    kind: note\n    summary: a, b\n";
    assert_eq!(
        clean(base, ours, theirs),
        "name: Ada\ninteractions: [{date: 2025-03-01, kind: call}, {date: 2025-04-01, kind: note, summary: \"a, b\"}, {date: 2025-04-02, kind: call}]\n"
    );
}

#[test]
fn a_file_both_sides_added_merges_from_nothing() {
    let ours = "name: Ada\ninteractions:\n  - date: 2025-04-01\n    kind: call\n";
    let theirs = "name: Ada\nemail: a@b.org\ninteractions:\n  - date: 2025-04-01\n    kind: call\n  - date: 2025-04-02\n    kind: note\n";
    let result = merge_customer(None, ours.as_bytes(), theirs.as_bytes(), PATH);
    assert!(result.is_clean(), "{:?}", result.conflicts);
    assert_eq!(
        String::from_utf8(result.bytes).unwrap(),
        "name: Ada\nemail: a@b.org\ninteractions:\n  - date: 2025-04-01\n    kind: call\n  - date: 2025-04-02\n    kind: note\n"
    );
}

#[test]
fn an_empty_list_takes_their_entries() {
    let base = "name: Ada\ninteractions: []\n";
    let ours = "name: Ada L\ninteractions: []\n";
    let theirs = "name: Ada\ninteractions:\n  - date: 2025-04-01\n    kind: call\n";
    assert_eq!(
        clean(base, ours, theirs),
        "name: Ada L\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
    let missing = "name: Ada L\n";
    assert_eq!(
        clean("name: Ada\n", missing, theirs),
        "name: Ada L\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
}

#[test]
fn the_marker_size_is_honoured() {
    let ours = BASE.replace("ada@example.com", "a@ours.org");
    let theirs = BASE.replace("ada@example.com", "a@theirs.org");
    let options = MergeOptions { marker_size: 10 };
    let result = merge_customer_with(
        Some(BASE.as_bytes()),
        ours.as_bytes(),
        theirs.as_bytes(),
        PATH,
        &options,
    );
    let text = String::from_utf8(result.bytes).unwrap();
    assert!(text.contains("\n<<<<<<<<<< ours\nemail: a@ours.org\n==========\nemail: a@theirs.org\n>>>>>>>>>> theirs\n"), "{text}");
}

#[test]
fn other_files_merge_line_by_line() {
    let result = merge_lines(
        Some(b"a\nb\nc\n"),
        b"A\nb\nc\n",
        b"a\nb\nC\n",
        "crm.toml",
        &MergeOptions::default(),
    );
    assert!(result.is_clean());
    assert_eq!(result.bytes, b"A\nb\nC\n");
    let result = merge_lines(
        Some(b"a\n"),
        b"b\n",
        b"c\n",
        "crm.toml",
        &MergeOptions::default(),
    );
    assert_eq!(
        String::from_utf8(result.bytes).unwrap(),
        "<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n"
    );
    assert_eq!(result.conflicts.len(), 1);
    assert_eq!(result.conflicts[0].line, 1);
}

/// A customer as the property test models it.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    /// Keys other than `name`, `tags` and `interactions`, in a fixed order (a missing
    /// key is `None`).
    keys: Vec<(&'static str, Option<String>)>,
    tags: Vec<String>,
    /// (date, kind, summary); summaries are unique, but for the duplicates both
    /// sides log on purpose.
    entries: Vec<(String, String, String)>,
}

const KEYS: [&str; 4] = ["email", "phone", "shoe_size", "company"];
const KINDS: [&str; 4] = ["call", "email", "note", "meeting"];

impl Model {
    /// The file: comments, a quoted value and an unknown key, as people write them.
    fn render(&self) -> String {
        let mut out = String::from("# kept by hand\nname: 'Ada'\n");
        for (key, value) in &self.keys {
            if let Some(value) = value {
                out.push_str(&format!("{key}: {value}\n"));
            }
        }
        let tags: Vec<String> = self.tags.clone();
        out.push_str(&format!("tags: [{}]\n", tags.join(", ")));
        out.push_str("interactions:\n");
        for (date, kind, summary) in &self.entries {
            out.push_str(&format!(
                "  - date: {date}\n    kind: {kind}\n    summary: \"{summary}\"\n"
            ));
        }
        out.push_str("# footer\n");
        out
    }
}

/// A small deterministic generator (64-bit LCG), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// What one side did, for the oracle.
#[derive(Default)]
struct Did {
    /// Base entry index → Some(new summary) edited, None deleted.
    entries: std::collections::BTreeMap<usize, Option<String>>,
    /// Key → new value (None: deleted).
    keys: std::collections::BTreeMap<&'static str, Option<String>>,
    added: Vec<(String, String, String)>,
}

fn mutate(
    base: &Model,
    side: &str,
    rng: &mut Rng,
    shared: &[(String, String, String)],
) -> (Model, Did) {
    let mut model = base.clone();
    let mut did = Did::default();
    for step in 0..rng.below(6) {
        match rng.below(7) {
            0 | 1 => {
                let date = format!("2025-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
                let kind = KINDS[rng.below(KINDS.len())].to_string();
                let entry = (date, kind, format!("{side}{step}"));
                model.entries.push(entry.clone());
                did.added.push(entry);
            }
            2 if !base.entries.is_empty() => {
                let i = rng.below(base.entries.len());
                if did.entries.contains_key(&i) {
                    continue;
                }
                let summary = format!("{side}-edit{step}");
                let at = model
                    .entries
                    .iter()
                    .position(|e| e.2 == base.entries[i].2)
                    .unwrap();
                model.entries[at].2 = summary.clone();
                did.entries.insert(i, Some(summary));
            }
            3 if !base.entries.is_empty() => {
                let i = rng.below(base.entries.len());
                if did.entries.contains_key(&i) {
                    continue;
                }
                let at = model
                    .entries
                    .iter()
                    .position(|e| e.2 == base.entries[i].2)
                    .unwrap();
                model.entries.remove(at);
                did.entries.insert(i, None);
            }
            4 => {
                let k = rng.below(KEYS.len());
                let value = match rng.below(3) {
                    0 => None,
                    1 => Some("same".to_string()),
                    _ => Some(format!("{side}v{step}")),
                };
                if model.keys[k].1 == value {
                    continue;
                }
                model.keys[k].1 = value.clone();
                did.keys.insert(KEYS[k], value);
            }
            5 => {
                let tag = format!("t{}", rng.below(6));
                if let Some(at) = model.tags.iter().position(|t| *t == tag) {
                    model.tags.remove(at);
                } else {
                    model.tags.push(tag);
                }
            }
            _ if !did.added.iter().any(|e| shared.contains(e)) => {
                for entry in shared {
                    model.entries.push(entry.clone());
                    did.added.push(entry.clone());
                }
            }
            _ => {}
        }
    }
    (model, did)
}

/// Random edits of entries and keys on two sides of a base: the result reads (when
/// clean), holds every entry added on either side exactly once (those both added,
/// once), takes each side's one-sided change, and conflicts exactly where the same
/// key or entry was changed differently on both sides.
#[test]
fn random_two_sided_changes_merge_by_the_rules() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let (mut clean_runs, mut conflicted_runs) = (0, 0);
    for run in 0..400 {
        let n = rng.below(5);
        let base = Model {
            keys: KEYS
                .iter()
                .map(|k| {
                    (
                        *k,
                        (rng.below(2) == 0).then(|| format!("b{}", rng.below(9))),
                    )
                })
                .collect(),
            tags: (0..rng.below(4)).map(|i| format!("t{i}")).collect(),
            entries: (0..n)
                .map(|i| {
                    (
                        format!("2024-01-{:02}", i + 1),
                        "call".to_string(),
                        format!("b{i}"),
                    )
                })
                .collect(),
        };
        let shared = vec![(
            "2025-06-01".to_string(),
            "call".to_string(),
            format!("dup{run}"),
        )];
        let (ours, o_did) = mutate(&base, "o", &mut rng, &shared);
        let (theirs, t_did) = mutate(&base, "t", &mut rng, &shared);
        let texts = (base.render(), ours.render(), theirs.render());
        let result = merge(&texts.0, &texts.1, &texts.2);
        let text = String::from_utf8(result.bytes.clone()).unwrap();
        let context = format!(
            "run {run}\nBASE\n{}\nOURS\n{}\nTHEIRS\n{}\nRESULT\n{text}\n{:?}",
            texts.0, texts.1, texts.2, result.conflicts
        );

        // The conflicts the rules call for.
        let mut expected: Vec<Subject> = Vec::new();
        for (key, o_value) in &o_did.keys {
            if let Some(t_value) = t_did.keys.get(key) {
                if t_value != o_value {
                    expected.push(Subject::Key(key.to_string()));
                }
            }
        }
        for (i, o_change) in &o_did.entries {
            if let Some(t_change) = t_did.entries.get(i) {
                if o_change.is_some() || t_change.is_some() {
                    expected.push(Subject::Entry {
                        date: base.entries[*i].0.clone(),
                        kind: "call".into(),
                    });
                }
            }
        }
        let mut found: Vec<Subject> = result.conflicts.iter().map(|c| c.subject.clone()).collect();
        let order = |s: &Subject| format!("{s}");
        expected.sort_by_key(order);
        found.sort_by_key(order);
        assert_eq!(found, expected, "{context}");
        assert_eq!(
            result.how,
            if texts.1 == texts.2 || texts.0 == texts.1 || texts.0 == texts.2 {
                MergedBy::Trivial
            } else {
                MergedBy::Fields
            },
            "{context}"
        );

        // Every added entry exactly once, the shared duplicate once.
        for (_, _, summary) in o_did.added.iter().chain(&t_did.added) {
            assert_eq!(
                text.matches(&format!("\"{summary}\"")).count(),
                1,
                "{summary}\n{context}"
            );
        }
        assert!(
            text.starts_with("# kept by hand\nname: 'Ada'\n") && text.ends_with("# footer\n"),
            "{context}"
        );
        if !result.is_clean() {
            conflicted_runs += 1;
            continue;
        }
        clean_runs += 1;
        let loaded = read::parse_customer(text.as_bytes(), PATH, &id_of(PATH))
            .unwrap_or_else(|p| panic!("{p}\n{context}"));
        let customer = loaded.customer;
        // Keys: each side's one-sided change.
        for (n, key) in KEYS.iter().enumerate() {
            let want = o_did
                .keys
                .get(key)
                .or_else(|| t_did.keys.get(key))
                .cloned()
                .unwrap_or_else(|| base.keys[n].1.clone());
            let value = yaml::value_of(&text).unwrap();
            let got = value.get(*key).and_then(|v| v.as_str()).map(str::to_string);
            assert_eq!(got, want, "{key}\n{context}");
        }
        // Tags as a set.
        let mut want_tags: Vec<String> = ours
            .tags
            .iter()
            .filter(|t| !base.tags.contains(t) || theirs.tags.contains(t))
            .cloned()
            .collect();
        for tag in &theirs.tags {
            if !base.tags.contains(tag) && !want_tags.contains(tag) {
                want_tags.push(tag.clone());
            }
        }
        let mut got_tags = customer.tags.clone();
        want_tags.sort();
        got_tags.sort();
        assert_eq!(got_tags, want_tags, "{context}");
        // Entries: base entries as the side that changed them left them, plus the
        // added ones (the shared duplicate once).
        let mut want: Vec<(String, String, String)> = Vec::new();
        for (i, entry) in base.entries.iter().enumerate() {
            match o_did.entries.get(&i).or_else(|| t_did.entries.get(&i)) {
                None => want.push(entry.clone()),
                Some(Some(summary)) => {
                    want.push((entry.0.clone(), entry.1.clone(), summary.clone()))
                }
                Some(None) => {}
            }
        }
        want.extend(o_did.added.iter().cloned());
        for entry in &t_did.added {
            if !o_did.added.contains(entry) {
                want.push(entry.clone());
            }
        }
        let mut got: Vec<(String, String, String)> = customer
            .interactions
            .iter()
            .map(|i| {
                (
                    i.date.to_string(),
                    i.kind.name().to_string(),
                    i.summary.clone().unwrap_or_default(),
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{context}");
    }
    assert!(
        clean_runs > 100 && conflicted_runs > 30,
        "{clean_runs} clean, {conflicted_runs} conflicted"
    );
}

#[test]
fn their_block_texts_are_written_by_crm_in_an_entry_and_copied_in_a_key() {
    let notes = "email: ada@example.com\nnotes: |\n  kept as\n  written\n";
    let ours = format!("{BASE}  - date: 2025-04-02\n    kind: call\n");
    let theirs = format!(
        "{}  - date: 2025-04-01\n    kind: note\n    summary: |\n      two\n      lines\n",
        BASE.replace("email: ada@example.com\n", notes)
    );
    assert_eq!(
        clean(BASE, &ours, &theirs),
        format!(
            "{}  - date: 2025-04-01\n    kind: note\n    summary: \"two\\nlines\\n\"\n  - date: 2025-04-02\n    kind: call\n",
            BASE.replace("email: ada@example.com\n", notes)
        )
    );
}

#[test]
fn a_byte_order_mark_and_a_last_line_without_a_break_are_kept() {
    let base = "\u{feff}name: Ada\nemail: a@b.org";
    let ours = "\u{feff}name: Ada L\nemail: a@b.org";
    let theirs = "name: Ada\nemail: a@b.org\nphone: \"1\"\n";
    assert_eq!(
        clean(base, ours, theirs),
        "\u{feff}name: Ada L\nemail: a@b.org\nphone: \"1\"\n"
    );
}

/// Hand-written layouts (mangled by a fixed pseudo-random sequence of byte edits):
/// whenever a base reads and takes an append, two sides that each appended an entry
/// merge by the rules, cleanly, into a file that reads and holds both entries; the
/// line merge fallback stays the exception. The merge never panics.
#[test]
fn mangled_layouts_take_both_sides_appends() {
    let seeds = crate::store::mangle::MERGE_SEEDS;
    let id = id_of(PATH);
    let mut mangler = crate::store::mangle::Mangler::new(
        0x2545_f491_4f6c_dd1d,
        crate::store::mangle::APPENDER_ALPHABET,
    );
    let append = |text: &str, summary: &str| -> Option<String> {
        let doc = yaml::parse(text).ok()?;
        let plan = yaml::plan_append(text, &doc, "interactions").ok()?;
        let entry = vec![
            "date: 2025-06-01".to_string(),
            "kind: call".to_string(),
            format!("summary: {summary}"),
        ];
        Some(plan.apply(text, &[entry]))
    };
    let (mut merged, mut by_lines) = (0, 0);
    for _ in 0..3_000 {
        let bytes = mangler.mangle(&seeds, 6);
        let Ok(loaded) = read::parse_customer(&bytes, PATH, &id) else {
            continue;
        };
        let base = loaded.text();
        let (Some(ours), Some(theirs)) = (append(base, "ours"), append(base, "theirs")) else {
            continue;
        };
        if read::parse_customer(ours.as_bytes(), PATH, &id).is_err() {
            continue;
        }
        let result = merge(base, &ours, &theirs);
        if result.how == MergedBy::Lines {
            by_lines += 1;
            continue;
        }
        let text = String::from_utf8(result.bytes.clone()).unwrap();
        assert!(
            result.is_clean(),
            "{:?}\n{base:?}\n{text:?}",
            result.conflicts
        );
        let customer = read::parse_customer(text.as_bytes(), PATH, &id)
            .unwrap_or_else(|p| panic!("{p}\n{base:?}\n{text:?}"))
            .customer;
        let summaries: Vec<&str> = customer
            .interactions
            .iter()
            .filter_map(|i| i.summary.as_deref())
            .collect();
        assert!(
            summaries.contains(&"ours") && summaries.contains(&"theirs"),
            "{base:?}\n{text:?}"
        );
        assert!(text.starts_with(&ours[..ours.len().min(4)]), "{text:?}");
        merged += 1;
    }
    assert!(merged > 300, "{merged} merged by the rules");
    assert!(
        by_lines * 20 < merged,
        "{by_lines} fell back to lines, {merged} merged"
    );
}
