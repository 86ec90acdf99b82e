//! Rendering computed views: tables for people (boxed on a terminal, plain aligned
//! columns in a pipe), CSV and JSON for scripts. Nothing here computes or reads files.

use std::borrow::Cow;
use std::io::Write;

use clap::ValueEnum;
use comfy_table::{
    presets, Attribute, Cell, ColumnConstraint, ContentArrangement, Table as Comfy,
    Width as ColumnWidth,
};
use serde::Serialize;

use crate::error::{Error, Result};

/// Output formats of list-like commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A table: boxed on a terminal, plain aligned columns when piped.
    Table,
    /// JSON: one pretty-printed document.
    Json,
    /// CSV with a header row.
    Csv,
}

/// How [`Table::write_text`] lays a table out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Plain aligned columns, one line per row, whatever their length.
    Plain,
    /// Boxes, wrapped to fit `width` columns when it is known.
    Boxed {
        /// The terminal's width in columns.
        width: Option<usize>,
    },
}

impl Layout {
    /// Boxed on a terminal (`width` is its width when known), plain otherwise.
    pub(crate) fn for_stdout(is_tty: bool, width: Option<usize>) -> Layout {
        if is_tty {
            Layout::Boxed { width }
        } else {
            Layout::Plain
        }
    }
}

/// `true`: boxed, of unknown width; `false`: plain.
impl From<bool> for Layout {
    fn from(tty: bool) -> Layout {
        Layout::for_stdout(tty, None)
    }
}

/// A table of text cells, rendered as boxes, plain columns or CSV.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    /// Column titles.
    pub(crate) headers: Vec<String>,
    /// Rows of cells, as many as there are headers.
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column titles.
    pub(crate) fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Writes the table for a person: boxed to fit the terminal, or plain aligned
    /// columns (a pipe, a file) that are never wrapped, so that `cut` and `awk` see
    /// whole cells.
    pub(crate) fn write_text(
        &self,
        out: &mut dyn Write,
        layout: impl Into<Layout>,
        color: bool,
    ) -> Result<()> {
        if let Layout::Boxed { width } = layout.into() {
            let mut table = Comfy::new();
            table.load_preset(presets::UTF8_FULL_CONDENSED);
            if let Some(width) = width {
                table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
                table.set_content_arrangement(ContentArrangement::Dynamic);
            }
            if color {
                table.enforce_styling();
            } else {
                table.force_no_tty();
            }
            table.set_header(self.headers.iter().map(|h| {
                let cell = Cell::new(h);
                if color {
                    cell.add_attribute(Attribute::Bold)
                } else {
                    cell
                }
            }));
            for row in &self.rows {
                table.add_row(row.iter().map(|cell| one_line(cell).into_owned()));
            }
            // Too wide for the terminal: the narrow columns (ids, dates, amounts) stay
            // whole and comfy wraps the widest ones (splitting a word longer than its
            // column, too), so that no line is wider than the terminal.
            if let Some(width) = width {
                let widths = self.content_widths();
                for column in kept_whole(&widths, width) {
                    if let Some(c) = table.column_mut(column) {
                        // An absolute width counts the padding too.
                        let fixed = u16::try_from(widths[column] + 2).unwrap_or(u16::MAX);
                        c.set_constraint(ColumnConstraint::Absolute(ColumnWidth::Fixed(fixed)));
                    }
                }
            }
            writeln!(out, "{table}")?;
            return Ok(());
        }
        let widths = self.content_widths();
        write_plain(out, &self.headers, &widths, self.rows.iter(), color)
    }

    /// The widest cell of each column (its title included), in characters.
    fn content_widths(&self) -> Vec<usize> {
        let mut widths = header_widths(&self.headers);
        for row in &self.rows {
            widen(&mut widths, row);
        }
        widths
    }

    /// Writes the table as CSV with a header row.
    pub(crate) fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        write_csv_rows(out, &self.headers, &self.rows)
    }

    /// Writes the table as CSV for a spreadsheet: every text cell a spreadsheet would
    /// run as a formula is neutralised (see [`neutralise_formula`]).
    pub(crate) fn write_csv_for_spreadsheets(&self, out: &mut dyn Write) -> Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&self.headers).map_err(csv_error)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|c| neutralise_formula(c).into_owned()))
                .map_err(csv_error)?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// The width of each column's title, in characters.
