//! Relationship programmes (issue 15): loyalty points and tiers, NPS, RFM segments and
//! their cadences, and message drafts, through the whole program. The figures are the
//! hand-checked examples of docs/metrics.md.

use crate::common;

use common::{stdout_of, TempBook};
use serde_json::Value;

const LOYALTY: &str = "\n[loyalty]\npoints_per_unit = 1\nbonus = { feedback = 50 }\ntiers = [{ name = \"silver\", points = 500 }, { name = \"gold\", points = 2000 }]\n";

/// docs/metrics.md's loyalty example: Ada has 300 points and is silver.
fn loyalty_book() -> TempBook {
    let book = TempBook::new();
    let config = book.read("crm.toml") + LOYALTY;
    book.write("crm.toml", &config);
    book.customer(
        "ada",
        "name: Ada Lovelace\nemail: ada@example.com\ninteractions:\n\
         - {date: 2025-01-10, kind: purchase, amount: 129.00}\n\
         - {date: 2025-02-01, kind: feedback, rating: 5}\n\
         - {date: 2025-03-02, kind: purchase, amount: 450.50}\n\
         - {date: 2025-03-20, kind: refund, amount: 29.99}\n\
         - {date: 2025-04-01, kind: redeem, points: 300, summary: Free bag}\n",
    );
    book.customer(
        "bob",
        "name: Bob\ninteractions:\n- {date: 2025-05-01, kind: purchase, amount: 2100.00}\n",
    );
    book.customer("cy", "name: Cy\n");
    book
}

fn json(book: &TempBook, args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(&mut book.crm(args))).expect("JSON output")
}

#[test]
fn show_gives_points_tier_and_what_the_next_tier_needs() {
    let book = loyalty_book();
    let ada = json(&book, &["show", "ada", "--format", "json"]);
    let loyalty = &ada["loyalty"];
    assert_eq!(loyalty["points"], 300, "{loyalty}");
    assert_eq!(loyalty["earned"], 629);
    assert_eq!(loyalty["taken_back"], 29);
    assert_eq!(loyalty["redeemed"], 300);
    assert_eq!(loyalty["tier"], "silver");
    assert_eq!(loyalty["next_tier"], "gold");
    assert_eq!(loyalty["needed"]["points"], 1400);
    let card = stdout_of(&mut book.crm(&["show", "ada"]));
    assert!(card.contains("\nLoyalty\n  points    300 (earned 629, refunded 29, redeemed 300, lapsed 0)\n  tier      silver\n  next      1400 points to gold\n"), "{card}");
    let bob = stdout_of(&mut book.crm(&["show", "bob"]));
    assert!(
        bob.contains("  tier      gold\n  next      top tier\n"),
        "{bob}"
    );
}

/// Points are computed, never stored: a hand-edited purchase changes them at once.
#[test]
fn a_hand_edited_purchase_changes_the_balance_at_once() {
    let book = loyalty_book();
    let text = book
        .read_customer("ada")
        .replace("amount: 450.50", "amount: 50.50");
    book.customer("ada", &text);
    let ada = json(&book, &["show", "ada", "--format", "json"]);
    assert_eq!(ada["loyalty"]["points"], -100);
    assert_eq!(ada["loyalty"]["tier"], Value::Null);
}

