//! `crm find`: which customers match a query, how well, and on what. Pure: works on
//! the cached [`Summary`] of each customer.
//!
//! A query matches a field when the field, folded (case and accents dropped, see
//! [`text::fold`]), contains the folded query. A phone matches on digits alone when the
//! query has at least three digits and nothing but digits and `+ -().` and blanks, so
//! `7946` finds `+44 20 7946 0000`. The score ranks the matches: a whole-field match
//! beats one at the start of a word, which beats one inside a word, and the name (or id)
//! weighs 4, the email and phone 3, the company and tags 2, preferences and
//! interaction summaries 1; a match scores 10 × quality (3, 2, 1) × weight. A customer's score is that of its best
//! match, plus one for every other field that matched.

use serde::Serialize;

use super::summary::Summary;
use super::text::{digits, fold};

/// A field `crm find` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchField {
    /// The name (and the id).
    Name,
    /// The email address.
    Email,
    /// The phone number (digits only when the query is a number).
    Phone,
    /// The company.
    Company,
    /// The tags.
    Tag,
    /// The preferences, keys and values.
    Pref,
    /// The interactions' summaries.
    Summary,
}

impl SearchField {
    /// Every field, in the order matches are listed.
    pub const ALL: [SearchField; 7] = [
        SearchField::Name,
        SearchField::Email,
        SearchField::Phone,
        SearchField::Company,
        SearchField::Tag,
        SearchField::Pref,
        SearchField::Summary,
    ];

    fn weight(self) -> u32 {
        match self {
            SearchField::Name => 4,
            SearchField::Email | SearchField::Phone => 3,
            SearchField::Company | SearchField::Tag => 2,
            SearchField::Pref | SearchField::Summary => 1,
        }
    }
}

/// One field that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// Which field.
    pub field: SearchField,
    /// The value that matched, as written (`coffee=oat` for a preference).
    pub value: String,
}

/// A customer that matched, with its score and what matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The customer.
    pub customer: &'a Summary,
    /// Higher is better.
    pub score: u32,
    /// What matched, best first.
    pub matches: Vec<Match>,
}

/// A prepared query.
#[derive(Debug, Clone)]
pub struct Query {
    folded: String,
    digits: Option<String>,
}

impl Query {
    /// Prepares `raw`; `None` when it is empty after trimming.
    pub fn new(raw: &str) -> Option<Query> {
        let folded = fold(raw.trim());
        if folded.is_empty() {
            return None;
        }
        let numeric = raw
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let d = digits(raw);
        Some(Query {
            folded,
            digits: (numeric && d.len() >= 3).then_some(d),
        })
    }

    /// How well `value` matches: 3 whole, 2 at a word's start, 1 inside a word.
    fn quality(&self, value: &str) -> u32 {
        let folded = fold(value);
        if folded == self.folded {
            return 3;
        }
        let Some(at) = folded.find(&self.folded) else {
            return 0;
        };
        let word_start = folded[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if word_start
            || folded.match_indices(&self.folded).any(|(i, _)| {
                folded[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            })
        {
            2
        } else {
            1
        }
    }

    fn phone_quality(&self, phone: &str) -> u32 {
        match &self.digits {
            Some(d) => {
                let have = digits(phone);
                if have == *d {
                    3
                } else if have.contains(d.as_str()) {
                    2
                } else {
                    0
                }
            }
            None => self.quality(phone),
        }
    }
}

/// The fields to search: `fields` in their canonical order, or all when empty.
fn searched(fields: &[SearchField]) -> Vec<SearchField> {
    if fields.is_empty() {
        SearchField::ALL.to_vec()
    } else {
        SearchField::ALL
            .into_iter()
            .filter(|f| fields.contains(f))
            .collect()
    }
}

/// Whether a customer matches `query` in `fields` (all when empty): whether [`find`]
/// would list them.
pub(crate) fn matcher<'q>(
    query: &'q Query,
    fields: &[SearchField],
) -> impl Fn(&Summary) -> bool + Sync + 'q {
    let fields = searched(fields);
    move |customer| hit(customer, query, &fields).is_some()
}

/// The customers matching `query` in `fields` (all when empty), best first; ties by
/// name, then id.
pub fn find<'a>(customers: &'a [Summary], query: &Query, fields: &[SearchField]) -> Vec<Hit<'a>> {
    let fields = searched(fields);
    let mut hits: Vec<Hit<'a>> = customers
        .iter()
        .filter_map(|c| hit(c, query, &fields))
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| fold(&a.customer.name).cmp(&fold(&b.customer.name)))
            .then_with(|| a.customer.id.cmp(&b.customer.id))
    });
    hits
}

