//! Issue 10: a second writer is always possible. A cloned repository that someone else
//! prepared (links inside `.crm/`), git failing half-way through `crm undo`, a person's
//! editor saving while crm writes. Each test reproduces the case the issue found on main.

use crate::common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command as Process;

use common::TempBook;

fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// A folder outside the book holding one file, which no crm command may touch.
fn sentinel() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("precious.txt");
    fs::write(&file, "not crm's\n").unwrap();
    (dir, file)
}

fn assert_untouched(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["precious.txt"],
        "the folder outside the book changed"
    );
    assert_eq!(
        fs::read_to_string(dir.join("precious.txt")).unwrap(),
        "not crm's\n"
    );
}

/// Issue 10 item 1, the exact scenario: a committed `.crm/tmp` link, cloned, then
/// `crm log` emptied the folder it pointed at.
#[test]
fn a_cloned_state_folder_link_never_empties_a_folder_outside_the_book() {
    let (outside, _) = sentinel();
    let work = tempfile::tempdir().unwrap();
    let e = work.path().join("e");
    common::crm_command()
        .current_dir(work.path())
        .args(["init", "e"])
        .assert()
        .success();
    common::crm_command()
        .current_dir(&e)
        .args(["add", "A", "--id", "ab", "--commit"])
        .assert()
        .success();
    fs::remove_dir_all(e.join(".crm")).unwrap();
    fs::create_dir(e.join(".crm")).unwrap();
    symlink(outside.path(), e.join(".crm/tmp")).unwrap();
    git(&e, &["add", "-f", ".crm/tmp"]);
    git(&e, &["commit", "-q", "-m", "x"]);
    let c = work.path().join("c");
    let status = Process::new("git")
        .args(["clone", "-q"])
        .arg(&e)
        .arg(&c)
        .status()
        .unwrap();
    assert!(status.success());
    let before = fs::read(c.join("customers/ab.yaml")).unwrap();

    let output = common::crm_command()
        .current_dir(&c)
        .args(["log", "ab", "note", "hi"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`.crm/tmp` is a symlink") && err.contains("rm .crm/tmp"),
        "the refusal says how to repair: {err}"
    );
    assert_untouched(outside.path());
    assert_eq!(fs::read(c.join("customers/ab.yaml")).unwrap(), before);

    // The repair the message gives works.
    fs::remove_file(c.join(".crm/tmp")).unwrap();
    common::crm_command()
        .current_dir(&c)
        .args(["log", "ab", "note", "hi"])
        .assert()
        .success();
    assert_untouched(outside.path());
}

/// Item 1: `.crm` itself a link out of the book: no lock, temp file or cache is made
/// there, by a writer or by a reader (which saves the summary cache).
#[test]
fn a_state_folder_that_is_a_link_is_never_written_through() {
    let (outside, _) = sentinel();
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    let _ = fs::remove_dir_all(book.path(".crm"));
    symlink(outside.path(), book.path(".crm")).unwrap();
    let output = book.crm(&["log", "ada", "note", "hi"]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`.crm` is a symlink") && err.contains("rm .crm"),
        "{err}"
    );
    assert_eq!(book.read_customer("ada"), "name: Ada\n");
    // Readers still work; they only go without the cache.
    book.crm(&["list"]).assert().success();
    book.crm(&["stats"]).assert().success();
    assert_untouched(outside.path());
}

/// Item 1: `.crm/lock` a link to a file outside the book: not opened, not created.
#[test]
fn a_lock_file_that_is_a_link_is_refused() {
    let (outside, precious) = sentinel();
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    fs::create_dir_all(book.path(".crm")).unwrap();
    let _ = fs::remove_file(book.path(".crm/lock"));
    symlink(&precious, book.path(".crm/lock")).unwrap();
    let output = book.crm(&["add", "Bob"]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("`.crm/lock` is a symlink"), "{err}");
    assert!(!book.customer_path("bob").exists());
    // A dangling link is not created through either.
    let gone = outside.path().join("made-by-crm");
    fs::remove_file(book.path(".crm/lock")).unwrap();
    symlink(&gone, book.path(".crm/lock")).unwrap();
    book.crm(&["add", "Bob"]).assert().code(2);
    assert!(!gone.exists(), "crm created a file outside the book");
    assert_untouched(outside.path());
}

/// Item 1: the edit copy folder `.crm/edit` a link: the copy is never made there.
#[test]
fn an_edit_folder_that_is_a_link_is_not_written_into() {
    let (outside, _) = sentinel();
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    fs::create_dir_all(book.path(".crm")).unwrap();
    symlink(outside.path(), book.path(".crm/edit")).unwrap();
    // An editor that writes down where the copy it was given is.
    let scripts = tempfile::tempdir().unwrap();
    let editor = scripts.path().join("editor");
    let seen = scripts.path().join("seen");
    fs::write(
        &editor,
        format!("#!/bin/sh\nprintf %s \"$1\" > '{}'\n", seen.display()),
    )
    .unwrap();
    fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    book.crm(&["edit", "ada"])
        .env("EDITOR", &editor)
        .env("VISUAL", &editor)
        .assert()
        .success();
    let copy = fs::read_to_string(&seen).unwrap();
    let copy = fs::canonicalize(Path::new(&copy).parent().unwrap()).unwrap();
    assert!(
        !copy.starts_with(fs::canonicalize(outside.path()).unwrap()),
        "the editing copy was made outside the book, in {}",
        copy.display()
    );
    assert_untouched(outside.path());
}

/// Item 1: only crm's own temp files are cleared from a real `.crm/tmp`.
#[test]
fn clearing_leftover_temps_keeps_files_crm_did_not_name() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    fs::create_dir_all(book.path(".crm/tmp")).unwrap();
    book.write(".crm/tmp/ada.yaml.AbC123.tmp", "leftover");
    book.write(".crm/tmp/notes.txt", "a person's file");
    book.crm(&["log", "ada", "note", "hi"]).assert().success();
    assert!(!book.path(".crm/tmp/ada.yaml.AbC123.tmp").exists());
    assert_eq!(book.read(".crm/tmp/notes.txt"), "a person's file");
}

