//! Reading a CSV file for an import: the header checked against the columns the import
//! reads, every record with the line it starts on (right for CRLF files and for quoted
//! cells spanning lines), and every bad row collected so that all are reported at once.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::store::MAX_TEXT_BYTES;

/// At most this many bad rows are listed; the rest are counted.
const MAX_LISTED: usize = 20;

/// One CSV record: its line number and its cells, found by (lower-case) column name.
/// The header is shared by every record and the cells stay in the csv crate's one
/// buffer per record: a map of owned names and cells per row cost a tenth of a second
/// per 100 000 rows in allocations alone.
pub(crate) struct Record {
    pub(crate) line: u64,
    pub(super) columns: Rc<[String]>,
    pub(super) cells: csv::StringRecord,
}

impl Record {
    /// The cell of `column`, if the file has the column and the cell is not empty.
    pub(crate) fn get(&self, column: &str) -> Option<&str> {
        let index = self.columns.iter().position(|c| c == column)?;
        // crm's own export neutralises formulas (`'=...`): read back the original.
        self.cells
            .get(index)
            .map(crate::render::unneutralise_formula)
            .filter(|v| !v.is_empty())
    }

    /// Whether the file has `column` at all (its cell in this row may still be empty).
    pub(crate) fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }
}

/// Bad rows, collected so that every one is reported at once.
pub(crate) struct Problems {
    pub(crate) file: String,
    /// (line, message), in the order found.
    found: Vec<(u64, String)>,
}

impl Problems {
    pub(super) fn new(file: String) -> Problems {
        Problems {
            file,
            found: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, line: u64, message: impl std::fmt::Display) {
        self.found.push((line, message.to_string()));
    }

    /// Prints the first problems in line order (problems are found in several passes)
    /// and says how many more there are.
    fn print(&mut self, diag: &mut dyn Write) {
        self.found.sort_by_key(|(line, _)| *line);
        for (line, message) in self.found.iter().take(MAX_LISTED) {
            let _ = writeln!(diag, "{}:{line}: {message}", self.file);
        }
        if self.found.len() > MAX_LISTED {
            let _ = writeln!(diag, "... and {} more", self.found.len() - MAX_LISTED);
        }
    }

    /// Prints the problems and fails, or does nothing when there are none.
    pub(crate) fn check(&mut self, diag: &mut dyn Write) -> Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.print(diag);
        let count = self.found.len();
        Err(Error::invalid_file(format!(
            "{}: {count} bad row{}; nothing was imported",
            self.file,
            if count == 1 { "" } else { "s" }
        ))
        .with_hint("fix the rows named above, then run the import again"))
    }

    /// Like [`Problems::check`], for problems of the header row: the file's rows were
    /// not even looked at, so they are not counted as bad rows.
    fn check_header(&mut self, required: &[&str], diag: &mut dyn Write) -> Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.print(diag);
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
pub(super) struct Lines<'a> {
    bytes: &'a [u8],
    /// The offset counted up to so far, and the line it is on.
    byte: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            byte: 0,
            line: 1,
        }
    }

    /// The line on which the record at `position` starts (0 when the csv reader gave
    /// no position, which it always does for records it read).
    pub(super) fn of(&mut self, position: Option<&csv::Position>) -> u64 {
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
pub(crate) fn read_csv(
    path: &Path,
    required: &[&str],
    optional: &[&str],
    diag: &mut dyn Write,
) -> Result<(Vec<Record>, Problems)> {
    let shown = path.display().to_string();
    let bytes = read_bounded(path, &shown)?;
    let text = text_of(&bytes, &shown)?;
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .delimiter(crate::interop::text::separator(text))
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut problems = Problems::new(shown);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(e) => {
            problems.add(1, format!("the header {}", csv_message(&e)));
            problems.check_header(required, diag)?;
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
    problems.check_header(required, diag)?;
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

/// The file's bytes, refused up front when it is larger than [`MAX_CSV_BYTES`] (or,
/// for something that is not a regular file, when more than that can be read).
pub(super) fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>> {
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
        // (UTF-16 text is full of NUL bytes: its byte-order mark lets the decoder
        // refuse it with the `iconv` command instead.)
        let utf16 = [b"\xFF\xFE", b"\xFE\xFF"]
            .iter()
            .any(|bom| bytes.starts_with(*bom) || (bytes.is_empty() && part.starts_with(*bom)));
        if !utf16 && part.contains(&0) {
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

/// The file's bytes as UTF-8 text (byte-order mark removed), or the refusal naming the
/// line and the `iconv` command that converts it.
pub(super) fn text_of<'a>(bytes: &'a [u8], shown: &str) -> Result<&'a str> {
    crate::interop::text::decode(bytes, shown).map_err(|e| {
        Error::invalid_file(format!("{shown}:{}: {}", e.line, e.message)).with_hint(
            "crm reads UTF-8 files (with or without a byte-order mark); nothing was imported",
        )
    })
}

pub(super) fn csv_message(err: &csv::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