fn hit<'a>(customer: &'a Summary, query: &Query, fields: &[SearchField]) -> Option<Hit<'a>> {
    let mut scored: Vec<(u32, Match)> = Vec::new();
    let mut consider = |field: SearchField, quality: u32, value: String| {
        if quality > 0 {
            scored.push((quality * 10 * field.weight(), Match { field, value }));
        }
    };
    for &field in fields {
        match field {
            SearchField::Name => {
                let best = query
                    .quality(&customer.name)
                    .max(query.quality(&customer.id));
                consider(field, best, customer.name.clone());
            }
            SearchField::Email => {
                if let Some(email) = &customer.email {
                    consider(field, query.quality(email), email.to_string());
                }
            }
            SearchField::Phone => {
                if let Some(phone) = &customer.phone {
                    consider(field, query.phone_quality(phone), phone.to_string());
                }
            }
            SearchField::Company => {
                if let Some(company) = &customer.company {
                    consider(field, query.quality(company), company.to_string());
                }
            }
            SearchField::Tag => {
                for tag in &customer.tags {
                    consider(field, query.quality(tag), tag.clone());
                }
            }
            SearchField::Pref => {
                for (key, value) in &customer.prefs {
                    let quality = query.quality(key).max(query.quality(value));
                    consider(field, quality, format!("{key}={value}"));
                }
            }
            SearchField::Summary => {
                for note in &customer.notes {
                    consider(field, query.quality(note), note.clone());
                }
            }
        }
    }
    if scored.is_empty() {
        return None;
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let score = scored[0].0 + (scored.len() as u32 - 1);
    Some(Hit {
        customer,
        score,
        matches: scored.into_iter().map(|(_, m)| m).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Customer;

    fn summary(yaml: &str, id: &str) -> Summary {
        let mut customer: Customer = serde_yaml::from_str(yaml).unwrap();
        customer.id = crate::domain::id::CustomerId::parse(id).unwrap();
        Summary::of(&customer)
    }

    #[test]
    fn matches_fold_case_and_accents_and_rank_whole_fields_first() {
        let book = vec![
            summary("name: Zoë Adams\ncompany: Zoe's Café\n", "zoe-adams"),
            summary("name: Bob\nemail: bob@zoe.example\n", "bob"),
            summary("name: Ann\npreferences:\n  shop: Zoetrope\n", "ann"),
            summary("name: Cy\n", "cy"),
        ];
        let hits = find(&book, &Query::new("ZOE").unwrap(), &[]);
        let ids: Vec<&str> = hits.iter().map(|h| h.customer.id.as_str()).collect();
        assert_eq!(ids, ["zoe-adams", "bob", "ann"]);
        // zoe-adams: name at a word start (2 × 10 × 4 = 80), company too (+1).
        assert_eq!(hits[0].score, 81);
        assert_eq!(hits[0].matches[0].field, SearchField::Name);
        assert_eq!(hits[2].matches[0].value, "shop=Zoetrope");
        let cafe = find(&book, &Query::new("cafe").unwrap(), &[]);
        assert_eq!(cafe.len(), 1);
    }

    #[test]
    fn phones_match_on_digits() {
        let book = vec![summary("name: A\nphone: \"+44 20 7946 0000\"\n", "a")];
        assert_eq!(find(&book, &Query::new("7946").unwrap(), &[]).len(), 1);
        assert_eq!(
            find(&book, &Query::new("20 7946-0000").unwrap(), &[]).len(),
            1
        );
        assert_eq!(find(&book, &Query::new("794 6").unwrap(), &[]).len(), 1);
        assert!(find(&book, &Query::new("7946").unwrap(), &[SearchField::Name]).is_empty());
    }

    #[test]
    fn interaction_summaries_and_tags_are_searched() {
        let book = vec![summary(
            "name: A\ntags: [vip]\ninteractions:\n  - date: 2025-01-01\n    kind: call\n    summary: Asked about the new model\n",
            "a",
        )];
        let hits = find(&book, &Query::new("new model").unwrap(), &[]);
        assert_eq!(hits[0].matches[0].field, SearchField::Summary);
        assert_eq!(
            find(&book, &Query::new("vip").unwrap(), &[SearchField::Tag])[0].score,
            60
        );
        assert!(Query::new("  ").is_none());
    }
}
