//! `crm merge-file`, git's merge driver for customer files: run directly on three
//! files, and by a real `git merge` between two branches of a book with the driver
//! registered as a clone registers it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{crm_command, TempBook};

const BASE: &str = "# met at the fair\nname: Ada Lovelace\nemail: ada@example.com # work\ninteractions:\n  - date: 2025-06-01\n    kind: call\n";

/// The three versions git hands a driver, in a temporary folder; returns it and the
/// path of OURS.
fn three(base: &str, ours: &str, theirs: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("base"), base).unwrap();
    fs::write(dir.path().join("ours"), ours).unwrap();
    fs::write(dir.path().join("theirs"), theirs).unwrap();
    let ours = dir.path().join("ours");
    (dir, ours)
}

fn merge_file(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = crm_command();
    cmd.current_dir(dir)
        .args(["merge-file", "base", "ours", "theirs"])
        .args(extra);
    cmd.assert()
}

#[test]
fn merge_file_keeps_both_sides_entries_in_date_order() {
    let ours =
        format!("{BASE}  - date: 2025-06-14\n    kind: email\n    summary: sent the quote\n");
    let theirs =
        format!("{BASE}  - date: 2025-06-10\n    kind: call\n    summary: asked for a quote\n");
    let (dir, ours_path) = three(BASE, &ours, &theirs);
    merge_file(dir.path(), &["customers/ada-lovelace.yaml"])
        .code(0)
        .stdout("")
        .stderr("");
    assert_eq!(
        fs::read_to_string(ours_path).unwrap(),
        format!("{BASE}  - date: 2025-06-10\n    kind: call\n    summary: asked for a quote\n  - date: 2025-06-14\n    kind: email\n    summary: sent the quote\n")
    );
}

#[test]
fn merge_file_marks_a_conflict_on_the_key_alone_and_exits_1() {
    let ours = BASE.replace("ada@example.com", "ada@ours.org");
    let theirs = format!(
        "{}  - date: 2025-06-10\n    kind: call\n",
        BASE.replace("ada@example.com", "ada@theirs.org")
    );
    let (dir, ours_path) = three(BASE, &ours, &theirs);
    let assert = merge_file(dir.path(), &["customers/ada-lovelace.yaml"]).code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(
        stderr,
        "customers/ada-lovelace.yaml:3:1: merge conflict in `email`: changed differently on both sides: ours `ada@ours.org`, theirs `ada@theirs.org`; keep one side and delete the marker lines\n"
    );
    assert_eq!(
        fs::read_to_string(ours_path).unwrap(),
        "# met at the fair\nname: Ada Lovelace\n<<<<<<< ours\nemail: ada@ours.org # work\n=======\nemail: ada@theirs.org # work\n>>>>>>> theirs\ninteractions:\n  - date: 2025-06-01\n    kind: call\n  - date: 2025-06-10\n    kind: call\n"
    );
}

#[test]
fn merge_file_honours_the_marker_size() {
    let ours = BASE.replace("ada@example.com", "ada@ours.org");
    let theirs = BASE.replace("ada@example.com", "ada@theirs.org");
    let (dir, ours_path) = three(BASE, &ours, &theirs);
    merge_file(
        dir.path(),
        &["--marker-size", "9", "customers/ada-lovelace.yaml"],
    )
    .code(1);
    let text = fs::read_to_string(ours_path).unwrap();
    assert!(text.contains("\n<<<<<<<<< ours\n"), "{text}");
    assert!(text.contains("\n=========\n"), "{text}");
    assert!(text.contains("\n>>>>>>>>> theirs\n"), "{text}");
}

#[test]
fn merge_file_merges_other_files_line_by_line() {
    let (dir, ours_path) = three("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n");
    merge_file(dir.path(), &["crm.toml"]).code(0);
    assert_eq!(fs::read_to_string(&ours_path).unwrap(), "A\nb\nC\n");
    let (dir, ours_path) = three("a\n", "b\n", "c\n");
    merge_file(dir.path(), &["notes/todo.txt"])
        .code(1)
        .stderr(predicates::str::contains(
            "notes/todo.txt:1:1: merge conflict in these lines",
        ));
    assert_eq!(
        fs::read_to_string(&ours_path).unwrap(),
        "<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n"
    );
}

