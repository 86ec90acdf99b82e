//! `crm predict`, and the predictions `show` and `list` take from the book's fit: the
//! JSON contract, the order, the summary per customer (same-day orders, refunds,
//! `--to`), refusals, the cache `show` reads, and `list --sort value` / `--at-risk`.
//! The numbers themselves are checked in the unit tests (src/domain/predict/tests.rs).

use crate::common;

use common::{stdout_of, TempBook};
use serde_json::Value;

/// A book of 40 customers with varied, deterministic purchase histories: some buy
/// steadily to the end, some stopped long ago, some bought once; amounts differ.
fn shop() -> TempBook {
    let book = TempBook::new();
    let start = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
    for i in 0..40u32 {
        let first = start + chrono::Duration::days(i64::from(i * 7 % 120));
        let repeats = i % 6;
        let gap = 9 + i64::from(i % 5) * 11;
        let mut yaml = format!(
            "name: Customer {i}\ntags: [{}]\ninteractions:\n",
            if i % 2 == 0 { "even" } else { "odd" }
        );
        for k in 0..=repeats {
            let date = first + chrono::Duration::days(gap * i64::from(k));
            yaml.push_str(&format!(
                "- {{date: {date}, kind: purchase, amount: {}.00}}\n",
                10 + (i * 13 + k * 7) % 90
            ));
        }
        book.customer(&format!("c{i:02}"), &yaml);
    }
    book
}

fn json(book: &TempBook, args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(book.crm(args))).expect("JSON output")
}

#[test]
fn predict_lists_every_buyer_by_value_at_risk_with_the_json_contract() {
    let book = shop();
    let rows = json(&book, &["predict", "--format", "json"]);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 40);
    let risks: Vec<f64> = rows
        .iter()
        .map(|r| r["value_at_risk"].as_f64().expect("a spend model"))
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
    for r in rows {
        let p = r["p_alive"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let (clv, var, e) = (
            r["clv"].as_f64().unwrap(),
            r["value_at_risk"].as_f64().unwrap(),
            r["expected_value"].as_f64().unwrap(),
        );
        // CLV = P(alive) × value if alive; value at risk = (1 − P(alive)) × the same.
        if p < 1.0 {
            let if_alive = clv / p;
            assert!((var - (1.0 - p) * if_alive).abs() < 1e-9 * if_alive.max(1.0));
        }
        assert!((clv - r["expected_purchases"].as_f64().unwrap() * e).abs() < 1e-9 * clv.max(1.0));
        for field in [
            "id",
            "name",
            "x",
            "t_x",
            "T",
            "monetary",
            "purchases_at_risk",
        ] {
            assert!(r.get(field).is_some(), "{field} missing in {r}");
        }
    }
    // Customer 0 bought once, on 2024-07-01: x = 0, T to today.
    let c00 = rows.iter().find(|r| r["id"] == "c00").unwrap();
    assert_eq!(
        (c00["x"].as_u64(), c00["t_x"].as_u64(), c00["T"].as_u64()),
        (Some(0), Some(0), Some(349))
    );
    assert_eq!(c00["p_alive"].as_f64(), Some(1.0));
}

#[test]
fn same_day_orders_are_one_transaction_refunds_none_and_to_cuts_the_history() {
    let book = shop();
    book.customer(
        "zed",
        "name: Zed\ninteractions:\n\
         - {date: 2025-01-01, kind: purchase, amount: 10.00}\n\
         - {date: 2025-01-11, kind: purchase, amount: 20.00}\n\
         - {date: 2025-01-11, kind: purchase, amount: 5.00}\n\
         - {date: 2025-01-12, kind: refund, amount: 5.00}\n\
         - {date: 2025-01-31, kind: purchase, amount: 0.00}\n\
         - {date: 2025-03-01, kind: purchase, amount: 99.00}\n",
    );
    let rows = json(
        &book,
        &["predict", "--to", "2025-02-10", "--format", "json"],
    );
    let zed = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "zed")
        .unwrap()
        .clone();
    assert_eq!(zed["x"], 2);
    assert_eq!(zed["t_x"], 30);
    assert_eq!(zed["T"], 40);
    assert_eq!(zed["monetary"].as_f64(), Some(12.5));
    // Customers whose first purchase is after --to are not predicted.
    let later = json(
        &book,
        &["predict", "--to", "2024-12-31", "--format", "json"],
    );
    assert!(later.as_array().unwrap().iter().all(|r| r["id"] != "zed"));
}

