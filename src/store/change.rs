//! Changing one field of a customer file in place (`crm set`, `crm unset`, `crm tag`):
//! the new bytes are spliced in by [`splice`](super::splice), which keeps every other
//! byte; the result must read back as exactly the old document with that one value
//! changed, and pass the reader every command uses, before it replaces the file (under
//! the lock, and only if the file still holds the bytes that were read).

use chrono::NaiveDate;

use super::{Book, Problem, WriteLock};
use crate::domain::field_change::{self, Field, TagChange, Value, KEY_ORDER};
use crate::domain::id::CustomerId;
use crate::error::{Error, Result};
use crate::yaml::{self as tree, Document, Node, NodeKind};
use crate::yaml::{self as splice, Mapping, SpliceError, Style, Value as Yaml};
use crate::yaml::{flow_list, scalar, scalar_like};

/// What a field change did.
#[derive(Debug, Clone)]
pub(crate) struct FieldChanged {
    /// The field, as the user names it.
    pub(crate) field: String,
    /// Its value before, if it had one (as text).
    pub(crate) before: Option<String>,
    /// Its value now, if any.
    pub(crate) after: Option<String>,
    /// Whether the file was left as it was (the value was already so).
    pub(crate) unchanged: bool,
    /// What `crm check` still reports about the file.
    pub(crate) warnings: Vec<Problem>,
}

/// What a tag change did.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagsChanged {
    /// Tags added.
    pub(crate) added: Vec<String>,
    /// Tags taken away (as they were written).
    pub(crate) removed: Vec<String>,
    /// Arguments that changed nothing.
    pub(crate) unchanged: Vec<String>,
    /// The tags now.
    pub(crate) tags: Vec<String>,
    /// What `crm check` still reports about the file.
    pub(crate) warnings: Vec<Problem>,
}

/// The quoting of the value `field` has now, if it is a scalar.
fn style_of(doc: &Document, root: &Node, field: &Field) -> Option<Style> {
    let node = match field {
        Field::Pref(k) => doc.get(doc.get(root, "preferences")?, k)?,
        Field::Every => {
            let fu = doc.get(root, "follow_up")?;
            doc.get(fu, "every").unwrap_or(fu)
        }
        other => doc.get(root, &other.shown())?,
    };
    match &doc.resolve(node).kind {
        NodeKind::Scalar { style, .. } => Some(*style),
        _ => None,
    }
}

/// The text of `value` as it is written into a file, text in the quoting of the value
/// it replaces (`style`).
fn render(value: &Value, style: Option<Style>) -> String {
    match value {
        Value::Text(text) => match style {
            Some(style) => scalar_like(text, style),
            None => scalar(text),
        },
        Value::Date(_) | Value::Cadence(_) => value.to_string(),
    }
}

/// The key a new top-level `key` follows: the last key before it in the documented
/// order that the file has.
fn after_key(doc: &Document, root: &Node, key: &str) -> Option<&'static str> {
    let at = KEY_ORDER.iter().position(|k| *k == key)?;
    KEY_ORDER[..at]
        .iter()
        .rev()
        .find(|k| doc.entry(root, k).is_some())
        .copied()
}

/// The mapping a (possibly tagged) document is.
fn mapping_mut(value: &mut Yaml) -> Option<&mut Mapping> {
    match value {
        Yaml::Mapping(map) => Some(map),
        Yaml::Tagged(tagged) => mapping_mut(&mut tagged.value),
        _ => None,
    }
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.to_string())
}

/// The YAML value of `text` (a scalar or flow collection crm renders).
fn yaml_of(text: &str) -> Result<Yaml> {
    crate::yaml::value_of(text).map_err(|e| {
        Error::invalid_file(format!(
            "internal error: crm rendered unreadable YAML: {}",
            e.reason
        ))
    })
}

/// A scalar's text, for messages.
fn shown_value(doc: &Document, node: &Node) -> Option<String> {
    let node = doc.resolve(node);
    if node.is_null() {
        return None;
    }
    node.scalar().map(str::to_string)
}

/// A parsed file's top mapping.
struct Parsed<'a> {
    text: &'a str,
    doc: Document,
    shown: String,
    id: CustomerId,
}

