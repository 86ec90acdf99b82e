//! Black-box tests of logging interactions, follow-ups, `due` and `stale`.

mod common;

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
    let cases = [
        ("2025-01-02", "2025-01-02"),
        ("today", "2025-06-15"),
        ("yesterday", "2025-06-14"),
        ("tomorrow", "2025-06-16"),
        ("+3d", "2025-06-18"),
        ("+2w", "2025-06-29"),
        ("+1m", "2025-07-15"),
        ("-1w", "2025-06-08"),
        ("friday", "2025-06-20"),
        ("sunday", "2025-06-22"),
    ];
    for (input, expected) in cases {
        book.crm(&["log", "ada", "note", "x", "--date", input])
            .assert()
            .success();
        assert_eq!(last_entry(&book, "ada")["date"], expected, "--date {input}");
        book.crm(&["log", "ada", "call", "--follow-up", input])
            .assert()
            .success();
        assert_eq!(
            last_entry(&book, "ada")["follow_up"],
            expected,
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
    let csv = stdout_of(book.crm(&["due", "--format", "csv"]));
    assert!(csv.starts_with("group,date,days,what,id,name,reason,phone,email,last_interaction\noverdue,2025-05-01,-45,follow-up,late,"), "{csv}");
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

#[test]
fn crontab_line_from_the_readme_works() {
    let book = due_book();
    // The README suggests: crm -C ~/customers due --exit-code || [ $? -eq 1 ]
    let status = crm_command()
        .arg("-C")
        .arg(book.root())
        .args(["due", "--exit-code"])
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
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
