//! Reading a CSV file for an import: the header checked against the columns the import
//! reads, every record with the line it starts on (right for CRLF files and for quoted
//! cells spanning lines), and every bad row collected so that all are reported at once.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use crate::error::{Error, Result};

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
        self.cells.get(index).filter(|v| !v.is_empty())
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
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, &e))?;
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