fn header_widths(headers: &[impl AsRef<str>]) -> Vec<usize> {
    headers.iter().map(|h| h.as_ref().chars().count()).collect()
}

/// Widens `widths` to fit `row`'s cells.
fn widen(widths: &mut [usize], row: &[String]) {
    for (width, cell) in widths.iter_mut().zip(row) {
        *width = (*width).max(one_line(cell).chars().count());
    }
}

/// Writes plain aligned columns of `widths`: the `headers`, then `rows`.
fn write_plain(
    out: &mut dyn Write,
    headers: &[impl AsRef<str>],
    widths: &[usize],
    rows: impl Iterator<Item = impl std::borrow::Borrow<Vec<String>>>,
    color: bool,
) -> Result<()> {
    let columns = headers.len();
    let mut line = String::new();
    let push = |line: &mut String, i: usize, cell: &str| {
        let cell = one_line(cell);
        line.push_str(&cell);
        if i + 1 < columns {
            let pad = widths[i] - cell.chars().count() + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    };
    for (i, header) in headers.iter().enumerate() {
        push(&mut line, i, header.as_ref());
    }
    // `--color always` into a pipe (`| less -R`) still gets a bold header.
    writeln!(out, "{}", paint(line.trim_end(), Style::Bold, color))?;
    for row in rows {
        line.clear();
        for (i, cell) in row.borrow().iter().enumerate().take(columns) {
            push(&mut line, i, cell);
        }
        writeln!(out, "{}", paint(line.trim_end(), Style::Plain, color))?;
    }
    Ok(())
}

/// Writes the rows that `rows` makes under `headers` as [`Table::write_text`] writes
/// a table of them, without holding them when the layout is plain: `rows` is called
/// twice, once to size the columns and once to write them. A boxed table (a
/// terminal) needs every row at once and collects them.
pub(crate) fn write_text_rows<I: Iterator<Item = Vec<String>>>(
    out: &mut dyn Write,
    headers: &[&str],
    rows: impl Fn() -> I,
    layout: impl Into<Layout>,
    color: bool,
) -> Result<()> {
    let layout = layout.into();
    if let Layout::Boxed { .. } = layout {
        let mut table = Table::new(headers);
        for row in rows() {
            table.push(row);
        }
        return table.write_text(out, layout, color);
    }
    let mut widths = header_widths(headers);
    for row in rows() {
        widen(&mut widths, &row);
    }
    write_plain(out, headers, &widths, rows(), color)
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
pub(crate) const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a spreadsheet shows it as text: a cell starting with one of
/// [`FORMULA_STARTS`] (or with `'`) gets a leading `'` (OWASP's rule), unless it is a plain number
/// (`-5.00`, `+3`), which stays a number. `crm import` takes the `'` off again.
pub(crate) fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    // A cell that starts with `'` gets one more, so that taking one off on import
    // gives back exactly what the book holds.
    let risky = cell.starts_with(FORMULA_STARTS) || cell.starts_with('\'');
    if !risky || is_plain_number(cell) {
        return Cow::Borrowed(cell);
    }
    Cow::Owned(format!("'{cell}"))
}

/// A cell as crm's own spreadsheet-safe CSV meant it: the `'` that
/// [`neutralise_formula`] added is taken off.
pub(crate) fn unneutralise_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// `[+-]digits[.digits]`: a number a spreadsheet reads as a number, never a formula.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn csv_error(err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => Error::from(io),
        other => Error::new(
            crate::error::ErrorKind::Io,
            format!("failed to write CSV: {other:?}"),
        ),
    }
}

/// The columns of a boxed table `width` characters wide that keep their whole content
/// when the table does not fit: the widest columns are cut down first, all to the same
/// width (the largest that lets the table fit), and every column no wider than that
/// stays whole. Empty when everything fits.
fn kept_whole(widths: &[usize], width: usize) -> Vec<usize> {
    // Each column has a space of padding on both sides and one border on its left; the
    // table one more on the right.
    let frame = widths.len() * 3 + 1;
    let budget = width.saturating_sub(frame);
    let needed = |cap: usize| widths.iter().map(|&w| w.min(cap)).sum::<usize>();
    if needed(usize::MAX) <= budget {
        return Vec::new();
    }
    let widest = widths.iter().copied().max().unwrap_or(0);
    let cap = (0..widest)
        .rev()
        .find(|&cap| needed(cap) <= budget)
        .unwrap_or(0);
    (0..widths.len()).filter(|&i| widths[i] <= cap).collect()
}

