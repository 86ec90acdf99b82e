//! Git integration: `crm commit`, `status`, `history`, `undo`, and `--commit` /
//! `auto_commit`, on temporary repositories (made by crm, by git2, and by the git
//! binary where it is installed).

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use common::{crm_command, stdout_of, TempBook};
use git2::Repository;
use serde_json::Value;

const TRAILER: &str = "Committed-by: crm";

const ADA: &str = "name: Ada Lovelace\ninteractions:\n  - date: 2025-01-02\n    kind: call\n";
const CAROL: &str = "name: Carol\n";

fn repo(book: &TempBook) -> Repository {
    Repository::discover(book.root()).expect("the book is in a repository")
}

fn head_message(repo: &Repository) -> String {
    repo.head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .message()
        .unwrap()
        .to_string()
}

fn head_summary(repo: &Repository) -> String {
    head_message(repo).lines().next().unwrap_or("").to_string()
}

fn commit_count(repo: &Repository) -> usize {
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.count()
}

/// The paths the HEAD commit changed compared with its first parent.
fn head_changed_paths(repo: &Repository) -> Vec<String> {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    let parent = head.parents().next().map(|p| p.tree().unwrap());
    let diff = repo
        .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
        .unwrap();
    let mut paths: Vec<String> = diff
        .deltas()
        .map(|d| {
            d.new_file()
                .path()
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    paths.sort();
    paths
}

/// A book by `crm init` holding ada and carol, committed by `crm commit`.
fn book_with_ada_and_carol() -> TempBook {
    let book = TempBook::new();
    book.customer("ada-lovelace", ADA).customer("carol", CAROL);
    book.crm(&["commit"]).assert().success();
    book
}

fn status_json(book: &TempBook) -> Value {
    serde_json::from_str(&stdout_of(&mut book.crm(&["status", "--format", "json"])))
        .expect("status JSON")
}

/// The files `crm status` lists, as (file, state, change).
fn status_rows(book: &TempBook) -> Vec<(String, String, String)> {
    status_json(book)["changes"]
        .as_array()
        .expect("changes array")
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- crm commit

#[test]
fn commit_of_hand_edits_writes_the_message_from_what_changed() {
    let book = TempBook::new();
    book.customer("ada-lovelace", ADA).customer("carol", CAROL);
    book.crm(&["commit", "-m", "Import customers"])
        .assert()
        .success();
    let before = commit_count(&repo(&book));

    book.customer(
        "ada-lovelace",
        &format!("{ADA}  - date: 2025-06-10\n    kind: call\n"),
    );
    book.customer("bob-smith", "name: Bob Smith\n");
    book.customer("carol", "name: Carol\nemail: carol@example.com\n");
    let out = stdout_of(&mut book.crm(&["commit"]));
    assert!(out.contains("(3 files)"), "{out}");

    let repo = repo(&book);
    assert_eq!(commit_count(&repo), before + 1);
    assert_eq!(
        head_message(&repo),
        format!("log call with ada-lovelace; add bob-smith; edit carol (by hand)\n\n{TRAILER}\n")
    );
    assert_eq!(
        head_changed_paths(&repo),
        [
            "customers/ada-lovelace.yaml",
            "customers/bob-smith.yaml",
            "customers/carol.yaml"
        ]
    );
    assert!(status_rows(&book).is_empty());
}

#[test]
fn commit_with_a_message_uses_it_and_adds_the_trailer() {
    let book = TempBook::new();
    book.customer("ada-lovelace", ADA);
    book.crm(&["commit", "-m", "Import Ada from the old spreadsheet"])
        .assert()
        .success();
    assert_eq!(
        head_message(&repo(&book)),
        format!("Import Ada from the old spreadsheet\n\n{TRAILER}\n")
    );
}

#[test]
fn commit_with_an_empty_message_is_refused() {
    let book = TempBook::new();
    book.customer("ada-lovelace", ADA);
    book.crm(&["commit", "-m", "  "]).assert().code(2);
    assert_eq!(status_rows(&book).len(), 1);
}

#[test]
fn nothing_to_commit_says_so_and_exits_0() {
    let book = TempBook::new();
    let repo = repo(&book);
    let before = commit_count(&repo);
    let out = stdout_of(&mut book.crm(&["commit"]));
    assert!(out.contains("nothing to commit"), "{out}");
    assert_eq!(commit_count(&repo), before);
}

#[test]
fn commit_leaves_other_files_in_the_folder_alone() {
    let book = TempBook::new();
    book.write("notes.txt", "my own notes\n");
    book.write("customers/ada.yml", "name: Ada\n");
    book.customer("bob", "name: Bob\n");
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    assert_eq!(head_changed_paths(&repo), ["customers/bob.yaml"]);
    let status = repo.status_file(Path::new("notes.txt")).unwrap();
    assert!(status.contains(git2::Status::WT_NEW));
}

#[test]
fn a_long_change_set_gets_a_short_summary_and_a_body() {
    let book = TempBook::new();
    for n in 0..6 {
        book.customer(&format!("customer-number-{n}"), "name: Someone\n");
    }
    book.crm(&["commit"]).assert().success();
    let message = head_message(&repo(&book));
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "add 6 customers");
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "- add customer-number-0");
    assert_eq!(lines[7], "- add customer-number-5");
    assert_eq!(lines[8], "");
    assert_eq!(lines[9], TRAILER);
}

#[test]
fn a_renamed_file_is_committed_as_a_rename() {
    let book = book_with_ada_and_carol();
    fs::rename(
        book.customer_path("carol"),
        book.customer_path("carol-jones"),
    )
    .unwrap();
    assert_eq!(
        status_rows(&book),
        [(
            "customers/carol-jones.yaml".to_string(),
            "renamed".to_string(),
            "rename carol to carol-jones".to_string()
        )]
    );
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    assert_eq!(head_summary(&repo), "rename carol to carol-jones");
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(head.get_path(Path::new("customers/carol.yaml")).is_err());
    assert!(head
        .get_path(Path::new("customers/carol-jones.yaml"))
        .is_ok());
}

#[test]
fn a_deleted_customer_is_committed_as_removed() {
    let book = book_with_ada_and_carol();
    fs::remove_file(book.customer_path("carol")).unwrap();
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    assert_eq!(head_summary(&repo), "remove carol");
    assert!(repo
        .head()
        .unwrap()
        .peel_to_tree()
        .unwrap()
        .get_path(Path::new("customers/carol.yaml"))
        .is_err());
}

// ---------------------------------------------------------------- identity

#[test]
fn missing_identity_is_a_clear_error_and_crm_toml_can_supply_one() {
    let book = TempBook::new();
    book.customer("bob", "name: Bob\n");
    let repo = repo(&book);
    let before = commit_count(&repo);
    let anonymous = || {
        let mut cmd = book.crm(&["commit"]);
        cmd.env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_COMMITTER_NAME")
            .env_remove("GIT_COMMITTER_EMAIL");
        cmd
    };
    let output = anonymous().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no git identity"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert_eq!(commit_count(&repo), before);

    let config = book
        .read("crm.toml")
        .replace("# name = \"\"", "name = \"Book Keeper\"")
        .replace("# email = \"\"", "email = \"keeper@example.com\"");
    book.write("crm.toml", &config);
    assert!(anonymous().output().unwrap().status.success());
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.author().name(), Some("Book Keeper"));
    assert_eq!(head.author().email(), Some("keeper@example.com"));
}