impl Parsed<'_> {
    fn root(&self) -> Result<&Node> {
        let root = self.doc.root.as_ref().filter(|r| {
            let top = self.doc.resolve(r);
            matches!(top.kind, NodeKind::Map(_))
        });
        root.ok_or_else(|| self.not_mapping())
    }

    fn not_mapping(&self) -> Error {
        Error::invalid_file(format!(
            "{}:1:1: the file is not a mapping of `key: value` lines; nothing was written",
            self.shown
        ))
    }

    fn refuse(&self, err: SpliceError) -> Error {
        Error::invalid_file(format!(
            "{}:{}:{}: crm cannot change this without rewriting what is written there: {}; nothing was written",
            self.shown, err.pos.line, err.pos.column, err.why
        ))
        .with_hint(format!(
            "make the change by hand with `crm edit {}`",
            self.id
        ))
    }
}

impl Book {
    /// Sets (`value` given) or takes out (`None`) the field `raw_field` of customer
    /// `id`, checked by the rules of `crm add`; rewrites only that value's bytes.
    pub(crate) fn change_field(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        raw_field: &str,
        raw_value: Option<&str>,
        today: NaiveDate,
    ) -> Result<FieldChanged> {
        let loaded = self.load(id)?;
        let shown = self.shown(&self.customer_path(id));
        let text = loaded.text();
        let parsed = Parsed {
            text,
            doc: tree::parse(text).map_err(|e| {
                Error::invalid_file(format!(
                    "{shown}: internal error: a file crm read does not parse again: {e:?}"
                ))
            })?,
            shown: shown.clone(),
            id: id.clone(),
        };
        let root = parsed.root()?;
        let doc = &parsed.doc;
        let field = Field::parse(raw_field, &|k| doc.entry(root, k).is_some()).map_err(|m| {
            Error::usage(m).with_hint(format!(
                "`crm show {id} --format yaml` shows the file's fields"
            ))
        })?;
        let value = raw_value
            .map(|v| field.value(v, today))
            .transpose()
            .map_err(|m| Error::usage(m).with_hint(hint_for(&field)))?;
        let mut expected: Yaml = crate::yaml::value_of(text)
            .map_err(|e| super::yaml_refusal(&shown, &e, "crm cannot safely edit this file"))?;
        let new = value
            .as_ref()
            .map(|v| render(v, style_of(doc, root, &field)));
        let (new_text, before) = match &field {
            Field::Pref(k) => self.change_pref(&parsed, root, k, new.as_deref(), &mut expected)?,
            Field::Every => self.change_every(&parsed, root, new.as_deref(), &mut expected)?,
            Field::Name if new.is_none() => {
                return Err(
                    Error::usage("`name` cannot be taken out: every customer has a name")
                        .with_hint(format!("change it with `crm set {id} name \"New Name\"`")),
                )
            }
            _ => {
                let k = match &field {
                    Field::Other(k) => k.as_str(),
                    other => KEY_ORDER
                        .iter()
                        .find(|k| **k == other.shown())
                        .copied()
                        .unwrap_or("name"),
                };
                change_top(&parsed, root, k, new.as_deref(), &mut expected)?
            }
        };
        let after = value.as_ref().map(ToString::to_string);
        let new_text = new_text.filter(|_| before != after);
        let mut changed = FieldChanged {
            field: field.shown(),
            unchanged: new_text.is_none(),
            before,
            after,
            warnings: Vec::new(),
        };
        let Some(new_text) = new_text else {
            return Ok(changed);
        };
        changed.warnings = self.write_changed(lock, id, &loaded, &new_text, &expected)?;
        Ok(changed)
    }

