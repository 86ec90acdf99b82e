//! `crm import purchases|interactions|customers FILE.csv`: bring existing data in.
//!
//! Every row is checked before anything is written (bad rows are reported as
//! `FILE:LINE: message` and nothing is imported); then, under one lock, each customer
//! file is written once. Imported interactions carry an `import:` marker so that
//! importing the same file again skips what is already in the book (docs/import.md).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::context::Context;
use crate::domain::contact;
use crate::domain::customer::Customer;
use crate::domain::date::Cadence;
use crate::domain::id::CustomerId;
use crate::domain::interaction::{validate, Interaction, Kind};
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::store::yaml_text::NewCustomer;
use crate::store::{scan, BatchEntry, BatchTarget, Book, Loaded, WriteLock};

/// Arguments of `crm import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the file holds.
    #[command(subcommand)]
    pub what: What,
}

/// The kinds of CSV file `crm import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Purchases. Header: customer,date,amount; optional item (or items), name, email,
    /// summary, channel. Creates customers that do not exist yet.
    Purchases(InteractionArgs),
    /// Interactions of any kind, as `crm export interactions` writes them. Header:
    /// customer,date,kind; optional amount, items, rating, summary, channel, follow_up,
    /// name, email.
    Interactions(InteractionArgs),
    /// Customers. Header: name; optional id, email, phone, company, tags (`;`
    /// between tags), birthday, since, every, preferences (`key=value;key=value`).
    /// An empty `every` cell means no cadence; without an `every` column, crm.toml's
    /// default_every applies. Ids that already exist are skipped.
    Customers(FileArgs),
}

/// The file argument shared by every kind of import.
#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// The CSV file (UTF-8, comma-separated, with a header row).
    pub file: PathBuf,
    /// Check the file and say what would be imported, without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// The arguments of `crm import purchases|interactions`.
#[derive(Debug, clap::Args)]
pub struct InteractionArgs {
    /// The file and `--dry-run`.
    #[command(flatten)]
    pub file: FileArgs,
    /// Also import rows identical to an interaction the customer's file already holds
    /// that no import wrote (one logged by hand, say). Without it such rows are taken for
    /// copies of it and skipped (docs/import.md).
    #[arg(long)]
    pub allow_duplicates: bool,
}

/// At most this many bad rows are listed; the rest are counted.
const MAX_LISTED: usize = 20;

/// Runs `crm import`.
pub fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    match &args.what {
        What::Purchases(args) => interactions(ctx, args, true, out),
        What::Interactions(args) => interactions(ctx, args, false, out),
        What::Customers(file) => customers(ctx, file, out),
    }
}

/// One CSV record: its line number and its cells, found by (lower-case) column name.
/// The header is shared by every record and the cells stay in the csv crate's one
/// buffer per record: a map of owned names and cells per row cost a tenth of a second
/// per 100 000 rows in allocations alone.
struct Record {
    line: u64,
    columns: Rc<[String]>,
    cells: csv::StringRecord,
}

impl Record {
    /// The cell of `column`, if the file has the column and the cell is not empty.
    fn get(&self, column: &str) -> Option<&str> {
        let index = self.columns.iter().position(|c| c == column)?;
        // crm's own export neutralises formulas (`'=...`): read back the original.
        self.cells
            .get(index)
            .map(crate::render::unneutralise_formula)
            .filter(|v| !v.is_empty())
    }

    /// Whether the file has `column` at all (its cell in this row may still be empty).
    fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }
}

/// Bad rows, collected so that every one is reported at once.
struct Problems {
    file: String,
    /// (line, message), in the order found.
    found: Vec<(u64, String)>,
}

impl Problems {
    fn new(file: String) -> Problems {
        Problems {
            file,
            found: Vec::new(),
        }
    }

    fn add(&mut self, line: u64, message: impl std::fmt::Display) {
        self.found.push((line, message.to_string()));
    }

    /// Prints the first problems in line order (problems are found in several passes)
    /// and says how many more there are.
    fn print(&mut self) {
        self.found.sort_by_key(|(line, _)| *line);
        let stderr = std::io::stderr();
        let mut stderr = stderr.lock();
        for (line, message) in self.found.iter().take(MAX_LISTED) {
            let _ = writeln!(stderr, "{}:{line}: {message}", self.file);
        }
        if self.found.len() > MAX_LISTED {
            let _ = writeln!(stderr, "... and {} more", self.found.len() - MAX_LISTED);
        }
    }

    /// Prints the problems and fails, or does nothing when there are none.
    fn check(&mut self) -> Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.print();
        let count = self.found.len();
        Err(Error::invalid_file(format!(
            "{}: {count} bad row{}; nothing was imported",
            self.file,
            plural(count)
        ))
        .with_hint("fix the rows named above, then run the import again"))
    }

    /// Like [`Problems::check`], for problems of the header row: the file's rows were
    /// not even looked at, so they are not counted as bad rows.
    fn check_header(&mut self, required: &[&str]) -> Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.print();
        Err(Error::invalid_file(format!(
            "{}: the header (line 1) cannot be used; nothing was imported",
            self.file
        ))
        .with_hint(format!(
            "the first line must name the columns, at least {}; see docs/import.md",
            required.join(",")
        )))
    }
}

