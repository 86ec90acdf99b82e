//! What an uncommitted change to a book file means, and the commit message a person
//! would write for a set of them. Pure: the caller reads the files (the committed and
//! the working version) and hands over what it parsed.

use super::customer::Customer;

/// What happened to one file of the book since the last commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A new customer file.
    Added {
        /// The customer's id.
        id: String,
    },
    /// A customer file was deleted.
    Removed {
        /// The customer's id.
        id: String,
    },
    /// A customer file was renamed (git pairs the two names by content similarity).
    Renamed {
        /// The old id.
        from: String,
        /// The new id.
        to: String,
        /// Whether the content was edited too.
        edited: bool,
    },
    /// Only interactions were appended (what `crm log` and friends do).
    Logged {
        /// The customer's id.
        id: String,
        /// The kinds of the new interactions, in file order.
        kinds: Vec<String>,
    },
    /// Anything else: the file was edited by hand (or no longer parses).
    Edited {
        /// The customer's id.
        id: String,
    },
    /// A file of the book that is not a customer (`crm.toml`, `customers/.gitkeep`).
    Other {
        /// The file, relative to the book root.
        file: String,
        /// `added`, `removed` or `edited`.
        verb: &'static str,
    },
}

impl Change {
    /// Classifies a change to customer `id`'s file from the committed and working
    /// versions (`None`: absent; `Some(None)`: present but does not parse).
    pub(crate) fn of_customer(
        id: &str,
        before: Option<Option<&Customer>>,
        after: Option<Option<&Customer>>,
    ) -> Change {
        let id = id.to_string();
        match (before, after) {
            (None, _) => Change::Added { id },
            (Some(_), None) => Change::Removed { id },
            (Some(Some(old)), Some(Some(new))) => match appended(old, new) {
                Some(kinds) if !kinds.is_empty() => Change::Logged { id, kinds },
                _ => Change::Edited { id },
            },
            _ => Change::Edited { id },
        }
    }

    /// How the change reads in a commit message: `log call with ada-lovelace`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Change::Added { id } => format!("add {id}"),
            Change::Removed { id } => format!("remove {id}"),
            Change::Renamed {
                from,
                to,
                edited: false,
            } => format!("rename {from} to {to}"),
            Change::Renamed { from, to, .. } => {
                format!("rename {from} to {to} and edit it (by hand)")
            }
            Change::Logged { id, kinds } => {
                let mut unique: Vec<&str> = Vec::new();
                for kind in kinds {
                    if !unique.contains(&kind.as_str()) {
                        unique.push(kind);
                    }
                }
                match unique.as_slice() {
                    ["done"] => format!("mark {id} done"),
                    ["snooze"] => format!("snooze {id}"),
                    _ => format!("log {} with {id}", and_list(&unique)),
                }
            }
            Change::Edited { id } => format!("edit {id} (by hand)"),
            Change::Other { file, verb } => {
                let verb = match *verb {
                    "started" => "start",
                    "added" => "add",
                    "removed" => "remove",
                    _ => "edit",
                };
                format!("{verb} {file}")
            }
        }
    }

    /// The state word shown by `crm status`: new, deleted, renamed or modified.
    pub(crate) fn state(&self) -> &'static str {
        match self {
            Change::Added { .. } | Change::Other { verb: "added", .. } => "new",
            Change::Removed { .. }
            | Change::Other {
                verb: "removed", ..
            } => "deleted",
            Change::Renamed { .. } => "renamed",
            _ => "modified",
        }
    }
}

/// The kinds of the interactions `new` appends to `old`, if that is all that changed.
fn appended(old: &Customer, new: &Customer) -> Option<Vec<String>> {
    if !new.interactions.starts_with(&old.interactions) {
        return None;
    }
    let mut same = new.clone();
    same.interactions.truncate(old.interactions.len());
    if &same != old {
        return None;
    }
    Some(
        new.interactions[old.interactions.len()..]
            .iter()
            .map(|i| i.kind.name().to_string())
            .collect(),
    )
}

fn and_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Longest summary line before crm shortens it and moves the details to the body.
pub(crate) const SUMMARY_WIDTH: usize = 72;

/// Most changes a commit body lists one by one; the rest are counted, so a commit of
/// thousands of files does not carry a body of thousands of lines.
pub(crate) const BODY_LINES: usize = 50;

