//! Commands about one customer touch only that customer's file (issue 2, "commands
//! about one customer never read the whole folder"; issue 7, "they read one file").
//!
//! The proof: `customers/` is made unlistable (execute permission without read), so any
//! command that walks the folder fails, while opening a file by its name still works.
//! Permissions do not bind root, so when the tests run as root, crm runs as `nobody`
//! through `setpriv` (util-linux), with the book handed to that user.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use common::TempBook;

const NOBODY: u32 = 65534;

/// Whether this process runs as root: a file it creates belongs to its user.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

/// Hands every file under `dir` to `nobody` (for runs as root).
fn give_to_nobody(dir: &Path) {
    std::os::unix::fs::lchown(dir, Some(NOBODY), Some(NOBODY)).unwrap();
    if dir.is_dir() && !dir.is_symlink() {
        for entry in fs::read_dir(dir).unwrap() {
            give_to_nobody(&entry.unwrap().path());
        }
    }
}

/// A book with two customers whose `customers/` folder cannot be listed by the user
/// crm runs as, and the command runner for that user.
struct UnlistableBook {
    book: TempBook,
    as_root: bool,
}

impl UnlistableBook {
    fn new() -> UnlistableBook {
        let book = TempBook::new();
        book.customer(
            "ada",
            "name: Ada\nfollow_up:\n  every: 30d\ninteractions:\n  - date: 2025-06-01\n    kind: call\n    summary: Wants a quote\n    follow_up: 2025-06-10\n",
        );
        book.customer("bob", "name: Bob\n");
        book.crm(&["commit", "-m", "two customers"])
            .assert()
            .success();
        let as_root = running_as_root();
        if as_root {
            assert!(
                Path::new("/usr/bin/setpriv").exists(),
                "these tests run as root and need setpriv (util-linux) to drop to nobody"
            );
            // The temp folder's parents must be passable for nobody.
            give_to_nobody(book.root());
        }
        fs::set_permissions(book.path("customers"), fs::Permissions::from_mode(0o311)).unwrap();
        UnlistableBook { book, as_root }
    }

    fn crm(&self, args: &[&str]) -> Command {
        let cmd = self.book.crm(args);
        if self.as_root {
            let program = common::crm_for_anyone();
            let mut wrapped = Command::new("/usr/bin/setpriv");
            wrapped
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(program)
                .args(cmd.get_args())
                .current_dir(self.book.root());
            for (key, value) in cmd.get_envs() {
                match value {
                    Some(value) => wrapped.env(key, value),
                    None => wrapped.env_remove(key),
                };
            }
            return wrapped;
        }
        cmd
    }
}

impl Drop for UnlistableBook {
    fn drop(&mut self) {
        // Let the temp folder be removed.
        let _ = fs::set_permissions(
            self.book.path("customers"),
            fs::Permissions::from_mode(0o755),
        );
    }
}

#[test]
fn a_whole_book_command_really_fails_on_an_unlistable_folder() {
    // Without this the other tests would prove nothing.
    let book = UnlistableBook::new();
    let output = book.crm(&["list"]).output().unwrap();
    assert!(
        !output.status.success(),
        "list succeeded without listing customers/: {output:?}"
    );
}

#[test]
fn show_log_done_and_snooze_open_only_their_customer() {
    let book = UnlistableBook::new();
    book.crm(&["show", "ada"]).assert().success();
    book.crm(&["show", "ada", "--format", "json"])
        .assert()
        .success();
    book.crm(&["log", "ada", "call", "Sent the quote"])
        .assert()
        .success();
    book.crm(&["snooze", "ada", "+3d"]).assert().success();
    book.crm(&["done", "ada", "--note", "Quote accepted"])
        .assert()
        .success();
    book.crm(&["log", "bob", "purchase", "--amount", "12.50"])
        .assert()
        .success();
    let ada = fs::read_to_string(book.book.customer_path("ada")).unwrap();
    assert!(
        ada.contains("Sent the quote") && ada.contains("Quote accepted"),
        "{ada}"
    );
}

#[test]
fn add_and_log_with_commit_open_only_their_customer() {
    let book = UnlistableBook::new();
    book.crm(&["add", "Carol Jones", "--commit"])
        .assert()
        .success()
        .stdout("carol-jones\n");
    book.crm(&["log", "ada", "email", "Follow-up", "--commit"])
        .assert()
        .success();
    // Asked through crm, as the user who owns the repository (git refuses others).
    let output = book
        .crm(&["history", "ada", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let history: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(history[0]["summary"], "log email with ada", "{history}");
}
