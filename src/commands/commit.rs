//! `crm commit [-m MSG]`: stage and commit the book's own files (`crm.toml` and the
//! customer files), whether crm or a person changed them, with a message generated
//! from what changed unless one is given. Never commits anything else in the folder.

use std::io::Write;

use rayon::prelude::*;

use crate::context::Context;
use crate::domain::change::{self, Change};
use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::git::{customer_stem, other_change, short_id, BookRepo, FileChange};
use crate::store::{read, Book, Problem, CONFIG_FILE, CUSTOMERS_DIR};
use crate::ui::Ui;

use super::CRM_TRAILER;

/// Arguments of `crm commit`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The commit message (default: one written from what changed, such as
    /// "log call with ada-lovelace; add bob-smith; edit carol (by hand)").
    #[arg(short, long, value_name = "MSG")]
    pub(crate) message: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let repo = BookRepo::open(&book.root)?;
    let given = args.message.as_deref().map(checked_message).transpose()?;
    repo.ensure_no_operation()?;
    let lock = book.lock()?;
    let committed = commit_pending(&book, &repo, given, out)?;
    drop(lock);
    match committed {
        Some(done) => writeln!(out, "{}", done.line())?,
        None => writeln!(
            out,
            "nothing to commit: the book has no uncommitted changes"
        )?,
    }
    Ok(EXIT_OK)
}

/// A commit of the book's pending changes.
#[derive(Debug, Clone)]
pub(crate) struct PendingCommit {
    /// The new commit.
    pub(crate) oid: git2::Oid,
    /// How many book files it holds.
    pub(crate) files: usize,
    /// Its summary line.
    pub(crate) summary: String,
}

impl PendingCommit {
    /// The line `crm commit` prints: `committed 1a2b3c4 (2 files): log call with ada`.
    pub(crate) fn line(&self) -> String {
        format!(
            "committed {} ({} file{}): {}",
            short_id(self.oid),
            self.files,
            if self.files == 1 { "" } else { "s" },
            self.summary
        )
    }
}

/// Commits every uncommitted change to the book's files (whoever made it) with
/// `message`, or one written from what changed, and crm's trailer; `None` when
/// nothing changed. The caller holds the book's lock and has checked that git is in
/// no operation. Files with an unresolved merge conflict refuse the commit.
pub(crate) fn commit_pending(
    book: &Book,
    repo: &BookRepo,
    message: Option<String>,
    out: &mut Ui,
) -> Result<Option<PendingCommit>> {
    let changes = repo.changes(&is_book_file, &is_customer_file)?;
    if changes.is_empty() {
        return Ok(None);
    }
    refuse_conflicts(&changes)?;
    // A message given with `-m` needs only to know which files do not parse (for the
    // warnings), not what each change means: the committed versions are not parsed.
    let described = if message.is_some() {
        describe_working(book, &changes)
    } else {
        describe(book, &changes)
    };
    for item in &described {
        if let Some(problem) = &item.problem {
            out.warn(&format!(
                "committing `{}` although it does not parse: {problem}",
                item.file.path
            ));
        }
    }
    let message = match message {
        Some(message) => message,
        None => change::commit_message(
            &described
                .iter()
                .map(|d| d.change.clone())
                .collect::<Vec<_>>(),
        ),
    };
    let who = repo.identity(&book.config)?;
    let paths: Vec<String> = changes.iter().flat_map(FileChange::paths).collect();
    let full = format!("{message}\n\n{CRM_TRAILER}\n");
    let committed = repo.commit_book_paths(&paths, &full, &who)?;
    let Some(oid) = committed.commit else {
        return Ok(None);
    };
    super::warn_unsigned(repo, out);
    Ok(Some(PendingCommit {
        oid,
        files: changes.len(),
        summary: message.lines().next().unwrap_or("").to_string(),
    }))
}

/// A message given with `-m`: trailing blanks trimmed, and not empty.
fn checked_message(message: &str) -> Result<String> {
    let trimmed: Vec<&str> = message.trim().lines().map(str::trim_end).collect();
    if trimmed.is_empty() || trimmed[0].is_empty() {
        return Err(Error::usage("the commit message is empty")
            .with_hint("leave out -m to have crm write one from what changed"));
    }
    Ok(trimmed.join("\n"))
}

fn refuse_conflicts(changes: &[FileChange]) -> Result<()> {
    let conflicted: Vec<&str> = changes
        .iter()
        .filter(|c| c.conflicted)
        .map(|c| c.path.as_str())
        .collect();
    if conflicted.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Conflict,
        format!("`{}` has an unresolved merge conflict; nothing was committed", conflicted.join("`, `")),
    )
    .with_hint("resolve it (keep the lines you want, delete the <<<<<<< ======= >>>>>>> markers) and `git add` the file, then commit"))
}

