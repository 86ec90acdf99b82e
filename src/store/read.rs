//! Reading one customer file defensively: every refusal (symlink out of the book, a
//! folder, a huge file, bad UTF-8, a merge conflict, deep nesting, an alias bomb, a
//! duplicate key, a type error) becomes a [`Problem`] with a line and column and a way
//! to fix it.
//!
//! The YAML is parsed once per read, into a [`tree`] of positioned nodes, with the
//! limits on nesting and aliases applied while parsing; the typed customer is then read
//! from the tree ([`crate::yaml::NodeDe`]). Normal reads stop at the first problem; [`check_file`]
//! goes on and reports every problem of the file, for `crm check`, including a layout
//! crm could not append to, decided from the same tree by [`crate::yaml::plan_append`].

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::interaction::{self, Interaction};
use crate::domain::profile::contact_names;

use crate::yaml::{
    self, node_id, Ctx, DeError, Document, Excluded, Node, NodeKind, Pos, Resolved, TreeError,
};

pub(crate) use crate::yaml::{MAX_ALIASES, MAX_ALIAS_EXPANSION, MAX_DEPTH};

/// Largest customer file crm reads (8 MiB: tens of thousands of interactions).
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A problem with a file, located for `path:line:col: message` output. Serialisable
/// for `crm check`'s cache.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// Path relative to the book root (`customers/ada.yaml`).
    pub(crate) path: String,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
    /// What is wrong and how to fix it.
    pub(crate) message: String,
}

impl Problem {
    /// A problem at `line`:`column` of `path`.
    pub(crate) fn at(
        path: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn at_pos(path: &str, pos: Pos, message: impl Into<String>) -> Problem {
        Problem::at(path, pos.line, pos.column, message)
    }
}

/// `path:line:col: message` on one line. File names and messages can hold control
/// characters (a file named `x\e]0;...`): they are replaced, so that printing a problem
/// never sends an escape sequence to the terminal.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = format!(
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        );
        f.write_str(&crate::render::one_line(&line))
    }
}

/// A customer file as read: the parsed customer plus the exact bytes, so a later write
/// can tell whether the file changed in between.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The parsed customer.
    pub customer: Customer,
    /// The file's bytes exactly as read: valid UTF-8 after an optional byte-order mark.
    raw: Vec<u8>,
    /// Where the text starts in `raw`: 3 after a byte-order mark, else 0.
    body: usize,
    /// How an append goes into this file, decided from the same parse: only for a
    /// file read to be appended to ([`read_for_append`]).
    append: Option<Box<AppendSite>>,
}

/// How an append goes into a customer file, decided from the parse that read it: the
/// plan (or the refusal `crm check` reports too), and a near miss of the list's key
/// (`interaction:`) when the file has no `interactions` list.
#[derive(Debug, Clone)]
pub(crate) struct AppendSite {
    pub(crate) plan: Result<yaml::Plan, yaml::AppendError>,
    pub(crate) near_miss: Option<NearMiss>,
}

impl AppendSite {
    /// The site of an append to `text`, parsed as `doc` with top mapping `root`.
    pub(crate) fn of(text: &str, doc: &Document, root: &Node) -> AppendSite {
        let near_miss = if doc.get(root, "interactions").is_none() {
            near_miss_keys(doc, root)
                .into_iter()
                .find(|m| m.meant == "interactions")
        } else {
            None
        };
        AppendSite {
            plan: yaml::plan_append(text, doc, "interactions"),
            near_miss,
        }
    }
}

impl Loaded {
    /// The file's bytes exactly as read.
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The file's text, without a leading byte-order mark.
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.raw[self.body..])
            .expect("the reader keeps only files that are UTF-8 after the byte-order mark")
    }

    /// Whether the file starts with a UTF-8 byte-order mark.
    pub(crate) fn bom(&self) -> bool {
        self.body > 0
    }

    /// How an append goes into the file, when it was read for one.
    pub(crate) fn append_site(&self) -> Option<&AppendSite> {
        self.append.as_deref()
    }
}

/// [`read_customer`], for a file to be appended to: the same parse also decides how
/// the append goes in ([`Loaded::append_site`]), so the write need not parse again.
pub(crate) fn read_for_append(
    path: &Path,
    shown: &str,
    canonical_root: &Path,
    id: &CustomerId,
) -> Result<Loaded, Problem> {
    let raw = read_guarded(path, shown, canonical_root)?;
    parse_for_append(raw, shown, id)
}