/// Line numbers of byte offsets in the file, for `FILE:LINE` messages.
///
/// The csv crate's own `Position::line()` is off by one on files with CRLF line ends
/// (rust-csv#395), which is how Excel saves CSV; counting line ends up to where a
/// record starts is right for both line ends and for quoted cells spanning lines.
/// The byte offset the crate gives is where the previous record ended, before the
/// `\n` of a CRLF and before blank lines, so line ends after it are skipped first.
struct Lines<'a> {
    bytes: &'a [u8],
    /// The offset counted up to so far, and the line it is on.
    byte: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            byte: 0,
            line: 1,
        }
    }

    /// The line on which the record at `position` starts (0 when the csv reader gave
    /// no position, which it always does for records it read).
    fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return 0;
        };
        let mut target = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while self
            .bytes
            .get(target)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            target += 1;
        }
        // Records come in order, so counting on from the last one keeps this linear.
        if target < self.byte {
            (self.byte, self.line) = (0, 1);
        }
        // A line ends at `\n` (LF, CRLF) or at a `\r` alone (old Mac files), as the csv
        // reader sees it.
        let ends = (self.byte..target)
            .filter(|&i| match self.bytes[i] {
                b'\n' => true,
                b'\r' => self.bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            })
            .count();
        self.line += ends as u64;
        self.byte = target;
        self.line
    }
}

/// Reads the CSV file: checks the header against `required` and `optional` columns
/// (failing at once if it is wrong) and returns the readable records with the problems
/// of the rest, so that the caller can add its own and report all of them together.
fn read_csv(path: &Path, required: &[&str], optional: &[&str]) -> Result<(Vec<Record>, Problems)> {
    let shown = path.display().to_string();
    let bytes = read_bounded(path, &shown)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut problems = Problems::new(shown);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(e) => {
            problems.add(1, format!("the header {}", csv_message(&e)));
            problems.check_header(required)?;
            unreachable!("check_header fails when there is a problem");
        }
    };
    let mut seen = HashSet::new();
    for column in &header {
        if !required.contains(&column.as_str()) && !optional.contains(&column.as_str()) {
            problems.add(
                1,
                format!(
                    "unknown column `{column}`; this import reads {}",
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        } else if !seen.insert(column.as_str()) {
            problems.add(1, format!("column `{column}` appears twice"));
        }
    }
    for column in required {
        if !header.iter().any(|h| h == column) {
            problems.add(
                1,
                format!(
                    "the header has no `{column}` column (it needs {})",
                    required.join(",")
                ),
            );
        }
    }
    problems.check_header(required)?;
    let columns: Rc<[String]> = header.iter().cloned().collect();
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) if record.len() > header.len() => problems.add(
                lines.of(record.position()),
                format!(
                    "has {} fields but the header has {}; quote cells that contain commas",
                    record.len(),
                    header.len()
                ),
            ),
            Ok(record) if record.iter().any(|c| c.len() > MAX_TEXT_BYTES) => problems.add(
                lines.of(record.position()),
                format!(
                    "a cell is over {} KiB, crm's limit for one text value; keep long documents in files of their own",
                    MAX_TEXT_BYTES / 1024
                ),
            ),
            // Short rows are fine: missing cells at the end are empty.
            Ok(record) => records.push(Record {
                line: lines.of(record.position()),
                columns: Rc::clone(&columns),
                cells: record,
            }),
            Err(e) => {
                let line = lines.of(e.position());
                problems.add(line, csv_message(&e));
            }
        }
    }
    Ok((records, problems))
}

/// Largest CSV file crm imports: the file is read whole, so this bounds the memory an
/// import takes (a mistaken `/dev/zero` or a sparse file of gigabytes is refused).
const MAX_CSV_BYTES: u64 = 64 * 1024 * 1024;
/// Longest CSV row crm reads: an unclosed quote otherwise makes the rest of the file one
/// row, held in memory at once.
const MAX_CSV_ROW: usize = 1024 * 1024;
use crate::store::MAX_TEXT_BYTES;