/// Audit finding: `--commit` without an identity wrote the file and then failed with
/// exit 2, which the documentation reserves for "nothing was changed".
#[test]
fn commit_flag_without_identity_changes_nothing() {
    let book = TempBook::new();
    let repo = repo(&book);
    let before = commit_count(&repo);
    let output = book
        .crm(&["add", "Bob", "--commit"])
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot commit as --commit asks: no git identity"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(stderr.contains("leave out --commit"), "{stderr}");
    assert!(!book.customer_path("bob").exists());
    assert_eq!(commit_count(&repo), before);
}

/// When the commit itself fails after the files were written (here: another git
/// process holds the index), the command says so and exits 4, not 2.
#[test]
fn a_commit_that_fails_after_writing_exits_4_and_says_the_file_was_written() {
    let book = TempBook::new();
    let repo = repo(&book);
    let before = commit_count(&repo);
    let lock = book.path(".git/index.lock");
    fs::write(&lock, "").unwrap();
    let output = book.crm(&["add", "Bob", "--commit"]).output().unwrap();
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("wrote `customers/bob.yaml` but did not commit it"),
        "{stderr}"
    );
    assert!(stderr.contains("crm commit"), "{stderr}");
    assert!(book.customer_path("bob").exists());
    assert_eq!(commit_count(&repo), before);
    // Review finding 12: the command's own line is printed all the same, so a script
    // (`id=$(crm add Bob --commit)`) still learns what was written.
    assert_eq!(String::from_utf8_lossy(&output.stdout), "bob\n");

    fs::remove_file(&lock).unwrap();
    book.crm(&["commit"]).assert().success();
    assert_eq!(head_summary(&repo), "add bob");
}

/// Review finding 12: a successful `--commit` never said that it committed. stdout
/// stays the command's data; the commit is noted on stderr.
#[test]
fn commit_flag_notes_the_commit_on_stderr_and_keeps_stdout_for_data() {
    let book = TempBook::new();
    let output = book
        .crm(&["add", "Bob Smith", "--commit"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "bob-smith\n");
    let repo = repo(&book);
    let head = repo.head().unwrap().target().unwrap().to_string();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("crm: committed {}: add bob-smith\n", &head[..7])
    );
    let output = book
        .crm(&["log", "bob-smith", "call", "hello", "--commit"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "logged call with bob-smith on 2025-06-15\n"
    );
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("crm: committed "));
    // Without --commit, nothing is said about commits.
    let output = book
        .crm(&["log", "bob-smith", "call", "again"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// Printing the summary line before committing must not let a reader that went away
/// (`crm add Bob --commit | true`) stop the commit of the written file.
#[test]
fn commit_flag_commits_even_when_stdout_is_a_closed_pipe() {
    let book = TempBook::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    // assert_cmd always captures stdout; the closed pipe needs a plain Command.
    let status = Process::new(assert_cmd::cargo::cargo_bin("crm"))
        .current_dir(book.root())
        .args(["add", "Bob", "--commit"])
        .env_remove("CRM_DIR")
        .env("GIT_AUTHOR_NAME", "Test Person")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test Person")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .stdout(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(book.customer_path("bob").exists());
    assert_eq!(head_summary(&repo(&book)), "add bob");
}

/// Review finding 5: crm's own earlier, uncommitted change to a file (a `crm add`
/// without --commit) was committed as `edit ada (by hand)` by a later `--commit`.
#[test]
fn commit_flag_names_earlier_uncommitted_changes_as_crm_commit_would() {
    let book = TempBook::new();
    book.crm(&["add", "Ada", "--id", "ada"]).assert().success();
    book.crm(&["log", "ada", "call", "one"]).assert().success();
    let output = book
        .crm(&["log", "ada", "call", "two", "--commit"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let repo = repo(&book);
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.summary(), Some("log call with ada"));
    let earlier = head.parent(0).unwrap();
    let message = earlier.message().unwrap();
    assert!(message.starts_with("add ada\n\n"), "{message}");
    assert!(message.contains("already uncommitted"), "{message}");
    assert!(!message.contains(TRAILER), "{message}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "crm: committed {}: add ada (changes that were already uncommitted)",
            &earlier.id().to_string()[..7]
        )),
        "{stderr}"
    );

    // A logged entry that was not committed, and a hand edit, read as such too.
    book.crm(&["log", "ada", "email", "three"])
        .assert()
        .success();
    book.crm(&["log", "ada", "call", "four", "--commit"])
        .assert()
        .success();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        head.parent(0).unwrap().summary(),
        Some("log email with ada")
    );
    let edited = book
        .read_customer("ada")
        .replace("name: Ada", "name: Ada King");
    book.customer("ada", &edited);
    book.crm(&["log", "ada", "call", "five", "--commit"])
        .assert()
        .success();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        head.parent(0).unwrap().summary(),
        Some("edit ada (by hand)")
    );
}

#[test]
fn committer_comes_from_git_committer_variables_when_set() {
    let book = TempBook::new();
    book.customer("bob", "name: Bob\n");
    book.crm(&["commit"])
        .env("GIT_COMMITTER_NAME", "Robot")
        .env("GIT_COMMITTER_EMAIL", "robot@example.com")
        .assert()
        .success();
    let repo = repo(&book);
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.author().name(), Some("Test Person"));
    assert_eq!(head.committer().name(), Some("Robot"));
}

#[test]
fn git_config_identity_comes_before_crm_toml() {
    let book = TempBook::new();
    let repo = repo(&book);
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Repo Person").unwrap();
    config.set_str("user.email", "repo@example.com").unwrap();
    let toml = book
        .read("crm.toml")
        .replace("# name = \"\"", "name = \"Book Keeper\"")
        .replace("# email = \"\"", "email = \"keeper@example.com\"");
    book.write("crm.toml", &toml);
    book.crm(&["commit"])
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .assert()
        .success();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.author().name(), Some("Repo Person"));
}

// ---------------------------------------------------------------- auto-commit

#[test]
fn commit_flag_commits_only_the_file_the_command_wrote() {
    let book = book_with_ada_and_carol();
    let repo = repo(&book);
    // A person's unrelated work in progress: an unstaged edit, a staged edit, a new file.
    book.customer("carol", "name: Carol\nphone: \"555\"\n");
    book.customer(
        "ada-lovelace",
        &format!("{ADA}  - date: 2025-06-01\n    kind: email\n"),
    );
    let mut index = repo.index().unwrap();
    index
        .add_path(Path::new("customers/ada-lovelace.yaml"))
        .unwrap();
    index.write().unwrap();
    book.write("notes.txt", "draft\n");

    book.crm(&["add", "Bob Smith", "--commit"])
        .assert()
        .success();

    assert_eq!(head_summary(&repo), "add bob-smith");
    assert_eq!(head_changed_paths(&repo), ["customers/bob-smith.yaml"]);
    let carol = repo.status_file(Path::new("customers/carol.yaml")).unwrap();
    assert_eq!(
        carol,
        git2::Status::WT_MODIFIED,
        "carol's edit is still unstaged"
    );
    let ada = repo
        .status_file(Path::new("customers/ada-lovelace.yaml"))
        .unwrap();
    assert_eq!(
        ada,
        git2::Status::INDEX_MODIFIED,
        "ada's edit is still staged, not committed"
    );
    assert_eq!(
        repo.status_file(Path::new("customers/bob-smith.yaml"))
            .unwrap(),
        git2::Status::CURRENT
    );
    assert!(repo
        .status_file(Path::new("notes.txt"))
        .unwrap()
        .contains(git2::Status::WT_NEW));
}

