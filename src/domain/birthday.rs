//! A birthday: a day of the year, with or without the year of birth. Address books
//! (Google, vCard's `BDAY:--0621`) hold many birthdays whose year nobody knows; crm keeps
//! them as `birthday: --06-21` (the ISO 8601 / vCard form) and lists them in `crm due`
//! and calendars all the same, saying "turns N" only when the year is known. Pure.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::date::{anniversary_in, next_anniversary};

/// A day of birth; the year may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Birthday {
    year: Option<i32>,
    month: u32,
    day: u32,
}

/// A leap year in which every month-day of a year-less birthday exists (29 February too).
const ANY_LEAP_YEAR: i32 = 2000;

impl Birthday {
    /// A birthday whose year is known.
    pub fn full(date: NaiveDate) -> Birthday {
        Birthday {
            year: Some(date.year()),
            month: date.month(),
            day: date.day(),
        }
    }

    /// A birthday without a year (`month` 1–12, `day` valid in some year: 29 February is).
    pub fn yearless(month: u32, day: u32) -> Option<Birthday> {
        NaiveDate::from_ymd_opt(ANY_LEAP_YEAR, month, day)?;
        Some(Birthday {
            year: None,
            month,
            day,
        })
    }

    /// Reads `YYYY-MM-DD`, or without the year `--MM-DD` (as written in files) or
    /// `MM-DD` (as typed after `--birthday`).
    pub fn parse(text: &str) -> Result<Birthday, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "{text:?} is not a date; write a birthday as YYYY-MM-DD, or --MM-DD when \
                 the year is not known (e.g. 1990-06-21 or --06-21)"
            )
        };
        let month_day = t.strip_prefix("--").unwrap_or(t);
        if month_day.len() == 5 && month_day.as_bytes()[2] == b'-' {
            let month = month_day[..2].parse().map_err(|_| bad())?;
            let day = month_day[3..].parse().map_err(|_| bad())?;
            return Birthday::yearless(month, day).ok_or_else(bad);
        }
        match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(date) if t.len() == 10 => Ok(Birthday::full(date)),
            // In the right shape but no day (`2025-09-31`): say why, not how to write it.
            _ => Err(crate::domain::date::impossible_date(t)
                .map(|why| format!("{text:?} is not a date: {why}"))
                .unwrap_or_else(bad)),
        }
    }

    /// The year of birth, when known.
    pub fn year(&self) -> Option<i32> {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// The day of the month.
    pub fn day(&self) -> u32 {
        self.day
    }

    /// The date of birth, when the year is known.
    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month, self.day)
    }

    /// The first birthday on or after `from` (29 February falls on 28 February in
    /// common years); never before the day of birth itself.
    pub fn next_on_or_after(&self, from: NaiveDate) -> Option<NaiveDate> {
        match self.date() {
            Some(date) => next_anniversary(date, from),
            None => {
                let origin = NaiveDate::from_ymd_opt(ANY_LEAP_YEAR, self.month, self.day)?;
                let this_year = anniversary_in(origin, from.year())?;
                if this_year >= from {
                    Some(this_year)
                } else {
                    anniversary_in(origin, from.year() + 1)
                }
            }
        }
    }

    /// The age turned on `birthday_on` (a birthday of this person), when the year of birth
    /// is known and plausible (after 1900).
    pub fn age_on(&self, birthday_on: NaiveDate) -> Option<i32> {
        let year = self.year.filter(|y| *y > 1900)?;
        let age = birthday_on.year() - year;
        (age > 0).then_some(age)
    }

    /// A birthday is a day that has happened: not after `today` (a year-less one always
    /// has).
    pub fn check_past(&self, today: NaiveDate) -> Result<(), String> {
        match self.date() {
            Some(date) if date > today => {
                Err(format!("{self} is in the future (today is {today})"))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Birthday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(year) => write!(f, "{year:04}-{:02}-{:02}", self.month, self.day),
            None => write!(f, "--{:02}-{:02}", self.month, self.day),
        }
    }
}

impl serde::Serialize for Birthday {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Birthday {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Birthday::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reads_and_writes_both_forms() {
        assert_eq!(
            Birthday::parse("1990-06-21").unwrap().to_string(),
            "1990-06-21"
        );
        assert_eq!(Birthday::parse("--06-21").unwrap().to_string(), "--06-21");
        assert_eq!(Birthday::parse("06-21").unwrap().to_string(), "--06-21");
        assert_eq!(Birthday::parse("--02-29").unwrap().to_string(), "--02-29");
        for bad in [
            "--02-30",
            "--13-01",
            "1990-6-21",
            "21.06.1990",
            "",
            "--0621",
        ] {
            assert!(Birthday::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_birthday_with_and_without_the_year() {
        let known = Birthday::parse("1990-06-21").unwrap();
        let yearless = Birthday::parse("--06-21").unwrap();
        assert_eq!(
            known.next_on_or_after(d("2025-06-15")),
            Some(d("2025-06-21"))
        );
        assert_eq!(
            yearless.next_on_or_after(d("2025-06-15")),
            Some(d("2025-06-21"))
        );
        assert_eq!(
            yearless.next_on_or_after(d("2025-06-22")),
            Some(d("2026-06-21"))
        );
        assert_eq!(
            yearless.next_on_or_after(d("2025-06-21")),
            Some(d("2025-06-21"))
        );
        let leap = Birthday::parse("--02-29").unwrap();
        assert_eq!(
            leap.next_on_or_after(d("2025-01-01")),
            Some(d("2025-02-28"))
        );
        assert_eq!(
            leap.next_on_or_after(d("2028-01-01")),
            Some(d("2028-02-29"))
        );
    }

    #[test]
    fn turns_n_only_when_the_year_is_known() {
        let known = Birthday::parse("1990-06-21").unwrap();
        assert_eq!(known.age_on(d("2025-06-21")), Some(35));
        assert_eq!(
            Birthday::parse("--06-21").unwrap().age_on(d("2025-06-21")),
            None
        );
        assert_eq!(
            Birthday::parse("1900-06-21")
                .unwrap()
                .age_on(d("2025-06-21")),
            None
        );
    }

    #[test]
    fn a_yearless_birthday_is_never_in_the_future() {
        let today = d("2025-06-15");
        assert!(Birthday::parse("--12-31")
            .unwrap()
            .check_past(today)
            .is_ok());
        assert!(Birthday::parse("2025-06-16")
            .unwrap()
            .check_past(today)
            .is_err());
        assert!(Birthday::parse("2025-06-15")
            .unwrap()
            .check_past(today)
            .is_ok());
    }
}