/// The file's bytes, refused up front when it is larger than [`MAX_CSV_BYTES`] (or,
/// for something that is not a regular file, when more than that can be read).
fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let too_big = || {
        Error::invalid_file(format!(
            "{shown}:1: is over {} MiB, the most crm imports at once; nothing was imported",
            MAX_CSV_BYTES / 1024 / 1024
        ))
        .with_hint(
            "split it into smaller files (`split -l`, keeping the header line) and import each",
        )
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, &e))?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, &e))?;
    if meta.is_file() && meta.len() > MAX_CSV_BYTES {
        return Err(too_big());
    }
    let capacity = if meta.is_file() {
        meta.len() + 1
    } else {
        64 * 1024
    };
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut reader = file.take(MAX_CSV_BYTES + 1);
    let mut chunk = vec![0; 64 * 1024];
    let mut rows = RowScan::default();
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", path, &e)),
        };
        let part = &chunk[..n];
        // Text never holds a NUL byte: this is not a CSV file (`/dev/zero`, a sparse
        // or binary file), so stop before reading the rest of it.
        if part.contains(&0) {
            let at = part.iter().position(|b| *b == 0).unwrap_or(0);
            let line = rows.line + part[..at].iter().filter(|b| **b == b'\n').count() as u64;
            return Err(Error::invalid_file(format!(
                "{shown}:{line}: holds a NUL byte, which no CSV text has; is it really a CSV file? nothing was imported"
            ))
            .with_hint("export the data as CSV (UTF-8 text) and import that"));
        }
        if let Some(line) = rows.feed(part) {
            return Err(Error::invalid_file(format!(
                "{shown}:{line}: this row is longer than {} KiB, the most crm reads in one row (is a quote left open?); nothing was imported",
                MAX_CSV_ROW / 1024
            ))
            .with_hint("close the quote, or split the cell; then run the import again"));
        }
        bytes.extend_from_slice(part);
    }
    if bytes.len() as u64 > MAX_CSV_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Finds a CSV row longer than [`MAX_CSV_ROW`] bytes while the file is read, chunk by
/// chunk. A row ends at a line break outside double quotes (`""` inside quotes toggles
/// twice, so it needs no special case).
struct RowScan {
    quoted: bool,
    row: usize,
    /// The line being read, and the one the current row started on.
    line: u64,
    start_line: u64,
    /// The previous chunk ended with `\r` (a CRLF split across chunks is one break).
    after_cr: bool,
}

impl Default for RowScan {
    fn default() -> RowScan {
        RowScan {
            quoted: false,
            row: 0,
            line: 1,
            start_line: 1,
            after_cr: false,
        }
    }
}

impl RowScan {
    /// Reads on; the line where an over-long row starts, if this chunk makes one.
    fn feed(&mut self, part: &[u8]) -> Option<u64> {
        for &b in part {
            let cr_lf = self.after_cr && b == b'\n';
            self.after_cr = b == b'\r';
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' | b'\r' => {
                    if !cr_lf {
                        self.line += 1;
                    }
                    if !self.quoted {
                        self.row = 0;
                        self.start_line = self.line;
                        continue;
                    }
                }
                _ => {}
            }
            self.row += 1;
            if self.row > MAX_CSV_ROW {
                return Some(self.start_line);
            }
        }
        None
    }
}

fn csv_message(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8; save the file as UTF-8".to_string(),
        other => format!("cannot be read as CSV: {other:?}"),
    }
}

fn iso_date(column: &str, text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| match crate::domain::date::impossible_date(text) {
            Some(why) => format!("{column} {text:?} is not a date: {why}"),
            None => format!("{column} {text:?} is not a date; write it as YYYY-MM-DD"),
        })
}

/// An email cell, checked by the rule `crm add` applies.
fn email(text: &str) -> std::result::Result<String, String> {
    contact::email(text)
        .map(str::to_string)
        .map_err(|m| format!("email {m}"))
}

/// A `;`-separated cell (`\;` is a `;` inside an item, as `crm export` writes it).
fn list(text: Option<&str>) -> Vec<String> {
    raw_list(text)
        .into_iter()
        .map(crate::render::unescape_cell_item)
        .collect()
}

