//! Several crm processes on one book at once: every write lands or is refused with a
//! clear message, no reader sees a half-written file, a killed process never wedges the
//! book, and a write killed at any moment leaves the old file or the new one.
//!
//! Some tests need a process that takes the lock and is then killed. This file's own
//! test binary plays that part: [`child_role`] does nothing in a normal run, and does the
//! child's job when the parent starts the binary again with `CRM_TEST_CHILD` set.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::TempBook;
use crm::domain::id::CustomerId;
use crm::domain::interaction::{Interaction, Kind};
use crm::store::{read, Book};

const ADA: &str = "# Ada, hand written.\nname: Ada Lovelace\ninteractions:\n  - date: 2025-03-01\n    kind: call # first\n";

/// Writers in these tests may queue behind many others on a slow, shared machine.
const PATIENT_LOCK_WAIT: &str = "120";

fn ada_book() -> TempBook {
    let book = TempBook::new();
    book.customer("ada", ADA);
    book
}

fn ada() -> CustomerId {
    CustomerId::parse("ada").unwrap()
}

/// Parses ada's file as every command would; panics with the text if it is unreadable.
fn read_ada(book: &TempBook) -> Vec<Interaction> {
    let raw = fs::read(book.customer_path("ada")).unwrap();
    match read::parse_customer(&raw, "customers/ada.yaml", &ada()) {
        Ok(loaded) => loaded.customer.interactions,
        Err(problem) => panic!("{problem}\n{}", String::from_utf8_lossy(&raw)),
    }
}

fn summaries(interactions: &[Interaction]) -> Vec<String> {
    interactions
        .iter()
        .filter_map(|i| i.summary.clone())
        .collect()
}

fn note(summary: &str) -> Interaction {
    let mut interaction =
        Interaction::new(NaiveDate::from_ymd_opt(2025, 6, 15).unwrap(), Kind::Note);
    interaction.summary = Some(summary.to_string());
    interaction
}

/// A `crm` process in `book` that can be spawned and killed (assert_cmd's only runs to
/// the end), with the harness's clean environment and a patient lock wait.
fn crm(book: &TempBook, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("crm"));
    for name in [
        "CRM_DIR",
        "CRM_LOCK_TIMEOUT",
        "NO_COLOR",
        "VISUAL",
        "EDITOR",
    ] {
        cmd.env_remove(name);
    }
    cmd.current_dir(book.root())
        .args(args)
        .env("CRM_TODAY", common::TODAY)
        .env("CRM_LOCK_TIMEOUT", PATIENT_LOCK_WAIT)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", book.root());
    cmd
}

fn crm_log(book: &TempBook, summary: &str) -> Command {
    crm(book, &["log", "ada", "note", summary])
}

