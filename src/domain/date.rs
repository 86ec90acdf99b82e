//! Dates as people type them, and follow-up cadences. Pure: `today` is always an
//! argument, never read from the clock here.

use std::fmt;

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};

/// The earliest year a date typed on the command line may have: a four-digit year.
/// (Ada Lovelace's 1815 birthday is a fine `--birthday`; an interaction dated before
/// [`super::interaction::EARLIEST_PLAUSIBLE_YEAR`] is refused by the interaction rules,
/// as `crm check` reports it in files.)
pub(crate) const EARLIEST_YEAR: i32 = 1000;

/// The latest year a date may have: ISO dates have four-digit years, and a file could
/// not hold a later one.
pub(crate) const LATEST_YEAR: i32 = 9999;

/// Which way a weekday name points from today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Toward {
    /// The next such day, never today: for when something should happen
    /// (`--follow-up friday`, `crm snooze ID friday`).
    Future,
    /// The most recent such day, today included: for when something happened
    /// (`crm log ID call --date friday`, `--since`).
    Past,
}

/// Parses a date the way every crm command accepts one: `YYYY-MM-DD`, `today`,
/// `yesterday`, `tomorrow`, a signed offset (`+3d`, `-1w`, `+1m`, `+1y`; `3d` means
/// `+3d`), or a weekday name (`friday`, `fri`: the next one, never today). Dates
/// outside the years 1000 to 9999 are refused as typos.
pub(crate) fn parse_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    parse_date_toward(text, today, Toward::Future)
}

/// Like [`parse_date`], but a weekday name means the most recent such day, today
/// included: the form for dates on which something happened.
pub(crate) fn parse_past_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    parse_date_toward(text, today, Toward::Past)
}

/// Parses a date, reading a weekday name `toward` the future or the past.
pub(crate) fn parse_date_toward(
    text: &str,
    today: NaiveDate,
    toward: Toward,
) -> Result<NaiveDate, String> {
    let t = text.trim().to_ascii_lowercase();
    let date = match t.as_str() {
        "today" => Some(today),
        "yesterday" => today.pred_opt(),
        "tomorrow" => today.succ_opt(),
        _ => None,
    };
    if let Some(date) = date {
        return within_years(text, date);
    }
    if let Ok(date) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        if t.len() == 10 {
            return within_years(text, date);
        }
    }
    if let Some(weekday) = parse_weekday(&t) {
        let mut day = today;
        match toward {
            Toward::Future => {
                day += Duration::days(1);
                while day.weekday() != weekday {
                    day += Duration::days(1);
                }
            }
            Toward::Past => {
                while day.weekday() != weekday {
                    day -= Duration::days(1);
                }
            }
        }
        return within_years(text, day);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => (1, t.as_str()),
    };
    if let Ok(span) = Cadence::parse(rest) {
        return match span.shift(today, sign) {
            Some(date) => within_years(text, date),
            None => Err(out_of_range(text)),
        };
    }
    if let Some(why) = impossible_date(&t) {
        return Err(format!("{text:?} is not a date: {why}"));
    }
    Err(format!(
        "{text:?} is not a date; use YYYY-MM-DD, today, yesterday, tomorrow, +3d, -1w, +1m or a weekday such as friday"
    ))
}

/// The year, month and day of `text` when it is written `YYYY-MM-DD` in ASCII digits,
/// whether or not they name a real day.
pub(crate) fn iso_digits(text: &str) -> Option<(u32, u32, u32)> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    Some((number(0..4)?, number(5..7)?, number(8..10)?))
}

/// Why `text`, written as `YYYY-MM-DD`, names no day (`2025-09-31`: "September 2025
/// has 30 days"); `None` when it is not in that shape or is a real day.
pub(crate) fn impossible_date(text: &str) -> Option<String> {
    let (year, month, day) = iso_digits(text.trim())?;
    if !(1..=12).contains(&month) {
        return Some(format!(
            "there is no month {month} (months go from 01 to 12)"
        ));
    }
    let year = i32::try_from(year).ok()?;
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    let days = u32::try_from((next - first).num_days()).ok()?;
    if day == 0 || day > days {
        let name = first.format("%B").to_string();
        let leap = if month == 2 && days == 28 {
            format!(" ({year} is not a leap year)")
        } else {
            String::new()
        };
        return Some(format!("{name} {year} has {days} days{leap}"));
    }
    None
}

