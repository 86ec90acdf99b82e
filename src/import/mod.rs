//! Imports (docs/import.md): a CSV file of purchases, interactions or customers read
//! and checked row by row, then planned against the book — which rows are new, which
//! customers to create — under the book's lock, so that two imports cannot both decide
//! a row is new. Nothing here writes: the plan is handed to the store's batch write by
//! `crm import`. Every bad row is reported at once, as `FILE:LINE: message`, before
//! anything is written.

mod csv;
mod foreign;
mod rows;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::domain::customer::NewCustomer;
use crate::domain::duplicates::{normal_email, EmailIndex};
use crate::domain::id::CustomerId;
use crate::domain::import::{self as rule, Held, Row};
use crate::domain::interaction::Interaction;
use crate::domain::profile::contact_names;
use crate::domain::summary::Summary;
use crate::error::Result;
use crate::store::{scan, BatchEntry, BatchTarget, Book, Loaded, WriteLock};

use self::csv::{read_csv, Problems};

/// The columns of a purchases file: required, then optional.
const PURCHASE_COLUMNS: (&[&str], &[&str]) = (
    &["customer", "date", "amount"],
    &["item", "items", "name", "email", "summary", "channel"],
);

/// The columns of an interactions file (as `crm export interactions` writes them).
const INTERACTION_COLUMNS: (&[&str], &[&str]) = (
    &["customer", "date", "kind"],
    &[
        "amount",
        "item",
        "items",
        "rating",
        "summary",
        "channel",
        "follow_up",
        "name",
        "email",
        "nps",
        "points",
    ],
);

/// The columns of a customers file.
const CUSTOMER_COLUMNS: (&[&str], &[&str]) = (
    &["name"],
    &contact_names!(
        ["id"],
        ["tags", "birthday", "since", "every", "preferences", "note"]
    ),
);

/// What will be written for one customer.
pub(crate) struct Batch {
    target: Target,
    pub(crate) interactions: Vec<Interaction>,
}

impl Batch {
    /// Whether the batch creates the customer.
    pub(crate) fn creates(&self) -> bool {
        matches!(self.target, Target::New(_))
    }

    /// The name of the customer the batch creates, if it creates one.
    pub(crate) fn new_name(&self) -> Option<&str> {
        match &self.target {
            Target::New(customer) => Some(&customer.name),
            Target::Existing(_) => None,
        }
    }
}

/// The file a [`Batch`] goes to: a new customer, or one read while planning (under the
/// lock, so the write needs no second read).
enum Target {
    New(NewCustomer),
    Existing(Box<Loaded>),
}

/// What an import of purchases or interactions will write.
pub(crate) struct InteractionPlan {
    /// The file as shown in messages.
    pub(crate) shown: String,
    /// Rows in the file.
    pub(crate) rows: usize,
    /// Per customer, what to write.
    pub(crate) batches: Vec<(CustomerId, Batch)>,
    /// Rows skipped as copies of interactions that no import wrote.
    pub(crate) copies: usize,
}

impl InteractionPlan {
    /// Interactions to write.
    pub(crate) fn written(&self) -> usize {
        self.batches.iter().map(|(_, b)| b.interactions.len()).sum()
    }

    /// The store's batch write of the plan.
    pub(crate) fn entries(&self) -> Vec<BatchEntry<'_>> {
        self.batches
            .iter()
            .map(|(id, batch)| BatchEntry {
                id,
                target: match &batch.target {
                    Target::New(customer) => BatchTarget::New(customer),
                    Target::Existing(loaded) => BatchTarget::Existing(loaded),
                },
                interactions: &batch.interactions,
            })
            .collect()
    }
}