/// [`parse_customer`] of owned bytes, for a file to be appended to (see
/// [`read_for_append`]).
pub(crate) fn parse_for_append(
    raw: Vec<u8>,
    shown: &str,
    id: &CustomerId,
) -> Result<Loaded, Problem> {
    let mut site = None;
    let mut loaded = parse_owned(raw, shown, id, |text, doc, root, _| {
        site = Some(Box::new(AppendSite::of(text, doc, root)));
    })?;
    loaded.append = site;
    Ok(loaded)
}

/// The interactions an append added, read from `region`, the end of the file as
/// [`crate::yaml::Plan::verify_region`] gave it: the items of its `interactions` list
/// after the first `kept`. The region must pass what the reader asks of a whole file
/// (no merge-conflict marker, duplicate key or invalid scalar, each item a readable
/// interaction), so that the file it ends reads as before plus these entries.
pub(crate) fn appended_entries(
    region: &str,
    kept: usize,
    shown: &str,
) -> Result<Vec<Interaction>, Problem> {
    let fail = |message: &str| Problem::at(shown, 1, 1, message);
    if let Some(conflict) = merge_conflicts(region, shown).into_iter().next() {
        return Err(conflict);
    }
    let doc = yaml::parse(region).map_err(|e| tree_problem(&e, region, shown))?;
    if !doc.duplicates.is_empty() || !doc.invalid.is_empty() || doc.aliases > 0 {
        return Err(fail(
            "the new entries hold a duplicate key or an invalid value",
        ));
    }
    let root = doc
        .root
        .as_ref()
        .ok_or_else(|| fail("the new entries do not read"))?;
    let list = doc
        .get(root, "interactions")
        .map(|l| doc.resolve(l))
        .ok_or_else(|| fail("the new entries are not in the list"))?;
    let NodeKind::Seq(items) = &list.kind else {
        return Err(fail("the new entries are not in a list"));
    };
    let mut problems = Vec::new();
    let mut excluded = Excluded::default();
    let mut entries = Vec::with_capacity(items.len().saturating_sub(kept));
    for (index, item) in items.iter().enumerate().skip(kept) {
        if !matches!(doc.resolve(item).kind, NodeKind::Map(_)) {
            return Err(fail("a new entry is not a mapping"));
        }
        let entry = read_lenient(
            &doc,
            item,
            &mut excluded,
            false,
            shown,
            &mut problems,
            |de| Interaction::deserialize(de).map_err(|e| e.within("interactions", index)),
        );
        match entry {
            Some(entry) if problems.is_empty() => entries.push(entry),
            _ => {
                return Err(problems
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| fail("a new entry does not read")))
            }
        }
    }
    Ok(entries)
}

/// Reads the file at `path` (shown as `shown`) without following it out of the book
/// rooted at `canonical_root`, and parses it as the customer `id`.
pub(crate) fn read_customer(
    path: &Path,
    shown: &str,
    canonical_root: &Path,
    id: &CustomerId,
) -> Result<Loaded, Problem> {
    let raw = read_guarded(path, shown, canonical_root)?;
    parse_owned(raw, shown, id, |_, _, _, _| {})
}

