//! The three-way merge of one customer file, for `crm merge-file` (git's merge driver)
//! and `crm sync`: what two people did to the same customer since their common base,
//! put together by the rules of docs/git.md ("Sharing a book") instead of line by line.
//!
//! Pure: bytes in, bytes and conflicts out. No git, no file system, no clock. The
//! result is OURS' text with edits spliced in (crm's lossless reader locates them, crm's
//! appender writes new interactions), so everything OURS wrote stays byte for byte
//! where nothing was merged into it. Before a clean result is handed back it is read
//! again and compared, value for value, with what the rules say it must hold; if it
//! does not, the merge falls back to a plain line merge rather than guess.

use std::fmt;
use std::ops::Range;

use super::read::{self, Problem};
use crate::domain::id::CustomerId;
use crate::yaml::{self, break_len, Document, Mapping, Node, NodeKind, Pos, Style, Value};

mod parts;
use parts::*;

/// The length of git's conflict markers (`<<<<<<<`), unless `%L` says otherwise.
pub(crate) const DEFAULT_MARKER_SIZE: usize = 7;

/// Longest LCS table the entry alignment builds (middle entries of base times those of
/// a side, after the common start and end are set aside). Past it the differing middle
/// is taken as replaced whole, which is still merged correctly, only less finely.
const MAX_ALIGN_CELLS: usize = 4_000_000;

/// What a merge gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergeResult {
    /// The merged file: OURS' bytes with THEIRS' changes spliced in, and conflict
    /// markers (git's `<<<<<<< ours` / `=======` / `>>>>>>> theirs` lines) around each
    /// conflicting key or interaction when there are conflicts.
    pub(crate) bytes: Vec<u8>,
    /// The conflicts, in the order of their markers in `bytes`; empty when clean.
    pub(crate) conflicts: Vec<MergeConflict>,
    /// How the result was reached.
    pub(crate) how: MergedBy,
}

impl MergeResult {
    /// Whether the merge is clean: no conflicts, so `bytes` is a valid customer file
    /// (when the merge was not [`MergedBy::Lines`] of files that did not read).
    pub(crate) fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// How a [`MergeResult`] was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergedBy {
    /// One side was unchanged from the base (or both sides are equal): the other side
    /// is the result, byte for byte.
    Trivial,
    /// By crm's rules: key by key and interaction by interaction.
    Fields,
    /// Line by line, as `git merge-file` would: for a side that does not read as a
    /// customer file (then always with a [`Subject::File`] conflict), or a layout the
    /// field merge cannot splice into.
    Lines,
}

/// One conflict of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergeConflict {
    /// The file, as given to the merge (`customers/ada.yaml`).
    pub(crate) path: String,
    /// 1-based line in [`MergeResult::bytes`] of the conflict's `<<<<<<<` marker (for
    /// a [`Subject::File`] conflict without markers: the line of the problem).
    pub(crate) line: usize,
    /// What conflicts: a key, an interaction, the whole file.
    pub(crate) subject: Subject,
    /// What each side did, in words: "`email` was changed on both sides: ours
    /// `a@x.org`, theirs `b@x.org`".
    pub(crate) message: String,
}

/// `customers/ada.yaml:12:1: merge conflict in `email`: ...`, one line.
impl fmt::Display for MergeConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = format!(
            "{}:{}:1: merge conflict in {}: {}",
            self.path, self.line, self.subject, self.message
        );
        f.write_str(&crate::render::one_line(&line))
    }
}

/// What a [`MergeConflict`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A key of the customer, dotted below the top (`email`, `preferences.coffee`).
    Key(String),
    /// One entry of `interactions`, named by its date and kind as OURS (or, when OURS
    /// deleted it, THEIRS) has them.
    Entry {
        /// Its `date:`.
        date: String,
        /// Its `kind:`.
        kind: String,
    },
    /// The whole file: a side does not read as a customer file.
    File,
    /// Lines of a line-by-line merge.
    Lines,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Key(key) => write!(f, "`{key}`"),
            Subject::Entry { date, kind } => write!(f, "the {kind} of {date} in `interactions`"),
            Subject::File => f.write_str("the whole file"),
            Subject::Lines => f.write_str("these lines"),
        }
    }
}

/// Settings of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MergeOptions {
    /// Length of the conflict markers (git's `%L`, `conflict-marker-size`).
    pub(crate) marker_size: usize,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            marker_size: DEFAULT_MARKER_SIZE,
        }
    }
}