/// Reads and checks a file of purchases (`purchases`) or interactions, takes the book's
/// lock and plans the import against the book; bad rows are listed on `diag` and fail
/// the import. The lock is returned with the plan, for the write.
///
/// A purchases file may also be a shop's export (Shopify, Stripe) or any CSV read
/// through `rules` (a rules file; `FILE.rules` beside the file when there is one).
pub(crate) fn plan_interactions(
    book: &Book,
    file: &Path,
    purchases: bool,
    allow_duplicates: bool,
    rules: Option<&Path>,
    diag: &mut dyn Write,
) -> Result<(InteractionPlan, WriteLock)> {
    let (required, optional) = if purchases {
        PURCHASE_COLUMNS
    } else {
        INTERACTION_COLUMNS
    };
    let rules = purchases
        .then(|| foreign::rules_file(file, rules))
        .flatten();
    let foreign = match &rules {
        Some(rules) => Some(foreign::with_rules(file, rules, diag)?),
        None if purchases => foreign::orders(file, book, diag)?,
        None => None,
    };
    let (records, mut problems) = match foreign {
        Some(read) => read,
        None => read_csv(file, required, optional, diag)?,
    };
    let mut rows = Vec::with_capacity(records.len());
    // The book's emails, read only when a customer cell looks like one.
    let emails = if records
        .iter()
        .any(|r| r.get("customer").is_some_and(|c| c.contains('@')))
    {
        EmailIndex::of(&scan::summaries(book)?.items)
    } else {
        EmailIndex::default()
    };
    for record in &records {
        match rows::interaction_row(record, purchases, &book.config, &emails) {
            Ok(row) => rows.push(row),
            Err(message) => problems.add(record.line, message),
        }
    }
    problems.check(diag)?;
    let by_customer = rule::with_markers(rows);
    // Lock before reading what is in the book, so two imports cannot both decide a
    // row is new.
    let lock = book.lock()?;
    let (batches, copies) = plan(book, by_customer, allow_duplicates, &mut problems);
    problems.check(diag)?;
    let plan = InteractionPlan {
        shown: problems.file,
        rows: records.len(),
        batches,
        copies,
    };
    Ok((plan, lock))
}

/// Decides what to write for each customer ([`rule::new_interactions`]): a new file
/// for customers that do not exist, the new rows for the others. Customer files that
/// cannot be read are added to `problems`. Also returns how many rows were skipped as
/// copies of interactions that no import wrote.
fn plan(
    book: &Book,
    by_customer: BTreeMap<CustomerId, Vec<Row>>,
    allow_duplicates: bool,
    problems: &mut Problems,
) -> (Vec<(CustomerId, Batch)>, usize) {
    let every = book.config.default_every();
    let mut batches = Vec::new();
    let mut copies = 0;
    // The existing customers' files are read in parallel, once: the batch keeps each
    // for the write.
    let read: Vec<(CustomerId, Vec<Row>, Option<Result<Loaded>>)> = by_customer
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(id, rows)| {
            let existing = book.exists(&id).then(|| book.load(&id));
            (id, rows, existing)
        })
        .collect();
    for (id, rows, existing) in read {
        let target = match existing {
            Some(Ok(loaded)) => Target::Existing(Box::new(loaded)),
            Some(Err(e)) => {
                problems.add(rows[0].line, format!("customer `{id}`: {}", e.message));
                continue;
            }
            None => Target::New(rule::new_customer(&rows, every)),
        };
        let existing = match &target {
            Target::Existing(loaded) => loaded.customer.interactions.as_slice(),
            Target::New(_) => &[],
        };
        let interactions = rows.into_iter().map(|r| r.interaction).collect();
        let (fresh, skipped) =
            rule::new_interactions(&id, existing, interactions, allow_duplicates);
        copies += skipped;
        if !fresh.is_empty() {
            batches.push((
                id,
                Batch {
                    target,
                    interactions: fresh,
                },
            ));
        }
    }
    (batches, copies)
}

/// One row of a customers file: its line, the id and the customer it gives.
pub(crate) type CustomerRow = (u64, CustomerId, NewCustomer);

/// What an import of customers will write: the customers that are new; those that
/// exist already are skipped whole.
pub(crate) struct CustomerPlan {
    /// The file as shown in messages.
    pub(crate) shown: String,
    /// Customers to create.
    pub(crate) fresh: Vec<CustomerRow>,
    /// Customers skipped because they exist.
    pub(crate) existing: Vec<CustomerRow>,
    /// The `note` interaction of a new customer whose row has a note.
    notes: HashMap<CustomerId, Vec<Interaction>>,
}

impl CustomerPlan {
    /// The store's batch write of the plan.
    pub(crate) fn entries(&self) -> Vec<BatchEntry<'_>> {
        self.fresh
            .iter()
            .map(|(_, id, customer)| BatchEntry {
                id,
                target: BatchTarget::New(customer),
                interactions: self.notes.get(id).map_or(&[][..], Vec::as_slice),
            })
            .collect()
    }
}

