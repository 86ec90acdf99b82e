//! Black-box tests of how results are shown to people: name order, preference order in
//! JSON, forced colour into a pipe, and the book's currency on the card.

use crate::common;

use common::{stdout_of, TempBook};
use serde_json::Value;

#[test]
fn list_sorts_names_with_accents_and_case_folded() {
    let book = TempBook::new();
    for name in ["Zoe Adams", "Émile Zola", "lena Fischer", "Emil Berg"] {
        book.crm(&["add", name]).assert().success();
    }
    let json: Value = serde_json::from_str(&stdout_of(
        book.crm(&["list", "--sort", "name", "--format", "json"]),
    ))
    .unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Emil Berg", "Émile Zola", "lena Fischer", "Zoe Adams"]
    );
}

#[test]
fn show_json_keeps_preferences_in_the_order_they_were_written() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\npreferences:\n  zebra: striped\n  apple: green\n  mango: ripe\n",
    );
    let text = stdout_of(book.crm(&["show", "ada", "--format", "json"]));
    let zebra = text.find("\"zebra\"").unwrap();
    let apple = text.find("\"apple\"").unwrap();
    let mango = text.find("\"mango\"").unwrap();
    assert!(zebra < apple && apple < mango, "{text}");
}

#[test]
fn color_always_paints_the_header_of_a_piped_table() {
    let book = TempBook::new();
    book.crm(&["add", "Ada Lovelace"]).assert().success();
    let coloured = stdout_of(book.crm(&["--color", "always", "list"]));
    assert!(coloured.starts_with("\x1b[1mid"), "{coloured:?}");
    let plain = stdout_of(book.crm(&["list"]));
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let no_color = stdout_of(book.crm(&["list"]).env("NO_COLOR", "1"));
    assert!(!no_color.contains('\x1b'), "{no_color:?}");
}

#[test]
fn the_card_shows_revenue_in_the_books_currency() {
    let book = TempBook::new();
    book.write("crm.toml", "currency = \"EUR\"\n");
    book.customer(
        "ada",
        "name: Ada\ninteractions:\n  - date: 2025-03-03\n    kind: purchase\n    amount: 129.50\n",
    );
    let card = stdout_of(book.crm(&["show", "ada"]));
    assert!(card.contains("revenue       129.50 EUR"), "{card}");
    book.write("crm.toml", "");
    let card = stdout_of(book.crm(&["show", "ada"]));
    assert!(card.contains("revenue       129.50\n"), "{card}");
}

/// Review finding: piped `crm list` left the tags cell of a customer without tags blank,
/// so the columns after it shifted for `awk`; every empty cell is `-` (CSV stays empty).
#[test]
fn piped_list_shows_a_dash_for_every_empty_cell() {
    let book = TempBook::new();
    book.crm(&["add", "Zed"]).assert().success();
    book.crm(&["add", "Yan", "--tag", "vip"]).assert().success();
    let table = stdout_of(book.crm(&["list"]));
    for line in table.lines().skip(1) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 10, "{table}");
    }
    assert!(
        table.contains("zed  Zed   -      -      -        -     "),
        "{table}"
    );
    let csv = stdout_of(book.crm(&["list", "--format", "csv"]));
    assert!(csv.contains("\nzed,Zed,,,,,,,0,0.00\n"), "{csv}");
}

/// Review finding: `--color always` had no effect on piped `crm due` (for `less -R`);
/// it now colours the group headings and the "overdue by" text, while text from the
/// files stays sanitised (an escape sequence in a name cannot recolour the terminal).
#[test]
fn color_always_colours_the_piped_due_digest() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: \"Ada \\e[32mLovelace\"\ninteractions:\n  - {date: 2025-06-01, kind: call, follow_up: 2025-06-10}\n",
    );
    book.customer(
        "bob",
        "name: Bob\ninteractions:\n  - {date: 2025-06-01, kind: call, follow_up: 2025-06-17}\n",
    );
    let plain = stdout_of(book.crm(&["due"]));
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(
        plain.starts_with("Overdue (1)\n  2025-06-10  overdue by 5 days  Ada  [32mLovelace (ada)"),
        "{plain:?}"
    );
    let coloured = stdout_of(book.crm(&["--color", "always", "due"]));
    assert!(
        coloured.starts_with("\x1b[31mOverdue (1)\x1b[0m\n"),
        "{coloured:?}"
    );
    assert!(
        coloured
            .contains("  2025-06-10  \x1b[31moverdue by 5 days\x1b[0m  Ada  [32mLovelace (ada)"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\x1b[33mDue soon (1)\x1b[0m\n"),
        "{coloured:?}"
    );
    assert_eq!(coloured.matches('\x1b').count(), 6, "{coloured:?}");
    // Without colour the lines are the same text.
    let stripped = coloured
        .replace("\x1b[31m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
}
