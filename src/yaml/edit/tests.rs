use super::*;
use crate::yaml::tree;

fn entry() -> Vec<String> {
    vec!["date: 2025-04-01".into(), "kind: call".into()]
}

fn try_append(text: &str, entries: &[Vec<String>]) -> Result<String, AppendError> {
    let doc = tree::parse(text).expect("test files are valid YAML");
    let out = plan(text, &doc, "interactions")?.apply(text, entries);
    // What every append checks before writing: the result says what the file said,
    // plus the new entries, and nothing else.
    let mut expected: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let written: serde_yaml::Value = serde_yaml::from_str(&out)
        .unwrap_or_else(|e| panic!("unreadable result ({e}) of\n{text:?}:\n{out:?}"));
    // The same expectation the real append checks against.
    for fields in entries {
        let item: serde_yaml::Value = serde_yaml::from_str(&fields.join("\n")).unwrap();
        crate::yaml::push_entry(&mut expected, "interactions", item);
    }
    assert_eq!(
        written, expected,
        "the append changed the file's meaning:\n{out}"
    );
    Ok(out)
}

fn append(text: &str) -> String {
    try_append(text, &[entry()]).unwrap()
}

fn refusal(text: &str) -> AppendError {
    let doc = tree::parse(text).expect("test files are valid YAML");
    plan(text, &doc, "interactions").unwrap_err()
}

#[test]
fn appends_after_the_last_entry_and_keeps_comments() {
    let text = "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n\n# about extra\nextra: kept\n";
    let doc = tree::parse(text).unwrap();
    let plan = plan(text, &doc, "interactions").unwrap();
    assert_eq!(
            plan.apply(text, &[entry()]),
            "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n  - date: 2025-04-01\n    kind: call\n\n# about extra\nextra: kept\n"
        );
    assert_eq!(plan.pos, Pos { line: 7, column: 1 });
}

#[test]
fn handles_unindented_lists_and_wide_offsets() {
    let text = "interactions:\n-   date: 2025-03-01\n    kind: call\n";
    assert_eq!(
        append(text),
        format!("{text}-   date: 2025-04-01\n    kind: call\n")
    );
}

#[test]
fn handles_empty_forms() {
    for empty in [
        "interactions:",
        "interactions: []",
        "interactions: [ ]",
        "interactions:\t[\t]",
        "interactions: ~",
        "interactions: null",
        "interactions: Null",
        "interactions: NULL",
        "\"interactions\":",
        "'interactions' : []",
        "interactions:   # none yet",
        "interactions:\n  ~",
        "interactions:\n  []",
        "interactions: [\n  ]",
    ] {
        let text = format!("name: A\n{empty}\nnotes: x\n");
        let out = append(&text);
        assert!(
            out.contains("  - date: 2025-04-01\n    kind: call\nnotes: x\n"),
            "{out}"
        );
    }
}

#[test]
fn an_empty_value_goes_but_the_comment_keeps_its_spacing() {
    assert_eq!(
        append("name: A\ninteractions: []   # none\n"),
        "name: A\ninteractions:   # none\n  - date: 2025-04-01\n    kind: call\n"
    );
    assert_eq!(
        append("name: A\r\ninteractions: ~\t# none"),
        "name: A\r\ninteractions:\t# none\r\n  - date: 2025-04-01\r\n    kind: call\r\n"
    );
    assert_eq!(
            append("name: A\ninteractions: # none yet\n  ~ # still none\nnotes: x\n"),
            "name: A\ninteractions: # none yet\n # still none\n  - date: 2025-04-01\n    kind: call\nnotes: x\n"
        );
}

#[test]
fn a_comment_right_after_an_empty_value_keeps_a_blank_before_it() {
    assert_eq!(
        append("name: A\ninteractions: []#none\n"),
        "name: A\ninteractions: #none\n  - date: 2025-04-01\n    kind: call\n"
    );
}

#[test]
fn empty_values_end_at_their_indicator() {
    assert_eq!(
            append("name: A\nprefs:\n  a: # c\n   -\n# d\n"),
            "name: A\nprefs:\n  a: # c\n   -\ninteractions:\n  - date: 2025-04-01\n    kind: call\n# d\n"
        );
    assert_eq!(
            append("name: A\nprefs:\n  a: >+\n  ?\n\n...\n"),
            "name: A\nprefs:\n  a: >+\n  ?\ninteractions:\n  - date: 2025-04-01\n    kind: call\n\n...\n"
        );
}

