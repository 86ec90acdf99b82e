//! `.crm/digests`: the days `crm due` made a digest in a book with loyalty tiers, so
//! that a tier reached since the last digest is announced once. One `YYYY-MM-DD` line
//! per day, oldest first, the last [`KEPT`] days kept. Like the summary cache it is
//! crm's own state (git-ignored, in `.crm/`), written to a temp file and renamed into
//! place; losing it only means the next digest counts from the day before. The rule
//! that uses it is docs/metrics.md's "Tier reached since the last digest".

use std::fs;
use std::path::Path;

use chrono::NaiveDate;

/// Name of the file in the book's state folder.
pub const FILE_NAME: &str = "digests";

/// How many digest days are remembered.
pub const KEPT: usize = 400;

/// The digest days recorded in `state_dir`, oldest first (unreadable lines skipped; a
/// missing file is no days).
pub fn read(state_dir: &Path) -> Vec<NaiveDate> {
    let Ok(text) = fs::read_to_string(state_dir.join(FILE_NAME)) else {
        return Vec::new();
    };
    let mut days: Vec<NaiveDate> = text
        .lines()
        .filter_map(|l| l.trim().parse::<NaiveDate>().ok())
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The last digest before `today`: the latest recorded day earlier than `today`, or
/// the day before `today` when none is. A second digest on the same day therefore
/// lists the same promotions as the first.
pub fn last_before(days: &[NaiveDate], today: NaiveDate) -> NaiveDate {
    days.iter()
        .rev()
        .find(|d| **d < today)
        .copied()
        .unwrap_or_else(|| today.pred_opt().unwrap_or(today))
}

/// Records `today` as a digest day (atomically; the folder is made if need be).
pub fn record(state_dir: &Path, today: NaiveDate) -> std::io::Result<()> {
    let mut days = read(state_dir);
    if days.contains(&today) {
        return Ok(());
    }
    days.push(today);
    days.sort_unstable();
    let start = days.len().saturating_sub(KEPT);
    let mut text =
        String::from("# days `crm due` made a digest (crm's own state; see docs/metrics.md)\n");
    for day in &days[start..] {
        text.push_str(&format!("{day}\n"));
    }
    super::create_state_dir(state_dir)?;
    let temp = state_dir.join(format!("{FILE_NAME}.{}.tmp", std::process::id()));
    fs::write(&temp, text)?;
    fs::rename(&temp, state_dir.join(FILE_NAME)).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_last_digest_is_the_latest_recorded_day_before_today() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            last_before(&read(dir.path()), day("2025-06-16")),
            day("2025-06-15")
        );
        record(dir.path(), day("2025-06-13")).unwrap();
        record(dir.path(), day("2025-06-16")).unwrap();
        record(dir.path(), day("2025-06-16")).unwrap();
        let days = read(dir.path());
        assert_eq!(days, [day("2025-06-13"), day("2025-06-16")]);
        // Monday's digest counts from Friday's, and a second run on Monday too.
        assert_eq!(last_before(&days, day("2025-06-16")), day("2025-06-13"));
        assert_eq!(last_before(&days, day("2025-06-17")), day("2025-06-16"));
    }
}