    /// Adds and takes away tags of customer `id`, keeping the list's own style.
    pub(crate) fn change_tags(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        changes: &[TagChange],
    ) -> Result<TagsChanged> {
        let loaded = self.load(id)?;
        let shown = self.shown(&self.customer_path(id));
        let text = loaded.text();
        let parse = |text: &str| {
            tree::parse(text).map_err(|e| {
                Error::invalid_file(format!(
                    "{shown}: internal error: a file crm read does not parse again: {e:?}"
                ))
            })
        };
        let parsed = Parsed {
            text,
            doc: parse(text)?,
            shown: shown.clone(),
            id: id.clone(),
        };
        let root = parsed.root()?;
        let tags = &loaded.customer.tags;
        let plan = field_change::plan_tags(tags, changes);
        let mut result = TagsChanged {
            unchanged: plan.unchanged.clone(),
            tags: tags.clone(),
            ..TagsChanged::default()
        };
        if plan.is_empty() {
            return Ok(result);
        }
        let mut expected: Yaml = crate::yaml::value_of(text)
            .map_err(|e| super::yaml_refusal(&shown, &e, "crm cannot safely edit this file"))?;
        let map = mapping_mut(&mut expected).ok_or_else(|| parsed.not_mapping())?;
        let old_items: Vec<Yaml> = match map.get(key("tags")) {
            Some(Yaml::Sequence(items)) => items.clone(),
            Some(Yaml::Null) | None => Vec::new(),
            Some(single) => vec![single.clone()],
        };
        let mut new_items: Vec<Yaml> = old_items
            .iter()
            .enumerate()
            .filter(|(n, _)| !plan.remove.contains(n))
            .map(|(_, v)| v.clone())
            .collect();
        new_items.extend(plan.add.iter().map(|t| Yaml::String(t.clone())));
        map.insert(key("tags"), Yaml::Sequence(new_items));
        let added: Vec<String> = plan.add.iter().map(|t| scalar(t)).collect();
        let refuse = |e| parsed.refuse(e);
        let new_text = match parsed.doc.get(root, "tags") {
            None => splice::insert_entry(
                text,
                &parsed.doc,
                root,
                after_key(&parsed.doc, root, "tags"),
                "tags",
                &flow_list(&plan.add),
                &[],
            )
            .map_err(refuse)?,
            Some(node) => match &parsed.doc.resolve(node).kind {
                NodeKind::Seq(_) => {
                    let mut now = text.to_string();
                    if !plan.remove.is_empty() {
                        now = splice::remove_items(text, &parsed.doc, node, &plan.remove)
                            .map_err(refuse)?;
                    }
                    if !added.is_empty() {
                        let doc = parse(&now)?;
                        let root = doc.root.as_ref().ok_or_else(|| parsed.not_mapping())?;
                        let node = doc.get(root, "tags").ok_or_else(|| parsed.not_mapping())?;
                        now = if matches!(node.kind, NodeKind::Seq(_)) {
                            splice::push_items(&now, &doc, node, &added)
                        } else {
                            splice::replace_node(&now, &doc, node, &flow_list(&plan.add))
                        }
                        .map_err(|e| parsed.refuse(e))?;
                    }
                    now
                }
                _ => {
                    // A single tag written as text, or nothing: written again as a list.
                    let mut items: Vec<String> = Vec::new();
                    if !parsed.doc.resolve(node).is_null() && !plan.remove.contains(&0) {
                        items.push(text[node.span.start..node.span.end].to_string());
                    }
                    items.extend(added.iter().cloned());
                    splice::replace_node(
                        text,
                        &parsed.doc,
                        node,
                        &format!("[{}]", items.join(", ")),
                    )
                    .map_err(refuse)?
                }
            },
        };
        result.warnings = self.write_changed(lock, id, &loaded, &new_text, &expected)?;
        result.added = plan.add.clone();
        result.removed = plan.remove.iter().map(|&n| tags[n].clone()).collect();
        let mut now: Vec<String> = tags
            .iter()
            .enumerate()
            .filter(|(n, _)| !plan.remove.contains(n))
            .map(|(_, t)| t.clone())
            .collect();
        now.extend(plan.add);
        result.tags = now;
        Ok(result)
    }