#[test]
fn params_prints_both_fits_with_their_log_likelihoods() {
    let book = shop();
    let model = json(&book, &["predict", "--params", "--format", "json"]);
    assert_eq!(model["customers"], 40);
    assert_eq!(model["repeat_buyers"], 33);
    assert_eq!(model["to"], common::TODAY);
    for p in ["r", "alpha", "a", "b"] {
        assert!(model["purchases"]["params"][p].as_f64().unwrap() > 0.0);
    }
    assert!(model["purchases"]["log_likelihood"].as_f64().unwrap() < 0.0);
    assert_eq!(model["spend"]["customers"], 33);
    assert_eq!(model["spend"]["left_out"], 0);
    // How each search ended, and how hard it worked, for the benchmark.
    for fit in ["purchases", "spend"] {
        assert!(model[fit]["evaluations"].as_u64().unwrap() > 0, "{model}");
        assert!(model[fit]["groups"].as_u64().unwrap() > 0, "{model}");
        let stop = model[fit]["stop"].as_str().unwrap();
        assert!(
            ["converged", "stalled", "evaluation_limit"].contains(&stop),
            "{model}"
        );
    }
    assert!(model["spend"].get("common_rate").is_some(), "{model}");
    let table = stdout_of(book.crm(&["predict", "--params"]));
    for figure in [
        "bgnbd_r",
        "bgnbd_alpha_days",
        "bgnbd_log_likelihood",
        "gamma_gamma_q",
        "gamma_gamma_left_out",
        "bgnbd_evaluations",
        "gamma_gamma_evaluations",
        "gamma_gamma_stop",
    ] {
        assert!(table.contains(figure), "{figure} missing:\n{table}");
    }
}

#[test]
fn zero_value_repeat_buyers_are_left_out_of_the_spend_fit_and_counted() {
    let book = shop();
    book.customer(
        "free",
        "name: Free\ninteractions:\n\
         - {date: 2025-01-01, kind: purchase, amount: 10.00}\n\
         - {date: 2025-02-01, kind: purchase, amount: 0.00}\n",
    );
    let model = json(&book, &["predict", "--params", "--format", "json"]);
    assert_eq!(model["spend"]["left_out"], 1);
    assert_eq!(model["spend"]["customers"], 33);
}