#[test]
fn merge_file_does_not_guess_at_a_side_that_does_not_read() {
    let ours = format!("{BASE}  - date: 2025-06-14\n    kind: email\n");
    let theirs = BASE.replace("name: Ada Lovelace", "name: [Ada");
    let (dir, _) = three(BASE, &ours, &theirs);
    merge_file(dir.path(), &["customers/ada-lovelace.yaml"])
        .code(1)
        .stderr(predicates::str::contains(
            "merge conflict in the whole file: their side does not read as a customer file (customers/ada-lovelace.yaml:2:",
        ));
}

#[test]
fn merge_file_reports_an_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    merge_file(dir.path(), &[])
        .code(2)
        .stderr(predicates::str::contains("failed to read `"));
}

#[test]
fn init_writes_the_merge_attribute_and_commits_it() {
    let book = TempBook::new();
    let attributes = book.read(".gitattributes");
    assert!(
        attributes
            .lines()
            .any(|l| l == "customers/*.yaml merge=crm"),
        "{attributes}"
    );
    let show = git(book.root(), &["show", "HEAD:.gitattributes"]);
    assert_eq!(show, attributes);

    // A folder with a .gitattributes of its own keeps it, with the rule added.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".gitattributes"), "*.png binary").unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitattributes")).unwrap(),
        "*.png binary\ncustomers/*.yaml merge=crm\n"
    );
}

/// Runs git in `dir` with the tests' identity and no user configuration; its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir, args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn git_command(dir: &Path, args: &[&str]) -> Command {
    let home = std::env::temp_dir().join("crm-test-home-without-gitconfig");
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test Person")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test Person")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env_remove("CRM_DIR")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

/// The story: Alice and Bob each `crm log` the same customer on their own
/// branch, then merge. Without the driver git stops with a conflict (both appended to
/// the end of `interactions:`); with `merge.crm.driver` registered, `git merge` is
/// clean, both entries are there once, and `crm check` passes.
#[test]
fn git_merge_with_the_driver_keeps_both_logs() {
    let book = TempBook::new();
    book.crm(&[
        "--commit",
        "add",
        "Ada Lovelace",
        "--email",
        "ada@example.com",
    ])
    .assert()
    .success();
    let main = git(book.root(), &["rev-parse", "--abbrev-ref", "HEAD"]);
    let main = main.trim();
    git(book.root(), &["checkout", "-q", "-b", "bob"]);
    book.crm(&[
        "--commit",
        "log",
        "ada-lovelace",
        "call",
        "Bob: asked about the new beans",
    ])
    .assert()
    .success();
    git(book.root(), &["checkout", "-q", main]);
    book.crm(&[
        "--commit",
        "log",
        "ada-lovelace",
        "email",
        "Alice: sent the price list",
    ])
    .assert()
    .success();
    let alice = book.read_customer("ada-lovelace");

    // Without the driver: git's line merge conflicts.
    let plain = git_command(book.root(), &["merge", "--no-edit", "bob"])
        .output()
        .unwrap();
    assert!(!plain.status.success(), "git merged without the driver?");
    git(book.root(), &["merge", "--abort"]);
    assert_eq!(book.read_customer("ada-lovelace"), alice);

    let driver = format!(
        "{} merge-file --marker-size %L %O %A %B %P",
        env!("CARGO_BIN_EXE_crm")
    );
    git(book.root(), &["config", "merge.crm.driver", &driver]);
    git(book.root(), &["merge", "--no-edit", "bob"]);
    let merged = book.read_customer("ada-lovelace");
    assert_eq!(
        merged,
        format!("{alice}  - date: 2025-06-15\n    kind: call\n    summary: \"Bob: asked about the new beans\"\n"),
        "Alice's entry first (same date: ours first), then Bob's"
    );
    assert_eq!(merged.matches("Alice: sent the price list").count(), 1);
    assert_eq!(merged.matches("Bob: asked about the new beans").count(), 1);
    book.crm(&["check"]).assert().success();
    assert_eq!(git(book.root(), &["status", "--porcelain"]), "");
}