#[test]
fn auto_commit_setting_commits_like_the_flag() {
    let book = TempBook::new();
    let config = book
        .read("crm.toml")
        .replace("# auto_commit = false", "auto_commit = true");
    book.write("crm.toml", &config);
    book.crm(&["commit", "-m", "Turn on auto-commit"])
        .assert()
        .success();
    book.customer("carol", CAROL);

    book.crm(&["add", "Bob Smith"]).assert().success();

    let repo = repo(&book);
    assert_eq!(head_message(&repo), format!("add bob-smith\n\n{TRAILER}\n"));
    assert_eq!(head_changed_paths(&repo), ["customers/bob-smith.yaml"]);
    assert_eq!(
        status_rows(&book),
        [(
            "customers/carol.yaml".into(),
            "new".into(),
            "add carol".into()
        )]
    );
}

#[test]
fn without_commit_nothing_is_committed() {
    let book = TempBook::new();
    let repo = repo(&book);
    let before = commit_count(&repo);
    book.crm(&["add", "Bob Smith"]).assert().success();
    assert_eq!(commit_count(&repo), before);
    assert_eq!(
        status_rows(&book),
        [(
            "customers/bob-smith.yaml".into(),
            "new".into(),
            "add bob-smith".into()
        )]
    );
}

// ---------------------------------------------------------------- .gitignore

#[test]
fn gitignored_customer_files_are_neither_listed_nor_committed() {
    let book = TempBook::new();
    book.write(".gitignore", "customers/private-*.yaml\n");
    book.customer("private-eve", "name: Eve\n");
    book.customer("bob", "name: Bob\n");
    assert_eq!(
        status_rows(&book),
        [("customers/bob.yaml".into(), "new".into(), "add bob".into())]
    );
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    assert_eq!(head_changed_paths(&repo), ["customers/bob.yaml"]);

    book.crm(&["add", "Private Mallory", "--commit"])
        .assert()
        .success();
    assert_eq!(
        head_summary(&repo),
        "add bob",
        "an ignored file makes no commit"
    );
}

// ---------------------------------------------------------------- status

#[test]
fn status_lists_changes_per_customer_and_unreadable_files() {
    let book = book_with_ada_and_carol();
    book.customer(
        "ada-lovelace",
        &format!("{ADA}  - date: 2025-06-10\n    kind: meeting\n"),
    );
    book.customer("dave", "name: [unclosed\n");
    fs::remove_file(book.customer_path("carol")).unwrap();

    let output = book.crm(&["status", "--format", "json"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "unreadable files make exit code 3"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("customers/dave.yaml:"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows: Vec<(&str, &str, &str)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap(),
                c["state"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "customers/ada-lovelace.yaml",
                "modified",
                "log meeting with ada-lovelace"
            ),
            ("customers/carol.yaml", "deleted", "remove carol"),
            ("customers/dave.yaml", "new", "add dave"),
        ]
    );
    assert_eq!(json["unreadable"][0]["file"], "customers/dave.yaml");
    assert!(json["branch"].is_string());

    let table = book.crm(&["status"]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.lines().next().unwrap().starts_with("file"), "{text}");
    assert!(text.contains("customers/carol.yaml"), "{text}");
}

/// The exit code of `crm status` and the files it names as unreadable.
fn status_unreadable(book: &TempBook) -> (Option<i32>, Vec<String>) {
    let output = book.crm(&["status", "--format", "json"]).output().unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).expect("status JSON");
    let files = json["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["file"].as_str().unwrap().to_string())
        .collect();
    (output.status.code(), files)
}

/// `crm status` does not parse files git holds unchanged whose content read before:
/// a file committed broken has never read, so it is reported on every run.
#[test]
fn status_reports_a_file_committed_broken_on_every_run() {
    let book = book_with_ada_and_carol();
    book.customer("dave", "name: [unclosed\n");
    git(book.root(), &["add", "customers/dave.yaml"]);
    git(book.root(), &["commit", "-q", "-m", "add a broken dave"]);
    for run in 1..=3 {
        assert_eq!(
            status_unreadable(&book),
            (Some(3), vec!["customers/dave.yaml".to_string()]),
            "run {run}"
        );
    }
    let output = book.crm(&["status", "--format", "json"]).output().unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).expect("status JSON");
    assert_eq!(json["changes"], serde_json::json!([]));
}

/// A clean file that read on the last run and is then broken by hand, even at once and
/// to the same size (git's stat data cannot tell the two apart by size or second).
#[test]
fn status_sees_a_clean_file_broken_by_hand_at_once() {
    let book = book_with_ada_and_carol();
    assert_eq!(status_unreadable(&book), (Some(0), vec![]));
    assert_eq!(status_unreadable(&book), (Some(0), vec![]));
    let broken = "name: [arol\n";
    assert_eq!(broken.len(), CAROL.len());
    book.customer("carol", broken);
    let (code, files) = status_unreadable(&book);
    assert_eq!(
        (code, files),
        (Some(3), vec!["customers/carol.yaml".to_string()])
    );
    // And once it is fixed (back to the committed content), it reads again.
    book.customer("carol", CAROL);
    assert_eq!(status_unreadable(&book), (Some(0), vec![]));
}

/// Files git does not compare (`--assume-unchanged`, `--skip-worktree`) are parsed.
#[test]
fn status_parses_files_git_is_told_not_to_look_at() {
    let book = book_with_ada_and_carol();
    assert_eq!(status_unreadable(&book), (Some(0), vec![]));
    git(
        book.root(),
        &["update-index", "--assume-unchanged", "customers/carol.yaml"],
    );
    git(
        book.root(),
        &[
            "update-index",
            "--skip-worktree",
            "customers/ada-lovelace.yaml",
        ],
    );
    book.customer("carol", "name: [carol\n");
    book.customer("ada-lovelace", "name: [ada\n");
    assert_eq!(
        status_unreadable(&book),
        (
            Some(3),
            vec![
                "customers/ada-lovelace.yaml".to_string(),
                "customers/carol.yaml".to_string()
            ]
        )
    );
}

/// `crm status` names the same unreadable files whether it worked out git's status of
/// `customers/` itself or left it to libgit2 (which it does when `customers/` holds a
/// folder): a file name that is no id, and a broken file git ignores (so git reports
/// nothing about it); not a hidden file or one of another kind.
#[test]
fn status_names_bad_names_and_ignored_broken_files_either_way() {
    let book = book_with_ada_and_carol();
    let customers = book.root().join("customers");
    fs::write(customers.join("Bad Name.yaml"), "name: Bad\n").unwrap();
    fs::write(customers.join(".draft.yaml"), "name: [\n").unwrap();
    fs::write(customers.join("notes.txt"), "name: [\n").unwrap();
    fs::write(book.root().join(".gitignore"), "customers/ignored.yaml\n").unwrap();
    fs::write(customers.join("ignored.yaml"), "name: [ignored\n").unwrap();
    let expected = (
        Some(3),
        vec![
            "customers/Bad Name.yaml".to_string(),
            "customers/ignored.yaml".to_string(),
        ],
    );
    for run in 1..=2 {
        assert_eq!(status_unreadable(&book), expected, "run {run}");
    }
    fs::create_dir(customers.join("archive")).unwrap();
    fs::write(customers.join("archive/README"), "archived customers\n").unwrap();
    assert_eq!(
        status_unreadable(&book),
        expected,
        "with a folder in customers/"
    );
}