/// Item 1: `crm.toml` a link out of the book is refused, not read.
#[test]
fn a_settings_file_linked_out_of_the_book_is_refused() {
    let (outside, precious) = sentinel();
    let book = TempBook::new();
    fs::remove_file(book.path("crm.toml")).unwrap();
    symlink(&precious, book.path("crm.toml")).unwrap();
    let output = book.crm(&["list"]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`crm.toml` is a symlink out of the book"),
        "{err}"
    );
    assert_untouched(outside.path());
}

/// The nobody user's id, which crm runs as when the tests run as root (root writes
/// into read-only folders).
const NOBODY: u32 = 65534;

fn running_as_root() -> bool {
    let out = Process::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Runs crm in `book` as the user who owns it: `nobody` (through util-linux's
/// `setpriv`, with the book handed to nobody) when the tests run as root.
fn run_as_owner(book: &TempBook, args: &[&str]) -> std::process::Output {
    if !running_as_root() {
        return book.crm(args).output().unwrap();
    }
    assert!(
        Path::new("/usr/bin/setpriv").exists(),
        "this test runs as root and needs setpriv (util-linux) to run crm as nobody"
    );
    let cmd = book.crm(args);
    let mut wrapped = Process::new("/usr/bin/setpriv");
    wrapped
        .arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .args(["--clear-groups", "--"])
        .arg(common::crm_for_anyone())
        .args(cmd.get_args())
        .current_dir(book.root());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped.output().unwrap()
}

fn give_to_nobody(dir: &Path) {
    if !running_as_root() {
        return;
    }
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        std::os::unix::fs::lchown(entry.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

fn set_mode(path: &Path, mode: u32, recursive: bool) {
    use std::os::unix::fs::PermissionsExt;
    let paths: Vec<_> = if recursive {
        walkdir::WalkDir::new(path)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    for p in paths {
        let dir = p.is_dir();
        let m = if dir { mode | 0o111 } else { mode & 0o666 };
        fs::set_permissions(&p, fs::Permissions::from_mode(m)).unwrap();
    }
}

fn bob_committed() -> (TempBook, Vec<u8>) {
    let book = TempBook::new();
    book.crm(&["add", "Bob", "--id", "bob", "--commit"])
        .assert()
        .success();
    let bytes = fs::read(book.customer_path("bob")).unwrap();
    (book, bytes)
}

/// Issue 10 item 2: with git's index locked, undo removed customers/bob.yaml and then
/// failed, saying nothing was changed.
#[test]
fn undo_with_a_locked_index_changes_nothing() {
    let (book, bob) = bob_committed();
    fs::write(book.path(".git/index.lock"), "").unwrap();
    let output = book.crm(&["undo"]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("index.lock") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(fs::read(book.customer_path("bob")).unwrap(), bob);
    fs::remove_file(book.path(".git/index.lock")).unwrap();
    book.crm(&["status", "--format", "json"]).assert().success();
    book.crm(&["undo"]).assert().success();
    assert!(!book.customer_path("bob").exists());
}

/// Issue 10 item 2: a `.git` that cannot be written (only the folder itself, so git's
/// objects can still be written and the failure comes after the files are changed; or
/// all of it), with crm run as a user the permissions bind.
#[test]
fn undo_in_a_read_only_git_folder_puts_every_file_back() {
    for recursive in [false, true] {
        let (book, bob) = bob_committed();
        give_to_nobody(book.root());
        set_mode(&book.path(".git"), 0o555, recursive);
        let output = run_as_owner(&book, &["undo"]);
        set_mode(&book.path(".git"), 0o755, recursive);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(
            fs::read(book.customer_path("bob")).unwrap(),
            bob,
            "recursive: {recursive}"
        );
        // The repository is as it was: the undo now works, and the file goes.
        let output = run_as_owner(&book, &["undo"]);
        assert!(output.status.success(), "{output:?}");
        assert!(!book.customer_path("bob").exists());
        let output = run_as_owner(&book, &["status", "--format", "json"]);
        assert!(output.status.success(), "{output:?}");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("bob"),
            "{output:?}"
        );
    }
}

/// `crm ARGS` in `book`, started under `strace` with `inject` (a real kernel-side
/// delay of one system call, so a test can act inside crm's write deterministically).
fn crm_under_strace(
    book: &TempBook,
    calls: &str,
    delay: &str,
    args: &[&str],
) -> std::process::Child {
    assert!(
        Path::new("/usr/bin/strace").exists(),
        "this test needs strace to delay crm's system calls; .ci/run installs it (apt-get install strace)"
    );
    let cmd = book.crm(args);
    let mut wrapped = Process::new("/usr/bin/strace");
    wrapped
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={calls}"))
        .arg("-e")
        .arg(format!("inject={calls}:{delay}"))
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(book.root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped.spawn().expect("strace starts")
}

/// Waits until crm has made its temp file in `.crm/tmp` (it is writing).
fn wait_for_temp_file(book: &TempBook) {
    let started = std::time::Instant::now();
    loop {
        let found = fs::read_dir(book.path(".crm/tmp")).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp")))
        });
        if found {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "crm never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A person's editor saving the way most do: a new file renamed over the old one.
fn atomic_save(book: &TempBook, id: &str, text: &str) {
    let temp = book.path(&format!("customers/.{id}.yaml.swp"));
    fs::write(&temp, text).unwrap();
    fs::rename(&temp, book.customer_path(id)).unwrap();
}

const SAVED: &str = "name: Ada\n# saved by a person while crm was writing\ninteractions:\n  - date: 2025-06-01\n    kind: call\n";

/// Issue 10 item 3: a save during crm's fsync (300 ms there, as a slow disk does) was
/// lost with exit 0. Now the file is compared again after the fsync.
#[test]
fn a_save_during_a_slow_fsync_is_kept() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    let child = crm_under_strace(
        &book,
        "fsync",
        "delay_enter=400000:when=1",
        &["log", "ada", "note", "from crm"],
    );
    wait_for_temp_file(&book);
    atomic_save(&book, "ada", SAVED);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        book.read_customer("ada"),
        SAVED,
        "the person's save was lost"
    );
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("changed while crm was working"), "{err}");
}

/// Issue 10 item 3: a save in the instant between crm's last compare and its rename
/// (made long here by delaying the rename call itself): the file crm swaps out is
/// checked, and swapped back because it is not what crm read.
#[test]
fn a_save_just_before_the_rename_is_swapped_back() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    let child = crm_under_strace(
        &book,
        "rename,renameat,renameat2",
        "delay_enter=600000:when=1",
        &["log", "ada", "note", "from crm"],
    );
    wait_for_temp_file(&book);
    std::thread::sleep(std::time::Duration::from_millis(200));
    atomic_save(&book, "ada", SAVED);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        book.read_customer("ada"),
        SAVED,
        "the person's save was lost"
    );
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("changed while crm was working"), "{err}");
    let leftovers: Vec<_> = fs::read_dir(book.path(".crm/tmp")).unwrap().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Issue 10 item 4: an editor that saves in place (truncate, then write in chunks) was
/// read half-way; the prefix parsed, crm appended to it, and the rest was lost.
#[test]
fn a_file_being_saved_in_place_is_not_appended_to_half_written() {
    use std::io::Write;
    let book = TempBook::new();
    let mut entries = Vec::new();
    for day in 1..=150 {
        entries.push(format!(
            "  - date: 2025-01-01\n    kind: note\n    summary: entry {day}\n"
        ));
    }
    let full = format!("name: Ada\ninteractions:\n{}", entries.concat());
    book.customer("ada", &full);
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The editor: a prefix that parses, then the rest in chunks, 20 ms apart.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(book.customer_path("ada"))
        .unwrap();
    let head = format!("name: Ada\ninteractions:\n{}", entries[..50].concat());
    file.write_all(head.as_bytes()).unwrap();
    let cmd = book.crm(&["log", "ada", "note", "from crm"]);
    let mut plain = Process::new(cmd.get_program());
    plain
        .args(cmd.get_args())
        .current_dir(book.root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => plain.env(key, value),
            None => plain.env_remove(key),
        };
    }
    let child = plain.spawn().unwrap();
    for chunk in entries[50..].chunks(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        file.write_all(chunk.concat().as_bytes()).unwrap();
    }
    drop(file);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    let text = book.read_customer("ada");
    for day in 1..=150 {
        assert!(
            text.contains(&format!("summary: entry {day}\n")),
            "entry {day} was lost ({err})"
        );
    }
    assert!(output.status.success(), "{err}");
    assert!(text.ends_with("summary: from crm\n"), "{text}");
    book.crm(&["check"]).assert().success();
}