fn within_years(text: &str, date: NaiveDate) -> Result<NaiveDate, String> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(out_of_range(text))
    }
}

fn out_of_range(text: &str) -> String {
    format!(
        "{text:?} is outside the years {EARLIEST_YEAR} to {LATEST_YEAR}; is the number mistyped?"
    )
}

fn parse_weekday(t: &str) -> Option<Weekday> {
    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    NAMES
        .iter()
        .find(|(name, _)| t.len() >= 3 && name.starts_with(t))
        .map(|(_, day)| *day)
}

/// The unit of a [`Cadence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CadenceUnit {
    /// Days.
    Day,
    /// Weeks of seven days.
    Week,
    /// Calendar months (the 31st clamps to the month's last day).
    Month,
    /// Calendar years (29 February clamps to 28 February).
    Year,
}

/// A span such as `30d`, `2w`, `3m` or `1y`: a follow-up cadence or a report window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// How many units.
    pub(crate) count: u32,
    /// Which unit.
    pub(crate) unit: CadenceUnit,
}

impl Cadence {
    /// Parses `30d`, `2w`, `3m`, `1y` (also `30 days`, `2 weeks`, ...): a whole number
    /// from 1 to 10000 and a unit.
    pub fn parse(text: &str) -> Result<Cadence, String> {
        match Cadence::parse_span(text)? {
            span if span.count > 0 => Ok(span),
            _ => Err(format!(
                "{text:?} is zero; a cadence is at least one day, like 1d, 30d or 2w"
            )),
        }
    }

    /// Parses a look-ahead window: like [`Cadence::parse`], but zero is allowed
    /// (`0d`: today only).
    pub(crate) fn parse_window(text: &str) -> Result<Cadence, String> {
        Cadence::parse_span(text)
    }

    /// The one span parser behind cadences and windows: digits, optional spaces, and a
    /// unit (`d`, `day`, `days`, `w`, `week`, `weeks`, `m`, `month`, `months`, `y`,
    /// `year`, `years`; any case). Zero is allowed here.
    fn parse_span(text: &str) -> Result<Cadence, String> {
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let unit = match unit.trim_start() {
            "d" | "day" | "days" => Some(CadenceUnit::Day),
            "w" | "week" | "weeks" => Some(CadenceUnit::Week),
            "m" | "month" | "months" => Some(CadenceUnit::Month),
            "y" | "year" | "years" => Some(CadenceUnit::Year),
            _ => None,
        };
        match (number.parse::<u32>(), unit) {
            (Ok(count), Some(unit)) if count <= 10_000 => Ok(Cadence { count, unit }),
            (Ok(_), Some(_)) => Err(format!(
                "{text:?} is too long a span; the most is 10000 of a unit"
            )),
            _ => Err(format!(
                "{text:?} is not a span; write a number and a unit, like 30d, 2w, 3m or 1y"
            )),
        }
    }

    /// `date` moved forward (`sign` 1) or back (`sign` -1) by this span; `None` when
    /// the result would leave chrono's calendar.
    pub(crate) fn shift(self, date: NaiveDate, sign: i32) -> Option<NaiveDate> {
        let n = self.count;
        match (self.unit, sign >= 0) {
            (CadenceUnit::Day, true) => date.checked_add_signed(Duration::days(n.into())),
            (CadenceUnit::Day, false) => date.checked_sub_signed(Duration::days(n.into())),
            (CadenceUnit::Week, true) => date.checked_add_signed(Duration::weeks(n.into())),
            (CadenceUnit::Week, false) => date.checked_sub_signed(Duration::weeks(n.into())),
            (CadenceUnit::Month, true) => date.checked_add_months(Months::new(n)),
            (CadenceUnit::Month, false) => date.checked_sub_months(Months::new(n)),
            (CadenceUnit::Year, true) => date.checked_add_months(Months::new(n.checked_mul(12)?)),
            (CadenceUnit::Year, false) => date.checked_sub_months(Months::new(n.checked_mul(12)?)),
        }
    }

