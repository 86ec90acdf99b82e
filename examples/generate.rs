//! Writes a realistic, deterministic book for benchmarks and manual testing:
//!
//! ```text
//! cargo run --release --example generate -- --customers 10000 --seed 1 --out bench-out/10k
//! ```
//!
//! Each customer gets a name, contact details, tags, preferences, a birthday, often a
//! cadence, and about ten interactions of mixed kinds (purchases with amounts, feedback
//! with ratings, promises to follow up, a complaint or refund now and then) spread over
//! the three years before `--end`. A few files carry comments a person might write.
//! The same arguments always produce the same bytes. Files are written with crm's own
//! YAML writer, so they are exactly what `crm add` and `crm log` would have made.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, NaiveDate};

use crm::domain::date::Cadence;
use crm::domain::interaction::{Interaction, Kind};
use crm::domain::money::Money;
use crm::store::customer_text::{self, NewCustomer};

const FIRST: [&str; 48] = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Dennis",
    "Radia",
    "Ken",
    "Hedy",
    "Tim",
    "Sophie",
    "Yukihiro",
    "Anita",
    "Guido",
    "Shafi",
    "Leslie",
    "Joan",
    "Niklaus",
    "Karen",
    "Bjarne",
    "Lynn",
    "Brian",
    "Mary",
    "Tony",
    "Zoë",
    "José",
    "Björn",
    "Chiara",
    "Amara",
    "Kwame",
    "Mei",
    "Ravi",
    "Ingrid",
    "Olu",
    "Fatima",
    "Noah",
    "Priya",
    "Lars",
    "Elena",
    "Omar",
    "Aiko",
    "Mateus",
];
const LAST: [&str; 48] = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "McCarthy",
    "Johnson",
    "Ritchie",
    "Perlman",
    "Thompson",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Matsumoto",
    "Borg",
    "van Rossum",
    "Goldwasser",
    "Lamport",
    "Clarke",
    "Wirth",
    "Spärck Jones",
    "Stroustrup",
    "Conway",
    "Kernighan",
    "Keller",
    "Hoare",
    "Okafor",
    "García",
    "Lindqvist",
    "Rossi",
    "Mensah",
    "Chen",
    "Iyer",
    "Nilsen",
    "Adeyemi",
    "Haddad",
    "Schmidt",
    "Patel",
    "Berg",
    "Petrova",
    "Farouk",
    "Tanaka",
    "Costa",
    "O'Neil",
];
const COMPANIES: [&str; 12] = [
    "Analytical Engines Ltd",
    "Bletchley Works",
    "Harbor Coffee",
    "Northwind",
    "Acme Corp",
    "Blue Fern Studio",
    "Kettle & Co",
    "Lighthouse Books",
    "Orbit Cycles",
    "Pine Street Bakery",
    "Quanta GmbH",
    "Riverside Florist",
];
const TAGS: [&str; 10] = [
    "vip",
    "wholesale",
    "newsletter",
    "regular",
    "local",
    "online",
    "corporate",
    "student",
    "gift-card",
    "lapsed",
];
const PREFERENCES: [(&str, &[&str]); 5] = [
    (
        "coffee",
        &[
            "oat flat white",
            "espresso",
            "decaf latte",
            "black, no sugar",
        ],
    ),
    (
        "contact",
        &[
            "email",
            "phone after 5pm",
            "text only",
            "no calls on Mondays",
        ],
    ),
    ("size", &["S", "M", "L", "XL"]),
    (
        "delivery",
        &["leave at door", "pick up in shop", "office reception"],
    ),
    ("language", &["English", "Deutsch", "Français", "Español"]),
];
const CADENCES: [&str; 5] = ["2w", "30d", "1m", "3m", "6m"];
const ITEMS: [&str; 12] = [
    "Model B",
    "espresso beans 1kg",
    "gift card",
    "service plan",
    "repair",
    "grinder",
    "filter papers",
    "travel mug",
    "workshop seat",
    "annual subscription",
    "spare parts",
    "cleaning kit",
];
const SUMMARIES: [(&str, &[&str]); 6] = [
    (
        "call",
        &[
            "asked about delivery times",
            "wants a quote",
            "checking in",
            "left a voicemail",
        ],
    ),
    (
        "email",
        &[
            "sent the catalogue",
            "answered a question about returns",
            "invoice copy",
        ],
    ),
    (
        "meeting",
        &[
            "demo in the shop",
            "coffee to talk about next year",
            "walked through the order",
        ],
    ),
    (
        "message",
        &[
            "order ready for pick-up",
            "thanks for the visit",
            "asked for opening hours",
        ],
    ),
    (
        "note",
        &[
            "prefers mornings",
            "moving house in spring",
            "ask about the new shop",
        ],
    ),
    (
        "complaint",
        &[
            "late delivery",
            "wrong size sent",
            "grinder stopped working",
        ],
    ),
];
const COMMENTS: [&str; 5] = [
    "# met at the spring fair",
    "# ask before sending samples",
    "# birthday gift last year: travel mug",
    "# prefers to be called by first name",
    "# old phone number no longer works",
];