/// Merges three versions of the customer file `path` (`customers/ada.yaml`, used in
/// messages and for the customer's id): `base`, the common ancestor (`None` when both
/// sides added the file), `ours` and `theirs`. The rules (docs/git.md, "Sharing a
/// book"):
///
/// - **interactions**: entries of the base stay; entries added on either side are all
///   kept, in date order (same date: ours first), and an entry both sides added with
///   the same date, kind, summary and amount is kept once; an entry edited or deleted
///   on one side takes that side's change; edited differently on both sides (or edited
///   on one and deleted on the other) is a conflict on that entry alone;
/// - **every other key**, key by key (mappings such as `preferences` key by key
///   within): changed on one side takes that side's value, changed the same way on
///   both is clean, changed differently is a conflict on that key alone; `tags` merge
///   as a set (what each side added or removed);
/// - **lossless**: the result is OURS' bytes (comments, quoting, key order, unknown
///   fields) with THEIRS' changes spliced in: THEIRS' text for a key it changed,
///   re-indented to OURS' mapping, new interactions written by crm's appender; a clean
///   result is checked to read back as exactly the merged values;
/// - a side that does not read as a customer file is not guessed at: the file is
///   merged line by line and the result always carries a [`Subject::File`] conflict
///   naming the problem.
///
/// When one side equals the base (or the sides are equal), the other side is the
/// result, whatever it holds. Conflicts leave markers in `bytes` around the whole
/// lines of the conflicting key or entry only (`<<<<<<< ours`, OURS' lines,
/// `=======`, THEIRS' lines, `>>>>>>> theirs`), so the file reads once a person keeps
/// one side and deletes the marker lines.
// The entry point of `crm sync` (the `sync` branch), which merges each customer file
// git could not; `crm merge-file` goes through `merge_file` for the marker size.
#[allow(dead_code)]
pub(crate) fn merge_customer(
    base: Option<&[u8]>,
    ours: &[u8],
    theirs: &[u8],
    path: &str,
) -> MergeResult {
    merge_customer_with(base, ours, theirs, path, &MergeOptions::default())
}

/// [`merge_customer`] with settings (the marker size).
pub(crate) fn merge_customer_with(
    base: Option<&[u8]>,
    ours: &[u8],
    theirs: &[u8],
    path: &str,
    options: &MergeOptions,
) -> MergeResult {
    if let Some(result) = trivial(base, ours, theirs) {
        return result;
    }
    let id = id_of(path);
    let sides = (
        base.map(|b| Side::parse(b, path, &id)).transpose(),
        Side::parse(ours, path, &id),
        Side::parse(theirs, path, &id),
    );
    let (base_side, ours_side, theirs_side) = match sides {
        (Ok(b), Ok(o), Ok(t)) => (b, o, t),
        (b, o, t) => {
            let (which, problem) = match (b, o, t) {
                (_, Err(p), _) => ("our side", p),
                (_, _, Err(p)) => ("their side", p),
                (Err(p), _, _) => ("the common base", p),
                _ => unreachable!("one of the three failed to parse"),
            };
            let message = format!(
                "{which} does not read as a customer file ({problem}), so crm merged it line by line; fix the file, then run `crm check`"
            );
            return with_file_conflict(
                merge_lines(base, ours, theirs, path, options),
                path,
                problem.line,
                message,
            );
        }
    };
    match Merger::run(
        base_side.as_ref(),
        &ours_side,
        &theirs_side,
        path,
        &id,
        options,
    ) {
        Ok(result) => result,
        Err(why) => {
            let lines = merge_lines(base, ours, theirs, path, options);
            let reads = lines.is_clean() && read::parse_customer(&lines.bytes, path, &id).is_ok();
            if reads {
                lines
            } else {
                let message = format!(
                    "crm could not merge this file key by key ({why}), so it merged it line by line; keep what you want, then run `crm check`"
                );
                with_file_conflict(lines, path, 1, message)
            }
        }
    }
}

/// Merges the file `path` (git's `%P`, relative to the repository) as the merge
/// driver does: by [`merge_customer_with`] when it is a customer file (or no path is
/// known), else by [`merge_lines`]. An empty `base` is no base (git gives an empty
/// file when both sides added the file).
pub(crate) fn merge_file(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    path: &str,
    customer: bool,
    options: &MergeOptions,
) -> MergeResult {
    let base = (!base.is_empty()).then_some(base);
    if customer {
        merge_customer_with(base, ours, theirs, path, options)
    } else {
        merge_lines(base, ours, theirs, path, options)
    }
}

/// Whether `path` (slash-separated, relative to the repository) names a customer
/// file: `customers/<id>.yaml`, not hidden, in a book at the top of the repository or
/// in a folder of it.
pub(crate) fn is_customer_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let (Some(file), Some(folder)) = (parts.next(), parts.next()) else {
        return false;
    };
    folder == super::CUSTOMERS_DIR
        && !file.starts_with('.')
        && file
            .strip_suffix(&format!(".{}", super::EXTENSION))
            .is_some_and(|stem| !stem.is_empty())
}