#[test]
fn status_of_a_clean_book_says_so() {
    let book = TempBook::new();
    let out = stdout_of(&mut book.crm(&["status"]));
    assert_eq!(out, "nothing to commit: the book matches the last commit\n");
}

// ---------------------------------------------------------------- history

#[test]
fn history_lists_a_customers_commits_newest_first_across_a_rename() {
    let book = TempBook::new();
    book.customer("ada", ADA);
    book.crm(&["commit", "-m", "Add Ada"]).assert().success();
    book.customer("carol", CAROL);
    book.crm(&["commit"]).assert().success(); // not about ada
    book.customer(
        "ada",
        &format!("{ADA}  - date: 2025-06-10\n    kind: call\n"),
    );
    book.crm(&["commit"]).assert().success();
    fs::rename(
        book.customer_path("ada"),
        book.customer_path("ada-lovelace"),
    )
    .unwrap();
    book.crm(&["commit"]).assert().success();
    book.customer("ada-lovelace", &format!("{ADA}  - date: 2025-06-10\n    kind: call\n  - date: 2025-06-12\n    kind: purchase\n    amount: 12.50\n"));
    book.crm(&["commit"]).assert().success();

    let json: Value = serde_json::from_str(&stdout_of(&mut book.crm(&[
        "history",
        "ada-lovelace",
        "--format",
        "json",
    ])))
    .unwrap();
    let summaries: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "log purchase with ada-lovelace",
            "rename ada to ada-lovelace",
            "log call with ada",
            "Add Ada"
        ]
    );
    let changes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["modified", "renamed", "modified", "added"]);
    assert_eq!(json[1]["renamed_from"], "customers/ada.yaml");
    assert_eq!(json[3]["file"], "customers/ada.yaml");
    assert_eq!(json[0]["author"], "Test Person");
    assert!(json[0]["date"].as_str().unwrap().contains('T'));
    assert!(json[0].get("patch").is_none());

    let table = stdout_of(&mut book.crm(&["history", "ada-lovelace"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[1].ends_with("log purchase with ada-lovelace"),
        "{table}"
    );
}

#[test]
fn history_patch_shows_each_diff() {
    let book = TempBook::new();
    book.customer("ada", ADA);
    book.crm(&["commit"]).assert().success();
    book.customer(
        "ada",
        &format!("{ADA}  - date: 2025-06-10\n    kind: meeting\n"),
    );
    book.crm(&["commit"]).assert().success();

    let json: Value = serde_json::from_str(&stdout_of(
        &mut book.crm(&["history", "ada", "--patch", "--format", "json"]),
    ))
    .unwrap();
    let newest = json[0]["patch"].as_str().unwrap();
    assert!(newest.contains("+    kind: meeting\n"), "{newest}");
    assert!(!newest.contains("+name: Ada"), "{newest}");
    assert!(json[1]["patch"]
        .as_str()
        .unwrap()
        .contains("+name: Ada Lovelace\n"));

    let text = stdout_of(&mut book.crm(&["history", "ada", "--patch"]));
    assert!(text.starts_with("commit "), "{text}");
    assert!(text.contains("    log meeting with ada\n"), "{text}");
    assert!(text.contains("+    kind: meeting\n"), "{text}");
}

#[test]
fn history_of_an_unknown_customer_is_an_error_with_a_hint() {
    let book = book_with_ada_and_carol();
    let output = book.crm(&["history", "ada-lovelac"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ada-lovelace"));
}

#[test]
fn history_of_an_uncommitted_customer_is_empty_with_a_note() {
    let book = TempBook::new();
    book.customer("bob", "name: Bob\n");
    let output = book
        .crm(&["history", "bob", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json, Value::Array(Vec::new()));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no commits yet"));
}

// ---------------------------------------------------------------- undo

#[test]
fn undo_reverts_crms_last_commit_with_a_new_commit() {
    let book = book_with_ada_and_carol();
    book.crm(&["add", "Bob Smith", "--commit"])
        .assert()
        .success();
    let repo = repo(&book);
    let added = repo.head().unwrap().peel_to_commit().unwrap().id();
    let before = commit_count(&repo);

    book.crm(&["undo"]).assert().success();

    assert!(!book.customer_path("bob-smith").exists());
    assert_eq!(commit_count(&repo), before + 1);
    assert_eq!(
        head_message(&repo),
        format!("Revert \"add bob-smith\"\n\nThis reverts commit {added}.\n\n{TRAILER}\n")
    );
    assert!(status_rows(&book).is_empty());
    let dirty: Vec<String> = repo
        .statuses(None)
        .unwrap()
        .iter()
        .filter(|s| {
            s.status() != git2::Status::CURRENT && !s.status().contains(git2::Status::IGNORED)
        })
        .map(|s| format!("{:?} {:?}", s.path(), s.status()))
        .collect();
    assert!(dirty.is_empty(), "{dirty:?}");

    // A second undo takes back the crm commit before it, not the undo (issue 13).
    book.crm(&["undo"]).assert().success();
    assert!(!book.customer_path("bob-smith").exists());
    assert!(!book.customer_path("ada-lovelace").exists());
    assert!(
        head_summary(&repo).starts_with("Revert \"add "),
        "{}",
        head_summary(&repo)
    );
}

#[test]
fn undo_restores_an_edited_file() {
    let book = book_with_ada_and_carol();
    book.customer("carol", "name: Carol Jones\n");
    book.crm(&["commit"]).assert().success();
    book.crm(&["undo"]).assert().success();
    assert_eq!(book.read_customer("carol"), CAROL);
}

#[test]
fn undo_refuses_a_commit_crm_did_not_make() {
    let book = book_with_ada_and_carol();
    let repo = repo(&book);
    book.write("notes.txt", "mine\n");
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("notes.txt")).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Someone", "someone@example.com").unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "Add my notes", &tree, &[&parent])
        .unwrap();
    let before = commit_count(&repo);

    let output = book.crm(&["undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not made by crm"), "{stderr}");
    assert!(stderr.contains("git revert"), "{stderr}");
    assert_eq!(commit_count(&repo), before);
    assert!(book.path("notes.txt").exists());
}

#[test]
fn undo_refuses_to_overwrite_uncommitted_edits() {
    let book = book_with_ada_and_carol();
    book.customer("carol", "name: Carol Jones\n");
    book.crm(&["commit"]).assert().success();
    book.customer("carol", "name: Carol Jones\nphone: \"555\"\n");
    let repo = repo(&book);
    let before = commit_count(&repo);

    let output = book.crm(&["undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("customers/carol.yaml"), "{stderr}");
    assert_eq!(
        book.read_customer("carol"),
        "name: Carol Jones\nphone: \"555\"\n"
    );
    assert_eq!(commit_count(&repo), before);
}

#[test]
fn undo_ignores_uncommitted_edits_to_other_files() {
    let book = book_with_ada_and_carol();
    book.crm(&["add", "Bob Smith", "--commit"])
        .assert()
        .success();
    book.customer("carol", "name: Carol Jones\n");
    book.crm(&["undo"]).assert().success();
    assert!(!book.customer_path("bob-smith").exists());
    assert_eq!(book.read_customer("carol"), "name: Carol Jones\n");
}

// ---------------------------------------------------------------- where the book is

#[test]
fn a_book_in_a_subfolder_of_a_bigger_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    fs::write(dir.path().join("README.md"), "the company repo\n").unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "sales/book"])
        .assert()
        .success();
    let book_dir = dir.path().join("sales/book");
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(&book_dir).args(args);
        cmd
    };
    fs::write(book_dir.join("customers/ada.yaml"), ADA).unwrap();

    let json: Value =
        serde_json::from_str(&stdout_of(&mut crm(&["status", "--format", "json"]))).unwrap();
    let files: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    // The message templates crm init ships (issue 15) are book files too.
    assert_eq!(
        files,
        [
            ".gitattributes",
            "crm.toml",
            "customers/.gitkeep",
            "customers/ada.yaml",
            "templates/after-complaint.txt",
            "templates/birthday.txt",
            "templates/follow-up.txt",
            "templates/thank-you.txt",
            "templates/win-back.txt"
        ]
    );

    crm(&["commit"]).assert().success();
    assert_eq!(head_summary(&repo), "start the crm book; add ada");
    assert_eq!(
        head_changed_paths(&repo),
        [
            "sales/book/.gitattributes",
            "sales/book/crm.toml",
            "sales/book/customers/.gitkeep",
            "sales/book/customers/ada.yaml",
            "sales/book/templates/after-complaint.txt",
            "sales/book/templates/birthday.txt",
            "sales/book/templates/follow-up.txt",
            "sales/book/templates/thank-you.txt",
            "sales/book/templates/win-back.txt"
        ]
    );
    assert!(repo
        .status_file(Path::new("README.md"))
        .unwrap()
        .contains(git2::Status::WT_NEW));

    crm(&["add", "Bob", "--commit"]).assert().success();
    assert_eq!(head_changed_paths(&repo), ["sales/book/customers/bob.yaml"]);
    let history: Value = serde_json::from_str(&stdout_of(&mut crm(&[
        "history", "ada", "--format", "json",
    ])))
    .unwrap();
    assert_eq!(history[0]["file"], "customers/ada.yaml");
    crm(&["undo"]).assert().success();
    assert!(!book_dir.join("customers/bob.yaml").exists());
}

#[test]
fn first_commit_on_an_unborn_branch() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    crm_command()
        .current_dir(dir.path())
        .args(["init", "."])
        .assert()
        .success();
    assert!(
        repo.head().is_err(),
        "crm init inside an existing repository commits nothing"
    );
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(dir.path()).args(args);
        cmd
    };
    let status: Value =
        serde_json::from_str(&stdout_of(&mut crm(&["status", "--format", "json"]))).unwrap();
    assert!(status["head"].is_null());
    assert!(status["branch"].is_string());

    crm(&["commit"]).assert().success();
    let head = repo.head().unwrap();
    assert!(head.is_branch());
    assert_eq!(commit_count(&repo), 1);
    assert_eq!(head_summary(&repo), "start the crm book");
    assert_eq!(
        stdout_of(&mut crm(&["status"])),
        "nothing to commit: the book matches the last commit\n"
    );
}

