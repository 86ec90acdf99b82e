//! A customer as read from their file. Pure: built by the store, used by commands.

use chrono::NaiveDate;
use serde::Deserialize;

use super::birthday::Birthday;
use super::date::Cadence;
use super::fields;
use super::id::CustomerId;
use super::interaction::Interaction;
use super::profile::contact_struct;

/// Follow-up settings of one customer (`follow_up:` in the file).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FollowUpSettings {
    /// How often to get in touch, counted from the last contact.
    pub(crate) every: Option<Cadence>,
}

impl<'de> Deserialize<'de> for FollowUpSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Both `follow_up: {every: 30d}` and the shorthand `follow_up: 30d` are accepted;
        // other keys in the mapping are a person's own and are ignored.
        use serde::de::{self, IgnoredAny, MapAccess, Visitor};
        use std::fmt;

        struct Every(Option<Cadence>);
        impl<'de> Deserialize<'de> for Every {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                fields::opt_cadence(d).map(Every)
            }
        }

        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FollowUpSettings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a cadence such as `30d`, or `every: 30d` on the next line")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FollowUpSettings::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FollowUpSettings::default())
            }
            fn visit_some<D2: serde::Deserializer<'de>>(
                self,
                d: D2,
            ) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    return Ok(FollowUpSettings::default());
                }
                Cadence::parse(v)
                    .map(|every| FollowUpSettings { every: Some(every) })
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut settings = FollowUpSettings::default();
                while let Some(key) = map.next_key::<fields::Text>()? {
                    if key.0 == "every" {
                        settings.every = map.next_value::<Every>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(settings)
            }
        }
        d.deserialize_option(V)
    }
}

contact_struct! {
/// Everything crm understands of one customer file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Customer {
    /// The file stem; not stored inside the file.
    #[serde(skip, default = "placeholder_id")]
    pub(crate) id: CustomerId,
    /// Display name.
    #[serde(deserialize_with = "fields::text")]
    pub(crate) name: String,
}
+ contact(pub(crate) Option<String>, #[serde(default, deserialize_with = "fields::opt_text")])
+ {
    /// Tags for filtering.
    #[serde(default, deserialize_with = "fields::text_list")]
    pub(crate) tags: Vec<String>,
    /// Birthday.
    #[serde(default, deserialize_with = "fields::opt_birthday")]
    pub(crate) birthday: Option<Birthday>,
    /// Customer since.
    #[serde(default, deserialize_with = "fields::opt_date")]
    pub(crate) since: Option<NaiveDate>,
    /// Archived on this day (`crm archive`): kept, but left out of `list`, `due` and
    /// `stale` unless they are asked for archived customers.
    #[serde(default, deserialize_with = "fields::opt_date")]
    pub(crate) archived: Option<NaiveDate>,
    /// Things worth remembering, in the order written.
    #[serde(default, deserialize_with = "fields::ordered_pairs")]
    pub(crate) preferences: Vec<(String, String)>,
    /// Follow-up cadence.
    #[serde(default)]
    pub(crate) follow_up: FollowUpSettings,
    /// The interaction log, as written (normally oldest first).
    #[serde(default, deserialize_with = "fields::nullable_vec")]
    pub interactions: Vec<Interaction>,
}
}

fn placeholder_id() -> CustomerId {
    CustomerId::parse("unnamed").expect("`unnamed` is a valid id")
}

impl Customer {
    /// The interactions in date order; entries on the same day keep file order.
    pub(crate) fn chronological(&self) -> Vec<&Interaction> {
        let mut sorted: Vec<&Interaction> = self.interactions.iter().collect();
        sorted.sort_by_key(|i| i.date);
        sorted
    }
}

contact_struct! {
/// What `crm add` knows about a new customer.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    /// Display name.
    pub name: String,
}
+ contact(pub Option<String>)
+ {
    /// Tags.
    pub tags: Vec<String>,
    /// Birthday.
    pub birthday: Option<Birthday>,
    /// Customer since.
    pub since: Option<NaiveDate>,
    /// Follow-up cadence.
    pub every: Option<Cadence>,
    /// Preferences, in order.
    pub preferences: Vec<(String, String)>,
}
}
