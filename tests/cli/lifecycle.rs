//! The customer lifecycle: `crm set`, `unset` and `tag` (lossless, checked by byte
//! comparison), and what follows a customer after `crm add`.

use crate::common;

use common::{stdout_of, TempBook};
use git2::Repository;

/// A file as a person writes it: comments, odd quoting, an unknown field, a block
/// list and CRLF nowhere (see the CRLF test).
const ADA: &str = "# Met at the 2024 fair.\nname: Ada Lovelace # the Countess\nemail: \"ada@old.example\"   # work\ntags: [vip, trial]  # why: big orders\nloyalty_card: 'A-17'\npreferences:\n  tea: green # always\ninteractions:\n  - date: 2025-03-01\n    kind: call\n";

fn book_with_ada() -> TempBook {
    let book = TempBook::new();
    book.customer("ada", ADA);
    book.crm(&["commit", "-m", "ada by hand"])
        .assert()
        .success();
    book
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn head_summary(book: &TempBook) -> String {
    let repo = Repository::discover(book.root()).unwrap();
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    commit.summary().unwrap_or("").to_string()
}

fn commit_count(book: &TempBook) -> usize {
    let repo = Repository::discover(book.root()).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.count()
}

#[test]
fn set_rewrites_only_the_value_keeping_quotes_and_comments() {
    let book = book_with_ada();
    let out = stdout_of(book.crm(&["set", "ada", "email", "ada@new.example"]));
    assert_eq!(
        out,
        "email of ada changed from ada@old.example to ada@new.example\n"
    );
    assert_eq!(
        book.read_customer("ada"),
        ADA.replace("\"ada@old.example\"", "\"ada@new.example\"")
    );
    stdout_of(book.crm(&["set", "ada", "loyalty_card", "B-2"]));
    stdout_of(book.crm(&["set", "ada", "pref.tea", "rooibos"]));
    assert_eq!(
        book.read_customer("ada"),
        ADA.replace("\"ada@old.example\"", "\"ada@new.example\"")
            .replace("'A-17'", "'B-2'")
            .replace("tea: green", "tea: rooibos")
    );
}

#[test]
fn set_adds_a_missing_field_in_the_documented_place() {
    let book = book_with_ada();
    stdout_of(book.crm(&["set", "ada", "phone", "+44 20 7946 0000"]));
    stdout_of(book.crm(&["set", "ada", "birthday", "1815-12-10"]));
    stdout_of(book.crm(&["set", "ada", "every", "30d"]));
    stdout_of(book.crm(&["set", "ada", "pref.coffee", "oat flat white"]));
    let expected = ADA
        .replace("   # work\n", "   # work\nphone: \"+44 20 7946 0000\"\n")
        .replace(
            "  # why: big orders\n",
            "  # why: big orders\nbirthday: 1815-12-10\n",
        )
        .replace(
            "  tea: green # always\n",
            "  tea: green # always\n  coffee: oat flat white\nfollow_up:\n  every: 30d\n",
        );
    assert_eq!(book.read_customer("ada"), expected);
    let card = stdout_of(book.crm(&["show", "ada", "--format", "json"]));
    let card: serde_json::Value = serde_json::from_str(&card).unwrap();
    assert_eq!(card["phone"], "+44 20 7946 0000");
    assert_eq!(card["birthday"], "1815-12-10");
    book.crm(&["check"]).assert().success();
}

#[test]
fn unset_takes_out_the_lines_of_the_field_only() {
    let book = book_with_ada();
    let out = stdout_of(book.crm(&["unset", "ada", "email"]));
    assert_eq!(out, "email of ada taken out (was ada@old.example)\n");
    stdout_of(book.crm(&["unset", "ada", "pref.tea"]));
    assert_eq!(
        book.read_customer("ada"),
        ADA.replace("email: \"ada@old.example\"   # work\n", "")
            .replace("preferences:\n  tea: green # always\n", "")
    );
    let again = stdout_of(book.crm(&["unset", "ada", "email"]));
    assert_eq!(again, "ada has no email; nothing changed\n");
}

#[test]
fn setting_the_value_it_has_writes_nothing() {
    let book = book_with_ada();
    let out = stdout_of(book.crm(&["set", "ada", "email", "ada@old.example", "--commit"]));
    assert_eq!(
        out,
        "email of ada is already ada@old.example; nothing changed\n"
    );
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(head_summary(&book), "ada by hand");
}

#[test]
fn set_keeps_crlf_and_a_byte_order_mark() {
    let book = TempBook::new();
    let text = "\u{feff}name: Bo\r\nemail: bo@x.example\r\n";
    book.customer("bo", text);
    stdout_of(book.crm(&["set", "bo", "company", "Acme"]));
    stdout_of(book.crm(&["set", "bo", "email", "bo@y.example"]));
    assert_eq!(
        book.read_customer("bo"),
        "\u{feff}name: Bo\r\nemail: bo@y.example\r\ncompany: Acme\r\n"
    );
}

#[test]
fn set_refuses_bad_values_by_the_rules_of_add() {
    let book = book_with_ada();
    let cases: [(&[&str], &str); 7] = [
        (
            &["set", "ada", "email", "ada.example"],
            "is not an email address",
        ),
        (&["set", "ada", "birthday", "2030-01-01"], "in the future"),
        (&["set", "ada", "every", "often"], "every:"),
        (&["set", "ada", "emial", "a@b.c"], "did you mean `email`?"),
        (&["set", "ada", "tags", "x"], "crm tag"),
        (&["set", "ada", "phone", "  "], "crm unset"),
        (&["unset", "ada", "name"], "cannot be taken out"),
    ];
    for (args, message) in cases {
        let output = book.crm(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr_of(&output).contains(message),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn set_on_an_unknown_id_suggests_the_closest() {
    let book = book_with_ada();
    let output = book
        .crm(&["set", "adda", "email", "a@b.c"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("no customer `adda`"));
    assert!(stderr_of(&output).contains("did you mean `ada`?"));
}

#[test]
fn set_on_a_file_that_does_not_parse_changes_nothing() {
    let book = TempBook::new();
    let broken = "name: Bo\nemail: [unclosed\n";
    book.customer("bo", broken);
    let output = book
        .crm(&["set", "bo", "email", "bo@x.example"])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr_of(&output).contains("customers/bo.yaml:2:"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(book.read_customer("bo"), broken);
}

#[test]
fn set_refuses_a_layout_it_would_have_to_rewrite() {
    let book = TempBook::new();
    let text = "name: Bo\nold: &mail bo@x.example\nemail: *mail\n";
    book.customer("bo", text);
    let output = book
        .crm(&["set", "bo", "email", "bo@y.example"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr_of(&output);
    assert!(err.contains("customers/bo.yaml:3:8:"), "{err}");
    assert!(err.contains("crm edit bo"), "{err}");
    assert_eq!(book.read_customer("bo"), text);
}

#[test]
fn set_with_commit_commits_a_hand_edit_apart_and_undo_takes_only_the_set() {
    let book = book_with_ada();
    let edited = ADA.replace(
        "# Met at the 2024 fair.",
        "# Met at the 2024 fair in Leeds.",
    );
    book.customer("ada", &edited);
    let output = book
        .crm(&["set", "ada", "company", "Analytical Engines", "--commit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(head_summary(&book), "set company of ada");
    assert!(stderr_of(&output).contains("(changes that were already uncommitted)"));
    stdout_of(book.crm(&["undo"]));
    assert_eq!(book.read_customer("ada"), edited);
}

#[test]
fn auto_commit_commits_set_unset_and_tag() {
    let book = book_with_ada();
    let config = book.read("crm.toml");
    book.write(
        "crm.toml",
        &config.replace("# auto_commit = false", "auto_commit = true"),
    );
    book.crm(&["commit", "-m", "auto"]).assert().success();
    let before = commit_count(&book);
    stdout_of(book.crm(&["set", "ada", "company", "Acme"]));
    assert_eq!(head_summary(&book), "set company of ada");
    stdout_of(book.crm(&["unset", "ada", "company"]));
    assert_eq!(head_summary(&book), "unset company of ada");
    stdout_of(book.crm(&["tag", "ada", "+new", "-trial"]));
    assert_eq!(head_summary(&book), "tag ada +new -trial");
    assert_eq!(commit_count(&book), before + 3);
}

#[test]
fn tag_keeps_the_list_style() {
    let book = book_with_ada();
    let out = stdout_of(book.crm(&["tag", "ada", "+newsletter", "-trial"]));
    assert_eq!(out, "tags of ada: vip, newsletter\n");
    assert_eq!(
        book.read_customer("ada"),
        ADA.replace("[vip, trial]", "[vip, newsletter]")
    );

    let block = "name: Bo\ntags:\n  - vip # since 2024\n  - trial\nnotes: x\n";
    book.customer("bo", block);
    stdout_of(book.crm(&["tag", "bo", "-trial", "+late"]));
    assert_eq!(
        book.read_customer("bo"),
        "name: Bo\ntags:\n  - vip # since 2024\n  - late\nnotes: x\n"
    );

    book.customer(
        "cy",
        "name: Cy\nemail: cy@x.example\ncompany: Acme\n# end\n",
    );
    stdout_of(book.crm(&["tag", "cy", "vip"]));
    assert_eq!(
        book.read_customer("cy"),
        "name: Cy\nemail: cy@x.example\ncompany: Acme\ntags: [vip]\n# end\n"
    );
}

#[test]
fn tag_says_what_changed_nothing() {
    let book = book_with_ada();
    let output = book.crm(&["tag", "ada", "+VIP", "-gone"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "tags of ada unchanged: vip, trial\n"
    );
    let err = stderr_of(&output);
    assert!(err.contains("ada already has tag `VIP`"), "{err}");
    assert!(err.contains("ada has no tag `gone`"), "{err}");
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn tag_refuses_bad_tags_and_unknown_ids() {
    let book = book_with_ada();
    for (args, message) in [
        (vec!["tag", "ada", "+"], "names no tag"),
        (vec!["tag", "ada", "+a,b"], "comma"),
        (vec!["tag", "nobody", "+vip"], "no customer `nobody`"),
    ] {
        let output = book.crm(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr_of(&output).contains(message),
            "{}",
            stderr_of(&output)
        );
    }
    assert_eq!(book.read_customer("ada"), ADA);
}

// --- crm find -------------------------------------------------------------------------

fn book_to_search() -> TempBook {
    let book = TempBook::new();
    book.customer(
        "zoe-adams",
        "name: Zoë Adams\nphone: \"+44 20 7946 0000\"\ncompany: Zoe's Café\n",
    );
    book.customer(
        "ada",
        "name: Ada Lovelace\nemail: ada@zoe.example\ntags: [vip]\npreferences:\n  coffee: oat flat white\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: Asked about the new ZOE model\n",
    );
    book.customer("bob", "name: Bob\n");
    book
}

fn find_json(book: &TempBook, args: &[&str]) -> Vec<serde_json::Value> {
    let out = stdout_of(book.crm(&[&["find"], args, &["--format", "json"]].concat()));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn find_folds_case_and_accents_and_ranks_names_first() {
    let book = book_to_search();
    let hits = find_json(&book, &["zoe"]);
    let ids: Vec<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["zoe-adams", "ada"]);
    assert_eq!(hits[0]["matches"][0]["field"], "name");
    assert_eq!(hits[0]["matches"][1]["field"], "company");
    assert_eq!(hits[1]["matches"][0]["value"], "ada@zoe.example");
    assert_eq!(hits[1]["matches"][1]["field"], "summary");
    assert_eq!(find_json(&book, &["CAFÉ"]).len(), 1);
}

#[test]
fn find_matches_phones_by_digits_and_fields_on_request() {
    let book = book_to_search();
    let hits = find_json(&book, &["7946"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["matches"][0]["field"], "phone");
    assert_eq!(find_json(&book, &["020 7946-0000"]).len(), 0);
    assert_eq!(find_json(&book, &["20 7946 0000"]).len(), 1);
    assert!(find_json(&book, &["zoe", "--field", "tag"]).is_empty());
    assert_eq!(find_json(&book, &["oat", "--field", "pref"]).len(), 1);
    let only_name = find_json(&book, &["zoe", "--field", "name", "--field", "summary"]);
    assert_eq!(only_name.len(), 2);
}

#[test]
fn find_prints_a_table_with_what_matched_and_csv() {
    let book = book_to_search();
    let table = stdout_of(book.crm(&["find", "vip"]));
    assert_eq!(
        table,
        "id   name          matched\nada  Ada Lovelace  tag: vip\n"
    );
    let csv = stdout_of(book.crm(&["find", "vip", "--format", "csv"]));
    assert_eq!(csv, "id,name,matched\nada,Ada Lovelace,tag: vip\n");
}

#[test]
fn find_with_no_match_or_an_empty_query() {
    let book = book_to_search();
    let output = book.crm(&["find", "nothing-like-it"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    assert!(stderr_of(&output).contains("no customer matches"));
    let output = book.crm(&["find", "  "]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = book
        .crm(&["find", "x", "--field", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn find_skips_a_file_that_does_not_parse_and_says_so() {
    let book = book_to_search();
    book.customer("broken", "name: [Zoe\n");
    let output = book
        .crm(&["find", "zoe", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr_of(&output).contains("customers/broken.yaml:1:"));
    let hits: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(hits.len(), 2);
}

#[test]
fn find_sees_a_change_made_after_the_cache_was_written() {
    let book = book_to_search();
    assert!(find_json(&book, &["rooibos"]).is_empty());
    stdout_of(book.crm(&["set", "bob", "pref.tea", "rooibos"]));
    let hits = find_json(&book, &["rooibos"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["matches"][0]["value"], "tea=rooibos");
}

// --- crm rename, rm, archive ----------------------------------------------------------

#[test]
fn rename_moves_the_bytes_and_history_follows() {
    let book = book_with_ada();
    stdout_of(book.crm(&["log", "ada", "call", "before the rename", "--commit"]));
    let before = book.read_customer("ada");
    let out = stdout_of(book.crm(&["rename", "ada", "ada-king", "--commit"]));
    assert_eq!(out, "renamed ada to ada-king\n");
    assert_eq!(book.read_customer("ada-king"), before);
    assert!(!book.customer_path("ada").exists());
    assert_eq!(head_summary(&book), "rename ada to ada-king");

    let history = stdout_of(book.crm(&["history", "ada-king", "--format", "json"]));
    let history: Vec<serde_json::Value> = serde_json::from_str(&history).unwrap();
    let summaries: Vec<&str> = history
        .iter()
        .map(|h| h["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        ["rename ada to ada-king", "log call with ada", "ada by hand"]
    );
    assert_eq!(history[0]["renamed_from"], "customers/ada.yaml");

    let output = book.crm(&["history", "ada"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let err = stderr_of(&output);
    assert!(
        err.contains("`ada` was renamed to `ada-king`") && err.contains("crm history ada-king"),
        "{err}"
    );
}

#[test]
fn rename_refuses_an_existing_id_a_bad_id_and_an_unknown_one() {
    let book = book_with_ada();
    book.customer("bob", "name: Bob\n");
    let output = book.crm(&["rename", "ada", "bob"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("already exists"));
    assert!(stderr_of(&output).contains("crm merge bob ada"));
    let output = book.crm(&["rename", "ada", "Ada King"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = book.crm(&["rename", "nobody", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("no customer `nobody`"));
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(book.read_customer("bob"), "name: Bob\n");
}

#[test]
fn rename_refuses_a_file_that_does_not_parse() {
    let book = TempBook::new();
    book.customer("bo", "name: [Bo\n");
    let output = book.crm(&["rename", "bo", "bob"]).output().unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr_of(&output).contains("customers/bo.yaml:1:"));
    assert!(book.customer_path("bo").exists());
    assert!(!book.customer_path("bob").exists());
}

#[test]
fn rm_needs_yes_off_a_terminal_and_undo_brings_the_customer_back() {
    let book = book_with_ada();
    let output = book.crm(&["rm", "ada"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("--yes"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(book.read_customer("ada"), ADA);

    let out = stdout_of(book.crm(&["rm", "ada", "--yes"]));
    assert_eq!(
        out,
        "removed ada (customers/ada.yaml); `crm undo` brings it back\n"
    );
    assert!(!book.customer_path("ada").exists());
    assert_eq!(head_summary(&book), "remove ada");
    stdout_of(book.crm(&["undo"]));
    assert_eq!(book.read_customer("ada"), ADA);
}

#[test]
fn rm_commits_a_hand_edit_first_so_undo_keeps_it() {
    let book = book_with_ada();
    let edited = format!("{ADA}# a late note\n");
    book.customer("ada", &edited);
    stdout_of(book.crm(&["rm", "ada", "--yes"]));
    stdout_of(book.crm(&["undo"]));
    assert_eq!(book.read_customer("ada"), edited);
}

#[test]
fn rm_of_an_unknown_id_and_outside_git() {
    let book = book_with_ada();
    let output = book.crm(&["rm", "adda", "--yes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("did you mean `ada`?"));

    let plain = TempBook::without_git();
    plain.customer("bo", "name: Bo\n");
    let output = plain.crm(&["rm", "bo", "--yes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("cannot be undone"));
    assert!(!plain.customer_path("bo").exists());
}

fn ids(book: &TempBook, args: &[&str]) -> Vec<String> {
    let out = stdout_of(book.crm(&[args, &["--format", "json"]].concat()));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn archived_customers_leave_list_due_and_stale_but_stay_in_stats() {
    let book = TempBook::new();
    book.customer(
        "gone",
        "name: Gone\nfollow_up: 30d\ninteractions:\n  - date: 2024-01-10\n    kind: purchase\n    amount: 10.00\n  - date: 2024-05-10\n    kind: purchase\n    amount: 10.00\n",
    );
    book.customer(
        "kept",
        "name: Kept\nfollow_up: 30d\ninteractions:\n  - date: 2024-01-10\n    kind: purchase\n    amount: 10.00\n",
    );
    let stats_before = stdout_of(book.crm(&["stats", "--period", "quarter", "--format", "json"]));
    let out = stdout_of(book.crm(&["archive", "gone"]));
    assert_eq!(out, "archived gone on 2025-06-15\n");
    assert!(book
        .read_customer("gone")
        .starts_with("name: Gone\narchived: 2025-06-15\n"));

    assert_eq!(ids(&book, &["list"]), ["kept"]);
    assert_eq!(ids(&book, &["list", "--archived"]), ["gone", "kept"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout_of(book.crm(&[
        "list",
        "--archived",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(listed[0]["archived"], "2025-06-15");
    assert!(listed[1]["archived"].is_null());
    let card: serde_json::Value =
        serde_json::from_str(&stdout_of(book.crm(&["show", "gone", "--format", "json"]))).unwrap();
    assert_eq!(card["archived"], "2025-06-15");
    assert_eq!(ids(&book, &["stale"]), ["kept"]);
    assert_eq!(ids(&book, &["stale", "--archived"]).len(), 2);
    assert_eq!(ids(&book, &["due"]), ["kept"]);
    assert_eq!(ids(&book, &["due", "--archived"]).len(), 2);
    let stats_after = stdout_of(book.crm(&["stats", "--period", "quarter", "--format", "json"]));
    assert_eq!(stats_before, stats_after, "archiving changes no figure");

    let again = stdout_of(book.crm(&["archive", "gone"]));
    assert_eq!(
        again,
        "gone is already archived (on 2025-06-15); nothing changed\n"
    );
    assert_eq!(
        stdout_of(book.crm(&["unarchive", "gone"])),
        "unarchived gone\n"
    );
    assert_eq!(
        book.read_customer("gone"),
        "name: Gone\nfollow_up: 30d\ninteractions:\n  - date: 2024-01-10\n    kind: purchase\n    amount: 10.00\n  - date: 2024-05-10\n    kind: purchase\n    amount: 10.00\n"
    );
    assert_eq!(
        stdout_of(book.crm(&["unarchive", "gone"])),
        "gone is not archived; nothing changed\n"
    );
}

#[test]
fn archive_commits_and_refuses_bad_input() {
    let book = book_with_ada();
    stdout_of(book.crm(&["archive", "ada", "--date", "2025-06-01", "--commit"]));
    assert_eq!(head_summary(&book), "archive ada");
    stdout_of(book.crm(&["unarchive", "ada", "--commit"]));
    assert_eq!(head_summary(&book), "unarchive ada");
    for args in [
        vec!["archive", "nobody"],
        vec!["archive", "ada", "--date", "2030-01-01x"],
    ] {
        let output = book.crm(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    book.customer("bo", "name: [Bo\n");
    let output = book.crm(&["archive", "bo"]).output().unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert_eq!(book.read_customer("bo"), "name: [Bo\n");
}

#[test]
fn check_explains_an_archive_folder() {
    let book = TempBook::new();
    book.write("customers/archive/old.yaml", "name: Old\n");
    let output = book.crm(&["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    assert!(out.contains("customers/archive/old.yaml:1:1:"), "{out}");
    assert!(
        out.contains("`mv customers/archive/old.yaml customers/old.yaml && crm archive old`"),
        "{out}"
    );
    // Doing exactly what it says fixes it.
    std::fs::rename(
        book.path("customers/archive/old.yaml"),
        book.customer_path("old"),
    )
    .unwrap();
    book.crm(&["archive", "old"]).assert().success();
    std::fs::remove_dir(book.path("customers/archive")).unwrap();
    book.crm(&["check"]).assert().success();
    assert!(book.read_customer("old").contains("archived: 2025-06-15"));
    // With a customer of that id already there, the fix merges the two.
    book.write("customers/archive/old.yaml", "name: Old\n");
    let err = stderr_of(&book.crm(&["check"]).output().unwrap());
    assert!(
        err.contains("customers/old.yaml exists already")
            && err.contains("crm merge old old-archived && crm archive old"),
        "{err}"
    );
}

// --- duplicates -----------------------------------------------------------------------

#[test]
fn check_warns_about_customers_sharing_an_email_or_a_phone() {
    let book = TempBook::new();
    book.customer(
        "a",
        "name: A\nemail: Ada@X.example\nphone: \"+44 20 7946 0000\"\n",
    );
    book.customer("b", "name: B\nemail: ada@x.example \n");
    book.customer("c", "name: C\nphone: 44 20 7946-0000\n");
    let output = book.crm(&["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "warnings are not problems");
    let err = stderr_of(&output);
    assert!(
        err.contains(
            "crm: warning: customers/a.yaml and customers/b.yaml share the email \"Ada@X.example\""
        ),
        "{err}"
    );
    assert!(
        err.contains("customers/a.yaml and customers/c.yaml share the phone"),
        "{err}"
    );
}

#[test]
fn add_refuses_an_email_another_customer_has_unless_allowed() {
    let book = book_with_ada();
    let output = book
        .crm(&["add", "Ada L", "--email", "ADA@old.example"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr_of(&output);
    assert!(
        err.contains("customer `ada` (Ada Lovelace) already has the email"),
        "{err}"
    );
    assert!(err.contains("--allow-duplicate"), "{err}");
    assert!(!book.customer_path("ada-l").exists());
    stdout_of(book.crm(&[
        "add",
        "Ada L",
        "--email",
        "ada@old.example",
        "--allow-duplicate",
    ]));
    assert!(book.customer_path("ada-l").exists());
}

#[test]
fn import_customers_refuses_known_and_repeated_emails() {
    let book = book_with_ada();
    book.write(
        "new.csv",
        "name,email\nAda Again,ada@old.example\nBo,bo@x.example\nBo Two,BO@x.example\n",
    );
    let output = book
        .crm(&["import", "customers", "new.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr_of(&output);
    assert!(
        err.contains("new.csv:2:") && err.contains("already customer `ada`'s"),
        "{err}"
    );
    assert!(
        err.contains("new.csv:4:") && err.contains("also on line 3"),
        "{err}"
    );
    assert!(!book.customer_path("bo").exists());
    stdout_of(book.crm(&["import", "customers", "new.csv", "--allow-duplicate"]));
    assert!(book.customer_path("bo-two").exists());
}

#[test]
fn import_purchases_finds_customers_by_email_and_dry_run_names_new_ones() {
    let book = book_with_ada();
    book.write(
        "orders.csv",
        "customer,date,amount\nADA@old.example,2025-05-01,10.00\ntom.oneill@gmail.example,2025-05-02,5.00\n",
    );
    let out = stdout_of(book.crm(&["import", "purchases", "orders.csv", "--dry-run"]));
    assert!(out.contains("(1 new)"), "{out}");
    assert!(
        out.contains("would create customer tom-oneill-gmail-example"),
        "{out}"
    );
    assert!(!out.contains("would create customer ada"), "{out}");
    stdout_of(book.crm(&["import", "purchases", "orders.csv"]));
    assert!(book
        .read_customer("ada")
        .contains("date: 2025-05-01\n    kind: purchase\n    amount: 10.00"));
    let tom = book.read_customer("tom-oneill-gmail-example");
    assert!(tom.contains("email: tom.oneill@gmail.example"), "{tom}");
}

#[test]
fn import_refuses_an_email_several_customers_share() {
    let book = book_with_ada();
    book.customer("ada2", "name: Ada Two\nemail: ada@old.example\n");
    book.write(
        "orders.csv",
        "customer,date,amount\nada@old.example,2025-05-01,10.00\n",
    );
    let output = book
        .crm(&["import", "purchases", "orders.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("several customers (ada, ada2)"));
}

#[test]
fn names_in_other_scripts_get_transliterated_ids() {
    let book = TempBook::new();
    assert_eq!(
        stdout_of(book.crm(&["add", "Ахмед Иванов"])),
        "akhmed-ivanov\n"
    );
    assert_eq!(
        stdout_of(book.crm(&["add", "山田 太郎"])),
        "shan-tian-tai-lang\n"
    );
    assert!(book
        .read_customer("akhmed-ivanov")
        .starts_with("name: Ахмед Иванов\n"));
}

// --- crm merge ------------------------------------------------------------------------

const DUPLICATE: &str = "name: Ada L.\nemail: ada@home.example\nphone: \"+44 1\"\ntags: [trial, VIP, late]\npreferences:\n  tea: black\n  coffee: oat\ninteractions:\n  - date: 2025-03-01\n    kind: call\n  - date: 2025-02-01\n    kind: note\n    summary: |\n      two\n      lines\n  - date: 2025-06-01\n    kind: call\n";

fn book_with_a_duplicate() -> TempBook {
    let book = book_with_ada();
    book.customer("ada-l", DUPLICATE);
    book.crm(&["commit", "-m", "the duplicate"])
        .assert()
        .success();
    book
}

#[test]
fn merge_unites_interactions_in_date_order_and_removes_the_other_in_one_commit() {
    let book = book_with_a_duplicate();
    let out = stdout_of(book.crm(&["merge", "ada", "ada-l", "--commit"]));
    assert!(
        out.starts_with("merged ada-l into ada: 2 interactions added, 1 already there\n"),
        "{out}"
    );
    assert!(
        out.contains("  copied from ada-l: phone, pref.coffee\n"),
        "{out}"
    );
    assert!(out.contains("  tags added: late\n"), "{out}");
    assert!(
        out.contains("  email differs: kept \"ada@old.example\", not ada@home.example\n"),
        "{out}"
    );
    assert!(
        out.contains("  pref.tea differs: kept green, not black\n"),
        "{out}"
    );
    let expected = ADA
        .replace("   # work\n", "   # work\nphone: \"+44 1\"\n")
        .replace("[vip, trial]", "[vip, trial, late]")
        .replace("  tea: green # always\n", "  tea: green # always\n  coffee: oat\n")
        .replace(
            "interactions:\n",
            "interactions:\n  - date: 2025-02-01\n    kind: note\n    summary: |\n      two\n      lines\n",
        )
        + "  - date: 2025-06-01\n    kind: call\n";
    assert_eq!(book.read_customer("ada"), expected);
    assert!(!book.customer_path("ada-l").exists());
    assert_eq!(head_summary(&book), "merge ada-l into ada");
    let repo = Repository::discover(book.root()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let diff = repo
        .diff_tree_to_tree(
            Some(&head.parent(0).unwrap().tree().unwrap()),
            Some(&head.tree().unwrap()),
            None,
        )
        .unwrap();
    assert_eq!(diff.deltas().count(), 2, "both files in the one commit");
    stdout_of(book.crm(&["undo"]));
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(book.read_customer("ada-l"), DUPLICATE);
}

#[test]
fn merge_takes_the_others_value_on_request_and_dry_run_writes_nothing() {
    let book = book_with_a_duplicate();
    let out = stdout_of(book.crm(&[
        "merge",
        "ada",
        "ada-l",
        "--take-other",
        "email",
        "--take-other",
        "pref.tea",
        "--dry-run",
    ]));
    assert!(
        out.contains(
            "email differs: kept ada@home.example, not \"ada@old.example\" (--take-other)"
        ),
        "{out}"
    );
    assert!(out.contains("would remove customers/ada-l.yaml"), "{out}");
    assert!(
        out.contains("--- customers/ada.yaml as it would be:\n# Met at the 2024 fair.\n"),
        "{out}"
    );
    assert!(out.contains("email: ada@home.example   # work\n"), "{out}");
    assert!(out.contains("  tea: black # always\n"), "{out}");
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(book.read_customer("ada-l"), DUPLICATE);
}

#[test]
fn merge_refuses_bad_input_and_changes_nothing() {
    let book = book_with_a_duplicate();
    for (args, message) in [
        (vec!["merge", "ada", "ada"], "into itself"),
        (vec!["merge", "ada", "nobody"], "no customer `nobody`"),
        (
            vec!["merge", "ada", "ada-l", "--take-other", "fax"],
            "has no such field",
        ),
    ] {
        let output = book.crm(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr_of(&output).contains(message),
            "{}",
            stderr_of(&output)
        );
    }
    book.customer("broken", "name: [B\n");
    let output = book.crm(&["merge", "ada", "broken"]).output().unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr_of(&output).contains("customers/broken.yaml:1:"));
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(book.read_customer("ada-l"), DUPLICATE);
}

#[test]
fn merge_into_a_customer_without_interactions() {
    let book = TempBook::new();
    book.customer("a", "name: A # keep\n");
    book.customer(
        "b",
        "name: B\ninteractions:\n- date: 2025-01-01\n  kind: call\n",
    );
    stdout_of(book.crm(&["merge", "a", "b"]));
    assert_eq!(
        book.read_customer("a"),
        "name: A # keep\ninteractions:\n  - date: 2025-01-01\n    kind: call\n"
    );
}

// --- small things ---------------------------------------------------------------------

#[test]
fn undo_twice_takes_back_the_two_last_crm_commits_and_list_says_which() {
    let book = book_with_ada();
    stdout_of(book.crm(&["set", "ada", "company", "Acme", "--commit"]));
    let output = book
        .crm(&["tag", "ada", "+late", "--commit"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "a flag after the tags is refused, not a tag"
    );
    stdout_of(book.crm(&["tag", "--commit", "ada", "+late"]));
    let list = stdout_of(book.crm(&["undo", "--list"]));
    let summaries: Vec<&str> = list
        .lines()
        .map(|l| &l[l.find("  ").unwrap() + 2..])
        .collect();
    assert_eq!(
        summaries,
        ["tag ada +late", "set company of ada", "ada by hand"]
    );
    stdout_of(book.crm(&["undo"]));
    stdout_of(book.crm(&["undo"]));
    assert_eq!(book.read_customer("ada"), ADA);
    assert_eq!(head_summary(&book), "Revert \"set company of ada\"");
    let list = stdout_of(book.crm(&["undo", "--list"]));
    assert!(
        list.ends_with("ada by hand\n") && list.lines().count() == 1,
        "{list}"
    );
    stdout_of(book.crm(&["undo"]));
    assert!(!book.customer_path("ada").exists());
    let output = book.crm(&["undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("first commit of the book"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn undo_refuses_with_an_uncommitted_hand_edit_of_the_file() {
    let book = book_with_ada();
    stdout_of(book.crm(&["set", "ada", "company", "Acme", "--commit"]));
    book.customer("ada", &format!("{ADA}# edited\n"));
    let output = book.crm(&["undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("uncommitted changes"));
}

#[test]
fn log_prints_the_follow_up_date_it_resolved() {
    let book = book_with_ada();
    let out = stdout_of(book.crm(&["log", "ada", "call", "--follow-up", "friday"]));
    assert_eq!(
        out,
        "logged call with ada on 2025-06-15; follow-up on 2025-06-20 (friday)\n"
    );
}

#[test]
fn an_unknown_tag_filter_warns_with_a_guess() {
    let book = book_with_ada();
    for command in ["list", "due", "stale", "stats"] {
        let output = book.crm(&[command, "--tag", "vpi"]).output().unwrap();
        assert!(
            stderr_of(&output).contains("no customer has tag `vpi`; did you mean `vip`?"),
            "{command}: {}",
            stderr_of(&output)
        );
    }
    let output = book.crm(&["list", "--tag", "VIP"]).output().unwrap();
    assert!(!stderr_of(&output).contains("no customer has tag"));
}

// --- --format json of the commands that change a customer ----------------------------

fn json_of(book: &TempBook, args: &[&str]) -> serde_json::Value {
    let text = stdout_of(book.crm(args));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
}

#[test]
fn set_and_unset_say_what_changed_in_json() {
    let book = book_with_ada();
    let set = json_of(
        &book,
        &["set", "ada", "email", "ada@new.example", "--format", "json"],
    );
    assert_eq!(
        set,
        serde_json::json!({"id": "ada", "field": "email", "before": "ada@old.example",
                           "after": "ada@new.example", "changed": true})
    );
    assert!(book
        .read_customer("ada")
        .contains("email: \"ada@new.example\""));
    let again = json_of(
        &book,
        &["set", "ada", "email", "ada@new.example", "--format", "json"],
    );
    assert_eq!(again["changed"], false);
    let added = json_of(
        &book,
        &["set", "ada", "company", "Engines", "--format", "json"],
    );
    assert_eq!(added["before"], serde_json::Value::Null);
    assert_eq!(added["after"], "Engines");
    let unset = json_of(&book, &["unset", "ada", "company", "--format", "json"]);
    assert_eq!(
        unset,
        serde_json::json!({"id": "ada", "field": "company", "before": "Engines",
                           "after": null, "changed": true})
    );
    // A bad value is still an error on stderr, with nothing on stdout.
    let output = book
        .crm(&["set", "ada", "email", "nope", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn tag_says_what_changed_in_json_with_the_commit_note_on_stderr() {
    let book = book_with_ada();
    let output = book
        .crm(&[
            "tag", "--commit", "--format", "json", "ada", "+gold", "-trial", "-nope",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"id": "ada", "added": ["gold"], "removed": ["trial"],
                           "tags": ["vip", "gold"], "changed": true})
    );
    let err = stderr_of(&output);
    assert!(err.contains("ada has no tag `nope`"), "{err}");
    assert!(err.contains("committed"), "{err}");
    let same = json_of(&book, &["tag", "--format", "json", "ada", "+vip"]);
    assert_eq!(same["changed"], false);
    assert_eq!(same["added"], serde_json::json!([]));
}

#[test]
fn rename_archive_unarchive_and_rm_say_what_changed_in_json() {
    let book = book_with_ada();
    assert_eq!(
        json_of(&book, &["rename", "ada", "ada-l", "--format", "json"]),
        serde_json::json!({"old": "ada", "new": "ada-l", "path": "customers/ada-l.yaml"})
    );
    assert_eq!(
        json_of(
            &book,
            &[
                "archive",
                "ada-l",
                "--date",
                "2025-06-01",
                "--format",
                "json"
            ]
        ),
        serde_json::json!({"id": "ada-l", "archived": "2025-06-01", "changed": true})
    );
    assert_eq!(
        json_of(&book, &["archive", "ada-l", "--format", "json"]),
        serde_json::json!({"id": "ada-l", "archived": "2025-06-01", "changed": false})
    );
    assert_eq!(
        json_of(&book, &["unarchive", "ada-l", "--format", "json"]),
        serde_json::json!({"id": "ada-l", "archived": null, "changed": true})
    );
    assert_eq!(
        json_of(&book, &["unarchive", "ada-l", "--format", "json"])["changed"],
        false
    );
    assert_eq!(
        json_of(&book, &["rm", "--yes", "ada-l", "--format", "json"]),
        serde_json::json!({"id": "ada-l", "removed": "customers/ada-l.yaml", "undoable": true})
    );
    assert!(!book.customer_path("ada-l").exists());
}

#[test]
fn merge_says_what_it_did_in_json_and_dry_run_includes_the_file() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\nemail: ada@a.example\ninteractions:\n  - date: 2025-01-01\n    kind: call\n",
    );
    book.customer(
        "ada2",
        "name: Ada\nemail: ada@b.example\nphone: \"123456\"\ntags: [vip]\ninteractions:\n  - date: 2025-01-01\n    kind: call\n  - date: 2025-02-01\n    kind: note\n",
    );
    let dry = json_of(
        &book,
        &["merge", "ada", "ada2", "--dry-run", "--format", "json"],
    );
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        (dry["added"].as_u64(), dry["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(dry["copied"], serde_json::json!(["phone"]));
    assert_eq!(dry["tags"], serde_json::json!(["vip"]));
    assert_eq!(
        dry["differing"],
        serde_json::json!([{"field": "email", "kept": "ada@a.example",
                            "dropped": "ada@b.example", "taken_from_other": false}])
    );
    assert_eq!(dry["removed"], "customers/ada2.yaml");
    assert!(dry["text"].as_str().unwrap().contains("kind: note"));
    assert!(
        book.customer_path("ada2").exists(),
        "a dry run writes nothing"
    );
    let done = json_of(
        &book,
        &[
            "merge",
            "ada",
            "ada2",
            "--take-other",
            "email",
            "--format",
            "json",
        ],
    );
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["text"], serde_json::Value::Null);
    assert_eq!(done["differing"][0]["kept"], "ada@b.example");
    assert_eq!(done["differing"][0]["taken_from_other"], true);
    assert!(!book.customer_path("ada2").exists());
}

#[test]
fn check_warns_about_a_redemption_written_by_hand_beyond_the_balance() {
    let book = TempBook::new();
    book.write("crm.toml", "[loyalty]\npoints_per_unit = 1\n");
    let purchase = "  - date: 2025-01-10\n    kind: purchase\n    amount: 100.00\n";
    book.customer(
        "ada",
        &format!("name: Ada\ninteractions:\n{purchase}  - date: 2025-02-01\n    kind: redeem\n    points: 150\n"),
    );
    book.customer(
        "bob",
        &format!("name: Bob\ninteractions:\n{purchase}  - date: 2025-02-01\n    kind: redeem\n    points: 100\n"),
    );
    let output = book.crm(&["check"]).output().unwrap();
    let err = stderr_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "a warning, not a problem: {err}"
    );
    assert!(
        err.contains("customers/ada.yaml: the redemption of 150 points on 2025-02-01 spends more than ada had: the balance is -50 after it"),
        "{err}"
    );
    assert!(!err.contains("bob"), "{err}");
    // crm log refuses the same redemption.
    let output = book
        .crm(&["log", "bob", "redeem", "--points", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    // Without [loyalty], `redeem` is not a kind and points mean nothing to check.
    book.write("crm.toml", "");
    let err = stderr_of(&book.crm(&["check"]).output().unwrap());
    assert!(!err.contains("redemption"), "{err}");
}

/// The files `crm ARGS` opens in `book`, as strace saw them (open, openat, openat2).
fn files_opened_by(book: &TempBook, args: &[&str]) -> (String, Vec<String>) {
    assert!(
        std::path::Path::new("/usr/bin/strace").exists(),
        "this test needs strace to see which files crm opens; .ci/run installs it"
    );
    let trace = book.root().join(".crm-strace-out");
    let crm = assert_cmd::cargo::cargo_bin("crm");
    let output = std::process::Command::new("/usr/bin/strace")
        .args(["-f", "-qq", "-e", "trace=open,openat,openat2", "-o"])
        .arg(&trace)
        .arg(&crm)
        .args(args)
        .current_dir(book.root())
        .env("CRM_TODAY", common::TODAY)
        .env_remove("CRM_DIR")
        .output()
        .expect("run strace");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let opened = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| l.contains(".yaml\""))
        .map(str::to_string)
        .collect();
    std::fs::remove_file(&trace).unwrap();
    (String::from_utf8(output.stdout).unwrap(), opened)
}

/// `crm find` at 100k customers must not parse them: on a warm cache it reads
/// `.crm/summaries.cache` and opens no customer file, and a file edited since is the
/// only one it opens.
#[test]
fn find_on_a_warm_cache_opens_no_customer_file() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\npreferences:\n  coffee: oat flat white\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: Asked about the tasting menu\n",
    );
    book.customer("bob", "name: Bob\ntags: [vip]\n");
    // The cache keeps only files whose change is older than two seconds.
    std::thread::sleep(std::time::Duration::from_millis(2300));
    stdout_of(book.crm(&["find", "warm"]));
    let (out, opened) = files_opened_by(&book, &["find", "tasting", "--format", "csv"]);
    assert!(
        out.contains("ada,Ada,summary: Asked about the tasting menu"),
        "{out}"
    );
    assert!(opened.is_empty(), "warm cache, yet crm opened {opened:#?}");
    let (out, opened) = files_opened_by(&book, &["find", "oat"]);
    assert!(
        out.contains("pref: coffee: oat flat white") || out.contains("oat"),
        "{out}"
    );
    assert!(opened.is_empty(), "{opened:#?}");
    // The control: an edited file is opened, and only it.
    book.customer("bob", "name: Bob\ntags: [vip, oat]\n");
    let (_, opened) = files_opened_by(&book, &["find", "oat"]);
    assert_eq!(opened.len(), 1, "{opened:#?}");
    assert!(opened[0].contains("customers/bob.yaml"), "{opened:#?}");
}
