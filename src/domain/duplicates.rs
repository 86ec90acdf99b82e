//! Customers who look like the same person: sharing an email address (compared
//! without case and surrounding blanks) or a phone number (compared on its digits,
//! when it has at least six). Pure: works on the customers' summaries.

use std::collections::BTreeMap;

use super::summary::Summary;
use super::text::digits;

/// An email as compared: trimmed and lower-cased (`Ada@Example.com ` is
/// `ada@example.com`).
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone as compared: its digits, if there are at least six (fewer is an extension
/// or a typo, not a number two people could share by chance).
pub fn normal_phone(phone: &str) -> Option<String> {
    let d = digits(phone);
    (d.len() >= 6).then_some(d)
}

/// Customers sharing one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// `email` or `phone`.
    pub field: &'static str,
    /// The value as the first of them wrote it.
    pub value: String,
    /// Their ids, sorted.
    pub ids: Vec<String>,
}

/// Every email and phone that more than one customer has, by field then value.
pub fn shared(customers: &[Summary]) -> Vec<Shared> {
    let mut emails: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut phones: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for c in customers {
        if let Some(email) = &c.email {
            let slot = emails
                .entry(normal_email(email))
                .or_insert_with(|| (email.to_string(), Vec::new()));
            slot.1.push(c.id.clone());
        }
        if let Some(key) = c.phone.as_deref().and_then(normal_phone) {
            let phone = c.phone.as_deref().unwrap_or_default().to_string();
            let slot = phones.entry(key).or_insert_with(|| (phone, Vec::new()));
            slot.1.push(c.id.clone());
        }
    }
    let mut found = Vec::new();
    for (field, map) in [("email", emails), ("phone", phones)] {
        for (_, (value, mut ids)) in map {
            if ids.len() > 1 {
                ids.sort();
                found.push(Shared { field, value, ids });
            }
        }
    }
    found
}

/// The customers whose email is `email` (normalised), sorted by id.
pub fn with_email<'a>(customers: &'a [Summary], email: &str) -> Vec<&'a Summary> {
    let wanted = normal_email(email);
    let mut found: Vec<&Summary> = customers
        .iter()
        .filter(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| normal_email(e) == wanted)
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// The customers by email, for matching a CSV cell that holds an email address
/// rather than an id (`crm import purchases|interactions`).
#[derive(Debug, Clone, Default)]
pub struct EmailIndex(std::collections::HashMap<String, Vec<String>>);

impl EmailIndex {
    /// The index of `customers`.
    pub fn of(customers: &[Summary]) -> EmailIndex {
        let mut index: std::collections::HashMap<String, Vec<String>> = Default::default();
        for c in customers {
            if let Some(email) = &c.email {
                index
                    .entry(normal_email(email))
                    .or_default()
                    .push(c.id.clone());
            }
        }
        for ids in index.values_mut() {
            ids.sort();
        }
        EmailIndex(index)
    }

    /// The ids of the customers with `email` (normalised), sorted; empty if none.
    pub fn ids(&self, email: &str) -> &[String] {
        self.0.get(&normal_email(email)).map_or(&[], Vec::as_slice)
    }
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
    fn shared_emails_and_phones_are_found_normalised() {
        let book = vec![
            summary(
                "name: A\nemail: Ada@X.com\nphone: '+44 20 7946 0000'\n",
                "a",
            ),
            summary("name: B\nemail: ' ada@x.com'\n", "b"),
            summary("name: C\nphone: 44-20-7946-0000\n", "c"),
            summary("name: D\nphone: '123'\nemail: d@x.com\n", "d"),
            summary("name: E\nphone: '1-2-3'\n", "e"),
        ];
        let found = shared(&book);
        assert_eq!(
            found,
            vec![
                Shared {
                    field: "email",
                    value: "Ada@X.com".into(),
                    ids: vec!["a".into(), "b".into()]
                },
                Shared {
                    field: "phone",
                    value: "+44 20 7946 0000".into(),
                    ids: vec!["a".into(), "c".into()]
                },
            ]
        );
        let ids: Vec<&str> = with_email(&book, "ADA@x.com")
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        let index = EmailIndex::of(&book);
        assert_eq!(index.ids(" ADA@x.com"), ["a", "b"]);
        assert!(index.ids("nobody@x.com").is_empty());
    }
}
