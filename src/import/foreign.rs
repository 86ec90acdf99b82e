//! Files other programs wrote (address books, web shops, payment providers, any CSV
//! with a rules file), turned into the rows `crm import customers` and `crm import
//! purchases` read, so that they go through the very same checks, all-or-nothing write
//! and re-import markers. The formats themselves are read in `crate::interop`; this is
//! the glue: reading the file, saying which format it is (on `diag`), and matching
//! customers by email.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use super::csv::{csv_message, read_bounded, text_of, Lines, Problems, Record};
use crate::error::{Error, Result};
use crate::interop::{contacts, orders, text, vcard};
use crate::render::escape_cell_item;
use crate::store::{scan, Book};

/// What a foreign file became: rows in crm's own columns and the problems found.
pub(super) type Read = (Vec<Record>, Problems);

/// A CSV file's header and rows (each with its line), and the lines that are not CSV.
struct Table {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
    problems: Vec<(u64, String)>,
}

fn table(text: &str) -> Table {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(text::separator(text))
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let header = reader
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => rows.push((
                lines.of(record.position()),
                record.iter().map(str::to_string).collect(),
            )),
            Err(e) => problems.push((lines.of(e.position()), csv_message(&e))),
        }
    }
    Table {
        header,
        rows,
        problems,
    }
}

/// The start of a file, enough to recognise its format by its first line without
/// reading a big file of crm's own rows twice. Lossy: an encoding problem is reported
/// by the reader that reads the whole file.
fn start_of(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, &e))?;
    let mut start = Vec::new();
    file.take(64 * 1024)
        .read_to_end(&mut start)
        .map_err(|e| Error::io("read", path, &e))?;
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&start);
    Ok(String::from_utf8_lossy(start).into_owned())
}

/// The header of a CSV text.
fn header(text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(text::separator(text))
        .from_reader(text.as_bytes());
    reader
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The file's text, read once, within the size and row limits of every import.
fn read_text(path: &Path) -> Result<(String, String)> {
    let shown = path.display().to_string();
    let bytes = read_bounded(path, &shown)?;
    let text = text_of(&bytes, &shown)?.to_string();
    Ok((shown, text))
}

/// Customers' ids by email (lower case), for matching the people of a file to the book.
fn by_email(book: &Book) -> Result<HashMap<String, String>> {
    let scan = scan::summaries(book)?;
    Ok(scan
        .items
        .into_iter()
        .filter_map(|s| Some((s.email?.to_lowercase(), s.id)))
        .collect())
}

/// Rows in `columns` from (line, cells) pairs.
fn records(columns: &[&str], rows: Vec<(u64, Vec<String>)>) -> Vec<Record> {
    let columns: Rc<[String]> = columns.iter().map(|c| c.to_string()).collect();
    rows.into_iter()
        .map(|(line, cells)| Record {
            line,
            columns: Rc::clone(&columns),
            cells: csv::StringRecord::from(cells),
        })
        .collect()
}

fn list_cell(items: &[String]) -> String {
    items
        .iter()
        .map(|i| escape_cell_item(i, &[';']))
        .collect::<Vec<_>>()
        .join(";")
}

/// An address-book export (Google, Outlook, vCard) as `crm import customers` rows, or
/// `None` when the file is not one (then it is read as crm's own customers CSV).
pub(super) fn contacts(path: &Path, book: &Book, diag: &mut dyn Write) -> Result<Option<Read>> {
    let start = start_of(path)?;
    let is_vcard = vcard::is_vcard(&start);
    if !is_vcard && contacts::detect(&header(&start)).is_none() {
        return Ok(None);
    }
    let (shown, text) = read_text(path)?;
    let read = if is_vcard {
        contacts::from_vcard(&text)
    } else {
        let table = table(&text);
        let Some(format) = contacts::detect(&table.header) else {
            return Ok(None);
        };
        let mut read = contacts::from_csv(format, &table.header, &table.rows);
        read.problems.extend(table.problems);
        read
    };
    let _ = writeln!(diag, "crm: reading {shown} as {}", read.format.name());
    if !read.dropped.is_empty() {
        let _ = writeln!(
            diag,
            "crm: not imported (crm has no field for them): {} (docs/import.md)",
            read.dropped.join(", ")
        );
    }
    let mut problems = Problems::new(shown);
    for (line, message) in read.problems {
        problems.add(line, message);
    }
    let known = by_email(book)?;
    let columns = [
        "name",
        "id",
        "email",
        "phone",
        "company",
        "tags",
        "birthday",
        "preferences",
        "note",
    ];
    let rows = read
        .contacts
        .into_iter()
        .map(|c| {
            let id = c.id.clone().or_else(|| {
                c.emails
                    .iter()
                    .find_map(|e| known.get(&e.to_lowercase()).cloned())
            });
            // Further addresses and numbers are kept as preferences, in order.
            let mut preferences = Vec::new();
            for (what, values) in [("email", &c.emails), ("phone", &c.phones)] {
                for (n, value) in values.iter().enumerate().skip(1) {
                    preferences.push((format!("{what} {}", n + 1), value.clone()));
                }
            }
            preferences.extend(c.details.iter().cloned());
            let preferences: Vec<String> = preferences
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        escape_cell_item(k, &[';', '=']),
                        escape_cell_item(v, &[';'])
                    )
                })
                .collect();
            let cells = vec![
                c.name,
                id.unwrap_or_default(),
                c.emails.first().cloned().unwrap_or_default(),
                c.phones.first().cloned().unwrap_or_default(),
                c.company.unwrap_or_default(),
                list_cell(&c.tags),
                c.birthday.unwrap_or_default(),
                preferences.join(";"),
                c.note.unwrap_or_default(),
            ];
            (c.line, cells)
        })
        .collect();
    Ok(Some((records(&columns, rows), problems)))
}