/// The commit message for `changes` (in the order given), as a person would write it:
/// one short summary line and, when the details do not fit on it, a body listing them
/// (the first [`BODY_LINES`] of them, then how many more).
/// Has no trailing newline and no trailer.
pub(crate) fn commit_message(changes: &[Change]) -> String {
    let parts: Vec<String> = setup_folded(changes).iter().map(Change::describe).collect();
    let joined = parts.join("; ");
    if joined.chars().count() <= SUMMARY_WIDTH {
        return joined;
    }
    let mut summary = counted_summary(changes);
    if summary.chars().count() > SUMMARY_WIDTH {
        let customers = changes
            .iter()
            .filter(|c| !matches!(c, Change::Other { .. }))
            .count();
        let others: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Other { file, .. } => Some(file.as_str()),
                _ => None,
            })
            .collect();
        summary = update_summary(customers, &others);
    }
    let mut body: Vec<String> = parts
        .iter()
        .take(BODY_LINES)
        .map(|p| format!("- {p}"))
        .collect();
    if parts.len() > BODY_LINES {
        body.push(format!(
            "- … and {} more (`git show --stat` lists every file)",
            parts.len() - BODY_LINES
        ));
    }
    format!("{summary}\n\n{}", body.join("\n"))
}

/// The shortest summary: `update 3 customers and crm.toml`.
fn update_summary(customers: usize, others: &[&str]) -> String {
    match (customers, others.is_empty()) {
        (0, _) => format!("update {}", others.join(", ")),
        (n, true) => format!("update {}", plural(n, "customer")),
        (n, false) => format!("update {} and {}", plural(n, "customer"), others.join(", ")),
    }
}

