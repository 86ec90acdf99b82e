//! `crm add NAME`: create a customer file; prints the new id.

use std::io::Write;

use crate::context::Context;
use crate::domain::date::Cadence;
use crate::domain::id::CustomerId;
use crate::error::{Error, Result, EXIT_OK};
use crate::store::yaml_text::NewCustomer;

/// Arguments of `crm add`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's name, e.g. "Ada Lovelace".
    pub name: String,
    /// The id (file name) to use instead of one derived from the name.
    #[arg(long)]
    pub id: Option<String>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Company.
    #[arg(long)]
    pub company: Option<String>,
    /// A tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Birthday (YYYY-MM-DD; not in the future).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub birthday: Option<String>,
    /// Customer since (default: today). A weekday name means the latest such day.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Follow-up cadence such as 30d, 2w, 3m (default: crm.toml's default_every).
    #[arg(long, value_name = "SPAN")]
    pub every: Option<String>,
    /// A preference worth remembering, as key=value; repeat for several.
    #[arg(long = "pref", value_name = "KEY=VALUE")]
    pub prefs: Vec<String>,
}

/// Runs `crm add`.
pub fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let name = checked_name(&args.name)?;
    let id = match &args.id {
        Some(id) => CustomerId::parse(id)?,
        None => CustomerId::from_name(name)?,
    };
    let every = match &args.every {
        Some(text) => {
            Some(Cadence::parse(text).map_err(|m| Error::usage(format!("--every: {m}")))?)
        }
        None => book.config.default_every().map_err(Error::usage)?,
    };
    if let Some(email) = &args.email {
        check_email(email)?;
    }
    let preferences = preferences(&args.prefs)?;
    let birthday = args
        .birthday
        .as_deref()
        .map(|d| ctx.past_date("--birthday", d))
        .transpose()?;
    if let Some(birthday) = birthday.filter(|b| *b > ctx.today) {
        return Err(Error::usage(format!(
            "--birthday {birthday} is in the future (today is {})",
            ctx.today
        ))
        .with_hint("give the date of birth as YYYY-MM-DD, e.g. --birthday 1990-12-10"));
    }
    let customer = NewCustomer {
        name: name.to_string(),
        email: clean(&args.email),
        phone: clean(&args.phone),
        company: clean(&args.company),
        tags: args
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        birthday,
        since: Some(match &args.since {
            Some(d) => ctx.past_date("--since", d)?,
            None => ctx.today,
        }),
        every,
        preferences,
    };
    let mut lock = book.lock()?;
    book.create_customer(&mut lock, &id, &customer)?;
    writeln!(out, "{id}")?;
    super::finish_write(ctx, &book, lock, &format!("add {id}"), out)?;
    Ok(EXIT_OK)
}

/// The name, trimmed: not empty, and on one line with no control characters (a line
/// break in a name would break every one-line listing and the file's own layout).
fn checked_name(raw: &str) -> Result<&str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::usage("the customer's name is empty")
            .with_hint("give a name, e.g. crm add \"Ada Lovelace\""));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        let what = if matches!(c, '\n' | '\r') {
            "a line break".to_string()
        } else {
            format!("the control character U+{:04X}", u32::from(c))
        };
        return Err(
            Error::usage(format!("the customer's name {name:?} contains {what}"))
                .with_hint("give the name on one line, as it should be shown"),
        );
    }
    Ok(name)
}

/// A light check that catches slips (`ada.example.com`, `ada@@example.com`, a pasted
/// line with spaces), not RFC 5322 validation.
fn check_email(email: &str) -> Result<()> {
    let trimmed = email.trim();
    let parts: Vec<&str> = trimmed.split('@').collect();
    let shaped = parts.len() == 2 && parts.iter().all(|p| !p.is_empty());
    if shaped && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--email {email:?} is not an email address: it needs exactly one `@` with text on both sides, and no spaces"
    ))
    .with_hint("e.g. --email ada@example.com"))
}

/// `--pref KEY=VALUE` pairs in the order given; an empty or repeated key is refused
/// (a repeated key would write a mapping with a duplicate key).
fn preferences(prefs: &[String]) -> Result<Vec<(String, String)>> {
    let mut preferences: Vec<(String, String)> = Vec::new();
    for pref in prefs {
        let Some((key, value)) = pref.split_once('=') else {
            return Err(Error::usage(format!("--pref {pref:?} is not KEY=VALUE"))
                .with_hint("e.g. --pref coffee=\"oat flat white\""));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::usage(format!("--pref {pref:?} has an empty key"))
                .with_hint("put a name before the `=`, e.g. --pref coffee=\"oat flat white\""));
        }
        if preferences.iter().any(|(k, _)| k == key) {
            return Err(
                Error::usage(format!("--pref key {key:?} is given more than once"))
                    .with_hint(format!("give each key once; to keep several values, put them in one: --pref {key}=\"a, b\"")),
            );
        }
        preferences.push((key.to_string(), value.trim().to_string()));
    }
    Ok(preferences)
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}
