//! `crm set`, `crm unset` and `crm tag`: which field a name means, and whether a new
//! value passes the rules `crm add` and `crm check` apply. Pure: dates relative to
//! `today` are resolved by the caller's `today`, nothing is read or written here.

use chrono::NaiveDate;

use super::contact;
use super::date::{parse_past_date, Cadence};

/// The top-level keys crm knows, in the order `crm add` writes them: a key crm adds
/// to a file goes after the last of these that comes before it.
pub const KEY_ORDER: [&str; 11] = [
    "name",
    "email",
    "phone",
    "company",
    "tags",
    "birthday",
    "since",
    "archived",
    "preferences",
    "follow_up",
    "interactions",
];

/// A field `crm set` and `crm unset` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `name` (required: set, never unset).
    Name,
    /// `email`.
    Email,
    /// `phone`.
    Phone,
    /// `company`.
    Company,
    /// `birthday`.
    Birthday,
    /// `since`.
    Since,
    /// `archived`: the day `crm archive` archived the customer.
    Archived,
    /// `every`: `follow_up: {every: ...}`.
    Every,
    /// `pref.KEY`: one entry of `preferences:`.
    Pref(String),
    /// A key crm does not know, which the file already has.
    Other(String),
}

/// A checked new value, to be written in the file's own style by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (quoted when YAML needs it).
    Text(String),
    /// A date, written `YYYY-MM-DD`.
    Date(NaiveDate),
    /// A cadence, written as `30d`.
    Cadence(Cadence),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Date(date) => write!(f, "{date}"),
            Value::Cadence(every) => write!(f, "{every}"),
        }
    }
}

/// The fields `crm set` names in messages.
pub const SETTABLE: &str =
    "name, email, phone, company, birthday, since, every, pref.KEY, or a field the file already has";

impl Field {
    /// The field `raw` names. `has_key` says whether the file has a top-level key (an
    /// unknown name is a field of the file's own only if it has it).
    pub fn parse(raw: &str, has_key: &dyn Fn(&str) -> bool) -> Result<Field, String> {
        let name = raw.trim();
        Ok(match name {
            "name" => Field::Name,
            "email" => Field::Email,
            "phone" => Field::Phone,
            "company" => Field::Company,
            "birthday" => Field::Birthday,
            "since" => Field::Since,
            "archived" => Field::Archived,
            "every" | "follow_up.every" => Field::Every,
            "tags" | "tag" => {
                return Err(
                    "tags are changed with `crm tag ID +TAG -TAG`, not `crm set`".to_string(),
                )
            }
            "interactions" => {
                return Err(
                    "interactions are added with `crm log` and never changed by `crm set`"
                        .to_string(),
                )
            }
            "preferences" | "follow_up" => {
                return Err(format!(
                    "`{name}` holds several values; name one: {}",
                    if name == "preferences" {
                        "pref.KEY (e.g. pref.coffee)"
                    } else {
                        "every"
                    }
                ))
            }
            _ => {
                if let Some(key) = name.strip_prefix("pref.") {
                    let key = key.trim();
                    if key.is_empty() {
                        return Err("`pref.` needs a key, e.g. pref.coffee".to_string());
                    }
                    Field::Pref(key.to_string())
                } else if !name.is_empty() && has_key(name) {
                    Field::Other(name.to_string())
                } else {
                    let known = KEY_ORDER
                        .iter()
                        .chain(["every"].iter())
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>();
                    let guess = super::text::closest(name, &known)
                        .map(|g| format!("; did you mean `{g}`?"))
                        .unwrap_or_default();
                    return Err(format!(
                        "unknown field `{name}`: crm sets {SETTABLE}{guess}"
                    ));
                }
            }
        })
    }

    /// The field as the user names it (`email`, `pref.coffee`).
    pub fn shown(&self) -> String {
        match self {
            Field::Name => "name".into(),
            Field::Email => "email".into(),
            Field::Phone => "phone".into(),
            Field::Company => "company".into(),
            Field::Birthday => "birthday".into(),
            Field::Since => "since".into(),
            Field::Archived => "archived".into(),
            Field::Every => "every".into(),
            Field::Pref(key) => format!("pref.{key}"),
            Field::Other(key) => key.clone(),
        }
    }

    /// Checks `raw` as this field's new value by the rules of `crm add` (and check):
    /// an email with one `@`, a birthday not in the future, a cadence such as `30d`.
    /// Dates may be relative (`yesterday`, `-1w`, a weekday: the latest one).
    pub fn value(&self, raw: &str, today: NaiveDate) -> Result<Value, String> {
        let text = raw.trim();
        let what = self.shown();
        if text.is_empty() {
            return Err(format!(
                "the new {what} is empty; to take the field out, run `crm unset ID {what}`"
            ));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(format!(
                "the new {what} {text:?} contains the control character U+{:04X}; give it on one line",
                u32::from(c)
            ));
        }
        match self {
            Field::Name => contact::name(text).map(|n| Value::Text(n.to_string())),
            Field::Email => contact::email(text)
                .map(|e| Value::Text(e.to_string()))
                .map_err(|m| format!("email {m}")),
            Field::Birthday => {
                let date = parse_past_date(text, today).map_err(|m| format!("birthday: {m}"))?;
                contact::birthday(date, today).map_err(|m| format!("birthday {m}"))?;
                Ok(Value::Date(date))
            }
            Field::Since => parse_past_date(text, today)
                .map(Value::Date)
                .map_err(|m| format!("since: {m}")),
            Field::Archived => parse_past_date(text, today)
                .map(Value::Date)
                .map_err(|m| format!("archived: {m}")),
            Field::Every => Cadence::parse(text)
                .map(Value::Cadence)
                .map_err(|m| format!("every: {m}")),
            Field::Phone | Field::Company | Field::Pref(_) | Field::Other(_) => {
                Ok(Value::Text(text.to_string()))
            }
        }
    }
}