fn wait_all(children: Vec<Child>) -> Vec<Output> {
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_files(book: &TempBook) -> Vec<PathBuf> {
    fs::read_dir(book.path(".crm/tmp"))
        .map(|dir| dir.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn twenty_parallel_crm_log_processes_all_land() {
    let book = ada_book();
    let children: Vec<Child> = (0..20)
        .map(|n| {
            crm_log(&book, &format!("parallel {n}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for output in wait_all(children) {
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let interactions = read_ada(&book);
    assert_eq!(interactions.len(), 21);
    let landed: BTreeSet<String> = summaries(&interactions).into_iter().collect();
    let expected: BTreeSet<String> = (0..20).map(|n| format!("parallel {n}")).collect();
    assert_eq!(landed, expected);
    assert!(
        book.read_customer("ada").starts_with(ADA),
        "the hand-written part is untouched"
    );
    book.crm(&["check"]).assert().code(0);
}

#[test]
fn twenty_threads_appending_through_the_library_all_land() {
    let book = ada_book();
    let root = book.root().to_path_buf();
    std::thread::scope(|scope| {
        for n in 0..20 {
            let root = &root;
            scope.spawn(move || {
                let mut store = Book::open(root).unwrap();
                store.lock_wait = Ok(Duration::from_secs(120));
                let mut lock = store.lock().unwrap();
                store
                    .append_interaction(&mut lock, &ada(), &note(&format!("thread {n}")))
                    .unwrap();
            });
        }
    });
    let landed: BTreeSet<String> = summaries(&read_ada(&book)).into_iter().collect();
    assert_eq!(landed, (0..20).map(|n| format!("thread {n}")).collect());
}

#[test]
fn twenty_parallel_adds_of_distinct_customers_all_land() {
    let book = TempBook::new();
    let children: Vec<Child> = (0..20)
        .map(|n| {
            crm(&book, &["add", &format!("Person {n}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for output in wait_all(children) {
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let listed = common::stdout_of(&mut book.crm(&["list", "--format", "json"]));
    let rows: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let ids: BTreeSet<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        (0..20)
            .map(|n| format!("person-{n}"))
            .collect::<BTreeSet<_>>()
            .iter()
            .map(String::as_str)
            .collect()
    );
    book.crm(&["check"]).assert().code(0);
}

#[test]
fn parallel_edits_either_land_or_report_a_conflict_and_keep_the_copy() {
    let book = ada_book();
    let tools = tempfile::tempdir().unwrap();
    let editor = tools.path().join("ed.sh");
    // Each editor adds its own key, named after EDIT_N from the environment crm passed on.
    fs::write(&editor, "#!/bin/sh\nfor last in \"$@\"; do :; done\nprintf 'edit_%s: done\\n' \"$EDIT_N\" >> \"$last\"\n").unwrap();
    fs::set_permissions(&editor, fs::Permissions::from_mode(0o755)).unwrap();
    let children: Vec<Child> = (0..10)
        .map(|n| {
            crm(&book, &["edit", "ada"])
                .env("EDITOR", &editor)
                .env("EDIT_N", n.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = wait_all(children);
    read_ada(&book);
    let text = book.read_customer("ada");
    let mut saved = 0;
    for (n, output) in outputs.iter().enumerate() {
        let line = format!("edit_{n}: done\n");
        match output.status.code() {
            Some(0) => {
                saved += 1;
                assert!(
                    text.contains(&line),
                    "edit {n} said saved but is missing:\n{text}"
                );
            }
            Some(2) => {
                let err = stderr(output);
                assert!(err.contains("changed while crm was working on it"), "{err}");
                assert!(
                    !text.contains(&line),
                    "a refused edit must not land:\n{text}"
                );
                let kept = err
                    .split('`')
                    .find(|part| part.contains("/.crm/edit/"))
                    .expect("names the kept copy");
                assert!(fs::read_to_string(kept).unwrap().contains(&line));
            }
            other => panic!("edit {n} ended with {other:?}: {}", stderr(output)),
        }
    }
    assert!(
        saved >= 1,
        "the first edit to take the lock cannot conflict"
    );
    assert!(text.starts_with(ADA));
}

#[test]
fn a_reader_racing_writers_never_sees_a_half_written_file() {
    let book = ada_book();
    let root = book.root().to_path_buf();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (reads, final_count) = std::thread::scope(|scope| {
        let library_writer = scope.spawn(|| {
            let store = Book::open(&root).unwrap();
            for n in 0..150 {
                let mut lock = store.lock().unwrap();
                store
                    .append_interaction(&mut lock, &ada(), &note(&format!("library {n}")))
                    .unwrap();
            }
        });
        let process_writer = scope.spawn(|| {
            for n in 0..15 {
                let output = crm_log(&book, &format!("process {n}")).output().unwrap();
                assert!(output.status.success(), "{}", stderr(&output));
            }
        });
        let reader = scope.spawn(|| {
            let mut reads = 0usize;
            let mut last = 0usize;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let count = read_ada(&book).len();
                assert!(count >= last, "the file lost entries: {count} after {last}");
                last = count;
                reads += 1;
            }
            reads
        });
        // Stop the reader before reporting a writer's failure, or the test would hang.
        let writers = [library_writer.join(), process_writer.join()];
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        for writer in writers {
            if let Err(panic) = writer {
                std::panic::resume_unwind(panic);
            }
        }
        (reader.join().unwrap(), read_ada(&book).len())
    });
    assert!(reads > 0);
    assert_eq!(final_count, 1 + 150 + 15);
    // A reader in another process, too: check reads the finished book.
    book.crm(&["check"]).assert().code(0);
}

/// Not a test on its own: the part of a child process in the tests below. Takes the
/// book's lock, optionally leaves a half-written temp file as a write killed before its
/// rename would, says so in a marker file, and waits to be killed.
#[test]
fn child_role() {
    let Ok(role) = std::env::var("CRM_TEST_CHILD") else {
        return;
    };
    let root = PathBuf::from(std::env::var("CRM_TEST_BOOK").unwrap());
    let book = Book::open(&root).unwrap();
    let _lock = book.lock().unwrap();
    if role == "half-written" {
        fs::write(root.join(".crm/tmp/ada.yaml.crash.tmp"), "name: Ada Lo").unwrap();
    }
    fs::write(root.join("child-holds-the-lock"), "").unwrap();
    // Waits to be killed; gives up after a while in case its parent died first.
    std::thread::sleep(Duration::from_secs(600));
    std::process::exit(1);
}

/// A lock-holding child, killed with SIGKILL when dropped (also when a test fails
/// before killing it, so no process outlives the test).
struct LockHolder(Child);

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts this test binary as a child in `role` and waits until it holds the lock.
fn lock_holder(book: &TempBook, role: &str) -> LockHolder {
    let mut holder = LockHolder(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "concurrency::child_role",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CRM_TEST_CHILD", role)
            .env("CRM_TEST_BOOK", book.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let marker = book.path("child-holds-the-lock");
    let started = Instant::now();
    while !marker.exists() {
        if let Some(status) = holder.0.try_wait().unwrap() {
            panic!("the lock holder ended early: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the lock holder never took the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    fs::remove_file(marker).unwrap();
    holder
}

/// SIGKILL: the process runs no destructor and never unlocks anything itself.
fn kill_9(holder: LockHolder) {
    drop(holder);
}

#[test]
fn a_lock_held_by_a_killed_process_is_released_by_the_kernel() {
    let book = ada_book();
    let holder = lock_holder(&book, "hold");
    let blocked = book
        .crm(&["log", "ada", "note", "while locked"])
        .env("CRM_LOCK_TIMEOUT", "0.2")
        .output()
        .unwrap();
    assert_eq!(blocked.status.code(), Some(2), "the lock really is held");
    let err = stderr(&blocked);
    assert!(
        err.contains("another crm process has held the book's lock"),
        "{err}"
    );
    assert!(err.contains("CRM_LOCK_TIMEOUT"), "{err}");
    assert!(
        err.contains("for over 0.2s"),
        "the wait as set, not rounded down to 0s: {err}"
    );
    assert_eq!(
        book.read_customer("ada"),
        ADA,
        "a timed-out writer writes nothing"
    );

    kill_9(holder);
    assert!(
        book.path(".crm/lock").exists(),
        "the lock file stays; only the lock goes"
    );
    let output = crm_log(&book, "after the kill").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(summaries(&read_ada(&book)), ["after the kill"]);
}

#[test]
fn a_write_killed_before_its_rename_leaves_the_old_file_and_its_temp_is_cleaned_up() {
    let book = ada_book();
    book.customer("bob", "name: Bob\n");
    let holder = lock_holder(&book, "half-written");
    kill_9(holder);
    assert_eq!(
        book.read_customer("ada"),
        ADA,
        "the customer file is the old one"
    );
    assert_eq!(
        temp_files(&book).len(),
        1,
        "the killed writer left its temp file"
    );

    // Readers neither see nor mind it.
    let listed = common::stdout_of(&mut book.crm(&["list", "--format", "json"]));
    let rows: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{listed}");
    let check = book.crm(&["check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(!stderr(&check).contains("crash"), "{}", stderr(&check));

    // The next writer removes it.
    let output = crm_log(&book, "next writer").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(temp_files(&book).is_empty(), "{:?}", temp_files(&book));
    assert_eq!(summaries(&read_ada(&book)), ["next writer"]);
}

#[test]
fn writers_killed_at_any_moment_leave_a_valid_file() {
    let book = ada_book();
    let mut started = 0;
    for n in 0..12u64 {
        let mut child = crm_log(&book, &format!("maybe {n}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        started += 1;
        // Different moments of the write: before the lock, mid-write, after the rename.
        std::thread::sleep(Duration::from_millis(n * 3));
        let _ = child.kill();
        child.wait().unwrap();
        // Whatever the moment, the file is whole and holds each entry at most once.
        let landed = summaries(&read_ada(&book));
        let unique: BTreeSet<&String> = landed.iter().collect();
        assert_eq!(unique.len(), landed.len(), "{landed:?}");
    }
    let output = crm_log(&book, "survivor").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        temp_files(&book).is_empty(),
        "the survivor cleared what the killed writers left"
    );
    let landed = summaries(&read_ada(&book));
    assert_eq!(landed.last().map(String::as_str), Some("survivor"));
    assert!(landed.len() <= started + 1);
    assert!(book.read_customer("ada").starts_with(ADA));
}

/// Regression: `crm edit` timing out on the lock printed only the lock message, and the
/// person's edit sat in `.crm/edit/` without anything saying so.
#[test]
fn an_edit_that_times_out_on_the_lock_keeps_the_copy_and_names_it() {
    let book = ada_book();
    let holder = lock_holder(&book, "hold");
    let output = crm(&book, &["edit", "ada"])
        .env("CRM_LOCK_TIMEOUT", "0.2")
        .env("EDITOR", "sh -c 'echo \"phone: 1\" >> \"$0\"'")
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another crm process has held the book's lock"),
        "{err}"
    );
    let copies: Vec<PathBuf> = fs::read_dir(book.path(".crm/edit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{err}");
    assert!(
        err.contains(&copies[0].display().to_string()),
        "the error names the kept copy: {err}"
    );
    assert!(fs::read_to_string(&copies[0])
        .unwrap()
        .ends_with("phone: 1\n"));
    assert_eq!(book.read_customer("ada"), ADA, "nothing was written");
    kill_9(holder);
}

/// Regression: `CRM_LOCK_TIMEOUT=1e30` panicked (exit 101) in `Duration::from_secs_f64`.
#[test]
fn an_out_of_range_lock_timeout_is_a_usage_error() {
    let book = ada_book();
    for bad in ["1e30", "-1", "ten"] {
        let output = crm_log(&book, "never")
            .env("CRM_LOCK_TIMEOUT", bad)
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains(&format!("CRM_LOCK_TIMEOUT={bad:?}")), "{err}");
        assert!(err.contains("hint: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(book.read_customer("ada"), ADA);
}

/// Commands that never take the lock do not care what CRM_LOCK_TIMEOUT says.
#[test]
fn a_bad_lock_timeout_does_not_stop_read_only_commands() {
    let book = ada_book();
    for args in [&["list"][..], &["show", "ada"], &["check"], &["due"]] {
        let output = crm(&book, args)
            .env("CRM_LOCK_TIMEOUT", "1e30")
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}
