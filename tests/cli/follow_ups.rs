//! Black-box tests of logging interactions, follow-ups, `due` and `stale`.

use crate::common;

use common::{crm_command, stdout_of, TempBook};
use predicates::prelude::*;
use serde_json::Value;

/// A book whose today is 2025-06-15 (a Sunday) with one plain customer `ada`.
fn book_with_ada() -> TempBook {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\nphone: \"+44 1\"\ninteractions: []\n");
    book
}

fn last_entry(book: &TempBook, id: &str) -> Value {
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["show", id, "--format", "json"]))).unwrap();
    json["interactions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone()
}

#[test]
fn every_date_form_is_accepted() {
    let book = book_with_ada();
    // Today is Sunday 2025-06-15. A weekday name for when something happened is the
    // latest such day (today included); for a follow-up, the next one (never today).
    let cases = [
        ("2025-01-02", "2025-01-02", "2025-01-02"),
        ("today", "2025-06-15", "2025-06-15"),
        ("yesterday", "2025-06-14", "2025-06-14"),
        ("tomorrow", "2025-06-16", "2025-06-16"),
        ("+3d", "2025-06-18", "2025-06-18"),
        ("+2w", "2025-06-29", "2025-06-29"),
        ("+1m", "2025-07-15", "2025-07-15"),
        ("-1w", "2025-06-08", "2025-06-08"),
        ("friday", "2025-06-13", "2025-06-20"),
        ("sunday", "2025-06-15", "2025-06-22"),
    ];
    for (input, happened, promised) in cases {
        book.crm(&["log", "ada", "note", "x", "--date", input])
            .assert()
            .success();
        assert_eq!(last_entry(&book, "ada")["date"], happened, "--date {input}");
        book.crm(&["log", "ada", "call", "--follow-up", input])
            .assert()
            .success();
        assert_eq!(
            last_entry(&book, "ada")["follow_up"],
            promised,
            "--follow-up {input}"
        );
    }
    book.crm(&["log", "ada", "call", "--date", "31/02/2025"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a date"));
}

#[test]
fn each_kind_is_validated() {
    let book = book_with_ada();
    for kind in [
        "call",
        "email",
        "meeting",
        "message",
        "note",
        "complaint",
        "feedback",
    ] {
        book.crm(&["log", "ada", kind, "text"]).assert().success();
        assert_eq!(last_entry(&book, "ada")["kind"], kind);
    }
    book.crm(&["log", "ada", "purchase"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs --amount"));
    book.crm(&["log", "ada", "refund"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs --amount"));
    book.crm(&["log", "ada", "purchase", "--amount", "12.345"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two decimal"));
    book.crm(&["log", "ada", "purchase", "--amount", "-5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refund"));
    book.crm(&["log", "ada", "call", "--amount", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("purchase or refund"));
    book.crm(&["log", "ada", "call", "--rating", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("belongs to feedback"));
    book.crm(&["log", "ada", "feedback", "--rating", "6"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1 to 5"));
    book.crm(&["log", "ada", "purchse", "--amount", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `purchase`"));
    book.crm(&["log", "ada", "done"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("crm done"));
    book.crm(&["log", "adda", "call"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `ada`"));
    book.crm(&[
        "log",
        "ada",
        "purchase",
        "--amount",
        "129",
        "--item",
        "Model B",
        "--item",
        "no",
        "--channel",
        "shop",
    ])
    .assert()
    .success();
    let entry = last_entry(&book, "ada");
    assert_eq!(entry["amount"], "129.00");
    assert_eq!(entry["items"], serde_json::json!(["Model B", "no"]));
    assert_eq!(entry["channel"], "shop");
    book.crm(&["log", "ada", "refund", "--amount", "0.50"])
        .assert()
        .success();
    book.crm(&["log", "ada", "feedback", "--rating", "5"])
        .assert()
        .success();
    assert_eq!(last_entry(&book, "ada")["rating"], 5);
    book.crm(&["check"]).assert().success();
}

#[test]
fn kinds_from_crm_toml_are_accepted() {
    let book = book_with_ada();
    book.write("crm.toml", "[interactions]\nkinds = [\"tasting\"]\n");
    book.crm(&["log", "ada", "tasting", "Ethiopian beans"])
        .assert()
        .success();
    book.crm(&["log", "ada", "tastin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `tasting`"));
    book.crm(&["check"]).assert().success();
}

#[test]
fn log_touches_only_the_customers_own_file() {
    let book = book_with_ada();
    book.customer("broken", "name: [unclosed\n");
    book.crm(&["log", "ada", "call"]).assert().success();
    assert_eq!(book.read_customer("broken"), "name: [unclosed\n");
}

fn next_follow_up(book: &TempBook, id: &str) -> Value {
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["show", id, "--format", "json"]))).unwrap();
    json["follow_up"]["next"].clone()
}

#[test]
fn the_follow_up_rule() {
    let book = TempBook::new();
    // Cadence only: counted from the last contact; notes do not count.
    book.customer("cadence", "name: C\nfollow_up: {every: 30d}\ninteractions:\n  - {date: 2025-05-01, kind: call}\n  - {date: 2025-05-20, kind: note}\n");
    assert_eq!(next_follow_up(&book, "cadence"), "2025-05-31");
    // Promise only.
    book.customer(
        "promise",
        "name: P\ninteractions:\n  - {date: 2025-06-01, kind: call, follow_up: 2025-06-20}\n",
    );
    assert_eq!(next_follow_up(&book, "promise"), "2025-06-20");
    // Both: the promise wins.
    book.customer("both", "name: B\nfollow_up: {every: 7d}\ninteractions:\n  - {date: 2025-06-01, kind: call, follow_up: 2025-07-01}\n");
    assert_eq!(next_follow_up(&book, "both"), "2025-07-01");
    // Superseded: the newer promise replaces the older one.
    book.crm(&["log", "promise", "email", "--follow-up", "2025-06-25"])
        .assert()
        .success();
    assert_eq!(next_follow_up(&book, "promise"), "2025-06-25");
    // Done: the promise is gone, and with a cadence it restarts from the done.
    book.crm(&["done", "both", "--note", "Called, all fine"])
        .assert()
        .success();
    assert_eq!(next_follow_up(&book, "both"), "2025-06-22");
    book.crm(&["done", "promise"]).assert().success();
    assert_eq!(next_follow_up(&book, "promise"), Value::Null);
    book.crm(&["done", "promise"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no pending follow-up"));
    // Neither.
    book.customer(
        "neither",
        "name: N\ninteractions:\n  - {date: 2025-06-01, kind: call}\n",
    );
    assert_eq!(next_follow_up(&book, "neither"), Value::Null);
}

#[test]
fn done_and_snooze_leave_a_readable_trace() {
    let book = book_with_ada();
    book.crm(&[
        "log",
        "ada",
        "call",
        "Quote",
        "--date",
        "2025-06-01",
        "--follow-up",
        "2025-06-10",
    ])
    .assert()
    .success();
    book.crm(&["snooze", "ada", "+3d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2025-06-18"));
    assert_eq!(next_follow_up(&book, "ada"), "2025-06-18");
    let text = book.read_customer("ada");
    assert!(text.contains("  - date: 2025-06-15\n    kind: snooze\n    summary: Follow-up moved from 2025-06-10 to 2025-06-18\n    follow_up: 2025-06-18\n"), "{text}");
    book.crm(&["snooze", "ada", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("past"));
    book.crm(&["done", "ada", "--note", "Sent the quote"])
        .assert()
        .success();
    let text = book.read_customer("ada");
    assert!(
        text.ends_with("  - date: 2025-06-15\n    kind: done\n    summary: Sent the quote\n"),
        "{text}"
    );
    book.crm(&["due"]).assert().success().stdout("");
}

/// A book for `due`: overdue, due soon, later, birthdays.
fn due_book() -> TempBook {
    let book = TempBook::new();
    book.customer("late", "name: Late Larry\nemail: larry@example.com\ntags: [vip]\nfollow_up: {every: 30d}\ninteractions:\n  - {date: 2025-04-01, kind: call, summary: Talked about beans}\n");
    book.customer("soon", "name: Soon Sue\nphone: \"+1 555\"\ninteractions:\n  - {date: 2025-06-10, kind: meeting, summary: Demo, follow_up: 2025-06-18}\n");
    book.customer("later", "name: Later Lou\ninteractions:\n  - {date: 2025-06-10, kind: call, follow_up: 2025-08-01}\n");
    book.customer("bday", "name: Birthday Bea\nbirthday: 1990-06-20\n");
    book
}

#[test]
fn due_prints_one_grouped_digest_when_piped() {
    let book = due_book();
    let out = stdout_of(book.crm(&["due"]));
    assert_eq!(
        out,
        "Overdue (1)\n  2025-05-01  overdue by 45 days  Late Larry (late)  cadence 30d since last contact 2025-04-01  email larry@example.com  last: 2025-04-01 call: Talked about beans\n\nDue soon (1)\n  2025-06-18  due in 3 days  Soon Sue (soon)  promised on 2025-06-10 in a meeting about \"Demo\"  phone +1 555  last: 2025-06-10 meeting: Demo\n\nBirthdays and anniversaries (1)\n  2025-06-20  in 5 days  Birthday Bea (bday)  birthday (turns 35)  no phone or email on file\n"
    );
    let out = stdout_of(book.crm(&["due", "--no-birthdays", "--within", "60d"]));
    assert!(
        out.contains("Later Lou") && !out.contains("Birthday Bea"),
        "{out}"
    );
    let out = stdout_of(book.crm(&["due", "--within", "0d", "--no-birthdays"]));
    assert!(
        out.contains("Late Larry") && !out.contains("Soon Sue"),
        "today only: {out}"
    );
    let out = stdout_of(book.crm(&["due", "--overdue-only"]));
    assert!(
        out.contains("Late Larry") && !out.contains("Soon Sue") && !out.contains("Bea"),
        "{out}"
    );
    let out = stdout_of(book.crm(&["due", "--tag", "vip"]));
    assert!(
        out.contains("Late Larry") && !out.contains("Soon Sue"),
        "{out}"
    );
}

#[test]
fn due_json_and_csv() {
    let book = due_book();
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["due", "--format", "json"]))).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["group"], "overdue");
    assert_eq!(items[0]["days"], -45);
    assert_eq!(items[0]["id"], "late");
    assert_eq!(items[2]["what"], "birthday");
    // The reason as data, besides the prose `reason`.
    assert_eq!(items[0]["source"], "cadence");
    assert_eq!(items[0]["every"], "30d");
    assert_eq!(items[0]["last_contact"], "2025-04-01");
    assert_eq!(items[0]["promised_on"], Value::Null);
    assert_eq!(items[1]["source"], "promise");
    assert_eq!(items[1]["promised_on"], "2025-06-10");
    assert_eq!(items[1]["snoozed_on"], Value::Null);
    assert_eq!(items[1]["every"], Value::Null);
    assert_eq!(items[2]["source"], "birthday");
    let csv = stdout_of(book.crm(&["due", "--format", "csv"]));
    assert!(csv.starts_with("group,date,days,what,id,name,reason,phone,email,last_interaction,source,promised_on,snoozed_on,every,last_contact\noverdue,2025-05-01,-45,follow-up,late,"), "{csv}");
    assert!(
        csv.contains(",2025-06-10 meeting: Demo,promise,2025-06-10,,,2025-06-10\n"),
        "{csv}"
    );
}

#[test]
fn due_is_silent_when_nothing_is_due_and_exit_code_signals() {
    let book = TempBook::new();
    book.customer(
        "fine",
        "name: Fine\nfollow_up: {every: 30d}\ninteractions:\n  - {date: 2025-06-14, kind: call}\n",
    );
    book.crm(&["due"]).assert().success().stdout("").stderr("");
    book.crm(&["due", "--exit-code"])
        .assert()
        .success()
        .stdout("");
    let book = due_book();
    book.crm(&["due", "--exit-code"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Overdue"));
}

#[test]
fn a_malformed_file_does_not_hide_the_other_reminders() {
    let book = due_book();
    book.customer(
        "broken",
        "name: Broken\ninteractions:\n  - date: 2025-13-01\n    kind: call\n",
    );
    book.crm(&["due"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Late Larry"))
        .stderr(predicate::str::contains("customers/broken.yaml:3:"));
    // README "Exit codes": with --exit-code and something due, a skipped file still
    // makes it 3 (the list may be incomplete), and `--help` says so.
    book.crm(&["due", "--exit-code"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Late Larry"));
    book.crm(&["stale", "1d", "--exit-code"]).assert().code(3);
    book.crm(&["due", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("makes it 3 instead"));
}

#[test]
fn birthdays_across_the_year_end_and_on_29_february() {
    let book = TempBook::new();
    book.customer("newyear", "name: New Year\nbirthday: 1990-01-02\n");
    book.customer("leap", "name: Leap\nbirthday: 2000-02-29\n");
    let out = stdout_of(book.crm(&["--today", "2025-12-30", "due"]));
    assert!(
        out.contains("2026-01-02  in 3 days  New Year (newyear)  birthday (turns 36)"),
        "{out}"
    );
    let out = stdout_of(book.crm(&["--today", "2025-02-25", "due"]));
    assert!(
        out.contains("2025-02-28  in 3 days  Leap (leap)  birthday (turns 25)"),
        "{out}"
    );
    let out = stdout_of(book.crm(&["--today", "2028-02-25", "due"]));
    assert!(out.contains("2028-02-29  in 4 days  Leap (leap)"), "{out}");
}

#[test]
fn cron_like_run_without_a_tty_or_environment() {
    let book = due_book();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("crm"))
        .env_clear()
        .args(["-C"])
        .arg(book.root())
        .args(["--today", "2025-06-15", "due", "--exit-code"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Overdue (1)\n"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour under cron");
    assert!(out.stderr.is_empty());
}

#[test]
fn stale_lists_customers_without_recent_contact() {
    let book = TempBook::new();
    book.customer(
        "recent",
        "name: Recent\ninteractions:\n  - {date: 2025-06-01, kind: call}\n",
    );
    book.customer("old", "name: Old\nemail: old@example.com\ninteractions:\n  - {date: 2025-01-10, kind: call}\n  - {date: 2025-06-01, kind: note}\n");
    book.customer(
        "older",
        "name: Older\ninteractions:\n  - {date: 2024-01-10, kind: purchase, amount: 5}\n",
    );
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["stale", "--format", "json"]))).unwrap();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["older", "old"]);
    assert_eq!(json[1]["days_since_contact"], 156);
    let out = stdout_of(book.crm(&["stale", "200d"]));
    assert!(out.contains("older") && !out.contains("old  "), "{out}");
    book.crm(&["stale", "1y", "--exit-code"]).assert().code(1);
    book.crm(&["stale", "3y", "--exit-code"])
        .assert()
        .success()
        .stdout("");
    book.crm(&["stale", "soon"]).assert().code(2);
}

/// Review findings: `crm stale 0d` was refused with "a cadence is at least one day"
/// (SINCE is no cadence; `0d` now means "not contacted today"), and the CSV column was
/// `days` where the JSON key is `days_since_contact`.
#[test]
fn stale_takes_0d_and_its_csv_columns_are_the_json_keys() {
    let book = TempBook::new();
    book.customer(
        "today",
        "name: Today
interactions:
  - {date: 2025-06-15, kind: call}
",
    );
    book.customer(
        "yesterday",
        "name: Yesterday
interactions:
  - {date: 2025-06-14, kind: call}
",
    );
    let csv = stdout_of(book.crm(&["stale", "0d", "--format", "csv"]));
    assert_eq!(
        csv,
        "id,name,last_contact,days_since_contact,phone,email,last_interaction\n\
         yesterday,Yesterday,2025-06-14,1,,,2025-06-14 call\n"
    );
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["stale", "0d", "--format", "json"]))).unwrap();
    let mut keys: Vec<&str> = json[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    keys.sort_unstable();
    header.sort_unstable();
    assert_eq!(keys, header);
    book.crm(&["stale", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cadence").not());
}

/// The command of the crontab line in README.md's ```cron block (after the five time
/// fields).
fn readme_crontab_command() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let block = readme
        .split("```cron\n")
        .nth(1)
        .expect("README.md has a ```cron block")
        .split("```")
        .next()
        .unwrap();
    let line = block
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .expect("the cron block has a crontab line");
    let mut command = line.trim_start();
    for _ in 0..5 {
        command = command
            .split_once(char::is_whitespace)
            .expect("five time fields, then the command")
            .1
            .trim_start();
    }
    assert!(
        !command.contains('%'),
        "cron turns % into a newline: {command}"
    );
    command.to_string()
}

/// Runs `command` as cron does: `/bin/sh -c` with only `PATH=/usr/bin:/bin` and `HOME`
/// set, no terminal, stdin closed.
fn run_like_cron(home: &std::path::Path, command: &str) -> std::process::Output {
    std::process::Command::new("/usr/bin/env")
        .arg("-i")
        .arg("PATH=/usr/bin:/bin")
        .arg(format!("HOME={}", home.display()))
        .args(["/bin/sh", "-c", command])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Audit finding: the README's crontab line called `crm` by name, which cron's PATH does
/// not find in ~/.cargo/bin, so cron would have mailed "crm: not found" every morning.
/// This runs the README's own line with crm installed where `cargo install` puts it.
#[test]
fn crontab_line_from_the_readme_works() {
    let command = readme_crontab_command();
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(assert_cmd::cargo::cargo_bin("crm"), bin.join("crm")).unwrap();
    let book = home.path().join("customers");
    crm_command().arg("init").arg(&book).assert().success();
    // No cron run can fix the day, so the data does not depend on it: no cadence,
    // promise or birthday, then a promise long overdue.
    std::fs::write(
        book.join("customers/ada.yaml"),
        "name: Ada\ninteractions:\n  - {date: 2000-01-01, kind: call}\n",
    )
    .unwrap();
    let quiet = run_like_cron(home.path(), &command);
    assert!(quiet.status.success(), "{quiet:?}");
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "cron mails any output: {quiet:?}"
    );

    std::fs::write(
        book.join("customers/bob.yaml"),
        "name: Bob\nemail: bob@example.com\ninteractions:\n  - {date: 2000-01-01, kind: call, summary: Quote, follow_up: 2000-01-02}\n",
    )
    .unwrap();
    let digest = run_like_cron(home.path(), &command);
    assert!(digest.status.success(), "{digest:?}");
    assert!(digest.stderr.is_empty(), "{digest:?}");
    let stdout = String::from_utf8(digest.stdout).unwrap();
    assert!(
        stdout.starts_with("Overdue (1)\n  2000-01-02  overdue by "),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Bob (bob)  promised on 2000-01-01 in a call about \"Quote\"  email bob@example.com"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no colour under cron");
}

#[test]
fn multi_line_summaries_stay_on_one_line_in_line_output() {
    let book = book_with_ada();
    book.crm(&[
        "log",
        "ada",
        "call",
        "first line\nsecond line",
        "--date",
        "2025-06-01",
        "--follow-up",
        "2025-06-10",
    ])
    .assert()
    .success();
    let digest = stdout_of(book.crm(&["due"]));
    assert_eq!(
        digest.lines().count(),
        2,
        "a heading and one item: {digest}"
    );
    assert!(digest.contains("first line second line"), "{digest}");
    let card = stdout_of(book.crm(&["show", "ada"]));
    assert!(card.contains("first line second line"), "{card}");
    let listing = stdout_of(book.crm(&["stale", "1d"]));
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["show", "ada", "--format", "json"]))).unwrap();
    assert_eq!(
        json["interactions"][0]["summary"], "first line\nsecond line",
        "data keeps the line break"
    );
}

/// Review finding: `done` printed success but left a promise logged with a future date.
#[test]
fn done_and_snooze_work_on_a_promise_logged_ahead_of_its_date() {
    let book = book_with_ada();
    book.crm(&[
        "log",
        "ada",
        "meeting",
        "booked",
        "--date",
        "2025-06-20",
        "--follow-up",
        "2025-06-27",
    ])
    .assert()
    .success();
    book.crm(&["snooze", "ada", "2025-07-10"])
        .assert()
        .success();
    assert_eq!(next_follow_up(&book, "ada"), "2025-07-10");
    book.crm(&["done", "ada"]).assert().success();
    assert_eq!(next_follow_up(&book, "ada"), Value::Null);
    // A promise logged afterwards with a past date is still the newest word.
    book.crm(&[
        "log",
        "ada",
        "call",
        "brochure",
        "--date",
        "yesterday",
        "--follow-up",
        "+1w",
    ])
    .assert()
    .success();
    assert_eq!(next_follow_up(&book, "ada"), "2025-06-22");
}

fn due_json(book: &TempBook, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["due", "--format", "json"];
    full.extend_from_slice(args);
    let json: Value = serde_json::from_str(&stdout_of(book.crm(&full))).unwrap();
    json.as_array().unwrap().clone()
}

/// Audit finding: on a Monday, `--date friday` recorded the coming Friday.
#[test]
fn a_weekday_for_when_something_happened_is_the_latest_one() {
    let book = book_with_ada();
    let monday = "2025-06-16";
    book.crm(&[
        "--today",
        monday,
        "log",
        "ada",
        "call",
        "Called on Friday",
        "--date",
        "friday",
    ])
    .assert()
    .success()
    .stdout("logged call with ada on 2025-06-13\n")
    .stderr("");
    book.crm(&["--today", monday, "log", "ada", "note", "--date", "monday"])
        .assert()
        .success();
    assert_eq!(
        last_entry(&book, "ada")["date"],
        monday,
        "today's weekday is today"
    );
    // For a follow-up, the same weekday is a week ahead.
    book.crm(&[
        "--today",
        monday,
        "log",
        "ada",
        "call",
        "--follow-up",
        "monday",
    ])
    .assert()
    .success();
    assert_eq!(last_entry(&book, "ada")["follow_up"], "2025-06-23");
    // Friday is before the follow-up's Monday: moving it earlier needs --earlier
    // (issue 10).
    book.crm(&["--today", monday, "snooze", "ada", "fri", "--earlier"])
        .assert()
        .success();
    assert_eq!(last_entry(&book, "ada")["follow_up"], "2025-06-20");
    book.crm(&["--today", monday, "done", "ada", "--date", "sat"])
        .assert()
        .success()
        .stdout(predicate::str::contains("done on 2025-06-14"));
}

/// Future-dated entries are allowed (a meeting booked ahead) with a warning, and count
/// as contact from the day they are logged.
#[test]
fn a_future_date_is_logged_with_a_warning_and_counts_as_contact() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\nfollow_up: {every: 30d}\ninteractions:\n  - {date: 2025-05-01, kind: call}\n",
    );
    assert_eq!(next_follow_up(&book, "ada"), "2025-05-31");
    book.crm(&["log", "ada", "meeting", "Booked demo", "--date", "+3d"])
        .assert()
        .success()
        .stdout("logged meeting with ada on 2025-06-18\n")
        .stderr(predicate::str::contains(
            "warning: --date 2025-06-18 is in the future (today is 2025-06-15)",
        ));
    assert_eq!(last_entry(&book, "ada")["date"], "2025-06-18");
    assert_eq!(next_follow_up(&book, "ada"), "2025-07-18");
    book.crm(&["stale", "30d"]).assert().success().stdout("");
    // A date that is not in the future says nothing.
    book.crm(&["log", "ada", "call", "--date", "today"])
        .assert()
        .success()
        .stderr("");
}

/// Audit finding: a snooze of a cadence reminder became a promise that later contact
/// never cleared ("overdue by 15 days ... snoozed on 2025-06-02").
#[test]
fn a_snoozed_cadence_reminder_is_cleared_by_the_next_contact() {
    let book = TempBook::new();
    book.customer(
        "bob",
        "name: Bob\nsince: 2025-05-01\nfollow_up: {every: 30d}\ninteractions: []\n",
    );
    book.crm(&["--today", "2025-06-02", "snooze", "bob", "+3d"])
        .assert()
        .success()
        .stdout("cadence follow-up with bob moved from 2025-05-31 to 2025-06-05; the next contact clears it\n");
    assert!(
        book.read_customer("bob").contains(
            "    kind: snooze\n    summary: Cadence follow-up (30d) moved from 2025-05-31 to 2025-06-05\n    follow_up: 2025-06-05\n"
        ),
        "{}",
        book.read_customer("bob")
    );
    let items = due_json(&book, &["--today", "2025-06-03"]);
    assert_eq!(items[0]["date"], "2025-06-05");
    assert_eq!(items[0]["source"], "cadence");
    assert_eq!(items[0]["snoozed_on"], "2025-06-02");
    assert_eq!(
        items[0]["reason"],
        "cadence 30d, never contacted; snoozed on 2025-06-02"
    );
    // A note is not contact: the reminder stays.
    book.crm(&[
        "--today",
        "2025-06-04",
        "log",
        "bob",
        "note",
        "left a voicemail",
    ])
    .assert()
    .success();
    assert_eq!(
        due_json(&book, &["--today", "2025-06-06"])[0]["date"],
        "2025-06-05"
    );
    book.crm(&["--today", "2025-06-05", "log", "bob", "call", "talked"])
        .assert()
        .success();
    book.crm(&["--today", "2025-06-20", "due"])
        .assert()
        .success()
        .stdout("");
    assert_eq!(next_follow_up(&book, "bob"), "2025-07-05");
}

/// Audit finding: after a snooze the digest said only "snoozed on DATE" and showed the
/// snooze itself as the last interaction; `done` wrote the same loss into the file.
#[test]
fn a_snoozed_promise_still_says_what_it_is_about() {
    let book = book_with_ada();
    book.crm(&[
        "log",
        "ada",
        "call",
        "Wants a quote",
        "--date",
        "2025-06-01",
        "--follow-up",
        "2025-06-06",
    ])
    .assert()
    .success();
    book.crm(&[
        "--today",
        "2025-06-07",
        "snooze",
        "ada",
        "2025-06-09",
        "--note",
        "away",
    ])
    .assert()
    .success()
    .stdout("follow-up with ada moved from 2025-06-06 to 2025-06-09\n");
    // Contact meanwhile does not close a promise, snoozed or not.
    book.crm(&[
        "--today",
        "2025-06-08",
        "log",
        "ada",
        "message",
        "Still keen?",
    ])
    .assert()
    .success();
    let digest = stdout_of(book.crm(&["--today", "2025-06-10", "due"]));
    assert_eq!(
        digest,
        "Overdue (1)\n  2025-06-09  overdue by 1 day  Ada (ada)  promised on 2025-06-01 in a call about \"Wants a quote\"; snoozed on 2025-06-07  phone +44 1  last: 2025-06-08 message: Still keen?\n"
    );
    let item = &due_json(&book, &["--today", "2025-06-10"])[0];
    assert_eq!(item["source"], "promise");
    assert_eq!(item["promised_on"], "2025-06-01");
    assert_eq!(item["snoozed_on"], "2025-06-07");
    book.crm(&["--today", "2025-06-10", "done", "ada"])
        .assert()
        .success();
    assert_eq!(
        last_entry(&book, "ada")["summary"],
        "Follow-up done (due 2025-06-09; promised on 2025-06-01 in a call about \"Wants a quote\"; snoozed on 2025-06-07)"
    );
    // Bookkeeping entries are not the "last interaction".
    book.crm(&["--today", "2025-06-10", "snooze", "ada", "+20d"])
        .assert()
        .success();
    let item = &due_json(&book, &["--today", "2025-06-10", "--within", "30d"])[0];
    assert_eq!(item["last_interaction"], "2025-06-08 message: Still keen?");
}

/// `snooze` with nothing pending sets a reminder and says so; `done` with nothing
/// pending refuses (exit 2) with a hint.
#[test]
fn snooze_with_nothing_pending_sets_a_reminder_and_done_refuses() {
    let book = book_with_ada();
    book.crm(&["done", "ada"]).assert().code(2).stderr(
        predicate::str::contains("no pending follow-up").and(predicate::str::contains("hint: ")),
    );
    book.crm(&["snooze", "ada", "+3d"])
        .assert()
        .success()
        .stdout(
        "nothing was pending for ada; reminder set for 2025-06-18; the next contact clears it\n",
    );
    assert_eq!(
        last_entry(&book, "ada")["summary"],
        "Reminder set for 2025-06-18"
    );
    let item = &due_json(&book, &[])[0];
    assert_eq!(item["source"], "reminder");
    assert_eq!(item["reason"], "reminder set on 2025-06-15");
    book.crm(&["--today", "2025-06-16", "snooze", "ada", "+3d"])
        .assert()
        .success()
        .stdout(
            "reminder for ada moved from 2025-06-18 to 2025-06-19; the next contact clears it\n",
        );
    assert_eq!(
        due_json(&book, &["--today", "2025-06-16"])[0]["reason"],
        "reminder set on 2025-06-15; snoozed on 2025-06-16"
    );
    book.crm(&[
        "--today",
        "2025-06-17",
        "log",
        "ada",
        "email",
        "Sent the brochure",
    ])
    .assert()
    .success();
    assert_eq!(next_follow_up(&book, "ada"), Value::Null);
}

/// Audit finding: `-1w` was refused by clap ("unexpected argument '-1'") everywhere
/// but `log` and `done`.
#[test]
fn backward_offsets_reach_every_date_flag() {
    let book = book_with_ada();
    book.crm(&["add", "Grace", "--since", "-1w", "--birthday", "-1w"])
        .assert()
        .success()
        .stdout("grace\n");
    let text = book.read_customer("grace");
    assert!(
        text.contains("birthday: 2025-06-08\nsince: 2025-06-08\n"),
        "{text}"
    );
    book.crm(&["log", "ada", "call", "--follow-up", "+3d"])
        .assert()
        .success();
    book.crm(&["snooze", "ada", "-1w"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2025-06-08 is in the past"));
    book.crm(&["done", "ada", "--date", "-1d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("done on 2025-06-14"));
    // Spans are never negative, but crm (not clap) says why.
    book.crm(&["due", "--within", "-1w"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "crm: error: --within: \"-1w\" is not a span",
        ));
    book.crm(&["stale", "-1w"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "crm: error: SINCE: \"-1w\" is not a span",
        ));
    // A positional that takes hyphen values still leaves the flags alone.
    book.crm(&["stale", "--format", "json"]).assert().success();
}

/// Audit finding: `--date +10000y` passed parsing and failed when writing the file.
#[test]
fn huge_offsets_are_refused_naming_the_flag() {
    let book = book_with_ada();
    let before = book.read_customer("ada");
    for (flag, value) in [("--date", "+10000y"), ("--follow-up", "+9000y")] {
        book.crm(&["log", "ada", "call", flag, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "crm: error: {flag}: \"{value}\" is outside the years 1000 to 9999"
            )));
    }
    // A four-digit year, but no plausible date for an interaction: the rule
    // `crm check` applies to files.
    book.crm(&["log", "ada", "call", "--date", "1850-01-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("date 1850-01-01 is before 1900"));
    book.crm(&["snooze", "ada", "+10000y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "WHEN: \"+10000y\" is outside the years",
        ));
    assert_eq!(book.read_customer("ada"), before, "nothing was written");
}

#[test]
fn months_clamp_to_the_end_of_the_month() {
    let book = book_with_ada();
    book.crm(&[
        "--today",
        "2025-01-31",
        "log",
        "ada",
        "call",
        "--follow-up",
        "+1m",
    ])
    .assert()
    .success();
    assert_eq!(last_entry(&book, "ada")["follow_up"], "2025-02-28");
    book.crm(&[
        "--today",
        "2024-01-31",
        "log",
        "ada",
        "call",
        "--follow-up",
        "+1m",
    ])
    .assert()
    .success();
    assert_eq!(last_entry(&book, "ada")["follow_up"], "2024-02-29");
    book.customer(
        "monthly",
        "name: M\nfollow_up: {every: 1m}\ninteractions:\n  - {date: 2025-03-31, kind: call}\n",
    );
    assert_eq!(next_follow_up(&book, "monthly"), "2025-04-30");
}

/// Audit finding: `[due] within = "0d"` was refused while `--within 0d` was taken, and
/// `--within 0x` passed as "today only" while `00d` failed.
#[test]
fn the_due_window_from_crm_toml_and_the_flag_read_alike() {
    let book = due_book();
    book.write("crm.toml", "[due]\nwithin = \"0d\"\n");
    book.crm(&["check"]).assert().success();
    let ids: Vec<Value> = due_json(&book, &[])
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(ids, ["late"], "today only");
    book.write("crm.toml", "[due]\nwithin = \"60d\"\nbirthdays = false\n");
    let ids: Vec<Value> = due_json(&book, &[])
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(ids, ["late", "soon", "later"], "60 days, no birthdays");
    book.write("crm.toml", "");
    for zero in ["0d", "00d", "0 days"] {
        let ids: Vec<Value> = due_json(&book, &["--within", zero])
            .iter()
            .map(|i| i["id"].clone())
            .collect();
        assert_eq!(ids, ["late"], "--within {zero}");
    }
    for bad in ["0x", "0", "7dd"] {
        book.crm(&["due", "--within", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not a span"));
    }
    book.write("crm.toml", "[due]\nwithin = \"0x\"\n");
    book.crm(&["due"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("due.within"));
}

#[test]
fn anniversaries_of_since_are_in_the_digest() {
    let book = TempBook::new();
    book.customer("old", "name: Old Olga\nsince: 2022-06-17\n");
    book.customer("new", "name: New Nina\nsince: 2025-06-15\n");
    book.customer("leap", "name: Leap Leo\nsince: 2024-02-29\n");
    let out = stdout_of(book.crm(&["due"]));
    assert_eq!(
        out,
        "Birthdays and anniversaries (1)\n  2025-06-17  in 2 days  Old Olga (old)  3 years as a customer  no phone or email on file\n"
    );
    let item = &due_json(&book, &[])[0];
    assert_eq!(item["what"], "anniversary");
    assert_eq!(item["source"], "anniversary");
    let out = stdout_of(book.crm(&["--today", "2025-02-27", "due"]));
    assert!(
        out.contains("2025-02-28  in 1 day  Leap Leo (leap)  1 year as a customer"),
        "{out}"
    );
    book.crm(&["due", "--no-birthdays"])
        .assert()
        .success()
        .stdout("");
}

/// Audit finding: `crm log ada snoze` suggested `snooze`, which `log` then refused.
#[test]
fn the_kind_hint_never_suggests_a_kind_log_refuses() {
    let book = book_with_ada();
    for typo in ["snoze", "snoozee", "don"] {
        book.crm(&["log", "ada", typo]).assert().code(2).stderr(
            predicate::str::contains("did you mean `crm ")
                .and(predicate::str::contains("did you mean `snooze`").not())
                .and(predicate::str::contains(", done").not())
                .and(predicate::str::contains(", snooze").not()),
        );
    }
    book.crm(&["log", "ada", "cal"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `call`"));
}

/// Audit finding: never-contacted customers came in id order.
#[test]
fn stale_orders_the_never_contacted_by_since() {
    let book = TempBook::new();
    book.customer("aaron", "name: Aaron\nsince: 2024-05-01\n");
    book.customer("beth", "name: Beth\nsince: 2023-01-01\n");
    book.customer(
        "carl",
        "name: Carl\ninteractions:\n  - {date: 2024-01-01, kind: call}\n",
    );
    let json: Value =
        serde_json::from_str(&stdout_of(book.crm(&["stale", "--format", "json"]))).unwrap();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["beth", "aaron", "carl"]);
}

/// The commit messages of `done` and `snooze` read as `crm commit` would write them
/// (docs/git.md).
#[test]
fn done_and_snooze_commit_with_the_documented_messages() {
    let book = book_with_ada();
    book.crm(&["commit", "-m", "start"]).assert().success();
    let head = || {
        let repo = git2::Repository::discover(book.root()).unwrap();
        let commit = repo.head().unwrap().peel_to_commit().unwrap();
        commit.summary().unwrap().to_string()
    };
    book.crm(&["log", "ada", "call", "--follow-up", "+1w", "--commit"])
        .assert()
        .success();
    book.crm(&["snooze", "ada", "+2w", "--commit"])
        .assert()
        .success();
    assert_eq!(head(), "snooze ada");
    book.crm(&["done", "ada", "--commit"]).assert().success();
    assert_eq!(head(), "mark ada done");
}

/// Review finding: `log --follow-up` took a date in the past, or before the entry's own
/// date, without a word, and `done --date` in the future likewise. Each is allowed (a
/// call logged late) but warned about on stderr, as a future `log --date` is.
#[test]
fn past_promises_and_future_done_dates_are_warned_about() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\ninteractions: []\n");
    book.crm(&[
        "log",
        "ada",
        "call",
        "--date",
        "2025-06-10",
        "--follow-up",
        "2025-06-01",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "crm: warning: --follow-up 2025-06-01 is before the entry's date 2025-06-10",
    ));
    book.crm(&[
        "log",
        "ada",
        "call",
        "--date",
        "2025-06-01",
        "--follow-up",
        "2025-06-12",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "crm: warning: --follow-up 2025-06-12 is in the past (today is 2025-06-15)",
    ));
    // Today or later, and after the entry: nothing to say.
    book.crm(&[
        "log",
        "ada",
        "call",
        "--date",
        "2025-06-01",
        "--follow-up",
        "today",
    ])
    .assert()
    .success()
    .stderr("");
    book.crm(&["done", "ada", "--date", "2025-06-17"])
        .assert()
        .success()
        .stdout("follow-up with ada done on 2025-06-17\n")
        .stderr(predicate::str::contains(
            "crm: warning: --date 2025-06-17 is in the future (today is 2025-06-15)",
        ));
    book.crm(&["log", "ada", "call", "--follow-up", "+1w"])
        .assert()
        .success();
    book.crm(&["done", "ada", "--date", "yesterday"])
        .assert()
        .success()
        .stderr("");
}

/// Review finding: `crm snooze ID DATE` to the date already set appended an entry that
/// moved nothing. It now says so and writes nothing.
#[test]
fn snooze_to_the_date_already_set_changes_nothing() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\ninteractions: []\n");
    stdout_of(book.crm(&["log", "ada", "call", "quote", "--follow-up", "2025-06-20"]));
    let before = book.read_customer("ada");
    book.crm(&["snooze", "ada", "2025-06-20"])
        .assert()
        .success()
        .stdout("follow-up with ada is already due on 2025-06-20; nothing changed\n");
    assert_eq!(book.read_customer("ada"), before);
    // Another date still moves it.
    book.crm(&["snooze", "ada", "2025-06-21"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "moved from 2025-06-20 to 2025-06-21",
        ));
    assert_ne!(book.read_customer("ada"), before);
}