/// A plain line-by-line three-way merge (as `git merge-file` does), for files that
/// are not customer files: markers where both sides changed the same lines.
pub(crate) fn merge_lines(
    base: Option<&[u8]>,
    ours: &[u8],
    theirs: &[u8],
    path: &str,
    options: &MergeOptions,
) -> MergeResult {
    if let Some(result) = trivial(base, ours, theirs) {
        return result;
    }
    let mut settings = diffy::MergeOptions::new();
    settings
        .set_conflict_marker_length(options.marker_size)
        .set_conflict_style(diffy::ConflictStyle::Merge)
        .set_incomplete_hunk_style(diffy::IncompleteHunkStyle::Git);
    let (bytes, clean) = match settings.merge_bytes(base.unwrap_or_default(), ours, theirs) {
        Ok(bytes) => (bytes, true),
        Err(bytes) => (bytes, false),
    };
    let mut conflicts = Vec::new();
    if !clean {
        let opening = format!("{} ", "<".repeat(options.marker_size));
        for (n, text) in bytes.split(|&b| b == b'\n').enumerate() {
            if text.starts_with(opening.as_bytes()) {
                conflicts.push(MergeConflict {
                    path: path.to_string(),
                    line: n + 1,
                    subject: Subject::Lines,
                    message: "both sides changed these lines; keep what you want and delete the marker lines".to_string(),
                });
            }
        }
    }
    MergeResult {
        bytes,
        conflicts,
        how: MergedBy::Lines,
    }
}

/// The result when one side did nothing (or both did the same).
fn trivial(base: Option<&[u8]>, ours: &[u8], theirs: &[u8]) -> Option<MergeResult> {
    let winner = if ours == theirs || base == Some(theirs) {
        ours
    } else if base == Some(ours) {
        theirs
    } else {
        return None;
    };
    Some(MergeResult {
        bytes: winner.to_vec(),
        conflicts: Vec::new(),
        how: MergedBy::Trivial,
    })
}

fn with_file_conflict(
    mut result: MergeResult,
    path: &str,
    line: usize,
    message: String,
) -> MergeResult {
    let line = result.conflicts.first().map_or(line, |c| c.line);
    result.conflicts.insert(
        0,
        MergeConflict {
            path: path.to_string(),
            line,
            subject: Subject::File,
            message,
        },
    );
    result
}

/// The customer id of `path` for the reader's messages: its file stem, or a
/// stand-in when the stem is no valid id (the merge does not depend on it).
fn id_of(path: &str) -> CustomerId {
    std::path::Path::new(path)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| CustomerId::parse(stem).ok())
        .unwrap_or_else(|| CustomerId::parse("customer").expect("`customer` is a valid id"))
}

/// One version of the file, read.
struct Side<'t> {
    text: &'t str,
    bom: bool,
    doc: Document,
    /// The top mapping's values, as YAML tools read them.
    map: Mapping,
}

impl<'t> Side<'t> {
    fn parse(raw: &'t [u8], path: &str, id: &CustomerId) -> Result<Side<'t>, Problem> {
        read::parse_customer(raw, path, id)?;
        let fail = |message: String| Problem::at(path, 1, 1, message);
        let (bom, body) = match raw.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let text = std::str::from_utf8(body).map_err(|e| fail(e.to_string()))?;
        let doc = yaml::parse(text).map_err(|e| fail(format!("{e:?}")))?;
        let value = yaml::value_of(text).map_err(|e| fail(e.reason))?;
        let Value::Mapping(map) = untagged(value) else {
            return Err(fail("is not a mapping".to_string()));
        };
        Ok(Side {
            text,
            bom,
            doc,
            map,
        })
    }

    /// The top mapping's node (a customer file that reads has one).
    fn top(&self) -> Option<&Node> {
        self.doc.root.as_ref().map(|root| self.doc.resolve(root))
    }
}

fn untagged(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => untagged(tagged.value),
        other => other,
    }
}

/// One edit of OURS' text: `range` replaced by `text`; a conflict keeps OURS' bytes
/// in the clean reading and puts markers around `range` (whole lines) in the result.
struct Edit {
    range: Range<usize>,
    /// Among edits at the same place: lower first (new interactions before a new key
    /// after the list).
    rank: u8,
    text: String,
    conflict: Option<Pending>,
}

struct Pending {
    subject: Subject,
    message: String,
    /// What THEIRS has in place of `range`.
    theirs: String,
}

/// A mapping of a side: its node's entries beside the values YAML reads.
struct MapView<'a> {
    text: &'a str,
    doc: &'a Document,
    node: &'a Node,
    entries: Vec<(&'a Node, &'a Node, &'a Value, &'a Value)>,
    /// Column (0-based) of its keys.
    indent: usize,
}

