//! `crm add NAME`: create a customer file; prints the new id.

use std::io::Write;

use crate::context::Context;
use crate::domain::birthday::Birthday;
use crate::domain::contact;
use crate::domain::date::Cadence;
use crate::domain::id::CustomerId;
use crate::domain::profile::{contact_init, contact_struct};
use crate::error::{Error, Result, EXIT_OK};
use crate::store::customer_text::NewCustomer;
use crate::ui::Ui;

contact_struct! {
/// Arguments of `crm add`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The customer's name, e.g. "Ada Lovelace".
    pub(crate) name: String,
    /// The id (file name) to use instead of one derived from the name.
    #[arg(long)]
    pub(crate) id: Option<String>,
}
+ contact(pub(crate) Option<String>, #[arg(long)])
+ {
    /// A tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::tags))]
    pub(crate) tags: Vec<String>,
    /// Birthday (YYYY-MM-DD, not in the future; MM-DD when the year is not known).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub(crate) birthday: Option<String>,
    /// Customer since (default: today). A weekday name means the latest such day.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub(crate) since: Option<String>,
    /// Follow-up cadence such as 30d, 2w, 3m (default: crm.toml's default_every).
    #[arg(long, value_name = "SPAN")]
    pub(crate) every: Option<String>,
    /// A preference worth remembering, as key=value; repeat for several.
    #[arg(long = "pref", value_name = "KEY=VALUE")]
    pub(crate) prefs: Vec<String>,
    /// Add the customer even if another one has the same email.
    #[arg(long)]
    pub(crate) allow_duplicate: bool,
}
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
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
        None => book.config.default_every(),
    };
    if let Some(email) = &args.email {
        contact::email(email).map_err(|m| {
            Error::usage(format!("--email {m}")).with_hint("e.g. --email ada@example.com")
        })?;
    }
    let preferences = preferences(&args.prefs)?;
    let birthday = args
        .birthday
        .as_deref()
        .map(|d| birthday(ctx, d))
        .transpose()?;
    if let Some(birthday) = birthday {
        contact::birthday(birthday, ctx.today).map_err(|m| {
            Error::usage(format!("--birthday {m}"))
                .with_hint("give the date of birth as YYYY-MM-DD, e.g. --birthday 1990-12-10")
        })?;
    }
    let customer = contact_init!(NewCustomer {
        name: name.to_string(),
    }
    + contact(from args, |v| clean(v))
    + {
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
    });
    let mut lock = book.lock()?;
    if let (Some(email), false) = (&customer.email, args.allow_duplicate) {
        refuse_known_email(&book, email)?;
    }
    book.create_customer(&mut lock, &id, &customer)?;
    writeln!(out, "{id}")?;
    super::finish_write(ctx, &book, lock, &format!("add {id}"), out)?;
    Ok(EXIT_OK)
}

/// Refuses a new customer whose email an existing customer has: usually the same
/// person entered twice. Reads the book's summaries (from the cache).
fn refuse_known_email(book: &crate::store::Book, email: &str) -> Result<()> {
    let scan = crate::store::scan::summaries(book)?;
    if let Some(other) = crate::domain::duplicates::with_email(&scan.items, email).first() {
        return Err(Error::new(
            crate::error::ErrorKind::AlreadyExists,
            format!(
                "customer `{}` ({}) already has the email {email}",
                other.id, other.name
            ),
        )
        .with_hint(format!(
            "if it is the same person, work with `{}` (`crm set {} ...`, `crm log {} ...`); if not, add --allow-duplicate",
            other.id, other.id, other.id
        )));
    }
    Ok(())
}

/// The name, checked by the rule every way of making a customer shares.
fn checked_name(raw: &str) -> Result<&str> {
    contact::name(raw).map_err(|m| {
        let hint = if raw.trim().is_empty() {
            "give a name, e.g. crm add \"Ada Lovelace\""
        } else {
            "e.g. crm add \"Ada Lovelace\""
        };
        Error::usage(m).with_hint(hint)
    })
}

/// `--pref KEY=VALUE` pairs in the order given, checked by the shared rule (keys
/// non-empty and unique).
fn preferences(prefs: &[String]) -> Result<Vec<(String, String)>> {
    let mut preferences: Vec<(String, String)> = Vec::new();
    for pref in prefs {
        let Some((key, value)) = pref.split_once('=') else {
            return Err(Error::usage(format!("--pref {pref:?} is not KEY=VALUE"))
                .with_hint("e.g. --pref coffee=\"oat flat white\""));
        };
        preferences.push((key.trim().to_string(), value.trim().to_string()));
    }
    contact::preferences(&preferences).map_err(|m| {
        Error::usage(format!("--pref {m}")).with_hint("e.g. --pref coffee=\"oat flat white\"")
    })?;
    Ok(preferences)
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `--birthday`: a date of birth (`YYYY-MM-DD`, or a relative date as other date flags
/// take), or without the year `MM-DD` / `--MM-DD`.
fn birthday(ctx: &Context, text: &str) -> Result<Birthday> {
    let month_day = text.trim().strip_prefix("--").unwrap_or(text.trim());
    if month_day.len() == 5 && month_day.as_bytes().get(2) == Some(&b'-') {
        return Birthday::parse(month_day).map_err(|m| {
            Error::usage(format!("--birthday {m}"))
                .with_hint("without the year, write month and day as MM-DD, e.g. --birthday 06-21")
        });
    }
    ctx.past_date("--birthday", text).map(Birthday::full)
}