#[test]
fn commits_on_a_detached_head_move_the_detached_head() {
    let book = book_with_ada_and_carol();
    let repo = repo(&book);
    let branch = repo.head().unwrap().name().unwrap().to_string();
    let branch_tip = repo.head().unwrap().peel_to_commit().unwrap().id();
    repo.set_head_detached(branch_tip).unwrap();

    book.crm(&["add", "Bob", "--commit"]).assert().success();
    book.customer("carol", "name: Carol Jones\n");
    book.crm(&["commit"]).assert().success();

    assert!(repo.head_detached().unwrap());
    assert_eq!(head_summary(&repo), "edit carol (by hand)");
    assert_eq!(
        repo.find_reference(&branch).unwrap().target(),
        Some(branch_tip),
        "the branch did not move"
    );
    let status: Value = status_json(&book);
    assert!(status["branch"].is_null());
    let history: Value = serde_json::from_str(&stdout_of(
        &mut book.crm(&["history", "carol", "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    book.crm(&["undo"]).assert().success();
    assert_eq!(book.read_customer("carol"), CAROL);
}

#[test]
fn a_book_outside_any_repository_gets_a_clear_message() {
    let book = TempBook::without_git();
    assert!(
        Repository::discover(book.root()).is_err(),
        "the temp folder is inside a git repository on this machine; point TMPDIR elsewhere to run this test"
    );
    for args in [&["commit"][..], &["status"], &["undo"], &["history", "ada"]] {
        let output = book.crm(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("not inside a git repository"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("git init"), "{args:?}: {stderr}");
    }
    let output = book.crm(&["add", "Bob", "--commit"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

// ---------------------------------------------------------------- the real git binary

/// Runs the real `git` in `dir` with the same clean environment crm's tests use;
/// `None` when git is not installed.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_output(dir, args);
    assert!(
        output.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("git prints UTF-8 here")
}

/// Runs the real `git` binary in `dir`, whatever its exit status, without the user's
/// git config. The tests require git (CI has it): it is how they check that crm's
/// repositories are ones git itself is happy with.
fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    let home = std::env::temp_dir().join("crm-test-home-without-gitconfig");
    Process::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_AUTHOR_NAME", "Git Person")
        .env("GIT_AUTHOR_EMAIL", "git@example.com")
        .env("GIT_COMMITTER_NAME", "Git Person")
        .env("GIT_COMMITTER_EMAIL", "git@example.com")
        .output()
        .unwrap_or_else(|e| {
            panic!("these tests check crm's repositories with the real `git` binary, which could not be run ({e}); install git")
        })
}

/// Review finding 6: a customer file git holds in a merge conflict (`UU`) was shown
/// by `crm status` as "modified, edit carol (by hand)".
#[test]
fn status_shows_a_merge_conflict_as_a_conflict_with_a_hint() {
    let book = book_with_ada_and_carol();
    let root = book.root();
    let main = git(root, &["rev-parse", "--abbrev-ref", "HEAD"]);
    git(root, &["checkout", "-q", "-b", "other"]);
    book.customer("carol", "name: Carol Other\n");
    git(root, &["commit", "-q", "-am", "carol on other"]);
    git(root, &["checkout", "-q", main.trim()]);
    book.customer("carol", "name: Carol Main\n");
    git(root, &["commit", "-q", "-am", "carol on main"]);
    let merge = git_output(root, &["merge", "-q", "other"]);
    assert!(!merge.status.success(), "the merge should conflict");
    assert!(git(root, &["status", "--porcelain"]).contains("UU customers/carol.yaml"));

    let output = book.crm(&["status", "--format", "json"]).output().unwrap();
    // The file with conflict markers does not parse either: exit 3, as for any such file.
    assert_eq!(output.status.code(), Some(3));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let carol = &json["changes"][0];
    assert_eq!(carol["file"], "customers/carol.yaml");
    assert_eq!(carol["state"], "conflict");
    assert_eq!(carol["change"], "unresolved merge conflict");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hint: resolve the merge conflict in `customers/carol.yaml`")
            && stderr.contains("finish what git is doing with git"),
        "{stderr}"
    );
    let table = book.crm(&["status"]).output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("conflict"), "{table}");
    assert!(!table.contains("by hand"), "{table}");

    // With git no longer merging (as after a conflicting `git stash pop`), the commit
    // that settles it is `crm commit`'s.
    fs::remove_file(root.join(".git/MERGE_HEAD")).unwrap();
    let output = book.crm(&["status"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("then run `crm commit`"), "{stderr}");
}

/// Review finding 7: a `crm commit` of 37k new files wrote a 37,185-line body.
#[test]
fn a_commit_of_many_files_lists_fifty_and_counts_the_rest() {
    let book = TempBook::new();
    for n in 0..60 {
        book.customer(&format!("c{n:02}"), &format!("name: C{n}\n"));
    }
    book.crm(&["commit"]).assert().success();
    let message = head_message(&repo(&book));
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "add 60 customers");
    assert_eq!(lines[2], "- add c00");
    assert_eq!(lines[51], "- add c49");
    assert_eq!(
        lines[52],
        "- … and 10 more (`git show --stat` lists every file)"
    );
    assert_eq!(lines[54], TRAILER);
    assert_eq!(lines.len(), 55, "{message}");
    assert_eq!(head_changed_paths(&repo(&book)).len(), 60);
}

#[test]
fn the_git_binary_finds_the_repository_consistent_after_many_crm_commits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    fs::write(root.join("README.md"), "company repo\n").unwrap();
    git(root, &["add", "README.md"]);
    git(root, &["commit", "-q", "-m", "Start the repository"]);
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(root).args(args);
        cmd
    };
    crm(&["init", "."]).assert().success();
    crm(&["commit"]).assert().success();
    for n in 0..15 {
        crm(&["add", &format!("Customer {n}"), "--commit"])
            .assert()
            .success();
    }
    fs::write(
        root.join("customers/customer-3.yaml"),
        "name: Customer Three\n",
    )
    .unwrap();
    fs::write(root.join("customers/late.yaml"), "name: Late\n").unwrap();
    crm(&["commit"]).assert().success();
    crm(&["undo"]).assert().success();
    crm(&["undo"]).assert().success();
    fs::rename(
        root.join("customers/customer-4.yaml"),
        root.join("customers/customer-four.yaml"),
    )
    .unwrap();
    crm(&["commit"]).assert().success();

    git(root, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    let branch = git(root, &["rev-parse", "--abbrev-ref", "HEAD"]);
    assert_eq!(branch.trim(), "main");
    let summaries = git(root, &["log", "--format=%s"]);
    let summaries: Vec<&str> = summaries.lines().collect();
    assert_eq!(summaries.len(), 1 + 1 + 15 + 1 + 2 + 1);
    assert_eq!(summaries[0], "rename customer-4 to customer-four");
    assert_eq!(summaries[3], "edit customer-3 (by hand); add late");
    assert_eq!(summaries[4], "add customer-14");
    assert_eq!(summaries.last(), Some(&"Start the repository"));
    for summary in &summaries {
        assert!(!summary.is_empty() && summary.len() <= 72, "{summary:?}");
    }
    // Every crm commit: summary, blank line, trailer paragraph.
    let bodies = git(root, &["log", "--format=%B%x00", "-n", "5"]);
    for body in bodies.split('\0').map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[1], "", "{body:?}");
        assert_eq!(lines.last(), Some(&TRAILER), "{body:?}");
    }
    // (`git log --follow` is not compared: its similarity guess pairs these nearly
    // identical small files with the wrong ancestors.)
    let ours: Value = serde_json::from_str(&stdout_of(&mut crm(&[
        "history",
        "customer-four",
        "--format",
        "json",
    ])))
    .unwrap();
    let ours: Vec<&str> = ours
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        ours,
        ["rename customer-4 to customer-four", "add customer-4"]
    );
}

#[test]
fn the_git_binary_sees_only_the_auto_committed_file() {
    let book = book_with_ada_and_carol();
    book.customer("carol", "name: Carol Jones\n");
    git(book.root(), &["add", "customers/carol.yaml"]);
    book.customer(
        "ada-lovelace",
        &format!("{ADA}  - date: 2025-06-01\n    kind: email\n"),
    );
    book.crm(&["add", "Bob", "--commit"]).assert().success();
    git(book.root(), &["fsck", "--strict", "--no-progress"]);
    assert_eq!(
        git(book.root(), &["status", "--porcelain"]),
        " M customers/ada-lovelace.yaml\nM  customers/carol.yaml\n"
    );
    assert_eq!(
        git(book.root(), &["show", "--name-only", "--format=", "HEAD"]),
        "customers/bob.yaml\n"
    );
    book.crm(&["commit"]).assert().success();
    assert_eq!(git(book.root(), &["status", "--porcelain"]), "");
    git(book.root(), &["fsck", "--strict", "--no-progress"]);
}

/// Review finding: `--commit` swept a person's uncommitted edit of the same file into
/// crm's commit, and `crm undo` then removed the edit from the working file.
#[test]
fn commit_keeps_a_hand_edit_of_the_same_file_in_its_own_commit() {
    let book = common::TempBook::new();
    book.crm(&["--commit", "add", "Ada L", "--id", "ada"])
        .assert()
        .success();
    let mut text = book.read_customer("ada");
    text.push_str("notes: very important hand-written note\n");
    book.customer("ada", &text);
    book.crm(&["--commit", "log", "ada", "call", "rang"])
        .assert()
        .success();
    let repo = git2::Repository::open(book.root()).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.summary(), Some("log call with ada"));
    let by_hand = head.parent(0).unwrap();
    assert_eq!(by_hand.summary(), Some("edit ada (by hand)"));
    assert!(!by_hand.message().unwrap().contains("Committed-by: crm"));
    book.crm(&["undo"]).assert().success();
    let after = book.read_customer("ada");
    assert!(
        after.contains("very important hand-written note"),
        "{after}"
    );
    assert!(!after.contains("rang"), "{after}");
}