/// The items of a `;`-separated cell with their escapes still in place.
fn raw_list(text: Option<&str>) -> Vec<&str> {
    crate::render::split_cell(text.unwrap_or(""), ';')
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// A checked interaction row.
struct Row {
    line: u64,
    customer: CustomerId,
    /// The `customer` cell as written.
    cell: String,
    /// The name this row gives: its `name` cell, else a `customer` cell that is a name
    /// rather than an id.
    name: Option<String>,
    email: Option<String>,
    interaction: Interaction,
}

fn interaction_row(
    record: &Record,
    purchases: bool,
    book: &Book,
) -> std::result::Result<Row, String> {
    let text = record.get("customer").ok_or("the customer is empty")?;
    let (customer, name_in_cell) = match CustomerId::parse(text) {
        Ok(id) => (id, None),
        Err(_) => {
            let id = CustomerId::from_name(text)
                .map_err(|e| format!("customer {text:?}: {}", e.message))?;
            (id, Some(text))
        }
    };
    // The name a new customer would get: checked as `crm add` checks it.
    let name = record
        .get("name")
        .or(name_in_cell)
        .map(|n| contact::name(n).map(str::to_string))
        .transpose()?;
    let date = iso_date("date", record.get("date").ok_or("the date is empty")?)?;
    let kind = if purchases {
        Kind::Purchase
    } else {
        let name = record.get("kind").ok_or("the kind is empty")?;
        if !book.config.knows_kind(&name.to_ascii_lowercase()) {
            return Err(format!(
                "unknown kind {name:?}; use one of {} (or add it to [interactions] kinds in crm.toml)",
                book.config.all_kinds().join(", ")
            ));
        }
        Kind::from_name(name)
    };
    let mut interaction = Interaction::new(date, kind);
    interaction.amount = record.get("amount").map(Money::parse).transpose()?;
    if interaction.amount.is_some_and(Money::is_negative) {
        return Err("amounts are never negative; record money paid back as a `refund`".into());
    }
    if interaction.kind.needs_amount() && interaction.amount.is_none() {
        return Err(format!("a {} needs an amount", interaction.kind));
    }
    interaction.items = list(record.get("item"))
        .into_iter()
        .chain(list(record.get("items")))
        .collect();
    if let Some(rating) = record.get("rating") {
        let value: u8 = rating
            .parse()
            .ok()
            .filter(|r| (1..=5).contains(r))
            .ok_or_else(|| format!("rating {rating:?} is not a whole number from 1 to 5"))?;
        if interaction.kind != Kind::Feedback {
            return Err(format!(
                "a rating belongs to a feedback, not a {}",
                interaction.kind
            ));
        }
        interaction.rating = Some(value);
    }
    interaction.summary = record.get("summary").map(str::to_string);
    interaction.channel = record.get("channel").map(str::to_string);
    interaction.follow_up = record
        .get("follow_up")
        .map(|t| iso_date("follow_up", t))
        .transpose()?;
    // What `crm log` and `crm check` refuse is refused here too.
    let known = |k: &str| book.config.knows_kind(k);
    if let Some((_, problem)) = validate(&interaction, &known).into_iter().next() {
        return Err(problem);
    }
    Ok(Row {
        line: record.line,
        customer,
        cell: text.to_string(),
        name,
        email: record.get("email").map(email).transpose()?,
        interaction,
    })
}

/// The marker of a row: a hash of what the row records (not the customer's name or
/// email) and which copy of an identical row in the file it is.
pub fn marker(customer: &CustomerId, interaction: &Interaction, occurrence: usize) -> String {
    let items = interaction.items.join("\u{1e}");
    let parts = [
        customer.as_str().to_string(),
        interaction.date.to_string(),
        interaction.kind.name().to_string(),
        interaction
            .amount
            .map(|a| a.cents().to_string())
            .unwrap_or_default(),
        items,
        interaction
            .rating
            .map(|r| r.to_string())
            .unwrap_or_default(),
        interaction.summary.clone().unwrap_or_default(),
        interaction.channel.clone().unwrap_or_default(),
        interaction
            .follow_up
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ];
    format!(
        "{:016x}-{occurrence}",
        fnv1a64(parts.join("\u{1f}").as_bytes())
    )
}

/// What an interaction records, as a key: equal for two interactions exactly when an
/// import row would give both the same marker.
fn content(customer: &CustomerId, interaction: &Interaction) -> String {
    marker(customer, interaction, 0)
}

/// An interaction of a customer's file as an import row would have given it: text
/// trimmed and empty text dropped, as CSV cells are read. So that a hand-logged
/// `summary: "tea "` is recognised in the `tea` of an export of it.
fn as_read_from_csv(interaction: &Interaction) -> Interaction {
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    Interaction {
        summary: text(&interaction.summary),
        channel: text(&interaction.channel),
        items: interaction
            .items
            .iter()
            .map(|i| i.trim())
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect(),
        ..interaction.clone()
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike std's hasher.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What will be written for one customer.
struct Batch {
    target: Target,
    interactions: Vec<Interaction>,
}

/// The file a [`Batch`] goes to: a new customer, or one read while planning (under the
/// lock, so the write needs no second read).
enum Target {
    New(NewCustomer),
    Existing(Box<Loaded>),
}

fn interactions(
    ctx: &Context,
    args: &InteractionArgs,
    purchases: bool,
    out: &mut dyn Write,
) -> Result<u8> {
    let InteractionArgs {
        file: args,
        allow_duplicates,
    } = args;
    let book = ctx.book()?;
    let (required, optional): (&[&str], &[&str]) = if purchases {
        (
            &["customer", "date", "amount"],
            &["item", "items", "name", "email", "summary", "channel"],
        )
    } else {
        (
            &["customer", "date", "kind"],
            &[
                "amount",
                "item",
                "items",
                "rating",
                "summary",
                "channel",
                "follow_up",
                "name",
                "email",
            ],
        )
    };
    let (records, mut problems) = read_csv(&args.file, required, optional)?;
    let shown = problems.file.clone();
    let mut rows = Vec::with_capacity(records.len());
    for record in &records {
        match interaction_row(record, purchases, &book) {
            Ok(row) => rows.push(row),
            Err(message) => problems.add(record.line, message),
        }
    }
    problems.check()?;

    let by_customer = with_markers(rows);
    // Lock before reading what is in the book, so two imports cannot both decide a
    // row is new.
    let mut lock = book.lock()?;
    let Plan { batches, copies } = plan(&book, by_customer, *allow_duplicates, &mut problems)?;
    problems.check()?;
    let written: usize = batches.iter().map(|(_, b)| b.interactions.len()).sum();
    let imported_earlier = records.len() - written - copies;
    let created = batches
        .iter()
        .filter(|(_, b)| matches!(b.target, Target::New(_)))
        .count();
    let what = if purchases { "purchase" } else { "interaction" };
    let mut summary = format!(
        "{}{written} {what}{} for {} customer{} ({created} new) from {shown}",
        if args.dry_run {
            "would import "
        } else {
            "imported "
        },
        plural(written),
        batches.len(),
        plural(batches.len()),
    );
    let earlier = format!(
        "{imported_earlier} row{} already imported earlier",
        plural(imported_earlier)
    );
    let identical = format!(
        "{copies} row{} identical to interactions that no import wrote",
        plural(copies)
    );
    if written == 0 && !records.is_empty() {
        let why = match (imported_earlier, copies) {
            (_, 0) => "imported earlier".to_string(),
            (0, _) => "identical to interactions that no import wrote".to_string(),
            _ => format!("{earlier}, {identical}"),
        };
        summary = format!(
            "nothing to import: all {} rows of {shown} are already in the book ({why})",
            records.len()
        );
    } else {
        if imported_earlier > 0 {
            summary.push_str(&format!("; skipped {earlier}"));
        }
        if copies > 0 {
            summary.push_str(&format!("; skipped {identical}"));
        }
    }
    let hint = || {
        if copies > 0 {
            eprintln!(
                "hint: {copies} row{} of {shown} match{} interactions that no import wrote \
                 (logged by hand, say) and {} skipped as copies of them; if {} new, run the \
                 import again with --allow-duplicates",
                plural(copies),
                if copies == 1 { "es" } else { "" },
                if copies == 1 { "was" } else { "were" },
                if copies == 1 { "it is" } else { "they are" },
            );
        }
    };
    if args.dry_run {
        writeln!(out, "{summary}")?;
        hint();
        return Ok(EXIT_OK);
    }

    let entries: Vec<BatchEntry> = batches
        .iter()
        .map(|(id, batch)| BatchEntry {
            id,
            target: match &batch.target {
                Target::New(customer) => BatchTarget::New(customer),
                Target::Existing(loaded) => BatchTarget::Existing(loaded),
            },
            interactions: &batch.interactions,
        })
        .collect();
    write(&book, &mut lock, &entries)?;
    let message = format!(
        "import {written} {what}{} from {}",
        plural(written),
        file_name(&args.file)
    );
    writeln!(out, "{summary}")?;
    super::finish_write(ctx, &book, lock, &message, out)?;
    hint();
    Ok(EXIT_OK)
}

/// Gives each row its import marker and groups the rows by customer.
fn with_markers(rows: Vec<Row>) -> BTreeMap<CustomerId, Vec<Row>> {
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut by_customer: BTreeMap<CustomerId, Vec<Row>> = BTreeMap::new();
    for mut row in rows {
        let count = occurrences
            .entry(marker(&row.customer, &row.interaction, 0))
            .or_default();
        *count += 1;
        row.interaction.import = Some(marker(&row.customer, &row.interaction, *count));
        by_customer
            .entry(row.customer.clone())
            .or_default()
            .push(row);
    }
    by_customer
}

/// What an import will write, and how many rows it skips as copies of interactions
/// that no import wrote.
struct Plan {
    batches: Vec<(CustomerId, Batch)>,
    copies: usize,
}

/// Decides what to write for each customer: a new file for customers that do not
/// exist; for the others, the rows whose marker is not already in the customer's file,
/// less copies of unmarked interactions (unless `allow_duplicates`): when the file
/// holds K unmarked interactions with some content, the first K remaining rows with
/// that content are taken for them. Customer files that cannot be read are added to
/// `problems`.
fn plan(
    book: &Book,
    by_customer: BTreeMap<CustomerId, Vec<Row>>,
    allow_duplicates: bool,
    problems: &mut Problems,
) -> Result<Plan> {
    let every = book.config.default_every();
    let mut batches = Vec::new();
    let mut copies = 0;
    // The existing customers' files are read in parallel, once: the batch keeps each
    // for the write.
    let read: Vec<(CustomerId, Vec<Row>, Option<Result<Loaded>>)> = by_customer
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(id, rows)| {
            let existing = book.exists(&id).then(|| book.load(&id));
            (id, rows, existing)
        })
        .collect();
    for (id, rows, existing) in read {
        let (target, known, unmarked) = match existing {
            Some(Ok(loaded)) => {
                let mut known = HashSet::new();
                let mut unmarked: HashMap<String, usize> = HashMap::new();
                for interaction in &loaded.customer.interactions {
                    match &interaction.import {
                        Some(marker) => {
                            known.insert(marker.clone());
                        }
                        None => {
                            let key = content(&id, &as_read_from_csv(interaction));
                            *unmarked.entry(key).or_default() += 1;
                        }
                    }
                }
                (Target::Existing(Box::new(loaded)), known, unmarked)
            }
            Some(Err(e)) => {
                problems.add(rows[0].line, format!("customer `{id}`: {}", e.message));
                continue;
            }
            None => {
                let customer = NewCustomer {
                    name: rows
                        .iter()
                        .find_map(|r| r.name.clone())
                        .unwrap_or_else(|| rows[0].cell.clone()),
                    email: rows.iter().find_map(|r| r.email.clone()),
                    since: rows.iter().map(|r| r.interaction.date).min(),
                    every,
                    ..NewCustomer::default()
                };
                (Target::New(customer), HashSet::new(), HashMap::new())
            }
        };
        let mut matched: HashMap<String, usize> = HashMap::new();
        let mut fresh = Vec::new();
        for interaction in rows.into_iter().map(|r| r.interaction) {
            if interaction
                .import
                .as_ref()
                .is_some_and(|m| known.contains(m))
            {
                continue;
            }
            if !allow_duplicates && !unmarked.is_empty() {
                let key = content(&id, &interaction);
                let available = unmarked.get(&key).copied().unwrap_or(0);
                let used = matched.entry(key).or_default();
                if *used < available {
                    *used += 1;
                    copies += 1;
                    continue;
                }
            }
            fresh.push(interaction);
        }
        if !fresh.is_empty() {
            batches.push((
                id,
                Batch {
                    target,
                    interactions: fresh,
                },
            ));
        }
    }
    Ok(Plan { batches, copies })
}

fn customers(ctx: &Context, args: &FileArgs, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let (records, mut problems) = read_csv(
        &args.file,
        &["name"],
        &[
            "id",
            "email",
            "phone",
            "company",
            "tags",
            "birthday",
            "since",
            "every",
            "preferences",
        ],
    )?;
    let shown = problems.file.clone();
    let default_every = book.config.default_every();
    let mut rows: Vec<(u64, CustomerId, NewCustomer)> = Vec::new();
    let mut lines: HashMap<CustomerId, u64> = HashMap::new();
    for record in &records {
        match customer_row(record, default_every, ctx.today) {
            Ok((id, customer)) => {
                if let Some(first) = lines.insert(id.clone(), record.line) {
                    problems.add(
                        record.line,
                        format!("customer `{id}` is also on line {first}"),
                    );
                }
                rows.push((record.line, id, customer));
            }
            Err(message) => problems.add(record.line, message),
        }
    }
    problems.check()?;
    let mut lock = book.lock()?;
    // One file-system look-up per row, in parallel.
    let exists: Vec<bool> = rows.par_iter().map(|(_, id, _)| book.exists(id)).collect();
    let (existing, fresh): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .zip(exists)
        .partition(|(_, exists)| *exists);
    let existing: Vec<_> = existing.into_iter().map(|(row, _)| row).collect();
    let fresh: Vec<_> = fresh.into_iter().map(|(row, _)| row).collect();
    let mut summary = format!(
        "{} {} customer{} from {shown}",
        if args.dry_run {
            "would import"
        } else {
            "imported"
        },
        fresh.len(),
        plural(fresh.len())
    );
    if !existing.is_empty() {
        let ids: Vec<String> = existing
            .iter()
            .take(5)
            .map(|(_, id, _)| id.to_string())
            .collect();
        summary.push_str(&format!(
            "; skipped {} that already exist{} ({}{})",
            existing.len(),
            if existing.len() == 1 { "s" } else { "" },
            ids.join(", "),
            if existing.len() > 5 { ", ..." } else { "" }
        ));
    }
    let hint = unmerged_hint(&book, &existing, &shown);
    if args.dry_run {
        writeln!(out, "{summary}")?;
        if let Some(hint) = hint {
            eprintln!("{hint}");
        }
        return Ok(EXIT_OK);
    }
    let entries: Vec<BatchEntry> = fresh
        .iter()
        .map(|(_, id, customer)| BatchEntry {
            id,
            target: BatchTarget::New(customer),
            interactions: &[],
        })
        .collect();
    write(&book, &mut lock, &entries)?;
    let message = format!(
        "import {} customer{} from {}",
        fresh.len(),
        plural(fresh.len()),
        file_name(&args.file)
    );
    writeln!(out, "{summary}")?;
    super::finish_write(ctx, &book, lock, &message, out)?;
    if let Some(hint) = hint {
        eprintln!("{hint}");
    }
    Ok(EXIT_OK)
}

/// Above this many skipped customers, [`unmerged_hint`] compares rows with the
/// customers' summaries (one whole-book read, mostly from the summary cache) rather
/// than reading each customer's file: reading 100 000 files took seconds, most of a
/// dry run of re-importing a big book's export.
const SUMMARIES_ABOVE: usize = 1000;

/// Existing customers are skipped whole: a hint naming those the file has details for
/// that their files lack, so that nothing is lost unnoticed (typically after importing
/// interactions before customers, which creates bare customers).
fn unmerged_hint(
    book: &Book,
    existing: &[(u64, CustomerId, NewCustomer)],
    shown: &str,
) -> Option<String> {
    // A file that cannot be read is reported by every other command; here it is only
    // not compared.
    let mut lacking: Vec<String> = if existing.len() > SUMMARIES_ABOVE {
        let scan = scan::summaries(book).ok()?;
        let by_id: HashMap<&str, &Summary> =
            scan.items.iter().map(|s| (s.id.as_str(), s)).collect();
        existing
            .iter()
            .filter_map(|(_, id, row)| {
                let held = Held::of_summary(by_id.get(id.as_str())?);
                lacking_line(id, &held, row)
            })
            .collect()
    } else {
        existing
            .par_iter()
            .filter_map(|(_, id, row)| {
                let loaded = book.load(id).ok()?;
                lacking_line(id, &Held::of_customer(&loaded.customer), row)
            })
            .collect()
    };
    if lacking.is_empty() {
        return None;
    }
    let count = lacking.len();
    let more = if count > 5 { "; ..." } else { "" };
    lacking.truncate(5);
    Some(format!(
        "hint: {count} skipped customer{} {} details in {shown} that were not copied \
         ({}{more}); import never changes customers that exist: edit them with `crm edit ID`, \
         and when copying a book import customers before interactions (docs/import.md)",
        plural(count),
        if count == 1 { "has" } else { "have" },
        lacking.join("; "),
    ))
}

/// `id: field, field` for a skipped customer the row has more to say about.
fn lacking_line(id: &CustomerId, held: &Held, row: &NewCustomer) -> Option<String> {
    let fields = unmerged(held, row);
    (!fields.is_empty()).then(|| format!("{id}: {}", fields.join(", ")))
}

/// What a customer's file holds of the details a customers row gives, from the file
/// itself or from its summary.
struct Held<'a> {
    name: &'a str,
    email: bool,
    phone: bool,
    company: bool,
    tags: bool,
    birthday: bool,
    since: bool,
    preferences: bool,
}

impl Held<'_> {
    fn of_customer(c: &Customer) -> Held<'_> {
        Held {
            name: &c.name,
            email: c.email.is_some(),
            phone: c.phone.is_some(),
            company: c.company.is_some(),
            tags: !c.tags.is_empty(),
            birthday: c.birthday.is_some(),
            since: c.since.is_some(),
            preferences: !c.preferences.is_empty(),
        }
    }

    fn of_summary(s: &Summary) -> Held<'_> {
        Held {
            name: &s.name,
            email: s.email.is_some(),
            phone: s.phone.is_some(),
            company: s.company.is_some(),
            tags: !s.tags.is_empty(),
            birthday: s.birthday.is_some(),
            since: s.since.is_some(),
            preferences: s.preferences > 0,
        }
    }
}

