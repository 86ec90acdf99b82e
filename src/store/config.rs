//! `crm.toml`: the book's settings. Every setting is optional; the template written by
//! `crm init` shows each default in a comment.

use serde::Deserialize;

use crate::domain::date::Cadence;
use crate::domain::interaction::BUILTIN_KINDS;

/// The file `crm init` writes: every setting commented out at its default.
pub const TEMPLATE: &str = r#"# crm settings for this book. Every setting is optional: the commented values are
# the defaults. See docs/format.md for the whole reference.

# Currency of all amounts (a label only: amounts are decimals exact to the cent).
# currency = "EUR"

[follow_up]
# Cadence given to customers added without --every ("" = none). Units: d, w, m, y.
# default_every = ""

[due]
# How far ahead `crm due` looks when --within is not given.
# within = "7d"
# Whether `crm due` lists birthdays and customer anniversaries.
# birthdays = true

[stats]
# Period of `crm stats` when --period is not given: month, quarter or year.
# period = "month"

[interactions]
# Kinds of interaction this book uses beyond the built-in ones
# (call, email, meeting, message, note, purchase, refund, complaint, feedback).
# They count as contact with the customer.
# kinds = ["visit", "demo"]

[git]
# Commit every change crm makes (as if --commit were given).
# auto_commit = false
# Identity for crm's commits when git's own config has none.
# name = ""
# email = ""
"#;

/// Settings of a book, with defaults for everything left out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Currency label.
    pub currency: Option<String>,
    /// `[follow_up]`.
    pub follow_up: FollowUpConfig,
    /// `[due]`.
    pub due: DueConfig,
    /// `[stats]`.
    pub stats: StatsConfig,
    /// `[interactions]`.
    pub interactions: InteractionsConfig,
    /// `[git]`.
    pub git: GitConfig,
}

/// `[follow_up]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowUpConfig {
    /// Cadence for new customers.
    pub default_every: Option<String>,
}

/// `[due]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DueConfig {
    /// Look-ahead window of `crm due`.
    pub within: String,
    /// Whether birthdays and anniversaries are listed.
    pub birthdays: bool,
}

impl Default for DueConfig {
    fn default() -> Self {
        DueConfig {
            within: "7d".into(),
            birthdays: true,
        }
    }
}

/// `[stats]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsConfig {
    /// Default period of `crm stats`.
    pub period: String,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            period: "month".into(),
        }
    }
}

/// `[interactions]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InteractionsConfig {
    /// Extra kinds.
    pub kinds: Vec<String>,
}

/// `[git]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitConfig {
    /// Commit after every change.
    pub auto_commit: bool,
    /// Fallback author name.
    pub name: Option<String>,
    /// Fallback author email.
    pub email: Option<String>,
}

impl Config {
    /// Parses `crm.toml` text; the error is `(line, column, message)`.
    pub fn parse(text: &str) -> Result<Config, (usize, usize, String)> {
        let config: Config = toml::from_str(text).map_err(|err| {
            let (line, col) = err
                .span()
                .map(|span| line_col(text, span.start))
                .unwrap_or((1, 1));
            (line, col, err.message().to_string())
        })?;
        config.validate().map_err(|m| (1, 1, m))?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        self.default_every()?;
        self.due_within()?;
        crate::domain::period::PeriodKind::parse(&self.stats.period)?;
        for kind in &self.interactions.kinds {
            let valid = !kind.is_empty()
                && kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(format!(
                    "interaction kind {kind:?} must be lowercase letters, digits and `-`"
                ));
            }
        }
        Ok(())
    }

    /// The default cadence for new customers.
    pub fn default_every(&self) -> Result<Option<Cadence>, String> {
        match self.follow_up.default_every.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Cadence::parse(text)
                .map(Some)
                .map_err(|m| format!("follow_up.default_every: {m}")),
        }
    }

    /// The look-ahead window of `crm due` (`0d`: today only).
    pub fn due_within(&self) -> Result<Cadence, String> {
        Cadence::parse_window(&self.due.within).map_err(|m| format!("due.within: {m}"))
    }

    /// Whether `kind` is built in or added by this book.
    pub fn knows_kind(&self, kind: &str) -> bool {
        BUILTIN_KINDS.contains(&kind) || self.interactions.kinds.iter().any(|k| k == kind)
    }

    /// Every kind this book accepts, built-in first.
    pub fn all_kinds(&self) -> Vec<String> {
        BUILTIN_KINDS
            .iter()
            .map(|k| (*k).to_string())
            .chain(self.interactions.kinds.iter().cloned())
            .collect()
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_the_defaults() {
        let config = Config::parse(TEMPLATE).unwrap();
        assert_eq!(config.due.within, "7d");
        assert!(config.due.birthdays);
        assert!(!config.git.auto_commit);
    }

    #[test]
    fn unknown_keys_are_reported_with_position() {
        let (line, col, message) =
            Config::parse("[due]\nwithin = \"7d\"\nbirthday = true\n").unwrap_err();
        assert_eq!((line, col), (3, 1));
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Config::parse("[due]\nwithin = \"soon\"\n").is_err());
        assert!(Config::parse("[stats]\nperiod = \"week\"\n").is_err());
        assert!(Config::parse("[interactions]\nkinds = [\"Big Visit\"]\n").is_err());
    }
}
