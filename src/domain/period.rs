//! Calendar periods for metrics: months, quarters and years. Pure.

use chrono::{Datelike, NaiveDate};

/// The length of a reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// A calendar month: `2025-03`.
    Month,
    /// A calendar quarter: `2025-Q1`.
    Quarter,
    /// A calendar year: `2025`.
    Year,
}

impl PeriodKind {
    /// Parses `month`, `quarter` or `year`.
    pub(crate) fn parse(text: &str) -> Result<PeriodKind, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "month" | "monthly" => Ok(PeriodKind::Month),
            "quarter" | "quarterly" => Ok(PeriodKind::Quarter),
            "year" | "yearly" => Ok(PeriodKind::Year),
            _ => Err(format!(
                "{text:?} is not a period; use month, quarter or year"
            )),
        }
    }

    fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        }
    }
}

/// One calendar period: its kind and first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Period {
    /// First day (inclusive).
    pub(crate) start: NaiveDate,
    /// Months in the period (1, 3 or 12).
    months: u32,
}

impl Period {
    /// The period of `kind` that contains `date`.
    pub(crate) fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let months = kind.months();
        let month0 = (date.month0() / months) * months;
        let start = NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1)
            .expect("the first day of a month always exists");
        Period { start, months }
    }

    /// The kind of this period.
    pub(crate) fn kind(self) -> PeriodKind {
        match self.months {
            1 => PeriodKind::Month,
            3 => PeriodKind::Quarter,
            _ => PeriodKind::Year,
        }
    }

    /// The following period.
    pub(crate) fn next(self) -> Period {
        Period {
            start: self
                .start
                .checked_add_months(chrono::Months::new(self.months))
                .unwrap_or(NaiveDate::MAX),
            months: self.months,
        }
    }

    /// The preceding period.
    pub(crate) fn previous(self) -> Period {
        Period {
            start: self
                .start
                .checked_sub_months(chrono::Months::new(self.months))
                .unwrap_or(NaiveDate::MIN),
            months: self.months,
        }
    }

    /// Last day (inclusive).
    pub(crate) fn end(self) -> NaiveDate {
        self.next().start.pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The label: `2025-03`, `2025-Q1` or `2025`.
    pub(crate) fn label(self) -> String {
        match self.kind() {
            PeriodKind::Month => self.start.format("%Y-%m").to_string(),
            PeriodKind::Quarter => {
                format!("{}-Q{}", self.start.year(), self.start.month0() / 3 + 1)
            }
            PeriodKind::Year => self.start.year().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_have_calendar_boundaries() {
        let q = Period::containing(PeriodKind::Quarter, d("2025-05-31"));
        assert_eq!(
            (q.start, q.end(), q.label()),
            (d("2025-04-01"), d("2025-06-30"), "2025-Q2".into())
        );
        let m = Period::containing(PeriodKind::Month, d("2024-02-10"));
        assert_eq!((m.end(), m.label()), (d("2024-02-29"), "2024-02".into()));
        let y = Period::containing(PeriodKind::Year, d("2024-12-31"));
        assert_eq!(
            (y.next().label(), y.previous().label()),
            ("2025".into(), "2023".into())
        );
        assert_eq!(
            Period::containing(PeriodKind::Quarter, d("2025-01-01"))
                .previous()
                .label(),
            "2024-Q4"
        );
    }
}
