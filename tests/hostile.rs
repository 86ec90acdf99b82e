//! The hostile-input corpus: files and ids crafted (or mangled) to break crm. Each case
//! asserts a clear error, with `path:line:col` where there is a line to point at, and
//! that the book's other customers are unchanged and still listed. BOMs, CRLF line ends
//! and very long interaction logs are not hostile: they must simply work.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::TempBook;
use serde_json::Value;

const ADA: &str =
    "name: Ada Lovelace # keep me\ninteractions:\n  - date: 2025-03-01\n    kind: call\n";
const BOB: &str = "name: Bob\ntags: [vip]\n";

/// A book with two good customers, `ada` and `bob`.
fn book() -> TempBook {
    let book = TempBook::without_git();
    book.customer("ada", ADA).customer("bob", BOB);
    book
}

/// Every file under the book (except crm's own `.crm/`), with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.components().any(|c| c.as_os_str() == ".crm") || !entry.file_type().is_file() {
            continue;
        }
        let bytes = fs::read(path).unwrap_or_default();
        files.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
    }
    files
}

fn run(book: &TempBook, args: &[&str]) -> (Option<i32>, String, String) {
    let output = book.crm(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn listed_ids(stdout: &str) -> Vec<String> {
    let rows: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that customer file `id` (already placed in `book`) is refused everywhere
/// with `expected` (`path:line:col: ` prefix plus message words), and that no command
/// changes any file or stops listing ada and bob.
fn assert_refused(book: &TempBook, id: &str, expected_at: &str, words: &[&str]) {
    let before = snapshot(book.root());
    let path = format!("customers/{id}.yaml");

    let (code, _, err) = run(book, &["check"]);
    assert_eq!(code, Some(1), "check exits 1: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with(&format!("{path}:")))
        .unwrap_or_else(|| panic!("check names {path}: {err}"));
    assert!(
        line.starts_with(&format!("{path}:{expected_at}")),
        "expected {path}:{expected_at} in {line:?}"
    );
    assert!(
        has_line_and_column(&line[path.len()..]),
        "expected {path}:LINE:COL: in {line:?}"
    );
    for word in words {
        assert!(
            line.to_lowercase().contains(&word.to_lowercase()),
            "{word:?} missing in {line:?}"
        );
    }

    let (code, out, err) = run(book, &["list", "--format", "json"]);
    assert_eq!(code, Some(3), "list exits 3 after skipping: {err}");
    assert!(
        err.contains(&format!("{path}:")) && err.contains("skipped 1 unreadable"),
        "{err}"
    );
    assert_eq!(listed_ids(&out), ["ada", "bob"]);

    let (code, _, err) = run(book, &["show", id]);
    assert_eq!(code, Some(2), "show refuses: {err}");
    assert!(err.contains(&format!("{path}:")), "{err}");

    let (code, _, err) = run(book, &["log", id, "note", "should not land"]);
    assert_eq!(code, Some(2), "log refuses: {err}");

    let (code, out, _) = run(book, &["show", "ada", "--format", "json"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Ada Lovelace"));
    assert_eq!(snapshot(book.root()), before, "no file changed");
}

/// Whether `rest` starts with `:LINE:COL: `.
fn has_line_and_column(rest: &str) -> bool {
    let mut parts = rest.splitn(4, ':');
    parts.next() == Some("")
        && parts
            .next()
            .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n > 0))
        && parts
            .next()
            .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n > 0))
        && parts.next().is_some_and(|m| m.starts_with(' '))
}

fn refused_file(contents: &[u8], expected_at: &str, words: &[&str]) {
    let book = book();
    fs::write(book.customer_path("evil"), contents).unwrap();
    assert_refused(&book, "evil", expected_at, words);
}

// ---- hostile file contents -------------------------------------------------------

#[test]
fn billion_laughs_alias_bomb() {
    let mut text =
        String::from("name: Bomb\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for n in 1..10 {
        let p = n - 1;
        text.push_str(&format!(
            "a{n}: &a{n} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    refused_file(
        text.as_bytes(),
        "10:15",
        &["more than 64 YAML aliases", "alias bomb"],
    );
}

#[test]
fn a_small_alias_bomb_under_the_alias_count_is_still_refused() {
    // 60 aliases, each level ten times the last: 2 * 10^6 nodes from 400 bytes.
    let mut text = String::from("name: Small\nl0: &l0 [a, b]\n");
    for n in 1..7 {
        let p = n - 1;
        let refs = vec![format!("*l{p}"); 10].join(", ");
        text.push_str(&format!("l{n}: &l{n} [{refs}]\n"));
    }
    refused_file(text.as_bytes(), "", &["expands too much"]);
}

#[test]
fn a_few_aliases_are_fine() {
    let book = book();
    book.customer(
        "alias",
        "name: Alias\ndefaults: &d {channel: phone}\nother: *d\n",
    );
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn deep_flow_nesting() {
    let text = format!(
        "name: Deep\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused_file(text.as_bytes(), "2:68", &["nested more than 64"]);
}

#[test]
fn deep_block_nesting() {
    let mut text = String::from("name: Deep\n");
    for depth in 0..2_000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    refused_file(text.as_bytes(), "66:65", &["nested more than 64"]);
}

#[test]
fn deep_compact_sequence_nesting() {
    let text = format!("name: Deep\nx:\n{}a\n", "- ".repeat(100_000));
    refused_file(text.as_bytes(), "3:", &["nested more than 64"]);
}

#[test]
fn a_100_mb_file() {
    let book = book();
    let file = fs::File::create(book.customer_path("huge")).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap(); // sparse: fast to make, no disk used
    assert_refused(&book, "huge", "1:1", &["100.0 MiB", "8 MiB limit"]);
}

#[test]
fn invalid_utf8() {
    refused_file(
        b"name: Ada\nemail: caf\xe9@example.com\n",
        "2:11",
        &["not valid UTF-8", "re-save"],
    );
}

#[test]
fn a_nul_byte() {
    refused_file(b"name: Nul\x00l\n", "1:10", &["control characters"]);
}

#[test]
fn tab_indentation() {
    refused_file(
        b"name: Tab\ninteractions:\n\t- date: 2025-03-01\n\t  kind: call\n",
        "3:",
        &["tab", "spaces"],
    );
}

#[test]
fn duplicate_top_level_keys() {
    refused_file(
        b"name: One\nemail: a@b.example\nname: Two\n",
        "3:1",
        &["duplicate", "name", "keep one"],
    );
}

#[test]
fn duplicate_keys_inside_an_interaction() {
    refused_file(
        b"name: Dup\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    kind: email\n",
        "",
        &["duplicate", "kind"],
    );
}

#[test]
fn an_amount_that_is_not_money() {
    refused_file(
        b"name: Lots\ninteractions:\n  - date: 2025-03-01\n    kind: purchase\n    amount: lots\n",
        "",
        &["amount", "lots"],
    );
}

#[test]
fn a_date_in_the_wrong_format() {
    refused_file(
        b"name: Date\ninteractions:\n  - date: 31/02/2025\n    kind: call\n",
        "3:",
        &["31/02/2025", "YYYY-MM-DD"],
    );
}

#[test]
fn a_date_that_does_not_exist() {
    refused_file(
        b"name: Date\ninteractions:\n  - date: 2025-02-31\n    kind: call\n",
        "3:",
        &["2025-02-31"],
    );
}

#[test]
fn a_git_merge_conflict() {
    refused_file(
        b"name: Merge\n<<<<<<< HEAD\nemail: a@one.example\n=======\nemail: a@two.example\n>>>>>>> theirs\n",
        "2:1",
        &["git merge conflict", "<<<<<<<", "delete", "markers"],
    );
}

#[test]
fn an_empty_file() {
    refused_file(b"", "1:1", &["empty", "name"]);
}

#[test]
fn a_file_of_only_comments() {
    refused_file(b"# nothing here yet\n", "", &["has no `name:`"]);
}

#[test]
fn no_name() {
    refused_file(b"email: x@example.com\n", "", &["name"]);
}

#[test]
fn a_list_instead_of_a_mapping() {
    refused_file(
        b"- name: Ada\n- name: Bob\n",
        "1:1",
        &["not a mapping", "name:"],
    );
}

#[test]
fn two_yaml_documents() {
    refused_file(
        b"name: One\n---\nname: Two\n",
        "2:1",
        &["more than one YAML document"],
    );
}

#[test]
fn interactions_that_are_not_a_list() {
    refused_file(
        b"name: Odd\ninteractions:\n  date: 2025-03-01\n  kind: call\n",
        "",
        &["interactions"],
    );
}

// ---- hostile files and folders -------------------------------------------------

#[test]
fn a_customer_file_symlinked_outside_the_book() {
    let book = book();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    fs::write(&secret, "name: Secret\n").unwrap();
    std::os::unix::fs::symlink(&secret, book.customer_path("link")).unwrap();
    assert_refused(&book, "link", "1:1", &["symlink", "outside the book"]);
    assert_eq!(fs::read_to_string(&secret).unwrap(), "name: Secret\n");
}

#[test]
fn a_customers_folder_symlinked_outside_the_book() {
    let book = TempBook::without_git();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("ada.yaml"), ADA).unwrap();
    fs::remove_dir(book.path("customers")).unwrap();
    std::os::unix::fs::symlink(outside.path(), book.path("customers")).unwrap();
    for args in [
        &["list"][..],
        &["check"],
        &["show", "ada"],
        &["log", "ada", "note", "x"],
        &["add", "Eve"],
    ] {
        let (code, _, err) = run(&book, args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("customers") && err.contains("outside the book"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        fs::read_to_string(outside.path().join("ada.yaml")).unwrap(),
        ADA
    );
    assert_eq!(
        fs::read_dir(outside.path()).unwrap().count(),
        1,
        "nothing was written outside"
    );
}

#[test]
fn a_customer_file_that_is_a_folder() {
    let book = book();
    fs::create_dir(book.customer_path("folder")).unwrap();
    assert_refused(&book, "folder", "1:1", &["is a folder"]);
}

#[test]
fn a_customer_file_that_is_a_fifo() {
    let book = book();
    let made = std::process::Command::new("mkfifo")
        .arg(book.customer_path("pipe"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // Reading a FIFO would block for ever; crm must look before it opens.
    assert_refused(&book, "pipe", "1:1", &["not a regular file"]);
}

#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let book = book();
    let path = book.customer_path("locked");
    fs::write(&path, "name: Locked\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        eprintln!("skipped: running with privileges that read any file (root)");
        return;
    }
    assert_refused(&book, "locked", "1:1", &["permission denied", "chmod u+r"]);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn a_file_name_that_is_not_an_id() {
    let book = book();
    book.write("customers/Ada Smith.yaml", "name: Ada Smith\n");
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("customers/Ada Smith.yaml:1:1: the file name is not a valid id"),
        "{err}"
    );
    let (code, out, err) = run(&book, &["list", "--format", "json"]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(listed_ids(&out), ["ada", "bob"]);
}

// ---- hostile ids ----------------------------------------------------------------

/// Asserts that `id` is refused by every command taking an id, with `words` in the
/// message, and that nothing is created anywhere.
fn refused_id(id: &str, words: &[&str]) {
    let book = book();
    let outside = tempfile::tempdir().unwrap();
    let before = snapshot(book.root());
    let commands: [Vec<&str>; 5] = [
        vec!["show", id],
        vec!["log", id, "note", "x"],
        vec!["add", "Eve", "--id", id],
        vec!["edit", id],
        vec!["edit", "--new", "Eve", "--id", id],
    ];
    for args in commands {
        let output = book
            .crm(&args)
            .env("EDITOR", "/bin/false")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        for word in words {
            assert!(err.contains(word), "{args:?}: {word:?} missing in {err}");
        }
    }
    assert_eq!(snapshot(book.root()), before);
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    let (code, out, _) = run(&book, &["list", "--format", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(listed_ids(&out), ["ada", "bob"]);
}

#[test]
fn id_with_path_traversal() {
    refused_id("../../etc/passwd", &["looks like a path"]);
}

#[test]
fn id_that_is_an_absolute_path() {
    refused_id("/etc/passwd", &["looks like a path"]);
}

#[test]
fn id_that_is_dot_dot() {
    refused_id("..", &["looks like a path"]);
}

#[test]
fn id_with_a_backslash() {
    refused_id("..\\customers\\ada", &["looks like a path"]);
}

#[test]
fn id_with_a_cyrillic_look_alike() {
    // "аda" with U+0430 CYRILLIC SMALL LETTER A, not the Latin a of `ada`.
    refused_id("\u{430}da", &["non-ASCII", "U+0430"]);
}

#[test]
fn id_with_a_zero_width_space() {
    refused_id("ada\u{200b}", &["U+200B"]);
}

#[test]
fn id_with_an_escape_sequence() {
    refused_id("ada\u{1b}[2J", &["control character"]);
}

#[test]
fn id_with_a_newline() {
    refused_id("ada\nbob", &["control character"]);
}

#[test]
fn id_with_upper_case_suggests_the_slug() {
    refused_id("Ada", &["did you mean `ada`"]);
}

#[test]
fn id_that_is_too_long() {
    refused_id(&"a".repeat(65), &["the limit is 64"]);
}

// ---- not hostile: these must simply work -------------------------------------------

/// Asserts that customer `id` reads, lists, checks clean, and takes an appended
/// interaction that keeps its BOM and line endings.
fn works(book: &TempBook, id: &str, name: &str) {
    let (code, out, err) = run(book, &["show", id, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let card: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(card["name"], name, "{out}");
    let (code, _, err) = run(book, &["check"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(book, &["list", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(listed_ids(&out).contains(&id.to_string()));
    let before = fs::read(book.customer_path(id)).unwrap();
    let (code, _, err) = run(book, &["log", id, "call", "appended"]);
    assert_eq!(code, Some(0), "{err}");
    let after = fs::read(book.customer_path(id)).unwrap();
    // Appending keeps every byte, except that an empty `[]` list opens up.
    let before = String::from_utf8(before)
        .unwrap()
        .replace("interactions: []", "interactions:")
        .into_bytes();
    assert!(after.starts_with(&before), "appending keeps every byte");
    let added = String::from_utf8(after[before.len()..].to_vec()).unwrap();
    let crlf = before.windows(2).any(|w| w == b"\r\n");
    let expected_crs = if crlf { added.matches('\n').count() } else { 0 };
    assert_eq!(
        added.matches('\r').count(),
        expected_crs,
        "line ends follow the file: {added:?}"
    );
    let (code, _, err) = run(book, &["check"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_byte_order_mark_just_works() {
    let book = book();
    book.customer(
        "bom",
        "\u{feff}name: Bom\ninteractions:\n  - date: 2025-03-01\n    kind: call\n",
    );
    works(&book, "bom", "Bom");
    assert!(fs::read(book.customer_path("bom"))
        .unwrap()
        .starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn crlf_line_ends_just_work() {
    let book = book();
    book.customer(
        "crlf",
        "name: Crlf\r\ninteractions:\r\n  - date: 2025-03-01\r\n    kind: call\r\n",
    );
    works(&book, "crlf", "Crlf");
    let text = book.read_customer("crlf");
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "{text:?}"
    );
}

#[test]
fn a_bom_with_crlf_and_an_empty_list_just_works() {
    let book = book();
    book.customer("both", "\u{feff}name: Both\r\ninteractions: []\r\n");
    works(&book, "both", "Both");
    let text = book.read_customer("both");
    assert!(text.starts_with('\u{feff}'));
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "{text:?}"
    );
}

#[test]
fn twenty_thousand_interactions_just_work() {
    let book = book();
    let mut text = String::from("name: Busy\ninteractions:\n");
    for n in 0..20_000 {
        text.push_str(&format!(
            "  - date: 2024-{:02}-{:02}\n    kind: call\n",
            n % 12 + 1,
            n % 28 + 1
        ));
    }
    book.customer("busy", &text);
    works(&book, "busy", "Busy");
    let raw = fs::read(book.customer_path("busy")).unwrap();
    let id = crm::domain::id::CustomerId::parse("busy").unwrap();
    let loaded = crm::store::read::parse_customer(&raw, "busy", &id).unwrap();
    assert_eq!(loaded.customer.interactions.len(), 20_001);
}

/// Review finding: appending through a symlink inside the book replaced the link with a
/// plain copy, and the file it pointed at silently fell behind.
#[test]
fn appending_through_a_symlink_inside_the_book_updates_its_target() {
    let book = common::TempBook::new();
    book.write("archive/lnk.yaml", "name: L\ninteractions:\n");
    std::os::unix::fs::symlink("../archive/lnk.yaml", book.customer_path("lnk")).unwrap();
    book.crm(&["log", "lnk", "call", "hi"]).assert().success();
    let link = std::fs::symlink_metadata(book.customer_path("lnk")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    assert!(book.read("archive/lnk.yaml").contains("summary: hi"));
}