/// Reads and checks a file of customers (`today` for the birthday check, and the day
/// of the notes), takes the book's lock and sorts the rows into new and existing
/// customers; bad rows are listed on `diag` and fail the import. The file may also be
/// an address book's export (Google, Outlook, vCard), whose people are matched to the
/// book's customers by email.
pub(crate) fn plan_customers(
    book: &Book,
    file: &Path,
    today: NaiveDate,
    allow_duplicate: bool,
    diag: &mut dyn Write,
) -> Result<(CustomerPlan, WriteLock)> {
    let (required, optional) = CUSTOMER_COLUMNS;
    let (records, mut problems) = match foreign::contacts(file, book, diag)? {
        Some(read) => read,
        None => read_csv(file, required, optional, diag)?,
    };
    let default_every = book.config.default_every();
    let mut rows: Vec<CustomerRow> = Vec::new();
    let mut lines: HashMap<CustomerId, u64> = HashMap::new();
    let mut notes: HashMap<CustomerId, Vec<Interaction>> = HashMap::new();
    for record in &records {
        match rows::customer_row(record, default_every, today) {
            Ok((id, customer)) => {
                if let Some(note) = record.get("note") {
                    let mut interaction =
                        Interaction::new(today, crate::domain::interaction::Kind::Note);
                    interaction.summary = Some(note.to_string());
                    notes.insert(id.clone(), vec![interaction]);
                }
                if let Some(first) = lines.insert(id.clone(), record.line) {
                    problems.add(
                        record.line,
                        format!("customer `{id}` is also on line {first}"),
                    );
                }
                rows.push((record.line, id, customer));
            }
            Err(message) => problems.add(record.line, message),
        }
    }
    problems.check(diag)?;
    let lock = book.lock()?;
    // One file-system look-up per row, in parallel.
    let exists: Vec<bool> = rows.par_iter().map(|(_, id, _)| book.exists(id)).collect();
    let (existing, fresh): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .zip(exists)
        .partition(|(_, exists)| *exists);
    let fresh: Vec<CustomerRow> = fresh.into_iter().map(|(row, _)| row).collect();
    if !allow_duplicate {
        refuse_known_emails(book, &fresh, &mut problems)?;
        problems.check(diag)?;
    }
    let plan = CustomerPlan {
        shown: problems.file,
        existing: existing.into_iter().map(|(row, _)| row).collect(),
        fresh,
        notes,
    };
    Ok((plan, lock))
}

/// Each new customer's email that an existing customer, or an earlier row, has: a
/// problem of its row (usually the same person twice), unless `--allow-duplicate`.
fn refuse_known_emails(book: &Book, fresh: &[CustomerRow], problems: &mut Problems) -> Result<()> {
    if fresh.iter().all(|(_, _, c)| c.email.is_none()) {
        return Ok(());
    }
    let index = EmailIndex::of(&scan::summaries(book)?.items);
    let mut seen: HashMap<String, (u64, &CustomerId)> = HashMap::new();
    for (line, id, customer) in fresh {
        let Some(email) = &customer.email else {
            continue;
        };
        if let Some(other) = index.ids(email).first() {
            problems.add(
                *line,
                format!("email {email:?} is already customer `{other}`'s; if it is the same person leave the row out, if not, import with --allow-duplicate"),
            );
        } else if let Some((first, other)) = seen.insert(normal_email(email), (*line, id)) {
            problems.add(
                *line,
                format!("email {email:?} is also on line {first} (customer `{other}`); import with --allow-duplicate if they are different people"),
            );
        }
    }
    Ok(())
}

/// Above this many skipped customers, [`not_copied`] compares rows with the customers'
/// summaries (one whole-book read, mostly from the summary cache) rather than reading
/// each customer's file: reading 100 000 files took seconds, most of a dry run of
/// re-importing a big book's export.
const SUMMARIES_ABOVE: usize = 1000;

/// For the skipped customers that the file has details for that their files lack
/// (typically after importing interactions before customers, which creates bare
/// customers), `id: field, field` each, so that nothing is lost unnoticed. A file that
/// cannot be read is reported by every other command; here it is only not compared.
pub(crate) fn not_copied(book: &Book, existing: &[CustomerRow]) -> Vec<String> {
    if existing.len() > SUMMARIES_ABOVE {
        let Ok(scan) = scan::summaries(book) else {
            return Vec::new();
        };
        let by_id: HashMap<&str, &Summary> =
            scan.items.iter().map(|s| (s.id.as_str(), s)).collect();
        existing
            .iter()
            .filter_map(|(_, id, row)| {
                let held = Held::of_summary(by_id.get(id.as_str())?);
                rule::lacking_line(id, &held, row)
            })
            .collect()
    } else {
        existing
            .par_iter()
            .filter_map(|(_, id, row)| {
                let loaded = book.load(id).ok()?;
                rule::lacking_line(id, &Held::of_customer(&loaded.customer), row)
            })
            .collect()
    }
}
