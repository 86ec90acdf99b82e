//! The fast producer's rule, tested: whenever it accepts a text, its events and marks
//! are exactly libyaml's. The corpus is every text the property tests mangle (their
//! seeds, alphabets and counts), the same mangling applied to files in the subset,
//! random texts assembled from tricky lines, hand-picked cases, and crm's own writer.

use super::*;
use crate::store::mangle::{
    Mangler, APPENDER_ALPHABET, APPENDER_SEEDS, MERGE_SEEDS, READER_ALPHABET, READER_SEEDS,
    REGION_SEEDS,
};
use crate::yaml::libyaml::{Parser, SyntaxError};

fn libyaml(text: &str) -> Result<Vec<Item>, SyntaxError> {
    let mut parser = Parser::new(text);
    let mut out = Vec::new();
    while let Some(next) = parser.next_event() {
        out.push(next?);
    }
    Ok(out)
}

/// Runs both producers on `text`; panics when the fast one accepts and disagrees.
/// Returns whether it accepted.
fn agrees(text: &str) -> bool {
    let Some(fast) = events(text) else {
        return false;
    };
    match libyaml(text) {
        Ok(slow) => {
            if fast != slow {
                let at = fast
                    .iter()
                    .zip(&slow)
                    .position(|(a, b)| a != b)
                    .unwrap_or(fast.len().min(slow.len()));
                panic!(
                    "the fast path disagrees with libyaml on {text:?} at event {at}:\nfast: {:?}\nlibyaml: {:?}",
                    fast.get(at),
                    slow.get(at)
                );
            }
        }
        Err(err) => panic!("the fast path accepts {text:?}, which libyaml refuses: {err:?}"),
    }
    true
}

/// Mangles `seeds` `rounds` times and checks every result; returns how many the fast
/// path accepted.
fn mangled(seeds: &[&str], seed: u64, alphabet: &'static [u8], rounds: usize, edits: u64) -> usize {
    let mut mangler = Mangler::new(seed, alphabet);
    let mut accepted = 0;
    for seed_text in seeds {
        accepted += usize::from(agrees(seed_text));
    }
    for _ in 0..rounds {
        let bytes = mangler.mangle(seeds, edits);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            accepted += usize::from(agrees(text));
        }
    }
    accepted
}

const CUSTOMER: &str = "# met at the spring fair\nname: Ada Berg\nemail: ada.berg@example.com\nphone: \"+44 20 8012 5457\"\ntags: [vip, \"no\", wholesale]\nbirthday: --03-01\nsince: 2022-10-23\npreferences:\n  delivery: leave at door\n  language: Français\nfollow_up:\n  every: 6m\ninteractions:\n  - date: 2022-11-03\n    kind: purchase\n    amount: 203.00\n    items: [workshop seat]\n  # prefers to be called by first name\n  - date: 2022-12-27\n    kind: message\n    summary: thanks for the visit\n    follow_up: 2023-01-12\n";
const INDENTLESS: &str = "name: \"Anita O'Neil\"\ntags: []\nprefs: {}\ninteractions:\n- date: 2025-03-01\n  kind: call\n  summary: 'left a message'\n- date: 2025-03-02\n  kind: refund\n  amount: -5.00\nnotes:\nlast: x";
const NESTED: &str = "a:\n  b:\n    - x\n    - y: 1\n      z:\n    -  w\n  c: [p, 'q', \"r s\"]\nd:\n- e\n-   f: g\n    h: i\n\n# end\n";

/// The property tests' own seeds and alphabets (src/yaml/edit/tests.rs,
/// src/store/read/tests.rs, src/store/merge/tests.rs), same seeds and counts.
#[test]
fn the_property_tests_texts_agree() {
    let mut accepted = mangled(
        &APPENDER_SEEDS,
        0x9e37_79b9_7f4a_7c15,
        APPENDER_ALPHABET,
        20_000,
        8,
    );
    accepted += mangled(
        &REGION_SEEDS,
        0x2545_f491_4f6c_dd1d,
        APPENDER_ALPHABET,
        6_000,
        6,
    );
    accepted += mangled(
        &READER_SEEDS,
        0x2545_f491_4f6c_dd1d,
        READER_ALPHABET,
        2_000,
        6,
    );
    accepted += mangled(
        &MERGE_SEEDS,
        0x2545_f491_4f6c_dd1d,
        APPENDER_ALPHABET,
        3_000,
        6,
    );
    // Their seeds are mostly outside the subset on purpose; some mangles fall inside.
    assert!(accepted > 100, "{accepted} accepted");
}

