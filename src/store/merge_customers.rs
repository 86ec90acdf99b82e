//! `crm merge KEEP OTHER`: one customer made of two (a duplicate; not the three-way
//! merge of one file's versions, which is `merge.rs`). KEEP's file is changed in place
//! (every byte of it stays; OTHER's interactions, missing fields, tags and preferences
//! are spliced in, each as OTHER wrote it), then OTHER's file is removed. The result
//! must read back as exactly KEEP's document with those additions before anything is
//! written.

use super::{Book, Loaded, WriteLock};
use crate::domain::field_change::KEY_ORDER;
use crate::domain::id::CustomerId;
use crate::error::{Error, Result};
use crate::yaml::{self as tree, Document, Node, NodeKind};
use crate::yaml::{self as splice, Mapping, SpliceError, Value as Yaml};
use crate::yaml::{flow_list, scalar};

/// A field the two customers both have, with different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Differing {
    /// The field (`email`, `pref.coffee`).
    pub(crate) field: String,
    /// KEEP's value, as written.
    pub(crate) keep: String,
    /// OTHER's value, as written.
    pub(crate) other: String,
    /// Whether OTHER's value was taken (`--take-other`).
    pub(crate) taken: bool,
}

/// What a merge does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    /// OTHER's interactions added to KEEP.
    pub(crate) added: usize,
    /// OTHER's interactions KEEP already had (exactly), left out.
    pub(crate) duplicates: usize,
    /// Fields KEEP lacked, copied from OTHER (`pref.KEY` for preferences).
    pub(crate) copied: Vec<String>,
    /// OTHER's tags KEEP lacked.
    pub(crate) tags: Vec<String>,
    /// Fields with different values.
    pub(crate) differing: Vec<Differing>,
    /// OTHER's fields that are not single values and differ: not merged.
    pub(crate) not_merged: Vec<String>,
    /// KEEP's file as it is (to be) written.
    pub(crate) text: String,
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.to_string())
}

fn mapping(value: &Yaml) -> Option<&Mapping> {
    match value {
        Yaml::Mapping(map) => Some(map),
        Yaml::Tagged(tagged) => mapping(&tagged.value),
        _ => None,
    }
}

fn mapping_mut(value: &mut Yaml) -> Option<&mut Mapping> {
    match value {
        Yaml::Mapping(map) => Some(map),
        Yaml::Tagged(tagged) => mapping_mut(&mut tagged.value),
        _ => None,
    }
}

/// The text of a single-line scalar node as written, if it is one.
fn scalar_source<'a>(text: &'a str, doc: &Document, node: &Node) -> Option<&'a str> {
    let target = doc.resolve(node);
    if !matches!(target.kind, NodeKind::Scalar { .. })
        || target.is_null()
        || matches!(node.kind, NodeKind::Anchor(_))
    {
        return None;
    }
    let source = &text[node.span.start..node.span.end];
    (!source.contains(['\n', '\r']) && !source.starts_with(['|', '>'])).then_some(source)
}

fn after_key(doc: &Document, root: &Node, k: &str) -> Option<&'static str> {
    let at = KEY_ORDER
        .iter()
        .position(|x| *x == k)
        .unwrap_or(KEY_ORDER.len() - 1);
    KEY_ORDER[..at]
        .iter()
        .rev()
        .find(|x| doc.entry(root, x).is_some())
        .copied()
}

/// KEEP's text as it is being changed, parsed again after every change.
struct Work {
    text: String,
    doc: Document,
    shown: String,
    id: CustomerId,
}

impl Work {
    fn new(text: String, shown: String, id: CustomerId) -> Result<Work> {
        let doc = parse(&text, &shown)?;
        Ok(Work {
            text,
            doc,
            shown,
            id,
        })
    }

    fn root(&self) -> Result<&Node> {
        self.doc.root.as_ref().ok_or_else(|| {
            Error::invalid_file(format!(
                "{}:1:1: the file is not a mapping of `key: value` lines",
                self.shown
            ))
        })
    }

    fn apply(
        &mut self,
        change: impl FnOnce(&str, &Document, &Node) -> std::result::Result<String, SpliceError>,
    ) -> Result<()> {
        let root = self.root()?;
        let new = change(&self.text, &self.doc, root).map_err(|e| {
            Error::invalid_file(format!(
                "{}:{}:{}: crm cannot merge into this without rewriting what is written there: {}; nothing was written",
                self.shown, e.pos.line, e.pos.column, e.why
            ))
            .with_hint(format!("make the change by hand with `crm edit {}`, then merge again", self.id))
        })?;
        self.doc = parse(&new, &self.shown)?;
        self.text = new;
        Ok(())
    }
}

