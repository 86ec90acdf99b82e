//! iCalendar (RFC 5545) output: all-day events, one-off or yearly. Hand-written like
//! the vCard writer, sharing its escaping and 75-octet folding (the two RFCs use the
//! same content-line rules); see `super::vcard`.

use chrono::{Datelike, Days, NaiveDate};

use super::vcard::{escape, fold_into};

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// Its stable UID.
    pub(crate) uid: String,
    /// The (first) day.
    pub(crate) date: NaiveDate,
    /// Whether it recurs every year (birthdays, anniversaries).
    pub(crate) yearly: bool,
    /// The title.
    pub(crate) summary: String,
    /// More text, if any.
    pub(crate) description: Option<String>,
    /// Categories (`follow-up`, `birthday`, `anniversary`).
    pub(crate) category: &'static str,
}

/// A calendar of `events`; `stamp` is the export's day (`DTSTAMP`, which RFC 5545
/// requires; the day rather than the time keeps exports of one day identical).
pub(crate) fn calendar(events: &[Event], stamp: NaiveDate) -> String {
    let mut out = String::new();
    let mut line = |l: &str| fold_into(&mut out, l);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line(&format!(
        "PRODID:-//crm//crm {}//EN",
        env!("CARGO_PKG_VERSION")
    ));
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line("X-WR-CALNAME:crm");
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", e.uid));
        line(&format!("DTSTAMP:{}T000000Z", basic(stamp)));
        line(&format!("DTSTART;VALUE=DATE:{}", basic(e.date)));
        let next = e.date.checked_add_days(Days::new(1)).unwrap_or(e.date);
        line(&format!("DTEND;VALUE=DATE:{}", basic(next)));
        if e.yearly {
            // 29 February falls on 28 February in common years, as in `crm due`: the
            // last day of February every year.
            if e.date.month() == 2 && e.date.day() == 29 {
                line("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1");
            } else {
                line("RRULE:FREQ=YEARLY");
            }
        }
        line(&format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(d) = &e.description {
            line(&format!("DESCRIPTION:{}", escape(d)));
        }
        line(&format!("CATEGORIES:{}", escape(e.category)));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// `20250621`: the DATE form of RFC 5545.
fn basic(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn all_day_events_with_crlf_and_yearly_rules() {
        let events = [
            Event {
                uid: "u1".into(),
                date: d("2025-06-20"),
                yearly: false,
                summary: "Follow up: Ada, Countess; of Lovelace".into(),
                description: None,
                category: "follow-up",
            },
            Event {
                uid: "u2".into(),
                date: d("2000-02-29"),
                yearly: true,
                summary: "Leap's birthday".into(),
                description: Some("two\nlines".into()),
                category: "birthday",
            },
        ];
        let text = calendar(&events, d("2025-06-15"));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(text.contains("DTSTART;VALUE=DATE:20250620\r\nDTEND;VALUE=DATE:20250621\r\n"));
        assert!(text.contains("SUMMARY:Follow up: Ada\\, Countess\\; of Lovelace\r\n"));
        assert!(text.contains("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1\r\n"));
        assert!(text.contains("DESCRIPTION:two\\nlines\r\n"));
        assert!(text.contains("DTSTAMP:20250615T000000Z\r\n"));
    }
}
