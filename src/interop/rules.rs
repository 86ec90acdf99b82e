//! Mapping rules for any other CSV file, in the manner of hledger's `.rules` files: one
//! rule a line, saying which column holds the customer, the date, the amount and the
//! item, how dates and decimals are written, and which rows to skip. Pure: the rules'
//! text and the CSV's rows in, crm's purchase rows out.
//!
//! ```text
//! # shop.csv.rules
//! skip 1                          # lines before the data (here the header)
//! fields date, _, customer, email, amount, item
//! date-format %d.%m.%Y
//! decimal-mark ,
//! skip-if STORNO                  # rows containing this text
//! ```
//!
//! Instead of `fields`, a crm field may name its column: `amount %5` (the 5th column)
//! or `amount Betrag` (the column whose header is `Betrag`; the first line after `skip`
//! is then the header).

use chrono::NaiveDate;

/// The crm fields a rules file can fill, in the order of the rows it makes.
pub(crate) const FIELDS: [&str; 7] = [
    "customer", "date", "amount", "item", "name", "email", "summary",
];

/// Where a crm field is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A 0-based column.
    Column(usize),
    /// The column with this header.
    Header(String),
}

/// A parsed rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rules {
    skip: usize,
    separator: Option<u8>,
    date_format: Option<String>,
    decimal_comma: bool,
    skip_if: Vec<String>,
    sources: Vec<(&'static str, Source)>,
}