/// Reads a file's bytes after the checks every customer file must pass.
pub(crate) fn read_guarded(
    path: &Path,
    shown: &str,
    canonical_root: &Path,
) -> Result<Vec<u8>, Problem> {
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

/// Parses the bytes of a customer file, stopping at the first problem. Pure apart
/// from the error messages' path.
pub fn parse_customer(raw: &[u8], shown: &str, id: &CustomerId) -> Result<Loaded, Problem> {
    parse_owned(raw.to_vec(), shown, id, |_, _, _, _| {})
}

/// Parses the bytes of a customer file like [`parse_customer`], and also returns what
/// `crm check` would still report about it once it reads (the rules of interactions, an
/// unknown kind, values other YAML tools read differently, a layout crm cannot append
/// to), from the same parse. For `crm edit`, which warns about them after saving.
pub(crate) fn parse_checked(
    raw: &[u8],
    shown: &str,
    id: &CustomerId,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> Result<(Loaded, Vec<Problem>), Problem> {
    let mut found = Vec::new();
    let loaded = parse_owned(raw.to_vec(), shown, id, |text, doc, root, entries| {
        let (rules, append) = file_rules(text, doc, root, entries, shown, id, known, all_kinds);
        found = rules;
        found.extend(append);
    })?;
    found.sort_by_key(|p| (p.line, p.column));
    found.dedup();
    Ok((loaded, found))
}

/// Parses `raw` as customer `id`, stopping at the first problem; `rules` is given the
/// text and the parsed document of a file that reads.
fn parse_owned(
    raw: Vec<u8>,
    shown: &str,
    id: &CustomerId,
    rules: impl FnOnce(&str, &Document, &Node, &[(Interaction, &Node)]),
) -> Result<Loaded, Problem> {
    let (bom, text) = decode(&raw, shown)?;
    let mut problems = Vec::new();
    let customer = read_text(
        text,
        shown,
        id,
        false,
        &mut problems,
        |doc, root, entries| {
            rules(text, doc, root, entries);
        },
    );
    match customer {
        Some(customer) if problems.is_empty() => Ok(Loaded {
            customer,
            raw,
            body: if bom { 3 } else { 0 },
            append: None,
        }),
        _ => Err(problems
            .into_iter()
            .next()
            .unwrap_or_else(|| Problem::at(shown, 1, 1, "cannot be read as a customer file"))),
    }
}

/// Every problem `crm check` reports for the bytes of one customer file: what stops
/// it being read (each type error, each duplicate key, ...), values YAML reads as
/// something other than the text written, and the rules of interactions (`known` says
/// which kinds the book accepts), sorted by position.
pub(crate) fn check_file(
    raw: &[u8],
    shown: &str,
    id: &CustomerId,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> Vec<Problem> {
    check_and_read(raw, shown, id, known, all_kinds).0
}

/// [`check_file`], also giving the customer when the file reads (as
/// [`parse_customer`] would read it), from the same parse: `crm check` needs both.
pub(crate) fn check_and_read(
    raw: &[u8],
    shown: &str,
    id: &CustomerId,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> (Vec<Problem>, Option<Customer>) {
    let text = match decode(raw, shown) {
        Ok((_, text)) => text,
        Err(problem) => return (vec![problem], None),
    };
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    let mut append = None;
    let customer = read_text(
        text,
        shown,
        id,
        true,
        &mut problems,
        |doc, root, entries| {
            (rules, append) = file_rules(text, doc, root, entries, shown, id, known, all_kinds);
        },
    );
    // A file that does not read is refused before any append is tried; one that reads
    // with every field is the customer a normal read gives.
    let customer = customer.filter(|_| problems.is_empty());
    if problems.is_empty() {
        problems.extend(append);
    }
    problems.extend(rules);
    problems.sort_by_key(|p| (p.line, p.column));
    problems.dedup();
    (problems, customer)
}

/// What `crm check` reports about a file that reads (or would, but for the values
/// already reported): the rules of each interaction and values other YAML tools read
/// differently; and apart, what stops crm appending an interaction to it.
#[allow(clippy::too_many_arguments)]
fn file_rules(
    text: &str,
    doc: &Document,
    root: &Node,
    entries: &[(Interaction, &Node)],
    shown: &str,
    id: &CustomerId,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> (Vec<Problem>, Option<Problem>) {
    let mut rules = lint_text_fields(doc, root, entries, shown);
    for miss in near_miss_keys(doc, root) {
        rules.push(Problem::at_pos(shown, miss.pos, miss.message()));
    }
    for (item, node) in entries {
        rules.extend(interaction_rules(doc, item, node, shown, known, all_kinds));
    }
    (rules, append_problem(text, doc, shown, id))
}

/// What stops crm appending an interaction to a file that reads (a `? interactions`
/// key, a flow mapping, an anchor on the list), so that `crm check` warns before a
/// `crm log` is refused. The very function every append runs decides it.
fn append_problem(text: &str, doc: &Document, shown: &str, id: &CustomerId) -> Option<Problem> {
    let refusal = yaml::plan_append(text, doc, "interactions").err()?;
    let (why, hint) = refusal.explain(id.as_str());
    Some(Problem::at(
        shown,
        refusal.line,
        refusal.column,
        format!("{why}, so crm cannot add interactions to it; {hint}"),
    ))
}

/// Strips a byte-order mark and checks that the rest is UTF-8.
fn decode<'r>(raw: &'r [u8], shown: &str) -> Result<(bool, &'r str), Problem> {
    let (bom, body) = match raw.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    match std::str::from_utf8(body) {
        // A second mark is text to YAML (one column wide) but three bytes to every
        // column count crm makes; editors show nothing, so say where it is.
        Ok(text) if text.starts_with('\u{feff}') => Err(Problem::at(
            shown,
            1,
            1,
            "starts with two byte-order marks (invisible U+FEFF characters); re-save the file as UTF-8 in your editor, or delete the first three bytes",
        )),
        Ok(text) => Ok((bom, text)),
        Err(e) => {
            let valid = std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or("");
            let pos = Pos::at_offset(valid, valid.len());
            Err(Problem::at_pos(
                shown,
                pos,
                "is not valid UTF-8 text; re-save the file as UTF-8 in your editor",
            ))
        }
    }
}

/// Reads `text` as customer `id`, adding problems to `problems` (only the first unless
/// `all`). When the file reads, `rules` is given the document, its top mapping and each
/// interaction read with its entry node, for the checks a readable file can still fail.
fn read_text<F>(
    text: &str,
    shown: &str,
    id: &CustomerId,
    all: bool,
    problems: &mut Vec<Problem>,
    rules: F,
) -> Option<Customer>
where
    F: FnOnce(&Document, &Node, &[(Interaction, &Node)]),
{
    if text.trim().is_empty() {
        problems.push(Problem::at(
            shown,
            1,
            1,
            "is empty; a customer file needs at least a `name:` line (or delete the file)",
        ));
        return None;
    }
    let conflicts = merge_conflicts(text, shown);
    if !conflicts.is_empty() {
        if all {
            problems.extend(conflicts);
        } else {
            problems.extend(conflicts.into_iter().next());
        }
        return None;
    }
    let doc = match yaml::parse(text) {
        Ok(doc) => doc,
        Err(err) => {
            problems.push(tree_problem(&err, text, shown));
            return None;
        }
    };
    for duplicate in &doc.duplicates {
        problems.push(Problem::at_pos(
            shown,
            duplicate.pos,
            format!(
                "duplicate key `{}` (first written at line {}); keep one of the two and delete the other",
                duplicate.key, duplicate.first.line
            ),
        ));
        if !all {
            return None;
        }
    }
    for (pos, message) in &doc.invalid {
        problems.push(Problem::at_pos(shown, *pos, message.as_str()));
        if !all {
            return None;
        }
    }
    if doc.aliases > 0 {
        // crm's writes compare whole documents through serde_yaml, which expands
        // aliases under limits of its own; refuse here whatever it would refuse, so
        // `crm check` reports it. Files without aliases (all real ones) skip this.
        if let Err(err) = yaml::value_of(text) {
            let pos = Pos {
                line: err.line,
                column: err.column,
            };
            let message = err.reason;
            problems.push(Problem::at_pos(
                shown,
                pos,
                format!("{message}; the file expands too much (an alias bomb?) and was refused; remove the aliases (`*name`)"),
            ));
            return None;
        }
    }
    let Some(root) = doc.root.as_ref().filter(|r| !doc.resolve(r).is_null()) else {
        problems.push(Problem::at(
            shown,
            1,
            1,
            "has no `name:`; every customer needs a name",
        ));
        return None;
    };
    let top = doc.resolve(root);
    if !matches!(top.kind, NodeKind::Map(_)) {
        problems.push(Problem::at_pos(
            shown,
            top.pos,
            "is not a mapping of `key: value` lines; a customer file starts with `name: ...`",
        ));
        return None;
    }

    let before = problems.len();
    let mut excluded = Excluded::default();
    let list = doc.get(root, "interactions");
    if let Some(list) = list {
        excluded.insert(node_id(list));
    }
    let customer = read_lenient(&doc, root, &mut excluded, all, shown, problems, |de| {
        Customer::deserialize(de)
    });
    if !all && problems.len() > before {
        return None;
    }

    let mut entries: Vec<(Interaction, &Node)> = Vec::new();
    if let Some(list) = list {
        let resolved = doc.resolve(list);
        match &resolved.kind {
            NodeKind::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    if !matches!(doc.resolve(item).kind, NodeKind::Map(_)) {
                        problems.push(Problem::at_pos(
                            shown,
                            item.pos,
                            format!("interactions[{index}]: an interaction is a mapping of `key: value` lines, at least `date:` and `kind:`; see docs/format.md"),
                        ));
                    } else if let Some(entry) =
                        read_lenient(&doc, item, &mut excluded, all, shown, problems, |de| {
                            Interaction::deserialize(de).map_err(|e| e.within("interactions", index))
                        })
                    {
                        entries.push((entry, item));
                    }
                    if !all && problems.len() > before {
                        return None;
                    }
                }
            }
            _ if resolved.is_null() => {}
            _ => problems.push(Problem::at_pos(
                shown,
                list.pos,
                "`interactions` is not a list; write each interaction as an entry starting with `- date: ...` (or `interactions: []` for none)",
            )),
        }
    }
    if customer.as_ref().is_some_and(|c| c.name.trim().is_empty()) {
        let pos = doc.get(root, "name").map_or(top.pos, |n| n.pos);
        problems.push(Problem::at_pos(
            shown,
            pos,
            "`name` is empty; every customer needs a name",
        ));
    }
    if !all && problems.len() > before {
        return None;
    }
    // Even when a field could not be read, the rest can still be checked.
    rules(&doc, root, &entries);
    let mut customer = customer.filter(|_| problems.len() == before)?;
    customer.interactions = entries.into_iter().map(|(entry, _)| entry).collect();
    customer.id = id.clone();
    Some(customer)
}

/// Most values reported wrong in one mapping (the customer's own fields, or one
/// interaction) before `crm check` moves on: each costs a new read of the mapping, and a
/// hostile file could otherwise have a list of thousands of wrong values.
const MAX_REREADS: usize = 20;

/// Reads `node` with `read`; on an error, reports it and, when `all`, reads again
/// without the value at fault, until the read succeeds or fails for a reason that no
/// single value explains. A required field left out because its value was at fault is
/// not reported a second time as missing.
fn read_lenient<'d, T>(
    doc: &'d Document,
    node: &'d Node,
    excluded: &mut Excluded,
    all: bool,
    shown: &str,
    problems: &mut Vec<Problem>,
    read: impl Fn(yaml::NodeDe<'_>) -> Result<T, DeError>,
) -> Option<T> {
    let mut failed = false;
    let mut rereads = 0;
    loop {
        if rereads == MAX_REREADS {
            // Placed at the last problem reported, so that it is listed right after it.
            let (line, column) = problems
                .last()
                .map_or((1, 1), |p: &Problem| (p.line, p.column));
            problems.push(Problem::at(
                shown,
                line,
                column,
                "more problems follow in this part of the file; fix the ones above, then run `crm check` again",
            ));
            return None;
        }
        rereads += 1;
        let err = {
            let ctx = Ctx::new(doc, excluded);
            match read(ctx.de(node)) {
                Ok(value) => return (!failed).then_some(value),
                Err(err) => err,
            }
        };
        failed = true;
        let missing = err.missing();
        let at_fault = err.node.filter(|n| !excluded.contains(n));
        let consequence = missing.is_some_and(|field| doc.get(node, field).is_some());
        if !consequence {
            problems.push(de_problem(&err, doc.resolve(node).pos, shown));
        }
        match at_fault {
            Some(n) if all => {
                excluded.insert(n);
            }
            _ => return None,
        }
    }
}

/// A typed-reading error as a problem at the value it is about, named by its path.
fn de_problem(err: &DeError, fallback: Pos, shown: &str) -> Problem {
    let pos = err.pos.unwrap_or(fallback);
    let path = err.path();
    let message = match (err.missing(), path.as_str()) {
        (Some("name"), "") => "has no `name:`; every customer needs a name".to_string(),
        (Some(field), path) if path.starts_with("interactions[") && !path.contains('.') => {
            format!("{path}: this interaction has no `{field}:`; every interaction needs a `date:` and a `kind:`")
        }
        (_, "") => err.message.clone(),
        (_, path) => format!("{path}: {}", err.message),
    };
    let message =
        if message.contains("; ") || message.contains(", found ") || err.missing().is_some() {
            message
        } else {
            format!("{message}; see docs/format.md for the file format")
        };
    Problem::at_pos(shown, pos, message)
}

/// Merge-conflict markers, found before the parser sees the text so that the message
/// can say it is a git conflict: one problem per conflict, at its `<<<<<<<` line (and
/// at a `=======` or `>>>>>>>` line outside any conflict).
fn merge_conflicts(text: &str, shown: &str) -> Vec<Problem> {
    let problem = |line: usize| {
        Problem::at(
            shown,
            line,
            1,
            "unresolved merge conflict (git merge conflict markers <<<<<<< ======= >>>>>>>): keep the side you want, delete the marker lines, then run `crm check`",
        )
    };
    let mut found = Vec::new();
    // Every marker line holds one of these; most files hold none (a fast search, where
    // the line-by-line walk below was a twentieth of a whole-book read).
    if !["<<<<<<<", ">>>>>>>", "======="]
        .iter()
        .any(|marker| text.contains(marker))
    {
        return found;
    }
    let mut open = false;
    for (n, line) in yaml::yaml_lines(text).enumerate() {
        if line.starts_with("<<<<<<<") {
            open = true;
            found.push(problem(n + 1));
        } else if line.starts_with(">>>>>>>") {
            if !open {
                found.push(problem(n + 1));
            }
            open = false;
        } else if line.trim_end() == "=======" && !open {
            found.push(problem(n + 1));
        }
    }
    found
}

fn tree_problem(err: &TreeError, text: &str, shown: &str) -> Problem {
    match err {
        TreeError::Syntax(syntax) => {
            let (pos, message) = syntax_problem(syntax, text);
            Problem::at_pos(shown, pos, message)
        }
        TreeError::TooDeep(pos) => Problem::at_pos(
            shown,
            *pos,
            format!("is nested more than {MAX_DEPTH} levels deep; crm refuses such input (flatten it: crm's own fields need at most 4 levels)"),
        ),
        TreeError::TooManyAliases(pos) => Problem::at_pos(
            shown,
            *pos,
            format!("uses more than {MAX_ALIASES} YAML aliases (`*name`); crm refuses such input, which can expand without bound (an alias bomb)"),
        ),
        TreeError::ExpandsTooMuch(pos) => Problem::at_pos(
            shown,
            *pos,
            format!("YAML aliases here expand to more than {MAX_ALIAS_EXPANSION} values; the file expands too much (an alias bomb?) and was refused; remove the aliases (`*name`)"),
        ),
        TreeError::Recursive(pos, name) => Problem::at_pos(
            shown,
            *pos,
            format!("the alias `*{name}` is inside the node it names, so it would expand for ever; remove it"),
        ),
        TreeError::UnknownAnchor(pos, name) => Problem::at_pos(
            shown,
            *pos,
            format!("the alias `*{name}` names no anchor `&{name}` written before it; remove the alias or define the anchor first"),
        ),
        TreeError::MoreThanOneDocument(pos) => Problem::at_pos(
            shown,
            *pos,
            "holds more than one YAML document (a `---` line); a customer file is one document",
        ),
    }
}

/// A YAML syntax error in words a person can act on, at the place to fix: libyaml
/// reports where it gave up, which for an unclosed quote or bracket is the end of the
/// file or a later line, so those point at where the quote or bracket opens.
fn syntax_problem(syntax: &yaml::SyntaxError, text: &str) -> (Pos, String) {
    let pos_of = |mark: yaml::Mark| Pos {
        line: mark.line + 1,
        column: mark.column + 1,
    };
    let at = match syntax.mark {
        Some(mark) => pos_of(mark),
        None => Pos::at_offset(text, syntax.offset),
    };
    let problem = syntax.problem.as_str();
    let context = syntax.context.as_deref().unwrap_or("");
    let line = yaml::yaml_lines(text)
        .nth(at.line.saturating_sub(1))
        .unwrap_or("");
    if problem.contains("control characters") {
        let found = text
            .get(syntax.offset..)
            .and_then(|rest| rest.chars().next())
            .map_or(String::new(), |c| {
                format!(" (found U+{:04X})", u32::from(c))
            });
        return (at, format!(
            "control characters are not allowed in a YAML file{found}; delete it (your editor may show it as ^@ or a box)"
        ));
    }
    if line.contains('\t')
        && (problem.contains("cannot start any token") || problem.contains("tab"))
    {
        return (
            at,
            "a tab is used for indentation; YAML indents with spaces only".to_string(),
        );
    }
    let opened = syntax.context_mark.map(|mark| {
        let found = text.get(mark.index..).and_then(|rest| rest.chars().next());
        (pos_of(mark), found.unwrap_or(' '))
    });
    match (context, opened) {
        ("while scanning a quoted scalar", Some((open, quote)))
            if problem.contains("unexpected end of stream")
                || problem.contains("unexpected document indicator") =>
        {
            let written = if quote == '\'' { "''" } else { "\\\"" };
            return (open, format!(
                "the quote {quote} opened here is never closed; end the value with {quote} (inside it, write {quote} as {written})"
            ));
        }
        (
            "while parsing a flow sequence" | "while parsing a flow mapping",
            Some((open, bracket)),
        ) if problem.starts_with("did not find expected ',' or") => {
            let close = if bracket == '{' { '}' } else { ']' };
            let kind = if bracket == '{' { "mapping" } else { "list" };
            let quote = "put a value holding `,` `[` `]` `{` `}` or `#` in quotes";
            return if open.line == at.line {
                (at, format!(
                    "expected `,` or `{close}` here, in the `{bracket}` {kind} opened at column {}; separate its values with `,` and close it with `{close}` ({quote})",
                    open.column
                ))
            } else {
                (open, format!(
                    "the `{bracket}` {kind} opened here is not closed; close it with `{close}` at the end of its values ({quote})"
                ))
            };
        }
        _ => {}
    }
    if problem.starts_with("did not find expected") {
        // Text right after the closing quote of a value: `'it's'`, `"Ada" Lovelace`.
        let before = line
            .chars()
            .take(at.column.saturating_sub(1))
            .collect::<String>();
        match before.trim_end_matches([' ', '\t']).chars().last() {
            Some('\'') => {
                return (at, "text goes on after the closing ' of a quoted value; inside '...' write a quote as '' (`'it''s'`), or put the value in double quotes".to_string());
            }
            Some('"') => {
                return (at, "text goes on after the closing \" of a quoted value; inside \"...\" write a quote as \\\", or put the value in single quotes".to_string());
            }
            _ => {}
        }
    }
    let mut message = problem.to_string();
    if !context.is_empty() {
        message = format!("{message} ({context})");
    }
    let hint = if problem.contains("mapping values are not allowed") {
        let before = line
            .chars()
            .take(at.column.saturating_sub(1))
            .collect::<String>();
        if before.contains(": ") || before.contains(":\t") {
            "if a value contains `: `, put the value in quotes"
        } else {
            "this line is indented deeper than the key above it; line up the keys of one mapping at the same column"
        }
    } else if problem.contains("unknown escape character") {
        "in \"...\" a backslash starts an escape such as \\n or \\\"; write \\\\ for a backslash, or put the value in single quotes"
    } else if problem.contains("unexpected end of stream") {
        "a quote or bracket is not closed"
    } else if problem.contains("did not find expected") {
        "check the indentation of this line and the one above"
    } else if problem.contains("cannot start any token") {
        "put values that start with `@` or `` ` `` in quotes"
    } else {
        "see docs/format.md for the file format"
    };
    (at, format!("{message}; {hint}"))
}

/// Text fields crm reads from the top mapping and from each interaction.
const TOP_TEXT_FIELDS: &[&str] = &contact_names!(["name"], ["tags"]);
const ENTRY_TEXT_FIELDS: [&str; 4] = ["summary", "channel", "items", "import"];

/// A rule of [`crate::domain::contact`] for one text field.
type ContactRule = fn(&str) -> Result<&str, String>;

/// Unquoted values of text fields that YAML reads as something else (`phone: +4420`
/// is the number 4420 to other YAML tools; crm reads them as written, but the file
/// should say what it means), and names and emails that break the contact rules.
fn lint_text_fields(
    doc: &Document,
    root: &Node,
    entries: &[(Interaction, &Node)],
    shown: &str,
) -> Vec<Problem> {
    let mut found = Vec::new();
    for &field in TOP_TEXT_FIELDS {
        if let Some(value) = doc.get(root, field) {
            lint_value(doc, value, field, shown, &mut found);
        }
    }
    // The rules `crm add` and `crm import` apply to a new customer's name and email
    // hold for a hand-written file too (`email: ada.example.com` is a slip).
    // (The name rule's messages say "the customer's name" already.)
    let rules: [(&str, &str, ContactRule); 2] = [
        ("name", "", crate::domain::contact::name),
        ("email", "email: ", crate::domain::contact::email),
    ];
    for (field, prefix, rule) in rules {
        let Some(node) = doc.get(root, field).map(|n| doc.resolve(n)) else {
            continue;
        };
        if let Some(Err(message)) = node.scalar().map(rule) {
            found.push(Problem::at_pos(
                shown,
                node.pos,
                format!("{prefix}{message}"),
            ));
        }
    }
    if let Some(preferences) = doc.get(root, "preferences") {
        if let NodeKind::Map(pairs) = &doc.resolve(preferences).kind {
            for (key, value) in pairs {
                let name = yaml::key_text(doc, key);
                lint_value(doc, key, "preferences", shown, &mut found);
                lint_value(
                    doc,
                    value,
                    &format!("preferences.{name}"),
                    shown,
                    &mut found,
                );
            }
        }
    }
    for (_, entry) in entries {
        for field in ENTRY_TEXT_FIELDS {
            if let Some(value) = doc.get(entry, field) {
                lint_value(doc, value, field, shown, &mut found);
            }
        }
    }
    found
}

fn lint_value(doc: &Document, node: &Node, field: &str, shown: &str, found: &mut Vec<Problem>) {
    let node = doc.resolve(node);
    match &node.kind {
        NodeKind::Seq(items) => {
            for item in items {
                lint_value(doc, item, field, shown, found);
            }
        }
        NodeKind::Scalar {
            value,
            style: yaml::Style::Plain,
        } if node.tag.is_none() && !value.is_empty() => {
            let resolved = yaml::resolve_plain(value);
            let Some(canonical) = resolved.canonical() else {
                return;
            };
            if canonical == *value {
                return;
            }
            let meaning = match resolved {
                Resolved::Null => "no value at all (null)".to_string(),
                Resolved::Bool(b) => format!("the boolean {b}"),
                _ => format!("the number {canonical}"),
            };
            let quoted = format!("{value:?}");
            let fix = if field.contains('.') || matches!(field, "tags" | "items" | "preferences") {
                quoted
            } else {
                format!("{field}: {quoted}")
            };
            found.push(Problem::at_pos(
                shown,
                node.pos,
                format!("{field}: YAML reads {value} as {meaning}, so other YAML tools do not see what you wrote; quote it: {fix}"),
            ));
        }
        _ => {}
    }
}

/// The rules of one interaction that parsing does not check (kinds, amounts, ratings),
/// located at the field they are about.
fn interaction_rules(
    doc: &Document,
    item: &Interaction,
    entry: &Node,
    shown: &str,
    known: &dyn Fn(&str) -> bool,
    all_kinds: &[String],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (field, mut message) in interaction::validate(item, known) {
        if field == "kind" && !known(item.kind.name()) {
            message = match closest(item.kind.name(), all_kinds) {
                Some(best) => format!("{message}; did you mean `{best}`? (or add it to [interactions] kinds in crm.toml)"),
                None => format!("{message}; add it to [interactions] kinds in crm.toml"),
            };
        }
        // At the field's key, like a person reads it ("the kind of this entry").
        let pos = doc
            .entry(entry, field)
            .map_or(doc.resolve(entry).pos, |(key, _)| key.pos);
        problems.push(Problem::at_pos(shown, pos, message));
    }
    problems
}

/// The top-level keys crm reads; any other key is kept as it is and ignored.
pub(crate) const KNOWN_TOP_KEYS: &[&str] = &contact_names!(
    ["name"],
    [
        "tags",
        "birthday",
        "since",
        "archived",
        "preferences",
        "follow_up",
        "interactions"
    ]
);

/// A top-level key that is not one crm reads but looks like one (`interaction`,
/// `Interactions`, `interactions` with a zero-width space): what it holds is ignored,
/// which is almost certainly not what the person meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NearMiss {
    /// Where the key is.
    pub(crate) pos: Pos,
    /// The key as written.
    pub(crate) written: String,
    /// The key crm reads that it resembles.
    pub(crate) meant: &'static str,
}

impl NearMiss {
    /// The problem `crm check` reports.
    pub(crate) fn message(&self) -> String {
        let invisible: Vec<String> = self
            .written
            .chars()
            .filter(|c| is_invisible(*c))
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        let what = if invisible.is_empty() {
            format!("`{}`", self.written)
        } else {
            format!(
                "`{}` (with the invisible character {})",
                self.written
                    .chars()
                    .filter(|c| !is_invisible(*c))
                    .collect::<String>(),
                invisible.join(", ")
            )
        };
        format!(
            "the key {what} is not one crm reads, so what it holds is ignored; did you mean `{}`? rename the key",
            self.meant
        )
    }
}

/// Characters that show as nothing (zero-width spaces and joiners, a byte-order mark,
/// a soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// The top-level keys of `root` that are near misses of [`KNOWN_TOP_KEYS`]: the same
/// but for case, invisible characters, spaces or hyphens, or one edit away (two for
/// long keys).
pub(crate) fn near_miss_keys(doc: &Document, root: &Node) -> Vec<NearMiss> {
    let NodeKind::Map(entries) = &doc.resolve(root).kind else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, _) in entries {
        let Some(written) = doc.resolve(key).scalar() else {
            continue;
        };
        if KNOWN_TOP_KEYS.contains(&written) {
            continue;
        }
        let folded: String = written
            .chars()
            .filter(|c| !is_invisible(*c))
            .collect::<String>()
            .trim()
            .to_lowercase()
            .replace([' ', '-'], "_");
        let meant = KNOWN_TOP_KEYS
            .iter()
            .copied()
            .find(|k| *k == folded)
            .or_else(|| {
                KNOWN_TOP_KEYS.iter().copied().find(|k| {
                    let allowed = if k.len() >= 10 { 2 } else { 1 };
                    k.len() >= 4 && strsim::damerau_levenshtein(&folded, k) <= allowed
                })
            });
        if let Some(meant) = meant {
            found.push(NearMiss {
                pos: key.pos,
                written: written.to_string(),
                meant,
            });
        }
    }
    found
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(1) || c.starts_with(word))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests;
