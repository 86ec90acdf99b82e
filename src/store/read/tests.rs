use super::*;

fn first_problem(text: &str) -> Problem {
    let id = CustomerId::parse("x").unwrap();
    parse_customer(text.as_bytes(), "x", &id).unwrap_err()
}

/// Review finding: an unclosed list or quote and a quote inside '...' were all
/// "check the indentation", and an unclosed quote was reported at the end of the file.
#[test]
fn syntax_errors_point_at_what_to_fix() {
    let cases = [
        (
            "name: A\ntags: [a, b\nemail: x\n",
            (2, 7),
            "close it with `]`",
        ),
        ("name: A\ntags: [a, b\n", (2, 7), "close it with `]`"),
        (
            "name: A\nprefs: {a: b\nemail: x\n",
            (2, 8),
            "close it with `}`",
        ),
        (
            "name: A\ntags: [a, \"b\" c]\n",
            (2, 15),
            "expected `,` or `]` here",
        ),
        ("name: 'it's'\nemail: x\n", (1, 11), "write a quote as ''"),
        ("name: \"Ada\" Lovelace\n", (1, 13), "write a quote as \\\""),
        (
            "name: A\nnotes: \"call\nback\nemail: x\n",
            (2, 8),
            "the quote \" opened here is never closed",
        ),
        (
            "name: A\nnotes: 'call\n",
            (2, 8),
            "the quote ' opened here is never closed",
        ),
        (
            "name: A\n  email: x\n",
            (2, 8),
            "indented deeper than the key above",
        ),
        ("name: A\nemail: x: y\n", (2, 9), "put the value in quotes"),
        (
            "name: A\nnotes: \"a \\q\"\n",
            (2, 11),
            "write \\\\ for a backslash",
        ),
    ];
    for (text, (line, column), says) in cases {
        let problem = first_problem(text);
        assert_eq!(
            (problem.line, problem.column),
            (line, column),
            "{text:?}: {problem}"
        );
        assert!(problem.message.contains(says), "{text:?}: {problem}");
        assert!(
            !problem.message.contains("indentation") || says.contains("indented"),
            "{text:?}: {problem}"
        );
    }
}

/// Mangled customer files (a fixed pseudo-random sequence of edits) never make the
/// reader panic, and what the reader accepts, serde_yaml (which every append uses to
/// verify its result) accepts too.
#[test]
fn mangled_files_are_refused_or_read_consistently() {
    let seeds = crate::store::mangle::READER_SEEDS;
    let id = CustomerId::parse("x").unwrap();
    let known = |kind: &str| kind == "call";
    let mut mangler = crate::store::mangle::Mangler::new(
        0x2545_f491_4f6c_dd1d,
        crate::store::mangle::READER_ALPHABET,
    );
    let mut readable = 0;
    for _ in 0..2000 {
        let bytes = mangler.mangle(&seeds, 6);
        check_file(&bytes, "x", &id, &known, &["call".to_string()]);
        if let Ok(loaded) = parse_customer(&bytes, "x", &id) {
            readable += 1;
            let value = serde_yaml::from_str::<serde_yaml::Value>(loaded.text());
            assert!(value.is_ok(), "{value:?}\n{}", loaded.text());
        }
    }
    assert!(
        readable > 100,
        "the edits leave some files readable: {readable}"
    );
}