#[test]
fn an_empty_list_holding_a_comment_keeps_it() {
    assert_eq!(
        append("name: A\ninteractions: [ # none yet\n]\n"),
        "name: A\ninteractions: [{date: 2025-04-01, kind: call} # none yet\n]\n"
    );
}

#[test]
fn words_that_only_start_like_null_are_not_null() {
    let err = refusal("name: A\ninteractions: nullish\n");
    assert_eq!((err.line, err.column), (2, 15));
    assert_eq!(err.layout, Layout::NotAList("nullish".into()));
}

#[test]
fn adds_a_missing_list_after_the_last_key_even_without_final_newline() {
    assert_eq!(
        append("name: A"),
        "name: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
}

#[test]
fn a_missing_list_goes_before_a_footer_and_a_document_end() {
    let text = "---\nname: A\nnotes: |\n  text\n  # inside the note\n\n# footer\n...\n";
    assert_eq!(
            append(text),
            "---\nname: A\nnotes: |\n  text\n  # inside the note\ninteractions:\n  - date: 2025-04-01\n    kind: call\n\n# footer\n...\n"
        );
}

#[test]
fn an_indented_top_level_mapping_keeps_its_indentation() {
    assert_eq!(
        append("  name: A\n"),
        "  name: A\n  interactions:\n    - date: 2025-04-01\n      kind: call\n"
    );
    assert_eq!(
        append("  name: A\n  interactions:\n"),
        "  name: A\n  interactions:\n    - date: 2025-04-01\n      kind: call\n"
    );
}

#[test]
fn blank_lines_kept_by_a_block_scalar_stay_with_it() {
    assert_eq!(
            append("name: A\nnotes: |+\n  keep\n\n\n# footer\n"),
            "name: A\nnotes: |+\n  keep\n\n\ninteractions:\n  - date: 2025-04-01\n    kind: call\n# footer\n"
        );
    assert_eq!(
            append("interactions:\n  - summary: >2+\n      keep\n\nx: 1\n"),
            "interactions:\n  - summary: >2+\n      keep\n\n  - date: 2025-04-01\n    kind: call\nx: 1\n"
        );
    assert_eq!(
            append("interactions:\n  - summary: !!str &s |+\n      keep\n\nx: 1\n"),
            "interactions:\n  - summary: !!str &s |+\n      keep\n\n  - date: 2025-04-01\n    kind: call\nx: 1\n"
        );
}

#[test]
fn a_line_of_spaces_at_the_end_of_a_block_scalar_is_not_given_back() {
    // `|` keeps a trailing line of more spaces than its indentation as text.
    let text = "interactions:\n  - date: 2025-03-01\n    kind: call\n    summary: |\n      text\n        \nx: 1\n";
    assert_eq!(
            append(text),
            "interactions:\n  - date: 2025-03-01\n    kind: call\n    summary: |\n      text\n        \n  - date: 2025-04-01\n    kind: call\nx: 1\n"
        );
}

#[test]
fn a_stripped_block_at_the_end_of_the_file_takes_a_line_break() {
    assert_eq!(
            append("name: A\nnotes: |-\n  no line break"),
            "name: A\nnotes: |-\n  no line break\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
        );
}

#[test]
fn lines_indented_with_tabs_stay_before_the_new_entries() {
    // `\t` in a blank line is fine after `x` (a plain value indented less than the
    // tab), but would not be after the new entries' deeper `kind: call`.
    let text = "name: A\nnotes: x\n  \t\n";
    assert_eq!(
        append(text),
        "name: A\nnotes: x\n  \t\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
}

#[test]
fn keeps_crlf_line_endings() {
    let text = "name: A\r\ninteractions:\r\n  - date: 2025-03-01\r\n    kind: call\r\n";
    assert_eq!(
        append(text),
        format!("{text}  - date: 2025-04-01\r\n    kind: call\r\n")
    );
}

#[test]
fn old_mac_line_ends_are_lines() {
    let text = "name: A\rinteractions:\r  - date: 2025-03-01\r    kind: call\r";
    assert_eq!(
        append(text),
        format!("{text}  - date: 2025-04-01\r    kind: call\r")
    );
    assert_eq!(
        append("name: A\rnotes: x"),
        "name: A\rnotes: x\rinteractions:\r  - date: 2025-04-01\r    kind: call\r"
    );
}

#[test]
fn a_flow_list_on_the_line_after_its_key() {
    assert_eq!(
            append("name: B\ninteractions:\n  [ {date: 2025-03-01, kind: call} ]\n"),
            "name: B\ninteractions:\n  [ {date: 2025-03-01, kind: call}, {date: 2025-04-01, kind: call} ]\n"
        );
}

#[test]
fn a_quoted_text_continued_less_indented_than_the_list() {
    let text = "name: C\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: \"long\n text\"\nnotes: x\n";
    assert_eq!(
            append(text),
            "name: C\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: \"long\n text\"\n  - date: 2025-04-01\n    kind: call\nnotes: x\n"
        );
    let plain = "name: C\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: long\n     text\n# c\nnotes: x\n";
    assert!(append(plain).contains("     text\n  - date: 2025-04-01\n"));
}

#[test]
fn a_key_inside_a_quoted_text_is_text() {
    assert_eq!(
            append("name: D\nnotes: \"x\ninteractions: y\"\n"),
            "name: D\nnotes: \"x\ninteractions: y\"\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
        );
    // And a `- ` line inside a literal block is text, not an entry.
    let text = "name: E\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: |\n      - not an entry\n  # about the entry\nnotes: x\n";
    assert_eq!(
            append(text),
            "name: E\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: |\n      - not an entry\n  - date: 2025-04-01\n    kind: call\n  # about the entry\nnotes: x\n"
        );
}

#[test]
fn an_empty_last_value_ends_on_its_key_line() {
    let text = "interactions:\n  - date: 2025-03-01\n    kind: call\n    summary:\n# about notes\nnotes: x\n";
    assert_eq!(
            append(text),
            "interactions:\n  - date: 2025-03-01\n    kind: call\n    summary:\n  - date: 2025-04-01\n    kind: call\n# about notes\nnotes: x\n"
        );
}

#[test]
fn extends_non_empty_flow_lists_in_flow_style() {
    let cases = [
            (
                "interactions: [{date: 2025-03-01, kind: call}]  # log\n",
                "interactions: [{date: 2025-03-01, kind: call}, {date: 2025-04-01, kind: call}]  # log\n",
            ),
            (
                "interactions: [\n  {date: 2025-03-01, kind: call, summary: \"a ] b\"},  # first\n]\n",
                "interactions: [\n  {date: 2025-03-01, kind: call, summary: \"a ] b\"}, {date: 2025-04-01, kind: call}  # first\n]\n",
            ),
            (
                "interactions: [{summary: 'it''s ]', kind: call, date: 2025-03-01}, ]\n",
                "interactions: [{summary: 'it''s ]', kind: call, date: 2025-03-01}, {date: 2025-04-01, kind: call} ]\n",
            ),
        ];
    for (text, expected) in cases {
        assert_eq!(
            append(&format!("name: A\n{text}")),
            format!("name: A\n{expected}")
        );
    }
}

#[test]
fn many_entries_go_in_one_pass() {
    let entries: Vec<Vec<String>> = (1..=3)
        .map(|day| vec![format!("date: 2025-04-0{day}"), "kind: call".into()])
        .collect();
    assert_eq!(
            try_append("name: A\ninteractions: []\nnotes: x\n", &entries).unwrap(),
            "name: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n  - date: 2025-04-02\n    kind: call\n  - date: 2025-04-03\n    kind: call\nnotes: x\n"
        );
    assert_eq!(
            try_append("name: A\ninteractions: [{date: 2025-03-01, kind: call}]\n", &entries).unwrap(),
            "name: A\ninteractions: [{date: 2025-03-01, kind: call}, {date: 2025-04-01, kind: call}, {date: 2025-04-02, kind: call}, {date: 2025-04-03, kind: call}]\n"
        );
}

#[test]
fn decorations_of_the_key_do_not_matter() {
    assert_eq!(
            append("name: A\n&k interactions:\n  - date: 2025-03-01\n    kind: call\n"),
            "name: A\n&k interactions:\n  - date: 2025-03-01\n    kind: call\n  - date: 2025-04-01\n    kind: call\n"
        );
}

#[test]
fn refuses_what_it_cannot_extend_with_line_and_column() {
    let cases = [
        ("{name: A, interactions: []}\n", 1, 1, Layout::FlowMapping),
        ("--- {name: A}\n", 1, 5, Layout::FlowMapping),
        ("- name: A\n", 1, 1, Layout::NoMapping),
        ("# nothing\n", 1, 1, Layout::NoMapping),
        ("name: A\n? interactions\n: []\n", 2, 1, Layout::ExplicitKey),
        (
            "name: A\ninteractions: &log\n  - date: 2025-03-01\n",
            2,
            15,
            Layout::Decorated("&log".into()),
        ),
        (
            "name: A\nold: &x []\ninteractions: *x\n",
            3,
            15,
            Layout::Decorated("*x".into()),
        ),
        (
            "name: A\ninteractions:\n  !!seq [{date: 2025-03-01}]\n",
            3,
            3,
            Layout::Decorated("!!seq".into()),
        ),
        (
            "name: A\rx: y\rinteractions: 5\r",
            3,
            15,
            Layout::NotAList("5".into()),
        ),
    ];
    for (text, line, column, layout) in cases {
        assert_eq!(
            refusal(text),
            AppendError {
                line,
                column,
                layout
            },
            "{text}"
        );
    }
}

#[test]
fn a_question_mark_key_elsewhere_is_no_reason_to_refuse() {
    assert_eq!(
        append("? name\n: A\n"),
        "? name\n: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
    assert_eq!(
        append("--- !t\n?\n name\n: A\n"),
        "--- !t\n?\n name\n: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
    );
}

#[test]
fn refusals_say_where_why_and_how_to_fix() {
    let err = refusal("{name: A}\n").into_error("customers/a.yaml", "a");
    assert!(
        err.message.starts_with("customers/a.yaml:1:1: "),
        "{}",
        err.message
    );
    assert!(err.message.contains("block-style"), "{}", err.message);
    assert!(err.hint.unwrap().contains("crm edit a"));
}

#[test]
fn unusual_line_breaks_count_as_libyaml_counts_them() {
    // NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR end lines in YAML 1.1.
    for nl in ["\u{85}", "\u{2028}", "\u{2029}"] {
        let text = format!(
            "name: A\ninteractions:\n  - date: 2025-03-01\n    kind: call{nl}    # c\nnotes: x\n"
        );
        let out = append(&text);
        assert!(out.contains("# c\n  - date: 2025-04-01\n"), "{out:?}");
    }
}

/// Mangled customer files (a fixed pseudo-random sequence of edits): whenever the
/// reader accepts one and the planner agrees to append, the appended text says
/// exactly what the file said plus the new entries, and reads again. This is the
/// promise that a file `crm check` passes takes an append.
#[test]
fn every_file_the_planner_accepts_takes_the_append() {
    let seeds = crate::store::mangle::APPENDER_SEEDS;
    let id = crate::domain::id::CustomerId::parse("x").unwrap();
    let mut mangler = crate::store::mangle::Mangler::new(
        0x9e37_79b9_7f4a_7c15,
        crate::store::mangle::APPENDER_ALPHABET,
    );
    let (mut appended, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let bytes = mangler.mangle(&seeds, 8);
        let Ok(loaded) = crate::store::read::parse_customer(&bytes, "x", &id) else {
            continue;
        };
        let text = loaded.text();
        let doc = tree::parse(text).unwrap();
        if plan(text, &doc, "interactions").is_err() {
            refused += 1;
            continue;
        }
        let out = try_append(text, &[entry(), entry()]).unwrap();
        crate::store::read::parse_customer(out.as_bytes(), "x", &id)
            .unwrap_or_else(|p| panic!("{p}\n{text:?}\n{out:?}"));
        appended += 1;
    }
    assert!(
        appended > 500,
        "enough mangled files take the append: {appended}"
    );
    assert!(refused < appended / 10, "{refused} refused");
}

/// The region check of an append ([`Plan::verify_region`]) accepts only what the
/// whole-file comparison accepts: on mangled files, for the planned splice and for
/// the same lines spliced in at every other line start the region covers (where a
/// planner that misjudged a layout could put them). It must also be the check most
/// appends get.
#[test]
fn the_region_check_accepts_only_what_the_whole_file_check_accepts() {
    let seeds = crate::store::mangle::REGION_SEEDS;
    let id = crate::domain::id::CustomerId::parse("x").unwrap();
    let mut mangler = crate::store::mangle::Mangler::new(
        0x2545_f491_4f6c_dd1d,
        crate::store::mangle::APPENDER_ALPHABET,
    );
    let fields = [
        entry(),
        vec![
            "date: 2025-04-02".into(),
            "kind: note".into(),
            "summary: \"x\"".into(),
        ],
    ];
    let values: Vec<Value> = fields
        .iter()
        .map(|f| value_of(&f.join("\n")).unwrap())
        .collect();
    let whole = |text: &str, out: &str| {
        let mut expected = value_of(text).unwrap();
        for v in &values {
            push_entry(&mut expected, "interactions", v.clone());
        }
        value_of(out).is_ok_and(|written| written == expected)
    };
    let (mut planned, mut by_region, mut misplaced) = (0, 0, 0);
    for round in 0..6_000 {
        let bytes = if round < seeds.len() {
            seeds[round].as_bytes().to_vec()
        } else {
            mangler.mangle(&seeds, 6)
        };
        let Ok(loaded) = crate::store::read::parse_customer(&bytes, "x", &id) else {
            continue;
        };
        let text = loaded.text();
        let doc = tree::parse(text).unwrap();
        let Ok(plan) = plan(text, &doc, "interactions") else {
            continue;
        };
        planned += 1;
        let out = plan.apply(text, &fields);
        if plan
            .verify_region(text, &out, "interactions", values.clone())
            .is_some()
        {
            assert!(
                whole(text, &out),
                "region check passed a wrong append:\n{text:?}\n{out:?}"
            );
            by_region += 1;
        }
        // The same splice at every other line start after the region's start.
        let (cut, added) = plan.splice(text, &fields);
        let Some(region) = &plan.region else { continue };
        let bytes = text.as_bytes();
        for at in region.start..=cut.start {
            if at == cut.start || !is_line_start(bytes, at) || !text.is_char_boundary(at) {
                continue;
            }
            let mut wrong = String::new();
            wrong.push_str(&text[..at]);
            wrong.push_str(&added);
            wrong.push_str(&text[at..cut.start]);
            wrong.push_str(&text[cut.end..]);
            if plan
                .verify_region(text, &wrong, "interactions", values.clone())
                .is_some()
            {
                assert!(
                    whole(text, &wrong),
                    "region check passed a misplaced append:\n{text:?}\n{wrong:?}"
                );
                misplaced += 1;
            }
        }
    }
    assert!(planned > 1000, "{planned} files planned");
    assert!(
        by_region * 10 > planned * 8,
        "the region check verified only {by_region} of {planned}"
    );
    // Misplaced lines that still say the same (before a comment line, say) may pass.
    let _ = misplaced;
}

/// [`Plan::after`] gives exactly the plan a parse of the appended text gives, so the
/// store can keep it for the next append instead of parsing the file again; and a
/// [`SavedPlan`] gives it back for the same text. On the mangled files of the region
/// test, two appends in a row.
#[test]
fn the_plan_after_an_append_is_the_plan_of_the_new_text() {
    use crate::store::mangle::REGION_SEEDS;
    let seeds = [
        REGION_SEEDS[0],
        REGION_SEEDS[3],
        REGION_SEEDS[4],
        REGION_SEEDS[5],
        REGION_SEEDS[6],
        "name: A\r\ninteractions:\r\n  - date: 2025-03-01\r\n    kind: call\r\n\r\n# end\r\n",
        "name: A\rinteractions:\r  - date: 2025-03-01\r    kind: call\r",
        "\u{feff}name: A\ninteractions:\n  - date: 2025-03-01\n    kind: call # c\n    # deeper\n  # shallow\nz: [1]\n",
    ];
    let id = crate::domain::id::CustomerId::parse("x").unwrap();
    let mut mangler = crate::store::mangle::Mangler::new(
        0x5851_f42d_4c95_7f2d,
        crate::store::mangle::APPENDER_ALPHABET,
    );
    let fields = [
        entry(),
        vec![
            "date: 2025-04-02".into(),
            "kind: note".into(),
            "summary: \"x\\ny\"".into(),
        ],
    ];
    let (mut planned, mut continued) = (0, 0);
    for round in 0..6_000 {
        let bytes = if round < seeds.len() {
            seeds[round].as_bytes().to_vec()
        } else {
            mangler.mangle(&seeds, 6)
        };
        let Ok(loaded) = crate::store::read::parse_customer(&bytes, "x", &id) else {
            continue;
        };
        let mut text = loaded.text().to_string();
        let doc = tree::parse(&text).unwrap();
        let Ok(mut current) = plan(&text, &doc, "interactions") else {
            continue;
        };
        planned += 1;
        for _ in 0..2 {
            let out = current.apply(&text, &fields);
            let Some(next) = current.after(&text, &fields) else {
                break;
            };
            let doc = tree::parse(&out).unwrap();
            let parsed = plan(&out, &doc, "interactions").unwrap();
            assert_eq!(next, parsed, "after an append to\n{text:?}\n{out:?}");
            let saved = next.saved().expect("a continued plan can be kept");
            assert_eq!(saved.plan(&out).as_ref(), Some(&next));
            continued += 1;
            (text, current) = (out, next);
        }
    }
    assert!(planned > 500, "{planned} files planned");
    assert!(
        continued * 2 > planned,
        "only {continued} continued plans of {planned}"
    );
}