/// The same story where both changed the email differently: git stops with the
/// driver's minimal markers, and `crm check` reports them at their line.
#[test]
fn git_merge_with_the_driver_leaves_a_conflict_check_reports() {
    let book = TempBook::new();
    book.crm(&[
        "--commit",
        "add",
        "Ada Lovelace",
        "--email",
        "a@example.com",
    ])
    .assert()
    .success();
    let main = git(book.root(), &["rev-parse", "--abbrev-ref", "HEAD"]);
    let main = main.trim();
    let driver = format!("{} merge-file %O %A %B %P", env!("CARGO_BIN_EXE_crm"));
    git(book.root(), &["config", "merge.crm.driver", &driver]);
    let path = "customers/ada-lovelace.yaml";
    git(book.root(), &["checkout", "-q", "-b", "bob"]);
    let text = book.read_customer("ada-lovelace");
    book.write(path, &text.replace("a@example.com", "ada@bob.org"));
    book.crm(&["log", "ada-lovelace", "call"])
        .assert()
        .success();
    book.crm(&["commit"]).assert().success();
    git(book.root(), &["checkout", "-q", main]);
    book.write(path, &text.replace("a@example.com", "ada@alice.org"));
    book.crm(&["commit"]).assert().success();
    let merge = git_command(book.root(), &["merge", "--no-edit", "bob"])
        .output()
        .unwrap();
    assert!(!merge.status.success());
    let merged = book.read_customer("ada-lovelace");
    assert!(
        merged.contains(
            "<<<<<<< ours\nemail: ada@alice.org\n=======\nemail: ada@bob.org\n>>>>>>> theirs\n"
        ),
        "{merged}"
    );
    assert!(
        merged.contains("    kind: call\n"),
        "Bob's call is merged: {merged}"
    );
    let line = merged.lines().position(|l| l == "<<<<<<< ours").unwrap() + 1;
    book.crm(&["check"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "{path}:{line}:1: unresolved merge conflict"
        )));
}

#[test]
fn check_reports_every_conflict_at_its_line() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\n<<<<<<< ours\nemail: a@ours.org\n=======\nemail: a@theirs.org\n>>>>>>> theirs\ninteractions:\n<<<<<<< ours\n  - date: 2025-06-01\n    kind: call\n=======\n>>>>>>> theirs\n",
    );
    let assert = book.crm(&["check"]).assert().code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].starts_with("customers/ada.yaml:2:1: unresolved merge conflict"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("customers/ada.yaml:8:1: unresolved merge conflict"),
        "{stderr}"
    );
    assert!(
        lines[0].contains("keep the side you want, delete the marker lines"),
        "{stderr}"
    );
}

/// A person's `CRM_DIR` (their own book, set in their shell) must not move the
/// relative paths git hands the driver.
#[test]
fn merge_file_paths_are_relative_to_where_git_runs_it_not_crm_dir() {
    let ours = format!("{BASE}  - date: 2025-06-14\n    kind: email\n");
    let theirs = BASE.replace("ada@example.com", "ada@lovelace.org");
    let (dir, ours_path) = three(BASE, &ours, &theirs);
    let elsewhere = TempBook::new();
    crm_command()
        .current_dir(dir.path())
        .env("CRM_DIR", elsewhere.root())
        .args(["merge-file", "base", "ours", "theirs", "customers/ada.yaml"])
        .assert()
        .code(0);
    assert_eq!(
        fs::read_to_string(ours_path).unwrap(),
        ours.replace("ada@example.com", "ada@lovelace.org")
    );
}