/// Writes `value` as pretty JSON followed by a newline.
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(json_error)?;
    writeln!(out)?;
    Ok(())
}

fn json_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        Error::from(std::io::Error::from(e))
    } else {
        Error::new(
            crate::error::ErrorKind::Io,
            format!("failed to write JSON: {e}"),
        )
    }
}

/// Writes `items` as one pretty JSON array, exactly as [`write_json`] writes a vector
/// of them, without collecting them first: a whole-book listing is written as it is
/// made.
pub(crate) fn write_json_seq<T: Serialize>(
    out: &mut dyn Write,
    items: impl IntoIterator<Item = T>,
) -> Result<()> {
    use serde::Serializer as _;
    let mut serializer = serde_json::Serializer::pretty(&mut *out);
    serializer.collect_seq(items).map_err(json_error)?;
    writeln!(out)?;
    Ok(())
}

/// Writes a CSV of `headers` and `rows` (a table's, or rows made one at a time as they
/// are written, without holding a table).
pub(crate) fn write_csv_rows<R: IntoIterator<Item: AsRef<[u8]>>>(
    out: &mut dyn Write,
    headers: &[impl AsRef<str>],
    rows: impl IntoIterator<Item = R>,
) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(headers.iter().map(|h| h.as_ref()))
        .map_err(csv_error)?;
    for row in rows {
        writer.write_record(row).map_err(csv_error)?;
    }
    writer.flush()?;
    Ok(())
}