/// The same mangling applied to files in the subset, so that most edits land on the
/// border of what the fast path accepts.
#[test]
fn mangled_plain_files_agree() {
    const WORDS: &[u8] = b"  \n\n-:# aZ0.'\"[]";
    let crlf = [CUSTOMER, NESTED].map(|text| text.replace('\n', "\r\n"));
    let seeds = [CUSTOMER, INDENTLESS, NESTED, &crlf[0], &crlf[1]];
    let mut accepted = 0;
    for (n, alphabet) in [APPENDER_ALPHABET, READER_ALPHABET, WORDS]
        .into_iter()
        .enumerate()
    {
        for edits in [1, 3, 8] {
            accepted += mangled(
                &seeds,
                0x9e37_79b9_7f4a_7c15 + n as u64 + edits,
                alphabet,
                20_000,
                edits,
            );
        }
    }
    assert!(accepted > 20_000, "{accepted} accepted");
}

/// Random texts put together from lines a person might write, at random indentation.
#[test]
fn assembled_texts_agree() {
    let values = [
        "x",
        "no",
        "1e3",
        "-5",
        "--03-01",
        "-.5",
        "a: b",
        "x #y",
        "x#y",
        "é",
        "Zoë Spärck",
        "\"q\"",
        "'q'",
        "\"\"",
        "''",
        "\" a \"",
        "'it''s'",
        "\"a\\\"b\"",
        "x ",
        "a  b",
        "a:",
        "a:b",
        "[]",
        "{}",
        "[a, b]",
        "[a,b]",
        "[ a ]",
        "[\"x\", 'y', z w]",
        "[a, ]",
        "[a: b]",
        "[a",
        "{a: b}",
        "~",
        "",
        "&a x",
        "*a",
        "!!str x",
        "|",
        ">",
        "? x",
        "%x",
        "@x",
        "`x",
        "#c",
        "a]",
        "a}",
        "a, b",
        "- x",
        "-x",
        "\u{a0}x",
        "x\u{a0}",
        "2025-03-01",
        "12:30",
        "+44 20",
        "a - b",
        "a ? b",
        "a ! b",
        "http://x.y/z",
        "a'b",
        "a\"b",
        "[a#b]",
        "[-a]",
        "[--]",
        "{}x",
        "[] x",
        "\"x\" y",
        "'x'#c",
        "x # c",
        "x  #c",
        "'q' # c",
        "\"q\"#c",
        "[a] # c",
        "[a]# c",
        "{} # c",
        "a:  # c",
    ];
    let keys = ["name", "a", "b_c", "tags", "x-y", "no", "\"q\"", "1", "é"];
    let indents = ["", " ", "  ", "   ", "    ", "      "];
    let mut rng = Mangler::new(0x1234_5678_9abc_def1, b"x");
    let mut pick = |n: usize| (rng.next() % n as u64) as usize;
    let mut accepted = 0;
    for _ in 0..60_000 {
        let mut text = String::new();
        for _ in 0..1 + pick(8) {
            text.push_str(indents[pick(indents.len())]);
            match pick(9) {
                0 | 1 => {
                    text.push_str(keys[pick(keys.len())]);
                    text.push_str(": ");
                    text.push_str(values[pick(values.len())]);
                }
                2 | 3 => {
                    text.push_str(keys[pick(keys.len())]);
                    text.push(':');
                }
                4 => {
                    text.push_str("- ");
                    text.push_str(values[pick(values.len())]);
                }
                5 => {
                    text.push_str("- ");
                    text.push_str(keys[pick(keys.len())]);
                    text.push(':');
                    if pick(2) == 0 {
                        text.push(' ');
                        text.push_str(values[pick(values.len())]);
                    }
                }
                6 => text.push_str(["# c", "#", "- - x", "-", "---", "...", "- # c"][pick(7)]),
                _ => {}
            }
            text.push_str(["\n", "\n", "\n", "\n\n", " \n", "\r\n"][pick(6)]);
        }
        if pick(4) == 0 {
            text.pop();
        }
        accepted += usize::from(agrees(&text));
    }
    assert!(accepted > 2_000, "{accepted} accepted");
}

