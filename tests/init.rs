//! `crm init`: where the book is made, what it writes to an existing folder, and that a
//! refused or failed init leaves the folder as it was.

mod common;

use std::fs;
use std::path::Path;

use common::crm_command;
use predicates::prelude::*;

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Audit finding 9a: an existing .gitignore that is not UTF-8 was wiped.
#[test]
fn init_appends_to_a_non_utf8_gitignore_keeping_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let original: &[u8] = b"target\n# caf\xe9 (latin-1)\nnotes.txt";
    fs::write(dir.path().join(".gitignore"), original).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    let now = fs::read(dir.path().join(".gitignore")).unwrap();
    assert!(now.starts_with(original), "{now:?}");
    assert!(now.ends_with(b"\n/.crm/\n"), "{now:?}");
    assert!(now[original.len()..].starts_with(b"\n#"), "{now:?}");
}

#[test]
fn init_leaves_a_gitignore_that_has_the_line_alone() {
    let dir = tempfile::tempdir().unwrap();
    let original: &[u8] = b"\xff\n/.crm/\n";
    fs::write(dir.path().join(".gitignore"), original).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    assert_eq!(fs::read(dir.path().join(".gitignore")).unwrap(), original);
}

/// Audit finding 9b: with CRM_DIR set (to find an existing book), `crm init newbook`
/// made the book under CRM_DIR instead of the current folder.
#[test]
fn crm_dir_does_not_move_where_init_makes_the_book() {
    let elsewhere = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(elsewhere.path())
        .args(["init"])
        .assert()
        .success();
    let here = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(here.path())
        .env("CRM_DIR", elsewhere.path())
        .args(["init", "newbook"])
        .assert()
        .success();
    assert!(here.path().join("newbook/crm.toml").is_file());
    assert!(!elsewhere.path().join("newbook").exists());
}

/// `-C DIR` works as `git -C`: `crm -C DIR init NAME` makes DIR/NAME.
#[test]
fn dash_c_moves_where_init_makes_the_book() {
    let here = tempfile::tempdir().unwrap();
    fs::create_dir(here.path().join("projects")).unwrap();
    crm_command()
        .current_dir(here.path())
        .args(["-C", "projects", "init", "shop"])
        .assert()
        .success();
    assert!(here.path().join("projects/shop/crm.toml").is_file());
}

/// Audit finding 9c: `crm init` inside an existing book silently nested a book.
#[test]
fn init_inside_a_book_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "b1"])
        .assert()
        .success();
    let before = listing(&dir.path().join("b1"));
    crm_command()
        .current_dir(dir.path())
        .args(["init", "b1/sub"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("is inside the crm book").and(predicate::str::contains(
                "hint: make the new book in a folder outside",
            )),
        );
    assert_eq!(listing(&dir.path().join("b1")), before);
    // Also from inside the book.
    fs::create_dir(dir.path().join("b1/sub")).unwrap();
    crm_command()
        .current_dir(dir.path().join("b1/sub"))
        .args(["init"])
        .assert()
        .code(2);
    assert!(listing(&dir.path().join("b1/sub")).is_empty());
}

/// Audit finding 9d: with a dangling crm.toml link, init wrote .gitignore and
/// customers/ and only then failed.
#[test]
fn init_over_a_dangling_crm_toml_link_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("missing.toml"), dir.path().join("crm.toml"))
        .unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("a link to a missing file")
                .and(predicate::str::contains("hint:")),
        );
    assert_eq!(listing(dir.path()), ["crm.toml"]);
}

#[test]
fn init_where_customers_is_a_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("customers"), "not a folder\n").unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a folder"));
    assert_eq!(listing(dir.path()), ["customers"]);
}

#[test]
fn init_with_an_unreadable_gitignore_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".gitignore")).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("failed to read").and(predicate::str::contains("hint:")));
    assert_eq!(listing(dir.path()), [".gitignore"]);
}

/// A failure after the files are written (here git cannot make its repository, as a
/// broken `.git` file is in the way) takes back what init wrote.
#[test]
fn init_that_fails_to_make_the_repository_takes_its_files_back() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".git"), "junk\n").unwrap();
    fs::write(dir.path().join(".gitignore"), "target\n").unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing was created"));
    assert_eq!(listing(dir.path()), [".git", ".gitignore"]);
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target\n"
    );
}

#[test]
fn init_commits_the_book_as_crm_commit_would_name_it() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    let repo = git2::Repository::open(dir.path()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        head.message(),
        Some("start the crm book\n\nCommitted-by: crm\n")
    );
}