    fn change_pref(
        &self,
        parsed: &Parsed<'_>,
        root: &Node,
        k: &str,
        new: Option<&str>,
        expected: &mut Yaml,
    ) -> Result<(Option<String>, Option<String>)> {
        let (text, doc) = (parsed.text, &parsed.doc);
        let refuse = |e| parsed.refuse(e);
        let map = mapping_mut(expected).ok_or_else(|| parsed.not_mapping())?;
        let prefs = doc.get(root, "preferences");
        let entries = prefs.and_then(|p| match &doc.resolve(p).kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        });
        let before = entries
            .and_then(|_| doc.get(prefs?, k))
            .and_then(|v| shown_value(doc, v));
        let Some(new) = new else {
            let Some(entries) =
                entries.filter(|_| before.is_some() || doc.get(prefs.unwrap_or(root), k).is_some())
            else {
                return Ok((None, None));
            };
            let prefs_node = prefs.expect("entries come from it");
            let only = entries.len() == 1;
            let out = if only {
                map.remove(key("preferences"));
                splice::remove_entry(text, doc, root, "preferences")
            } else {
                if let Some(Yaml::Mapping(p)) = map.get_mut(key("preferences")) {
                    p.remove(key(k));
                }
                splice::remove_entry(text, doc, prefs_node, k)
            };
            let out = out.expect("the key is there").map_err(refuse)?;
            return Ok((Some(out), before));
        };
        let value = yaml_of(new)?;
        let out = match (prefs, entries) {
            (None, _) => splice::insert_entry(
                text,
                doc,
                root,
                after_key(doc, root, "preferences"),
                "preferences",
                "",
                &[(k.to_string(), new.to_string())],
            ),
            (Some(p), Some(_)) => match splice::replace_value(text, doc, p, k, new) {
                Some(out) => out,
                None => splice::insert_entry(text, doc, p, None, k, new, &[]),
            },
            (Some(p), None) if doc.resolve(p).is_null() => {
                splice::replace_node(text, doc, p, &format!("{{{}: {new}}}", scalar(k)))
            }
            (Some(p), None) => {
                return Err(Error::invalid_file(format!(
                    "{}:{}:{}: `preferences` is not a mapping of `key: value` pairs; nothing was written",
                    parsed.shown, p.pos.line, p.pos.column
                ))
                .with_hint(format!("fix it with `crm edit {}`", parsed.id)))
            }
        }
        .map_err(refuse)?;
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
        Ok((Some(out), before))
    }

    fn change_every(
        &self,
        parsed: &Parsed<'_>,
        root: &Node,
        new: Option<&str>,
        expected: &mut Yaml,
    ) -> Result<(Option<String>, Option<String>)> {
        let (text, doc) = (parsed.text, &parsed.doc);
        let refuse = |e| parsed.refuse(e);
        let map = mapping_mut(expected).ok_or_else(|| parsed.not_mapping())?;
        let fu = doc.get(root, "follow_up");
        let fu_map = fu.and_then(|f| match &doc.resolve(f).kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        });
        // `follow_up: 30d` is the shorthand for `follow_up: {every: 30d}`.
        let shorthand = fu.filter(|f| fu_map.is_none() && !doc.resolve(f).is_null());
        let before = match (fu, fu_map, shorthand) {
            (_, _, Some(s)) => shown_value(doc, s),
            (Some(f), Some(_), _) => doc.get(f, "every").and_then(|v| shown_value(doc, v)),
            _ => None,
        };
        let Some(new) = new else {
            let out = match (fu, fu_map, shorthand) {
                (Some(_), _, Some(_)) => {
                    map.remove(key("follow_up"));
                    splice::remove_entry(text, doc, root, "follow_up")
                }
                (Some(f), Some(entries), _) if doc.get(f, "every").is_some() => {
                    if entries.len() == 1 {
                        map.remove(key("follow_up"));
                        splice::remove_entry(text, doc, root, "follow_up")
                    } else {
                        if let Some(Yaml::Mapping(m)) = map.get_mut(key("follow_up")) {
                            m.remove(key("every"));
                        }
                        splice::remove_entry(text, doc, f, "every")
                    }
                }
                _ => return Ok((None, None)),
            };
            let out = out.expect("the key is there").map_err(refuse)?;
            return Ok((Some(out), before));
        };
        let value = yaml_of(new)?;
        let out = match (fu, fu_map, shorthand) {
            (None, _, _) => splice::insert_entry(
                text,
                doc,
                root,
                after_key(doc, root, "follow_up"),
                "follow_up",
                "",
                &[("every".to_string(), new.to_string())],
            ),
            (Some(f), _, Some(_)) => {
                map.insert(key("follow_up"), value);
                return Ok((
                    Some(splice::replace_node(text, doc, f, new).map_err(refuse)?),
                    before,
                ));
            }
            (Some(f), Some(_), _) => match splice::replace_value(text, doc, f, "every", new) {
                Some(out) => out,
                None => splice::insert_entry(text, doc, f, None, "every", new, &[]),
            },
            (Some(f), None, None) => {
                splice::replace_node(text, doc, f, &format!("{{every: {new}}}"))
            }
        }
        .map_err(refuse)?;
        match map.get_mut(key("follow_up")) {
            Some(Yaml::Mapping(m)) => {
                m.insert(key("every"), value);
            }
            _ => {
                let mut m = Mapping::new();
                m.insert(key("every"), value);
                map.insert(key("follow_up"), Yaml::Mapping(m));
            }
        }
        Ok((Some(out), before))
    }

    /// Writes `new_text` over customer `id`'s file as `loaded` read it, once it reads
    /// back as exactly `expected` and passes the reader; returns what check still says.
    fn write_changed(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        loaded: &super::Loaded,
        new_text: &str,
        expected: &Yaml,
    ) -> Result<Vec<Problem>> {
        let shown = self.shown(&self.customer_path(id));
        let refuse = |why: String| {
            Error::invalid_file(format!(
                "{shown}: crm could not make this change without {why}; nothing was written"
            ))
            .with_hint(format!(
                "this is crm's mistake, not yours: make the change by hand with `crm edit {id}`, and tell us about the file's layout"
            ))
        };
        let written: Yaml = crate::yaml::value_of(new_text)
            .map_err(|e| refuse(format!("breaking the file ({})", e.reason)))?;
        if written != *expected {
            return Err(refuse("changing what else the file says".to_string()));
        }
        let mut bytes = Vec::with_capacity(new_text.len() + 3);
        if loaded.bom() {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(new_text.as_bytes());
        let saved = self.check_text(id, &bytes)?;
        lock.replace(&self.customer_path(id), loaded.raw(), &bytes)?;
        Ok(saved.warnings)
    }
}

