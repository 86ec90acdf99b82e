//! The hostile-input corpus: files and ids crafted (or mangled) to break crm. Each case
//! asserts a clear error, with `path:line:col` where there is a line to point at, and
//! that the book's other customers are unchanged and still listed. BOMs, CRLF line ends
//! and very long interaction logs are not hostile: they must simply work.

use crate::common;

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

/// Runs crm in a book: [`run`], or a stand-in that runs it as another user.
type Runner<'a> = &'a dyn Fn(&TempBook, &[&str]) -> (Option<i32>, String, String);

/// Asserts that customer file `id` (already placed in `book`) is refused everywhere
/// with `expected` (`path:line:col: ` prefix plus message words), and that no command
/// changes any file or stops listing ada and bob.
fn assert_refused(book: &TempBook, id: &str, expected_at: &str, words: &[&str]) {
    assert_refused_by(book, id, expected_at, words, &run);
}

/// [`assert_refused`], running crm with `run`.
fn assert_refused_by(book: &TempBook, id: &str, expected_at: &str, words: &[&str], run: Runner) {
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
    // Refused at the first alias that takes the expansion past the limit.
    refused_file(text.as_bytes(), "6:10", &["expands too much", "alias bomb"]);
}

/// Audit finding: alias names starting with `-` were not counted, so this bomb passed
/// `crm check`, `list` and `show`, and only `crm log` refused the file.
#[test]
fn billion_laughs_with_alias_names_that_start_with_a_dash() {
    let mut text =
        String::from("name: Bomb\nx0: &-a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for n in 1..10 {
        let p = n - 1;
        let refs = vec![format!("*-a{p}"); 9].join(", ");
        text.push_str(&format!("x{n}: &-a{n} [{refs}]\n"));
    }
    refused_file(text.as_bytes(), "6:", &["expands too much", "alias bomb"]);
}

#[test]
fn many_aliases_that_expand_little_are_still_refused() {
    let mut text = String::from("name: Many\nbase: &b x\n");
    for n in 0..70 {
        text.push_str(&format!("k{n}: *b\n"));
    }
    // The 65th alias is on line 67: `k64: *b`.
    refused_file(
        text.as_bytes(),
        "67:6",
        &["more than 64 YAML aliases", "alias bomb"],
    );
}

#[test]
fn an_alias_with_no_anchor() {
    refused_file(
        b"name: Nobody\ncompany: *nowhere\n",
        "2:10",
        &["*nowhere", "no anchor"],
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
    // The top mapping is the first level, so the 64th `[` is the 65th level.
    refused_file(text.as_bytes(), "2:67", &["nested more than 64"]);
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
        "5:5",
        &[
            "duplicate key `kind`",
            "first written at line 4",
            "keep one",
        ],
    );
}

/// Audit finding: duplicate keys where crm reads no typed field (preferences, unknown
/// fields, nested mappings) passed `crm check`; `crm log` then refused the file.
#[test]
fn duplicate_keys_in_preferences() {
    refused_file(
        b"name: Dup\npreferences:\n  coffee: black\n  coffee: oat\n",
        "4:3",
        &["duplicate key `coffee`", "first written at line 3"],
    );
}

#[test]
fn duplicate_unknown_top_level_keys() {
    refused_file(
        b"name: Dup\nnotes: one\nnotes: two\n",
        "3:1",
        &["duplicate key `notes`"],
    );
}

#[test]
fn duplicate_keys_in_an_unknown_nested_mapping() {
    refused_file(
        b"name: Dup\naddress:\n  home:\n    city: Oslo\n    city: Bergen\n",
        "5:5",
        &["duplicate key `city`"],
    );
}