/// A Shopify or Stripe export as `crm import purchases` rows (with refunds), or `None`
/// when the file is not one.
pub(super) fn orders(path: &Path, book: &Book, diag: &mut dyn Write) -> Result<Option<Read>> {
    if orders::detect(&header(&start_of(path)?)).is_none() {
        return Ok(None);
    }
    let (shown, text) = read_text(path)?;
    let table = table(&text);
    let Some(format) = orders::detect(&table.header) else {
        return Ok(None);
    };
    let read = orders::read(format, &table.header, &table.rows);
    let _ = writeln!(diag, "crm: reading {shown} as {}", format.name());
    if !read.unpaid.is_empty() {
        let lines: Vec<String> = read
            .unpaid
            .iter()
            .take(5)
            .map(|(l, s)| format!("line {l}: {s}"))
            .collect();
        let _ = writeln!(
            diag,
            "crm: left out {} unpaid order{} ({}{})",
            read.unpaid.len(),
            if read.unpaid.len() == 1 { "" } else { "s" },
            lines.join(", "),
            if read.unpaid.len() > 5 { ", ..." } else { "" }
        );
    }
    let mut problems = Problems::new(shown);
    for (line, message) in table.problems.into_iter().chain(read.problems) {
        problems.add(line, message);
    }
    let known = by_email(book)?;
    // One customer per email across the file: the book's, else the first name given.
    let mut customer_of: HashMap<String, String> = HashMap::new();
    let columns = [
        "customer", "date", "kind", "amount", "items", "name", "email", "summary",
    ];
    let rows = read
        .entries
        .into_iter()
        .map(|e| {
            let key = e.email.as_deref().map(str::to_lowercase);
            let customer = match &key {
                Some(key) => customer_of
                    .entry(key.clone())
                    .or_insert_with(|| {
                        known
                            .get(key)
                            .cloned()
                            .or_else(|| e.name.clone())
                            .unwrap_or_else(|| key.clone())
                    })
                    .clone(),
                None => e.name.clone().unwrap_or_default(),
            };
            let name = e
                .name
                .clone()
                .or_else(|| e.email.clone())
                .unwrap_or_default();
            let cells = vec![
                customer,
                e.date,
                e.kind.to_string(),
                e.amount,
                list_cell(&e.items),
                name,
                e.email.unwrap_or_default(),
                e.summary,
            ];
            (e.line, cells)
        })
        .collect();
    Ok(Some((records(&columns, rows), problems)))
}

/// The rules file for `path`: `--rules FILE`, else `FILE.rules` beside it if there is one
/// (as hledger finds `FILE.csv.rules`).
pub(super) fn rules_file(path: &Path, given: Option<&Path>) -> Option<std::path::PathBuf> {
    if let Some(given) = given {
        return Some(given.to_path_buf());
    }
    let mut beside = path.as_os_str().to_owned();
    beside.push(".rules");
    let beside = std::path::PathBuf::from(beside);
    beside.is_file().then_some(beside)
}

/// Any CSV read through a rules file, as `crm import purchases` rows.
pub(super) fn with_rules(path: &Path, rules_path: &Path, diag: &mut dyn Write) -> Result<Read> {
    let shown_rules = rules_path.display().to_string();
    let rules_bytes = std::fs::read(rules_path).map_err(|e| Error::io("read", rules_path, &e))?;
    let rules_text = text_of(&rules_bytes, &shown_rules)?;
    let rules = crate::interop::rules::Rules::parse(rules_text).map_err(|(line, message)| {
        let at = if line == 0 {
            String::new()
        } else {
            format!(":{line}")
        };
        Error::invalid_file(format!("{shown_rules}{at}: {message}"))
            .with_hint("see \"Mapping rules\" in docs/import.md; nothing was imported")
    })?;
    let (shown, text) = read_text(path)?;
    let _ = writeln!(diag, "crm: reading {shown} with the rules in {shown_rules}");
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(rules.separator().unwrap_or_else(|| text::separator(&text)))
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut problems = Problems::new(shown);
    let mut rows = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => rows.push((
                lines.of(record.position()),
                record.iter().map(str::to_string).collect(),
            )),
            Err(e) => problems.add(lines.of(e.position()), csv_message(&e)),
        }
    }
    let (mapped, found) = rules.apply(&rows);
    for (line, message) in found {
        problems.add(line, message);
    }
    let columns = crate::interop::rules::FIELDS;
    Ok((records(&columns, mapped), problems))
}
