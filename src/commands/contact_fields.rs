//! Issue 11: a new contact field is one line in `domain::profile::contact_fields!`
//! plus its renderers. The types that carry the fields are declared from that list;
//! the renderers are written by hand (each decides where a new key or column goes), so
//! these tests fail when a renderer, or `crm add`, misses a field of the list.

use std::collections::BTreeMap;

use clap::Args as _;

use super::*;
use crate::domain::profile::CONTACT_FIELDS;

/// The value every contact field gets in these tests: a valid email, so that one
/// value fits every field.
fn value(field: &str) -> String {
    format!("{field}-value@example.com")
}

/// Runs `crm -C dir ARGS...` and returns its stdout; panics on a failure.
fn crm(dir: &std::path::Path, args: &[&str]) -> String {
    let mut argv: Vec<std::ffi::OsString> = vec!["crm".into(), "-C".into(), dir.into()];
    argv.extend(args.iter().map(Into::into));
    argv.extend(["--today".into(), "2025-06-15".into()]);
    let cli = crate::cli::Cli::parse_args(argv).expect("valid arguments");
    let mut ui = Ui::capture();
    let ctx = Context::from_globals(&cli.globals, &ui).expect("context");
    let code = run(&ctx, cli.command, &mut ui).expect("the command succeeds");
    let (out, err) = ui.captured();
    assert_eq!(code, crate::error::EXIT_OK, "crm {args:?}: {err}");
    out
}

/// A book with customer `ada`, whose every contact field is set, written by hand.
fn book() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("crm.toml"), "").expect("crm.toml");
    std::fs::create_dir(dir.path().join("customers")).expect("customers/");
    let mut text = "name: Ada\n".to_string();
    for field in CONTACT_FIELDS {
        text.push_str(&format!("{field}: {}\n", value(field)));
    }
    std::fs::write(dir.path().join("customers/ada.yaml"), text).expect("ada.yaml");
    dir
}

/// The contact fields of a JSON object, as `field → value`.
fn contact_of(object: &serde_json::Value) -> BTreeMap<String, Option<String>> {
    CONTACT_FIELDS
        .iter()
        .map(|f| {
            let value = object.get(*f).map(|v| v.as_str().map(str::to_string));
            (f.to_string(), value.unwrap_or(Some("<missing>".into())))
        })
        .collect()
}

fn every_value() -> BTreeMap<String, Option<String>> {
    CONTACT_FIELDS
        .iter()
        .map(|f| (f.to_string(), Some(value(f))))
        .collect()
}

/// The first CSV row's cells by header (no quoting in these tests' values).
fn csv_first_row(text: &str) -> BTreeMap<String, String> {
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    let row = lines.next().expect("a row");
    header
        .split(',')
        .map(str::to_string)
        .zip(row.split(',').map(str::to_string))
        .collect()
}

#[test]
fn show_json_and_card_have_every_contact_field() {
    let book = book();
    let json: serde_json::Value =
        serde_json::from_str(&crm(book.path(), &["show", "ada", "--format", "json"])).unwrap();
    assert_eq!(contact_of(&json), every_value());
    let card = crm(book.path(), &["show", "ada"]);
    for field in CONTACT_FIELDS {
        let line = format!("  {field:<9} {}", value(field));
        assert!(
            card.lines().any(|l| l == line),
            "no {line:?} in the card:\n{card}"
        );
    }
}

#[test]
fn export_json_and_csv_have_every_contact_field() {
    let book = book();
    let json: serde_json::Value = serde_json::from_str(&crm(
        book.path(),
        &["export", "customers", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(contact_of(&json[0]), every_value());
    let csv = csv_first_row(&crm(
        book.path(),
        &["export", "customers", "--format", "csv"],
    ));
    for field in CONTACT_FIELDS {
        assert_eq!(
            csv.get(*field),
            Some(&value(field)),
            "export column {field}"
        );
    }
}

#[test]
fn list_json_and_columns_have_every_contact_field() {
    let book = book();
    let json: serde_json::Value =
        serde_json::from_str(&crm(book.path(), &["list", "--format", "json"])).unwrap();
    assert_eq!(contact_of(&json[0]), every_value());
    let csv = csv_first_row(&crm(book.path(), &["list", "--format", "csv"]));
    for field in CONTACT_FIELDS {
        assert_eq!(csv.get(*field), Some(&value(field)), "list column {field}");
    }
}

#[test]
fn add_has_a_flag_for_every_contact_field_and_writes_it() {
    let flags = add::Args::augment_args(clap::Command::new("add"));
    for (field, doc) in CONTACT_FIELDS
        .iter()
        .zip(crate::domain::profile::CONTACT_DOCS)
    {
        let arg = flags
            .get_arguments()
            .find(|a| a.get_long() == Some(*field))
            .unwrap_or_else(|| panic!("crm add has no --{field}"));
        let help = arg.get_help().map(ToString::to_string);
        assert_eq!(
            help.as_deref(),
            Some(doc.trim_end_matches('.')),
            "--{field}'s help"
        );
    }
    let book = book();
    let mut args = vec!["add".to_string(), "Bob".to_string()];
    for field in CONTACT_FIELDS {
        args.extend([format!("--{field}"), format!("new-{}", value(field))]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(crm(book.path(), &args), "bob\n");
    let json: serde_json::Value =
        serde_json::from_str(&crm(book.path(), &["show", "bob", "--format", "json"])).unwrap();
    let expected: BTreeMap<String, Option<String>> = CONTACT_FIELDS
        .iter()
        .map(|f| (f.to_string(), Some(format!("new-{}", value(f)))))
        .collect();
    assert_eq!(contact_of(&json), expected);
}

#[test]
fn a_customers_import_reads_every_contact_field() {
    let book = book();
    let mut csv = "name".to_string();
    for field in CONTACT_FIELDS {
        csv.push_str(&format!(",{field}"));
    }
    csv.push_str("\nCy");
    for field in CONTACT_FIELDS {
        csv.push_str(&format!(",cy-{}", value(field)));
    }
    csv.push('\n');
    let file = book.path().join("people.csv");
    std::fs::write(&file, csv).unwrap();
    crm(
        book.path(),
        &["import", "customers", file.to_str().unwrap()],
    );
    let json: serde_json::Value =
        serde_json::from_str(&crm(book.path(), &["show", "cy", "--format", "json"])).unwrap();
    let expected: BTreeMap<String, Option<String>> = CONTACT_FIELDS
        .iter()
        .map(|f| (f.to_string(), Some(format!("cy-{}", value(f)))))
        .collect();
    assert_eq!(contact_of(&json), expected);
}
