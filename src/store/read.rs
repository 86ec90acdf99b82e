//! Reading one customer file defensively: every refusal (symlink out of the book, a
//! folder, a huge file, bad UTF-8, a merge conflict, deep nesting, an alias bomb, a
//! type error) becomes a [`Problem`] with a line and column and a way to fix it.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::Path;

use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::interaction;

use super::edit;

/// Largest customer file crm reads (8 MiB: tens of thousands of interactions).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Deepest `[`/`{` nesting crm parses; real customer files stay below 5.
pub const MAX_FLOW_DEPTH: usize = 64;
/// Most YAML aliases (`*name`) a customer file may use; real ones use none. Caps the
/// "billion laughs" expansion before any parser sees the text.
pub const MAX_ALIASES: usize = 64;

/// A problem with a file, located for `path:line:col: message` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the book root (`customers/ada.yaml`).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem at `line`:`column` of `path`.
    pub fn at(path: &str, line: usize, column: usize, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )
    }
}

/// A customer file as read: the parsed customer plus the exact bytes, so a later write
/// can tell whether the file changed in between.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The parsed customer.
    pub customer: Customer,
    /// The file's bytes exactly as read.
    pub raw: Vec<u8>,
    /// The text without a leading byte-order mark.
    pub text: String,
    /// Whether the file started with a UTF-8 byte-order mark.
    pub bom: bool,
}

/// Reads the file at `path` (shown as `shown`) without following it out of the book
/// rooted at `canonical_root`, and parses it as the customer `id`.
pub fn read_customer(
    path: &Path,
    shown: &str,
    canonical_root: &Path,
    id: &CustomerId,
) -> Result<Loaded, Problem> {
    let raw = read_guarded(path, shown, canonical_root)?;
    parse_customer(&raw, shown, id)
}

/// Reads a file's bytes after the checks every customer file must pass.
pub fn read_guarded(path: &Path, shown: &str, canonical_root: &Path) -> Result<Vec<u8>, Problem> {
    let fail = |message: String| Problem::at(shown, 1, 1, message);
    let link = fs::symlink_metadata(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    if link.file_type().is_symlink() {
        let target = fs::canonicalize(path).map_err(|e| {
            fail(format!(
                "is a symlink that cannot be followed ({e}); remove it"
            ))
        })?;
        if !target.starts_with(canonical_root) {
            return Err(fail(format!(
                "is a symlink to `{}`, outside the book; crm does not follow links out of the book (copy the file in instead)",
                target.display()
            )));
        }
    }
    let meta = fs::metadata(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    if meta.is_dir() {
        return Err(fail(
            "is a folder, not a customer file; move it out of customers/".to_string(),
        ));
    }
    if !meta.is_file() {
        return Err(fail(
            "is not a regular file; customer files must be plain files".to_string(),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "is {:.1} MiB, over the {} MiB limit for a customer file; is it really a customer file?",
            meta.len() as f64 / 1048576.0,
            MAX_FILE_BYTES / 1048576
        )));
    }
    let mut raw = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut raw))
        .map_err(|e| {
            let fix = if e.kind() == std::io::ErrorKind::PermissionDenied {
                "; give yourself read access (chmod u+r)"
            } else {
                ""
            };
            fail(format!("cannot be read: {e}{fix}"))
        })?;
    if raw.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "grew past the {} MiB limit while being read",
            MAX_FILE_BYTES / 1048576
        )));
    }
    Ok(raw)
}

/// Parses the bytes of a customer file. Pure apart from the error messages' path.
pub fn parse_customer(raw: &[u8], shown: &str, id: &CustomerId) -> Result<Loaded, Problem> {
    let (bom, body) = match raw.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let (line, col) = super::config::line_col(
                std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or(""),
                e.valid_up_to(),
            );
            return Err(Problem::at(
                shown,
                line,
                col,
                "is not valid UTF-8 text; re-save the file as UTF-8 in your editor",
            ));
        }
    };
    let customer = parse_text(text, shown, id)?;
    Ok(Loaded {
        customer,
        raw: raw.to_vec(),
        text: text.to_string(),
        bom,
    })
}