#[test]
fn hand_picked_cases_agree() {
    let accepted = [
        "a: b\n",
        "a: b",
        "a:\n",
        "a:",
        "a:\nb: c\n",
        "a:\n  b: c\n",
        "a:\n- b\n- c\nd: e\n",
        "a:\n  - b\n  - c\nd: e\n",
        "- a\n- b\n",
        "- a: b\n  c: d\n- e\n",
        "a:\n  b:\n  - c\n",
        "a:\n  b:\n    c:\n",
        "a: no\nb: 1e3\nc: -5\nd: é\ne: \"q\"\nf: 'q'\n",
        "# top\n\na: b # not a comment?\n",
        "# top\na: b\n  # indented\nc: d\n# end",
        "a:\n# between\n  b: c\n",
        "a:\n  - b\n  # in\n  - c\n",
        "  a: b\n  c: d\n",
        "a: [x, y]\nb: []\nc: {}\n",
        "a: Zoë Spärck Jones\nb: x\n",
        "a: b\r\nc:\r\n- d # e\r\n  f: [g, 'h']\r\n\r\n# i\r\nj: k",
        "a: x #y\nb: 'q'  # c\nc: [a] # d\nd: {} #\ne:   # empty\n  f: g # h\n",
        "a: x #y\n- b # c\n",
        "a: [Zoë, Spärck]\n",
        CUSTOMER,
        INDENTLESS,
        NESTED,
    ]
    .iter()
    .filter(|text| agrees(text))
    .count();
    assert!(accepted >= 20, "{accepted}");
    for declined in [
        "a: b \n",
        "a:\tb\n",
        "a: b\r",
        "a: b\n  c\n",
        "a: a: b\n",
        "\u{feff}a: b\n",
        "a: |\n  x\n",
        "--- \na: b\n",
        "a: &x b\n",
        "a: \"x\\ty\"\n",
        "- - a\n",
        "-\n",
        "",
        "# only\n",
        "a: b\n- c\n",
    ] {
        agrees(declined);
        assert!(events(declined).is_none(), "{declined:?}");
    }
}

/// crm's own writer: a new customer with every field, then every kind of interaction
/// appended as `crm log` appends them (amounts, items, multi-word summaries). The
/// fast path must take all of them, or its gain never applies.
#[test]
fn crms_own_files_take_the_fast_path() {
    use crate::domain::birthday::Birthday;
    use crate::domain::customer::NewCustomer;
    use crate::domain::date::Cadence;
    use crate::domain::interaction::{Interaction, Kind};
    use crate::domain::money::Money;
    use crate::store::customer_text::{interaction_fields, new_customer_file};
    let date = |d: u32| chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
    let people = [
        (
            "Ada Lovelace",
            "ada@example.com",
            "+44 20 7946 0000",
            "Kettle & Co",
        ),
        ("Anita O'Neil", "a.o@example.com", "0123", "Babbage Ltd"),
        ("Zoë Spärck Jones", "z@example.com", "12:30", "no"),
    ];
    for (n, (name, email, phone, company)) in people.into_iter().enumerate() {
        let customer = NewCustomer {
            name: name.into(),
            email: Some(email.into()),
            phone: Some(phone.into()),
            company: Some(company.into()),
            tags: vec!["vip".into(), "no".into(), "two words".into(), "a, b".into()],
            birthday: Some(if n == 0 {
                Birthday::full(date(1))
            } else {
                Birthday::parse("--03-01").unwrap()
            }),
            since: Some(date(2)),
            every: Some(Cadence::parse("30d").unwrap()),
            preferences: vec![
                ("coffee".into(), "black, no sugar".into()),
                ("language".into(), "Français".into()),
            ],
        };
        let newline = if n == 2 { "\r\n" } else { "\n" };
        let mut text = new_customer_file(&customer, newline);
        assert!(agrees(&text), "a new file takes the fast path:\n{text}");
        // Every built-in kind, and one a book adds in its crm.toml.
        let kinds: Vec<&str> = crate::domain::interaction::BUILTIN_KINDS
            .into_iter()
            .chain(["visit"])
            .collect();
        for (d, kind) in kinds.iter().enumerate() {
            let mut entry = Interaction::new(date(3 + d as u32), Kind::from_name(kind));
            entry.summary =
                Some(["walked through the order", "no", "it's done: all of it"][d % 3].into());
            if matches!(*kind, "purchase" | "refund") {
                entry.amount = Some(Money::from_cents(if *kind == "refund" {
                    -550
                } else {
                    12_999
                }));
                entry.items = vec!["workshop seat".into(), "mug".into()];
                entry.channel = Some("shop".into());
            }
            if *kind == "feedback" {
                entry.rating = Some(4);
                entry.nps = Some(9);
            }
            entry.points = (d % 2 == 0).then_some(10);
            entry.follow_up = Some(date(20));
            entry.import = (d == 1).then(|| "shopify:1001".into());
            let doc = super::super::tree::parse(&text).unwrap();
            let plan = super::super::edit::plan(&text, &doc, "interactions").unwrap();
            text = plan.apply(&text, &[interaction_fields(&entry)]);
            assert!(
                agrees(&text),
                "an appended file takes the fast path:\n{text}"
            );
        }
    }
}