impl<'a> MapView<'a> {
    fn new(side: &'a Side<'_>, node: &'a Node, map: &'a Mapping) -> Result<MapView<'a>, String> {
        let NodeKind::Map(nodes) = &node.kind else {
            return Err("a mapping is written in a form crm does not splice".to_string());
        };
        if nodes.len() != map.len() {
            return Err("a mapping's keys could not be matched to its values".to_string());
        }
        let entries = nodes
            .iter()
            .zip(map.iter())
            .map(|((k, v), (kv, vv))| (k, v, kv, vv))
            .collect();
        let indent = node.span.open - line_start(side.text, node.span.open);
        Ok(MapView {
            text: side.text,
            doc: &side.doc,
            node,
            entries,
            indent,
        })
    }

    fn find(&self, key: &Value) -> Option<usize> {
        self.entries.iter().position(|(_, _, k, _)| *k == key)
    }

    /// The whole lines of entry `n`: from its key's line to the end of its value, with
    /// the comment lines indented into it after that.
    fn extent(&self, n: usize) -> Result<Range<usize>, String> {
        let (key, value, _, _) = self.entries[n];
        let start = line_start(self.text, key.span.start);
        let before = &self.text[start..key.span.start];
        if !before.chars().all(|c| c == ' ' || c == '?') || self.node.flow {
            return Err("a key is not at the start of its line".to_string());
        }
        let end = region_end(self.text, value, key.span.start);
        Ok(start..after_comments(self.text, end, self.indent))
    }

    /// Entry `n` as text that can stand at column `indent` of OURS, with OURS' line
    /// endings `nl`.
    fn entry_text(&self, n: usize, indent: usize, nl: &str) -> Result<String, String> {
        let (key, _, key_value, value) = self.entries[n];
        if let Ok(range) = self.extent(n) {
            let text = with_newlines(&self.text[range], nl);
            if let Some(text) = reindent(&text, self.indent, indent) {
                return Ok(ensure_break(text, nl));
            }
        }
        // A flow mapping, or lines that cannot move: the key as written and the
        // value written by crm.
        let key_text = source_or_render(self.text, self.doc, key, key_value, true);
        Ok(format!(
            "{}{key_text}: {}{nl}",
            " ".repeat(indent),
            render_flow(value)
        ))
    }
}

struct Merger<'a> {
    ours: &'a Side<'a>,
    theirs: &'a Side<'a>,
    nl: &'static str,
    edits: Vec<Edit>,
    path: &'a str,
}

impl<'a> Merger<'a> {
    fn run(
        base: Option<&Side<'_>>,
        ours: &'a Side<'a>,
        theirs: &'a Side<'a>,
        path: &'a str,
        id: &CustomerId,
        options: &MergeOptions,
    ) -> Result<MergeResult, String> {
        let mut merger = Merger {
            ours,
            theirs,
            nl: newline_of(ours.text),
            edits: Vec::new(),
            path,
        };
        let (Some(o_top), Some(t_top)) = (ours.top(), theirs.top()) else {
            return Err("a side has no top mapping".to_string());
        };
        let empty = Mapping::new();
        let base_map = base.map_or(&empty, |b| &b.map);
        let o_view = MapView::new(ours, o_top, &ours.map)?;
        let t_view = MapView::new(theirs, t_top, &theirs.map)?;
        let expected = merger.merge_map("", Some(base_map), &o_view, &t_view, true)?;
        merger.finish(&expected, id, options)
    }

    /// Merges mapping `o` (OURS) with `t` (THEIRS) from `base`, adding the edits to
    /// OURS' text; gives back what the merged mapping must read as (OURS' side of each
    /// conflict).
    fn merge_map(
        &mut self,
        prefix: &str,
        base: Option<&Mapping>,
        o: &MapView<'_>,
        t: &MapView<'_>,
        top: bool,
    ) -> Result<Mapping, String> {
        let mut expected = o
            .entries
            .iter()
            .map(|(_, _, k, v)| ((*k).clone(), (*v).clone()))
            .collect::<Mapping>();
        let mut keys: Vec<&Value> = o.entries.iter().map(|(_, _, k, _)| *k).collect();
        for (_, _, k, _) in &t.entries {
            if o.find(k).is_none() {
                keys.push(k);
            }
        }
        for key in keys {
            let b = base.and_then(|m| m.get(key));
            let on = o.find(key);
            let tn = t.find(key);
            let ov = on.map(|n| o.entries[n].3);
            let tv = tn.map(|n| t.entries[n].3);
            if ov == tv {
                continue;
            }
            let name = format!("{prefix}{}", key_name(key));
            if top && key.as_str() == Some("interactions") {
                let list = self.merge_interactions(b, o, on, t, tn)?;
                if let Some(list) = list {
                    expected.insert(key.clone(), list);
                }
                continue;
            }
            if ov == b {
                self.take_theirs(o, on, t, tn)?;
                match tv {
                    Some(v) => {
                        expected.insert(key.clone(), v.clone());
                    }
                    None => {
                        expected.remove(key);
                    }
                }
                continue;
            }
            if tv == b {
                continue;
            }
            if top && key.as_str() == Some("tags") {
                if let Some(merged) = self.merge_tags(b, o, on, t, tn)? {
                    expected.insert(key.clone(), merged);
                    continue;
                }
            }
            if let (Some(on), Some(tn)) = (on, tn) {
                if let Some(merged) = self.merge_nested(&name, b, o, on, t, tn)? {
                    expected.insert(key.clone(), Value::Mapping(merged));
                    continue;
                }
            }
            self.key_conflict(&name, o, on, t, tn)?;
        }
        Ok(expected)
    }