#[test]
fn redeeming_spends_points_and_is_refused_beyond_the_balance() {
    let book = loyalty_book();
    let before = book.read_customer("ada");
    let output = book
        .crm(&["log", "ada", "redeem", "--points", "301", "Free mug"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ada has 300 points on 2025-06-15; cannot redeem 301"),
        "{stderr}"
    );
    assert!(stderr.contains("redeem at most 300"), "{stderr}");
    assert_eq!(book.read_customer("ada"), before, "nothing is written");

    stdout_of(&mut book.crm(&["log", "ada", "redeem", "--points", "300", "Free mug"]));
    assert!(book
        .read_customer("ada")
        .ends_with("- date: 2025-06-15\n  kind: redeem\n  summary: Free mug\n  points: 300\n"));
    let ada = json(&book, &["show", "ada", "--format", "json"]);
    assert_eq!(ada["loyalty"]["points"], 0);
    // Redemptions never lower a tier.
    assert_eq!(ada["loyalty"]["tier"], "silver");
    for args in [
        &["log", "ada", "redeem", "--points", "1"][..],
        &["log", "ada", "redeem"][..],
        &["log", "ada", "redeem", "--points", "0"][..],
        &["log", "ada", "call", "--points", "5"][..],
    ] {
        book.crm(args).assert().code(2);
    }
}

#[test]
fn without_a_loyalty_section_there_are_no_points() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n");
    let output = book
        .crm(&["log", "ada", "redeem", "--points", "10"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no loyalty programme"), "{stderr}");
    assert!(stderr.contains("[loyalty]"), "{stderr}");
    let ada = json(&book, &["show", "ada", "--format", "json"]);
    assert!(ada.get("loyalty").is_none());
    let list = stdout_of(&mut book.crm(&["list", "--format", "csv"]));
    assert!(!list.contains("points"), "{list}");
    book.crm(&["list", "--tier", "gold"]).assert().code(2);
    book.crm(&["list", "--sort", "points"]).assert().code(2);
}

#[test]
fn list_filters_by_tier_and_sorts_by_points() {
    let book = loyalty_book();
    let csv = stdout_of(&mut book.crm(&["list", "--sort", "points", "--format", "csv"]));
    let ids: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["bob", "ada", "cy"], "{csv}");
    assert!(csv.starts_with("id,name,email,phone,company,tags,last_contact,next_follow_up,purchases,revenue,points,tier\n"), "{csv}");
    assert!(
        csv.contains("\nbob,Bob,,,,,2025-05-01,,1,2100.00,2100,gold\n"),
        "{csv}"
    );
    assert!(csv.ends_with("\ncy,Cy,,,,,,,0,0.00,0,\n"), "{csv}");
    let gold = json(&book, &["list", "--tier", "gold", "--format", "json"]);
    let ids: Vec<&str> = gold
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["bob"]);
    assert_eq!(gold[0]["points"], 2100);
    let output = book.crm(&["list", "--tier", "platinum"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tiers: silver, gold"));
}

#[test]
fn bad_loyalty_settings_are_reported_at_their_place() {
    let book = loyalty_book();
    for (setting, at, words) in [
        (
            "\n[loyalty]\ntiers = [{ name = \"gold\", points = 2000 }, { name = \"silver\", points = 500 }]\n",
            ":9: loyalty.tiers: tier \"silver\" (500 points) must ask for more than \"gold\"",
            "lowest first",
        ),
        (
            "\n[loyalty]\nbonus = { visti = 5 }\n",
            ":11: loyalty.bonus: \"visti\" is not a kind",
            "[interactions] kinds",
        ),
        (
            "\n[loyalty]\npoints_per_unit = 0\n",
            ":19: loyalty.points_per_unit",
            "positive number",
        ),
        (
            "\n[segments.at-rsik]\nevery = \"2w\"\n",
            ":11: segments: there is no segment \"at-rsik\"",
            "at-risk",
        ),
    ] {
        let config = TempBook::new().read("crm.toml") + setting;
        book.write("crm.toml", &config);
        let line = config
            .lines()
            .position(|l| l.starts_with("tiers") || l.starts_with("bonus") || l.starts_with("points_per") || l.starts_with("[segments"))
            .unwrap()
            + 1;
        let expected = format!("crm.toml:{line}{at}");
        for command in [&["list"][..], &["check"][..], &["show", "ada"][..]] {
            let output = book.crm(command).output().unwrap();
            assert_ne!(output.status.code(), Some(0));
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned()
                + &String::from_utf8_lossy(&output.stdout);
            assert!(stderr.contains(&expected), "{command:?}: {expected} in {stderr}");
            assert!(stderr.contains(words), "{stderr}");
        }
    }
}

/// A tier reached since the last digest is listed by `crm due` on the digest days up to
/// the next one, then no more.
#[test]
fn due_lists_a_new_tier_once() {
    let book = loyalty_book();
    // Cy reaches silver on 2025-06-16 (a Monday); the last digest was on Friday.
    book.crm(&["--today", "2025-06-13", "due"])
        .assert()
        .success();
    book.customer(
        "cy",
        "name: Cy\nphone: \"+44 1\"\ninteractions:\n- {date: 2025-06-14, kind: purchase, amount: 600.00}\n",
    );
    let monday = |book: &TempBook| stdout_of(&mut book.crm(&["--today", "2025-06-16", "due"]));
    let first = monday(&book);
    assert_eq!(
        first,
        "New loyalty tiers (1)\n  2025-06-14  2 days ago  Cy (cy)  reached silver  phone +44 1  last: 2025-06-14 purchase\n"
    );
    // A second run on the same day is the same digest.
    assert_eq!(monday(&book), first);
    let json = json(&book, &["--today", "2025-06-16", "due", "--format", "json"]);
    assert_eq!(json[0]["group"], "tier");
    assert_eq!(json[0]["reason"], "reached silver");
    assert_eq!(json[0]["programme"], "tier silver");
    // Tuesday's digest counts from Monday's: nothing new.
    assert_eq!(
        stdout_of(&mut book.crm(&["--today", "2025-06-17", "due"])),
        ""
    );
    book.crm(&["--today", "2025-06-17", "due", "--exit-code"])
        .assert()
        .code(0);
    let days = book.read(".crm/digests");
    assert!(
        days.ends_with("2025-06-13\n2025-06-16\n2025-06-17\n"),
        "{days}"
    );
    // Without tiers no digest is recorded.
    let plain = TempBook::new();
    plain.crm(&["due"]).assert().success();
    assert!(!plain.path(".crm/digests").exists());
}

/// docs/metrics.md's NPS example through `crm log` and `crm stats`.
#[test]
fn nps_per_period_beside_csat() {
    let book = TempBook::new();
    book.customer("ada", "name: Ada\n")
        .customer("bob", "name: Bob\n");
    for (id, date, score) in [
        ("ada", "2025-01-03", "10"),
        ("ada", "2025-01-09", "6"),
        ("bob", "2025-01-04", "9"),
        ("bob", "2025-01-05", "8"),
        ("bob", "2025-01-06", "7"),
        ("bob", "2025-01-07", "0"),
        ("bob", "2025-02-01", "9"),
    ] {
        stdout_of(&mut book.crm(&["log", id, "feedback", "--nps", score, "--date", date]));
    }
    assert!(book
        .read_customer("bob")
        .contains("kind: feedback\n    nps: 0\n"));
    let r = json(&book, &["stats", "--format", "json"]);
    assert_eq!(r["nps_responses"], 7);
    assert_eq!(
        (r["promoters"].clone(), r["detractors"].clone()),
        (3.into(), 2.into())
    );
    assert!(
        (r["nps"].as_f64().unwrap() - 100.0 / 7.0).abs() < 1e-9,
        "{r}"
    );
    assert_eq!(r["periods"][0]["nps"], 0.0);
    assert_eq!(r["periods"][1]["nps"], 100.0);
    assert_eq!(r["ratings"], 0, "an NPS answer is not a rating");
    let csv = stdout_of(&mut book.crm(&["stats", "--format", "csv"]));
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",csat,complaints,partial,nps_answers,nps"),
        "{csv}"
    );
    assert!(
        csv.contains(",false,6,0.00\n") && csv.contains(",false,1,100.00\n"),
        "{csv}"
    );
    let table = stdout_of(&mut book.crm(&["stats"]));
    assert!(
        table.contains("\nnps (9-10 minus 0-6)             14.3\n"),
        "{table}"
    );
    for bad in ["11", "-1", "x"] {
        book.crm(&["log", "ada", "feedback", "--nps", bad])
            .assert()
            .code(2);
    }
    book.crm(&["log", "ada", "call", "--nps", "9"])
        .assert()
        .code(2);
    // `crm check` holds hand-written scores to the same rule, at their place.
    book.customer(
        "cy",
        "name: Cy\ninteractions:\n- date: 2025-01-01\n  kind: feedback\n  nps: 12\n",
    );
    let output = book.crm(&["check"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("customers/cy.yaml:5:"), "{text}");
    assert!(
        text.contains("nps 12 is not a whole number from 0 to 10"),
        "{text}"
    );
}

/// docs/metrics.md's segments example: five purchasing customers and one who never
/// bought, scored on 2025-06-15.
fn segments_book() -> TempBook {
    let book = TempBook::new();
    for (id, purchases) in [
        (
            "ada",
            &[
                ("2025-06-10", "100.00"),
                ("2025-05-01", "50.00"),
                ("2025-04-01", "50.00"),
            ][..],
        ),
        ("bob", &[("2025-06-01", "20.00")][..]),
        (
            "cy",
            &[
                ("2025-01-05", "300.00"),
                ("2025-02-05", "300.00"),
                ("2025-03-05", "300.00"),
            ][..],
        ),
        ("dee", &[("2024-12-01", "10.00")][..]),
        (
            "eve",
            &[("2025-05-20", "40.00"), ("2025-05-25", "40.00")][..],
        ),
        ("fay", &[][..]),
    ] {
        let mut text = format!("name: {}\ninteractions:\n", id.to_uppercase());
        for (date, amount) in purchases {
            text.push_str(&format!(
                "- {{date: {date}, kind: purchase, amount: {amount}}}\n"
            ));
        }
        book.customer(id, &text);
    }
    book
}

#[test]
fn segments_table_json_and_csv() {
    let book = segments_book();
    let rows = json(&book, &["segments", "--format", "json"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 10, "every segment, empty ones too");
    let get = |name: &str| rows.iter().find(|r| r["segment"] == name).unwrap().clone();
    assert_eq!(get("champions")["customers"], 1);
    assert_eq!(get("champions")["share"], 0.2);
    assert_eq!(get("champions")["revenue"], "200.00");
    assert_eq!(get("cant-lose")["revenue"], "900.00");
    assert_eq!(get("potential-loyalists")["customers"], 1);
    assert_eq!(get("hibernating")["customers"], 1);
    assert_eq!(get("need-attention")["customers"], 1);
    assert_eq!(get("at-risk")["customers"], 0);
    let csv = stdout_of(&mut book.crm(&["segments", "--format", "csv"]));
    assert!(
        csv.starts_with(
            "segment,customers,share,revenue\nchampions,1,0.2000,200.00\nloyal,0,0.0000,0.00\n"
        ),
        "{csv}"
    );
    let table = stdout_of(&mut book.crm(&["segments"]));
    assert!(
        table.contains("\ncant-lose            1          20.0%  900.00\n"),
        "{table}"
    );
    let scores = json(&book, &["segments", "--customers", "--format", "json"]);
    let cy = scores
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cy")
        .unwrap();
    assert_eq!(
        (
            cy["recency_days"].clone(),
            cy["r"].clone(),
            cy["f"].clone(),
            cy["m"].clone(),
            cy["fm"].clone()
        ),
        (102.into(), 2.into(), 5.into(), 5.into(), 5.into())
    );
    assert_eq!(scores.as_array().unwrap().len(), 5, "fay never bought");
    // As of an earlier day, later purchases are not counted.
    let early = json(
        &book,
        &[
            "segments",
            "--customers",
            "--as-of",
            "2025-01-31",
            "--format",
            "json",
        ],
    );
    let ids: Vec<&str> = early
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{early}");
    book.crm(&["segments", "--segment", "at-rsk"])
        .assert()
        .code(2);
}

#[test]
fn list_by_segment_and_due_by_segment_cadence() {
    let book = segments_book();
    let list = stdout_of(&mut book.crm(&["list", "--segment", "cant-lose", "--format", "csv"]));
    assert_eq!(
        list.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect::<Vec<_>>(),
        ["cy"]
    );
    let output = book.crm(&["list", "--segment", "vip"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("segments: champions, loyal"));
    // Nobody has a cadence: nothing is due.
    assert_eq!(stdout_of(&mut book.crm(&["due", "--no-birthdays"])), "");
    let config = book.read("crm.toml")
        + "\n[segments.cant-lose]\nevery = \"2w\"\n[segments.hibernating]\nevery = \"1y\"\n";
    book.write("crm.toml", &config);
    let due = json(&book, &["due", "--format", "json"]);
    let items = due.as_array().unwrap();
    assert_eq!(items.len(), 1, "{due}");
    assert_eq!(items[0]["id"], "cy");
    assert_eq!(items[0]["group"], "overdue");
    assert_eq!(items[0]["date"], "2025-03-19");
    assert_eq!(items[0]["programme"], "segment cant-lose");
    assert_eq!(
        items[0]["reason"],
        "cadence 2w since last contact 2025-03-05 (segment cant-lose)"
    );
    // A customer's own shorter cadence wins over the segment's.
    let cy = book
        .read_customer("cy")
        .replace("name: CY\n", "name: CY\nfollow_up: 1w\n");
    book.customer("cy", &cy);
    let due = json(&book, &["due", "--format", "json"]);
    assert_eq!(due[0]["date"], "2025-03-12");
    assert!(due[0].get("programme").is_none(), "{due}");
}

fn draft_book() -> TempBook {
    let book = loyalty_book();
    book.customer(
        "zoe",
        "name: Zoë Šimić\nemail: zoe@example.com\nbirthday: 1990-06-18\npreferences:\n  coffee: oat flat white\nfollow_up: 30d\ninteractions:\n\
         - {date: 2025-04-01, kind: purchase, amount: 12.00, items: [Model B]}\n\
         - {date: 2025-04-03, kind: complaint, summary: a cold coffee}\n",
    );
    book
}

#[test]
fn init_ships_the_templates_and_commits_them() {
    let book = TempBook::new();
    for name in [
        "thank-you",
        "birthday",
        "win-back",
        "after-complaint",
        "follow-up",
    ] {
        assert!(
            book.path(&format!("templates/{name}.txt")).is_file(),
            "{name}"
        );
    }
    let repo = git2::Repository::open(book.root()).unwrap();
    let tree = repo.head().unwrap().peel_to_tree().unwrap();
    assert!(tree
        .get_path(std::path::Path::new("templates/thank-you.txt"))
        .is_ok());
}

#[test]
fn draft_renders_an_rfc_5322_message_from_the_customer() {
    let book = draft_book();
    let text = stdout_of(&mut book.crm(&["draft", "ada", "thank-you"]));
    assert_eq!(
        text,
        "To: Ada Lovelace <ada@example.com>\nSubject: Thank you, Ada\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
         Dear Ada,\n\nthank you for your purchase of 450.50 on 2025-03-20.\n\n\
         As a silver member you now have 300 points.\n\nWarm regards\n"
            .replace("450.50 on 2025-03-20", "purchase on 2025-03-02")
    );
    // An independent parser (Python's email package) reads the encoded headers back.
    let zoe = stdout_of(&mut book.crm(&["draft", "zoe", "birthday"]));
    let path = book.path("zoe.eml");
    std::fs::write(&path, &zoe).unwrap();
    let parsed = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, email, email.policy as p; m = email.message_from_bytes(open(sys.argv[1],'rb').read(), policy=p.default); print(m['To']); print(m['Subject']); print(m.get_content(), end='')")
        .arg(&path)
        .output()
        .expect("python3 runs (the independent parser for messages)");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert_eq!(
        String::from_utf8(parsed.stdout).unwrap(),
        "Zoë Šimić <zoe@example.com>\nHappy birthday, Zoë!\nDear Zoë,\n\neveryone here wishes you a very happy birthday. Your next oat flat white is on us.\n\nWarm regards\n"
    );
}

#[test]
fn template_errors_point_at_the_template() {
    let book = draft_book();
    for (template, at, words) in [
        (
            "Subject: Hi\n\nCall {{ customer.phone }} today\n",
            "templates/bad.txt:3:9: `customer.phone` is not set",
            "is defined",
        ),
        (
            "Subject: Hi\n\n{% if customer.name %}\nno end\n",
            "templates/bad.txt:",
            "syntax error",
        ),
        (
            "Dear {{ customer.name }}\n\nbody\n",
            "templates/bad.txt:1:1:",
            "not a header line",
        ),
        (
            "Subject: {{ customer.name | nosuchfilter }}\n\nbody\n",
            "templates/bad.txt:1:",
            "unknown filter",
        ),
    ] {
        book.write("templates/bad.txt", template);
        let output = book.crm(&["draft", "ada", "bad"]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{template}");
        assert!(output.stdout.is_empty(), "nothing half-written on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(at), "{template}: {stderr}");
        assert!(stderr.contains(words), "{template}: {stderr}");
    }
    let output = book.crm(&["draft", "ada", "nosuch"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("templates: after-complaint, bad, birthday"));
    book.crm(&["draft", "ada", "../crm"]).assert().code(2);
    // No email address and no To: line: a clear error.
    book.crm(&["draft", "bob", "thank-you"]).assert().code(2);
}

#[test]
fn draft_edit_and_log() {
    let book = draft_book();
    let text = stdout_of(
        book.crm(&["draft", "ada", "win-back", "--edit", "--log"])
            .env("VISUAL", "sed -i s/Dear/Hello/"),
    );
    assert!(text.contains("\n\nHello Ada,\n"), "{text}");
    let ada = book.read_customer("ada");
    let last = ada.lines().rev().take(3).collect::<Vec<_>>().join("|");
    assert!(
        last.contains("We miss you, Ada") && last.contains("email") && last.contains("2025-06-15"),
        "{ada}"
    );
}

#[test]
fn due_writes_one_draft_per_item() {
    let book = draft_book();
    // The last digest was on New Year's day: Ada and Bob reached their tiers since.
    book.write(".crm/digests", "2025-01-01\n");
    let dir = book.path("out");
    let digest =
        stdout_of(&mut book.crm(&["due", "--format", "json", "--drafts", dir.to_str().unwrap()]));
    let items: Value = serde_json::from_str(&digest).unwrap();
    let mut what: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["id"].as_str().unwrap(),
                i["what"].as_str().unwrap()
            )
        })
        .collect();
    what.sort();
    assert_eq!(
        what,
        ["ada tier", "bob tier", "zoe birthday", "zoe follow-up"],
        "{digest}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    // Bob has no email address: no draft (named on stderr).
    assert_eq!(
        files,
        [
            "2025-06-15-ada-thank-you.eml",
            "2025-06-15-zoe-after-complaint.eml",
            "2025-06-15-zoe-birthday.eml"
        ]
    );
    let sorry = std::fs::read_to_string(dir.join("2025-06-15-zoe-after-complaint.eml")).unwrap();
    assert!(
        sorry.contains("\nSubject: About your recent experience\n"),
        "{sorry}"
    );
    assert!(
        sorry.contains("we are sorry about a cold coffee on 2025-04-03."),
        "{sorry}"
    );
}

/// `--log` records the subject as written, not its RFC 2047 encoding.
#[test]
fn draft_log_records_a_non_ascii_subject_as_text() {
    let book = draft_book();
    book.write(
        "templates/merci.txt",
        "Subject: Merci beaucoup, {{ customer.first_name }} — à bientôt\n\nÀ bientôt !\n",
    );
    let text = stdout_of(&mut book.crm(&["draft", "zoe", "merci", "--log"]));
    assert!(text.contains("\nSubject: =?UTF-8?B?"), "{text}");
    assert!(
        book.read_customer("zoe")
            .contains("Merci beaucoup, Zoë — à bientôt"),
        "{}",
        book.read_customer("zoe")
    );
}

/// A loyalty book copied by export and import keeps its redemptions and NPS answers.
#[test]
fn export_and_import_carry_points_and_nps() {
    let book = loyalty_book();
    stdout_of(&mut book.crm(&["log", "ada", "feedback", "--nps", "9"]));
    let csv = stdout_of(&mut book.crm(&["export", "interactions"]));
    assert!(
        csv.starts_with(
            "customer,date,kind,amount,items,rating,summary,channel,follow_up,nps,points\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("ada,2025-04-01,redeem,,,,Free bag,,,,300\n"),
        "{csv}"
    );
    let copy = TempBook::new();
    copy.write("crm.toml", &book.read("crm.toml"))
        .write("interactions.csv", &csv);
    stdout_of(&mut copy.crm(&["import", "interactions", "interactions.csv"]));
    for args in [
        &["show", "ada", "--format", "json"][..],
        &["stats", "--format", "json"][..],
    ] {
        let (a, b) = (json(&book, args), json(&copy, args));
        assert_eq!(a["loyalty"], b["loyalty"], "{args:?}");
        assert_eq!(a["nps"], b["nps"], "{args:?}");
    }
    // A second import skips every row.
    let again = stdout_of(&mut copy.crm(&["import", "interactions", "interactions.csv"]));
    assert!(
        again.contains("all 7 rows of interactions.csv are already in the book"),
        "{again}"
    );
    let plain = TempBook::new();
    plain.customer(
        "bob",
        "name: Bob\ninteractions:\n- {date: 2025-01-01, kind: call}\n",
    );
    let csv = stdout_of(&mut plain.crm(&["export", "interactions"]));
    assert_eq!(
        csv.lines().next().unwrap(),
        "customer,date,kind,amount,items,rating,summary,channel,follow_up"
    );
}