/// The fields a customers row gives that differ from the existing customer's
/// (`name`) or that the customer lacks (the rest).
fn unmerged(held: &Held, row: &NewCustomer) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if row.name != held.name {
        fields.push("name");
    }
    let pairs = [
        ("email", row.email.is_some(), held.email),
        ("phone", row.phone.is_some(), held.phone),
        ("company", row.company.is_some(), held.company),
        ("tags", !row.tags.is_empty(), held.tags),
        ("birthday", row.birthday.is_some(), held.birthday),
        ("since", row.since.is_some(), held.since),
        ("preferences", !row.preferences.is_empty(), held.preferences),
    ];
    for (field, in_row, in_book) in pairs {
        if in_row && !in_book {
            fields.push(field);
        }
    }
    fields
}

/// A customers row, checked by the rules `crm add` applies (`crate::domain::contact`).
fn customer_row(
    record: &Record,
    default_every: Option<Cadence>,
    today: NaiveDate,
) -> std::result::Result<(CustomerId, NewCustomer), String> {
    let name = contact::name(record.get("name").unwrap_or(""))?.to_string();
    let id = match record.get("id") {
        Some(id) => CustomerId::parse(id),
        None => CustomerId::from_name(&name),
    }
    .map_err(|e| e.message)?;
    let date = |column: &str| record.get(column).map(|t| iso_date(column, t)).transpose();
    // An `every` column speaks for every row: an empty cell is "no cadence", as
    // `crm export customers` writes it. Only a file without the column gets the book's
    // default, as `crm add` without `--every` does; otherwise a copied book would give
    // cadences to customers who had none.
    let every = match record.get("every") {
        Some(text) => Some(Cadence::parse(text).map_err(|m| format!("every: {m}"))?),
        None if record.has_column("every") => None,
        None => default_every,
    };
    let mut preferences = Vec::new();
    for pair in raw_list(record.get("preferences")) {
        let parts = crate::render::split_cell(pair, '=');
        let (key, value) = match parts.split_first() {
            Some((key, rest)) if !rest.is_empty() => (
                crate::render::unescape_cell_item(key),
                crate::render::unescape_cell_item(&rest.join("=")),
            ),
            _ => return Err(format!("preference {pair:?} is not key=value")),
        };
        preferences.push((key.trim().to_string(), value.trim().to_string()));
    }
    contact::preferences(&preferences).map_err(|m| format!("preference {m}"))?;
    let birthday = date("birthday")?;
    if let Some(birthday) = birthday {
        contact::birthday(birthday, today).map_err(|m| format!("birthday {m}"))?;
    }
    let customer = NewCustomer {
        name,
        email: record.get("email").map(email).transpose()?,
        phone: record.get("phone").map(str::to_string),
        company: record.get("company").map(str::to_string),
        tags: list(record.get("tags")),
        birthday,
        since: date("since")?,
        every,
        preferences,
    };
    Ok((id, customer))
}

