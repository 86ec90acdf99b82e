//! Dynamic shell completion: the values `crm` offers for customer ids, tags and kinds,
//! read from the book of the current folder (or `CRM_DIR`) when the shell asks
//! (`COMPLETE=bash crm -- crm show a`, set up by `crm completions SHELL`). Best effort:
//! outside a book, or when it cannot be read, nothing is offered.

use std::ffi::OsStr;

use clap_complete::CompletionCandidate;

use crate::store::{scan, Book};

fn book() -> Option<Book> {
    let start = crate::context::completion_start_dir()?;
    Book::discover(&start).ok()
}

fn starting_with(
    values: impl IntoIterator<Item = String>,
    current: &OsStr,
) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut values: Vec<String> = values
        .into_iter()
        .filter(|v| v.starts_with(current.as_ref()))
        .collect();
    values.sort();
    values.dedup();
    values.into_iter().map(CompletionCandidate::new).collect()
}

/// Customer ids (the file names in `customers/`: no file is parsed).
pub fn ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(book) = book() else {
        return Vec::new();
    };
    starting_with(scan::list_ids(&book).unwrap_or_default(), current)
}

/// Tags in use (from the summary cache).
pub fn tags(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(book) = book() else {
        return Vec::new();
    };
    let tags = scan::summaries(&book)
        .map(|s| s.items.into_iter().flat_map(|c| c.tags).collect::<Vec<_>>())
        .unwrap_or_default();
    starting_with(tags, current)
}

/// `crm tag` arguments: `+TAG` for tags in use, `-TAG` for them too.
pub fn tag_changes(current: &OsStr) -> Vec<CompletionCandidate> {
    let text = current.to_string_lossy();
    let (sign, rest) = match text.chars().next() {
        Some(c @ ('+' | '-')) => (c, &text[1..]),
        _ => ('+', text.as_ref()),
    };
    tags(OsStr::new(rest))
        .into_iter()
        .map(|c| c.add_prefix(sign.to_string()))
        .collect()
}

/// Interaction kinds the book accepts.
pub fn kinds(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(book) = book() else {
        return Vec::new();
    };
    starting_with(book.config.all_kinds(), current)
}