fn parse(text: &str, shown: &str) -> Result<Document> {
    tree::parse(text).map_err(|e| {
        Error::invalid_file(format!(
            "{shown}: internal error: a file crm read does not parse again: {e:?}"
        ))
    })
}

impl Book {
    /// Merges customer `other` into `keep` (see the module notes); writes nothing when
    /// `dry_run`. `take_other` names fields whose value is taken from OTHER.
    pub(crate) fn merge_customers(
        &self,
        lock: &mut WriteLock,
        keep: &CustomerId,
        other: &CustomerId,
        take_other: &[String],
        dry_run: bool,
    ) -> Result<Merged> {
        if keep == other {
            return Err(Error::usage(format!(
                "`{keep}` cannot be merged into itself"
            )));
        }
        let kept = self.load(keep)?;
        let gone = self.load(other)?;
        let shown = self.shown(&self.customer_path(keep));
        let other_shown = self.shown(&self.customer_path(other));
        let yaml = |loaded: &Loaded, shown: &str| -> Result<Yaml> {
            crate::yaml::value_of(loaded.text())
                .map_err(|e| super::yaml_refusal(shown, &e, "crm cannot safely merge this file"))
        };
        let mut expected = yaml(&kept, &shown)?;
        let theirs = yaml(&gone, &other_shown)?;
        let other_text = gone.text();
        let other_doc = parse(other_text, &other_shown)?;
        let other_root = other_doc
            .root
            .as_ref()
            .ok_or_else(|| Error::invalid_file(format!("{other_shown}:1:1: not a mapping")))?;
        let their_map = mapping(&theirs).cloned().unwrap_or_default();
        let mut work = Work::new(kept.text().to_string(), shown.clone(), keep.clone())?;
        let mut merged = Merged::default();
        for wanted in take_other {
            let known = wanted.strip_prefix("pref.").map_or_else(
                || their_map.contains_key(key(wanted)),
                |p| {
                    their_map
                        .get(key("preferences"))
                        .and_then(mapping)
                        .is_some_and(|m| m.contains_key(key(p)))
                },
            );
            if !known {
                return Err(Error::usage(format!(
                    "--take-other {wanted}: `{other}` has no such field"
                )));
            }
        }

        // Single-value fields.
        for (name, value) in &their_map {
            let Some(name) = name.as_str() else { continue };
            if matches!(name, "interactions" | "tags" | "preferences") || value.is_null() {
                continue;
            }
            let ours = mapping(&expected).and_then(|m| m.get(key(name))).cloned();
            if ours.as_ref() == Some(value) {
                continue;
            }
            let their_node = other_doc.get(other_root, name);
            let source = their_node.and_then(|n| scalar_source(other_text, &other_doc, n));
            let take = take_other.iter().any(|t| t == name);
            match (ours, source) {
                (None | Some(Yaml::Null), Some(source)) => {
                    let source = source.to_string();
                    let present = work.doc.get(work.root()?, name).is_some();
                    work.apply(|text, doc, root| {
                        if present {
                            splice::replace_value(text, doc, root, name, &source)
                                .unwrap_or_else(|| Ok(text.to_string()))
                        } else {
                            splice::insert_entry(
                                text,
                                doc,
                                root,
                                after_key(doc, root, name),
                                name,
                                &source,
                                &[],
                            )
                        }
                    })?;
                    insert(&mut expected, name, value.clone());
                    merged.copied.push(name.to_string());
                }
                (Some(ours), Some(source)) => {
                    let keep_node = work.doc.get(work.root()?, name);
                    let keep_source = keep_node
                        .and_then(|n| scalar_source(&work.text, &work.doc, n))
                        .map(str::to_string);
                    let taken = take && keep_source.is_some();
                    if take && !taken {
                        return Err(Error::usage(format!(
                            "--take-other {name}: `{keep}`'s {name} is not a single value; change it by hand"
                        )));
                    }
                    merged.differing.push(Differing {
                        field: name.to_string(),
                        keep: keep_source.unwrap_or_else(|| format!("{ours:?}")),
                        other: source.to_string(),
                        taken,
                    });
                    if taken {
                        let source = source.to_string();
                        work.apply(|text, doc, root| {
                            splice::replace_value(text, doc, root, name, &source)
                                .unwrap_or_else(|| Ok(text.to_string()))
                        })?;
                        insert(&mut expected, name, value.clone());
                    }
                }
                (_, None) => {
                    if take {
                        return Err(Error::usage(format!(
                            "--take-other {name}: `{other}`'s {name} is not a single value; change it by hand"
                        )));
                    }
                    merged.not_merged.push(name.to_string());
                }
            }
        }

        // Tags: united.
        let missing: Vec<String> = gone
            .customer
            .tags
            .iter()
            .filter(|t| !kept.customer.tags.iter().any(|k| k.eq_ignore_ascii_case(t)))
            .fold(Vec::new(), |mut acc: Vec<String>, t| {
                if !acc.iter().any(|a| a.eq_ignore_ascii_case(t)) {
                    acc.push(t.clone());
                }
                acc
            });
        if !missing.is_empty() {
            let rendered: Vec<String> = missing.iter().map(|t| scalar(t)).collect();
            work.apply(|text, doc, root| match doc.get(root, "tags") {
                None => splice::insert_entry(
                    text,
                    doc,
                    root,
                    after_key(doc, root, "tags"),
                    "tags",
                    &flow_list(&missing),
                    &[],
                ),
                Some(node) if matches!(doc.resolve(node).kind, NodeKind::Seq(_)) => {
                    splice::push_items(text, doc, node, &rendered)
                }
                Some(node) => {
                    let mut items = Vec::new();
                    if !doc.resolve(node).is_null() {
                        items.push(text[node.span.start..node.span.end].to_string());
                    }
                    items.extend(rendered.iter().cloned());
                    splice::replace_node(text, doc, node, &format!("[{}]", items.join(", ")))
                }
            })?;
            if let Some(map) = mapping_mut(&mut expected) {
                let mut items = match map.get(key("tags")) {
                    Some(Yaml::Sequence(items)) => items.clone(),
                    Some(Yaml::Null) | None => Vec::new(),
                    Some(single) => vec![single.clone()],
                };
                items.extend(missing.iter().map(|t| Yaml::String(t.clone())));
                map.insert(key("tags"), Yaml::Sequence(items));
            }
            merged.tags = missing;
        }

        // Preferences: OTHER's keys KEEP lacks are added; differing ones listed.
        if let Some(their_prefs) = other_doc.get(other_root, "preferences") {
            if let NodeKind::Map(entries) = &other_doc.resolve(their_prefs).kind {
                for (k, v) in entries {
                    let Some(k) = other_doc.resolve(k).scalar().map(str::to_string) else {
                        continue;
                    };
                    let Some(source) = scalar_source(other_text, &other_doc, v).map(str::to_string)
                    else {
                        continue;
                    };
                    let field = format!("pref.{k}");
                    let ours = kept.customer.preferences.iter().find(|(pk, _)| *pk == k);
                    let theirs_value = gone
                        .customer
                        .preferences
                        .iter()
                        .find(|(pk, _)| *pk == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    let value: Yaml = crate::yaml::value_of(&source).unwrap_or(Yaml::Null);
                    match ours {
                        Some((_, ours)) if *ours == theirs_value => {}
                        Some((_, ours)) => {
                            let taken = take_other.contains(&field);
                            merged.differing.push(Differing {
                                field: field.clone(),
                                keep: ours.clone(),
                                other: theirs_value,
                                taken,
                            });
                            if taken {
                                work.apply(|text, doc, root| {
                                    let prefs = doc.get(root, "preferences").ok_or_else(|| {
                                        SpliceError {
                                            pos: root.pos,
                                            why: "no preferences".into(),
                                        }
                                    })?;
                                    splice::replace_value(text, doc, prefs, &k, &source)
                                        .unwrap_or_else(|| Ok(text.to_string()))
                                })?;
                                set_pref(&mut expected, &k, value);
                            }
                        }
                        None => {
                            work.apply(|text, doc, root| match doc.get(root, "preferences") {
                                Some(prefs)
                                    if matches!(doc.resolve(prefs).kind, NodeKind::Map(_)) =>
                                {
                                    splice::insert_entry(text, doc, prefs, None, &k, &source, &[])
                                }
                                Some(prefs) => splice::replace_node(
                                    text,
                                    doc,
                                    prefs,
                                    &format!("{{{}: {source}}}", scalar(&k)),
                                ),
                                None => splice::insert_entry(
                                    text,
                                    doc,
                                    root,
                                    after_key(doc, root, "preferences"),
                                    "preferences",
                                    "",
                                    &[(k.clone(), source.clone())],
                                ),
                            })?;
                            set_pref(&mut expected, &k, value);
                            merged.copied.push(field);
                        }
                    }
                }
            }
        }

        // Interactions: OTHER's that KEEP lacks, each before KEEP's first later one.
        let ours: Vec<Yaml> = match mapping(&expected).and_then(|m| m.get(key("interactions"))) {
            Some(Yaml::Sequence(items)) => items.clone(),
            _ => Vec::new(),
        };
        let their_entries: Vec<Yaml> = match their_map.get(key("interactions")) {
            Some(Yaml::Sequence(items)) => items.clone(),
            _ => Vec::new(),
        };
        let their_seq = other_doc.get(other_root, "interactions");
        let mut inserts: Vec<(Option<usize>, usize)> = Vec::new();
        for (j, entry) in their_entries.iter().enumerate() {
            if ours.contains(entry) || their_entries[..j].contains(entry) {
                merged.duplicates += 1;
                continue;
            }
            let date = gone.customer.interactions.get(j).map(|i| i.date);
            let before = kept
                .customer
                .interactions
                .iter()
                .position(|i| date.is_some_and(|d| i.date > d));
            inserts.push((before, j));
        }
        merged.added = inserts.len();
        if !inserts.is_empty() {
            let their_seq = their_seq.map(|s| other_doc.resolve(s)).ok_or_else(|| {
                Error::invalid_file(format!("{other_shown}: internal error: no interactions"))
            })?;
            // The list to add to: KEEP's block list, made when it has none.
            let has_list = work
                .doc
                .get(work.root()?, "interactions")
                .is_some_and(|n| matches!(work.doc.resolve(n).kind, NodeKind::Seq(ref items) if !items.is_empty()));
            if !has_list {
                work.apply(|text, doc, root| {
                    match splice::remove_entry(text, doc, root, "interactions") {
                        Some(out) => out,
                        None => Ok(text.to_string()),
                    }
                })?;
                let mut lines = String::new();
                for &(_, j) in &inserts {
                    let (item, dash) = splice::item_text(other_text, &other_doc, their_seq, j)
                        .map_err(|e| {
                            Error::invalid_file(format!(
                                "{other_shown}:{}:{}: {}",
                                e.pos.line, e.pos.column, e.why
                            ))
                        })?;
                    lines.push_str(&splice::reindent(&item, dash, 2));
                }
                let children: Vec<(String, String)> = Vec::new();
                work.apply(|text, doc, root| {
                    let out =
                        splice::insert_entry(text, doc, root, None, "interactions", "", &children)?;
                    // The new `interactions:` line is the last key's: the items follow it.
                    let doc2 = tree::parse(&out).map_err(|_| SpliceError {
                        pos: root.pos,
                        why: "internal error".into(),
                    })?;
                    let (k, _) = doc2
                        .root
                        .as_ref()
                        .and_then(|r| doc2.entry(r, "interactions"))
                        .ok_or_else(|| SpliceError {
                            pos: root.pos,
                            why: "internal error".into(),
                        })?;
                    let line_end = out[k.span.end..]
                        .find('\n')
                        .map_or(out.len(), |n| k.span.end + n + 1);
                    let mut with = out.clone();
                    if line_end == out.len() && !out.ends_with('\n') {
                        with.push('\n');
                    }
                    let at = line_end.min(with.len());
                    with.insert_str(at, &lines);
                    Ok(with)
                })?;
            } else {
                let keep_seq = work
                    .doc
                    .get(work.root()?, "interactions")
                    .map(|n| work.doc.resolve(n).clone())
                    .ok_or_else(|| Error::invalid_file(format!("{shown}: internal error")))?;
                let indent = keep_seq.span.open
                    - work.text[..keep_seq.span.open]
                        .rfind(['\n', '\r'])
                        .map_or(0, |n| n + 1);
                // From the last place to the first, so earlier offsets stay true.
                let mut order = inserts.clone();
                order.sort_by_key(|&(before, j)| {
                    (std::cmp::Reverse(before.unwrap_or(usize::MAX)), j)
                });
                let mut groups: Vec<(Option<usize>, String)> = Vec::new();
                for (before, j) in order {
                    let (item, dash) = splice::item_text(other_text, &other_doc, their_seq, j)
                        .map_err(|e| {
                            Error::invalid_file(format!(
                                "{other_shown}:{}:{}: {}",
                                e.pos.line, e.pos.column, e.why
                            ))
                        })?;
                    let lines = splice::reindent(&item, dash, indent);
                    match groups.last_mut() {
                        Some((b, text)) if *b == before => text.push_str(&lines),
                        _ => groups.push((before, lines)),
                    }
                }
                let (mut text, doc) = (work.text.clone(), work.doc.clone());
                let seq = doc
                    .root
                    .as_ref()
                    .and_then(|r| doc.get(r, "interactions"))
                    .ok_or_else(|| Error::invalid_file(format!("{shown}: internal error")))?;
                for (before, lines) in groups {
                    text = splice::insert_lines(&text, &doc, seq, before, &lines).map_err(|e| {
                        Error::invalid_file(format!(
                            "{shown}:{}:{}: crm cannot merge into this list: {}; nothing was written",
                            e.pos.line, e.pos.column, e.why
                        ))
                        .with_hint(format!("make it a block list with `crm edit {keep}`, then merge again"))
                    })?;
                }
                work.doc = parse(&text, &shown)?;
                work.text = text;
            }
            let mut all = ours.clone();
            let mut placed: Vec<(Option<usize>, Yaml)> = inserts
                .iter()
                .map(|&(b, j)| (b, their_entries[j].clone()))
                .collect();
            // Insert from the back so indices into KEEP's list stay true.
            placed.sort_by_key(|(b, _)| std::cmp::Reverse(b.unwrap_or(usize::MAX)));
            let mut at_end = Vec::new();
            let mut by_place: Vec<(usize, Vec<Yaml>)> = Vec::new();
            for (b, entry) in placed {
                match b {
                    None => at_end.push(entry),
                    Some(b) => match by_place.last_mut() {
                        Some((p, list)) if *p == b => list.push(entry),
                        _ => by_place.push((b, vec![entry])),
                    },
                }
            }
            // `placed` was sorted stably, so each group keeps OTHER's order.
            for (b, list) in by_place {
                for (n, entry) in list.into_iter().enumerate() {
                    all.insert(b + n, entry);
                }
            }
            all.extend(at_end);
            if let Some(map) = mapping_mut(&mut expected) {
                map.insert(key("interactions"), Yaml::Sequence(all));
            }
        }

        // What it says must be what was meant, and a customer crm reads.
        let written: Yaml = crate::yaml::value_of(&work.text).map_err(|e| {
            Error::invalid_file(format!(
                "{shown}: crm could not merge without breaking the file ({}); nothing was written",
                e.reason
            ))
        })?;
        if written != expected {
            return Err(Error::invalid_file(format!(
                "{shown}: crm could not merge without changing what else the file says; nothing was written"
            ))
            .with_hint(format!(
                "this is crm's mistake, not yours: merge by hand with `crm edit {keep}`, and tell us about the files' layout"
            )));
        }
        let mut bytes = Vec::with_capacity(work.text.len() + 3);
        if kept.bom() {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(work.text.as_bytes());
        self.check_text(keep, &bytes)?;
        merged.text = work.text;
        if !dry_run {
            lock.replace(&self.customer_path(keep), kept.raw(), &bytes)?;
            lock.remove(&self.customer_path(other), gone.raw())?;
        }
        Ok(merged)
    }
}

fn insert(expected: &mut Yaml, name: &str, value: Yaml) {
    if let Some(map) = mapping_mut(expected) {
        map.insert(key(name), value);
    }
}

fn set_pref(expected: &mut Yaml, k: &str, value: Yaml) {
    if let Some(map) = mapping_mut(expected) {
        match map.get_mut(key("preferences")) {
            Some(Yaml::Mapping(p)) => {
                p.insert(key(k), value);
            }
            _ => {
                let mut p = Mapping::new();
                p.insert(key(k), value);
                map.insert(key("preferences"), Yaml::Mapping(p));
            }
        }
    }
}