// ---------------------------------------------------------------- audit findings

/// The blob HEAD holds for `path`.
fn head_blob(repo: &Repository, path: &str) -> Vec<u8> {
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    let entry = tree.get_path(Path::new(path)).unwrap();
    repo.find_blob(entry.id()).unwrap().content().to_vec()
}

/// Audit finding 1: with `core.autocrlf=true` (Git for Windows' default), every
/// `--commit` on a clean CRLF file made an extra "edit X (by hand)" commit storing
/// CRLF, which crm's own commit then turned back to LF.
#[test]
fn autocrlf_clean_crlf_file_gets_no_hand_edit_commit() {
    let book = TempBook::new();
    let repo = repo(&book);
    repo.config()
        .unwrap()
        .set_bool("core.autocrlf", true)
        .unwrap();
    book.customer("ada", "name: Ada\r\nemail: ada@example.com\r\n");
    book.crm(&["commit"]).assert().success();
    assert_eq!(
        head_blob(&repo, "customers/ada.yaml"),
        b"name: Ada\nemail: ada@example.com\n",
        "stored as `git add` stores it"
    );
    assert!(status_rows(&book).is_empty());
    let before = commit_count(&repo);

    book.crm(&["log", "ada", "email", "x", "--commit"])
        .assert()
        .success();
    assert_eq!(commit_count(&repo), before + 1, "no hand-edit commit");
    assert_eq!(head_summary(&repo), "log email with ada");
    assert!(!head_blob(&repo, "customers/ada.yaml").contains(&b'\r'));

    // A real hand edit of a CRLF file is committed apart, and stored as LF too.
    let edited = book
        .read_customer("ada")
        .replace("ada@example.com", "ada@lovelace.org");
    book.customer("ada", &edited);
    book.crm(&["log", "ada", "call", "y", "--commit"])
        .assert()
        .success();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let by_hand = head.parent(0).unwrap();
    assert_eq!(by_hand.summary(), Some("edit ada (by hand)"));
    let blob = by_hand
        .tree()
        .unwrap()
        .get_path(Path::new("customers/ada.yaml"))
        .unwrap()
        .to_object(&repo)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    assert!(!blob.content().contains(&b'\r'));
    assert!(status_rows(&book).is_empty());
    assert_eq!(git(book.root(), &["status", "--porcelain"]), "");
    git(book.root(), &["fsck", "--strict", "--no-progress"]);
}