/// splitmix64: a tiny, well-mixed generator, enough for test data and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Options {
    customers: u64,
    seed: u64,
    out: PathBuf,
    end: NaiveDate,
}

fn parse_args() -> Result<Options, String> {
    let mut customers = None;
    let mut seed = 1;
    let mut out = None;
    let mut end = NaiveDate::from_ymd_opt(2025, 6, 15).expect("a valid date");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => {
                customers = Some(value()?.parse().map_err(|e| format!("--customers: {e}"))?)
            }
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "--end" => end = value()?.parse().map_err(|e| format!("--end: {e}"))?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Options {
        customers: customers.ok_or("--customers N is required")?,
        seed,
        out: out.ok_or("--out DIR is required")?,
        end,
    })
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("generate: {message}");
            }
            eprintln!("usage: generate --customers N [--seed S] [--end YYYY-MM-DD] --out DIR");
            return ExitCode::from(2);
        }
    };
    match generate(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(options: &Options) -> std::io::Result<()> {
    let customers_dir = options.out.join("customers");
    if options.out.join("crm.toml").exists() {
        return Err(std::io::Error::other(format!(
            "`{}` already holds a book; give an empty or new folder",
            options.out.display()
        )));
    }
    fs::create_dir_all(&customers_dir)?;
    fs::write(options.out.join("crm.toml"), CONFIG)?;
    fs::write(
        options.out.join(".gitignore"),
        "# crm's lock, temp files and cache\n/.crm/\n",
    )?;
    let mut rng = Rng(options.seed);
    for n in 0..options.customers {
        let (id, text) = customer(&mut rng, n, options.end);
        fs::write(customers_dir.join(format!("{id}.yaml")), text)?;
    }
    eprintln!(
        "generate: wrote {} customers to `{}`",
        options.customers,
        options.out.display()
    );
    Ok(())
}

const CONFIG: &str = "# Generated by `cargo run --example generate`.\ncurrency = \"EUR\"\n\n[interactions]\nkinds = [\"visit\"]\n";

/// The id and file text of customer number `n`.
fn customer(rng: &mut Rng, n: u64, end: NaiveDate) -> (String, String) {
    let first = *rng.pick(&FIRST);
    let last = *rng.pick(&LAST);
    let name = format!("{first} {last}");
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'ë' => 'e',
            'é' => 'e',
            'ö' => 'o',
            'ä' => 'a',
            'í' => 'i',
            _ => '-',
        })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let id = format!("{slug}-{n}");
    let start = end - Duration::days(3 * 365);
    let since = start + Duration::days(rng.below(365) as i64);
    let email_user = slug.replace('-', ".");
    let mut tags: Vec<String> = Vec::new();
    for _ in 0..rng.below(4) {
        let tag = rng.pick(&TAGS).to_string();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let mut preferences = Vec::new();
    for (key, values) in PREFERENCES {
        if rng.chance(35) {
            preferences.push((key.to_string(), rng.pick(values).to_string()));
        }
    }
    let new = NewCustomer {
        name,
        email: rng.chance(85).then(|| format!("{email_user}@example.com")),
        phone: rng
            .chance(60)
            .then(|| format!("+44 20 {:04} {:04}", rng.below(10_000), rng.below(10_000))),
        company: rng.chance(40).then(|| rng.pick(&COMPANIES).to_string()),
        tags,
        birthday: rng.chance(70).then(|| {
            NaiveDate::from_ymd_opt(1950 + rng.below(55) as i32, 1, 1).expect("a valid date")
                + Duration::days(rng.below(365) as i64)
        }),
        since: Some(since),
        every: rng
            .chance(60)
            .then(|| Cadence::parse(rng.pick::<&str>(&CADENCES)).expect("valid cadences")),
        preferences,
    };
    let mut text = customer_text::new_customer_file(&new, "\n");
    if rng.chance(5) {
        // A comment a person added by hand, at the top where people put them.
        text.insert_str(0, &format!("{}\n", rng.pick(&COMMENTS)));
    }
    let log = interactions(rng, since, end);
    if !log.is_empty() {
        // crm's writer ends a new file with an empty `interactions:` block; the list
        // takes its place. (A silent string replace once left every book empty.)
        let start = text
            .rfind("interactions:")
            .filter(|&at| text[at..].trim_end() == "interactions:")
            .expect("crm's new customer files end with `interactions:`");
        text.truncate(start);
        let mut list = String::from("interactions:\n");
        for (i, interaction) in log.iter().enumerate() {
            if i > 0 && rng.chance(1) {
                let _ = writeln!(list, "  {}", rng.pick(&COMMENTS));
            }
            for (j, field) in customer_text::interaction_fields(interaction)
                .iter()
                .enumerate()
            {
                let marker = if j == 0 { "- " } else { "  " };
                let _ = writeln!(list, "  {marker}{field}");
            }
        }
        text.push_str(&list);
    }
    (id, text)
}

