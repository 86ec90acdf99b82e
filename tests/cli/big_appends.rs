//! `crm log` on a big customer file that crm itself wrote last takes the append plan
//! kept in `.crm/appends` instead of parsing the file again (docs/design.md, "Lossless
//! appends"). These tests hold that path to the full parse: it gives the same bytes,
//! and it never misses a hand edit, even one that keeps the file's size and mtime.

use std::fs;
use std::time::{Duration, SystemTime};

use crate::common::{edit_in_place_keeping_size_and_mtime, TempBook};

/// A customer file of `n` interactions (over the 64 KiB from which the plan is kept),
/// with comments, a key before the list and a footer after it.
fn big_file(n: usize) -> String {
    let mut text = String::from(
        "# kept by hand\nname: Big Customer\nfollow_up:\n  every: 30d\ninteractions:\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "  - date: 2020-{:02}-{:02}\n    kind: call\n    summary: \"entry {i:05}\"\n",
            1 + i % 12,
            1 + i % 28
        ));
    }
    text.push_str("# footer, after the list\n");
    text
}

const ID: &str = "big";

fn book_with_big_file() -> TempBook {
    let book = TempBook::new();
    book.customer(ID, &big_file(2000));
    assert!(book.read_customer(ID).len() > 100 * 1024);
    book
}

fn log(book: &TempBook, summary: &str, date: &str) -> assert_cmd::assert::Assert {
    book.crm(&["log", ID, "call", summary, "--date", date])
        .assert()
}

/// Forgets the plans crm kept, so that the next append parses the file.
fn forget(book: &TempBook) {
    let _ = fs::remove_file(book.path(".crm/appends"));
}

/// Replaces `old` by `new` (the same length) in the file, in place, and puts its
/// modification time back: the size and the mtime stay as crm left them.
fn edit_in_place(book: &TempBook, old: &str, new: &str) {
    let text = book.read_customer(ID);
    assert!(text.contains(old), "{old:?} is in the file");
    edit_in_place_keeping_size_and_mtime(&book.customer_path(ID), &text.replacen(old, new, 1));
}

#[test]
fn the_kept_plan_gives_the_same_bytes_as_a_full_parse() {
    let fast = book_with_big_file();
    let slow = book_with_big_file();
    for (n, date) in ["2025-06-01", "2025-06-02", "2025-06-03", "2025-06-04"]
        .iter()
        .enumerate()
    {
        let summary = format!("call {n}, with \"quotes\"");
        log(&fast, &summary, date).success();
        forget(&slow);
        log(&slow, &summary, date).success();
        assert!(
            fast.path(".crm/appends").exists(),
            "the plan is kept for a big file"
        );
        assert_eq!(fast.read_customer(ID), slow.read_customer(ID));
    }
    let text = fast.read_customer(ID);
    assert!(
        text.ends_with("    summary: \"call 3, with \\\"quotes\\\"\"\n# footer, after the list\n")
    );
    fast.crm(&["check"]).assert().success();
}

#[test]
fn an_edit_that_keeps_the_size_and_the_mtime_is_seen() {
    let book = book_with_big_file();
    log(&book, "first", "2025-06-01").success();
    // An impossible date far from the end: only a parse of the whole file sees it.
    edit_in_place(&book, "  - date: 2020-02-02\n", "  - date: 2020-02-31\n");
    let edited = book.read_customer(ID);
    log(&book, "second", "2025-06-02")
        .failure()
        .stderr(predicates::str::contains("2020-02-31"));
    assert_eq!(book.read_customer(ID), edited, "nothing was written");
    // Repaired by hand, the file takes appends again, as a full parse would give them.
    edit_in_place(&book, "  - date: 2020-02-31\n", "  - date: 2020-02-03\n");
    let slow = TempBook::new();
    slow.customer(ID, &book.read_customer(ID));
    log(&book, "third", "2025-06-03").success();
    log(&slow, "third", "2025-06-03").success();
    assert_eq!(book.read_customer(ID), slow.read_customer(ID));
}

#[test]
fn an_edit_of_the_last_entry_in_the_same_second_is_seen() {
    let book = book_with_big_file();
    log(&book, "first", "2025-06-01").success();
    // The entry crm just wrote, changed at once, in place, to the same size: a
    // duplicate key that only the reader's rules refuse.
    edit_in_place(&book, "    summary: first\n", "    kind: call   #\n");
    let edited = book.read_customer(ID);
    log(&book, "second", "2025-06-02").failure();
    assert_eq!(book.read_customer(ID), edited, "nothing was written");
}

#[test]
fn a_hand_edit_then_a_log_keeps_the_edit() {
    let book = book_with_big_file();
    let slow = book_with_big_file();
    // Edit, then log: never logged before, and then edited after crm's last write.
    for (n, (old, new)) in [
        ("entry 00010", "ENTRY 00010"),
        ("# footer, after the list\n", "# footer\nextra: kept\n"),
        ("    summary: \"entry 01999\"\n", ""),
    ]
    .iter()
    .enumerate()
    {
        let date = format!("2025-06-0{}", n + 1);
        for b in [&book, &slow] {
            b.customer(ID, &b.read_customer(ID).replacen(old, new, 1));
        }
        log(&book, "after an edit", &date).success();
        forget(&slow);
        log(&slow, "after an edit", &date).success();
        assert_eq!(book.read_customer(ID), slow.read_customer(ID));
        assert!(book.read_customer(ID).contains(new));
    }
    assert!(book
        .read_customer(ID)
        .ends_with("    summary: after an edit\n# footer\nextra: kept\n"));
}

#[test]
fn a_log_then_an_edit_then_a_log_sees_the_edit() {
    let book = book_with_big_file();
    log(&book, "first", "2025-06-01").success();
    // A file whose new last entry is made invalid, then made valid again.
    let text = book.read_customer(ID);
    fs::write(
        book.customer_path(ID),
        text.replace("    summary: first\n", "    amount: 1.005\n"),
    )
    .unwrap();
    log(&book, "second", "2025-06-02")
        .failure()
        .stderr(predicates::str::contains("amount"));
    // A file replaced by another program (a new inode) holding the same text as
    // crm wrote: crm reads it as it is, the same bytes, so the same append.
    let path = book.customer_path(ID);
    fs::write(book.path("copy.yaml"), &text).unwrap();
    fs::rename(book.path("copy.yaml"), &path).unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    log(&book, "second", "2025-06-02").success();
    let slow = TempBook::new();
    slow.customer(ID, &text);
    log(&slow, "second", "2025-06-02").success();
    assert_eq!(book.read_customer(ID), slow.read_customer(ID));
    book.crm(&["check"]).assert().success();
}