/// One `crm tag` argument: `+vip` adds, `-trial` takes away, a bare `vip` adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// Add this tag.
    Add(String),
    /// Take this tag away.
    Remove(String),
}

/// Reads `crm tag`'s arguments; a tag is one line of text without commas or `;` (the
/// separators of CSV import and export).
pub fn tag_changes(args: &[String]) -> Result<Vec<TagChange>, String> {
    let mut changes = Vec::new();
    for arg in args {
        if arg.starts_with("--") {
            return Err(format!(
                "{arg:?} after the tags is read as a tag; give flags before the id (`crm tag --commit ID +vip -trial`)"
            ));
        }
        let (add, tag) = match arg.strip_prefix('-') {
            Some(rest) => (false, rest),
            None => (true, arg.strip_prefix('+').unwrap_or(arg)),
        };
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(format!(
                "{arg:?} names no tag; write +TAG to add one and -TAG to take one away"
            ));
        }
        if tag.chars().any(|c| c.is_control() || c == ',' || c == ';') {
            return Err(format!(
                "tag {tag:?} contains a comma, `;` or a control character; a tag is one word or phrase"
            ));
        }
        changes.push(if add {
            TagChange::Add(tag.to_string())
        } else {
            TagChange::Remove(tag.to_string())
        });
    }
    Ok(changes)
}

/// What a tag change does to the list `tags`: the tags to add (not there yet) and the
/// indices to take out (matched case-insensitively, as `--tag` filters), plus the tags
/// asked for that were already so.
pub fn plan_tags(tags: &[String], changes: &[TagChange]) -> TagPlan {
    let mut plan = TagPlan::default();
    for change in changes {
        match change {
            TagChange::Add(tag) => {
                let present = tags
                    .iter()
                    .enumerate()
                    .any(|(n, t)| t.eq_ignore_ascii_case(tag) && !plan.remove.contains(&n));
                if present || plan.add.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                    plan.unchanged.push(format!("+{tag}"));
                } else {
                    plan.add.push(tag.clone());
                }
            }
            TagChange::Remove(tag) => {
                plan.add.retain(|t| !t.eq_ignore_ascii_case(tag));
                let found: Vec<usize> = tags
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.eq_ignore_ascii_case(tag))
                    .map(|(n, _)| n)
                    .collect();
                if found.is_empty() {
                    plan.unchanged.push(format!("-{tag}"));
                }
                for n in found {
                    if !plan.remove.contains(&n) {
                        plan.remove.push(n);
                    }
                }
            }
        }
    }
    plan
}

/// The result of [`plan_tags`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagPlan {
    /// Tags to add, in the order given.
    pub add: Vec<String>,
    /// Indices of tags to take out.
    pub remove: Vec<usize>,
    /// Arguments that changed nothing (`+vip` already there, `-x` not there).
    pub unchanged: Vec<String>,
}

impl TagPlan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn field_names() {
        let has = |k: &str| k == "loyalty";
        assert_eq!(Field::parse("email", &has), Ok(Field::Email));
        assert_eq!(
            Field::parse("pref.coffee", &has),
            Ok(Field::Pref("coffee".into()))
        );
        assert_eq!(
            Field::parse("loyalty", &has),
            Ok(Field::Other("loyalty".into()))
        );
        assert!(Field::parse("emial", &has).unwrap_err().contains("`email`"));
        assert!(Field::parse("tags", &has).unwrap_err().contains("crm tag"));
        assert!(Field::parse("pref.", &has).is_err());
    }

    #[test]
    fn values_follow_the_rules_of_add() {
        let today = day("2025-06-15");
        assert_eq!(
            Field::Email.value(" a@x.com ", today),
            Ok(Value::Text("a@x.com".into()))
        );
        assert!(Field::Email.value("a.x.com", today).is_err());
        assert_eq!(
            Field::Birthday.value("1990-02-01", today),
            Ok(Value::Date(day("1990-02-01")))
        );
        assert!(Field::Birthday.value("2030-01-01", today).is_err());
        assert_eq!(
            Field::Since.value("yesterday", today),
            Ok(Value::Date(day("2025-06-14")))
        );
        assert!(Field::Every.value("often", today).is_err());
        assert!(Field::Phone
            .value("  ", today)
            .unwrap_err()
            .contains("unset"));
        assert!(Field::Company.value("a\nb", today).is_err());
    }

    #[test]
    fn tag_plans() {
        let tags = vec!["VIP".to_string(), "trial".to_string()];
        let changes =
            tag_changes(&["+vip".into(), "-trial".into(), "new".into(), "-gone".into()]).unwrap();
        let plan = plan_tags(&tags, &changes);
        assert_eq!(plan.add, vec!["new".to_string()]);
        assert_eq!(plan.remove, vec![1]);
        assert_eq!(
            plan.unchanged,
            vec!["+vip".to_string(), "-gone".to_string()]
        );
        assert!(tag_changes(&["+".into()]).is_err());
        assert!(tag_changes(&["+a,b".into()]).is_err());
    }
}
