//! `crm stats` and `crm stats cohorts`: the JSON contract, every output format, and the
//! worked example of docs/metrics.md through the whole program.

use crate::common;

use common::{stdout_of, TempBook};
use serde_json::Value;

/// The worked example of docs/metrics.md as customer files.
fn worked_example() -> TempBook {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\ntags: [vip]\ninteractions:\n\
         - {date: 2024-11-05, kind: purchase, amount: 10.00}\n\
         - {date: 2025-01-10, kind: purchase, amount: 20.00}\n\
         - {date: 2025-01-10, kind: purchase, amount: 5.00}\n\
         - {date: 2025-01-12, kind: feedback, rating: 5}\n\
         - {date: 2025-02-01, kind: purchase, amount: 15.00}\n",
    );
    book.customer(
        "bob",
        "name: Bob\ntags: [vip]\ninteractions:\n\
         - {date: 2024-12-20, kind: purchase, amount: 30.00}\n\
         - {date: 2025-04-02, kind: purchase, amount: 12.50}\n",
    );
    book.customer(
        "cy",
        "name: Cy\ninteractions:\n\
         - {date: 2025-03-03, kind: purchase, amount: 0.00}\n\
         - {date: 2025-03-04, kind: complaint, summary: cold coffee}\n\
         - {date: 2025-03-05, kind: feedback, rating: 3}\n",
    );
    book.customer(
        "dee",
        "name: Dee\ninteractions:\n- {date: 2025-02-10, kind: refund, amount: 8.00}\n",
    );
    book.customer("eve", "name: Eve\n");
    book.customer(
        "fay",
        "name: Fay\ninteractions:\n\
         - {date: 2025-02-14, kind: purchase, amount: 10.00}\n\
         - {date: 2025-02-14, kind: purchase, amount: 10.00}\n",
    );
    book
}

fn json(book: &TempBook, args: &[&str]) -> Value {
    let mut all = vec!["stats"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&stdout_of(&mut book.crm(&all))).expect("stats prints JSON")
}