#[test]
fn too_small_books_and_books_without_repeat_buyers_are_refused() {
    let book = TempBook::new();
    book.customer(
        "ada",
        "name: Ada\ninteractions:\n- {date: 2025-01-01, kind: purchase, amount: 10.00}\n",
    );
    book.crm(&["predict"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "too small to fit: 1 customer with a purchase, at least 10",
        ));
    for i in 0..12 {
        book.customer(
            &format!("once{i}"),
            "name: Once\ninteractions:\n- {date: 2025-01-01, kind: purchase, amount: 10.00}\n",
        );
    }
    book.crm(&["predict", "--params"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no model without repeat buyers: 0 customers",
        ));
    book.crm(&["list", "--sort", "value"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no model without repeat buyers"));
}

#[test]
fn bad_horizons_and_discounts_are_refused_with_the_fix() {
    let book = shop();
    book.crm(&["predict", "--horizon", "soon"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--horizon"));
    book.crm(&["predict", "--discount", "10"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("10%"));
}

#[test]
fn discount_lowers_the_value_and_horizon_raises_the_purchases() {
    let book = shop();
    let total = |args: &[&str], field: &str| -> f64 {
        let mut all = vec!["predict", "--format", "json"];
        all.extend_from_slice(args);
        json(&book, &all)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[field].as_f64().unwrap())
            .sum()
    };
    let plain = total(&["--horizon", "1y"], "clv");
    let discounted = total(&["--horizon", "1y", "--discount", "10%"], "clv");
    assert!(
        discounted < plain && discounted > plain / 1.1,
        "{discounted} vs {plain}"
    );
    assert_eq!(
        total(&["--horizon", "1y", "--discount", "0.1"], "clv"),
        discounted
    );
    assert!(total(&["--horizon", "30d"], "expected_purchases") < total(&[], "expected_purchases"));
}

#[test]
fn tag_limit_and_csv_pick_rows_but_not_the_fit() {
    let book = shop();
    let all = json(&book, &["predict", "--format", "json"]);
    let even = json(&book, &["predict", "--tag", "even", "--format", "json"]);
    let even = even.as_array().unwrap();
    assert_eq!(even.len(), 20);
    // The same fit: an even customer's figures are those of the full listing.
    let same = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == even[0]["id"])
        .unwrap();
    assert_eq!(same, &even[0]);
    let csv = stdout_of(book.crm(&["predict", "--format", "csv", "--limit", "3"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "id,name,x,t_x,T,p_alive,expected_purchases,expected_value,clv,value_at_risk"
    );
}

#[test]
fn show_gives_the_prediction_once_the_book_has_a_fit() {
    let book = shop();
    let card = stdout_of(book.crm(&["show", "c05"]));
    assert!(!card.contains("Predictions"), "{card}");
    let shown = json(&book, &["show", "c05", "--format", "json"]);
    assert!(shown.get("prediction").is_none());

    let rows = json(&book, &["predict", "--format", "json"]);
    let c05 = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "c05")
        .unwrap()
        .clone();
    let card = stdout_of(book.crm(&["show", "c05"]));
    assert!(
        card.contains(&format!(
            "Predictions (fit of {} over 40 customers",
            common::TODAY
        )),
        "{card}"
    );
    assert!(
        card.contains(&format!(
            "p(alive)          {:.3}",
            c05["p_alive"].as_f64().unwrap()
        )),
        "{card}"
    );
    let shown = json(&book, &["show", "c05", "--format", "json"]);
    assert_eq!(shown["prediction"]["p_alive"], c05["p_alive"]);
    assert_eq!(
        shown["prediction"]["expected_purchases"],
        c05["expected_purchases"]
    );
    assert_eq!(shown["prediction"]["horizon_days"], 90);
}

/// show reads only its customer's file: with every other file unreadable it still
/// gives the cached prediction.
#[cfg(unix)]
#[test]
fn show_reads_only_its_own_file_and_the_cached_fit() {
    let book = shop();
    stdout_of(book.crm(&["predict", "--params"]));
    for i in 0..40 {
        if i != 5 {
            std::fs::write(book.customer_path(&format!("c{i:02}")), "name: [unclosed\n").unwrap();
        }
    }
    let card = stdout_of(book.crm(&["show", "c05"]));
    assert!(card.contains("p(alive)"), "{card}");
}

#[test]
fn list_sorts_by_value_and_filters_by_risk() {
    let book = shop();
    let rows = json(&book, &["predict", "--format", "json"]);
    let mut by_value: Vec<(f64, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["clv"].as_f64().unwrap(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_value.sort_by(|a, b| b.0.total_cmp(&a.0));
    let listed = json(&book, &["list", "--sort", "value", "--format", "json"]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = by_value.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, expected);

    let at_risk = json(&book, &["list", "--at-risk", "0.5", "--format", "json"]);
    let at_risk = at_risk.as_array().unwrap();
    let expected: usize = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["p_alive"].as_f64().unwrap() < 0.5)
        .count();
    assert!(expected > 0 && expected < 40, "{expected}");
    assert_eq!(at_risk.len(), expected);
    assert!(at_risk.iter().all(|r| r["p_alive"].as_f64().unwrap() < 0.5));
    // Plain `list` keeps its columns.
    let plain = json(&book, &["list", "--format", "json"]);
    assert!(plain[0].get("p_alive").is_none());
    book.crm(&["list", "--at-risk", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("between 0 and 1"));
}