/// About ten interactions between `since` and `end`, oldest first.
fn interactions(rng: &mut Rng, since: NaiveDate, end: NaiveDate) -> Vec<Interaction> {
    let span = (end - since).num_days().max(1) as u64;
    let count = 5 + rng.below(11);
    let mut days: Vec<u64> = (0..count).map(|_| rng.below(span)).collect();
    days.sort_unstable();
    let mut log = Vec::with_capacity(days.len());
    for day in days {
        let date = since + Duration::days(day as i64);
        let roll = rng.below(100);
        let kind = match roll {
            0..=24 => Kind::Purchase,
            25..=39 => Kind::Call,
            40..=51 => Kind::Email,
            52..=59 => Kind::Meeting,
            60..=67 => Kind::Message,
            68..=77 => Kind::Feedback,
            78..=85 => Kind::Note,
            86..=89 => Kind::Complaint,
            90..=92 => Kind::Refund,
            _ => Kind::Custom("visit".to_string()),
        };
        let mut interaction = Interaction::new(date, kind.clone());
        match kind {
            Kind::Purchase | Kind::Refund => {
                let cents = (5 + rng.below(400)) as i64 * 100 + [0, 50, 99][rng.below(3) as usize];
                interaction.amount = Some(Money::from_cents(cents));
                if rng.chance(70) {
                    interaction.items = vec![rng.pick(&ITEMS).to_string()];
                }
                if rng.chance(40) {
                    interaction.channel = Some(rng.pick(&["shop", "web", "phone"]).to_string());
                }
            }
            Kind::Feedback => {
                interaction.rating = Some(1 + rng.below(5) as u8);
                if rng.chance(50) {
                    interaction.summary = Some(
                        rng.pick(&["loved it", "could be faster", "great service", "ok"])
                            .to_string(),
                    );
                }
            }
            Kind::Custom(_) => interaction.summary = Some("came by the shop".to_string()),
            _ => {
                let summaries = SUMMARIES
                    .iter()
                    .find(|(k, _)| *k == kind.name())
                    .map_or(&["talked"][..], |(_, s)| s);
                interaction.summary = Some(rng.pick(summaries).to_string());
            }
        }
        if kind.is_contact() && rng.chance(15) {
            interaction.follow_up = Some(date + Duration::days(3 + rng.below(60) as i64));
        }
        log.push(interaction);
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated files are what the issue asks: readable by crm, about ten
    /// interactions each, and the same bytes for the same seed.
    #[test]
    fn generated_customers_read_back_with_about_ten_interactions_each() {
        let out = tempfile::tempdir().unwrap();
        let options = Options {
            customers: 200,
            seed: 7,
            out: out.path().join("book"),
            end: NaiveDate::from_ymd_opt(2025, 6, 15).unwrap(),
        };
        generate(&options).unwrap();
        let mut total = 0;
        let mut files = 0;
        for entry in fs::read_dir(options.out.join("customers")).unwrap() {
            let path = entry.unwrap().path();
            let id =
                crm::domain::id::CustomerId::parse(path.file_stem().unwrap().to_str().unwrap())
                    .unwrap();
            let raw = fs::read(&path).unwrap();
            let loaded = crm::store::read::parse_customer(&raw, "generated", &id)
                .unwrap_or_else(|p| panic!("{p}"));
            let n = loaded.customer.interactions.len();
            assert!(
                (5..=15).contains(&n),
                "{}: {n} interactions",
                path.display()
            );
            total += n;
            files += 1;
        }
        assert_eq!(files, 200);
        assert!((8..=12).contains(&(total / files)), "{total} / {files}");
        let mut rng_a = Rng(7);
        let mut rng_b = Rng(7);
        let end = options.end;
        for n in 0..20 {
            assert_eq!(customer(&mut rng_a, n, end), customer(&mut rng_b, n, end));
        }
    }
}