fn close(value: &Value, expected: f64) {
    let actual = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"));
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

#[test]
fn json_contract_has_every_key() {
    let report = json(&worked_example(), &["--period", "quarter"]);
    for key in [
        "customers",
        "purchasing_customers",
        "orders",
        "revenue",
        "average_order_value",
        "purchase_frequency",
        "repeat_purchase_rate",
        "repeat_purchase_rate_by_order",
        "periods",
    ] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    let period = &report["periods"][0];
    for key in [
        "period",
        "start",
        "end",
        "partial",
        "active",
        "new",
        "returning",
        "retention_rate",
        "returning_rate",
        "churn_rate",
        "repeat_purchase_rate",
        "orders",
        "revenue",
    ] {
        assert!(
            period.get(key).is_some(),
            "missing periods[].{key}: {period}"
        );
    }
}

#[test]
fn worked_example_numbers_through_the_cli() {
    let r = json(&worked_example(), &["--period", "quarter"]);
    assert_eq!(r["customers"], 6);
    assert_eq!(r["purchasing_customers"], 4);
    assert_eq!(r["orders"], 9);
    assert_eq!(r["revenue"], "104.50");
    assert_eq!(r["average_order_value"], "11.61");
    close(&r["purchase_frequency"], 2.25);
    close(&r["repeat_purchase_rate"], 0.5);
    close(&r["repeat_purchase_rate_by_order"], 0.75);
    assert_eq!(r["ratings"], 2);
    close(&r["csat"], 0.5);
    assert_eq!(r["complaints"], 1);
    let periods = r["periods"].as_array().unwrap();
    let labels: Vec<&str> = periods
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2024-Q4", "2025-Q1", "2025-Q2"]);
    assert_eq!(periods[0]["retention_rate"], Value::Null);
    assert_eq!(periods[0]["start"], "2024-10-01");
    assert_eq!(periods[0]["end"], "2024-12-31");
    let q1 = &periods[1];
    assert_eq!(
        (
            q1["active"].as_u64(),
            q1["new"].as_u64(),
            q1["returning"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    close(&q1["retention_rate"], 0.5);
    close(&q1["churn_rate"], 0.5);
    assert_eq!(q1["revenue"], "52.00");
    close(&periods[2]["retention_rate"], 1.0 / 3.0);
}

#[test]
fn default_period_comes_from_crm_toml() {
    let book = worked_example();
    let months = json(&book, &[]);
    assert_eq!(months["periods"][0]["period"], "2024-11");
    book.write("crm.toml", "[stats]\nperiod = \"year\"\n");
    let years = json(&book, &[]);
    let labels: Vec<&str> = years["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2024", "2025"]);
    assert_eq!(
        json(&book, &["--period", "month"])["periods"][0]["period"],
        "2024-11"
    );
}

#[test]
fn from_and_to_limit_the_window() {
    let r = json(
        &worked_example(),
        &[
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
            "--period",
            "quarter",
        ],
    );
    assert_eq!(r["from"], "2025-01-01");
    assert_eq!(r["orders"], 6);
    assert_eq!(r["revenue"], "52.00");
    assert_eq!(r["periods"].as_array().unwrap().len(), 1);
    // The previous quarter still counts as S for retention.
    close(&r["periods"][0]["retention_rate"], 0.5);
}

#[test]
fn tag_filters_customers() {
    let r = json(&worked_example(), &["--tag", "vip"]);
    assert_eq!(r["customers"], 2);
    assert_eq!(r["orders"], 6);
    assert_eq!(r["revenue"], "92.50");
}

#[test]
fn table_output_names_every_figure() {
    let book = worked_example();
    let text = stdout_of(&mut book.crm(&["stats", "--period", "quarter"]));
    for needle in [
        "repeat purchase rate (by day)",
        "50.0%",
        "2025-Q1",
        "104.50",
        "retention_rate",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn csv_output_is_one_row_per_period_with_fractions() {
    let book = worked_example();
    let text = stdout_of(&mut book.crm(&["stats", "--period", "quarter", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "period");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[1][column("retention_rate")], "0.5000");
    assert_eq!(&rows[0][column("retention_rate")], "");
    assert_eq!(&rows[1][column("revenue")], "52.00");
}

#[test]
fn empty_book_prints_nulls_not_nan() {
    let book = TempBook::new();
    let text = stdout_of(&mut book.crm(&["stats", "--format", "json"]));
    assert!(!text.contains("NaN"));
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["customers"], 0);
    assert_eq!(r["repeat_purchase_rate"], Value::Null);
    assert_eq!(r["periods"], Value::Array(vec![]));
    stdout_of(&mut book.crm(&["stats"]));
    stdout_of(&mut book.crm(&["stats", "cohorts"]));
}

#[test]
fn cohorts_in_every_format() {
    let book = worked_example();
    let cohorts: Value = serde_json::from_str(&stdout_of(&mut book.crm(&[
        "stats", "cohorts", "--period", "quarter", "--format", "json",
    ])))
    .unwrap();
    assert_eq!(cohorts[0]["cohort"], "2024-Q4");
    assert_eq!(cohorts[0]["customers"], 2);
    assert_eq!(cohorts[0]["periods"][1]["period"], "2025-Q2");
    close(&cohorts[0]["periods"][1]["rate"], 0.5);
    // Flags before the subcommand work too.
    let csv =
        stdout_of(&mut book.crm(&["stats", "--period", "quarter", "cohorts", "--format", "csv"]));
    assert!(
        csv.starts_with("cohort,start,customers,period,offset,active,rate\n"),
        "{csv}"
    );
    assert!(
        csv.contains("2024-Q4,2024-10-01,2,2025-Q1,1,1,0.5000"),
        "{csv}"
    );
    let table = stdout_of(&mut book.crm(&["stats", "cohorts", "--period", "quarter"]));
    assert!(table.contains("+2") && table.contains("50.0%"), "{table}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let book = worked_example();
    book.crm(&["stats", "--period", "week"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--period"));
    book.crm(&["stats", "--from", "2025-03-01", "--to", "2025-01-01"])
        .assert()
        .code(2);
    book.crm(&["stats", "--from", "someday"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--from"));
}

#[test]
fn unreadable_customer_files_exit_3_but_still_report() {
    let book = worked_example();
    book.customer("broken", "name: [unclosed\n");
    let output = book.crm(&["stats", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let r: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(r["customers"], 6);
}

/// Audit finding: `crm stats --from -3m` was refused by the argument parser
/// ("unexpected argument '-3'"), though docs/metrics.md says relative dates work.
#[test]
fn from_and_to_accept_dates_that_start_with_a_dash() {
    let book = worked_example();
    let run = |args: &[&str]| -> Value {
        let mut all = vec!["--today", "2025-04-30", "stats"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        serde_json::from_str(&stdout_of(&mut book.crm(&all))).unwrap()
    };
    let r = run(&["--from", "-3m"]);
    assert_eq!(r["from"], "2025-01-30");
    let r = run(&["--from=-3m", "--to", "-1m"]);
    assert_eq!(
        (&r["from"], &r["to"]),
        (&Value::from("2025-01-30"), &Value::from("2025-03-30"))
    );
    // After the subcommand too (the flags are global).
    let cohorts: Value = serde_json::from_str(&stdout_of(&mut book.crm(&[
        "--today",
        "2025-04-30",
        "stats",
        "cohorts",
        "--from",
        "-6m",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(cohorts[0]["cohort"], "2024-10");
}

/// Review finding: `--from D` alone, with no event after D, gave a one-day window
/// (`to` = `from`). "From D" now runs until today (`--today`).
#[test]
fn a_lone_from_runs_until_today() {
    let book = worked_example();
    let run = |args: &[&str]| -> Value {
        let mut all = vec!["--today", "2025-06-15", "stats"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json"]);
        serde_json::from_str(&stdout_of(&mut book.crm(&all))).unwrap()
    };
    let r = run(&["--from", "2025-06-01"]);
    assert_eq!(
        (&r["from"], &r["to"], &r["orders"]),
        (
            &Value::from("2025-06-01"),
            &Value::from("2025-06-15"),
            &Value::from(0)
        )
    );
    let r = run(&["--from", "2025-03-01"]);
    assert_eq!(r["to"], "2025-06-15");
    let months: Vec<&str> = r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2025-03", "2025-04", "2025-05", "2025-06"]);
    // Without --from the window is still the span of the data.
    assert_eq!(run(&[])["to"], "2025-04-02");
}

/// A weekday in `--from`/`--to` counts back, as for `log --date`: 2025-04-30 is a
/// Wednesday, so `--from monday` is 2025-04-28, not the Monday ahead.
#[test]
fn stats_window_weekdays_mean_the_latest_such_day() {
    let book = worked_example();
    let r: Value = serde_json::from_str(&stdout_of(&mut book.crm(&[
        "--today",
        "2025-04-30",
        "stats",
        "--from",
        "monday",
        "--to",
        "wednesday",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(
        (&r["from"], &r["to"]),
        (&Value::from("2025-04-28"), &Value::from("2025-04-30"))
    );
}

/// docs/metrics.md: several `--tag` flags mean customers carrying all of them.
#[test]
fn several_tags_mean_all_of_them() {
    let book = worked_example();
    book.customer(
        "gus",
        "name: Gus\ntags: [vip, local]\ninteractions:\n\
         - {date: 2025-01-02, kind: purchase, amount: 1.00}\n",
    );
    book.customer(
        "hal",
        "name: Hal\ntags: [local]\ninteractions:\n\
         - {date: 2025-01-03, kind: purchase, amount: 2.00}\n",
    );
    let r = json(&book, &["--tag", "vip", "--tag", "local"]);
    assert_eq!(
        (&r["customers"], &r["revenue"]),
        (&Value::from(1), &Value::from("1.00"))
    );
    assert_eq!(json(&book, &["--tag", "vip"])["customers"], 3);
    assert_eq!(json(&book, &["--tag", "local"])["customers"], 2);
}

/// Audit finding: the cohorts CSV had no row for a cohort without a later period in the
/// window, so that cohort and its size were missing (the table and JSON showed them).
#[test]
fn cohorts_csv_has_every_cohort_with_its_size() {
    let book = worked_example();
    let csv =
        stdout_of(&mut book.crm(&["stats", "cohorts", "--period", "year", "--format", "csv"]));
    assert_eq!(
        csv,
        "cohort,start,customers,period,offset,active,rate\n\
         2024,2024-01-01,2,2024,0,2,1.0000\n\
         2024,2024-01-01,2,2025,1,2,1.0000\n\
         2025,2025-01-01,2,2025,0,2,1.0000\n"
    );
    // An empty cohort has an offset-0 row too, with an empty rate.
    let csv =
        stdout_of(&mut book.crm(&["stats", "cohorts", "--period", "quarter", "--format", "csv"]));
    assert!(
        csv.ends_with("2025-Q2,2025-04-01,0,2025-Q2,0,0,\n"),
        "{csv}"
    );
    let json: Value = serde_json::from_str(&stdout_of(
        &mut book.crm(&["stats", "cohorts", "--period", "year", "--format", "json"]),
    ))
    .unwrap();
    assert_eq!(json[1]["cohort"], "2025");
    assert_eq!(json[1]["customers"], 2);
    let table = stdout_of(&mut book.crm(&["stats", "cohorts", "--period", "year"]));
    assert!(table.lines().any(|l| l.starts_with("2025 ")), "{table}");
}

/// Audit finding: when the window cuts a period its row (which counts the whole
/// period) looked like any other; it is now marked in every format.
#[test]
fn periods_cut_by_the_window_are_marked_partial() {
    let book = worked_example();
    let args = [
        "--from",
        "2025-01-15",
        "--to",
        "2025-03-31",
        "--period",
        "month",
    ];
    let r = json(&book, &args);
    let partial: Vec<(&str, bool)> = r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap(),
                p["partial"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        partial,
        [("2025-01", true), ("2025-02", false), ("2025-03", false)]
    );
    // The January row counts all of January (ada's orders of the 10th); the totals
    // only the window.
    assert_eq!(r["periods"][0]["orders"], 2);
    assert_eq!(r["orders"], 4);

    let mut csv_args = vec!["stats", "--format", "csv"];
    csv_args.extend_from_slice(&args);
    let csv = stdout_of(&mut book.crm(&csv_args));
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().ends_with(",complaints,partial"),
        "{csv}"
    );
    assert!(lines.next().unwrap().starts_with("2025-01,") && csv.contains(",true\n"));
    assert_eq!(csv.matches(",false\n").count(), 2, "{csv}");

    let mut table_args = vec!["stats"];
    table_args.extend_from_slice(&args);
    let table = stdout_of(&mut book.crm(&table_args));
    assert!(table.contains("2025-01* "), "{table}");
    assert!(table.contains("* the window cuts this period"), "{table}");
    // Without --from/--to nothing is partial, and there is no footnote.
    let all = json(&book, &[]);
    assert!(all["periods"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["partial"] == false));
    let table = stdout_of(&mut book.crm(&["stats"]));
    assert!(!table.contains('*'), "{table}");
}

/// Money is summed in cents: amounts whose sum is inexact in binary floating point
/// come out exact.
#[test]
fn money_is_exact_to_the_cent() {
    let book = TempBook::new();
    let mut yaml = String::from("name: Tea\ninteractions:\n");
    for _ in 0..10 {
        yaml.push_str("- {date: 2025-01-10, kind: purchase, amount: 0.10}\n");
    }
    yaml.push_str("- {date: 2025-01-11, kind: purchase, amount: 0.20}\n");
    yaml.push_str("- {date: 2025-01-12, kind: refund, amount: 0.30}\n");
    book.customer("tea", &yaml);
    let r = json(&book, &[]);
    assert_eq!(r["revenue"], "0.90");
    assert_eq!(r["average_order_value"], "0.08");
    assert_eq!(r["periods"][0]["revenue"], "0.90");
}
