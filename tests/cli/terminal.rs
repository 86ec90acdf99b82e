//! Tables on a real terminal: crm runs under a pseudo-terminal (`script` from
//! util-linux) of a fixed size, and no line it prints may be wider than the terminal;
//! piped, the same table is plain columns, never wrapped.

use std::process::Command;

use crate::common;

use common::{stdout_of, TempBook, TODAY};

const LONG_EMAIL: &str = "carol.withaverylongsurname@averylongcompanydomain.example";

fn book_with_long_cells() -> TempBook {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada Lovelace\nemail: ada@example.com\ntags: [vip]\n",
    );
    book.customer(
        "carol",
        &format!(
            "name: Carol Longname-Withaverylongsurname\nemail: {LONG_EMAIL}\n\
             company: The Very Long Company Name Incorporated of Somewhere\n\
             tags: [vip, newsletter, wholesale, berlin]\n"
        ),
    );
    book
}

/// `crm ARGS` in `book` on a terminal `rows` × `cols` (set with `stty` inside the
/// pty), with `env` added; what the terminal showed, escapes and carriage returns
/// taken out.
fn on_terminal(book: &TempBook, cols: u16, env: &[(&str, &str)], args: &[&str]) -> String {
    assert!(
        std::path::Path::new("/usr/bin/script").exists(),
        "this test needs `script` (util-linux, Debian package bsdutils) to give crm a terminal"
    );
    let crm = assert_cmd::cargo::cargo_bin("crm");
    let mut line = format!("stty rows 24 cols {cols} && exec '{}'", crm.display());
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut cmd = Command::new("/usr/bin/script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(book.root())
        .env("SHELL", "/bin/sh")
        .env("CRM_TODAY", TODAY)
        .env_remove("CRM_DIR")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = cmd.output().expect("run script");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{line}: {:?}\n{text}",
        output.status
    );
    without_escapes(&text).replace('\r', "")
}

/// The text without ANSI escape sequences (`ESC [ ... letter`).
fn without_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn tables_fit_a_terminal_of_sixty_columns() {
    let book = book_with_long_cells();
    for args in [
        &["list"][..],
        &["--color", "never", "list"],
        &["find", "vip"],
        &["list", "--archived"],
    ] {
        let shown = on_terminal(&book, 60, &[], args);
        assert!(
            shown.contains('┌'),
            "{args:?}: boxed on a terminal\n{shown}"
        );
        assert!(widest(&shown) <= 60, "{args:?}: wider than 60\n{shown}");
    }
    // Three columns leave room for the short ones to stay whole: only the long ones
    // are wrapped.
    let shown = on_terminal(&book, 60, &[], &["find", "carol"]);
    assert!(shown.contains(" carol "), "{shown}");
    assert!(!shown.contains(LONG_EMAIL), "{shown}");
    assert!(
        shown.lines().count() > 5,
        "wrapped over several lines\n{shown}"
    );
    // Colour and NO_COLOR do not change the fitting (comfy-table's own terminal check
    // is off without colour).
    let shown = on_terminal(&book, 60, &[("NO_COLOR", "1")], &["list"]);
    assert!(widest(&shown) <= 60, "NO_COLOR\n{shown}");
}

#[test]
fn columns_overrides_the_terminal_width() {
    let book = book_with_long_cells();
    let wide = on_terminal(&book, 300, &[], &["list"]);
    assert!(widest(&wide) > 100, "room enough: not wrapped\n{wide}");
    assert!(wide.contains(LONG_EMAIL), "{wide}");
    let narrow = on_terminal(&book, 300, &[("COLUMNS", "50")], &["list"]);
    assert!(widest(&narrow) <= 50, "COLUMNS=50\n{narrow}");
    assert!(!narrow.contains(LONG_EMAIL), "wrapped\n{narrow}");
}

#[test]
fn piped_tables_are_plain_columns_that_never_wrap() {
    let book = book_with_long_cells();
    let piped = stdout_of(book.crm(&["list"]).env("COLUMNS", "40"));
    assert!(!piped.contains('│') && !piped.contains('┆'), "{piped}");
    assert!(widest(&piped) > 40, "{piped}");
    let carol = piped
        .lines()
        .find(|l| l.starts_with("carol "))
        .expect("one line per customer");
    assert!(carol.contains(LONG_EMAIL), "{carol}");
    assert_eq!(piped.lines().count(), 3, "a header and two rows\n{piped}");
}
