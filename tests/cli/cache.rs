//! The summary cache (`.crm/summaries.cache`) must never hand out stale data: a hand
//! edit is seen by the very next read, even one that keeps the size and puts the mtime
//! back; broken files are never cached as good; a corrupt cache is rebuilt.

use crate::common;

use std::fs::{self, File};
use std::time::Duration;

use common::{edit_in_place_keeping_size_and_mtime, stdout_of, TempBook};
use crm::domain::summary::Summary;
use crm::store::cache::{self, Policy};
use crm::store::scan;
use crm::store::Book;

const ADA: &str = "name: Ada Lovelace\ntags: [vip]\ninteractions:\n  - date: 2025-01-10\n    kind: feedback\n    rating: 3\n";
const ALAN: &str = "name: Alan Turing\ninteractions:\n  - date: 2025-02-01\n    kind: purchase\n    amount: 10.00\n";

/// A short age limit, so tests need not wait two seconds; still far above any clock
/// tick, so the guarantee under test is the real one.
fn policy() -> Policy {
    Policy {
        min_age: Duration::from_millis(100),
    }
}

/// Lets files written so far become old enough for [`policy`] to cache them.
fn settle() {
    std::thread::sleep(Duration::from_millis(150));
}

fn book_with_two() -> TempBook {
    let book = TempBook::new();
    book.customer("ada", ADA).customer("alan", ALAN);
    book
}

fn read(book: &TempBook) -> (Vec<Summary>, Vec<String>, cache::Stats) {
    let opened = Book::open(book.root()).expect("open book");
    let (scan, stats) = scan::summaries_with(&opened, &policy()).expect("scan");
    let problems = scan.problems.iter().map(|p| p.to_string()).collect();
    (scan.items, problems, stats)
}

#[test]
fn the_second_read_comes_from_the_cache() {
    let book = book_with_two();
    settle();
    let (first, _, stats) = read(&book);
    assert_eq!((stats.hits, stats.misses, stats.saved), (0, 2, true));
    assert!(book.path(".crm/summaries.cache").is_file());
    let (second, _, stats) = read(&book);
    assert_eq!((stats.hits, stats.misses, stats.saved), (2, 0, false));
    assert_eq!(first, second);
}

#[test]
fn an_edit_in_the_same_second_keeping_size_and_mtime_is_seen() {
    let book = book_with_two();
    settle();
    read(&book);
    assert_eq!(read(&book).2.hits, 2, "the cache is in use");

    let edited = ADA
        .replace("Lovelace", "Lovelacf")
        .replace("rating: 3", "rating: 5");
    edit_in_place_keeping_size_and_mtime(&book.customer_path("ada"), &edited);

    let (items, _, stats) = read(&book);
    assert_eq!(stats.misses, 1, "only the edited file is read again");
    assert_eq!(items[0].name, "Ada Lovelacf");
    assert_eq!(items[0].events[0].rating, 5);
    assert_eq!(items[1].name, "Alan Turing");
}

#[test]
fn a_file_replaced_by_rename_with_the_same_size_and_mtime_is_seen() {
    let book = book_with_two();
    settle();
    read(&book);
    let path = book.customer_path("alan");
    let before = fs::metadata(&path).unwrap();
    let staged = book.path("alan.new");
    fs::write(&staged, ALAN.replace("10.00", "99.00")).unwrap();
    File::options()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    fs::rename(&staged, &path).unwrap();

    let (items, _, _) = read(&book);
    assert_eq!(items[1].events[0].cents, 9900);
}

#[test]
fn files_changed_moments_ago_are_read_but_not_cached() {
    let book = book_with_two();
    let opened = Book::open(book.root()).unwrap();
    let strict = Policy {
        min_age: Duration::from_secs(3600),
    };
    let (_, stats) = scan::summaries_with(&opened, &strict).unwrap();
    assert_eq!((stats.misses, stats.saved), (2, false));
    let (_, stats) = scan::summaries_with(&opened, &strict).unwrap();
    assert_eq!(stats.hits, 0);
}

#[test]
fn broken_files_are_never_cached_as_good() {
    let book = book_with_two();
    settle();
    read(&book);
    // Same size, mtime put back: a cache that trusted it would still show Ada.
    let broken = format!("{}\n", "x".repeat(ADA.len() - 1));
    edit_in_place_keeping_size_and_mtime(&book.customer_path("ada"), &broken);
    settle();
    for _ in 0..2 {
        let (items, problems, _) = read(&book);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, "alan");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("customers/ada.yaml:"),
            "{problems:?}"
        );
    }
}

#[test]
fn deleted_and_added_files_are_seen() {
    let book = book_with_two();
    settle();
    read(&book);
    fs::remove_file(book.customer_path("alan")).unwrap();
    book.customer("grace", "name: Grace Hopper\n");
    let (items, _, _) = read(&book);
    let ids: Vec<&str> = items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["ada", "grace"]);
}

