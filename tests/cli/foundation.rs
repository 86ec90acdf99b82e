//! Black-box tests of the foundation: finding the book, init, add, show, list, check,
//! global flags, exit codes, and lossless writes.

use crate::common;

use common::{crm_command, stdout_of, TempBook};
use predicates::prelude::*;
use serde_json::Value;

const HAND_WRITTEN: &str = "\
# Ada: keep this comment.
name: Ada Lovelace   # trailing comment
email: ada@example.com
phone: '+44 20 7946 0000'   # single quotes stay single
tags: [vip, newsletter]     # flow list stays flow
account_manager: Grace      # unknown field, before interactions
preferences:
  coffee: oat flat white
follow_up:
  every: 30d
interactions:   # the log
  # first contact
  - date: 2025-03-01
    kind: call
    summary: Asked about the new model   # inline
    follow_up: 2025-03-15

  - date: 2025-03-03
    kind: purchase
    amount: 0
    items: [Model B]
# a comment at the end
notes: |
  free text after the list
  kept verbatim
";

#[test]
fn cli_definition_is_consistent() {
    use clap::CommandFactory;
    crm::cli::Cli::command().debug_assert();
}

#[test]
fn init_creates_a_book_with_a_first_commit_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "shop"])
        .assert()
        .success()
        .stdout(predicate::str::contains("created a crm book"));
    let root = dir.path().join("shop");
    assert!(root.join("crm.toml").is_file());
    assert!(root.join("customers").is_dir());
    // `.crm/` ignores itself (`.crm/.gitignore`); the book's own .gitignore is the user's.
    assert!(!root.join(".gitignore").exists());
    let repo = git2::Repository::open(&root).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.summary(), Some("start the crm book"));
    let before = std::fs::read_to_string(root.join("crm.toml")).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "shop"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already a crm book"));
    assert_eq!(
        std::fs::read_to_string(root.join("crm.toml")).unwrap(),
        before
    );
}

#[test]
fn init_inside_an_existing_repository_makes_no_new_repository() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "book"])
        .assert()
        .success();
    assert!(!dir.path().join("book/.git").exists());
}