    /// Both sides changed the mapping at entry `on` / `tn` differently: merged key by
    /// key when all three are block mappings, else `None`.
    fn merge_nested(
        &mut self,
        name: &str,
        base: Option<&Value>,
        o: &MapView<'_>,
        on: usize,
        t: &MapView<'_>,
        tn: usize,
    ) -> Result<Option<Mapping>, String> {
        let base_map = match base.map(|v| untagged(v.clone())) {
            None => None,
            Some(Value::Mapping(m)) => Some(m),
            Some(_) => return Ok(None),
        };
        let (_, o_node, _, o_val) = o.entries[on];
        let (_, t_node, _, t_val) = t.entries[tn];
        let (Value::Mapping(o_map), Value::Mapping(t_map)) = (o_val, t_val) else {
            return Ok(None);
        };
        // Only plain block mappings, not empty, not anchored, aliased or tagged.
        let plain = |node: &Node| {
            node.tag.is_none()
                && !node.flow
                && matches!(&node.kind, NodeKind::Map(entries) if !entries.is_empty())
        };
        if !plain(o_node) || !plain(t_node) {
            return Ok(None);
        }
        let o_view = MapView::new(self.ours, o_node, o_map)?;
        let t_view = MapView::new(self.theirs, t_node, t_map)?;
        let merged = self.merge_map(
            &format!("{name}."),
            base_map.as_ref().or(Some(&Mapping::new())),
            &o_view,
            &t_view,
            false,
        )?;
        if merged.is_empty() {
            return Err(format!("`{name}` would be left empty"));
        }
        Ok(Some(merged))
    }

    /// Takes THEIRS' side of one key OURS left as it was in the base.
    fn take_theirs(
        &mut self,
        o: &MapView<'_>,
        on: Option<usize>,
        t: &MapView<'_>,
        tn: Option<usize>,
    ) -> Result<(), String> {
        match (on, tn) {
            (Some(on), None) => {
                let range = o.extent(on)?;
                self.edit(range, 1, String::new());
            }
            (on, Some(tn)) => {
                let text = t.entry_text(tn, o.indent, self.nl)?;
                let range = match on {
                    Some(on) => o.extent(on)?,
                    None => {
                        let at = self.insertion_point(o, t, tn)?;
                        at..at
                    }
                };
                let text = self.at_line_start(range.start, text);
                self.edit(range, 1, text);
            }
            (None, None) => {}
        }
        Ok(())
    }