/// Wraps `text` in an ANSI style when colour is on.
pub(crate) fn paint(text: &str, style: Style, color: bool) -> String {
    let code = match style {
        _ if !color => return text.to_string(),
        Style::Plain => return text.to_string(),
        Style::Bold => "1",
        Style::Red => "31",
        Style::Yellow => "33",
        Style::Green => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The few styles crm uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// No style at all.
    Plain,
    /// Headings.
    Bold,
    /// Overdue.
    Red,
    /// Due soon.
    Yellow,
    /// Good news.
    Green,
}

/// `text` on one line: line breaks, tabs and other control characters become spaces, so
/// that line-oriented output (piped tables, the cron digest) keeps one record per line.
///
/// This also makes text from customer files safe to print on a terminal: escape
/// sequences (ESC is a control character) and bidirectional overrides, which could
/// recolour the terminal or disguise what is shown, are replaced as well.
pub(crate) fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII, most text, needs no decoding into characters.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if text.chars().any(unsafe_char) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { ' ' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Text pairs serialised as a JSON object in their own order (a `serde_json::Map`
/// would sort the keys; preferences are shown in the order the person wrote them).
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderedMap(pub Vec<(String, String)>);

impl Serialize for OrderedMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The key by which names sort for people: case and accents folded (`Émile` sorts
/// with `Emile`, between `Dmitri` and `Farah`, not after `Zoe`).
pub(crate) fn name_sort_key(name: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    name.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// An optional value as table text (`-` when absent).
pub(crate) fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// An optional value as CSV text (empty when absent).
pub(crate) fn or_empty<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}
pub(crate) mod describe;
pub(crate) mod html;
pub(crate) mod message;

/// `item` with `\` and every character of `special` escaped by a backslash, for lists
/// packed into one CSV cell (`vip;wholesale`, `coffee=oat\; no sugar`).
pub(crate) fn escape_cell_item(item: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(item.len());
    for c in item.chars() {
        if c == '\\' || special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The parts of `text` between separators `sep` that are not escaped by a backslash;
/// escapes are left in place (see [`unescape_cell_item`]).
pub(crate) fn split_cell(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `text` with backslash escapes removed (`\;` → `;`, `\\` → `\`).
pub(crate) fn unescape_cell_item(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_read_back() {
        for (cell, shown) in [
            ("=1+1", "'=1+1"),
            ("+44 20 7946", "'+44 20 7946"),
            ("-x", "'-x"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("'plain", "''plain"),
            ("-5.00", "-5.00"),
            ("+3", "+3"),
            ("12", "12"),
            ("Ada", "Ada"),
            ("", ""),
            ("-", "'-"),
            ("-.5", "'-.5"),
        ] {
            assert_eq!(neutralise_formula(cell), shown, "{cell:?}");
            assert_eq!(unneutralise_formula(&neutralise_formula(cell)), cell);
        }
    }

    #[test]
    fn names_sort_with_accents_and_case_folded() {
        let mut names = vec!["Zoe", "Émile Zola", "lena", "Emil", "ÅSA"];
        names.sort_by_cached_key(|n| name_sort_key(n));
        assert_eq!(names, ["ÅSA", "Emil", "Émile Zola", "lena", "Zoe"]);
    }

    #[test]
    fn ordered_map_keeps_the_written_order() {
        let map = OrderedMap(vec![
            ("zebra".into(), "1".into()),
            ("apple".into(), "2".into()),
        ]);
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"zebra":"1","apple":"2"}"#
        );
    }

    #[test]
    fn boxed_tables_fit_the_width_keeping_narrow_columns_whole() {
        let mut table = Table::new(&["id", "name", "notes", "revenue"]);
        table.push(vec![
            "ada".into(),
            "Ada Lovelace".into(),
            "a long note about the analytical engine and its many uses".into(),
            "129.00".into(),
        ]);
        table.push(vec![
            "bob".into(),
            "Bob".into(),
            "short".into(),
            "0.00".into(),
        ]);
        for width in [40, 50, 60] {
            let mut out = Vec::new();
            table
                .write_text(&mut out, Layout::Boxed { width: Some(width) }, false)
                .unwrap();
            let text = String::from_utf8(out).unwrap();
            for line in text.lines() {
                assert!(line.chars().count() <= width, "{width}: {line:?}\n{text}");
            }
            // Ids and amounts are not cut; the note is wrapped over several lines.
            assert!(
                text.contains(" ada ") && text.contains(" 129.00 "),
                "{text}"
            );
            assert!(text.lines().count() > 6, "{text}");
        }
        // Wide enough: one line per row, nothing wrapped.
        let mut out = Vec::new();
        table
            .write_text(&mut out, Layout::Boxed { width: Some(200) }, false)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 6);
        assert_eq!(kept_whole(&[3, 12, 57, 7], 200), Vec::<usize>::new());
        // 40 wide: 13 of frame leaves 27 = 3 + 8 + 8 + 7 (+1), so the name and the
        // note are cut to 8 and the id and the revenue stay whole.
        assert_eq!(kept_whole(&[3, 12, 57, 7], 40), [0, 3]);
    }

    #[test]
    fn plain_tables_get_a_bold_header_only_when_colour_is_forced() {
        let mut table = Table::new(&["id", "name"]);
        table.push(vec!["ada".into(), "Ada".into()]);
        let mut plain = Vec::new();
        table.write_text(&mut plain, false, false).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), "id   name\nada  Ada\n");
        let mut coloured = Vec::new();
        table.write_text(&mut coloured, false, true).unwrap();
        assert_eq!(
            String::from_utf8(coloured).unwrap(),
            "\x1b[1mid   name\x1b[0m\nada  Ada\n"
        );
    }

    #[test]
    fn list_cells_round_trip_separators_and_backslashes() {
        let items = ["x;y", "back\\slash", "plain", "a=b"];
        let cell: Vec<String> = items.iter().map(|i| escape_cell_item(i, &[';'])).collect();
        let cell = cell.join(";");
        assert_eq!(cell, "x\\;y;back\\\\slash;plain;a=b");
        let back: Vec<String> = split_cell(&cell, ';')
            .into_iter()
            .map(unescape_cell_item)
            .collect();
        assert_eq!(back, items);
        let pair = format!(
            "{}={}",
            escape_cell_item("k=1", &[';', '=']),
            escape_cell_item("v=2; x", &[';'])
        );
        let parts = split_cell(&pair, '=');
        assert_eq!(unescape_cell_item(parts[0]), "k=1");
        assert_eq!(unescape_cell_item(&parts[1..].join("=")), "v=2; x");
    }
}