    /// `date` plus this span.
    pub(crate) fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        self.shift(date, 1)
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            CadenceUnit::Day => 'd',
            CadenceUnit::Week => 'w',
            CadenceUnit::Month => 'm',
            CadenceUnit::Year => 'y',
        };
        write!(f, "{}{unit}", self.count)
    }
}

/// The date in `year` on which a yearly event that started on `origin` (a birthday, a
/// customer anniversary) falls. 29 February falls on 28 February in common years.
pub(crate) fn anniversary_in(origin: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, origin.month(), origin.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, origin.month(), origin.day() - 1))
}

/// The first occurrence of the yearly event `origin` on or after `from` (never before
/// `origin` itself).
pub(crate) fn next_anniversary(origin: NaiveDate, from: NaiveDate) -> Option<NaiveDate> {
    let from = from.max(origin);
    let this_year = anniversary_in(origin, from.year())?;
    if this_year >= from {
        Some(this_year)
    } else {
        anniversary_in(origin, from.year() + 1)
    }
}

impl serde::Serialize for Cadence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cadence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Cadence::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Dates as the summary cache stores them: the day number (chrono's
/// `num_days_from_ce`), a varint of three bytes in postcard instead of ten bytes of text
/// that every read would parse again. For `#[serde(with = "...")]` on the fields of
/// cached types only: nothing written for people (JSON output) uses it.
pub(crate) mod day_number {
    use chrono::{Datelike, NaiveDate};
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(date.num_days_from_ce())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let day = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(day)
            .ok_or_else(|| D::Error::custom(format!("day {day} is out of range")))
    }

    /// The same for an optional date.
    pub(crate) mod option {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serializer};

        pub(crate) fn serialize<S: Serializer>(
            date: &Option<NaiveDate>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            #[derive(serde::Serialize)]
            struct Day(#[serde(with = "super")] NaiveDate);
            match date {
                Some(date) => s.serialize_some(&Day(*date)),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<NaiveDate>, D::Error> {
            #[derive(serde::Deserialize)]
            struct Day(#[serde(with = "super")] NaiveDate);
            Ok(Option::<Day>::deserialize(d)?.map(|Day(date)| date))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_dates_say_why() {
        assert_eq!(
            impossible_date("2025-09-31").as_deref(),
            Some("September 2025 has 30 days")
        );
        assert_eq!(
            impossible_date("2025-02-29").as_deref(),
            Some("February 2025 has 28 days (2025 is not a leap year)")
        );
        assert_eq!(impossible_date("2024-02-29"), None);
        assert_eq!(
            impossible_date("2025-13-01").as_deref(),
            Some("there is no month 13 (months go from 01 to 12)")
        );
        assert_eq!(
            impossible_date("2025-01-00").as_deref(),
            Some("January 2025 has 31 days")
        );
        assert_eq!(impossible_date("2025-1-1"), None);
        assert!(
            parse_date("2025-09-31", NaiveDate::from_ymd_opt(2025, 6, 15).unwrap())
                .unwrap_err()
                .contains("September 2025 has 30 days")
        );
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parses_every_date_form() {
        let today = d("2025-03-12"); // a Wednesday
        assert_eq!(parse_date("2025-01-02", today).unwrap(), d("2025-01-02"));
        assert_eq!(parse_date("today", today).unwrap(), today);
        assert_eq!(parse_date("Yesterday", today).unwrap(), d("2025-03-11"));
        assert_eq!(parse_date("tomorrow", today).unwrap(), d("2025-03-13"));
        assert_eq!(parse_date("+3d", today).unwrap(), d("2025-03-15"));
        assert_eq!(parse_date("3d", today).unwrap(), d("2025-03-15"));
        assert_eq!(parse_date("+2w", today).unwrap(), d("2025-03-26"));
        assert_eq!(parse_date("-1w", today).unwrap(), d("2025-03-05"));
        assert_eq!(parse_date("+1m", today).unwrap(), d("2025-04-12"));
        assert_eq!(parse_date("+1y", today).unwrap(), d("2026-03-12"));
        assert_eq!(parse_date("friday", today).unwrap(), d("2025-03-14"));
        assert_eq!(parse_date("wed", today).unwrap(), d("2025-03-19"));
        for bad in [
            "31/02/2025",
            "2025-02-30",
            "2025-3-1",
            "soon",
            "+d",
            "fr",
            "",
        ] {
            assert!(parse_date(bad, today).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn weekday_names_point_ahead_for_plans_and_back_for_what_happened() {
        let monday = d("2025-06-16");
        assert_eq!(parse_date("friday", monday).unwrap(), d("2025-06-20"));
        assert_eq!(parse_past_date("friday", monday).unwrap(), d("2025-06-13"));
        // The same weekday: a week ahead for a plan, today for what happened.
        assert_eq!(parse_date("monday", monday).unwrap(), d("2025-06-23"));
        assert_eq!(parse_past_date("mon", monday).unwrap(), monday);
        assert_eq!(parse_past_date("sunday", monday).unwrap(), d("2025-06-15"));
        // Other forms do not depend on the direction.
        for text in ["2025-01-02", "today", "yesterday", "+3d", "-1w", "+1m"] {
            assert_eq!(
                parse_past_date(text, monday).unwrap(),
                parse_date(text, monday).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn huge_offsets_and_implausible_years_are_refused() {
        let today = d("2025-06-15");
        for bad in ["+10000y", "-3000y", "+9000y", "0999-12-31", "0205-06-01"] {
            let message = parse_date(bad, today).unwrap_err();
            assert!(
                message.contains("outside the years 1000 to 9999"),
                "{bad}: {message}"
            );
        }
        assert_eq!(parse_date("1815-12-10", today).unwrap(), d("1815-12-10"));
        assert_eq!(parse_date("9999-12-31", today).unwrap(), d("9999-12-31"));
        assert_eq!(parse_date("+100y", today).unwrap(), d("2125-06-15"));
    }

    #[test]
    fn windows_allow_zero_and_share_the_cadence_parser() {
        for zero in ["0d", "00d", "0 days", "0w"] {
            assert_eq!(Cadence::parse_window(zero).unwrap().count, 0, "{zero}");
            assert!(Cadence::parse(zero).unwrap_err().contains("zero"), "{zero}");
        }
        for bad in ["0x", "0", "d", "-1w", "+7d", "7dd", "10001d"] {
            assert!(Cadence::parse_window(bad).is_err(), "{bad:?}");
            assert!(Cadence::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Cadence::parse_window("7days").unwrap(),
            Cadence::parse("7d").unwrap()
        );
        let today = d("2025-06-15");
        assert_eq!(
            Cadence::parse_window("0d").unwrap().after(today),
            Some(today)
        );
    }

    #[test]
    fn months_clamp_to_month_end() {
        let one_month = Cadence::parse("1m").unwrap();
        assert_eq!(one_month.after(d("2025-01-31")), Some(d("2025-02-28")));
        assert_eq!(one_month.after(d("2024-01-31")), Some(d("2024-02-29")));
    }

    #[test]
    fn cadence_round_trips() {
        for text in ["30d", "2w", "3m", "1y"] {
            assert_eq!(Cadence::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Cadence::parse("2 weeks").unwrap().to_string(), "2w");
        for bad in ["0d", "d", "30", "30x", "-3d"] {
            assert!(Cadence::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_common_years() {
        let leap = d("2000-02-29");
        assert_eq!(anniversary_in(leap, 2025), Some(d("2025-02-28")));
        assert_eq!(anniversary_in(leap, 2028), Some(d("2028-02-29")));
        assert_eq!(
            next_anniversary(leap, d("2025-03-01")),
            Some(d("2026-02-28"))
        );
    }

    #[test]
    fn next_anniversary_crosses_the_year_end() {
        let birthday = d("1990-01-03");
        assert_eq!(
            next_anniversary(birthday, d("2025-12-30")),
            Some(d("2026-01-03"))
        );
        assert_eq!(
            next_anniversary(birthday, d("2026-01-03")),
            Some(d("2026-01-03"))
        );
    }
}