#[test]
fn the_book_is_found_from_subfolders_with_c_and_with_crm_dir() {
    let book = TempBook::new();
    book.crm(&["add", "Ada Lovelace"]).assert().success();
    let sub = book.path("customers");
    crm_command()
        .current_dir(&sub)
        .args(["show", "ada-lovelace"])
        .assert()
        .success();
    let elsewhere = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(elsewhere.path())
        .arg("-C")
        .arg(book.root())
        .args(["show", "ada-lovelace"])
        .assert()
        .success();
    crm_command()
        .current_dir(elsewhere.path())
        .env("CRM_DIR", book.root())
        .args(["list", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ada-lovelace"));
}

#[test]
fn no_book_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .arg("list")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no crm book").and(predicate::str::contains("crm init")));
}

#[test]
fn add_writes_a_readable_file_quotes_risky_values_and_prints_the_id() {
    let book = TempBook::new();
    book.crm(&[
        "add",
        "Zoë O'Brien",
        "--email",
        "zoe@example.com",
        "--phone",
        "0123 456",
        "--tag",
        "vip",
        "--tag",
        "no",
        "--birthday",
        "1990-02-28",
        "--every",
        "30d",
        "--pref",
        "coffee=oat flat white",
        "--pref",
        "answer=yes",
        "--company",
        "12:30 Ltd",
    ])
    .assert()
    .success()
    .stdout("zoe-obrien\n");
    let text = book.read_customer("zoe-obrien");
    assert!(text.contains("phone: \"0123 456\""), "{text}");
    assert!(text.contains("tags: [vip, \"no\"]"), "{text}");
    assert!(text.contains("answer: \"yes\""), "{text}");
    assert!(text.contains("company: \"12:30 Ltd\""), "{text}");
    assert!(
        text.contains("since: 2025-06-15"),
        "since defaults to today: {text}"
    );
    let json: Value = serde_json::from_str(&stdout_of(book.crm(&[
        "show",
        "zoe-obrien",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json["name"], "Zoë O'Brien");
    assert_eq!(json["tags"][1], "no");
    assert_eq!(json["phone"], "0123 456");
    assert_eq!(json["preferences"]["answer"], "yes");
    assert_eq!(json["follow_up"]["every"], "30d");
}

#[test]
fn add_refuses_duplicates_and_bad_ids() {
    let book = TempBook::new();
    book.crm(&["add", "Ada Lovelace"]).assert().success();
    book.crm(&["add", "Ada Lovelace"]).assert().code(2).stderr(
        predicate::str::contains("already exists")
            .and(predicate::str::contains("--id ada-lovelace-2")),
    );
    for bad in ["../x", "/etc/passwd", "a/b", "Ada", "\u{430}da"] {
        book.crm(&["add", "Someone", "--id", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("id"));
    }
    book.crm(&["add", "!!!"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--id"));
    assert_eq!(
        std::fs::read_dir(book.path("customers")).unwrap().count(),
        2,
        "only .gitkeep and ada"
    );
}

#[test]
fn show_reads_only_its_own_file_and_suggests_close_ids() {
    let book = TempBook::new();
    book.customer("ada-lovelace", HAND_WRITTEN);
    book.customer("broken", "name: [unclosed\n");
    let card = stdout_of(book.crm(&["show", "ada-lovelace"]));
    assert!(card.contains("Ada Lovelace  (ada-lovelace)"), "{card}");
    assert!(card.contains("coffee  oat flat white"), "{card}");
    assert!(card.contains("purchases     1"), "{card}");
    assert!(card.contains("revenue       0.00"), "{card}");
    assert_eq!(
        stdout_of(book.crm(&["show", "ada-lovelace", "--format", "yaml"])),
        HAND_WRITTEN
    );
    book.crm(&["show", "ada-lovelac"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `ada-lovelace`"));
}

#[test]
fn list_filters_sorts_and_prints_every_format() {
    let book = TempBook::new();
    book.customer("a", "name: Zed\ntags: [vip]\ninteractions:\n  - {date: 2025-01-01, kind: purchase, amount: 10}\n");
    book.customer("b", "name: Amy\ntags: [vip, trade]\ninteractions:\n  - {date: 2025-05-01, kind: purchase, amount: 99.99}\n");
    book.customer("c", "name: Bob\n");
    let names = |args: &[&str]| -> Vec<String> {
        let json: Value = serde_json::from_str(&stdout_of(book.crm(args))).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["list", "--format", "json"]), ["b", "c", "a"]);
    assert_eq!(
        names(&["list", "--format", "json", "--sort", "revenue"]),
        ["b", "a", "c"]
    );
    assert_eq!(
        names(&["list", "--format", "json", "--sort", "last-contact"]),
        ["c", "a", "b"]
    );
    assert_eq!(
        names(&["list", "--format", "json", "--tag", "vip", "--tag", "TRADE"]),
        ["b"]
    );
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["list", "--format", "json"]))).unwrap();
    assert_eq!(json[0]["revenue"], "99.99");
    let csv = stdout_of(book.crm(&["list", "--format", "csv"]));
    assert!(
        csv.starts_with(
            "id,name,email,phone,company,tags,last_contact,next_follow_up,purchases,revenue\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("b,Amy,,,,vip;trade,2025-05-01,,1,99.99\n"),
        "{csv}"
    );
    let table = stdout_of(book.crm(&["list"]));
    assert!(!table.contains('\u{1b}'), "no colour when piped: {table:?}");
    assert!(!table.contains('│'), "no box drawing when piped: {table:?}");
    assert!(
        table.lines().nth(1).unwrap().starts_with("b   Amy"),
        "{table}"
    );
}

#[test]
fn list_skips_malformed_files_with_a_warning_and_exit_3() {
    let book = TempBook::new();
    book.customer("good", "name: Good\n");
    book.customer(
        "bad",
        "name: Bad\ninteractions:\n  - date: 31/02/2025\n    kind: call\n",
    );
    book.crm(&["list", "--format", "csv"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("good,Good"))
        .stderr(
            predicate::str::contains("customers/bad.yaml:3:")
                .and(predicate::str::contains("skipped 1")),
        );
}

#[test]
fn check_reports_path_line_column_and_exits_1() {
    let book = TempBook::new();
    book.customer("good", "name: Good\n");
    book.customer(
        "bad",
        "name: Bad\ninteractions:\n  - date: 2025-01-01\n    kind: purchase\n    amount: lots\n",
    );
    book.customer(
        "rules",
        "name: Rules\ninteractions:\n  - date: 2025-01-01\n    kind: purchas\n  - date: 2025-01-02\n    kind: call\n    rating: 9\n  - date: 2025-01-03\n    kind: refund\n",
    );
    book.write("customers/typo.yml", "name: X\n");
    book.write("customers/old/kept.yaml", "name: X\n");
    book.write("customers/notes/readme.txt", "not a customer\n");
    let out = book.crm(&["check"]).assert().code(1).get_output().clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .contains("customers/bad.yaml:5:13: interactions[0].amount: \"lots\" is not an amount"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "customers/rules.yaml:4:5: unknown kind \"purchas\"; did you mean `purchase`?"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("customers/rules.yaml:7:5: rating 9 is not a whole number from 1 to 5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("customers/rules.yaml:7:5: a rating belongs to a feedback, not a call"),
        "{stderr}"
    );
    assert!(
        stderr.contains("customers/rules.yaml:9:5: a refund needs an amount"),
        "{stderr}"
    );
    assert!(
        stderr.contains("customers/typo.yml:1:1: is ignored"),
        "{stderr}"
    );
    book.customer("bad", "name: Fixed\n")
        .customer("rules", "name: Fine\n");
    std::fs::remove_file(book.path("customers/typo.yml")).unwrap();
    std::fs::remove_dir_all(book.path("customers/old")).unwrap();
    book.crm(&["check"])
        .assert()
        .success()
        .stderr(predicate::str::contains("no problems"));
}

#[test]
fn check_reports_a_broken_crm_toml_and_still_checks_customers() {
    let book = TempBook::new();
    book.write("crm.toml", "[due]\nwithin = \"7d\"\nbirthday = true\n");
    book.customer("bad", "name: [\n");
    book.crm(&["check"]).assert().code(1).stderr(
        predicate::str::contains("crm.toml:3:1: unknown field `birthday`")
            .and(predicate::str::contains("customers/bad.yaml:")),
    );
    book.crm(&["list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("crm.toml:3:1"));
}

#[test]
fn appending_keeps_every_byte_a_person_wrote() {
    let book = TempBook::new();
    book.customer("ada-lovelace", HAND_WRITTEN);
    book.crm(&["log", "ada-lovelace", "call", "no", "--date", "2025-06-01"])
        .assert()
        .success();
    let after = book.read_customer("ada-lovelace");
    let expected = HAND_WRITTEN.replace(
        "    items: [Model B]\n",
        "    items: [Model B]\n  - date: 2025-06-01\n    kind: call\n    summary: \"no\"\n",
    );
    assert_eq!(after, expected);
    book.crm(&["check"]).assert().success();
}

#[test]
fn today_and_color_flags() {
    let book = TempBook::new();
    book.customer(
        "a",
        "name: A\ninteractions:\n  - {date: 2025-01-01, kind: call, follow_up: 2025-01-10}\n",
    );
    let out = stdout_of(book.crm(&["--today", "2025-01-05", "due"]));
    assert!(out.contains("due in 5 days"), "{out}");
    let out = stdout_of(book.crm(&["due"]).env("CRM_TODAY", "2025-01-12"));
    assert!(out.contains("overdue by 2 days"), "{out}");
    book.crm(&["--today", "someday", "due"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--today"));
    let coloured = stdout_of(
        book.crm(&["--color", "always", "show", "a"])
            .env("NO_COLOR", "1"),
    );
    assert!(coloured.contains('\u{1b}'), "the flag wins over NO_COLOR");
    let plain = stdout_of(book.crm(&["--color", "auto", "show", "a"]));
    assert!(!plain.contains('\u{1b}'), "auto means no colour in a pipe");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let book = TempBook::new();
    book.crm(&["list", "--sort", "colour"]).assert().code(2);
    book.crm(&["frobnicate"]).assert().code(2);
    book.crm(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let book = TempBook::new();
    for n in 0..300 {
        book.customer(&format!("c{n}"), &format!("name: Customer {n}\n"));
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crm"))
        .current_dir(book.root())
        .args(["list", "--format", "csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.code() == Some(0), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn completions_need_no_book() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("_clap_complete_crm()")
                .and(predicate::str::contains("COMPLETE=\"bash\"")),
        );
}

/// On a terminal (a pty made by `script`, where available) tables are boxed and
/// coloured; `NO_COLOR` turns the colour off.
#[test]
fn tables_are_boxed_and_coloured_on_a_terminal() {
    // A test that cannot run fails rather than passing unseen.
    assert!(
        std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_ok(),
        "this test needs util-linux `script` to give crm a terminal"
    );
    let book = TempBook::new();
    book.customer("a", "name: Amy\n");
    let bin = assert_cmd::cargo::cargo_bin("crm");
    let run = |no_color: bool| {
        let cmd = crm_command();
        let inner = format!("stty cols 120; {} list", bin.display());
        let mut script = std::process::Command::new("script");
        script
            .current_dir(book.root())
            .args(["-qec", &inner, "/dev/null"]);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => script.env(key, v),
                None => script.env_remove(key),
            };
        }
        if no_color {
            script.env("NO_COLOR", "1");
        }
        String::from_utf8(script.output().unwrap().stdout).unwrap()
    };
    let coloured = run(false);
    assert!(
        coloured.contains('│') && coloured.contains("Amy"),
        "{coloured}"
    );
    assert!(coloured.contains("\u{1b}[1m"), "{coloured:?}");
    let plain = run(true);
    assert!(
        plain.contains('│') && !plain.contains("\u{1b}[1m"),
        "{plain:?}"
    );
}

/// Review finding: text from a customer file reached the terminal unescaped, so a name
/// could carry escape sequences that recolour or retitle the terminal.
#[test]
fn escape_sequences_in_files_never_reach_the_terminal() {
    let book = TempBook::new();
    book.customer(
        "evil",
        "name: \"Evil\\e[31mRED\\e]0;title\\a\"\npreferences:\n  \"k\\e[2J\": \"v\\u202Eright-to-left\"\n",
    );
    // CSV and JSON are data for programs and keep the text as written.
    for args in [&["list"][..], &["show", "evil"], &["due", "--within", "1y"]] {
        let out = stdout_of(book.crm(args));
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
        assert!(!out.contains('\u{202e}'), "{args:?}: {out:?}");
    }
    let json = stdout_of(book.crm(&["show", "evil", "--format", "json"]));
    assert!(
        json.contains("\\u001b"),
        "JSON keeps the data, escaped: {json}"
    );
}

/// Review finding: a block-scalar summary whose last line starts with `#` made crm
/// insert the new entry inside the scalar (caught by the re-parse, so the append was
/// refused); and a comment closing the last entry ended up under the new one.
#[test]
fn appends_after_block_scalars_and_comments_that_close_the_last_entry() {
    let book = TempBook::new();
    let text = "name: Ada\ninteractions:\n  - date: 2025-03-01\n    kind: note\n    summary: |\n      see ticket\n      #1234 ticket\n  - date: 2025-03-02\n    kind: call\n    # about this call\n";
    book.customer("ada", text);
    book.crm(&["log", "ada", "email", "--date", "2025-04-01"])
        .assert()
        .success();
    assert_eq!(
        book.read_customer("ada"),
        format!("{text}  - date: 2025-04-01\n    kind: email\n")
    );
    let text = "name: Bob\ninteractions:\n  - date: 2025-03-01\n    kind: note\n    summary: |\n      see ticket\n      #1234 ticket\n";
    book.customer("bob", text);
    book.crm(&["log", "bob", "email", "--date", "2025-04-01"])
        .assert()
        .success();
    assert_eq!(
        book.read_customer("bob"),
        format!("{text}  - date: 2025-04-01\n    kind: email\n")
    );
}

/// Review finding: a mistyped year (`0205` for `2025`) passed `crm check`.
#[test]
fn check_flags_implausibly_old_dates() {
    let book = TempBook::new();
    book.customer(
        "typo",
        "name: Typo\ninteractions:\n  - date: 0205-06-01\n    kind: call\n",
    );
    book.crm(&["check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "customers/typo.yaml:3:5: date 0205-06-01 is before 1900",
        ));
}

/// Audit findings on `crm add`: a repeated `--pref` key wrote a duplicate YAML key, a
/// name with a line break was taken, `a@b@c` passed as an email, a birthday in the
/// future was taken, and some refusals had no hint.
#[test]
fn add_refuses_what_would_make_a_bad_file_with_a_hint() {
    let book = TempBook::new();
    let refused: [(&[&str], &str); 9] = [
        (
            &["add", "P", "--pref", "a=1", "--pref", " a =2"],
            "--pref key \"a\" is given more than once",
        ),
        (&["add", "Ada\nLovelace"], "contains a line break"),
        (
            &["add", "Ada\u{7}"],
            "contains the control character U+0007",
        ),
        (&["add", "   "], "the customer's name is empty"),
        (&["add", "Q", "--pref", "=x"], "has an empty key"),
        (&["add", "E", "--email", "a@b@c"], "exactly one `@`"),
        (&["add", "E", "--email", "@example.com"], "exactly one `@`"),
        (&["add", "E", "--email", "ada@"], "exactly one `@`"),
        (
            &["add", "F", "--birthday", "2030-01-01"],
            "--birthday 2030-01-01 is in the future",
        ),
    ];
    for (args, message) in refused {
        book.crm(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(message).and(predicate::str::contains("\nhint: ")));
    }
    assert_eq!(
        std::fs::read_dir(book.path("customers")).unwrap().count(),
        1,
        "only .gitkeep"
    );
    book.crm(&[
        "add",
        "Ada",
        "--email",
        "ada@example.com",
        "--pref",
        "a=1",
        "--pref",
        "b=2",
        "--birthday",
        "today",
    ])
    .assert()
    .success()
    .stdout("ada\n");
    book.crm(&["check"]).assert().success();
}

/// Review finding: `crm edit --new` only refused an empty name; a name with a line
/// break went into the template. It now applies the rule `crm add` applies, before the
/// editor is started.
#[test]
fn edit_new_checks_the_name_like_add() {
    let book = TempBook::new();
    for (name, message) in [
        ("Ada\nLovelace", "contains a line break"),
        ("Ada\u{7}", "contains the control character U+0007"),
        ("  ", "the customer's name is empty"),
    ] {
        book.crm(&["edit", "--new", name])
            .env_remove("VISUAL")
            .env("EDITOR", "false")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    assert_eq!(
        std::fs::read_dir(book.path("customers")).unwrap().count(),
        1,
        "only .gitkeep"
    );
}

/// Regression: `--birthday 1815-12-10` (the format's own example) was refused as a
/// typo by a year rule meant for interaction dates.
#[test]
fn add_takes_a_historical_birthday() {
    let book = TempBook::new();
    book.crm(&["add", "Ada Lovelace", "--birthday", "1815-12-10"])
        .assert()
        .success();
    assert!(book
        .read_customer("ada-lovelace")
        .contains("birthday: 1815-12-10"));
    book.crm(&["check"]).assert().success();
}

/// Acceptance finding: `crm check` reported only the first bad setting of crm.toml,
/// and with it gone, kinds the book declares were reported as unknown in customers.
#[test]
fn check_reports_every_bad_setting_and_keeps_the_good_ones() {
    let book = TempBook::new();
    book.write(
        "crm.toml",
        "[due]\nwithin = \"7x\"\n\n[stats]\nperiod = \"week\"\n\n[interactions]\nkinds = [\"tasting\"]\n",
    );
    book.customer(
        "ada",
        "name: Ada\ninteractions:\n  - date: 2025-03-01\n    kind: tasting\n",
    );
    let output = book.crm(&["check"]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("crm.toml:2:10: due.within"), "{err}");
    assert!(err.contains("crm.toml:5:10: stats.period"), "{err}");
    assert!(!err.contains("tasting"), "{err}");
}