    fn key_conflict(
        &mut self,
        name: &str,
        o: &MapView<'_>,
        on: Option<usize>,
        t: &MapView<'_>,
        tn: Option<usize>,
    ) -> Result<(), String> {
        let theirs = match tn {
            Some(tn) => t.entry_text(tn, o.indent, self.nl)?,
            None => String::new(),
        };
        let range = match on {
            Some(on) => o.extent(on)?,
            None => {
                let at = self.insertion_point(o, t, tn.unwrap_or_default())?;
                at..at
            }
        };
        let shown = |view: &MapView<'_>, n: Option<usize>| match n {
            Some(n) => format!("`{}`", short(&render_flow(view.entries[n].3))),
            None => "nothing (deleted)".to_string(),
        };
        let message = match (on, tn) {
            (Some(_), Some(_)) => format!(
                "changed differently on both sides: ours {}, theirs {}; keep one side and delete the marker lines",
                shown(o, on),
                shown(t, tn)
            ),
            (None, _) => format!(
                "deleted on our side and changed on theirs (to {}); keep their lines or delete them, and the marker lines",
                shown(t, tn)
            ),
            (_, None) => format!(
                "changed on our side (to {}) and deleted on theirs; keep our lines or delete them, and the marker lines",
                shown(o, on)
            ),
        };
        let theirs = if on.is_none() {
            self.at_line_start(range.start, theirs)
        } else {
            theirs
        };
        self.conflict(range, theirs, Subject::Key(name.to_string()), message);
        Ok(())
    }

    /// Where a key THEIRS added (entry `tn` of `t`) goes in OURS: after the nearest
    /// key before it in THEIRS that OURS has too, else before OURS' first key.
    fn insertion_point(
        &self,
        o: &MapView<'_>,
        t: &MapView<'_>,
        tn: usize,
    ) -> Result<usize, String> {
        for before in (0..tn).rev() {
            if let Some(on) = o.find(t.entries[before].2) {
                return Ok(o.extent(on)?.end);
            }
        }
        match o.entries.first() {
            Some((key, _, _, _)) => Ok(line_start(o.text, key.span.start)),
            None => Err("an empty mapping".to_string()),
        }
    }

    /// `text` with a line break first if `at` is not at the start of a line (the end
    /// of a file without a final line break).
    fn at_line_start(&self, at: usize, text: String) -> String {
        if is_line_start(self.ours.text.as_bytes(), at) || text.is_empty() {
            text
        } else {
            format!("{}{text}", self.nl)
        }
    }

    /// Both sides changed `tags`: merged as a set when every side holds a list of text
    /// (or one text, or nothing), else `None`.
    fn merge_tags(
        &mut self,
        base: Option<&Value>,
        o: &MapView<'_>,
        on: Option<usize>,
        t: &MapView<'_>,
        tn: Option<usize>,
    ) -> Result<Option<Value>, String> {
        let (Some(b), Some(ours), Some(theirs)) = (
            tag_list(base),
            tag_list(on.map(|n| o.entries[n].3)),
            tag_list(tn.map(|n| t.entries[n].3)),
        ) else {
            return Ok(None);
        };
        let removed: Vec<&String> = b.iter().filter(|x| !theirs.contains(x)).collect();
        let mut merged: Vec<String> = ours
            .iter()
            .filter(|x| !removed.contains(x))
            .cloned()
            .collect();
        for tag in &theirs {
            if !b.contains(tag) && !merged.contains(tag) {
                merged.push(tag.clone());
            }
        }
        let value = Value::Sequence(merged.iter().cloned().map(Value::String).collect());
        if merged == ours {
            return Ok(Some(on.map_or(value, |n| o.entries[n].3.clone())));
        }
        let source_items: &[Node] = match on.map(|n| &o.entries[n].1.kind) {
            Some(NodeKind::Seq(items)) => items,
            _ => &[],
        };
        // Each tag OURS keeps as OURS wrote it; the new ones as crm writes them.
        let written: Vec<String> = merged
            .iter()
            .map(|tag| {
                source_items
                    .iter()
                    .find(|item| item.scalar() == Some(tag.as_str()) && item.tag.is_none())
                    .map(|item| &o.text[item.span.start..item.span.end])
                    .filter(|text| !has_break(text))
                    .map_or_else(|| yaml::scalar(tag), str::to_string)
            })
            .collect();
        let flow = format!("[{}]", written.join(", "));
        match on {
            Some(on) => {
                let (_, node, _, _) = o.entries[on];
                if node.tag.is_some() || matches!(node.kind, NodeKind::Anchor(_)) {
                    return Ok(None);
                }
                let span = node.span;
                match &node.kind {
                    NodeKind::Seq(_) if !node.flow && !merged.is_empty() => {
                        let dash = span.open;
                        let indent = dash - line_start(o.text, dash);
                        let mut text = format!(
                            "- {}",
                            written.join(&format!("{}{}- ", self.nl, " ".repeat(indent)))
                        );
                        let end = content_end(o.text, node);
                        if is_line_start(o.text.as_bytes(), end) && end > span.start {
                            text.push_str(self.nl);
                        }
                        self.edit(dash..end, 1, text);
                    }
                    _ => {
                        let text = if span.start == span.end {
                            format!(" {flow}")
                        } else {
                            flow
                        };
                        let end = content_end(o.text, node);
                        let text = if is_line_start(o.text.as_bytes(), end) && end > span.start {
                            format!("{text}{}", self.nl)
                        } else {
                            text
                        };
                        self.edit(span.start..end, 1, text);
                    }
                }
            }
            None => {
                let at = self.insertion_point(o, t, tn.unwrap_or_default())?;
                let text = format!("{}tags: {flow}{}", " ".repeat(o.indent), self.nl);
                let text = self.at_line_start(at, text);
                self.edit(at..at, 1, text);
            }
        }
        Ok(Some(value))
    }

    /// Merges the `interactions` lists, entry by entry; gives back what the merged
    /// list must read as, or `None` when OURS' list stays as it is.
    fn merge_interactions(
        &mut self,
        base: Option<&Value>,
        o: &MapView<'_>,
        on: Option<usize>,
        t: &MapView<'_>,
        tn: Option<usize>,
    ) -> Result<Option<Value>, String> {
        let base_list = list_of(base)?;
        let o_list = list_of(on.map(|n| o.entries[n].3))?;
        let t_list = list_of(tn.map(|n| t.entries[n].3))?;
        let o_items = items_of(&self.ours.doc, on.map(|n| o.entries[n].1), o_list.len())?;
        let t_items = items_of(&self.theirs.doc, tn.map(|n| t.entries[n].1), t_list.len())?;
        let o_list_node = on.map(|n| self.ours.doc.resolve(o.entries[n].1));
        let flow = o_list_node.is_some_and(|node| node.flow);
        let layout = ListLayout::of(self.ours.text, o_list_node, &o_items);

        let (o_fate, o_added) = align(base_list, o_list);
        let (t_fate, t_added) = align(base_list, t_list);

        // What happens to each of OURS' entries, and what goes before each (the last
        // slot is the end of the list).
        let mut replaced: Vec<Option<Value>> = vec![None; o_list.len()];
        let mut deleted = vec![false; o_list.len()];
        let mut before: Vec<Vec<Value>> = vec![Vec::new(); o_list.len() + 1];
        let mut end_fields: Vec<Vec<String>> = Vec::new();

        for (i, (of, tf)) in o_fate.iter().zip(&t_fate).enumerate() {
            match (*of, *tf) {
                (Fate::Kept(oi), Fate::Edited(ti)) => {
                    let layout = layout.as_ref().ok_or("no list layout")?;
                    let fields = entry_fields(self.theirs, t_items[ti], &t_list[ti], flow);
                    let range = layout.item_range(self.ours.text, &o_items, oi);
                    let text = layout.render(&fields, self.nl);
                    self.edit(range, 0, text);
                    replaced[oi] = Some(t_list[ti].clone());
                }
                (Fate::Kept(oi), Fate::Deleted) => {
                    let layout = layout.as_ref().ok_or("no list layout")?;
                    let range = layout.delete_range(self.ours.text, &o_items, oi);
                    self.edit(range, 0, String::new());
                    deleted[oi] = true;
                }
                (Fate::Edited(oi), Fate::Edited(ti)) if o_list[oi] != t_list[ti] => {
                    let layout = layout.as_ref().ok_or("no list layout")?;
                    let fields = entry_fields(self.theirs, t_items[ti], &t_list[ti], flow);
                    let range = layout.item_range(self.ours.text, &o_items, oi);
                    let text = layout.render(&fields, self.nl);
                    let message = format!(
                        "edited differently on both sides (theirs: {}); keep one side and delete the marker lines",
                        short(&render_flow(&t_list[ti]))
                    );
                    self.conflict(range, text, entry_subject(&o_list[oi]), message);
                }
                (Fate::Edited(oi), Fate::Deleted) => {
                    let layout = layout.as_ref().ok_or("no list layout")?;
                    let range = layout.item_range(self.ours.text, &o_items, oi);
                    let message = "edited on our side and deleted on theirs; keep our lines or delete them, and the marker lines".to_string();
                    self.conflict(range, String::new(), entry_subject(&o_list[oi]), message);
                }
                (Fate::Deleted, Fate::Edited(ti)) => {
                    let fields = entry_fields(self.theirs, t_items[ti], &t_list[ti], flow);
                    let message = format!(
                        "deleted on our side and edited on theirs (to {}); keep their lines or delete them, and the marker lines",
                        short(&render_flow(&t_list[ti]))
                    );
                    let subject = entry_subject(&t_list[ti]);
                    let Some(layout) = layout.as_ref() else {
                        // OURS' list is empty: THEIRS' entry as the appender would
                        // write it there.
                        let (range, text) = self.plan()?.splice(self.ours.text, &[fields]);
                        self.conflict(range, text, subject, message);
                        continue;
                    };
                    let at = match o_fate[i + 1..].iter().find_map(|f| f.index()) {
                        Some(next) => layout.insert_at(self.ours.text, &o_items, next),
                        None => self.plan()?.splice(self.ours.text, &[]).0.end,
                    };
                    self.conflict(
                        at..at,
                        layout.render_before(&fields, self.nl),
                        subject,
                        message,
                    );
                }
                _ => {}
            }
        }

        // Entries THEIRS added, but for those OURS added too (same date, kind,
        // summary and amount).
        let mut absorbed = vec![false; o_added.len()];
        let mut new: Vec<usize> = Vec::new();
        for &ti in &t_added {
            let same = o_added
                .iter()
                .enumerate()
                .position(|(n, &oi)| !absorbed[n] && same_entry(&o_list[oi], &t_list[ti]));
            match same {
                Some(n) => absorbed[n] = true,
                None => new.push(ti),
            }
        }
        for ti in new {
            let date = date_of(&t_list[ti]);
            let slot = o_list
                .iter()
                .rposition(|entry| date_of(entry) <= date)
                .map_or(0, |n| n + 1);
            let fields = entry_fields(self.theirs, t_items[ti], &t_list[ti], flow);
            if slot == o_list.len() {
                end_fields.push(fields);
            } else {
                let layout = layout.as_ref().ok_or("no list layout")?;
                let at = layout.insert_at(self.ours.text, &o_items, slot);
                self.edit(at..at, 0, layout.render_before(&fields, self.nl));
            }
            before[slot].push(t_list[ti].clone());
        }
        if !end_fields.is_empty() {
            let (range, text) = self.plan()?.splice(self.ours.text, &end_fields);
            self.edit(range, 0, text);
        }

        let mut list = Vec::new();
        for (n, entry) in o_list.iter().enumerate() {
            list.extend(before[n].iter().cloned());
            if deleted[n] {
                continue;
            }
            list.push(replaced[n].clone().unwrap_or_else(|| entry.clone()));
        }
        list.extend(before[o_list.len()].iter().cloned());
        if list == o_list {
            return Ok(None);
        }
        Ok(Some(Value::Sequence(list)))
    }

    /// How the appender adds entries to OURS' list.
    fn plan(&self) -> Result<yaml::Plan, String> {
        yaml::plan_append(self.ours.text, &self.ours.doc, "interactions")
            .map_err(|e| e.explain("customer").0)
    }

    fn edit(&mut self, range: Range<usize>, rank: u8, text: String) {
        self.edits.push(Edit {
            range,
            rank,
            text,
            conflict: None,
        });
    }

    /// A conflict on the bytes `core` of OURS, which THEIRS has as `theirs`: the markers
    /// go around the whole lines holding `core`.
    fn conflict(&mut self, core: Range<usize>, theirs: String, subject: Subject, message: String) {
        let text = self.ours.text;
        let start = line_start(text, core.start);
        let end = if is_line_start(text.as_bytes(), core.end)
            && (core.end > core.start || core.start == start)
        {
            core.end
        } else {
            next_line(text, core.end)
        };
        let theirs = format!(
            "{}{theirs}{}",
            &text[start..core.start],
            &text[core.end..end]
        );
        self.edits.push(Edit {
            range: start..end,
            rank: 2,
            text: String::new(),
            conflict: Some(Pending {
                subject,
                message,
                theirs,
            }),
        });
    }

    /// Applies the edits: once without conflict markers (OURS' side of each conflict),
    /// which must read back as `expected`; then, if there are conflicts, with them.
    fn finish(
        mut self,
        expected: &Mapping,
        id: &CustomerId,
        options: &MergeOptions,
    ) -> Result<MergeResult, String> {
        self.edits
            .sort_by_key(|e| (e.range.start, e.range.end, e.rank));
        let text = self.ours.text;
        let mut last = 0;
        for edit in &self.edits {
            if edit.range.start < last || edit.range.end > text.len() {
                return Err("two changes fall on the same lines".to_string());
            }
            last = edit.range.end;
        }
        let clean = self.assemble(None);
        let read_back = read::parse_customer(clean.as_bytes(), self.path, id)
            .map_err(|p| format!("the merged text would not read: {p}"))?;
        drop(read_back);
        let value = yaml::value_of(&clean).map_err(|e| e.reason)?;
        let Value::Mapping(merged) = untagged(value) else {
            return Err("the merged text is no mapping".to_string());
        };
        if normalized(&Value::Mapping(merged)) != normalized(&Value::Mapping(expected.clone())) {
            return Err("the merged text does not read back as the merged values".to_string());
        }
        let mut conflicts = Vec::new();
        let bytes = if self.edits.iter().any(|e| e.conflict.is_some()) {
            self.assemble(Some((options.marker_size, &mut conflicts)))
        } else {
            clean
        };
        let mut out = Vec::with_capacity(bytes.len() + 3);
        if self.ours.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        out.extend_from_slice(bytes.as_bytes());
        Ok(MergeResult {
            bytes: out,
            conflicts,
            how: MergedBy::Fields,
        })
    }

    fn assemble(&self, markers: Option<(usize, &mut Vec<MergeConflict>)>) -> String {
        let text = self.ours.text;
        let mut out = String::with_capacity(text.len() + 256);
        let mut at = 0;
        let mut found = Vec::new();
        for edit in &self.edits {
            out.push_str(&text[at..edit.range.start]);
            at = edit.range.end;
            match (&edit.conflict, &markers) {
                (None, _) => out.push_str(&edit.text),
                (Some(_), None) => out.push_str(&text[edit.range.clone()]),
                (Some(pending), Some((size, _))) => {
                    found.push((out.len(), pending));
                    let nl = self.nl;
                    out.push_str(&format!("{} ours{nl}", "<".repeat(*size)));
                    out.push_str(&ensure_break(text[edit.range.clone()].to_string(), nl));
                    out.push_str(&format!("{}{nl}", "=".repeat(*size)));
                    out.push_str(&ensure_break(pending.theirs.clone(), nl));
                    out.push_str(&format!("{} theirs{nl}", ">".repeat(*size)));
                }
            }
        }
        out.push_str(&text[at..]);
        if let Some((_, conflicts)) = markers {
            for (offset, pending) in found {
                conflicts.push(MergeConflict {
                    path: self.path.to_string(),
                    line: Pos::at_offset(&out, offset).line,
                    subject: pending.subject.clone(),
                    message: pending.message.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
