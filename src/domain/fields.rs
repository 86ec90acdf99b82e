//! Serde helpers that turn hand-written field values into domain types with messages a
//! person can act on. Format-agnostic (plain serde), so the domain stays free of YAML.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::date::Cadence;
use super::money::Money;

/// A scalar as text, exactly as written: `phone: +4420` is `+4420`, not the number
/// 4420 that YAML would make of it. Asks for a string, so a deserializer that keeps the
/// written text hands it over; numbers and booleans from other deserializers are taken
/// in their usual text form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a piece of text")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
}

/// Optional text; `~`/empty means absent, and an empty string counts as absent too.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Text>::deserialize(d)?
        .map(|t| t.0)
        .filter(|t| !t.trim().is_empty()))
}

/// Required text.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Text::deserialize(d)?.0)
}

/// A list of text, also accepting a single value or nothing.
pub(crate) fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of text such as `[vip, newsletter]`, or a single item")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<Text>()? {
                items.push(item.0);
            }
            Ok(items)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
    }
    d.deserialize_option(V)
}

/// An ISO date `YYYY-MM-DD`.
pub(crate) fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let text = Text::deserialize(d)?.0;
    parse_iso(&text).map_err(de::Error::custom)
}

/// An optional ISO date.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) if t.0.trim().is_empty() => Ok(None),
        Some(t) => parse_iso(&t.0).map(Some).map_err(de::Error::custom),
    }
}

/// An optional birthday: `YYYY-MM-DD`, or `--MM-DD` without the year.
pub(crate) fn opt_birthday<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<super::birthday::Birthday>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) if t.0.trim().is_empty() => Ok(None),
        Some(t) => super::birthday::Birthday::parse(&t.0)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

fn parse_iso(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    // Nearly every date in a book is written `YYYY-MM-DD`: read those digits directly
    // (chrono's format parser costs ten times as much); anything else, and an impossible
    // day, goes the general way below, which also words the error.
    if let Some(date) = plain_iso_date(t) {
        return Ok(date);
    }
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(date) if t.len() == 10 => Ok(date),
        _ => Err(match super::date::impossible_date(t) {
            Some(why) => format!("{text:?} is not a date: {why}"),
            None => format!("{text:?} is not a date; write dates as YYYY-MM-DD, e.g. 2025-03-01"),
        }),
    }
}

/// `YYYY-MM-DD` in ASCII digits, when it names a real day.
fn plain_iso_date(t: &str) -> Option<NaiveDate> {
    let (year, month, day) = super::date::iso_digits(t)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// An optional amount, exact to the cent, read from the text as written: `99999.999`
/// is refused for its third decimal rather than rounded (as a float would be), and
/// `0x10` or `1e2` are refused with the plain decimal to write instead.
pub(crate) fn opt_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) => Money::parse(&t.0).map(Some).map_err(de::Error::custom),
    }
}

/// A cadence like `30d`.
pub(crate) fn opt_cadence<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cadence>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) if t.0.trim().is_empty() => Ok(None),
        Some(t) => Cadence::parse(&t.0).map(Some).map_err(de::Error::custom),
    }
}

/// A rating: any small whole number is read (so `crm check` can point at an out-of-range
/// one precisely); the 1-to-5 rule is checked by [`super::interaction::validate`].
/// `4.0` is read as 4.
pub(crate) fn opt_rating<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) => {
            let text = t.0.trim();
            let whole = text.parse::<u8>().ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && (0.0..=255.0).contains(f))
                    .map(|f| f as u8)
            });
            whole.map(Some).ok_or_else(|| {
                de::Error::custom(format!("{:?} is not a whole number from 1 to 5", t.0))
            })
        }
    }
}

/// A small whole number (an NPS score): read as any whole number up to 255, so that
/// `crm check` can point at an out-of-range one; the 0-to-10 rule is
/// [`super::interaction::validate`]'s.
pub(crate) fn opt_small<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) => t.0.trim().parse::<u8>().map(Some).map_err(|_| {
            de::Error::custom(format!("{:?} is not a whole number from 0 to 10", t.0))
        }),
    }
}

/// Loyalty points: a whole number of at least 0.
pub(crate) fn opt_points<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(t) => t.0.trim().parse::<u32>().map(Some).map_err(|_| {
            de::Error::custom(format!(
                "{:?} is not a whole number of points, like 300",
                t.0
            ))
        }),
    }
}

/// A vector that may be written as nothing (`interactions:` with no items yet).
pub(crate) fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A mapping of text to text that keeps the order it was written in.
pub(crate) fn ordered_pairs<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping of names to text, like `coffee: oat flat white`")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some((k, v)) = map.next_entry::<Text, Option<Text>>()? {
                pairs.push((k.0, v.map(|v| v.0).unwrap_or_default()));
            }
            Ok(pairs)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit fast path reads exactly what chrono's `%Y-%m-%d` reads.
    #[test]
    fn plain_dates_read_as_chrono_reads_them() {
        let cases = [
            "2025-03-01",
            "2024-02-29",
            "2025-02-29",
            "0000-01-01",
            "9999-12-31",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-01-00",
            "+025-01-01",
            "-025-01-01",
            "2025-1-011",
            "2025/03/01",
            "2025-03-1a",
            "２０２５-03-01",
            "20250301xx",
        ];
        for case in cases {
            let chrono = NaiveDate::parse_from_str(case, "%Y-%m-%d")
                .ok()
                .filter(|_| case.len() == 10);
            assert_eq!(parse_iso(case).ok(), chrono, "{case}");
            if let Some(date) = plain_iso_date(case) {
                assert_eq!(Some(date), chrono, "{case}");
            }
        }
        assert_eq!(
            plain_iso_date("2025-03-01"),
            NaiveDate::from_ymd_opt(2025, 3, 1)
        );
        assert_eq!(plain_iso_date("2025-02-29"), None);
    }
}
