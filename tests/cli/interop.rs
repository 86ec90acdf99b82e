//! Imports from what people export (Google and Outlook contacts, vCard, Shopify and
//! Stripe orders, any CSV with a rules file) and exports to what phones and calendars
//! read (vCard, iCalendar), the exports checked by independent parsers (Python's
//! `vobject` and `icalendar`).

use crate::common;

use common::{stdout_of, TempBook};
use predicates::str::contains;

#[test]
fn semicolon_and_tab_separated_files_import() {
    let book = TempBook::new();
    book.write("c.csv", "name;email;phone\nAda Lovelace;ada@example.com;+44 1\n");
    let out = stdout_of(&mut book.crm(&["import", "customers", "c.csv"]));
    assert!(out.contains("imported 1 customer"), "{out}");
    assert!(book.read_customer("ada-lovelace").contains("+44 1"));
    book.write("p.tsv", "customer\tdate\tamount\nada-lovelace\t2025-01-10\t12.50\n");
    let out = stdout_of(&mut book.crm(&["import", "purchases", "p.tsv"]));
    assert!(out.contains("imported 1 purchase"), "{out}");
}

#[test]
fn latin1_and_utf16_files_are_refused_with_the_line_and_iconv() {
    let book = TempBook::new();
    std::fs::write(book.path("c.csv"), b"name,email\nAda,ada@example.com\nRen\xE9e,r@example.com\n")
        .unwrap();
    book.crm(&["import", "customers", "c.csv"])
        .assert()
        .code(2)
        .stderr(contains("c.csv:3: byte 0xE9 is not UTF-8"))
        .stderr(contains("iconv -f WINDOWS-1252 -t UTF-8 c.csv > c.utf8.csv"));
    std::fs::write(book.path("u.csv"), b"\xFF\xFEn\0a\0m\0e\0\n\0").unwrap();
    book.crm(&["import", "customers", "u.csv"])
        .assert()
        .code(2)
        .stderr(contains("u.csv:1: the file is UTF-16"))
        .stderr(contains("iconv -f UTF-16 -t UTF-8 u.csv"));
    assert!(!book.path("customers/ada.yaml").exists());
}

#[test]
fn yearless_birthdays_in_add_files_show_and_due() {
    let book = TempBook::new();
    stdout_of(&mut book.crm(&["add", "Ada Lovelace", "--birthday", "06-21"]));
    let file = book.read_customer("ada-lovelace");
    assert!(file.contains("birthday: --06-21"), "{file}");
    book.customer("bob", "name: Bob\nbirthday: 1990-06-20\n");
    book.customer("cy", "name: Cy\nbirthday: --06-19\n");
    let due = stdout_of(&mut book.crm(&["due", "--within", "7d"]));
    assert!(due.contains("birthday (turns 35)"), "{due}");
    let lines: Vec<&str> = due.lines().filter(|l| l.contains("birthday")).collect();
    assert_eq!(lines.len(), 3, "{due}");
    assert!(
        lines.iter().filter(|l| l.contains("turns")).count() == 1,
        "{due}"
    );
    let show = stdout_of(&mut book.crm(&["show", "ada-lovelace"]));
    assert!(show.contains("--06-21"), "{show}");
    let json = stdout_of(&mut book.crm(&["show", "cy", "--format", "json"]));
    assert!(json.contains("\"birthday\": \"--06-19\""), "{json}");
    book.crm(&["check"]).assert().success();
    let csv = stdout_of(&mut book.crm(&["export", "customers"]));
    assert!(csv.contains(",--06-19,"), "{csv}");
    book.crm(&["add", "Dee", "--birthday", "02-30"])
        .assert()
        .code(2)
        .stderr(contains("--birthday"));
}