#[test]
fn a_corrupt_cache_is_rebuilt() {
    for garbage in [
        "",
        "{",
        "not json at all",
        "{\"format\":1,\"build\":\"x\",\"records\":[]}",
    ] {
        let book = book_with_two();
        settle();
        let (expected, _, _) = read(&book);
        book.write(".crm/summaries.cache", garbage);
        let (items, _, stats) = read(&book);
        assert_eq!(items, expected, "with {garbage:?}");
        assert_eq!((stats.misses, stats.saved), (2, true), "with {garbage:?}");
        assert_eq!(read(&book).2.hits, 2, "rebuilt after {garbage:?}");
    }
}

#[test]
fn a_truncated_cache_is_rebuilt() {
    let book = book_with_two();
    settle();
    let (expected, _, _) = read(&book);
    let whole = fs::read(book.path(".crm/summaries.cache")).unwrap();
    for cut in [1, whole.len() / 2, whole.len() - 1] {
        fs::write(book.path(".crm/summaries.cache"), &whole[..cut]).unwrap();
        let (items, _, stats) = read(&book);
        assert_eq!(items, expected, "cut at {cut}");
        assert_eq!(stats.misses, 2, "cut at {cut}");
    }
}

#[test]
fn a_cache_with_a_flipped_byte_anywhere_is_rebuilt() {
    let book = book_with_two();
    settle();
    let (expected, _, _) = read(&book);
    let whole = fs::read(book.path(".crm/summaries.cache")).unwrap();
    assert!(whole.starts_with(b"crmcache"), "the binary format");
    // Where the records start: after the magic, the layout, the context and the
    // index, each with its length (src/store/cache.rs).
    let u32_at = |at: usize| u32::from_le_bytes(whole[at..at + 4].try_into().unwrap()) as usize;
    let context = u32_at(12);
    let index = u32_at(16 + context) + (u32_at(20 + context) << 32);
    let records = 16 + context + 12 + index;
    assert!(records < whole.len());
    // Every fifth byte and the last: the header, the index and the records. A damaged
    // header or index makes the whole cache unused; a damaged record only its file.
    let positions = (0..whole.len()).step_by(5).chain([whole.len() - 1]);
    for at in positions {
        let mut flipped = whole.clone();
        flipped[at] ^= 0x20;
        fs::write(book.path(".crm/summaries.cache"), &flipped).unwrap();
        let (items, _, stats) = read(&book);
        assert_eq!(items, expected, "byte {at} flipped");
        let hits = if at < records { 0 } else { 1 };
        assert_eq!(
            (stats.hits, stats.misses, stats.saved),
            (hits, 2 - hits, true),
            "byte {at} flipped"
        );
    }
    assert_eq!(read(&book).2.hits, 2, "rebuilt");
}

#[test]
fn a_cache_of_zero_bytes_or_of_the_old_json_lines_is_rebuilt() {
    let old_format = "{\"format\":3,\"build\":\"crm 0.1.0\"}\n[\"ada\",[1,2,3,4,5,6,7],{}]\n";
    for garbage in ["", old_format, "crmcache"] {
        let book = book_with_two();
        settle();
        let (expected, _, _) = read(&book);
        book.write(".crm/summaries.cache", garbage);
        let (items, _, stats) = read(&book);
        assert_eq!(items, expected, "with {garbage:?}");
        assert_eq!((stats.misses, stats.saved), (2, true), "with {garbage:?}");
    }
}