impl Rules {
    /// Reads the rules; a bad line is `(line, what is wrong)`.
    pub(crate) fn parse(text: &str) -> Result<Rules, (usize, String)> {
        let mut rules = Rules {
            skip: 0,
            separator: None,
            date_format: None,
            decimal_comma: false,
            skip_if: Vec::new(),
            sources: Vec::new(),
        };
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let content = raw.split_once(" #").map_or(raw, |(c, _)| c).trim();
            if content.is_empty() || content.starts_with('#') || content.starts_with(';') {
                continue;
            }
            let (rule, value) = content
                .split_once(char::is_whitespace)
                .map_or((content, ""), |(r, v)| (r, v.trim()));
            let value = unquote(value);
            match rule {
                "skip" => {
                    rules.skip = if value.is_empty() {
                        1
                    } else {
                        value.parse().map_err(|_| {
                            (line, format!("skip {value:?}: give the number of lines to skip, e.g. `skip 1`"))
                        })?
                    };
                }
                "separator" => {
                    rules.separator = Some(match value {
                        "," | "comma" => b',',
                        ";" | "semicolon" => b';',
                        "\\t" | "tab" | "TAB" => b'\t',
                        other => {
                            return Err((line, format!("separator {other:?}: use `,`, `;` or `tab`")))
                        }
                    });
                }
                "date-format" => {
                    let probe = NaiveDate::from_ymd_opt(2025, 1, 31).expect("a valid date");
                    let shown = probe.format(value).to_string();
                    if NaiveDate::parse_from_str(&shown, value) != Ok(probe) {
                        return Err((
                            line,
                            format!("date-format {value:?} cannot read a day, month and year back (e.g. %d.%m.%Y, %m/%d/%Y)"),
                        ));
                    }
                    rules.date_format = Some(value.to_string());
                }
                "decimal-mark" => match value {
                    "." => rules.decimal_comma = false,
                    "," => rules.decimal_comma = true,
                    other => return Err((line, format!("decimal-mark {other:?}: use `.` or `,`"))),
                },
                "skip-if" if !value.is_empty() => rules.skip_if.push(value.to_lowercase()),
                "fields" => {
                    for (i, name) in value.split(',').map(str::trim).enumerate() {
                        if let Some(field) = FIELDS.iter().find(|f| name.eq_ignore_ascii_case(f)) {
                            rules.set(field, Source::Column(i), line)?;
                        }
                    }
                }
                field if FIELDS.contains(&field) => {
                    let field = FIELDS.iter().find(|f| **f == field).expect("just checked");
                    let source = match value.strip_prefix('%').map(str::parse::<usize>) {
                        Some(Ok(n)) if n > 0 => Source::Column(n - 1),
                        Some(_) => return Err((line, format!("{field} {value}: columns count from %1"))),
                        None if value.is_empty() => {
                            return Err((line, format!("{field} needs a column: `{field} %3` or `{field} HEADER`")))
                        }
                        None => Source::Header(value.to_string()),
                    };
                    rules.set(field, source, line)?;
                }
                other => {
                    return Err((
                        line,
                        format!(
                            "unknown rule {other:?}; rules are skip, separator, date-format, decimal-mark, \
                             skip-if, fields and the fields {} (docs/import.md)",
                            FIELDS.join(", ")
                        ),
                    ))
                }
            }
        }
        for required in ["customer", "date", "amount"] {
            if !rules.sources.iter().any(|(f, _)| *f == required) {
                return Err((
                    0,
                    format!("no column is the {required}: add `{required} %N`, `{required} HEADER` or name it in `fields`"),
                ));
            }
        }
        Ok(rules)
    }

    fn set(
        &mut self,
        field: &'static str,
        source: Source,
        line: usize,
    ) -> Result<(), (usize, String)> {
        if self.sources.iter().any(|(f, _)| *f == field) {
            return Err((line, format!("the {field} column is given twice")));
        }
        self.sources.push((field, source));
        Ok(())
    }

    /// The separator the rules name, if any.
    pub(crate) fn separator(&self) -> Option<u8> {
        self.separator
    }

    /// crm's purchase rows (cells in the order of [`FIELDS`]) from the file's rows (all
    /// of them, each with its line), and the problems of rows that cannot be mapped.
    #[allow(clippy::type_complexity)]
    pub(crate) fn apply(
        &self,
        rows: &[(u64, Vec<String>)],
    ) -> (Vec<(u64, Vec<String>)>, Vec<(u64, String)>) {
        let mut problems = Vec::new();
        let mut rows = rows.iter().skip(self.skip);
        let needs_header = self
            .sources
            .iter()
            .any(|(_, s)| matches!(s, Source::Header(_)));
        let header: Vec<String> = if needs_header {
            rows.next().map(|(_, h)| h.clone()).unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut columns: Vec<Option<usize>> = Vec::new();
        for field in FIELDS {
            let source = self
                .sources
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, s)| s);
            columns.push(match source {
                None => None,
                Some(Source::Column(i)) => Some(*i),
                Some(Source::Header(name)) => {
                    let found = header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
                    if found.is_none() {
                        problems.push((
                            (self.skip + 1) as u64,
                            format!("the rules read the {field} from column {name:?}, which the header does not have"),
                        ));
                    }
                    found
                }
            });
        }
        if !problems.is_empty() {
            return (Vec::new(), problems);
        }
        let mut out = Vec::new();
        for (line, cells) in rows {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let joined = cells.join("\u{1f}").to_lowercase();
            if self.skip_if.iter().any(|t| joined.contains(t.as_str())) {
                continue;
            }
            let mut mapped = Vec::with_capacity(FIELDS.len());
            for (field, column) in FIELDS.iter().zip(&columns) {
                let cell = column.and_then(|i| cells.get(i)).map_or("", |c| c.trim());
                mapped.push(match *field {
                    "date" => self.date(cell),
                    "amount" => self.amount(cell),
                    _ => cell.to_string(),
                });
            }
            out.push((*line, mapped));
        }
        (out, problems)
    }

    /// A date cell as `YYYY-MM-DD`, read with the rules' format (as written when it does
    /// not match, for the import to report).
    fn date(&self, cell: &str) -> String {
        match &self.date_format {
            Some(format) => NaiveDate::parse_from_str(cell, format)
                .map_or_else(|_| cell.to_string(), |d| d.to_string()),
            None => cell.to_string(),
        }
    }

    /// An amount cell as crm writes it: `1.234,50` → `1234.50` with `decimal-mark ,`,
    /// thousands separators and a currency sign or code around it dropped.
    fn amount(&self, cell: &str) -> String {
        let (thousands, decimal) = if self.decimal_comma {
            ('.', ',')
        } else {
            (',', '.')
        };
        let trimmed = cell.trim_matches(|c: char| {
            !(c.is_ascii_digit() || c == '-' || c == thousands || c == decimal)
        });
        trimmed
            .chars()
            .filter(|c| *c != thousands && !c.is_whitespace() && *c != '\'')
            .map(|c| if c == decimal { '.' } else { c })
            .collect()
    }
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, sep: char) -> Vec<(u64, Vec<String>)> {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.split(sep).map(str::to_string).collect()))
            .collect()
    }

    #[test]
    fn positional_fields_dates_and_decimal_commas() {
        let rules = Rules::parse(
            "# a shop\nskip 1\nfields date, _, customer, amount, item\ndate-format %d.%m.%Y\ndecimal-mark ,\nskip-if storno\n",
        )
        .unwrap();
        let (out, problems) = rules.apply(&rows(
            "Datum;Nr;Kunde;Betrag;Artikel\n05.03.2025;1;Ada Lovelace;1.234,50 €;Tee\n06.03.2025;2;Bob;STORNO;\n\n07.03.2025;3;Bob;12,00;",
            ';',
        ));
        assert!(problems.is_empty());
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            (
                2,
                vec![
                    "Ada Lovelace".into(),
                    "2025-03-05".into(),
                    "1234.50".into(),
                    "Tee".into(),
                    "".into(),
                    "".into(),
                    "".into()
                ]
            )
        );
        assert_eq!(out[1].0, 5);
        assert_eq!(out[1].1[2], "12.00");
    }

    #[test]
    fn columns_by_header_or_number() {
        let rules = Rules::parse("customer Kunde\ndate %1\namount \"Betrag EUR\"\n").unwrap();
        let (out, problems) =
            rules.apply(&rows("Datum,Kunde,Betrag EUR\n2025-03-05,Ada,10.00", ','));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(out[0].1[..3], ["Ada", "2025-03-05", "10.00"]);
        let rules = Rules::parse("customer Client\ndate %1\namount %3\n").unwrap();
        let (_, problems) = rules.apply(&rows("Datum,Kunde,Betrag\n", ','));
        assert_eq!(problems[0].0, 1);
    }

    #[test]
    fn bad_rules_name_their_line() {
        assert_eq!(Rules::parse("skip 1\ncolour red\n").unwrap_err().0, 2);
        assert_eq!(
            Rules::parse("date-format %Y\ncustomer %1\ndate %2\namount %3\n")
                .unwrap_err()
                .0,
            1
        );
        assert!(Rules::parse("customer %1\ndate %2\n")
            .unwrap_err()
            .1
            .contains("amount"));
        assert_eq!(Rules::parse("customer %1\ncustomer %2\n").unwrap_err().0, 2);
    }
}