/// Sets (or takes out) top-level `k`: its value replaced, or a new `k: value` line
/// after the keys that come before it in the documented order.
fn change_top(
    parsed: &Parsed<'_>,
    root: &Node,
    k: &str,
    new: Option<&str>,
    expected: &mut Yaml,
) -> Result<(Option<String>, Option<String>)> {
    let (text, doc) = (parsed.text, &parsed.doc);
    let map = mapping_mut(expected).ok_or_else(|| parsed.not_mapping())?;
    let node = doc.get(root, k);
    let before = node.and_then(|n| shown_value(doc, n));
    let Some(new) = new else {
        if node.is_none() {
            return Ok((None, None));
        }
        map.remove(key(k));
        let out = splice::remove_entry(text, doc, root, k)
            .expect("the key is there")
            .map_err(|e| parsed.refuse(e))?;
        return Ok((Some(out), before));
    };
    if let Some(n) = node {
        let target = doc.resolve(n);
        if !matches!(target.kind, NodeKind::Scalar { .. }) {
            return Err(Error::usage(format!(
                "`{k}` holds a list or mapping in {}:{}:{}, not one value; crm sets only single values",
                parsed.shown, n.pos.line, n.pos.column
            ))
            .with_hint(format!("change it by hand with `crm edit {}`", parsed.id)));
        }
    }
    map.insert(key(k), yaml_of(new)?);
    let out = match node {
        Some(n) => splice::replace_node(text, doc, n, new),
        None => splice::insert_entry(text, doc, root, after_key(doc, root, k), k, new, &[]),
    }
    .map_err(|e| parsed.refuse(e))?;
    Ok((Some(out), before))
}

/// How to write a good value of `field`.
fn hint_for(field: &Field) -> String {
    match field {
        Field::Email => "e.g. crm set ID email ada@example.com".into(),
        Field::Birthday => "give the date of birth as YYYY-MM-DD, e.g. 1990-12-10".into(),
        Field::Since => "give a date such as 2024-03-01 or yesterday".into(),
        Field::Every => "give a span such as 30d, 2w, 3m or 1y".into(),
        Field::Name => "e.g. crm set ID name \"Ada Lovelace\"".into(),
        other => format!("give the new {} on one line", other.shown()),
    }
}