#[test]
fn concurrent_readers_leave_a_valid_cache() {
    let book = TempBook::new();
    for n in 0..50 {
        book.customer(&format!("c{n}"), &format!("name: Customer {n}\n"));
    }
    settle();
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                let (items, problems, _) = read(&book);
                assert_eq!((items.len(), problems.len()), (50, 0));
            });
        }
    });
    let (items, _, stats) = read(&book);
    assert_eq!((items.len(), stats.hits), (50, 50));
    let leftovers: Vec<_> = fs::read_dir(book.path(".crm"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_next_command_sees_a_hand_edit_that_keeps_size_and_mtime() {
    let book = book_with_two();
    // Older than the default two seconds, so the CLI caches both files.
    std::thread::sleep(Duration::from_millis(2100));
    let before = stdout_of(&mut book.crm(&["list", "--format", "csv"]));
    assert!(before.contains("Ada Lovelace"));
    assert!(
        book.path(".crm/summaries.cache").is_file(),
        "the command wrote its cache"
    );

    let edited = ADA.replace("Lovelace", "Lovelacf");
    edit_in_place_keeping_size_and_mtime(&book.customer_path("ada"), &edited);

    let after = stdout_of(&mut book.crm(&["list", "--format", "csv"]));
    assert!(after.contains("Ada Lovelacf"), "{after}");
    assert!(!after.contains("Ada Lovelace"), "{after}");
}

#[test]
fn the_cache_folder_is_ignored_by_git_even_without_a_gitignore_line() {
    let book = TempBook::without_git();
    book.customer("ada", ADA);
    settle();
    assert!(read(&book).2.saved);
    assert_eq!(book.read(".crm/.gitignore").lines().last(), Some("*"));
}

// ---- `crm check` and its cache (`.crm/check.cache`) --------------------------------

/// Runs `crm check` and gives its exit code and stderr.
fn check(book: &TempBook) -> (i32, String) {
    let output = book.crm(&["check"]).output().expect("run crm check");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn check_scan(book: &TempBook) -> cache::Stats {
    let opened = Book::open(book.root()).expect("open book");
    // A stand-in check that finds nothing: the real one is tested through `crm check`.
    let (scan, stats) = scan::check_with(&opened, &policy(), |_, _, _| Vec::new()).expect("check");
    assert_eq!((scan.items.len(), scan.problems.len()), (2, 0));
    stats
}

#[test]
fn check_results_come_from_the_cache_for_unchanged_files() {
    let book = book_with_two();
    settle();
    let stats = check_scan(&book);
    assert_eq!((stats.hits, stats.misses, stats.saved), (0, 2, true));
    assert!(book.path(".crm/check.cache").is_file());
    let stats = check_scan(&book);
    assert_eq!((stats.hits, stats.misses, stats.saved), (2, 0, false));

    edit_in_place_keeping_size_and_mtime(
        &book.customer_path("ada"),
        &ADA.replace("Lovelace", "Lovelacf"),
    );
    let stats = check_scan(&book);
    assert_eq!((stats.hits, stats.misses), (1, 1));
}

#[test]
fn check_sees_a_hand_edit_that_keeps_size_and_mtime() {
    let book = book_with_two();
    std::thread::sleep(Duration::from_millis(2100));
    let (code, stderr) = check(&book);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        book.path(".crm/check.cache").is_file(),
        "check wrote its cache"
    );
    assert_eq!(check(&book), (code, stderr), "the same from the cache");

    // `rating: 9` is out of range: same size, mtime put back.
    let edited = ADA.replace("rating: 3", "rating: 9");
    edit_in_place_keeping_size_and_mtime(&book.customer_path("ada"), &edited);
    let (code, stderr) = check(&book);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("customers/ada.yaml:6:5: rating 9 is not a whole number from 1 to 5"),
        "{stderr}"
    );
    // And back: clean again at once.
    edit_in_place_keeping_size_and_mtime(&book.customer_path("ada"), ADA);
    assert_eq!(check(&book).0, 0);
}

#[test]
fn check_sees_an_edit_of_crm_toml_at_once() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada Lovelace\ninteractions:\n  - date: 2025-01-10\n    kind: visit\n",
    );
    std::thread::sleep(Duration::from_millis(2100));
    let original = book.read("crm.toml");
    let (code, stderr) = check(&book);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("unknown kind \"visit\""), "{stderr}");
    assert_eq!(check(&book).0, 1, "still, from the cache");

    let with_visit = original.replace("# kinds = [\"visit\", \"demo\"]", "kinds = [\"visit\"]");
    assert_ne!(
        with_visit, original,
        "crm init's crm.toml has the commented line"
    );
    book.write("crm.toml", &with_visit);
    let (code, stderr) = check(&book);
    assert_eq!(code, 0, "the new kind is known: {stderr}");

    book.write("crm.toml", &original);
    let (code, stderr) = check(&book);
    assert_eq!(code, 1, "unknown again: {stderr}");
    assert!(stderr.contains("unknown kind \"visit\""), "{stderr}");
}

#[test]
fn check_warns_of_a_shared_email_made_by_a_hand_edit_at_once() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada Lovelace\nemail: ada@example.com\n")
        .customer("alan", "name: Alan Turing\nemail: bob@example.com\n");
    std::thread::sleep(Duration::from_millis(2100));
    let (code, stderr) = check(&book);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("share the"), "{stderr}");
    assert!(!check(&book).1.contains("share the"));

    // Same size, mtime put back; differs from ada's only in case, which does not count.
    let edited = "name: Alan Turing\nemail: ADA@example.com\n";
    edit_in_place_keeping_size_and_mtime(&book.customer_path("alan"), edited);
    let (_, stderr) = check(&book);
    assert!(
        stderr.contains("customers/ada.yaml and customers/alan.yaml share the email"),
        "{stderr}"
    );
}

#[test]
fn a_corrupt_check_cache_is_rebuilt() {
    let book = book_with_two();
    book.customer("bad", "name: [unclosed\n");
    std::thread::sleep(Duration::from_millis(2100));
    let expected = check(&book);
    assert_eq!(expected.0, 1, "{}", expected.1);
    let whole = fs::read(book.path(".crm/check.cache")).unwrap();
    let mut flipped = whole.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    for garbage in [&b""[..], b"garbage", &whole[..whole.len() / 2], &flipped] {
        fs::write(book.path(".crm/check.cache"), garbage).unwrap();
        assert_eq!(check(&book), expected);
    }
}
