//! The reader on ordinary hand-written files: what it must accept (stars, brackets and
//! colons in text are text), what `crm check` must report (every problem of a file,
//! at the value it is about, named and with a fix), and that values are read exactly as
//! written (`+4420`, `99999.999`). Regression tests for the reader audit.

use crate::common;

use common::TempBook;
use serde_json::Value;

fn run(book: &TempBook, args: &[&str]) -> (Option<i32>, String, String) {
    let output = book.crm(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `crm check`'s problem lines (without the closing summary line).
fn check(book: &TempBook) -> (Option<i32>, Vec<String>) {
    let (code, _, err) = run(book, &["check"]);
    let lines = err
        .lines()
        .filter(|l| !l.starts_with("crm: checked"))
        .map(str::to_string)
        .collect();
    (code, lines)
}

fn card(book: &TempBook, id: &str) -> Value {
    let (code, out, err) = run(book, &["show", id, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

// ---- finding 1: `*` and `[` in text are text -----------------------------------------

/// Audit finding: the alias pre-scan counted `*word` inside summaries, so after 65
/// notes like this one the customer could never be logged to again.
#[test]
fn stars_in_summaries_never_stop_logging() {
    let book = TempBook::without_git();
    book.customer("ann", "name: Ann\n");
    for n in 0..70 {
        let (code, _, err) = run(&book, &["log", "ann", "note", "discussed *pricing*"]);
        assert_eq!(code, Some(0), "log #{n}: {err}");
    }
    let (code, problems) = check(&book);
    assert_eq!(code, Some(0), "{problems:?}");
    assert_eq!(
        card(&book, "ann")["interactions"].as_array().unwrap().len(),
        70
    );
}

/// Audit finding: an unclosed `[` inside a string never closed in the bracket count,
/// so 65 summaries with a `:-[` tripped "nested more than 64 levels deep".
#[test]
fn brackets_in_summaries_are_not_nesting() {
    let book = TempBook::without_git();
    book.customer("ann", "name: Ann\n");
    for n in 0..70 {
        let (code, _, err) = run(&book, &["log", "ann", "complaint", "late again :-["]);
        assert_eq!(code, Some(0), "log #{n}: {err}");
    }
    let (code, problems) = check(&book);
    assert_eq!(code, Some(0), "{problems:?}");
}

/// Audit finding: 70 lines of `- call back *urgent*` in a block scalar made check fail.
#[test]
fn stars_and_brackets_in_block_scalars_comments_and_quotes_are_text() {
    let book = TempBook::without_git();
    let mut text = String::from("name: Ann\nnotes: |\n");
    for _ in 0..70 {
        text.push_str("  - call back *urgent* [[[ {{ \n");
    }
    text.push_str("folded: >\n");
    for _ in 0..70 {
        text.push_str("  *more* [[\n");
    }
    for n in 0..70 {
        text.push_str(&format!("# comment {n}: *not an alias* [[[\n"));
        text.push_str(&format!("q{n}: \"*quoted* [[\" # *c*\n"));
        text.push_str(&format!("p{n}: plain *text* with [ brackets\n"));
    }
    text.push_str("interactions:\n  - date: 2025-03-01\n    kind: call\n    summary: '*a* [['\n");
    book.customer("ann", &text);
    let (code, problems) = check(&book);
    assert_eq!(code, Some(0), "{problems:?}");
    let (code, _, err) = run(&book, &["log", "ann", "call", "*still* fine [["]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        book.read_customer("ann").starts_with(&text),
        "nothing rewritten"
    );
}

// ---- finding 3: duplicate keys, anywhere, located ----------------------------------

/// Audit finding: `crm check` passed duplicate keys outside the typed fields, and
/// `crm log` then refused the file without a line or column and with a hint about
/// anchors. Now both refuse it at the second key.
#[test]
fn duplicate_keys_are_refused_alike_by_check_and_log_at_the_second_key() {
    for (text, at, key) in [
        ("name: A\npreferences:\n  a: 1\n  a: 2\n", "4:3", "a"),
        ("name: A\nnotes: x\nnotes: y\n", "3:1", "notes"),
        ("name: A\nextra:\n  k:\n    - {x: 1, x: 2}\n", "4:14", "x"),
        (
            "name: A\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: a\n    summary: b\n",
            "6:5",
            "summary",
        ),
        ("name: A\nName: b\n\"name\": c\n", "3:1", "name"),
    ] {
        let book = TempBook::without_git();
        book.customer("a", text);
        let expected = format!("customers/a.yaml:{at}: duplicate key `{key}`");
        let (code, problems) = check(&book);
        assert_eq!(code, Some(1), "{text}");
        assert!(
            problems.iter().any(|p| p.starts_with(&expected)),
            "{text}: {problems:?}"
        );
        let (code, _, err) = run(&book, &["log", "a", "note", "x"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(&expected), "{err}");
        assert!(err.contains("keep one of the two"), "{err}");
        assert!(!err.contains("anchors"), "{err}");
        assert_eq!(book.read_customer("a"), text, "nothing written");
    }
}

// ---- finding 4: amounts are exact decimals -----------------------------------------

fn purchase(amount: &str) -> String {
    format!("name: Buyer\ninteractions:\n  - date: 2025-03-01\n    kind: purchase\n    amount: {amount}\n")
}

/// Audit finding: `amount: 99999.999` passed check and showed as 100000.00 of revenue.
#[test]
fn a_third_decimal_is_refused_at_any_size() {
    for amount in ["99999.999", "10000.001", "5000.005", "0.001"] {
        let book = TempBook::without_git();
        book.customer("buyer", &purchase(amount));
        let (code, problems) = check(&book);
        assert_eq!(code, Some(1), "{amount}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(&format!(
                "customers/buyer.yaml:5:13: interactions[0].amount: \"{amount}\" has more than two decimal places"
            )),
            "{problems:?}"
        );
        let (code, _, err) = run(&book, &["show", "buyer"]);
        assert_eq!(
            code,
            Some(2),
            "{amount} is never rounded into a total: {err}"
        );
    }
}

#[test]
fn amounts_in_other_notations_are_refused_with_the_decimal_to_write() {
    for (amount, fix) in [
        ("0x10", "write it as 16.00"),
        ("0o17", "write it as 15.00"),
        ("1e2", "write it as 100.00"),
    ] {
        let book = TempBook::without_git();
        book.customer("buyer", &purchase(amount));
        let (code, problems) = check(&book);
        assert_eq!(code, Some(1), "{amount}");
        assert!(
            problems[0].starts_with("customers/buyer.yaml:5:13: interactions[0].amount:")
                && problems[0].contains(fix),
            "{problems:?}"
        );
    }
}

#[test]
fn plain_and_quoted_decimals_are_exact() {
    let book = TempBook::without_git();
    let mut text = String::from("name: Buyer\ninteractions:\n");
    for amount in ["129", "129.5", "129.00", "\"0.10\"", "99999.99"] {
        text.push_str(&format!(
            "  - date: 2025-03-01\n    kind: purchase\n    amount: {amount}\n"
        ));
    }
    book.customer("buyer", &text);
    let (code, problems) = check(&book);
    assert_eq!(code, Some(0), "{problems:?}");
    // 129 + 129.50 + 129.00 + 0.10 + 99999.99
    assert_eq!(card(&book, "buyer")["totals"]["revenue"], "100387.59");
}

// ---- finding 5: every problem of a file ----------------------------------------------

/// Audit finding: a file whose values failed to parse reported only its first problem.
#[test]
fn check_reports_every_problem_of_a_file() {
    let book = TempBook::without_git();
    book.customer(
        "many",
        "name: Many\n\
         since: 2024-13-01\n\
         interactions:\n\
         \x20 - date: 2025-01-01\n\
         \x20   kind: feedback\n\
         \x20   rating: 9\n\
         \x20 - date: 2025-01-02\n\
         \x20   kind: calll\n\
         \x20 - date: 2025-01-03\n\
         \x20   kind: purchase\n\
         \x20   amount: -5\n\
         \x20 - date: 2025-01-04\n\
         \x20   kind: purchase\n\
         \x20   amount: 1.005\n\
         \x20   items: {a: 1}\n\
         \x20 - kind: call\n",
    );
    let (code, problems) = check(&book);
    assert_eq!(code, Some(1));
    let at: Vec<&str> = problems
        .iter()
        .map(|p| p.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            "customers/many.yaml:2:8",
            "customers/many.yaml:6:5",
            "customers/many.yaml:8:5",
            "customers/many.yaml:11:5",
            "customers/many.yaml:14:13",
            "customers/many.yaml:15:12",
            "customers/many.yaml:16:5",
        ],
        "{problems:#?}"
    );
    assert!(problems[1].contains("rating 9"), "{problems:#?}");
    assert!(problems[2].contains("did you mean `call`"), "{problems:#?}");
    assert!(problems[3].contains("never negative"), "{problems:#?}");
    assert!(problems[6].contains("has no `date:`"), "{problems:#?}");
}

// ---- finding 6: errors at the value, naming the field, in plain words -----------------

#[test]
fn top_level_field_errors_point_at_the_value_and_name_the_field() {
    for (line, at, words) in [
        (
            "since: 2024-13-01",
            "2:8",
            "since: \"2024-13-01\" is not a date: there is no month 13",
        ),
        (
            "birthday: 2025-06-01T10:00:00",
            "2:11",
            "birthday: \"2025-06-01T10:00:00\" is not a date",
        ),
        (
            "follow_up: {every: 30x}",
            "2:20",
            "follow_up.every: \"30x\" is not a span",
        ),
        (
            "follow_up: [30d]",
            "2:12",
            "follow_up: expected a cadence such as `30d`",
        ),
        ("tags: {a: 1}", "2:7", "tags: expected a list of text"),
        (
            "preferences: [a, b]",
            "2:14",
            "preferences: expected a mapping of names to text",
        ),
        (
            "email: [a, b]",
            "2:8",
            "email: expected a piece of text, found a list",
        ),
    ] {
        let book = TempBook::without_git();
        book.customer("x", &format!("name: X\n{line}\n"));
        let (code, problems) = check(&book);
        assert_eq!(code, Some(1), "{line}");
        let expected = format!("customers/x.yaml:{at}: {words}");
        assert!(problems[0].starts_with(&expected), "{line}: {problems:?}");
        for leak in ["untagged", "enum", "OneOrMany", "Form", "invalid type"] {
            assert!(!problems[0].contains(leak), "{line}: {problems:?}");
        }
    }
}

#[test]
fn interaction_field_errors_point_at_the_value() {
    let book = TempBook::without_git();
    book.customer(
        "x",
        "name: X\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    items: {a: 1}\n",
    );
    let (_, problems) = check(&book);
    assert!(
        problems[0]
            .starts_with("customers/x.yaml:5:12: interactions[0].items: expected a list of text"),
        "{problems:?}"
    );
}

/// Audit finding: value errors in crm.toml were all reported at 1:1, and `list` showed
/// an absolute path where `check` showed a relative one.
#[test]
fn crm_toml_value_errors_point_at_the_value_with_the_same_path_everywhere() {
    let book = TempBook::new();
    let toml = book.read("crm.toml");
    let toml = toml.replace("# period = \"month\"", "period = \"week\"");
    book.write("crm.toml", &toml);
    let line = toml.lines().position(|l| l.starts_with("period")).unwrap() + 1;
    let expected = format!("crm.toml:{line}:10: stats.period: \"week\" is not a period");
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&expected), "{err}");
    let (code, _, err) = run(&book, &["list"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("error: {expected}")), "{err}");
    assert!(!err.contains(&book.root().display().to_string()), "{err}");
}

// ---- finding 7: text is read as written ----------------------------------------------

/// Audit finding: `phone: +4420` was read as the number 4420 and shown without its +.
#[test]
fn unquoted_text_that_yaml_reads_as_a_number_is_kept_and_reported() {
    let book = TempBook::without_git();
    book.customer(
        "x",
        "name: 1e3\nphone: +4420\ncompany: 0o17\nemail: x@example.com\ntags: [+1, vip]\npreferences:\n  size: 1.50\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: 1e3\n",
    );
    let card = card(&book, "x");
    assert_eq!(card["phone"], "+4420");
    assert_eq!(card["company"], "0o17");
    assert_eq!(card["name"], "1e3");
    let (code, problems) = check(&book);
    assert_eq!(code, Some(1));
    let expected = [
        "customers/x.yaml:1:7: name: YAML reads 1e3 as the number 1000",
        "customers/x.yaml:2:8: phone: YAML reads +4420 as the number 4420",
        "customers/x.yaml:3:10: company: YAML reads 0o17 as the number 15",
        "customers/x.yaml:5:8: tags: YAML reads +1 as the number 1",
        "customers/x.yaml:7:9: preferences.size: YAML reads 1.50 as the number 1.5",
        "customers/x.yaml:11:14: summary: YAML reads 1e3 as the number 1000",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, expected) in problems.iter().zip(expected) {
        assert!(problem.starts_with(expected), "{problem}");
    }
    assert!(
        problems[1].ends_with("quote it: phone: \"+4420\""),
        "{problems:?}"
    );
    // Other commands read the file as written, without complaint.
    let (code, _, err) = run(&book, &["list"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn numbers_that_read_back_as_written_need_no_quotes() {
    let book = TempBook::without_git();
    book.customer(
        "x",
        "name: X\nphone: 12345\ncompany: 3M\ntags: [2024, vip, 0123]\ninteractions:\n  - date: 2025-01-01\n    kind: feedback\n    rating: 4\n",
    );
    let (code, problems) = check(&book);
    assert_eq!(code, Some(0), "{problems:?}");
    assert_eq!(
        card(&book, "x")["tags"],
        serde_json::json!(["2024", "vip", "0123"])
    );
}

// ---- `crm check` and writes agree --------------------------------------------------

/// Every file `crm check` calls fine must take an appended interaction, and every file
/// that `crm log` cannot safely append to must be reported by `crm check`.
#[test]
fn check_reports_what_log_would_refuse() {
    for (line, refused) in [
        ("big: 99999999999999999999999", true),
        ("x: !!int abc", true),
        ("x: !!bool yes", true),
        ("x: !!null", true),
        ("x: !!int 0x10", false),
        ("x: !foo {a: 1}", false),
        // The appender finds `interactions` by the parser's events, so another
        // explicit key is no reason to refuse; `? interactions` itself is.
        ("? [a, b]\n: 1", false),
        ("? interactions\n: []", true),
        ("x: &a [1]\ny: *a", false),
        ("1: a\n1.0: b", false),
    ] {
        let book = TempBook::without_git();
        let text = format!("name: A\n{line}\n");
        book.customer("a", &text);
        let (check_code, problems) = check(&book);
        let (log_code, _, err) = run(&book, &["log", "a", "note", "hi"]);
        if refused {
            assert_eq!(check_code, Some(1), "{line}");
            assert!(
                problems[0].starts_with("customers/a.yaml:2:"),
                "{line}: {problems:?}"
            );
            assert_eq!(log_code, Some(2), "{line}: {err}");
            assert_eq!(book.read_customer("a"), text);
        } else {
            assert_eq!(check_code, Some(0), "{line}: {problems:?}");
            assert_eq!(log_code, Some(0), "{line}: {err}");
        }
    }
}

/// Review finding: an unclosed list and a quote inside '...' were both "check the
/// indentation", and an unclosed quote was reported at the end of the file. `crm check`
/// and the other commands point at where the list or quote opens and say what to write.
#[test]
fn syntax_errors_say_what_to_fix_where_it_opens() {
    for (text, at, says) in [
        (
            "name: A\ntags: [a, b\nemail: a@b\n",
            "customers/x.yaml:2:7: ",
            "close it with `]`",
        ),
        (
            "name: 'it's'\n",
            "customers/x.yaml:1:11: ",
            "write a quote as ''",
        ),
        (
            "name: A\nnotes: \"call back\nemail: a@b\n",
            "customers/x.yaml:2:8: ",
            "never closed",
        ),
        // Old-Mac line ends (a lone CR) are line breaks to YAML, so to the hints too.
        (
            "name: A\rnotes: 'it's'\r",
            "customers/x.yaml:2:12: ",
            "write a quote as ''",
        ),
    ] {
        let book = TempBook::without_git();
        book.customer("x", text);
        let (code, problems) = check(&book);
        assert_eq!(code, Some(1), "{text}");
        assert!(problems[0].starts_with(at), "{text}: {problems:?}");
        assert!(problems[0].contains(says), "{text}: {problems:?}");
        assert!(!problems[0].contains("indentation"), "{problems:?}");
        let (code, _, err) = run(&book, &["show", "x"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(at) && err.contains(says), "{err}");
    }
}

/// Review finding: the name and email rules of `crm add` and `crm import` were not
/// applied to hand-written files, so `crm check` passed `email: ada.example.com`.
#[test]
fn check_applies_the_name_and_email_rules_of_add() {
    let book = TempBook::without_git();
    book.customer(
        "a",
        "name: \"Ada\\nLovelace\"\nemail: ada.example.com\nphone: \"1\"\n",
    );
    let (code, problems) = check(&book);
    assert_eq!(code, Some(1), "{problems:?}");
    assert!(
        problems[0].starts_with("customers/a.yaml:1:7: the customer's name ")
            && problems[0].contains("line break"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("customers/a.yaml:2:8: email: "),
        "{problems:?}"
    );
    // Other commands still read the file.
    book.crm(&["show", "a"]).assert().success();
}