#[test]
fn duplicate_unknown_keys_inside_an_interaction() {
    refused_file(
        b"name: Dup\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    mood: good\n    mood: bad\n",
        "6:5",
        &["duplicate key `mood`"],
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
    let before = snapshot(book.root());
    let outside_before = snapshot(outside.path());

    // `crm check` reports it like any other problem: `path:line:col: message`, exit 1.
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("customers:1:1: is a symlink to `") && err.contains("outside the book"),
        "{err}"
    );
    assert!(
        !err.contains("ada.yaml"),
        "nothing behind the link is read: {err}"
    );
    for args in [
        &["list"][..],
        &["show", "ada"],
        &["log", "ada", "note", "x"],
        &["add", "Eve"],
    ] {
        let (code, _, err) = run(&book, args);
        assert_eq!(code, Some(2), "{:?}: {err}", &args[..2]);
        assert!(
            err.contains("customers") && err.contains("outside the book"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(snapshot(book.root()), before, "no file of the book changed");
    assert_eq!(
        snapshot(outside.path()),
        outside_before,
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
    assert!(
        made.is_ok_and(|s| s.success()),
        "this test needs `mkfifo` (coreutils) to make a FIFO"
    );
    // Reading a FIFO would block for ever; crm must look before it opens.
    assert_refused(&book, "pipe", "1:1", &["not a regular file"]);
}

/// Whether this process runs as root (which reads any file, whatever its mode).
fn running_as_root() -> bool {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The nobody user's id, which crm is run as when the tests run as root.
const NOBODY: u32 = 65534;

/// Runs crm as user and group [`NOBODY`] through util-linux's `setpriv`, with the same
/// clean environment as [`TempBook::crm`].
fn run_as_nobody(book: &TempBook, args: &[&str]) -> (Option<i32>, String, String) {
    let crm = common::crm_for_anyone();
    let mut cmd = std::process::Command::new("setpriv");
    cmd.arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(&crm)
        .args(args)
        .current_dir(book.root())
        .env_remove("CRM_DIR")
        .env_remove("NO_COLOR")
        .env("CRM_TODAY", common::TODAY)
        .env("HOME", book.root());
    let output = cmd.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Review finding: as root (as CI may run) this test used to print "skipped" and pass,
/// so it could never fail. Root reads any file, so there crm is run as `nobody`, who
/// owns the book but may not read the one locked file; without `setpriv` to do that,
/// the test fails (as tests/single_file.rs does).
#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let book = book();
    let path = book.customer_path("locked");
    fs::write(&path, "name: Locked\n").unwrap();
    let runner: Runner = if running_as_root() {
        // A test that cannot run must fail, not pass after printing "skipped".
        let setpriv = std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            setpriv,
            "this test runs as root and needs `setpriv` (util-linux) to run crm as an unprivileged user; install util-linux"
        );
        for entry in walkdir::WalkDir::new(book.root()) {
            let entry = entry.unwrap();
            std::os::unix::fs::lchown(entry.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        }
        &run_as_nobody
    } else {
        &run
    };
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    let (code, out, err) = runner(&book, &["show", "ada", "--format", "json"]);
    assert_eq!(
        code,
        Some(0),
        "the runner can read the rest of the book: {err}"
    );
    assert!(out.contains("Ada Lovelace"));
    assert_refused_by(
        &book,
        "locked",
        "1:1",
        &["permission denied", "chmod u+r"],
        runner,
    );
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
    let before = snapshot(book.root());
    // Where a naive `customers/{id}.yaml` join would lead (`../../etc/passwd` leaves
    // the book): that file must not appear or change.
    let naive = book.path("customers").join(format!("{id}.yaml"));
    let naive_before = fs::read(&naive).ok();
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
    assert_eq!(fs::read(&naive).ok(), naive_before, "{}", naive.display());
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
    let others = |book: &TempBook| {
        let mut files = snapshot(book.root());
        files.remove(Path::new(&format!("customers/{id}.yaml")));
        files
    };
    let others_before = others(book);
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
    assert_eq!(others(book), others_before, "no other file changed");
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

// ---- terminal safety of messages ------------------------------------------------------

/// Asserts that `text` holds no byte that a terminal would act on (ESC, BEL, ...).
fn assert_no_control_characters(text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control characters reach the terminal: {text:?}"
    );
}

/// Audit finding: a file named `x\e]0;PWNED\ax.yaml` made `crm check` print a raw
/// escape sequence (this one sets the terminal's title).
#[test]
fn a_file_name_with_an_escape_sequence_is_not_printed_raw() {
    let book = book();
    book.write("customers/x\u{1b}]0;PWNED\u{7}x.yaml", "name: X\n");
    let before = snapshot(book.root());
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the file name is not a valid id"), "{err}");
    assert!(
        err.contains("]0;PWNED"),
        "the name is still recognisable: {err}"
    );
    assert_no_control_characters(&err);
    let (code, out, err) = run(&book, &["list", "--format", "json"]);
    assert_eq!(code, Some(3), "{err}");
    assert_no_control_characters(&err);
    assert_eq!(listed_ids(&out), ["ada", "bob"]);
    assert_eq!(snapshot(book.root()), before, "no file changed");
}

/// Audit finding: the target of a symlink out of the book was printed raw.
#[test]
fn a_symlink_target_with_an_escape_sequence_is_not_printed_raw() {
    let book = book();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("evil\u{1b}[2J\u{1b}]0;x\u{7}.yaml");
    fs::write(&target, "name: Evil\n").unwrap();
    std::os::unix::fs::symlink(&target, book.customer_path("link")).unwrap();
    let before = snapshot(book.root());
    for args in [&["check"][..], &["show", "link"], &["list"]] {
        let (_, _, err) = run(&book, args);
        assert!(err.contains("outside the book"), "{args:?}: {err}");
        assert_no_control_characters(&err);
    }
    assert_eq!(snapshot(book.root()), before, "no file changed");
}

#[test]
fn a_customers_folder_symlink_with_an_escape_sequence_is_not_printed_raw() {
    let book = TempBook::without_git();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("c\u{1b}[31m");
    fs::create_dir(&target).unwrap();
    fs::remove_dir(book.path("customers")).unwrap();
    std::os::unix::fs::symlink(&target, book.path("customers")).unwrap();
    for args in [&["check"][..], &["list"]] {
        let (_, _, err) = run(&book, args);
        assert!(err.contains("outside the book"), "{args:?}: {err}");
        assert_no_control_characters(&err);
    }
}

/// Each wrong value makes `crm check` read its mapping again without it; a long list of
/// wrong values must not make that quadratic.
#[test]
fn a_long_list_of_wrong_values() {
    let mut text = String::from("name: Wrong\ntags:\n");
    for n in 0..50_000 {
        text.push_str(&format!("  - [{n}]\n"));
    }
    refused_file(
        text.as_bytes(),
        "3:5",
        &["tags[0]", "expected a piece of text"],
    );
    let book = book();
    book.customer("wrong", &text);
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("more problems follow"), "{err}");
    assert!(err.lines().count() < 30, "{err}");
}

/// Review finding: a file starting with two byte-order marks passed `crm check`, and
/// then `crm log` refused it as crm's own mistake.
#[test]
fn two_byte_order_marks_are_reported_by_check_and_refused_alike() {
    let book = TempBook::new();
    book.write("customers/x.yaml", "\u{feff}\u{feff}name: A\n");
    book.crm(&["check"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "customers/x.yaml:1:1: starts with two byte-order marks",
        ));
    book.crm(&["log", "x", "call", "hi"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("two byte-order marks"));
    assert_eq!(book.read_customer("x"), "\u{feff}\u{feff}name: A\n");
}

// ---- issue 10: writes over crm's own limits, and input without bounds -------------

/// `crm ARGS` in `book` with its address space capped at 200 MB (`ulimit -v`) and a
/// wall-clock budget: returns the exit code, stderr, and how long it took. A crm that
/// needs more memory fails to allocate and aborts; one that takes too long is killed.
fn run_bounded(book: &TempBook, args: &[&str]) -> (Option<i32>, String, std::time::Duration) {
    let cmd = book.crm(args);
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg("ulimit -v 200000 && exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(book.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let started = std::time::Instant::now();
    let mut child = shell.spawn().unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("crm {:?} ran for over 10 s", &args[..2]);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed(),
    )
}

fn assert_quick_refusal(book: &TempBook, args: &[&str], words: &[&str]) {
    let before = snapshot(book.root());
    let (code, err, took) = run_bounded(book, args);
    assert_eq!(code, Some(2), "{:?}: {err}", &args[..2]);
    for word in words {
        assert!(err.contains(word), "{word:?} missing in {err}");
    }
    assert!(
        took < std::time::Duration::from_secs(1),
        "{:?} took {took:?}",
        &args[..2]
    );
    assert_eq!(snapshot(book.root()), before, "no file changed");
}

/// Issue 10 item 5: a 50 MB cell was written into a customer file every later command
/// refuses. Now it is refused with the row's line, in bounded memory.
#[test]
fn an_import_with_a_50_mb_cell_is_refused() {
    let book = book();
    let mut csv = b"customer,date,amount,item\nada,2025-01-02,5.00,".to_vec();
    csv.resize(csv.len() + 50_000_000, b'a');
    csv.push(b'\n');
    fs::write(book.path("big.csv"), &csv).unwrap();
    assert_quick_refusal(&book, &["import", "purchases", "big.csv"], &["big.csv:2:"]);
}

/// Issue 10 item 5: a cell under the row limit but over the 64 KiB text limit.
#[test]
fn an_import_with_a_100_kib_cell_is_refused_at_its_line() {
    let book = book();
    let csv = format!(
        "customer,date,amount,item\nbob,2025-01-02,5.00,x\nada,2025-01-02,5.00,{}\n",
        "a".repeat(100 * 1024)
    );
    fs::write(book.path("long.csv"), csv).unwrap();
    assert_quick_refusal(
        &book,
        &["import", "purchases", "long.csv"],
        &["long.csv:3:", "64 KiB"],
    );
}

/// Issue 10 item 5: `crm log` and `crm add` refuse a text value over 64 KiB.
#[test]
fn log_and_add_refuse_a_text_over_64_kib() {
    let book = book();
    let long = "a".repeat(64 * 1024 + 1);
    assert_quick_refusal(
        &book,
        &["log", "ada", "note", &long],
        &["64 KiB", "summary"],
    );
    assert_quick_refusal(&book, &["add", &long, "--id", "long"], &["64 KiB", "name"]);
    // The limit itself is fine.
    let (code, err, _) = run_bounded(&book, &["log", "ada", "note", &long[1..]]);
    assert_eq!(code, Some(0), "{err}");
}

/// Issue 10 item 5: `crm log` that would push a file past the 8 MiB the reader takes
/// is refused up front, so the file stays readable.
#[test]
fn a_log_that_would_pass_the_file_limit_is_refused() {
    let book = book();
    let entry = format!(
        "  - date: 2025-01-01\n    kind: note\n    summary: {}\n",
        "b".repeat(60_000)
    );
    let mut text = String::from("name: Big\ninteractions:\n");
    while text.len() + entry.len() < 8 * 1024 * 1024 - 30_000 {
        text.push_str(&entry);
    }
    fs::write(book.customer_path("big"), &text).unwrap();
    let note = "c".repeat(60_000);
    assert_quick_refusal(
        &book,
        &["log", "big", "note", &note],
        &["8 MiB", "nothing was written"],
    );
}

/// Issue 10 item 5: `crm edit` refuses a value over 64 KiB too.
#[test]
fn edit_refuses_a_text_over_64_kib() {
    let book = book();
    let scripts = tempfile::tempdir().unwrap();
    let editor = scripts.path().join("editor");
    fs::write(
        &editor,
        format!(
            "#!/bin/sh\nprintf 'name: %s\\n' '{}' > \"$1\"\n",
            "d".repeat(70 * 1024)
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&editor, fs::Permissions::from_mode(0o755)).unwrap();
    let output = book
        .crm(&["edit", "ada"])
        .env("EDITOR", &editor)
        .env("VISUAL", &editor)
        .write_stdin("n\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("64 KiB"), "{err}");
    assert_eq!(book.read_customer("ada"), ADA);
}

/// Issue 10 item 6: `crm import purchases /dev/zero` grew to 8.8 GB and aborted.
#[test]
fn importing_dev_zero_is_refused_in_bounded_memory() {
    let book = book();
    assert_quick_refusal(
        &book,
        &["import", "purchases", "/dev/zero"],
        &["/dev/zero:1:", "NUL byte"],
    );
}

/// Issue 10 item 6: a sparse 1 GB file is refused before it is read.
#[test]
fn importing_a_sparse_gigabyte_is_refused_up_front() {
    let book = book();
    let file = fs::File::create(book.path("sparse.csv")).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    assert_quick_refusal(
        &book,
        &["import", "purchases", "sparse.csv"],
        &["sparse.csv:1:", "64 MiB"],
    );
}

/// Issue 10 item 6: an unclosed quote makes the rest of the file one row: refused at
/// the line where the row starts, without holding it.
#[test]
fn an_unclosed_quote_is_refused_at_its_line() {
    let book = book();
    let mut csv =
        b"customer,date,amount,item\nbob,2025-01-02,5.00,x\nada,2025-01-02,5.00,\"open\n".to_vec();
    for _ in 0..80_000 {
        csv.extend_from_slice(b"ada,2025-01-02,5.00,more\n");
    }
    fs::write(book.path("open.csv"), &csv).unwrap();
    assert_quick_refusal(
        &book,
        &["import", "purchases", "open.csv"],
        &["open.csv:3:", "quote"],
    );
}

// ---- issue 10 item 7: spreadsheet formulas in CSV exports ------------------------

fn csv_cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Issue 10 item 7: `crm add '=HYPERLINK(...)'` then `crm export customers` wrote the
/// cell raw, and a spreadsheet would run it. Now text cells that start a formula get a
/// leading `'`, numbers stay numbers, `--raw` opts out, and importing crm's own export
/// gives back the original values.
#[test]
fn csv_exports_neutralise_formulas_and_read_back() {
    let book = TempBook::new();
    let evil = "=HYPERLINK(\"http://evil\",\"x\")";
    book.crm(&["add", evil, "--id", "evil", "--phone", "+44 20 7946 0958"])
        .assert()
        .success();
    book.crm(&["add", "'quoted", "--id", "quoted"])
        .assert()
        .success();
    book.crm(&[
        "log", "evil", "purchase", "--amount", "5.00", "--item", "@cmd",
    ])
    .assert()
    .success();
    book.crm(&["log", "evil", "note", "--", "-5 off next time"])
        .assert()
        .success();

    let customers = common::stdout_of(book.crm(&["export", "customers"]));
    let rows = csv_cells(&customers);
    assert_eq!(rows[1][1], format!("'{evil}"), "{customers}");
    assert_eq!(rows[1][3], "'+44 20 7946 0958");
    assert_eq!(rows[2][1], "''quoted");
    let interactions = common::stdout_of(book.crm(&["export", "interactions"]));
    let rows = csv_cells(&interactions);
    assert_eq!(
        rows[1][3], "5.00",
        "a number stays a number: {interactions}"
    );
    assert_eq!(rows[1][4], "'@cmd");
    assert_eq!(rows[2][6], "'-5 off next time");
    for row in &rows {
        for cell in row {
            assert!(
                !(cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err())),
                "{cell:?} would run as a formula"
            );
        }
    }
    let raw = common::stdout_of(book.crm(&["export", "customers", "--raw"]));
    assert_eq!(csv_cells(&raw)[1][1], evil);

    // crm's own export reads back to the original.
    let copy = TempBook::new();
    copy.write("customers.csv", &customers);
    copy.write("interactions.csv", &interactions);
    copy.crm(&["import", "customers", "customers.csv"])
        .assert()
        .success();
    copy.crm(&["import", "interactions", "interactions.csv"])
        .assert()
        .success();
    assert_eq!(
        common::stdout_of(copy.crm(&["export", "customers", "--raw"])),
        raw
    );
    assert_eq!(
        common::stdout_of(copy.crm(&["export", "interactions", "--raw"])),
        common::stdout_of(book.crm(&["export", "interactions", "--raw"]))
    );
}

// ---- issue 10 item 8: ids Windows cannot check out --------------------------------

/// Issue 10 item 8: `con`, `nul`, `com1`, ... were accepted as ids; a book holding
/// `customers/con.yaml` cannot be checked out on Windows.
#[test]
fn ids_that_are_windows_device_names() {
    for id in ["con", "nul", "aux", "prn", "com1", "lpt9"] {
        refused_id(id, &["device name on Windows", &format!("--id {id}-1")]);
    }
}

/// Issue 10 item 8: a name that slugs to a device name, and an import row with one.
#[test]
fn add_and_import_refuse_windows_device_names() {
    let book = book();
    let before = snapshot(book.root());
    let (code, _, err) = run(&book, &["add", "Con"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("device name on Windows"), "{err}");
    book.write("c.csv", "id,name\nok,Fine\nnul,Nul Ltd\n");
    let (code, _, err) = run(&book, &["import", "customers", "c.csv"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("c.csv:3:") && err.contains("device name on Windows"),
        "{err}"
    );
    fs::remove_file(book.path("c.csv")).unwrap();
    assert_eq!(snapshot(book.root()), before);
}

// ---- issue 10 item 9: near misses of crm's keys, unknown kinds ----------------------

/// Issue 10 item 9: `interaction:` / `Interactions:` / a key with a zero-width space
/// passed `crm check` with "no problems", its entries were ignored, and `crm log` then
/// added a second list.
#[test]
fn a_misspelt_interactions_key_is_reported_and_log_refuses_a_second_list() {
    let entries = "  - date: 2025-01-01\n    kind: call\n    summary: Long talk\n";
    for key in [
        "interaction",
        "Interactions",
        "inter\u{200B}actions",
        "interactons",
    ] {
        let book = book();
        let text = format!("name: Mia\n{key}:\n{entries}");
        book.customer("mia", &text);
        let (code, _, err) = run(&book, &["check"]);
        assert_eq!(code, Some(1), "{key:?}: {err}");
        assert!(
            err.contains("customers/mia.yaml:2:1:") && err.contains("did you mean `interactions`?"),
            "{key:?}: {err}"
        );
        let (code, _, err) = run(&book, &["log", "mia", "note", "x"]);
        assert_eq!(code, Some(2), "{key:?}: {err}");
        assert!(err.contains("second list"), "{err}");
        assert_eq!(book.read_customer("mia"), text, "nothing was written");
    }
}

/// Issue 10 item 9: near misses of other keys, and unknown keys that are not near
/// misses (which stay allowed).
#[test]
fn near_misses_of_known_keys_are_problems_but_other_unknown_keys_are_fine() {
    let book = book();
    book.customer(
        "mia",
        "name: Mia\nEmail: mia@example.com\nfollow-up:\n  every: 30d\n",
    );
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("customers/mia.yaml:2:1:") && err.contains("`email`"),
        "{err}"
    );
    assert!(
        err.contains("customers/mia.yaml:3:1:") && err.contains("`follow_up`"),
        "{err}"
    );
    let book = self::book();
    book.customer(
        "mia",
        "name: Mia\nnotes: likes tea\nvat_number: X1\nshoe_size: 39\n",
    );
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(0), "{err}");
}

/// `archived` (issue 13's `crm archive`) is one of crm's keys too: `Archived:` is a near
/// miss of it, as `Email:` is of `email`, and the key as crm writes it is no problem.
#[test]
fn a_near_miss_of_archived_is_a_problem_and_archived_is_not() {
    let book = book();
    book.customer("mia", "name: Mia\nArchived: 2025-01-01\n");
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("customers/mia.yaml:2:1:") && err.contains("did you mean `archived`?"),
        "{err}"
    );
    book.customer("mia", "name: Mia\narchived: 2025-01-01\n");
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(0), "{err}");
}

/// Issue 10 item 9: an unknown kind (`cal`) was reported only by `crm check`; list,
/// show and stats counted it silently.
#[test]
fn an_unknown_kind_is_a_warning_from_list_show_and_stats() {
    let book = book();
    book.customer(
        "mia",
        "name: Mia\ninteractions:\n  - date: 2025-01-01\n    kind: cal\n",
    );
    for args in [vec!["list"], vec!["show", "mia"], vec!["stats"]] {
        let (code, _, err) = run(&book, &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            err.contains("warning:")
                && err.contains("`cal`")
                && err.contains("did you mean `call`?"),
            "{args:?}: {err}"
        );
    }
    let (_, _, err) = run(&book, &["show", "ada"]);
    assert!(err.is_empty(), "no warning about other customers: {err}");
}

// ---- issue 10 item 10: the smaller ones ---------------------------------------------

/// Issue 10 item 10: a `crm.toml` that is not UTF-8 had no position and made check
/// exit 2 instead of 1.
#[test]
fn a_settings_file_that_is_not_utf8_is_a_located_problem() {
    let book = book();
    fs::write(
        book.path("crm.toml"),
        b"currency = \"EUR\"\nnote = \"caf\xe9\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("crm.toml:2:12: is not UTF-8"), "{err}");
    let (code, _, err) = run(&book, &["list"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("crm.toml:2:12: is not UTF-8"), "{err}");
}

/// Issue 10 item 10: `crm snooze` moved a follow-up earlier although its help says
/// "to a later day"; now that needs `--earlier`.
#[test]
fn snooze_refuses_to_move_a_follow_up_earlier_without_earlier() {
    let book = book();
    book.customer(
        "mia",
        "name: Mia\ninteractions:\n  - date: 2025-06-01\n    kind: call\n    follow_up: 2025-06-30\n",
    );
    let before = book.read_customer("mia");
    let (code, _, err) = run(&book, &["snooze", "mia", "2025-06-20"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--earlier") && err.contains("2025-06-30"),
        "{err}"
    );
    assert_eq!(book.read_customer("mia"), before);
    let (code, _, err) = run(&book, &["snooze", "mia", "2025-06-20", "--earlier"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&book, &["snooze", "mia", "2025-07-20"]);
    assert_eq!(code, Some(0), "later is fine: {err}");
}

/// Issue 10 item 10: `2025-09-31` said "is not a date; write dates as YYYY-MM-DD"
/// although it is in that format.
#[test]
fn a_day_past_the_end_of_its_month_says_how_many_days_the_month_has() {
    let book = book();
    book.customer("mia", "name: Mia\nbirthday: 2025-09-31\n");
    let (code, _, err) = run(&book, &["check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("September 2025 has 30 days"), "{err}");
    let (code, _, err) = run(&book, &["log", "ada", "note", "x", "--date", "2025-02-29"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("February 2025 has 28 days"), "{err}");
    book.write("p.csv", "customer,date,amount\nada,2025-04-31,5.00\n");
    let (code, _, err) = run(&book, &["import", "purchases", "p.csv"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("p.csv:2:") && err.contains("April 2025 has 30 days"),
        "{err}"
    );
}

/// Issue 10 item 10: `crm show Marta` suggested `marta`, which does not exist either.
#[test]
fn an_invalid_id_suggests_only_ids_that_exist() {
    let book = book();
    book.customer("martha", "name: Martha\n");
    let (code, _, err) = run(&book, &["show", "Marta"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did you mean `martha`?"), "{err}");
    assert!(!err.contains("`marta`"), "{err}");
    let (_, _, err) = run(&book, &["show", "Ada"]);
    assert!(err.contains("did you mean `ada`?"), "{err}");
    let (_, _, err) = run(&book, &["log", "Zed", "note", "x"]);
    assert!(!err.contains("`zed`"), "{err}");
}

/// Issue 10 item 10: `crm edit --new` saved a file with a bad email (the README says it
/// saves only valid files). Now the rules of `crm check` apply, and (off a terminal,
/// where it cannot ask to re-open) it is refused with the copy kept.
#[test]
fn edit_new_refuses_a_bad_email() {
    use std::os::unix::fs::PermissionsExt;
    let book = book();
    let scripts = tempfile::tempdir().unwrap();
    let editor = scripts.path().join("editor");
    fs::write(
        &editor,
        "#!/bin/sh\nprintf 'name: Eve\\nemail: not-an-email\\n' > \"$1\"\n",
    )
    .unwrap();
    fs::set_permissions(&editor, fs::Permissions::from_mode(0o755)).unwrap();
    let output = book
        .crm(&["edit", "--new", "Eve"])
        .env("EDITOR", &editor)
        .env("VISUAL", &editor)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("customers/eve.yaml:2:") && err.contains("email"),
        "{err}"
    );
    assert!(
        !book.customer_path("eve").exists(),
        "the bad file was saved"
    );
}

/// Issue 10 item 10: an import stopped part-way by a full disk said "256 of 400
/// written" but exited 2, which says nothing was changed. The disk filling up is made
/// real by strace failing the 257th rename (the first of the second group of 256
/// files) with ENOSPC. strace counts each thread's calls apart, so crm runs with one
/// worker thread, which makes every rename; the rest of the failing group is still
/// written (a group is swapped in at once), so 399 files are.
#[test]
fn an_import_stopped_part_way_says_what_it_wrote_and_exits_6() {
    assert!(
        Path::new("/usr/bin/strace").exists(),
        "this test needs strace to fail a rename with ENOSPC; .ci/run installs it"
    );
    let book = book();
    let mut csv = String::from("id,name\n");
    for n in 0..400 {
        csv.push_str(&format!("c{n:03},Customer {n}\n"));
    }
    book.write("c.csv", &csv);
    let cmd = book.crm(&["import", "customers", "c.csv"]);
    let mut traced = std::process::Command::new("/usr/bin/strace");
    traced
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat2"])
        .args(["-e", "inject=renameat2:error=ENOSPC:when=257"])
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(book.root());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => traced.env(key, value),
            None => traced.env_remove(key),
        };
    }
    traced.env("RAYON_NUM_THREADS", "1");
    let output = traced.output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{err}");
    assert!(
        err.contains("399 of 400 customer files were written"),
        "{err}"
    );
    let written = fs::read_dir(book.path("customers"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('c')
        })
        .count();
    assert_eq!(written, 399);
    // Running it again finishes it.
    let (code, _, err) = run(&book, &["import", "customers", "c.csv"]);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = run(&book, &["list", "--format", "json"]);
    assert_eq!(listed_ids(&out).len(), 402);
}