/// Audit finding 2: `--commit` committed a git-ignored customer file (as a hand edit)
/// and so made it tracked.
#[test]
fn commit_flag_leaves_a_gitignored_customer_file_out_with_a_note() {
    let book = TempBook::new();
    book.write(".gitignore", "customers/secret.yaml\n");
    book.customer("secret", "name: Secret\n");
    let repo = repo(&book);
    let before = commit_count(&repo);

    let output = book
        .crm(&["log", "secret", "call", "x", "--commit"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`customers/secret.yaml` was written but not committed: git ignores it"),
        "{stderr}"
    );
    assert_eq!(commit_count(&repo), before);
    assert!(repo
        .index()
        .unwrap()
        .get_path(Path::new("customers/secret.yaml"), 0)
        .is_none());
    assert!(book.read_customer("secret").contains("kind: call"));
}

/// Writes `.git/MERGE_HEAD`, which is how git (and crm) tell a merge is under way.
fn pretend_merge(book: &TempBook) {
    let repo = repo(book);
    let head = repo.head().unwrap().target().unwrap();
    fs::write(book.path(".git/MERGE_HEAD"), format!("{head}\n")).unwrap();
}

/// Audit finding 3: `--commit` and `auto_commit` committed in the middle of a merge,
/// while `crm commit` and `crm undo` refused.
#[test]
fn commit_flag_and_auto_commit_refuse_during_a_merge_and_change_nothing() {
    let book = TempBook::new();
    let config = book
        .read("crm.toml")
        .replace("# auto_commit = false", "auto_commit = true");
    book.write("crm.toml", &config);
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    let before = commit_count(&repo);
    pretend_merge(&book);

    for args in [&["add", "Bob"][..], &["add", "Bob", "--commit"]] {
        let output = book.crm(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("middle of a merge"), "{args:?}: {stderr}");
        assert!(stderr.contains("nothing was changed"), "{args:?}: {stderr}");
        assert!(!book.customer_path("bob").exists(), "{args:?}");
    }
    assert_eq!(commit_count(&repo), before);
    let stderr = String::from_utf8(book.crm(&["add", "Bob"]).output().unwrap().stderr).unwrap();
    assert!(stderr.contains("auto_commit = false"), "{stderr}");
}

/// Audit finding 4: `--commit` outside a repository wrote the file, then exited 2.
#[test]
fn commit_flag_outside_a_repository_writes_nothing() {
    let book = TempBook::without_git();
    if Repository::discover(book.root()).is_ok() {
        panic!("the temp folder is inside a git repository; this test needs one that is not");
    }
    let output = book.crm(&["add", "Bob", "--commit"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(!book.customer_path("bob").exists());
    // Without --commit the same command works.
    book.crm(&["add", "Bob"]).assert().success();
}

/// Audit finding 5: undoing the book's first commit deleted the whole book, after which
/// crm could not even find it to undo again.
#[test]
fn undo_refuses_the_first_commit_of_the_book() {
    let book = TempBook::new();
    let repo = repo(&book);
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(
        head.message(),
        Some(format!("start the crm book\n\n{TRAILER}\n").as_str())
    );
    let output = book.crm(&["undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the first commit of the book") && stderr.contains("cannot be undone"),
        "{stderr}"
    );
    assert!(!stderr.contains("not made by crm"), "{stderr}");
    assert!(book.path("crm.toml").exists());
    assert_eq!(commit_count(&repo), 1);
}

/// Audit finding 5, in a bigger repository: the commit that adds the book's crm.toml
/// is not the first one, and undoing it would still delete the book.
#[test]
fn undo_refuses_a_commit_that_starts_the_book_in_a_bigger_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    fs::write(dir.path().join("README.md"), "the company repo\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("README.md")).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Someone", "someone@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "Start", &tree, &[])
        .unwrap();
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(dir.path()).args(args);
        cmd
    };
    crm(&["init", "sales"]).assert().success();
    crm(&["-C", "sales", "commit"]).assert().success();
    let output = crm(&["-C", "sales", "undo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("would delete the whole book"), "{stderr}");
    assert!(stderr.contains("git revert"), "{stderr}");
    assert!(dir.path().join("sales/crm.toml").exists());
    // Later commits are undone as usual.
    crm(&["-C", "sales", "add", "Bob", "--commit"])
        .assert()
        .success();
    crm(&["-C", "sales", "undo"]).assert().success();
    assert!(!dir.path().join("sales/customers/bob.yaml").exists());
}

/// Audit finding 6: a book folder whose name holds glob characters looked empty to
/// `crm status` and `crm commit` (its path was taken as a pattern).
#[test]
fn glob_characters_in_the_book_folder_are_taken_literally() {
    for name in ["books[1]", "b*", "what?"] {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        // A sibling the pattern `books[1]` would match instead.
        fs::create_dir(dir.path().join("books1")).unwrap();
        fs::write(dir.path().join("books1/crm.toml"), "").unwrap();
        let crm = |args: &[&str]| {
            let mut cmd = crm_command();
            cmd.current_dir(dir.path().join(name)).args(args);
            cmd
        };
        crm_command()
            .current_dir(dir.path())
            .args(["init", name])
            .assert()
            .success();
        fs::write(
            dir.path().join(name).join("customers/ada.yaml"),
            "name: Ada\n",
        )
        .unwrap();
        let status = stdout_of(&mut crm(&["status"]));
        assert!(status.contains("customers/ada.yaml"), "{name}: {status}");
        let out = stdout_of(&mut crm(&["commit"]));
        assert!(out.contains("start the crm book; add ada"), "{name}: {out}");
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        assert!(head
            .get_path(&Path::new(name).join("customers/ada.yaml"))
            .is_ok());
        assert!(head.get_path(Path::new("books1/crm.toml")).is_err());

        fs::rename(
            dir.path().join(name).join("customers/ada.yaml"),
            dir.path().join(name).join("customers/ada-lovelace.yaml"),
        )
        .unwrap();
        crm(&["commit"]).assert().success();
        let history: Value = serde_json::from_str(&stdout_of(&mut crm(&[
            "history",
            "ada-lovelace",
            "--format",
            "json",
        ])))
        .unwrap();
        let changes: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["change"].as_str().unwrap())
            .collect();
        assert_eq!(changes, ["renamed", "added"], "{name}");
    }
}

/// Audit finding 7: in a book not made by `crm init` (no `/.crm/` line in a
/// .gitignore), crm's state folder showed as untracked after a commit.
#[test]
fn the_state_folder_ignores_itself_in_a_book_made_without_crm_init() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Repository::init(root).unwrap();
    fs::write(root.join("crm.toml"), "").unwrap();
    fs::create_dir(root.join("customers")).unwrap();
    let crm = |args: &[&str]| {
        let mut cmd = crm_command();
        cmd.current_dir(root).args(args);
        cmd
    };
    crm(&["add", "Ann", "--commit"]).assert().success();
    crm(&["list"]).assert().success();
    crm(&["commit"]).assert().success();
    assert_eq!(
        fs::read_to_string(root.join(".crm/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    let untracked: Vec<String> = repo
        .statuses(Some(
            git2::StatusOptions::new()
                .include_untracked(true)
                .recurse_untracked_dirs(true),
        ))
        .unwrap()
        .iter()
        .map(|s| s.path().unwrap().to_string())
        .collect();
    assert!(untracked.is_empty(), "{untracked:?}");
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(tree.get_path(Path::new(".crm")).is_err());
    assert_eq!(
        git(root, &["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
}

/// Audit finding 8: a `--commit` summary could be longer than the 72 characters
/// `crm commit` keeps to.
#[test]
fn a_long_commit_flag_summary_is_shortened_with_the_details_in_the_body() {
    let book = TempBook::new();
    let id = "a".repeat(64);
    book.crm(&["add", "Long", "--id", &id, "--commit"])
        .assert()
        .success();
    book.crm(&["log", &id, "meeting", "hi", "--commit"])
        .assert()
        .success();
    let message = head_message(&repo(&book));
    assert_eq!(
        message,
        format!("update 1 customer\n\nlog meeting with {id}\n\n{TRAILER}\n")
    );
}

/// Audit finding 8: a renamed and edited customer file was reported as a removal and an
/// addition, while `crm history` showed a rename.
#[test]
fn a_rename_with_edits_is_one_rename_in_status_and_commit() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada Lovelace\nemail: ada@example.com\nphone: \"+44 20 7946 0000\"\ncompany: Analytical Engines\ntags: [vip]\n",
    );
    book.crm(&["commit"]).assert().success();
    let text = book.read_customer("ada");
    fs::remove_file(book.customer_path("ada")).unwrap();
    book.customer("ada-lovelace", &format!("{text}since: 2024-01-15\n"));
    assert_eq!(
        status_rows(&book),
        [(
            "customers/ada-lovelace.yaml".into(),
            "renamed".into(),
            "rename ada to ada-lovelace and edit it (by hand)".into()
        )]
    );
    book.crm(&["commit"]).assert().success();
    let repo = repo(&book);
    assert_eq!(
        head_summary(&repo),
        "rename ada to ada-lovelace and edit it (by hand)"
    );
    assert_eq!(
        head_changed_paths(&repo),
        ["customers/ada-lovelace.yaml", "customers/ada.yaml"]
    );
}

/// Audit finding 8: with `commit.gpgSign` on, crm's unsigned commits went by silently.
#[test]
fn signed_commits_asked_for_get_one_warning_per_run() {
    let book = TempBook::new();
    repo(&book)
        .config()
        .unwrap()
        .set_bool("commit.gpgsign", true)
        .unwrap();
    book.crm(&["add", "Ada", "--commit"]).assert().success();
    let mut text = book.read_customer("ada");
    text.push_str("notes: by hand\n");
    book.customer("ada", &text);
    // Two commits in one run (the hand edit, then crm's): one warning.
    let output = book
        .crm(&["log", "ada", "call", "x", "--commit"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("crm does not sign its commits").count(),
        1,
        "{stderr}"
    );
    assert_eq!(head_summary(&repo(&book)), "log call with ada");
    // Without the setting, no warning.
    repo(&book)
        .config()
        .unwrap()
        .set_bool("commit.gpgsign", false)
        .unwrap();
    let output = book.crm(&["add", "Bob", "--commit"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("sign"));
}

/// Audit finding 8: the identity from the environment needed both GIT_AUTHOR_NAME and
/// GIT_AUTHOR_EMAIL; git takes each on its own, the other from its config.
#[test]
fn identity_halves_come_from_the_environment_and_git_config_separately() {
    let book = TempBook::new();
    let repo = repo(&book);
    repo.config()
        .unwrap()
        .set_str("user.name", "Config Name")
        .unwrap();
    book.customer("bob", "name: Bob\n");
    book.crm(&["commit"])
        .env_remove("GIT_AUTHOR_NAME")
        .env("GIT_AUTHOR_EMAIL", "env@example.com")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .assert()
        .success();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.author().name(), Some("Config Name"));
    assert_eq!(head.author().email(), Some("env@example.com"));
    // The committer, as with git: user.name from the config, and the email the
    // author's, since git's config has none here.
    assert_eq!(head.committer().name(), Some("Config Name"));
    assert_eq!(head.committer().email(), Some("env@example.com"));
}

/// A file staged one way and then changed back in the work tree has nothing to commit
/// (its working content is HEAD's, compared after git's filters).
#[test]
fn a_staged_change_undone_in_the_work_tree_is_not_listed() {
    let book = book_with_ada_and_carol();
    let repo = repo(&book);
    repo.config()
        .unwrap()
        .set_bool("core.autocrlf", true)
        .unwrap();
    book.customer("carol", "name: Carol Jones\n");
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("customers/carol.yaml")).unwrap();
    index.write().unwrap();
    book.customer("carol", &CAROL.replace('\n', "\r\n"));
    assert!(status_rows(&book).is_empty(), "{:?}", status_rows(&book));
    book.customer("carol", "name: Carol Smith\r\n");
    assert_eq!(
        status_rows(&book),
        [(
            "customers/carol.yaml".into(),
            "modified".into(),
            "edit carol (by hand)".into()
        )]
    );
}

/// Review finding: the global `--commit` was accepted by commands that change nothing
/// (`crm list --commit`) and silently did nothing.
#[test]
fn commit_on_a_command_that_changes_nothing_says_so() {
    let book = TempBook::new();
    book.crm(&["list", "--commit"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "--commit has no effect here: this command changes no files",
        ));
    book.crm(&["add", "Ada", "--commit"])
        .assert()
        .success()
        .stderr(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains("no effect"),
        ));
}

/// issue 17: `crm commit` hashes files as they are when no filter can apply; a
/// `.gitattributes` rule that gives customer files a filter must still be honoured,
/// and either way the index is left as `git add` leaves it (stat data included, so
/// git finds the files clean without hashing them, and an executable bit kept).
#[cfg(unix)]
#[test]
fn commit_honours_an_eol_attribute_and_leaves_the_index_fresh() {
    let book = TempBook::new();
    let repo = repo(&book);
    book.customer("ada", "name: Ada\nemail: ada@example.com\n");
    book.customer("bob", "name: Bob\n");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let path = book.path("customers/bob.yaml");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    book.crm(&["commit", "-m", "plain"]).assert().success();
    assert_eq!(git(book.root(), &["status", "--porcelain"]), "");
    assert_eq!(git(book.root(), &["diff-files", "--name-only"]), "");
    let staged = git(book.root(), &["ls-files", "-s", "customers"]);
    assert!(staged.contains("100755 "), "{staged}");
    assert!(staged.contains("100644 "), "{staged}");
    git(book.root(), &["fsck", "--strict"]);

    // A rule of the person's own: customer files are text stored with LF.
    let attributes = fs::read_to_string(book.path(".gitattributes")).unwrap_or_default();
    book.write(
        ".gitattributes",
        &format!("{attributes}customers/*.yaml text eol=lf\n"),
    );
    book.customer("ada", "name: Ada\r\nemail: ada@lovelace.org\r\n");
    book.crm(&["commit", "-m", "with attributes"])
        .assert()
        .success();
    assert_eq!(
        head_blob(&repo, "customers/ada.yaml"),
        b"name: Ada\nemail: ada@lovelace.org\n",
        "stored as `git add` stores it"
    );
    assert_eq!(git(book.root(), &["status", "--porcelain"]), "");
}