/// A message crm wrote for its own change (`log call with ada`) made to fit the
/// summary rule of [`commit_message`]: when its first line is longer than
/// [`SUMMARY_WIDTH`], the summary becomes `update N customers` (`customers` files
/// written) and the original line moves to the body.
pub(crate) fn fit_summary(message: &str, customers: usize) -> String {
    let (first, rest) = match message.split_once('\n') {
        Some((first, rest)) => (first, Some(rest.trim_start_matches('\n'))),
        None => (message, None),
    };
    if first.chars().count() <= SUMMARY_WIDTH {
        return message.to_string();
    }
    let summary = if customers == 0 {
        "update the crm book".to_string()
    } else {
        update_summary(customers, &[])
    };
    match rest {
        Some(rest) if !rest.is_empty() => format!("{summary}\n\n{first}\n\n{rest}"),
        _ => format!("{summary}\n\n{first}"),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// When `crm.toml` itself is new, the book is being started: the set-up files are
/// folded into one "start the crm book" line.
fn setup_folded(changes: &[Change]) -> Vec<Change> {
    let starting = changes
        .iter()
        .any(|c| matches!(c, Change::Other { file, verb: "added" } if file == "crm.toml"));
    if !starting {
        return changes.to_vec();
    }
    let mut folded = vec![Change::Other {
        file: "the crm book".into(),
        verb: "started",
    }];
    folded.extend(
        changes
            .iter()
            .filter(|c| !matches!(c, Change::Other { verb: "added", .. }))
            .cloned(),
    );
    folded
}

fn counted_summary(changes: &[Change]) -> String {
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut renamed = 0;
    let mut edited = Vec::new();
    let mut logged_customers = Vec::new();
    let mut logged_entries = 0;
    let mut other = Vec::new();
    for change in changes {
        match change {
            Change::Added { id } => added.push(id.as_str()),
            Change::Removed { id } => removed.push(id.as_str()),
            Change::Renamed { .. } => renamed += 1,
            Change::Edited { id } => edited.push(id.as_str()),
            Change::Logged { id, kinds } => {
                logged_customers.push(id.as_str());
                logged_entries += kinds.len();
            }
            Change::Other { file, .. } => other.push(file.as_str()),
        }
    }
    let mut parts = Vec::new();
    if other.contains(&"crm.toml")
        && changes
            .iter()
            .any(|c| matches!(c, Change::Other { verb: "added", file } if file == "crm.toml"))
    {
        parts.push("start the crm book".to_string());
    } else if !other.is_empty() {
        parts.push(format!("edit {}", other.join(", ")));
    }
    match added.as_slice() {
        [] => {}
        [one] => parts.push(format!("add {one}")),
        many => parts.push(format!("add {}", plural(many.len(), "customer"))),
    }
    match logged_customers.as_slice() {
        [] => {}
        [one] => parts.push(format!(
            "log {} with {one}",
            plural(logged_entries, "interaction")
        )),
        many => parts.push(format!(
            "log {} with {}",
            plural(logged_entries, "interaction"),
            plural(many.len(), "customer")
        )),
    }
    match edited.as_slice() {
        [] => {}
        [one] => parts.push(format!("edit {one} (by hand)")),
        many => parts.push(format!("edit {} by hand", plural(many.len(), "customer"))),
    }
    if renamed > 0 {
        parts.push(format!("rename {}", plural(renamed, "customer")));
    }
    match removed.as_slice() {
        [] => {}
        [one] => parts.push(format!("remove {one}")),
        many => parts.push(format!("remove {}", plural(many.len(), "customer"))),
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::customer::FollowUpSettings;
    use crate::domain::id::CustomerId;
    use crate::domain::interaction::{Interaction, Kind};

    fn entry(date: &str, kind: &str) -> Interaction {
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("test date");
        Interaction::new(date, Kind::from_name(kind))
    }

    /// Ada, with one call on 2025-01-02.
    fn ada() -> Customer {
        crate::domain::profile::contact_init!(Customer {
            id: CustomerId::parse("ada").expect("valid id"),
            name: "Ada".into(),
        }
        + contact(by name, |_k| None)
        + {
            tags: Vec::new(),
            birthday: None,
            since: None,
            archived: None,
            preferences: Vec::new(),
            follow_up: FollowUpSettings::default(),
            interactions: vec![entry("2025-01-02", "call")],
        })
    }

    #[test]
    fn appended_interactions_are_a_log() {
        let old = ada();
        let mut new = ada();
        new.interactions.push(entry("2025-02-03", "email"));
        new.interactions.push(entry("2025-02-04", "call"));
        let change = Change::of_customer("ada", Some(Some(&old)), Some(Some(&new)));
        assert_eq!(
            change,
            Change::Logged {
                id: "ada".into(),
                kinds: vec!["email".into(), "call".into()]
            }
        );
        assert_eq!(change.describe(), "log email and call with ada");
    }

    #[test]
    fn a_changed_field_is_a_hand_edit_even_with_new_interactions() {
        let old = ada();
        let mut new = ada();
        new.name = "Ada L.".into();
        new.interactions.push(entry("2025-02-03", "email"));
        let change = Change::of_customer("ada", Some(Some(&old)), Some(Some(&new)));
        assert_eq!(change.describe(), "edit ada (by hand)");
    }

    #[test]
    fn an_edited_old_interaction_is_a_hand_edit() {
        let old = ada();
        let mut new = ada();
        new.interactions[0] = entry("2025-01-02", "meeting");
        new.interactions.push(entry("2025-02-03", "email"));
        assert_eq!(
            Change::of_customer("ada", Some(Some(&old)), Some(Some(&new))),
            Change::Edited { id: "ada".into() }
        );
    }

    #[test]
    fn unreadable_and_unchanged_files_are_hand_edits() {
        let old = ada();
        assert_eq!(
            Change::of_customer("ada", Some(Some(&old)), Some(None)),
            Change::Edited { id: "ada".into() }
        );
        // Same content (only comments or spacing changed): still a hand edit, not a log.
        assert_eq!(
            Change::of_customer("ada", Some(Some(&old)), Some(Some(&old))),
            Change::Edited { id: "ada".into() }
        );
    }

    #[test]
    fn new_and_deleted_files() {
        assert_eq!(
            Change::of_customer("bob", None, Some(None)).describe(),
            "add bob"
        );
        assert_eq!(
            Change::of_customer("bob", Some(None), None).describe(),
            "remove bob"
        );
    }

    #[test]
    fn done_and_snooze_read_naturally() {
        let done = Change::Logged {
            id: "ada".into(),
            kinds: vec!["done".into()],
        };
        assert_eq!(done.describe(), "mark ada done");
        let snooze = Change::Logged {
            id: "ada".into(),
            kinds: vec!["snooze".into()],
        };
        assert_eq!(snooze.describe(), "snooze ada");
    }

    #[test]
    fn short_message_is_one_line_in_the_given_order() {
        let changes = [
            Change::Logged {
                id: "ada-lovelace".into(),
                kinds: vec!["call".into()],
            },
            Change::Added {
                id: "bob-smith".into(),
            },
            Change::Edited { id: "carol".into() },
        ];
        assert_eq!(
            commit_message(&changes),
            "log call with ada-lovelace; add bob-smith; edit carol (by hand)"
        );
    }

    #[test]
    fn long_message_gets_a_counted_summary_and_a_body() {
        let changes = [
            Change::Other {
                file: "crm.toml".into(),
                verb: "edited",
            },
            Change::Logged {
                id: "ada-lovelace".into(),
                kinds: vec!["call".into(), "email".into()],
            },
            Change::Added {
                id: "bob-smith".into(),
            },
            Change::Added {
                id: "dan-jones".into(),
            },
            Change::Edited { id: "carol".into() },
            Change::Logged {
                id: "erin".into(),
                kinds: vec!["purchase".into()],
            },
        ];
        let message = commit_message(&changes);
        let mut lines = message.lines();
        // The counted form would be 87 characters, so the summary falls back further.
        assert_eq!(lines.next(), Some("update 5 customers and crm.toml"));
        assert_eq!(lines.next(), Some(""));
        let body: Vec<&str> = lines.collect();
        assert_eq!(body.len(), 6);
        assert_eq!(body[0], "- edit crm.toml");
        assert_eq!(body[1], "- log call and email with ada-lovelace");
    }

    #[test]
    fn counted_summary_names_a_single_customer() {
        let changes = [
            Change::Logged {
                id: "ada-lovelace".into(),
                kinds: vec!["call".into(), "email".into(), "meeting".into()],
            },
            Change::Added {
                id: "bartholomew-fitzgerald-smythe".into(),
            },
            Change::Added { id: "carol".into() },
        ];
        // Joined, the details are 98 characters; counted, they fit.
        let message = commit_message(&changes);
        assert_eq!(
            message.lines().next(),
            Some("add 2 customers; log 3 interactions with ada-lovelace")
        );
    }

    /// Review finding: a commit of 37k new files had a 37,185-line body.
    #[test]
    fn a_long_body_lists_fifty_changes_then_counts_the_rest() {
        let changes: Vec<Change> = (0..1234)
            .map(|n| Change::Added {
                id: format!("customer-{n}"),
            })
            .collect();
        let message = commit_message(&changes);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines[0], "add 1234 customers");
        assert_eq!(lines.len(), 2 + BODY_LINES + 1, "{message}");
        assert_eq!(lines[2], "- add customer-0");
        assert_eq!(lines[BODY_LINES + 1], "- add customer-49");
        assert_eq!(
            lines[BODY_LINES + 2],
            "- … and 1184 more (`git show --stat` lists every file)"
        );
        // Exactly fifty are listed in full.
        let fifty = commit_message(&changes[..BODY_LINES]);
        assert_eq!(fifty.lines().count(), 2 + BODY_LINES);
        assert!(!fifty.contains("more"));
    }

    #[test]
    fn counted_summary_when_it_fits() {
        let changes: Vec<Change> = (0..9)
            .map(|n| Change::Added {
                id: format!("customer-number-{n}"),
            })
            .collect();
        let message = commit_message(&changes);
        assert!(
            message.starts_with("add 9 customers\n\n- add customer-number-0\n"),
            "{message}"
        );
    }

    #[test]
    fn a_new_book_is_started_not_a_list_of_files() {
        let changes = [
            Change::Other {
                file: ".gitignore".into(),
                verb: "added",
            },
            Change::Other {
                file: "crm.toml".into(),
                verb: "added",
            },
            Change::Other {
                file: "customers/.gitkeep".into(),
                verb: "added",
            },
            Change::Added { id: "ada".into() },
        ];
        assert_eq!(commit_message(&changes), "start the crm book; add ada");
    }

    /// Audit finding: one customer with a long id read "update 1 customers".
    #[test]
    fn one_customer_is_singular_in_the_shortest_summary() {
        let id = "a".repeat(64);
        let changes = [Change::Logged {
            id: id.clone(),
            kinds: vec!["call".into(), "email".into()],
        }];
        let message = commit_message(&changes);
        assert_eq!(
            message,
            format!("update 1 customer\n\n- log call and email with {id}")
        );
    }

    #[test]
    fn a_rename_with_edits_says_so() {
        let renamed = |edited| Change::Renamed {
            from: "ada".into(),
            to: "ada-lovelace".into(),
            edited,
        };
        assert_eq!(renamed(false).describe(), "rename ada to ada-lovelace");
        assert_eq!(
            renamed(true).describe(),
            "rename ada to ada-lovelace and edit it (by hand)"
        );
        assert_eq!(renamed(true).state(), "renamed");
    }

    #[test]
    fn short_messages_of_crm_commands_are_kept() {
        assert_eq!(fit_summary("log call with ada", 1), "log call with ada");
        let exactly = "x".repeat(SUMMARY_WIDTH);
        assert_eq!(fit_summary(&exactly, 1), exactly);
    }

    #[test]
    fn long_messages_of_crm_commands_move_to_the_body() {
        let long = format!("import 3 purchases from {}.csv", "f".repeat(60));
        assert_eq!(
            fit_summary(&long, 2),
            format!("update 2 customers\n\n{long}")
        );
        assert_eq!(
            fit_summary(&format!("{long}\n\nmore detail"), 1),
            format!("update 1 customer\n\n{long}\n\nmore detail")
        );
        assert_eq!(
            fit_summary(&long, 0),
            format!("update the crm book\n\n{long}")
        );
    }
}
