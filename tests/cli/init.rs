//! `crm init`: where the book is made, what it writes to an existing folder, and that a
//! refused or failed init leaves the folder as it was.

use crate::common;

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

/// Review finding 9: init edited the folder's `.gitignore` (a file of the user's) to
/// ignore `.crm/`, which ignores itself; init now leaves any `.gitignore` alone, and
/// neither commits it nor lists it as a change.
#[test]
fn init_leaves_an_existing_gitignore_alone_and_uncommitted() {
    let dir = tempfile::tempdir().unwrap();
    let original: &[u8] = b"target\n# caf\xe9 (latin-1)\nnotes.txt";
    fs::write(dir.path().join(".gitignore"), original).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    assert_eq!(fs::read(dir.path().join(".gitignore")).unwrap(), original);
    let repo = git2::Repository::open(dir.path()).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(tree.get_path(Path::new(".gitignore")).is_err());
    crm_command()
        .current_dir(dir.path())
        .args(["status"])
        .assert()
        .success()
        .stdout("nothing to commit: the book matches the last commit\n");
}

/// Review finding 9: with no `.gitignore` written by init, crm's state folder must
/// still stay out of git: after init and a write (which makes `.crm/`), the only
/// untracked file is the new customer's.
#[test]
fn a_new_book_keeps_its_state_folder_out_of_git_without_a_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(dir.path()).args(args);
        cmd
    };
    crm(&["init"]).assert().success();
    // (templates/: the message templates crm init ships, issue 15)
    assert_eq!(
        listing(dir.path()),
        [
            ".git",
            ".gitattributes",
            "crm.toml",
            "customers",
            "templates"
        ]
    );
    assert_eq!(untracked(dir.path()), Vec::<String>::new());
    crm(&["add", "Ada", "--id", "ada"]).assert().success();
    assert!(dir.path().join(".crm/.gitignore").is_file());
    assert_eq!(untracked(dir.path()), ["customers/ada.yaml"]);
}

/// The files git lists as untracked or changed (ignored ones left out), sorted.
fn untracked(dir: &Path) -> Vec<String> {
    let repo = git2::Repository::open(dir).unwrap();
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    let mut paths: Vec<String> = repo
        .statuses(Some(&mut options))
        .unwrap()
        .iter()
        .map(|s| s.path().unwrap().to_string())
        .collect();
    paths.sort();
    paths
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

/// Review finding 1: `-C DIR` was taken for CRM_DIR (and ignored by init) when
/// CRM_DIR held the same value, so `CRM_DIR=/x crm -C /x init` made the book in the
/// current folder.
#[test]
fn dash_c_moves_init_even_when_crm_dir_holds_the_same_folder() {
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(here.path())
        .env("CRM_DIR", there.path())
        .arg("-C")
        .arg(there.path())
        .arg("init")
        .assert()
        .success();
    assert!(there.path().join("crm.toml").is_file());
    assert!(!here.path().join("crm.toml").exists());
}

/// Review finding 8: `crm init` on a folder that already held customer files left
/// them out of the first commit without a word.
#[test]
fn init_commits_the_customer_files_already_in_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("customers")).unwrap();
    fs::write(dir.path().join("customers/ada.yaml"), "name: Ada\n").unwrap();
    fs::write(dir.path().join("customers/bob.yaml"), "name: [broken\n").unwrap();
    fs::write(dir.path().join("notes.txt"), "not the book's\n").unwrap();
    let output = crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("committing the 2 customer files already in customers/"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("committing `customers/bob.yaml` although it does not parse"),
        "{stderr}"
    );
    let repo = git2::Repository::open(dir.path()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        head.message(),
        Some("start the crm book; add ada; add bob\n\nCommitted-by: crm\n")
    );
    let tree = head.tree().unwrap();
    for path in [
        "crm.toml",
        ".gitattributes",
        "customers/.gitkeep",
        "customers/ada.yaml",
        "customers/bob.yaml",
    ] {
        assert!(tree.get_path(Path::new(path)).is_ok(), "{path}");
    }
    assert!(tree.get_path(Path::new("notes.txt")).is_err());
}

/// Review finding 2: `CRM_TODAY=+262142-12-31 crm snooze x friday` panicked on a date
/// overflow; a `--today` outside four-digit years is a usage error.
#[test]
fn a_today_beyond_four_digit_years_is_refused_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .success();
    fs::write(dir.path().join("customers/x.yaml"), "name: X\n").unwrap();
    for today in ["+262142-12-31", "0999-01-01"] {
        crm_command()
            .current_dir(dir.path())
            .env("CRM_TODAY", today)
            .args(["snooze", "x", "friday"])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("is out of range")
                    .and(predicate::str::contains("hint: write it as YYYY-MM-DD"))
                    .and(predicate::str::contains("panicked").not()),
            );
    }
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

/// Review finding: with `customers/` a link out of the folder, init wrote `.gitkeep`
/// through it, then failed, leaving crm.toml and a repository behind.
#[test]
fn init_with_customers_linked_out_of_the_folder_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&book).unwrap();
    fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, book.join("customers")).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "book"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside"));
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written through the link"
    );
    let left: Vec<_> = fs::read_dir(&book)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["customers"], "only the link is left");
}