/// Writes every customer file of the import once, with a progress bar on a terminal.
fn write(book: &Book, lock: &mut WriteLock, entries: &[BatchEntry]) -> Result<()> {
    let mut progress = Progress::new(entries.len());
    let result = book.write_batch(lock, entries, &mut |done| progress.tick(done));
    progress.finish();
    result.map_err(|err| partial(err, lock.written().len(), entries.len()))
}

/// A write failed part-way: say exactly how far the import got.
fn partial(mut err: Error, done: usize, total: usize) -> Error {
    if done > 0 {
        // Not exit 2, which says nothing was changed: these files were.
        err.kind = ErrorKind::PartlyWritten;
        err.message = format!(
            "{}; {done} of {total} customer files had been written before this",
            err.message.replace("; nothing was written", "")
        );
        err.hint = Some(
            "fix the problem and run the same import again: rows already written are skipped"
                .to_string(),
        );
    }
    if err.kind == ErrorKind::AlreadyExists && done == 0 {
        err.hint =
            Some("another process added this customer meanwhile; run the import again".to_string());
    }
    err
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A one-line progress counter on stderr, shown only when stderr is a terminal.
struct Progress {
    total: usize,
    shown: usize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            shown: 0,
            enabled: total >= 50 && std::io::stderr().is_terminal(),
        }
    }

    fn tick(&mut self, done: usize) {
        // Redraw at most a hundred times, whatever the size of the import.
        if self.enabled
            && (done * 100 / self.total > self.shown * 100 / self.total || done == self.total)
        {
            self.shown = done;
            let width = 30;
            let filled = done * width / self.total;
            eprint!(
                "\r[{}{}] {done}/{} customer files",
                "#".repeat(filled),
                " ".repeat(width - filled),
                self.total
            );
        }
    }

    fn finish(&mut self) {
        if self.enabled && self.shown > 0 {
            eprint!("\r{}\r", " ".repeat(60));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(date: &str, amount: &str) -> Interaction {
        let mut i = Interaction::new(
            NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            Kind::Purchase,
        );
        i.amount = Some(Money::parse(amount).unwrap());
        i
    }

    /// Markers are stored in people's files: if this value changes, re-importing a file
    /// imported with an older crm would double its data.
    #[test]
    fn marker_is_stable_across_versions() {
        let ada = CustomerId::parse("ada").unwrap();
        assert_eq!(
            marker(&ada, &purchase("2025-01-10", "20.00"), 1),
            "3ed87729bf726bf9-1"
        );
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn marker_tells_copies_and_amounts_apart_but_not_spellings() {
        let ada = CustomerId::parse("ada").unwrap();
        let one = marker(&ada, &purchase("2025-01-10", "20.00"), 1);
        assert_ne!(one, marker(&ada, &purchase("2025-01-10", "20.00"), 2));
        assert_ne!(one, marker(&ada, &purchase("2025-01-10", "20.01"), 1));
        assert_eq!(one, marker(&ada, &purchase("2025-01-10", "20"), 1));
    }

    /// The line each record of `text` starts on, as `read_csv` numbers them.
    fn record_lines(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lines = Lines::new(text.as_bytes());
        reader
            .records()
            .map(|r| lines.of(r.unwrap().position()))
            .collect()
    }

    #[test]
    fn lines_are_counted_for_every_kind_of_line_end() {
        let rows = "h,i\na,1\n\"b\nb\",2\n\nc,3\n";
        assert_eq!(record_lines(rows), [2, 3, 6]);
        assert_eq!(record_lines(&rows.replace('\n', "\r\n")), [2, 3, 6]);
        assert_eq!(record_lines(&rows.replace('\n', "\r")), [2, 3, 6]);
        // No line end after the last row.
        assert_eq!(record_lines("h\r\na\r\nb"), [2, 3]);
    }
}