/// Whether `book_path` (relative to the book root, `/`-separated) is one of the files
/// crm looks after: `crm.toml`, the `.gitattributes` and `customers/.gitkeep` that
/// `crm init` writes, and the customer files. (A `.gitignore` is the person's own: crm leaves it to git.)
pub(crate) fn is_book_file(book_path: &str) -> bool {
    book_path == CONFIG_FILE
        || book_path == crate::store::ATTRIBUTES_FILE
        || book_path == format!("{CUSTOMERS_DIR}/.gitkeep")
        || is_customer_file(book_path)
        || is_template_file(book_path)
}

/// Whether `book_path` is a message template: `templates/NAME.txt`, not hidden.
pub fn is_template_file(book_path: &str) -> bool {
    book_path
        .strip_prefix("templates/")
        .and_then(|name| name.strip_suffix(".txt"))
        .is_some_and(|stem| !stem.is_empty() && !stem.starts_with('.') && !stem.contains('/'))
}

/// Whether `book_path` is a customer file: `customers/NAME.yaml`, not hidden.
pub(crate) fn is_customer_file(book_path: &str) -> bool {
    customer_stem(book_path).is_some()
}

/// An uncommitted change and what it means.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    /// The change as git sees it.
    pub(crate) file: FileChange,
    /// The customer's id, for a customer file.
    pub(crate) id: Option<String>,
    /// What it means.
    pub(crate) change: Change,
    /// Why the working file does not parse, if it does not.
    pub(crate) problem: Option<Problem>,
    /// Whether the working file was read (so `problem` says whether it reads): not
    /// for a deleted file, nor for a rename or a file that is not a customer's.
    pub(crate) read: bool,
}

/// Reads the working and committed versions of each changed file and says what the
/// change means (added, logged, edited by hand, ...).
pub(crate) fn describe(book: &Book, changes: &[FileChange]) -> Vec<Described> {
    // In parallel, as whole-book reads are: a commit of a thousand hand edits parses
    // two thousand versions.
    changes
        .par_iter()
        .map(|file| describe_one(book, file, true))
        .collect()
}

/// [`describe`] reading only the working versions: `problem` and `read` are as
/// `describe` finds them, but `change` does not look at the committed version (a
/// modified customer is `edit ID (by hand)`), so it is for callers that do not show it.
fn describe_working(book: &Book, changes: &[FileChange]) -> Vec<Described> {
    changes
        .par_iter()
        .map(|file| describe_one(book, file, false))
        .collect()
}

fn describe_one(book: &Book, file: &FileChange, with_committed: bool) -> Described {
    let Some(stem) = customer_stem(&file.path) else {
        return Described {
            file: file.clone(),
            id: None,
            change: other_change(&file.path, file.before.is_some(), file.exists),
            problem: None,
            read: false,
        };
    };
    let id_text = stem.to_string();
    if let Some(from) = &file.renamed_from {
        let from = customer_stem(from).unwrap_or(from).to_string();
        return Described {
            file: file.clone(),
            id: Some(id_text.clone()),
            change: Change::Renamed {
                from,
                to: id_text,
                edited: file.renamed_with_edits,
            },
            problem: None,
            read: false,
        };
    }
    let id = CustomerId::parse(stem).ok();
    let mut problem = None;
    let after: Option<Option<Customer>> = if file.exists {
        let path = book.root.join(&file.path);
        let loaded = match &id {
            Some(id) => read::read_customer(&path, &file.path, book.canonical_root(), id),
            None => Err(Problem::at(
                &file.path,
                1,
                1,
                "the file name is not a valid id; rename the file",
            )),
        };
        match loaded {
            Ok(loaded) => Some(Some(loaded.customer)),
            Err(p) => {
                problem = Some(p);
                Some(None)
            }
        }
    } else {
        None
    };
    // The committed version matters only when the working one reads: a deletion, or
    // a file that no longer parses, is what it is whatever was committed.
    let before: Option<Option<Customer>> = file.before.as_ref().map(|raw| {
        if !with_committed || !matches!(after, Some(Some(_))) {
            return None;
        }
        id.as_ref()
            .and_then(|id| read::parse_customer(raw, &file.path, id).ok())
            .map(|l| l.customer)
    });
    let change = Change::of_customer(
        &id_text,
        before.as_ref().map(Option::as_ref),
        after.as_ref().map(Option::as_ref),
    );
    Described {
        file: file.clone(),
        id: Some(id_text),
        change,
        problem,
        read: file.exists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_files_are_settings_and_customers_only() {
        assert!(is_book_file("crm.toml"));
        assert!(is_book_file("customers/ada.yaml"));
        assert!(is_book_file("customers/.gitkeep"));
        assert!(!is_book_file(".gitignore"));
        assert!(!is_book_file("customers/.hidden.yaml"));
        assert!(!is_book_file("customers/notes.txt"));
        assert!(!is_book_file("customers/sub/ada.yaml"));
        assert!(!is_book_file("notes/ada.yaml"));
        assert!(!is_book_file("customers/.yaml"));
    }

    #[test]
    fn given_messages_are_trimmed_and_must_not_be_empty() {
        assert_eq!(
            checked_message("  fix typo  \n\n body  \n").ok().as_deref(),
            Some("fix typo\n\n body")
        );
        assert!(checked_message("  \n ").is_err());
    }
}