fn parse_text(text: &str, shown: &str, id: &CustomerId) -> Result<Customer, Problem> {
    if text.trim().is_empty() {
        return Err(Problem::at(
            shown,
            1,
            1,
            "is empty; a customer file needs at least a `name:` line (or delete the file)",
        ));
    }
    precheck(text, shown)?;
    let mut customer: Customer =
        serde_yaml::from_str(text).map_err(|e| yaml_problem(&e, text, shown))?;
    if customer.name.trim().is_empty() {
        let (line, col) = edit::locate(text, "interactions", None, "name").unwrap_or((1, 1));
        return Err(Problem::at(
            shown,
            line,
            col,
            "`name` is empty; every customer needs a name",
        ));
    }
    customer.id = id.clone();
    Ok(customer)
}

/// Cheap checks before the YAML parser sees the text: merge-conflict markers (with a
/// message about git) and nesting deep enough to make parsing slow.
fn precheck(text: &str, shown: &str) -> Result<(), Problem> {
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("<<<<<<<")
            || line.starts_with(">>>>>>>")
            || line.trim_end() == "======="
        {
            return Err(Problem::at(
                shown,
                n + 1,
                1,
                "unresolved git merge conflict; keep the lines you want, delete the <<<<<<< ======= >>>>>>> markers, then run `crm check`",
            ));
        }
    }
    let bytes = text.as_bytes();
    let mut aliases = 0usize;
    for (offset, pair) in bytes.windows(2).enumerate() {
        let starts_alias = pair[0] == b'*' && (pair[1].is_ascii_alphanumeric() || pair[1] == b'_');
        let after_separator =
            offset == 0 || matches!(bytes[offset - 1], b' ' | b'[' | b'{' | b',' | b'\n' | b'\t');
        if starts_alias && after_separator {
            aliases += 1;
            if aliases > MAX_ALIASES {
                let (line, col) = super::config::line_col(text, offset);
                return Err(Problem::at(
                    shown,
                    line,
                    col,
                    format!("uses more than {MAX_ALIASES} YAML aliases (`*name`); crm refuses such input, which can expand without bound (an alias bomb)"),
                ));
            }
        }
    }
    let mut depth = 0usize;
    for (offset, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    let (line, col) = super::config::line_col(text, offset);
                    return Err(Problem::at(
                        shown,
                        line,
                        col,
                        format!("is nested more than {MAX_FLOW_DEPTH} levels deep; crm refuses such input"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn yaml_problem(err: &serde_yaml::Error, text: &str, shown: &str) -> Problem {
    let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
    let mut message = err.to_string();
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    let (line, column) = duplicate_position(&message, text).unwrap_or((line, column));
    let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    if line_text.contains('\t') && message.contains("cannot start any token") {
        message = "a tab is used for indentation; YAML indents with spaces only".to_string();
    } else if message.contains("duplicate entry") || message.contains("duplicate field") {
        message.push_str("; keep one of the two and delete the other");
    } else if message.contains("repetition limit") || message.contains("recursion limit") {
        message = format!("{message}; the file expands too much (an alias bomb?) and was refused");
    } else if message.contains("missing field `name`") {
        message = "has no `name:`; every customer needs a name".to_string();
    } else if !message.contains("YYYY") && !message.contains("amount") {
        message.push_str("; see docs/format.md for the file format");
    }
    Problem::at(shown, line, column, message)
}

/// For "duplicate field `x`" at the top level, the position of the second `x:`.
fn duplicate_position(message: &str, text: &str) -> Option<(usize, usize)> {
    let key = message
        .split("duplicate field `")
        .nth(1)?
        .split('`')
        .next()?;
    let mut seen = 0;
    for (n, line) in text.lines().enumerate() {
        if line
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
        {
            seen += 1;
            if seen == 2 {
                return Some((n + 1, 1));
            }
        }
    }
    None
}

/// Semantic checks that the parser does not make (kinds, amounts, ratings), located in
/// the text. `known` says which kinds the book accepts.
pub fn validate(
    loaded: &Loaded,
    shown: &str,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, item) in loaded.customer.interactions.iter().enumerate() {
        for (field, mut message) in interaction::validate(item, known) {
            if field == "kind" && !known(item.kind.name()) {
                message = match closest(item.kind.name(), all_kinds) {
                    Some(best) => format!("{message}; did you mean `{best}`? (or add it to [interactions] kinds in crm.toml)"),
                    None => format!("{message}; add it to [interactions] kinds in crm.toml"),
                };
            }
            let (line, column) =
                edit::locate(&loaded.text, "interactions", Some(index), field).unwrap_or((1, 1));
            problems.push(Problem::at(shown, line, column, message));
        }
    }
    problems
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(1) || c.starts_with(word))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c.as_str())
}
